//! Following packets across the hops of a path.
//!
//! Each capture task hands the correlator its sightings (hop, kernel time
//! stamp, [`Identity`]). Sightings of one packet arrive in any order: every
//! hop has its own ring, read concurrently. The correlator groups them by
//! key and decides each packet once:
//!
//! - **complete**: seen at every hop it was expected at; printed as soon as
//!   the last expected sighting arrives, and as soon as the hops before the
//!   first sighting can no longer deliver an earlier one;
//! - **lost between A and B**: the last hop that saw it is A and the next
//!   expected hop B did not see it, decided when B's capture has delivered
//!   packets later than this one plus the transit allowance (then B would
//!   have had it), or when the timeout has passed;
//! - a hop that did not see it although a later one did is a capture miss
//!   (a ring drop, for example), not a loss.
//!
//! Which hops a packet is expected at depends on where it goes: a pod's
//! packet to a pod on the same bridge never reaches the VXLAN device, a
//! packet from the node to the pod enters at the bridge. The caller
//! answers that through [`Expect`] (the command line asks the kernel's
//! routing table); the correlator only counts hops from the one where the
//! packet was first seen.
//!
//! Memory is bounded: decided packets are dropped after the timeout, and
//! past `max_entries` the oldest undecided packet is given up (counted,
//! never reported as lost).

use super::identity::{Encap, Flow, Identity};
use crate::linktype::LinkType;
use crate::{Error, Result};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::net::IpAddr;
use std::rc::Rc;

/// Most hops one path may have (a bit in a `u32`; real paths have 2 to 6).
pub const MAX_HOPS: usize = 32;

/// Nanoseconds since the Unix epoch, as the capture rings stamp packets.
pub type Nanos = u64;

/// Which way a packet crosses the path. Hops are numbered from the pod
/// (0) outwards to the underlay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dir {
    /// Leaving the pod: hop 0 first.
    Out,
    /// Towards the pod: the last hop first.
    In,
}

impl Dir {
    pub fn name(self) -> &'static str {
        match self {
            Dir::Out => "out",
            Dir::In => "in",
        }
    }
}

/// A set of hop indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct HopMask(pub u32);

