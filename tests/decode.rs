//! podcap's packet printer against the real tcpdump 4.99, line for line,
//! on traffic captured by tcpdump itself in namespaces this test builds
//! (tests/decode/traffic.sh), on every truncation of those packets, and on
//! the shared libpcap conformance captures; plus property tests that no
//! input and no option combination makes the printer panic.

mod kit;

use pcap_parser::PcapCapture;
use podcap::decode::{Direction, Dump, ForcedType, Meta, PrintOptions, Printer, TimeFormat};
use podcap::linktype::LinkType;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// One pcap record.
#[derive(Clone)]
struct Rec {
    sec: u32,
    frac: u32,
    orig: u32,
    data: Vec<u8>,
}

struct Pcap {
    linktype: LinkType,
    nano: bool,
    recs: Vec<Rec>,
}

fn read_pcap(path: &Path) -> Pcap {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let cap = PcapCapture::from_file(&bytes)
        .unwrap_or_else(|e| panic!("{} is not a pcap: {e:?}", path.display()));
    let linktype = LinkType::from_file(cap.header.network.0 as u32);
    Pcap {
        linktype,
        nano: cap.header.is_nanosecond_precision(),
        recs: cap
            .blocks
            .iter()
            .map(|b| Rec {
                sec: b.ts_sec,
                frac: b.ts_usec,
                orig: b.origlen,
                data: b.data[..b.data.len().min(b.caplen as usize)].to_vec(),
            })
            .collect(),
    }
}

fn write_pcap(path: &Path, linktype: LinkType, recs: &[Rec]) {
    write_pcap_magic(path, linktype, recs, 0xa1b2_c3d4);
}

