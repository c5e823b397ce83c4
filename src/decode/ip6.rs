//! IPv6 (print-ip6.c) with its extension headers: hop-by-hop and
//! destination options, routing (types 0, 2, 4), fragments.

use super::ip::{self, Net};
use super::{Ctx, R, names, w};
use crate::wire::IpProto;
use crate::wire::bytes::{be16, be32, has, u8_at};
use crate::wire::ipv6::{self as wire6, FRAG_OFFSET, ext_field, frag_field};

pub(crate) fn print(ctx: &mut Ctx<'_>, bp: &[u8], length: usize) -> R {
    ctx.proto = "ip6";
    let Ok(hdr) = wire6::Packet::new_checked(bp) else {
        return ctx.local_trunc();
    };
    if length < wire6::HEADER_LEN {
        ctx.put("truncated-ip6 ");
        ctx.num(length);
        return Ok(());
    }
    if !ctx.o.link_header {
        ctx.put("IP6 ");
    }
    let ver = hdr.version();
    if ver != 6 {
        ctx.put("version error: ");
        ctx.num(ver);
        ctx.put(" != 6");
        return Ok(());
    }
    let mut payload_len = u32::from(hdr.payload_len());
    let mut len = if payload_len != 0 {
        let l = payload_len as usize + wire6::HEADER_LEN;
        if length < l {
            w!(ctx, "truncated-ip6 - {} bytes missing!", l - length);
        }
        l
    } else {
        length + wire6::HEADER_LEN
    };
    let mut nh = hdr.next_header();
    if ctx.v() > 0 {
        let (class, flow) = (hdr.traffic_class(), hdr.flow_label());
        ctx.put("(");
        if class != 0 {
            w!(ctx, "class 0x{class:02x}, ");
        }
        if flow != 0 {
            w!(ctx, "flowlabel 0x{flow:05x}, ");
        }
        w!(
            ctx,
            "hlim {}, next-header {} ({}) payload length: {payload_len}) ",
            hdr.hop_limit(),
            names::ipproto(nh).unwrap_or("unknown"),
            u8::from(nh)
        );
    }
    let mut data = &bp[..bp.len().min(len)];
    let mut cp = 0usize;
    let mut advance = wire6::HEADER_LEN;
    let mut total_advance = 0usize;
    // Still at the header after the fixed one (tcpdump's `ph == 255`).
    let mut first = true;
    let (mut found_ext, mut found_jumbo, mut found_hbh, mut fragmented) =
        (false, false, false, false);
    while cp < data.len() && advance > 0 {
        if len < advance {
            return ctx.local_trunc();
        }
        cp += advance;
        len -= advance;
        total_advance += advance;
        // The transports that print the addresses with their ports.
        if cp == wire6::HEADER_LEN
            && !matches!(
                nh,
                IpProto::Tcp | IpProto::Udp | IpProto::Dccp | IpProto::Sctp
            )
        {
            ip::addrs(ctx, Net::V6(hdr));
        }
        match nh {
            IpProto::HopByHop => {
                if found_hbh {
                    ctx.put("[The Hop-by-Hop Options header was already found]");
                    ctx.invalid();
                    return Ok(());
                }
                if !first {
                    ctx.put("[The Hop-by-Hop Options header don't follow the IPv6 header]");
                    ctx.invalid();
                    return Ok(());
                }
                let r = hbh(ctx, &data[cp..], &mut found_jumbo, &mut payload_len)?;
                if payload_len == 0 && !found_jumbo {
                    ctx.put("[No valid Jumbo Payload Hop-by-Hop option found]");
                    ctx.invalid();
                    return Ok(());
                }
                let Some(a) = r else { return Ok(()) };
                advance = a;
                found_ext = true;
                found_hbh = true;
                nh = next_header(data, cp)?;
            }
            IpProto::DstOpts => {
                let Some(a) = dstopt(ctx, &data[cp..])? else {
                    return Ok(());
                };
                advance = a;
                found_ext = true;
                nh = next_header(data, cp)?;
            }
            IpProto::Fragment => {
                let Some(a) = frag(ctx, &data[cp..], &hdr, cp)? else {
                    return Ok(());
                };
                if data.len() <= cp + a {
                    return Ok(());
                }
                advance = a;
                found_ext = true;
                nh = next_header(data, cp)?;
                fragmented = true;
            }
            IpProto::Mobility | IpProto::MobilityOld => {
                // Mobility headers are not decoded; tcpdump prints them
                // and stops, so does podcap, naming them.
                ctx.put("mobility");
                return Ok(());
            }
            IpProto::Routing => {
                if !has(data, cp, 1) {
                    return ctx.local_trunc();
                }
                let Some(a) = routing(ctx, &data[cp..])? else {
                    return Ok(());
                };
                advance = a;
                found_ext = true;
                nh = next_header(data, cp)?;
            }
            _ => {
                if found_jumbo {
                    len = payload_len as usize + wire6::HEADER_LEN;
                    if len < total_advance {
                        return ctx.local_trunc();
                    }
                    if length < len {
                        w!(ctx, "truncated-ip6 - {} bytes missing!", len - length);
                    }
                    data = &bp[..bp.len().min(len)];
                    len -= total_advance;
                } else if payload_len == 0 {
                    if found_ext {
                        return ctx.local_trunc();
                    }
                    len = wire6::HEADER_LEN;
                    data = &bp[..bp.len().min(len)];
                    len -= total_advance;
                }
                let payload = data.get(cp..).unwrap_or(&[]);
                return ip::demux(ctx, payload, len, Net::V6(hdr), fragmented, nh);
            }
        }
        first = false;
        ctx.proto = "ip6";
    }
    Ok(())
}

