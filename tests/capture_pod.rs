//! `podcap capture POD_IP` on simulated nodes, real kernel: the packets at
//! the pod's host interface, the VXLAN copy of a remote pod's packets on
//! the underlay (outer and inner headers), inside the pod's namespace
//! (held only by a process, or only by a bind mount), and `--path`: every
//! hop at once, each packet once with its hops, a loss injected between
//! two hops reported at that gap.
//!
//! No timed assertions: captures stop on `-c N`; the only clock is a hang
//! guard that kills a capture that never ends.

mod common;
mod kit;

use common::capture::{PathLine, in_netns, path_lines, run_capture, run_capture_until};
use common::{World, stderr, stdout, text};
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Output};
use std::time::Duration;

/// A file in a fresh temporary directory, removed on drop.
struct Tmp {
    /// Held for its drop.
    _dir: kit::TempDir,
    path: String,
}

impl Tmp {
    fn new(name: &str) -> Tmp {
        let dir = kit::TempDir::new("capture");
        let path = dir.path().join(name).display().to_string();
        Tmp { _dir: dir, path }
    }
    fn path(&self) -> &str {
        &self.path
    }
}

/// Runs `podcap ARGS` in `node`; once it has said `listening on` `ready`
/// times (every capture open, filter attached), runs `traffic`, then waits
/// for it to end by itself (`-c`).
fn capture(w: &World, node: &str, args: &[&str], ready: usize, traffic: impl FnOnce()) -> Output {
    capture_cmd(w.podcap_command(node, args), ready, traffic)
}

/// `podcap capture IP` on node1 into `f` while pod1 pings pod2 once and
/// opens a TCP connection to it: echo request and reply, SYN and SYN-ACK.
fn capture_ping_and_syn(w: &World, ip: &str, f: &Tmp) -> Output {
    let pod2 = w.pod("pod2").ip.to_string();
    let args = [
        "capture",
        ip,
        "-c",
        "4",
        "-w",
        f.path(),
        "icmp or tcp[13] & 2 != 0",
    ];
    capture(w, "node1", &args, 1, || {
        ping(w, "pod1", &pod2, 1);
        tcp_handshake(w, "pod1", "pod2");
    })
}

/// `podcap capture POD1 --path -c 2 icmp` on node1 (`ready` hops) while
/// pod1 sends `count` pings to `dst`: its stdout and stderr, once it
/// succeeded.
fn path_of_pings(w: &World, ready: usize, dst: &str, count: u32) -> (String, String) {
    let ip1 = w.pod("pod1").ip.to_string();
    let args = ["capture", &ip1, "--path", "-c", "2", "icmp"];
    let out = capture(w, "node1", &args, ready, || ping(w, "pod1", dst, count));
    assert!(out.status.success(), "{}", text(&out));
    (stdout(&out), stderr(&out))
}

/// [`capture`] for any command line.
fn capture_cmd(cmd: Command, ready: usize, traffic: impl FnOnce()) -> Output {
    run_capture(cmd, ready, None, traffic)
}

/// Runs `podcap ARGS` (no `-c`) in `node`; once it listens on `ready`
/// captures, runs `traffic`; once it has printed `lines` path lines,
/// sends it `signal` (SIGINT as a user's Ctrl-C, SIGHUP as a dropped ssh
/// session), and waits.
fn capture_until_signal(
    w: &World,
    node: &str,
    args: &[&str],
    ready: usize,
    (lines, signal): (usize, i32),
    traffic: impl FnOnce(),
) -> Output {
    run_capture_until(
        w.podcap_command(node, args),
        ready,
        Some((lines, signal)),
        traffic,
    )
}

/// One TCP handshake from pod `from` to pod `to` port 8080: a SYN and a
/// SYN-ACK (then the ACK and the closing packets).
fn tcp_handshake(w: &World, from: &str, to: &str) {
    let (src, dst) = (w.pod(from), w.pod(to));
    let addr = SocketAddr::new(dst.ip.into(), 8080);
    let listener = in_netns(&dst.netns, || TcpListener::bind(addr).expect("listen"));
    let stream = in_netns(&src.netns, || {
        TcpStream::connect_timeout(&addr, Duration::from_secs(10)).expect("connect")
    });
    let (peer, _) = listener.accept().expect("accept");
    drop(stream);
    drop(peer);
}

