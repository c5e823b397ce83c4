//! Long captures and their faults, on a real kernel: a full disk (a 1 MiB
//! tmpfs), a reader that stops reading, a hang-up mid-capture, SIGKILL
//! with `-U`, an interface deleted while capturing on two, `-B 32` with
//! 9000-byte frames, file rotation by size, by time and both, the capture path
//! without a ring. Every test checks what an operator checks: the files
//! read clean in tshark and hold exactly the packets the statistics
//! count, the statistics are printed, and the exit status says how the
//! capture ended. No timed assertions: counts, and generous limits
//! against hangs only.

mod capture_util;

use capture_util::*;
use std::process::Stdio;

fn podcap_in(p: &Pair, ns: &str, args: &[&str]) -> Proc {
    let mut a = vec!["tcpdump"];
    a.extend_from_slice(args);
    Proc::spawn(p.cmd(ns, podcap(), &a), Stdio::null())
}

/// tshark's packet count for `file`, which must read clean.
fn packets_in(file: &str) -> u64 {
    tshark_fields(file, &["frame.number"]).len() as u64
}

/// The files in `dir` whose names start with `prefix`, sorted.
fn files(dir: &std::path::Path, prefix: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect();
    v.sort();
    v
}

/// A tmpfs of `size` mounted in the pair's directory, unmounted on drop.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn new(p: &Pair, size: &str) -> Tmpfs {
        let d = p.dir.join("full");
        std::fs::create_dir_all(&d).unwrap();
        ok(
            "mount",
            &[
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size}"),
                "tmpfs",
                &d.display().to_string(),
            ],
        );
        Tmpfs(d)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = sh("umount", &[&self.0.display().to_string()]);
    }
}

#[test]
fn full_disk_keeps_whole_records_prints_statistics_and_exits_1() {
    let p = Pair::new("enospc");
    let fs = Tmpfs::new(&p, "1m");
    let f = fs.0.join("x.pcap").display().to_string();
    let mut pc = podcap_in(&p, &p.a, &["-i", "va", "-w", &f]);
    pc.wait_stderr("listening on va");
    // 3,000 records of 1,442 bytes: four times what the disk holds.
    for _ in 0..30 {
        if pc.child.try_wait().unwrap().is_some() {
            break;
        }
        p.send_udp(&p.a, "10.77.0.2:9999", 100, 1400);
    }
    let (code, err) = pc.wait();
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    let (captured, received, dropped) = stats(&err);
    assert_eq!(packets_in(&f), captured, "{err}");
    assert!(captured > 0 && received >= captured + dropped, "{err}");
    assert!(
        err.contains("not delivered (writing the output failed)"),
        "{err}"
    );
    // The file ends exactly after its last whole record.
    let len = std::fs::metadata(&f).unwrap().len();
    assert_eq!(len, 24 + captured * (16 + 14 + 20 + 8 + 1400), "{err}");
}

#[test]
fn stop_while_the_reader_stalls_ends_and_counts_what_was_not_delivered() {
    let p = Pair::new("stall");
    for text in [false, true] {
        let args: &[&str] = if text {
            &["tcpdump", "-i", "va", "-nn"]
        } else {
            &["tcpdump", "-i", "va", "-w", "-"]
        };
        // stdout is a pipe nobody reads: the first 64 KiB fill it, then
        // every write blocks.
        let mut pc = Proc::spawn(p.cmd(&p.a, podcap(), args), Stdio::piped());
        pc.wait_stderr("listening on va");
        p.send_udp(&p.a, "10.77.0.2:9999", 3000, 400);
        pc.signal(libc::SIGINT);
        let (code, err) = pc.wait();
        assert_eq!(code, 0, "{err}");
        let (captured, received, dropped) = stats(&err);
        assert!(
            err.contains("not delivered (the reader of the output stopped reading)"),
            "{err}"
        );
        let line = err.lines().find(|l| l.contains("not delivered")).unwrap();
        let nd: u64 = line.split(' ').next().unwrap().parse().unwrap();
        assert!(captured + dropped + nd <= received, "{err}");
        assert!(captured < 3000, "{err}");
    }
}

