//! A second, independent classic BPF interpreter (test-only) with
//! libpcap's user-space `bpf_filter` semantics: `ja` may jump backwards
//! (libpcap's own `protochain` code loops that way; the kernel would refuse
//! it, so `podcap::bpf::interp` does not run it), bounded by a step limit.
//! Also used to cross-check `podcap::bpf::interp` on ordinary programs.

use podcap::bpf::interp::Aux;
use podcap::bpf::op::*;
use podcap::bpf::{Insn, MEMWORDS, ancillary};

fn load(pkt: &[u8], k: u32, size: u16, aux: &Aux, wirelen: u32) -> Option<u32> {
    if k >= ancillary::OFF {
        let off = k - ancillary::OFF;
        return Some(match off {
            ancillary::PROTOCOL => u32::from(aux.protocol),
            ancillary::PKTTYPE => u32::from(aux.pkttype),
            ancillary::IFINDEX => aux.ifindex,
            ancillary::VLAN_TAG => u32::from(aux.vlan_tci.unwrap_or(0)),
            ancillary::VLAN_TAG_PRESENT => u32::from(aux.vlan_tci.is_some()),
            ancillary::VLAN_TPID => u32::from(aux.vlan_tpid),
            _ => return None,
        });
    }
    let _ = wirelen;
    let k = k as usize;
    let n = match size {
        W => 4,
        H => 2,
        _ => 1,
    };
    let b = pkt.get(k..k.checked_add(n)?)?;
    Some(b.iter().fold(0u32, |a, &x| (a << 8) | u32::from(x)))
}

/// Runs `prog`; `None` if it runs past its end or loops too long.
pub fn run(prog: &[Insn], pkt: &[u8], wirelen: u32, aux: &Aux) -> Option<u32> {
    let (mut a, mut x) = (0u32, 0u32);
    let mut mem = [0u32; MEMWORDS];
    let mut pc: usize = 0;
    for _ in 0..1_000_000 {
        let i = *prog.get(pc)?;
        pc += 1;
        let k = i.k;
        match class(i.code) {
            LD | LDX => {
                let v = match mode(i.code) {
                    IMM => k,
                    LEN => wirelen,
                    MEM => *mem.get(k as usize)?,
                    ABS => match load(pkt, k, size(i.code), aux, wirelen) {
                        Some(v) => v,
                        None => return Some(0),
                    },
                    IND => match load(pkt, x.wrapping_add(k), size(i.code), aux, wirelen) {
                        Some(v) => v,
                        None => return Some(0),
                    },
                    MSH => match pkt.get(k as usize) {
                        Some(b) => u32::from(b & 0xf) * 4,
                        None => return Some(0),
                    },
                    _ => return None,
                };
                if class(i.code) == LD {
                    a = v;
                } else {
                    x = v;
                }
            }
            ST => *mem.get_mut(k as usize)? = a,
            STX => *mem.get_mut(k as usize)? = x,
            ALU => {
                let v = if src(i.code) == X { x } else { k };
                a = match alu_op(i.code) {
                    ADD => a.wrapping_add(v),
                    SUB => a.wrapping_sub(v),
                    MUL => a.wrapping_mul(v),
                    DIV => match a.checked_div(v) {
                        Some(r) => r,
                        None => return Some(0),
                    },
                    MOD => match a.checked_rem(v) {
                        Some(r) => r,
                        None => return Some(0),
                    },
                    OR => a | v,
                    AND => a & v,
                    XOR => a ^ v,
                    // libpcap's `A <<= X` in C: on x86 (and in the
                    // kernel's BPF) the count is taken modulo 32.
                    LSH => a.wrapping_shl(v),
                    RSH => a.wrapping_shr(v),
                    NEG => a.wrapping_neg(),
                    _ => return None,
                };
            }
            JMP => {
                let v = if src(i.code) == X { x } else { k };
                let taken = match i.code & 0xf0 {
                    JA => {
                        pc = (pc as u32).wrapping_add(k) as usize;
                        continue;
                    }
                    JEQ => a == v,
                    JGT => a > v,
                    JGE => a >= v,
                    JSET => a & v != 0,
                    _ => return None,
                };
                pc += usize::from(if taken { i.jt } else { i.jf });
            }
            RET => {
                return Some(match rval(i.code) {
                    A => a,
                    X => x,
                    _ => k,
                });
            }
            MISC => {
                if miscop(i.code) == TXA {
                    a = x;
                } else {
                    x = a;
                }
            }
            _ => return None,
        }
    }
    None
}

/// Whether `prog` jumps backwards (only libpcap's user-space interpreter
/// runs such programs).
pub fn has_backward_jump(prog: &[Insn]) -> bool {
    prog.iter()
        .any(|i| class(i.code) == JMP && i.code & 0xf0 == JA && i.k >= 0x8000_0000)
}
