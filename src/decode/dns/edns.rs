//! EDNS(0) (RFC 6891): the OPT pseudo-record's options, client subnet
//! (RFC 7871), cookies, keepalive and the rest by name.

use super::names::fqdn;
use crate::decode::put::{ipv4, ipv6};
use crate::decode::{Ctx, R, w};
use crate::wire::bytes::{be16, be32, has};

/// The OPT pseudo-record's type.
pub(super) const T_OPT: u16 = 41;

pub(super) fn eopt(ctx: &mut Ctx<'_>, m: &[u8], cp: usize) -> R<Option<usize>> {
    if !has(m, cp, 2) {
        return Ok(None);
    }
    let opt = be16(m, cp)?;
    match opt {
        1 => ctx.put("LLQ"),
        2 => ctx.put("UL"),
        3 => ctx.put("NSID"),
        5 => ctx.put("DAU"),
        6 => ctx.put("DHU"),
        7 => ctx.put("N3U"),
        8 => ctx.put("ECS"),
        9 => ctx.put("EXPIRE"),
        10 => ctx.put("COOKIE"),
        11 => ctx.put("KEEPALIVE"),
        12 => ctx.put("PADDING"),
        13 => ctx.put("CHAIN"),
        14 => ctx.put("KEY-TAG"),
        16 => ctx.put("CLIENT-TAG"),
        17 => ctx.put("SERVER-TAG"),
        _ => w!(ctx, "Opt{opt}"),
    }
    if !has(m, cp + 2, 2) {
        return Ok(None);
    }
    let dlen = usize::from(be16(m, cp + 2)?);
    let d = cp + 4;
    if !has(m, d, dlen) {
        return Ok(None);
    }
    let data = &m[d..d + dlen];
    if dlen > 0 {
        ctx.put(" ");
        match opt {
            8 => ecs(ctx, data),
            10 => {
                if dlen < 8 || (dlen > 8 && dlen < 16) || dlen > 40 {
                    ctx.invalid();
                } else {
                    for (i, b) in data.iter().enumerate() {
                        if i == 8 {
                            ctx.put(" ");
                        }
                        w!(ctx, "{b:02x}");
                    }
                }
            }
            11 => {
                if dlen != 2 {
                    ctx.invalid();
                } else {
                    let v = u16::from_be_bytes([data[0], data[1]]);
                    w!(ctx, "{:.1} sec", f64::from(v) / 10.0);
                }
            }
            9 => {
                if dlen != 4 {
                    ctx.invalid();
                } else {
                    w!(ctx, "{} sec", be32(data, 0)?);
                }
            }
            12 => w!(ctx, "({dlen})"),
            14 => {
                if dlen % 2 != 0 {
                    ctx.invalid();
                } else {
                    for (i, c) in data.chunks(2).enumerate() {
                        if i > 0 {
                            ctx.put(" ");
                        }
                        w!(ctx, "{}", u16::from_be_bytes([c[0], c[1]]));
                    }
                }
            }
            5..=7 => {
                for (i, &a) in data.iter().enumerate() {
                    if i > 0 {
                        ctx.put(" ");
                    }
                    let n = match (opt, a) {
                        (5, 0) => "DELETE",
                        (5, 1) => "RSAMD5",
                        (5, 2) => "DH",
                        (5, 3) => "DS",
                        (5, 5) => "RSASHA1",
                        (5, 6) => "DSA-NSEC3-SHA1",
                        (5, 7) => "RSASHA1-NSEC3-SHA1",
                        (5, 8) => "RSASHA256",
                        (5, 10) => "RSASHA512",
                        (5, 12) => "ECC-GOST",
                        (5, 13) => "ECDSAP256SHA256",
                        (5, 14) => "ECDSAP384SHA384",
                        (5, 15) => "ED25519",
                        (5, 16) => "ED448",
                        (5, 252) => "INDIRECT",
                        (5, 253) => "PRIVATEDNS",
                        (5, 254) => "PRIVATEOID",
                        (6, 1) => "SHA-1",
                        (6, 2) => "SHA-256",
                        (6, 3) => "GOST_R_34.11-94",
                        (6, 4) => "SHA-384",
                        (7, 1) => "SHA-1",
                        _ => "",
                    };
                    if n.is_empty() {
                        w!(ctx, "Alg_{a}");
                    } else {
                        ctx.put(n);
                    }
                }
            }
            13 => {
                // fqdn_print with the option's own end as base: every
                // pointer is then "forward"; tcpdump prints what it can.
                let _ = fqdn(ctx, data, 0)?;
            }
            _ => {
                for b in data {
                    w!(ctx, "{b:02x}");
                }
            }
        }
    }
    Ok(Some(d + dlen))
}

fn ecs(ctx: &mut Ctx<'_>, d: &[u8]) {
    if d.len() < 4 {
        ctx.invalid();
        return;
    }
    let family = u16::from_be_bytes([d[0], d[1]]);
    let (src, scope) = (d[2], d[3]);
    let bits = match family {
        1 => 32u32,
        2 => 128,
        _ => {
            ctx.invalid();
            return;
        }
    };
    let alen = d.len() - 4;
    if alen > (bits / 8) as usize
        || u32::from(src) > bits
        || u32::from(scope) > bits
        || usize::from(src).div_ceil(8) != alen
    {
        ctx.invalid();
        return;
    }
    let mut a = [0u8; 16];
    a[..alen].copy_from_slice(&d[4..]);
    if family == 1 {
        ipv4(ctx.s, &a[..4]);
    } else {
        ipv6(ctx.s, &a);
    }
    w!(ctx, "/{src}/{scope}");
}
