//! Link types podcap only reads from files: BSD/OpenBSD loopback
//! (print-null.c), Linux NFLOG (print-nflog.c), and tcpdump's line for a
//! link type it has no printer for (never an Ethernet decode).

use super::link::{default_print, ip_n};
use super::{Ctx, R, dump, ip, ip6, w};
use crate::wire::bytes::{be16, be32, le16, le32, u8_at};

/// BSD address families as loopback headers carry them (tcpdump's
/// `bsd_af_values`).
fn bsd_af(f: u32) -> Option<&'static str> {
    Some(match f {
        2 => "IPv4",
        6 => "NS",
        7 => "ISO",
        16 => "Appletalk",
        23 => "IPX",
        24 | 28 | 30 => "IPv6",
        _ => return None,
    })
}

/// NULL (host byte order of the writer: tcpdump swaps a value whose
/// upper half is set) and LOOP (network order). Returns the header length.
pub(crate) fn loopback(ctx: &mut Ctx<'_>, data: &[u8], length: usize, network: bool) -> R<usize> {
    ctx.proto = if network { "loop" } else { "null" };
    if data.len() < 4 {
        ctx.trunc_mark();
        return Ok(data.len());
    }
    let family = if network {
        be32(data, 0)?
    } else {
        let f = le32(data, 0)?;
        if f & 0xffff_0000 != 0 {
            f.swap_bytes()
        } else {
            f
        }
    };
    let hdr = |ctx: &mut Ctx<'_>, length: usize| {
        if ctx.o.quiet {
            match bsd_af(family) {
                Some(n) => ctx.put(n),
                None => w!(ctx, "Unknown AF {family}"),
            }
        } else {
            w!(ctx, "AF {} ({family})", bsd_af(family).unwrap_or("Unknown"));
        }
        w!(ctx, ", length {length}: ");
    };
    if ctx.o.link_header {
        hdr(ctx, length);
    }
    let (p, length) = (&data[4..], length.saturating_sub(4));
    match family {
        2 => ip::print(ctx, p, length)?,
        24 | 28 | 30 => ip6::print(ctx, p, length)?,
        // ISO, AppleTalk, IPX: podcap has no printer; their bytes.
        _ => {
            if !ctx.o.link_header {
                hdr(ctx, length + 4);
            }
            default_print(ctx, p);
        }
    }
    Ok(4)
}

/// NFULA_PAYLOAD: the TLV holding the logged packet.
const NFULA_PAYLOAD: u16 = 9;

/// A Linux NFLOG record: a 4-byte header (family, version, resource ID)
/// then TLVs in the logging host's byte order, the packet in one of them.
pub(crate) fn nflog(ctx: &mut Ctx<'_>, data: &[u8], length: usize) -> R<usize> {
    ctx.proto = "nflog";
    if data.len() < 4 {
        ctx.trunc_mark();
        return Ok(data.len());
    }
    let family = u8_at(data, 0)?;
    let version = u8_at(data, 1)?;
    if version != 0 {
        w!(ctx, "version {version} (unknown)");
        return Ok(4);
    }
    let rid = be16(data, 2)?;
    let hdr = |ctx: &mut Ctx<'_>, length: usize| {
        w!(ctx, "version {version}, resource ID {rid}");
        let name = match family {
            2 => Some("IPv4"),
            10 => Some("IPv6"),
            _ => None,
        };
        if ctx.o.quiet {
            match name {
                Some(n) => w!(ctx, ", {n}"),
                None => w!(ctx, ", Unknown NFLOG (0x{family:02x})"),
            }
        } else {
            w!(ctx, ", family {} ({family})", name.unwrap_or("Unknown"));
        }
        w!(ctx, ", length {length}: ");
    };
    if ctx.o.link_header {
        hdr(ctx, length);
    }
    let mut off = 4;
    let mut length = length.saturating_sub(4);
    while length > 0 {
        let (Ok(size), Ok(kind)) = (le16(data, off), le16(data, off + 2)) else {
            ctx.trunc_mark();
            return Ok(data.len());
        };
        let size = usize::from(size).next_multiple_of(4);
        if size < 4 || data.len() - off < size || size > length {
            ctx.trunc_mark();
            return Ok(data.len());
        }
        if kind == NFULA_PAYLOAD {
            off += 4;
            length -= 4;
            break;
        }
        off += size;
        length -= size;
    }
    let p = data.get(off..).unwrap_or(&[]);
    match family {
        2 => ip::print(ctx, p, length)?,
        10 => ip6::print(ctx, p, length)?,
        _ => {
            if !ctx.o.link_header {
                hdr(ctx, length + 4);
            }
            default_print(ctx, p);
        }
    }
    // `-x` dumps from the logged packet on.
    Ok(off)
}

/// Raw IPv4 or IPv6 (LINKTYPE_IPV4/IPV6): tcpdump prints them as RAW, by
/// the version nibble, whatever the link type says.
pub(crate) fn raw(ctx: &mut Ctx<'_>, data: &[u8], length: usize) -> R<usize> {
    ctx.proto = "raw";
    if ctx.o.link_header {
        ctx.put("ip: ");
    }
    ip_n(ctx, data, length)?;
    Ok(0)
}

/// A link type podcap has no printer for: tcpdump's `UNSUPPORTED` and
/// the bytes, never a guess at what they are.
pub(crate) fn unsupported(ctx: &mut Ctx<'_>, data: &[u8]) -> R<usize> {
    ctx.proto = "unsupported";
    ctx.put("UNSUPPORTED");
    dump::hex_ascii(ctx.s, data);
    // tcpdump's unsupported printer claims no header: `-x` dumps it all
    // again.
    Ok(0)
}
