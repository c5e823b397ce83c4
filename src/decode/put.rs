//! Numbers and addresses appended to the line as tcpdump prints them.
//!
//! The hot paths (addresses, ports, sequence numbers) avoid core::fmt,
//! which dominates printing time otherwise. Reading the bytes is
//! [`crate::wire::bytes`]'s job.

use super::R;
use crate::wire::bytes::slice;

/// Appends `v` in decimal.
pub(crate) fn dec(s: &mut String, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    s.push_str(std::str::from_utf8(&buf[i..]).unwrap_or("0"));
}

/// Appends `v` in decimal, zero-padded to `width` digits.
pub(crate) fn dec_pad(s: &mut String, v: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    let mut v = v;
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let start = i.min(buf.len().saturating_sub(width));
    s.push_str(std::str::from_utf8(&buf[start..]).unwrap_or("0"));
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends a byte as two lowercase hex digits.
pub(crate) fn hex2(s: &mut String, b: u8) {
    s.push(HEX[usize::from(b >> 4)] as char);
    s.push(HEX[usize::from(b & 15)] as char);
}

/// `a.b.c.d`, built on the stack and appended at once: printed for nearly
/// every packet, twice, and four appends of a number each cost more.
pub(crate) fn ipv4(s: &mut String, a: &[u8]) {
    let &[x, y, z, w] = a else { return };
    let mut buf = [0u8; 15];
    let mut n = 0;
    let mut put = |b: u8| {
        if let Some(slot) = buf.get_mut(n) {
            *slot = b;
            n += 1;
        }
    };
    for (i, o) in [x, y, z, w].into_iter().enumerate() {
        if i > 0 {
            put(b'.');
        }
        if o >= 100 {
            put(b'0' + o / 100);
        }
        if o >= 10 {
            put(b'0' + o / 10 % 10);
        }
        put(b'0' + o % 10);
    }
    // Only ASCII digits and dots were written.
    s.push_str(std::str::from_utf8(buf.get(..n).unwrap_or(&[])).unwrap_or(""));
}

pub(crate) fn ipv4_at(s: &mut String, b: &[u8], off: usize) -> R {
    ipv4(s, slice(b, off, 4)?);
    Ok(())
}

/// `aa:bb:cc:dd:ee:ff`; other lengths as colon-separated hex, as
/// tcpdump's linkaddr_string.
pub(crate) fn mac(s: &mut String, a: &[u8]) {
    for (i, &x) in a.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        hex2(s, x);
    }
}

/// IPv6 text as tcpdump's addrtostr6 (RFC 5952-style, with an embedded
/// IPv4 tail for mapped `::ffff:a.b.c.d` and compatible `::a.b.c.d`).
pub(crate) fn ipv6(s: &mut String, a: &[u8]) {
    if a.len() != 16 {
        return;
    }
    let mut w = [0u16; 8];
    for (i, x) in w.iter_mut().enumerate() {
        *x = u16::from_be_bytes([a[2 * i], a[2 * i + 1]]);
    }
    // Longest run of zero words (first one wins ties), at least 2 long.
    let (mut best, mut best_len) = (usize::MAX, 0usize);
    let mut i = 0;
    while i < 8 {
        if w[i] == 0 {
            let start = i;
            while i < 8 && w[i] == 0 {
                i += 1;
            }
            if i - start > best_len {
                best = start;
                best_len = i - start;
            }
        } else {
            i += 1;
        }
    }
    if best_len < 2 {
        best = usize::MAX;
    }
    let mut i = 0;
    while i < 8 {
        if best != usize::MAX && i >= best && i < best + best_len {
            if i == best {
                s.push(':');
            }
            i += 1;
            continue;
        }
        if i != 0 {
            s.push(':');
        }
        if i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)) {
            ipv4(s, &a[12..16]);
            return;
        }
        let x = w[i];
        let mut started = false;
        for shift in [12, 8, 4, 0] {
            let d = (x >> shift) & 15;
            if d != 0 || started || shift == 0 {
                s.push(HEX[usize::from(d)] as char);
                started = true;
            }
        }
        i += 1;
    }
    if best != usize::MAX && best + best_len == 8 {
        s.push(':');
    }
}

pub(crate) fn ipv6_at(s: &mut String, b: &[u8], off: usize) -> R {
    ipv6(s, slice(b, off, 16)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v6(a: &str) -> String {
        let addr: std::net::Ipv6Addr = a.parse().unwrap();
        let mut s = String::new();
        ipv6(&mut s, &addr.octets());
        s
    }

    #[test]
    fn ipv6_text() {
        assert_eq!(v6("::"), "::");
        assert_eq!(v6("::1"), "::1");
        assert_eq!(v6("fe80::1"), "fe80::1");
        assert_eq!(v6("ff02::1:ff00:2"), "ff02::1:ff00:2");
        assert_eq!(v6("::ffff:10.0.0.1"), "::ffff:10.0.0.1");
        assert_eq!(v6("::10.0.0.1"), "::10.0.0.1");
        assert_eq!(v6("1:0:0:1:0:0:0:1"), "1:0:0:1::1");
        assert_eq!(v6("1:0:1:0:1:0:1:0"), "1:0:1:0:1:0:1:0");
        assert_eq!(v6("fd00:0:0:0:1::"), "fd00::1:0:0:0");
    }

    #[test]
    fn ipv4_text() {
        let mut s = String::new();
        for a in [
            [0, 0, 0, 0],
            [10, 244, 0, 21],
            [255, 255, 255, 255],
            [1, 20, 100, 9],
        ] {
            ipv4(&mut s, &a);
            s.push(' ');
        }
        ipv4(&mut s, &[1, 2, 3]);
        assert_eq!(s, "0.0.0.0 10.244.0.21 255.255.255.255 1.20.100.9 ");
    }

    #[test]
    fn decimal() {
        let mut s = String::new();
        dec(&mut s, 0);
        s.push(' ');
        dec(&mut s, u64::MAX);
        s.push(' ');
        dec_pad(&mut s, 42, 6);
        s.push(' ');
        dec_pad(&mut s, 1234567, 3);
        assert_eq!(s, "0 18446744073709551615 000042 1234567");
    }
}
