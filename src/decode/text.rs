//! Text protocols (util-print.c txtproto_print): HTTP's first line, or
//! every line with `-v`; and tcpdump's escaping of odd characters.

use super::R;
use super::{Ctx, w};
use crate::wire::bytes::u8_at;

const HTTP_CMDS: &[&str] = &[
    "GET",
    "PUT",
    "COPY",
    "HEAD",
    "LOCK",
    "MOVE",
    "POLL",
    "POST",
    "BCOPY",
    "BMOVE",
    "MKCOL",
    "TRACE",
    "LABEL",
    "MERGE",
    "DELETE",
    "SEARCH",
    "UNLOCK",
    "REPORT",
    "UPDATE",
    "NOTIFY",
    "BDELETE",
    "CONNECT",
    "OPTIONS",
    "CHECKIN",
    "PROPFIND",
    "CHECKOUT",
    "CCM_POST",
    "SUBSCRIBE",
    "PROPPATCH",
    "BPROPFIND",
    "BPROPPATCH",
    "UNCHECKOUT",
    "MKACTIVITY",
    "MKWORKSPACE",
    "UNSUBSCRIBE",
    "RPC_CONNECT",
    "VERSION-CONTROL",
    "BASELINE-CONTROL",
];

fn printable(c: u8) -> bool {
    (0x20..0x7f).contains(&c)
}

/// tcpdump's fn_print_char: `M-` for high bytes, `^X` for controls.
pub(crate) fn print_char(s: &mut String, mut c: u8) {
    if !c.is_ascii() {
        c &= 0x7f;
        s.push_str("M-");
    }
    if !printable(c) {
        c ^= 0x40;
        s.push('^');
    }
    s.push(c as char);
}

/// One token from `idx` (at most 128 characters); returns its end after
/// trailing blanks, or None as fetch_token's 0.
fn fetch_token(p: &[u8], mut idx: usize, len: usize) -> Option<(usize, &[u8])> {
    let start = idx;
    while idx < len {
        let c = *p.get(idx)?;
        if !c.is_ascii() {
            return None;
        }
        if matches!(c, b' ' | b'\t' | b'\r' | b'\n') {
            break;
        }
        if !printable(c) {
            return None;
        }
        if idx - start + 2 > 129 {
            return None;
        }
        idx += 1;
    }
    if idx == start {
        return None;
    }
    let tok = &p[start..idx];
    while idx < len {
        let Some(&c) = p.get(idx) else { break };
        if c == b'\r' || c == b'\n' || !printable(c) || (c != b' ' && c != b'\t') {
            break;
        }
        idx += 1;
    }
    Some((idx, tok))
}

/// Prints one line from `idx`; the index after it, or 0 to stop.
fn txt_line(ctx: &mut Ctx<'_>, prefix: &str, p: &[u8], mut idx: usize, len: usize) -> R<usize> {
    let start = idx;
    while idx < len {
        let c = u8_at(p, idx)?;
        if c == b'\n' {
            line_out(ctx, prefix, &p[start..idx]);
            return Ok(idx + 1);
        } else if c == b'\r' {
            if idx + 1 >= len {
                return Ok(0);
            }
            if u8_at(p, idx + 1)? == b'\n' {
                line_out(ctx, prefix, &p[start..idx]);
                return Ok(idx + 2);
            }
            return Ok(0);
        } else if !printable(c) && c != b'\t' {
            return Ok(0);
        }
        idx += 1;
    }
    line_out(ctx, prefix, &p[start..idx]);
    ctx.trunc_mark();
    Ok(0)
}

fn line_out(ctx: &mut Ctx<'_>, prefix: &str, line: &[u8]) {
    ctx.put(prefix);
    // Only printable ASCII and tabs reach here.
    ctx.s.extend(line.iter().map(|&b| b as char));
}

/// SSH on port 22: the version banner, `: SSH: SSH-2.0-OpenSSH_9.6`.
pub(crate) fn ssh(ctx: &mut Ctx<'_>, p: &[u8], len: usize) -> R {
    ctx.proto = "ssh";
    for (i, &c) in b"SSH-".iter().enumerate() {
        if u8_at(p, i)? != c {
            return Ok(());
        }
    }
    let mut idx = 4;
    while idx < len {
        let c = u8_at(p, idx)?;
        if c == b'\n' {
            break;
        } else if c == b'\r' {
            if idx + 1 >= len || u8_at(p, idx + 1)? != b'\n' {
                return Ok(());
            }
            break;
        } else if !printable(c) {
            return Ok(());
        }
        idx += 1;
    }
    if idx >= len {
        return Ok(());
    }
    ctx.put(": SSH: ");
    ctx.s.extend(p[..idx].iter().map(|&b| b as char));
    Ok(())
}

/// HTTP on ports 80 and 8080: `HTTP: GET / HTTP/1.1`.
pub(crate) fn http(ctx: &mut Ctx<'_>, p: &[u8], len: usize) -> R {
    ctx.proto = "http";
    let mut print_this = false;
    if let Some((idx, tok)) = fetch_token(p, 0, len) {
        if HTTP_CMDS
            .iter()
            .any(|c| c.as_bytes().eq_ignore_ascii_case(tok))
        {
            print_this = true;
        }
        if let Some((_, tok2)) = fetch_token(p, idx, len) {
            if tok2.len() == 3 && tok2.iter().all(u8::is_ascii_digit) {
                print_this = true;
            }
        }
    }
    ctx.put("HTTP");
    if print_this {
        if ctx.v() > 0 {
            w!(ctx, ", length: {len}");
            let mut idx = 0;
            while idx < len {
                let eol = txt_line(ctx, "\n\t", p, idx, len)?;
                if eol == 0 {
                    break;
                }
                idx = eol;
            }
        } else {
            txt_line(ctx, ": ", p, 0, len)?;
        }
    }
    Ok(())
}
