//! Domain names in DNS messages (RFC 1035 §4.1.4, RFC 2673 bit-string
//! labels): skipping them, measuring labels, printing them with
//! compression pointers resolved as tcpdump's fqdn_print does.

use crate::decode::{Ctx, R, text, w};
use crate::wire::bytes::u8_at;

/// Skips a name; the offset after it, None where tcpdump's ns_nskip
/// gives up.
pub(super) fn nskip(m: &[u8], mut cp: usize) -> Option<usize> {
    let mut i = *m.get(cp)?;
    cp += 1;
    while i != 0 {
        match i & 0xc0 {
            0xc0 => return Some(cp + 1),
            0x40 => {
                if i & 0x3f != 1 {
                    return None;
                }
                let mut bitlen = usize::from(*m.get(cp)?);
                if bitlen == 0 {
                    bitlen = 256;
                }
                cp += 1 + bitlen.div_ceil(8);
            }
            0x80 => return None,
            _ => cp += usize::from(i),
        }
        i = *m.get(cp)?;
        cp += 1;
    }
    Some(cp)
}

fn labellen(ctx: &mut Ctx<'_>, m: &[u8], cp: usize) -> Option<usize> {
    let i = *m.get(cp)?;
    match i & 0xc0 {
        0x40 => {
            let elt = i & 0x3f;
            if elt != 1 {
                w!(ctx, "<ELT {elt}>");
                return None;
            }
            let mut bitlen = usize::from(*m.get(cp + 1)?);
            if bitlen == 0 {
                bitlen = 256;
            }
            Some(bitlen.div_ceil(8) + 1)
        }
        0x80 => {
            ctx.put("<BAD LABEL TYPE>");
            None
        }
        _ => Some(usize::from(i)),
    }
}

fn blabel(ctx: &mut Ctx<'_>, m: &[u8], cp: usize) -> R<Option<usize>> {
    let Some(&b0) = m.get(cp) else {
        return Ok(None);
    };
    let mut bitlen = u32::from(b0);
    if bitlen == 0 {
        bitlen = 256;
    }
    let slen = (bitlen as usize).div_ceil(4);
    let lim = cp + 1 + slen;
    ctx.put("\\[x");
    let mut bitp = cp + 1;
    let mut b = bitlen;
    while bitp < lim && b > 7 {
        w!(ctx, "{:02x}", u8_at(m, bitp)?);
        b -= 8;
        bitp += 1;
    }
    if b > 4 {
        let tc = u8_at(m, bitp)?;
        w!(ctx, "{:02x}", tc & (0xffu8.wrapping_shl(8 - b)));
    } else if b > 0 {
        let tc = u8_at(m, bitp)?;
        w!(ctx, "{:x}", ((tc >> 4) & 0x0f) & (0x0fu8 << (4 - b)));
    }
    w!(ctx, "/{bitlen}]");
    Ok(Some(lim))
}

/// tcpdump's nd_printn: false if the bytes ran out first.
pub(super) fn printn(ctx: &mut Ctx<'_>, m: &[u8], cp: usize, n: usize) -> bool {
    let avail = m.len().saturating_sub(cp);
    for &c in m.iter().skip(cp).take(n) {
        text::print_char(ctx.s, c);
    }
    avail >= n
}

/// Prints a domain name at `start` with compression pointers resolved
/// against `m`; returns the offset after the name as stored (tcpdump's
/// fqdn_print), None when it gave up (marks printed as tcpdump does).
pub(crate) fn fqdn(ctx: &mut Ctx<'_>, m: &[u8], start: usize) -> R<Option<usize>> {
    let end = m.len();
    let mut cp = start;
    let Some(mut l) = labellen(ctx, m, cp) else {
        return Ok(None);
    };
    if cp >= end {
        return Ok(None);
    }
    let mut max_offset = cp;
    let mut i = m[cp];
    cp += 1;
    let mut rp: Option<usize> = None;
    let mut compress = false;
    if i & 0xc0 != 0xc0 {
        rp = Some(cp + l);
    }
    if i != 0 {
        let mut name_chars = 0usize;
        while i != 0 && cp < end {
            match i & 0xc0 {
                0xc0 => {
                    if !compress {
                        rp = Some(cp + 1);
                        compress = true;
                    }
                    let Some(&lo) = m.get(cp) else {
                        return Ok(None);
                    };
                    let offset = ((usize::from(i) << 8) | usize::from(lo)) & 0x3fff;
                    if offset >= max_offset {
                        ctx.put("<BAD PTR>");
                        return Ok(None);
                    }
                    max_offset = offset;
                    cp = offset;
                    let Some(&n) = m.get(cp) else {
                        return Ok(None);
                    };
                    i = n;
                    let Some(nl) = labellen(ctx, m, cp) else {
                        return Ok(None);
                    };
                    l = nl;
                    cp += 1;
                    continue;
                }
                0x40 => {
                    let elt = i & 0x3f;
                    if elt == 1 {
                        if blabel(ctx, m, cp)?.is_none() {
                            return Ok(None);
                        }
                    } else {
                        w!(ctx, "<ELT {elt}>");
                        return Ok(None);
                    }
                }
                0x80 => {
                    ctx.put("<BAD LABEL TYPE>");
                    return Ok(None);
                }
                _ => {
                    if name_chars + l <= 255 {
                        if !printn(ctx, m, cp, l) {
                            return Ok(None);
                        }
                    } else if name_chars < 255 && !printn(ctx, m, cp, 255 - name_chars) {
                        return Ok(None);
                    }
                    name_chars += l;
                }
            }
            cp += l;
            if name_chars <= 255 {
                ctx.put(".");
            }
            name_chars += 1;
            let Some(&n) = m.get(cp) else {
                return Ok(None);
            };
            i = n;
            let Some(nl) = labellen(ctx, m, cp) else {
                return Ok(None);
            };
            l = nl;
            cp += 1;
            if !compress {
                rp = rp.map(|r| r + l + 1);
            }
        }
        if name_chars > 255 {
            ctx.put("<DOMAIN NAME TOO LONG>");
        }
    } else {
        ctx.put(".");
    }
    Ok(rp)
}
