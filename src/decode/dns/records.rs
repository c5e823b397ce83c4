//! Questions and resource records: type and class names, the record
//! data tcpdump prints per type, TTLs with `-vvv`.

use super::edns::{T_OPT, eopt};
use super::names::{fqdn, nskip, printn};
use crate::decode::put::{ipv4, ipv6};
use crate::decode::{Ctx, R, w};
use crate::wire::bytes::{be16, be32, has, slice};

fn type_name(t: u16) -> Option<&'static str> {
    Some(match t {
        1 => "A",
        2 => "NS",
        3 => "MD",
        4 => "MF",
        5 => "CNAME",
        6 => "SOA",
        7 => "MB",
        8 => "MG",
        9 => "MR",
        10 => "NULL",
        11 => "WKS",
        12 => "PTR",
        13 => "HINFO",
        14 => "MINFO",
        15 => "MX",
        16 => "TXT",
        17 => "RP",
        18 => "AFSDB",
        19 => "X25",
        20 => "ISDN",
        21 => "RT",
        22 => "NSAP",
        23 => "NSAP_PTR",
        24 => "SIG",
        25 => "KEY",
        26 => "PX",
        27 => "GPOS",
        28 => "AAAA",
        29 => "LOC",
        30 => "NXT",
        31 => "EID",
        32 => "NIMLOC",
        33 => "SRV",
        34 => "ATMA",
        35 => "NAPTR",
        36 => "KX",
        37 => "CERT",
        38 => "A6",
        39 => "DNAME",
        40 => "SINK",
        41 => "OPT",
        42 => "APL",
        43 => "DS",
        44 => "SSHFP",
        45 => "IPSECKEY",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        99 => "SPF",
        100 => "UINFO",
        101 => "UID",
        102 => "GID",
        103 => "UNSPEC",
        104 => "UNSPECA",
        249 => "TKEY",
        250 => "TSIG",
        251 => "IXFR",
        252 => "AXFR",
        253 => "MAILB",
        254 => "MAILA",
        255 => "ANY",
        256 => "URI",
        _ => return None,
    })
}

fn put_type(ctx: &mut Ctx<'_>, t: u16) {
    match type_name(t) {
        Some(n) => w!(ctx, " {n}"),
        None => w!(ctx, " Type{t}"),
    }
}

fn put_class(ctx: &mut Ctx<'_>, c: u16) {
    match c {
        1 => ctx.put(" IN"),
        3 => ctx.put(" CHAOS"),
        4 => ctx.put(" HS"),
        255 => ctx.put(" ANY"),
        _ => w!(ctx, " (Class {c})"),
    }
}

pub(super) fn qprint(ctx: &mut Ctx<'_>, m: &[u8], np: usize, mdns: bool) -> R<Option<usize>> {
    let Some(cp) = nskip(m, np) else {
        return Ok(None);
    };
    if !has(m, cp, 4) {
        return Ok(None);
    }
    put_type(ctx, be16(m, cp)?);
    let i = be16(m, cp + 2)?;
    let class = if mdns { i & 0x7fff } else { i };
    if class != 1 {
        put_class(ctx, class);
    }
    if mdns {
        ctx.put(if i & 0x8000 != 0 { " (QU)" } else { " (QM)" });
    }
    ctx.put("? ");
    Ok(fqdn(ctx, m, np)?.map(|r| r + 4))
}

pub(crate) fn relts(ctx: &mut Ctx<'_>, mut secs: u32) {
    if secs == 0 {
        ctx.put("0s");
        return;
    }
    for (s, l) in [
        (31_536_000, "y"),
        (604_800, "w"),
        (86_400, "d"),
        (3600, "h"),
        (60, "m"),
        (1, "s"),
    ] {
        if secs >= s {
            w!(ctx, "{}{l}", secs / s);
            secs -= (secs / s) * s;
        }
    }
}

