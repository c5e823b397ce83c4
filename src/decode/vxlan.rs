//! Overlays whose inner frame is printed after the header: VXLAN
//! (print-vxlan.c), OTV (same header, port 8472) and Geneve.

use super::{Ctx, R, ip, link, names, w};
use crate::wire::EtherType;
use crate::wire::bytes::{be16, be24, be32, from, slice, u8_at};
use crate::wire::geneve::{self, option_field};
use crate::wire::vxlan::{FLAG_I, HEADER_LEN, field};

/// `VXLAN, flags [I] (0x08), vni 1` then, on the next line, the inner
/// Ethernet frame as if it had been captured alone.
pub(crate) fn vxlan(ctx: &mut Ctx<'_>, bp: &[u8], len: usize) -> R {
    ctx.proto = "vxlan";
    ctx.put("VXLAN");
    if len < HEADER_LEN {
        ctx.invalid();
        return Ok(());
    }
    let flags = u8_at(bp, field::FLAGS)?;
    let f = if flags & FLAG_I != 0 { "I" } else { "invalid" };
    w!(ctx, ", flags [{f}] (0x{flags:02x}), ");
    let vni = be24(bp, field::VNI)?;
    ctx.put("vni ");
    ctx.num(vni);
    ctx.put("\n");
    u8_at(bp, field::RESERVED2)?;
    inner_ether(ctx, from(bp, field::PAYLOAD), len - HEADER_LEN)
}

/// tcpdump decodes UDP 8472 as OTV; flannel's VXLAN uses that port too,
/// and is printed as VXLAN when it is in `PrintOptions::vxlan_ports`.
pub(crate) fn otv(ctx: &mut Ctx<'_>, bp: &[u8], len: usize) -> R {
    ctx.proto = "otv";
    ctx.put("OTV, ");
    if len < HEADER_LEN {
        w!(ctx, "[length {len} < {HEADER_LEN}]");
        ctx.invalid();
        slice(bp, 0, len)?;
        return Ok(());
    }
    let flags = u8_at(bp, field::FLAGS)?;
    w!(
        ctx,
        "flags [{}] (0x{flags:02x}), ",
        if flags & FLAG_I != 0 { "I" } else { "." }
    );
    // OTV's overlay id is VXLAN's first reserved field, its instance VXLAN's VNI.
    w!(ctx, "overlay {}, ", be24(bp, field::RESERVED1)?);
    w!(ctx, "instance {}\n", be24(bp, field::VNI)?);
    u8_at(bp, field::RESERVED2)?;
    inner_ether(ctx, from(bp, field::PAYLOAD), len - HEADER_LEN)
}

fn inner_ether(ctx: &mut Ctx<'_>, p: &[u8], len: usize) -> R {
    ip::nested(ctx, |ctx| link::ether(ctx, p, len).map(|_| ()))
}

pub(crate) fn geneve(ctx: &mut Ctx<'_>, bp: &[u8], len: usize) -> R {
    ctx.proto = "geneve";
    ctx.put("Geneve");
    if len < geneve::HEADER_LEN {
        ctx.put(" [length ");
        ctx.num(len);
        ctx.put(" < 8]");
        ctx.invalid();
        return Ok(());
    }
    let Ok(g) = geneve::Packet::new_checked(bp) else {
        ctx.trunc_mark();
        return Ok(());
    };
    let version = g.version();
    if version != 0 {
        ctx.put(" ERROR: unknown-version ");
        ctx.num(version);
        return Ok(());
    }
    let (flags, prot, vni, reserved) = (g.flags(), g.protocol(), g.vni(), g.reserved());
    let mut len = len - geneve::HEADER_LEN;
    ctx.put(", Flags [");
    if flags == 0 {
        ctx.put("none");
    }
    for (bit, n) in [
        (0x80, "O"),
        (0x40, "C"),
        (0x20, "R1"),
        (0x10, "R2"),
        (0x08, "R3"),
        (0x04, "R4"),
        (0x02, "R5"),
        (0x01, "R6"),
    ] {
        if flags & bit != 0 {
            ctx.put(n);
        }
    }
    w!(ctx, "], vni 0x{vni:x}");
    if reserved != 0 {
        w!(ctx, ", rsvd 0x{reserved:x}");
    }
    if ctx.o.link_header {
        w!(
            ctx,
            ", proto {} (0x{:04x})",
            names::ethertype(prot).unwrap_or("unknown"),
            u16::from(prot)
        );
    }
    let opts_len = g.options_len();
    if len < opts_len {
        w!(ctx, " truncated-geneve - {} bytes missing", opts_len - len);
        return Ok(());
    }
    let Ok(opts) = g.options() else {
        ctx.trunc_mark();
        return Ok(());
    };
    if opts_len > 0 {
        ctx.put(", options [");
        if ctx.v() > 0 {
            geneve_opts(ctx, opts)?;
        } else {
            ctx.num(opts_len);
            ctx.put(" bytes");
        }
        ctx.put("]");
    }
    len -= opts_len;
    let p = g.payload_or_empty();
    if ctx.v() < 1 {
        ctx.put(": ");
    } else {
        ctx.put("\n\t");
    }
    ip::nested(ctx, |ctx| {
        if !link::ethertype_print(ctx, u16::from(prot), p, len)? {
            if prot == EtherType::Teb {
                link::ether(ctx, p, len)?;
            } else {
                w!(ctx, "geneve-proto-0x{:x}", u16::from(prot));
            }
        }
        Ok(())
    })
}

fn geneve_opts(ctx: &mut Ctx<'_>, mut bp: &[u8]) -> R {
    let mut sep = "";
    while !bp.is_empty() {
        ctx.put(sep);
        sep = ", ";
        let class = be16(bp, option_field::CLASS)?;
        let ty = u8_at(bp, option_field::TYPE)?;
        let olen = option_field::DATA + usize::from(u8_at(bp, option_field::LENGTH)? & 0x1f) * 4;
        let cname = match class {
            0x0100 => "Linux",
            0x0101 => "Open vSwitch",
            0x0102 => "Open Virtual Networking (OVN)",
            0x0103 => "In-band Network Telemetry (INT)",
            0x0104 => "VMware",
            c if c <= 0xff => "Standard",
            c if c >= 0xfff0 => "Experimental",
            _ => "Unknown",
        };
        w!(
            ctx,
            "class {cname} (0x{class:x}) type 0x{ty:x}{} len {olen}",
            if ty & 0x80 != 0 { "(C)" } else { "" }
        );
        if olen > bp.len() {
            ctx.put(" [bad length]");
            return Ok(());
        }
        if ctx.v() > 1 && olen > option_field::DATA {
            ctx.put(" data");
            let mut i = option_field::DATA;
            while i < olen {
                w!(ctx, " {:08x}", be32(bp, i)?);
                i += 4;
            }
        }
        bp = &bp[olen..];
    }
    Ok(())
}
