#![allow(unsafe_code)] // TODO(issue 8): test helpers move to tests/ (test kit)
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
        LinkType::En10mb | LinkType::Raw => return Some(prog.to_vec()),
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

    /// A converted program attached to a real SOCK_DGRAM packet socket
    /// (what `-i any` uses), in a private network namespace with only
    /// `lo`: the kernel accepts it and filters as the cooked program says.
    #[test]
    fn kernel_runs_the_converted_program() {
        let handle = std::thread::spawn(kernel_filter_in_private_netns);
        match handle.join() {
            Ok(Ok(())) => {}
            Ok(Err(skip)) => eprintln!("skipping: {skip}"),
            Err(p) => std::panic::resume_unwind(p),
        }
    }

    /// `udp dst port 5555 and outbound` for LINUX_SLL, as libpcap
    /// compiles it (offsets include the 16-byte cooked header).
    fn sll_udp_5555_outbound() -> Vec<Insn> {
        vec![
            Insn::stmt(LD_H_ABS, 0),
            Insn::jump(JEQ_K, 4, 0, 10),
            Insn::stmt(LD_H_ABS, 14),
            Insn::jump(JEQ_K, 0x800, 0, 8),
            Insn::stmt(LD_B_ABS, 25),
            Insn::jump(JEQ_K, 17, 0, 6),
            Insn::stmt(LD_H_ABS, 22),
            Insn::jump(JSET_K, 0x1fff, 4, 0),
            Insn::stmt(LDX_MSH, 16),
            Insn::stmt(LD_H_IND, 18),
            Insn::jump(JEQ_K, 5555, 0, 1),
            Insn::stmt(RET_K, 262144),
            Insn::stmt(RET_K, 0),
        ]
    }

    fn kernel_filter_in_private_netns() -> Result<(), String> {
        use crate::bpf::wire::SockFprog;
        use std::net::UdpSocket;
        // SAFETY: unshare(2) on this (test-only, short-lived) thread.
        if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
            return Err(format!(
                "unshare(CLONE_NEWNET): {}",
                std::io::Error::last_os_error()
            ));
        }
        let up = std::process::Command::new("ip")
            .args(["link", "set", "lo", "up"])
            .status()
            .map_err(|e| format!("ip: {e}"))?;
        assert!(up.success(), "ip link set lo up failed");
        let prog =
            cooked_to_kernel(&sll_udp_5555_outbound(), LinkType::LinuxSll).expect("convertible");
        assert_eq!(validate(&prog), Ok(()));
        let fprog = SockFprog::new(&prog).expect("length");
        let proto = (libc::ETH_P_ALL as u16).to_be();
        // SAFETY: plain socket(2); closed at the end of this function.
        let fd = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
                i32::from(proto),
            )
        };
        assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
        // SAFETY: fprog borrows `prog`, alive across the call; optlen
        // matches the struct.
        let rc = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_ATTACH_FILTER,
                fprog.as_raw() as *const libc::sock_fprog as *const libc::c_void,
                SockFprog::optlen(),
            )
        };
        assert_eq!(
            rc,
            0,
            "SO_ATTACH_FILTER: {}",
            std::io::Error::last_os_error()
        );
        // Only a guard against hanging forever; nothing asserts on time.
        let tv = libc::timeval {
            tv_sec: 5,
            tv_usec: 0,
        };
        // SAFETY: setsockopt with a timeval of the right size.
        unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                &tv as *const libc::timeval as *const libc::c_void,
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            )
        };
        let rx = UdpSocket::bind("127.0.0.1:5555").map_err(|e| e.to_string())?;
        let tx = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        // Two packets pass; anything wrongly let through (other ports,
        // the incoming copies) would be queued before the second one, so
        // no waiting for an absence is needed.
        for (port, payload) in [
            (5556u16, "no"),
            (5557, "no"),
            (5555, "first"),
            (5555, "second"),
        ] {
            tx.send_to(payload.as_bytes(), ("127.0.0.1", port))
                .map_err(|e| e.to_string())?;
        }
        let mut got = Vec::new();
        for _ in 0..2 {
            let mut buf = [0u8; 2048];
            // SAFETY: zeroed sockaddr_ll is a valid value to be filled in.
            let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
            let mut len = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
            // SAFETY: buf and sll are valid for the sizes passed.
            let n = unsafe {
                libc::recvfrom(
                    fd,
                    buf.as_mut_ptr() as *mut libc::c_void,
                    buf.len(),
                    0,
                    &mut sll as *mut libc::sockaddr_ll as *mut libc::sockaddr,
                    &mut len,
                )
            };
            if n < 0 {
                break;
            }
            got.push((sll.sll_pkttype, buf[..n as usize].to_vec()));
        }
        // SAFETY: fd is ours, closed once.
        unsafe { libc::close(fd) };
        drop(rx);
        // Only the outgoing copies to port 5555 pass (the incoming copies
        // and the other ports are filtered by the kernel).
        assert_eq!(got.len(), 2, "packets received: {got:?}");
        for ((pkttype, ip), want) in got.iter().zip(["first", "second"]) {
            assert_eq!(*pkttype, libc::PACKET_OUTGOING);
            let ihl = usize::from(ip[0] & 0xf) * 4;
            assert_eq!(&ip[ihl + 2..ihl + 4], &5555u16.to_be_bytes());
            assert_eq!(&ip[ihl + 8..], want.as_bytes());
        }
        Ok(())
    }

    /// Random cooked-header programs: the kernel, running the converted
    /// program on SOCK_DGRAM sockets, keeps exactly the packets the
    /// original keeps on the cooked packet libpcap would build.
    #[test]
    fn random_cooked_programs_agree_with_the_kernel() {
        match std::thread::spawn(cooked_differential).join() {
            Ok(Ok(n)) => eprintln!("{n} cooked program/packet pairs agree with the kernel"),
            Ok(Err(skip)) => eprintln!("skipping: {skip}"),
            Err(p) => std::panic::resume_unwind(p),
        }
    }

    const MAGIC: u32 = 0x5eed_f00d;

    /// The cooked header libpcap puts in front of a SOCK_DGRAM packet.
    fn cooked(lt: LinkType, sll: &libc::sockaddr_ll, net: &[u8]) -> Vec<u8> {
        let mut h = Vec::with_capacity(20 + net.len());
        let proto = u16::from_be(sll.sll_protocol);
        if lt == LinkType::LinuxSll {
            h.extend_from_slice(&u16::from(sll.sll_pkttype).to_be_bytes());
            h.extend_from_slice(&sll.sll_hatype.to_be_bytes());
            h.extend_from_slice(&u16::from(sll.sll_halen).to_be_bytes());
            h.extend_from_slice(&sll.sll_addr);
            h.extend_from_slice(&proto.to_be_bytes());
        } else {
            h.extend_from_slice(&proto.to_be_bytes());
            h.extend_from_slice(&[0, 0]);
            h.extend_from_slice(&(sll.sll_ifindex as u32).to_be_bytes());
            h.extend_from_slice(&sll.sll_hatype.to_be_bytes());
            h.push(sll.sll_pkttype);
            h.push(sll.sll_halen);
            h.extend_from_slice(&sll.sll_addr);
        }
        h.extend_from_slice(net);
        h
    }

    /// A random program whose header loads mostly hit the fields.
    fn random_cooked_program(rng: &mut Rng, lt: LinkType) -> Vec<Insn> {
        let (hdr, fields): (u32, &[Field]) = match lt {
            LinkType::LinuxSll => (SLL_LEN, &SLL_FIELDS),
            _ => (SLL2_LEN, &SLL2_FIELDS),
        };
        let mut p = crate::bpf::testutil::random_program(rng, 16);
        for i in &mut p {
            if matches!(i.code, LD_W_ABS | LD_H_ABS | LD_B_ABS) {
                if rng.chance(50) {
                    let f = rng.pick(fields);
                    *i = Insn::stmt(op::LD | f.size | op::ABS, f.off);
                } else if i.k < hdr || i.k >= 0x8000_0000 {
                    i.k = hdr + rng.below(40) as u32;
                }
            } else if matches!(i.code, LD_W_IND | LD_H_IND | LD_B_IND | LDX_MSH) && i.k < hdr {
                i.k += hdr;
            }
        }
        p
    }

    fn cooked_differential() -> Result<usize, String> {
        use crate::bpf::testutil::{PacketSocket, private_netns};
        use std::net::UdpSocket;
        private_netns()?;
        let _rx = UdpSocket::bind("127.0.0.1:7777").map_err(|e| e.to_string())?;
        let tx = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let all = PacketSocket::new(libc::SOCK_DGRAM);
        let filtered = PacketSocket::new(libc::SOCK_DGRAM);
        let mut rng = Rng::new(31337);
        let mut compared = 0;
        for lt in [LinkType::LinuxSll, LinkType::LinuxSll2] {
            let mut programs = 0;
            let mut tries = 0;
            while programs < 400 && tries < 200_000 {
                tries += 1;
                let prog = random_cooked_program(&mut rng, lt);
                if validate(&prog).is_err() {
                    continue;
                }
                let Some(conv) = cooked_to_kernel(&prog, lt) else {
                    continue;
                };
                assert_eq!(validate(&conv), Ok(()), "{prog:?}");
                programs += 1;
                // A guard in kernel coordinates keeps the marker packets.
                let mut guarded = vec![
                    Insn::stmt(LD_W_LEN, 0),
                    Insn::jump(JGE_K, 32, 0, 3),
                    Insn::stmt(LD_W_ABS, 28),
                    Insn::jump(JEQ_K, MAGIC, 0, 1),
                    Insn::stmt(RET_K, 0xffff),
                    Insn::stmt(LD_IMM, 0),
                ];
                guarded.extend_from_slice(&conv);
                assert_eq!(filtered.attach(&guarded), Ok(()));
                for _ in 0..4 {
                    let n = rng.below(80);
                    let mut payload: Vec<u8> = (0..n).map(|_| rng.u32() as u8).collect();
                    if payload.len() >= 4 && payload[..4] == MAGIC.to_be_bytes() {
                        payload[0] ^= 1;
                    }
                    tx.send_to(&payload, "127.0.0.1:7777")
                        .map_err(|e| e.to_string())?;
                }
                tx.send_to(&MAGIC.to_be_bytes(), "127.0.0.1:7777")
                    .map_err(|e| e.to_string())?;
                let is_marker = |p: &[u8]| p.get(28..32) == Some(&MAGIC.to_be_bytes()[..]);
                let mut want = Vec::new();
                loop {
                    let (sll, net) = all.recv_ll().ok_or("no packet on the unfiltered socket")?;
                    if is_marker(&net) {
                        if sll.sll_pkttype == libc::PACKET_HOST {
                            break;
                        }
                        continue;
                    }
                    let frame = cooked(lt, &sll, &net);
                    let keep = run(&prog, &frame, frame.len() as u32, &Aux::default());
                    if keep != 0 {
                        let n = net.len().min(keep as usize);
                        want.push((sll.sll_pkttype, net[..n].to_vec()));
                    }
                    compared += 1;
                }
                let mut got = Vec::new();
                loop {
                    let (sll, net) = filtered
                        .recv_ll()
                        .ok_or("no packet on the filtered socket")?;
                    if is_marker(&net) {
                        if sll.sll_pkttype == libc::PACKET_HOST {
                            break;
                        }
                        continue;
                    }
                    got.push((sll.sll_pkttype, net));
                }
                assert_eq!(
                    got,
                    want,
                    "{lt:?}: kernel (converted) and interpreter (cooked) differ\n\
                     original:\n{}converted:\n{}",
                    crate::bpf::print::format(&prog, crate::bpf::print::Style::D),
                    crate::bpf::print::format(&conv, crate::bpf::print::Style::D)
                );
            }
            assert!(
                programs >= 400,
                "{lt:?}: only {programs} convertible programs"
            );
        }
        Ok(compared)
    }
}
