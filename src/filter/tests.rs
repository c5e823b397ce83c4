//! Compiler tests: literal programs and errors with carets. Against
//! libpcap's own programs (tcpdump as oracle, and the conformance suite's
//! unoptimized programs) and the never-panic property tests:
//! tests/filter_differential.rs.

use super::*;
use crate::bpf::print::{Style, format, parse_d};
use crate::{Error, error::Kind};

fn unopt(expr: &str, lt: LinkType) -> Vec<Insn> {
    let o = Options {
        linktype: lt,
        optimize: false,
        ..Options::default()
    };
    match compile(expr, &o) {
        Ok(p) => p,
        Err(e) => panic!("{expr}: {e}"),
    }
}

fn d(expr: &str, lt: LinkType) -> String {
    format(&unopt(expr, lt), Style::D)
}

fn err(expr: &str) -> Error {
    match compile(expr, &Options::default()) {
        Ok(_) => panic!("{expr} should not compile"),
        Err(e) => e,
    }
}

#[test]
fn empty_expression_accepts_all() {
    let p = compile("", &Options::default()).unwrap();
    assert_eq!(p, vec![Insn::stmt(0x06, 262_144)]);
    assert_eq!(compile("  ", &Options::default()).unwrap().len(), 1);
}

#[test]
fn tcp_port_is_libpcaps_program() {
    let want = "\
(000) ldh      [12]
(001) jeq      #0x86dd          jt 2\tjf 8
(002) ldb      [20]
(003) jeq      #0x6             jt 4\tjf 8
(004) ldh      [54]
(005) jeq      #0x19            jt 20\tjf 6
(006) ldh      [56]
(007) jeq      #0x19            jt 20\tjf 8
(008) ldh      [12]
(009) jeq      #0x800           jt 10\tjf 21
(010) ldb      [23]
(011) jeq      #0x6             jt 12\tjf 21
(012) ldh      [20]
(013) jset     #0x1fff          jt 21\tjf 14
(014) ldxb     4*([14]&0xf)
(015) ldh      [x + 14]
(016) jeq      #0x19            jt 20\tjf 17
(017) ldxb     4*([14]&0xf)
(018) ldh      [x + 16]
(019) jeq      #0x19            jt 20\tjf 21
(020) ret      #262144
(021) ret      #0
";
    assert_eq!(
        unopt("tcp port 25", LinkType::En10mb),
        parse_d(want).unwrap()
    );
}

#[test]
fn raw_and_cooked_link_types() {
    // RAW: the IP version nibble stands in for the EtherType.
    let p = unopt("ip", LinkType::Raw);
    assert_eq!(
        p,
        vec![
            Insn::stmt(0x30, 0),
            Insn::stmt(0x54, 0xf0),
            Insn::jump(0x15, 0x40, 0, 1),
            Insn::stmt(0x06, 262_144),
            Insn::stmt(0x06, 0),
        ]
    );
    // LINUX_SLL2: ifindex at 4, packet type at 10.
    let s = d("ifindex 3 and inbound", LinkType::LinuxSll2);
    assert!(s.contains("ld       [4]"), "{s}");
    assert!(s.contains("ldb      [10]"), "{s}");
    // Cooked v1: protocol at 14, payload at 16.
    let s = d("ip host 10.0.0.1", LinkType::LinuxSll);
    assert!(
        s.contains("ldh      [14]") && s.contains("ld       [28]"),
        "{s}"
    );
}

#[test]
fn qualifiers_are_inherited() {
    assert_eq!(
        unopt("tcp port 80 or 443", LinkType::En10mb),
        unopt("tcp port 80 or tcp port 443", LinkType::En10mb)
    );
    assert_eq!(
        unopt("host 10.0.0.1 and not 10.0.0.2", LinkType::En10mb),
        unopt("host 10.0.0.1 and not host 10.0.0.2", LinkType::En10mb)
    );
    assert_eq!(
        unopt("port 53 and (80 or 443)", LinkType::En10mb),
        unopt("port 53 and (port 80 or port 443)", LinkType::En10mb)
    );
    assert!(compile("tcp and 80", &Options::default()).is_err());
}

#[test]
fn and_or_are_equal_precedence_left_to_right() {
    assert_eq!(
        unopt("tcp or udp and icmp", LinkType::En10mb),
        unopt("(tcp or udp) and icmp", LinkType::En10mb)
    );
    assert_eq!(
        unopt("tcp && !udp || icmp", LinkType::En10mb),
        unopt("(tcp and not udp) or icmp", LinkType::En10mb)
    );
}

