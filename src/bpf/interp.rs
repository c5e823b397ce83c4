//! A classic BPF interpreter with the kernel's semantics (out-of-bounds
//! loads reject, division by zero rejects), for `-r` files, user-space
//! fallback and tests.
//!
//! It never panics, whatever the program: unknown opcodes, jumps past the
//! end, scratch indices out of range and falling off the end all return 0,
//! as the kernel would have refused such a program in the first place.

use super::code::*;
use super::{Insn, MEMWORDS, NEG_OFF, ancillary};

/// Packet metadata that ancillary loads (`SKF_AD_*`) read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Aux {
    /// EtherType of the packet (`skb->protocol`), host order.
    pub protocol: u16,
    /// `PACKET_HOST`, `PACKET_BROADCAST`, ... (`skb->pkt_type`).
    pub pkttype: u8,
    pub ifindex: u32,
    /// VLAN tag the kernel stripped, if any.
    pub vlan_tci: Option<u16>,
    pub vlan_tpid: u16,
}

/// `SKF_LL_OFF` as the unsigned `k`: loads at `SKF_LL_OFF + n` read the
/// link-layer header, which is where our packets start.
const LL_OFF: u32 = 0xffe0_0000;
/// `SKF_NET_OFF`: the network header, whose offset we do not know here.
const NET_OFF: u32 = 0xfff0_0000;

/// Where an absolute or indirect load at `off` reads from.
#[inline]
fn packet_offset(off: u32) -> Option<usize> {
    if off < NEG_OFF {
        Some(off as usize)
    } else if (LL_OFF..NET_OFF).contains(&off) {
        Some((off - LL_OFF) as usize)
    } else {
        None
    }
}

#[inline]
fn load(pkt: &[u8], off: u32, size: usize) -> Option<u32> {
    let start = packet_offset(off)?;
    // One arm per size, so each is a single bounds check and a load.
    match size {
        4 => pkt
            .get(start..start.checked_add(4)?)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes),
        2 => pkt
            .get(start..start.checked_add(2)?)
            .and_then(|b| b.try_into().ok())
            .map(|b| u32::from(u16::from_be_bytes(b))),
        _ => pkt.get(start).map(|&b| u32::from(b)),
    }
}

/// The value of an ancillary load, `None` when the kernel would abort the
/// program (no such extension).
#[inline]
fn ancillary_value(k: u32, x: u32, a: u32, aux: &Aux) -> Option<u32> {
    let off = k.wrapping_sub(ancillary::OFF);
    Some(match off {
        ancillary::PROTOCOL => u32::from(aux.protocol),
        ancillary::PKTTYPE => u32::from(aux.pkttype),
        ancillary::IFINDEX => aux.ifindex,
        ancillary::VLAN_TAG => u32::from(aux.vlan_tci.unwrap_or(0)),
        ancillary::VLAN_TAG_PRESENT => u32::from(aux.vlan_tci.is_some()),
        ancillary::VLAN_TPID => u32::from(aux.vlan_tpid),
        ancillary::ALU_XOR_X => a ^ x,
        // Metadata a saved packet does not carry (mark, queue, hash, cpu,
        // netlink attributes, payload offset, random): the kernel would
        // give some value; zero is as good as any and deterministic.
        ancillary::NLATTR
        | ancillary::NLATTR_NEST
        | ancillary::MARK
        | ancillary::QUEUE
        | ancillary::HATYPE
        | ancillary::RXHASH
        | ancillary::CPU
        | ancillary::PAY_OFFSET
        | ancillary::RANDOM => 0,
        _ => return None,
    })
}

