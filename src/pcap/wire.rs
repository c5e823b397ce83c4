//! Byte layouts, smoltcp `wire` style: the pcap file header, the pcap
//! record header, and the Linux cooked headers (LINUX_SLL, LINUX_SLL2)
//! that `-i any` captures start with.
//!
//! pcap headers are written in host byte order (readers detect it from the
//! magic); cooked headers are big-endian by definition.

use crate::{Error, Result};

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn short(what: &str, need: usize, have: usize) -> Error {
    Error::format(what.to_string(), format!("{have} bytes, need {need}"))
}

/// Magic of a microsecond pcap file.
pub const MAGIC_MICRO: u32 = 0xa1b2_c3d4;
/// Magic of a nanosecond pcap file.
pub const MAGIC_NANO: u32 = 0xa1b2_3c4d;

/// The 24-byte pcap file header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileHeaderRepr {
    pub nanos: bool,
    pub snaplen: u32,
    pub linktype: u32,
}

impl FileHeaderRepr {
    pub const LEN: usize = 24;

    /// Host-order header, version 2.4.
    pub fn emit(&self, out: &mut [u8; 24]) {
        let magic = if self.nanos { MAGIC_NANO } else { MAGIC_MICRO };
        out[0..4].copy_from_slice(&magic.to_ne_bytes());
        out[4..6].copy_from_slice(&2u16.to_ne_bytes());
        out[6..8].copy_from_slice(&4u16.to_ne_bytes());
        out[8..16].fill(0); // thiszone, sigfigs
        out[16..20].copy_from_slice(&self.snaplen.to_ne_bytes());
        out[20..24].copy_from_slice(&self.linktype.to_ne_bytes());
    }
}

/// A pcap record header view (16 bytes, host order as written by podcap).
#[derive(Debug, Clone, Copy)]
pub struct RecordHeader<T: AsRef<[u8]>> {
    buffer: T,
}

mod record_field {
    use std::ops::Range;
    pub const TS_SEC: Range<usize> = 0..4;
    pub const TS_FRAC: Range<usize> = 4..8;
    pub const INCL_LEN: Range<usize> = 8..12;
    pub const ORIG_LEN: Range<usize> = 12..16;
}

impl<T: AsRef<[u8]>> RecordHeader<T> {
    pub const LEN: usize = 16;

    pub fn new_unchecked(buffer: T) -> Self {
        RecordHeader { buffer }
    }

    pub fn new_checked(buffer: T) -> Result<Self> {
        let have = buffer.as_ref().len();
        if have < Self::LEN {
            return Err(short("pcap record header", Self::LEN, have));
        }
        Ok(RecordHeader { buffer })
    }

