//! `capture --path` on nodes wired by Debian's containernetworking-plugins
//! called as a kubelet calls them (`scripts/simnode up cni-*`): flannel's
//! bridge delegate with flannel's masquerade rules, the bridge plugin's
//! ipMasq with portmap, ptp. The truth is what the other end counted:
//! ping's own statistics, a UDP responder that counts what it answered.
//! Each case asserts the exact hops and no LOST where nothing was lost.
//!
//! No timed assertions: captures stop on `-c`, SIGINT or the end of their
//! interfaces; the only clock is a hang guard.

mod common;
mod kit;

use common::capture::{PathLine, in_netns, path_lines, run_capture};
use common::{World, stderr, stdout, text};
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// A UDP responder in the outside namespace on 192.168.56.1:53 (a stand-in
/// for an upstream DNS server): answers each datagram with its own bytes,
/// `n` times, on a thread; joins to the number it answered.
fn responder(w: &World, n: usize) -> std::thread::JoinHandle<usize> {
    let ext = w.ext.as_ref().unwrap().netns.clone();
    let sock = in_netns(&ext, || {
        UdpSocket::bind("192.168.56.1:53").expect("bind the responder")
    });
    sock.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        let mut answered = 0;
        while answered < n {
            let Ok((len, from)) = sock.recv_from(&mut buf) else {
                break;
            };
            if sock.send_to(&buf[..len], from).is_ok() {
                answered += 1;
            }
        }
        answered
    })
}

