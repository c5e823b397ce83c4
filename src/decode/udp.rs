//! UDP (print-udp.c) and the port demultiplexer: DNS, mDNS, VXLAN
//! (4789 and configured ports such as flannel's 8472), OTV, Geneve.

use super::ip::Net;
use super::{Ctx, R, bootp, dhcp6, dns, esp, gpe, ike, ntp, syslog, vxlan, w};
use crate::wire::bytes::{be16, has};
use crate::wire::udp as wire_udp;
use crate::wire::{IpProto, checksum, ports as port};

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
    addrs(ctx, net, Some((sport, dport)));
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
    let is = |p: u16| sport == p || dport == p;
    if !ctx.o.quiet {
        if is(port::DNS) {
            return dns::print(ctx, cp, length, false, false);
        } else if is(port::MDNS) {
            return dns::print(ctx, cp, length, false, true);
        } else if is(port::BOOTPC) || is(port::BOOTPS) {
            return bootp::print(ctx, cp, length);
        } else if is(port::ISAKMP) {
            return ike::print(ctx, cp, length, Some(net));
        } else if is(port::ISAKMP_NATT) {
            return esp::udp_encap(ctx, cp, length, net);
        } else if is(port::ISAKMP_USER1) || is(port::ISAKMP_USER2) {
            return ike::print(ctx, cp, length, Some(net));
        } else if is(port::NTP) {
            return ntp::print(ctx, cp, length);
        } else if is(port::DHCP6_SERVER) || is(port::DHCP6_CLIENT) {
            return dhcp6::print(ctx, cp, length);
        } else if is(port::SYSLOG) {
            return syslog::print(ctx, cp, length);
        } else if ctx.o.vxlan_ports.iter().any(|&p| is(p)) {
            return vxlan::vxlan(ctx, cp, length);
        } else if is(port::VXLAN_LINUX) {
            return vxlan::otv(ctx, cp, length);
        } else if is(port::VXLAN) {
            return vxlan::vxlan(ctx, cp, length);
        } else if is(port::GENEVE) {
            return vxlan::geneve(ctx, cp, length);
        } else if is(port::VXLAN_GPE) {
            return gpe::print(ctx, cp, length);
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
