//! `podcap merge` against Debian's mergecap on the same inputs: the
//! tcpdump suite's captures (pcap and pcapng, every link type, nanosecond
//! files), and files with several interfaces, several sections, packet
//! comments and direction flags. tshark reads both outputs; every packet's
//! time, lengths, link type, interface name and description, comment,
//! direction and bytes must agree.

mod common;
mod kit;

use common::text;

use podcap::linktype::LinkType;
use podcap::pcap::writer::{NgInterface, PcapNgWriter, Precision, Record};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const PODCAP: &str = env!("CARGO_BIN_EXE_podcap");

fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("-h")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !ok {
        kit::skip(&format!(
            "{tool} is not installed (scripts/setup installs it)"
        ));
    }
    ok
}

fn run(c: &mut Command) -> Output {
    c.output()
        .unwrap_or_else(|e| panic!("cannot run {c:?}: {e}"))
}

/// What tshark says of every packet, and the bytes (`-x`).
fn tshark_view(file: &Path) -> (String, String) {
    let fields = run(Command::new("tshark").arg("-r").arg(file).args([
        "-T",
        "fields",
        "-e",
        "frame.time_epoch",
        "-e",
        "frame.len",
        "-e",
        "frame.cap_len",
        "-e",
        "frame.encap_type",
        "-e",
        "frame.interface_name",
        "-e",
        "frame.interface_description",
        "-e",
        "frame.comment",
        "-e",
        "frame.packet_flags_direction",
    ]));
    assert!(
        fields.status.success(),
        "tshark -r {}: {}",
        file.display(),
        text(&fields)
    );
    let hex = run(Command::new("tshark").arg("-r").arg(file).arg("-x"));
    assert!(hex.status.success(), "{}", text(&hex));
    (
        String::from_utf8_lossy(&fields.stdout).into_owned(),
        String::from_utf8_lossy(&hex.stdout).into_owned(),
    )
}

/// Merges `inputs` with both tools and compares what tshark sees.
fn same_as_mergecap(dir: &Path, inputs: &[PathBuf]) -> usize {
    same_as_mergecap_of(dir, inputs, inputs)
}

/// podcap merge of `ours` against mergecap of `theirs`.
fn same_as_mergecap_of(dir: &Path, ours_in: &[PathBuf], theirs_in: &[PathBuf]) -> usize {
    let (ours, theirs) = (dir.join("podcap.pcapng"), dir.join("mergecap.pcapng"));
    let o = run(Command::new(PODCAP)
        .args(["merge", "-w"])
        .arg(&ours)
        .args(ours_in));
    assert!(o.status.success(), "podcap merge: {}", text(&o));
    let m = run(Command::new("mergecap")
        .arg("-w")
        .arg(&theirs)
        .args(theirs_in));
    assert!(m.status.success(), "mergecap: {}", text(&m));
    let (a, b) = (tshark_view(&ours), tshark_view(&theirs));
    for (i, (x, y)) in a.0.lines().zip(b.0.lines()).enumerate() {
        assert_eq!(x, y, "packet {}: podcap merge vs mergecap", i + 1);
    }
    assert_eq!(a.0.lines().count(), b.0.lines().count());
    assert!(a.1 == b.1, "packet bytes differ");
    a.0.lines().count()
}

/// Every capture of the tcpdump suite that podcap's reader accepts (the
/// damaged ones are the reader's tests), all merged at once: 200-odd
/// files, every link type, pcap and pcapng, micro and nanoseconds, many
/// packets with equal time stamps (ties go to the later file, as
/// mergecap's).
#[test]
fn the_tcpdump_suite_merged_as_mergecap_merges_it() {
    if !have("mergecap") || !have("tshark") {
        return;
    }
    let Some(caps) = kit::conformance::path("tcpdump-tests/captures") else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&caps)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        // Time stamps whose fraction is a second or more (tcpdump's
        // timestamp_invalid_* captures) have no one right place in a
        // merge by time: mergecap and podcap order them differently, and
        // the reader's own tests cover how podcap reads them.
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("timestamp_invalid"))
        })
        .filter(|p| {
            std::fs::read(p)
                .ok()
                .is_some_and(|b| podcap::pcap::reader::read_all(&b).is_ok())
        })
        .collect();
    files.sort();
    assert!(files.len() > 150, "only {} captures read", files.len());
    let dir = kit::TempDir::new("merge-suite");
    let n = same_as_mergecap(dir.path(), &files);
    assert!(n > 3000, "{n} packets");
}

fn write_ng(path: &Path, precision: Precision, ifaces: &[(&str, LinkType)], t0: i64) {
    let mut w = PcapNgWriter::new(Vec::new(), precision).unwrap();
    for (name, lt) in ifaces {
        w.add_interface(&NgInterface {
            name: name.to_string(),
            description: Some(format!("netns /run/netns/{name}")),
            linktype: *lt,
            snaplen: 262144,
        })
        .unwrap();
    }
    let frame: Vec<u8> = (0..60u8).collect();
    for k in 0..12u32 {
        w.write(&Record {
            ts_sec: t0 + i64::from(k / 3),
            ts_nsec: 1_000 * (k % 3) + 7,
            wirelen: 60,
            parts: [&frame[..14], &frame[14..]],
            iface: k % ifaces.len() as u32,
            pkttype: Some(if k % 2 == 0 { 0 } else { 4 }),
        })
        .unwrap();
    }
    std::fs::write(path, w.get_ref()).unwrap();
}

