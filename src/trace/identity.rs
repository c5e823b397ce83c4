//! What stays the same about one packet on every hop of a pod's path.
//!
//! The same packet looks different at each interface it crosses: the MACs
//! change when it is routed, the TTL drops, the underlay wraps it in
//! VXLAN, kube-proxy rewrites the destination of Service traffic between
//! the pod's veth and the tunnel, checksums are filled in late (offload)
//! or rewritten by NAT. Its identity therefore leaves all of those out and
//! keeps what the kernel does not touch on the way:
//!
//! - IPv4: the IP ID and fragment field (the ID also tells a TCP
//!   retransmission from the original), the protocol;
//! - IPv6 (no ID): the flow label, the fragment header's identification;
//! - TCP: sequence and acknowledgment numbers, the flags segmentation does
//!   not change, the window, the options (the timestamp option tells IPv6
//!   retransmissions apart);
//! - ICMP/ICMPv6: type, code, the echo sequence number (not its id,
//!   which masquerade may change);
//! - a hash of the first bytes of the L4 payload.
//!
//! Addresses and ports are left out of the key on purpose (NAT), and kept
//! in [`Flow`] for display and for deciding the direction. A GSO/GRO
//! super-packet keeps the identity of its first segment (same headers,
//! same first payload bytes), so it matches that segment on a hop where
//! the kernel has already cut it up.
//!
//! Inside a VXLAN or Geneve datagram (ports configurable) or an IP-in-IP
//! packet, the identity is the inner packet's, so the encapsulated copy on
//! the underlay matches the same packet on the veth.

use crate::linktype::LinkType;
use crate::wire::bytes::{be16, be32, from, u8_at};
use crate::wire::cooked::{Sll, Sll2};
use crate::wire::ethernet::{self, vlan_field};
use crate::wire::ipv6::{ext_field, frag_field};
use crate::wire::tcp::flags as tcp_flag;
use crate::wire::{EtherType, IpProto, arp, geneve, ipv4, ipv6, ports, tcp, udp, vxlan};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

/// L4 payload bytes hashed into the key. Enough to tell retransmissions
/// and repeated requests apart, small enough to fit a short snap length.
pub const DEFAULT_PAYLOAD_BYTES: usize = 64;
/// Tunnels inside tunnels followed at most this deep.
const MAX_DEPTH: u8 = 3;

/// Where to look for tunnels and how much payload to hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityConfig {
    pub vxlan_ports: Vec<u16>,
    pub geneve_ports: Vec<u16>,
    pub payload_bytes: usize,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            vxlan_ports: ports::DEFAULT_VXLAN.to_vec(),
            geneve_ports: ports::DEFAULT_GENEVE.to_vec(),
            payload_bytes: DEFAULT_PAYLOAD_BYTES,
        }
    }
}

/// The tunnel a packet was seen inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncapKind {
    Vxlan {
        vni: u32,
    },
    Geneve {
        vni: u32,
    },
    /// IPv4 or IPv6 in IPv4/IPv6 (Calico IPIP mode, sit).
    IpInIp,
}

/// The outer headers of an encapsulated copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encap {
    pub kind: EncapKind,
    pub src: IpAddr,
    pub dst: IpAddr,
    /// UDP ports for VXLAN/Geneve, 0 for IP-in-IP.
    pub sport: u16,
    pub dport: u16,
}

/// The transport header, as much of it as a person reading the path needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Tcp {
        sport: u16,
        dport: u16,
        flags: u8,
        seq: u32,
        ack: u32,
    },
    Udp {
        sport: u16,
        dport: u16,
    },
    Icmp {
        ty: u8,
        code: u8,
        /// Echo request/reply identifier and sequence number.
        echo: Option<(u16, u16)>,
    },
    Icmp6 {
        ty: u8,
        code: u8,
        echo: Option<(u16, u16)>,
    },
    /// A fragment after the first: no transport header.
    Fragment {
        proto: u8,
        offset: u16,
    },
    Arp {
        op: u16,
    },
    Other {
        proto: u8,
    },
}

