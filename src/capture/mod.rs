//! AF_PACKET capture with a TPACKET_V3 memory-mapped ring.
//!
//! This is the engine behind `podcap tcpdump` and `podcap capture`; other
//! modules use it through [`Source`]:
//!
//! ```no_run
//! use podcap::capture::{Source, SourceConfig};
//! # fn main() -> podcap::Result<()> {
//! let mut src = Source::open(&SourceConfig {
//!     iface: "eth0".into(),
//!     netns: Some("/proc/1234/ns/net".into()),
//!     filter: "icmp".into(),
//!     ..SourceConfig::default()
//! })?;
//! loop {
//!     // Poll `src` (it is `AsRawFd`/`AsFd`, e.g. with `smol::Async`), or:
//!     src.wait(100)?;
//!     while let Some(mut batch) = src.next_batch() {
//!         while let Some(p) = batch.next() {
//!             println!("{} bytes on ifindex {}", p.wirelen, p.ifindex);
//!         }
//!     } // the block goes back to the kernel when `batch` is dropped
//! #   break;
//! }
//! # Ok(()) }
//! ```
//!
//! Guarantees, all relied upon by callers:
//! - no packet that the filter rejects is ever returned, including in the
//!   moment between opening the socket and attaching the filter (a
//!   reject-all program is attached before the socket is bound, then the
//!   real one);
//! - VLAN tags the kernel stripped are put back, so bytes are as on the wire;
//! - with `iface: "any"` (or a cooked `linktype`) each packet starts with a
//!   LINUX_SLL or LINUX_SLL2 header, as libpcap writes them;
//! - drops in the ring are counted by the kernel and reported by
//!   [`Source::stats`], never hidden.

pub mod iface;
pub mod output;
pub mod privs;
pub mod ring;
pub mod session;
pub mod signals;
pub mod sys;

use crate::bpf::{Insn, op};
use crate::linktype::LinkType;
use crate::pcap::wire::{CookedRepr, Sll, Sll2};
use crate::{Error, Result};
use ring::{BlockDesc, FrameHeader};
use std::cell::RefCell;
use std::collections::HashMap;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::Arc;

/// tcpdump's default snap length.
pub const DEFAULT_SNAPLEN: u32 = 262_144;
/// Ring size when `-B` is not given (libpcap uses 2 MiB; a little more
/// absorbs bursts on busy nodes).
pub const DEFAULT_BUFFER: usize = 4 << 20;

/// `PACKET_OUTGOING`: the packet type of packets this host sent.
pub const PACKET_OUTGOING: u8 = 4;

/// Which packets to keep by direction (`-Q`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    In,
    Out,
    #[default]
    InOut,
}

impl Direction {
    /// From `-Q`'s argument.
    pub fn parse(s: &str) -> Result<Direction> {
        match s {
            "in" => Ok(Direction::In),
            "out" => Ok(Direction::Out),
            "inout" => Ok(Direction::InOut),
            _ => Err(Error::usage(format!(
                "-Q {s}: direction must be in, out or inout"
            ))),
        }
    }

    fn keeps(self, pkttype: u8) -> bool {
        match self {
            Direction::InOut => true,
            Direction::In => pkttype != PACKET_OUTGOING,
            Direction::Out => pkttype == PACKET_OUTGOING,
        }
    }
}

