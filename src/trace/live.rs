//! `capture --path`, live: one capture per hop, all read at once (smol,
//! one task per ring), every packet fed to the [`Correlator`], each packet
//! printed once with its hops, the summary on exit.
//!
//! Which hops a packet leaving the pod should cross is asked of the
//! kernel's routing table ([`RouteExpect`]): to the node itself or to a pod
//! on the same bridge it stops at the bridge, to another node it goes on
//! to the tunnel and the underlay, to the outside world straight to the
//! underlay.

use super::correlate::{Config, Correlator, Dir, Expect, HopMask, Nanos, Record, Summary};
use super::identity::{Flow, IdentityConfig, Transport, identify};
use super::report::{clock, path_line, write_summary};
use super::{Hop, Role};
use crate::capture::output::{FileFormat, OutIface, OutPacket, Output, OutputConfig};
use crate::capture::{self, Source, SourceConfig, Stats, signals};
use crate::decode::{Meta, PrintOptions, Printer};
use crate::netlink::route::RouteType;
use crate::netlink::{RouteQuery, Socket};
use crate::pcap::writer::Precision;
use crate::{Error, Result};
use smol::{Async, Timer, future};
use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::net::IpAddr;
use std::os::fd::AsFd;
use std::rc::Rc;
use std::time::{Duration, SystemTime};

/// The smallest snap length `--path` captures with: the key hashes the
/// first 64 payload bytes, which must be there on every hop, also under
/// 50 bytes of VXLAN headers.
pub const MIN_SNAPLEN: u32 = 256;

/// Ring size per hop when `-B` is not given: twice tcpdump-mode's, since
/// one busy flow crosses every ring at once.
pub const DEFAULT_BUFFER: usize = 8 << 20;

/// How often idle rings are checked and timeouts decided.
const TICK: Duration = Duration::from_millis(50);

/// A ring with nothing to hand over has delivered every packet stamped
/// this long ago (TPACKET_V3 retires a block within its 1 ms timeout).
const DELIVERY_SLACK: Nanos = 50_000_000;

/// What `capture --path` captures and how it reports.
#[derive(Debug, Clone)]
pub struct PathCapture {
    pub pod_ip: IpAddr,
    pub hops: Vec<Hop>,
    /// The kernel filter for each hop.
    pub filters: Vec<String>,
    pub vxlan_ports: Vec<u16>,
    pub snaplen: u32,
    pub promisc: bool,
    pub buffer_size: usize,
    pub optimize: bool,
    /// Stop after this many packets followed.
    pub count: Option<u64>,
    /// pcapng file (one interface block per hop) or `-`.
    pub write: Option<String>,
    pub packet_buffered: bool,
    pub nanos: bool,
    pub print: PrintOptions,
    /// How long a packet may take from one hop to the next: once the next
    /// hop's capture has delivered packets stamped this much later, its
    /// absence there is a loss.
    pub timeout: Duration,
    /// Ask the routing table which hops a packet crosses (local paths);
    /// otherwise every hop is expected.
    pub routed: bool,
}

/// What the capture did.
#[derive(Debug, Clone)]
pub struct PathOutcome {
    pub summary: Summary,
    /// Kernel counters per hop.
    pub stats: Vec<Stats>,
    /// The reader of `-w -` went away.
    pub reader_gone: bool,
}

/// Hops a packet crosses, from the kernel's routing table, cached per
/// peer address.
pub struct RouteExpect {
    nl: Option<Socket>,
    fib: Option<Socket>,
    pod: IpAddr,
    /// Where the pod's packets enter the node's IP forwarding: the bridge,
    /// or the host veth of a routed pod.
    iif: Option<u32>,
    roles: Vec<(Role, u32)>,
    cache: HashMap<(IpAddr, Dir), HopMask>,
}