fn ping(w: &World, pod: &str, dst: &str, count: u32) {
    let c = count.to_string();
    let _ = w.pod_exec(pod, &["ping", "-c", &c, "-i", "0.2", "-W", "2", "-q", dst]);
}

/// `tshark -r FILE -T fields -e ...` lines, with flannel's VXLAN port
/// decoded.
fn tshark(file: &str, fields: &[&str], filter: Option<&str>) -> Vec<String> {
    let mut c = Command::new("tshark");
    c.args(["-r", file, "-d", "udp.port==8472,vxlan", "-T", "fields"]);
    for f in fields {
        c.args(["-e", f]);
    }
    c.args(["-E", "separator=|"]);
    if let Some(f) = filter {
        c.args(["-Y", f]);
    }
    let out = c.output().expect("run tshark");
    assert!(out.status.success(), "tshark: {}", text(&out));
    stdout(&out).lines().map(str::to_string).collect()
}

/// The path lines of one packet out of the pod along `hops` and its answer
/// back along the same hops reversed, neither lost.
fn out_and_back(hops: &[&str], vxlan: bool) -> (PathLine, PathLine) {
    let line = |dir: &str, hops: Vec<String>| PathLine {
        dir: dir.into(),
        hops,
        lost: None,
        vxlan,
    };
    let out = strs(hops);
    let mut back = out.clone();
    back.reverse();
    (line("out", out), line("in", back))
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn flannel_local_pod_icmp_and_tcp_on_its_veth() {
    let w = World::flannel(2, 1);
    let (p1, p2) = (w.pod("pod1"), w.pod("pod2"));
    let veth = p1.host_if.clone().unwrap();
    let f = Tmp::new("local.pcap");
    let ip1 = p1.ip.to_string();
    let out = capture_ping_and_syn(&w, &ip1, &f);
    assert!(out.status.success(), "{}", text(&out));
    let err = stderr(&out);
    // The evidence: the article's steps, then the interface.
    assert!(err.contains("brctl showstp cni0"), "{err}");
    assert!(
        err.contains(&format!("capturing on {veth} (bridge-fdb)")),
        "{err}"
    );
    assert!(err.contains("4 packets captured"), "{err}");
    let pkts = tshark(
        f.path(),
        &[
            "ip.src",
            "ip.dst",
            "icmp.type",
            "tcp.flags.syn",
            "tcp.flags.ack",
        ],
        None,
    );
    let (a, b) = (p1.ip.to_string(), p2.ip.to_string());
    assert_eq!(
        pkts,
        vec![
            format!("{a}|{b}|8||"),
            format!("{b}|{a}|0||"),
            format!("{a}|{b}||1|0"),
            format!("{b}|{a}||1|1"),
        ]
    );
}

#[test]
fn flannel_remote_pod_outer_and_inner_headers_on_the_underlay() {
    let w = World::flannel(1, 1);
    let (p1, p2) = (w.pod("pod1"), w.pod("pod2"));
    let n1 = w.node("node1");
    let n2 = w.node("node2");
    let f = Tmp::new("remote.pcap");
    let ip2 = p2.ip.to_string();
    let out = capture_ping_and_syn(&w, &ip2, &f);
    assert!(out.status.success(), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "capturing on the underlay {}, outer filter `host {} and vxlan`",
            n1.underlay_if, n2.underlay_ip
        )),
        "{err}"
    );
    // Frames as on the wire: outer IPv4 between the nodes, UDP 8472,
    // VXLAN VNI 1, inner IPv4 between the pods.
    let pkts = tshark(
        f.path(),
        &[
            "ip.src",
            "ip.dst",
            "udp.dstport",
            "vxlan.vni",
            "icmp.type",
            "tcp.flags.syn",
        ],
        None,
    );
    let (u1, u2) = (n1.underlay_ip.to_string(), n2.underlay_ip.to_string());
    let (a, b) = (p1.ip.to_string(), p2.ip.to_string());
    // As text: the outer headers, then the inner packet.
    let text_out = capture(
        &w,
        "node1",
        &["capture", &ip2, "-nn", "-c", "2", "icmp"],
        1,
        || ping(&w, "pod1", &ip2, 1),
    );
    assert!(text_out.status.success(), "{}", text(&text_out));
    let lines: Vec<String> = stdout(&text_out)
        .lines()
        .map(|l| l.split_once(' ').map_or(l, |x| x.1).to_string())
        .collect();
    assert!(
        lines.len() == 4
            && lines[0].starts_with(&format!("IP {u1}."))
            && lines[0].ends_with(&format!("> {u2}.8472: VXLAN, flags [I] (0x08), vni 1"))
            && lines[1].starts_with(&format!("{a} > {b}: ICMP echo request"))
            && lines[2].starts_with(&format!("IP {u2}."))
            && lines[3].starts_with(&format!("{b} > {a}: ICMP echo reply")),
        "{}",
        text(&text_out)
    );
    assert_eq!(
        pkts,
        vec![
            format!("{u1},{a}|{u2},{b}|8472|1|8|"),
            format!("{u2},{b}|{u1},{a}|8472|1|0|"),
            format!("{u1},{a}|{u2},{b}|8472|1||1"),
            format!("{u2},{b}|{u1},{a}|8472|1||1"),
        ]
    );
}