impl HopMask {
    /// Hops `0..n`.
    pub fn all(n: usize) -> Self {
        HopMask(if n >= 32 { u32::MAX } else { (1u32 << n) - 1 })
    }
    pub fn of(hops: &[usize]) -> Self {
        let mut m = HopMask::default();
        hops.iter().for_each(|&h| m.insert(h));
        m
    }
    pub fn contains(self, hop: usize) -> bool {
        hop < 32 && self.0 & (1 << hop) != 0
    }
    pub fn insert(&mut self, hop: usize) {
        if hop < 32 {
            self.0 |= 1 << hop;
        }
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn and(self, o: HopMask) -> HopMask {
        HopMask(self.0 & o.0)
    }
    pub fn without(self, o: HopMask) -> HopMask {
        HopMask(self.0 & !o.0)
    }
    pub fn or(self, o: HopMask) -> HopMask {
        HopMask(self.0 | o.0)
    }
    pub fn lowest(self) -> Option<usize> {
        (self.0 != 0).then(|| self.0.trailing_zeros() as usize)
    }
    pub fn highest(self) -> Option<usize> {
        (self.0 != 0).then(|| 31 - self.0.leading_zeros() as usize)
    }
    /// The hops in `dir`'s order: ascending for [`Dir::Out`].
    pub fn in_order(self, dir: Dir) -> impl Iterator<Item = usize> {
        let v = self.0;
        let it = (0..32).filter(move |h| v & (1 << h) != 0);
        let mut hops: Vec<usize> = it.collect();
        if dir == Dir::In {
            hops.reverse();
        }
        hops.into_iter()
    }
}

/// Which hops a packet crosses on this node if it enters at the start of
/// the path in `dir` (hop 0 for [`Dir::Out`], the last hop for
/// [`Dir::In`]). Packets that enter later (from the node itself, from a
/// local pod) are only expected from where they were first seen.
pub trait Expect {
    fn expected(&mut self, flow: &Flow, dir: Dir) -> HopMask;
    /// Something the line should say about where this packet went that
    /// the hops do not show (it left by an interface podcap does not
    /// watch).
    fn note(&mut self, _flow: &Flow, _dir: Dir) -> Option<Rc<str>> {
        None
    }
}

impl<F: FnMut(&Flow, Dir) -> HopMask> Expect for F {
    fn expected(&mut self, flow: &Flow, dir: Dir) -> HopMask {
        self(flow, dir)
    }
}

/// Every packet is expected at every hop (a straight path).
#[derive(Debug, Clone, Copy)]
pub struct AllHops(pub usize);

impl Expect for AllHops {
    fn expected(&mut self, _: &Flow, _: Dir) -> HopMask {
        HopMask::all(self.0)
    }
}

/// How long to wait, how much to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// A packet not seen at its next hop this long after its last
    /// sighting is decided even if that hop's capture stays silent.
    pub timeout: Nanos,
    /// The longest a packet takes from one hop to the next on one node.
    /// Once a hop has delivered packets stamped this much later than a
    /// packet's last sighting, its absence there is final.
    pub transit: Nanos,
    /// Packets tracked at once; beyond that the oldest is given up.
    pub max_entries: usize,
    /// The pod's addresses: a packet from one of them goes out, to one of
    /// them comes in. Without a match the order of sightings decides.
    pub pod_addrs: Vec<IpAddr>,
    /// Bytes of one sighting's frame kept for printing (0: none). The
    /// sighting closest to the pod is kept: it shows the pod's own view.
    pub keep_frame: usize,
    /// Hops a packet can be routed back out of (the bridge): seen there
    /// twice at once, it went in and out again and its way ends there.
    /// At other hops a second copy at once (a flooded frame) is ignored.
    pub turn_hops: HopMask,
    /// Every hop's capture was live from this time on (the start
    /// barrier): packets first seen before it are counted, not judged.
    pub barrier: Nanos,
    /// Hops a packet coming in may enter by, of which it crosses one (the
    /// node's ways out): only the one it was first seen at is expected.
    pub entry_hops: HopMask,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            timeout: 1_000_000_000,
            transit: 100_000_000,
            max_entries: 1 << 18,
            pod_addrs: Vec::new(),
            keep_frame: 0,
            turn_hops: HopMask(u32::MAX),
            barrier: 0,
            entry_hops: HopMask(0),
        }
    }
}

/// How a packet's story ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Seen at every hop it was expected at (capture misses aside).
    Complete,
    /// Not seen after `from`, though expected at `to` next.
    Lost { from: usize, to: usize },
    /// Given up because too many packets were in flight.
    Evicted,
    /// The capture stopped before it could be decided.
    InFlight,
    /// Not seen after `from`, but `to`'s capture could not have seen it:
    /// its ring dropped packets then, or its interface was gone.
    Unseen { from: usize, to: usize, why: Blind },
}

/// Why a hop's capture was blind for a while.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blind {
    /// The ring was full: the kernel dropped this many packets in the
    /// interval.
    Dropped(u64),
    /// The interface went away (or its capture failed).
    Gone,
}

/// One hop of a packet's story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub hop: usize,
    /// When this hop saw it; `None`: expected here but not seen, although
    /// a later hop saw it (a capture miss).
    pub ts: Option<Nanos>,
}

/// The bytes of one sighting, for printing the packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub hop: usize,
    pub ts: Nanos,
    pub linktype: LinkType,
    pub wirelen: u32,
    pub data: Vec<u8>,
}