/// `n` queries from `pod` to the responder, each waiting for its answer:
/// the number answered.
fn queries(w: &World, pod: &str, n: usize) -> usize {
    let netns = w.pod(pod).netns.clone();
    in_netns(&netns, || {
        let s = UdpSocket::bind("0.0.0.0:0").unwrap();
        s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let to: SocketAddr = "192.168.56.1:53".parse().unwrap();
        let mut got = 0;
        let mut buf = [0u8; 512];
        for i in 0..n {
            // A DNS query's shape: id, flags, one question (example.org A).
            let mut q = vec![(i >> 8) as u8, i as u8, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
            q.extend_from_slice(b"\x07example\x03org\x00\x00\x01\x00\x01");
            if s.send_to(&q, to).is_ok() && s.recv_from(&mut buf).is_ok() {
                got += 1;
            }
        }
        got
    })
}

/// ping's "N received" from its summary line.
fn received(ping_out: &str) -> u64 {
    ping_out
        .lines()
        .find(|l| l.contains("packets transmitted"))
        .and_then(|l| l.split(", ").nth(1))
        .and_then(|p| p.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no ping summary in {ping_out}"))
}

fn summary_count(err: &str, what: &str) -> u64 {
    let line = err
        .lines()
        .find(|l| l.starts_with("path summary:"))
        .unwrap_or_else(|| panic!("no summary in {err}"));
    line.split(", ")
        .find(|p| p.ends_with(what) || p.contains(&format!(" {what}")))
        .and_then(|p| p.split_whitespace().find_map(|w| w.parse::<u64>().ok()))
        .unwrap_or_else(|| panic!("no `{what}` in {line}"))
}

fn one_way(dir: &str, hops: &[&str]) -> PathLine {
    PathLine {
        dir: dir.into(),
        hops: strs(hops),
        lost: None,
        vxlan: false,
    }
}

/// flannel's delegate config and masquerade rules: the pod's DNS queries
/// and pings to the outside leave by eth0 masqueraded to the node's
/// address; every one is followed across every hop, none reported lost,
/// the translation shown where it happens.
#[test]
fn cni_flannel_masqueraded_dns_and_icmp_to_the_outside() {
    let w = World::up_args("cni-flannel", &["--pods", "2"]);
    let p1 = w.pod("pod1");
    let veth = p1.host_if.clone().unwrap();
    let ip1 = p1.ip.to_string();
    let dns = responder(&w, 10);
    let mut answered = 0;
    let mut ping_out = String::new();
    let out = run_capture(
        w.podcap_command(
            "node1",
            &[
                "capture",
                &ip1,
                "--path",
                "-nn",
                "-c",
                "30",
                "icmp or udp port 53",
            ],
        ),
        4,
        None,
        || {
            answered = queries(&w, "pod1", 10);
            ping_out = text(&w.pod_exec(
                "pod1",
                &["ping", "-c", "5", "-i", "0.2", "-W", "2", "192.168.56.1"],
            ));
        },
    );
    assert!(out.status.success(), "{}", text(&out));
    let (o, err) = (stdout(&out), stderr(&out));
    assert_eq!(answered, 10);
    assert_eq!(dns.join().unwrap(), 10);
    assert_eq!(received(&ping_out), 5, "{ping_out}");
    assert!(
        err.contains(&format!(
            "following {ip1} across 4 hops: pod:eth0 > {veth} > cni0 > eth0"
        )),
        "{err}"
    );
    let out_l = one_way("out", &["pod:eth0", &veth, "cni0", "eth0"]);
    let in_l = one_way("in", &["eth0", "cni0", &veth, "pod:eth0"]);
    let lines = path_lines(&o);
    assert_eq!(lines.len(), 30, "{o}\n{err}");
    for pair in lines.chunks(2) {
        assert_eq!(pair, [out_l.clone(), in_l.clone()], "{o}\n{err}");
    }
    // Masqueraded on the way out, the reply before it is undone: both at
    // eth0, with the node's address.
    let node = w.node("node1").underlay_ip;
    assert_eq!(o.matches(&format!("[SNAT {node}")).count(), 30, "{o}");
    assert!(
        err.contains("30 packets followed, 30 complete, 0 lost, 0 not seen"),
        "{err}"
    );
}

/// ptp with ipMasq: a routed veth, masqueraded on eth0.
#[test]
fn cni_ptp_masqueraded_ping() {
    let w = World::up_args("cni-ptp", &["--pods", "1"]);
    let p1 = w.pod("pod1");
    let veth = p1.host_if.clone().unwrap();
    let ip1 = p1.ip.to_string();
    let mut ping_out = String::new();
    let out = run_capture(
        w.podcap_command("node1", &["capture", &ip1, "--path", "-c", "6", "icmp"]),
        3,
        None,
        || {
            ping_out = text(&w.pod_exec(
                "pod1",
                &["ping", "-c", "3", "-i", "0.2", "-W", "2", "192.168.56.1"],
            ))
        },
    );
    assert!(out.status.success(), "{}", text(&out));
    let (o, err) = (stdout(&out), stderr(&out));
    assert_eq!(received(&ping_out), 3, "{ping_out}");
    let lines = path_lines(&o);
    let out_l = one_way("out", &["pod:eth0", &veth, "eth0"]);
    let in_l = one_way("in", &["eth0", &veth, "pod:eth0"]);
    assert_eq!(
        lines,
        [&out_l, &in_l, &out_l, &in_l, &out_l, &in_l].map(|l| l.clone()),
        "{o}\n{err}"
    );
    assert!(
        err.contains("6 packets followed, 6 complete, 0 lost"),
        "{err}"
    );
}

/// A node with no default route: the pod's traffic to the outside leaves
/// by the interface its prefix route names, watched ahead.
#[test]
fn cni_ptp_node_without_default_route() {
    let w = World::up_args("cni-ptp", &["--pods", "1"]);
    w.exec("node1", &["ip", "route", "del", "default"]);
    let p1 = w.pod("pod1");
    let veth = p1.host_if.clone().unwrap();
    let ip1 = p1.ip.to_string();
    let out = run_capture(
        w.podcap_command("node1", &["capture", &ip1, "--path", "-c", "2", "icmp"]),
        3,
        None,
        || {
            w.pod_exec("pod1", &["ping", "-c", "1", "-W", "2", "192.168.56.1"]);
        },
    );
    assert!(out.status.success(), "{}", text(&out));
    let (o, err) = (stdout(&out), stderr(&out));
    assert!(err.contains("no default route"), "{err}");
    assert!(err.contains("also watching eth0"), "{err}");
    assert_eq!(
        path_lines(&o),
        vec![
            one_way("out", &["pod:eth0", &veth, "eth0"]),
            one_way("in", &["eth0", &veth, "pod:eth0"]),
        ],
        "{o}\n{err}"
    );
}

/// The bridge plugin's ipMasq with portmap chained: a connection from the
/// outside to the node's hostPort 8080 is DNAT'd to the pod's port 80,
/// and followed from eth0 in.
#[test]
fn cni_ipmasq_portmap_hostport_from_outside() {
    let w = World::up_args("cni-ipmasq", &["--pods", "1"]);
    let p1 = w.pod("pod1");
    let veth = p1.host_if.clone().unwrap();
    let bridge = p1.bridge.clone().unwrap();
    let ip1 = p1.ip.to_string();
    let listener = in_netns(&p1.netns, || {
        std::net::TcpListener::bind(SocketAddr::new(p1.ip.into(), 80)).expect("listen")
    });
    let ext = w.ext.as_ref().unwrap().netns.clone();
    let out = run_capture(
        w.podcap_command(
            "node1",
            &[
                "capture",
                &ip1,
                "--path",
                "-nn",
                "-c",
                "2",
                "tcp[13] & 2 != 0",
            ],
        ),
        4,
        None,
        || {
            let s = in_netns(&ext, || {
                std::net::TcpStream::connect_timeout(
                    &"192.168.56.11:8080".parse().unwrap(),
                    Duration::from_secs(5),
                )
                .expect("connect to the hostPort")
            });
            let _peer = listener.accept().expect("accept");
            drop(s);
        },
    );
    assert!(out.status.success(), "{}", text(&out));
    let (o, err) = (stdout(&out), stderr(&out));
    assert_eq!(
        path_lines(&o),
        vec![
            one_way("in", &["eth0", &bridge, &veth, "pod:eth0"]),
            one_way("out", &["pod:eth0", &veth, &bridge, "eth0"]),
        ],
        "{o}\n{err}"
    );
    // Towards the pod: the outside addressed the node's port 8080.
    assert!(o.contains("[DNAT 192.168.56.11.8080]"), "{o}");
    assert!(
        err.contains("2 packets followed, 2 complete, 0 lost"),
        "{err}"
    );
}

/// `ping -f` from the pod to the outside for 100,000 packets: however many
/// sightings the rings could not keep, none is reported lost (ping lost
/// none), and every packet podcap could not see is said to be so.
#[test]
fn cni_flannel_flood_no_false_loss() {
    let w = World::up_args("cni-flannel", &["--pods", "1"]);
    let ip1 = w.pod("pod1").ip.to_string();
    let mut ping_out = String::new();
    let out = run_capture(
        w.podcap_command(
            "node1",
            &["capture", &ip1, "--path", "-w", "/dev/null", "icmp"],
        ),
        4,
        Some(0),
        || {
            ping_out = text(&w.pod_exec(
                "pod1",
                &["ping", "-f", "-c", "100000", "-q", "192.168.56.1"],
            ))
        },
    );
    assert!(out.status.success(), "{}", text(&out));
    let err = stderr(&out);
    assert_eq!(received(&ping_out), 100_000, "{ping_out}");
    assert_eq!(summary_count(&err, "lost"), 0, "{err}");
    // -w without --print: nothing but the summary.
    assert!(stdout(&out).is_empty());
    assert!(summary_count(&err, "packets followed") >= 100_000, "{err}");
}

/// `-B 32` at flood rate: the rings overflow; that is capture loss, said
/// as such with the hint, never LOST.
#[test]
fn small_rings_overflow_is_capture_loss() {
    let w = World::up_args("cni-flannel", &["--pods", "1"]);
    let ip1 = w.pod("pod1").ip.to_string();
    let mut ping_out = String::new();
    let out = run_capture(
        w.podcap_command(
            "node1",
            &["capture", &ip1, "--path", "-B", "32", "--print", "icmp"],
        ),
        4,
        Some(0),
        || {
            ping_out =
                text(&w.pod_exec("pod1", &["ping", "-f", "-c", "20000", "-q", "192.168.56.1"]))
        },
    );
    assert!(out.status.success(), "{}", text(&out));
    let (o, err) = (stdout(&out), stderr(&out));
    assert_eq!(received(&ping_out), 20_000, "{ping_out}");
    assert!(!o.contains("LOST"), "{}", &o[..o.len().min(4000)]);
    assert_eq!(summary_count(&err, "lost"), 0, "{err}");
    assert!(err.contains("capture loss: the rings dropped"), "{err}");
    assert!(err.contains("-B KiB"), "{err}");
}

/// The pod's veth deleted mid-capture: podcap ends with the summary of
/// what it followed (every echo ping got an answer for is complete), then
/// says why it ended, and exits non-zero.
#[test]
fn veth_deleted_mid_capture_ends_with_the_summary() {
    let w = World::up_args("cni-flannel", &["--pods", "1"]);
    let p1 = w.pod("pod1");
    let veth = p1.host_if.clone().unwrap();
    let ip1 = p1.ip.to_string();
    let mut got = 0;
    let out = run_capture(
        w.podcap_command("node1", &["capture", &ip1, "--path", "icmp"]),
        4,
        None,
        || {
            let o = text(&w.pod_exec(
                "pod1",
                &["ping", "-c", "5", "-i", "0.2", "-W", "2", "192.168.56.1"],
            ));
            got = received(&o);
            w.exec("node1", &["ip", "link", "del", &veth]);
        },
    );
    let (o, err) = (stdout(&out), stderr(&out));
    assert!(!out.status.success(), "{}", text(&out));
    assert_eq!(got, 5);
    assert!(
        err.contains("10 packets followed, 10 complete, 0 lost"),
        "{o}\n{err}"
    );
    let summary_at = err.find("path summary:").unwrap();
    let why = err.rfind("the pod's interfaces went away").expect(&err);
    assert!(why > summary_at, "{err}");
}

/// Capabilities after start: none on any thread (as root), and `-Z nobody`
/// runs as nobody.
#[test]
fn path_runs_without_capabilities_on_every_thread() {
    let w = World::up_args("cni-flannel", &["--pods", "1"]);
    let ip1 = w.pod("pod1").ip.to_string();
    for z in [None, Some("nobody")] {
        let mut args = vec!["capture", ip1.as_str(), "--path", "icmp"];
        if let Some(u) = z {
            args.extend(["-Z", u]);
        }
        let mut child = w
            .podcap_command("node1", &args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let (_h, rx) = common::capture::follow(child.stderr.take().unwrap());
        assert!(common::capture::wait_lines(&rx, 4, |l| l.contains("listening on")));
        // Traffic, so that the capture loop (and any thread it starts) runs.
        w.pod_exec("pod1", &["ping", "-c", "2", "-i", "0.2", "192.168.56.1"]);
        let pid = child.id();
        let mut threads = 0;
        for t in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
            let status = std::fs::read_to_string(t.unwrap().path().join("status")).unwrap();
            let field = |k: &str| {
                status
                    .lines()
                    .find(|l| l.starts_with(k))
                    .map(|l| l[k.len()..].trim().to_string())
                    .unwrap()
            };
            assert_eq!(field("CapEff:"), "0000000000000000", "{status}");
            assert_eq!(field("CapPrm:"), "0000000000000000", "{status}");
            if z.is_some() {
                assert!(field("Uid:").starts_with("65534"), "{status}");
            }
            threads += 1;
        }
        assert!(threads >= 1);
        // SAFETY: kill(2) on our child's pid.
        unsafe { libc::kill(pid as i32, libc::SIGTERM) };
        let st = child.wait().unwrap();
        assert!(st.success(), "{st:?}");
    }
}
