//! Adapting a program compiled for a cooked link type to what the kernel
//! runs on a SOCK_DGRAM packet socket (`-i any`), as libpcap does before
//! SO_ATTACH_FILTER (pcap-linux.c `fix_program`/`fix_offset`).
//!
//! On such a socket the kernel's packet starts at the network header; the
//! cooked header libpcap (and podcap) put in front of it afterwards is not
//! there yet. Its fields exist as socket-buffer metadata, which the
//! ancillary loads read.
//!
//! Two places where podcap is stricter than libpcap, so that the kernel's
//! verdict is the one the same program gives in user space on the saved
//! packet: `len` (`ld #pktlen`) gets the header length added back (libpcap
//! leaves it 16 or 20 bytes short), and indirect or `ldx msh` loads whose
//! offset could fall inside the header are refused rather than mapped.

use super::code::*;
use super::{Insn, NEG_OFF, ancillary, op};
use crate::linktype::LinkType;
use crate::pcap::wire::{Sll, Sll2};

/// Where a header field lives and what replaces a load of it.
#[derive(Clone, Copy)]
struct Field {
    off: u32,
    size: u16,
    anc: u32,
}

// Linux cooked v1 (16 bytes): pkttype(2) hatype(2) halen(2) addr(8) proto(2).
const SLL_LEN: u32 = Sll::<&[u8]>::LEN as u32;
const SLL_FIELDS: [Field; 4] = [
    Field {
        off: 0,
        size: op::H,
        anc: ancillary::PKTTYPE,
    },
    // The packet type is below 256: its low byte is the whole value.
    Field {
        off: 1,
        size: op::B,
        anc: ancillary::PKTTYPE,
    },
    Field {
        off: 2,
        size: op::H,
        anc: ancillary::HATYPE,
    },
    Field {
        off: 14,
        size: op::H,
        anc: ancillary::PROTOCOL,
    },
];

// Linux cooked v2 (20 bytes): proto(2) reserved(2) ifindex(4) hatype(2)
// pkttype(1) halen(1) addr(8).
const SLL2_LEN: u32 = Sll2::<&[u8]>::LEN as u32;
const SLL2_FIELDS: [Field; 4] = [
    Field {
        off: 0,
        size: op::H,
        anc: ancillary::PROTOCOL,
    },
    Field {
        off: 4,
        size: op::W,
        anc: ancillary::IFINDEX,
    },
    Field {
        off: 8,
        size: op::H,
        anc: ancillary::HATYPE,
    },
    Field {
        off: 10,
        size: op::B,
        anc: ancillary::PKTTYPE,
    },
];