#[test]
fn flannel_path_every_hop_once_with_pcapng_per_hop() {
    let w = World::flannel(2, 1);
    let (p1, p2, p3) = (w.pod("pod1"), w.pod("pod2"), w.pod("pod3"));
    let veth = p1.host_if.clone().unwrap();
    let f = Tmp::new("path.pcapng");
    let ip1 = p1.ip.to_string();
    // Remote ping (4 packets: request and reply) and handshake (SYN,
    // SYN-ACK), then a ping to the pod on the same bridge.
    let out = capture(
        &w,
        "node1",
        &[
            "capture",
            &ip1,
            "--path",
            "-nn",
            "-c",
            "6",
            "-w",
            f.path(),
            "--print",
            "icmp or tcp[13] & 2 != 0",
        ],
        5,
        || {
            ping(&w, "pod1", &p3.ip.to_string(), 1);
            tcp_handshake(&w, "pod1", "pod3");
            ping(&w, "pod1", &p2.ip.to_string(), 1);
        },
    );
    assert!(out.status.success(), "{}", text(&out));
    let (o, err) = (stdout(&out), stderr(&out));
    let (out_l, in_l) = out_and_back(&["pod:eth0", &veth, "cni0", "flannel.1", "eth0"], true);
    // Same bridge: the packet never goes further than cni0, and the reply
    // enters the path there.
    let (near_out, near_in) = out_and_back(&["pod:eth0", &veth, "cni0"], false);
    assert_eq!(
        path_lines(&o),
        vec![out_l.clone(), in_l.clone(), out_l, in_l, near_out, near_in],
        "{o}\n{err}"
    );
    assert!(
        err.contains("path summary: 6 packets followed, 6 complete, 0 lost"),
        "{err}"
    );
    // Each packet once as tcpdump prints it (the pod's own copy), then
    // its path.
    let firsts: Vec<&str> = o
        .lines()
        .filter(|l| !l.starts_with("  "))
        .map(|l| l.split_once(' ').map_or(l, |x| x.1))
        .collect();
    let (a, b, c) = (p1.ip.to_string(), p2.ip.to_string(), p3.ip.to_string());
    let want = [
        format!("IP {a} > {c}: ICMP echo request"),
        format!("IP {c} > {a}: ICMP echo reply"),
        format!("IP {a}."),
        format!("IP {c}.8080 > {a}."),
        format!("IP {a} > {b}: ICMP echo request"),
        format!("IP {b} > {a}: ICMP echo reply"),
    ];
    assert_eq!(firsts.len(), 6, "{o}");
    for (l, w) in firsts.iter().zip(&want) {
        assert!(
            l.starts_with(w.as_str()),
            "{l:?} should start with {w:?}\n{o}"
        );
    }
    assert!(firsts[2].contains(": Flags [S], seq"), "{o}");
    assert!(firsts[3].contains(": Flags [S.], seq"), "{o}");
    // One interface block per hop, each with the packets seen there.
    let ifs = tshark(f.path(), &["frame.interface_name"], None);
    let mut per: BTreeMap<String, usize> = BTreeMap::new();
    for i in &ifs {
        *per.entry(i.clone()).or_default() += 1;
    }
    // Named by namespace: the pod's eth0 and the node's are told apart.
    assert_eq!(per.get(&format!("node:{veth}")), Some(&6), "{per:?}");
    assert_eq!(per.get("node:cni0"), Some(&6), "{per:?}");
    assert_eq!(per.get("node:flannel.1"), Some(&4), "{per:?}");
    assert_eq!(per.get("pod:eth0"), Some(&6), "{per:?}");
    assert_eq!(per.get("node:eth0"), Some(&4), "{per:?}");
    let descs = tshark(f.path(), &["frame.interface_description"], None);
    assert!(
        descs
            .iter()
            .any(|d| d.starts_with("pod:eth0: netns /run/netns/")),
        "{descs:?}"
    );
    let ids = tshark(f.path(), &["frame.interface_id"], None);
    let mut uniq: Vec<&String> = ids.iter().collect();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq, vec!["0", "1", "2", "3", "4"]);
    // The underlay's copies are VXLAN between the nodes, pods inside.
    let under = tshark(
        f.path(),
        &["ip.src", "ip.dst", "vxlan.vni"],
        Some("frame.interface_id == 4"),
    );
    let (u1, u2) = (
        w.node("node1").underlay_ip.to_string(),
        w.node("node2").underlay_ip.to_string(),
    );
    let (a, c) = (p1.ip.to_string(), p3.ip.to_string());
    assert_eq!(
        under,
        vec![
            format!("{u1},{a}|{u2},{c}|1"),
            format!("{u2},{c}|{u1},{a}|1"),
            format!("{u1},{a}|{u2},{c}|1"),
            format!("{u2},{c}|{u1},{a}|1"),
        ]
    );
}