impl RouteExpect {
    /// `hops`: the path's hops (roles and node-side ifindexes) of `pod`.
    pub fn new(pod: IpAddr, hops: &[Hop]) -> Self {
        let iif = hops
            .iter()
            .find(|h| h.role == Role::Bridge)
            .or_else(|| hops.iter().find(|h| h.role == Role::HostVeth))
            .map(|h| h.ifindex);
        RouteExpect {
            nl: Socket::open().ok(),
            fib: Socket::open().ok(),
            pod,
            iif,
            roles: hops.iter().map(|h| (h.role, h.ifindex)).collect(),
            cache: HashMap::new(),
        }
    }

    fn mask(&self, pick: impl Fn(Role) -> bool) -> HopMask {
        let mut m = HopMask::default();
        for (i, (r, _)) in self.roles.iter().enumerate() {
            if pick(*r) {
                m.insert(i);
            }
        }
        m
    }

    /// The hops on this node's side of the pod up to the bridge.
    fn local(&self) -> HopMask {
        self.mask(|r| matches!(r, Role::Pod | Role::HostVeth | Role::Bridge))
    }

    /// The kernel's route for a packet to (`Dir::Out`) or from `peer`: for
    /// the pod's own packets the forwarding decision (source and input
    /// interface count, as policy routing does), else the node's route.
    fn route(&mut self, peer: IpAddr, dir: Dir) -> Option<crate::netlink::Route> {
        if dir == Dir::Out {
            if let Some(f) = self.fib.as_mut() {
                let q = RouteQuery {
                    src: Some(self.pod),
                    iif: self.iif,
                    ..RouteQuery::to(peer)
                };
                if let Ok(r) = f.route(&q) {
                    return Some(r);
                }
            }
        }
        self.nl.as_mut()?.route_get(peer, false).ok()
    }

    /// The hops a packet to (`Dir::Out`) or from (`Dir::In`) `peer` crosses.
    pub fn for_peer(&mut self, peer: IpAddr, dir: Dir) -> HopMask {
        if let Some(m) = self.cache.get(&(peer, dir)) {
            return *m;
        }
        let local = self.local();
        let all = HopMask::all(self.roles.len());
        let link_scope = match peer {
            IpAddr::V4(a) => a.is_broadcast() || a.is_multicast() || a.is_link_local(),
            IpAddr::V6(a) => a.is_multicast() || (a.segments()[0] & 0xffc0) == 0xfe80,
        };
        let underlay = self.mask(|r| r == Role::Underlay);
        let tunnel = self.mask(|r| matches!(r, Role::Tunnel | Role::Underlay));
        let m = if link_scope {
            local
        } else {
            let route = self.route(peer, dir);
            let role = route.as_ref().and_then(|r| r.oif).and_then(|o| {
                self.roles
                    .iter()
                    .find(|(role, idx)| *idx == o && *role != Role::Pod)
                    .map(|(role, _)| *role)
            });
            match (dir, route.as_ref().map(|r| r.rtype), role) {
                // To or from the node itself.
                (_, Some(RouteType::Local), _) => local,
                (_, Some(_), Some(Role::Tunnel)) => local.or(tunnel),
                (Dir::Out, Some(_), Some(Role::Underlay)) => local.or(underlay),
                // Out via the bridge (a pod on it), another pod's veth
                // (routed CNIs), an interface podcap does not watch: no
                // further hop.
                (Dir::Out, Some(_), _) => local,
                // No route: the node drops it, after the hops it crossed.
                (Dir::Out, None, _) => all,
                // Coming in, the node's route back to the sender does not
                // say where it entered (policy routing, asymmetric paths):
                // it may have come through the underlay. The correlator
                // only counts hops from the first one that saw it, so a
                // packet from a pod beside it is not missed there.
                (Dir::In, _, _) => local.or(underlay),
            }
        };
        if self.cache.len() > 65_536 {
            self.cache.clear();
        }
        self.cache.insert((peer, dir), m);
        m
    }
}