/// What to capture and how. `Default` is tcpdump's: snap length 262144,
/// promiscuous, both directions, no filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceConfig {
    /// Interface name, or `any` for every interface (cooked headers).
    pub iface: String,
    /// Network namespace to open the socket in (path, name in /run/netns,
    /// or PID; see [`crate::netns::resolve`]). The calling thread returns
    /// to its own namespace afterwards.
    pub netns: Option<String>,
    pub snaplen: u32,
    /// pcap-filter(7) expression; empty accepts everything.
    pub filter: String,
    pub promisc: bool,
    pub direction: Direction,
    /// Ring size in bytes (`-B` is KiB).
    pub buffer_size: usize,
    /// Hand packets over within about a millisecond (`--immediate-mode`,
    /// `-U`), instead of within [`DEFAULT_BLOCK_TIMEOUT_MS`] (see
    /// [`Tuning`]).
    pub immediate: bool,
    /// Requested link type (`-y`). `None`: the interface's own, or
    /// LINUX_SLL for `any`. LINUX_SLL/LINUX_SLL2 work on any interface.
    pub linktype: Option<LinkType>,
    /// Run the filter optimizer (`-O` turns it off).
    pub optimize: bool,
    /// Extra UDP ports the `vxlan` filter keyword matches.
    pub vxlan_ports: Vec<u16>,
}

impl Default for SourceConfig {
    fn default() -> Self {
        SourceConfig {
            iface: "any".into(),
            netns: None,
            snaplen: DEFAULT_SNAPLEN,
            filter: String::new(),
            promisc: true,
            direction: Direction::InOut,
            buffer_size: DEFAULT_BUFFER,
            immediate: false,
            linktype: None,
            optimize: true,
            vxlan_ports: Vec::new(),
        }
    }
}

/// Kernel counters, accumulated since the socket was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Packets the kernel filter accepted, including those then dropped
    /// ("packets received by filter").
    pub received: u64,
    /// Packets accepted but dropped because the ring was full ("packets
    /// dropped by kernel").
    pub dropped: u64,
    /// Times the ring was frozen (full) by the kernel.
    pub freezes: u64,
}

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
    /// `PACKET_HOST`(0) .. `PACKET_OUTGOING`(4).
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
struct Shaper {
    linktype: LinkType,
    cooked: bool,
    snaplen: u32,
    direction: Direction,
    user_filter: Option<Vec<Insn>>,
    head: [u8; 32],
    scratch: Vec<u8>,
    malformed: u64,
}

/// An open capture: a packet socket with its mapped ring.
#[derive(Debug)]
pub struct Source {
    map: sys::Mmap,
    fd: OwnedFd,
    block_size: usize,
    block_nr: usize,
    cur: usize,
    shaper: Shaper,
    name: String,
    ifindex: u32,
    netns: Option<String>,
    totals: Stats,
    names: Names,
}

/// ifindex -> name, looked up in the source's namespace and cached.
#[derive(Debug)]
struct Names {
    ctl: OwnedFd,
    cache: RefCell<HashMap<u32, Arc<str>>>,
}

impl Names {
    fn get(&self, ifindex: u32) -> Option<Arc<str>> {
        if let Some(n) = self.cache.borrow().get(&ifindex) {
            return Some(n.clone());
        }
        let n: Arc<str> = sys::if_name(self.ctl.as_raw_fd(), ifindex)?.into();
        self.cache.borrow_mut().insert(ifindex, n.clone());
        Some(n)
    }
}

/// One ring block handed to user space; returned to the kernel on drop.
pub struct Batch<'s> {
    map: &'s sys::Mmap,
    off: usize,
    block: &'s [u8],
    left: u32,
    pos: usize,
    shaper: &'s mut Shaper,
    names: &'s Names,
}

/// Block timeout of [`Source::open`] without `immediate`.
pub const DEFAULT_BLOCK_TIMEOUT_MS: u32 = 4;

/// Ring knobs beyond [`SourceConfig`], for [`Source::open_tuned`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tuning {
    /// How long the kernel may keep a part-filled block before handing it
    /// over (`None`: 1 ms if `immediate`, else
    /// [`DEFAULT_BLOCK_TIMEOUT_MS`]). Short timeouts hand over half-empty
    /// blocks and so shrink how many packets the ring can absorb; long ones
    /// delay packets. tcpdump mode uses 50 ms unless `-U`.
    pub block_timeout_ms: Option<u32>,
}