/// One packet, decided: printed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub flow: Flow,
    pub dir: Dir,
    /// The earliest sighting's time stamp.
    pub ts: Nanos,
    /// Hops in path order for `dir`, up to the last one that saw it.
    pub steps: Vec<Step>,
    pub outcome: Outcome,
    /// The tunnel headers, and the hop that saw the encapsulated copy.
    pub outer: Option<(usize, Encap)>,
    pub frame: Option<Frame>,
    /// The hop it was seen at a second time, going back out of it (routed
    /// back onto the bridge: NAT to a pod behind it, hairpin): its way
    /// ends there.
    pub turned: Option<usize>,
    /// Where the addresses differ from the pod's own view of the packet
    /// (NAT), per hop in path order.
    pub rewrites: Vec<(usize, Rewrite)>,
    /// What the hops do not show (see [`Expect::note`]).
    pub note: Option<Rc<str>>,
    /// The pod opened the connection (what the caller knows from
    /// conntrack; true unless told otherwise): its own end rewritten is
    /// SNAT, the peer's DNAT, and the other way round for a connection
    /// towards the pod.
    pub pod_initiated: bool,
}

/// How a packet's addresses look at one hop, against the pod's view: the
/// pod's own end changed (`mine`: masquerade, or a hostPort's DNAT to the
/// pod) or the peer's (`peer`: a Service address replaced by its backend).
/// Which of SNAT and DNAT that is depends on who opened the connection
/// ([`Record::pod_initiated`]). Port 0: none (ICMP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rewrite {
    pub mine: Option<(IpAddr, u16)>,
    pub peer: Option<(IpAddr, u16)>,
}

/// The addresses and ports of one sighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ends {
    src: (IpAddr, u16),
    dst: (IpAddr, u16),
}

impl Ends {
    fn of(f: &Flow) -> Ends {
        use super::identity::Transport;
        let (sp, dp) = match f.transport {
            Transport::Tcp { sport, dport, .. } | Transport::Udp { sport, dport } => (sport, dport),
            _ => (0, 0),
        };
        Ends {
            src: (f.src, sp),
            dst: (f.dst, dp),
        }
    }
}

/// Counters for the summary on exit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Sightings per hop (packets each hop's capture delivered).
    pub seen: Vec<u64>,
    /// Frames per hop not followed: no identity (not IP or ARP), or not
    /// the pod's.
    pub untracked: Vec<u64>,
    /// Packets expected at a hop, not seen there, but seen further on.
    pub missed: Vec<u64>,
    /// Packets decided.
    pub followed: u64,
    pub complete: u64,
    /// Losses per gap (last hop that saw it, next expected hop, direction).
    pub lost: BTreeMap<(usize, usize, Dir), u64>,
    pub evicted: u64,
    pub in_flight: u64,
    /// A second sighting at a hop that already saw that identity: a
    /// distinct packet with identical headers and payload start.
    pub repeats: u64,
    /// Sightings that arrived after their packet was printed.
    pub late: u64,
    /// Sightings before every hop was listening (the start barrier): not
    /// judged.
    pub early: u64,
    /// Packets the capture could not tell about (see [`Outcome::Unseen`]),
    /// per hop that could not see them and why.
    pub unseen: BTreeMap<(usize, bool), u64>,
}

impl Summary {
    pub fn lost_total(&self) -> u64 {
        self.lost.values().sum()
    }
    /// Packets not seen because a ring overflowed (`true` in the key: the
    /// interface was gone).
    pub fn unseen_total(&self) -> u64 {
        self.unseen.values().sum()
    }
}

/// The hash table's hasher: keys are already well-mixed 64-bit hashes.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

struct Entry {
    serial: u64,
    seen: [Nanos; MAX_HOPS],
    mask: HopMask,
    flow: Flow,
    outer: Option<(usize, Encap)>,
    first_ts: Nanos,
    last_ts: Nanos,
    frame: Option<Frame>,
    /// Printed already; kept until decidable to absorb late sightings.
    emitted: bool,
    turned: Option<usize>,
    /// Sightings whose addresses differ from `flow`'s (NAT).
    alt: Vec<(u8, Ends)>,
}