/// An nft table on a node, deleted on drop so that a failing test leaves
/// no rule.
struct NftTable<'a>(&'a World, &'a str, &'a str, &'a str);

impl<'a> NftTable<'a> {
    /// Loads `rule`, which creates table `table` of `family`.
    fn add(w: &'a World, node: &'a str, family: &'a str, table: &'a str, rule: &str) -> Self {
        let nft = w.exec(node, &["nft", rule]);
        assert!(nft.status.success(), "nft: {}", text(&nft));
        NftTable(w, node, table, family)
    }

    /// What kube-proxy does for a Service: node1 DNATs 10.96.0.10 to `to`.
    fn service_dnat(w: &'a World, to: std::net::Ipv4Addr) -> Self {
        let rule = format!(
            "table ip podcap_svc {{ chain pre {{ type nat hook prerouting priority -100; \
             ip daddr 10.96.0.10 dnat to {to}; }}; }}"
        );
        NftTable::add(w, "node1", "ip", "podcap_svc", &rule)
    }
}

impl Drop for NftTable<'_> {
    fn drop(&mut self) {
        let _ = self
            .0
            .exec(self.1, &["nft", "delete", "table", self.3, self.2]);
    }
}

#[test]
fn flannel_path_loss_in_forwarding_reported_between_cni0_and_flannel1() {
    let w = World::flannel(1, 1);
    let (p1, p2) = (w.pod("pod1"), w.pod("pod2"));
    let veth = p1.host_if.clone().unwrap();
    // The node drops the pod's echo requests to the remote pod after the
    // bridge has handed them to IP forwarding, before flannel.1.
    let rule = format!(
        "table inet podcap_loss {{ chain drop_fwd {{ type filter hook forward priority 0; \
         ip daddr {} icmp type echo-request drop; }}; }}",
        p2.ip
    );
    let _guard = NftTable::add(&w, "node1", "inet", "podcap_loss", &rule);
    let (o, err) = path_of_pings(&w, 5, &p2.ip.to_string(), 2);
    let lost = PathLine {
        dir: "out".into(),
        hops: strs(&["pod:eth0", &veth, "cni0"]),
        lost: Some(("cni0".into(), "flannel.1".into())),
        vxlan: false,
    };
    assert_eq!(path_lines(&o), vec![lost.clone(), lost], "{o}\n{err}");
    assert!(
        err.contains("path summary: 2 packets followed, 0 complete, 2 lost"),
        "{err}"
    );
    let gap = |name: &str| {
        err.lines()
            .find(|l| l.trim_start().starts_with(name))
            .and_then(|l| l.split_whitespace().last())
            .map(str::to_string)
    };
    assert_eq!(gap("cni0 > flannel.1").as_deref(), Some("2"), "{err}");
    assert_eq!(
        gap(&format!("{veth} > cni0")).as_deref(),
        Some("0"),
        "{err}"
    );
}

