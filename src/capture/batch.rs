//! From ring blocks to packets: walking a block's frames, the direction
//! and user-space filter checks, re-inserting the VLAN tags the kernel
//! stripped, and synthesizing cooked (LINUX_SLL/SLL2) headers.

use super::Direction;
use super::ring::{BlockDesc, FrameHeader};
use crate::bpf::Insn;
use crate::linktype::{LinkType, arphrd};
use crate::pcap::wire::{CookedRepr, Sll, Sll2};
use crate::sys;
use crate::wire::PacketType;
use std::cell::RefCell;
use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::sync::Arc;

/// One captured packet, borrowed from the ring until the next call to
/// [`Batch::next`].
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    pub ts_sec: i64,
    pub ts_nsec: u32,
    /// Length on the wire, including a synthesized cooked header and a
    /// re-inserted VLAN tag.
    pub wirelen: u32,
    pub ifindex: u32,
    /// The [`PacketType`] as its number: `Host`(0) .. `Outgoing`(4).
    pub pkttype: u8,
    /// EtherType from the kernel (host order); 0x8100 family when a tag
    /// was re-inserted is reflected in the bytes, not here.
    pub protocol: u16,
    /// ARPHRD_ type of the interface the packet was seen on.
    pub hatype: u16,
    pub linktype: LinkType,
    /// Synthesized bytes that precede `body` (cooked header, or the
    /// Ethernet addresses plus a re-inserted VLAN tag); may be empty.
    pub head: &'a [u8],
    /// Bytes from the ring.
    pub body: &'a [u8],
}

impl<'a> Packet<'a> {
    /// Captured length.
    pub fn caplen(&self) -> usize {
        self.head.len() + self.body.len()
    }

    /// The captured bytes in order, for vectored writes.
    pub fn parts(&self) -> [&'a [u8]; 2] {
        [self.head, self.body]
    }

    /// The captured bytes as one slice; copies into `buf` only when a
    /// header was synthesized.
    pub fn bytes<'b>(&self, buf: &'b mut Vec<u8>) -> &'b [u8]
    where
        'a: 'b,
    {
        if self.head.is_empty() {
            return self.body;
        }
        buf.clear();
        buf.extend_from_slice(self.head);
        buf.extend_from_slice(self.body);
        buf
    }

    /// Direction as tcpdump prints it for `-i any`.
    pub fn direction(&self) -> Option<crate::decode::Direction> {
        crate::decode::Direction::from_pkttype(self.pkttype as u16)
    }
}

/// How raw ring frames become packets (link type, snap length,
/// user-space filter, direction).
#[derive(Debug)]
pub(super) struct Shaper {
    pub(super) linktype: LinkType,
    pub(super) cooked: bool,
    pub(super) snaplen: u32,
    pub(super) direction: Direction,
    pub(super) user_filter: Option<Vec<Insn>>,
    pub(super) head: [u8; 32],
    pub(super) scratch: Vec<u8>,
    pub(super) malformed: u64,
}

/// ifindex -> name, looked up in the source's namespace and cached.
#[derive(Debug)]
pub(super) struct Names {
    ctl: OwnedFd,
    cache: RefCell<HashMap<u32, Arc<str>>>,
}

impl Names {
    /// Looks names up with `ctl`, an ioctl socket in the source's
    /// namespace.
    pub(super) fn new(ctl: OwnedFd) -> Names {
        Names {
            ctl,
            cache: RefCell::new(HashMap::new()),
        }
    }

    pub(super) fn get(&self, ifindex: u32) -> Option<Arc<str>> {
        if let Some(n) = self.cache.borrow().get(&ifindex) {
            return Some(n.clone());
        }
        let n: Arc<str> = sys::socket::if_name(&self.ctl, ifindex)?.into();
        self.cache.borrow_mut().insert(ifindex, n.clone());
        Some(n)
    }
}

/// One ring block handed to user space; returned to the kernel on drop.
pub struct Batch<'s> {
    block: sys::mmap::UserBlock<'s>,
    left: u32,
    pos: usize,
    shaper: &'s mut Shaper,
    names: &'s Names,
}

/// Looks up interface names in a source's namespace while its packets are
/// borrowed.
#[derive(Debug, Clone, Copy)]
pub struct Namer<'s>(&'s Names);

impl Namer<'_> {
    pub fn ifname(&self, ifindex: u32) -> Option<Arc<str>> {
        self.0.get(ifindex)
    }
}

