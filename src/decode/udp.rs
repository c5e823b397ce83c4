//! UDP (print-udp.c) and the port demultiplexer: DNS, mDNS, VXLAN
//! (4789 and configured ports such as flannel's 8472), OTV, Geneve.

use super::bytes::{R, be16, cksum_shouldbe, from, has};
use super::ip::Net;
use super::{Ctx, dns, vxlan, w};

fn addrs(ctx: &mut Ctx<'_>, net: Net<'_>, ports: Option<(u16, u16)>) {
    if net.proto() == 17 {
        net.src(ctx.s);
        if let Some((s, _)) = ports {
            ctx.put(".");
            ctx.num(s);
        }
        ctx.put(" > ");
        net.dst(ctx.s);
        if let Some((_, d)) = ports {
            ctx.put(".");
            ctx.num(d);
        }
        ctx.put(": ");
    } else if let Some((s, d)) = ports {
        w!(ctx, "{s} > {d}: ");
    }
}

pub(crate) fn print(
    ctx: &mut Ctx<'_>,
    bp: &[u8],
    length: usize,
    net: Net<'_>,
    fragmented: bool,
) -> R {
    ctx.proto = "udp";
    if !has(bp, 2, 2) {
        addrs(ctx, net, None);
        return ctx.local_trunc();
    }
    let sport = be16(bp, 0)?;
    let dport = be16(bp, 2)?;
    if length < 8 {
        addrs(ctx, net, Some((sport, dport)));
        ctx.put("truncated-udp ");
        ctx.num(length);
        return Ok(());
    }
    if !has(bp, 4, 2) {
        addrs(ctx, net, Some((sport, dport)));
        return ctx.local_trunc();
    }
    let mut ulen = usize::from(be16(bp, 4)?);
    if ulen == 0 && length > 65535 {
        ulen = length;
    }
    if ulen < 8 {
        addrs(ctx, net, Some((sport, dport)));
        ctx.put("truncated-udplength ");
        ctx.num(ulen);
        return Ok(());
    }
    ulen -= 8;
    let mut length = length - 8;
    if ulen < length {
        length = ulen;
    }
    if bp.len() < 8 {
        addrs(ctx, net, Some((sport, dport)));
        return ctx.local_trunc();
    }
    let cp = from(bp, 8);
    addrs(ctx, net, Some((sport, dport)));
    if ctx.v() > 0 && !fragmented {
        let field = be16(bp, 6)?;
        let check = |ctx: &mut Ctx<'_>| {
            let sum = net.cksum(17, &bp[..length + 8]);
            if sum != 0 {
                w!(
                    ctx,
                    "[bad udp cksum 0x{field:04x} -> 0x{:04x}!] ",
                    cksum_shouldbe(field, sum)
                );
            } else {
                ctx.put("[udp sum ok] ");
            }
        };
        if !net.is_v6() && ctx.v() > 1 {
            if field == 0 {
                ctx.put("[no cksum] ");
            } else if has(cp, 0, length) {
                check(ctx);
            }
        } else if net.is_v6() && has(cp, 0, length) {
            check(ctx);
        }
    }
    let port = |p: u16| sport == p || dport == p;
    if !ctx.o.quiet {
        if port(53) {
            return dns::print(ctx, cp, length, false, false);
        } else if port(5353) {
            return dns::print(ctx, cp, length, false, true);
        } else if ctx.o.vxlan_ports.iter().any(|&p| port(p)) {
            return vxlan::vxlan(ctx, cp, length);
        } else if port(8472) {
            return vxlan::otv(ctx, cp, length);
        } else if port(4789) {
            return vxlan::vxlan(ctx, cp, length);
        } else if port(6081) {
            return vxlan::geneve(ctx, cp, length);
        }
    }
    if ulen > length && !fragmented {
        w!(ctx, "UDP, bad length {ulen} > {length}");
    } else {
        ctx.put("UDP, length ");
        ctx.num(ulen);
    }
    Ok(())
}