#[test]
fn flannel_path_of_a_remote_pod_and_summary_on_sigint_sighup_and_sigquit() {
    let w = World::flannel(1, 1);
    let (p1, p2) = (w.pod("pod1"), w.pod("pod2"));
    let ip2 = p2.ip.to_string();
    // On node1, pod2's path is where its packets enter this node: the
    // underlay (VXLAN), then flannel.1. Stopped with Ctrl-C, not -c.
    let out = capture_until_signal(
        &w,
        "node1",
        &["capture", &ip2, "--path", "icmp"],
        2,
        (4, libc::SIGINT),
        || ping(&w, "pod1", &ip2, 2),
    );
    assert!(out.status.success(), "{}", text(&out));
    let (o, err) = (stdout(&out), stderr(&out));
    assert!(
        err.contains(&format!("following {ip2} across 2 hops: eth0 > flannel.1")),
        "{err}"
    );
    let line = |dir: &str, hops: &[&str]| PathLine {
        dir: dir.into(),
        hops: strs(hops),
        lost: None,
        vxlan: true,
    };
    let req = line("in", &["flannel.1", "eth0"]);
    let rep = line("out", &["eth0", "flannel.1"]);
    assert_eq!(
        path_lines(&o),
        vec![req.clone(), rep.clone(), req, rep],
        "{o}\n{err}"
    );
    assert!(
        o.contains(&format!("VXLAN {}.", w.node("node1").underlay_ip)),
        "{o}"
    );
    let _ = p1;
    // The summary comes on SIGINT too.
    assert!(
        err.contains("path summary: 4 packets followed, 4 complete, 0 lost"),
        "{err}"
    );
    assert!(
        err.contains("packets dropped by kernel: eth0 0, flannel.1 0"),
        "{err}"
    );
    // A hang-up (the ssh or kubectl exec session dropped) and SIGQUIT end
    // it the same way, as they end plain capture: every packet followed
    // is printed, then the summary, exit 0.
    for signal in [libc::SIGHUP, libc::SIGQUIT] {
        let out = capture_until_signal(
            &w,
            "node1",
            &["capture", &ip2, "--path", "icmp"],
            2,
            (2, signal),
            || ping(&w, "pod1", &ip2, 1),
        );
        assert!(out.status.success(), "signal {signal}: {}", text(&out));
        let (o, err) = (stdout(&out), stderr(&out));
        assert_eq!(path_lines(&o).len(), 2, "signal {signal}: {o}\n{err}");
        assert!(
            err.contains("path summary: 2 packets followed, 2 complete, 0 lost"),
            "signal {signal}: {err}"
        );
    }
}

#[test]
fn calico_capture_and_path_through_routing() {
    let w = World::up("calico", 2);
    let (p1, p2) = (w.pod("pod1"), w.pod("pod2"));
    let cali = p1.host_if.clone().unwrap();
    let ext = w.ext.as_ref().unwrap().underlay_ip.to_string();
    let ip1 = p1.ip.to_string();
    let f = Tmp::new("calico.pcap");
    let out = capture(
        &w,
        "node1",
        &["capture", &ip1, "-c", "2", "-w", f.path(), "icmp"],
        1,
        || ping(&w, "pod1", &ext, 1),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stderr(&out).contains(&format!("capturing on {cali} (routed-veth)")),
        "{}",
        text(&out)
    );
    assert_eq!(
        tshark(f.path(), &["ip.src", "ip.dst", "icmp.type"], None),
        vec![format!("{ip1}|{ext}|8"), format!("{ext}|{ip1}|0")]
    );

    // --path: pod, cali veth, routing, eth0 towards the outside; to the
    // pod beside it, the packet leaves through the other pod's veth.
    let out = capture(
        &w,
        "node1",
        &["capture", &ip1, "--path", "-c", "4", "icmp"],
        3,
        || {
            ping(&w, "pod1", &ext, 1);
            ping(&w, "pod1", &p2.ip.to_string(), 1);
        },
    );
    assert!(out.status.success(), "{}", text(&out));
    let (o, err) = (stdout(&out), stderr(&out));
    let line = |dir: &str, hops: &[&str]| PathLine {
        dir: dir.into(),
        hops: strs(hops),
        lost: None,
        vxlan: false,
    };
    assert_eq!(
        path_lines(&o),
        vec![
            line("out", &["pod:eth0", &cali, "eth0"]),
            line("in", &["eth0", &cali, "pod:eth0"]),
            line("out", &["pod:eth0", &cali]),
            line("in", &[&cali, "pod:eth0"]),
        ],
        "{o}\n{err}"
    );
    assert!(
        err.contains("4 packets followed, 4 complete, 0 lost"),
        "{err}"
    );
}

