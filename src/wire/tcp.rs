//! TCP headers (RFC 9293): the fixed part; options are walked by their
//! readers.

use super::bytes::{Result, Truncated, from};
use super::fixed;

/// A TCP header view.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

pub mod field {
    pub type Field = core::ops::Range<usize>;
    pub const SRC_PORT: Field = 0..2;
    pub const DST_PORT: Field = 2..4;
    pub const SEQ_NUM: Field = 4..8;
    pub const ACK_NUM: Field = 8..12;
    /// Data offset in 4-byte words (high 4 bits).
    pub const DATA_OFF: usize = 12;
    pub const FLAGS: usize = 13;
    pub const WIN_SIZE: Field = 14..16;
    pub const CHECKSUM: Field = 16..18;
    pub const URGENT: Field = 18..20;
    pub const OPTIONS: usize = 20;
}

/// The fixed header, without options.
pub const HEADER_LEN: usize = field::OPTIONS;

/// Bits of the flags byte.
pub mod flags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
    pub const URG: u8 = 0x20;
    pub const ECE: u8 = 0x40;
    pub const CWR: u8 = 0x80;
}

impl<T: AsRef<[u8]>> Packet<T> {
    #[inline]
    /// Accepts the bytes if the 20-byte fixed header is there; the data
    /// offset is the caller's to judge.
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
    fn u32(&self, f: field::Field) -> u32 {
        u32::from_be_bytes(fixed(self.buffer.as_ref(), f))
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
    pub fn seq_number(&self) -> u32 {
        self.u32(field::SEQ_NUM)
    }

    #[inline]
    pub fn ack_number(&self) -> u32 {
        self.u32(field::ACK_NUM)
    }

    #[inline]
    /// The header length in bytes, options included (data offset times 4).
    pub fn header_len(&self) -> usize {
        let [b] = fixed(self.buffer.as_ref(), field::DATA_OFF);
        usize::from(b >> 4) * 4
    }

    #[inline]
    /// The flags byte (bits in [`flags`]).
    pub fn flags(&self) -> u8 {
        let [b] = fixed(self.buffer.as_ref(), field::FLAGS);
        b
    }

    #[inline]
    pub fn window_len(&self) -> u16 {
        self.u16(field::WIN_SIZE)
    }

    #[inline]
    pub fn checksum(&self) -> u16 {
        self.u16(field::CHECKSUM)
    }

    #[inline]
    pub fn urgent_at(&self) -> u16 {
        self.u16(field::URGENT)
    }
}

impl<'a> Packet<&'a [u8]> {
    #[inline]
    /// The option bytes the data offset claims, as far as they were
    /// captured (a data offset under 5 gives none).
    pub fn options(&self) -> &'a [u8] {
        let end = self.header_len().clamp(HEADER_LEN, self.buffer.len());
        self.buffer.get(HEADER_LEN..end).unwrap_or(&[])
    }

    #[inline]
    /// The bytes after the header and its options (from byte 20 when the
    /// data offset is under 5).
    pub fn payload(&self) -> &'a [u8] {
        from(self.buffer, self.header_len().max(HEADER_LEN))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 40000 -> 8080, seq 0x10000000, ack 0x20000000, data offset 6 (one
    // MSS option), PSH|ACK, window 502, then 2 bytes of data.
    const SEG: [u8; 26] = [
        0x9c, 0x40, 0x1f, 0x90, // ports
        0x10, 0x00, 0x00, 0x00, // seq
        0x20, 0x00, 0x00, 0x00, // ack
        0x60, 0x18, 0x01, 0xf6, // offset 6, PSH|ACK, window
        0xab, 0xcd, 0x00, 0x00, // checksum, urgent
        0x02, 0x04, 0x05, 0xb4, // MSS 1460
        b'h', b'i',
    ];

    #[test]
    fn fields() {
        let p = Packet::new_checked(&SEG[..]).unwrap();
        assert_eq!((p.src_port(), p.dst_port()), (40000, 8080));
        assert_eq!((p.seq_number(), p.ack_number()), (0x1000_0000, 0x2000_0000));
        assert_eq!(p.header_len(), 24);
        assert_eq!(p.flags(), flags::PSH | flags::ACK);
        assert_eq!(
            (p.window_len(), p.checksum(), p.urgent_at()),
            (502, 0xabcd, 0)
        );
        assert_eq!(p.options(), &[0x02, 0x04, 0x05, 0xb4]);
        assert_eq!(p.payload(), b"hi");
    }

    #[test]
    fn bad_data_offsets_never_slice_out_of_bounds() {
        let mut b = SEG;
        b[12] = 0x20; // 8 bytes: less than the fixed header
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(p.options(), &[]);
        assert_eq!(p.payload(), &SEG[20..]);
        b[12] = 0xf0; // 60 bytes, 26 there
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(p.options(), &SEG[20..]);
        assert_eq!(p.payload(), &[]);
        assert!(Packet::new_checked(&SEG[..19]).is_err());
    }
}
