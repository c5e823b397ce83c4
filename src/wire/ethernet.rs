//! Ethernet II frames and the 802.1Q / 802.1ad tags that may follow the
//! source address.

use super::bytes::{Result, Truncated, array, from};
use super::{EtherType, fixed};

/// An Ethernet II header view: addresses and EtherType (or, up to 1500,
/// an 802.3 length).
#[derive(Debug, Clone, Copy)]
pub struct Frame<T: AsRef<[u8]>> {
    buffer: T,
}

pub mod field {
    pub type Field = core::ops::Range<usize>;
    pub const DESTINATION: Field = 0..6;
    pub const SOURCE: Field = 6..12;
    pub const ETHERTYPE: Field = 12..14;
    pub const PAYLOAD: usize = 14;
}

/// The fixed header: two addresses and the EtherType.
pub const HEADER_LEN: usize = field::PAYLOAD;

/// Type/length values up to this are 802.3 lengths, not EtherTypes.
pub const MAX_LENGTH: u16 = 1500;

impl<T: AsRef<[u8]>> Frame<T> {
    #[inline]
    /// Accepts the bytes if the whole 14-byte header is there.
    pub fn new_checked(buffer: T) -> Result<Self> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(Truncated);
        }
        Ok(Frame { buffer })
    }

    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }

    #[inline]
    pub fn dst_addr(&self) -> [u8; 6] {
        fixed(self.buffer.as_ref(), field::DESTINATION)
    }

    #[inline]
    pub fn src_addr(&self) -> [u8; 6] {
        fixed(self.buffer.as_ref(), field::SOURCE)
    }

    #[inline]
    /// The type/length field as read: an EtherType above [`MAX_LENGTH`].
    pub fn ethertype(&self) -> EtherType {
        EtherType::from(u16::from_be_bytes(fixed(
            self.buffer.as_ref(),
            field::ETHERTYPE,
        )))
    }
}

impl<'a> Frame<&'a [u8]> {
    #[inline]
    /// What follows the header (tags included), for as long as the bytes.
    pub fn payload(&self) -> &'a [u8] {
        from(self.buffer, field::PAYLOAD)
    }
}

/// An 802.1Q (or 802.1ad, QinQ) tag view: the 4 bytes after a VLAN
/// EtherType, whose own EtherType says what follows.
#[derive(Debug, Clone, Copy)]
pub struct VlanTag<T: AsRef<[u8]>> {
    buffer: T,
}

pub mod vlan_field {
    pub type Field = core::ops::Range<usize>;
    pub const TCI: Field = 0..2;
    pub const ETHERTYPE: Field = 2..4;
    pub const PAYLOAD: usize = 4;
}

/// One tag: TCI and the inner EtherType.
pub const VLAN_TAG_LEN: usize = vlan_field::PAYLOAD;

impl<T: AsRef<[u8]>> VlanTag<T> {
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self> {
        if buffer.as_ref().len() < VLAN_TAG_LEN {
            return Err(Truncated);
        }
        Ok(VlanTag { buffer })
    }

    #[inline]
    /// Tag control information: priority (3 bits), DEI, VLAN id (12 bits).
    pub fn tci(&self) -> u16 {
        u16::from_be_bytes(fixed(self.buffer.as_ref(), vlan_field::TCI))
    }

    #[inline]
    pub fn vid(&self) -> u16 {
        self.tci() & 0x0fff
    }

    #[inline]
    pub fn pcp(&self) -> u8 {
        (self.tci() >> 13) as u8
    }

    #[inline]
    /// Drop eligible indicator (was CFI).
    pub fn dei(&self) -> bool {
        self.tci() & 0x1000 != 0
    }

    #[inline]
    pub fn ethertype(&self) -> EtherType {
        EtherType::from(u16::from_be_bytes(fixed(
            self.buffer.as_ref(),
            vlan_field::ETHERTYPE,
        )))
    }
}

impl<'a> VlanTag<&'a [u8]> {
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        from(self.buffer, vlan_field::PAYLOAD)
    }
}

/// The EtherType at `at` (a frame's, or a tag's inner one), for walks that
/// must see exactly where the bytes end.
pub fn ethertype_at(b: &[u8], at: usize) -> Result<EtherType> {
    array(b, at).map(|a| EtherType::from(u16::from_be_bytes(a)))
}

#[cfg(test)]
mod tests {
    use super::*;

    // 02:00:00:00:00:0a -> ff:ff:ff:ff:ff:ff, 802.1Q vid 100 priority 5
    // with DEI, then IPv4.
    const TAGGED: [u8; 20] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // destination
        0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, // source
        0x81, 0x00, // 802.1Q
        0xb0, 0x64, // pcp 5, DEI, vid 100
        0x08, 0x00, // IPv4
        0x45, 0x00,
    ];

    #[test]
    fn frame_and_tag() {
        let f = Frame::new_checked(&TAGGED[..]).unwrap();
        assert_eq!(f.dst_addr(), [0xff; 6]);
        assert_eq!(f.src_addr(), [2, 0, 0, 0, 0, 0x0a]);
        assert_eq!(f.ethertype(), EtherType::Vlan);
        assert!(f.ethertype().is_vlan_tag());
        let t = VlanTag::new_checked(f.payload()).unwrap();
        assert_eq!((t.vid(), t.pcp(), t.dei()), (100, 5, true));
        assert_eq!(t.tci(), 0xb064);
        assert_eq!(t.ethertype(), EtherType::Ipv4);
        assert_eq!(t.payload(), &[0x45, 0x00]);
        assert_eq!(ethertype_at(&TAGGED, 16), Ok(EtherType::Ipv4));
        assert_eq!(ethertype_at(&TAGGED, 19), Err(Truncated));
    }

    #[test]
    fn short_headers_are_refused() {
        assert_eq!(Frame::new_checked(&TAGGED[..13]).err(), Some(Truncated));
        assert_eq!(Frame::new_checked(&TAGGED[..14]).unwrap().payload(), &[]);
        assert!(VlanTag::new_checked(&TAGGED[14..17]).is_err());
    }
}
