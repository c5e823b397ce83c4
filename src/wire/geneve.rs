//! Geneve (RFC 8926; Cilium, OVN on port 6081): an 8-byte header and up
//! to 252 bytes of options in front of the carried protocol.

use super::bytes::{Result, Truncated, from};
use super::{EtherType, fixed};

/// A Geneve header view.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

pub mod field {
    pub type Field = core::ops::Range<usize>;
    /// Version (2 bits) and options length in 4-byte words (6 bits).
    pub const VER_OPT_LEN: usize = 0;
    /// O (control), C (critical options) and 6 reserved bits.
    pub const FLAGS: usize = 1;
    pub const PROTOCOL: Field = 2..4;
    pub const VNI: Field = 4..7;
    pub const RESERVED: usize = 7;
    pub const OPTIONS: usize = 8;
}

/// The fixed header, without options.
pub const HEADER_LEN: usize = field::OPTIONS;

/// One option's header (class, type, length in 4-byte words after it).
pub mod option_field {
    pub type Field = core::ops::Range<usize>;
    pub const CLASS: Field = 0..2;
    pub const TYPE: usize = 2;
    /// 3 reserved bits, then the data length in 4-byte words (5 bits).
    pub const LENGTH: usize = 3;
    pub const DATA: usize = 4;
}

impl<T: AsRef<[u8]>> Packet<T> {
    #[inline]
    /// Accepts the bytes if the fixed header is there; the options may
    /// still be cut ([`Packet::options`] says).
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
    fn byte(&self, at: usize) -> u8 {
        let [b] = fixed(self.buffer.as_ref(), at);
        b
    }

    #[inline]
    pub fn version(&self) -> u8 {
        self.byte(field::VER_OPT_LEN) >> 6
    }

    #[inline]
    /// The options' length in bytes.
    pub fn options_len(&self) -> usize {
        usize::from(self.byte(field::VER_OPT_LEN) & 0x3f) * 4
    }

    #[inline]
    /// Fixed header plus options.
    pub fn header_len(&self) -> usize {
        HEADER_LEN + self.options_len()
    }

    #[inline]
    pub fn flags(&self) -> u8 {
        self.byte(field::FLAGS)
    }

    #[inline]
    /// What the payload is; Ethernet ([`EtherType::Teb`]) for the overlays
    /// podcap follows.
    pub fn protocol(&self) -> EtherType {
        EtherType::from(u16::from_be_bytes(fixed(
            self.buffer.as_ref(),
            field::PROTOCOL,
        )))
    }

    #[inline]
    pub fn vni(&self) -> u32 {
        let [x, y, z] = fixed(self.buffer.as_ref(), field::VNI);
        u32::from_be_bytes([0, x, y, z])
    }

    #[inline]
    pub fn reserved(&self) -> u8 {
        self.byte(field::RESERVED)
    }
}

impl<'a> Packet<&'a [u8]> {
    #[inline]
    /// The option bytes, if all were captured.
    pub fn options(&self) -> Result<&'a [u8]> {
        self.buffer
            .get(HEADER_LEN..self.header_len())
            .ok_or(Truncated)
    }

    #[inline]
    /// What follows the options, if all options were captured.
    pub fn payload(&self) -> Result<&'a [u8]> {
        self.buffer.get(self.header_len()..).ok_or(Truncated)
    }

    #[inline]
    /// What follows the options, empty if they were cut.
    pub fn payload_or_empty(&self) -> &'a [u8] {
        from(self.buffer, self.header_len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Version 0, 2 option words, no flags, Ethernet, VNI 7, one 8-byte
    // option (class 0x0104, type 0x80, 1 data word), then 2 bytes.
    const GENEVE: [u8; 18] = [
        0x02, 0x00, 0x65, 0x58, 0x00, 0x00, 0x07, 0x00, // header
        0x01, 0x04, 0x80, 0x01, 0xde, 0xad, 0xbe, 0xef, // option
        0xbb, 0xbb,
    ];

    #[test]
    fn fields_and_options() {
        let p = Packet::new_checked(&GENEVE[..]).unwrap();
        assert_eq!((p.version(), p.flags(), p.reserved()), (0, 0, 0));
        assert_eq!(p.protocol(), EtherType::Teb);
        assert_eq!(p.vni(), 7);
        assert_eq!((p.options_len(), p.header_len()), (8, 16));
        assert_eq!(p.options(), Ok(&GENEVE[8..16]));
        assert_eq!(p.payload(), Ok(&[0xbb, 0xbb][..]));
    }

    #[test]
    fn options_longer_than_the_bytes() {
        let mut b = GENEVE;
        b[0] = 0x3f; // 252 bytes of options
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(p.options(), Err(Truncated));
        assert_eq!(p.payload(), Err(Truncated));
        assert_eq!(p.payload_or_empty(), &[]);
        assert!(Packet::new_checked(&b[..7]).is_err());
    }
}
