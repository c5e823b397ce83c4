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

use crate::kit::Rng;

pub mod refinterp;
pub mod suite;

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

fn be16(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_be_bytes());
}
fn be32(v: &mut Vec<u8>, x: u32) {
    v.extend_from_slice(&x.to_be_bytes());
}

/// Ethernet II header, VLAN tags (tpid, tci) outermost first, then `etype`.
pub fn eth(dst: [u8; 6], src: [u8; 6], tags: &[(u16, u16)], etype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + 4 * tags.len() + payload.len());
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    for &(tpid, tci) in tags {
        be16(&mut f, tpid);
        be16(&mut f, tci);
    }
    be16(&mut f, etype);
    f.extend_from_slice(payload);
    f
}

pub struct V4 {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub proto: u8,
    pub options: Vec<u8>,
    /// (more fragments, fragment offset in 8-byte units, don't fragment)
    pub frag: (bool, u16, bool),
    pub ttl: u8,
}

impl V4 {
    pub fn new(src: Ipv4Addr, dst: Ipv4Addr, proto: u8) -> Self {
        V4 {
            src,
            dst,
            proto,
            options: Vec::new(),
            frag: (false, 0, true),
            ttl: 64,
        }
    }
    pub fn build(&self, payload: &[u8]) -> Vec<u8> {
        let mut opts = self.options.clone();
        while opts.len() % 4 != 0 {
            opts.push(0);
        }
        let ihl = 5 + opts.len() / 4;
        let total = (ihl * 4 + payload.len()) as u16;
        let mut p = vec![0x40 | ihl as u8, 0];
        be16(&mut p, total);
        be16(&mut p, 0x1234);
        let (mf, off, df) = self.frag;
        be16(
            &mut p,
            (u16::from(df) << 14) | (u16::from(mf) << 13) | (off & 0x1fff),
        );
        p.push(self.ttl);
        p.push(self.proto);
        be16(&mut p, 0);
        p.extend_from_slice(&self.src.octets());
        p.extend_from_slice(&self.dst.octets());
        p.extend_from_slice(&opts);
        let sum = checksum(&p);
        p[10..12].copy_from_slice(&sum.to_be_bytes());
        p.extend_from_slice(payload);
        p
    }
}

fn checksum(b: &[u8]) -> u16 {
    let mut s: u32 = 0;
    for c in b.chunks(2) {
        let w = if c.len() == 2 {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], 0])
        };
        s += u32::from(w);
    }
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

/// IPv6 header followed by extension headers `exts` (each: header type and
/// its body without the next-header/length bytes), ending in `proto`.
pub fn v6(
    src: Ipv6Addr,
    dst: Ipv6Addr,
    exts: &[(u8, Vec<u8>)],
    proto: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut chain = Vec::new();
    for (i, (_, body)) in exts.iter().enumerate() {
        let next = exts.get(i + 1).map(|e| e.0).unwrap_or(proto);
        let ty = exts[i].0;
        if ty == 44 {
            // Fragment header: fixed 8 bytes, reserved byte instead of length.
            chain.push(next);
            chain.push(0);
            let mut b = body.clone();
            b.resize(6, 0);
            chain.extend_from_slice(&b);
        } else if ty == 51 {
            // AH: length in 4-byte units minus 2.
            let mut b = body.clone();
            while (b.len() + 2) % 8 != 0 {
                b.push(0);
            }
            chain.push(next);
            chain.push(((b.len() + 2) / 4 - 2) as u8);
            chain.extend_from_slice(&b);
        } else {
            let mut b = body.clone();
            while (b.len() + 2) % 8 != 0 {
                b.push(0);
            }
            chain.push(next);
            chain.push(((b.len() + 2) / 8 - 1) as u8);
            chain.extend_from_slice(&b);
        }
    }
    let first = exts.first().map(|e| e.0).unwrap_or(proto);
    let mut p = vec![0x60, 0, 0, 0];
    be16(&mut p, (chain.len() + payload.len()) as u16);
    p.push(first);
    p.push(64);
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    p.extend_from_slice(&chain);
    p.extend_from_slice(payload);
    p
}

