//! ICMPv6 (print-icmp6.c): echo, unreachable, too big, time exceeded,
//! parameter problem, neighbour/router solicitation and advertisement
//! with their options under `-v`, MLDv1/v2.

use super::ip::Net;
use super::put::{ipv6, ipv6_at};
use super::{Ctx, R, dns, dump, w};
use crate::wire::bytes::{be16, be32, from, has, u8_at};
use crate::wire::ipv6::{self as wire6, FRAG_OFFSET, ext_field, frag_field};
use crate::wire::{IpProto, checksum, udp};

fn type_name(t: u8) -> Option<&'static str> {
    Some(match t {
        1 => "destination unreachable",
        2 => "packet too big",
        3 => "time exceeded in-transit",
        4 => "parameter problem",
        128 => "echo request",
        129 => "echo reply",
        130 => "multicast listener query",
        131 => "multicast listener report",
        132 => "multicast listener done",
        133 => "router solicitation",
        134 => "router advertisement",
        135 => "neighbor solicitation",
        136 => "neighbor advertisement",
        137 => "redirect",
        138 => "router renumbering",
        141 => "inverse neighbor solicitation",
        142 => "inverse neighbor advertisement",
        143 => "multicast listener report v2",
        144 => "ha discovery request",
        145 => "ha discovery reply",
        146 => "mobile router solicitation",
        147 => "mobile router advertisement",
        139 => "who-are-you request",
        140 => "who-are-you reply",
        201 => "mtrace message",
        200 => "mtrace response",
        155 => "RPL",
        _ => return None,
    })
}

/// print_unknown_data: hex of what was captured, lines led by `ident`.
fn unknown_data(ctx: &mut Ctx<'_>, p: &[u8], ident: &str, len: usize) {
    dump::hex(ctx.s, ident, &p[..p.len().min(len)]);
}

