//! The frame families of the corpus, one builder per protocol family
//! (IPv4 and IPv6 hosts, ports, TCP flags, options and fragments, ICMP,
//! IGMP, IPv6 extension headers, broadcast and multicast, VLAN, MPLS,
//! PPPoE, tunnels, 802.3/LLC and the old link protocols, byte offsets,
//! junk), in the order [`frames`] calls them.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::packets::*;
use super::{BCAST, Literals};
use crate::kit::Rng;

/// An Ethernet frame with a name; `trunc` marks frames whose truncated
/// copies are worth testing.
#[derive(Debug, Clone)]
pub struct Frame {
    pub name: String,
    pub bytes: Vec<u8>,
    pub trunc: bool,
}

struct Builder {
    frames: Vec<Frame>,
    rng: Rng,
    macs: Vec<[u8; 6]>,
}

impl Builder {
    /// The generator's seed and the MACs frames are sent between: the
    /// literals' and three defaults.
    fn new(lits: &Literals) -> Builder {
        let mut macs: Vec<[u8; 6]> = lits.macs.iter().copied().collect();
        macs.extend_from_slice(&[
            [0x02, 0x42, 0x0a, 0xf4, 0x00, 0x15],
            [0x0a, 0x58, 0x0a, 0xf4, 0x01, 0x07],
            [0x00, 0x16, 0x3e, 0x00, 0x00, 0x01],
        ]);
        Builder {
            frames: Vec::new(),
            rng: Rng::new(0x0050_dca9),
            macs,
        }
    }
    /// Destination and source MACs for a packet to `dst`: broadcast and
    /// multicast addresses get theirs.
    fn macs_for(&mut self, dst: Option<Ipv4Addr>) -> ([u8; 6], [u8; 6]) {
        let d = match dst {
            Some(a) if a.is_broadcast() => BCAST,
            Some(a) if a.is_multicast() => mcast_mac_v4(a),
            _ => self.mac(),
        };
        (d, self.mac())
    }
    fn push(&mut self, name: impl Into<String>, bytes: Vec<u8>) {
        self.frames.push(Frame {
            name: name.into(),
            bytes,
            trunc: false,
        });
    }
    fn push_trunc(&mut self, name: impl Into<String>, bytes: Vec<u8>) {
        self.frames.push(Frame {
            name: name.into(),
            bytes,
            trunc: true,
        });
    }
    fn mac(&mut self) -> [u8; 6] {
        self.rng.pick(&self.macs.clone())
    }
    fn ucast(&mut self) -> [u8; 6] {
        let mut m = [0x02, 0x42, 0x0a, 0xf4, 0, 0];
        m[4] = self.rng.byte();
        m[5] = self.rng.byte();
        m
    }
}

fn mcast_mac_v4(a: Ipv4Addr) -> [u8; 6] {
    let o = a.octets();
    [0x01, 0x00, 0x5e, o[1] & 0x7f, o[2], o[3]]
}

fn mcast_mac_v6(a: Ipv6Addr) -> [u8; 6] {
    let o = a.octets();
    [0x33, 0x33, o[12], o[13], o[14], o[15]]
}

fn v4_neighbours(a: Ipv4Addr) -> Vec<Ipv4Addr> {
    let x = u32::from(a);
    vec![
        a,
        Ipv4Addr::from(x ^ 1),
        Ipv4Addr::from(x ^ 0x100),
        Ipv4Addr::from(x ^ 0x1_0000),
        Ipv4Addr::from(x ^ 0x80_0000),
        Ipv4Addr::from(x ^ 0x100_0000),
        Ipv4Addr::from(x | 0xff),
    ]
}

fn v6_neighbours(a: Ipv6Addr) -> Vec<Ipv6Addr> {
    let x = u128::from(a);
    vec![
        a,
        Ipv6Addr::from(x ^ 1),
        Ipv6Addr::from(x ^ (1 << 8)),
        Ipv6Addr::from(x ^ (1 << 50)),
        Ipv6Addr::from(x ^ (1 << 120)),
        Ipv6Addr::from(x ^ (1 << 125)),
    ]
}

const DEFAULT_V4: &[[u8; 4]] = &[
    [10, 244, 0, 21],
    [10, 244, 1, 7],
    [10, 96, 0, 1],
    [192, 168, 1, 10],
    [8, 8, 8, 8],
    [172, 17, 0, 2],
    [169, 254, 1, 1],
    [127, 0, 0, 1],
    [0, 0, 0, 0],
    [255, 255, 255, 255],
    [10, 244, 0, 255],
    [224, 0, 0, 1],
    [224, 0, 0, 251],
    [239, 255, 255, 250],
];

const DEFAULT_PORTS: &[u16] = &[
    0, 1, 7, 20, 21, 22, 23, 25, 53, 67, 68, 80, 123, 179, 443, 1023, 1024, 2379, 4789, 5672, 6081,
    6443, 8080, 8472, 10250, 65535,
];

/// Hosts for packets whose addresses are not what the frame is about.
const H4S: Ipv4Addr = Ipv4Addr::new(10, 244, 0, 21);
const H4D: Ipv4Addr = Ipv4Addr::new(10, 244, 1, 7);
const H6S: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x10, 0x244, 0, 0, 0, 0, 0x15);
const H6D: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x10, 0x244, 1, 0, 0, 0, 7);
/// The other end of the host/net frames.
const OTHER4: Ipv4Addr = Ipv4Addr::new(10, 244, 3, 9);
const OTHER6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x10, 0x244, 3, 0, 0, 0, 9);
/// Tunnel endpoints (the nodes).
const NODE_A: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 10);
const NODE_B: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 11);

/// What VLAN, MPLS, PPPoE and SNAP frames carry: a TCP SYN over IPv4.
fn inner_v4_packet() -> Vec<u8> {
    V4::new(H4S, H4D, 6).build(&tcp(33000, 80, 0x02, &[], &[]))
}

/// ... and a DNS reply over IPv6.
fn inner_v6_packet() -> Vec<u8> {
    v6(H6S, H6D, &[], 17, &udp(53, 33000, &[0; 8]))
}

