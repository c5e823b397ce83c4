//! The Linux cooked headers (LINUX_SLL, LINUX_SLL2) that `-i any`
//! captures start with instead of a link header: what the kernel knew
//! about the packet (direction, interface, link address, protocol).
//! Big-endian by definition, whatever the host.

use super::bytes::{Result, Truncated};
use super::fixed;

/// The protocol field's value for an 802.3 frame without 802.2 LLC
/// (Novell's raw IPX), Linux's `ETH_P_802_3`.
pub const P_802_3: u16 = 1;
/// The protocol field's value for an 802.2 LLC frame, `ETH_P_802_2`.
pub const P_802_2: u16 = 4;

/// The LINUX_SLL (v1) cooked header, 16 bytes.
#[derive(Debug, Clone, Copy)]
pub struct Sll<T: AsRef<[u8]>> {
    buffer: T,
}

pub mod sll_field {
    pub type Field = core::ops::Range<usize>;
    pub const PKTTYPE: Field = 0..2;
    pub const HATYPE: Field = 2..4;
    pub const HALEN: Field = 4..6;
    pub const ADDR: Field = 6..14;
    pub const PROTOCOL: Field = 14..16;
    pub const PAYLOAD: usize = 16;
}

impl<T: AsRef<[u8]>> Sll<T> {
    pub const LEN: usize = sll_field::PAYLOAD;

    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self> {
        if buffer.as_ref().len() < Self::LEN {
            return Err(Truncated);
        }
        Ok(Sll { buffer })
    }

    #[inline]
    fn u16(&self, f: sll_field::Field) -> u16 {
        u16::from_be_bytes(fixed(self.buffer.as_ref(), f))
    }

    #[inline]
    /// `PACKET_HOST` .. `PACKET_OUTGOING` ([`super::PacketType`]).
    pub fn pkttype(&self) -> u16 {
        self.u16(sll_field::PKTTYPE)
    }
    #[inline]
    /// `ARPHRD_` type of the interface.
    pub fn hatype(&self) -> u16 {
        self.u16(sll_field::HATYPE)
    }
    #[inline]
    /// Valid bytes of [`Sll::addr`] (it holds at most 8).
    pub fn halen(&self) -> u16 {
        self.u16(sll_field::HALEN)
    }
    #[inline]
    pub fn addr(&self) -> [u8; 8] {
        fixed(self.buffer.as_ref(), sll_field::ADDR)
    }
    #[inline]
    /// EtherType of what follows (or an 802.2/802.3 marker up to 1500).
    pub fn protocol(&self) -> u16 {
        self.u16(sll_field::PROTOCOL)
    }
}

/// The LINUX_SLL2 cooked header, 20 bytes.
#[derive(Debug, Clone, Copy)]
pub struct Sll2<T: AsRef<[u8]>> {
    buffer: T,
}

pub mod sll2_field {
    pub type Field = core::ops::Range<usize>;
    pub const PROTOCOL: Field = 0..2;
    pub const RESERVED: Field = 2..4;
    pub const IFINDEX: Field = 4..8;
    pub const HATYPE: Field = 8..10;
    pub const PKTTYPE: usize = 10;
    pub const HALEN: usize = 11;
    pub const ADDR: Field = 12..20;
    pub const PAYLOAD: usize = 20;
}

impl<T: AsRef<[u8]>> Sll2<T> {
    pub const LEN: usize = sll2_field::PAYLOAD;

    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self> {
        if buffer.as_ref().len() < Self::LEN {
            return Err(Truncated);
        }
        Ok(Sll2 { buffer })
    }

    #[inline]
    fn u16(&self, f: sll2_field::Field) -> u16 {
        u16::from_be_bytes(fixed(self.buffer.as_ref(), f))
    }

    #[inline]
    pub fn protocol(&self) -> u16 {
        self.u16(sll2_field::PROTOCOL)
    }
    #[inline]
    pub fn reserved(&self) -> u16 {
        self.u16(sll2_field::RESERVED)
    }
    #[inline]
    pub fn ifindex(&self) -> u32 {
        u32::from_be_bytes(fixed(self.buffer.as_ref(), sll2_field::IFINDEX))
    }
    #[inline]
    pub fn hatype(&self) -> u16 {
        self.u16(sll2_field::HATYPE)
    }
    #[inline]
    pub fn pkttype(&self) -> u8 {
        let [b] = fixed(self.buffer.as_ref(), sll2_field::PKTTYPE);
        b
    }
    #[inline]
    pub fn halen(&self) -> u8 {
        let [b] = fixed(self.buffer.as_ref(), sll2_field::HALEN);
        b
    }
    #[inline]
    pub fn addr(&self) -> [u8; 8] {
        fixed(self.buffer.as_ref(), sll2_field::ADDR)
    }
}

/// What a cooked header says; emits either version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CookedRepr {
    /// EtherType of what follows (host order).
    pub protocol: u16,
    pub ifindex: u32,
    /// ARPHRD_ type of the interface.
    pub hatype: u16,
    /// PACKET_HOST .. PACKET_OUTGOING.
    pub pkttype: u8,
    /// Valid bytes of `addr` (at most 8 are stored).
    pub halen: u8,
    pub addr: [u8; 8],
}

impl CookedRepr {
    #[inline]
    pub fn parse_sll<T: AsRef<[u8]>>(h: &Sll<T>) -> CookedRepr {
        CookedRepr {
            protocol: h.protocol(),
            ifindex: 0,
            hatype: h.hatype(),
            pkttype: h.pkttype() as u8,
            halen: h.halen().min(255) as u8,
            addr: h.addr(),
        }
    }

