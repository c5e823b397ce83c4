//! ARP and RARP (print-arp.c): `ARP, Request who-has 10.0.0.2 tell
//! 10.0.0.1, length 28`.

use super::put::{ipv4, mac};
use super::{Ctx, R, link, names, w};
use crate::wire::{EtherType, arp};

pub(crate) fn print(ctx: &mut Ctx<'_>, p: &[u8], length: usize) -> R {
    ctx.proto = "arp";
    // Nothing is printed unless the header and all four addresses were
    // captured.
    let a = arp::Packet::new_checked(p)?;
    let (hrd, pro, op) = (a.htype(), a.ptype(), a.oper());
    let (hln, pln) = (a.hlen(), a.plen());
    if !ctx.o.link_header {
        ctx.put("ARP, ");
    }
    let ip_like = pro == EtherType::Ipv4 || pro == EtherType::Trail;
    if !ip_like || pln != 4 || hln == 0 || ctx.v() > 0 {
        let hw = match hrd {
            1 => "Ethernet",
            6 => "TokenRing",
            7 => "ArcNet",
            15 => "FrameRelay",
            23 => "Strip",
            24 => "IEEE 1394",
            19 => "ATM",
            32 => "InfiniBand",
            _ => "",
        };
        if hw.is_empty() {
            ctx.put("Unknown Hardware (");
            ctx.num(hrd);
            ctx.put(")");
        } else {
            ctx.put(hw);
        }
        ctx.put(" (len ");
        ctx.num(hln);
        ctx.put("), ");
        match names::ethertype(pro) {
            Some(n) => ctx.put(n),
            None => w!(ctx, "Unknown Protocol (0x{:04x})", u16::from(pro)),
        }
        ctx.put(" (len ");
        ctx.num(pln);
        ctx.put(")");
        if ctx.v() == 0 {
            ctx.put(", length ");
            ctx.num(length);
            return Ok(());
        }
    }
    if ctx.v() > 0 {
        ctx.put(", ");
    }
    match op {
        1 => ctx.put("Request"),
        2 => ctx.put("Reply"),
        3 => ctx.put("Reverse Request"),
        4 => ctx.put("Reverse Reply"),
        8 => ctx.put("Inverse Request"),
        9 => ctx.put("Inverse Reply"),
        10 => ctx.put("NACK Reply"),
        _ => w!(ctx, "Unknown ({op})"),
    }
    ctx.put(" ");
    let (sha, spa, tha, tpa) = (a.sha(), a.spa(), a.tha(), a.tpa());
    let linkaddr = |ctx: &mut Ctx<'_>, addr: &[u8]| {
        if hln == 0 {
            ctx.put("<empty>");
        } else {
            mac(ctx.s, addr);
        }
    };
    let paddr = |ctx: &mut Ctx<'_>, addr: &[u8]| {
        if !ip_like {
            ctx.put("<wrong proto type>");
        } else if pln != 4 {
            ctx.put("<wrong len>");
        } else {
            ipv4(ctx.s, addr);
        }
    };
    match op {
        1 => {
            ctx.put("who-has ");
            paddr(ctx, tpa);
            if tha.iter().any(|&b| b != 0) {
                ctx.put(" (");
                linkaddr(ctx, tha);
                ctx.put(")");
            }
            ctx.put(" tell ");
            paddr(ctx, spa);
        }
        2 => {
            paddr(ctx, spa);
            ctx.put(" is-at ");
            linkaddr(ctx, sha);
        }
        3 | 8 => {
            ctx.put("who-is ");
            linkaddr(ctx, tha);
            ctx.put(" tell ");
            linkaddr(ctx, sha);
        }
        4 => {
            linkaddr(ctx, tha);
            ctx.put(" at ");
            paddr(ctx, tpa);
        }
        9 => {
            linkaddr(ctx, sha);
            ctx.put(" at ");
            paddr(ctx, spa);
        }
        _ => {
            link::default_print(ctx, p);
            return Ok(());
        }
    }
    ctx.put(", length ");
    ctx.num(length);
    Ok(())
}
