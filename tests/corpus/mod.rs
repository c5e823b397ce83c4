//! A deterministic packet corpus for the filter tests, generated in code.
//!
//! Ethernet frames cover what pcap-filter(7) primitives look at (ARP/RARP,
//! IPv4 with options and fragments, IPv6 with extension headers, TCP flags
//! and options, UDP, SCTP, ICMP, ICMPv6, IGMP, VLAN/QinQ, MPLS, PPPoE,
//! VXLAN/Geneve with inner frames, 802.3/LLC, DECnet, broadcast and
//! multicast), with addresses, ports and numbers taken from the expressions
//! under test so that matches actually happen. The RAW, LINUX_SLL and
//! LINUX_SLL2 corpora are derived from the same frames, and every link type
//! also gets truncated copies of representative packets at every short
//! length.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, Ipv6Addr};

use podcap::bpf::interp::Aux;
use podcap::linktype::LinkType;

mod frames;
mod packets;
pub mod refinterp;
pub mod suite;

pub use frames::{Frame, frames};
use packets::{V4, be16, be32, tcp};

/// One packet as a filter sees it.
#[derive(Debug, Clone)]
pub struct Sample {
    pub name: String,
    /// The captured bytes (may be shorter than `wirelen`).
    pub data: Vec<u8>,
    pub wirelen: u32,
    /// What the kernel's ancillary loads would read for this packet.
    pub aux: Aux,
}

/// Literal values found in filter expressions, by the keyword before them.
#[derive(Debug, Default, Clone)]
pub struct Literals {
    pub v4: BTreeSet<Ipv4Addr>,
    pub v6: BTreeSet<Ipv6Addr>,
    pub macs: BTreeSet<[u8; 6]>,
    pub ports: BTreeSet<u16>,
    pub vids: BTreeSet<u16>,
    pub labels: BTreeSet<u32>,
    pub vnis: BTreeSet<u32>,
    pub sessions: BTreeSet<u16>,
    pub lens: BTreeSet<u32>,
    /// Other numbers (offsets, values, protocol numbers).
    pub numbers: BTreeSet<u32>,
}

fn parse_num(s: &str) -> Option<u32> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u32::from_str_radix(h, 16).ok()
    } else if s.len() > 1 && s.starts_with('0') {
        u32::from_str_radix(&s[1..], 8).ok()
    } else {
        s.parse().ok()
    }
}

fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let hex = |p: &str| u8::from_str_radix(p, 16).ok();
    let parts: Vec<&str> = s.split([':', '.', '-']).collect();
    let mut m = [0u8; 6];
    if parts.len() == 6 && parts.iter().all(|p| (1..=2).contains(&p.len())) {
        for (i, p) in parts.iter().enumerate() {
            m[i] = hex(p)?;
        }
        return Some(m);
    }
    if parts.len() == 3 && parts.iter().all(|p| p.len() == 4) {
        for (i, p) in parts.iter().enumerate() {
            m[2 * i] = hex(&p[..2])?;
            m[2 * i + 1] = hex(&p[2..])?;
        }
        return Some(m);
    }
    if s.len() == 12 && s.chars().all(|c| c.is_ascii_hexdigit()) {
        for i in 0..6 {
            m[i] = hex(&s[2 * i..2 * i + 2])?;
        }
        return Some(m);
    }
    None
}

const CONTEXT_WORDS: &[&str] = &[
    "port",
    "portrange",
    "vlan",
    "mpls",
    "vxlan",
    "geneve",
    "pppoes",
    "less",
    "greater",
    "len",
    "length",
    "host",
    "net",
    "src",
    "dst",
    "gateway",
    "ifindex",
    "proto",
    "mask",
];