pub(crate) fn print(
    ctx: &mut Ctx<'_>,
    bp: &[u8],
    length: usize,
    net: Net<'_>,
    fragmented: bool,
) -> R {
    ctx.proto = "icmp6";
    if length == 0 {
        ctx.put("ICMP6, length 0");
        ctx.invalid();
        return Ok(());
    }
    let v = ctx.v();
    if v > 0 && !fragmented && has(bp, 0, length) {
        let field = be16(bp, 2)?;
        let sum = net.cksum(IpProto::Icmpv6, &bp[..length]);
        if sum != 0 {
            w!(
                ctx,
                "[bad icmp6 cksum 0x{field:04x} -> 0x{:04x}!] ",
                checksum::should_be(field, sum)
            );
        } else {
            ctx.put("[icmp6 sum ok] ");
        }
    }
    let ty = u8_at(bp, 0)?;
    ctx.put("ICMP6, ");
    match type_name(ty) {
        Some(n) => ctx.put(n),
        None => w!(ctx, "unknown icmp6 type ({ty})"),
    }
    if v > 0 && matches!(ty, 133 | 134 | 135 | 136 | 137 | 145 | 147) {
        ctx.put(", length ");
        ctx.num(length);
    }
    let code = u8_at(bp, 1)?;
    // The quoted packet of error messages starts after the 8-byte header.
    let oip = from(bp, 8);
    match ty {
        1 => {
            match code {
                0 => ctx.put(", unreachable route"),
                1 => ctx.put(",  unreachable prohibited"),
                2 => ctx.put(", beyond scope"),
                3 => ctx.put(", unreachable address"),
                4 => ctx.put(", unreachable port"),
                _ => w!(ctx, ", unknown unreach code ({code})"),
            }
            let (src, dst) = (wire6::field::SRC_ADDR.start, wire6::field::DST_ADDR.start);
            match code {
                0 | 1 | 3 => {
                    ctx.ip6_after(" ", oip, dst)?;
                }
                2 => {
                    ctx.ip6_after(" ", oip, dst)?;
                    ctx.ip6_after(", source address ", oip, src)?;
                }
                4 => {
                    let Some((uh, prot)) = upper_layer(oip) else {
                        return ctx.local_trunc();
                    };
                    let dport = be16(oip, uh + udp::field::DST_PORT.start)?;
                    ctx.ip6_after(", ", oip, dst)?;
                    match prot {
                        IpProto::Tcp => w!(ctx, " tcp port {dport}"),
                        IpProto::Udp => w!(ctx, " udp port {dport}"),
                        p => w!(ctx, " protocol {} port {dport} unreachable", u8::from(p)),
                    }
                }
                _ => {
                    if v <= 1 {
                        unknown_data(ctx, bp, "\n\t", length);
                        return Ok(());
                    }
                }
            }
        }
        2 => w!(ctx, ", mtu {}", be32(bp, 4)?),
        3 => match code {
            0 => {
                ctx.ip6_after(" for ", oip, 24)?;
            }
            1 => ctx.put(" (reassembly)"),
            _ => w!(ctx, ", unknown code ({code})"),
        },
        4 => {
            if !has(oip, 24, 16) {
                return ctx.local_trunc();
            }
            let ptr = be32(bp, 4)?;
            match code {
                0 => w!(ctx, ", erroneous - octet {ptr}"),
                1 => w!(ctx, ", next header - octet {ptr}"),
                2 => w!(ctx, ", option - octet {ptr}"),
                3 => w!(ctx, ", incomplete header chain - octet {ptr}"),
                _ => w!(ctx, ", code-#{code}"),
            }
        }
        128 | 129 => w!(ctx, ", id {}, seq {}", be16(bp, 4)?, be16(bp, 6)?),
        130 => {
            if length == 24 {
                mld6(ctx, bp)?;
            } else if length >= 28 {
                ctx.put(" v2");
                mldv2_query(ctx, bp, length)?;
            } else {
                ctx.put(" unknown-version (len ");
                ctx.num(length);
                ctx.put(") ");
            }
        }
        131 | 132 => mld6(ctx, bp)?,
        133 => {
            if v > 0 && opts(ctx, from(bp, 8), length as i64 - 8)?.is_none() {
                return ctx.local_trunc();
            }
        }
        134 => {
            if v > 0 {
                let flags = u8_at(bp, 5)?;
                let hop = u8_at(bp, 4)?;
                let mut names = Vec::new();
                for (bit, n) in [
                    (0x80, "managed"),
                    (0x40, "other stateful"),
                    (0x20, "home agent"),
                    (0x02, "ipv6 only"),
                ] {
                    if flags & bit != 0 {
                        names.push(n);
                    }
                }
                let fl = if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                };
                w!(
                    ctx,
                    "\n\thop limit {hop}, Flags [{fl}], pref {}, router lifetime {}s, reachable time {}ms, retrans timer {}ms",
                    rtpref(flags),
                    be16(bp, 6)?,
                    be32(bp, 8)?,
                    be32(bp, 12)?
                );
                if opts(ctx, from(bp, 16), length as i64 - 16)?.is_none() {
                    return ctx.local_trunc();
                }
            }
        }
        135 => {
            ctx.ip6_after(", who has ", bp, 8)?;
            if v > 0 && opts(ctx, from(bp, 24), length as i64 - 24)?.is_none() {
                return ctx.local_trunc();
            }
        }
        136 => {
            ctx.ip6_after(", tgt is ", bp, 8)?;
            if v > 0 {
                let f = be32(bp, 4)?;
                let mut names = Vec::new();
                for (bit, n) in [
                    (0x8000_0000, "router"),
                    (0x4000_0000, "solicited"),
                    (0x2000_0000, "override"),
                ] {
                    if f & bit != 0 {
                        names.push(n);
                    }
                }
                let fl = if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                };
                w!(ctx, ", Flags [{fl}]");
                if opts(ctx, from(bp, 24), length as i64 - 24)?.is_none() {
                    return ctx.local_trunc();
                }
            }
        }
        137 => {
            ctx.ip6_after(", ", bp, 24)?;
            ctx.ip6_after(" to ", bp, 8)?;
            if v > 0 && opts(ctx, from(bp, 40), length as i64 - 40)?.is_none() {
                return ctx.local_trunc();
            }
        }
        141 | 142 => {}
        143 => mldv2_report(ctx, bp, length)?,
        144 | 146 => w!(ctx, ", id 0x{:04x}", be16(bp, 4)?),
        145 => {
            if v > 0 {
                w!(ctx, ", id 0x{:04x}", be16(bp, 4)?);
                let mut p = 8;
                while p < length {
                    ctx.ip6_after(", ", bp, p)?;
                    p += 16;
                }
            }
        }
        147 => {
            if v > 0 {
                w!(ctx, ", id 0x{:04x}", be16(bp, 4)?);
                let flags = be16(bp, 6)?;
                if flags & 0xc000 != 0 {
                    ctx.put(" ");
                }
                if flags & 0x8000 != 0 {
                    ctx.put("M");
                }
                if flags & 0x4000 != 0 {
                    ctx.put("O");
                }
                if opts(ctx, from(bp, 8), length as i64 - 8)?.is_none() {
                    return ctx.local_trunc();
                }
            }
        }
        _ => {
            // Router renumbering, node information, RPL and the rest:
            // not decoded by podcap; length and hex, as tcpdump does for
            // types it does not know.
            ctx.put(", length ");
            ctx.num(length);
            if v <= 1 {
                unknown_data(ctx, bp, "\n\t", length);
            }
            return Ok(());
        }
    }
    if v == 0 {
        ctx.put(", length ");
        ctx.num(length);
    }
    Ok(())
}