/// The IPv4 addresses: defaults, and each literal with its neighbours.
fn ipv4_addrs(lits: &Literals) -> Vec<Ipv4Addr> {
    let mut addrs4: BTreeSet<Ipv4Addr> = DEFAULT_V4.iter().map(|o| Ipv4Addr::from(*o)).collect();
    for a in &lits.v4 {
        addrs4.extend(v4_neighbours(*a));
    }
    addrs4.into_iter().collect()
}

/// The IPv6 addresses: defaults, and each literal with its neighbours.
fn ipv6_addrs(lits: &Literals) -> Vec<Ipv6Addr> {
    let mut addrs6: BTreeSet<Ipv6Addr> = [
        "fd00:10:244::15",
        "fe80::1",
        "2001:db8::1",
        "ff02::1",
        "ff02::1:ff00:15",
        "::1",
        "::",
    ]
    .iter()
    .filter_map(|s| s.parse().ok())
    .collect();
    for a in &lits.v6 {
        addrs6.extend(v6_neighbours(*a));
    }
    addrs6.into_iter().collect()
}

/// The ports: defaults, and each literal with its neighbours.
fn port_set(lits: &Literals) -> Vec<u16> {
    let mut ports: BTreeSet<u16> = DEFAULT_PORTS.iter().copied().collect();
    for &n in &lits.ports {
        ports.extend([n, n.wrapping_add(1), n.wrapping_sub(1)]);
    }
    ports.into_iter().collect()
}

/// Builds the Ethernet frames for the literals in `lits`, family by
/// family. The order (and so what the seeded generator draws for each
/// frame) is fixed: the corpus is the same on every run.
pub fn frames(lits: &Literals) -> Vec<Frame> {
    let mut b = Builder::new(lits);
    let addrs4 = ipv4_addrs(lits);
    let addrs6 = ipv6_addrs(lits);
    let ports = port_set(lits);
    ipv4_hosts(&mut b, &addrs4, &ports);
    ipv6_hosts(&mut b, &addrs6, &ports);
    ports_both_ways(&mut b, &ports);
    tcp_flags(&mut b, &ports);
    ipv4_options(&mut b);
    icmp4_types(&mut b);
    icmp6_types(&mut b);
    igmp_types(&mut b);
    other_ip_protocols(&mut b);
    ipv4_fragments(&mut b);
    ipv6_extension_chains(&mut b);
    truncation_representatives(&mut b);
    broadcast_multicast(&mut b);
    mac_literals(&mut b);
    lengths(&mut b, lits);
    vlans(&mut b, lits);
    let labels = mpls_labels(lits);
    mpls_stacks(&mut b, &labels);
    pppoe(&mut b, lits, &labels);
    let inner = inner_frames(lits);
    let vnis = vnis(lits);
    tunnels_by_port(&mut b, &inner, &vnis);
    tunnel_vnis(&mut b, &inner, &vnis);
    tunnels_in_tunnels(&mut b, &inner, &vnis);
    llc_dsaps(&mut b);
    let sm = stp(&mut b);
    llc_controls(&mut b);
    iso(&mut b);
    ipx_netbeui_snap(&mut b, sm);
    ethertypes(&mut b, sm);
    decnet_frames(&mut b, sm);
    byte_offsets(&mut b);
    link_byte_offsets(&mut b);
    junk(&mut b);
    b.frames
}

/// IPv4 host/net matches with every transport, ARP and RARP with each
/// address, and pairs of neighbouring addresses for `src and dst net`.
fn ipv4_hosts(b: &mut Builder, addrs4: &[Ipv4Addr], ports: &[u16]) {
    for (i, &a) in addrs4.iter().enumerate() {
        for (j, &(s, d)) in [(a, OTHER4), (OTHER4, a), (a, a)].iter().enumerate() {
            let proto = [6u8, 17, 1, 132][(i + j) % 4];
            let sp = ports[(i * 3 + j) % ports.len()];
            let dp = ports[(i * 7 + j + 5) % ports.len()];
            let l4 = match proto {
                6 => tcp(sp, dp, 0x18, &[], b"GET / HTTP/1.1\r\n"),
                17 => udp(sp, dp, &[0xab; 12]),
                1 => icmp(8, 0, &[0x61; 16]),
                _ => sctp(sp, dp),
            };
            let ip = V4::new(s, d, proto).build(&l4);
            let (dm, sm) = b.macs_for(Some(d));
            b.push(
                format!("ip4 {s}>{d} p{proto}"),
                eth(dm, sm, &[], 0x0800, &ip),
            );
        }
        // ARP and RARP, request and reply, with this address as sender
        // and as target.
        let sm = b.mac();
        let tm = b.mac();
        for (k, (op, ty)) in [(1u16, 0x0806u16), (2, 0x0806), (3, 0x8035), (4, 0x8035)]
            .into_iter()
            .enumerate()
        {
            let (spa, tpa) = if (i + k) % 2 == 0 {
                (a, OTHER4)
            } else {
                (OTHER4, a)
            };
            let dst = if op == 1 || op == 3 { BCAST } else { tm };
            b.push(
                format!("arp op{op} {spa}>{tpa}"),
                eth(dst, sm, &[], ty, &arp(op, sm, spa, tm, tpa)),
            );
        }
    }
    // Both ends the same class, for `src and dst net`.
    for w in addrs4.windows(2) {
        let ip = V4::new(w[0], w[1], 6).build(&tcp(40000, 80, 0x02, &[], &[]));
        let (dm, sm) = b.macs_for(Some(w[1]));
        b.push(
            format!("ip4 pair {}>{}", w[0], w[1]),
            eth(dm, sm, &[], 0x0800, &ip),
        );
    }
}