#[test]
fn bridge_plugin_path_and_loss_before_the_way_out() {
    let w = World::up("bridge", 2);
    let p1 = w.pod("pod1");
    let veth = p1.host_if.clone().unwrap();
    let ext = w.ext.as_ref().unwrap().underlay_ip.to_string();
    let (o, err) = path_of_pings(&w, 4, &ext, 1);
    let (out_l, in_l) = out_and_back(&["pod:eth0", &veth, "cbr0", "eth0"], false);
    assert_eq!(path_lines(&o), vec![out_l, in_l], "{o}\n{err}");

    // The node's way out drops echo requests (an nft egress hook on eth0,
    // which runs before the capture tap): the bridge saw it, eth0 never.
    let rule = "table netdev podcap_loss { chain eg { type filter hook egress device \"eth0\" \
                priority 0; icmp type echo-request drop; }; }";
    let guard = NftTable::add(&w, "node1", "netdev", "podcap_loss", rule);
    let ip1 = p1.ip.to_string();
    let out = capture(
        &w,
        "node1",
        &["capture", &ip1, "--path", "-c", "1", "icmp"],
        4,
        || ping(&w, "pod1", &ext, 1),
    );
    drop(guard);
    assert!(out.status.success(), "{}", text(&out));
    let o = stdout(&out);
    assert_eq!(
        path_lines(&o),
        vec![PathLine {
            dir: "out".into(),
            hops: strs(&["pod:eth0", &veth, "cbr0"]),
            lost: Some(("cbr0".into(), "eth0".into())),
            vxlan: false,
        }],
        "{}",
        text(&out)
    );
}

#[test]
fn inside_pods_held_by_a_process_only_and_by_a_bind_mount_only() {
    // pod2: no /run/netns entry, only its holder process; pod3: only the
    // bind mount, no process in it.
    let w = World::up_holders("bridge", 3, &[2], &[3]);
    let ext = w.ext.as_ref().unwrap().underlay_ip.to_string();
    for (pod, holder) in [("pod2", "process"), ("pod3", "mount")] {
        let p = w.pod(pod);
        let ip = p.ip.to_string();
        let f = Tmp::new("inside.pcap");
        let out = capture(
            &w,
            "node1",
            &[
                "capture",
                &ip,
                "--inside",
                "-c",
                "2",
                "-w",
                f.path(),
                "icmp",
            ],
            1,
            || ping(&w, pod, &ext, 1),
        );
        assert!(out.status.success(), "{pod}: {}", text(&out));
        let err = stderr(&out);
        let ns = match holder {
            "process" => format!("/proc/{}/ns/net", p.pid.unwrap()),
            _ => p.netns.display().to_string(),
        };
        assert!(
            err.contains(&format!("lives in network namespace {ns}")),
            "{pod}: {err}"
        );
        assert!(err.contains("capturing on eth0 inside it"), "{pod}: {err}");
        assert_eq!(
            tshark(f.path(), &["ip.src", "ip.dst", "icmp.type"], None),
            vec![format!("{ip}|{ext}|8"), format!("{ext}|{ip}|0")],
            "{pod}"
        );
    }
}

