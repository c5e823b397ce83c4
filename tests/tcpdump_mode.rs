//! tcpdump-compatible mode: the command line, `-D`/`-L`, reading files
//! (`-r`, including libpcap's malformed savefiles), rewriting them, and
//! messages for what podcap does not support.

mod capture_util;
mod kit;

use capture_util::*;
use std::io::Write;
use std::process::{Command, Stdio};

/// libpcap's savefiles (`../shared/conformance/libpcap-savefiles`).
fn savefiles() -> Option<std::path::PathBuf> {
    kit::conformance::path("libpcap-savefiles")
}

/// libpcap's savefiles that libpcap itself refuses.
const MALFORMED: [&str; 6] = [
    "pcap-invalid-version-1.pcap",
    "pcap-invalid-version-2.pcap",
    "pcapng-invalid-vers-1.pcapng",
    "pcapng-invalid-vers-2.pcapng",
    "shb-option-too-long.pcapng",
    "linktype-reserved-field-not-zero.pcap",
];

/// The reader itself refuses them as malformed, and reads a good one.
#[test]
fn reader_rejects_libpcap_malformed_savefiles() {
    use podcap::pcap::reader::read_all;
    let Some(dir) = savefiles() else { return };
    for f in MALFORMED {
        let bytes = std::fs::read(dir.join(f)).unwrap();
        let e = read_all(&bytes).expect_err(f);
        assert_eq!(e.kind, podcap::error::Kind::Format, "{f}: {e}");
    }
    // And a good one reads.
    let ok = std::fs::read(dir.join("vxlan.pcap")).unwrap();
    assert!(!read_all(&ok).unwrap().is_empty());
}

