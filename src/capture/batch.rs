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
    /// What the kernel filter keeps of a packet it accepts: a frame the
    /// ring holds fewer bytes of (and that was longer) was cut by the
    /// ring, not by the snap length.
    pub(super) kernel_snap: u32,
    pub(super) head: [u8; 32],
    pub(super) scratch: Vec<u8>,
    pub(super) malformed: u64,
    /// Frames the ring or the receive buffer cut below the snap length.
    pub(super) cut: u64,
}

/// What the kernel says about one received frame, from a ring frame
/// header or from recvmmsg's address and auxiliary data.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct RawFrame {
    pub(super) sec: u32,
    pub(super) nsec: u32,
    /// Length on the wire (without a stripped VLAN tag).
    pub(super) len: u32,
    /// The frame's bytes: `data` in the batch's storage.
    pub(super) data: (usize, usize),
    pub(super) vlan: Option<(u16, u16)>,
    pub(super) protocol: u16,
    pub(super) ifindex: u32,
    pub(super) hatype: u16,
    pub(super) pkttype: u8,
    pub(super) halen: u8,
    pub(super) addr: [u8; 8],
}

impl RawFrame {
    fn from_ring(hdr: &FrameHeader<&[u8]>, at: usize) -> RawFrame {
        let start = at + hdr.mac() as usize;
        RawFrame {
            sec: hdr.sec(),
            nsec: hdr.nsec(),
            len: hdr.len(),
            data: (start, start + hdr.snaplen() as usize),
            vlan: hdr.stripped_vlan(),
            protocol: hdr.sll_protocol(),
            ifindex: hdr.sll_ifindex(),
            hatype: hdr.sll_hatype(),
            pkttype: hdr.sll_pkttype(),
            halen: hdr.sll_halen(),
            addr: hdr.sll_addr(),
        }
    }
}

/// Frames received without a ring (recvmmsg), in one buffer.
#[derive(Debug, Default)]
pub(super) struct Received {
    pub(super) data: Vec<u8>,
    pub(super) frames: Vec<RawFrame>,
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

    /// The ioctl socket in the source's namespace.
    pub(super) fn ctl(&self) -> &OwnedFd {
        &self.ctl
    }
}

/// One captured packet, described without borrowing: its synthesized
/// head inline, its body as a range of the batch's bytes
/// ([`Batch::data`]). A whole batch of them can be held at once, so that
/// a writer sends every record of a ring block in one writev without
/// copying packet bytes.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub ts_sec: i64,
    pub ts_nsec: u32,
    /// Length on the wire, including a synthesized cooked header and a
    /// re-inserted VLAN tag.
    pub wirelen: u32,
    pub ifindex: u32,
    /// The [`PacketType`] as its number.
    pub pkttype: u8,
    pub protocol: u16,
    pub hatype: u16,
    head: [u8; 32],
    head_len: u8,
    body: (u32, u32),
}

impl Frame {
    /// Synthesized bytes before the body (cooked header, VLAN tag).
    pub fn head(&self) -> &[u8] {
        &self.head[..self.head_len as usize]
    }

    /// The bytes from the kernel, in `data` (the batch's [`Batch::data`]).
    pub fn body<'a>(&self, data: &'a [u8]) -> &'a [u8] {
        data.get(self.body.0 as usize..self.body.1 as usize)
            .unwrap_or(&[])
    }

    /// Captured length.
    pub fn caplen(&self) -> usize {
        self.head_len as usize + (self.body.1 - self.body.0) as usize
    }

    /// The captured bytes in order, for vectored writes.
    pub fn parts<'a>(&'a self, data: &'a [u8]) -> [&'a [u8]; 2] {
        [self.head(), self.body(data)]
    }
}

