//! Bounds-checked reads of fixed-width integers from captured bytes.
//!
//! The one set of readers every module that parses bytes uses. A read past
//! the end returns [`Truncated`] instead of panicking: captured packets are
//! cut by the snap length, and crafted ones lie about their lengths. The
//! header views ([`super::ipv4::Packet`] and the others) check their fixed
//! header once in `new_checked` and read infallibly after that; these are
//! for what lies beyond it, and for printers that must stop at exactly the
//! field the capture ends in (tcpdump prints everything before it).
//!
//! Offsets are either a byte offset or a field range from a view's `field`
//! module (`be16(b, udp::field::LENGTH)`); a range must be as wide as the
//! read, which debug builds check.

use core::fmt;
use core::ops::Range;

/// The bytes ended before the field being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Truncated;

impl fmt::Display for Truncated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("truncated")
    }
}

impl std::error::Error for Truncated {}

/// The result of a read, or of a view's `new_checked`.
pub type Result<T> = core::result::Result<T, Truncated>;

/// Where a read starts: a byte offset, or a range from a `field` module.
pub trait At {
    /// The first byte of a read `width` bytes wide.
    fn start(self, width: usize) -> usize;
}

impl At for usize {
    #[inline]
    fn start(self, _width: usize) -> usize {
        self
    }
}

impl At for Range<usize> {
    #[inline]
    fn start(self, width: usize) -> usize {
        debug_assert_eq!(self.len(), width, "field {self:?} read as {width} bytes");
        self.start
    }
}

/// `N` bytes at `at`, copied out.
#[inline]
pub fn array<const N: usize>(b: &[u8], at: impl At) -> Result<[u8; N]> {
    let at = at.start(N);
    match b.get(at..).and_then(<[u8]>::first_chunk::<N>) {
        Some(a) => Ok(*a),
        None => Err(Truncated),
    }
}

#[inline]
pub fn u8_at(b: &[u8], at: impl At) -> Result<u8> {
    b.get(at.start(1)).copied().ok_or(Truncated)
}

#[inline]
pub fn be16(b: &[u8], at: impl At) -> Result<u16> {
    array(b, at).map(u16::from_be_bytes)
}

/// A 24-bit big-endian field (VXLAN and Geneve VNIs).
#[inline]
pub fn be24(b: &[u8], at: impl At) -> Result<u32> {
    let [x, y, z] = array(b, at)?;
    Ok(u32::from_be_bytes([0, x, y, z]))
}

#[inline]
pub fn be32(b: &[u8], at: impl At) -> Result<u32> {
    array(b, at).map(u32::from_be_bytes)
}

#[inline]
pub fn be64(b: &[u8], at: impl At) -> Result<u64> {
    array(b, at).map(u64::from_be_bytes)
}

#[inline]
pub fn le16(b: &[u8], at: impl At) -> Result<u16> {
    array(b, at).map(u16::from_le_bytes)
}

#[inline]
pub fn le32(b: &[u8], at: impl At) -> Result<u32> {
    array(b, at).map(u32::from_le_bytes)
}

#[inline]
pub fn le64(b: &[u8], at: impl At) -> Result<u64> {
    array(b, at).map(u64::from_le_bytes)
}

/// Host byte order: what the kernel writes in netlink messages, the
/// TPACKET ring and pcap files written on this machine.
#[inline]
pub fn ne16(b: &[u8], at: impl At) -> Result<u16> {
    array(b, at).map(u16::from_ne_bytes)
}

#[inline]
pub fn ne32(b: &[u8], at: impl At) -> Result<u32> {
    array(b, at).map(u32::from_ne_bytes)
}

#[inline]
pub fn ne64(b: &[u8], at: impl At) -> Result<u64> {
    array(b, at).map(u64::from_ne_bytes)
}

/// `len` bytes at `at`, all present.
#[inline]
pub fn slice(b: &[u8], at: usize, len: usize) -> Result<&[u8]> {
    let end = at.checked_add(len).ok_or(Truncated)?;
    b.get(at..end).ok_or(Truncated)
}

/// The bytes of a field range, all present.
#[inline]
pub fn range(b: &[u8], r: Range<usize>) -> Result<&[u8]> {
    b.get(r).ok_or(Truncated)
}

/// The bytes from `at` on, empty if `at` is past the end: for a payload
/// whose absence the next protocol reports itself.
#[inline]
pub fn from(b: &[u8], at: usize) -> &[u8] {
    b.get(at..).unwrap_or(&[])
}

/// Whether `len` bytes at `at` are present.
#[inline]
pub fn has(b: &[u8], at: usize, len: usize) -> bool {
    at.checked_add(len).is_some_and(|end| end <= b.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: [u8; 9] = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09];

    #[test]
    fn reads_each_byte_order() {
        assert_eq!(u8_at(&B, 8), Ok(0x09));
        assert_eq!(be16(&B, 1), Ok(0x0203));
        assert_eq!(be24(&B, 0), Ok(0x01_0203));
        assert_eq!(be32(&B, 0), Ok(0x0102_0304));
        assert_eq!(be64(&B, 1), Ok(0x0203_0405_0607_0809));
        assert_eq!(le16(&B, 1), Ok(0x0302));
        assert_eq!(le32(&B, 0), Ok(0x0403_0201));
        assert_eq!(le64(&B, 0), Ok(0x0807_0605_0403_0201));
        assert_eq!(ne16(&B, 0), Ok(u16::from_ne_bytes([1, 2])));
        assert_eq!(ne32(&B, 0), Ok(u32::from_ne_bytes([1, 2, 3, 4])));
        assert_eq!(
            ne64(&B, 0),
            Ok(u64::from_ne_bytes([1, 2, 3, 4, 5, 6, 7, 8]))
        );
        assert_eq!(array::<3>(&B, 6), Ok([7, 8, 9]));
    }

    #[test]
    fn reads_field_ranges() {
        assert_eq!(be16(&B, 2..4), Ok(0x0304));
        assert_eq!(be24(&B, 4..7), Ok(0x05_0607));
        assert_eq!(range(&B, 7..9), Ok(&B[7..9]));
        assert_eq!(range(&B, 8..10), Err(Truncated));
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "read as 4 bytes")]
    fn a_range_must_fit_the_read() {
        let _ = be32(&B, 0..2);
    }

    #[test]
    fn reads_stop_at_end() {
        let b = [1, 2, 3];
        assert_eq!(be16(&b, 1), Ok(0x0203));
        assert_eq!(be16(&b, 2), Err(Truncated));
        assert_eq!(be32(&b, usize::MAX), Err(Truncated));
        assert_eq!(from(&b, 9), &[] as &[u8]);
    }

    #[test]
    fn reads_stop_at_the_end() {
        assert_eq!(u8_at(&B, 9), Err(Truncated));
        assert_eq!(be16(&B, 8), Err(Truncated));
        assert_eq!(be32(&B, 6), Err(Truncated));
        assert_eq!(be64(&B, 2), Err(Truncated));
        assert_eq!(le32(&B, usize::MAX), Err(Truncated));
        assert_eq!(be16(&[], 0), Err(Truncated));
        assert_eq!(slice(&B, 8, 2), Err(Truncated));
        assert_eq!(slice(&B, usize::MAX, 2), Err(Truncated));
        assert_eq!(slice(&B, 9, 0), Ok(&[][..]));
        assert_eq!(from(&B, 8), &[0x09]);
        assert_eq!(from(&B, 99), &[] as &[u8]);
        assert!(has(&B, 0, 9));
        assert!(!has(&B, 1, 9));
        assert!(!has(&B, usize::MAX, 1));
    }
}
