//! Opening a capture: the configuration, the packet socket and its ring,
//! the kernel and user-space filters, waiting for blocks, and the
//! kernel's counters.

use super::batch::{Batch, Names, RawFrame, Received, Shaper};
use crate::bpf::{Insn, op};
use crate::linktype::LinkType;
use crate::sys::mmap::Mmap;
use crate::sys::packet::{self, TpacketReq3};
use crate::wire::PacketType;
use crate::{Error, Result, sys};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::Arc;

/// tcpdump's default snap length.
pub const DEFAULT_SNAPLEN: u32 = 262_144;
/// Ring size when `-B` is not given (libpcap uses 2 MiB; a little more
/// absorbs bursts on busy nodes).
pub const DEFAULT_BUFFER: usize = 4 << 20;

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

    /// Whether a packet of `pkttype` (a [`PacketType`] number) is kept.
    pub(super) fn keeps(self, pkttype: u8) -> bool {
        let outgoing = PacketType::from(pkttype) == PacketType::Outgoing;
        match self {
            Direction::InOut => true,
            Direction::In => !outgoing,
            Direction::Out => outgoing,
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

/// How a [`Source`] receives: from a TPACKET_V3 ring (the normal way),
/// or, where the kernel or an emulator refuses the ring, one recvmmsg per
/// batch on the same socket.
#[derive(Debug)]
enum Backend {
    Ring {
        map: Mmap,
        /// The ring block to look at next.
        cur: usize,
    },
    Socket {
        slot: usize,
        got: Vec<packet::Received>,
        /// The receive buffer and what arrived in it.
        recv: Received,
    },
}

/// What became of a source whose socket reported an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// Still capturing (a transient error, or the interface went down:
    /// the socket resumes when it comes back up, as with tcpdump).
    Live,
    /// The interface was deleted (or moved to another namespace).
    Gone(String),
}

/// The ring size was raised above `-B` so that no frame is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raised {
    /// Bytes asked for.
    pub asked: usize,
    /// Bytes the ring has.
    pub got: usize,
    /// The largest frame the interface can hand over (MTU, GRO/GSO).
    pub frame: u32,
    pub block: u32,
}

/// An open capture: a packet socket with its mapped ring (or, as a
/// fallback, read with recvmmsg).
#[derive(Debug)]
pub struct Source {
    backend: Backend,
    fd: OwnedFd,
    shaper: Shaper,
    name: String,
    ifindex: u32,
    netns: Option<String>,
    totals: Stats,
    /// Counters already reported by [`Source::stats_since`].
    reported: Stats,
    names: Names,
    raised: Option<Raised>,
    fallback: Option<String>,
}

/// The environment variable that makes podcap read without a ring, as it
/// does by itself where the ring is refused (tests compare both paths).
pub const NO_RING_ENV: &str = "PODCAP_NO_RING";

/// Per-frame room in a ring block beyond the packet: the tpacket3 header
/// and sockaddr_ll (68 bytes, aligned) and the headroom the kernel leaves
/// before the MAC header, generously.
const FRAME_OVERHEAD: usize = 160;
/// A block's descriptor, aligned.
const BLOCK_OVERHEAD: usize = 64;

