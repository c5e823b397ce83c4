//! VRRP (print-vrrp.c): v2 (RFC 3768) and v3 (RFC 5798) advertisements
//! over IPv4 and IPv6, IP protocol 112, what keepalived sends for a VIP.

use super::ip::Net;
use super::{Ctx, R, put, w};
use crate::wire::bytes::{be16, has, slice, u8_at};
use crate::wire::{IpProto, checksum};

pub(crate) fn print(ctx: &mut Ctx<'_>, bp: &[u8], len: usize, net: Net<'_>) -> R {
    ctx.proto = "vrrp";
    ctx.put("VRRP");
    let b0 = u8_at(bp, 0)?;
    let (version, ty) = (b0 >> 4, b0 & 0x0f);
    w!(ctx, "v{version}, ");
    if ty == 1 {
        ctx.put("Advertisement");
    } else {
        w!(ctx, "unknown type ({ty})");
    }
    let ttl = match net {
        Net::V4(h) => h.ttl(),
        Net::V6(h) => h.hop_limit(),
    };
    if ttl != 255 {
        w!(ctx, ", (ttl {ttl})");
    }
    if !(2..=3).contains(&version) || ty != 1 {
        return Ok(());
    }
    w!(ctx, ", vrid {}, prio {}", u8_at(bp, 1)?, u8_at(bp, 2)?);
    let mut auth = 0;
    if version == 2 {
        auth = u8_at(bp, 4)?;
        ctx.put(", authtype ");
        match auth {
            0 => ctx.put("none"),
            1 => ctx.put("simple"),
            2 => ctx.put("ah"),
            // tok2str with no default: "#%d" as tcpdump's own buffer.
            a => w!(ctx, "#{a}"),
        }
        w!(ctx, ", intvl {}s, length {len}", u8_at(bp, 5)?);
    } else {
        let intvl = u16::from(u8_at(bp, 4)? & 0x0f) << 8 | u16::from(u8_at(bp, 5)?);
        w!(ctx, ", intvl {intvl}cs, length {len}");
    }
    if ctx.v() == 0 {
        return Ok(());
    }
    let naddrs = u8_at(bp, 3)?;
    if has(bp, 0, len) {
        let seg = &bp[..len];
        let bad = if version == 2 {
            checksum::internet(&[seg]) != 0
        } else {
            net.cksum(IpProto::Vrrp, seg) != 0
        };
        if bad {
            w!(ctx, ", (bad vrrp cksum {:x})", be16(bp, 6)?);
        }
    }
    ctx.put(", addrs");
    if naddrs > 1 {
        w!(ctx, "({naddrs})");
    }
    ctx.put(":");
    let alen = if net.is_v6() { 16 } else { 4 };
    let mut off = 8;
    for i in 0..naddrs {
        let a = slice(bp, off, alen)?;
        ctx.put(if i == 0 { " " } else { "," });
        if alen == 4 {
            put::ipv4(ctx.s, a);
        } else {
            put::ipv6(ctx.s, a);
        }
        off += alen;
    }
    if version == 2 && auth == 1 {
        ctx.put(" auth \"");
        ctx.printjnp(bp, off, 8)?;
        ctx.put("\"");
    }
    Ok(())
}