/// The (innermost) packet's addresses and transport, for display and for
/// telling which way it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flow {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub transport: Transport,
    /// IPv4 identification.
    pub ip_id: Option<u16>,
    /// L4 payload length as the headers declare it (ICMP: the whole ICMP
    /// message, as tcpdump prints it).
    pub payload_len: u32,
}

/// One packet's identity: `key` is equal on every hop the packet crosses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    pub key: u64,
    pub flow: Flow,
    /// The outermost tunnel headers, when this copy was encapsulated.
    pub outer: Option<Encap>,
}

/// The identity of the packet in `frame` (captured bytes with a link
/// header of type `linktype`), or `None` for what is not IPv4, IPv6 or ARP
/// or too short to say. Never panics on any input.
pub fn identify(frame: &[u8], linktype: LinkType, cfg: &IdentityConfig) -> Option<Identity> {
    let (ethertype, off) = link(frame, linktype)?;
    network(ethertype, frame.get(off..)?, cfg, 0)
}

/// The EtherType of the network header, as the number read, and where
/// the header starts. The number goes to [`network`] unconverted: there
/// the conversion and the match on it are one comparison per protocol the
/// identity reads, where a converted EtherType handed over is a tree of
/// comparisons over every named type first.
#[inline(always)]
fn link(frame: &[u8], linktype: LinkType) -> Option<(u16, usize)> {
    match linktype {
        LinkType::En10mb => {
            let t = be16(frame, ethernet::field::ETHERTYPE).ok()?;
            skip_vlan(frame, t, ethernet::HEADER_LEN)
        }
        LinkType::Raw => match frame.first()? >> 4 {
            4 => Some((u16::from(EtherType::Ipv4), 0)),
            6 => Some((u16::from(EtherType::Ipv6), 0)),
            _ => None,
        },
        LinkType::LinuxSll => {
            let h = Sll::new_checked(frame).ok()?;
            skip_vlan(frame, h.protocol(), Sll::<&[u8]>::LEN)
        }
        LinkType::LinuxSll2 => {
            let h = Sll2::new_checked(frame).ok()?;
            skip_vlan(frame, h.protocol(), Sll2::<&[u8]>::LEN)
        }
        // Never captured live.
        _ => None,
    }
}

/// Skips up to two 802.1Q/802.1ad tags (QinQ).
fn skip_vlan(frame: &[u8], mut ethertype: u16, mut off: usize) -> Option<(u16, usize)> {
    for _ in 0..2 {
        if !EtherType::from(ethertype).is_vlan_tag() {
            break;
        }
        ethertype = be16(from(frame, off), vlan_field::ETHERTYPE).ok()?;
        off += ethernet::VLAN_TAG_LEN;
    }
    Some((ethertype, off))
}

fn network(ethertype: u16, d: &[u8], cfg: &IdentityConfig, depth: u8) -> Option<Identity> {
    match EtherType::from(ethertype) {
        EtherType::Ipv4 => ipv4(d, cfg, depth),
        EtherType::Ipv6 => ipv6(d, cfg, depth),
        EtherType::Arp => arp(d),
        _ => None,
    }
}

fn ether_inner(frame: &[u8], cfg: &IdentityConfig, depth: u8) -> Option<Identity> {
    let (ethertype, off) = link(frame, LinkType::En10mb)?;
    network(ethertype, frame.get(off..)?, cfg, depth)
}

/// The bytes of an IP payload that are really there: bounded by the
/// declared length (Ethernet pads short frames) and by what was captured.
fn bounded(d: &[u8], start: usize, declared_end: Option<usize>) -> &[u8] {
    let end = declared_end.map_or(d.len(), |e| e.min(d.len())).max(start);
    d.get(start..end).unwrap_or(&[])
}

