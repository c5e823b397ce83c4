//! IPv4 headers (RFC 791).

use super::bytes::{Result, Truncated, from};
use super::{IpProto, fixed};
use std::net::Ipv4Addr;

/// An IPv4 header view. `new_checked` vouches for the 20-byte fixed
/// header only: the header length, the total length and the options are
/// for the caller to judge, as printers and the path follower each react
/// to bad ones in their own way.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

pub mod field {
    pub type Field = core::ops::Range<usize>;
    pub const VER_IHL: usize = 0;
    pub const TOS: usize = 1;
    pub const LENGTH: Field = 2..4;
    pub const IDENT: Field = 4..6;
    pub const FLG_OFF: Field = 6..8;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: Field = 10..12;
    pub const SRC_ADDR: Field = 12..16;
    pub const DST_ADDR: Field = 16..20;
    /// Source and destination, what the transport pseudo-header takes.
    pub const ADDRS: Field = 12..20;
    pub const OPTIONS: usize = 20;
}

/// The fixed header, without options.
pub const HEADER_LEN: usize = field::OPTIONS;

/// Bits of the flags-and-fragment-offset field.
pub mod flg {
    /// Reserved ("evil") bit.
    pub const RESERVED: u16 = 0x8000;
    pub const DONT_FRAG: u16 = 0x4000;
    pub const MORE_FRAGS: u16 = 0x2000;
    /// The fragment offset, in 8-byte units.
    pub const OFFSET: u16 = 0x1fff;
}

impl<T: AsRef<[u8]>> Packet<T> {
    #[inline]
    /// Accepts the bytes if the fixed header is there; the version is not
    /// checked (see [`Packet::version`]).
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
    fn u16(&self, f: field::Field) -> u16 {
        u16::from_be_bytes(fixed(self.buffer.as_ref(), f))
    }

    #[inline]
    pub fn version(&self) -> u8 {
        self.byte(field::VER_IHL) >> 4
    }

    #[inline]
    /// The header length in bytes, options included (IHL times 4).
    pub fn header_len(&self) -> usize {
        usize::from(self.byte(field::VER_IHL) & 0x0f) * 4
    }

    #[inline]
    /// Type of service: DSCP and, in the low 2 bits, ECN.
    pub fn tos(&self) -> u8 {
        self.byte(field::TOS)
    }

    #[inline]
    /// The total length field (0 in a TSO super-packet too big for it).
    pub fn total_len(&self) -> u16 {
        self.u16(field::LENGTH)
    }

    #[inline]
    pub fn ident(&self) -> u16 {
        self.u16(field::IDENT)
    }

    #[inline]
    /// The flags and fragment offset as one field (bits in [`flg`]).
    pub fn flags_frag(&self) -> u16 {
        self.u16(field::FLG_OFF)
    }

    #[inline]
    pub fn more_frags(&self) -> bool {
        self.flags_frag() & flg::MORE_FRAGS != 0
    }

    #[inline]
    /// The fragment offset in bytes.
    pub fn frag_offset(&self) -> u16 {
        (self.flags_frag() & flg::OFFSET) * 8
    }

    #[inline]
    pub fn ttl(&self) -> u8 {
        self.byte(field::TTL)
    }

    #[inline]
    pub fn protocol(&self) -> IpProto {
        IpProto::from(self.byte(field::PROTOCOL))
    }

    #[inline]
    pub fn checksum(&self) -> u16 {
        self.u16(field::CHECKSUM)
    }

    #[inline]
    pub fn src_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(fixed::<4>(self.buffer.as_ref(), field::SRC_ADDR))
    }

    #[inline]
    pub fn dst_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(fixed::<4>(self.buffer.as_ref(), field::DST_ADDR))
    }

    #[inline]
    /// Source then destination address, as the pseudo-header holds them.
    pub fn addrs(&self) -> [u8; 8] {
        fixed(self.buffer.as_ref(), field::ADDRS)
    }
}

impl<'a> Packet<&'a [u8]> {
    #[inline]
    /// The fixed header's bytes.
    pub fn header(&self) -> &'a [u8] {
        self.buffer.get(..HEADER_LEN).unwrap_or(self.buffer)
    }

    #[inline]
    /// The bytes after the header (as long as [`Packet::header_len`]
    /// says), empty if the header claims more than there is.
    pub fn payload(&self) -> &'a [u8] {
        from(self.buffer, self.header_len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 10.244.0.21 -> 10.244.1.5, ICMP, id 0x1c46, DF, TTL 64, 84 bytes.
    const ECHO: [u8; 22] = [
        0x45, 0x00, 0x00, 0x54, // version 4, IHL 5, tos 0, length 84
        0x1c, 0x46, 0x40, 0x00, // id, DF
        0x40, 0x01, 0xf0, 0x2e, // TTL 64, ICMP, checksum
        0x0a, 0xf4, 0x00, 0x15, // source
        0x0a, 0xf4, 0x01, 0x05, // destination
        0x08, 0x00, // ICMP echo request...
    ];

    #[test]
    fn fields() {
        let p = Packet::new_checked(&ECHO[..]).unwrap();
        assert_eq!((p.version(), p.header_len(), p.tos()), (4, 20, 0));
        assert_eq!((p.total_len(), p.ident(), p.ttl()), (84, 0x1c46, 64));
        assert_eq!(p.flags_frag(), flg::DONT_FRAG);
        assert!(!p.more_frags());
        assert_eq!(p.frag_offset(), 0);
        assert_eq!(p.protocol(), IpProto::Icmp);
        assert_eq!(p.checksum(), 0xf02e);
        assert_eq!(p.src_addr(), Ipv4Addr::new(10, 244, 0, 21));
        assert_eq!(p.dst_addr(), Ipv4Addr::new(10, 244, 1, 5));
        assert_eq!(p.addrs(), [10, 244, 0, 21, 10, 244, 1, 5]);
        assert_eq!(p.header(), &ECHO[..20]);
        assert_eq!(p.payload(), &[0x08, 0x00]);
    }

    #[test]
    fn fragment_and_bad_lengths() {
        let mut b = ECHO;
        b[6] = 0x20; // MF, offset 185 * 8
        b[7] = 0xb9;
        let p = Packet::new_checked(&b[..]).unwrap();
        assert!(p.more_frags());
        assert_eq!(p.frag_offset(), 1480);
        // IHL 15: 60 bytes claimed, 22 there: no payload, no panic.
        b[0] = 0x4f;
        assert_eq!(Packet::new_checked(&b[..]).unwrap().payload(), &[]);
        assert!(Packet::new_checked(&ECHO[..19]).is_err());
    }
}