/// The next-header field of the extension header at `at`.
fn next_header(data: &[u8], at: usize) -> R<IpProto> {
    Ok(IpProto::from(u8_at(data, at + ext_field::NXT_HDR)?))
}

/// An extension header's length from its length byte (hop-by-hop,
/// destination options, routing: 8-byte units after the first 8).
fn ext_len(bp: &[u8]) -> R<usize> {
    Ok((usize::from(u8_at(bp, ext_field::LENGTH)?) + 1) << 3)
}

/// Hop-by-hop options; `None` when the printer stopped (truncation mark
/// already printed).
fn hbh(
    ctx: &mut Ctx<'_>,
    bp: &[u8],
    found_jumbo: &mut bool,
    payload_len: &mut u32,
) -> R<Option<usize>> {
    ctx.proto = "hbhopt";
    let hlen = ext_len(bp)?;
    if !has(bp, 0, hlen) {
        ctx.trunc_mark();
        return Ok(None);
    }
    ctx.put("HBH ");
    if opts(ctx, &bp[2..hlen], Some((found_jumbo, payload_len)))?.is_none() {
        ctx.trunc_mark();
        return Ok(None);
    }
    Ok(Some(hlen))
}

fn dstopt(ctx: &mut Ctx<'_>, bp: &[u8]) -> R<Option<usize>> {
    ctx.proto = "dstopt";
    let hlen = ext_len(bp)?;
    if !has(bp, 0, hlen) {
        ctx.trunc_mark();
        return Ok(None);
    }
    ctx.put("DSTOPT ");
    if ctx.v() > 0 && opts(ctx, &bp[2..hlen], None)?.is_none() {
        ctx.trunc_mark();
        return Ok(None);
    }
    Ok(Some(hlen))
}

/// ip6_opt_process: `None` for its "goto trunc".
fn opts(ctx: &mut Ctx<'_>, bp: &[u8], mut hbh: Option<(&mut bool, &mut u32)>) -> R<Option<()>> {
    let len = bp.len();
    if len == 0 {
        return Ok(Some(()));
    }
    let v = ctx.v() > 0;
    let mut found = false;
    let mut i = 0;
    while i < len {
        let t = u8_at(bp, i)?;
        let optlen = if t == 0 {
            1
        } else if i + 1 < len {
            usize::from(u8_at(bp, i + 1)?) + 2
        } else {
            return Ok(None);
        };
        if i + optlen > len {
            return Ok(None);
        }
        match t {
            0 => {
                if v {
                    ctx.put("(pad1)");
                }
            }
            1 => {
                if len - i < 2 {
                    ctx.put("(padn: trunc)");
                    return Ok(None);
                }
                if v {
                    ctx.put("(padn)");
                }
            }
            5 => {
                if len - i < 4 {
                    ctx.put("(rtalert: trunc)");
                    return Ok(None);
                }
                let l = u8_at(bp, i + 1)?;
                if l != 2 {
                    ctx.put("(rtalert: invalid len ");
                    ctx.num(l);
                    ctx.put(")");
                    return Ok(None);
                }
                if v {
                    w!(ctx, "(rtalert: 0x{:04x}) ", be16(bp, i + 2)?);
                }
            }
            0xc2 => {
                if len - i < 6 {
                    ctx.put("(jumbo: trunc)");
                    return Ok(None);
                }
                let l = u8_at(bp, i + 1)?;
                if l != 4 {
                    ctx.put("(jumbo: invalid len ");
                    ctx.num(l);
                    ctx.put(")");
                    return Ok(None);
                }
                let jl = be32(bp, i + 2)?;
                if found {
                    if v {
                        ctx.put("(jumbo: ");
                        ctx.num(jl);
                        ctx.put(" - already seen) ");
                    }
                } else {
                    found = true;
                    match hbh.as_mut() {
                        None => {
                            if v {
                                ctx.put("(jumbo: ");
                                ctx.num(jl);
                                ctx.put(" - not a hop-by-hop option) ");
                            }
                        }
                        Some((_, pl)) if **pl != 0 => {
                            if v {
                                ctx.put("(jumbo: ");
                                ctx.num(jl);
                                ctx.put(" - payload len != 0) ");
                            }
                        }
                        Some((fj, pl)) => {
                            if jl < 65536 {
                                if v {
                                    ctx.put("(jumbo: ");
                                    ctx.num(jl);
                                    ctx.put(" - < 65536) ");
                                }
                            } else {
                                **fj = true;
                                **pl = jl;
                                if v {
                                    ctx.put("(jumbo: ");
                                    ctx.num(jl);
                                    ctx.put(") ");
                                }
                            }
                        }
                    }
                }
            }
            0xc9 => {
                if len - i < 18 {
                    ctx.put("(homeaddr: trunc)");
                    return Ok(None);
                }
                let l = u8_at(bp, i + 1)?;
                if l < 16 {
                    ctx.put("(homeaddr: invalid len ");
                    ctx.num(l);
                    ctx.put(")");
                    return Ok(None);
                }
                if v {
                    ctx.ip6_after("(homeaddr: ", bp, i + 2)?;
                    if l > 16 {
                        let sub = &bp[i + 18..i + optlen];
                        if sub_opts(ctx, sub)?.is_none() {
                            return Ok(None);
                        }
                    }
                    ctx.put(")");
                }
            }
            _ => {
                if len - i < 2 {
                    ctx.put("(type ");
                    ctx.num(t);
                    ctx.put(": trunc)");
                    return Ok(None);
                }
                if v {
                    w!(ctx, "(opt_type 0x{t:02x}: len={})", u8_at(bp, i + 1)?);
                }
            }
        }
        i += optlen;
    }
    if v {
        ctx.put(" ");
    }
    Ok(Some(()))
}

