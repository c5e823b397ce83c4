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

use super::tunnel::{GenevePacket, VxlanPacket, VxlanRepr};
use crate::linktype::LinkType;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// UDP ports decoded as VXLAN unless configured otherwise: the IANA port
/// and the Linux kernel's (and Flannel's) historical one.
pub const DEFAULT_VXLAN_PORTS: &[u16] = &[4789, 8472];
/// The Geneve port (Cilium, OVN).
pub const DEFAULT_GENEVE_PORTS: &[u16] = &[6081];
/// L4 payload bytes hashed into the key. Enough to tell retransmissions
/// and repeated requests apart, small enough to fit a short snap length.
pub const DEFAULT_PAYLOAD_BYTES: usize = 64;
/// Tunnels inside tunnels followed at most this deep.
const MAX_DEPTH: u8 = 3;

const ETH_P_IP: u16 = 0x0800;
const ETH_P_IPV6: u16 = 0x86dd;
const ETH_P_ARP: u16 = 0x0806;

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
            vxlan_ports: DEFAULT_VXLAN_PORTS.to_vec(),
            geneve_ports: DEFAULT_GENEVE_PORTS.to_vec(),
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

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// The EtherType of the network header and where it starts.
fn link(frame: &[u8], linktype: LinkType) -> Option<(u16, usize)> {
    match linktype {
        LinkType::En10mb => skip_vlan(frame, be16(frame, 12)?, 14),
        LinkType::Raw => match frame.first()? >> 4 {
            4 => Some((ETH_P_IP, 0)),
            6 => Some((ETH_P_IPV6, 0)),
            _ => None,
        },
        // Cooked v1: the protocol field sits after packet type, ARPHRD,
        // address length and the 8-byte address; v2 puts it first.
        LinkType::LinuxSll => skip_vlan(frame, be16(frame, 14)?, 16),
        LinkType::LinuxSll2 => skip_vlan(frame, be16(frame, 0)?, 20),
    }
}

/// Skips up to two 802.1Q/802.1ad tags (QinQ).
fn skip_vlan(frame: &[u8], mut ethertype: u16, mut off: usize) -> Option<(u16, usize)> {
    for _ in 0..2 {
        if !matches!(ethertype, 0x8100 | 0x88a8 | 0x9100) {
            break;
        }
        ethertype = be16(frame, off + 2)?;
        off += 4;
    }
    Some((ethertype, off))
}

