//! The optimizer on hand-written programs and the regressions found. Against
//! libpcap's optimizer (its suite, Debian's tcpdump) and against itself on
//! random programs: tests/bpf_conformance.rs.

use super::optimize;
use crate::bpf::Insn;
use crate::bpf::code::*;
use crate::bpf::interp::{Aux, run};
use crate::bpf::print::{Style, format, parse_d};

fn s(code: u16, k: u32) -> Insn {
    Insn::stmt(code, k)
}

#[test]
fn folds_constant_x_into_an_absolute_load() {
    let unopt = parse_d(
        "(000) ldh      [14]\n\
         (001) jeq      #0x6007          jt 2\tjf 13\n\
         (002) ld       #0xab\n\
         (003) st       M[0]\n\
         (004) ldx      M[0]\n\
         (005) ldb      [x + 16]\n\
         (006) st       M[1]\n\
         (007) ld       #0xcd\n\
         (008) st       M[2]\n\
         (009) ldx      M[2]\n\
         (010) ld       M[1]\n\
         (011) jeq      x                jt 12\tjf 13\n\
         (012) ret      #262144\n\
         (013) ret      #0\n",
    )
    .unwrap_or_default();
    let got = format(&optimize(unopt), Style::D);
    assert_eq!(
        got,
        "(000) ldh      [14]\n\
         (001) jeq      #0x6007          jt 2\tjf 5\n\
         (002) ldb      [187]\n\
         (003) jeq      #0xcd            jt 4\tjf 5\n\
         (004) ret      #262144\n\
         (005) ret      #0\n"
    );
}

#[test]
fn threads_a_repeated_test() {
    // ip or ip6, tested twice: the second test of [12] is decided.
    let p = vec![
        s(LD_H_ABS, 12),
        Insn::jump(JEQ_K, 0x800, 0, 2),
        s(LD_B_ABS, 23),
        Insn::jump(JEQ_K, 6, 3, 0),
        s(LD_H_ABS, 12),
        Insn::jump(JEQ_K, 0x86dd, 0, 2),
        s(LD_B_ABS, 20),
        Insn::jump(JEQ_K, 6, 0, 1),
        s(RET_K, 65535),
        s(RET_K, 0),
    ];
    let o = optimize(p.clone());
    assert!(o.len() < p.len(), "{}", format(&o, Style::D));
    assert!(
        !o.contains(&s(LD_H_ABS, 12)) || o.iter().filter(|i| **i == s(LD_H_ABS, 12)).count() == 1
    );
}

#[test]
fn keeps_a_dead_load_that_may_fail() {
    // `ld [100]` is dead, but it rejects packets shorter than 104 bytes.
    let p = vec![s(LD_W_ABS, 100), s(LD_IMM, 1), s(RET_A, 0)];
    let o = optimize(p);
    let short = [0u8; 50];
    let long = [0u8; 120];
    assert_eq!(run(&o, &short, 50, &Aux::default()), 0);
    assert_eq!(run(&o, &long, 120, &Aux::default()), 1);
    assert_eq!(o, vec![s(LD_W_ABS, 100), s(RET_K, 1)]);
}

#[test]
fn invalid_programs_come_back_unchanged() {
    let p = vec![s(LD_IMM, 1)];
    assert_eq!(optimize(p.clone()), p);
    let p = vec![Insn::stmt(JA, 5), s(RET_K, 0)];
    assert_eq!(optimize(p.clone()), p);
}

