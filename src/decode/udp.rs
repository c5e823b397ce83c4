//! UDP (print-udp.c): the header, the checksum with `-v`, then the
//! payload's printer from [`super::ports`] (or `-T`'s).

use super::ip::Net;
use super::ports::{self, Forced, Payload};
use super::{Ctx, R, w};
use crate::wire::bytes::{be16, has};
use crate::wire::udp as wire_udp;
use crate::wire::{IpProto, checksum};

fn addrs(ctx: &mut Ctx<'_>, net: Net<'_>, ports: Option<(u16, u16)>) {
    if net.proto() == IpProto::Udp {
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
    let (Ok(sport), Ok(dport)) = (
        be16(bp, wire_udp::field::SRC_PORT),
        be16(bp, wire_udp::field::DST_PORT),
    ) else {
        addrs(ctx, net, None);
        return ctx.local_trunc();
    };
    if length < wire_udp::HEADER_LEN {
        addrs(ctx, net, Some((sport, dport)));
        ctx.put("truncated-udp ");
        ctx.num(length);
        return Ok(());
    }
    let Ok(ulen) = be16(bp, wire_udp::field::LENGTH) else {
        addrs(ctx, net, Some((sport, dport)));
        return ctx.local_trunc();
    };
    let mut ulen = usize::from(ulen);
    if ulen == 0 && length > 65535 {
        ulen = length;
    }
    if ulen < wire_udp::HEADER_LEN {
        addrs(ctx, net, Some((sport, dport)));
        ctx.put("truncated-udplength ");
        ctx.num(ulen);
        return Ok(());
    }
    ulen -= wire_udp::HEADER_LEN;
    let mut length = length - wire_udp::HEADER_LEN;
    if ulen < length {
        length = ulen;
    }
    let Ok(uh) = wire_udp::Packet::new_checked(bp) else {
        addrs(ctx, net, Some((sport, dport)));
        return ctx.local_trunc();
    };
    let cp = uh.payload();
    let p = Payload {
        bp: cp,
        length,
        sport,
        dport,
        net,
        fragmented,
        ulen,
    };
    if let Some(t) = ctx.o.packet_type {
        // tcpdump prints neither the checksum nor anything else a type
        // has no UDP case for.
        match t.entry().udp {
            Forced::Nothing => {}
            Forced::After(f) => {
                addrs(ctx, net, Some((sport, dport)));
                f(ctx, &p)?;
            }
            Forced::Own(f) => f(ctx, &p)?,
        }
        return Ok(());
    }
    addrs(ctx, net, Some((sport, dport)));
    if !ctx.o.quiet && ports::udp_before_checksum(ctx, &p)? {
        return Ok(());
    }
    if ctx.v() > 0 && !fragmented {
        let field = uh.checksum();
        let check = |ctx: &mut Ctx<'_>| {
            let sum = net.cksum(IpProto::Udp, &bp[..length + wire_udp::HEADER_LEN]);
            if sum != 0 {
                w!(
                    ctx,
                    "[bad udp cksum 0x{field:04x} -> 0x{:04x}!] ",
                    checksum::should_be(field, sum)
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
    if ctx.o.quiet {
        return ports::undecoded(ctx, &p);
    }
    ports::udp(ctx, &p)
}