impl Literals {
    /// Scans `exprs` for addresses and numbers.
    pub fn from_exprs<'a>(exprs: impl IntoIterator<Item = &'a str>) -> Self {
        let mut l = Literals::default();
        for e in exprs {
            let mut ctx = "";
            for tok in e.split(|c: char| c.is_whitespace() || "()[]!=<>&|+*%^,'\"\\".contains(c)) {
                if CONTEXT_WORDS.contains(&tok) {
                    ctx = tok;
                } else if !tok.is_empty() && tok.chars().all(|c| c.is_ascii_alphabetic()) {
                    if !matches!(tok, "and" | "or" | "not") {
                        ctx = "";
                    }
                } else {
                    l.add_token(tok, ctx);
                }
            }
        }
        l
    }

    fn add_token(&mut self, tok: &str, ctx: &str) {
        if tok.is_empty() {
            return;
        }
        let base = tok.split('/').next().unwrap_or(tok);
        if let Ok(a) = base.parse::<Ipv4Addr>() {
            self.v4.insert(a);
            return;
        }
        if base.contains(':') {
            if let Ok(a) = base.parse::<Ipv6Addr>() {
                self.v6.insert(a);
                return;
            }
        }
        if let Some(m) = parse_mac(tok) {
            self.macs.insert(m);
            return;
        }
        // Abbreviated IPv4 network: `192.168`, `10.0.1`.
        let parts: Vec<&str> = base.split('.').collect();
        if (2..=3).contains(&parts.len()) && parts.iter().all(|p| p.parse::<u8>().is_ok()) {
            let mut o = [0u8; 4];
            for (i, p) in parts.iter().enumerate() {
                o[i] = p.parse().unwrap_or(0);
            }
            self.v4.insert(Ipv4Addr::from(o));
            return;
        }
        let addr_ctx = matches!(ctx, "host" | "net" | "src" | "dst" | "gateway" | "mask");
        // Port ranges `25-53`.
        for part in base.split('-') {
            let Some(n) = parse_num(part) else { continue };
            match ctx {
                _ if addr_ctx && (n > 0xffff || base == part && n <= 255) => {
                    // `ip dst 2886818078`, `ip src net 10`.
                    let a = if n <= 255 { n << 24 | 1 } else { n };
                    self.v4.insert(Ipv4Addr::from(a));
                }
                "port" | "portrange" if n <= 0xffff => {
                    self.ports.insert(n as u16);
                }
                "vlan" if n < 4096 => {
                    self.vids.insert(n as u16);
                }
                "mpls" if n < 1 << 20 => {
                    self.labels.insert(n);
                }
                "vxlan" | "geneve" if n < 1 << 24 => {
                    self.vnis.insert(n);
                }
                "pppoes" if n <= 0xffff => {
                    self.sessions.insert(n as u16);
                }
                "less" | "greater" | "len" | "length" => {
                    self.lens.insert(n);
                }
                _ => {
                    self.numbers.insert(n);
                }
            }
        }
    }
}

// ---------------------------------------------------------------- builders

pub const BCAST: [u8; 6] = [0xff; 6];

// ---------------------------------------------------------------- samples

/// The kernel's `skb->pkt_type` for a frame's destination MAC, with some
/// frames marked as outgoing.
fn pkttype_for(frame: &[u8], i: usize) -> u8 {
    let dst = frame.get(0..6).unwrap_or(&[0; 6]);
    if dst == BCAST {
        1
    } else if dst[0] & 1 == 1 {
        2
    } else {
        [0u8, 0, 3, 4, 4][i % 5]
    }
}

const IFINDEXES: &[u32] = &[1, 2, 3, 7, 10, 11, 42];