/// Rewrites `prog` (compiled for `LinuxSll`/`LinuxSll2`) so that the kernel
/// can run it on a packet that starts at the network header: loads of the
/// cooked header's protocol, packet type and ifindex become ancillary loads,
/// other loads shift by the header length. `None` when some load cannot be
/// expressed; the capture then filters in user space.
///
/// Other link types are returned unchanged: the kernel sees the same bytes.
pub fn cooked_to_kernel(prog: &[Insn], linktype: LinkType) -> Option<Vec<Insn>> {
    let (hdr, fields): (u32, &[Field]) = match linktype {
        LinkType::LinuxSll => (SLL_LEN, &SLL_FIELDS),
        LinkType::LinuxSll2 => (SLL2_LEN, &SLL2_FIELDS),
        _ => return Some(prog.to_vec()),
    };
    // Each old instruction becomes one or two new ones; `start[i]` is where
    // old instruction `i` begins, so jumps can be re-aimed.
    let mut out: Vec<Insn> = Vec::with_capacity(prog.len() + 4);
    let mut start = Vec::with_capacity(prog.len() + 1);
    for insn in prog {
        start.push(out.len());
        let k = insn.k;
        match insn.code {
            LD_W_ABS | LD_H_ABS | LD_B_ABS if k >= NEG_OFF => out.push(*insn),
            LD_W_ABS | LD_H_ABS | LD_B_ABS => {
                if k >= hdr {
                    out.push(Insn {
                        k: k - hdr,
                        ..*insn
                    });
                } else {
                    let f = fields
                        .iter()
                        .find(|f| f.off == k && f.size == op::size(insn.code))?;
                    out.push(Insn::stmt(LD_W_ABS, ancillary::OFF + f.anc));
                }
            }
            // `[x + k]` is `[x + (k - hdr)]` once the header is gone, as
            // long as it cannot point into the header (k >= hdr).
            LD_W_IND | LD_H_IND | LD_B_IND | LDX_MSH => {
                if k >= NEG_OFF || k < hdr {
                    return None;
                }
                out.push(Insn {
                    k: k - hdr,
                    ..*insn
                });
            }
            LD_W_LEN => {
                out.push(*insn);
                out.push(Insn::stmt(ADD_K, hdr));
            }
            // X = len + hdr would need a scratch word; compilers never
            // emit `ldx #pktlen`.
            LDX_W_LEN => return None,
            _ => out.push(*insn),
        }
    }
    start.push(out.len());
    if out.len() == prog.len() {
        return Some(out);
    }
    // Re-aim every jump at the new position of its old target.
    for (i, insn) in prog.iter().enumerate() {
        let at = start[i] + (start[i + 1] - start[i]) - 1;
        let new_target = |rel: usize| -> Option<usize> {
            let old = i.checked_add(1)?.checked_add(rel)?;
            start.get(old).copied()?.checked_sub(at + 1)
        };
        if insn.code == JA {
            let rel = new_target(insn.k as usize)?;
            out[at].k = u32::try_from(rel).ok()?;
        } else if op::class(insn.code) == op::JMP {
            out[at].jt = u8::try_from(new_target(usize::from(insn.jt))?).ok()?;
            out[at].jf = u8::try_from(new_target(usize::from(insn.jf))?).ok()?;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpf::interp::{Aux, run};
    use crate::bpf::testutil::Rng;
    use crate::bpf::validate::validate;

    fn anc(off: u32) -> u32 {
        ancillary::OFF + off
    }

    /// `inbound and ip and tcp port 80`-like program for SLL v1, as
    /// libpcap compiles it (offsets include the 16-byte header).
    fn sll_prog() -> Vec<Insn> {
        vec![
            Insn::stmt(LD_H_ABS, 0),        // pkttype
            Insn::jump(JEQ_K, 4, 9, 0),     // outgoing -> reject
            Insn::stmt(LD_H_ABS, 14),       // protocol
            Insn::jump(JEQ_K, 0x800, 0, 7), //
            Insn::stmt(LD_B_ABS, 25),       // ip proto
            Insn::jump(JEQ_K, 6, 0, 5),     //
            Insn::stmt(LDX_MSH, 16),        // ip hl
            Insn::stmt(LD_H_IND, 18),       // tcp dport
            Insn::jump(JEQ_K, 80, 0, 2),    //
            Insn::stmt(LD_W_LEN, 0),        //
            Insn::jump(JGT_K, 100, 1, 0),   //
            Insn::stmt(RET_K, 0),           //
            Insn::stmt(RET_K, 262144),      //
        ]
    }

    #[test]
    fn sll_fields_become_ancillary_loads() {
        let got = cooked_to_kernel(&sll_prog(), LinkType::LinuxSll);
        let want = vec![
            Insn::stmt(LD_W_ABS, anc(ancillary::PKTTYPE)),
            Insn::jump(JEQ_K, 4, 10, 0),
            Insn::stmt(LD_W_ABS, anc(ancillary::PROTOCOL)),
            Insn::jump(JEQ_K, 0x800, 0, 8),
            Insn::stmt(LD_B_ABS, 9),
            Insn::jump(JEQ_K, 6, 0, 6),
            Insn::stmt(LDX_MSH, 0),
            Insn::stmt(LD_H_IND, 2),
            Insn::jump(JEQ_K, 80, 0, 3),
            Insn::stmt(LD_W_LEN, 0),
            Insn::stmt(op::ALU | op::ADD | op::K, 16),
            Insn::jump(JGT_K, 100, 1, 0),
            Insn::stmt(RET_K, 0),
            Insn::stmt(RET_K, 262144),
        ];
        assert_eq!(got, Some(want));
    }

    #[test]
    fn sll2_fields() {
        let prog = vec![
            Insn::stmt(LD_H_ABS, 0),
            Insn::stmt(LD_W_ABS, 4),
            Insn::stmt(LD_H_ABS, 8),
            Insn::stmt(LD_B_ABS, 10),
            Insn::stmt(LD_B_ABS, 29),
            Insn::stmt(LD_B_ABS, anc(ancillary::VLAN_TAG_PRESENT)),
            Insn::stmt(RET_K, 65535),
        ];
        let want = vec![
            Insn::stmt(LD_W_ABS, anc(ancillary::PROTOCOL)),
            Insn::stmt(LD_W_ABS, anc(ancillary::IFINDEX)),
            Insn::stmt(LD_W_ABS, anc(ancillary::HATYPE)),
            Insn::stmt(LD_W_ABS, anc(ancillary::PKTTYPE)),
            Insn::stmt(LD_B_ABS, 9),
            Insn::stmt(LD_B_ABS, anc(ancillary::VLAN_TAG_PRESENT)),
            Insn::stmt(RET_K, 65535),
        ];
        assert_eq!(cooked_to_kernel(&prog, LinkType::LinuxSll2), Some(want));
    }

    #[test]
    fn unexpressible_loads_fall_back_to_user_space() {
        let ret = Insn::stmt(RET_K, 1);
        for (lt, bad) in [
            (LinkType::LinuxSll, Insn::stmt(LD_W_ABS, 6)), // address
            (LinkType::LinuxSll, Insn::stmt(LD_B_ABS, 14)), // half the protocol
            (LinkType::LinuxSll, Insn::stmt(LD_W_ABS, 14)), // straddles
            (LinkType::LinuxSll, Insn::stmt(LDX_MSH, 0)),
            (LinkType::LinuxSll, Insn::stmt(LD_B_IND, 15)),
            (LinkType::LinuxSll2, Insn::stmt(LD_H_ABS, 12)), // address
            (LinkType::LinuxSll2, Insn::stmt(LD_H_ABS, 4)),  // half the ifindex
            (LinkType::LinuxSll2, Insn::stmt(LD_B_IND, 0)),
            (LinkType::LinuxSll2, Insn::stmt(LDX_W_LEN, 0)),
        ] {
            assert_eq!(cooked_to_kernel(&[bad, ret], lt), None, "{bad:?} {lt:?}");
        }
    }

    #[test]
    fn other_link_types_are_unchanged() {
        let p = sll_prog();
        assert_eq!(cooked_to_kernel(&p, LinkType::En10mb), Some(p.clone()));
        assert_eq!(cooked_to_kernel(&p, LinkType::Raw), Some(p));
    }

    #[test]
    fn jumps_too_far_after_insertion_fall_back() {
        // A jump over 255 instructions, one of which grows.
        let mut p = vec![Insn::jump(JEQ_K, 0, 255, 0), Insn::stmt(LD_W_LEN, 0)];
        p.extend(std::iter::repeat_n(Insn::stmt(LD_IMM, 0), 254));
        p.push(Insn::stmt(RET_K, 0));
        assert_eq!(validate(&p), Ok(()));
        assert_eq!(cooked_to_kernel(&p, LinkType::LinuxSll), None);
        // `ja` has a 32-bit offset and survives.
        p[0] = Insn::stmt(JA, 255);
        let q = cooked_to_kernel(&p, LinkType::LinuxSll);
        assert_eq!(q.as_ref().map(|q| q[0].k), Some(256));
    }

    /// The converted program on the kernel's view (network header first,
    /// metadata in Aux) gives the verdict the original gives on the cooked
    /// packet, for random packets and header fields.
    #[test]
    fn same_verdict_as_on_the_cooked_packet() {
        let mut rng = Rng::new(77);
        for lt in [LinkType::LinuxSll, LinkType::LinuxSll2] {
            let hdr = if lt == LinkType::LinuxSll { 16 } else { 20 };
            let progs = [
                sll_prog(),
                vec![
                    Insn::stmt(LD_H_ABS, 0),
                    Insn::stmt(ST, 0),
                    Insn::stmt(LD_W_ABS, 4),
                    Insn::stmt(LDX_MEM, 0),
                    Insn::stmt(op::ALU | op::ADD | op::X, 0),
                    Insn::stmt(op::ALU | op::XOR | op::K, 0x800),
                    Insn::jump(JGT_K, 3, 0, 1),
                    Insn::stmt(RET_A, 0),
                    Insn::stmt(LD_B_ABS, 10),
                    Insn::stmt(op::ALU | op::ADD | op::K, 1),
                    Insn::stmt(RET_A, 0),
                ],
            ];
            let mut tested = 0;
            for prog in &progs {
                let Some(conv) = cooked_to_kernel(prog, lt) else {
                    continue;
                };
                tested += 1;
                for _ in 0..2000 {
                    let other = rng.u32() as u16;
                    let protocol = rng.pick(&[0x800u16, 0x86dd, 0x806, other]);
                    let pkttype = rng.pick(&[0u8, 1, 2, 3, 4]);
                    let ifindex = rng.below(5) as u32;
                    let hatype = rng.pick(&[1u16, 772, 65534]);
                    let mut cooked = vec![0u8; hdr];
                    if lt == LinkType::LinuxSll {
                        cooked[0..2].copy_from_slice(&u16::from(pkttype).to_be_bytes());
                        cooked[2..4].copy_from_slice(&hatype.to_be_bytes());
                        cooked[14..16].copy_from_slice(&protocol.to_be_bytes());
                    } else {
                        cooked[0..2].copy_from_slice(&protocol.to_be_bytes());
                        cooked[4..8].copy_from_slice(&ifindex.to_be_bytes());
                        cooked[8..10].copy_from_slice(&hatype.to_be_bytes());
                        cooked[10] = pkttype;
                    }
                    let n = rng.below(60);
                    let mut payload: Vec<u8> = (0..n).map(|_| rng.u32() as u8).collect();
                    if n > 9 && rng.chance(50) {
                        payload[0] = 0x45;
                        payload[9] = 6;
                    }
                    cooked.extend_from_slice(&payload);
                    let wire = cooked.len() as u32 + rng.below(3) as u32;
                    let aux = Aux {
                        protocol,
                        pkttype,
                        ifindex,
                        ..Aux::default()
                    };
                    let want = run(prog, &cooked, wire, &Aux::default());
                    let got = run(&conv, &payload, wire - hdr as u32, &aux);
                    assert_eq!(got, want, "{lt:?} {prog:?}\ncooked {cooked:02x?}");
                }
            }
            assert!(tested > 0, "{lt:?}: no program converted");
        }
    }
}
