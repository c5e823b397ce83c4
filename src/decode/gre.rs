//! GRE version 0 (print-gre.c): flags with `-v`, key, sequence, then the
//! carried IPv4, IPv6 or Ethernet (TEB) packet.

use super::{Ctx, R, ip, ip6, link, names, w};
use crate::wire::EtherType;
use crate::wire::bytes::{be16, be32, from, has};

const CP: u16 = 0x8000;
const RP: u16 = 0x4000;
const KP: u16 = 0x2000;
const SP: u16 = 0x1000;

pub(crate) fn print(ctx: &mut Ctx<'_>, bp: &[u8], length: usize) -> R {
    ctx.proto = "gre";
    if !has(bp, 0, 2) || length < 2 {
        return ctx.local_trunc();
    }
    let flags = be16(bp, 0)?;
    let vers = flags & 7;
    w!(ctx, "GREv{vers}");
    if vers != 0 {
        // PPTP's enhanced GRE (v1) is not decoded.
        if vers != 1 {
            ctx.put(" ERROR: unknown-version");
        } else {
            w!(ctx, ", length {length}");
        }
        return Ok(());
    }
    if ctx.v() > 0 {
        let mut names = Vec::new();
        for (bit, n) in [
            (CP, "checksum present"),
            (RP, "routing present"),
            (KP, "key present"),
            (SP, "sequence# present"),
            (0x0800, "source routing present"),
            (0x0080, "ack present"),
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
        w!(ctx, ", Flags [{fl}]");
    }
    let mut off = 2usize;
    let mut len = length - 2;
    let need = |off: usize, n: usize, len: usize| has(bp, off, n) && len >= n;
    if !need(off, 2, len) {
        return ctx.local_trunc();
    }
    let prot = EtherType::from(be16(bp, off)?);
    off += 2;
    len -= 2;
    if flags & (CP | RP) != 0 {
        if !need(off, 2, len) {
            return ctx.local_trunc();
        }
        if ctx.v() > 0 {
            w!(ctx, ", sum 0x{:x}", be16(bp, off)?);
        }
        off += 2;
        len -= 2;
        if !need(off, 2, len) {
            return ctx.local_trunc();
        }
        w!(ctx, ", off 0x{:x}", be16(bp, off)?);
        off += 2;
        len -= 2;
    }
    if flags & KP != 0 {
        if !need(off, 4, len) {
            return ctx.local_trunc();
        }
        w!(ctx, ", key=0x{:x}", be32(bp, off)?);
        off += 4;
        len -= 4;
    }
    if flags & SP != 0 {
        if !need(off, 4, len) {
            return ctx.local_trunc();
        }
        w!(ctx, ", seq {}", be32(bp, off)?);
        off += 4;
        len -= 4;
    }
    if flags & RP != 0 {
        // Source route entries (RFC 1701) are not decoded.
        ctx.put(", [routing not decoded]");
        return Ok(());
    }
    if ctx.o.link_header {
        w!(
            ctx,
            ", proto {} (0x{:04x})",
            names::ethertype(prot).unwrap_or("unknown"),
            u16::from(prot)
        );
    }
    w!(ctx, ", length {length}");
    ctx.put(if ctx.v() < 1 { ": " } else { "\n\t" });
    let p = from(bp, off);
    ip::nested(ctx, |ctx| match prot {
        EtherType::Ipv4 => ip::print(ctx, p, len),
        EtherType::Ipv6 => ip6::print(ctx, p, len),
        EtherType::Teb => link::ether(ctx, p, len).map(|_| ()),
        _ => {
            w!(ctx, "gre-proto-0x{:x}", u16::from(prot));
            Ok(())
        }
    })
}
