//! Overlays whose inner frame is printed after the header: VXLAN
//! (print-vxlan.c), OTV (same header, port 8472) and Geneve.

use super::bytes::{R, be16, be24, from, has, slice, u8_at};
use super::{Ctx, ip, link, names, w};

const HDR_LEN: usize = 8;

/// `VXLAN, flags [I] (0x08), vni 1` then, on the next line, the inner
/// Ethernet frame as if it had been captured alone.
pub(crate) fn vxlan(ctx: &mut Ctx<'_>, bp: &[u8], len: usize) -> R {
    ctx.proto = "vxlan";
    ctx.put("VXLAN");
    if len < HDR_LEN {
        ctx.invalid();
        return Ok(());
    }
    let flags = u8_at(bp, 0)?;
    let f = if flags & 0x08 != 0 { "I" } else { "invalid" };
    w!(ctx, ", flags [{f}] (0x{flags:02x}), ");
    let vni = be24(bp, 4)?;
    ctx.put("vni ");
    ctx.num(vni);
    ctx.put("\n");
    u8_at(bp, 7)?;
    inner_ether(ctx, from(bp, HDR_LEN), len - HDR_LEN)
}

/// tcpdump decodes UDP 8472 as OTV; flannel's VXLAN uses that port too,
/// and is printed as VXLAN when it is in `PrintOptions::vxlan_ports`.
pub(crate) fn otv(ctx: &mut Ctx<'_>, bp: &[u8], len: usize) -> R {
    ctx.proto = "otv";
    ctx.put("OTV, ");
    if len < HDR_LEN {
        w!(ctx, "[length {len} < {HDR_LEN}]");
        ctx.invalid();
        slice(bp, 0, len)?;
        return Ok(());
    }
    let flags = u8_at(bp, 0)?;
    w!(
        ctx,
        "flags [{}] (0x{flags:02x}), ",
        if flags & 0x08 != 0 { "I" } else { "." }
    );
    w!(ctx, "overlay {}, ", be24(bp, 1)?);
    w!(ctx, "instance {}\n", be24(bp, 4)?);
    u8_at(bp, 7)?;
    inner_ether(ctx, from(bp, HDR_LEN), len - HDR_LEN)
}

fn inner_ether(ctx: &mut Ctx<'_>, p: &[u8], len: usize) -> R {
    ip::nested(ctx, |ctx| link::ether(ctx, p, len).map(|_| ()))
}

pub(crate) fn geneve(ctx: &mut Ctx<'_>, bp: &[u8], len: usize) -> R {
    ctx.proto = "geneve";
    ctx.put("Geneve");
    if len < 8 {
        ctx.put(" [length ");
        ctx.num(len);
        ctx.put(" < 8]");
        ctx.invalid();
        return Ok(());
    }
    if !has(bp, 0, 8) {
        ctx.trunc_mark();
        return Ok(());
    }
    let ver_opt = u8_at(bp, 0)?;
    let version = ver_opt >> 6;
    if version != 0 {
        ctx.put(" ERROR: unknown-version ");
        ctx.num(version);
        return Ok(());
    }
    let flags = u8_at(bp, 1)?;
    let prot = be16(bp, 2)?;
    let vni = be24(bp, 4)?;
    let reserved = u8_at(bp, 7)?;
    let mut len = len - 8;
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
            ", proto {} (0x{prot:04x})",
            names::ethertype(prot).unwrap_or("unknown")
        );
    }
    let opts_len = usize::from(ver_opt & 0x3f) * 4;
    if len < opts_len {
        w!(ctx, " truncated-geneve - {} bytes missing", opts_len - len);
        return Ok(());
    }
    if !has(bp, 8, opts_len) {
        ctx.trunc_mark();
        return Ok(());
    }
    if opts_len > 0 {
        ctx.put(", options [");
        if ctx.v() > 0 {
            geneve_opts(ctx, &bp[8..8 + opts_len])?;
        } else {
            ctx.num(opts_len);
            ctx.put(" bytes");
        }
        ctx.put("]");
    }
    len -= opts_len;
    let p = from(bp, 8 + opts_len);
    if ctx.v() < 1 {
        ctx.put(": ");
    } else {
        ctx.put("\n\t");
    }
    ip::nested(ctx, |ctx| {
        if !link::ethertype_print(ctx, prot, p, len)? {
            if prot == 0x6558 {
                link::ether(ctx, p, len)?;
            } else {
                w!(ctx, "geneve-proto-0x{prot:x}");
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
        let class = be16(bp, 0)?;
        let ty = u8_at(bp, 2)?;
        let olen = 4 + usize::from(u8_at(bp, 3)? & 0x1f) * 4;
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
        if ctx.v() > 1 && olen > 4 {
            ctx.put(" data");
            let mut i = 4;
            while i < olen {
                w!(ctx, " {:08x}", super::bytes::be32(bp, i)?);
                i += 4;
            }
        }
        bp = &bp[olen..];
    }
    Ok(())
}