impl Entry {
    fn ends(&self, hop: usize) -> Ends {
        self.alt
            .iter()
            .find(|(h, _)| usize::from(*h) == hop)
            .map_or(Ends::of(&self.flow), |(_, e)| *e)
    }

    /// The addresses as the hop nearest the pod saw them.
    fn pod_ends(&self) -> Ends {
        self.ends(self.mask.lowest().unwrap_or(0))
    }

    fn earliest_hop(&self) -> usize {
        self.hop_where(|a, b| a < b)
    }
    fn latest_hop(&self) -> usize {
        self.hop_where(|a, b| a > b)
    }
    fn hop_where(&self, better: impl Fn(Nanos, Nanos) -> bool) -> usize {
        let mut best: Option<usize> = None;
        for h in self.mask.in_order(Dir::Out) {
            if best.is_none_or(|b| better(self.seen[h], self.seen[b])) {
                best = Some(h);
            }
        }
        best.unwrap_or(0)
    }
}

/// Everything but the table, so the table can be borrowed beside it.
struct State<E> {
    hops: usize,
    cfg: Config,
    expect: E,
    watermark: Vec<Nanos>,
    summary: Summary,
    /// Per hop, intervals (from, to, why) its capture could not see.
    blind: Vec<VecDeque<(Nanos, Nanos, Blind)>>,
}

/// Blind intervals kept per hop (the oldest are forgotten first; by then
/// every packet they could concern has been decided).
const MAX_BLIND: usize = 4096;

/// Groups sightings into packets and decides each once. See the module
/// documentation.
pub struct Correlator<E: Expect> {
    st: State<E>,
    table: HashMap<u64, Entry, BuildHasherDefault<KeyHasher>>,
    /// Keys in order of first sighting, with the serial of the entry they
    /// were queued for (stale ones are skipped).
    queue: VecDeque<(u64, u64)>,
    /// Undecided packets by earliest sighting, for [`Correlator::horizon`].
    undecided: BTreeSet<(Nanos, u64)>,
    serial: u64,
    /// Keys seen before the barrier: their later sightings are not judged
    /// either. Emptied once no straggler can arrive.
    early: HashMap<u64, (), BuildHasherDefault<KeyHasher>>,
    early_done: bool,
}

impl<E: Expect> Correlator<E> {
    /// A correlator for a path of `hops` hops (1 to [`MAX_HOPS`]).
    pub fn new(hops: usize, cfg: Config, expect: E) -> Result<Self> {
        if hops == 0 || hops > MAX_HOPS {
            return Err(Error::unsupported(
                format!("a path of {hops} hops"),
                format!("podcap follows packets across 1 to {MAX_HOPS} hops"),
            ));
        }
        Ok(Correlator {
            st: State {
                hops,
                cfg,
                expect,
                watermark: vec![0; hops],
                summary: Summary {
                    seen: vec![0; hops],
                    untracked: vec![0; hops],
                    missed: vec![0; hops],
                    ..Summary::default()
                },
                blind: vec![VecDeque::new(); hops],
            },
            table: HashMap::default(),
            queue: VecDeque::new(),
            undecided: BTreeSet::new(),
            serial: 0,
            early: HashMap::default(),
            early_done: false,
        })
    }

    pub fn hops(&self) -> usize {
        self.st.hops
    }

    pub fn summary(&self) -> &Summary {
        &self.st.summary
    }

    /// Packets tracked now (undecided, plus decided ones kept to absorb
    /// late sightings).
    pub fn pending(&self) -> usize {
        self.table.len()
    }

