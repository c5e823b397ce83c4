//! IPv4 (print-ip.c) and the next-protocol demultiplexer
//! (print-ip-demux.c) shared with IPv6.

use super::put::{ipv4, ipv4_at, ipv6};
use super::{Ctx, R, Truncated, esp, gre, icmp, icmp6, igmp, ip6, names, tcp, udp, vrrp, w};
use crate::wire::bytes::{be16, slice, u8_at};
use crate::wire::ipv4::{self as wire4, flg};
use crate::wire::{IpProto, checksum, ipv6 as wire6};

/// The network header a transport printer was carried in, for its
/// addresses and the checksum pseudo-header.
#[derive(Clone, Copy)]
pub(crate) enum Net<'a> {
    /// The fixed IPv4 header.
    V4(wire4::Packet<&'a [u8]>),
    /// The fixed IPv6 header.
    V6(wire6::Packet<&'a [u8]>),
}

impl Net<'_> {
    pub fn src(&self, s: &mut String) {
        match self {
            Net::V4(h) => ipv4(s, &h.src_addr().octets()),
            Net::V6(h) => ipv6(s, &h.src_addr().octets()),
        }
    }

    pub fn dst(&self, s: &mut String) {
        match self {
            Net::V4(h) => ipv4(s, &h.dst_addr().octets()),
            Net::V6(h) => ipv6(s, &h.dst_addr().octets()),
        }
    }

    /// The protocol field of the fixed header (not the last extension's).
    pub fn proto(&self) -> IpProto {
        match self {
            Net::V4(h) => h.protocol(),
            Net::V6(h) => h.next_header(),
        }
    }

    /// Transport checksum over the pseudo-header and `seg`; 0 if right.
    pub fn cksum(&self, proto: IpProto, seg: &[u8]) -> u16 {
        let len = seg.len() as u32;
        let proto = u8::from(proto);
        match self {
            Net::V4(h) => {
                let ph = [0, proto, (len >> 8) as u8, len as u8];
                checksum::internet(&[&h.addrs(), &ph, seg])
            }
            Net::V6(h) => {
                let l = len.to_be_bytes();
                let ph = [l[0], l[1], l[2], l[3], 0, 0, 0, proto];
                checksum::internet(&[&h.addrs(), &ph, seg])
            }
        }
    }

    pub fn is_v6(&self) -> bool {
        matches!(self, Net::V6(_))
    }
}

/// `src > dst: `
pub(crate) fn addrs(ctx: &mut Ctx<'_>, net: Net<'_>) {
    net.src(ctx.s);
    ctx.put(" > ");
    net.dst(ctx.s);
    ctx.put(": ");
}