impl Expect for RouteExpect {
    fn expected(&mut self, flow: &Flow, dir: Dir) -> HopMask {
        if matches!(flow.transport, Transport::Arp { .. }) {
            return self.local();
        }
        let peer = match dir {
            Dir::Out => flow.dst,
            Dir::In => flow.src,
        };
        self.for_peer(peer, dir)
    }
}

/// [`RouteExpect`] for paths through this node's pod plumbing, every hop
/// for a remote pod's path (tunnel and underlay only).
pub enum PathExpect {
    Route(Box<RouteExpect>),
    All(usize),
}

impl Expect for PathExpect {
    fn expected(&mut self, flow: &Flow, dir: Dir) -> HopMask {
        match self {
            PathExpect::Route(r) => r.expected(flow, dir),
            PathExpect::All(n) => HopMask::all(*n),
        }
    }
}

fn now_ns() -> Nanos {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos() as Nanos)
        .unwrap_or(0)
}

enum Event {
    Count,
    ReaderGone,
    Failed(Error),
}

/// A decided packet waiting for every earlier one to be decided, so that
/// packets print in time order whatever order the rings deliver them in.
struct Held(Nanos, u64, Record);

impl PartialEq for Held {
    fn eq(&self, o: &Self) -> bool {
        (self.0, self.1) == (o.0, o.1)
    }
}
impl Eq for Held {}
impl PartialOrd for Held {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Held {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.0, self.1).cmp(&(o.0, o.1))
    }
}

/// Everything the tasks share (one thread: `Rc<RefCell<_>>`).
struct Shared {
    pod: IpAddr,
    corr: Correlator<PathExpect>,
    icfg: IdentityConfig,
    file: Option<Output>,
    text: BufWriter<File>,
    printer: Printer,
    labels: Vec<String>,
    records: Vec<Record>,
    held: BinaryHeap<Reverse<Held>>,
    held_seq: u64,
    followed: u64,
    limit: Option<u64>,
    buf: Vec<u8>,
}

impl Shared {
    /// Prints the decided packets stamped before the correlator's horizon
    /// (all of them with `all`), in time order; `Err(Count)` once `-c` is
    /// reached.
    fn emit(&mut self, all: bool) -> std::result::Result<(), Event> {
        for r in self.records.drain(..) {
            self.held_seq += 1;
            self.held.push(Reverse(Held(r.ts, self.held_seq, r)));
        }
        let horizon = if all { Nanos::MAX } else { self.corr.horizon() };
        while self.held.peek().is_some_and(|Reverse(h)| h.0 < horizon) {
            let Some(Reverse(Held(_, _, r))) = self.held.pop() else {
                break;
            };
            if self.limit.is_some_and(|l| self.followed >= l) {
                // Decided, but beyond what -c asked for: neither printed
                // nor in the summary.
                self.corr.discount(&r);
                continue;
            }
            self.followed += 1;
            write_io(self.print_record(&r))?;
        }
        write_io(self.text.flush())?;
        if self.limit.is_some_and(|l| self.followed >= l) {
            return Err(Event::Count);
        }
        Ok(())
    }

    fn print_record(&mut self, r: &Record) -> io::Result<()> {
        match &r.frame {
            Some(f) => {
                // The time it first appeared on this node (the order
                // packets print in), whichever hop's copy is shown.
                let meta = Meta {
                    ts_sec: (r.ts / 1_000_000_000) as i64,
                    ts_nsec: (r.ts % 1_000_000_000) as u32,
                    wirelen: f.wirelen,
                    linktype: f.linktype,
                    ifname: None,
                    direction: None,
                };
                self.printer.print(&mut self.text, &meta, &f.data)?;
            }
            None => writeln!(self.text, "{} {}", clock(r.ts), r.flow)?,
        }
        writeln!(self.text, "{}", path_line(r, &self.labels))
    }

