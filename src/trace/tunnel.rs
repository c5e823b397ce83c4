//! The two UDP tunnel headers whose inner frame a pod's packet hides in on
//! the underlay: VXLAN (RFC 7348; Flannel on 8472, the IANA port 4789,
//! Cilium's default) and Geneve (RFC 8926; Cilium, OVN on 6081).
//!
//! Views in the smoltcp `wire` style: `Packet<T>` over the bytes after the
//! UDP header, `new_checked` that refuses what is too short or not that
//! protocol, and a `Repr` for what the rest of podcap needs.

/// VXLAN header view.
#[derive(Debug, Clone)]
pub struct VxlanPacket<T: AsRef<[u8]>> {
    buffer: T,
}

mod vxlan_field {
    use core::ops::Range;
    pub const FLAGS: usize = 0;
    pub const VNI: Range<usize> = 4..7;
    pub const PAYLOAD: usize = 8;
}

/// The I flag: the VNI field is valid. RFC 7348 requires it set.
const VXLAN_FLAG_I: u8 = 0x08;

/// VXLAN header length.
pub const VXLAN_HEADER_LEN: usize = vxlan_field::PAYLOAD;

impl<T: AsRef<[u8]>> VxlanPacket<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        VxlanPacket { buffer }
    }

    /// Accepts the bytes only if they hold a whole VXLAN header with the I
    /// flag set and at least an Ethernet header after it: a UDP datagram
    /// on port 8472 that is not VXLAN must not be decoded as one.
    pub fn new_checked(buffer: T) -> Option<Self> {
        let b = buffer.as_ref();
        if b.len() < vxlan_field::PAYLOAD + 14 || b[vxlan_field::FLAGS] & VXLAN_FLAG_I == 0 {
            return None;
        }
        Some(VxlanPacket { buffer })
    }

    pub fn vni(&self) -> u32 {
        let b = &self.buffer.as_ref()[vxlan_field::VNI];
        u32::from_be_bytes([0, b[0], b[1], b[2]])
    }

    /// The inner Ethernet frame.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[vxlan_field::PAYLOAD..]
    }
}

impl<'a> VxlanPacket<&'a [u8]> {
    /// The inner Ethernet frame, borrowed for as long as the bytes.
    pub fn inner(&self) -> &'a [u8] {
        &self.buffer[vxlan_field::PAYLOAD..]
    }
}

/// What a VXLAN header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VxlanRepr {
    pub vni: u32,
}

impl VxlanRepr {
    pub fn parse<T: AsRef<[u8]>>(p: &VxlanPacket<T>) -> Self {
        VxlanRepr { vni: p.vni() }
    }

    /// Writes the 8-byte header into `buf` (at least [`VXLAN_HEADER_LEN`]).
    pub fn emit(&self, buf: &mut [u8]) {
        buf[..VXLAN_HEADER_LEN].fill(0);
        buf[vxlan_field::FLAGS] = VXLAN_FLAG_I;
        let v = self.vni.to_be_bytes();
        buf[vxlan_field::VNI].copy_from_slice(&v[1..4]);
    }
}

/// Geneve header view.
#[derive(Debug, Clone)]
pub struct GenevePacket<T: AsRef<[u8]>> {
    buffer: T,
}

mod geneve_field {
    use core::ops::Range;
    pub const VER_OPTLEN: usize = 0;
    pub const PROTOCOL: Range<usize> = 2..4;
    pub const VNI: Range<usize> = 4..7;
    pub const OPTIONS: usize = 8;
}

/// Geneve's protocol type for an Ethernet payload (Transparent Ethernet
/// Bridging); Geneve can also carry bare IP, which podcap does not follow.
const ETH_P_TEB: u16 = 0x6558;

impl<T: AsRef<[u8]>> GenevePacket<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        GenevePacket { buffer }
    }

    /// Accepts version 0 headers carrying Ethernet whose options fit.
    pub fn new_checked(buffer: T) -> Option<Self> {
        let b = buffer.as_ref();
        if b.len() < geneve_field::OPTIONS {
            return None;
        }
        let p = GenevePacket { buffer };
        let ok = p.version() == 0
            && p.protocol() == ETH_P_TEB
            && p.buffer.as_ref().len() >= p.header_len() + 14;
        ok.then_some(p)
    }

    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[geneve_field::VER_OPTLEN] >> 6
    }

    pub fn protocol(&self) -> u16 {
        let b = &self.buffer.as_ref()[geneve_field::PROTOCOL];
        u16::from_be_bytes([b[0], b[1]])
    }

    pub fn vni(&self) -> u32 {
        let b = &self.buffer.as_ref()[geneve_field::VNI];
        u32::from_be_bytes([0, b[0], b[1], b[2]])
    }

    /// Fixed header plus options (the option length counts 4-byte words).
    pub fn header_len(&self) -> usize {
        geneve_field::OPTIONS
            + usize::from(self.buffer.as_ref()[geneve_field::VER_OPTLEN] & 0x3f) * 4
    }

    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }
}

impl<'a> GenevePacket<&'a [u8]> {
    /// The inner Ethernet frame, borrowed for as long as the bytes.
    pub fn inner(&self) -> &'a [u8] {
        &self.buffer[self.header_len()..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vxlan_round_trip() {
        let mut buf = [0u8; 8 + 14];
        VxlanRepr { vni: 0x01_02_03 }.emit(&mut buf);
        assert_eq!(&buf[..8], &[0x08, 0, 0, 0, 0x01, 0x02, 0x03, 0]);
        let p = VxlanPacket::new_checked(&buf[..]).unwrap();
        assert_eq!(VxlanRepr::parse(&p), VxlanRepr { vni: 0x010203 });
        assert_eq!(p.payload().len(), 14);
    }

    #[test]
    fn vxlan_refuses_short_or_without_i_flag() {
        assert!(VxlanPacket::new_checked(&[0x08u8, 0, 0, 0, 0, 0, 1, 0][..]).is_none());
        let mut buf = [0u8; 8 + 14];
        VxlanRepr { vni: 1 }.emit(&mut buf);
        buf[0] = 0;
        assert!(VxlanPacket::new_checked(&buf[..]).is_none());
    }

    #[test]
    fn geneve_skips_options() {
        // Version 0, 2 option words, protocol TEB, VNI 7, then 8 bytes of
        // options, then a 14-byte Ethernet header.
        let mut buf = vec![0x02, 0x00, 0x65, 0x58, 0, 0, 7, 0];
        buf.extend_from_slice(&[0xaa; 8]);
        buf.extend_from_slice(&[0xbb; 14]);
        let p = GenevePacket::new_checked(&buf[..]).unwrap();
        assert_eq!(p.vni(), 7);
        assert_eq!(p.header_len(), 16);
        assert_eq!(p.payload(), &[0xbb; 14]);
        // Options longer than the packet: refused, never sliced past the end.
        buf[0] = 0x3f;
        assert!(GenevePacket::new_checked(&buf[..]).is_none());
        // Not Ethernet inside.
        buf[0] = 0x02;
        buf[2] = 0x08;
        buf[3] = 0x00;
        assert!(GenevePacket::new_checked(&buf[..]).is_none());
    }
}
