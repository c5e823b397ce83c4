//! What the correlator decides, and the types its callers hold: the hops a
//! packet crossed, how its story ended, and the counters for the summary.
//! Kept apart from the correlator so that the printer (`report`) and the
//! live loop depend on the records, not on how they are decided.

use super::identity::{Encap, Flow};
use crate::linktype::LinkType;
use std::collections::BTreeMap;
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
    /// What the hops do not show (see [`Expect::note`](super::correlate::Expect::note)).
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