#[test]
fn reader_exiting_prints_statistics_and_exits_0() {
    let p = Pair::new("gone");
    let mut pc = Proc::spawn(
        p.cmd(&p.a, podcap(), &["tcpdump", "-i", "va", "-U", "-w", "-"]),
        Stdio::piped(),
    );
    pc.wait_stderr("listening on va");
    drop(pc.child.stdout.take());
    for _ in 0..600 {
        if pc.child.try_wait().unwrap().is_some() {
            break;
        }
        p.send_udp(&p.a, "10.77.0.2:9999", 20, 60);
    }
    let (code, err) = pc.wait();
    assert_eq!(code, 0, "{err}");
    let (captured, received, dropped) = stats(&err);
    assert!(received >= captured + dropped, "{err}");
}

#[test]
fn hang_up_mid_capture_writes_everything_captured() {
    let p = Pair::new("hup");
    let f = p.path("h.pcap");
    let mut pc = podcap_in(&p, &p.a, &["-i", "va", "-w", &f]);
    pc.wait_stderr("listening on va");
    p.send_udp(&p.a, "10.77.0.2:9999", 1000, 300);
    pc.signal(libc::SIGHUP);
    let (code, err) = pc.wait();
    assert_eq!(code, 0, "{err}");
    let (captured, received, dropped) = stats(&err);
    assert_eq!(packets_in(&f), captured, "{err}");
    assert_eq!(captured + dropped, received, "{err}");
    assert_eq!(received, 1000, "{err}");
}

#[test]
fn killed_mid_capture_with_u_leaves_only_whole_records() {
    // SIGKILL cannot be caught: what is on disk is what the writes put
    // there. Each writev holds whole records, so wherever the kill lands
    // (during the flood or after it) the file ends on a record boundary.
    let p = Pair::new("kill");
    let f = p.path("k.pcap");
    let mut pc = podcap_in(&p, &p.a, &["-U", "-i", "va", "-w", &f]);
    pc.wait_stderr("listening on va");
    p.send_udp(&p.a, "10.77.0.2:9999", 1000, 1400);
    pc.signal(libc::SIGKILL);
    p.send_udp(&p.a, "10.77.0.2:9999", 200, 1400);
    let (code, _) = pc.wait();
    assert_eq!(code, -1, "killed, no exit status");
    let lens = tshark_fields(&f, &["frame.cap_len"]);
    let records: u64 = lens
        .iter()
        .map(|l| 16 + l[0].parse::<u64>().expect("cap_len"))
        .sum();
    let size = std::fs::metadata(&f).expect("the file").len();
    assert_eq!(size, 24 + records, "{} records", lens.len());
}

#[test]
fn usr1_prints_the_statistics_so_far() {
    let p = Pair::new("usr1");
    let f = p.path("u.pcap");
    let mut pc = podcap_in(&p, &p.a, &["-i", "va", "-w", &f]);
    pc.wait_stderr("listening on va");
    p.send_udp(&p.a, "10.77.0.2:9999", 10, 50);
    pc.signal(libc::SIGUSR1);
    pc.wait_stderr("packets received by filter, 0 packets dropped by kernel");
    pc.signal(libc::SIGINT);
    let (code, err) = pc.wait();
    assert_eq!(code, 0, "{err}");
    let line = err.lines().find(|l| l.contains("captured, ")).unwrap();
    assert!(
        line.starts_with("podcap: ") && line.contains(" packets captured, "),
        "{line}"
    );
    assert_eq!(packets_in(&f), stats(&err).0);
}