enum Store<'s> {
    Ring(sys::mmap::UserBlock<'s>),
    Received(&'s Received),
}

/// One ring block (or one recvmmsg batch) handed to user space; a ring
/// block goes back to the kernel on drop.
pub struct Batch<'s> {
    store: Store<'s>,
    left: u32,
    pos: usize,
    shaper: &'s mut Shaper,
    names: &'s Names,
    last: Option<Frame>,
    linktype: LinkType,
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
        let linktype = shaper.linktype;
        Batch {
            store: Store::Ring(block),
            left,
            pos,
            shaper,
            names,
            last: None,
            linktype,
        }
    }

    /// The frames recvmmsg delivered.
    pub(super) fn received(r: &'s Received, shaper: &'s mut Shaper, names: &'s Names) -> Batch<'s> {
        let linktype = shaper.linktype;
        Batch {
            store: Store::Received(r),
            left: r.frames.len() as u32,
            pos: 0,
            shaper,
            names,
            last: None,
            linktype,
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

    /// The link type of every packet of the batch.
    pub fn linktype(&self) -> LinkType {
        self.linktype
    }

    /// The bytes [`Frame::body`] ranges point into.
    pub fn data(&self) -> &[u8] {
        match &self.store {
            Store::Ring(b) => b.bytes(),
            Store::Received(r) => &r.data,
        }
    }

    /// The next packet of this batch that passes the filter and direction.
    #[allow(clippy::should_implement_trait)] // lending: packets borrow the batch
    pub fn next(&mut self) -> Option<Packet<'_>> {
        let f = self.next_frame()?;
        self.last = Some(f);
        let last = self.last.as_ref()?;
        let data = match &self.store {
            Store::Ring(b) => b.bytes(),
            Store::Received(r) => &r.data,
        };
        Some(Packet {
            ts_sec: last.ts_sec,
            ts_nsec: last.ts_nsec,
            wirelen: last.wirelen,
            ifindex: last.ifindex,
            pkttype: last.pkttype,
            protocol: last.protocol,
            hatype: last.hatype,
            linktype: self.linktype,
            head: last.head(),
            body: last.body(data),
        })
    }

    /// Appends up to `max` of the remaining packets to `out`; returns how
    /// many.
    pub fn collect(&mut self, out: &mut Vec<Frame>, max: usize) -> usize {
        let mut n = 0;
        while n < max {
            let Some(f) = self.next_frame() else { break };
            out.push(f);
            n += 1;
        }
        n
    }

    /// The next raw frame of the storage, if any.
    fn next_raw(&mut self) -> Option<RawFrame> {
        match &self.store {
            Store::Ring(b) => {
                let block = b.bytes();
                if self.left == 0 || self.pos == 0 || self.pos >= block.len() {
                    return None;
                }
                self.left -= 1;
                let Ok(hdr) = FrameHeader::new_checked(&block[self.pos..]) else {
                    self.shaper.malformed += 1;
                    self.left = 0;
                    return None;
                };
                let raw = RawFrame::from_ring(&hdr, self.pos);
                let next = hdr.next_offset() as usize;
                self.pos = if next == 0 { 0 } else { self.pos + next };
                Some(raw)
            }
            Store::Received(r) => {
                let raw = *r.frames.get(self.pos)?;
                self.pos += 1;
                self.left = self.left.saturating_sub(1);
                Some(raw)
            }
        }
    }

    fn next_frame(&mut self) -> Option<Frame> {
        loop {
            let raw = self.next_raw()?;
            if !self.shaper.direction.keeps(raw.pkttype) {
                continue;
            }
            // Loopback delivers every packet twice, leaving and arriving;
            // keep the arriving copy, as libpcap does.
            if PacketType::from(raw.pkttype) == PacketType::Outgoing
                && raw.hatype == arphrd::LOOPBACK
            {
                continue;
            }
            let data = match &self.store {
                Store::Ring(b) => b.bytes(),
                Store::Received(r) => &r.data[..],
            };
            let (d0, d1) = (raw.data.0.min(data.len()), raw.data.1.min(data.len()));
            let bytes = &data[d0..d1.max(d0)];
            let got = bytes.len() as u32;
            if got < raw.len && got < self.shaper.kernel_snap {
                self.shaper.cut += 1;
            }
            let ((head_len, body_start), wirelen) = self.shaper.shape(&raw, bytes);
            let body = &bytes[body_start.min(bytes.len())..];
            // Snap length covers synthesized and ring bytes together.
            let mut keep = self.shaper.snaplen as usize;
            if let Some(prog) = &self.shaper.user_filter {
                let s = &mut self.shaper.scratch;
                s.clear();
                s.extend_from_slice(&self.shaper.head[..head_len]);
                s.extend_from_slice(body);
                let aux = crate::bpf::interp::Aux {
                    protocol: raw.protocol,
                    pkttype: raw.pkttype,
                    ifindex: raw.ifindex,
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
            let bstart = d0 + body_start.min(bytes.len());
            let mut head = [0u8; 32];
            if hkeep > 0 {
                head[..hkeep].copy_from_slice(&self.shaper.head[..hkeep]);
            }
            return Some(Frame {
                ts_sec: raw.sec as i64,
                ts_nsec: raw.nsec,
                wirelen,
                ifindex: raw.ifindex,
                pkttype: raw.pkttype,
                protocol: raw.protocol,
                hatype: raw.hatype,
                head,
                head_len: hkeep as u8,
                body: (bstart as u32, (bstart + bkeep) as u32),
            });
        }
    }
}

impl Shaper {
    /// Fills `self.head` with what precedes the frame's bytes; returns
    /// ((head length, offset into `data` where the body starts), wire
    /// length).
    fn shape(&mut self, raw: &RawFrame, data: &[u8]) -> ((usize, usize), u32) {
        let mut wirelen = raw.len;
        let vlan = raw.vlan;
        if self.cooked {
            let mut repr = CookedRepr {
                protocol: raw.protocol,
                ifindex: raw.ifindex,
                hatype: raw.hatype,
                pkttype: raw.pkttype,
                halen: raw.halen,
                addr: raw.addr,
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
            return ((hl, 0), wirelen);
        }
        match vlan {
            Some((tpid, tci)) if self.linktype == LinkType::En10mb && data.len() >= 12 => {
                self.head[..12].copy_from_slice(&data[..12]);
                self.head[12..14].copy_from_slice(&tpid.to_be_bytes());
                self.head[14..16].copy_from_slice(&tci.to_be_bytes());
                ((16, 12), wirelen.saturating_add(4))
            }
            _ => ((0, 0), wirelen),
        }
    }
}