/// The Ethernet frames turned into samples for `lt`. With `linux_ext`
/// (EN10MB only), VLAN frames also appear as the kernel shows them with
/// VLAN offload: outer tag removed from the bytes and given in `Aux`.
pub fn samples(frames: &[Frame], lt: LinkType, linux_ext: bool) -> Vec<Sample> {
    let mut out = Vec::new();
    let mut trunc_src = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let b = &f.bytes;
        let et = b
            .get(12..14)
            .map(|x| u16::from_be_bytes([x[0], x[1]]))
            .unwrap_or(0);
        let aux = Aux {
            protocol: if et >= 0x600 { et } else { 4 },
            pkttype: pkttype_for(b, i),
            ifindex: IFINDEXES[i % IFINDEXES.len()],
            vlan_tci: None,
            vlan_tpid: 0,
        };
        let mut made = Vec::new();
        match lt {
            LinkType::En10mb => {
                made.push(Sample {
                    name: f.name.clone(),
                    data: b.clone(),
                    wirelen: b.len() as u32,
                    aux,
                });
                if linux_ext && (et == 0x8100 || et == 0x88a8) && b.len() >= 18 {
                    let mut s = b[..12].to_vec();
                    s.extend_from_slice(&b[16..]);
                    let inner = u16::from_be_bytes([b[16], b[17]]);
                    made.push(Sample {
                        name: format!("{} (tag offloaded)", f.name),
                        wirelen: s.len() as u32,
                        data: s,
                        aux: Aux {
                            protocol: inner,
                            vlan_tci: Some(u16::from_be_bytes([b[14], b[15]])),
                            vlan_tpid: et,
                            ..aux
                        },
                    });
                }
            }
            LinkType::Raw if (et == 0x0800 || et == 0x86dd) && b.len() > 14 => {
                let s = b[14..].to_vec();
                made.push(Sample {
                    name: f.name.clone(),
                    wirelen: s.len() as u32,
                    data: s,
                    aux: Aux {
                        protocol: et,
                        ..aux
                    },
                });
            }
            LinkType::LinuxSll | LinkType::LinuxSll2 => {
                if b.len() < 14 {
                    continue;
                }
                let (proto, payload) = if et >= 0x600 {
                    (et, &b[14..])
                } else if b.get(14..16) == Some(&[0xff, 0xff]) {
                    (1u16, &b[14..])
                } else {
                    (4u16, &b[14..])
                };
                let pkttype = u16::from(aux.pkttype);
                let hatype = 1u16;
                let hdr = cooked(lt, pkttype, hatype, &b[6..12], proto, aux.ifindex);
                let mut s = hdr;
                s.extend_from_slice(payload);
                made.push(Sample {
                    name: f.name.clone(),
                    wirelen: s.len() as u32,
                    data: s,
                    aux: Aux {
                        protocol: proto,
                        ..aux
                    },
                });
            }
            // RAW has no other frames; filters are compiled for the
            // capture link types only.
            _ => {}
        }
        if f.trunc {
            trunc_src.extend(made.iter().cloned());
        }
        out.extend(made);
    }
    if matches!(lt, LinkType::LinuxSll | LinkType::LinuxSll2) {
        out.extend(extra_cooked(lt, frames));
    }
    if lt == LinkType::Raw {
        out.extend(extra_raw());
    }
    // Truncated copies: every length up to 100 bytes past the link header,
    // then every 7 bytes.
    for s in trunc_src {
        let full = s.data.len();
        let mut n = 0;
        while n < full {
            out.push(Sample {
                name: format!("{} [trunc {n}/{full}]", s.name),
                data: s.data[..n].to_vec(),
                wirelen: s.wirelen,
                aux: s.aux,
            });
            n += if n < 100 { 1 } else { 7 };
        }
    }
    out
}

fn cooked(
    lt: LinkType,
    pkttype: u16,
    hatype: u16,
    addr: &[u8],
    proto: u16,
    ifindex: u32,
) -> Vec<u8> {
    let mut h = Vec::new();
    let mut a = addr.to_vec();
    let alen = a.len();
    a.resize(8, 0);
    if lt == LinkType::LinuxSll {
        be16(&mut h, pkttype);
        be16(&mut h, hatype);
        be16(&mut h, alen as u16);
        h.extend_from_slice(&a);
        be16(&mut h, proto);
    } else {
        be16(&mut h, proto);
        be16(&mut h, 0);
        be32(&mut h, ifindex);
        be16(&mut h, hatype);
        h.push(pkttype as u8);
        h.push(alen as u8);
        h.extend_from_slice(&a);
    }
    h
}