    /// The underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn u32(&self, r: std::ops::Range<usize>) -> u32 {
        let b = &self.buffer.as_ref()[r];
        u32::from_ne_bytes([b[0], b[1], b[2], b[3]])
    }
    pub fn ts_sec(&self) -> u32 {
        self.u32(record_field::TS_SEC)
    }
    /// Microseconds or nanoseconds, by the file's magic.
    pub fn ts_frac(&self) -> u32 {
        self.u32(record_field::TS_FRAC)
    }
    pub fn incl_len(&self) -> u32 {
        self.u32(record_field::INCL_LEN)
    }
    pub fn orig_len(&self) -> u32 {
        self.u32(record_field::ORIG_LEN)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> RecordHeader<T> {
    fn set(&mut self, r: std::ops::Range<usize>, v: u32) {
        self.buffer.as_mut()[r].copy_from_slice(&v.to_ne_bytes());
    }
    pub fn set_ts_sec(&mut self, v: u32) {
        self.set(record_field::TS_SEC, v)
    }
    pub fn set_ts_frac(&mut self, v: u32) {
        self.set(record_field::TS_FRAC, v)
    }
    pub fn set_incl_len(&mut self, v: u32) {
        self.set(record_field::INCL_LEN, v)
    }
    pub fn set_orig_len(&mut self, v: u32) {
        self.set(record_field::ORIG_LEN, v)
    }
}

/// The LINUX_SLL (v1) cooked header, 16 bytes.
#[derive(Debug, Clone, Copy)]
pub struct Sll<T: AsRef<[u8]>> {
    buffer: T,
}

mod sll_field {
    pub const PKTTYPE: usize = 0;
    pub const HATYPE: usize = 2;
    pub const HALEN: usize = 4;
    pub const ADDR: std::ops::Range<usize> = 6..14;
    pub const PROTOCOL: usize = 14;
}

impl<T: AsRef<[u8]>> Sll<T> {
    pub const LEN: usize = 16;

    pub fn new_unchecked(buffer: T) -> Self {
        Sll { buffer }
    }
    pub fn new_checked(buffer: T) -> Result<Self> {
        let have = buffer.as_ref().len();
        if have < Self::LEN {
            return Err(short("LINUX_SLL header", Self::LEN, have));
        }
        Ok(Sll { buffer })
    }
    pub fn pkttype(&self) -> u16 {
        be16(self.buffer.as_ref(), sll_field::PKTTYPE)
    }
    pub fn hatype(&self) -> u16 {
        be16(self.buffer.as_ref(), sll_field::HATYPE)
    }
    pub fn halen(&self) -> u16 {
        be16(self.buffer.as_ref(), sll_field::HALEN)
    }
    pub fn addr(&self) -> [u8; 8] {
        let mut a = [0u8; 8];
        a.copy_from_slice(&self.buffer.as_ref()[sll_field::ADDR]);
        a
    }
    pub fn protocol(&self) -> u16 {
        be16(self.buffer.as_ref(), sll_field::PROTOCOL)
    }
}

/// The LINUX_SLL2 cooked header, 20 bytes.
#[derive(Debug, Clone, Copy)]
pub struct Sll2<T: AsRef<[u8]>> {
    buffer: T,
}

mod sll2_field {
    pub const PROTOCOL: usize = 0;
    pub const RESERVED: usize = 2;
    pub const IFINDEX: std::ops::Range<usize> = 4..8;
    pub const HATYPE: usize = 8;
    pub const PKTTYPE: usize = 10;
    pub const HALEN: usize = 11;
    pub const ADDR: std::ops::Range<usize> = 12..20;
}

impl<T: AsRef<[u8]>> Sll2<T> {
    pub const LEN: usize = 20;

    pub fn new_unchecked(buffer: T) -> Self {
        Sll2 { buffer }
    }
    pub fn new_checked(buffer: T) -> Result<Self> {
        let have = buffer.as_ref().len();
        if have < Self::LEN {
            return Err(short("LINUX_SLL2 header", Self::LEN, have));
        }
        Ok(Sll2 { buffer })
    }
    pub fn protocol(&self) -> u16 {
        be16(self.buffer.as_ref(), sll2_field::PROTOCOL)
    }
    pub fn reserved(&self) -> u16 {
        be16(self.buffer.as_ref(), sll2_field::RESERVED)
    }
    pub fn ifindex(&self) -> u32 {
        let b = &self.buffer.as_ref()[sll2_field::IFINDEX];
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }
    pub fn hatype(&self) -> u16 {
        be16(self.buffer.as_ref(), sll2_field::HATYPE)
    }
    pub fn pkttype(&self) -> u8 {
        self.buffer.as_ref()[sll2_field::PKTTYPE]
    }
    pub fn halen(&self) -> u8 {
        self.buffer.as_ref()[sll2_field::HALEN]
    }
    pub fn addr(&self) -> [u8; 8] {
        let mut a = [0u8; 8];
        a.copy_from_slice(&self.buffer.as_ref()[sll2_field::ADDR]);
        a
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

    /// Writes the 16-byte LINUX_SLL header.
    pub fn emit_sll(&self, out: &mut [u8]) {
        out[0..2].copy_from_slice(&(self.pkttype as u16).to_be_bytes());
        out[2..4].copy_from_slice(&self.hatype.to_be_bytes());
        out[4..6].copy_from_slice(&(self.halen as u16).to_be_bytes());
        let n = (self.halen as usize).min(8);
        out[6..14].fill(0);
        out[6..6 + n].copy_from_slice(&self.addr[..n]);
        out[14..16].copy_from_slice(&self.protocol.to_be_bytes());
    }

    /// Writes the 20-byte LINUX_SLL2 header.
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

    #[test]
    fn file_and_record_header() {
        let mut h = [0u8; 24];
        FileHeaderRepr {
            nanos: false,
            snaplen: 262144,
            linktype: 113,
        }
        .emit(&mut h);
        let mut want = Vec::new();
        want.extend_from_slice(&0xa1b2c3d4u32.to_ne_bytes());
        want.extend_from_slice(&2u16.to_ne_bytes());
        want.extend_from_slice(&4u16.to_ne_bytes());
        want.extend_from_slice(&[0; 8]);
        want.extend_from_slice(&262144u32.to_ne_bytes());
        want.extend_from_slice(&113u32.to_ne_bytes());
        assert_eq!(&h[..], &want[..]);

        let mut r = RecordHeader::new_checked([0u8; 16]).unwrap();
        r.set_ts_sec(1);
        r.set_ts_frac(2);
        r.set_incl_len(3);
        r.set_orig_len(4);
        assert_eq!(
            (r.ts_sec(), r.ts_frac(), r.incl_len(), r.orig_len()),
            (1, 2, 3, 4)
        );
        assert!(RecordHeader::new_checked(&[0u8; 15][..]).is_err());
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
