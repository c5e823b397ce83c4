//! Value-to-name tables as tcpdump's `struct tok` arrays, and the few
//! printing shapes every table-driven printer shares (tok2str,
//! bittok2str, print_unknown_data). One generic path per shape keeps each
//! protocol a set of tables rather than code: the binary stays small.

use super::{Ctx, dump, put, text};

/// A tcpdump `struct tok` array: (value, name), searched in order.
pub(crate) type Tok = &'static [(u32, &'static str)];

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
    let rest = f[i + 1..].as_bytes();
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

    /// `0x` and `v` in hex, zero-padded: tcpdump's `0x%0Nx`.
    pub fn hex(&mut self, v: u64, width: usize) {
        self.put("0x");
        hex(self.s, v, width);
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
