//! Classic BPF against the running kernel: the validator's verdicts match
//! SO_ATTACH_FILTER's, the interpreter keeps the packets (and bytes) a
//! filtered AF_PACKET socket keeps, and programs rewritten for `-i any`
//! (`bpf::kernel::cooked_to_kernel`) filter in the kernel as the cooked
//! program says. Packets flow only on `lo` of private network namespaces.

mod kit;

use std::net::UdpSocket;

use kit::kernel::{PacketSocket, in_new_netns, kernel_accepts};
use kit::{Rng, random_program};
use podcap::bpf::code::*;
use podcap::bpf::interp::{Aux, run};
use podcap::bpf::kernel::cooked_to_kernel;
use podcap::bpf::print::{Style, format};
use podcap::bpf::validate::validate;
use podcap::bpf::{Insn, ancillary, op};
use podcap::linktype::LinkType;

/// Our verdict equals the running kernel's on thousands of random,
/// mostly near-valid programs.
#[test]
fn validator_agrees_with_the_kernel() {
    let mut rng = Rng::new(0x5eed);
    let (mut ok, mut bad) = (0, 0);
    for case in 0..4000 {
        let prog = random_program(&mut rng, 12);
        let ours = validate(&prog);
        let kernel = kernel_accepts(&prog);
        assert_eq!(
            ours.is_ok(),
            kernel.is_ok(),
            "case {case}: ours {ours:?}, kernel {kernel:?}\n{}",
            format(&prog, Style::D)
        );
        if kernel.is_ok() { ok += 1 } else { bad += 1 }
    }
    eprintln!("{ok} accepted, {bad} refused by both");
    assert!(ok > 200 && bad > 200, "{ok} accepted, {bad} refused");
}

/// Runs `f` in a new network namespace: its result (an `Err` fails the
/// test), or `None` after saying why it could not run there.
fn in_netns_or_skip<R: Send>(f: impl FnOnce() -> Result<R, String> + Send) -> Option<R> {
    match in_new_netns(f) {
        Ok(r) => Some(r.unwrap_or_else(|e| panic!("{e}"))),
        Err(why) => {
            kit::skip(&why);
            None
        }
    }
}

/// Payloads starting with this end each batch of packets.
const MAGIC: u32 = 0x5eed_f00d;

/// Four random datagrams to 127.0.0.1:7777, then the marker.
fn send_batch(tx: &UdpSocket, rng: &mut Rng) -> Result<(), String> {
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
    Ok(())
}

/// Every packet `sock` queued before the incoming copy of the marker
/// (whose payload starts at `marker_at`); the outgoing copy is skipped.
fn until_marker(
    sock: &PacketSocket,
    marker_at: usize,
    which: &str,
) -> Result<Vec<(libc::sockaddr_ll, Vec<u8>)>, String> {
    let mut out = Vec::new();
    loop {
        let (sll, pkt) = sock
            .recv_ll()
            .ok_or(format!("no packet on the {which} socket"))?;
        if pkt.get(marker_at..marker_at + 4) == Some(&MAGIC.to_be_bytes()[..]) {
            if sll.sll_pkttype == libc::PACKET_HOST {
                return Ok(out);
            }
            continue;
        }
        out.push((sll, pkt));
    }
}

/// A packet as a test compares it: (sll_pkttype, bytes).
type Seen = Vec<(u8, Vec<u8>)>;

/// One batch (sent by the caller) through both sockets: what the
/// unfiltered socket saw, cut to what `keep` (the interpreter's verdict on
/// it) keeps, then what the filtered socket got; and how many packets were
/// judged.
fn exchange(
    all: &PacketSocket,
    filtered: &PacketSocket,
    marker_at: usize,
    keep: impl Fn(&libc::sockaddr_ll, &[u8]) -> u32,
) -> Result<(Seen, Seen, usize), String> {
    let mut want = Vec::new();
    let mut judged = 0;
    for (sll, pkt) in until_marker(all, marker_at, "unfiltered")? {
        let k = keep(&sll, &pkt);
        if k != 0 {
            let n = pkt.len().min(k as usize);
            want.push((sll.sll_pkttype, pkt[..n].to_vec()));
        }
        judged += 1;
    }
    let got = until_marker(filtered, marker_at, "filtered")?
        .into_iter()
        .map(|(sll, pkt)| (sll.sll_pkttype, pkt))
        .collect();
    Ok((want, got, judged))
}

/// The kernel as the reference: random valid programs attached to an
/// AF_PACKET socket on `lo` (in a private namespace) keep exactly the
/// packets, and the bytes of them, that `run` says they keep.
#[test]
fn interpreter_agrees_with_the_kernel_on_real_packets() {
    if let Some(n) = in_netns_or_skip(kernel_differential) {
        eprintln!("{n} program/packet pairs agree with the kernel");
    }
}

/// `P` behind a guard that keeps marker packets (MAGIC at `marker_at`,
/// where the UDP payload starts), so each batch ends with a known packet.
fn with_marker(prog: &[Insn], marker_at: u32) -> Vec<Insn> {
    let mut p = vec![
        Insn::stmt(LD_W_LEN, 0),
        Insn::jump(JGE_K, marker_at + 4, 0, 3),
        Insn::stmt(LD_W_ABS, marker_at),
        Insn::jump(JEQ_K, MAGIC, 0, 1),
        Insn::stmt(RET_K, 0xffff),
        Insn::stmt(LD_IMM, 0),
    ];
    p.extend_from_slice(prog);
    p
}