/// IPv6 host/net matches, and pairs of neighbouring addresses.
fn ipv6_hosts(b: &mut Builder, addrs6: &[Ipv6Addr], ports: &[u16]) {
    for (i, &a) in addrs6.iter().enumerate() {
        for (j, &(s, d)) in [(a, OTHER6), (OTHER6, a), (a, a)].iter().enumerate() {
            let proto = [6u8, 17, 58, 132][(i + j) % 4];
            let sp = ports[(i * 5 + j) % ports.len()];
            let dp = ports[(i * 11 + j + 3) % ports.len()];
            let l4 = match proto {
                6 => tcp(sp, dp, 0x12, &[2, 4, 5, 0xb4], &[]),
                17 => udp(sp, dp, &[0xcd; 10]),
                58 => icmp(128, 0, &[0x62; 8]),
                _ => sctp(sp, dp),
            };
            let ip = v6(s, d, &[], proto, &l4);
            let dm = if d.is_multicast() {
                mcast_mac_v6(d)
            } else {
                b.mac()
            };
            let sm = b.mac();
            b.push(
                format!("ip6 {s}>{d} p{proto}"),
                eth(dm, sm, &[], 0x86dd, &ip),
            );
        }
    }
    for w in addrs6.windows(2) {
        let ip = v6(w[0], w[1], &[], 17, &udp(5353, 53, &[0; 8]));
        let sm = b.mac();
        let dm = b.mac();
        b.push(
            format!("ip6 pair {}>{}", w[0], w[1]),
            eth(dm, sm, &[], 0x86dd, &ip),
        );
    }
}

/// Every port as source and as destination, TCP/UDP/SCTP, v4 and v6.
fn ports_both_ways(b: &mut Builder, ports: &[u16]) {
    for (i, &p) in ports.iter().enumerate() {
        let q = ports[(i * 7 + 3) % ports.len()];
        for (sp, dp) in [(p, q), (q, p)] {
            for proto in [6u8, 17, 132] {
                let l4 = match proto {
                    6 => tcp(sp, dp, 0x10, &[], &[1, 2, 3]),
                    17 => udp(sp, dp, &[4, 5, 6]),
                    _ => sctp(sp, dp),
                };
                let ip = V4::new(H4S, H4D, proto).build(&l4);
                let (dm, sm) = (b.mac(), b.mac());
                b.push(
                    format!("ip4 p{proto} {sp}>{dp}"),
                    eth(dm, sm, &[], 0x0800, &ip),
                );
                if (i + usize::from(proto)) % 2 == 0 {
                    let ip = v6(H6S, H6D, &[], proto, &l4);
                    let (dm, sm) = (b.mac(), b.mac());
                    b.push(
                        format!("ip6 p{proto} {sp}>{dp}"),
                        eth(dm, sm, &[], 0x86dd, &ip),
                    );
                }
            }
        }
    }
}

/// TCP flags, every combination, with and without options.
fn tcp_flags(b: &mut Builder, ports: &[u16]) {
    for flags in 0..=255u8 {
        let opts: &[u8] = if flags % 3 == 0 {
            &[
                2, 4, 5, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2,
            ]
        } else {
            &[]
        };
        let l4 = tcp(
            ports[usize::from(flags) % ports.len()],
            80,
            flags,
            opts,
            &[0x77; 4],
        );
        let ip = if flags % 5 == 0 {
            v6(H6S, H6D, &[], 6, &l4)
        } else {
            V4::new(H4S, H4D, 6).build(&l4)
        };
        let et = if flags % 5 == 0 { 0x86dd } else { 0x0800 };
        let (dm, sm) = (b.mac(), b.mac());
        b.push(format!("tcp flags {flags:#04x}"), eth(dm, sm, &[], et, &ip));
    }
}

/// IPv4 options shift the transport header.
fn ipv4_options(b: &mut Builder) {
    for words in [1usize, 2, 3, 5, 10] {
        let mut v = V4::new(H4S, H4D, 6);
        v.options = vec![0x94, 0x04, 0, 0]; // router alert
        v.options.resize(words * 4, 1);
        for (proto, l4) in [
            (6u8, tcp(1023, 25, 0x02, &[], &[])),
            (17, udp(53, 5353, &[9; 9])),
            (1, icmp(3, 1, &[0; 28])),
            (132, sctp(5672, 5673)),
        ] {
            v.proto = proto;
            let ip = v.build(&l4);
            let (dm, sm) = (b.mac(), b.mac());
            b.push_trunc(
                format!("ip4 opts{words} p{proto}"),
                eth(dm, sm, &[], 0x0800, &ip),
            );
        }
    }
}

/// ICMP types and codes.
fn icmp4_types(b: &mut Builder) {
    for ty in 0..=20u8 {
        for code in [0u8, 1, 3] {
            if code != 0 && ![3, 5, 11, 12].contains(&ty) {
                continue;
            }
            let ip = V4::new(H4S, H4D, 1).build(&icmp(ty, code, &[0xee; 20]));
            let (dm, sm) = (b.mac(), b.mac());
            b.push(format!("icmp {ty}/{code}"), eth(dm, sm, &[], 0x0800, &ip));
        }
    }
}

/// ICMPv6: errors, echo, ND, MLD.
fn icmp6_types(b: &mut Builder) {
    for ty in [1u8, 2, 3, 4, 128, 129, 130, 133, 134, 135, 136, 137, 143] {
        for code in [0u8, 1] {
            let dst: Ipv6Addr = if ty == 135 {
                "ff02::1:ff00:15".parse().unwrap_or(Ipv6Addr::LOCALHOST)
            } else {
                H6D
            };
            let ip = v6(H6S, dst, &[], 58, &icmp(ty, code, &[0xdd; 24]));
            let dm = if dst.is_multicast() {
                mcast_mac_v6(dst)
            } else {
                b.mac()
            };
            let sm = b.mac();
            b.push(format!("icmp6 {ty}/{code}"), eth(dm, sm, &[], 0x86dd, &ip));
        }
    }
}

/// IGMP v1/v2/v3.
fn igmp_types(b: &mut Builder) {
    for ty in [0x11u8, 0x12, 0x16, 0x17, 0x22] {
        let g = Ipv4Addr::new(239, 1, 2, 3);
        let mut v = V4::new(H4S, g, 2);
        v.options = vec![0x94, 0x04, 0, 0];
        v.ttl = 1;
        let ip = v.build(&[ty, 0, 0, 0, 239, 1, 2, 3]);
        let sm = b.mac();
        b.push(
            format!("igmp {ty:#x}"),
            eth(mcast_mac_v4(g), sm, &[], 0x0800, &ip),
        );
    }
}