#[test]
fn one_interface_deleted_among_two_the_other_goes_on() {
    let p = Pair::new("del");
    ok(
        "ip",
        &[
            "-n", &p.a, "link", "add", "vc", "type", "veth", "peer", "vd",
        ],
    );
    ok("ip", &["-n", &p.a, "link", "set", "vc", "up"]);
    ok("ip", &["-n", &p.a, "link", "set", "vd", "up"]);
    let f = p.path("two.pcapng");
    let mut pc = podcap_in(&p, &p.a, &["-i", "va", "-i", "vc", "-w", &f, "udp"]);
    pc.wait_stderr("listening on vc");
    p.send_udp(&p.a, "10.77.0.2:9999", 50, 60);
    ok("ip", &["-n", &p.a, "link", "del", "vc"]);
    pc.wait_stderr("vc: the interface disappeared");
    p.send_udp(&p.a, "10.77.0.2:9999", 50, 60);
    pc.signal(libc::SIGTERM);
    let (code, err) = pc.wait();
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("still capturing on the others"), "{err}");
    let (captured, _, dropped) = stats(&err);
    assert_eq!(captured + dropped, 100, "{err}");
    let rows = tshark_fields(&f, &["frame.interface_name"]);
    assert_eq!(rows.len() as u64, captured);
    assert!(rows.iter().all(|r| r[0] == "va"), "{rows:?}");

    // The last one going ends the capture: statistics, exit 1 as tcpdump.
    ok(
        "ip",
        &[
            "-n", &p.a, "link", "add", "vx", "type", "veth", "peer", "vy",
        ],
    );
    ok("ip", &["-n", &p.a, "link", "set", "vx", "up"]);
    let f = p.path("one.pcap");
    let mut pc = podcap_in(&p, &p.a, &["-i", "vx", "-w", &f]);
    pc.wait_stderr("listening on vx");
    ok("ip", &["-n", &p.a, "link", "del", "vx"]);
    let (code, err) = pc.wait();
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("The interface disappeared"), "{err}");
    assert_eq!(packets_in(&f), stats(&err).0, "{err}");
}

#[test]
fn small_buffer_with_jumbo_frames_cuts_nothing() {
    let p = Pair::new("jumbo");
    for (ns, dev) in [(&p.a, "va"), (&p.b, "vb")] {
        ok("ip", &["-n", ns, "link", "set", dev, "mtu", "9000"]);
    }
    let f = p.path("j.pcap");
    let mut pc = podcap_in(
        &p,
        &p.a,
        &["-i", "va", "-B", "32", "-c", "200", "-w", &f, "udp"],
    );
    pc.wait_stderr("listening on va");
    let (code, err) = loop {
        p.send_udp(&p.a, "10.77.0.2:9999", 20, 8900);
        if pc.child.try_wait().unwrap().is_some() {
            break pc.wait();
        }
    };
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("-B 32 raised to"), "{err}");
    assert!(!err.contains("by the capture ring"), "{err}");
    let rows = tshark_fields(&f, &["frame.len", "frame.cap_len"]);
    assert_eq!(rows.len() as u64, stats(&err).0);
    for r in &rows {
        assert_eq!(r[0], "8942", "{r:?}");
        assert_eq!(r[0], r[1], "a frame was cut: {r:?}");
    }
}

/// Sends `n` datagrams of 1400 bytes until podcap has them all (or ends).
fn flood(p: &Pair, n: usize) {
    for _ in 0..n / 100 {
        p.send_udp(&p.a, "10.77.0.2:9999", 100, 1400);
    }
}

