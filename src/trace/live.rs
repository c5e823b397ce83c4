//! `capture --path`, live: one capture per hop, all read at once by the
//! capture loop of plain capture ([`session::run`], with `PathSink` as its
//! sink), every packet fed to the [`Correlator`], each packet printed once
//! with its hops, the summary on every end.
//!
//! The order of things, and why:
//!
//! 1. Every ring is opened (each with a reject-all program, bound,
//!    drained, then its real filter), the path's hops and every other way
//!    out of the node ([`super::plan`]). The moment after the last one
//!    went live is the **start barrier**: a packet first seen before it
//!    may have crossed a hop that was not listening yet, so it is counted
//!    ("before every hop was listening"), never judged.
//! 2. conntrack's event socket is subscribed and the table dumped
//!    ([`super::nat`]), the routing socket opened ([`super::expect`]), the
//!    output file opened.
//! 3. Capabilities are dropped (or `-Z user`), before any thread exists
//!    (capabilities are per thread; the loop runs on this one and starts
//!    none): from here on podcap parses packets unprivileged.
//! 4. The loop ([`session::run`]): each ring's blocks go through identity
//!    and the correlator ([`Sink::batch`]); after every read the ring's
//!    drop counter (PACKET_STATISTICS, reset by each read) is taken
//!    ([`Sink::read_done`], and on every tick for rings not read), and an
//!    interval in which a ring dropped makes that hop blind then: a packet
//!    it should have seen then is "not seen by the capture", never LOST. A
//!    ring whose interface is deleted ends alone ([`Sink::source_ended`]);
//!    the others go on, until the pod's own interfaces are all gone.
//! 5. On every end (`-c`, SIGINT, SIGTERM, SIGHUP, SIGQUIT, the pod's
//!    interfaces gone, an error) what the rings still hold is followed
//!    (except after `-c` or the reader going away), everything decided,
//!    and the summary printed ([`Sink::finish`]); then the error, if any.

use super::correlate::{Blind, Config, Correlator, HopMask, Nanos, Record, Summary};
use super::expect::{PathExpect, RouteExpect};
use super::identity::{IdentityConfig, identify};
use super::nat::{Nat, tuple_of};
use super::report::{clock, path_line, write_summary};
use super::{Hop, Role};
use crate::capture::output::{
    FileFormat, Halt, OutIface, OutPacket, Output, OutputConfig, StopAware, halt,
};
use crate::capture::session::{self, End, Flow, Report, Sink, SourceState};
use crate::capture::{self, Batch, Source, SourceConfig, Stats, privs, signals};
use crate::decode::{Meta, PrintOptions, Printer};
use crate::error::Kind;
use crate::netlink::Socket;
use crate::pcap::writer::Precision;
use crate::{Error, Result};
use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
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

/// A ring with nothing to hand over has delivered every packet stamped
/// this long ago (TPACKET_V3 retires a block within its 1 ms timeout).
const DELIVERY_SLACK: Nanos = 50_000_000;

/// Margin around a ring's blind interval: a forwarded packet keeps the
/// time stamp of its arrival on the node, a little before it reached the
/// ring that dropped it.
const BLIND_SLACK: Nanos = 5_000_000;

/// What `capture --path` captures and how it reports.
#[derive(Debug, Clone)]
pub struct PathCapture {
    pub pod_ip: IpAddr,
    /// The path's hops, then the ways out watched ahead ([`Hop::ahead`]).
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
    /// Print each packet's lines (tcpdump's rule: not with `-w` unless
    /// `--print`).
    pub print_lines: bool,
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
    /// `-Z user`: become that user once every ring is open (default: drop
    /// every capability and stay root).
    pub user: Option<String>,
}

/// What the capture did.
#[derive(Debug)]
pub struct PathOutcome {
    pub summary: Summary,
    /// Kernel counters per hop.
    pub stats: Vec<Stats>,
    /// The reader of `-w -` went away.
    pub reader_gone: bool,
    /// Why the capture ended, when it was not asked to (the pod's
    /// interfaces went away, an error): the summary was printed first.
    pub ended: Option<Error>,
}

fn now_ns() -> Nanos {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos() as Nanos)
        .unwrap_or(0)
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

/// A ring's drop counter as last read.
#[derive(Clone, Copy, Default)]
struct RingWatch {
    read_at: Nanos,
    dropped: u64,
    gone: bool,
}