fn rtpref(flags: u8) -> &'static str {
    match (flags & 0x18) >> 3 {
        0 => "medium",
        1 => "high",
        2 => "rsv",
        _ => "low",
    }
}

fn lifetime(v: u32) -> String {
    if v == u32::MAX {
        "infinity".into()
    } else {
        format!("{v}s")
    }
}

/// The transport header inside a quoted IPv6 packet: (offset, protocol),
/// TCP or UDP with its destination port captured.
fn upper_layer(ip6: &[u8]) -> Option<(usize, IpProto)> {
    let mut nh = IpProto::from(u8_at(ip6, wire6::field::NXT_HDR).ok()?);
    let mut off = 0usize;
    let mut hlen = wire6::HEADER_LEN;
    while off < ip6.len() {
        off += hlen;
        let ext = from(ip6, off);
        let next = || u8_at(ext, ext_field::NXT_HDR).map(IpProto::from).ok();
        match nh {
            IpProto::Tcp | IpProto::Udp => {
                return has(ip6, off + udp::field::DST_PORT.start, 2).then_some((off, nh));
            }
            IpProto::HopByHop | IpProto::DstOpts | IpProto::Routing | IpProto::Ah => {
                let len = u8_at(ext, ext_field::LENGTH).ok()?;
                hlen = wire6::ext_header_len(nh, len)?;
                nh = next()?;
            }
            IpProto::Fragment => {
                let offlg = be16(ext, frag_field::FRAG_OFF).ok()?;
                if offlg & FRAG_OFFSET != 0 {
                    return None;
                }
                nh = next()?;
                hlen = frag_field::LEN;
            }
            _ => return None,
        }
    }
    None
}

fn mld6(ctx: &mut Ctx<'_>, bp: &[u8]) -> R {
    if !has(bp, 0, 24) {
        return Ok(());
    }
    w!(ctx, "max resp delay: {} ", be16(bp, 4)?);
    ctx.put("addr: ");
    ipv6_at(ctx.s, bp, 8)
}

fn mldv2_report(ctx: &mut Ctx<'_>, bp: &[u8], len: usize) -> R {
    if len < 8 {
        ctx.put(" [invalid len ");
        ctx.num(len);
        ctx.put("]");
        return Ok(());
    }
    let ngroups = be16(bp, 6)?;
    ctx.put(", ");
    ctx.num(ngroups);
    ctx.put(" group record(s)");
    if ctx.v() > 0 {
        let mut group = 8usize;
        for _ in 0..ngroups {
            if len < group + 20 {
                ctx.put(" [invalid number of groups]");
                return Ok(());
            }
            ctx.ip6_after(" [gaddr ", bp, group + 4)?;
            let t = u8_at(bp, group)?;
            match t {
                1 => ctx.put(" is_in"),
                2 => ctx.put(" is_ex"),
                3 => ctx.put(" to_in"),
                4 => ctx.put(" to_ex"),
                5 => ctx.put(" allow"),
                6 => ctx.put(" block"),
                _ => w!(ctx, "  [v2-report-#{t}]"),
            }
            let nsrcs = usize::from(be16(bp, group + 2)?);
            if len < group + 20 + nsrcs * 16 {
                ctx.put(" [invalid number of sources ");
                ctx.num(nsrcs);
                ctx.put("]");
                return Ok(());
            }
            if ctx.v() == 1 {
                ctx.put(", ");
                ctx.num(nsrcs);
                ctx.put(" source(s)");
            } else {
                ctx.put(" {");
                for j in 0..nsrcs {
                    ctx.ip6_after(" ", bp, group + 20 + j * 16)?;
                }
                ctx.put(" }");
            }
            group += 20 + nsrcs * 16;
            ctx.put("]");
        }
    }
    Ok(())
}

fn mldv2_query(ctx: &mut Ctx<'_>, bp: &[u8], len: usize) -> R {
    if len < 28 {
        ctx.put(" [invalid len ");
        ctx.num(len);
        ctx.put("]");
        return Ok(());
    }
    let mrc = u32::from(be16(bp, 4)?);
    let mrt = if mrc < 32768 {
        mrc
    } else {
        ((mrc & 0x0fff) | 0x1000) << (((mrc & 0x7000) >> 12) + 3)
    };
    if ctx.v() > 0 {
        ctx.put(" [max resp delay=");
        ctx.num(mrt);
        ctx.put("]");
    }
    ctx.ip6_after(" [gaddr ", bp, 8)?;
    if ctx.v() > 0 {
        let b24 = u8_at(bp, 24)?;
        if b24 & 0x08 != 0 {
            ctx.put(" sflag");
        }
        if b24 & 0x07 != 0 {
            w!(ctx, " robustness={}", b24 & 7);
        }
        let b25 = u32::from(u8_at(bp, 25)?);
        let qqi = if b25 < 128 {
            b25
        } else {
            ((b25 & 0x0f) | 0x10) << (((b25 & 0x70) >> 4) + 3)
        };
        ctx.put(" qqi=");
        ctx.num(qqi);
    }
    let nsrcs = usize::from(be16(bp, 26)?);
    if nsrcs > 0 {
        if len < 28 + nsrcs * 16 {
            ctx.put(" [invalid number of sources]");
        } else if ctx.v() > 1 {
            ctx.put(" {");
            for i in 0..nsrcs {
                ctx.ip6_after(" ", bp, 28 + i * 16)?;
            }
            ctx.put(" }");
        } else {
            ctx.put(", ");
            ctx.num(nsrcs);
            ctx.put(" source(s)");
        }
    }
    ctx.put("]");
    Ok(())
}

