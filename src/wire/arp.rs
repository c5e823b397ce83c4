//! ARP and RARP (RFC 826): a fixed 8-byte header, then sender and target
//! hardware and protocol addresses of the lengths it declares.

use super::bytes::{Result, Truncated};
use super::{EtherType, fixed};

/// An ARP packet view: `new_checked` vouches for the header and all four
/// addresses.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

pub mod field {
    pub type Field = core::ops::Range<usize>;
    pub const HTYPE: Field = 0..2;
    pub const PTYPE: Field = 2..4;
    pub const HLEN: usize = 4;
    pub const PLEN: usize = 5;
    pub const OPER: Field = 6..8;
    /// The sender hardware address; the others follow it.
    pub const SHA: usize = 8;
}

/// The fixed header, before the addresses.
pub const HEADER_LEN: usize = field::SHA;

impl<T: AsRef<[u8]>> Packet<T> {
    #[inline]
    /// Accepts the bytes if the header and the addresses it declares are
    /// all there.
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = Packet { buffer };
        let b = p.buffer.as_ref();
        if b.len() < HEADER_LEN || b.len() < p.total_len() {
            return Err(Truncated);
        }
        Ok(p)
    }

    #[inline]
    fn byte(&self, at: usize) -> u8 {
        let [b] = fixed(self.buffer.as_ref(), at);
        b
    }

    #[inline]
    /// Hardware type (1: Ethernet).
    pub fn htype(&self) -> u16 {
        u16::from_be_bytes(fixed(self.buffer.as_ref(), field::HTYPE))
    }

    #[inline]
    /// Protocol type, an EtherType.
    pub fn ptype(&self) -> EtherType {
        EtherType::from(u16::from_be_bytes(fixed(
            self.buffer.as_ref(),
            field::PTYPE,
        )))
    }

    #[inline]
    pub fn hlen(&self) -> usize {
        usize::from(self.byte(field::HLEN))
    }

    #[inline]
    pub fn plen(&self) -> usize {
        usize::from(self.byte(field::PLEN))
    }

    #[inline]
    /// Operation (1 request, 2 reply, 3/4 RARP, 8/9 InARP).
    pub fn oper(&self) -> u16 {
        u16::from_be_bytes(fixed(self.buffer.as_ref(), field::OPER))
    }

    #[inline]
    /// Header and addresses.
    pub fn total_len(&self) -> usize {
        HEADER_LEN + 2 * (self.hlen() + self.plen())
    }

    #[inline]
    /// Where each address starts: sender hardware, sender protocol,
    /// target hardware, target protocol.
    pub fn offsets(&self) -> [usize; 4] {
        let (h, p) = (self.hlen(), self.plen());
        let sha = field::SHA;
        [sha, sha + h, sha + h + p, sha + 2 * h + p]
    }
}

impl<'a> Packet<&'a [u8]> {
    #[inline]
    fn addr(&self, at: usize, len: usize) -> &'a [u8] {
        self.buffer.get(at..at + len).unwrap_or(&[])
    }

    #[inline]
    pub fn sha(&self) -> &'a [u8] {
        self.addr(self.offsets()[0], self.hlen())
    }

    #[inline]
    pub fn spa(&self) -> &'a [u8] {
        self.addr(self.offsets()[1], self.plen())
    }

    #[inline]
    pub fn tha(&self) -> &'a [u8] {
        self.addr(self.offsets()[2], self.hlen())
    }

    #[inline]
    pub fn tpa(&self) -> &'a [u8] {
        self.addr(self.offsets()[3], self.plen())
    }

    #[inline]
    /// Header and addresses, without what follows (Ethernet padding).
    pub fn packet(&self) -> &'a [u8] {
        self.buffer.get(..self.total_len()).unwrap_or(self.buffer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 10.77.0.1 (02:00:00:00:00:0a) asks who has 10.77.0.2; 2 bytes of
    // padding after it.
    const REQUEST: [u8; 30] = [
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, // Ethernet, IPv4, 6, 4, request
        0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x0a, 0x4d, 0x00, 0x01, // sender
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x4d, 0x00, 0x02, // target
        0xee, 0xee,
    ];

    #[test]
    fn fields_and_addresses() {
        let p = Packet::new_checked(&REQUEST[..]).unwrap();
        assert_eq!((p.htype(), p.ptype(), p.oper()), (1, EtherType::Ipv4, 1));
        assert_eq!((p.hlen(), p.plen(), p.total_len()), (6, 4, 28));
        assert_eq!(p.offsets(), [8, 14, 18, 24]);
        assert_eq!(p.sha(), &[2, 0, 0, 0, 0, 0x0a]);
        assert_eq!(p.spa(), &[10, 77, 0, 1]);
        assert_eq!(p.tha(), &[0; 6]);
        assert_eq!(p.tpa(), &[10, 77, 0, 2]);
        assert_eq!(p.packet(), &REQUEST[..28]);
    }

    #[test]
    fn addresses_must_all_be_there() {
        assert!(Packet::new_checked(&REQUEST[..27]).is_err());
        assert!(Packet::new_checked(&REQUEST[..7]).is_err());
        let mut long = REQUEST;
        long[4] = 255; // hardware addresses of 255 bytes
        assert!(Packet::new_checked(&long[..]).is_err());
    }
}
