//! Which hops a packet is expected at, from the kernel's forwarding
//! decision for that flow: to the node itself or to a pod on the same
//! bridge it stops at the bridge, to another node it goes on to the
//! tunnel and the underlay, to the outside world to the way out the FIB
//! picks (policy rules on the source, input interface and mark count).
//! A DNAT'd flow is routed to where conntrack says it really goes (a
//! Service's backend), not to the address the pod wrote.
//!
//! Answers are cached per flow. One computed before conntrack knew the
//! flow is asked again once conntrack learns anything new.

use super::correlate::{Dir, Expect, HopMask};
use super::identity::{Flow, Transport};
use super::nat::{Nat, tuple_of};
use super::{Hop, Role};
use crate::netlink::conntrack::Tuple;
use crate::netlink::route::RouteType;
use crate::netlink::{RouteQuery, Socket};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::rc::Rc;

/// Flows whose answer is cached at most (then the cache starts over).
const MAX_CACHED: usize = 1 << 16;

struct Answer {
    mask: HopMask,
    note: Option<Rc<str>>,
    /// The NAT table's generation when computed, and whether conntrack
    /// knew the flow then (if so, the answer is final).
    generation: u64,
    nat_known: bool,
}

/// Hops a packet crosses, from the kernel's routing table, per flow.
pub struct RouteExpect {
    fib: Option<Socket>,
    pod: IpAddr,
    /// Where the pod's packets enter the node's IP forwarding.
    iif: Option<u32>,
    hops: Vec<Hop>,
    nat: Rc<RefCell<Nat>>,
    /// Interfaces that existed when the capture started.
    known: HashSet<u32>,
    cache: HashMap<(Tuple, Dir), Answer>,
}

impl RouteExpect {
    /// `hops`: the path's hops (and the ways out opened ahead) of `pod`.
    /// Opens its netlink socket now, while podcap is still privileged.
    pub fn new(pod: IpAddr, hops: &[Hop], nat: Rc<RefCell<Nat>>) -> Self {
        let mut fib = Socket::open().ok();
        let known = fib
            .as_mut()
            .and_then(|s| s.links().ok())
            .map(|ls| ls.into_iter().map(|l| l.ifindex).collect())
            .unwrap_or_default();
        RouteExpect {
            fib,
            pod,
            iif: super::plan::forwarding_iif(hops),
            hops: hops.to_vec(),
            nat,
            known,
            cache: HashMap::new(),
        }
    }

    fn mask(&self, pick: impl Fn(usize, &Hop) -> bool) -> HopMask {
        let mut m = HopMask::default();
        for (i, h) in self.hops.iter().enumerate() {
            if pick(i, h) {
                m.insert(i);
            }
        }
        m
    }

    /// The hops on this node's side of the pod up to the bridge.
    pub fn local(&self) -> HopMask {
        self.mask(|_, h| matches!(h.role, Role::Pod | Role::HostVeth | Role::Bridge))
    }