/// Neighbour discovery options; `None` for tcpdump's `goto trunc`.
fn opts(ctx: &mut Ctx<'_>, bp: &[u8], mut resid: i64) -> R<Option<()>> {
    let mut cp = 0usize;
    while cp < bp.len() {
        if !has(bp, cp + 1, 1) {
            return Ok(None);
        }
        if resid <= 0 {
            return Ok(Some(()));
        }
        let t = u8_at(bp, cp)?;
        let l = usize::from(u8_at(bp, cp + 1)?);
        if l == 0 || cp + (l << 3) > bp.len() {
            return Ok(None);
        }
        let name = match t {
            1 => "source link-address",
            2 => "destination link-address",
            3 => "prefix info",
            4 => "redirected header",
            5 => "mtu",
            25 => "rdnss",
            31 => "dnssl",
            7 => "advertisement interval",
            8 => "homeagent information",
            24 => "route info",
            _ => "unknown",
        };
        w!(ctx, "\n\t  {name} option ({t}), length {} ({l}): ", l << 3);
        let op = &bp[cp..cp + (l << 3)];
        match t {
            1 | 2 => {
                for (i, b) in op[2..].iter().enumerate() {
                    if i > 0 {
                        ctx.put(":");
                    }
                    w!(ctx, "{b:02x}");
                }
            }
            3 => {
                ipv6_at(ctx.s, op, 16)?;
                let flags = u8_at(op, 3)?;
                let mut names = Vec::new();
                for (bit, n) in [(0x80, "onlink"), (0x40, "auto"), (0x20, "router")] {
                    if flags & bit != 0 {
                        names.push(n);
                    }
                }
                let fl = if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                };
                w!(
                    ctx,
                    "/{}{}, Flags [{fl}], valid time {}",
                    u8_at(op, 2)?,
                    if l != 4 { "badlen" } else { "" },
                    lifetime(be32(op, 4)?)
                );
                w!(ctx, ", pref. time {}", lifetime(be32(op, 8)?));
            }
            4 => unknown_data(ctx, bp, "\n\t    ", l << 3),
            5 => w!(
                ctx,
                " {}{}",
                be32(op, 4)?,
                if l != 1 { "bad option length" } else { "" }
            ),
            25 => {
                w!(ctx, " lifetime {}s,", be32(op, 4)?);
                for i in 0..(l - 1) / 2 {
                    ctx.ip6_after(" addr: ", op, 8 + 16 * i)?;
                }
            }
            31 => {
                w!(ctx, " lifetime {}s, domain(s):", be32(op, 4)?);
                let mut d = cp + 8;
                while d < cp + (l << 3) && u8_at(bp, d)? != 0 {
                    ctx.put(" ");
                    match dns::fqdn(ctx, bp, d)? {
                        Some(n) => d = n,
                        None => return Ok(None),
                    }
                }
            }
            7 => w!(ctx, " {}ms", be32(op, 4)?),
            8 => w!(
                ctx,
                " preference {}, lifetime {}",
                be16(op, 4)?,
                be16(op, 6)?
            ),
            24 => {
                let mut a = [0u8; 16];
                match l {
                    1 => {}
                    2 => a[..8].copy_from_slice(&op[8..16]),
                    3 => a.copy_from_slice(&op[8..24]),
                    _ => return Ok(None),
                }
                ctx.put(" ");
                ipv6(ctx.s, &a);
                w!(ctx, "/{}", u8_at(op, 2)?);
                w!(ctx, ", pref={}", rtpref(u8_at(op, 3)?));
                w!(ctx, ", lifetime={}", lifetime(be32(op, 4)?));
            }
            _ => {
                if ctx.v() <= 1 {
                    unknown_data(ctx, &op[2..], "\n\t  ", (l << 3) - 2);
                    return Ok(Some(()));
                }
            }
        }
        if ctx.v() > 1 {
            unknown_data(ctx, &op[2..], "\n\t    ", (l << 3) - 2);
        }
        cp += l << 3;
        resid -= (l << 3) as i64;
    }
    Ok(Some(()))
}
