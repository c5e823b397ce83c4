//! UDP headers (RFC 768).

use super::bytes::{Result, Truncated, from};
use super::fixed;

/// A UDP header view.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

pub mod field {
    pub type Field = core::ops::Range<usize>;
    pub const SRC_PORT: Field = 0..2;
    pub const DST_PORT: Field = 2..4;
    pub const LENGTH: Field = 4..6;
    pub const CHECKSUM: Field = 6..8;
    pub const PAYLOAD: usize = 8;
}

pub const HEADER_LEN: usize = field::PAYLOAD;

impl<T: AsRef<[u8]>> Packet<T> {
    #[inline]
    /// Accepts the bytes if the 8-byte header is there; the length field
    /// is the caller's to judge.
    pub fn new_checked(buffer: T) -> Result<Self> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(Truncated);
        }
        Ok(Packet { buffer })
    }

    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }

    #[inline]
    fn u16(&self, f: field::Field) -> u16 {
        u16::from_be_bytes(fixed(self.buffer.as_ref(), f))
    }

    #[inline]
    pub fn src_port(&self) -> u16 {
        self.u16(field::SRC_PORT)
    }

    #[inline]
    pub fn dst_port(&self) -> u16 {
        self.u16(field::DST_PORT)
    }

    #[inline]
    /// The length field: header and data (0 in a jumbogram).
    pub fn length(&self) -> u16 {
        self.u16(field::LENGTH)
    }

    #[inline]
    pub fn checksum(&self) -> u16 {
        self.u16(field::CHECKSUM)
    }
}

impl<'a> Packet<&'a [u8]> {
    #[inline]
    /// The bytes after the header, up to the end of the buffer (not of the
    /// length field: Ethernet padding may follow).
    pub fn payload(&self) -> &'a [u8] {
        from(self.buffer, field::PAYLOAD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 51234 -> 8472, length 12, no checksum, 4 bytes of data.
    const DGRAM: [u8; 12] = [0xc8, 0x22, 0x21, 0x18, 0x00, 0x0c, 0x00, 0x00, 1, 2, 3, 4];

    #[test]
    fn fields() {
        let p = Packet::new_checked(&DGRAM[..]).unwrap();
        assert_eq!((p.src_port(), p.dst_port()), (51234, 8472));
        assert_eq!((p.length(), p.checksum()), (12, 0));
        assert_eq!(p.payload(), &[1, 2, 3, 4]);
        assert!(Packet::new_checked(&DGRAM[..7]).is_err());
    }
}
