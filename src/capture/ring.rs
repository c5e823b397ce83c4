//! Views of the TPACKET_V3 ring's structures, in smoltcp `wire` style:
//! `struct tpacket_block_desc` (with `tpacket_hdr_v1`), `struct
//! tpacket3_hdr` and the `struct sockaddr_ll` that follows it. The ring is
//! in host byte order.

use crate::{Error, Result};

/// `TP_STATUS_*` bits (kernel ABI, kept with the other AF_PACKET
/// constants).
pub use crate::sys::packet::status;

// Byte by byte: at opt-level "s" a 4-byte copy_from_slice is a call to
// memcpy, and these run a dozen times per captured packet.
#[inline]
fn u16_at(b: &[u8], r: std::ops::Range<usize>) -> u16 {
    let i = r.start;
    u16::from_ne_bytes([b[i], b[i + 1]])
}

#[inline]
fn u32_at(b: &[u8], r: std::ops::Range<usize>) -> u32 {
    let i = r.start;
    u32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

fn too_short(what: &str, need: usize, have: usize) -> Error {
    Error::format(
        format!("ring {what}"),
        format!("{have} bytes, need at least {need}: the kernel's ring layout is not TPACKET_V3"),
    )
}

/// `struct tpacket_block_desc` with its `tpacket_hdr_v1`.
#[derive(Debug, Clone, Copy)]
pub struct BlockDesc<T: AsRef<[u8]>> {
    buffer: T,
}

mod block_field {
    use std::ops::Range;
    pub const VERSION: Range<usize> = 0..4;
    pub const OFFSET_TO_PRIV: Range<usize> = 4..8;
    pub const STATUS: Range<usize> = 8..12;
    pub const NUM_PKTS: Range<usize> = 12..16;
    pub const OFFSET_TO_FIRST_PKT: Range<usize> = 16..20;
    pub const BLK_LEN: Range<usize> = 20..24;
    pub const SEQ_NUM: Range<usize> = 24..32;
    pub const LEN: usize = 48;
}

impl<T: AsRef<[u8]>> BlockDesc<T> {
    pub const LEN: usize = block_field::LEN;

    pub fn new_unchecked(buffer: T) -> Self {
        BlockDesc { buffer }
    }

    pub fn new_checked(buffer: T) -> Result<Self> {
        let have = buffer.as_ref().len();
        if have < Self::LEN {
            return Err(too_short("block descriptor", Self::LEN, have));
        }
        Ok(BlockDesc { buffer })
    }

    pub fn version(&self) -> u32 {
        u32_at(self.buffer.as_ref(), block_field::VERSION)
    }
    pub fn offset_to_priv(&self) -> u32 {
        u32_at(self.buffer.as_ref(), block_field::OFFSET_TO_PRIV)
    }
    pub fn block_status(&self) -> u32 {
        u32_at(self.buffer.as_ref(), block_field::STATUS)
    }
    pub fn num_pkts(&self) -> u32 {
        u32_at(self.buffer.as_ref(), block_field::NUM_PKTS)
    }
    pub fn offset_to_first_pkt(&self) -> u32 {
        u32_at(self.buffer.as_ref(), block_field::OFFSET_TO_FIRST_PKT)
    }
    pub fn blk_len(&self) -> u32 {
        u32_at(self.buffer.as_ref(), block_field::BLK_LEN)
    }
    pub fn seq_num(&self) -> u64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(&self.buffer.as_ref()[block_field::SEQ_NUM]);
        u64::from_ne_bytes(a)
    }
}

/// `struct tpacket3_hdr` followed (at `TPACKET_ALIGN(48)`) by `struct
/// sockaddr_ll`: one packet's header in a block.
#[derive(Debug, Clone, Copy)]
pub struct FrameHeader<T: AsRef<[u8]>> {
    buffer: T,
}

mod frame_field {
    use std::ops::Range;
    pub const NEXT_OFFSET: Range<usize> = 0..4;
    pub const SEC: Range<usize> = 4..8;
    pub const NSEC: Range<usize> = 8..12;
    pub const SNAPLEN: Range<usize> = 12..16;
    pub const LEN: Range<usize> = 16..20;
    pub const STATUS: Range<usize> = 20..24;
    pub const MAC: Range<usize> = 24..26;
    pub const NET: Range<usize> = 26..28;
    pub const RXHASH: Range<usize> = 28..32;
    pub const VLAN_TCI: Range<usize> = 32..36;
    pub const VLAN_TPID: Range<usize> = 36..38;
    // sockaddr_ll, at TPACKET_ALIGN(sizeof(struct tpacket3_hdr)) = 48.
    pub const SLL_FAMILY: Range<usize> = 48..50;
    pub const SLL_PROTOCOL: Range<usize> = 50..52;
    pub const SLL_IFINDEX: Range<usize> = 52..56;
    pub const SLL_HATYPE: Range<usize> = 56..58;
    pub const SLL_PKTTYPE: usize = 58;
    pub const SLL_HALEN: usize = 59;
    pub const SLL_ADDR: Range<usize> = 60..68;
    pub const LEN_WITH_SLL: usize = 68;
}