/// Ancillary loads whose value Aux models on lo (no hash, cpu, random,
/// device type, payload offset, netlink), and no network-header
/// relative loads (SKF_NET_OFF), which need the kernel's offsets.
fn modelled(prog: &[Insn]) -> bool {
    prog.iter().all(|i| {
        let abs = op::class(i.code) == op::LD && op::mode(i.code) == op::ABS;
        if !abs || i.k < 0xfff0_0000 {
            return true;
        }
        let off = i.k.wrapping_sub(ancillary::OFF);
        i.k >= ancillary::OFF
            && matches!(
                off,
                ancillary::PROTOCOL
                    | ancillary::PKTTYPE
                    | ancillary::IFINDEX
                    | ancillary::MARK
                    | ancillary::QUEUE
                    | ancillary::ALU_XOR_X
                    | ancillary::VLAN_TAG
                    | ancillary::VLAN_TAG_PRESENT
                    | ancillary::VLAN_TPID
            )
    })
}

fn kernel_differential() -> Result<usize, String> {
    let _rx = UdpSocket::bind("127.0.0.1:7777").map_err(|e| e.to_string())?;
    let tx = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let ifindex = 1; // lo, the only interface of a new namespace
    let mut rng = Rng::new(4242);
    let mut compared = 0;
    let mut programs = 0;
    // Closing packet sockets waits for an RCU grace period: two for
    // the whole run.
    let all = PacketSocket::new(libc::SOCK_RAW);
    let filtered = PacketSocket::new(libc::SOCK_RAW);
    while programs < 1000 {
        let prog = random_program(&mut rng, 16);
        if validate(&prog).is_err() || !modelled(&prog) {
            continue;
        }
        programs += 1;
        // Attaching replaces the previous program; both queues were
        // drained up to the last marker.
        assert_eq!(filtered.attach(&with_marker(&prog, 42)), Ok(()));
        send_batch(&tx, &mut rng)?;
        // Every copy the unfiltered socket saw, up to the incoming
        // copy of the marker, and what `run` keeps of each.
        let (want, got, n) = exchange(&all, &filtered, 42, |sll, pkt| {
            let aux = Aux {
                protocol: 0x0800,
                pkttype: sll.sll_pkttype,
                ifindex,
                vlan_tci: None,
                vlan_tpid: 0,
            };
            run(&prog, pkt, pkt.len() as u32, &aux)
        })?;
        compared += n;
        assert_eq!(
            got,
            want,
            "kernel and interpreter differ on\n{}",
            format(&prog, Style::D)
        );
    }
    Ok(compared)
}

/// A converted program attached to a real SOCK_DGRAM packet socket
/// (what `-i any` uses), in a private network namespace with only
/// `lo`: the kernel accepts it and filters as the cooked program says.
#[test]
fn kernel_runs_the_converted_program() {
    in_netns_or_skip(kernel_filter_in_private_netns);
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
    let prog = cooked_to_kernel(&sll_udp_5555_outbound(), LinkType::LinuxSll).expect("convertible");
    assert_eq!(validate(&prog), Ok(()));
    let sock = PacketSocket::new(libc::SOCK_DGRAM);
    assert_eq!(
        sock.attach(&prog),
        Ok(()),
        "SO_ATTACH_FILTER: {}",
        std::io::Error::last_os_error()
    );
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
    let got: Seen = (0..2).map_while(|_| sock.recv()).collect();
    drop(sock);
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
    if let Some(n) = in_netns_or_skip(cooked_differential) {
        eprintln!("{n} cooked program/packet pairs agree with the kernel");
    }
}

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

/// The cooked header fields the kernel has as metadata, (offset, load
/// size), as `cooked_to_kernel` maps them.
const SLL_FIELDS: [(u32, u16); 4] = [(0, op::H), (1, op::B), (2, op::H), (14, op::H)];
const SLL2_FIELDS: [(u32, u16); 4] = [(0, op::H), (4, op::W), (8, op::H), (10, op::B)];

/// A random program whose header loads mostly hit the fields.
fn random_cooked_program(rng: &mut Rng, lt: LinkType) -> Vec<Insn> {
    let (hdr, fields): (u32, &[(u32, u16)]) = match lt {
        LinkType::LinuxSll => (16, &SLL_FIELDS),
        _ => (20, &SLL2_FIELDS),
    };
    let mut p = random_program(rng, 16);
    for i in &mut p {
        if matches!(i.code, LD_W_ABS | LD_H_ABS | LD_B_ABS) {
            if rng.chance(50) {
                let (off, size) = rng.pick(fields);
                *i = Insn::stmt(op::LD | size | op::ABS, off);
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
            // The guard in kernel coordinates: the packet starts at IP.
            assert_eq!(filtered.attach(&with_marker(&conv, 28)), Ok(()));
            send_batch(&tx, &mut rng)?;
            let (want, got, n) = exchange(&all, &filtered, 28, |sll, net| {
                let frame = cooked(lt, sll, net);
                run(&prog, &frame, frame.len() as u32, &Aux::default())
            })?;
            compared += n;
            assert_eq!(
                got,
                want,
                "{lt:?}: kernel (converted) and interpreter (cooked) differ\n\
                 original:\n{}converted:\n{}",
                format(&prog, Style::D),
                format(&conv, Style::D)
            );
        }
        assert!(
            programs >= 400,
            "{lt:?}: only {programs} convertible programs"
        );
    }
    Ok(compared)
}