fn run(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(podcap())
        .arg("tcpdump")
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn malformed_savefiles_are_rejected_cleanly() {
    let Some(d) = savefiles() else { return };
    for f in MALFORMED {
        let path = d.join(f).display().to_string();
        let (code, out, err) = run(&["-r", &path]);
        assert_eq!(code, 1, "{f}: {err}");
        assert!(out.is_empty(), "{f}: {out}");
        assert!(
            err.starts_with(&format!("podcap: read {path}: ")),
            "{f}: {err}"
        );
        assert!(err.contains("hint:"), "{f}: {err}");
        assert!(!err.contains("panicked"), "{f}: {err}");
    }
    // Truncated and empty files, and a directory.
    let scratch = kit::TempDir::new("trunc");
    let tmp = scratch.path().join("cut.pcap");
    let good = std::fs::read(d.join("vxlan.pcap")).unwrap();
    for cut in [0usize, 10, 24 + 8, good.len() - 3] {
        std::fs::write(&tmp, &good[..cut]).unwrap();
        let (code, _, err) = run(&["-r", tmp.to_str().unwrap()]);
        assert_eq!(code, 1, "cut {cut}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let (code, _, err) = run(&["-r", "/nonexistent/x.pcap"]);
    assert_eq!(code, 1);
    assert!(err.contains("/nonexistent/x.pcap"), "{err}");
}

#[test]
fn read_counts_and_rewrites_like_tcpdump() {
    let Some(d) = savefiles() else { return };
    let scratch = kit::TempDir::new("rw");
    let dir = scratch.path();
    for f in [
        "vxlan.pcap",
        "geneve.pcap",
        "loopback.pcap",
        "rarp_req_reply.pcapng",
    ] {
        let src = d.join(f).display().to_string();
        let want = tshark_fields(&src, &["frame.len", "frame.cap_len", "frame.time_epoch"]);
        // -r ... -w pcap, and -w pcapng.
        for (name, extra) in [
            ("out.pcap", None),
            ("out.pcapng", None),
            ("forced", Some("--pcapng")),
        ] {
            let out = dir.join(name).display().to_string();
            let mut args = vec!["-r", &src, "-w", &out];
            if let Some(e) = extra {
                args.push(e);
            }
            let (code, _, err) = run(&args);
            assert_eq!(code, 0, "{f} -> {name}: {err}");
            assert!(
                err.starts_with(&format!("reading from file {src}, link-type ")),
                "{err}"
            );
            let got = tshark_fields(&out, &["frame.len", "frame.cap_len", "frame.time_epoch"]);
            assert_eq!(got, want, "{f} -> {name}");
        }
        // Text mode prints one time-stamped line per packet (encapsulated
        // frames add lines of their own); -c stops early.
        let stamped = |out: &str| {
            out.lines()
                .filter(|l| l.len() > 9 && l.as_bytes()[2] == b':' && l.as_bytes()[5] == b':')
                .count()
        };
        let (code, out, err) = run(&["-r", &src]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(stamped(&out), want.len(), "{f}: {out}");
        let (_, out, _) = run(&["-r", &src, "-c", "2"]);
        assert_eq!(stamped(&out), 2.min(want.len()));
    }
    // -r - reads standard input.
    let src = std::fs::read(d.join("vxlan.pcap")).unwrap();
    let mut c = Command::new(podcap())
        .args(["tcpdump", "-r", "-", "-w", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(&src).unwrap();
    let o = c.wait_with_output().unwrap();
    assert!(o.status.success());
    let back = dir.join("stdin.pcap");
    std::fs::write(&back, &o.stdout).unwrap();
    assert_eq!(
        tshark_fields(back.to_str().unwrap(), &["frame.len"]),
        tshark_fields(d.join("vxlan.pcap").to_str().unwrap(), &["frame.len"])
    );
}

#[test]
fn nanosecond_precision_is_kept() {
    let p = Pair::new("nano");
    let f = p.path("n.pcap");
    let mut pc = Proc::spawn(
        p.cmd(
            &p.a,
            podcap(),
            &[
                "tcpdump",
                "-i",
                "va",
                "--time-stamp-precision=nano",
                "-c",
                "3",
                "-w",
                &f,
            ],
        ),
        Stdio::null(),
    );
    pc.wait_stderr("listening on va");
    p.send_udp(&p.a, "10.77.0.2:9999", 3, 30);
    assert_eq!(pc.wait().0, 0);
    let bytes = std::fs::read(&f).unwrap();
    assert_eq!(&bytes[..4], &0xa1b2_3c4du32.to_ne_bytes());
    let rows = tshark_fields(&f, &["frame.time_epoch"]);
    assert_eq!(rows.len(), 3);
    // tshark prints nine decimals for a nanosecond file.
    assert_eq!(
        rows[0][0].split('.').nth(1).map(str::len),
        Some(9),
        "{rows:?}"
    );
}

#[test]
fn list_interfaces_and_link_types() {
    let p = Pair::new("list");
    let o = p.cmd(&p.a, podcap(), &["tcpdump", "-D"]).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        out.contains(".any (Pseudo-device that captures on all interfaces) [Up, Running]"),
        "{out}"
    );
    assert!(out.contains(".lo [Up, Running, Loopback]"), "{out}");
    let peer = ifindex(&p.b, "vb");
    assert!(
        out.contains(&format!(
            ".va (veth, peer ifindex {peer}) [Up, Running, Connected]"
        )),
        "{out}"
    );
    // Lines are numbered 1.., as tcpdump's.
    for (i, l) in out.lines().enumerate() {
        assert!(l.starts_with(&format!("{}.", i + 1)), "{out}");
    }
    // tcpdump sees the same interfaces (it may list more pseudo-devices).
    let t = p.cmd(&p.a, "tcpdump", &["-D"]).output().unwrap();
    let theirs = String::from_utf8_lossy(&t.stdout);
    let names = |s: &str| -> Vec<String> {
        s.lines()
            .filter_map(|l| l.split_once('.').map(|x| x.1))
            .map(|r| r.split([' ', '\t']).next().unwrap_or("").to_string())
            .collect()
    };
    for n in names(&out) {
        assert!(
            names(&theirs).contains(&n),
            "{n} not in tcpdump -D:\n{theirs}"
        );
    }
    // From outside, with --netns.
    let (code, out2, err) = run(&["--netns", &p.netns_path(&p.a), "-D"]);
    assert_eq!(code, 0, "{err}");
    assert!(out2.contains(".va"), "{out2}");

    let o = p
        .cmd(&p.a, podcap(), &["tcpdump", "-L", "-i", "va"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with("Data link types for va (use option -y to set):\n  EN10MB (Ethernet)\n"),
        "{out}"
    );
    assert!(out.contains("  LINUX_SLL2 (Linux cooked v2)"), "{out}");
}

#[test]
fn unsupported_and_bad_options_say_which() {
    for (args, needle) in [
        (&["-G", "0", "-w", "f"][..], "-G 0"),
        (&["-W", "0"][..], "-W 0"),
        (&["-C", "1k"][..], "-C 1k"),
        // Rotation needs a file to rotate.
        (&["-C", "1", "-i", "lo"][..], "-C and -G rotate files"),
        (&["--count=5"][..], "--count"),
        (&["-I"][..], "-I"),
        (&["-Q", "sideways"][..], "-Q sideways"),
        (&["-y", "IEEE802_11"][..], "IEEE802_11"),
        (&["--frobnicate"][..], "--frobnicate"),
        (&["-c"][..], "-c requires an argument"),
    ] {
        let (code, _, err) = run(args);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(err.starts_with("podcap: "), "{err}");
    }
    let (code, _, err) = run(&["-i", "no-such-if0", "-c", "1"]);
    assert_eq!(code, 1);
    assert!(err.contains("interface no-such-if0"), "{err}");
    assert!(err.contains("-D"), "{err}");
}

#[test]
fn called_as_tcpdump_and_filter_file() {
    let p = Pair::new("argv0");
    let exe = p.path("tcpdump-static");
    std::os::unix::fs::symlink(podcap(), &exe).unwrap();
    let o = Command::new(&exe).arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("tcpdump-compatible"));
    // -F: comments and newlines are ignored; an all-comment file is the
    // empty filter.
    let ff = p.path("filter");
    std::fs::write(&ff, "# nothing but a comment\n\n").unwrap();
    let f = p.path("f.pcap");
    let mut pc = Proc::spawn(
        p.cmd(&p.a, &exe, &["-F", &ff, "-i", "va", "-c2", "-w", &f]),
        Stdio::null(),
    );
    pc.wait_stderr("tcpdump-static: listening on va");
    p.send_udp(&p.a, "10.77.0.2:9999", 2, 30);
    let (code, err) = pc.wait();
    assert_eq!(code, 0, "{err}");
    assert_eq!(tshark_fields(&f, &["ip.dst"]).len(), 2);
}

#[test]
fn dump_program_like_tcpdump() {
    let Some(d) = savefiles() else { return };
    let src = d.join("vxlan.pcap").display().to_string();
    for flag in ["-d", "-dd", "-ddd"] {
        let (code, out, err) = run(&[flag, "-r", &src, "udp"]);
        assert_eq!(code, 0, "{err}");
        let t = Command::new("tcpdump")
            .args([flag, "-r", &src, "udp"])
            .output()
            .unwrap();
        assert_eq!(out, String::from_utf8_lossy(&t.stdout), "{flag}");
    }
    let (code, _, err) = run(&["-d", "-r", &src, "udp", "port", "99999"]);
    assert_eq!(code, 1);
    assert!(err.contains("99999"), "{err}");
}

/// `-nn -r` prints what tcpdump prints, stdout and stderr alike.
#[test]
fn read_text_matches_tcpdump() {
    let Some(d) = savefiles() else { return };
    for f in ["vxlan.pcap", "geneve.pcap"] {
        let src = d.join(f).display().to_string();
        let (code, out, err) = run(&["-nn", "-r", &src]);
        assert_eq!(code, 0, "{err}");
        let t = Command::new("tcpdump")
            .args(["-nn", "-r", &src])
            .output()
            .unwrap();
        assert_eq!(out, String::from_utf8_lossy(&t.stdout), "{f}");
        assert_eq!(err, String::from_utf8_lossy(&t.stderr), "{f}");
    }
}

/// `--print` prints while writing; `-#` numbers the lines as tcpdump does.
#[test]
fn print_while_writing_and_numbered() {
    let Some(d) = savefiles() else { return };
    let src = d.join("geneve.pcap").display().to_string();
    let scratch = kit::TempDir::new("print");
    let out = scratch.path().join("out.pcap");
    let out_s = out.display().to_string();
    let (code, text, err) = run(&["-nn", "-#", "--print", "-c", "3", "-r", &src, "-w", &out_s]);
    assert_eq!(code, 0, "{err}");
    let t = Command::new("tcpdump")
        .args(["-nn", "-#", "-c", "3", "-r", &src])
        .output()
        .unwrap();
    assert_eq!(text, String::from_utf8_lossy(&t.stdout));
    assert!(text.starts_with("    1  "), "{text}");
    assert_eq!(tshark_fields(&out_s, &["frame.len"]).len(), 3);
}

/// tcpdump mode exits as tcpdump 4.99 does: 0 for help, version and
/// listings, 1 for every failure (a bad option, a bad filter, a missing
/// interface or file, no permission); `podcap capture`, which takes
/// tcpdump's options, too. podcap's own commands say which kind of
/// failure it was (man podcap, EXIT STATUS).
#[test]
fn exit_statuses() {
    let code = |prog: &str, args: &[&str]| {
        Command::new(prog)
            .args(args)
            .output()
            .unwrap()
            .status
            .code()
    };
    for args in [
        &["-h"][..],
        &["--version"],
        &["-k"],
        &["--frobnicate"],
        &["-c"],
        &["-c", "0"],
        &["-Q", "sideways"],
        &["-y", "FOO", "-d"],
        &["-d", "tcp", "port", "99999"],
        &["-r", "/nonexistent/x.pcap"],
        &["-i", "no-such-if0", "-c", "1"],
        &["-D"],
        &["-d", "-i", "lo"],
    ] {
        let theirs = code("tcpdump", args);
        assert!(
            matches!(theirs, Some(0 | 1)),
            "tcpdump {args:?}: {theirs:?}"
        );
        assert_eq!(run(args).0, theirs.unwrap(), "{args:?}");
    }
    // Without CAP_NET_RAW, both say so and exit 1.
    let unprivileged = |prog: &str, args: &[&str]| {
        let mut a = vec![
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            prog,
        ];
        a.extend_from_slice(args);
        code("setpriv", &a)
    };
    assert_eq!(unprivileged("tcpdump", &["-i", "lo", "-c", "1"]), Some(1));
    assert_eq!(
        unprivileged(podcap(), &["tcpdump", "-i", "lo", "-c", "1"]),
        Some(1)
    );
    // Refused options are failures like any other.
    assert_eq!(run(&["-E", "x"]).0, 1);
    for (args, want) in [
        (&["capture", "-h"][..], 0),
        (&["capture", "icmp"], 1),
        (&["capture", "10.99.0.7", "-k"], 1),
        (&["capture", "10.99.0.7", "-r", "x.pcap"], 1),
        // podcap's own: 1 not found, 2 usage (or filter), 3 unsupported,
        // 4 permission, 5 OS error, 6 malformed input.
        (&["frobnicate"], 2),
        (&["locate"], 2),
        // A word that is no IP is a pod name: none by that name here.
        (&["locate", "pod-x"], 1),
        (&["compile", "tcp", "port", "99999"], 2),
        (&["compile", "-dd", "ip"], 0),
        (&["brctl", "showmacs", "lo"], 1),
        (&["brctl", "showmacs", "no-such-br0"], 1),
        (&["route", "frob", "1.2.3.4"], 2),
    ] {
        assert_eq!(code(podcap(), args), Some(want), "podcap {args:?}");
    }
}