    /// Takes a decided packet back out of the summary: one the caller did
    /// not print (`-c` reached in the same batch).
    pub fn discount(&mut self, r: &Record) {
        let s = &mut self.st.summary;
        s.followed = s.followed.saturating_sub(1);
        match r.outcome {
            Outcome::Complete => s.complete = s.complete.saturating_sub(1),
            Outcome::Lost { from, to } => {
                if let Some(n) = s.lost.get_mut(&(from, to, r.dir)) {
                    *n = n.saturating_sub(1);
                }
            }
            Outcome::Evicted => s.evicted = s.evicted.saturating_sub(1),
            Outcome::InFlight => s.in_flight = s.in_flight.saturating_sub(1),
            Outcome::Unseen { to, why, .. } => {
                if let Some(n) = s.unseen.get_mut(&(to, why == Blind::Gone)) {
                    *n = n.saturating_sub(1);
                }
            }
        }
        for st in r.steps.iter().filter(|st| st.ts.is_none()) {
            if let Some(m) = s.missed.get_mut(st.hop) {
                *m = m.saturating_sub(1);
            }
        }
    }

    /// Every packet still to be decided was first seen at or after this
    /// time, and so will be every packet not seen yet (each hop has
    /// delivered everything stamped before it). Printing decided packets
    /// stamped before it, in time order, prints every packet in time order.
    pub fn horizon(&self) -> Nanos {
        // A ring's packets can be a little out of order across CPUs.
        const JITTER: Nanos = 1_000_000;
        let wm = self.st.watermark.iter().copied().min().unwrap_or(0);
        let pending = self.undecided.first().map_or(Nanos::MAX, |&(ts, _)| ts);
        wm.saturating_sub(JITTER).min(pending)
    }

    /// Whether a packet with this key is being followed: a frame without
    /// the pod's address and unknown to conntrack is still this packet if
    /// its identity (headers that NAT leaves alone, payload) matches.
    pub fn knows(&self, key: u64) -> bool {
        self.table.contains_key(&key)
    }

    /// `hop`'s capture could not see packets stamped between `from` and
    /// `to`: its ring dropped `why` packets then, or it was gone.
    pub fn blind(&mut self, hop: usize, from: Nanos, to: Nanos, why: Blind) {
        if let Some(b) = self.st.blind.get_mut(hop) {
            if b.len() >= MAX_BLIND {
                b.pop_front();
            }
            b.push_back((from, to, why));
        }
    }

    /// A frame at `hop` that is not followed: counted only.
    pub fn untracked(&mut self, hop: usize, ts: Nanos) {
        if hop < self.st.hops {
            self.st.summary.untracked[hop] += 1;
            self.advance(hop, ts);
        }
    }

    /// Tells the correlator that `hop`'s capture has delivered everything
    /// stamped before `ts` (its ring was empty at that time), so silence
    /// there is an answer.
    pub fn advance(&mut self, hop: usize, ts: Nanos) {
        if let Some(w) = self.st.watermark.get_mut(hop) {
            *w = (*w).max(ts);
        }
    }

