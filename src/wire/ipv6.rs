//! IPv6 headers (RFC 8200) and the layouts of the extension headers
//! podcap walks past.

use super::bytes::{Result, Truncated, from};
use super::{IpProto, fixed};
use std::net::Ipv6Addr;

/// An IPv6 fixed header view.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

pub mod field {
    pub type Field = core::ops::Range<usize>;
    /// Version (4 bits), traffic class (8), flow label (20).
    pub const VER_TC_FLOW: Field = 0..4;
    pub const LENGTH: Field = 4..6;
    pub const NXT_HDR: usize = 6;
    pub const HOP_LIMIT: usize = 7;
    pub const SRC_ADDR: Field = 8..24;
    pub const DST_ADDR: Field = 24..40;
    /// Source and destination, what the transport pseudo-header takes.
    pub const ADDRS: Field = 8..40;
    pub const PAYLOAD: usize = 40;
}

/// The fixed header.
pub const HEADER_LEN: usize = field::PAYLOAD;

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
    fn word0(&self) -> u32 {
        u32::from_be_bytes(fixed(self.buffer.as_ref(), field::VER_TC_FLOW))
    }

    #[inline]
    pub fn version(&self) -> u8 {
        (self.word0() >> 28) as u8
    }

    #[inline]
    pub fn traffic_class(&self) -> u8 {
        (self.word0() >> 20) as u8
    }

    #[inline]
    pub fn flow_label(&self) -> u32 {
        self.word0() & 0x000f_ffff
    }

    #[inline]
    /// The payload length field (0 in a jumbogram or a BIG TCP packet).
    pub fn payload_len(&self) -> u16 {
        u16::from_be_bytes(fixed(self.buffer.as_ref(), field::LENGTH))
    }

    #[inline]
    pub fn next_header(&self) -> IpProto {
        let [b] = fixed(self.buffer.as_ref(), field::NXT_HDR);
        IpProto::from(b)
    }

    #[inline]
    pub fn hop_limit(&self) -> u8 {
        let [b] = fixed(self.buffer.as_ref(), field::HOP_LIMIT);
        b
    }

    #[inline]
    pub fn src_addr(&self) -> Ipv6Addr {
        Ipv6Addr::from(fixed::<16>(self.buffer.as_ref(), field::SRC_ADDR))
    }

    #[inline]
    pub fn dst_addr(&self) -> Ipv6Addr {
        Ipv6Addr::from(fixed::<16>(self.buffer.as_ref(), field::DST_ADDR))
    }

    #[inline]
    /// Source then destination address, as the pseudo-header holds them.
    pub fn addrs(&self) -> [u8; 32] {
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
    /// What follows the fixed header: extension headers, then the
    /// transport.
    pub fn payload(&self) -> &'a [u8] {
        from(self.buffer, field::PAYLOAD)
    }
}

/// The two bytes every extension header but the fragment header starts
/// with (hop-by-hop, routing, destination options, AH).
pub mod ext_field {
    pub const NXT_HDR: usize = 0;
    /// Hop-by-hop, routing, destination options: 8-byte units after the
    /// first 8. AH: 4-byte units, minus 2.
    pub const LENGTH: usize = 1;
}

/// The fragment header (8 bytes).
pub mod frag_field {
    pub type Field = core::ops::Range<usize>;
    pub const NXT_HDR: usize = 0;
    /// Offset in 8-byte units (high 13 bits), 2 reserved bits, M flag.
    pub const FRAG_OFF: Field = 2..4;
    pub const IDENT: Field = 4..8;
    pub const LEN: usize = 8;
}

/// The offset bits of the fragment header's [`frag_field::FRAG_OFF`]: the
/// offset in bytes, already a multiple of 8.
pub const FRAG_OFFSET: u16 = 0xfff8;
/// More fragments follow.
pub const FRAG_MORE: u16 = 0x0001;

/// The length of the extension header `proto` whose length byte is
/// `len`, for the headers measured from their length byte; `None` for the
/// others (fragment: always [`frag_field::LEN`]).
pub fn ext_header_len(proto: IpProto, len: u8) -> Option<usize> {
    match proto {
        IpProto::HopByHop | IpProto::Routing | IpProto::DstOpts => Some((usize::from(len) + 1) * 8),
        IpProto::Ah => Some((usize::from(len) + 2) * 4),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // fd77::1 -> fd77::2, class 0xb8, flow 0x12345, UDP, hop limit 64,
    // payload 8 bytes.
    const UDP6: [u8; 42] = [
        0x6b, 0x81, 0x23, 0x45, // version, class, flow label
        0x00, 0x08, 0x11, 0x40, // payload length, UDP, hop limit
        0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, //
        0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, //
        0x9c, 0x40,
    ];

    #[test]
    fn fields() {
        let p = Packet::new_checked(&UDP6[..]).unwrap();
        assert_eq!(p.version(), 6);
        assert_eq!(p.traffic_class(), 0xb8);
        assert_eq!(p.flow_label(), 0x1_2345);
        assert_eq!(p.payload_len(), 8);
        assert_eq!(p.next_header(), IpProto::Udp);
        assert_eq!(p.hop_limit(), 64);
        assert_eq!(p.src_addr(), "fd77::1".parse::<Ipv6Addr>().unwrap());
        assert_eq!(p.dst_addr(), "fd77::2".parse::<Ipv6Addr>().unwrap());
        assert_eq!(&p.addrs()[..16], &UDP6[8..24]);
        assert_eq!(p.header(), &UDP6[..40]);
        assert_eq!(p.payload(), &[0x9c, 0x40]);
        assert!(Packet::new_checked(&UDP6[..39]).is_err());
    }

    #[test]
    fn extension_lengths() {
        assert_eq!(ext_header_len(IpProto::HopByHop, 0), Some(8));
        assert_eq!(ext_header_len(IpProto::Routing, 2), Some(24));
        assert_eq!(ext_header_len(IpProto::DstOpts, 255), Some(2048));
        assert_eq!(ext_header_len(IpProto::Ah, 4), Some(24));
        assert_eq!(ext_header_len(IpProto::Fragment, 0), None);
        assert_eq!(ext_header_len(IpProto::Tcp, 0), None);
    }
}