pub(crate) fn print(ctx: &mut Ctx<'_>, bp: &[u8], length: usize) -> R {
    ctx.proto = "ip";
    let vhl = u8_at(bp, wire4::field::VER_IHL)?;
    let ver = vhl >> 4;
    if ver != 4 {
        if ver == 6 {
            ctx.put("IP6, wrong link-layer encapsulation");
        } else {
            ctx.put("IP");
            ctx.num(ver);
        }
        ctx.invalid();
        return Ok(());
    }
    if !ctx.o.link_header {
        ctx.put("IP ");
    }
    let Ok(hdr) = wire4::Packet::new_checked(bp) else {
        return ctx.local_trunc();
    };
    if length < wire4::HEADER_LEN {
        ctx.put("truncated-ip ");
        ctx.num(length);
        return Ok(());
    }
    let hlen = hdr.header_len();
    if hlen < wire4::HEADER_LEN {
        ctx.put("bad-hlen ");
        ctx.num(hlen);
        return Ok(());
    }
    let len = usize::from(hdr.total_len());
    if length < len {
        w!(ctx, "truncated-ip - {} bytes missing! ", len - length);
    }
    if len < hlen {
        // Debian's tcpdump is built without GUESS_TSO: a zero total
        // length (a TSO/GRO super-packet) is reported, not guessed.
        ctx.put("bad-len ");
        ctx.num(len);
        return Ok(());
    }
    // The total length is at least the header's, so the fixed header is
    // still all there.
    let bp = &bp[..bp.len().min(len)];
    let hdr = wire4::Packet::new_checked(bp)?;
    let payload_len = len - hlen;
    let off = hdr.flags_frag();
    let proto = hdr.protocol();
    let raw_proto = u8::from(proto);
    if ctx.v() > 0 {
        let tos = hdr.tos();
        w!(ctx, "(tos 0x{tos:x}");
        match tos & 3 {
            1 => ctx.put(",ECT(1)"),
            2 => ctx.put(",ECT(0)"),
            3 => ctx.put(",CE"),
            _ => {}
        }
        let ttl = hdr.ttl();
        if ttl >= 1 {
            ctx.put(", ttl ");
            ctx.num(ttl);
        }
        // tcpdump's bittok2str order: MF, DF, reserved.
        let flags = match (
            off & flg::MORE_FRAGS != 0,
            off & flg::DONT_FRAG != 0,
            off & flg::RESERVED != 0,
        ) {
            (false, false, false) => "none",
            (true, false, false) => "+",
            (false, true, false) => "DF",
            (true, true, false) => "+, DF",
            (false, false, true) => "rsvd",
            (true, false, true) => "+, rsvd",
            (false, true, true) => "DF, rsvd",
            (true, true, true) => "+, DF, rsvd",
        };
        w!(
            ctx,
            ", id {}, offset {}, flags [{flags}], proto {} ({raw_proto})",
            hdr.ident(),
            hdr.frag_offset(),
            names::ipproto(proto).unwrap_or("unknown")
        );
        w!(ctx, ", length {}", hdr.total_len());
        let mut truncated = false;
        if hlen > 20 {
            ctx.put(", options (");
            if !options(ctx, &bp[wire4::HEADER_LEN..], hlen - wire4::HEADER_LEN)? {
                ctx.put(" [truncated-option]");
                truncated = true;
            }
            ctx.put(")");
        }
        if let Some(header) = bp.get(..hlen) {
            let sum = checksum::internet(&[header]);
            if sum != 0 {
                let field = hdr.checksum();
                w!(
                    ctx,
                    ", bad cksum {field:x} (->{:x})!",
                    checksum::should_be(field, sum)
                );
            }
        }
        ctx.put(")\n    ");
        if truncated {
            ipv4_at(ctx.s, bp, wire4::field::SRC_ADDR.start)?;
            ctx.ip4_after(" > ", bp, wire4::field::DST_ADDR.start)?;
            ctx.put(": ");
            return ctx.local_trunc();
        }
    }
    if off & flg::OFFSET == 0 {
        // The transports that print the addresses with their ports.
        if !matches!(
            proto,
            IpProto::Tcp | IpProto::Udp | IpProto::Sctp | IpProto::Dccp
        ) {
            addrs(ctx, Net::V4(hdr));
        }
        if bp.len() < hlen {
            w!(
                ctx,
                " [remaining caplen({}) < header length({hlen})]",
                bp.len()
            );
            return Err(Truncated);
        }
        demux(
            ctx,
            &bp[hlen..],
            payload_len,
            Net::V4(hdr),
            off & flg::MORE_FRAGS != 0,
            proto,
        )
    } else {
        ipv4_at(ctx.s, bp, wire4::field::SRC_ADDR.start)?;
        ctx.ip4_after(" > ", bp, wire4::field::DST_ADDR.start)?;
        ctx.put(": ip-proto-");
        ctx.num(raw_proto);
        Ok(())
    }
}