/// Several interfaces per file, two sections in one file, nanosecond
/// pcapng and pcap, direction flags, and comments added by editcap.
///
/// Wireshark 4.0 (Debian 12) gets a file of two sections wrong: tshark
/// puts the second section's packets on the first section's interface
/// and mergecap stops ("interface 0 encap 1 != packet encap 25"); the
/// pcapng spec numbers interfaces per section. So that file is checked
/// against mergecap of its two sections given as two files (their times
/// do not overlap, so the order is the same).
#[test]
fn interfaces_sections_flags_and_comments_as_mergecap() {
    if !have("mergecap") || !have("tshark") || !have("editcap") {
        return;
    }
    let dir = kit::TempDir::new("merge-kinds");
    let d = dir.path();
    let two = d.join("two-ifaces.pcapng");
    write_ng(
        &two,
        Precision::Nano,
        &[("veth1a2b", LinkType::En10mb), ("cni0", LinkType::En10mb)],
        1000,
    );
    let (s1, s2) = (d.join("s1.pcapng"), d.join("s2.pcapng"));
    write_ng(&s1, Precision::Micro, &[("eth0", LinkType::En10mb)], 1001);
    write_ng(
        &s2,
        Precision::Micro,
        &[("flannel.1", LinkType::En10mb)],
        1010,
    );
    let sections = d.join("sections.pcapng");
    let mut both = std::fs::read(&s1).unwrap();
    both.extend(std::fs::read(&s2).unwrap());
    std::fs::write(&sections, both).unwrap();
    let commented = d.join("commented.pcapng");
    let e = run(Command::new("editcap")
        .args(["-a", "1:first packet", "-a", "3:third"])
        .arg(&s1)
        .arg(&commented));
    assert!(e.status.success(), "{}", text(&e));
    let mut inputs = vec![two, commented];
    if let Some(nano) = kit::conformance::path("tcpdump-tests/captures/tcp-handshake-nano.pcap") {
        inputs.push(nano);
    }
    let n = same_as_mergecap(d, &inputs);
    assert!(n >= 24, "{n} packets");
    let n = same_as_mergecap_of(d, &[sections], &[s1, s2]);
    assert_eq!(n, 24);
}

/// `-` reads standard input; labels rename interfaces as the plugin
/// names them; a damaged input ends alone, with a message and status 6,
/// and the output is still a whole file.
#[test]
fn stdin_labels_and_a_damaged_input() {
    if !have("tshark") {
        return;
    }
    let dir = kit::TempDir::new("merge-labels");
    let d = dir.path();
    let (a, b) = (d.join("a.pcapng"), d.join("b.pcapng"));
    write_ng(
        &a,
        Precision::Micro,
        &[("vethaaaa", LinkType::En10mb)],
        2000,
    );
    write_ng(
        &b,
        Precision::Micro,
        &[("eth0", LinkType::En10mb), ("cni0", LinkType::En10mb)],
        2000,
    );
    let out = d.join("out.pcapng");
    let o = run(Command::new(PODCAP)
        .args(["merge", "-v", "-w"])
        .arg(&out)
        .args([
            "--label",
            "node1/default/web-1",
            "--description",
            "pod 10.244.0.5 on node1",
        ])
        .args(["--label", "node2/default/web-2"])
        .arg("-")
        .arg(&b)
        .stdin(std::fs::File::open(&a).unwrap()));
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("2 files, 3 interfaces, 24 packets"),
        "{}",
        text(&o)
    );
    let (fields, _) = tshark_view(&out);
    let mut names: Vec<String> = fields
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            format!("{} | {}", f[4], f[5])
        })
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(
        names,
        [
            "node1/default/web-1 | pod 10.244.0.5 on node1; interface vethaaaa; netns /run/netns/vethaaaa",
            "node2/default/web-2/cni0 | interface cni0; netns /run/netns/cni0",
            "node2/default/web-2/eth0 | interface eth0; netns /run/netns/eth0",
        ]
    );

    let bytes = std::fs::read(&a).unwrap();
    let cut = d.join("cut.pcapng");
    std::fs::write(&cut, &bytes[..bytes.len() - 30]).unwrap();
    let o = run(Command::new(PODCAP)
        .args(["merge", "-w"])
        .arg(&out)
        .arg(&cut)
        .arg(&b));
    assert_eq!(o.status.code(), Some(6), "{}", text(&o));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("cut.pcapng") && e.contains("packets were merged"),
        "{e}"
    );
    let (fields, _) = tshark_view(&out);
    assert_eq!(fields.lines().count(), 12 + 11);

    let o = run(Command::new(PODCAP).args(["merge", "-", "-"]));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = run(Command::new(PODCAP)
        .args(["merge", "-w", "/dev/null"])
        .arg(d.join("nope")));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
}