fn ring_geometry(buffer: usize, immediate: bool) -> sys::TpacketReq3 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let page = match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
        n if n > 0 => n as usize,
        _ => 4096,
    };
    // A block holds a whole 64 KiB GSO packet plus headers; smaller rings
    // (`-B`) shrink the block so there are still at least two.
    let mut block = 128 << 10;
    while block > page && block * 2 > buffer {
        block /= 2;
    }
    let nr = (buffer / block).max(2);
    sys::TpacketReq3 {
        block_size: block as u32,
        block_nr: nr as u32,
        // TPACKET_V3 packs frames of any size; frame_size only has to
        // divide the block.
        frame_size: block as u32,
        frame_nr: nr as u32,
        retire_blk_tov: if immediate {
            1
        } else {
            DEFAULT_BLOCK_TIMEOUT_MS
        },
        sizeof_priv: 0,
        feature_req_word: 0,
    }
}

/// Accepts everything, keeping `snaplen` bytes.
fn accept_all(snaplen: u32) -> Vec<Insn> {
    vec![Insn::stmt(op::RET | op::K, snaplen.max(1))]
}

/// The kernel program and the user-space one (if the kernel cannot run it).
fn build_filters(cfg: &SourceConfig, linktype: LinkType) -> Result<(Vec<Insn>, Option<Vec<Insn>>)> {
    if cfg.filter.trim().is_empty() {
        return Ok((accept_all(u32::MAX), None));
    }
    let opts = crate::filter::Options {
        linktype,
        optimize: cfg.optimize,
        snaplen: cfg.snaplen,
        netmask: None,
        linux_ext: true,
        vxlan_ports: cfg.vxlan_ports.clone(),
    };
    let prog = crate::filter::compile(&cfg.filter, &opts)?;
    match linktype {
        LinkType::LinuxSll | LinkType::LinuxSll2 => {
            match crate::bpf::kernel::cooked_to_kernel(&prog, linktype) {
                Some(k) => Ok((k, None)),
                None => Ok((accept_all(u32::MAX), Some(prog))),
            }
        }
        _ => Ok((prog, None)),
    }
}

impl Source {
    /// Opens a capture as `cfg` says: resolves the interface and its link
    /// type, creates the socket (in `cfg.netns` if given), maps the ring,
    /// attaches the filter. Needs CAP_NET_RAW (and CAP_SYS_ADMIN for a
    /// netns); the error then says so and how to grant it.
    pub fn open(cfg: &SourceConfig) -> Result<Source> {
        Source::open_tuned(cfg, &Tuning::default())
    }

    /// [`Source::open`] with ring knobs.
    pub fn open_tuned(cfg: &SourceConfig, tuning: &Tuning) -> Result<Source> {
        sys::in_netns(cfg.netns.as_deref(), || Source::open_here(cfg, tuning))
    }