#[test]
fn bad_command_lines_are_explained() {
    let w = World::up("bridge", 1);
    let out = w.podcap("node1", &["capture", "icmp"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("`icmp` is not an IP address"),
        "{}",
        text(&out)
    );
    let ip = w.pod("pod1").ip.to_string();
    let out = w.podcap("node1", &["capture", &ip, "-i", "eth0"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("picks the interface itself"),
        "{}",
        text(&out)
    );
    let out = w.podcap("node1", &["capture", &ip, "--inside", "--path"]);
    assert!(!out.status.success());
    let out = w.podcap("node1", &["capture", "10.99.0.7"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("10.99.0.7"), "{}", text(&out));
}

/// An IPv6 pod (`common::Ipv6Bridge`, since simnode is IPv4 only): the
/// identity of an ICMPv6 echo (no IP ID in IPv6) holds across the hops.
#[test]
fn ipv6_pod_on_a_bridge_path() {
    let w = common::Ipv6Bridge::up("pc6c");
    let node = w.node.clone();
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", &node, common::podcap_bin()]);
    cmd.args(["capture", "fd00:6::2", "--path", "-c", "4"]);
    cmd.args(["ip6[40] == 128 or ip6[40] == 129"]);
    let out = capture_cmd(cmd, 3, || {
        let ping = Command::new("ip")
            .args([
                "netns",
                "exec",
                &node,
                "ping",
                "-6",
                "-c",
                "2",
                "-i",
                "0.2",
                "-q",
                "fd00:6::2",
            ])
            .output()
            .unwrap();
        assert!(ping.status.success(), "{}", text(&ping));
    });
    assert!(out.status.success(), "{}", text(&out));
    let (o, log) = (stdout(&out), stderr(&out));
    // The node pings its pod: the request enters the path at br6.
    let (rep, req) = out_and_back(&["pod:eth0", "veth6host", "br6"], false);
    assert_eq!(
        path_lines(&o),
        vec![req.clone(), rep.clone(), req, rep],
        "{o}\n{log}"
    );
    assert!(
        log.contains("4 packets followed, 4 complete, 0 lost"),
        "{log}"
    );
}

#[test]
fn macvlan_pod_on_its_parent_isolated_by_mac() {
    let w = World::up("macvlan", 2);
    let (p1, p2) = (w.pod("pod1"), w.pod("pod2"));
    let ext = w.ext.as_ref().unwrap().underlay_ip.to_string();
    let ip1 = p1.ip.to_string();
    let f = Tmp::new("macvlan.pcap");
    // Both pods ping out through the same parent; only pod1's packets
    // are captured.
    let out = capture(
        &w,
        "node1",
        &["capture", &ip1, "-c", "2", "-w", f.path(), "icmp"],
        1,
        || {
            ping(&w, "pod2", &ext, 1);
            ping(&w, "pod1", &ext, 1);
        },
    );
    assert!(out.status.success(), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "capturing on the parent eth0 with `ether host {}`",
            p1.mac
        )),
        "{err}"
    );
    assert_eq!(
        tshark(f.path(), &["ip.src", "ip.dst", "icmp.type"], None),
        vec![format!("{ip1}|{ext}|8"), format!("{ext}|{ip1}|0")]
    );
    let _ = p2;
}

#[test]
fn inside_any_and_path_pcapng_streamed_to_tshark() {
    let w = World::flannel(1, 1);
    let (p1, p2) = (w.pod("pod1"), w.pod("pod2"));
    let (ip1, ip2) = (p1.ip.to_string(), p2.ip.to_string());
    // --inside -i any: cooked headers (LINUX_SLL), as tcpdump -i any.
    let f = Tmp::new("any.pcap");
    let out = capture(
        &w,
        "node1",
        &[
            "capture",
            &ip1,
            "--inside",
            "-i",
            "any",
            "-c",
            "2",
            "-w",
            f.path(),
            "icmp",
        ],
        1,
        || ping(&w, "pod1", &ip2, 1),
    );
    assert!(out.status.success(), "{}", text(&out));
    let err = stderr(&out);
    assert!(err.contains("capturing on any inside it"), "{err}");
    assert!(err.contains("link-type LINUX_SLL"), "{err}");
    assert_eq!(
        tshark(f.path(), &["sll.pkttype", "ip.src", "ip.dst"], None),
        vec![format!("4|{ip1}|{ip2}"), format!("0|{ip2}|{ip1}")]
    );

    // --path -w -: the pcapng goes to stdout (a pipe to tshark here), the
    // path lines to stderr.
    let out = capture(
        &w,
        "node1",
        &[
            "capture", &ip1, "--path", "-c", "2", "-U", "-w", "-", "--print", "icmp",
        ],
        5,
        || ping(&w, "pod1", &ip2, 1),
    );
    assert!(out.status.success(), "{}", text(&out));
    let log = stderr(&out);
    assert_eq!(path_lines(&log).len(), 2, "{log}");
    let dump = Tmp::new("stream.pcapng");
    std::fs::write(dump.path(), &out.stdout).unwrap();
    let ifs = tshark(dump.path(), &["frame.interface_id"], None);
    assert_eq!(ifs.len(), 10, "{ifs:?}");
}

/// AWS VPC CNI: the pod's traffic leaves by its own ENI (`from POD lookup
/// TABLE`), not by the default route's eth0: --path follows the kernel's
/// forwarding decision, and reports no loss on the way out.
#[test]
fn awsvpc_path_follows_policy_routing_out_of_the_pods_eni() {
    let w = World::up("awsvpc", 2);
    let p1 = w.pod("pod1");
    let (eni, host_if) = (p1.eni.clone().unwrap(), p1.host_if.clone().unwrap());
    let ext = w.ext.as_ref().unwrap().underlay_ip.to_string();
    let (o, err) = path_of_pings(&w, 3, &ext, 1);
    assert!(
        err.contains(&format!("packets leave this node by {eni}")),
        "{err}"
    );
    let (out_l, in_l) = out_and_back(&["pod:eth0", &host_if, &eni], false);
    assert_eq!(path_lines(&o), vec![out_l, in_l], "{o}\n{err}");
}

/// A Service IP, DNAT'd by the node (as kube-proxy does) to a pod on the
/// other node: the addresses change between cni0 and flannel.1, the
/// packet is still recognised on every hop.
#[test]
fn flannel_path_through_service_dnat() {
    let w = World::flannel(1, 1);
    let (p1, p2) = (w.pod("pod1"), w.pod("pod2"));
    let _guard = NftTable::service_dnat(&w, p2.ip);
    let veth = p1.host_if.clone().unwrap();
    let ip1 = p1.ip.to_string();
    let out = capture(
        &w,
        "node1",
        &["capture", &ip1, "--path", "-nn", "-c", "2", "icmp"],
        5,
        || ping(&w, "pod1", "10.96.0.10", 1),
    );
    assert!(out.status.success(), "{}", text(&out));
    let (o, err) = (stdout(&out), stderr(&out));
    let (out_l, in_l) = out_and_back(&["pod:eth0", &veth, "cni0", "flannel.1", "eth0"], true);
    assert_eq!(path_lines(&o), vec![out_l, in_l], "{o}\n{err}");
    // The pod's own view: the Service address.
    assert!(
        o.contains(&format!("IP {ip1} > 10.96.0.10: ICMP echo request")),
        "{o}"
    );
    assert!(
        o.contains(&format!("IP 10.96.0.10 > {ip1}: ICMP echo reply")),
        "{o}"
    );
}

/// A Service IP DNAT'd to the pod beside it on the same bridge: the node
/// routes the packet back out of cni0; its way ends there, no loss.
#[test]
fn flannel_path_service_dnat_back_onto_the_bridge() {
    let w = World::flannel(2, 1);
    let (p1, p2) = (w.pod("pod1"), w.pod("pod2"));
    let _guard = NftTable::service_dnat(&w, p2.ip);
    let veth = p1.host_if.clone().unwrap();
    let ip1 = p1.ip.to_string();
    let out = capture(
        &w,
        "node1",
        &["capture", &ip1, "--path", "-c", "2", "icmp[icmptype] == 8"],
        5,
        || {
            ping(&w, "pod1", "10.96.0.10", 1);
            ping(&w, "pod1", "10.96.0.10", 1);
        },
    );
    assert!(out.status.success(), "{}", text(&out));
    let (o, err) = (stdout(&out), stderr(&out));
    let line = PathLine {
        dir: "out".into(),
        hops: strs(&["pod:eth0", &veth, "cni0"]),
        lost: None,
        vxlan: false,
    };
    assert_eq!(path_lines(&o), vec![line.clone(), line], "{o}\n{err}");
    // Translated to the pod beside it, on the bridge: the kernel's
    // br_netfilter DNATs before the frame reaches cni0, so cni0 shows the
    // backend's address; whether the bridge hands it up and routes it back
    // out (seen twice) or bridges it on depends on the conntrack entry.
    assert_eq!(o.matches(&format!("[DNAT {}]", p2.ip)).count(), 2, "{o}");
    assert!(
        err.contains("2 packets followed, 2 complete, 0 lost"),
        "{err}"
    );
}