    /// Feeds one ring's ready blocks to the correlator.
    fn pump(&mut self, hop: usize, src: &mut Source) -> std::result::Result<(), Event> {
        while let Some(mut batch) = src.next_batch() {
            while let Some(p) = batch.next() {
                let ts = p.ts_sec.max(0) as Nanos * 1_000_000_000 + Nanos::from(p.ts_nsec);
                let data = p.bytes(&mut self.buf);
                match identify(data, p.linktype, &self.icfg) {
                    // The kernel filter keeps the pod's packets; this also
                    // holds where it cannot look (inside other tunnels).
                    Some(id) if id.flow.src == self.pod || id.flow.dst == self.pod => {
                        self.corr.observe(
                            hop,
                            ts,
                            &id,
                            (data, p.linktype, p.wirelen),
                            &mut self.records,
                        );
                    }
                    _ => self.corr.untracked(hop, ts),
                }
                if let Some(out) = &mut self.file {
                    let r = out.packet(&OutPacket {
                        ts_sec: p.ts_sec,
                        ts_nsec: p.ts_nsec,
                        wirelen: p.wirelen,
                        parts: p.parts(),
                        linktype: p.linktype,
                        iface: hop as u32,
                        ifname: None,
                        pkttype: Some(p.pkttype),
                    });
                    write_io(r)?;
                }
            }
        }
        if let Some(out) = &mut self.file {
            write_io(out.batch_done())?;
        }
        self.emit(false)
    }

    fn tick(&mut self, sources: &[Rc<RefCell<Source>>]) -> std::result::Result<(), Event> {
        let now = now_ns();
        for (h, s) in sources.iter().enumerate() {
            let idle = s.try_borrow().map(|s| !s.ready()).unwrap_or(false);
            if idle {
                self.corr.advance(h, now.saturating_sub(DELIVERY_SLACK));
            }
        }
        self.corr.poll(now, &mut self.records);
        self.emit(false)
    }
}

fn write_io(r: io::Result<()>) -> std::result::Result<(), Event> {
    match r {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(Event::ReaderGone),
        Err(e) => Err(Event::Failed(Error::os("write output", e, None))),
    }
}

fn netns_description(hop: &Hop) -> String {
    match &hop.netns {
        Some(p) => {
            let ino = crate::netns::inode(&p.display().to_string())
                .map(|i| format!(" (net:[{i}])"))
                .unwrap_or_default();
            format!("{}: netns {}{ino}", hop.label, p.display())
        }
        None => format!("{}: the node's netns", hop.label),
    }
}

