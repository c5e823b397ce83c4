//! Cisco Discovery Protocol (print-cdp.c), which Cisco switches send
//! beside LLDP to every node port: device, port, platform, addresses.

use super::tok::Tok;
use super::{Ctx, R, Truncated, put, w};
use crate::wire::bytes::{be16, be24, be32, slice, u8_at};

const CAPS: Tok = &[
    (0x01, "Router"),
    (0x02, "Transparent Bridge"),
    (0x04, "Source Route Bridge"),
    (0x08, "L2 Switch"),
    (0x10, "L3 capable"),
    (0x20, "IGMP snooping"),
    (0x40, "L1 capable"),
];

/// How a TLV's value is printed.
#[derive(Clone, Copy, PartialEq)]
enum Val {
    Str,
    Addr,
    Caps,
    Version,
    Prefixes,
    /// Named, checked, not printed.
    None,
    U16,
    Duplex,
    Ata,
    Power,
    Mtu,
    U8x,
    PhysLoc,
}

/// tcpdump's cdptlvs: (type, name, printer, min, max length; 0 = none).
const TLVS: &[(u16, &str, Val, u16, u16)] = &[
    (0x01, "Device-ID", Val::Str, 0, 0),
    (0x02, "Address", Val::Addr, 0, 0),
    (0x03, "Port-ID", Val::Str, 0, 0),
    (0x04, "Capability", Val::Caps, 4, 4),
    (0x05, "Version String", Val::Version, 0, 0),
    (0x06, "Platform", Val::Str, 0, 0),
    (0x07, "Prefixes", Val::Prefixes, 0, 0),
    (0x08, "Protocol-Hello option", Val::None, 0, 0),
    (0x09, "VTP Management Domain", Val::Str, 0, 0),
    (0x0a, "Native VLAN ID", Val::U16, 2, 2),
    (0x0b, "Duplex", Val::Duplex, 1, 1),
    (0x0e, "ATA-186 VoIP VLAN assignment", Val::Ata, 3, 3),
    (0x0f, "ATA-186 VoIP VLAN request", Val::Ata, 2, 3),
    (0x10, "power consumption", Val::Power, 1, 3),
    (0x11, "MTU", Val::Mtu, 4, 4),
    (0x12, "AVVID trust bitmap", Val::U8x, 1, 1),
    (0x13, "AVVID untrusted ports CoS", Val::U8x, 1, 1),
    (0x14, "System Name", Val::Str, 0, 0),
    (0x15, "System Object ID (not decoded)", Val::None, 0, 0),
    (0x16, "Management Addresses", Val::Addr, 4, 0),
    (0x17, "Physical Location", Val::PhysLoc, 1, 0),
];

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

pub(crate) fn print(ctx: &mut Ctx<'_>, p: &[u8], length: usize) -> R {
    ctx.proto = "cdp";
    let mut at = 0usize;
    let mut left = length;
    let r = (|| -> Result<(), End> {
        if length < 4 {
            w!(ctx, " (packet length {length} < 4)");
            return Err(End::Invalid);
        }
        w!(ctx, "CDPv{}, ttl: {}s", u8_at(p, 0)?, u8_at(p, 1)?);
        let sum = be16(p, 2)?;
        if ctx.v() > 0 {
            w!(ctx, ", checksum: 0x{sum:04x} (unverified), length {length}");
        }
        at = 4;
        left -= 4;
        while left > 0 {
            if left < 4 {
                w!(ctx, " (remaining packet length {left} < 4)");
                return Err(End::Invalid);
            }
            let ty = be16(p, at)?;
            let len = usize::from(be16(p, at + 2)?);
            let info = TLVS.iter().find(|t| t.0 == ty);
            let name = info.map_or("unknown field type", |t| t.1);
            if len < 4 {
                if ctx.v() > 0 {
                    w!(
                        ctx,
                        "\n\t{name} (0x{ty:02x}), TLV length: {len} byte{} (too short)",
                        plural(len)
                    );
                } else {
                    w!(ctx, ", {name} TLV length {len} too short");
                }
                return Err(End::Invalid);
            }
            if len > left {
                w!(ctx, " (TLV length {len} > {left})");
                return Err(End::Invalid);
            }
            at += 4;
            left -= 4;
            let len = len - 4;
            if ctx.v() == 0 && ty == 1 {
                ctx.put(", Device-ID ");
            } else if ctx.v() > 0 {
                w!(
                    ctx,
                    "\n\t{name} (0x{ty:02x}), value length: {len} byte{}: ",
                    plural(len)
                );
            }
            let mut covered = false;
            if let Some(&(_, _, val, min, max)) = info {
                let (min, max) = (usize::from(min), usize::from(max));
                if (min > 0 && len < min) || (max > 0 && len > max) {
                    ctx.put(" (malformed TLV)");
                } else if ctx.v() > 0 || ty == 1 {
                    value(ctx, p, at, len, val)?;
                    covered = true;
                }
            }
            if !covered {
                slice(p, at, len)?;
                ctx.unknown_data(&p[at..], "\n\t  ", len);
            }
            at += len;
            left -= len;
        }
        if ctx.v() == 0 {
            w!(ctx, ", length {length}");
        }
        Ok(())
    })();
    match r {
        Ok(()) => Ok(()),
        Err(End::Trunc) => Err(Truncated),
        Err(End::Invalid) => {
            ctx.invalid();
            slice(p, at, left)?;
            Ok(())
        }
    }
}

