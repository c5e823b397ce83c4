//! Following one packet across the hops of a pod's path (`capture --path`).
//!
//! The pieces, each with one job:
//!
//! - [`identity`]: what stays the same about a packet on every hop (the
//!   key), from raw frames of any link type, through VXLAN/Geneve/IPIP;
//! - [`correlate`]: groups sightings from all hops into packets, decides
//!   each once (complete, or lost between two hops), with bounded memory;
//! - [`report`]: the lines a person reads (one packet's hops and delays,
//!   the summary per hop and per gap).
//!
//! - [`fib`]: the kernel's forwarding decision for the pod's packets
//!   (source-based policy routing included);
//! - [`live`]: `capture --path` itself: one capture per hop, read at once,
//!   fed to the correlator, printed.
//!
//! All but [`live`] is pure logic, tested on literal frames.

pub mod correlate;
pub mod fib;
pub mod identity;
pub mod live;
pub mod report;

pub use correlate::{
    AllHops, Config, Correlator, Dir, Expect, Frame, HopMask, Nanos, Outcome, Record, Step, Summary,
};
pub use identity::{Encap, EncapKind, Flow, Identity, IdentityConfig, Transport, identify};

/// What kind of interface a hop is; decides which packets are expected
/// there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The pod's own interface, inside its network namespace.
    Pod,
    /// The host side of the pod's veth (vethXXXX, caliXXXX, lxcXXXX).
    HostVeth,
    /// The bridge the veth is enslaved to (cni0, cbr0, docker0).
    Bridge,
    /// The overlay device (flannel.1, vxlan.calico, cilium_vxlan).
    Tunnel,
    /// The node's interface towards the other nodes.
    Underlay,
}

/// One hop of a pod's path, numbered from the pod outwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// Printed name: the interface, `pod:eth0` for the pod's own.
    pub label: String,
    pub ifname: String,
    /// Index in its own namespace.
    pub ifindex: u32,
    /// The network namespace to capture in (`None`: podcap's own).
    pub netns: Option<std::path::PathBuf>,
    pub role: Role,
}