    fn open_here(cfg: &SourceConfig, tuning: &Tuning) -> Result<Source> {
        let ctl = sys::ioctl_socket()?;
        let any = cfg.iface == "any";
        let (ifindex, native) = if any {
            (0, None)
        } else {
            let idx = sys::if_index(ctl.as_raw_fd(), &cfg.iface)?;
            let hatype = sys::if_hatype(ctl.as_raw_fd(), &cfg.iface)?;
            (idx, LinkType::from_arphrd(hatype))
        };
        let linktype = match (cfg.linktype, any, native) {
            (Some(l @ (LinkType::LinuxSll | LinkType::LinuxSll2)), _, _) => l,
            (Some(l), true, _) => {
                return Err(Error::unsupported(
                    format!("-y {} on `any`", l.name()),
                    "the `any` device only has cooked link types",
                )
                .hint("use -y LINUX_SLL or -y LINUX_SLL2"));
            }
            (Some(l), false, Some(n)) if l != n => {
                return Err(Error::unsupported(
                    format!("-y {} on {}", l.name(), cfg.iface),
                    format!("the interface's link type is {}", n.name()),
                )
                .hint(format!(
                    "use -y {}, LINUX_SLL or LINUX_SLL2 (`-L` lists them)",
                    n.name()
                )));
            }
            (_, true, _) => LinkType::LinuxSll,
            (_, false, Some(n)) => n,
            // Link types podcap has no name for are captured cooked, as
            // libpcap does for unknown ARPHRD_ types.
            (_, false, None) => LinkType::LinuxSll,
        };
        let cooked = matches!(linktype, LinkType::LinuxSll | LinkType::LinuxSll2);
        let (kernel_prog, user_filter) = build_filters(cfg, linktype)?;

        // Protocol 0: the socket receives nothing until bound, so nothing
        // can arrive before the reject-all filter is in place.
        let fd = sys::socket(
            libc::AF_PACKET,
            if cooked {
                libc::SOCK_DGRAM
            } else {
                libc::SOCK_RAW
            },
            0,
            "open an AF_PACKET socket",
            Some("CAP_NET_RAW"),
        )?;
        let raw = fd.as_raw_fd();
        sys::setsockopt(raw, sys::SOL_PACKET, sys::PACKET_VERSION, &sys::TPACKET_V3).map_err(
            |e| {
                Error::os("select TPACKET_V3 on the packet socket", e, None)
                    .hint("podcap needs Linux 3.2 or later")
            },
        )?;
        if cfg.direction == Direction::In {
            // Linux >= 4.20; older kernels still get the user-space check.
            let _ = sys::setsockopt(raw, sys::SOL_PACKET, sys::PACKET_IGNORE_OUTGOING, &1i32);
        }
        let mut req = ring_geometry(cfg.buffer_size, cfg.immediate);
        if let Some(ms) = tuning.block_timeout_ms {
            req.retire_blk_tov = ms.max(1);
        }
        sys::setsockopt(raw, sys::SOL_PACKET, sys::PACKET_RX_RING, &req).map_err(|e| {
            Error::os(
                format!(
                    "create a {} KiB capture ring ({} blocks of {} KiB)",
                    (req.block_size as usize * req.block_nr as usize) >> 10,
                    req.block_nr,
                    req.block_size >> 10
                ),
                e,
                Some("CAP_NET_RAW"),
            )
            .hint("ask for a smaller buffer with -B (KiB)")
        })?;
        let len = req.block_size as usize * req.block_nr as usize;
        let map = sys::Mmap::map(raw, len)
            .map_err(|e| Error::os("map the capture ring", e, None).hint("try a smaller -B"))?;

        sys::attach_filter(raw, &[Insn::stmt(op::RET | op::K, 0)])
            .map_err(|e| Error::os("attach the reject-all filter", e, Some("CAP_NET_RAW")))?;
        sys::bind_packet(raw, ifindex).map_err(|e| {
            Error::os(
                format!("bind the packet socket to {}", cfg.iface),
                e,
                Some("CAP_NET_RAW"),
            )
        })?;
        if cfg.promisc && !any {
            sys::set_promisc(raw, ifindex).map_err(|e| {
                Error::os(
                    format!("put {} in promiscuous mode", cfg.iface),
                    e,
                    Some("CAP_NET_RAW"),
                )
                .hint("use -p to capture without promiscuous mode")
            })?;
        }

        let mut src = Source {
            map,
            fd,
            block_size: req.block_size as usize,
            block_nr: req.block_nr as usize,
            cur: 0,
            shaper: Shaper {
                linktype,
                cooked,
                snaplen: cfg.snaplen.max(1),
                direction: cfg.direction,
                user_filter,
                head: [0; 32],
                scratch: Vec::new(),
                malformed: 0,
            },
            name: cfg.iface.clone(),
            ifindex,
            netns: cfg.netns.clone(),
            totals: Stats::default(),
            names: Names {
                ctl,
                cache: RefCell::new(HashMap::new()),
            },
        };
        // Drain whatever the reject-all filter let through (nothing, by
        // construction) and zero the kernel's counters, then attach the
        // real program.
        src.drain();
        let _ = sys::packet_stats(raw);
        if let Err(e) = sys::attach_filter(raw, &kernel_prog) {
            // The kernel refused the program (too long, or a load it does
            // not allow): filter in user space, as libpcap does.
            if src.shaper.user_filter.is_none() && !cooked {
                src.shaper.user_filter = Some(kernel_prog);
                sys::attach_filter(raw, &accept_all(u32::MAX))
                    .map_err(|e2| Error::os("attach the capture filter", e2, None))?;
            } else {
                return Err(Error::os("attach the capture filter", e, None));
            }
        }
        Ok(src)
    }