fn network(ethertype: u16, d: &[u8], cfg: &IdentityConfig, depth: u8) -> Option<Identity> {
    match ethertype {
        ETH_P_IP => ipv4(d, cfg, depth),
        ETH_P_IPV6 => ipv6(d, cfg, depth),
        ETH_P_ARP => arp(d),
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
    if d.len() < 20 || d[0] >> 4 != 4 {
        return None;
    }
    let ihl = usize::from(d[0] & 0x0f) * 4;
    let total = usize::from(be16(d, 2)?);
    if ihl < 20 || d.len() < ihl || (total != 0 && total < ihl) {
        return None;
    }
    let id = be16(d, 4)?;
    let frag = be16(d, 6)?;
    let proto = d[9];
    let src = IpAddr::V4(Ipv4Addr::new(d[12], d[13], d[14], d[15]));
    let dst = IpAddr::V4(Ipv4Addr::new(d[16], d[17], d[18], d[19]));
    // A total length of 0 is a TSO super-packet whose length did not fit.
    let declared = (total != 0).then_some(total);
    let payload = bounded(d, ihl, declared);
    let payload_len = declared.map_or(payload.len(), |t| t - ihl) as u32;

    let mut h = Fnv::new();
    h.u8(4);
    h.u8(proto);
    h.u16(id);
    // MF and the offset; not DF, which some middleboxes clear.
    h.u16(frag & 0x3fff);
    let offset = (frag & 0x1fff) * 8;
    let ip = Ip {
        src,
        dst,
        ip_id: Some(id),
        payload_len,
    };
    if offset != 0 {
        h.bytes(head(payload, cfg.payload_bytes));
        return Some(ip.finish(h, Transport::Fragment { proto, offset }));
    }
    transport(ip, proto, payload, h, cfg, depth)
}

fn ipv6(d: &[u8], cfg: &IdentityConfig, depth: u8) -> Option<Identity> {
    if d.len() < 40 || d[0] >> 4 != 6 {
        return None;
    }
    let label = be32(d, 0)? & 0x000f_ffff;
    let plen = usize::from(be16(d, 4)?);
    let mut nh = d[6];
    let mut a = [0u8; 16];
    a.copy_from_slice(&d[8..24]);
    let src = IpAddr::V6(Ipv6Addr::from(a));
    a.copy_from_slice(&d[24..40]);
    let dst = IpAddr::V6(Ipv6Addr::from(a));
    // Payload length 0 is a jumbogram or a BIG TCP super-packet.
    let end = (plen != 0).then_some(40 + plen);
    let body = bounded(d, 0, end);

    let mut h = Fnv::new();
    h.u8(6);
    h.u32(label);
    let mut off = 40;
    for _ in 0..8 {
        match nh {
            // Hop-by-hop, routing, destination options: length in 8-byte
            // units, not counting the first 8.
            0 | 43 | 60 => {
                let next = *body.get(off)?;
                off += (usize::from(*body.get(off + 1)?) + 1) * 8;
                nh = next;
            }
            // Fragment header: its identification is IPv6's IP ID.
            44 => {
                let next = *body.get(off)?;
                let fo = be16(body, off + 2)?;
                h.u32(be32(body, off + 4)?);
                h.u16(fo & 0xfff9);
                off += 8;
                nh = next;
                let offset = fo & 0xfff8;
                if offset != 0 {
                    let payload = body.get(off..).unwrap_or(&[]);
                    h.u8(nh);
                    h.bytes(head(payload, cfg.payload_bytes));
                    let ip = Ip {
                        src,
                        dst,
                        ip_id: None,
                        payload_len: plen.saturating_sub(off - 40) as u32,
                    };
                    return Some(ip.finish(h, Transport::Fragment { proto: nh, offset }));
                }
            }
            // Authentication header: length in 4-byte units, minus 2.
            51 => {
                let next = *body.get(off)?;
                off += (usize::from(*body.get(off + 1)?) + 2) * 4;
                nh = next;
            }
            _ => break,
        }
    }
    let payload = body.get(off..).unwrap_or(&[]);
    let payload_len = if plen == 0 {
        payload.len()
    } else {
        plen.saturating_sub(off - 40)
    } as u32;
    h.u8(nh);
    let ip = Ip {
        src,
        dst,
        ip_id: None,
        payload_len,
    };
    transport(ip, nh, payload, h, cfg, depth)
}

fn arp(d: &[u8]) -> Option<Identity> {
    let ptype = be16(d, 2)?;
    let hlen = usize::from(*d.get(4)?);
    let plen = usize::from(*d.get(5)?);
    let op = be16(d, 6)?;
    let body = d.get(..8 + 2 * (hlen + plen))?;
    if ptype != ETH_P_IP || plen != 4 {
        return None;
    }
    let spa = 8 + hlen;
    let tpa = 8 + 2 * hlen + 4;
    let v4 = |at: usize| {
        IpAddr::V4(Ipv4Addr::new(
            body[at],
            body[at + 1],
            body[at + 2],
            body[at + 3],
        ))
    };
    let mut h = Fnv::new();
    h.u8(0x0a);
    h.bytes(body);
    let ip = Ip {
        src: v4(spa),
        dst: v4(tpa),
        ip_id: None,
        payload_len: 0,
    };
    Some(ip.finish(h, Transport::Arp { op }))
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
const TCP_STABLE_FLAGS: u8 = 0x02 | 0x04 | 0x10 | 0x20 | 0x40;

fn transport(
    ip: Ip,
    proto: u8,
    p: &[u8],
    mut h: Fnv,
    cfg: &IdentityConfig,
    depth: u8,
) -> Option<Identity> {
    let n = cfg.payload_bytes;
    let t = match proto {
        6 if p.len() >= 20 => {
            let (sport, dport) = (be16(p, 0)?, be16(p, 2)?);
            let (seq, ack) = (be32(p, 4)?, be32(p, 8)?);
            let flags = p[13];
            let doff = (usize::from(p[12] >> 4) * 4).clamp(20, p.len());
            h.u32(seq);
            h.u32(ack);
            h.u8(flags & TCP_STABLE_FLAGS);
            h.u16(be16(p, 14)?);
            h.bytes(&p[20..doff]);
            h.bytes(head(&p[doff..], n));
            let ip = Ip {
                payload_len: ip.payload_len.saturating_sub(doff as u32),
                ..ip
            };
            return Some(ip.finish(
                h,
                Transport::Tcp {
                    sport,
                    dport,
                    flags,
                    seq,
                    ack,
                },
            ));
        }
        17 if p.len() >= 8 => {
            let (sport, dport) = (be16(p, 0)?, be16(p, 2)?);
            let ulen = usize::from(be16(p, 4)?);
            let data = bounded(p, 8, (ulen >= 8).then_some(ulen));
            if depth < MAX_DEPTH {
                if let Some(id) = udp_tunnel(&ip, sport, dport, data, cfg, depth) {
                    return Some(id);
                }
            }
            h.bytes(head(data, n));
            let ip = Ip {
                payload_len: ip.payload_len.saturating_sub(8),
                ..ip
            };
            return Some(ip.finish(h, Transport::Udp { sport, dport }));
        }
        1 | 58 if p.len() >= 4 => {
            let (ty, code) = (p[0], p[1]);
            let is_echo = if proto == 1 {
                matches!(ty, 0 | 8)
            } else {
                matches!(ty, 128 | 129)
            };
            let echo = if is_echo && p.len() >= 8 {
                Some((be16(p, 4)?, be16(p, 6)?))
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
            if proto == 1 {
                Transport::Icmp { ty, code, echo }
            } else {
                Transport::Icmp6 { ty, code, echo }
            }
        }
        4 | 41 if depth < MAX_DEPTH => {
            let inner = if proto == 4 { ETH_P_IP } else { ETH_P_IPV6 };
            if let Some(mut id) = network(inner, p, cfg, depth + 1) {
                id.outer = Some(ip.encap(EncapKind::IpInIp, 0, 0));
                return Some(id);
            }
            h.bytes(head(p, n));
            Transport::Other { proto }
        }
        _ => {
            h.bytes(head(p, n));
            Transport::Other { proto }
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
        let v = VxlanPacket::new_checked(data)?;
        let vni = VxlanRepr::parse(&v).vni;
        (EncapKind::Vxlan { vni }, v.inner())
    } else if cfg.geneve_ports.contains(&dport) {
        let g = GenevePacket::new_checked(data)?;
        (EncapKind::Geneve { vni: g.vni() }, g.inner())
    } else {
        return None;
    };
    let mut id = ether_inner(inner, cfg, depth + 1)?;
    id.outer = Some(ip.encap(kind, sport, dport));
    Some(id)
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
        (0x01, 'F'),
        (0x02, 'S'),
        (0x04, 'R'),
        (0x08, 'P'),
        (0x10, '.'),
        (0x20, 'U'),
        (0x40, 'E'),
        (0x80, 'W'),
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
                if flags & 0x10 != 0 {
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
