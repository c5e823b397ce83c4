//! Live capture on a real kernel: namespaces joined by a veth, traffic the
//! test sends, files checked with tshark and against tcpdump capturing on
//! the same interface at the same time. No timed assertions: counts, `-c`,
//! and generous limits against hangs only.

mod capture_util;

use capture_util::*;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

fn podcap_in(p: &Pair, ns: &str, args: &[&str]) -> Proc {
    let mut a = vec!["tcpdump"];
    a.extend_from_slice(args);
    Proc::spawn(p.cmd(ns, podcap(), &a), Stdio::null())
}

fn tcpdump_in(p: &Pair, ns: &str, args: &[&str]) -> Proc {
    // -Z root: Debian's tcpdump would drop to user `tcpdump`, which cannot
    // write into the test's directory.
    let mut a = vec!["-Z", "root"];
    a.extend_from_slice(args);
    Proc::spawn(p.cmd(ns, "tcpdump", &a), Stdio::null())
}

#[test]
fn named_interface_matches_tcpdump_and_tshark() {
    let p = Pair::new("named");
    let f1 = p.path("podcap.pcap");
    let f2 = p.path("tcpdump.pcap");
    let mut ours = podcap_in(&p, &p.a, &["-i", "va", "-c", "100", "-w", &f1]);
    let mut theirs = tcpdump_in(&p, &p.a, &["-i", "va", "-c", "100", "-w", &f2]);
    ours.wait_stderr("listening on va, link-type EN10MB (Ethernet), snapshot length 262144 bytes");
    theirs.wait_stderr("listening on");
    p.send_udp(&p.a, "10.77.0.2:9999", 100, 64);
    let (code, err) = ours.wait();
    assert_eq!(code, 0, "{err}");
    assert_eq!(stats(&err).0, 100, "{err}");
    assert!(stats(&err).1 >= 100, "{err}");
    let (code, err2) = theirs.wait();
    assert_eq!(code, 0, "{err2}");
    let fields = [
        "frame.len",
        "frame.cap_len",
        "eth.src",
        "eth.dst",
        "ip.src",
        "ip.dst",
        "udp.dstport",
        "data.data",
    ];
    let a = tshark_fields(&f1, &fields);
    let b = tshark_fields(&f2, &fields);
    assert_eq!(a.len(), 100);
    assert_eq!(a, b, "podcap and tcpdump disagree");
    let first = &a[0];
    assert_eq!(first[4], "10.77.0.1");
    assert_eq!(first[5], "10.77.0.2");
    assert!(first[7].starts_with(&hex("podcap-0")), "{first:?}");
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn any_writes_linux_sll_by_default_and_sll2_on_request() {
    let p = Pair::new("any");
    let idx = ifindex(&p.a, "va");
    for (extra, encap) in [(None, "sll"), (Some("LINUX_SLL2"), "sll2")] {
        let f = p.path(&format!("{encap}.pcap"));
        let mut args = vec!["-i", "any", "-c", "10", "-w", &f];
        if let Some(y) = extra {
            args.extend_from_slice(&["-y", y]);
        }
        let mut pc = podcap_in(&p, &p.a, &args);
        pc.wait_stderr("listening on any");
        p.send_udp(&p.a, "10.77.0.2:9999", 10, 40);
        let (code, err) = pc.wait();
        assert_eq!(code, 0, "{err}");
        let rows = tshark_fields(
            &f,
            &[
                "frame.protocols",
                "sll.pkttype",
                "sll.ifindex",
                "ip.dst",
                "sll.src.eth",
            ],
        );
        assert_eq!(rows.len(), 10, "{rows:?}");
        let bytes = std::fs::read(&f).unwrap();
        let lt = u32::from_ne_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
        assert_eq!(lt, if encap == "sll" { 113 } else { 276 });
        for r in &rows {
            assert!(r[0].starts_with("sll:ethertype:ip:udp"), "{r:?}");
            assert_eq!(r[1], "4", "outgoing: {r:?}");
            assert_eq!(r[3], "10.77.0.2");
            assert_eq!(r[4], "02:00:00:00:00:0a");
            if encap == "sll2" {
                assert_eq!(r[2], idx, "{r:?}");
            }
        }
    }
}

#[test]
fn ksniff_command_streams_live_into_tshark() {
    let p = Pair::new("ksniff");
    // ksniff uploads the binary as /tmp/static-tcpdump and runs it in the
    // pod's namespace (here B) as `-i any -U -w - FILTER`, the filter one
    // argument with spaces in it.
    let exe = p.path("static-tcpdump");
    std::os::unix::fs::symlink(podcap(), &exe).unwrap();
    let mut cap = Proc::spawn(
        p.cmd(&p.b, &exe, &["-i", "any", "-U", "-w", "-", "udp port 9999"]),
        Stdio::piped(),
    );
    let out = cap.child.stdout.take().unwrap();
    let mut tshark = std::process::Command::new("tshark")
        .args(["-l", "-r", "-", "-T", "fields", "-e", "data.data"])
        .stdin(out)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = BufReader::new(tshark.stdout.take().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for l in lines.lines() {
            let Ok(l) = l else { break };
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    cap.wait_stderr("static-tcpdump: listening on any, link-type LINUX_SLL");
    // One packet at a time: each must come out of tshark before the next
    // is sent, so nothing waits for a buffer or ring block to fill.
    for i in 0..5 {
        p.send_udp(&p.a, "10.77.0.2:9999", 1, 30);
        let want = hex("podcap-0");
        loop {
            let l = rx
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("packet {i} never reached tshark"));
            if l.starts_with(&want) {
                break;
            }
        }
    }
    cap.signal(libc::SIGINT);
    let (code, err) = cap.wait();
    assert_eq!(code, 0, "{err}");
    let _ = tshark.wait();
}

#[test]
fn sigint_mid_capture_leaves_a_complete_file() {
    let p = Pair::new("sigint");
    for round in 0..6 {
        let f = p.path(&format!("r{round}.pcap"));
        let mut pc = podcap_in(&p, &p.a, &["-i", "va", "-w", &f]);
        pc.wait_stderr("listening on va");
        p.send_udp(&p.a, "10.77.0.2:9999", 200, 100 + round * 50);
        // A second burst races with the signal on purpose.
        let path = p.netns_path(&p.a);
        let bg = std::thread::spawn(move || {
            podcap::netns::enter(&path).unwrap();
            let s = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
            for _ in 0..3000 {
                let _ = s.send_to(&[7u8; 300], "10.77.0.2:9999");
            }
        });
        pc.signal(if round % 2 == 0 {
            libc::SIGINT
        } else {
            libc::SIGTERM
        });
        let (code, err) = pc.wait();
        bg.join().unwrap();
        assert_eq!(code, 0, "{err}");
        let (captured, received, dropped) = stats(&err);
        let rows = tshark_fields(&f, &["frame.len"]);
        assert_eq!(
            rows.len() as u64,
            captured,
            "file and report disagree: {err}"
        );
        assert!(captured >= 200 || dropped > 0, "{err}");
        assert!(received >= captured, "{err}");
    }
}

#[test]
fn without_cap_net_raw_exit_1_names_the_capability() {
    let p = Pair::new("noraw");
    let o = p
        .cmd(
            &p.a,
            "setpriv",
            &[
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--inh-caps=-all",
                podcap(),
                "tcpdump",
                "-i",
                "va",
                "-c",
                "1",
            ],
        )
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("CAP_NET_RAW"), "{err}");
    // Non-root with NET_RAW only in the bounding set: adding the
    // capability cannot help, running as root can (tests/privileges.rs
    // covers the other states).
    assert!(err.contains("runAsUser: 0"), "{err}");
    assert!(!err.contains("capabilities: {add: [\"NET_RAW\"]}"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn capabilities_dropped_once_capturing() {
    let p = Pair::new("caps");
    let mut pc = podcap_in(&p, &p.a, &["-i", "va", "-w", &p.path("c.pcap")]);
    pc.wait_stderr("listening on va");
    let status = std::fs::read_to_string(format!("/proc/{}/status", pc.child.id())).unwrap();
    let eff = status.lines().find(|l| l.starts_with("CapEff:")).unwrap();
    assert!(eff.ends_with("0000000000000000"), "{eff}");
    // Promiscuous by default, as tcpdump.
    let promiscuity = || {
        let o = sh("ip", &["-d", "-n", &p.a, "link", "show", "va"]);
        let s = String::from_utf8_lossy(&o.stdout).into_owned();
        let n = s
            .split("promiscuity ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .map(str::to_string);
        (n.unwrap_or_default(), s)
    };
    let (n, link) = promiscuity();
    assert_eq!(n, "1", "{link}");
    pc.signal(libc::SIGINT);
    assert_eq!(pc.wait().0, 0);
    let (n, link) = promiscuity();
    assert_eq!(n, "0", "{link}");

    let mut pc = podcap_in(&p, &p.a, &["-i", "va", "-p", "-w", &p.path("c.pcap")]);
    pc.wait_stderr("listening on va");
    let (n, link) = promiscuity();
    assert_eq!(n, "0", "-p: {link}");
    pc.signal(libc::SIGINT);
    assert_eq!(pc.wait().0, 0);

    let mut pc = podcap_in(&p, &p.a, &["-i", "va", "-Z", "nobody", "-w", "-"]);
    pc.wait_stderr("listening on va");
    let status = std::fs::read_to_string(format!("/proc/{}/status", pc.child.id())).unwrap();
    let uid = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    assert!(uid.contains("65534"), "{uid}");
    pc.signal(libc::SIGINT);
    assert_eq!(pc.wait().0, 0);
}

#[test]
fn flood_into_a_small_ring_reports_drops() {
    let p = Pair::new("flood");
    let f = p.path("flood.pcap");
    let mut pc = podcap_in(&p, &p.a, &["-i", "va", "-B", "64", "-w", &f]);
    pc.wait_stderr("listening on va");
    // Stopped, the reader cannot keep up at all: the 64 KiB ring must
    // overflow, and the kernel counts what it dropped.
    pc.signal(libc::SIGSTOP);
    p.send_udp(&p.a, "10.77.0.2:9999", 3000, 200);
    pc.signal(libc::SIGCONT);
    pc.signal(libc::SIGINT);
    let (code, err) = pc.wait();
    assert_eq!(code, 0, "{err}");
    let (captured, received, dropped) = stats(&err);
    assert!(dropped > 0, "no drops reported: {err}");
    assert!(received >= captured + dropped, "{err}");
    assert_eq!(tshark_fields(&f, &["frame.len"]).len() as u64, captured);
}

#[test]
fn stripped_vlan_tags_are_put_back() {
    let p = Pair::new("vlan");
    let f1 = p.path("v1.pcap");
    let f2 = p.path("v2.pcap");
    let f3 = p.path("v3.pcap");
    // The receiving side (vb) gets the tag stripped into metadata.
    let mut ours = podcap_in(&p, &p.b, &["-i", "vb", "-c", "5", "-w", &f1]);
    let mut theirs = tcpdump_in(&p, &p.b, &["-i", "vb", "-c", "5", "-w", &f2]);
    let mut any = podcap_in(&p, &p.b, &["-i", "any", "-c", "5", "-w", &f3]);
    ours.wait_stderr("listening on vb");
    theirs.wait_stderr("listening on");
    any.wait_stderr("listening on any");
    p.inject_tagged(5, 100);
    assert_eq!(ours.wait().0, 0);
    assert_eq!(theirs.wait().0, 0);
    assert_eq!(any.wait().0, 0);
    let fields = ["vlan.id", "vlan.etype", "ip.dst", "frame.len", "data.data"];
    let a = tshark_fields(&f1, &fields);
    assert_eq!(a.len(), 5);
    for r in &a {
        assert_eq!(r[0], "100", "{r:?}");
        assert_eq!(r[2], "10.78.0.2", "{r:?}");
    }
    assert_eq!(
        a,
        tshark_fields(&f2, &fields),
        "podcap and tcpdump disagree"
    );
    // The cooked header carries the tag too (SLL protocol 0x8100).
    let c = tshark_fields(&f3, &["sll.etype", "vlan.id", "ip.dst", "data.data"]);
    assert_eq!(c.len(), 5);
    for (r, w) in c.iter().zip(&a) {
        assert_eq!(r[0], "0x8100", "{r:?}");
        assert_eq!(r[1], "100", "{r:?}");
        assert_eq!(r[3], w[4]);
    }
}

#[test]
fn netns_option_by_path_and_pid() {
    let p = Pair::new("netns");
    let holder = Proc::spawn(p.cmd(&p.b, "sleep", &["300"]), Stdio::null());
    let pid = holder.child.id().to_string();
    for spec in [p.netns_path(&p.b), pid.clone()] {
        let f = p.path("ns.pcap");
        let mut pc = Proc::spawn(
            {
                let mut c = std::process::Command::new(podcap());
                c.args(["tcpdump", "--netns", &spec, "-i", "vb", "-c", "4", "-w", &f]);
                c
            },
            Stdio::null(),
        );
        pc.wait_stderr("listening on vb");
        p.send_udp(&p.a, "10.77.0.2:9999", 4, 30);
        let (code, err) = pc.wait();
        assert_eq!(code, 0, "{spec}: {err}");
        let rows = tshark_fields(&f, &["ip.dst"]);
        assert_eq!(rows.len(), 4, "{spec}");
    }
}

#[test]
fn pcapng_with_two_interfaces_names_each() {
    let p = Pair::new("ng");
    let f = p.path("two.pcapng");
    let mut pc = podcap_in(&p, &p.a, &["-i", "va", "-i", "lo", "-c", "6", "-w", &f]);
    pc.wait_stderr("listening on lo");
    p.send_udp(&p.a, "10.77.0.2:9999", 3, 30);
    p.send_udp(&p.a, "127.0.0.1:9", 3, 30);
    let (code, err) = pc.wait();
    assert_eq!(code, 0, "{err}");
    let rows = tshark_fields(
        &f,
        &[
            "frame.interface_name",
            "frame.interface_description",
            "ip.dst",
            "frame.p2p_dir",
        ],
    );
    assert_eq!(rows.len(), 6, "{rows:?}");
    let va = rows.iter().filter(|r| r[0] == "va").count();
    let lo = rows.iter().filter(|r| r[0] == "lo").count();
    assert_eq!((va, lo), (3, 3), "{rows:?}");
    // pcapng epb_flags: va's copies went out, lo's came in.
    for r in &rows {
        // tshark: 0 sent, 1 received.
        assert_eq!(r[3], if r[0] == "va" { "0" } else { "1" }, "{r:?}");
    }
    for r in &rows {
        assert!(r[1].starts_with("netns net:["), "{r:?}");
    }
}

#[test]
fn several_interfaces_into_one_pcap_and_direction_filter() {
    let p = Pair::new("multi");
    let f = p.path("two.pcap");
    let mut pc = podcap_in(
        &p,
        &p.a,
        &["-i", "va", "-i", "lo", "-Q", "in", "-c", "3", "-w", &f],
    );
    pc.wait_stderr("listening on lo");
    // va's packets leave (filtered by -Q in); lo's arrive.
    p.send_udp(&p.a, "10.77.0.2:9999", 3, 30);
    p.send_udp(&p.a, "127.0.0.1:9", 3, 30);
    let (code, err) = pc.wait();
    assert_eq!(code, 0, "{err}");
    let rows = tshark_fields(&f, &["ip.dst"]);
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r[0] == "127.0.0.1"), "{rows:?}");
}

#[test]
fn text_output_counts_packets() {
    let p = Pair::new("text");
    let mut pc = Proc::spawn(
        p.cmd(&p.a, podcap(), &["tcpdump", "-i", "va", "-c", "3"]),
        Stdio::piped(),
    );
    pc.wait_stderr("listening on va");
    p.send_udp(&p.a, "10.77.0.2:9999", 3, 30);
    let out = pc.read_stdout_to_end();
    let (code, err) = pc.wait();
    assert_eq!(code, 0, "{err}");
    assert_eq!(String::from_utf8_lossy(&out).lines().count(), 3);
    assert!(err.contains("verbose output suppressed"), "{err}");
}

/// A filter attached while unmatched traffic floods the interface: not
/// one unmatched packet may be written (the reject-all program is in
/// place before the socket is bound), on a named interface and on `any`.
#[test]
fn filter_never_leaks_while_starting() {
    let p = Pair::new("leak");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let path = p.netns_path(&p.a);
    let s2 = stop.clone();
    let noise = std::thread::spawn(move || {
        podcap::netns::enter(&path).unwrap();
        let s = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
        while !s2.load(std::sync::atomic::Ordering::SeqCst) {
            let _ = s.send_to(&[1u8; 80], "10.77.0.2:9999");
        }
    });
    for (round, iface) in ["va", "any", "va", "any"].iter().enumerate() {
        let f = p.path(&format!("leak{round}.pcap"));
        let mut pc = podcap_in(
            &p,
            &p.a,
            &["-i", iface, "-c", "10", "-w", &f, "udp", "dst", "port", "9"],
        );
        pc.wait_stderr("listening on");
        p.send_udp(&p.a, "10.77.0.2:9", 10, 30);
        let (code, err) = pc.wait();
        assert_eq!(code, 0, "{err}");
        let rows = tshark_fields(&f, &["udp.dstport"]);
        assert_eq!(rows.len(), 10, "{iface}: {rows:?}");
        assert!(rows.iter().all(|r| r[0] == "9"), "{iface} leaked: {rows:?}");
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    noise.join().unwrap();
}

/// The same filter on the same interface at the same time: podcap keeps
/// exactly what tcpdump keeps.
#[test]
fn filtered_capture_matches_tcpdump() {
    let p = Pair::new("filt");
    let f1 = p.path("p.pcap");
    let f2 = p.path("t.pcap");
    let filter = ["udp", "and", "(dst", "port", "9", "or", "len", ">", "200)"];
    let mut a = vec!["-i", "va", "-c", "15", "-w", &f1];
    a.extend_from_slice(&filter);
    let mut b = vec!["-i", "va", "-c", "15", "-w", &f2];
    b.extend_from_slice(&filter);
    let mut ours = podcap_in(&p, &p.a, &a);
    let mut theirs = tcpdump_in(&p, &p.a, &b);
    ours.wait_stderr("listening on va");
    theirs.wait_stderr("listening on");
    p.send_udp(&p.a, "10.77.0.2:9999", 20, 30); // filtered out
    p.send_udp(&p.a, "10.77.0.2:9", 10, 30); // kept
    p.send_udp(&p.a, "10.77.0.2:9999", 5, 400); // kept: long
    assert_eq!(ours.wait().0, 0);
    assert_eq!(theirs.wait().0, 0);
    let fields = ["udp.dstport", "frame.len"];
    let ra = tshark_fields(&f1, &fields);
    assert_eq!(ra.len(), 15);
    assert_eq!(ra, tshark_fields(&f2, &fields));
}

/// On `any`, a filter reading the cooked header's address bytes cannot be
/// rewritten for the kernel; podcap filters those packets in user space.
#[test]
fn cooked_filter_the_kernel_cannot_run_is_applied_in_user_space() {
    let p = Pair::new("user");
    let f = p.path("u.pcap");
    let mut pc = podcap_in(
        &p,
        &p.b,
        &[
            "-i", "any", "-c", "5", "-w", &f, "link[11]", "=", "0x0b", "and", "udp",
        ],
    );
    pc.wait_stderr("listening on any");
    // Into B (source MAC ...0a, rejected), then out of B (...0b, kept).
    p.send_udp(&p.a, "10.77.0.2:9999", 5, 30);
    p.send_udp(&p.b, "10.77.0.1:9", 5, 30);
    let (code, err) = pc.wait();
    assert_eq!(code, 0, "{err}");
    let rows = tshark_fields(&f, &["sll.src.eth", "ip.dst"]);
    assert_eq!(rows.len(), 5);
    for r in &rows {
        assert_eq!(r[0], "02:00:00:00:00:0b", "{rows:?}");
        assert_eq!(r[1], "10.77.0.1");
    }
}

/// Text lines for `-i any` name the interface and direction as tcpdump
/// 4.99 prints them; compared with tcpdump on the same packets at the
/// same time (`-t`: no time stamps).
#[test]
fn any_text_lines_match_tcpdump() {
    let p = Pair::new("anytext");
    let args = ["-i", "any", "-t", "-nn", "-c", "6", "udp"];
    let mut ours = Proc::spawn(
        {
            let mut a = vec!["tcpdump"];
            a.extend_from_slice(&args);
            p.cmd(&p.a, podcap(), &a)
        },
        Stdio::piped(),
    );
    let mut theirs = Proc::spawn(p.cmd(&p.a, "tcpdump", &args), Stdio::piped());
    ours.wait_stderr("listening on any");
    theirs.wait_stderr("listening on");
    p.send_udp(&p.a, "10.77.0.2:9999", 3, 30);
    p.send_udp(&p.a, "127.0.0.1:9", 3, 40);
    let a = String::from_utf8_lossy(&ours.read_stdout_to_end()).into_owned();
    let b = String::from_utf8_lossy(&theirs.read_stdout_to_end()).into_owned();
    assert_eq!(ours.wait().0, 0);
    assert_eq!(theirs.wait().0, 0);
    let mut la: Vec<&str> = a.lines().collect();
    let mut lb: Vec<&str> = b.lines().collect();
    assert_eq!(la.len(), 6, "{a}");
    // Two interfaces hand packets over independently: compare as sets.
    la.sort();
    lb.sort();
    assert_eq!(la, lb, "podcap:\n{a}\ntcpdump:\n{b}");
}

/// An interface without a link header (tun): captured as RAW, as tcpdump
/// does.
#[test]
fn tun_interface_is_captured_as_raw_ip() {
    if !std::path::Path::new("/dev/net/tun").exists() {
        eprintln!("skipping: no /dev/net/tun");
        return;
    }
    let p = Pair::new("tun");
    let path = p.netns_path(&p.a);
    // The tun device lives as long as this descriptor.
    let tun: std::os::fd::OwnedFd = std::thread::spawn(move || {
        use std::os::fd::FromRawFd;
        podcap::netns::enter(&path).unwrap();
        // SAFETY: test-only open + TUNSETIFF with a zeroed ifreq.
        unsafe {
            let fd = libc::open(c"/dev/net/tun".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
            assert!(fd >= 0);
            let mut ifr = [0u8; 40];
            ifr[..4].copy_from_slice(b"tun0");
            let flags: i16 = 0x0001 | 0x1000; // IFF_TUN | IFF_NO_PI
            ifr[16..18].copy_from_slice(&flags.to_ne_bytes());
            const TUNSETIFF: libc::c_ulong = 0x4004_54ca;
            assert_eq!(
                libc::ioctl(fd, TUNSETIFF as _, ifr.as_mut_ptr()),
                0,
                "TUNSETIFF"
            );
            std::os::fd::OwnedFd::from_raw_fd(fd)
        }
    })
    .join()
    .unwrap();
    ok(
        "ip",
        &["-n", &p.a, "addr", "add", "10.88.0.1/24", "dev", "tun0"],
    );
    ok("ip", &["-n", &p.a, "link", "set", "tun0", "up"]);
    let f1 = p.path("tun-podcap.pcap");
    let f2 = p.path("tun-tcpdump.pcap");
    let mut ours = podcap_in(&p, &p.a, &["-i", "tun0", "-c", "3", "-w", &f1]);
    let mut theirs = tcpdump_in(&p, &p.a, &["-i", "tun0", "-c", "3", "-w", &f2]);
    ours.wait_stderr("listening on tun0, link-type RAW (Raw IP)");
    theirs.wait_stderr("listening on");
    p.send_udp(&p.a, "10.88.0.2:9999", 3, 30);
    assert_eq!(ours.wait().0, 0);
    assert_eq!(theirs.wait().0, 0);
    let fields = ["frame.protocols", "ip.dst", "udp.dstport", "frame.len"];
    let a = tshark_fields(&f1, &fields);
    assert_eq!(a.len(), 3);
    assert!(a[0][0].starts_with("raw:ip:udp"), "{a:?}");
    assert_eq!(a, tshark_fields(&f2, &fields));
    drop(tun);
}