/// Cooked samples that no Ethernet frame gives: other hardware types
/// (loopback, tun, IP-GRE), every packet type, odd protocols.
fn extra_cooked(lt: LinkType, frames: &[Frame]) -> Vec<Sample> {
    let mut out = Vec::new();
    let ips: Vec<&Frame> = frames
        .iter()
        .filter(|f| matches!(f.bytes.get(12..14), Some([0x08, 0x00]) | Some([0x86, 0xdd])))
        .step_by(9)
        .collect();
    for (i, f) in ips.iter().enumerate() {
        let et = u16::from_be_bytes([f.bytes[12], f.bytes[13]]);
        let (hatype, addr): (u16, &[u8]) = match i % 4 {
            0 => (772, &[0; 6]),
            1 => (0xfffe, &[]),
            2 => (778, &[10, 0, 0, 1]),
            _ => (1, &f.bytes[6..12]),
        };
        let pkttype = (i % 8) as u16;
        let ifindex = IFINDEXES[i % IFINDEXES.len()] + (i as u32 % 3) * 100;
        let mut s = cooked(lt, pkttype, hatype, addr, et, ifindex);
        s.extend_from_slice(&f.bytes[14..]);
        out.push(Sample {
            name: format!("cooked ha{hatype} pt{pkttype} if{ifindex} {}", f.name),
            wirelen: s.len() as u32,
            data: s,
            aux: Aux {
                protocol: et,
                pkttype: pkttype as u8,
                ifindex,
                vlan_tci: None,
                vlan_tpid: 0,
            },
        });
    }
    for (i, proto) in [
        0x0000u16, 0x0001, 0x0003, 0x0004, 0x0005, 0x000c, 0x0010, 0x0019, 0x00f5, 0xffff, 0x0004,
        0x0004, 0x0004, 0x0004, 0x0004, 0x0806, 0x6004, 0x6007, 0x0800, 0x86dd,
    ]
    .into_iter()
    .enumerate()
    {
        let mut s = cooked(lt, 0, 1, &[2, 0, 0, 0, 0, 1], proto, 1);
        let h = s.len();
        let dsap = [0xfeu8, 0x06, 0x42, 0xe0, 0xf0, 0xaa, 0xff][i % 7];
        s.extend_from_slice(&[dsap, dsap, 0x03, 0x83, 0x1b, 1, 0, 0x0f, 0, 0, 0, 0]);
        s.resize(280, 0x42);
        s[0xab] = 0xcd;
        s[h + 0xab] = 0xcd;
        out.push(Sample {
            name: format!("cooked proto {proto:#06x}"),
            wirelen: s.len() as u32,
            data: s,
            aux: Aux {
                protocol: proto,
                ..Aux::default()
            },
        });
    }
    out
}

/// RAW samples that are not IPv4/IPv6 (bad version nibble).
fn extra_raw() -> Vec<Sample> {
    let mut out = Vec::new();
    for v in [0u8, 1, 5, 7, 15] {
        let mut s = V4::new(
            Ipv4Addr::new(10, 244, 0, 21),
            Ipv4Addr::new(10, 244, 1, 7),
            6,
        )
        .build(&tcp(25, 80, 2, &[], &[]));
        s[0] = (v << 4) | 5;
        out.push(Sample {
            name: format!("raw version {v}"),
            wirelen: s.len() as u32,
            data: s,
            aux: Aux::default(),
        });
    }
    out
}

/// The corpus for `lt`, built from the literals in `exprs`.
pub fn corpus<'a>(
    exprs: impl IntoIterator<Item = &'a str>,
    lt: LinkType,
    linux_ext: bool,
) -> Vec<Sample> {
    let lits = Literals::from_exprs(exprs);
    samples(&frames(&lits), lt, linux_ext)
}

/// A hex dump of the first bytes, for failure messages.
pub fn hex(b: &[u8]) -> String {
    let mut s = String::new();
    for (i, x) in b.iter().take(96).enumerate() {
        if i > 0 && i % 2 == 0 {
            s.push(' ');
        }
        s.push_str(&format!("{x:02x}"));
    }
    if b.len() > 96 {
        s.push_str(" ...");
    }
    s
}