impl<T: AsRef<[u8]>> FrameHeader<T> {
    /// `TPACKET3_HDRLEN`: header plus sockaddr_ll.
    pub const LEN: usize = frame_field::LEN_WITH_SLL;

    pub fn new_unchecked(buffer: T) -> Self {
        FrameHeader { buffer }
    }

    /// Checks that the header, the sockaddr_ll and the packet bytes it
    /// points at (`tp_mac + tp_snaplen`) are inside `buffer`.
    pub fn new_checked(buffer: T) -> Result<Self> {
        let have = buffer.as_ref().len();
        if have < Self::LEN {
            return Err(too_short("frame header", Self::LEN, have));
        }
        let f = FrameHeader { buffer };
        let end = f.mac() as usize + f.snaplen() as usize;
        if end > have || (f.mac() as usize) < Self::LEN {
            return Err(Error::format(
                "ring frame",
                format!(
                    "packet at {}..{end} lies outside its {have}-byte frame",
                    f.mac()
                ),
            ));
        }
        Ok(f)
    }

    pub fn next_offset(&self) -> u32 {
        u32_at(self.buffer.as_ref(), frame_field::NEXT_OFFSET)
    }
    pub fn sec(&self) -> u32 {
        u32_at(self.buffer.as_ref(), frame_field::SEC)
    }
    pub fn nsec(&self) -> u32 {
        u32_at(self.buffer.as_ref(), frame_field::NSEC)
    }
    pub fn snaplen(&self) -> u32 {
        u32_at(self.buffer.as_ref(), frame_field::SNAPLEN)
    }
    pub fn len(&self) -> u32 {
        u32_at(self.buffer.as_ref(), frame_field::LEN)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn status(&self) -> u32 {
        u32_at(self.buffer.as_ref(), frame_field::STATUS)
    }
    pub fn mac(&self) -> u16 {
        u16_at(self.buffer.as_ref(), frame_field::MAC)
    }
    pub fn net(&self) -> u16 {
        u16_at(self.buffer.as_ref(), frame_field::NET)
    }
    pub fn rxhash(&self) -> u32 {
        u32_at(self.buffer.as_ref(), frame_field::RXHASH)
    }
    pub fn vlan_tci(&self) -> u32 {
        u32_at(self.buffer.as_ref(), frame_field::VLAN_TCI)
    }
    pub fn vlan_tpid(&self) -> u16 {
        u16_at(self.buffer.as_ref(), frame_field::VLAN_TPID)
    }
    pub fn sll_family(&self) -> u16 {
        u16_at(self.buffer.as_ref(), frame_field::SLL_FAMILY)
    }
    /// The EtherType, host order (the kernel stores it big-endian).
    pub fn sll_protocol(&self) -> u16 {
        let b = &self.buffer.as_ref()[frame_field::SLL_PROTOCOL];
        u16::from_be_bytes([b[0], b[1]])
    }
    pub fn sll_ifindex(&self) -> u32 {
        u32_at(self.buffer.as_ref(), frame_field::SLL_IFINDEX)
    }
    pub fn sll_hatype(&self) -> u16 {
        u16_at(self.buffer.as_ref(), frame_field::SLL_HATYPE)
    }
    pub fn sll_pkttype(&self) -> u8 {
        self.buffer.as_ref()[frame_field::SLL_PKTTYPE]
    }
    pub fn sll_halen(&self) -> u8 {
        self.buffer.as_ref()[frame_field::SLL_HALEN]
    }
    /// The link-layer address bytes (`sll_addr`, all 8).
    pub fn sll_addr(&self) -> [u8; 8] {
        let b = &self.buffer.as_ref()[frame_field::SLL_ADDR];
        [b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]
    }
    /// The VLAN tag the kernel stripped, if any: (TPID, TCI).
    pub fn stripped_vlan(&self) -> Option<(u16, u16)> {
        let st = self.status();
        if st & status::VLAN_VALID == 0 {
            return None;
        }
        let tpid = if st & status::VLAN_TPID_VALID != 0 && self.vlan_tpid() != 0 {
            self.vlan_tpid()
        } else {
            0x8100
        };
        Some((tpid, self.vlan_tci() as u16))
    }
}

impl<'a> FrameHeader<&'a [u8]> {
    /// The captured packet bytes.
    pub fn data(&self) -> &'a [u8] {
        let start = self.mac() as usize;
        let end = start + self.snaplen() as usize;
        &self.buffer[start..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A block descriptor as the kernel writes it on x86_64: version 1,
    /// priv at 48, status USER|BLK_TMO, 2 packets, first at 48, 200 bytes,
    /// seq 7.
    fn block_bytes() -> Vec<u8> {
        let mut b = Vec::new();
        for v in [1u32, 48, 0x21, 2, 48, 200] {
            b.extend_from_slice(&v.to_ne_bytes());
        }
        b.extend_from_slice(&7u64.to_ne_bytes());
        b.resize(48, 0);
        b
    }

    #[test]
    fn block_desc_fields() {
        let b = block_bytes();
        let d = BlockDesc::new_checked(&b[..]).unwrap();
        assert_eq!(d.version(), 1);
        assert_eq!(d.offset_to_priv(), 48);
        assert_eq!(d.block_status(), status::USER | status::BLK_TMO);
        assert_eq!(d.num_pkts(), 2);
        assert_eq!(d.offset_to_first_pkt(), 48);
        assert_eq!(d.blk_len(), 200);
        assert_eq!(d.seq_num(), 7);
        assert!(BlockDesc::new_checked(&b[..47]).is_err());
    }

    fn frame_bytes() -> Vec<u8> {
        let mut f = Vec::new();
        // next_offset, sec, nsec, snaplen, len, status
        for v in [0u32, 1_700_000_000, 123_456_789, 4, 60, 0x11] {
            f.extend_from_slice(&v.to_ne_bytes());
        }
        f.extend_from_slice(&80u16.to_ne_bytes()); // tp_mac
        f.extend_from_slice(&94u16.to_ne_bytes()); // tp_net
        f.extend_from_slice(&0xdead_beefu32.to_ne_bytes()); // rxhash
        f.extend_from_slice(&0x0064u32.to_ne_bytes()); // vlan tci 100
        f.extend_from_slice(&0u16.to_ne_bytes()); // tpid (not valid)
        f.resize(48, 0);
        // sockaddr_ll
        f.extend_from_slice(&17u16.to_ne_bytes()); // AF_PACKET
        f.extend_from_slice(&[0x08, 0x00]); // ETH_P_IP, big-endian
        f.extend_from_slice(&3u32.to_ne_bytes()); // ifindex
        f.extend_from_slice(&1u16.to_ne_bytes()); // ARPHRD_ETHER
        f.push(4); // PACKET_OUTGOING
        f.push(6);
        f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01, 0, 0]);
        f.resize(80, 0);
        f.extend_from_slice(&[0xaa, 0xbb, 0xcc, 0xdd]);
        f
    }