    #[inline]
    pub fn parse_sll2<T: AsRef<[u8]>>(h: &Sll2<T>) -> CookedRepr {
        CookedRepr {
            protocol: h.protocol(),
            ifindex: h.ifindex(),
            hatype: h.hatype(),
            pkttype: h.pkttype(),
            halen: h.halen(),
            addr: h.addr(),
        }
    }

    #[inline]
    /// Writes the 16-byte LINUX_SLL header into `out` (at least that
    /// long: capture's own buffer, sized by [`Sll::LEN`]).
    pub fn emit_sll(&self, out: &mut [u8]) {
        out[0..2].copy_from_slice(&(self.pkttype as u16).to_be_bytes());
        out[2..4].copy_from_slice(&self.hatype.to_be_bytes());
        out[4..6].copy_from_slice(&(self.halen as u16).to_be_bytes());
        let n = (self.halen as usize).min(8);
        out[6..14].fill(0);
        out[6..6 + n].copy_from_slice(&self.addr[..n]);
        out[14..16].copy_from_slice(&self.protocol.to_be_bytes());
    }

    #[inline]
    /// Writes the 20-byte LINUX_SLL2 header into `out` (at least that
    /// long).
    pub fn emit_sll2(&self, out: &mut [u8]) {
        out[0..2].copy_from_slice(&self.protocol.to_be_bytes());
        out[2..4].fill(0);
        out[4..8].copy_from_slice(&self.ifindex.to_be_bytes());
        out[8..10].copy_from_slice(&self.hatype.to_be_bytes());
        out[10] = self.pkttype;
        out[11] = self.halen;
        let n = (self.halen as usize).min(8);
        out[12..20].fill(0);
        out[12..12 + n].copy_from_slice(&self.addr[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // An outgoing IPv4 packet from 02:00:00:00:00:01 on ifindex 3, as
    // libpcap writes it (checked against tshark's decoding).
    const SLL: [u8; 16] = [
        0x00, 0x04, // outgoing
        0x00, 0x01, // ARPHRD_ETHER
        0x00, 0x06, // address length
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, // address
        0x08, 0x00, // IPv4
    ];
    const SLL2: [u8; 20] = [
        0x08, 0x00, // IPv4
        0x00, 0x00, // reserved
        0x00, 0x00, 0x00, 0x03, // ifindex
        0x00, 0x01, // ARPHRD_ETHER
        0x04, // outgoing
        0x06, // address length
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    ];

    fn repr() -> CookedRepr {
        CookedRepr {
            protocol: 0x0800,
            ifindex: 3,
            hatype: 1,
            pkttype: 4,
            halen: 6,
            addr: [2, 0, 0, 0, 0, 1, 0, 0],
        }
    }

    #[test]
    fn sll_parse_and_emit() {
        let h = Sll::new_checked(&SLL[..]).unwrap();
        assert_eq!(h.pkttype(), 4);
        assert_eq!(h.hatype(), 1);
        assert_eq!(h.halen(), 6);
        assert_eq!(h.protocol(), 0x0800);
        let r = CookedRepr::parse_sll(&h);
        assert_eq!(
            r,
            CookedRepr {
                ifindex: 0,
                ..repr()
            }
        );
        let mut out = [0xffu8; 16];
        repr().emit_sll(&mut out);
        assert_eq!(out, SLL);
        assert!(Sll::new_checked(&SLL[..15]).is_err());
    }

    #[test]
    fn sll2_parse_and_emit() {
        let h = Sll2::new_checked(&SLL2[..]).unwrap();
        assert_eq!(h.reserved(), 0);
        assert_eq!(h.ifindex(), 3);
        assert_eq!(CookedRepr::parse_sll2(&h), repr());
        let mut out = [0xffu8; 20];
        repr().emit_sll2(&mut out);
        assert_eq!(out, SLL2);
        assert!(Sll2::new_checked(&SLL2[..19]).is_err());
    }

    #[test]
    fn long_hardware_address_is_clipped() {
        let r = CookedRepr {
            halen: 16,
            addr: [1; 8],
            ..repr()
        };
        let mut out = [0u8; 16];
        r.emit_sll(&mut out);
        assert_eq!(&out[4..6], &[0, 16]);
        assert_eq!(&out[6..14], &[1; 8]);
    }

    /// Any cooked header survives emit-then-parse in both versions
    /// (addresses beyond halen read back as zero).
    #[test]
    fn cooked_round_trip_property() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut rnd = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..2000 {
            let v = rnd();
            let mut r = CookedRepr {
                protocol: v as u16,
                ifindex: (v >> 16) as u32,
                hatype: (v >> 48) as u16,
                pkttype: (rnd() % 8) as u8,
                halen: (rnd() % 9) as u8,
                addr: rnd().to_be_bytes(),
            };
            for b in r.addr.iter_mut().skip(r.halen as usize) {
                *b = 0;
            }
            let mut a = [0u8; 20];
            r.emit_sll2(&mut a);
            assert_eq!(
                CookedRepr::parse_sll2(&Sll2::new_checked(&a[..]).unwrap()),
                r
            );
            let mut b = [0u8; 16];
            r.emit_sll(&mut b);
            let back = CookedRepr::parse_sll(&Sll::new_checked(&b[..]).unwrap());
            assert_eq!(back, CookedRepr { ifindex: 0, ..r });
        }
    }
}