/// `podcap compile -O -y LINUX_SLL 'ip[6:2] & 0x1fff == 0 or ip6 and vxlan'`.
/// Its `and #0x1fff; sub x; jeq #0` becomes a `jset #0x1fff` with the
/// targets swapped; the blocks after it once read that edge with the label
/// it had before the swap, "learnt" that a fragment bit of `ldh [22]` was
/// set on the unfragmented path, and folded the later `jset #0x1fff` the
/// wrong way: every IPv4 packet was rejected.
const SLL_FRAG_OR_IP6_VXLAN: &str = "(000) ldh      [14]
(001) jeq      #0x800           jt 2\tjf 19
(002) ld       #0x6
(003) st       M[0]
(004) ldx      M[0]
(005) ldh      [x + 16]
(006) st       M[1]
(007) ld       #0x1fff
(008) st       M[2]
(009) ldx      M[2]
(010) ld       M[1]
(011) and      x
(012) st       M[2]
(013) ld       #0x0
(014) st       M[3]
(015) ldx      M[3]
(016) ld       M[2]
(017) sub      x
(018) jeq      #0x0             jt 21\tjf 19
(019) ldh      [14]
(020) jeq      #0x86dd          jt 21\tjf 58
(021) ldh      [14]
(022) jeq      #0x800           jt 23\tjf 36
(023) ldb      [25]
(024) jeq      #0x11            jt 25\tjf 36
(025) ldh      [22]
(026) jset     #0x1fff          jt 36\tjf 27
(027) ldxb     4*([16]&0xf)
(028) ldh      [x + 18]
(029) jeq      #0x12b5          jt 30\tjf 36
(030) ldxb     4*([16]&0xf)
(031) ldb      [x + 24]
(032) jeq      #0x8             jt 33\tjf 36
(033) ldxb     4*([16]&0xf)
(034) txa
(035) jeq      x                jt 47\tjf 36
(036) ldh      [14]
(037) jeq      #0x86dd          jt 38\tjf 58
(038) ldb      [22]
(039) jeq      #0x11            jt 40\tjf 58
(040) ldh      [58]
(041) jeq      #0x12b5          jt 42\tjf 58
(042) ldb      [64]
(043) jeq      #0x8             jt 44\tjf 58
(044) ld       #0x28
(045) tax
(046) jeq      x                jt 47\tjf 58
(047) add      #24
(048) add      #8
(049) st       M[3]
(050) add      #12
(051) st       M[4]
(052) add      #2
(053) tax
(054) stx      M[5]
(055) ld       #0x0
(056) jeq      #0x0             jt 57\tjf 58
(057) ret      #262144
(058) ret      #0
";

/// A LINUX_SLL frame carrying UDP to `dport` whose payload starts with
/// `first` (VXLAN's flags byte), over IPv4 (with `frag` as the fragment
/// field) or IPv6.
fn sll_udp(v6: bool, frag: u16, dport: u16, first: u8) -> Vec<u8> {
    let mut p = vec![0, 0, 0, 1, 0, 6, 0x0a, 0x58, 0x0a, 0xf4, 1, 7, 0, 0];
    let udp_at = if v6 {
        p.extend_from_slice(&[0x86, 0xdd, 0x60, 0, 0, 0, 0, 24, 17, 64]);
        p.extend_from_slice(&[0xfd; 32]);
        p.len()
    } else {
        p.extend_from_slice(&[0x08, 0x00, 0x45, 0, 0, 44, 0x12, 0x34]);
        p.extend_from_slice(&frag.to_be_bytes());
        p.extend_from_slice(&[64, 17, 0, 0, 10, 244, 0, 21, 10, 244, 1, 7]);
        p.len()
    };
    p.extend_from_slice(&[0x80, 0x00]);
    p.extend_from_slice(&dport.to_be_bytes());
    p.extend_from_slice(&[0, 24, 0, 0, first, 0, 0, 0, 0, 0, 0, 0]);
    p.extend_from_slice(&[0; 8]);
    assert_eq!(p.len(), udp_at + 24);
    p
}

#[test]
fn a_swapped_fused_test_keeps_its_edges_meaning() {
    let unopt = match parse_d(SLL_FRAG_OR_IP6_VXLAN) {
        Ok(p) => p,
        Err(e) => panic!("the test program does not parse: {e}"),
    };
    let opt = optimize(unopt.clone());
    let listing = format(&opt, Style::D);
    let aux = Aux::default();
    let cases = [
        ("ip vxlan", sll_udp(false, 0x4000, 4789, 8), 262144),
        (
            "ip vxlan, later fragment",
            sll_udp(false, 0x0010, 4789, 8),
            0,
        ),
        ("ip udp 53", sll_udp(false, 0, 53, 8), 0),
        ("ip 4789 without the I flag", sll_udp(false, 0, 4789, 0), 0),
        ("ip6 vxlan", sll_udp(true, 0, 4789, 8), 262144),
        ("ip6 udp 53", sll_udp(true, 0, 53, 8), 0),
    ];
    for (what, pkt, want) in cases {
        let len = pkt.len() as u32;
        assert_eq!(run(&unopt, &pkt, len, &aux), want, "unoptimized, {what}");
        assert_eq!(run(&opt, &pkt, len, &aux), want, "{what}:\n{listing}");
    }
}