fn sub_opts(ctx: &mut Ctx<'_>, bp: &[u8]) -> R<Option<()>> {
    let len = bp.len();
    let mut i = 0;
    while i < len {
        let t = u8_at(bp, i)?;
        let optlen = if t == 0 {
            1
        } else if i + 1 < len {
            usize::from(u8_at(bp, i + 1)?) + 2
        } else {
            return Ok(None);
        };
        if i + optlen > len {
            return Ok(None);
        }
        match t {
            0 => ctx.put(", pad1"),
            1 => {
                if len - i < 2 {
                    ctx.put(", padn: trunc");
                    return Ok(None);
                }
                ctx.put(", padn");
            }
            _ => {
                if len - i < 2 {
                    ctx.put(", sopt_type ");
                    ctx.num(t);
                    ctx.put(": trunc)");
                    return Ok(None);
                }
                w!(ctx, ", sopt_type 0x{t:02x}: len={}", u8_at(bp, i + 1)?);
            }
        }
        i += optlen;
    }
    Ok(Some(()))
}

/// `frag (off|len)`; `None` for a later fragment (nothing to decode).
fn frag(ctx: &mut Ctx<'_>, bp: &[u8], hdr: &wire6::Packet<&[u8]>, at: usize) -> R<Option<usize>> {
    ctx.proto = "frag6";
    let plen = usize::from(hdr.payload_len());
    // sizeof(ip6_hdr) + plen - offset - sizeof(ip6_frag), as a size_t.
    let rest = (wire6::HEADER_LEN + plen)
        .wrapping_sub(at)
        .wrapping_sub(frag_field::LEN) as u64;
    let off = be16(bp, frag_field::FRAG_OFF)? & FRAG_OFFSET;
    if ctx.v() > 0 {
        w!(
            ctx,
            "frag (0x{:08x}:{off}|{rest})",
            be32(bp, frag_field::IDENT)?
        );
    } else {
        w!(ctx, "frag ({off}|{rest})");
    }
    if off != 0 {
        return Ok(None);
    }
    ctx.put(" ");
    Ok(Some(frag_field::LEN))
}

fn routing(ctx: &mut Ctx<'_>, bp: &[u8]) -> R<Option<usize>> {
    ctx.proto = "rt6";
    ctx.put("RT6");
    let mut len = u8_at(bp, 1)?;
    ctx.put(" (len=");
    ctx.num(len);
    let ty = u8_at(bp, 2)?;
    ctx.put(", type=");
    ctx.num(ty);
    if ty == 0 {
        ctx.put(" [Deprecated]");
    }
    w!(ctx, ", segleft={}", u8_at(bp, 3)?);
    match ty {
        0 | 2 | 4 => {
            if ty == 4 {
                w!(ctx, ", last-entry={}", u8_at(bp, 4)?);
                let flags = u8_at(bp, 5)?;
                if flags != 0 || ctx.v() > 0 {
                    w!(ctx, ", flags=0x{flags:x}");
                }
                w!(ctx, ", tag={:x}", be16(bp, 6)?);
            } else {
                let rsv = be32(bp, 4)?;
                if rsv != 0 || ctx.v() > 0 {
                    w!(ctx, ", rsv=0x{rsv:x}");
                }
            }
            if len % 2 == 1 {
                ctx.put(" (invalid length ");
                ctx.num(len);
                ctx.put(")");
                ctx.invalid();
                return Ok(None);
            }
            len >>= 1;
            for i in 0..usize::from(len) {
                ctx.ip6_after(&format!(", [{i}]"), bp, 8 + 16 * i)?;
            }
            ctx.put(") ");
            Ok(Some(ext_len(bp)?))
        }
        _ => {
            ctx.put(" (unknown type)");
            ctx.invalid();
            Ok(None)
        }
    }
}