/// `--path`'s [`Sink`]: each hop's blocks to the correlator, the rings'
/// drop counters after every read, idle hops advanced on the loop's
/// ticks, decided packets printed in time order, the summary at the end.
struct PathSink {
    pod: IpAddr,
    corr: Correlator<PathExpect>,
    nat: Rc<RefCell<Nat>>,
    icfg: IdentityConfig,
    file: Option<Output>,
    /// Gives up on a reader that does not read once a stop signal's grace
    /// period is over.
    text: BufWriter<StopAware>,
    print_lines: bool,
    printer: Printer,
    labels: Vec<String>,
    records: Vec<Record>,
    held: BinaryHeap<Reverse<Held>>,
    held_seq: u64,
    followed: u64,
    limit: Option<u64>,
    buf: Vec<u8>,
    rings: Vec<RingWatch>,
    /// conntrack's events were read since the last ring read.
    nat_fresh: bool,
    /// The hops on the pod's side (its interface, the host veth): once all
    /// of them are gone the capture ends.
    pod_side: Vec<usize>,
    /// Hops of the path itself (the ways out watched ahead follow them).
    main: usize,
    /// Set by [`Sink::finish`].
    outcome: Option<PathOutcome>,
}

impl PathSink {
    /// Prints the decided packets stamped before the correlator's horizon
    /// (all of them with `all`), in time order; `Err(End::Count)` once
    /// `-c` is reached.
    fn emit(&mut self, all: bool) -> std::result::Result<(), End> {
        for r in self.records.drain(..) {
            self.held_seq += 1;
            self.held.push(Reverse(Held(r.ts, self.held_seq, r)));
        }
        let horizon = if all { Nanos::MAX } else { self.corr.horizon() };
        while self.held.peek().is_some_and(|Reverse(h)| h.0 < horizon) {
            let Some(Reverse(Held(_, _, mut r))) = self.held.pop() else {
                break;
            };
            if self.limit.is_some_and(|l| self.followed >= l) {
                // Decided, but beyond what -c asked for: neither printed
                // nor in the summary.
                self.corr.discount(&r);
                continue;
            }
            self.followed += 1;
            if self.print_lines {
                write_io(self.print_record(&mut r))?;
            }
        }
        write_io(self.text.flush())?;
        if self.limit.is_some_and(|l| self.followed >= l) {
            return Err(End::Count);
        }
        Ok(())
    }