    /// One sighting: `id` of the packet in `frame` (`linktype`, original
    /// length `wirelen`), seen at `hop` at `ts`. Packets decided by it are
    /// appended to `out`.
    pub fn observe(
        &mut self,
        hop: usize,
        ts: Nanos,
        id: &Identity,
        frame: (&[u8], LinkType, u32),
        out: &mut Vec<Record>,
    ) {
        if hop >= self.st.hops {
            return;
        }
        self.st.summary.seen[hop] += 1;
        self.advance(hop, ts);
        if !self.early_done {
            let barrier = self.st.cfg.barrier;
            if ts < barrier || self.early.contains_key(&id.key) {
                self.st.summary.early += 1;
                if self.early.len() < self.st.cfg.max_entries.max(1) {
                    self.early.insert(id.key, ());
                }
                return;
            }
            // Past every straggler of the packets before the barrier.
            if ts > barrier.saturating_add(self.st.cfg.timeout) {
                self.early_done = true;
                self.early = HashMap::default();
            }
        }
        let ends = Ends::of(&id.flow);
        let keep = self.st.cfg.keep_frame;
        let snapshot = |e: &mut Entry| {
            let closer = e.frame.as_ref().is_none_or(|f| hop < f.hop);
            if keep > 0 && closer {
                let (data, linktype, wirelen) = frame;
                e.frame = Some(Frame {
                    hop,
                    ts,
                    linktype,
                    wirelen,
                    data: data[..data.len().min(keep)].to_vec(),
                });
            }
        };

        if let Some(e) = self.table.get_mut(&id.key) {
            if !e.mask.contains(hop) {
                e.mask.insert(hop);
                e.seen[hop] = ts;
                if ends != Ends::of(&e.flow) {
                    e.alt.push((hop as u8, ends));
                }
                if ts < e.first_ts && !e.emitted {
                    self.undecided.remove(&(e.first_ts, e.serial));
                    self.undecided.insert((ts, e.serial));
                }
                e.first_ts = e.first_ts.min(ts);
                e.last_ts = e.last_ts.max(ts);
                if e.outer.is_none() {
                    e.outer = id.outer.map(|o| (hop, o));
                }
                if e.emitted {
                    self.st.summary.late += 1;
                    return;
                }
                snapshot(e);
                if self.st.ready(e) {
                    e.emitted = true;
                    self.undecided.remove(&(e.first_ts, e.serial));
                    out.push(self.st.conclude(e, None));
                }
                return;
            }
            // Seen here again at once: the node routed it back out of
            // this interface (to a pod behind the bridge, after NAT). Its
            // way ends here.
            let at_once = ts.abs_diff(e.seen[hop]) <= self.st.cfg.transit;
            if at_once && (e.turned.is_some() || !self.st.cfg.turn_hops.contains(hop)) {
                self.st.summary.late += 1;
                return;
            }
            if at_once {
                e.turned = Some(hop);
                e.last_ts = e.last_ts.max(ts);
                if !e.emitted && self.st.ready(e) {
                    e.emitted = true;
                    self.undecided.remove(&(e.first_ts, e.serial));
                    out.push(self.st.conclude(e, None));
                }
                return;
            }
            // Seen here already: this is another packet with the same
            // identity. The old one's story ends now.
            self.st.summary.repeats += 1;
            if let Some(old) = self.table.remove(&id.key) {
                if !old.emitted {
                    self.undecided.remove(&(old.first_ts, old.serial));
                    out.push(self.st.conclude(&old, None));
                }
            }
        }

        while self.table.len() >= self.st.cfg.max_entries.max(1) {
            if !self.evict_oldest(out) {
                break;
            }
        }
        self.serial += 1;
        let mut e = Entry {
            serial: self.serial,
            seen: [0; MAX_HOPS],
            mask: HopMask::default(),
            flow: id.flow,
            outer: id.outer.map(|o| (hop, o)),
            first_ts: ts,
            last_ts: ts,
            frame: None,
            emitted: false,
            turned: None,
            alt: Vec::new(),
        };
        e.mask.insert(hop);
        e.seen[hop] = ts;
        snapshot(&mut e);
        if self.st.ready(&e) {
            e.emitted = true;
            out.push(self.st.conclude(&e, None));
        } else {
            self.undecided.insert((e.first_ts, e.serial));
        }
        self.queue.push_back((id.key, e.serial));
        self.table.insert(id.key, e);
    }

    /// Decides the packets whose time has come by `now` (call it regularly,
    /// for example every 50 ms, with the current time).
    pub fn poll(&mut self, now: Nanos, out: &mut Vec<Record>) {
        while let Some(&(key, serial)) = self.queue.front() {
            let Some(e) = self.table.get(&key).filter(|e| e.serial == serial) else {
                self.queue.pop_front();
                continue;
            };
            if !self.st.decidable(e, now) {
                break;
            }
            self.queue.pop_front();
            if let Some(e) = self.table.remove(&key) {
                if !e.emitted {
                    self.undecided.remove(&(e.first_ts, e.serial));
                    out.push(self.st.conclude(&e, None));
                }
            }
        }
    }