/// Runs `prog` over `pkt` (the captured bytes; `wirelen` is the original
/// length for `len`) and returns what the program returns: 0 rejects,
/// anything else is the number of bytes to keep.
pub fn run(prog: &[Insn], pkt: &[u8], wirelen: u32, aux: &Aux) -> u32 {
    let mut a: u32 = 0;
    let mut x: u32 = 0;
    let mut mem = [0u32; MEMWORDS];
    let mut pc: usize = 0;
    // Every step moves `pc` forward (jumps are relative and unsigned), so
    // the loop ends after at most `prog.len()` instructions.
    while let Some(insn) = prog.get(pc) {
        pc += 1;
        let k = insn.k;
        match insn.code {
            RET_K => return k,
            RET_A => return a,
            LD_W_ABS | LD_H_ABS | LD_B_ABS => {
                if k >= ancillary::OFF {
                    match ancillary_value(k, x, a, aux) {
                        Some(v) => a = v,
                        None => return 0,
                    }
                } else {
                    // From the exact opcode the dispatch has already
                    // compared, not op::size_bytes: masking out the size
                    // bits again costs an instruction on every load.
                    let size = match insn.code {
                        LD_W_ABS => 4,
                        LD_H_ABS => 2,
                        _ => 1,
                    };
                    match load(pkt, k, size) {
                        Some(v) => a = v,
                        None => return 0,
                    }
                }
            }
            LD_W_IND | LD_H_IND | LD_B_IND => {
                let size = match insn.code {
                    LD_W_IND => 4,
                    LD_H_IND => 2,
                    _ => 1,
                };
                // The kernel adds in 32-bit signed arithmetic.
                match load(pkt, x.wrapping_add(k), size) {
                    Some(v) => a = v,
                    None => return 0,
                }
            }
            LD_W_LEN => a = wirelen,
            LDX_W_LEN => x = wirelen,
            LD_IMM => a = k,
            LDX_IMM => x = k,
            LD_MEM => match mem.get(k as usize) {
                Some(&v) => a = v,
                None => return 0,
            },
            LDX_MEM => match mem.get(k as usize) {
                Some(&v) => x = v,
                None => return 0,
            },
            LDX_MSH => match load(pkt, k, 1) {
                Some(v) => x = 4 * (v & 0xf),
                None => return 0,
            },
            ST => match mem.get_mut(k as usize) {
                Some(m) => *m = a,
                None => return 0,
            },
            STX => match mem.get_mut(k as usize) {
                Some(m) => *m = x,
                None => return 0,
            },
            TAX => x = a,
            TXA => a = x,
            NEG => a = a.wrapping_neg(),
            JA => match pc.checked_add(k as usize) {
                Some(t) => pc = t,
                None => return 0,
            },
            // Each exact opcode its own arm, so the match is a jump table.
            JEQ_K => pc += usize::from(if a == k { insn.jt } else { insn.jf }),
            JEQ_X => pc += usize::from(if a == x { insn.jt } else { insn.jf }),
            JGT_K => pc += usize::from(if a > k { insn.jt } else { insn.jf }),
            JGT_X => pc += usize::from(if a > x { insn.jt } else { insn.jf }),
            JGE_K => pc += usize::from(if a >= k { insn.jt } else { insn.jf }),
            JGE_X => pc += usize::from(if a >= x { insn.jt } else { insn.jf }),
            JSET_K => pc += usize::from(if a & k != 0 { insn.jt } else { insn.jf }),
            JSET_X => pc += usize::from(if a & x != 0 { insn.jt } else { insn.jf }),
            ADD_K => a = a.wrapping_add(k),
            ADD_X => a = a.wrapping_add(x),
            SUB_K => a = a.wrapping_sub(k),
            SUB_X => a = a.wrapping_sub(x),
            MUL_K => a = a.wrapping_mul(k),
            MUL_X => a = a.wrapping_mul(x),
            DIV_K => match a.checked_div(k) {
                Some(r) => a = r,
                None => return 0,
            },
            DIV_X => match a.checked_div(x) {
                Some(r) => a = r,
                None => return 0,
            },
            MOD_K => match a.checked_rem(k) {
                Some(r) => a = r,
                None => return 0,
            },
            MOD_X => match a.checked_rem(x) {
                Some(r) => a = r,
                None => return 0,
            },
            AND_K => a &= k,
            AND_X => a &= x,
            OR_K => a |= k,
            OR_X => a |= x,
            XOR_K => a ^= k,
            XOR_X => a ^= x,
            // The kernel masks the shift count (x86 semantics); constant
            // counts >= 32 are refused by the validator.
            LSH_K => a = a.wrapping_shl(k),
            LSH_X => a = a.wrapping_shl(x),
            RSH_K => a = a.wrapping_shr(k),
            RSH_X => a = a.wrapping_shr(x),
            _ => return 0,
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::{Aux, LL_OFF, run};
    use crate::bpf::op::*;
    use crate::bpf::{Insn, ancillary};

    fn s(code: u16, k: u32) -> Insn {
        Insn::stmt(code, k)
    }
    fn j(code: u16, k: u32, jt: u8, jf: u8) -> Insn {
        Insn::jump(code, k, jt, jf)
    }
    fn run0(prog: &[Insn], pkt: &[u8]) -> u32 {
        run(prog, pkt, pkt.len() as u32, &Aux::default())
    }

    const PKT: [u8; 8] = [0x45, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07];

    #[test]
    fn loads_are_big_endian_and_bounded() {
        let p = [s(LD | W | ABS, 0), s(RET | A, 0)];
        assert_eq!(run0(&p, &PKT), 0x4501_0203);
        let p = [s(LD | H | ABS, 6), s(RET | A, 0)];
        assert_eq!(run0(&p, &PKT), 0x0607);
        // A halfword at offset 7 crosses the end: the program rejects.
        let p = [s(LD | H | ABS, 7), s(RET | K, 99)];
        assert_eq!(run0(&p, &PKT), 0);
        let p = [s(LD | B | ABS, 7), s(RET | A, 0)];
        assert_eq!(run0(&p, &PKT), 7);
        let p = [s(LD | W | ABS, u32::MAX - 1), s(RET | K, 1)];
        assert_eq!(run0(&p, &PKT), 0);
    }

    #[test]
    fn indirect_and_msh() {
        let p = [
            s(LDX | B | MSH, 0),
            s(LD | B | IND, 0xffff_fffe),
            s(RET | A, 0),
        ];
        // X = 4 * 5 = 20, beyond the packet after wrapping: 18.
        assert_eq!(run0(&p, &PKT), 0);
        let p = [s(LDX | IMM, 2), s(LD | H | IND, 1), s(RET | A, 0)];
        assert_eq!(run0(&p, &PKT), 0x0304);
        let p = [s(LDX | B | MSH, 0), s(MISC | TXA, 0), s(RET | A, 0)];
        assert_eq!(run0(&p, &PKT), 20);
        let p = [s(LDX | B | MSH, 8), s(RET | K, 1)];
        assert_eq!(run0(&p, &PKT), 0);
    }

    #[test]
    fn len_and_scratch() {
        let p = [
            s(LD | W | LEN, 0),
            s(ST, 15),
            s(LD | IMM, 0),
            s(LDX | MEM, 15),
            s(MISC | TXA, 0),
            s(RET | A, 0),
        ];
        assert_eq!(run(&p, &PKT, 1500, &Aux::default()), 1500);
        let p = [s(LD | MEM, 16), s(RET | K, 1)];
        assert_eq!(run0(&p, &PKT), 0);
        let p = [s(STX, 99), s(RET | K, 1)];
        assert_eq!(run0(&p, &PKT), 0);
    }

    #[test]
    fn alu() {
        let cases: [(u16, u32, u32, u32); 12] = [
            (ADD, 7, 0xffff_ffff, 6),
            (SUB, 7, 8, 0xffff_ffff),
            (MUL, 0x8000_0000, 2, 0),
            (DIV, 7, 2, 3),
            (MOD, 7, 4, 3),
            (AND, 6, 3, 2),
            (OR, 6, 3, 7),
            (XOR, 6, 3, 5),
            (LSH, 1, 31, 0x8000_0000),
            (RSH, 0x8000_0000, 31, 1),
            (LSH, 1, 33, 2),
            (RSH, 4, 34, 1),
        ];
        for (opc, a, v, want) in cases {
            let p = [s(LD | IMM, a), s(ALU | opc | K, v), s(RET | A, 0)];
            assert_eq!(run0(&p, &PKT), want, "op {opc:#x} k");
            let p = [
                s(LD | IMM, a),
                s(LDX | IMM, v),
                s(ALU | opc | X, 0),
                s(RET | A, 0),
            ];
            assert_eq!(run0(&p, &PKT), want, "op {opc:#x} x");
        }
        let p = [s(LD | IMM, 5), s(ALU | NEG, 0), s(RET | A, 0)];
        assert_eq!(run0(&p, &PKT), 5u32.wrapping_neg());
    }

    #[test]
    fn division_by_zero_rejects() {
        for opc in [DIV, MOD] {
            let p = [s(LD | IMM, 5), s(ALU | opc | X, 0), s(RET | K, 1)];
            assert_eq!(run0(&p, &PKT), 0);
            let p = [s(LD | IMM, 5), s(ALU | opc | K, 0), s(RET | K, 1)];
            assert_eq!(run0(&p, &PKT), 0);
        }
    }

    #[test]
    fn jumps() {
        let p = [
            s(LD | B | ABS, 0),
            j(JMP | JEQ | K, 0x45, 1, 0),
            s(RET | K, 1),
            j(JMP | JGT | K, 0x44, 0, 1),
            s(RET | K, 2),
            s(RET | K, 3),
        ];
        assert_eq!(run0(&p, &PKT), 2);
        let p = [
            s(LD | IMM, 0x10),
            s(LDX | IMM, 0x30),
            j(JMP | JSET | X, 0, 1, 0),
            s(RET | K, 1),
            j(JMP | JGE | X, 0, 0, 1),
            s(RET | K, 2),
            s(JMP | JA, 1),
            s(RET | K, 3),
            s(RET | K, 4),
        ];
        assert_eq!(run0(&p, &PKT), 4);
    }

    #[test]
    fn invalid_programs_return_zero() {
        let bad = [
            vec![],
            vec![s(LD | IMM, 1)],
            vec![s(JMP | JA, u32::MAX), s(RET | K, 1)],
            vec![j(JMP | JEQ | K, 0, 200, 200), s(RET | K, 1)],
            vec![s(0xffff, 0), s(RET | K, 1)],
            vec![s(RET | X, 0)],
            vec![s(LD | H | IMM, 0), s(RET | K, 1)],
            vec![s(ALU | 0xb0 | K, 0), s(RET | K, 1)],
            vec![j(JMP | 0x50 | K, 0, 0, 0), s(RET | K, 1)],
        ];
        for p in bad {
            assert_eq!(run0(&p, &PKT), 0, "{p:?}");
        }
    }

    #[test]
    fn ancillary_loads() {
        let aux = Aux {
            protocol: 0x0800,
            pkttype: 4,
            ifindex: 7,
            vlan_tci: Some(0x2064),
            vlan_tpid: 0x88a8,
        };
        let cases = [
            (ancillary::PROTOCOL, 0x0800),
            (ancillary::PKTTYPE, 4),
            (ancillary::IFINDEX, 7),
            (ancillary::VLAN_TAG, 0x2064),
            (ancillary::VLAN_TAG_PRESENT, 1),
            (ancillary::VLAN_TPID, 0x88a8),
            (ancillary::MARK, 0),
        ];
        for (off, want) in cases {
            // The kernel ignores the load size for extensions; libpcap
            // emits `ldb [vlanp]` and `ldh [type]`.
            for size in [W, H, B] {
                let p = [s(LD | size | ABS, ancillary::OFF + off), s(RET | A, 0)];
                assert_eq!(run(&p, &[], 0, &aux), want, "off {off} size {size}");
            }
        }
        let p = [
            s(LD | B | ABS, ancillary::OFF + ancillary::VLAN_TAG_PRESENT),
            s(RET | A, 0),
        ];
        assert_eq!(run(&p, &[], 0, &Aux::default()), 0);
        let p = [
            s(LD | IMM, 6),
            s(LDX | IMM, 3),
            s(LD | W | ABS, ancillary::OFF + ancillary::ALU_XOR_X),
            s(RET | A, 0),
        ];
        assert_eq!(run0(&p, &PKT), 5);
        let p = [s(LD | W | ABS, ancillary::OFF + 64), s(RET | K, 1)];
        assert_eq!(run0(&p, &PKT), 0);
        // SKF_LL_OFF + n is the link-layer header at n.
        let p = [s(LD | B | ABS, LL_OFF + 1), s(RET | A, 0)];
        assert_eq!(run0(&p, &PKT), 1);
    }

    /// `cargo test --release --lib bpf::interp::tests::bench_interp -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn bench_interp() {
        // libpcap's optimized `tcp port 80` for EN10MB (20 instructions).
        let prog = crate::bpf::print::parse_d(
            "(000) ldh      [12]\n(001) jeq      #0x86dd          jt 2\tjf 8\n\
             (002) ldb      [20]\n(003) jeq      #0x6             jt 4\tjf 19\n\
             (004) ldh      [54]\n(005) jeq      #0x50            jt 18\tjf 6\n\
             (006) ldh      [56]\n(007) jeq      #0x50            jt 18\tjf 19\n\
             (008) jeq      #0x800           jt 9\tjf 19\n(009) ldb      [23]\n\
             (010) jeq      #0x6             jt 11\tjf 19\n(011) ldh      [20]\n\
             (012) jset     #0x1fff          jt 19\tjf 13\n(013) ldxb     4*([14]&0xf)\n\
             (014) ldh      [x + 14]\n(015) jeq      #0x50            jt 18\tjf 16\n\
             (016) ldh      [x + 16]\n(017) jeq      #0x50            jt 18\tjf 19\n\
             (018) ret      #262144\n(019) ret      #0\n",
        )
        .unwrap_or_default();
        let mut pkt = vec![0u8; 74];
        pkt[12] = 0x08;
        pkt[14] = 0x45;
        pkt[23] = 6;
        pkt[36] = 0;
        pkt[37] = 80;
        let n = 20_000_000u32;
        let t0 = std::time::Instant::now();
        let mut acc = 0u64;
        for i in 0..n {
            pkt[37] = if i & 1 == 0 { 80 } else { 81 };
            acc += u64::from(run(&prog, std::hint::black_box(&pkt), 74, &Aux::default()));
        }
        let el = t0.elapsed();
        eprintln!(
            "interpreter: {:.1} ns per packet (`tcp port 80`, 13-16 instructions run), {acc}",
            el.as_secs_f64() * 1e9 / f64::from(n)
        );
    }

    /// What the fuzz target (fuzz/fuzz_targets/bpf_interp.rs) checks, on
    /// arbitrary bytes from a PRNG: nothing panics, text round-trips.
    #[test]
    fn arbitrary_bytes_never_panic() {
        use crate::bpf::print::{Style, format, parse_d, parse_dd, parse_ddd};
        use crate::bpf::testutil::{Rng, random_program};
        use crate::bpf::{kernel, optimize, validate, wire};
        use crate::linktype::LinkType;
        let mut rng = Rng::new(1);
        for case in 0..10_000 {
            let prog = if case % 2 == 0 {
                let n = rng.below(12) * wire::LEN;
                let bytes: Vec<u8> = (0..n).map(|_| rng.u32() as u8).collect();
                wire::parse_program(&bytes).unwrap_or_default()
            } else {
                random_program(&mut rng, 12)
            };
            let len = rng.below(80);
            let pkt: Vec<u8> = (0..len).map(|_| rng.u32() as u8).collect();
            let aux = Aux {
                vlan_tci: Some(rng.u32() as u16),
                ..Aux::default()
            };
            let verdict = run(&prog, &pkt, len as u32, &aux);
            // `-d` omits fields an instruction does not use (and `unimp`
            // omits k): the text, not the instructions, round-trips.
            let d = format(&prog, Style::D);
            let back = parse_d(&d).map(|p| format(&p, Style::D));
            assert_eq!(back.as_ref().ok(), Some(&d));
            assert_eq!(
                parse_dd(&format(&prog, Style::Dd)).ok().as_ref(),
                Some(&prog)
            );
            assert_eq!(
                parse_ddd(&format(&prog, Style::Ddd)).ok().as_ref(),
                Some(&prog)
            );
            let _ = parse_d(&String::from_utf8_lossy(&pkt));
            let _ = parse_ddd(&String::from_utf8_lossy(&pkt));
            if validate::validate(&prog).is_ok() {
                let opt = optimize::optimize(prog.clone());
                assert!(validate::validate(&opt).is_ok());
                assert_eq!(run(&opt, &pkt, len as u32, &aux), verdict);
            }
            for lt in LinkType::ALL {
                let _ = kernel::cooked_to_kernel(&prog, lt);
            }
        }
    }
}