fn ipv4(d: &[u8], cfg: &IdentityConfig, depth: u8) -> Option<Identity> {
    let p = ipv4::Packet::new_checked(d).ok()?;
    if p.version() != 4 {
        return None;
    }
    let ihl = p.header_len();
    let total = usize::from(p.total_len());
    if ihl < ipv4::HEADER_LEN || d.len() < ihl || (total != 0 && total < ihl) {
        return None;
    }
    let id = p.ident();
    // The protocol is hashed as the number read: hashing the enum turned
    // back into it let the compiler fold the hash per protocol behind a
    // jump table, whose branch mispredicts when protocols alternate.
    let number = u8_at(d, ipv4::field::PROTOCOL).ok()?;
    let proto = IpProto::from(number);
    // A total length of 0 is a TSO super-packet whose length did not fit.
    let declared = (total != 0).then_some(total);
    let payload = bounded(d, ihl, declared);
    let payload_len = declared.map_or(payload.len(), |t| t - ihl) as u32;

    let mut h = Fnv::new();
    h.u8(4);
    h.u8(number);
    h.u16(id);
    // MF and the offset; not DF, which some middleboxes clear.
    h.u16(p.flags_frag() & (ipv4::flg::MORE_FRAGS | ipv4::flg::OFFSET));
    let offset = p.frag_offset();
    let ip = Ip {
        src: IpAddr::V4(p.src_addr()),
        dst: IpAddr::V4(p.dst_addr()),
        ip_id: Some(id),
        payload_len,
    };
    if offset != 0 {
        h.bytes(head(payload, cfg.payload_bytes));
        let proto = number;
        return Some(ip.finish(h, Transport::Fragment { proto, offset }));
    }
    transport(ip, proto, payload, h, cfg, depth)
}

fn ipv6(d: &[u8], cfg: &IdentityConfig, depth: u8) -> Option<Identity> {
    let p = ipv6::Packet::new_checked(d).ok()?;
    if p.version() != 6 {
        return None;
    }
    let plen = usize::from(p.payload_len());
    // Hashed as read, as IPv4's protocol is.
    let mut number = u8_at(d, ipv6::field::NXT_HDR).ok()?;
    let mut nh = IpProto::from(number);
    let (src, dst) = (IpAddr::V6(p.src_addr()), IpAddr::V6(p.dst_addr()));
    // Payload length 0 is a jumbogram or a BIG TCP super-packet.
    let end = (plen != 0).then_some(ipv6::HEADER_LEN + plen);
    let body = bounded(d, 0, end);

    let mut h = Fnv::new();
    h.u8(6);
    h.u32(p.flow_label());
    let mut off = ipv6::HEADER_LEN;
    for _ in 0..8 {
        let ext = from(body, off);
        match nh {
            IpProto::HopByHop | IpProto::Routing | IpProto::DstOpts | IpProto::Ah => {
                let next = u8_at(ext, ext_field::NXT_HDR).ok()?;
                let len = u8_at(ext, ext_field::LENGTH).ok()?;
                off += ipv6::ext_header_len(nh, len)?;
                number = next;
                nh = IpProto::from(next);
            }
            // Fragment header: its identification is IPv6's IP ID.
            IpProto::Fragment => {
                let next = u8_at(ext, frag_field::NXT_HDR).ok()?;
                let fo = be16(ext, frag_field::FRAG_OFF).ok()?;
                h.u32(be32(ext, frag_field::IDENT).ok()?);
                h.u16(fo & (ipv6::FRAG_OFFSET | ipv6::FRAG_MORE));
                off += frag_field::LEN;
                number = next;
                nh = IpProto::from(next);
                let offset = fo & ipv6::FRAG_OFFSET;
                if offset != 0 {
                    let payload = body.get(off..).unwrap_or(&[]);
                    h.u8(number);
                    h.bytes(head(payload, cfg.payload_bytes));
                    let ip = Ip {
                        src,
                        dst,
                        ip_id: None,
                        payload_len: plen.saturating_sub(off - ipv6::HEADER_LEN) as u32,
                    };
                    let proto = number;
                    return Some(ip.finish(h, Transport::Fragment { proto, offset }));
                }
            }
            _ => break,
        }
    }
    let payload = body.get(off..).unwrap_or(&[]);
    let payload_len = if plen == 0 {
        payload.len()
    } else {
        plen.saturating_sub(off - ipv6::HEADER_LEN)
    } as u32;
    h.u8(number);
    let ip = Ip {
        src,
        dst,
        ip_id: None,
        payload_len,
    };
    transport(ip, nh, payload, h, cfg, depth)
}