    /// The capture is over: decides everything. Packets whose absence
    /// cannot be told yet at `now` are reported as in flight, not lost.
    pub fn finish(&mut self, now: Nanos, out: &mut Vec<Record>) {
        while let Some((key, serial)) = self.queue.pop_front() {
            let Some(e) = self.table.remove(&key) else {
                continue;
            };
            if e.serial != serial {
                self.table.insert(key, e);
                continue;
            }
            if e.emitted {
                continue;
            }
            let rec = if self.st.decidable(&e, now) {
                self.st.conclude(&e, None)
            } else {
                self.st.conclude(&e, Some(Outcome::InFlight))
            };
            out.push(rec);
        }
        self.table.clear();
        self.undecided.clear();
    }

    fn evict_oldest(&mut self, out: &mut Vec<Record>) -> bool {
        while let Some((key, serial)) = self.queue.pop_front() {
            let Some(e) = self.table.remove(&key) else {
                continue;
            };
            if e.serial != serial {
                self.table.insert(key, e);
                continue;
            }
            if !e.emitted {
                self.undecided.remove(&(e.first_ts, e.serial));
                out.push(self.st.conclude(&e, Some(Outcome::Evicted)));
            }
            return true;
        }
        false
    }
}

impl<E: Expect> State<E> {
    fn direction(&self, e: &Entry) -> Dir {
        let pods = &self.cfg.pod_addrs;
        let ends = e.pod_ends();
        match (pods.contains(&ends.src.0), pods.contains(&ends.dst.0)) {
            (true, false) => return Dir::Out,
            (false, true) => return Dir::In,
            _ => {}
        }
        let (first, last) = (e.earliest_hop(), e.latest_hop());
        if first < last || (first == last && first == 0) {
            Dir::Out
        } else {
            Dir::In
        }
    }

    /// The hops this packet is expected at, and those of them from where
    /// it was first seen on.
    fn expected(&mut self, e: &Entry, dir: Dir) -> (HopMask, HopMask) {
        let exp = self
            .expect
            .expected(&e.flow, dir)
            .and(HopMask::all(self.hops));
        let from = match dir {
            Dir::Out => e.mask.lowest().unwrap_or(0),
            Dir::In => e.mask.highest().unwrap_or(0),
        };
        // From the first sighting on, in the packet's direction; the hop
        // it was first seen at may itself be unexpected (it went where the
        // caller did not think it would), which changes nothing here.
        let onwards = match dir {
            Dir::Out => HopMask(!((1u32 << from) - 1)),
            Dir::In if from >= 31 => HopMask(u32::MAX),
            Dir::In => HopMask((1u32 << (from + 1)) - 1),
        };
        let mut exp = exp;
        // Seen first where it came in: the other ways in did not carry it.
        // (Seen first further in, any of them may still deliver it.)
        if dir == Dir::In && self.cfg.entry_hops.contains(from) {
            exp = exp.without(self.cfg.entry_hops.without(HopMask::of(&[from])));
        }
        let mut rel = exp.and(onwards);
        if let Some(t) = e.turned {
            let upto = match dir {
                Dir::Out if t >= 31 => HopMask(u32::MAX),
                Dir::Out => HopMask((1u32 << (t + 1)) - 1),
                Dir::In => HopMask(!((1u32 << t) - 1)),
            };
            rel = rel.and(upto);
            exp = exp.and(upto);
        }
        (exp, rel)
    }

    /// Printable now: every expected hop from the first sighting on saw
    /// it, and the hops before can no longer deliver an earlier sighting.
    fn ready(&mut self, e: &Entry) -> bool {
        let dir = self.direction(e);
        let (exp, rel) = self.expected(e, dir);
        if !rel.without(e.mask).is_empty() {
            return false;
        }
        exp.without(rel)
            .without(e.mask)
            .in_order(dir)
            .all(|h| self.watermark[h] >= e.first_ts)
    }