impl<'s> Batch<'s> {
    /// The packets of `block`; a block whose descriptor does not parse
    /// yields none (and still goes back to the kernel).
    pub(super) fn new(
        block: sys::mmap::UserBlock<'s>,
        shaper: &'s mut Shaper,
        names: &'s Names,
    ) -> Batch<'s> {
        let (left, pos) = match BlockDesc::new_checked(block.bytes()) {
            Ok(d) => (d.num_pkts(), d.offset_to_first_pkt() as usize),
            Err(_) => (0, 0),
        };
        Batch {
            block,
            left,
            pos,
            shaper,
            names,
        }
    }

    /// Name of interface `ifindex` in the source's namespace (cached).
    pub fn ifname(&self, ifindex: u32) -> Option<Arc<str>> {
        self.names.get(ifindex)
    }

    /// A name lookup usable while packets of this batch are borrowed.
    pub fn namer(&self) -> Namer<'s> {
        Namer(self.names)
    }

    /// The next packet of this block that passes the filter and direction.
    #[allow(clippy::should_implement_trait)] // lending: packets borrow the batch
    pub fn next(&mut self) -> Option<Packet<'_>> {
        let block = self.block.bytes();
        loop {
            if self.left == 0 || self.pos == 0 || self.pos >= block.len() {
                return None;
            }
            self.left -= 1;
            let Ok(hdr) = FrameHeader::new_checked(&block[self.pos..]) else {
                self.shaper.malformed += 1;
                self.left = 0;
                return None;
            };
            let next = hdr.next_offset() as usize;
            self.pos = if next == 0 { 0 } else { self.pos + next };
            if !self.shaper.direction.keeps(hdr.sll_pkttype()) {
                continue;
            }
            // Loopback delivers every packet twice, leaving and arriving;
            // keep the arriving copy, as libpcap does.
            if PacketType::from(hdr.sll_pkttype()) == PacketType::Outgoing
                && hdr.sll_hatype() == arphrd::LOOPBACK
            {
                continue;
            }
            if let Some((hl, wirelen)) = self.shaper.shape(&hdr) {
                let body_start = hl.1;
                let data = hdr.data();
                let body = &data[body_start.min(data.len())..];
                let head_len = hl.0;
                // Snap length covers synthesized and ring bytes together.
                let snap = self.shaper.snaplen as usize;
                let mut keep = snap;
                if let Some(prog) = &self.shaper.user_filter {
                    let s = &mut self.shaper.scratch;
                    s.clear();
                    s.extend_from_slice(&self.shaper.head[..head_len]);
                    s.extend_from_slice(body);
                    let aux = crate::bpf::interp::Aux {
                        protocol: hdr.sll_protocol(),
                        pkttype: hdr.sll_pkttype(),
                        ifindex: hdr.sll_ifindex(),
                        vlan_tci: None,
                        vlan_tpid: 0,
                    };
                    let k = crate::bpf::interp::run(prog, s, wirelen, &aux);
                    if k == 0 {
                        continue;
                    }
                    keep = keep.min(k as usize);
                }
                let hkeep = head_len.min(keep);
                let bkeep = body.len().min(keep - hkeep);
                return Some(Packet {
                    ts_sec: hdr.sec() as i64,
                    ts_nsec: hdr.nsec(),
                    wirelen,
                    ifindex: hdr.sll_ifindex(),
                    pkttype: hdr.sll_pkttype(),
                    protocol: hdr.sll_protocol(),
                    hatype: hdr.sll_hatype(),
                    linktype: self.shaper.linktype,
                    head: &self.shaper.head[..hkeep],
                    body: &body[..bkeep],
                });
            }
        }
    }
}

impl Shaper {
    /// Fills `self.head` with what precedes the ring bytes; returns
    /// ((head length, offset into the ring bytes where the body starts),
    /// wire length).
    fn shape(&mut self, hdr: &FrameHeader<&[u8]>) -> Option<((usize, usize), u32)> {
        let data = hdr.data();
        let mut wirelen = hdr.len();
        let vlan = hdr.stripped_vlan();
        if self.cooked {
            let mut repr = CookedRepr {
                protocol: hdr.sll_protocol(),
                ifindex: hdr.sll_ifindex(),
                hatype: hdr.sll_hatype(),
                pkttype: hdr.sll_pkttype(),
                halen: hdr.sll_halen(),
                addr: hdr.sll_addr(),
            };
            let orig = repr.protocol;
            if let Some((tpid, _)) = vlan {
                repr.protocol = tpid;
            }
            let n = if self.linktype == LinkType::LinuxSll2 {
                repr.emit_sll2(&mut self.head[..Sll2::<&[u8]>::LEN]);
                Sll2::<&[u8]>::LEN
            } else {
                repr.emit_sll(&mut self.head[..Sll::<&[u8]>::LEN]);
                Sll::<&[u8]>::LEN
            };
            wirelen = wirelen.saturating_add(n as u32);
            let mut hl = n;
            if let Some((_, tci)) = vlan {
                self.head[n..n + 2].copy_from_slice(&tci.to_be_bytes());
                self.head[n + 2..n + 4].copy_from_slice(&orig.to_be_bytes());
                hl += 4;
                wirelen = wirelen.saturating_add(4);
            }
            return Some(((hl, 0), wirelen));
        }
        match vlan {
            Some((tpid, tci)) if self.linktype == LinkType::En10mb && data.len() >= 12 => {
                self.head[..12].copy_from_slice(&data[..12]);
                self.head[12..14].copy_from_slice(&tpid.to_be_bytes());
                self.head[14..16].copy_from_slice(&tci.to_be_bytes());
                Some(((16, 12), wirelen.saturating_add(4)))
            }
            _ => Some(((0, 0), wirelen)),
        }
    }
}