pub(super) fn rprint(ctx: &mut Ctx<'_>, m: &[u8], cp: usize, mdns: bool) -> R<Option<usize>> {
    let end = m.len();
    let cp = if ctx.v() > 0 {
        ctx.put(" ");
        match fqdn(ctx, m, cp)? {
            Some(c) => Some(c),
            None => return Ok(None),
        }
    } else {
        nskip(m, cp)
    };
    let Some(mut cp) = cp.filter(|&c| has(m, c, 10)) else {
        return Ok(Some(end));
    };
    let typ = be16(m, cp)?;
    let i = be16(m, cp + 2)?;
    cp += 4;
    let class = if mdns { i & 0x7fff } else { i };
    if class != 1 && typ != T_OPT {
        put_class(ctx, class);
    }
    if mdns && i & 0x8000 != 0 {
        ctx.put(" (Cache flush)");
    }
    let mut opt_flags = 0;
    if typ == T_OPT {
        opt_flags = be16(m, cp + 2)?;
        cp += 4;
    } else if ctx.v() > 2 {
        ctx.put(" [");
        relts(ctx, be32(m, cp)?);
        ctx.put("]");
        cp += 4;
    } else {
        cp += 4;
    }
    let len = usize::from(be16(m, cp)?);
    cp += 2;
    let rp = cp + len;
    put_type(ctx, typ);
    if rp > end {
        return Ok(None);
    }
    match typ {
        1 => {
            if !has(m, cp, 4) {
                return Ok(None);
            }
            ctx.put(" ");
            ipv4(ctx.s, &m[cp..cp + 4]);
        }
        2 | 5 | 12 | 39 => {
            ctx.put(" ");
            if fqdn(ctx, m, cp)?.is_none() {
                return Ok(None);
            }
        }
        6 if ctx.v() > 0 => {
            ctx.put(" ");
            let Some(c) = fqdn(ctx, m, cp)? else {
                return Ok(None);
            };
            ctx.put(" ");
            let Some(c) = fqdn(ctx, m, c)? else {
                return Ok(None);
            };
            if !has(m, c, 20) {
                return Ok(None);
            }
            for k in 0..5 {
                w!(ctx, " {}", be32(m, c + 4 * k)?);
            }
        }
        15 => {
            ctx.put(" ");
            if !has(m, cp, 2) {
                return Ok(None);
            }
            if fqdn(ctx, m, cp + 2)?.is_none() {
                return Ok(None);
            }
            w!(ctx, " {}", be16(m, cp)?);
        }
        16 => {
            let mut c = cp;
            while c < rp {
                ctx.put(" \"");
                let Some(&n) = m.get(c) else {
                    return Ok(None);
                };
                let n = usize::from(n);
                if !printn(ctx, m, c + 1, n) {
                    return Ok(None);
                }
                c += 1 + n;
                ctx.put("\"");
            }
        }
        33 => {
            ctx.put(" ");
            if !has(m, cp, 6) {
                return Ok(None);
            }
            if fqdn(ctx, m, cp + 6)?.is_none() {
                return Ok(None);
            }
            w!(
                ctx,
                ":{} {} {}",
                be16(m, cp + 4)?,
                be16(m, cp)?,
                be16(m, cp + 2)?
            );
        }
        28 => {
            if !has(m, cp, 16) {
                return Ok(None);
            }
            ctx.put(" ");
            ipv6(ctx.s, &m[cp..cp + 16]);
        }
        38 => {
            let Some(&pbit) = m.get(cp) else {
                return Ok(None);
            };
            let pbyte = usize::from(pbit & !7) / 8;
            if pbit > 128 {
                w!(ctx, " {pbit}(bad plen)");
            } else {
                if pbit < 128 {
                    let mut a = [0u8; 16];
                    let src = slice(m, cp + 1, 16 - pbyte)?;
                    a[pbyte..].copy_from_slice(src);
                    w!(ctx, " {pbit} ");
                    ipv6(ctx.s, &a);
                }
                if pbit > 0 {
                    ctx.put(" ");
                    if fqdn(ctx, m, cp + 1 + 16 - pbyte)?.is_none() {
                        return Ok(None);
                    }
                }
            }
        }
        256 => {
            if !has(m, cp, len) {
                return Ok(None);
            }
            w!(ctx, " {} {} ", be16(m, cp)?, be16(m, cp + 2)?);
            if !printn(ctx, m, cp + 4, len.wrapping_sub(4)) {
                return Ok(None);
            }
        }
        T_OPT => {
            w!(ctx, " UDPsize={class}");
            if opt_flags & 0x8000 != 0 {
                ctx.put(" DO");
            }
            if cp < rp {
                ctx.put(" [");
                let mut c = cp;
                while c < rp {
                    match eopt(ctx, m, c)? {
                        Some(n) => c = n,
                        None => return Ok(None),
                    }
                    if c < rp {
                        ctx.put(",");
                    }
                }
                ctx.put("]");
            }
        }
        104 => {
            if !has(m, cp, len) {
                return Ok(None);
            }
            if !printn(ctx, m, cp, len) {
                return Ok(None);
            }
        }
        250 => {
            if cp + len > end {
                return Ok(None);
            }
            if ctx.v() > 0 {
                ctx.put(" ");
                let Some(mut c) = fqdn(ctx, m, cp)? else {
                    return Ok(None);
                };
                c += 6;
                for (k, name) in ["fudge", "maclen", "origid", "error", "otherlen"]
                    .iter()
                    .enumerate()
                {
                    if !has(m, c, 2) {
                        return Ok(None);
                    }
                    let v = be16(m, c)?;
                    w!(ctx, " {name}={v}");
                    c += 2;
                    if k == 1 {
                        c += usize::from(v);
                    }
                }
            }
        }
        _ => {}
    }
    Ok(Some(rp))
}