#[test]
fn vxlan_extra_ports() {
    let mut o = Options {
        optimize: false,
        ..Options::default()
    };
    let plain = compile("vxlan and host 10.244.1.5", &o).unwrap();
    o.vxlan_ports = vec![8472];
    let flannel = compile("vxlan and host 10.244.1.5", &o).unwrap();
    let s = format(&flannel, Style::D);
    assert!(s.contains("#0x2118"), "8472 = 0x2118 missing:\n{s}");
    assert!(s.contains("#0x12b5"), "4789 = 0x12b5 missing:\n{s}");
    assert!(flannel.len() > plain.len());
}

#[test]
fn errors_name_the_problem_with_a_caret() {
    let cases = [
        ("port 99999", "65535", 5),
        ("net 10.244.0.0/33", "mask length", 4),
        ("ip6 host 10.244.0.21", "'ip6' is not a valid qualifier", 9),
        ("tcp and", "after 'and'", 7),
        ("host nosuchhost.example", "unknown host", 5),
        ("port nosuchservice", "unknown port", 5),
        (
            "ether host ab:cd:ef:0g:00:00",
            "invalid Ethernet address",
            11,
        ),
        ("net 192.168/8", "non-network bits set", 4),
        ("tcp[0:3] = 1", "data size must be 1, 2, or 4", 0),
        ("ip[0] / 0 = 1", "division by zero", 6),
        ("(tcp", "')'", 4),
        ("tcp )", "end of expression", 4),
    ];
    for (expr, want, col) in cases {
        let e = err(expr);
        assert_eq!(e.kind, Kind::Filter, "{expr}");
        let s = e.to_string();
        assert!(s.contains(want), "{expr}: {s}");
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.get(1).map(|l| l.trim()), Some(expr), "{expr}: {s}");
        let caret = lines.get(2).and_then(|l| l.find('^')).unwrap_or(0);
        assert_eq!(caret - 4, col, "{expr}: caret in\n{s}");
    }
}

#[test]
fn live_capture_forms_need_linux_ext() {
    assert!(compile("inbound", &Options::default()).is_err());
    let o = Options {
        linux_ext: true,
        optimize: false,
        ..Options::default()
    };
    let p = compile("inbound", &o).unwrap();
    assert_eq!(p[0], Insn::stmt(0x28, 0xffff_f004));
    let p = compile("vlan 10 and ip", &o).unwrap();
    assert!(
        p.iter().any(|i| i.k == 0xffff_f030),
        "vlan-present load missing"
    );
}

#[test]
fn big_programs_get_long_jumps() {
    let expr = (0..100)
        .map(|i| format!("host 10.0.{}.{}", i / 250, i % 250))
        .collect::<Vec<_>>()
        .join(" or ");
    let p = unopt(&expr, LinkType::En10mb);
    assert!(
        p.iter().any(|i| i.code == 0x05),
        "expected ja for far branches"
    );
    assert!(crate::bpf::validate::validate(&p).is_ok());
}

/// Thousands of far jumps: the optimizer lays them out with trampolines
/// and still shortens the program (it used to give up past 1,024 of
/// them, leaving 300 hosts at 8,938 instructions, over the kernel's
/// limit, where libpcap's optimizer makes 1,559).
#[test]
fn large_filters_are_optimized() {
    let expr = (0..300)
        .map(|i| format!("host 10.1.{}.{}", i / 250, i % 250 + 1))
        .collect::<Vec<_>>()
        .join(" or ");
    let u = unopt(&expr, LinkType::En10mb);
    let o = match compile(&expr, &Options::default()) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    assert!(u.len() > crate::bpf::MAXINSNS, "{}", u.len());
    assert!(o.len() <= crate::bpf::MAXINSNS, "{} instructions", o.len());
    assert!(crate::bpf::validate::validate(&o).is_ok());
}

#[test]
fn protochain_walks_extension_headers_forward_only() {
    use crate::bpf::interp::{Aux, run};
    // IPv6, hop-by-hop options (8 bytes), then UDP 53 -> 67.
    let mut pkt = vec![0x60, 0, 0, 0, 0, 0x14, 0x00, 0x40];
    pkt.extend([0xfd; 16]);
    pkt.extend([0xfe; 16]);
    pkt.extend([0x11, 0x00, 5, 2, 0, 0, 1, 0]);
    pkt.extend([0, 0x35, 0, 0x43, 0, 0x0c, 0, 0]);
    for optimize in [false, true] {
        let o = Options {
            linktype: LinkType::Raw,
            optimize,
            ..Options::default()
        };
        for (expr, want) in [
            ("ip6 protochain 17", true),
            ("protochain \\udp", true),
            ("ip6 protochain 6", false),
            ("ip protochain 17", false),
        ] {
            let p = compile(expr, &o).unwrap();
            assert!(crate::bpf::validate::validate(&p).is_ok(), "{expr}");
            let got = run(&p, &pkt, pkt.len() as u32, &Aux::default()) != 0;
            assert_eq!(got, want, "{expr}\n{}", format(&p, Style::D));
        }
    }
    assert!(compile("geneve and protochain 4", &Options::default()).is_err());
}
