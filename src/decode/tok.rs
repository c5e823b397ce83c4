//! Value-to-name tables as tcpdump's `struct tok` arrays, and the few
//! printing shapes every table-driven printer shares (tok2str,
//! bittok2str, print_unknown_data). One generic path per shape keeps each
//! protocol a set of tables rather than code: the binary stays small.

use super::{Ctx, R, dump, put, text};
use crate::wire::bytes::u8_at;

/// A tcpdump `struct tok` array: (value, name), searched in order.
pub(crate) type Tok = &'static [(u32, &'static str)];

/// tcpdump's af_values (one octet in LLDP, two in BGP).
pub(crate) const AF: Tok = &[
    (0, "Reserved"),
    (1, "IPv4"),
    (2, "IPv6"),
    (3, "NSAP"),
    (4, "HDLC"),
    (5, "BBN 1822"),
    (6, "802"),
    (7, "E.163"),
    (8, "E.164"),
    (9, "F.69"),
    (10, "X.121"),
    (11, "Novell IPX"),
    (12, "Appletalk"),
    (13, "Decnet IV"),
    (14, "Banyan Vines"),
    (15, "E.164 with NSAP subaddress"),
    (25, "VPLS"),
    (196, "Layer-2 VPN"),
];

/// The name of `v`, if the table has one.
pub(crate) fn name(t: Tok, v: u32) -> Option<&'static str> {
    t.iter().find(|e| e.0 == v).map(|e| e.1)
}

/// Appends `f` with its one printf directive (`%u`, `%d`, `%x`, `%02x`,
/// `%04x`...) replaced by `v`: the default strings of tcpdump's tables.
pub(crate) fn fmt1(s: &mut String, f: &str, v: u32) {
    let Some(i) = f.find('%') else {
        s.push_str(f);
        return;
    };
    s.push_str(&f[..i]);
    let rest = &f.as_bytes()[i + 1..];
    let mut j = 0;
    let mut width = 0usize;
    while let Some(&c) = rest.get(j) {
        if !c.is_ascii_digit() {
            break;
        }
        width = width * 10 + usize::from(c - b'0');
        j += 1;
    }
    match rest.get(j) {
        Some(b'x') => hex(s, u64::from(v), width),
        _ => put::dec_pad(s, u64::from(v), width),
    }
    s.push_str(f.get(i + 2 + j..).unwrap_or(""));
}

/// Lowercase hex, zero-padded to `width` digits.
pub(crate) fn hex(s: &mut String, v: u64, width: usize) {
    let digits = (64 - v.leading_zeros() as usize).div_ceil(4).max(1);
    for _ in digits..width {
        s.push('0');
    }
    for i in (0..digits).rev() {
        s.push(char::from(
            b"0123456789abcdef"[((v >> (4 * i)) & 15) as usize],
        ));
    }
}

impl Ctx<'_> {
    /// tcpdump's `tok2str(t, dflt, v)`.
    pub fn tok(&mut self, t: Tok, v: u32, dflt: &str) {
        match name(t, v) {
            Some(n) => self.put(n),
            None => fmt1(self.s, dflt, v),
        }
    }

    /// tcpdump's `bittok2str` (`sep` ", ") and `bittok2str_nosep` (""):
    /// every name whose bits are all set, else `dflt` with `v`.
    pub fn bits(&mut self, t: Tok, v: u32, dflt: &str, sep: &str) {
        let mut first = true;
        for &(b, n) in t {
            if b != 0 && v & b == b {
                if !first {
                    self.put(sep);
                }
                self.put(n);
                first = false;
            }
        }
        if first {
            fmt1(self.s, dflt, v);
        }
    }

    /// tcpdump's print_unknown_data: a hex dump of what of `len` bytes
    /// was captured, each line after `ident`.
    pub fn unknown_data(&mut self, p: &[u8], ident: &str, len: usize) {
        dump::hex(self.s, ident, p.get(..len.min(p.len())).unwrap_or(p));
    }

    /// tcpdump's fn_print_char for each byte.
    pub fn chars(&mut self, p: &[u8]) {
        for &c in p {
            text::print_char(self.s, c);
        }
    }

    /// tcpdump's nd_printn: `n` bytes at `off` as characters, as many
    /// as were captured before the capture ends.
    pub fn printn(&mut self, p: &[u8], off: usize, n: usize) -> R {
        for i in 0..n {
            text::print_char(self.s, u8_at(p, off.saturating_add(i))?);
        }
        Ok(())
    }

    /// tcpdump's nd_printjnp: like [`Ctx::printn`], stopping at a NUL.
    pub fn printjnp(&mut self, p: &[u8], off: usize, n: usize) -> R {
        for i in 0..n {
            match u8_at(p, off.saturating_add(i))? {
                0 => break,
                c => text::print_char(self.s, c),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_formats() {
        let mut s = String::new();
        fmt1(&mut s, "unknown (%u)", 7);
        fmt1(&mut s, " #%08x", 0xab);
        fmt1(&mut s, " 0x%02x!", 5);
        fmt1(&mut s, " none", 5);
        assert_eq!(s, "unknown (7) #000000ab 0x05! none");
        let mut s = String::new();
        hex(&mut s, 0, 0);
        hex(&mut s, 0x1234, 2);
        assert_eq!(s, "01234");
    }
}