    fn print_record(&mut self, r: &mut Record) -> io::Result<()> {
        if !r.rewrites.is_empty() {
            if let Some(f) = tuple_of(&r.flow).and_then(|t| self.nat.borrow().get(&t).copied()) {
                r.pod_initiated = f.pod_initiated;
            }
        }
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

    /// Whether a frame is the pod's: its address is in it, conntrack says
    /// it is one of its connections after NAT, or its identity is that of
    /// a packet being followed (NAT that conntrack did not tell about).
    fn is_pods(
        pod: IpAddr,
        nat: &RefCell<Nat>,
        corr: &Correlator<PathExpect>,
        id: &super::Identity,
    ) -> bool {
        if id.flow.src == pod || id.flow.dst == pod {
            return true;
        }
        let known = tuple_of(&id.flow).is_some_and(|t| nat.borrow_mut().lookup(&t).is_some());
        known || corr.knows(id.key)
    }

    /// Feeds one ring block of hop `hop` to the correlator (and the file).
    fn feed(&mut self, hop: usize, batch: &mut Batch<'_>) -> std::result::Result<(), End> {
        if !self.nat_fresh {
            // Once per read of a ring, as before it: a NAT'd copy is
            // recognised by what conntrack said up to then.
            self.nat.borrow_mut().refresh();
            self.nat_fresh = true;
        }
        while let Some(p) = batch.next() {
            let ts = p.ts_sec.max(0) as Nanos * 1_000_000_000 + Nanos::from(p.ts_nsec);
            let data = p.bytes(&mut self.buf);
            match identify(data, p.linktype, &self.icfg) {
                Some(id) if Self::is_pods(self.pod, &self.nat, &self.corr, &id) => {
                    self.corr.observe(
                        hop,
                        ts,
                        &id,
                        (data, p.linktype, p.wirelen),
                        &mut self.records,
                    );
                }
                // Frames the kernel filter let in for a NAT'd copy that
                // turned out to be someone else's: counted only.
                _ => {
                    self.corr.untracked(hop, ts);
                    continue;
                }
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
        if let Some(out) = &mut self.file {
            write_io(out.batch_done())?;
        }
        Ok(())
    }

    /// `hop`'s drop counter (since open) read at `now`: drops since the
    /// last read make the hop blind for that interval.
    fn watch_drops(&mut self, hop: usize, now: Nanos, st: Option<Stats>) {
        let Some(w) = self.rings.get(hop).copied() else {
            return;
        };
        if w.gone {
            return;
        }
        if let Some(st) = st {
            if st.dropped > w.dropped {
                self.corr.blind(
                    hop,
                    w.read_at.saturating_sub(BLIND_SLACK),
                    now.saturating_add(BLIND_SLACK),
                    Blind::Dropped(st.dropped - w.dropped),
                );
            }
            self.rings[hop] = RingWatch {
                read_at: now,
                dropped: st.dropped,
                gone: false,
            };
        }
    }

    /// Hop `hop`'s capture ended at `now`: everything it should have seen
    /// from then on, it could not.
    fn gone(&mut self, hop: usize) {
        if let Some(w) = self.rings.get_mut(hop) {
            w.gone = true;
            let from = w.read_at.saturating_sub(BLIND_SLACK);
            self.corr.blind(hop, from, Nanos::MAX, Blind::Gone);
            self.corr.advance(hop, Nanos::MAX);
        }
    }

    fn on_tick(&mut self, sources: &[SourceState]) -> std::result::Result<(), End> {
        self.nat.borrow_mut().refresh();
        let now = now_ns();
        for (h, s) in sources.iter().enumerate() {
            if self.rings.get(h).is_none_or(|w| w.gone) || !s.live {
                continue;
            }
            self.watch_drops(h, now, Some(s.total));
            if !s.ready {
                self.corr.advance(h, now.saturating_sub(DELIVERY_SLACK));
            }
        }
        self.corr.poll(now, &mut self.records);
        self.emit(false)
    }

    /// The end: the rest decided and printed (the loop has handed over
    /// what the rings held, unless `-c` or the reader ended it), the file
    /// finished, the summary on stderr unless its reader went away.
    fn conclude(&mut self, report: &Report) -> PathOutcome {
        let mut reader_gone = report.end == End::ReaderGone;
        let mut ended = match &report.end {
            End::Failed(e) => Some(e.clone()),
            _ => None,
        };
        let counted = self.limit.is_some_and(|l| self.followed >= l);
        if !reader_gone && !counted {
            let mut recs = std::mem::take(&mut self.records);
            self.corr.finish(now_ns(), &mut recs);
            self.records = recs;
            if let Err(End::ReaderGone) = self.emit(true) {
                reader_gone = true;
            }
        }
        // Decided but never printed (-c was reached first): out of the
        // summary.
        while let Some(Reverse(Held(_, _, r))) = self.held.pop() {
            self.corr.discount(&r);
        }
        for r in std::mem::take(&mut self.records) {
            self.corr.discount(&r);
        }
        if let Some(f) = &mut self.file {
            match f.finish() {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => reader_gone = true,
                // A stop signal's grace period is over: what is written
                // stays a valid file.
                Err(e) if halt(&e).is_some() => {}
                Err(e) => {
                    ended = ended.or(Some(Error::os(format!("write {}", f.file_name()), e, None)))
                }
                Ok(()) => {}
            }
        }
        let _ = self.text.flush();
        let stats = report.stats.clone();
        let summary = self.corr.summary().clone();
        if !reader_gone {
            // Also after a failure: what was followed until then counts.
            let mut text = Vec::new();
            let _ = write_summary(&mut text, &summary, &self.labels, self.main);
            let _ = write_capture_loss(&mut text, &summary, &self.labels, &stats);
            let nat = self.nat.borrow();
            if nat.overruns > 0 {
                let _ = writeln!(
                    text,
                    "  warning: conntrack events were lost {} times (the kernel's queue was \
                     full): some NAT'd copies may not have been recognised",
                    nat.overruns
                );
            }
            let _ = io::stderr().write_all(&text);
        }
        PathOutcome {
            summary,
            stats,
            reader_gone,
            ended,
        }
    }
}

/// An output error as the end it causes: the reader gone, a stop signal
/// whose grace period is over while the output was blocked, or a failure.
fn write_io(r: io::Result<()>) -> std::result::Result<(), End> {
    match r {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(End::ReaderGone),
        Err(e) if matches!(halt(&e), Some(Halt::Stopped)) => {
            Err(End::Signal(signals::stop_signal().unwrap_or(libc::SIGTERM)))
        }
        Err(e) => Err(End::Failed(Error::os("write output", e, None))),
    }
}

fn flow(r: std::result::Result<(), End>) -> Flow {
    match r {
        Ok(()) => Flow::Go,
        Err(e) => Flow::Stop(e),
    }
}

impl Sink for PathSink {
    fn batch(&mut self, hop: usize, batch: &mut Batch<'_>) -> Flow {
        flow(self.feed(hop, batch))
    }

    fn read_done(&mut self, hop: usize, source: &mut Source) -> Flow {
        self.nat_fresh = false;
        self.watch_drops(hop, now_ns(), source.stats().ok());
        flow(self.emit(false))
    }

    fn drain_after(&self, end: &End) -> bool {
        // After -c nothing more is wanted, and with the reader gone nothing
        // more can be said; after every other end (a signal, the pod's
        // interfaces gone, a failure) what the rings hold was captured.
        !matches!(end, End::Count | End::ReaderGone)
    }

    fn tick(&mut self, _now: SystemTime, sources: &[SourceState]) -> Flow {
        flow(self.on_tick(sources))
    }

    fn source_ended(&mut self, hop: usize, why: &str) -> Flow {
        self.gone(hop);
        let label = |h: usize| self.labels.get(h).map(String::as_str).unwrap_or("?");
        let _ = writeln!(
            io::stderr(),
            "podcap: {}: {why}; what it would have seen from {} on is reported as not seen",
            label(hop),
            clock(now_ns())
        );
        let gone = |h: usize| self.rings.get(h).is_none_or(|w| w.gone);
        let pod_gone = !self.pod_side.is_empty() && self.pod_side.iter().all(|&h| gone(h));
        if pod_gone || (0..self.rings.len()).all(gone) {
            return Flow::Stop(End::Failed(
                Error::new(
                    Kind::Os,
                    format!("follow {} on {}", label(0), label(hop)),
                    "the pod's interfaces went away",
                )
                .hint("the pod was deleted or restarted; capture its new address again"),
            ));
        }
        Flow::Go
    }

    fn finish(&mut self, report: &Report) {
        self.outcome = Some(self.conclude(report));
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

/// Opens every hop's ring; a way out watched ahead that cannot be opened
/// is left out with a note (the path's own hops must open). Returns the
/// hops kept, their filters and sources, and the start barrier.
fn open_rings(pc: &PathCapture, err: &mut dyn Write) -> Result<(Vec<Hop>, Vec<Source>, Nanos)> {
    let snaplen = pc.snaplen.max(MIN_SNAPLEN);
    let mut hops = Vec::with_capacity(pc.hops.len());
    let mut sources = Vec::with_capacity(pc.hops.len());
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
        match Source::open(&cfg) {
            Ok(s) => {
                hops.push(hop.clone());
                sources.push(s);
            }
            Err(e) if hop.ahead => {
                let _ = writeln!(err, "podcap: not watching {}: {e}", hop.label);
            }
            Err(mut e) => {
                e.what = format!("{} (capture on hop {})", e.what, hop.label);
                return Err(e);
            }
        }
    }
    // Every filter attached: from now on every hop sees what it should.
    Ok((hops, sources, now_ns()))
}

/// conntrack's events and table, or nothing (with the reason on stderr).
fn open_nat(pod: IpAddr, err: &mut dyn Write) -> Nat {
    match Socket::open_conntrack() {
        Ok((sock, table)) => Nat::new(vec![pod], sock, &table),
        Err(e) => {
            let _ = writeln!(
                err,
                "podcap: conntrack is not readable ({}): NAT'd copies are recognised only by \
                 their payload",
                e.why
            );
            Nat::none(vec![pod])
        }
    }
}

/// Opens one capture per hop and follows packets until `-c`, SIGINT,
/// SIGTERM, the pod's interfaces going away or an error. Prints each
/// packet once (stdout, or stderr when the pcapng goes to stdout) and the
/// summary on stderr, on every end.
pub fn run(pc: &PathCapture) -> Result<PathOutcome> {
    if pc.hops.is_empty() || pc.filters.len() != pc.hops.len() {
        return Err(Error::usage(
            "--path needs at least one hop with a filter each",
        ));
    }
    let mut err = io::stderr();
    let (hops, sources, barrier) = open_rings(pc, &mut err)?;
    let n = hops.len();
    let snaplen = pc.snaplen.max(MIN_SNAPLEN);
    let nat = Rc::new(RefCell::new(open_nat(pc.pod_ip, &mut err)));

    let file = match &pc.write {
        Some(w) => {
            let ifaces: Vec<OutIface> = sources
                .iter()
                .zip(&hops)
                .map(|(s, h)| OutIface {
                    name: h.qualified_name(),
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
        PathExpect::Route(Box::new(RouteExpect::new(pc.pod_ip, &hops, nat.clone())))
    } else {
        PathExpect::All(n)
    };
    let hops_of = |pick: &dyn Fn(&Hop) -> bool| {
        HopMask::of(
            &hops
                .iter()
                .enumerate()
                .filter(|(_, h)| pick(h))
                .map(|(i, _)| i)
                .collect::<Vec<_>>(),
        )
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
        turn_hops: hops_of(&|h| h.role == Role::Bridge),
        barrier,
        entry_hops: if pc.routed {
            hops_of(&|h| h.role == Role::Underlay)
        } else {
            HopMask(0)
        },
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
            let mut v = crate::wire::ports::DEFAULT_VXLAN.to_vec();
            for p in &pc.vxlan_ports {
                if !v.contains(p) {
                    v.push(*p);
                }
            }
            v
        },
        ..IdentityConfig::default()
    };
    let corr = Correlator::new(n, cfg, expect)?;

    // Everything privileged is done: rings mapped, conntrack subscribed,
    // netlink sockets and the output open. No thread exists yet.
    match &pc.user {
        Some(u) => privs::become_user(u)?,
        None => privs::drop_all_capabilities()?,
    }
    for (s, hop) in sources.iter().zip(&hops) {
        let _ = writeln!(
            err,
            "podcap: listening on {}, link-type {} ({}), snapshot length {} bytes",
            hop.label,
            s.linktype().name(),
            s.linktype().description(),
            s.snaplen()
        );
    }

    let start = now_ns();
    let pod_side: Vec<usize> = hops
        .iter()
        .enumerate()
        .filter(|(_, h)| matches!(h.role, Role::Pod | Role::HostVeth))
        .map(|(i, _)| i)
        .collect();
    let mut sink = PathSink {
        pod: pc.pod_ip,
        corr,
        nat,
        icfg,
        file,
        text: BufWriter::new(StopAware(File::from(text_fd))),
        print_lines: pc.print_lines,
        printer: Printer::new(print),
        labels: hops.iter().map(|h| h.label.clone()).collect(),
        records: Vec::new(),
        held: BinaryHeap::new(),
        held_seq: 0,
        followed: 0,
        limit: pc.count,
        buf: Vec::new(),
        rings: vec![
            RingWatch {
                read_at: start,
                ..RingWatch::default()
            };
            n
        ],
        nat_fresh: false,
        pod_side,
        main: hops.iter().filter(|h| !h.ahead).count(),
        outcome: None,
    };
    let mut sources = sources;
    session::run(&mut sources, &mut sink)?;
    sink.outcome.ok_or_else(|| {
        Error::new(
            Kind::Os,
            "follow the path",
            "the capture loop ended without a report",
        )
        .hint("this is a bug in podcap: please report it")
    })
}

/// The kernel's drop counters and what they mean for the verdicts.
fn write_capture_loss(
    out: &mut dyn Write,
    s: &Summary,
    labels: &[String],
    stats: &[Stats],
) -> io::Result<()> {
    let drops: Vec<String> = labels
        .iter()
        .zip(stats)
        .map(|(l, s)| format!("{l} {}", s.dropped))
        .collect();
    writeln!(out, "  packets dropped by kernel: {}", drops.join(", "))?;
    let dropped: u64 = stats.iter().map(|s| s.dropped).sum();
    if dropped > 0 {
        writeln!(
            out,
            "  capture loss: the rings dropped {dropped} packets; {} packets the capture could \
             not see are reported as not seen, not as lost; give each ring more room with -B KiB",
            s.unseen
                .iter()
                .filter(|((_, g), _)| !g)
                .map(|(_, n)| n)
                .sum::<u64>()
        )?;
    }
    Ok(())
}