#[test]
fn rotation_by_size_names_and_fills_files_as_tcpdump() {
    let p = Pair::new("rotc");
    // -C 1: f.pcap, f.pcap1, f.pcap2, each closed once past 1,000,000 bytes.
    let base = p.path("f.pcap");
    let mut pc = podcap_in(&p, &p.a, &["-i", "va", "-C", "1", "-w", &base, "udp"]);
    pc.wait_stderr("listening on va");
    flood(&p, 2500);
    pc.signal(libc::SIGINT);
    let (code, err) = pc.wait();
    assert_eq!(code, 0, "{err}");
    let names = files(&p.dir, "f.pcap");
    assert_eq!(names, ["f.pcap", "f.pcap1", "f.pcap2", "f.pcap3"], "{err}");
    let mut total = 0;
    for (i, n) in names.iter().enumerate() {
        let path = p.path(n);
        total += packets_in(&path);
        let len = std::fs::metadata(&path).unwrap().len();
        let record = 16 + 14 + 20 + 8 + 1400;
        if i + 1 < names.len() {
            // Closed at the first record that took it past the size.
            assert!(len > 1_000_000 && len <= 1_000_000 + record, "{n}: {len}");
        }
    }
    assert_eq!(total, stats(&err).0, "{err}");

    // -C 1 -W 2: a ring f0, f1 overwritten in turn; each file whole.
    let base = p.path("w.pcap");
    let mut pc = podcap_in(
        &p,
        &p.a,
        &["-i", "va", "-C", "1", "-W", "2", "-w", &base, "udp"],
    );
    pc.wait_stderr("listening on va");
    flood(&p, 4000);
    pc.signal(libc::SIGINT);
    let (code, err) = pc.wait();
    assert_eq!(code, 0, "{err}");
    assert_eq!(files(&p.dir, "w.pcap"), ["w.pcap0", "w.pcap1"], "{err}");
    let kept: u64 = ["w.pcap0", "w.pcap1"]
        .iter()
        .map(|n| packets_in(&p.path(n)))
        .sum();
    assert!(kept < stats(&err).0, "the ring wrapped: {err}");
}

#[test]
fn rotation_by_time_with_a_file_limit_ends_by_itself() {
    let p = Pair::new("rotg");
    let base = p.path("g-%Y%m%d-%H%M%S.pcapng");
    let mut pc = podcap_in(
        &p,
        &p.a,
        &["-i", "va", "-G", "1", "-W", "2", "-w", &base, "udp"],
    );
    pc.wait_stderr("listening on va");
    // Packets keep coming until the second file is done.
    while pc.child.try_wait().unwrap().is_none() {
        p.send_udp(&p.a, "10.77.0.2:9999", 5, 100);
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let (code, err) = pc.wait();
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Maximum file limit reached: 2"), "{err}");
    let names = files(&p.dir, "g-");
    assert_eq!(names.len(), 2, "{names:?}");
    let total: u64 = names.iter().map(|n| packets_in(&p.path(n))).sum();
    assert_eq!(total, stats(&err).0, "{err}");
    for n in &names {
        // g-YYYYmmdd-HHMMSS.pcapng, and each file has its own interface.
        assert_eq!(n.len(), "g-20240101-000000.pcapng".len(), "{n}");
        let rows = tshark_fields(&p.path(n), &["frame.interface_name"]);
        assert!(rows.iter().all(|r| r[0] == "va"), "{n}: {rows:?}");
    }
}

#[test]
fn rotation_by_time_and_size() {
    let p = Pair::new("rotgc");
    let base = p.path("b-%s.pcap");
    let mut pc = podcap_in(
        &p,
        &p.a,
        &["-i", "va", "-G", "2", "-C", "1", "-w", &base, "udp"],
    );
    pc.wait_stderr("listening on va");
    flood(&p, 2500);
    pc.signal(libc::SIGINT);
    let (code, err) = pc.wait();
    assert_eq!(code, 0, "{err}");
    let names = files(&p.dir, "b-");
    // Within a period: b-T.pcap, b-T.pcap1, ...
    assert!(names.len() >= 3, "{names:?}");
    assert!(names.iter().any(|n| n.ends_with(".pcap1")), "{names:?}");
    let total: u64 = names.iter().map(|n| packets_in(&p.path(n))).sum();
    assert_eq!(total, stats(&err).0, "{err}");
}

#[test]
fn rotated_files_after_dropping_to_another_user() {
    let p = Pair::new("rotz");
    let d = p.dir.join("nobody");
    std::fs::create_dir_all(&d).unwrap();
    ok("chown", &["nobody", &d.display().to_string()]);
    let base = d.join("z.pcap").display().to_string();
    let mut pc = podcap_in(
        &p,
        &p.a,
        &["-i", "va", "-Z", "nobody", "-C", "1", "-w", &base],
    );
    pc.wait_stderr("listening on va");
    flood(&p, 1000);
    pc.signal(libc::SIGINT);
    let (code, err) = pc.wait();
    assert_eq!(code, 0, "{err}");
    let names = files(&d, "z.pcap");
    assert_eq!(names, ["z.pcap", "z.pcap1"], "{err}");
    let total: u64 = names
        .iter()
        .map(|n| packets_in(&d.join(n).display().to_string()))
        .sum();
    assert_eq!(total, stats(&err).0);
    // A directory the user cannot write to is refused before capturing.
    let o = p
        .cmd(
            &p.a,
            podcap(),
            &[
                "tcpdump",
                "-i",
                "va",
                "-Z",
                "nobody",
                "-C",
                "1",
                "-w",
                &p.path("r.pcap"),
            ],
        )
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("after privileges are dropped"), "{err}");
}