pub fn tcp(sport: u16, dport: u16, flags: u8, opts: &[u8], data: &[u8]) -> Vec<u8> {
    let mut o = opts.to_vec();
    while o.len() % 4 != 0 {
        o.push(1);
    }
    let off = (5 + o.len() / 4) as u8;
    let mut t = Vec::new();
    be16(&mut t, sport);
    be16(&mut t, dport);
    be32(&mut t, 0x0102_0304);
    be32(&mut t, 0x0a0b_0c0d);
    t.push(off << 4);
    t.push(flags);
    be16(&mut t, 65535);
    be16(&mut t, 0);
    be16(&mut t, 0);
    t.extend_from_slice(&o);
    t.extend_from_slice(data);
    t
}

pub fn udp(sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    be16(&mut u, sport);
    be16(&mut u, dport);
    be16(&mut u, (8 + data.len()) as u16);
    be16(&mut u, 0);
    u.extend_from_slice(data);
    u
}

pub fn sctp(sport: u16, dport: u16) -> Vec<u8> {
    let mut s = Vec::new();
    be16(&mut s, sport);
    be16(&mut s, dport);
    be32(&mut s, 0xdead_beef);
    be32(&mut s, 0);
    // INIT chunk
    s.extend_from_slice(&[1, 0, 0, 20]);
    s.extend_from_slice(&[0; 16]);
    s
}

pub fn icmp(ty: u8, code: u8, rest: &[u8]) -> Vec<u8> {
    let mut i = vec![ty, code, 0, 0, 0x12, 0x34, 0, 1];
    i.extend_from_slice(rest);
    i
}

fn arp(op: u16, sha: [u8; 6], spa: Ipv4Addr, tha: [u8; 6], tpa: Ipv4Addr) -> Vec<u8> {
    let mut a = Vec::new();
    be16(&mut a, 1);
    be16(&mut a, 0x0800);
    a.push(6);
    a.push(4);
    be16(&mut a, op);
    a.extend_from_slice(&sha);
    a.extend_from_slice(&spa.octets());
    a.extend_from_slice(&tha);
    a.extend_from_slice(&tpa.octets());
    a
}

fn vxlan(vni: u32, inner: &[u8]) -> Vec<u8> {
    let mut v = vec![0x08, 0, 0, 0];
    be32(&mut v, vni << 8);
    v.extend_from_slice(inner);
    v
}

fn geneve(vni: u32, proto: u16, opt_words: u8, inner: &[u8]) -> Vec<u8> {
    let mut g = vec![opt_words & 0x3f, 0];
    be16(&mut g, proto);
    be32(&mut g, vni << 8);
    for i in 0..opt_words {
        // Option headers as 4-byte words of class/type/len, opaque here.
        g.extend_from_slice(&[0x01, 0x02, 0x80 | i, 0]);
    }
    g.extend_from_slice(inner);
    g
}

fn llc(dsap: u8, ssap: u8, ctl: &[u8], rest: &[u8]) -> Vec<u8> {
    let mut l = vec![dsap, ssap];
    l.extend_from_slice(ctl);
    l.extend_from_slice(rest);
    l
}

/// 802.3 frame: length field instead of EtherType.
fn dot3(dst: [u8; 6], src: [u8; 6], payload: &[u8]) -> Vec<u8> {
    eth(dst, src, &[], payload.len() as u16, payload)
}

fn mpls(labels: &[(u32, u8)], payload: &[u8]) -> Vec<u8> {
    let mut m = Vec::new();
    for (i, &(label, ttl)) in labels.iter().enumerate() {
        let bos = u32::from(i + 1 == labels.len());
        be32(&mut m, (label << 12) | (bos << 8) | u32::from(ttl));
    }
    m.extend_from_slice(payload);
    m
}

fn pppoe_s(session: u16, ppp_proto: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x11, 0];
    be16(&mut p, session);
    be16(&mut p, (payload.len() + 2) as u16);
    be16(&mut p, ppp_proto);
    p.extend_from_slice(payload);
    p
}

fn pppoe_d(code: u8, session: u16) -> Vec<u8> {
    let mut p = vec![0x11, code];
    be16(&mut p, session);
    be16(&mut p, 4);
    p.extend_from_slice(&[0x01, 0x01, 0, 0]);
    p
}