fn arp(d: &[u8]) -> Option<Identity> {
    let a = arp::Packet::new_checked(d).ok()?;
    if a.ptype() != EtherType::Ipv4 || a.plen() != 4 {
        return None;
    }
    let v4 = |b: &[u8]| IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(b).unwrap_or_default()));
    let mut h = Fnv::new();
    h.u8(0x0a);
    h.bytes(a.packet());
    let ip = Ip {
        src: v4(a.spa()),
        dst: v4(a.tpa()),
        ip_id: None,
        payload_len: 0,
    };
    Some(ip.finish(h, Transport::Arp { op: a.oper() }))
}

/// The network-layer part of a flow, before the transport is known.
struct Ip {
    src: IpAddr,
    dst: IpAddr,
    ip_id: Option<u16>,
    payload_len: u32,
}

impl Ip {
    fn finish(self, h: Fnv, transport: Transport) -> Identity {
        Identity {
            key: h.finish(),
            flow: Flow {
                src: self.src,
                dst: self.dst,
                transport,
                ip_id: self.ip_id,
                payload_len: self.payload_len,
            },
            outer: None,
        }
    }

    fn encap(&self, kind: EncapKind, sport: u16, dport: u16) -> Encap {
        Encap {
            kind,
            src: self.src,
            dst: self.dst,
            sport,
            dport,
        }
    }
}

fn head(b: &[u8], n: usize) -> &[u8] {
    &b[..b.len().min(n)]
}

/// TCP flags that segmentation (TSO/GSO) and coalescing (GRO) leave alone:
/// FIN and PSH move to the last segment, CWR stays on the first.
const TCP_STABLE_FLAGS: u8 =
    tcp_flag::SYN | tcp_flag::RST | tcp_flag::ACK | tcp_flag::URG | tcp_flag::ECE;

fn transport(
    ip: Ip,
    proto: IpProto,
    p: &[u8],
    mut h: Fnv,
    cfg: &IdentityConfig,
    depth: u8,
) -> Option<Identity> {
    let n = cfg.payload_bytes;
    let t = match proto {
        IpProto::Tcp if p.len() >= tcp::HEADER_LEN => {
            let t = tcp::Packet::new_checked(p).ok()?;
            let (seq, ack, flags) = (t.seq_number(), t.ack_number(), t.flags());
            let options = t.options();
            h.u32(seq);
            h.u32(ack);
            h.u8(flags & TCP_STABLE_FLAGS);
            h.u16(t.window_len());
            h.bytes(options);
            h.bytes(head(t.payload(), n));
            let doff = tcp::HEADER_LEN + options.len();
            let ip = Ip {
                payload_len: ip.payload_len.saturating_sub(doff as u32),
                ..ip
            };
            return Some(ip.finish(
                h,
                Transport::Tcp {
                    sport: t.src_port(),
                    dport: t.dst_port(),
                    flags,
                    seq,
                    ack,
                },
            ));
        }
        IpProto::Udp if p.len() >= udp::HEADER_LEN => {
            let u = udp::Packet::new_checked(p).ok()?;
            let (sport, dport) = (u.src_port(), u.dst_port());
            let ulen = usize::from(u.length());
            let data = bounded(
                p,
                udp::HEADER_LEN,
                (ulen >= udp::HEADER_LEN).then_some(ulen),
            );
            if depth < MAX_DEPTH {
                if let Some(id) = udp_tunnel(&ip, sport, dport, data, cfg, depth) {
                    return Some(id);
                }
            }
            h.bytes(head(data, n));
            let ip = Ip {
                payload_len: ip.payload_len.saturating_sub(udp::HEADER_LEN as u32),
                ..ip
            };
            return Some(ip.finish(h, Transport::Udp { sport, dport }));
        }
        IpProto::Icmp | IpProto::Icmpv6 if p.len() >= 4 => {
            let (ty, code) = (p[0], p[1]);
            let is_echo = if proto == IpProto::Icmp {
                matches!(ty, 0 | 8)
            } else {
                matches!(ty, 128 | 129)
            };
            let echo = if is_echo && p.len() >= 8 {
                Some((be16(p, 4).ok()?, be16(p, 6).ok()?))
            } else {
                None
            };
            h.u8(ty);
            h.u8(code);
            // The checksum (bytes 2..4) changes under NAT, and so may an
            // echo's identifier (masquerade gives it another when two pods
            // ping one host with the same id); the sequence number and the
            // data do not.
            let from = if echo.is_some() { 6 } else { 4 };
            h.bytes(head(p.get(from..).unwrap_or(&[]), 8 - from + n));
            if proto == IpProto::Icmp {
                Transport::Icmp { ty, code, echo }
            } else {
                Transport::Icmp6 { ty, code, echo }
            }
        }
        IpProto::Ipip | IpProto::Ipv6 if depth < MAX_DEPTH => {
            let inner = if proto == IpProto::Ipip {
                EtherType::Ipv4
            } else {
                EtherType::Ipv6
            };
            if let Some(mut id) = network(u16::from(inner), p, cfg, depth + 1) {
                id.outer = Some(ip.encap(EncapKind::IpInIp, 0, 0));
                return Some(id);
            }
            h.bytes(head(p, n));
            Transport::Other {
                proto: u8::from(proto),
            }
        }
        _ => {
            h.bytes(head(p, n));
            Transport::Other {
                proto: u8::from(proto),
            }
        }
    };
    Some(ip.finish(h, t))
}