/// Opens one capture per hop and follows packets until `-c`, SIGINT or
/// SIGTERM. Prints each packet once (stdout, or stderr when the pcapng goes
/// to stdout) and the summary on stderr.
pub fn run(pc: &PathCapture) -> Result<PathOutcome> {
    let n = pc.hops.len();
    if n == 0 || pc.filters.len() != n {
        return Err(Error::usage(
            "--path needs at least one hop with a filter each",
        ));
    }
    let snaplen = pc.snaplen.max(MIN_SNAPLEN);
    let mut sources = Vec::with_capacity(n);
    for (hop, filter) in pc.hops.iter().zip(&pc.filters) {
        let cfg = SourceConfig {
            iface: hop.ifname.clone(),
            netns: hop.netns.as_ref().map(|p| p.display().to_string()),
            snaplen,
            filter: filter.clone(),
            promisc: pc.promisc,
            direction: capture::Direction::InOut,
            buffer_size: pc.buffer_size,
            // Blocks retired every millisecond hold a few packets each and
            // leave a ring of 32 ms at 15,000 packets/s; the default 4 ms
            // keeps over a hundred and still prints promptly.
            immediate: pc.packet_buffered,
            linktype: None,
            optimize: pc.optimize,
            vxlan_ports: pc.vxlan_ports.clone(),
        };
        let src = Source::open(&cfg).map_err(|mut e| {
            e.what = format!("{} (capture on hop {})", e.what, hop.label);
            e
        })?;
        sources.push(src);
    }
    let mut err = io::stderr();
    for (s, hop) in sources.iter().zip(&pc.hops) {
        let _ = writeln!(
            err,
            "podcap: listening on {}, link-type {} ({}), snapshot length {} bytes",
            hop.label,
            s.linktype().name(),
            s.linktype().description(),
            s.snaplen()
        );
    }

    let file = match &pc.write {
        Some(w) => {
            let ifaces: Vec<OutIface> = sources
                .iter()
                .zip(&pc.hops)
                .map(|(s, h)| OutIface {
                    name: h.ifname.clone(),
                    linktype: s.linktype(),
                    snaplen: s.snaplen(),
                    netns: Some(netns_description(h)),
                })
                .collect();
            let f = capture::output::open_dest(w)?;
            Some(Output::new(
                &OutputConfig {
                    write: Some((w.clone(), FileFormat::PcapNg)),
                    precision: if pc.nanos {
                        Precision::Nano
                    } else {
                        Precision::Micro
                    },
                    print: None,
                    packet_buffered: pc.packet_buffered,
                    line_buffered: false,
                    number: false,
                },
                Some(f),
                &ifaces,
            )?)
        }
        None => None,
    };
    // The path lines go to stdout, unless the pcapng does.
    let text_fd = if pc.write.as_deref() == Some("-") {
        io::stderr().as_fd().try_clone_to_owned()
    } else {
        io::stdout().as_fd().try_clone_to_owned()
    }
    .map_err(|e| Error::os("use standard output", e, None))?;

    let expect = if pc.routed {
        PathExpect::Route(Box::new(RouteExpect::new(pc.pod_ip, &pc.hops)))
    } else {
        PathExpect::All(n)
    };
    let cfg = Config {
        // Silence is judged by the other rings' progress (idle rings are
        // advanced by the tick), never by the wall clock alone: when podcap
        // lags behind a busy ring, the packets it has not read yet are not
        // lost. The wall-clock timeout only guards against a ring that stops
        // being read.
        transit: pc.timeout.as_nanos() as Nanos,
        timeout: (pc.timeout.as_nanos() as Nanos)
            .saturating_mul(20)
            .max(10_000_000_000),
        pod_addrs: vec![pc.pod_ip],
        keep_frame: snaplen.min(2048) as usize,
        turn_hops: HopMask::of(
            &pc.hops
                .iter()
                .enumerate()
                .filter(|(_, h)| h.role == Role::Bridge)
                .map(|(i, _)| i)
                .collect::<Vec<_>>(),
        ),
        ..Config::default()
    };
    let mut print = pc.print.clone();
    print.nanos = pc.nanos;
    for p in &pc.vxlan_ports {
        if !print.vxlan_ports.contains(p) {
            print.vxlan_ports.push(*p);
        }
    }
    let icfg = IdentityConfig {
        vxlan_ports: {
            let mut v = super::identity::DEFAULT_VXLAN_PORTS.to_vec();
            for p in &pc.vxlan_ports {
                if !v.contains(p) {
                    v.push(*p);
                }
            }
            v
        },
        ..IdentityConfig::default()
    };
    let shared = Rc::new(RefCell::new(Shared {
        pod: pc.pod_ip,
        corr: Correlator::new(n, cfg, expect)?,
        icfg,
        file,
        text: BufWriter::new(File::from(text_fd)),
        printer: Printer::new(print),
        labels: pc.hops.iter().map(|h| h.label.clone()).collect(),
        records: Vec::new(),
        held: BinaryHeap::new(),
        held_seq: 0,
        followed: 0,
        limit: pc.count,
        buf: Vec::new(),
    }));

    let wake = signals::install().map_err(|e| Error::os("install signal handlers", e, None))?;
    let sources: Vec<Rc<RefCell<Source>>> = sources
        .into_iter()
        .map(|s| Rc::new(RefCell::new(s)))
        .collect();
    let (tx, rx) = smol::channel::unbounded::<Event>();
    let ex = smol::LocalExecutor::new();
    for (hop, src) in sources.iter().enumerate() {
        let readable = capture::Readiness::new(&src.borrow())?;
        let (src, shared, tx) = (src.clone(), shared.clone(), tx.clone());
        ex.spawn(async move {
            loop {
                let step = {
                    let mut s = src.borrow_mut();
                    shared.borrow_mut().pump(hop, &mut s)
                };
                if let Err(ev) = step {
                    let _ = tx.send(ev).await;
                    return;
                }
                if let Err(e) = readable.wait(&src).await {
                    let _ = tx.send(Event::Failed(e)).await;
                    return;
                }
            }
        })
        .detach();
    }
    {
        let (sources, shared, tx) = (sources.clone(), shared.clone(), tx.clone());
        ex.spawn(async move {
            loop {
                Timer::after(TICK).await;
                let step = shared.borrow_mut().tick(&sources);
                if let Err(ev) = step {
                    let _ = tx.send(ev).await;
                    return;
                }
            }
        })
        .detach();
    }
    drop(tx);

    let wake = Async::new(wake).map_err(|e| Error::os("register the signal pipe", e, None))?;
    let ended = smol::block_on(ex.run(future::or(
        async {
            match rx.recv().await {
                Ok(Event::Count) | Err(_) => Ok(false),
                Ok(Event::ReaderGone) => Ok(true),
                Ok(Event::Failed(e)) => Err(e),
            }
        },
        async {
            loop {
                if signals::stop_requested() {
                    return Ok(false);
                }
                let _ = wake.readable().await;
                signals::drain(wake.get_ref());
            }
        },
    )));
    drop(ex);

    let mut sh = shared.borrow_mut();
    let mut reader_gone = matches!(ended, Ok(true));
    let mut stats = Vec::with_capacity(n);
    if ended.is_ok() && !reader_gone {
        // What the rings still hold was captured before the stop: follow
        // it too, then decide everything.
        let counted = sh.limit.is_some_and(|l| sh.followed >= l);
        if !counted {
            for (hop, s) in sources.iter().enumerate() {
                let mut s = s.borrow_mut();
                if let Err(Event::ReaderGone) = sh.pump(hop, &mut s) {
                    reader_gone = true;
                }
            }
            let mut recs = std::mem::take(&mut sh.records);
            sh.corr.finish(now_ns(), &mut recs);
            sh.records = recs;
            if let Err(Event::ReaderGone) = sh.emit(true) {
                reader_gone = true;
            }
        }
    }
    // Decided but never printed (-c was reached first): out of the summary.
    while let Some(Reverse(Held(_, _, r))) = sh.held.pop() {
        sh.corr.discount(&r);
    }
    for r in std::mem::take(&mut sh.records) {
        sh.corr.discount(&r);
    }
    if let Some(f) = &mut sh.file {
        match f.finish() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => reader_gone = true,
            Err(e) => return Err(Error::os(format!("write {}", f.file_name()), e, None)),
            Ok(()) => {}
        }
    }
    let _ = sh.text.flush();
    for s in &sources {
        stats.push(s.borrow_mut().stats().unwrap_or_default());
    }
    ended?;
    let summary = sh.corr.summary().clone();
    if !reader_gone {
        let mut text = Vec::new();
        let _ = write_summary(&mut text, &summary, &sh.labels);
        let drops: Vec<String> = sh
            .labels
            .iter()
            .zip(&stats)
            .map(|(l, s)| format!("{l} {}", s.dropped))
            .collect();
        let _ = writeln!(text, "  packets dropped by kernel: {}", drops.join(", "));
        if stats.iter().any(|s| s.dropped > 0) {
            let _ = writeln!(
                text,
                "  warning: capture rings overflowed, so some misses and losses above are \
                 podcap's, not the network's; give each ring more room with -B KiB"
            );
        }
        let _ = err.write_all(&text);
    }
    Ok(PathOutcome {
        summary,
        stats,
        reader_gone,
    })
}