/// ip_optprint: Ok(false) where tcpdump returns -1 (a TCHECK failed).
fn options(ctx: &mut Ctx<'_>, mut cp: &[u8], mut length: usize) -> R<bool> {
    let mut sep = "";
    while length > 0 {
        ctx.put(sep);
        sep = ",";
        let code = u8_at(cp, 0)?;
        match code {
            0 => ctx.put("EOL"),
            1 => ctx.put("NOP"),
            68 => ctx.put("timestamp"),
            130 => ctx.put("security"),
            7 => ctx.put("RR"),
            137 => ctx.put("SSRR"),
            131 => ctx.put("LSRR"),
            148 => ctx.put("RA"),
            82 => ctx.put("traceroute"),
            _ => w!(ctx, "unknown {code}"),
        }
        let olen = if code == 0 || code == 1 {
            1
        } else {
            let l = usize::from(u8_at(cp, 1)?);
            if l < 2 {
                ctx.put(" [bad length ");
                ctx.num(l);
                ctx.put("]");
                return Ok(true);
            }
            l
        };
        if olen > length {
            ctx.put(" [bad length ");
            ctx.num(olen);
            ctx.put("]");
            return Ok(true);
        }
        let Ok(opt) = slice(cp, 0, olen) else {
            return Ok(false);
        };
        match code {
            0 => return Ok(true),
            68 if !timestamp_opt(ctx, opt)? => return Ok(false),
            7 | 137 | 131 if !route_opt(ctx, opt)? => return Ok(false),
            148 => {
                if olen < 4 {
                    ctx.put(" [bad length ");
                    ctx.num(olen);
                    ctx.put("]");
                } else {
                    let v = be16(opt, 2)?;
                    if v != 0 {
                        ctx.put(" value ");
                        ctx.num(v);
                    }
                }
            }
            _ => {}
        }
        cp = &cp[olen..];
        length -= olen;
    }
    Ok(true)
}

fn route_opt(ctx: &mut Ctx<'_>, cp: &[u8]) -> R<bool> {
    let length = cp.len();
    if length < 3 {
        ctx.put(" [bad length ");
        ctx.num(length);
        ctx.put("]");
        return Ok(true);
    }
    if (length + 1) & 3 != 0 {
        ctx.put(" [bad length ");
        ctx.num(length);
        ctx.put("]");
    }
    let raw = u8_at(cp, 2)?;
    let ptr = usize::from(raw).wrapping_sub(1);
    if !(3..=length + 1).contains(&ptr) || (ptr + 1) & 3 != 0 {
        ctx.put(" [bad ptr ");
        ctx.num(raw);
        ctx.put("]");
    }
    let mut len = 3;
    while len < length {
        let Ok(a) = slice(cp, len, 4) else {
            return Ok(false);
        };
        ctx.put(" ");
        ipv4(ctx.s, a);
        if ptr > len && ptr != usize::MAX {
            ctx.put(",");
        }
        len += 4;
    }
    Ok(true)
}

fn timestamp_opt(ctx: &mut Ctx<'_>, cp: &[u8]) -> R<bool> {
    let length = cp.len();
    if length < 4 {
        ctx.put("[bad length ");
        ctx.num(length);
        ctx.put("]");
        return Ok(true);
    }
    ctx.put(" TS{");
    let flg = u8_at(cp, 3)?;
    let hoplen = if flg & 0xf != 0 { 8 } else { 4 };
    if (length - 4) & (hoplen - 1) != 0 {
        ctx.put("[bad length ");
        ctx.num(length);
        ctx.put("]");
    }
    let raw = u8_at(cp, 2)?;
    let ptr = usize::from(raw).wrapping_sub(1);
    if ptr < 4 || ptr == usize::MAX || (ptr - 4) & (hoplen - 1) != 0 || ptr > length + 1 {
        ctx.put("[bad ptr ");
        ctx.num(raw);
        ctx.put("]");
    }
    let mut len = 0;
    match flg & 0xf {
        0 => ctx.put("TSONLY"),
        1 => ctx.put("TS+ADDR"),
        3 => ctx.put("PRESPEC"),
        t => {
            ctx.put("[bad ts type ");
            ctx.num(t);
            ctx.put("]");
            ts_done(ctx, ptr, len, flg);
            return Ok(true);
        }
    }
    let mut ty = " ";
    len = 4;
    while len < length {
        if ptr == len {
            ty = " ^ ";
        }
        let Ok(hop) = slice(cp, len, hoplen) else {
            return Ok(false);
        };
        let t = u32::from_be_bytes([
            hop[hoplen - 4],
            hop[hoplen - 3],
            hop[hoplen - 2],
            hop[hoplen - 1],
        ]);
        w!(ctx, "{ty}{t}@");
        if hoplen == 8 {
            ipv4(ctx.s, &hop[..4]);
        }
        ty = " ";
        len += hoplen;
    }
    ts_done(ctx, ptr, len, flg);
    Ok(true)
}

