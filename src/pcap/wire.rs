//! Byte layouts, smoltcp `wire` style: the pcap file header and the pcap
//! record header, written in host byte order (readers detect it from the
//! magic).
//!
//! The Linux cooked headers (LINUX_SLL, LINUX_SLL2) are packet headers,
//! read by the printer and the path follower too: they live in
//! [`crate::wire::cooked`], re-exported here for the capture engine.

use crate::{Error, Result};

pub use crate::wire::cooked::{CookedRepr, Sll, Sll2};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
