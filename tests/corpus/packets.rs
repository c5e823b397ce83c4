//! Byte builders for one protocol header each (Ethernet/VLAN, IPv4, IPv6
//! and its extension headers, TCP, UDP, SCTP, ICMP, ARP, VXLAN, Geneve,
//! LLC, MPLS, PPPoE, DECnet). The IP headers come from etherparse's
//! PacketBuilder; the transport headers are written by hand because their
//! checksums are left zero on purpose (filters never read them, and the
//! corpus stays what it was), and so are the rest, which etherparse does
//! not build or which are malformed or unusual on purpose.

use std::net::{Ipv4Addr, Ipv6Addr};

use etherparse::{IpFragOffset, IpHeaders, IpNumber, Ipv4Header, Ipv6Header, PacketBuilder};

pub(super) fn be16(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_be_bytes());
}
pub(super) fn be32(v: &mut Vec<u8>, x: u32) {
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
    /// The header (checksum included) by etherparse's PacketBuilder,
    /// then `payload` as it is.
    pub fn build(&self, payload: &[u8]) -> Vec<u8> {
        let mut opts = self.options.clone();
        while opts.len() % 4 != 0 {
            opts.push(0);
        }
        let (mf, off, df) = self.frag;
        let mut h = Ipv4Header::new(
            0,
            self.ttl,
            IpNumber(self.proto),
            self.src.octets(),
            self.dst.octets(),
        )
        .expect("an empty payload fits");
        h.identification = 0x1234;
        h.dont_fragment = df;
        h.more_fragments = mf;
        h.fragment_offset = IpFragOffset::try_new(off & 0x1fff).expect("13 bits");
        h.options = opts
            .as_slice()
            .try_into()
            .expect("at most 40 bytes of options");
        let mut p = Vec::with_capacity(h.header_len() + payload.len());
        PacketBuilder::ip(IpHeaders::Ipv4(h, Default::default()))
            .write(&mut p, IpNumber(self.proto), payload)
            .expect("an IPv4 packet the corpus can hold");
        p
    }
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
    let mut h = Ipv6Header {
        traffic_class: 0,
        flow_label: Default::default(),
        payload_length: 0,
        next_header: IpNumber(first),
        hop_limit: 64,
        source: src.octets(),
        destination: dst.octets(),
    };
    h.set_payload_length(chain.len() + payload.len())
        .expect("an IPv6 packet the corpus can hold");
    // etherparse's header alone: its PacketBuilder would walk the
    // extension headers, which are ours (some malformed on purpose), and
    // it panics on a hop-by-hop next header it did not build itself.
    let mut p = h.to_bytes().to_vec();
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

pub(super) fn arp(op: u16, sha: [u8; 6], spa: Ipv4Addr, tha: [u8; 6], tpa: Ipv4Addr) -> Vec<u8> {
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

pub(super) fn vxlan(vni: u32, inner: &[u8]) -> Vec<u8> {
    let mut v = vec![0x08, 0, 0, 0];
    be32(&mut v, vni << 8);
    v.extend_from_slice(inner);
    v
}

pub(super) fn geneve(vni: u32, proto: u16, opt_words: u8, inner: &[u8]) -> Vec<u8> {
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

pub(super) fn llc(dsap: u8, ssap: u8, ctl: &[u8], rest: &[u8]) -> Vec<u8> {
    let mut l = vec![dsap, ssap];
    l.extend_from_slice(ctl);
    l.extend_from_slice(rest);
    l
}

/// 802.3 frame: length field instead of EtherType.
pub(super) fn dot3(dst: [u8; 6], src: [u8; 6], payload: &[u8]) -> Vec<u8> {
    eth(dst, src, &[], payload.len() as u16, payload)
}

pub(super) fn mpls(labels: &[(u32, u8)], payload: &[u8]) -> Vec<u8> {
    let mut m = Vec::new();
    for (i, &(label, ttl)) in labels.iter().enumerate() {
        let bos = u32::from(i + 1 == labels.len());
        be32(&mut m, (label << 12) | (bos << 8) | u32::from(ttl));
    }
    m.extend_from_slice(payload);
    m
}

pub(super) fn pppoe_s(session: u16, ppp_proto: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x11, 0];
    be16(&mut p, session);
    be16(&mut p, (payload.len() + 2) as u16);
    be16(&mut p, ppp_proto);
    p.extend_from_slice(payload);
    p
}

pub(super) fn pppoe_d(code: u8, session: u16) -> Vec<u8> {
    let mut p = vec![0x11, code];
    be16(&mut p, session);
    be16(&mut p, 4);
    p.extend_from_slice(&[0x01, 0x01, 0, 0]);
    p
}

/// A DECnet phase IV routing header (after the 2-byte length).
pub(super) fn decnet(long: bool, pad: bool, dst: u16, src: u16) -> Vec<u8> {
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