/// Other IP protocols, v4 and v6 (GRE, ESP, AH, PIM, VRRP/CARP, IGRP, IPIP).
fn other_ip_protocols(b: &mut Builder) {
    for proto in [0u8, 4, 9, 41, 47, 50, 51, 88, 103, 112, 255] {
        let payload = [0x45u8, 0, 0, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        let ip = V4::new(H4S, H4D, proto).build(&payload);
        let (dm, sm) = (b.mac(), b.mac());
        b.push(format!("ip4 proto {proto}"), eth(dm, sm, &[], 0x0800, &ip));
        let ip = v6(H6S, H6D, &[], proto, &payload);
        let (dm, sm) = (b.mac(), b.mac());
        b.push(format!("ip6 proto {proto}"), eth(dm, sm, &[], 0x86dd, &ip));
    }
}

/// IPv4 fragments: first, middle, last; the later ones carry bytes that
/// look like ports.
fn ipv4_fragments(b: &mut Builder) {
    for (mf, off) in [(true, 0u16), (true, 1), (false, 185), (false, 0)] {
        for proto in [6u8, 17, 1, 132] {
            let l4 = match proto {
                6 => tcp(25, 80, 0x02, &[], &[0; 8]),
                17 => udp(53, 7, &[0; 8]),
                1 => icmp(8, 0, &[0; 8]),
                _ => sctp(5672, 7),
            };
            let mut v = V4::new(H4S, H4D, proto);
            v.frag = (mf, off, false);
            let ip = v.build(&l4);
            let (dm, sm) = (b.mac(), b.mac());
            b.push(
                format!("ip4 frag mf{} off{off} p{proto}", u8::from(mf)),
                eth(dm, sm, &[], 0x0800, &ip),
            );
        }
    }
}

/// IPv6 extension header chains, each ending in every transport.
fn ipv6_extension_chains(b: &mut Builder) {
    let frag_first = vec![0u8, 1, 0, 0, 0, 42];
    let frag_later = vec![0x05u8, 0x00, 0, 0, 0, 42];
    let chains: Vec<Vec<(u8, Vec<u8>)>> = vec![
        vec![(0, vec![5, 2, 0, 0, 1, 0])],
        vec![(0, vec![1, 4, 0, 0, 0, 0]), (60, vec![1, 4, 0, 0, 0, 0])],
        vec![(43, {
            let mut r = vec![0u8, 1, 0, 0, 0, 0];
            r.extend_from_slice(&H6D.octets());
            r
        })],
        vec![(44, frag_first.clone())],
        vec![(44, frag_later.clone())],
        vec![(60, vec![1, 4, 0, 0, 0, 0])],
        vec![
            (0, vec![1, 4, 0, 0, 0, 0]),
            (43, vec![0, 0, 0, 0, 0, 0]),
            (44, frag_first),
        ],
        vec![(
            51,
            vec![
                0, 0, 0x10, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
            ],
        )],
        vec![
            (0, vec![1, 4, 0, 0, 0, 0]),
            (60, vec![1, 4, 0, 0, 0, 0]),
            (43, vec![0, 0, 0, 0, 0, 0]),
            (44, frag_later),
            (60, vec![1, 4, 0, 0, 0, 0]),
        ],
    ];
    for (ci, chain) in chains.iter().enumerate() {
        for proto in [6u8, 17, 58, 132, 59] {
            let l4 = match proto {
                6 => tcp(443, 25, 0x02, &[], &[]),
                17 => udp(53, 67, &[0; 4]),
                58 => icmp(128, 0, &[0; 8]),
                132 => sctp(5672, 22),
                _ => Vec::new(),
            };
            let ip = v6(H6S, H6D, chain, proto, &l4);
            let (dm, sm) = (b.mac(), b.mac());
            let fr = eth(dm, sm, &[], 0x86dd, &ip);
            if proto == 6 && ci % 3 == 0 {
                b.push_trunc(format!("ip6 ext{ci} p{proto}"), fr);
            } else {
                b.push(format!("ip6 ext{ci} p{proto}"), fr);
            }
        }
    }
}

/// Representative frames for truncation.
fn truncation_representatives(b: &mut Builder) {
    let ip = V4::new(H4S, H4D, 6).build(&tcp(54321, 80, 0x02, &[2, 4, 5, 0xb4], &[]));
    let (dm, sm) = (b.mac(), b.mac());
    b.push_trunc("trunc ip4 tcp", eth(dm, sm, &[], 0x0800, &ip));
    let ip = V4::new(H4S, H4D, 17).build(&udp(53, 53, &[1; 12]));
    let (dm, sm) = (b.mac(), b.mac());
    b.push_trunc("trunc ip4 udp", eth(dm, sm, &[(0x8100, 100)], 0x0800, &ip));
    let ip = v6(H6S, H6D, &[], 6, &tcp(25, 7, 0x11, &[], &[]));
    let (dm, sm) = (b.mac(), b.mac());
    b.push_trunc("trunc ip6 tcp", eth(dm, sm, &[], 0x86dd, &ip));
    let sm = b.mac();
    b.push_trunc(
        "trunc arp",
        eth(
            BCAST,
            sm,
            &[],
            0x0806,
            &arp(
                1,
                sm,
                Ipv4Addr::new(1, 2, 3, 4),
                [0; 6],
                Ipv4Addr::new(192, 168, 1, 1),
            ),
        ),
    );
    let ip = V4::new(H4S, H4D, 1).build(&icmp(8, 0, &[0; 8]));
    let (dm, sm) = (b.mac(), b.mac());
    b.push_trunc("trunc icmp", eth(dm, sm, &[], 0x0800, &ip));
}

/// Broadcast and multicast at every layer.
fn broadcast_multicast(b: &mut Builder) {
    for &(dm, dst) in &[
        (BCAST, Ipv4Addr::new(255, 255, 255, 255)),
        (BCAST, Ipv4Addr::new(10, 244, 0, 255)),
        (BCAST, Ipv4Addr::new(0, 0, 0, 0)),
        (
            mcast_mac_v4(Ipv4Addr::new(224, 0, 0, 251)),
            Ipv4Addr::new(224, 0, 0, 251),
        ),
        ([0x01, 0x80, 0xc2, 0, 0, 0], Ipv4Addr::new(10, 244, 0, 21)),
        (
            [0x02, 0x42, 0x0a, 0xf4, 0, 0x15],
            Ipv4Addr::new(255, 255, 255, 255),
        ),
        (
            [0x02, 0x42, 0x0a, 0xf4, 0, 0x15],
            Ipv4Addr::new(239, 255, 255, 250),
        ),
    ] {
        let ip = V4::new(H4S, dst, 17).build(&udp(68, 67, &[0; 16]));
        let sm = b.mac();
        b.push(format!("bcast {dst}"), eth(dm, sm, &[], 0x0800, &ip));
    }
    for dst in ["ff02::1", "ff05::2", "fe80::1"] {
        let d: Ipv6Addr = dst.parse().unwrap_or(Ipv6Addr::LOCALHOST);
        let ip = v6(H6S, d, &[], 17, &udp(546, 547, &[0; 8]));
        let dm = if d.is_multicast() {
            mcast_mac_v6(d)
        } else {
            BCAST
        };
        let sm = b.mac();
        b.push(format!("mcast6 {dst}"), eth(dm, sm, &[], 0x86dd, &ip));
    }
}

/// Every MAC literal as source, destination, both.
fn mac_literals(b: &mut Builder) {
    for m in b.macs.clone() {
        let ip = V4::new(H4S, H4D, 6).build(&tcp(1, 2, 0, &[], &[]));
        let o = b.ucast();
        b.push(format!("mac dst {m:02x?}"), eth(m, o, &[], 0x0800, &ip));
        b.push(
            format!("mac src {m:02x?}"),
            eth(o, m, &[], 0x0806, &arp(1, m, H4S, o, H4D)),
        );
        b.push(
            format!("mac both {m:02x?}"),
            eth(m, m, &[], 0x86dd, &v6(H6S, H6D, &[], 59, &[])),
        );
    }
}

/// Lengths around the `len`/`less`/`greater` literals.
fn lengths(b: &mut Builder, lits: &Literals) {
    let mut lens: BTreeSet<usize> = [42usize, 60, 64, 1514].into_iter().collect();
    for &n in &lits.lens {
        let n = n as usize;
        if (34..1600).contains(&n) {
            lens.extend([n - 1, n, n + 1]);
        }
    }
    for &n in &lens {
        let ip = V4::new(H4S, H4D, 17).build(&udp(7, 7, &vec![0x5a; n.saturating_sub(42)]));
        let (dm, sm) = (b.mac(), b.mac());
        b.push(format!("len {n}"), eth(dm, sm, &[], 0x0800, &ip));
    }
}

/// VLAN, QinQ, priority bits; payloads IPv4/IPv6/ARP/MPLS.
fn vlans(b: &mut Builder, lits: &Literals) {
    let (inner_v4, inner_v6) = (inner_v4_packet(), inner_v6_packet());
    let mut vids: BTreeSet<u16> = [0u16, 1, 2, 10, 100, 200, 4094, 4095].into_iter().collect();
    vids.extend(lits.vids.iter().flat_map(|&v| [v, v ^ 1]));
    for (i, &vid) in vids.iter().enumerate() {
        let tci = vid | if i % 2 == 0 { 0x2000 } else { 0 };
        let tpid = [0x8100u16, 0x88a8, 0x9100][i % 3];
        let (dm, sm) = (b.mac(), b.mac());
        b.push(
            format!("vlan {tpid:#x} {vid} ip"),
            eth(dm, sm, &[(tpid, tci)], 0x0800, &inner_v4),
        );
        b.push(
            format!("vlan {vid} ip6"),
            eth(dm, sm, &[(0x8100, tci)], 0x86dd, &inner_v6),
        );
        b.push(
            format!("vlan {vid} arp"),
            eth(
                BCAST,
                sm,
                &[(0x8100, tci)],
                0x0806,
                &arp(1, sm, H4S, [0; 6], H4D),
            ),
        );
        let other = b.rng.pick(&vids.iter().copied().collect::<Vec<_>>());
        b.push(
            format!("qinq {vid}/{other}"),
            eth(dm, sm, &[(0x88a8, tci), (0x8100, other)], 0x0800, &inner_v4),
        );
        b.push(
            format!("qinq8100 {other}/{vid}"),
            eth(dm, sm, &[(0x8100, other), (0x8100, vid)], 0x86dd, &inner_v6),
        );
        b.push(
            format!("vlan {vid} mpls"),
            eth(
                dm,
                sm,
                &[(0x8100, vid)],
                0x8847,
                &mpls(&[(u32::from(vid), 64)], &inner_v4),
            ),
        );
    }
    b.frames
        .iter_mut()
        .rev()
        .take(6)
        .for_each(|f| f.trunc = true);
}

/// MPLS label stacks.
fn mpls_stacks(b: &mut Builder, labels: &[u32]) {
    let (inner_v4, inner_v6) = (inner_v4_packet(), inner_v6_packet());
    for (i, &l) in labels.iter().enumerate() {
        let o = labels[(i * 5 + 1) % labels.len()];
        let (dm, sm) = (b.mac(), b.mac());
        b.push(
            format!("mpls {l}"),
            eth(dm, sm, &[], 0x8847, &mpls(&[(l, 64)], &inner_v4)),
        );
        b.push(
            format!("mpls {l}/{o}"),
            eth(dm, sm, &[], 0x8848, &mpls(&[(l, 64), (o, 1)], &inner_v6)),
        );
        b.push(
            format!("mpls {o}/{l}"),
            eth(dm, sm, &[], 0x8847, &mpls(&[(o, 64), (l, 1)], &inner_v4)),
        );
        b.push(
            format!("mpls3 {l}"),
            eth(
                dm,
                sm,
                &[],
                0x8847,
                &mpls(&[(l, 64), (l, 1), (o, 9)], &inner_v4),
            ),
        );
    }
}

/// PPPoE discovery and session.
fn pppoe(b: &mut Builder, lits: &Literals, labels: &[u32]) {
    let (inner_v4, inner_v6) = (inner_v4_packet(), inner_v6_packet());
    let mut sessions: BTreeSet<u16> = [0u16, 1, 0x3b, 1234].into_iter().collect();
    sessions.extend(lits.sessions.iter().flat_map(|&v| [v, v ^ 1]));
    for (i, &s) in sessions.iter().enumerate() {
        let (dm, sm) = (b.mac(), b.mac());
        let code = [0x09u8, 0x07, 0x19, 0x65, 0xa7][i % 5];
        b.push(
            format!("pppoed {code:#x}"),
            eth(BCAST, sm, &[], 0x8863, &pppoe_d(code, s)),
        );
        b.push(
            format!("pppoes {s} ip"),
            eth(dm, sm, &[], 0x8864, &pppoe_s(s, 0x0021, &inner_v4)),
        );
        b.push(
            format!("pppoes {s} ip6"),
            eth(dm, sm, &[], 0x8864, &pppoe_s(s, 0x0057, &inner_v6)),
        );
        let l = labels[i % labels.len()];
        b.push(
            format!("pppoes {s} mpls {l}"),
            eth(
                dm,
                sm,
                &[],
                0x8864,
                &pppoe_s(s, 0x0281, &mpls(&[(l, 5)], &inner_v4)),
            ),
        );
    }

    for &l in labels {
        let (dm, sm) = (b.mac(), b.mac());
        b.push(
            format!("pppoes 1234 mpls {l}"),
            eth(
                dm,
                sm,
                &[],
                0x8864,
                &pppoe_s(1234, 0x0281, &mpls(&[(l, 5)], &inner_v4)),
            ),
        );
    }
}

/// VXLAN on 4789 and 8472, Geneve, and 4790, with inner frames, the tunnel
/// port as destination and as source.
fn tunnels_by_port(b: &mut Builder, inner_frames: &[Vec<u8>], vnis: &[u32]) {
    let mut k = 0usize;
    for dport in [4789u16, 8472, 6081, 4790] {
        for (ii, inner) in inner_frames.iter().enumerate() {
            let vni = vnis[k % vnis.len()];
            k += 1;
            let body = if dport == 6081 {
                let (proto, inner_bytes) = match ii % 3 {
                    0 => (0x6558u16, inner.clone()),
                    1 => (0x0800, inner.get(14..).unwrap_or_default().to_vec()),
                    _ => (0x6558, inner.clone()),
                };
                geneve(vni, proto, (ii % 4) as u8 * 2, &inner_bytes)
            } else {
                vxlan(vni, inner)
            };
            let sport = 32768 + (ii as u16) * 7;
            let l4 = udp(sport, dport, &body);
            let (dm, sm) = (b.mac(), b.mac());
            let fr = if ii % 4 == 3 {
                let ip = v6(H6S, H6D, &[], 17, &l4);
                eth(dm, sm, &[], 0x86dd, &ip)
            } else {
                let ip = V4::new(NODE_A, NODE_B, 17).build(&l4);
                eth(dm, sm, &[], 0x0800, &ip)
            };
            if ii == 0 {
                b.push_trunc(format!("tunnel {dport} vni {vni} inner{ii}"), fr);
            } else {
                b.push(format!("tunnel {dport} vni {vni} inner{ii}"), fr);
            }
            // The same with the tunnel port as source only.
            if ii % 3 == 0 {
                let l4 = udp(dport, sport, &body);
                let ip = V4::new(NODE_B, NODE_A, 17).build(&l4);
                let (dm, sm) = (b.mac(), b.mac());
                b.push(
                    format!("tunnel sport {dport} vni {vni} inner{ii}"),
                    eth(dm, sm, &[], 0x0800, &ip),
                );
            }
        }
    }
}

/// Every VNI on VXLAN and Geneve, VLAN-tagged and not.
fn tunnel_vnis(b: &mut Builder, inner_frames: &[Vec<u8>], vnis: &[u32]) {
    for &vni in vnis {
        for dport in [4789u16, 6081] {
            let body = if dport == 6081 {
                geneve(vni, 0x6558, 0, &inner_frames[0])
            } else {
                vxlan(vni, &inner_frames[2])
            };
            let ip = V4::new(NODE_A, NODE_B, 17).build(&udp(50000, dport, &body));
            let (dm, sm) = (b.mac(), b.mac());
            b.push(
                format!("tunnel vni {vni} {dport}"),
                eth(dm, sm, &[(0x8100, 7)], 0x0800, &ip),
            );
            let ip = V4::new(NODE_A, NODE_B, 17).build(&udp(50000, dport, &body));
            b.push(
                format!("tunnel vni {vni} {dport} plain"),
                eth(dm, sm, &[], 0x0800, &ip),
            );
        }
    }
}

/// Tunnels in tunnels (`vxlan and vxlan`).
fn tunnels_in_tunnels(b: &mut Builder, inner_frames: &[Vec<u8>], vnis: &[u32]) {
    for (i, &vni) in vnis.iter().enumerate() {
        let o = vnis[(i + 3) % vnis.len()];
        let im = [0x0a, 0x58, 0, 0, 0, 1];
        let inner_ip = V4::new(NODE_B, NODE_A, 17).build(&udp(
            40000,
            4789,
            &vxlan(o, &inner_frames[i % inner_frames.len()]),
        ));
        let mid = eth(im, im, &[], 0x0800, &inner_ip);
        let ip = V4::new(NODE_A, NODE_B, 17).build(&udp(40001, 4789, &vxlan(vni, &mid)));
        let (dm, sm) = (b.mac(), b.mac());
        b.push(
            format!("vxlan-in-vxlan {vni}/{o}"),
            eth(dm, sm, &[], 0x0800, &ip),
        );
        let inner_ip = V4::new(NODE_B, NODE_A, 17).build(&udp(
            40000,
            6081,
            &geneve(o, 0x6558, 1, &inner_frames[(i + 1) % inner_frames.len()]),
        ));
        let mid = eth(im, im, &[], 0x0800, &inner_ip);
        let ip =
            V4::new(NODE_A, NODE_B, 17).build(&udp(40001, 6081, &geneve(vni, 0x6558, 0, &mid)));
        b.push(
            format!("geneve-in-geneve {vni}/{o}"),
            eth(dm, sm, &[], 0x0800, &ip),
        );
    }
}

/// 802.3 / LLC frames for each DSAP.
fn llc_dsaps(b: &mut Builder) {
    for dsap in [0x00u8, 0x01, 0x06, 0x7f, 0xff] {
        let (dm, sm) = (b.mac(), b.mac());
        b.push(
            format!("llc dsap {dsap:#x}"),
            dot3(dm, sm, &llc(dsap, dsap, &[0x03], &[0x33; 30])),
        );
    }
}

/// A spanning-tree BPDU; its source MAC is reused by the frames after it.
fn stp(b: &mut Builder) -> [u8; 6] {
    let stp = {
        let mut s = vec![0u8, 0, 0, 0, 0];
        s.extend_from_slice(&[0x80, 0, 0, 0x16, 0x3e, 0, 0, 1]);
        s.extend_from_slice(&[0; 22]);
        s
    };
    let stp_mac = [0x01, 0x80, 0xc2, 0, 0, 0];
    let sm = b.mac();
    b.push_trunc("stp", dot3(stp_mac, sm, &llc(0x42, 0x42, &[0x03], &stp)));
    sm
}

/// LLC control values for `llc i/s/u/...`.
fn llc_controls(b: &mut Builder) {
    for ctl in [
        vec![0x00u8, 0x00], // I
        vec![0x01, 0x00],   // RR
        vec![0x05, 0x00],   // RNR
        vec![0x09, 0x00],   // REJ
        vec![0x03],         // UI
        vec![0x13],         // UI P
        vec![0x63],         // UA
        vec![0x43],         // DISC
        vec![0x0f],         // DM
        vec![0x6f],         // SABME
        vec![0xe3],         // TEST
        vec![0xaf],         // XID
        vec![0xbf],         // XID P
        vec![0x87],         // FRMR
        vec![0x0c, 0x02],   // I with N(S)
        vec![0x0d, 0x02],   // S with bits
    ] {
        let sm = b.mac();
        let dm = b.mac();
        b.push(
            format!("llc ctl {ctl:02x?}"),
            dot3(dm, sm, &llc(0xf0, 0xf0, &ctl, &[0x11; 20])),
        );
        b.push(
            format!("llc42 ctl {ctl:02x?}"),
            dot3(dm, sm, &llc(0x42, 0x42, &ctl, &[0x22; 20])),
        );
    }
}

/// ISO: CLNP, ES-IS, IS-IS PDU types.
fn iso(b: &mut Builder) {
    for nlpid in [0x81u8, 0x82, 0x83, 0x84] {
        let pdus: &[u8] = if nlpid == 0x83 {
            &[0x0f, 0x10, 0x11, 0x12, 0x14, 0x18, 0x19, 0x1a, 0x1b, 0x13]
        } else {
            &[0x01, 0x1c]
        };
        for &pdu in pdus {
            let body = [nlpid, 27, 1, 0, pdu, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
            let dm = [0x01, 0x80, 0xc2, 0, 0, 0x14];
            let sm = b.mac();
            b.push(
                format!("iso {nlpid:#x} pdu {pdu:#x}"),
                dot3(dm, sm, &llc(0xfe, 0xfe, &[0x03], &body)),
            );
        }
    }
}

/// IPX (LLC, raw 802.3, SNAP, Ethernet II), NetBEUI, AppleTalk over SNAP,
/// from `sm`.
fn ipx_netbeui_snap(b: &mut Builder, sm: [u8; 6]) {
    let inner_v4 = inner_v4_packet();
    let ipx = [
        0xffu8, 0xff, 0, 30, 0, 0x11, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    ];
    b.push("ipx llc", dot3(BCAST, sm, &llc(0xe0, 0xe0, &[0x03], &ipx)));
    b.push("ipx raw", dot3(BCAST, sm, &ipx));
    b.push(
        "ipx snap",
        dot3(
            BCAST,
            sm,
            &llc(0xaa, 0xaa, &[0x03, 0, 0, 0, 0x81, 0x37], &ipx),
        ),
    );
    b.push("ipx eth2", eth(BCAST, sm, &[], 0x8137, &ipx));
    b.push(
        "netbeui",
        dot3(BCAST, sm, &llc(0xf0, 0xf0, &[0x03], &[0; 20])),
    );
    b.push(
        "atalk snap",
        dot3(
            BCAST,
            sm,
            &llc(0xaa, 0xaa, &[0x03, 0x08, 0x00, 0x07, 0x80, 0x9b], &[0; 20]),
        ),
    );
    b.push(
        "aarp snap",
        dot3(
            BCAST,
            sm,
            &llc(0xaa, 0xaa, &[0x03, 0, 0, 0, 0x80, 0xf3], &[0; 28]),
        ),
    );
    b.push(
        "snap ip",
        dot3(
            BCAST,
            sm,
            &llc(0xaa, 0xaa, &[0x03, 0, 0, 0, 0x08, 0x00], &inner_v4),
        ),
    );
    b.push(
        "snap oui other",
        dot3(
            BCAST,
            sm,
            &llc(0xaa, 0xaa, &[0x03, 0, 0, 0x0c, 0x20, 0x00], &[0; 20]),
        ),
    );
}

/// The old EtherTypes pcap-filter still names, and others, raw.
fn ethertypes(b: &mut Builder, sm: [u8; 6]) {
    for ty in [
        0x809bu16, 0x80f3, 0x6001, 0x6002, 0x6004, 0x6007, 0x88cc, 0x8809, 0x9000, 0x0600, 0x05dd,
        0x05dc, 0x0006, 0x00ff, 0x0001, 0x8035, 0x8863, 0xffff, 0x0000, 0x0800, 0x86dd, 0x0806,
    ] {
        let dm = b.mac();
        b.push(
            format!("ethertype {ty:#06x} raw"),
            eth(dm, sm, &[], ty, &[0x99; 46]),
        );
    }
}

/// DECnet: short and long headers, with and without padding.
fn decnet_frames(b: &mut Builder, sm: [u8; 6]) {
    let mut dn: Vec<u16> = vec![1 << 10 | 1, 63 << 10 | 1023, 50 << 10 | 764, 0];
    dn.push(50 << 10 | 765);
    for (i, &a) in dn.iter().enumerate() {
        for long in [false, true] {
            for pad in [false, true] {
                let o = dn[(i + 1) % dn.len()];
                let dm = [0xaa, 0, 4, 0, 0, 0];
                b.push(
                    format!(
                        "decnet {a:#x}>{o:#x} long{} pad{}",
                        u8::from(long),
                        u8::from(pad)
                    ),
                    eth(dm, sm, &[], 0x6003, &decnet(long, pad, a, o)),
                );
                b.push(
                    format!(
                        "decnet {o:#x}>{a:#x} long{} pad{}",
                        u8::from(long),
                        u8::from(pad)
                    ),
                    eth(dm, sm, &[], 0x6003, &decnet(long, pad, o, a)),
                );
            }
        }
    }
}

/// Byte-offset tests (`proto[0xab] == 0xcd`, `ether[10:4] == 0x12345678`):
/// packets carrying the value at the offset.
fn byte_offsets(b: &mut Builder) {
    for (proto, et) in [
        (6u8, 0x0800u16),
        (17, 0x0800),
        (1, 0x0800),
        (2, 0x0800),
        (132, 0x0800),
        (112, 0x0800),
        (58, 0x86dd),
        (6, 0x86dd),
    ] {
        let mut payload = vec![0u8; 0xab + 8];
        payload[0xab] = 0xcd;
        if proto == 6 {
            payload[12] = 0x50;
        }
        let mut ipb = if et == 0x0800 {
            V4::new(H4S, H4D, proto).build(&payload)
        } else {
            v6(H6S, H6D, &[], proto, &payload)
        };
        let (dm, sm) = (b.mac(), b.mac());
        b.push(
            format!("offset cd p{proto} {et:#x}"),
            eth(dm, sm, &[], et, &ipb),
        );
        ipb[0xab] = 0xcd;
        b.push(
            format!("offset cd l3 p{proto} {et:#x}"),
            eth(dm, sm, &[], et, &ipb),
        );
    }
}

/// Link-layer byte offsets on otherwise empty frames, and all-zero and
/// all-ones frames.
fn link_byte_offsets(b: &mut Builder) {
    let mut f = eth([0; 6], [0; 6], &[], 0x0800, &[0u8; 240]);
    f[14 + 0xab] = 0xcd;
    f[5] = 0x12;
    f[7] = 0x12;
    f[8] = 0x34;
    f[10..14].copy_from_slice(&0x1234_5678u32.to_be_bytes());
    f[0xab] = 0xcd;
    b.push("offset link bytes", f.clone());
    f[12] = 0x08;
    f[13] = 0x06;
    b.push("offset link bytes arp", f.clone());
    for ty in [0x6004u16, 0x6007, 0x86dd, 0x8035, 0x809b, 0x6003, 0x8137] {
        f[12..14].copy_from_slice(&ty.to_be_bytes());
        b.push(format!("offset link bytes {ty:#x}"), f.clone());
    }
    f[0..6].copy_from_slice(&BCAST);
    b.push("offset link bytes bcast", f.clone());
    let zero = vec![0u8; 80];
    b.push("all zero", zero);
    let ones = vec![0xffu8; 80];
    b.push("all ff", ones);
}

/// Random junk frames.
fn junk(b: &mut Builder) {
    for i in 0..40 {
        let n = 14 + b.rng.below(120);
        let mut f = b.rng.bytes(n);
        if i % 2 == 0 {
            let et: u16 = b
                .rng
                .pick(&[0x0800u16, 0x86dd, 0x0806, 0x8100, 0x8847, 0x8864]);
            f[12..14].copy_from_slice(&et.to_be_bytes());
        }
        b.push(format!("junk {i}"), f);
    }
}

/// MPLS labels: a default set and each literal and its neighbour.
fn mpls_labels(lits: &Literals) -> Vec<u32> {
    let mut labels: BTreeSet<u32> = [0u32, 3, 16, 100, 123, 1000, 0xfffff].into_iter().collect();
    labels.extend(lits.labels.iter().flat_map(|&v| [v, v ^ 1]));
    let labels: Vec<u32> = labels.into_iter().collect();
    labels
}

/// The frames tunnels carry: TCP both ways, ICMP echo, DNS to a Service,
/// ARP, IPv6, a VLAN-tagged one, and TCP from the first IPv4 literals.
fn inner_frames(lits: &Literals) -> Vec<Vec<u8>> {
    {
        let im = [0x0a, 0x58, 0x0a, 0xf4, 0x02, 0x02];
        let im2 = [0x0a, 0x58, 0x0a, 0xf4, 0x01, 0x07];
        let mut v = vec![
            eth(
                im,
                im2,
                &[],
                0x0800,
                &V4::new(H4S, H4D, 6).build(&tcp(43210, 80, 0x02, &[], &[])),
            ),
            eth(
                im,
                im2,
                &[],
                0x0800,
                &V4::new(H4D, H4S, 6).build(&tcp(443, 43210, 0x12, &[], &[])),
            ),
            eth(
                im,
                im2,
                &[],
                0x0800,
                &V4::new(H4S, H4D, 1).build(&icmp(8, 0, &[0; 8])),
            ),
            eth(
                im,
                im2,
                &[],
                0x0800,
                &V4::new(H4D, H4S, 1).build(&icmp(0, 0, &[0; 8])),
            ),
            eth(
                im,
                im2,
                &[],
                0x0800,
                &V4::new(H4S, Ipv4Addr::new(10, 96, 0, 10), 17).build(&udp(40000, 53, &[0; 8])),
            ),
            eth(BCAST, im2, &[], 0x0806, &arp(1, im2, H4S, [0; 6], H4D)),
            eth(
                im,
                im2,
                &[],
                0x86dd,
                &v6(H6S, H6D, &[], 6, &tcp(22, 40000, 0x10, &[], &[])),
            ),
            eth(
                im,
                im2,
                &[(0x8100, 100)],
                0x0800,
                &V4::new(H4S, H4D, 17).build(&udp(4789, 4789, &[0; 8])),
            ),
        ];
        for &a in lits.v4.iter().take(6) {
            v.push(eth(
                im,
                im2,
                &[],
                0x0800,
                &V4::new(a, H4D, 6).build(&tcp(22, 25, 0x18, &[], &[])),
            ));
        }
        v
    }
}

/// VNIs: a default set and each literal and its neighbour.
fn vnis(lits: &Literals) -> Vec<u32> {
    let mut vnis: BTreeSet<u32> = [0u32, 1, 10, 11, 100, 101, 12345, 0xff_ffff]
        .into_iter()
        .collect();
    vnis.extend(lits.vnis.iter().flat_map(|&v| [v, v ^ 1]));
    let vnis: Vec<u32> = vnis.into_iter().collect();
    vnis
}