fn ts_done(ctx: &mut Ctx<'_>, ptr: usize, len: usize, flg: u8) {
    if ptr == len {
        ctx.put(" ^ ");
    }
    if flg >> 4 != 0 {
        w!(ctx, " [{} hops not recorded]}} ", flg >> 4);
    } else {
        ctx.put("}");
    }
}

/// Hands the payload to the next protocol's printer (ip_demux_print).
pub(crate) fn demux(
    ctx: &mut Ctx<'_>,
    bp: &[u8],
    length: usize,
    net: Net<'_>,
    fragmented: bool,
    nh: IpProto,
) -> R {
    let v6 = net.is_v6();
    match nh {
        IpProto::Tcp => tcp::print(ctx, bp, length, net, fragmented),
        IpProto::Udp => udp::print(ctx, bp, length, net, fragmented),
        IpProto::Icmp if !v6 => icmp::print(ctx, bp, length, fragmented),
        IpProto::Icmpv6 if v6 => icmp6::print(ctx, bp, length, net, fragmented),
        IpProto::Igmp if !v6 => igmp::print(ctx, bp, length),
        IpProto::Vrrp => vrrp::print(ctx, bp, length, net),
        IpProto::Gre => nested(ctx, |ctx| gre::print(ctx, bp, length)),
        IpProto::Esp => esp::print(ctx, bp, length),
        IpProto::Sctp | IpProto::Dccp => {
            // SCTP and DCCP: tcpdump decodes their chunks; podcap names
            // the protocol with the ports and the length.
            let name = if nh == IpProto::Sctp { "sctp" } else { "dccp" };
            ctx.proto = name;
            let sport = be16(bp, 0)?;
            let dport = be16(bp, 2)?;
            net.src(ctx.s);
            ctx.put(".");
            ctx.num(sport);
            ctx.put(" > ");
            net.dst(ctx.s);
            w!(ctx, ".{dport}: {name}, length {length}");
            Ok(())
        }
        IpProto::Icmp | IpProto::Igmp => {
            w!(ctx, "[{} requires IPv4]", names::ipproto(nh).unwrap_or(""));
            ctx.invalid();
            Ok(())
        }
        IpProto::Icmpv6 => {
            ctx.put("[ICMPv6 requires IPv6]");
            ctx.invalid();
            Ok(())
        }
        IpProto::Ipip => nested(ctx, |ctx| print(ctx, bp, length)),
        IpProto::Ipv6 => nested(ctx, |ctx| ip6::print(ctx, bp, length)),
        IpProto::Nd => {
            ctx.put(" nd ");
            ctx.num(length);
            Ok(())
        }
        IpProto::NoNext => {
            ctx.put("no next header");
            Ok(())
        }
        _ => {
            w!(ctx, " ip-proto-{} {length}", u8::from(nh));
            Ok(())
        }
    }
}

/// Runs an encapsulated printer, refusing absurd nesting depths that
/// only a crafted packet has.
pub(crate) fn nested(ctx: &mut Ctx<'_>, f: impl FnOnce(&mut Ctx<'_>) -> R) -> R {
    if ctx.depth >= 16 {
        ctx.put("[too many encapsulations]");
        return Ok(());
    }
    ctx.depth += 1;
    let r = f(ctx);
    ctx.depth -= 1;
    r
}