/// Why the TLV walk stopped early: the capture ended, or tcpdump's
/// `goto invalid`.
enum End {
    Trunc,
    Invalid,
}

impl From<Truncated> for End {
    fn from(_: Truncated) -> Self {
        End::Trunc
    }
}

fn value(ctx: &mut Ctx<'_>, p: &[u8], at: usize, len: usize, val: Val) -> R {
    match val {
        Val::Str => {
            ctx.put("'");
            ctx.printn(p, at, len)?;
            ctx.put("'");
        }
        Val::Addr => addr(ctx, p, at, len)?,
        Val::Caps => {
            let v = be32(p, at)?;
            w!(ctx, "(0x{v:08x}): ");
            ctx.bits(CAPS, v, "none", ", ");
        }
        Val::Version => {
            ctx.put("\n\t  ");
            for i in 0..len {
                match u8_at(p, at + i)? {
                    b'\n' => ctx.put("\n\t  "),
                    c => ctx.chars(&[c]),
                }
            }
        }
        Val::Prefixes => {
            if len % 5 != 0 {
                w!(ctx, " [length {len} is not a multiple of 5]");
                slice(p, at, len)?;
                return Ok(());
            }
            w!(ctx, " IPv4 Prefixes ({}):", len / 5);
            for i in (0..len).step_by(5) {
                let a = slice(p, at + i, 5)?;
                ctx.put(" ");
                put::ipv4(ctx.s, &a[..4]);
                w!(ctx, "/{}", a[4]);
            }
        }
        Val::None => {
            slice(p, at, len)?;
        }
        Val::U16 => w!(ctx, "{}", be16(p, at)?),
        Val::Duplex => ctx.put(if u8_at(p, at)? != 0 { "full" } else { "half" }),
        Val::Ata => {
            if len == 2 {
                w!(ctx, "unknown 0x{:04x}", be16(p, at)?);
            } else {
                w!(ctx, "app {}, vlan {}", u8_at(p, at)?, be16(p, at + 1)?);
            }
        }
        Val::Power => {
            let v = match len {
                1 => u32::from(u8_at(p, at)?),
                2 => u32::from(be16(p, at)?),
                _ => be24(p, at)?,
            };
            w!(ctx, "{:.2}W", f64::from(v) / 1000.0);
        }
        Val::Mtu => w!(ctx, "{} bytes", be32(p, at)?),
        Val::U8x => w!(ctx, "0x{:02x}", u8_at(p, at)?),
        Val::PhysLoc => {
            w!(ctx, "0x{:02x}", u8_at(p, at)?);
            if len > 1 {
                ctx.put("/");
                ctx.printn(p, at + 1, len - 1)?;
            }
        }
    }
    Ok(())
}

/// The address list of Address and Management Addresses TLVs.
fn addr(ctx: &mut Ctx<'_>, p: &[u8], mut at: usize, mut l: usize) -> R {
    const PROT_IPV6: [u8; 8] = [0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x86, 0xdd];
    let bad = |ctx: &mut Ctx<'_>, msg: &str, at: usize, l: usize| {
        ctx.put(msg);
        slice(p, at, l).map(|_| ())
    };
    if l < 4 {
        return bad(ctx, " (not enough space for num)", at, l);
    }
    let mut num = be32(p, at)?;
    at += 4;
    l -= 4;
    while num > 0 {
        if l < 2 {
            return bad(ctx, " (not enough space for PT+PL)", at, l);
        }
        let pt = u8_at(p, at)?;
        let pl = usize::from(u8_at(p, at + 1)?);
        at += 2;
        l -= 2;
        if l < pl + 2 {
            return bad(ctx, " (not enough space for P+AL)", at, l);
        }
        let al = usize::from(be16(p, at + pl)?);
        let v4 = pt == 1 && pl == 1 && u8_at(p, at)? == 0xcc && al == 4;
        let v6 = pt == 2 && pl == 8 && p.get(at..at + 8) == Some(&PROT_IPV6[..]) && al == 16;
        if v4 || v6 {
            at += pl + 2;
            l -= pl + 2;
            if l < al {
                return bad(ctx, " (not enough space for A)", at, l);
            }
            let a = slice(p, at, al)?;
            if v4 {
                w!(ctx, "IPv4 ({num}) ");
                put::ipv4(ctx.s, a);
            } else {
                w!(ctx, "IPv6 ({num}) ");
                put::ipv6(ctx.s, a);
            }
            at += al;
            l -= al;
        } else {
            w!(ctx, "pt=0x{pt:02x}, pl={pl}, pb=");
            for _ in 0..pl {
                w!(ctx, " {:02x}", u8_at(p, at)?);
                at += 1;
                l -= 1;
            }
            w!(ctx, ", al={al}, a=");
            at += 2;
            l -= 2;
            if l < al {
                return bad(ctx, " (not enough space for A)", at, l);
            }
            for _ in 0..al {
                w!(ctx, " {:02x}", u8_at(p, at)?);
                at += 1;
                l -= 1;
            }
        }
        num -= 1;
        if num > 0 {
            ctx.put(" ");
        }
    }
    if l > 0 {
        w!(ctx, " ({l} bytes of stray data)");
    }
    Ok(())
}