    fn drain(&mut self) {
        while let Some(b) = self.next_batch() {
            drop(b);
        }
    }

    /// The interface name as configured (`any` for all).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The interface index (0 for `any`).
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// The network namespace the socket lives in, as given.
    pub fn netns(&self) -> Option<&str> {
        self.netns.as_deref()
    }

    /// The link type of the packets this source returns.
    pub fn linktype(&self) -> LinkType {
        self.shaper.linktype
    }

    pub fn snaplen(&self) -> u32 {
        self.shaper.snaplen
    }

    /// Whether the filter runs in user space (the kernel could not take it).
    pub fn filters_in_user_space(&self) -> bool {
        self.shaper.user_filter.is_some()
    }

    /// Frames the ring held that did not parse (kernel/podcap mismatch);
    /// expected to stay 0.
    pub fn malformed(&self) -> u64 {
        self.shaper.malformed
    }

    /// Name of interface `ifindex` in the source's namespace (cached).
    pub fn ifname(&self, ifindex: u32) -> Option<Arc<str>> {
        self.names.get(ifindex)
    }

    /// Waits up to `timeout_ms` (-1: forever) for a block. Returns false
    /// on timeout or when a signal interrupted the wait.
    pub fn wait(&self, timeout_ms: i32) -> Result<bool> {
        if self.ready() {
            return Ok(true);
        }
        sys::poll_in(self.fd.as_raw_fd(), timeout_ms)
            .map_err(|e| Error::os(format!("wait for packets on {}", self.name), e, None))
    }

    /// Waits (at most `max_ms`) for the block the kernel is filling to be
    /// handed over, if it holds packets: used when stopping, so that what
    /// arrived before the stop is still written.
    pub fn settle(&self, max_ms: i32) {
        let off = self.cur * self.block_size;
        let mut left = max_ms;
        while left > 0 && !self.ready() && self.map.block_packets_hint(off) > 0 {
            let _ = sys::poll_in(self.fd.as_raw_fd(), left.min(50));
            left -= 50;
        }
    }

    /// Whether a block is waiting in the ring.
    pub fn ready(&self) -> bool {
        self.map.block_status(self.cur * self.block_size) & ring::status::USER != 0
    }

    /// The next block the kernel has filled, if any. Never blocks.
    pub fn next_batch(&mut self) -> Option<Batch<'_>> {
        let off = self.cur * self.block_size;
        if self.map.block_status(off) & ring::status::USER == 0 {
            return None;
        }
        self.cur = (self.cur + 1) % self.block_nr;
        // SAFETY: the status word says user space owns this block; the
        // Batch keeps the slice only until it hands the block back in Drop.
        let block = unsafe { self.map.block(off, self.block_size) };
        let (left, pos) = match BlockDesc::new_checked(block) {
            Ok(d) => (d.num_pkts(), d.offset_to_first_pkt() as usize),
            Err(_) => (0, 0),
        };
        Some(Batch {
            map: &self.map,
            off,
            block,
            left,
            pos,
            shaper: &mut self.shaper,
            names: &self.names,
        })
    }

    /// The kernel's counters, accumulated since open.
    pub fn stats(&mut self) -> Result<Stats> {
        let st = sys::packet_stats(self.fd.as_raw_fd())
            .map_err(|e| Error::os("read PACKET_STATISTICS", e, None))?;
        self.totals.received += st.packets as u64;
        self.totals.dropped += st.drops as u64;
        self.totals.freezes += st.freeze_q_cnt as u64;
        Ok(self.totals)
    }
}

