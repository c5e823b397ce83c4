//! Bounds-checked reads from captured bytes, and address formatting.
//!
//! Every read returns [`Trunc`] past the captured end, so a protocol
//! printer stops where tcpdump's `GET_*` macros would longjmp out.

/// The captured bytes ended before the field being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Trunc;

pub(crate) type R<T = ()> = Result<T, Trunc>;

pub(crate) fn u8_at(b: &[u8], off: usize) -> R<u8> {
    b.get(off).copied().ok_or(Trunc)
}

pub(crate) fn be16(b: &[u8], off: usize) -> R<u16> {
    let s = slice(b, off, 2)?;
    Ok(u16::from_be_bytes([s[0], s[1]]))
}

pub(crate) fn be24(b: &[u8], off: usize) -> R<u32> {
    let s = slice(b, off, 3)?;
    Ok(u32::from_be_bytes([0, s[0], s[1], s[2]]))
}

pub(crate) fn be32(b: &[u8], off: usize) -> R<u32> {
    let s = slice(b, off, 4)?;
    Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// `len` bytes at `off`, all captured.
pub(crate) fn slice(b: &[u8], off: usize, len: usize) -> R<&[u8]> {
    let end = off.checked_add(len).ok_or(Trunc)?;
    b.get(off..end).ok_or(Trunc)
}

/// The bytes from `off` on (empty if `off` is past the end).
pub(crate) fn from(b: &[u8], off: usize) -> &[u8] {
    b.get(off..).unwrap_or(&[])
}

/// Whether `len` bytes at `off` were captured.
pub(crate) fn has(b: &[u8], off: usize, len: usize) -> bool {
    off.checked_add(len).is_some_and(|end| end <= b.len())
}

/// Appends `v` in decimal. The hot paths (addresses, ports, sequence
/// numbers) avoid core::fmt, which dominates printing time otherwise.
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

pub(crate) fn ipv4(s: &mut String, a: &[u8]) {
    if let [x, y, z, w] = a {
        dec(s, u64::from(*x));
        s.push('.');
        dec(s, u64::from(*y));
        s.push('.');
        dec(s, u64::from(*z));
        s.push('.');
        dec(s, u64::from(*w));
    }
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

/// Internet checksum over several pieces (RFC 1071); 0 means valid when
/// the checksum field is included.
pub(crate) fn in_cksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    let mut odd: Option<u8> = None;
    for p in parts {
        for &x in p.iter() {
            match odd.take() {
                Some(h) => sum += u32::from(u16::from_be_bytes([h, x])),
                None => odd = Some(x),
            }
            if sum > 0xffff_0000 {
                sum = (sum & 0xffff) + (sum >> 16);
            }
        }
    }
    if let Some(h) = odd {
        sum += u32::from(h) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// What the checksum field should have been, given the field and the
/// computed sum over the data including it (tcpdump's in_cksum_shouldbe).
pub(crate) fn cksum_shouldbe(field: u16, sum: u16) -> u16 {
    let mut s = u32::from(!field) + u32::from(!sum);
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    !(s as u16)
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
    fn checksum() {
        // RFC 1071 example bytes.
        let d = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(in_cksum(&[&d]), !0xddf2);
        assert_eq!(in_cksum(&[&d[..3], &d[3..]]), !0xddf2);
    }

    #[test]
    fn reads_stop_at_end() {
        let b = [1, 2, 3];
        assert_eq!(be16(&b, 1), Ok(0x0203));
        assert_eq!(be16(&b, 2), Err(Trunc));
        assert_eq!(be32(&b, usize::MAX), Err(Trunc));
        assert_eq!(from(&b, 9), &[] as &[u8]);
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