#[test]
fn without_a_ring_the_capture_is_the_same() {
    let p = Pair::new("noring");
    for iface in ["vb", "any"] {
        let (f1, f2) = (
            p.path(&format!("ring-{iface}.pcap")),
            p.path(&format!("mmsg-{iface}.pcap")),
        );
        let args = |f: &str| {
            vec![
                "tcpdump".to_string(),
                "-i".into(),
                iface.into(),
                "-c".into(),
                "40".into(),
                "-w".into(),
                f.to_string(),
                "udp port 9999".into(),
            ]
        };
        let a1 = args(&f1);
        let a1: Vec<&str> = a1.iter().map(String::as_str).collect();
        let mut ring = Proc::spawn(p.cmd(&p.b, podcap(), &a1), Stdio::null());
        let a2 = args(&f2);
        let a2: Vec<&str> = a2.iter().map(String::as_str).collect();
        let mut c = p.cmd(&p.b, podcap(), &a2);
        c.env("PODCAP_NO_RING", "1");
        let mut mmsg = Proc::spawn(c, Stdio::null());
        ring.wait_stderr("listening on");
        mmsg.wait_stderr("listening on");
        p.send_udp(&p.a, "10.77.0.2:9999", 20, 300);
        // Tags the kernel strips on the way in come back in both.
        p.inject_tagged(20, 42);
        let (c1, e1) = ring.wait();
        let (c2, e2) = mmsg.wait();
        assert_eq!((c1, c2), (0, 0), "{e1}\n{e2}");
        assert!(e2.contains("without a packet ring (recvmmsg)"), "{e2}");
        assert_eq!(stats(&e1).0, 40);
        assert_eq!(stats(&e2), stats(&e1), "{e1}\n{e2}");
        let fields = [
            "frame.len",
            "frame.cap_len",
            "frame.protocols",
            "vlan.id",
            "sll.pkttype",
            "udp.srcport",
            "data.data",
        ];
        assert_eq!(
            tshark_fields(&f2, &fields),
            tshark_fields(&f1, &fields),
            "{iface}"
        );
    }
}

#[test]
fn count_reads_a_file_and_prints_only_the_number() {
    let p = Pair::new("count");
    let f = p.path("c.pcap");
    let mut pc = podcap_in(&p, &p.a, &["-i", "va", "-c", "6", "-w", &f]);
    pc.wait_stderr("listening on va");
    p.send_udp(&p.a, "10.77.0.2:9999", 6, 30);
    assert_eq!(pc.wait().0, 0);
    for (filter, want) in [
        ("", "6 packets\n"),
        ("udp[8] = 0x70", "6 packets\n"),
        ("tcp", "0 packets\n"),
    ] {
        let mut args = vec!["tcpdump", "--count", "-r", &f];
        if !filter.is_empty() {
            args.push(filter);
        }
        let ours = std::process::Command::new(podcap())
            .args(&args)
            .output()
            .unwrap();
        let theirs = std::process::Command::new("tcpdump")
            .args(&args[1..])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&ours.stdout), want);
        assert_eq!(ours.stdout, theirs.stdout, "{filter}");
    }
    let o = std::process::Command::new(podcap())
        .args(["tcpdump", "--count=5", "-r", &f])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
}