/// A DECnet phase IV routing header (after the 2-byte length).
fn decnet(long: bool, pad: bool, dst: u16, src: u16) -> Vec<u8> {
    let mut d = vec![0x20, 0x00];
    if pad {
        d.push(0x81);
    }
    if long {
        d.push(0x06);
        d.extend_from_slice(&[0, 0, 0xaa, 0, 4, 0]);
        d.extend_from_slice(&dst.to_le_bytes());
        d.extend_from_slice(&[0, 0, 0xaa, 0, 4, 0]);
        d.extend_from_slice(&src.to_le_bytes());
        d.extend_from_slice(&[0, 0, 0]);
    } else {
        d.push(0x02);
        d.extend_from_slice(&dst.to_le_bytes());
        d.extend_from_slice(&src.to_le_bytes());
        d.push(0);
    }
    d.extend_from_slice(&[0x55; 12]);
    d
}

// ---------------------------------------------------------------- frames

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

/// Builds the Ethernet frames for the literals in `lits`.
pub fn frames(lits: &Literals) -> Vec<Frame> {
    let mut b = Builder {
        frames: Vec::new(),
        rng: Rng::new(0x0050_dca9),
        macs: Vec::new(),
    };
    let mut macs: Vec<[u8; 6]> = lits.macs.iter().copied().collect();
    macs.extend_from_slice(&[
        [0x02, 0x42, 0x0a, 0xf4, 0x00, 0x15],
        [0x0a, 0x58, 0x0a, 0xf4, 0x01, 0x07],
        [0x00, 0x16, 0x3e, 0x00, 0x00, 0x01],
    ]);
    b.macs = macs.clone();

    let mut addrs4: BTreeSet<Ipv4Addr> = DEFAULT_V4.iter().map(|o| Ipv4Addr::from(*o)).collect();
    for a in &lits.v4 {
        addrs4.extend(v4_neighbours(*a));
    }
    let addrs4: Vec<Ipv4Addr> = addrs4.into_iter().collect();
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
    let addrs6: Vec<Ipv6Addr> = addrs6.into_iter().collect();
    let mut ports: BTreeSet<u16> = DEFAULT_PORTS.iter().copied().collect();
    for &n in &lits.ports {
        ports.extend([n, n.wrapping_add(1), n.wrapping_sub(1)]);
    }
    let ports: Vec<u16> = ports.into_iter().collect();
    let other4 = Ipv4Addr::new(10, 244, 3, 9);
    let other6: Ipv6Addr = "fd00:10:244:3::9".parse().unwrap_or(Ipv6Addr::LOCALHOST);
    let bmac = |b: &mut Builder, dst: Option<Ipv4Addr>| -> ([u8; 6], [u8; 6]) {
        let d = match dst {
            Some(a) if a.is_broadcast() => BCAST,
            Some(a) if a.is_multicast() => mcast_mac_v4(a),
            _ => b.mac(),
        };
        (d, b.mac())
    };

    // IPv4 host/net matches with every transport.
    for (i, &a) in addrs4.iter().enumerate() {
        for (j, &(s, d)) in [(a, other4), (other4, a), (a, a)].iter().enumerate() {
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
            let (dm, sm) = bmac(&mut b, Some(d));
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
                (a, other4)
            } else {
                (other4, a)
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
        let (dm, sm) = bmac(&mut b, Some(w[1]));
        b.push(
            format!("ip4 pair {}>{}", w[0], w[1]),
            eth(dm, sm, &[], 0x0800, &ip),
        );
    }

    // IPv6 host/net matches.
    for (i, &a) in addrs6.iter().enumerate() {
        for (j, &(s, d)) in [(a, other6), (other6, a), (a, a)].iter().enumerate() {
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

    // Ports: every port as source and as destination, TCP/UDP/SCTP, v4 and v6.
    let h4s = Ipv4Addr::new(10, 244, 0, 21);
    let h4d = Ipv4Addr::new(10, 244, 1, 7);
    let h6s: Ipv6Addr = "fd00:10:244::15".parse().unwrap_or(Ipv6Addr::LOCALHOST);
    let h6d: Ipv6Addr = "fd00:10:244:1::7".parse().unwrap_or(Ipv6Addr::LOCALHOST);
    for (i, &p) in ports.iter().enumerate() {
        let q = ports[(i * 7 + 3) % ports.len()];
        for (sp, dp) in [(p, q), (q, p)] {
            for proto in [6u8, 17, 132] {
                let l4 = match proto {
                    6 => tcp(sp, dp, 0x10, &[], &[1, 2, 3]),
                    17 => udp(sp, dp, &[4, 5, 6]),
                    _ => sctp(sp, dp),
                };
                let ip = V4::new(h4s, h4d, proto).build(&l4);
                let (dm, sm) = (b.mac(), b.mac());
                b.push(
                    format!("ip4 p{proto} {sp}>{dp}"),
                    eth(dm, sm, &[], 0x0800, &ip),
                );
                if (i + usize::from(proto)) % 2 == 0 {
                    let ip = v6(h6s, h6d, &[], proto, &l4);
                    let (dm, sm) = (b.mac(), b.mac());
                    b.push(
                        format!("ip6 p{proto} {sp}>{dp}"),
                        eth(dm, sm, &[], 0x86dd, &ip),
                    );
                }
            }
        }
    }

    // TCP flags, every combination, with and without options.
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
            v6(h6s, h6d, &[], 6, &l4)
        } else {
            V4::new(h4s, h4d, 6).build(&l4)
        };
        let et = if flags % 5 == 0 { 0x86dd } else { 0x0800 };
        let (dm, sm) = (b.mac(), b.mac());
        b.push(format!("tcp flags {flags:#04x}"), eth(dm, sm, &[], et, &ip));
    }

    // IPv4 options shift the transport header.
    for words in [1usize, 2, 3, 5, 10] {
        let mut v = V4::new(h4s, h4d, 6);
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

    // ICMP types and codes.
    for ty in 0..=20u8 {
        for code in [0u8, 1, 3] {
            if code != 0 && ![3, 5, 11, 12].contains(&ty) {
                continue;
            }
            let ip = V4::new(h4s, h4d, 1).build(&icmp(ty, code, &[0xee; 20]));
            let (dm, sm) = (b.mac(), b.mac());
            b.push(format!("icmp {ty}/{code}"), eth(dm, sm, &[], 0x0800, &ip));
        }
    }
    // ICMPv6: errors, echo, ND, MLD.
    for ty in [1u8, 2, 3, 4, 128, 129, 130, 133, 134, 135, 136, 137, 143] {
        for code in [0u8, 1] {
            let dst: Ipv6Addr = if ty == 135 {
                "ff02::1:ff00:15".parse().unwrap_or(Ipv6Addr::LOCALHOST)
            } else {
                h6d
            };
            let ip = v6(h6s, dst, &[], 58, &icmp(ty, code, &[0xdd; 24]));
            let dm = if dst.is_multicast() {
                mcast_mac_v6(dst)
            } else {
                b.mac()
            };
            let sm = b.mac();
            b.push(format!("icmp6 {ty}/{code}"), eth(dm, sm, &[], 0x86dd, &ip));
        }
    }
    // IGMP v1/v2/v3.
    for ty in [0x11u8, 0x12, 0x16, 0x17, 0x22] {
        let g = Ipv4Addr::new(239, 1, 2, 3);
        let mut v = V4::new(h4s, g, 2);
        v.options = vec![0x94, 0x04, 0, 0];
        v.ttl = 1;
        let ip = v.build(&[ty, 0, 0, 0, 239, 1, 2, 3]);
        let sm = b.mac();
        b.push(
            format!("igmp {ty:#x}"),
            eth(mcast_mac_v4(g), sm, &[], 0x0800, &ip),
        );
    }
    // Other IP protocols, v4 and v6 (GRE, ESP, AH, PIM, VRRP/CARP, IGRP, IPIP).
    for proto in [0u8, 4, 9, 41, 47, 50, 51, 88, 103, 112, 255] {
        let payload = [0x45u8, 0, 0, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        let ip = V4::new(h4s, h4d, proto).build(&payload);
        let (dm, sm) = (b.mac(), b.mac());
        b.push(format!("ip4 proto {proto}"), eth(dm, sm, &[], 0x0800, &ip));
        let ip = v6(h6s, h6d, &[], proto, &payload);
        let (dm, sm) = (b.mac(), b.mac());
        b.push(format!("ip6 proto {proto}"), eth(dm, sm, &[], 0x86dd, &ip));
    }

    // IPv4 fragments: first, middle, last; the later ones carry bytes that
    // look like ports.
    for (mf, off) in [(true, 0u16), (true, 1), (false, 185), (false, 0)] {
        for proto in [6u8, 17, 1, 132] {
            let l4 = match proto {
                6 => tcp(25, 80, 0x02, &[], &[0; 8]),
                17 => udp(53, 7, &[0; 8]),
                1 => icmp(8, 0, &[0; 8]),
                _ => sctp(5672, 7),
            };
            let mut v = V4::new(h4s, h4d, proto);
            v.frag = (mf, off, false);
            let ip = v.build(&l4);
            let (dm, sm) = (b.mac(), b.mac());
            b.push(
                format!("ip4 frag mf{} off{off} p{proto}", u8::from(mf)),
                eth(dm, sm, &[], 0x0800, &ip),
            );
        }
    }

    // IPv6 extension header chains.
    let frag_first = vec![0u8, 1, 0, 0, 0, 42];
    let frag_later = vec![0x05u8, 0x00, 0, 0, 0, 42];
    let chains: Vec<Vec<(u8, Vec<u8>)>> = vec![
        vec![(0, vec![5, 2, 0, 0, 1, 0])],
        vec![(0, vec![1, 4, 0, 0, 0, 0]), (60, vec![1, 4, 0, 0, 0, 0])],
        vec![(43, {
            let mut r = vec![0u8, 1, 0, 0, 0, 0];
            r.extend_from_slice(&h6d.octets());
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
            let ip = v6(h6s, h6d, chain, proto, &l4);
            let (dm, sm) = (b.mac(), b.mac());
            let fr = eth(dm, sm, &[], 0x86dd, &ip);
            if proto == 6 && ci % 3 == 0 {
                b.push_trunc(format!("ip6 ext{ci} p{proto}"), fr);
            } else {
                b.push(format!("ip6 ext{ci} p{proto}"), fr);
            }
        }
    }

    // Representative frames for truncation.
    {
        let ip = V4::new(h4s, h4d, 6).build(&tcp(54321, 80, 0x02, &[2, 4, 5, 0xb4], &[]));
        let (dm, sm) = (b.mac(), b.mac());
        b.push_trunc("trunc ip4 tcp", eth(dm, sm, &[], 0x0800, &ip));
        let ip = V4::new(h4s, h4d, 17).build(&udp(53, 53, &[1; 12]));
        let (dm, sm) = (b.mac(), b.mac());
        b.push_trunc("trunc ip4 udp", eth(dm, sm, &[(0x8100, 100)], 0x0800, &ip));
        let ip = v6(h6s, h6d, &[], 6, &tcp(25, 7, 0x11, &[], &[]));
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
        let ip = V4::new(h4s, h4d, 1).build(&icmp(8, 0, &[0; 8]));
        let (dm, sm) = (b.mac(), b.mac());
        b.push_trunc("trunc icmp", eth(dm, sm, &[], 0x0800, &ip));
    }

    // Broadcast and multicast at every layer.
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
        let ip = V4::new(h4s, dst, 17).build(&udp(68, 67, &[0; 16]));
        let sm = b.mac();
        b.push(format!("bcast {dst}"), eth(dm, sm, &[], 0x0800, &ip));
    }
    for dst in ["ff02::1", "ff05::2", "fe80::1"] {
        let d: Ipv6Addr = dst.parse().unwrap_or(Ipv6Addr::LOCALHOST);
        let ip = v6(h6s, d, &[], 17, &udp(546, 547, &[0; 8]));
        let dm = if d.is_multicast() {
            mcast_mac_v6(d)
        } else {
            BCAST
        };
        let sm = b.mac();
        b.push(format!("mcast6 {dst}"), eth(dm, sm, &[], 0x86dd, &ip));
    }
    // Every MAC literal as source, destination, both.
    for &m in &macs {
        let ip = V4::new(h4s, h4d, 6).build(&tcp(1, 2, 0, &[], &[]));
        let o = b.ucast();
        b.push(format!("mac dst {m:02x?}"), eth(m, o, &[], 0x0800, &ip));
        b.push(
            format!("mac src {m:02x?}"),
            eth(o, m, &[], 0x0806, &arp(1, m, h4s, o, h4d)),
        );
        b.push(
            format!("mac both {m:02x?}"),
            eth(m, m, &[], 0x86dd, &v6(h6s, h6d, &[], 59, &[])),
        );
    }

    // Lengths around the `len`/`less`/`greater` literals.
    let mut lens: BTreeSet<usize> = [42usize, 60, 64, 1514].into_iter().collect();
    for &n in &lits.lens {
        let n = n as usize;
        if (34..1600).contains(&n) {
            lens.extend([n - 1, n, n + 1]);
        }
    }
    for &n in &lens {
        let ip = V4::new(h4s, h4d, 17).build(&udp(7, 7, &vec![0x5a; n.saturating_sub(42)]));
        let (dm, sm) = (b.mac(), b.mac());
        b.push(format!("len {n}"), eth(dm, sm, &[], 0x0800, &ip));
    }

    // VLAN, QinQ, priority bits; payloads IPv4/IPv6/ARP/MPLS.
    let mut vids: BTreeSet<u16> = [0u16, 1, 2, 10, 100, 200, 4094, 4095].into_iter().collect();
    vids.extend(lits.vids.iter().flat_map(|&v| [v, v ^ 1]));
    let inner_v4 = V4::new(h4s, h4d, 6).build(&tcp(33000, 80, 0x02, &[], &[]));
    let inner_v6 = v6(h6s, h6d, &[], 17, &udp(53, 33000, &[0; 8]));
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
                &arp(1, sm, h4s, [0; 6], h4d),
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

    // MPLS label stacks.
    let mut labels: BTreeSet<u32> = [0u32, 3, 16, 100, 123, 1000, 0xfffff].into_iter().collect();
    labels.extend(lits.labels.iter().flat_map(|&v| [v, v ^ 1]));
    let labels: Vec<u32> = labels.into_iter().collect();
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

    // PPPoE discovery and session.
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

    for &l in &labels {
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

    // Tunnels: VXLAN on 4789 and 8472, Geneve, with inner frames.
    let inner_frames: Vec<Vec<u8>> = {
        let im = [0x0a, 0x58, 0x0a, 0xf4, 0x02, 0x02];
        let im2 = [0x0a, 0x58, 0x0a, 0xf4, 0x01, 0x07];
        let mut v = vec![
            eth(
                im,
                im2,
                &[],
                0x0800,
                &V4::new(h4s, h4d, 6).build(&tcp(43210, 80, 0x02, &[], &[])),
            ),
            eth(
                im,
                im2,
                &[],
                0x0800,
                &V4::new(h4d, h4s, 6).build(&tcp(443, 43210, 0x12, &[], &[])),
            ),
            eth(
                im,
                im2,
                &[],
                0x0800,
                &V4::new(h4s, h4d, 1).build(&icmp(8, 0, &[0; 8])),
            ),
            eth(
                im,
                im2,
                &[],
                0x0800,
                &V4::new(h4d, h4s, 1).build(&icmp(0, 0, &[0; 8])),
            ),
            eth(
                im,
                im2,
                &[],
                0x0800,
                &V4::new(h4s, Ipv4Addr::new(10, 96, 0, 10), 17).build(&udp(40000, 53, &[0; 8])),
            ),
            eth(BCAST, im2, &[], 0x0806, &arp(1, im2, h4s, [0; 6], h4d)),
            eth(
                im,
                im2,
                &[],
                0x86dd,
                &v6(h6s, h6d, &[], 6, &tcp(22, 40000, 0x10, &[], &[])),
            ),
            eth(
                im,
                im2,
                &[(0x8100, 100)],
                0x0800,
                &V4::new(h4s, h4d, 17).build(&udp(4789, 4789, &[0; 8])),
            ),
        ];
        for &a in lits.v4.iter().take(6) {
            v.push(eth(
                im,
                im2,
                &[],
                0x0800,
                &V4::new(a, h4d, 6).build(&tcp(22, 25, 0x18, &[], &[])),
            ));
        }
        v
    };
    let mut vnis: BTreeSet<u32> = [0u32, 1, 10, 11, 100, 101, 12345, 0xff_ffff]
        .into_iter()
        .collect();
    vnis.extend(lits.vnis.iter().flat_map(|&v| [v, v ^ 1]));
    let vnis: Vec<u32> = vnis.into_iter().collect();
    let node_a = Ipv4Addr::new(192, 168, 1, 10);
    let node_b = Ipv4Addr::new(192, 168, 1, 11);
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
                let ip = v6(h6s, h6d, &[], 17, &l4);
                eth(dm, sm, &[], 0x86dd, &ip)
            } else {
                let ip = V4::new(node_a, node_b, 17).build(&l4);
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
                let ip = V4::new(node_b, node_a, 17).build(&l4);
                let (dm, sm) = (b.mac(), b.mac());
                b.push(
                    format!("tunnel sport {dport} vni {vni} inner{ii}"),
                    eth(dm, sm, &[], 0x0800, &ip),
                );
            }
        }
    }
    for &vni in &vnis {
        for dport in [4789u16, 6081] {
            let body = if dport == 6081 {
                geneve(vni, 0x6558, 0, &inner_frames[0])
            } else {
                vxlan(vni, &inner_frames[2])
            };
            let ip = V4::new(node_a, node_b, 17).build(&udp(50000, dport, &body));
            let (dm, sm) = (b.mac(), b.mac());
            b.push(
                format!("tunnel vni {vni} {dport}"),
                eth(dm, sm, &[(0x8100, 7)], 0x0800, &ip),
            );
            let ip = V4::new(node_a, node_b, 17).build(&udp(50000, dport, &body));
            b.push(
                format!("tunnel vni {vni} {dport} plain"),
                eth(dm, sm, &[], 0x0800, &ip),
            );
        }
    }

    // Tunnels in tunnels (`vxlan and vxlan`).
    for (i, &vni) in vnis.iter().enumerate() {
        let o = vnis[(i + 3) % vnis.len()];
        let im = [0x0a, 0x58, 0, 0, 0, 1];
        let inner_ip = V4::new(node_b, node_a, 17).build(&udp(
            40000,
            4789,
            &vxlan(o, &inner_frames[i % inner_frames.len()]),
        ));
        let mid = eth(im, im, &[], 0x0800, &inner_ip);
        let ip = V4::new(node_a, node_b, 17).build(&udp(40001, 4789, &vxlan(vni, &mid)));
        let (dm, sm) = (b.mac(), b.mac());
        b.push(
            format!("vxlan-in-vxlan {vni}/{o}"),
            eth(dm, sm, &[], 0x0800, &ip),
        );
        let inner_ip = V4::new(node_b, node_a, 17).build(&udp(
            40000,
            6081,
            &geneve(o, 0x6558, 1, &inner_frames[(i + 1) % inner_frames.len()]),
        ));
        let mid = eth(im, im, &[], 0x0800, &inner_ip);
        let ip =
            V4::new(node_a, node_b, 17).build(&udp(40001, 6081, &geneve(vni, 0x6558, 0, &mid)));
        b.push(
            format!("geneve-in-geneve {vni}/{o}"),
            eth(dm, sm, &[], 0x0800, &ip),
        );
    }

    // 802.3 / LLC / SNAP and the old EtherTypes pcap-filter still names.
    for dsap in [0x00u8, 0x01, 0x06, 0x7f, 0xff] {
        let (dm, sm) = (b.mac(), b.mac());
        b.push(
            format!("llc dsap {dsap:#x}"),
            dot3(dm, sm, &llc(dsap, dsap, &[0x03], &[0x33; 30])),
        );
    }
    let stp = {
        let mut s = vec![0u8, 0, 0, 0, 0];
        s.extend_from_slice(&[0x80, 0, 0, 0x16, 0x3e, 0, 0, 1]);
        s.extend_from_slice(&[0; 22]);
        s
    };
    let stp_mac = [0x01, 0x80, 0xc2, 0, 0, 0];
    let sm = b.mac();
    b.push_trunc("stp", dot3(stp_mac, sm, &llc(0x42, 0x42, &[0x03], &stp)));
    // LLC control values for `llc i/s/u/...`.
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
    // ISO: CLNP, ES-IS, IS-IS PDU types.
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
    // IPX (LLC, raw 802.3, SNAP, Ethernet II), NetBEUI, AppleTalk over SNAP.
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
    // DECnet: short and long headers, with and without padding.
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

    // Byte-offset tests (`proto[0xab] == 0xcd`, `ether[10:4] == 0x12345678`):
    // packets carrying the value at the offset.
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
            V4::new(h4s, h4d, proto).build(&payload)
        } else {
            v6(h6s, h6d, &[], proto, &payload)
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
    {
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

    // Random junk frames.
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
    b.frames
}

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
            LinkType::Raw => {
                if (et == 0x0800 || et == 0x86dd) && b.len() > 14 {
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