/// The inner packet of a VXLAN or Geneve datagram, if it is one.
fn udp_tunnel(
    ip: &Ip,
    sport: u16,
    dport: u16,
    data: &[u8],
    cfg: &IdentityConfig,
    depth: u8,
) -> Option<Identity> {
    let (kind, inner) = if cfg.vxlan_ports.contains(&dport) {
        let (vni, inner) = vxlan_inner(data)?;
        (EncapKind::Vxlan { vni }, inner)
    } else if cfg.geneve_ports.contains(&dport) {
        let (vni, inner) = geneve_inner(data)?;
        (EncapKind::Geneve { vni }, inner)
    } else {
        return None;
    };
    let mut id = ether_inner(inner, cfg, depth + 1)?;
    id.outer = Some(ip.encap(kind, sport, dport));
    Some(id)
}

/// The VNI and inner frame of a VXLAN header with the I flag set and at
/// least an Ethernet header after it: a UDP datagram on port 8472 that is
/// not VXLAN must not be decoded as one.
pub(crate) fn vxlan_inner(data: &[u8]) -> Option<(u32, &[u8])> {
    let v = vxlan::Packet::new_checked(data).ok()?;
    let inner = v.payload();
    let ok = v.has_vni() && inner.len() >= ethernet::HEADER_LEN;
    ok.then(|| (vxlan::Repr::parse(&v).vni, inner))
}

/// The VNI and inner frame of a version 0 Geneve header carrying Ethernet
/// whose options fit. Geneve can also carry bare IP, which podcap does not
/// follow.
pub(crate) fn geneve_inner(data: &[u8]) -> Option<(u32, &[u8])> {
    let g = geneve::Packet::new_checked(data).ok()?;
    let inner = g.payload().ok()?;
    let ok =
        g.version() == 0 && g.protocol() == EtherType::Teb && inner.len() >= ethernet::HEADER_LEN;
    ok.then(|| (g.vni(), inner))
}