/// The largest frame an interface of this MTU hands a packet socket: the
/// MTU plus an Ethernet header and a VLAN tag, and at least a 64 KiB
/// GRO/GSO super-packet, which veths, bridges and most NICs build.
pub fn largest_frame(mtu: u32) -> u32 {
    mtu.max(65_535).saturating_add(14 + 4)
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

/// The ring for `buffer` bytes whose blocks each hold a frame of
/// `frame` bytes whole: TPACKET_V3 cuts a frame larger than its block.
/// Blocks of 128 KiB (a 64 KiB GSO packet and headers) by default,
/// smaller for small `-B` when the frames allow, and at least two. The
/// second value is set when the ring is larger than `buffer`.
fn ring_geometry(buffer: usize, immediate: bool, frame: u32) -> (TpacketReq3, Option<Raised>) {
    let page = sys::mmap::page_size();
    let need = (frame as usize + FRAME_OVERHEAD + BLOCK_OVERHEAD)
        .next_power_of_two()
        .max(page);
    let mut block = 128 << 10;
    while block > page && block * 2 > buffer {
        block /= 2;
    }
    let block = block.max(need);
    let nr = (buffer / block).max(2);
    let raised = (block * nr > buffer).then_some(Raised {
        asked: buffer,
        got: block * nr,
        frame,
        block: block as u32,
    });
    let req = TpacketReq3 {
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
    };
    (req, raised)
}

/// Why no ring could be had.
enum RingError {
    /// Not available here: read without one.
    Refused(String),
    /// Available, but not of this size: the user's to fix.
    Failed(Error),
}
use RingError::{Failed, Refused};

/// What the kernel program keeps of the packets it accepts: its largest
/// `ret #k`.
fn kernel_snap(prog: &[Insn]) -> u32 {
    prog.iter()
        .filter(|i| i.code == (op::RET | op::K))
        .map(|i| i.k)
        .max()
        .unwrap_or(u32::MAX)
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
        crate::netns::within(cfg.netns.as_deref(), || Source::open_here(cfg, tuning))
    }

    fn open_here(cfg: &SourceConfig, tuning: &Tuning) -> Result<Source> {
        let ctl = sys::socket::ioctl_socket()?;
        let any = cfg.iface == "any";
        let (ifindex, native) = if any {
            (0, None)
        } else {
            let idx = sys::socket::if_index(&ctl, &cfg.iface)?;
            let hatype = sys::socket::if_hatype(&ctl, &cfg.iface)?;
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
        let ty = if cooked {
            libc::SOCK_DGRAM
        } else {
            libc::SOCK_RAW
        };
        let fd = packet::socket(ty, 0)
            .map_err(|e| Error::os("open an AF_PACKET socket", e, Some("CAP_NET_RAW")))?;
        if cfg.direction == Direction::In {
            // Linux >= 4.20; older kernels still get the user-space check.
            let _ = packet::ignore_outgoing(&fd);
        }
        let frame = if any {
            largest_frame(0)
        } else {
            largest_frame(sys::socket::if_mtu(&ctl, &cfg.iface).unwrap_or(0))
        };
        let kernel_snap = kernel_snap(&kernel_prog);
        let mut raised = None;
        let mut fallback = None;
        let backend = if std::env::var_os(NO_RING_ENV).is_some_and(|v| !v.is_empty()) {
            fallback = Some(format!("{NO_RING_ENV} is set"));
            None
        } else {
            match Source::map_ring(&fd, cfg, tuning, frame) {
                Ok((b, r)) => {
                    raised = r;
                    Some(b)
                }
                Err(Refused(why)) => {
                    fallback = Some(why);
                    None
                }
                Err(Failed(e)) => return Err(e),
            }
        };
        let backend = match backend {
            Some(b) => b,
            None => Source::socket_backend(&fd, cfg.buffer_size, frame.min(kernel_snap))?,
        };

        sys::socket::attach_filter(&fd, &[Insn::stmt(op::RET | op::K, 0)])
            .map_err(|e| Error::os("attach the reject-all filter", e, Some("CAP_NET_RAW")))?;
        packet::bind(&fd, ifindex).map_err(|e| {
            Error::os(
                format!("bind the packet socket to {}", cfg.iface),
                e,
                Some("CAP_NET_RAW"),
            )
        })?;
        if cfg.promisc && !any {
            packet::add_promisc(&fd, ifindex).map_err(|e| {
                Error::os(
                    format!("put {} in promiscuous mode", cfg.iface),
                    e,
                    Some("CAP_NET_RAW"),
                )
                .hint("use -p to capture without promiscuous mode")
            })?;
        }

        let mut src = Source {
            backend,
            fd,
            shaper: Shaper {
                linktype,
                cooked,
                snaplen: cfg.snaplen.max(1),
                direction: cfg.direction,
                user_filter,
                kernel_snap,
                head: [0; 32],
                scratch: Vec::new(),
                malformed: 0,
                cut: 0,
            },
            name: cfg.iface.clone(),
            ifindex,
            netns: cfg.netns.clone(),
            totals: Stats::default(),
            reported: Stats::default(),
            names: Names::new(ctl),
            raised,
            fallback,
        };
        // Drain whatever the reject-all filter let through (nothing, by
        // construction) and zero the kernel's counters, then attach the
        // real program.
        src.drain();
        let _ = packet::statistics(&src.fd);
        if let Err(e) = sys::socket::attach_filter(&src.fd, &kernel_prog) {
            // The kernel refused the program (too long, or a load it does
            // not allow): filter in user space, as libpcap does.
            if src.shaper.user_filter.is_none() && !cooked {
                src.shaper.user_filter = Some(kernel_prog);
                src.shaper.kernel_snap = u32::MAX;
                sys::socket::attach_filter(&src.fd, &accept_all(u32::MAX))
                    .map_err(|e2| Error::os("attach the capture filter", e2, None))?;
            } else {
                return Err(Error::os("attach the capture filter", e, None));
            }
        }
        Ok(src)
    }

    /// Selects TPACKET_V3 and maps the ring. `Refused` when the kernel
    /// (or an emulator such as qemu-user, which does not translate
    /// PACKET_VERSION) cannot give one: the caller then reads without it.
    fn map_ring(
        fd: &OwnedFd,
        cfg: &SourceConfig,
        tuning: &Tuning,
        frame: u32,
    ) -> std::result::Result<(Backend, Option<Raised>), RingError> {
        if let Err(e) = packet::set_tpacket_v3(fd) {
            return Err(Refused(format!("select TPACKET_V3: {e}")));
        }
        let (mut req, raised) = ring_geometry(cfg.buffer_size, cfg.immediate, frame);
        if let Some(ms) = tuning.block_timeout_ms {
            req.retire_blk_tov = ms.max(1);
        }
        if let Err(e) = packet::set_rx_ring(fd, &req) {
            let what = format!(
                "create a {} KiB capture ring ({} blocks of {} KiB)",
                (req.block_size as usize * req.block_nr as usize) >> 10,
                req.block_nr,
                req.block_size >> 10
            );
            // Out of memory or locked memory is the caller's to fix with
            // -B; anything else means no ring here.
            if matches!(e.raw_os_error(), Some(libc::ENOMEM) | Some(libc::EPERM)) {
                return Err(Failed(
                    Error::os(what, e, Some("CAP_NET_RAW"))
                        .hint("ask for a smaller buffer with -B (KiB)"),
                ));
            }
            return Err(Refused(format!("{what}: {e}")));
        }
        match Mmap::ring(fd, req.block_size as usize, req.block_nr as usize) {
            Ok(map) => Ok((Backend::Ring { map, cur: 0 }, raised)),
            Err(e) => Err(Refused(format!("map the capture ring: {e}"))),
        }
    }

    /// The recvmmsg reader: auxiliary data for lengths and VLAN tags,
    /// nanosecond time stamps, a receive queue of `buffer` bytes, slots of
    /// `frame` bytes.
    fn socket_backend(fd: &OwnedFd, buffer: usize, frame: u32) -> Result<Backend> {
        packet::set_auxdata(fd)
            .map_err(|e| Error::os("ask for PACKET_AUXDATA on the packet socket", e, None))?;
        packet::set_timestamp_ns(fd)
            .map_err(|e| Error::os("ask for SO_TIMESTAMPNS on the packet socket", e, None))?;
        let _ = sys::socket::set_recv_buffer(fd, buffer);
        let slot = (frame as usize).clamp(64, 1 << 18).next_multiple_of(64);
        let len = (slot * 64).clamp(256 << 10, 4 << 20).max(slot);
        Ok(Backend::Socket {
            slot,
            got: Vec::new(),
            recv: Received {
                data: vec![0; len],
                frames: Vec::new(),
            },
        })
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
        wait_readable(&self.fd, timeout_ms)
            .map_err(|e| Error::os(format!("wait for packets on {}", self.name), e, None))
    }

    /// Waits (at most `max_ms`) for the block the kernel is filling to be
    /// handed over, if it holds packets: used when stopping, so that what
    /// arrived before the stop is still written.
    pub fn settle(&self, max_ms: i32) {
        let Backend::Ring { map, cur } = &self.backend else {
            return;
        };
        let mut left = max_ms;
        while left > 0 && !self.ready() && map.block_packets_hint(*cur) > 0 {
            let _ = wait_readable(&self.fd, left.min(50));
            left -= 50;
        }
    }

    /// Whether a block (or, without a ring, a packet) is waiting.
    pub fn ready(&self) -> bool {
        match &self.backend {
            Backend::Ring { map, cur } => map.block_status(*cur) & packet::status::USER != 0,
            Backend::Socket { .. } => sys::poll::poll_in(&self.fd, 0).is_ok_and(|r| r.readable()),
        }
    }

    /// Packets the kernel has handed over but that were not read yet:
    /// those of the ring's ready blocks (without a ring: unknown, 0).
    pub fn pending(&self) -> u64 {
        let Backend::Ring { map, cur } = &self.backend else {
            return 0;
        };
        let nr = map.block_nr();
        (0..nr)
            .map(|i| (cur + i) % nr)
            .take_while(|&b| map.block_status(b) & packet::status::USER != 0)
            .map(|b| u64::from(map.block_packets_hint(b)))
            .sum()
    }

    /// The next block the kernel has filled (without a ring: the packets
    /// queued now, up to a buffer's worth), if any. Never blocks.
    pub fn next_batch(&mut self) -> Option<Batch<'_>> {
        match &mut self.backend {
            Backend::Ring { map, cur } => {
                let (c, nr) = (*cur, map.block_nr());
                let block = map.user_block(c)?;
                *cur = (c + 1) % nr;
                Some(Batch::new(block, &mut self.shaper, &self.names))
            }
            Backend::Socket { slot, got, recv } => {
                got.clear();
                let n = packet::recv_many(&self.fd, &mut recv.data, *slot, got).ok()?;
                if n == 0 {
                    return None;
                }
                recv.frames.clear();
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                for (i, r) in got.iter().enumerate() {
                    let start = i * *slot;
                    let (sec, nsec) = r.ts.unwrap_or((now.as_secs() as i64, now.subsec_nanos()));
                    recv.frames.push(RawFrame {
                        sec: sec as u32,
                        nsec,
                        len: r.len,
                        data: (start, start + r.copied),
                        vlan: r.vlan,
                        protocol: r.from.protocol,
                        ifindex: r.from.ifindex,
                        hatype: r.from.hatype,
                        pkttype: u8::from(r.from.pkttype),
                        halen: r.from.halen,
                        addr: r.from.addr,
                    });
                }
                Some(Batch::received(recv, &mut self.shaper, &self.names))
            }
        }
    }

    /// The kernel's counters, accumulated since open.
    pub fn stats(&mut self) -> Result<Stats> {
        let st = packet::statistics(&self.fd)
            .map_err(|e| Error::os("read PACKET_STATISTICS", e, None))?;
        self.totals.received += st.packets as u64;
        self.totals.dropped += st.drops as u64;
        self.totals.freezes += st.freeze_q_cnt as u64;
        Ok(self.totals)
    }

    /// The kernel's counters since the previous call (since open, the
    /// first time).
    pub fn stats_since(&mut self) -> Result<Stats> {
        let t = self.stats()?;
        let d = Stats {
            received: t.received - self.reported.received,
            dropped: t.dropped - self.reported.dropped,
            freezes: t.freezes - self.reported.freezes,
        };
        self.reported = t;
        Ok(d)
    }

    /// Frames the ring (or the receive buffer) held fewer bytes of than
    /// the snap length asked for: expected to stay 0 (blocks are sized
    /// for the interface's largest frame), counted so it is never silent.
    pub fn cut(&self) -> u64 {
        self.shaper.cut
    }

    /// Set when the ring is larger than asked, so that frames fit whole.
    pub fn raised(&self) -> Option<Raised> {
        self.raised
    }

    /// Why this source reads without a ring (recvmmsg), if it does.
    pub fn without_ring(&self) -> Option<&str> {
        self.fallback.as_deref()
    }

    /// What the error the socket reports means: a deleted interface
    /// ends the source; anything else (it went down) clears and goes on.
    pub fn health(&self) -> Health {
        // Reading the error clears it, so the socket stops polling as
        // failed while the interface is down.
        let _ = sys::socket::take_error(&self.fd);
        if self.ifindex != 0 && sys::socket::if_name(self.names.ctl(), self.ifindex).is_none() {
            return Health::Gone(format!("{} was deleted", self.name));
        }
        Health::Live
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

/// Waits up to `timeout_ms` (-1: forever) for `fd` to be readable.
/// Returns Ok(false) on timeout or signal; an error when the socket
/// reports one (it would stay readable forever).
fn wait_readable(fd: impl AsFd, timeout_ms: i32) -> io::Result<bool> {
    match sys::poll::poll_in(fd, timeout_ms) {
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(false),
        Err(e) => Err(e),
        Ok(r) if r.failed() => Err(io::Error::other(
            "packet socket reported an error (interface gone?)",
        )),
        Ok(r) => Ok(!r.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_defaults_and_small_buffers() {
        let eth = largest_frame(1500);
        let (g, r) = ring_geometry(DEFAULT_BUFFER, false, eth);
        assert_eq!(r, None);
        assert_eq!(g.retire_blk_tov, DEFAULT_BLOCK_TIMEOUT_MS);
        assert_eq!(g.block_size, 128 << 10);
        assert_eq!(g.block_nr, 32);
        assert_eq!(g.frame_nr * g.frame_size, g.block_nr * g.block_size);
        // Small snap lengths let small buffers keep small blocks.
        let (g, r) = ring_geometry(64 << 10, true, 96);
        assert_eq!(
            (g.block_size, g.block_nr, g.retire_blk_tov),
            (32 << 10, 2, 1)
        );
        assert_eq!(r, None);
        // -B 32 with 64 KiB GRO frames: blocks grow to hold one whole, and
        // the ring is raised (tcpdump's libpcap uses 256 KiB blocks).
        let (g, r) = ring_geometry(32 << 10, false, eth);
        assert_eq!((g.block_size, g.block_nr), (128 << 10, 2));
        let r = r.unwrap();
        assert_eq!((r.asked, r.got, r.frame), (32 << 10, 256 << 10, eth));
        assert!(g.block_size as usize >= eth as usize + FRAME_OVERHEAD + BLOCK_OVERHEAD);
        // Loopback's 64 KiB MTU too.
        assert!(largest_frame(65_536) as usize + FRAME_OVERHEAD + BLOCK_OVERHEAD <= 128 << 10);
        let (g, _) = ring_geometry(1, false, 64);
        assert_eq!(g.block_nr, 2);
        assert!(g.block_size >= 4096);
    }

    #[test]
    fn direction_parse_and_keep() {
        assert_eq!(Direction::parse("in").unwrap(), Direction::In);
        assert!(Direction::parse("both").is_err());
        assert!(Direction::In.keeps(0));
        let outgoing = u8::from(PacketType::Outgoing);
        assert!(!Direction::In.keeps(outgoing));
        assert!(Direction::Out.keeps(outgoing));
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