impl AsRawFd for Source {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsFd for Source {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// A [`Source`]'s socket registered with the async reactor. A duplicate fd
/// is registered so that the `Source` itself stays borrowable (`RefCell`)
/// by the task that pumps it while the reactor holds the fd.
pub struct Readiness(smol::Async<OwnedFd>);

impl Readiness {
    pub fn new(src: &Source) -> Result<Self> {
        let fd = src
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| Error::os("duplicate the packet socket", e, None))?;
        smol::Async::new(fd)
            .map(Self)
            .map_err(|e| Error::os("register the packet socket", e, None))
    }

    /// Waits until `src` is readable. A wake-up with no block in the ring
    /// may be the socket reporting an error (its interface was deleted or
    /// went down); that fd stays readable forever, so it is returned as an
    /// error rather than leaving the caller to spin on it.
    pub async fn wait(&self, src: &RefCell<Source>) -> Result<()> {
        self.0
            .readable()
            .await
            .map_err(|e| Error::os("wait for packets", e, None))?;
        let s = src.borrow();
        if s.ready() {
            return Ok(());
        }
        sys::poll_in(s.as_raw_fd(), 0).map(drop).map_err(|e| {
            Error::os(format!("capture on {}", s.name()), e, None)
                .hint("the interface was probably deleted or went down")
        })
    }
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
        loop {
            if self.left == 0 || self.pos == 0 || self.pos >= self.block.len() {
                return None;
            }
            self.left -= 1;
            let Ok(hdr) = FrameHeader::new_checked(&self.block[self.pos..]) else {
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
            if hdr.sll_pkttype() == PACKET_OUTGOING
                && hdr.sll_hatype() == crate::linktype::arphrd::LOOPBACK
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

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        self.map.release_block(self.off);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_defaults_and_small_buffers() {
        let g = ring_geometry(DEFAULT_BUFFER, false);
        assert_eq!(g.retire_blk_tov, DEFAULT_BLOCK_TIMEOUT_MS);
        assert_eq!(g.block_size, 128 << 10);
        assert_eq!(g.block_nr, 32);
        assert_eq!(g.frame_nr * g.frame_size, g.block_nr * g.block_size);
        let g = ring_geometry(64 << 10, true);
        assert_eq!(g.block_size, 32 << 10);
        assert_eq!(g.block_nr, 2);
        assert_eq!(g.retire_blk_tov, 1);
        let g = ring_geometry(1, false);
        assert_eq!(g.block_nr, 2);
        assert!(g.block_size >= 4096);
    }

    #[test]
    fn direction_parse_and_keep() {
        assert_eq!(Direction::parse("in").unwrap(), Direction::In);
        assert!(Direction::parse("both").is_err());
        assert!(Direction::In.keeps(0));
        assert!(!Direction::In.keeps(PACKET_OUTGOING));
        assert!(Direction::Out.keeps(PACKET_OUTGOING));
        assert!(!Direction::Out.keeps(3));
    }

    #[test]
    fn cooked_filters_go_to_the_kernel_when_they_can() {
        let cfg = |f: &str| SourceConfig {
            filter: f.into(),
            ..SourceConfig::default()
        };
        let (k, u) = build_filters(&cfg("udp port 53"), LinkType::LinuxSll).unwrap();
        assert!(u.is_none());
        assert!(k.len() > 1);
        // The source address in the cooked header has no kernel equivalent.
        let (k, u) = build_filters(&cfg("link[11] = 0x0b"), LinkType::LinuxSll).unwrap();
        assert!(u.is_some());
        assert_eq!(k, accept_all(u32::MAX));
        let (k, u) = build_filters(&cfg(""), LinkType::En10mb).unwrap();
        assert!(u.is_none());
        assert_eq!(k, accept_all(u32::MAX));
        assert!(build_filters(&cfg("tcp port 99999"), LinkType::En10mb).is_err());
    }
}