/// FNV-1a, 64 bits, with a final avalanche so the low bits (which the
/// hash table uses) depend on every input byte. Deterministic on purpose:
/// equal packets must give equal keys in every capture task.
#[derive(Clone, Copy)]
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 = (self.0 ^ u64::from(x)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        // Length too, so that moving bytes between fields changes the key.
        self.0 = (self.0 ^ b.len() as u64).wrapping_mul(0x0000_0100_0000_01b3);
    }
    fn u8(&mut self, v: u8) {
        self.0 = (self.0 ^ u64::from(v)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    fn u16(&mut self, v: u16) {
        v.to_be_bytes().iter().for_each(|&b| self.u8(b));
    }
    fn u32(&mut self, v: u32) {
        v.to_be_bytes().iter().for_each(|&b| self.u8(b));
    }
    fn finish(self) -> u64 {
        // splitmix64's finalizer.
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

fn tcp_flags(f: u8) -> String {
    // tcpdump's order and letters; ACK is ".".
    let names = [
        (tcp_flag::FIN, 'F'),
        (tcp_flag::SYN, 'S'),
        (tcp_flag::RST, 'R'),
        (tcp_flag::PSH, 'P'),
        (tcp_flag::ACK, '.'),
        (tcp_flag::URG, 'U'),
        (tcp_flag::ECE, 'E'),
        (tcp_flag::CWR, 'W'),
    ];
    let s: String = names
        .iter()
        .filter(|(bit, _)| f & bit != 0)
        .map(|&(_, c)| c)
        .collect();
    if s.is_empty() { "none".into() } else { s }
}

/// A short tcpdump-like description, for when the full decoder is not at
/// hand: `IP 10.244.0.21 > 10.244.1.5: ICMP echo request, id 7, seq 1, length 64`.
impl fmt::Display for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ip = if self.src.is_ipv6() { "IP6" } else { "IP" };
        let (s, d, len) = (self.src, self.dst, self.payload_len);
        match self.transport {
            Transport::Tcp {
                sport,
                dport,
                flags,
                seq,
                ack,
            } => {
                write!(
                    f,
                    "{ip} {s}.{sport} > {d}.{dport}: Flags [{}], seq {seq}",
                    tcp_flags(flags)
                )?;
                if flags & tcp_flag::ACK != 0 {
                    write!(f, ", ack {ack}")?;
                }
                write!(f, ", length {len}")
            }
            Transport::Udp { sport, dport } => {
                write!(f, "{ip} {s}.{sport} > {d}.{dport}: UDP, length {len}")
            }
            Transport::Icmp { ty, code, echo } => {
                write!(f, "{ip} {s} > {d}: ICMP ")?;
                match (ty, echo) {
                    (8, Some((id, seq))) => write!(f, "echo request, id {id}, seq {seq}")?,
                    (0, Some((id, seq))) => write!(f, "echo reply, id {id}, seq {seq}")?,
                    (3, _) => write!(f, "unreachable, code {code}")?,
                    (11, _) => write!(f, "time exceeded, code {code}")?,
                    _ => write!(f, "type {ty}, code {code}")?,
                }
                write!(f, ", length {len}")
            }
            Transport::Icmp6 { ty, code, echo } => {
                write!(f, "{ip} {s} > {d}: ICMP6, ")?;
                match (ty, echo) {
                    (128, Some((id, seq))) => write!(f, "echo request, id {id}, seq {seq}")?,
                    (129, Some((id, seq))) => write!(f, "echo reply, id {id}, seq {seq}")?,
                    (1, _) => write!(f, "destination unreachable, code {code}")?,
                    (133, _) => write!(f, "router solicitation")?,
                    (134, _) => write!(f, "router advertisement")?,
                    (135, _) => write!(f, "neighbor solicitation")?,
                    (136, _) => write!(f, "neighbor advertisement")?,
                    _ => write!(f, "type {ty}, code {code}")?,
                }
                write!(f, ", length {len}")
            }
            Transport::Fragment { proto, offset } => {
                let id = self.ip_id.map_or(String::new(), |i| format!("id {i}, "));
                write!(
                    f,
                    "{ip} {s} > {d}: ip-proto-{proto} fragment ({id}offset {offset}), length {len}"
                )
            }
            Transport::Arp { op: 1 } => write!(f, "ARP, Request who-has {d} tell {s}"),
            Transport::Arp { op: 2 } => write!(f, "ARP, Reply {s}, to {d}"),
            Transport::Arp { op } => write!(f, "ARP, op {op} {s} > {d}"),
            Transport::Other { proto } => {
                write!(f, "{ip} {s} > {d}: ip-proto-{proto}, length {len}")
            }
        }
    }
}

impl fmt::Display for Encap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            EncapKind::Vxlan { vni } => write!(
                f,
                "VXLAN {}.{} > {}.{} vni {vni}",
                self.src, self.sport, self.dst, self.dport
            ),
            EncapKind::Geneve { vni } => write!(
                f,
                "Geneve {}.{} > {}.{} vni {vni}",
                self.src, self.sport, self.dst, self.dport
            ),
            EncapKind::IpInIp => write!(f, "IPIP {} > {}", self.src, self.dst),
        }
    }
}

#[cfg(test)]
#[path = "identity_tests.rs"]
pub(crate) mod tests;