fn write_pcap_magic(path: &Path, linktype: LinkType, recs: &[Rec], magic: u32) {
    let mut out = kit::oracle::pcap_header(magic, 262_144, linktype.linktype());
    for r in recs {
        out.extend_from_slice(&r.sec.to_le_bytes());
        out.extend_from_slice(&r.frac.to_le_bytes());
        out.extend_from_slice(&(r.data.len() as u32).to_le_bytes());
        out.extend_from_slice(&r.orig.to_le_bytes());
        out.extend_from_slice(&r.data);
    }
    std::fs::write(path, out).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// tcpdump's arguments to PrintOptions, through podcap's own tcpdump
/// option parser (what `podcap tcpdump -r` would print with).
fn options(args: &[&str]) -> PrintOptions {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let s = podcap::cli::tcpdump::parse(&args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    s.print_options().expect("no -w: lines are printed")
}

fn podcap_text(p: &Pcap, opts: PrintOptions) -> String {
    let mut printer = Printer::new(opts);
    let mut out = Vec::new();
    for r in &p.recs {
        let ts_nsec = if p.nano { r.frac } else { r.frac * 1000 };
        let meta = Meta {
            ts_sec: i64::from(r.sec),
            ts_nsec,
            wirelen: r.orig,
            linktype: p.linktype,
            ifname: None,
            direction: None,
        };
        printer.print(&mut out, &meta, &r.data).unwrap();
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn tcpdump_text(path: &Path, args: &[&str], extra: &[&str]) -> String {
    let mut cmd = Command::new("tcpdump");
    cmd.env("TZ", "UTC").arg("-nn").arg("-r").arg(path);
    for a in args {
        cmd.arg(if *a == "--nano" {
            "--time-stamp-precision=nano"
        } else {
            a
        });
    }
    cmd.args(extra);
    let out = cmd
        .output()
        .expect("run tcpdump (scripts/setup installs it)");
    assert!(
        out.status.success(),
        "tcpdump -r {} {args:?}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts equal text; on failure shows the first differing lines.
fn assert_same(what: &str, want: &str, got: &str) {
    if want == got {
        return;
    }
    let (w, g): (Vec<_>, Vec<_>) = (want.lines().collect(), got.lines().collect());
    let mut shown = String::new();
    let mut n = 0;
    for i in 0..w.len().max(g.len()) {
        let (a, b) = (w.get(i).copied(), g.get(i).copied());
        if a != b {
            shown += &format!("line {}:\n  tcpdump: {:?}\n  podcap:  {:?}\n", i + 1, a, b);
            n += 1;
            if n == 8 {
                break;
            }
        }
    }
    panic!(
        "{what}: podcap differs from tcpdump ({} vs {} lines)\n{shown}",
        w.len(),
        g.len()
    );
}

/// The captures, made once per test binary run.
fn world() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("podcap-decode-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/decode/traffic.sh");
        let out = Command::new("bash")
            .arg(&script)
            .arg(&dir)
            .arg(format!("{}", std::process::id() % 100_000))
            .output()
            .expect("run traffic.sh");
        assert!(
            out.status.success(),
            "traffic.sh failed (needs root, ip, tcpdump, python3): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
}

const MATRIX: &[&[&str]] = &[
    &[],
    &["-e"],
    &["-v"],
    &["-vv"],
    &["-vvv"],
    &["-q"],
    &["-q", "-e"],
    &["-x"],
    &["-xx"],
    &["-X"],
    &["-XX"],
    &["-A"],
    &["-AA"],
    &["-t"],
    &["-tt"],
    &["-ttt"],
    &["-tttt"],
    &["-ttttt"],
    &["-tt", "--nano"],
    &["-S"],
    &["-e", "-vv"],
    &["-e", "-v", "-X"],
];

fn matrix(file: &str) {
    let path = world().join(file);
    let p = read_pcap(&path);
    assert!(p.recs.len() > 20, "{file}: only {} packets", p.recs.len());
    for args in MATRIX {
        let want = tcpdump_text(&path, args, &[]);
        let got = podcap_text(&p, options(args));
        assert_same(&format!("{file} {args:?}"), &want, &got);
    }
}

#[test]
fn ethernet_capture_matches_tcpdump() {
    matrix("eth.pcap");
}

#[test]
fn any_sll_capture_matches_tcpdump() {
    matrix("any.pcap");
}

#[test]
fn any_sll2_capture_matches_tcpdump() {
    matrix("any2.pcap");
}

/// Flannel's VXLAN on 8472: tcpdump calls that port OTV unless told
/// `-T vxlan`; podcap decodes it as VXLAN when the port is configured.
#[test]
fn flannel_vxlan_port_matches_tcpdump_t_vxlan() {
    let path = world().join("eth.pcap");
    let mut p = read_pcap(&path);
    p.recs.retain(|r| {
        let d = &r.data;
        d.len() > 37
            && d[12..14] == [0x08, 0x00]
            && d[23] == 17
            && (d[34..36] == 8472u16.to_be_bytes() || d[36..38] == 8472u16.to_be_bytes())
    });
    assert!(p.recs.len() >= 4, "no flannel VXLAN packets captured");
    for args in [&[][..], &["-e"], &["-v"], &["-X"]] {
        let want = tcpdump_text(&path, args, &["-T", "vxlan", "udp port 8472"]);
        let mut o = options(args);
        o.vxlan_ports = vec![8472];
        assert_same(&format!("8472 {args:?}"), &want, &podcap_text(&p, o));
        // podcap's own -T vxlan prints what tcpdump's does.
        let mut o = options(args);
        o.packet_type = Some(ForcedType::from_name("vxlan").expect("-T vxlan"));
        assert_same(&format!("-T vxlan {args:?}"), &want, &podcap_text(&p, o));
        // And without the port configured, OTV as tcpdump prints it.
        let want = tcpdump_text(&path, args, &["udp port 8472"]);
        assert_same(
            &format!("8472 otv {args:?}"),
            &want,
            &podcap_text(&p, options(args)),
        );
    }
    let text = podcap_text(
        &p,
        PrintOptions {
            vxlan_ports: vec![8472],
            ..Default::default()
        },
    );
    assert!(
        text.contains("VXLAN, flags [I] (0x08), vni 1\nIP 10.244."),
        "{text}"
    );
}

/// Every prefix of every captured packet, as a snap length would cut it:
/// the same lines and ` [|proto]` marks as tcpdump.
#[test]
fn every_truncation_matches_tcpdump() {
    for file in ["eth.pcap", "any.pcap"] {
        let p = read_pcap(&world().join(file));
        let mut recs = Vec::new();
        for r in &p.recs {
            for k in 1..r.data.len() {
                recs.push(Rec {
                    data: r.data[..k].to_vec(),
                    ..r.clone()
                });
            }
        }
        let cut = world().join(format!("cut-{file}"));
        write_pcap(&cut, p.linktype, &recs);
        let pc = read_pcap(&cut);
        for args in [&[][..], &["-v"], &["-vv", "-e"], &["-x"], &["-A"], &["-q"]] {
            let want = tcpdump_text(&cut, args, &[]);
            assert_same(
                &format!("truncated {file} {args:?}"),
                &want,
                &podcap_text(&pc, options(args)),
            );
        }
    }
}

fn hexb(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Malformed and unusual packets written byte by byte: TSO super-packets
/// (IPv4 total length 0), a bad header length, the wrong IP version, a
/// TCP data offset below 5, UDP lengths that disagree, a runt Ethernet
/// frame, an ARP without hardware addresses, an IPv6 payload length of 0, a large packet past 64 KiB.
#[test]
fn handcrafted_edge_cases_match_tcpdump() {
    let eth = "02020202020204040404040408 00";
    let ip = "45 00 0000 0001 4000 4006 0000 0a000001 0a000002";
    let mut big = hexb(&format!("{eth}{ip}"));
    big.extend(hexb("9c40 b26e 00000001 00000001 5018 0064 0000 0000"));
    big.extend((0..76_800u32).map(|i| i as u8));
    let frames: Vec<Vec<u8>> = vec![
        big,
        hexb(&format!(
            "{eth}4f00 0014 0001 0000 4006 0000 0a000001 0a000002"
        )),
        hexb(&format!(
            "{eth}4300 0014 0001 0000 4006 0000 0a000001 0a000002"
        )),
        hexb(&format!(
            "{eth}6000 0014 0001 0000 4006 0000 0a000001 0a000002"
        )),
        hexb(&format!(
            "{eth}4500 0028 0001 0000 4006 0000 0a000001 0a000002 9c40 0050 00000001 00000000 3002 0000 0000 0000"
        )),
        hexb(&format!(
            "{eth}4500 0020 0001 0000 4011 0000 0a000001 0a000002 9c40 b26e 0004 0000 0102 0304"
        )),
        hexb(&format!(
            "{eth}4500 0020 0001 0000 4011 0000 0a000001 0a000002 9c40 b26e 0040 0000 0102 0304"
        )),
        hexb("020202020202 0404040404"),
        hexb("ffffffffffff 040404040404 0806 0001 0800 00 04 0001 0a000001 0a000002"),
        hexb(
            "ffffffffffff 040404040404 0806 0001 0800 06 04 0009 040404040404 0a000001 000000000000 0a000002",
        ),
        hexb(&format!(
            "{}86dd 6000 0000 0000 3a40 fd770000000000000000000000000001 fd770000000000000000000000000002 8000 0000 0001 0001",
            &eth[..24]
        )),
        hexb(&format!(
            "{}86dd 6000 0000 0008 2c40 fd770000000000000000000000000001 fd770000000000000000000000000002 3a00 0010 0000 abcd",
            &eth[..24]
        )),
        hexb(&format!(
            "{eth}4500 0024 0001 0000 4001 0000 0a000001 0a000002 0304 0000 0000 05dc 4500 0014"
        )),
    ];
    let recs: Vec<Rec> = frames
        .into_iter()
        .enumerate()
        .map(|(i, data)| Rec {
            sec: 1_700_000_000,
            frac: i as u32,
            orig: data.len() as u32,
            data,
        })
        .collect();
    let path = world().join("handcrafted.pcap");
    write_pcap(&path, LinkType::En10mb, &recs);
    let p = read_pcap(&path);
    for args in [
        &[][..],
        &["-e"],
        &["-v"],
        &["-vv"],
        &["-x"],
        &["-X"],
        &["-A"],
        &["-q"],
    ] {
        let want = tcpdump_text(&path, args, &[]);
        assert_same(
            &format!("handcrafted {args:?}"),
            &want,
            &podcap_text(&p, options(args)),
        );
    }
}

/// Raw IP link type (tun devices, IPIP tunnels): the IP packets of the
/// Ethernet capture without their Ethernet header, written byte by byte.
#[test]
fn raw_ip_link_type_matches_tcpdump() {
    let p = read_pcap(&world().join("eth.pcap"));
    let recs: Vec<Rec> = p
        .recs
        .iter()
        .filter(|r| r.data.len() > 14 && matches!(r.data[12..14], [0x08, 0x00] | [0x86, 0xdd]))
        .map(|r| Rec {
            orig: r.orig - 14,
            data: r.data[14..].to_vec(),
            ..r.clone()
        })
        .collect();
    assert!(recs.len() > 50);
    let path = world().join("raw.pcap");
    write_pcap(&path, LinkType::Raw, &recs);
    let pr = read_pcap(&path);
    for args in [&[][..], &["-e"], &["-v"], &["-x"], &["-XX"], &["-q"]] {
        let want = tcpdump_text(&path, args, &[]);
        assert_same(
            &format!("raw {args:?}"),
            &want,
            &podcap_text(&pr, options(args)),
        );
    }
}

/// The link types podcap reads from files only (BSD and OpenBSD loopback,
/// raw IPv4/IPv6 by number, Linux NFLOG) and one it has no printer for,
/// made from the captured traffic: tcpdump's lines, never an Ethernet
/// decode.
#[test]
fn file_link_types_match_tcpdump() {
    let p = read_pcap(&world().join("eth.pcap"));
    let ip: Vec<(bool, Rec)> = p
        .recs
        .iter()
        .filter(|r| r.data.len() > 14 && matches!(r.data[12..14], [0x08, 0x00] | [0x86, 0xdd]))
        .map(|r| {
            let v6 = r.data[12] == 0x86;
            let rec = Rec {
                orig: r.orig - 14,
                data: r.data[14..].to_vec(),
                ..r.clone()
            };
            (v6, rec)
        })
        .collect();
    assert!(ip.iter().any(|(v6, _)| *v6) && ip.iter().any(|(v6, _)| !*v6));
    let framed = |hdr: &dyn Fn(bool, &Rec) -> Vec<u8>, only: Option<bool>| -> Vec<Rec> {
        ip.iter()
            .filter(|(v6, _)| only.is_none_or(|o| o == *v6))
            .map(|(v6, r)| {
                let mut data = hdr(*v6, r);
                let n = data.len() as u32;
                data.extend_from_slice(&r.data);
                Rec {
                    orig: r.orig + n,
                    data,
                    ..r.clone()
                }
            })
            .collect()
    };
    // NFLOG: family, version 0, resource ID, a prefix TLV, the packet's TLV
    // (lengths and types in the logging host's order, little-endian here).
    let nflog = |v6: bool, r: &Rec| {
        let mut h = vec![if v6 { 10 } else { 2 }, 0, 0, 7];
        h.extend_from_slice(&9u16.to_le_bytes());
        h.extend_from_slice(&10u16.to_le_bytes());
        h.extend_from_slice(b"pod\0\0\0\0\0");
        h.extend_from_slice(&((r.data.len() + 4) as u16).to_le_bytes());
        h.extend_from_slice(&9u16.to_le_bytes());
        h
    };
    let cases: Vec<(&str, LinkType, Vec<Rec>)> = vec![
        (
            "null",
            LinkType::Null,
            framed(
                &|v6, _| (if v6 { 24u32 } else { 2 }).to_le_bytes().to_vec(),
                None,
            ),
        ),
        (
            "loop",
            LinkType::Loop,
            framed(
                &|v6, _| (if v6 { 24u32 } else { 2 }).to_be_bytes().to_vec(),
                None,
            ),
        ),
        ("ipv4", LinkType::Ipv4, framed(&|_, _| vec![], Some(false))),
        ("ipv6", LinkType::Ipv6, framed(&|_, _| vec![], Some(true))),
        (
            "nflog",
            LinkType::Nflog,
            // Netlink pads the packet's attribute to 4 bytes too.
            framed(&nflog, None)
                .into_iter()
                .map(|mut r| {
                    let pad = (4 - r.data.len() % 4) % 4;
                    r.data.resize(r.data.len() + pad, 0);
                    r.orig += pad as u32;
                    r
                })
                .collect(),
        ),
        // LINKTYPE_USER0: tcpdump knows it and has no printer.
        ("user0", LinkType::Other(147), framed(&|_, _| vec![], None)),
    ];
    for (name, lt, recs) in cases {
        let path = world().join(format!("{name}.pcap"));
        write_pcap(&path, lt, &recs);
        let pr = read_pcap(&path);
        assert_eq!(pr.linktype, lt);
        for args in [&[][..], &["-e"], &["-q"], &["-e", "-q"], &["-v"], &["-x"]] {
            let want = tcpdump_text(&path, args, &[]);
            assert_same(
                &format!("{name} {args:?}"),
                &want,
                &podcap_text(&pr, options(args)),
            );
        }
    }
}

/// `-r` and `-w` through the real binary: a link type podcap has no
/// printer for is copied under its own number; a pcapng whose second
/// section is RAW prints and filters each packet with its own link type,
/// and is refused, not relabelled, when copied into one pcap.
#[test]
fn files_keep_each_packets_link_type() {
    let podcap = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_podcap"))
            .env("TZ", "UTC")
            .arg("tcpdump")
            .args(args)
            .output()
            .expect("run podcap");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let ip = [
        &[
            0x45, 0, 0, 28, 0, 1, 0, 0, 64, 1, 0xf7, 0xcf, 10, 0, 0, 1, 10, 0, 0, 2,
        ][..],
        &[8, 0, 0xf7, 0xff, 0, 0, 0, 0],
    ]
    .concat();
    let dir = world();
    let user0 = dir.join("keep-user0.pcap");
    let rec = Rec {
        sec: 1,
        frac: 0,
        orig: ip.len() as u32,
        data: ip.clone(),
    };
    write_pcap(&user0, LinkType::Other(147), std::slice::from_ref(&rec));
    let copy = dir.join("keep-user0-copy.pcap");
    let (ok, _, err) = podcap(&["-r", path_str(&user0), "-w", path_str(&copy)]);
    assert!(ok, "{err}");
    let bytes = std::fs::read(&copy).expect("copy written");
    assert_eq!(bytes[20..24], 147u32.to_le_bytes(), "link type relabelled");
    // Two sections, Ethernet then RAW, the same ICMP packet in each.
    let block = |kind: u32, body: &[u8]| {
        let mut body = body.to_vec();
        body.resize(body.len().next_multiple_of(4), 0);
        let n = (body.len() + 12) as u32;
        [
            &kind.to_le_bytes()[..],
            &n.to_le_bytes(),
            &body,
            &n.to_le_bytes(),
        ]
        .concat()
    };
    let shb = block(
        0x0a0d_0d0a,
        &[&0x1a2b_3c4du32.to_le_bytes()[..], &[1, 0, 0, 0], &[0xff; 8]].concat(),
    );
    let idb = |lt: u16| {
        block(
            1,
            &[&lt.to_le_bytes()[..], &[0, 0], &65535u32.to_le_bytes()].concat(),
        )
    };
    let epb = |sec: u32, d: &[u8]| {
        let ts = u64::from(sec) * 1_000_000;
        let n = (d.len() as u32).to_le_bytes();
        block(
            6,
            &[
                &0u32.to_le_bytes()[..],
                &((ts >> 32) as u32).to_le_bytes(),
                &(ts as u32).to_le_bytes(),
                &n,
                &n,
                d,
            ]
            .concat(),
        )
    };
    let eth = [&[2u8; 6][..], &[4; 6], &[8, 0], &ip].concat();
    let two = dir.join("two-sections.pcapng");
    let file = [
        shb.clone(),
        idb(1),
        epb(1, &eth),
        shb,
        idb(101),
        epb(2, &ip),
    ]
    .concat();
    std::fs::write(&two, file).expect("write pcapng");
    let line = "IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 0, seq 0, length 8";
    for filter in [&[][..], &["icmp"]] {
        let (ok, out, err) = podcap(&[&["-n", "-r", path_str(&two)][..], filter].concat());
        assert!(ok, "{err}");
        assert_eq!(
            out,
            format!("00:00:01.000000 {line}\n00:00:02.000000 {line}\n"),
            "{filter:?}"
        );
    }
    let (ok, _, err) = podcap(&["-r", path_str(&two), "-w", path_str(&dir.join("two.pcap"))]);
    assert!(
        !ok && err.contains("link type RAW (101), the output's is EN10MB (1)"),
        "{err}"
    );
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

/// A nanosecond-resolution file, printed with and without nanoseconds.
#[test]
fn nanosecond_file_matches_tcpdump() {
    let p = read_pcap(&world().join("eth.pcap"));
    let recs: Vec<Rec> = p
        .recs
        .iter()
        .enumerate()
        .map(|(i, r)| Rec {
            frac: r.frac * 1000 + (i as u32 % 1000),
            ..r.clone()
        })
        .collect();
    let path = world().join("nano.pcap");
    write_pcap_magic(&path, LinkType::En10mb, &recs, 0xa1b2_3c4d);
    let pn = read_pcap(&path);
    assert!(pn.nano);
    for args in [
        &["-tt", "--nano"][..],
        &["--nano"],
        &["-ttt", "--nano"],
        &["-tttt", "--nano"],
        &["-ttttt", "--nano"],
        &["-tt"],
        &["-ttt"],
    ] {
        let want = tcpdump_text(&path, args, &[]);
        assert_same(
            &format!("nano {args:?}"),
            &want,
            &podcap_text(&pn, options(args)),
        );
    }
}

/// A protocol tcpdump decodes and podcap deliberately does not (SCTP):
/// same number of lines, a generic description instead; the GRE, LLDP and
/// STP packets among them are decoded exactly.
#[test]
fn exotic_protocols_get_a_generic_line() {
    let path = world().join("exotic.pcap");
    let p = read_pcap(&path);
    let want = tcpdump_text(&path, &[], &[]);
    let got = podcap_text(&p, options(&["-q"]));
    assert_eq!(want.lines().count(), got.lines().count(), "{got}");
    let got = podcap_text(&p, options(&[]));
    for needle in [
        "10.77.0.1 > 10.77.0.2: GREv0, length 68: IP 1.1.1.1 > 2.2.2.2: ICMP echo request, id 99",
        "10.77.0.1.0 > 10.77.0.2.0: sctp, length 16",
        "LLDP, length 46: ^C^Ca0",
        "STP 802.1d, Config, Flags [none], bridge-id 0080.00:02:00:00:00:00.0a80, length 35",
    ] {
        assert!(got.contains(needle), "missing {needle:?} in\n{got}");
    }
}

/// One of libpcap's savefiles (`../shared/conformance/libpcap-savefiles`).
fn conformance(name: &str) -> Option<PathBuf> {
    kit::conformance::path(&format!("libpcap-savefiles/{name}"))
}

#[test]
fn conformance_captures_match_tcpdump() {
    for name in ["vxlan.pcap", "geneve.pcap"] {
        let Some(path) = conformance(name) else {
            continue;
        };
        let p = read_pcap(&path);
        for args in [&[][..], &["-e"], &["-v"], &["-vv"], &["-X"]] {
            let want = tcpdump_text(&path, args, &[]);
            assert_same(
                &format!("{name} {args:?}"),
                &want,
                &podcap_text(&p, options(args)),
            );
        }
    }
}

fn all_options() -> Vec<PrintOptions> {
    let mut v = Vec::new();
    for e in [false, true] {
        for verbose in 0..=3 {
            for quiet in [false, true] {
                for dump in [Dump::None, Dump::HexLink, Dump::HexAscii, Dump::Ascii] {
                    v.push(PrintOptions {
                        link_header: e,
                        verbose,
                        quiet,
                        time: TimeFormat::DeltaPrevious,
                        nanos: verbose == 2,
                        dump,
                        vxlan_ports: vec![8472],
                        absolute_seq: quiet,
                        packet_type: None,
                    });
                }
            }
        }
    }
    v
}

fn print_all(opts: &[PrintOptions], data: &[u8], wirelen: u32) {
    for o in opts {
        for lt in LinkType::ALL {
            let mut p = Printer::new(o.clone());
            let meta = Meta {
                ts_sec: 1_700_000_000,
                ts_nsec: 5,
                wirelen,
                linktype: lt,
                ifname: if o.link_header { Some("eth0") } else { None },
                direction: Direction::from_pkttype(4),
            };
            let mut out = Vec::new();
            p.print(&mut out, &meta, data).unwrap();
            assert_eq!(out.last(), Some(&b'\n'));
        }
    }
}

/// Random bytes, and random mutations of real packets, never panic.
#[test]
fn random_and_mutated_packets_never_panic() {
    let opts = all_options();
    let p = read_pcap(&world().join("eth.pcap"));
    let mut rng = kit::Rng::new(0x9e37_79b9_7f4a_7c15);
    for i in 0..3000 {
        let mut data = if i % 2 == 0 {
            let len = (rng.next_u64() % 200) as usize;
            (0..len).map(|_| rng.next_u64() as u8).collect::<Vec<u8>>()
        } else {
            p.recs[(rng.next_u64() as usize) % p.recs.len()]
                .data
                .clone()
        };
        for _ in 0..(rng.next_u64() % 6) {
            if !data.is_empty() {
                let at = (rng.next_u64() as usize) % data.len();
                data[at] = rng.next_u64() as u8;
            }
        }
        let wirelen = data.len() as u32 + (rng.next_u64() % 3) as u32;
        print_all(&opts[(i % opts.len())..=(i % opts.len())], &data, wirelen);
    }
}

/// Every truncation of every captured packet, with every option
/// combination and link type, never panics.
#[test]
fn every_truncation_with_every_option_never_panics() {
    // Each cut gets the next option combination, so every combination
    // meets every protocol at many lengths.
    let opts = all_options();
    let mut n = 0usize;
    for file in ["eth.pcap", "any2.pcap", "exotic.pcap"] {
        let p = read_pcap(&world().join(file));
        for r in &p.recs {
            for k in 0..=r.data.len() {
                n += 1;
                print_all(&opts[n % opts.len()..=n % opts.len()], &r.data[..k], r.orig);
            }
        }
    }
}
