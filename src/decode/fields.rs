//! What the service decoders share from tcpdump's util-print.c: tables of
//! names (`tok2str`, `bittok2str`) and strings printed from the packet
//! (`nd_printn`, `nd_printjnp`, `nd_printztn`), each stopping exactly where
//! tcpdump's does.
//!
//! The decoders are tables of `(value, name)` pairs read by these few
//! functions rather than a `match` per field: the tables are data in the
//! binary, the code that walks them exists once. The table type, its
//! lookup and bittok2str are `decode::tok`'s (`Ctx::tok`, `Ctx::bits`);
//! this file adds the forms the service decoders print.

use super::text::print_char;
use super::{Ctx, R};
use crate::wire::bytes::{has, u8_at};

pub(crate) use super::tok::{Tok, name};

/// tok2str(t, "unknown", v) where the default carries no number.
pub(crate) fn name_or(t: Tok, v: u32, default: &'static str) -> &'static str {
    name(t, v).unwrap_or(default)
}

/// ND_TCHECK_LEN with `goto trunc`: whether `len` bytes at `at` were
/// captured; when not, the mark is printed and the caller returns.
pub(crate) fn tcheck(ctx: &mut Ctx<'_>, b: &[u8], at: usize, len: usize) -> bool {
    let ok = has(b, at, len);
    if !ok {
        ctx.trunc_mark();
    }
    ok
}

/// nd_printn: `n` bytes as characters, stopping quietly at the end of the
/// capture; returns true if it stopped there.
pub(crate) fn printn(ctx: &mut Ctx<'_>, b: &[u8], n: usize) -> bool {
    for &c in b.iter().take(n) {
        print_char(ctx.s, c);
    }
    b.len() < n
}

/// nd_printjn: `n` bytes as characters; the capture ending first is a
/// truncation (tcpdump's longjmp).
pub(crate) fn printjn(ctx: &mut Ctx<'_>, b: &[u8], n: usize) -> R {
    for i in 0..n {
        print_char(ctx.s, u8_at(b, i)?);
    }
    Ok(())
}

/// nd_printjnp: at most `n` bytes as characters, up to a NUL.
pub(crate) fn printjnp(ctx: &mut Ctx<'_>, b: &[u8], n: usize) -> R {
    for i in 0..n {
        let c = u8_at(b, i)?;
        if c == 0 {
            break;
        }
        print_char(ctx.s, c);
    }
    Ok(())
}

/// nd_printztn: a NUL-terminated string in at most `n` bytes; returns the
/// bytes used including the NUL, or 0 when no NUL came before `n` bytes
/// or the end of the capture.
pub(crate) fn printztn(ctx: &mut Ctx<'_>, b: &[u8], n: usize) -> usize {
    for i in 0..n {
        let Some(&c) = b.get(i) else { return 0 };
        if c == 0 {
            return i + 1;
        }
        print_char(ctx.s, c);
    }
    0
}

/// print_unknown_data: `len` bytes (as many as were captured) in hex,
/// 16 a line, each line starting with `ident`; a short capture is then a
/// truncation.
pub(crate) fn unknown_data(ctx: &mut Ctx<'_>, b: &[u8], ident: &str, len: usize) -> R {
    super::dump::hex(ctx.s, ident, &b[..len.min(b.len())]);
    if len > b.len() {
        return Err(crate::wire::Truncated);
    }
    Ok(())
}

/// Lowercase hex of every byte (tcpdump's `%02x` loops).
pub(crate) fn hex(ctx: &mut Ctx<'_>, b: &[u8]) {
    for &c in b {
        super::put::hex2(ctx.s, c);
    }
}

/// Test helper for the service decoders: what podcap prints for one
/// IPv4/UDP datagram from 10.0.0.1 to 10.0.0.2 carrying `payload`, with
/// `-v` given `v` times, minus the `IP (...)` prefix `-v` adds.
#[cfg(test)]
pub(crate) fn udp4_line(v: u8, sport: u16, dport: u16, payload: &[u8]) -> String {
    udp4_cut(v, sport, dport, payload, payload.len())
}

/// [`udp4_line`] with only the first `keep` bytes of the payload captured.
#[cfg(test)]
pub(crate) fn udp4_cut(v: u8, sport: u16, dport: u16, payload: &[u8], keep: usize) -> String {
    let ulen = u16::try_from(8 + payload.len()).unwrap_or(u16::MAX);
    let tlen = ulen.saturating_add(20);
    let mut ip = vec![
        0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    ip[2..4].copy_from_slice(&tlen.to_be_bytes());
    let sum = crate::wire::checksum::internet(&[&ip]);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    ip.extend_from_slice(&sport.to_be_bytes());
    ip.extend_from_slice(&dport.to_be_bytes());
    ip.extend_from_slice(&ulen.to_be_bytes());
    ip.extend_from_slice(&[0, 0]);
    ip.extend_from_slice(payload);
    let o = super::PrintOptions {
        verbose: v,
        ..Default::default()
    };
    let k = 28 + keep.min(payload.len());
    let l = super::tests::cut(&o, crate::linktype::LinkType::Raw, &ip, k);
    match l.find(")\n    ") {
        Some(i) if v > 0 => l[i + 6..].to_string(),
        _ => l,
    }
}

#[cfg(test)]
mod tests {
    use super::super::PrintOptions;
    use super::*;

    const T: Tok = &[(0x01, "A"), (0x02, "B"), (0x06, "BC")];

    fn with(f: impl FnOnce(&mut Ctx<'_>)) -> String {
        let o = PrintOptions::default();
        let mut s = String::new();
        let mut tcp = Default::default();
        let mut ifn = Default::default();
        let mut ike = Default::default();
        let mut ctx = Ctx {
            o: &o,
            s: &mut s,
            proto: "",
            tcp: &mut tcp,
            ifnames: &mut ifn,
            ike: &mut ike,
            depth: 0,
        };
        f(&mut ctx);
        s
    }

    #[test]
    fn tables() {
        assert_eq!(name(T, 2), Some("B"));
        assert_eq!(name_or(T, 9, "?"), "?");
        assert_eq!(with(|c| c.tok(T, 9, "#%u")), "#9");
        assert_eq!(with(|c| c.bits(T, 7, "none", ", ")), "A, B, BC");
        assert_eq!(with(|c| c.bits(T, 0, "none", ", ")), "none");
        assert_eq!(with(|c| c.bits(T, 4, "none", ", ")), "none");
    }

    #[test]
    fn strings() {
        assert_eq!(with(|c| assert!(printn(c, b"ab\x01", 5))), "ab^A");
        assert_eq!(with(|c| assert_eq!(printztn(c, b"ab\0c", 9), 3)), "ab");
        assert_eq!(with(|c| assert_eq!(printztn(c, b"abc", 2), 0)), "ab");
        assert_eq!(with(|c| assert!(printjnp(c, b"a\0b", 3).is_ok())), "a");
        assert_eq!(with(|c| assert!(printjn(c, b"a\xff", 3).is_err())), "aM-^?");
    }
}