    /// No sighting can still arrive: every expected hop that has not seen
    /// it has delivered later packets, or the timeout has passed.
    fn decidable(&mut self, e: &Entry, now: Nanos) -> bool {
        if now >= e.last_ts.saturating_add(self.cfg.timeout) {
            return true;
        }
        let dir = self.direction(e);
        let (exp, _) = self.expected(e, dir);
        let horizon = e.last_ts.saturating_add(self.cfg.transit);
        exp.without(e.mask)
            .in_order(dir)
            .all(|h| self.watermark[h] >= horizon)
    }

    fn conclude(&mut self, e: &Entry, forced: Option<Outcome>) -> Record {
        let dir = self.direction(e);
        let (_, rel) = self.expected(e, dir);
        let order: Vec<usize> = rel.or(e.mask).in_order(dir).collect();
        let last_seen = order.iter().rposition(|&h| e.mask.contains(h)).unwrap_or(0);
        let mut steps = Vec::with_capacity(last_seen + 1);
        for &h in &order[..=last_seen.min(order.len().saturating_sub(1))] {
            if e.mask.contains(h) {
                steps.push(Step {
                    hop: h,
                    ts: Some(e.seen[h]),
                });
            } else if rel.contains(h) {
                steps.push(Step { hop: h, ts: None });
            }
        }
        let next = order[last_seen + 1..]
            .iter()
            .copied()
            .find(|&h| rel.contains(h));
        let outcome = match (forced, next) {
            (Some(f), _) => f,
            (None, Some(to)) => {
                let from = order[last_seen];
                match self.blind_at(to, e.last_ts) {
                    Some(why) => Outcome::Unseen { from, to, why },
                    None => Outcome::Lost { from, to },
                }
            }
            (None, None) => Outcome::Complete,
        };

        let s = &mut self.summary;
        s.followed += 1;
        match outcome {
            Outcome::Complete => s.complete += 1,
            Outcome::Lost { from, to } => *s.lost.entry((from, to, dir)).or_insert(0) += 1,
            Outcome::Evicted => s.evicted += 1,
            Outcome::InFlight => s.in_flight += 1,
            Outcome::Unseen { to, why, .. } => {
                *s.unseen.entry((to, why == Blind::Gone)).or_insert(0) += 1
            }
        }
        for st in &steps {
            if st.ts.is_none() {
                s.missed[st.hop] += 1;
            }
        }
        let pod = e.pod_ends();
        let mut rewrites = Vec::new();
        for st in steps.iter().filter(|st| st.ts.is_some()) {
            let here = e.ends(st.hop);
            if here == pod {
                continue;
            }
            // The pod's own end is the source going out, the destination
            // coming in.
            let (mine, peer, pmine, ppeer) = match dir {
                Dir::Out => (here.src, here.dst, pod.src, pod.dst),
                Dir::In => (here.dst, here.src, pod.dst, pod.src),
            };
            rewrites.push((
                st.hop,
                Rewrite {
                    mine: (mine != pmine).then_some(mine),
                    peer: (peer != ppeer).then_some(peer),
                },
            ));
        }
        let note = self.expect.note(&e.flow, dir);
        Record {
            flow: e.flow,
            dir,
            ts: e.first_ts,
            steps,
            outcome,
            outer: e.outer,
            frame: e.frame.clone(),
            turned: e.turned,
            rewrites,
            note,
            pod_initiated: true,
        }
    }

    /// Why `hop` could not have seen a packet that reached the hop before
    /// it at `ts`, if its capture was blind then.
    fn blind_at(&self, hop: usize, ts: Nanos) -> Option<Blind> {
        let (from, to) = (ts, ts.saturating_add(self.cfg.transit));
        self.blind
            .get(hop)?
            .iter()
            .rev()
            .find(|(a, b, _)| *a <= to && from <= *b)
            .map(|(_, _, why)| *why)
    }
}

#[cfg(test)]
#[path = "correlate_tests.rs"]
mod tests;
