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
//! - [`plan`]: which interfaces to watch and with which kernel filters
//!   (the path's hops and roles, the way out the kernel picks, every other
//!   way out opened ahead, the tunnel);
//! - [`nat`]: the pod's translated connections, from conntrack;
//! - [`live`]: `capture --path` itself: one capture per hop, read at once,
//!   fed to the correlator, printed.
//!
//! `identity`, `correlate` and `report` are pure logic, tested on literal
//! frames.

pub mod correlate;
pub mod expect;
pub mod identity;
pub mod live;
pub mod nat;
pub mod plan;
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
    /// A way out of the node not on the pod's path now, watched ahead for
    /// flows routed there.
    pub ahead: bool,
}

impl Hop {
    pub fn new(ifname: &str, ifindex: u32, netns: Option<std::path::PathBuf>, role: Role) -> Hop {
        let label = if role == Role::Pod {
            format!("pod:{ifname}")
        } else {
            ifname.to_string()
        };
        Hop {
            label,
            ifname: ifname.to_string(),
            ifindex,
            netns,
            role,
            ahead: false,
        }
    }

    /// The name in a pcapng file: qualified by namespace (`pod:eth0`,
    /// `node:eth0`), since the pod's and the node's interfaces often share
    /// a name.
    pub fn qualified_name(&self) -> String {
        match self.netns {
            Some(_) => format!("pod:{}", self.ifname),
            None => format!("node:{}", self.ifname),
        }
    }
}