    #[test]
    fn frame_header_fields() {
        let f = frame_bytes();
        let h = FrameHeader::new_checked(&f[..]).unwrap();
        assert_eq!(h.sec(), 1_700_000_000);
        assert_eq!(h.nsec(), 123_456_789);
        assert_eq!(h.snaplen(), 4);
        assert_eq!(h.len(), 60);
        assert_eq!(h.mac(), 80);
        assert_eq!(h.net(), 94);
        assert_eq!(h.rxhash(), 0xdead_beef);
        assert_eq!(h.sll_family(), 17);
        assert_eq!(h.sll_protocol(), 0x0800);
        assert_eq!(h.sll_ifindex(), 3);
        assert_eq!(h.sll_hatype(), 1);
        assert_eq!(h.sll_pkttype(), 4);
        assert_eq!(h.sll_halen(), 6);
        assert_eq!(h.sll_addr(), [0x02, 0, 0, 0, 0, 0x01, 0, 0]);
        assert_eq!(h.data(), &[0xaa, 0xbb, 0xcc, 0xdd]);
        assert_eq!(h.stripped_vlan(), Some((0x8100, 100)));
    }

    #[test]
    fn frame_header_rejects_data_outside_frame() {
        let f = frame_bytes();
        assert!(FrameHeader::new_checked(&f[..83]).is_err());
        assert!(FrameHeader::new_checked(&f[..60]).is_err());
    }
}