    fn answer(&mut self, flow: &Flow, dir: Dir, t: &Tuple) -> Answer {
        let (generation, form) = {
            let mut nat = self.nat.borrow_mut();
            let form = nat.lookup(t);
            (nat.generation, form)
        };
        let done = |mask, note| Answer {
            mask,
            note,
            generation,
            nat_known: form.is_some(),
        };
        let local = self.local();
        let peer = match dir {
            Dir::Out => form.map_or(flow.dst, |f| f.nat.dst),
            Dir::In => form.map_or(flow.src, |f| f.nat.src),
        };
        let link_scope = match peer {
            IpAddr::V4(a) => a.is_broadcast() || a.is_multicast() || a.is_link_local(),
            IpAddr::V6(a) => a.is_multicast() || (a.segments()[0] & 0xffc0) == 0xfe80,
        };
        if link_scope {
            return done(local, None);
        }
        let underlays = self.mask(|_, h| h.role == Role::Underlay);
        if dir == Dir::In {
            // Coming in, the node's route back to the sender does not say
            // where it entered (policy routing, asymmetric paths): any way
            // in may have carried it; the correlator counts only the one it
            // was first seen at, and only hops from there on. But a sender
            // behind the tunnel can only come through the tunnel device.
            let back = self
                .fib
                .as_mut()
                .and_then(|f| f.route_get(peer, false).ok());
            let tunnel = back
                .and_then(|r| r.oif)
                .and_then(|o| {
                    self.hops
                        .iter()
                        .position(|h| h.role == Role::Tunnel && h.ifindex == o)
                })
                .map_or(HopMask::default(), |i| HopMask::of(&[i]));
            return done(local.or(underlays).or(tunnel), None);
        }
        let q = RouteQuery {
            src: Some(self.pod),
            iif: self.iif,
            mark: form.map(|f| f.mark).filter(|&m| m != 0),
            ..RouteQuery::to(peer)
        };
        // The forwarding decision fails where the kernel would not forward
        // from that interface (a martian source): the node's own route.
        let route = self.fib.as_mut().and_then(|f| {
            f.route(&q)
                .or_else(|_| f.route(&RouteQuery { iif: None, ..q }))
                .ok()
        });
        let Some(route) = route else {
            // No route: the node drops it, after the hops it crossed.
            return done(self.mask(|_, h| !h.ahead), None);
        };
        if route.rtype == RouteType::Local {
            return done(local, None);
        }
        let Some(oif) = route.oif else {
            return done(self.mask(|_, h| !h.ahead), None);
        };
        let hop = self
            .hops
            .iter()
            .position(|h| h.netns.is_none() && h.ifindex == oif);
        match hop.map(|i| (i, self.hops[i].role)) {
            Some((i, Role::Tunnel)) => {
                let main = self.mask(|_, h| h.role == Role::Underlay && !h.ahead);
                done(local.or(HopMask::of(&[i])).or(main), None)
            }
            Some((i, Role::Underlay)) => done(local.or(HopMask::of(&[i])), None),
            // Back out of the bridge or a pod's veth: no further hop.
            Some(_) => done(local, None),
            None if self.known.contains(&oif) => done(local, None),
            None => {
                let name = self
                    .fib
                    .as_mut()
                    .and_then(|f| f.link(oif).ok())
                    .map_or_else(|| format!("ifindex {oif}"), |l| l.name);
                let note = format!(
                    "then left by {name}, which appeared after the capture started: not watched"
                );
                done(local, Some(note.into()))
            }
        }
    }

    fn cached(&mut self, flow: &Flow, dir: Dir) -> (HopMask, Option<Rc<str>>) {
        if matches!(flow.transport, Transport::Arp { .. }) {
            return (self.local(), None);
        }
        let t = tuple_of(flow).unwrap_or(Tuple {
            src: flow.src,
            dst: flow.dst,
            proto: 0,
            sport: 0,
            dport: 0,
        });
        let generation = self.nat.borrow().generation;
        if let Some(a) = self.cache.get(&(t, dir)) {
            if a.nat_known || a.generation == generation {
                return (a.mask, a.note.clone());
            }
        }
        let a = self.answer(flow, dir, &t);
        let r = (a.mask, a.note.clone());
        if self.cache.len() >= MAX_CACHED {
            self.cache.clear();
        }
        self.cache.insert((t, dir), a);
        r
    }
}

impl Expect for RouteExpect {
    fn expected(&mut self, flow: &Flow, dir: Dir) -> HopMask {
        self.cached(flow, dir).0
    }
    fn note(&mut self, flow: &Flow, dir: Dir) -> Option<Rc<str>> {
        self.cached(flow, dir).1
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
    fn note(&mut self, flow: &Flow, dir: Dir) -> Option<Rc<str>> {
        match self {
            PathExpect::Route(r) => r.note(flow, dir),
            PathExpect::All(_) => None,
        }
    }
}
