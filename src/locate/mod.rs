//! Which host interface carries a pod's packets: the article's manual
//! steps (ping, `arp -na`, `brctl showmacs`, `brctl showstp`, `ip route
//! get`), done by asking the kernel, never by guessing from names.
//!
//! The algorithm ([`locate`]):
//!
//! 1. `route get` through netlink (RTM_GETROUTE with RTA_DST: a real FIB
//!    lookup, so `ip rule` policy routing and per-table routes count).
//! 2. Route device is a bridge (cni0, cbr0, docker0, weave): the pod IP's
//!    neighbour entry on it (pinging first when it is missing, stale or
//!    failed), then the bridge FDB entry for that MAC (AF_BRIDGE netlink,
//!    `/sys/class/net/BR/brforward` as fallback) gives the port, and the
//!    port number names the interface (`brif/*/port_no`).
//! 3. Route device is a veth or other point-to-point pod interface
//!    (cali*, lxc*, ptp, eni*): that is the answer.
//! 4. Route device is VXLAN (flannel.1, vxlan.calico): the pod is on
//!    another node; the VXLAN FDB names that node's underlay IP, and the
//!    device's parameters give the VNI, UDP port and underlay interface.
//! 5. Cross-check from the pod's side: the namespace that owns the IP
//!    (bind mounts in /run/netns, /proc/*/ns/net), its interface's peer
//!    ifindex (IFLA_LINK), the host veth. Disagreement is reported.
//! 6. macvlan/ipvlan pods have no host-side interface: the parent
//!    interface plus an `ether host MAC` filter.
//!
//! 7. The node's own address (a hostNetwork pod's): where it lives, and
//!    `-i any` with `host IP` as the capture. An IPv6 link-local address
//!    needs its link (`fe80::1%eth0`, or the one neighbour table that
//!    knows it). A pod whose eth0 is a device moved from the node (CNI
//!    host-device, SR-IOV VFs) has no host side: capture inside it.
//! 8. eBPF programs that can move the pod's packets past the interface
//!    found ([`datapath`]): named, with the direction they bypass; the
//!    capture then goes inside the pod ([`Location::capture`]).
//! 9. The pod's name, from the node's files ([`crate::pods`]).
//!
//! One file per kind of answer: [`bridge`] (step 2), `routed` (step 3),
//! `remote` (step 4), `podside` (steps 5 and 6), `address` (7),
//! [`datapath`] (8), `identity` (9); this file holds the types, the
//! per-lookup context and the dispatch on the route's device; [`render`]
//! prints a [`Location`], [`sysfs`] reads bridge-utils' files.
//!
//! ```no_run
//! use podcap::locate::{locate, Options};
//! let loc = locate("10.244.0.21".parse().unwrap(), &Options::default())?;
//! println!("capture on {} ({})", loc.ifname, loc.method.as_str());
//! for hop in &loc.path {
//!     println!("  {} in {}", hop.ifname, hop.ns_label);
//! }
//! # Ok::<(), podcap::Error>(())
//! ```

mod address;
pub mod bridge;
pub mod datapath;
mod identity;
mod podside;
mod remote;
pub mod render;
mod routed;
pub mod sysfs;

pub use address::is_link_local;
pub use bridge::fdb_from_sysfs;
pub use datapath::Bypass;
pub use identity::{inside_container, pod_line};

use crate::error::Kind;
use crate::netlink::LinkKind;
use crate::netlink::route::RouteType;
use crate::netlink::{self, Link, Neigh, Socket};
use crate::{Error, Result};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

/// What [`locate`] may do besides reading kernel tables.
#[derive(Debug, Clone)]
pub struct Options {
    /// Ping the pod when its neighbour entry is missing or stale, as the
    /// article does before `arp -na` (needs CAP_NET_RAW).
    pub ping: bool,
    /// How long to wait for the echo reply.
    pub timeout: Duration,
    /// Look from the pod's side too (enters namespaces; CAP_SYS_ADMIN).
    pub cross_check: bool,
    /// The zone of an IPv6 link-local address (`fe80::1%eth0`): an
    /// interface name or index.
    pub scope: Option<String>,
    /// The node's root for its kubelet/runtime/CNI files; `None`: chosen
    /// as [`crate::pods::Root::choose`] does.
    pub root: Option<crate::pods::Root>,
    /// Name the pod from the node's files.
    pub identify: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            ping: true,
            timeout: Duration::from_secs(1),
            cross_check: true,
            scope: None,
            root: None,
            identify: true,
        }
    }
}

/// How the interface was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Bridge: neighbour MAC, FDB port, port number (Flannel, bridge plugin).
    Bridge,
    /// The route's device itself is the pod's host veth (Calico, Cilium,
    /// kindnet/ptp, AWS VPC CNI).
    Routed,
    /// The pod is on another node, behind a VXLAN device.
    VxlanRemote,
    /// The pod is on another node, behind another tunnel (IPIP, GENEVE).
    TunnelRemote,
    /// The pod is on another node reached without encapsulation: a route
    /// to that node's pod subnet via its address (Calico BGP, flannel
    /// host-gw, kind).
    RoutedRemote,
    /// A macvlan pod: capture on the parent, filtered by the pod's MAC.
    Macvlan,
    /// An ipvlan pod: capture on the parent, filtered by the pod's IP.
    Ipvlan,
    /// Only the pod's side answered: its eth0's veth peer on the host.
    PodNetns,
    /// The node's own address: hostNetwork pods share it.
    HostNetwork,
    /// The pod's interface is a device moved into its namespace (CNI
    /// host-device, an SR-IOV VF): no host side; capture inside.
    HostDevice,
}

impl Method {
    /// Stable name used in `--json` output.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Bridge => "bridge-fdb",
            Method::Routed => "routed-veth",
            Method::VxlanRemote => "vxlan-remote",
            Method::TunnelRemote => "tunnel-remote",
            Method::RoutedRemote => "routed-remote",
            Method::Macvlan => "macvlan-parent",
            Method::Ipvlan => "ipvlan-parent",
            Method::PodNetns => "netns-peer",
            Method::HostNetwork => "host-network",
            Method::HostDevice => "host-device",
        }
    }
}

/// One interface on the pod's path, in order from the pod outwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// The namespace file holding it; `None` for the node's (caller's)
    /// own namespace.
    pub netns: Option<PathBuf>,
    /// `node`, or the pod namespace's label (bind-mount name or `pid N`).
    pub ns_label: String,
    pub ifname: String,
    pub ifindex: u32,
    pub kind: LinkKind,
}

/// Where a remote pod's packets leave this node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    /// Tunnel device (flannel.1).
    pub tunnel: String,
    pub tunnel_ifindex: u32,
    pub vni: Option<u32>,
    /// Outer UDP destination port (8472 for flannel).
    pub port: Option<u16>,
    /// The other node's underlay IP.
    pub node: Option<IpAddr>,
    /// The remote VTEP MAC the route's gateway resolves to.
    pub vtep_mac: Option<[u8; 6]>,
    /// This node's underlay interface and address for the tunnel.
    pub underlay: Option<String>,
    pub underlay_ifindex: Option<u32>,
    pub local: Option<IpAddr>,
}

/// The pod's own side, when its namespace was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodSide {
    pub netns: PathBuf,
    pub ns_label: String,
    /// The interface holding the IP (eth0).
    pub ifname: String,
    pub ifindex: u32,
    pub kind: LinkKind,
    pub mac: Option<[u8; 6]>,
    /// IFLA_LINK: veth peer or macvlan/ipvlan parent ifindex.
    pub link: Option<u32>,
}

/// The answer: where to capture, and the evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub ip: IpAddr,
    /// Host-side interface to capture on (tunnel device when remote,
    /// parent when macvlan/ipvlan).
    pub ifname: String,
    pub ifindex: u32,
    pub method: Method,
    /// What each step found, in order, in ip/brctl words.
    pub steps: Vec<String>,
    /// Set when the pod is on another node.
    pub remote: Option<Remote>,
    /// The pod's namespace, when found.
    pub pod: Option<PodSide>,
    /// The bridge the pod hangs off, if any.
    pub bridge: Option<String>,
    /// The pod's MAC, when known.
    pub mac: Option<[u8; 6]>,
    /// A capture filter that isolates the pod on a shared interface
    /// (macvlan: `ether host MAC`; ipvlan: `host IP`).
    pub filter: Option<String>,
    /// Interfaces from the pod outwards: pod eth0, host veth, bridge,
    /// tunnel, underlay.
    pub path: Vec<Hop>,
    /// When the node-side and pod-side methods name different interfaces.
    pub disagreement: Option<String>,
    /// The Kubernetes pod, when the node's files name it.
    pub k8s: Option<crate::pods::Pod>,
    /// eBPF programs that can move the pod's packets past `ifname`.
    pub bypass: Vec<Bypass>,
    /// Where `podcap capture` captures, and why when it is not `ifname`.
    pub capture: Capture,
}

/// Where the pod's packets can all be seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Place {
    /// On the node: `ifname` (the tunnel's underlay for a remote pod).
    #[default]
    Node,
    /// Inside the pod's namespace, on its interface ([`Location::pod`]).
    Inside,
    /// On every interface of the node (`-i any`) with [`Location::filter`]:
    /// the node's own address.
    Any,
}

/// The capture `podcap capture` makes of a [`Location`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Capture {
    pub place: Place,
    /// The evidence line for a place other than the usual one.
    pub why: Option<String>,
}

impl Location {
    /// The pod namespace path, when found.
    pub fn pod_netns(&self) -> Option<&std::path::Path> {
        self.pod.as_ref().map(|p| p.netns.as_path())
    }
}

/// State shared by the steps of one lookup.
pub(crate) struct Ctx<'a> {
    pub nl: Socket,
    pub links: HashMap<u32, Link>,
    pub steps: Vec<String>,
    pub opts: &'a Options,
    pub namespaces: Option<Vec<crate::netns::Namespace>>,
    /// The node's pods from its files, read on first use.
    pub inventory: Option<Option<crate::pods::Inventory>>,
}

impl Ctx<'_> {
    fn step(&mut self, s: impl Into<String>) {
        self.steps.push(s.into());
    }

    /// The interface `ifindex`, fetched on first use: a node with
    /// thousands of veths is never dumped whole.
    pub fn link(&mut self, ifindex: u32) -> Option<Link> {
        if let Some(l) = self.links.get(&ifindex) {
            return Some(l.clone());
        }
        let l = self.nl.link(ifindex).ok()?;
        self.links.insert(ifindex, l.clone());
        Some(l)
    }

    /// The interface called `name`, fetched on first use.
    pub fn link_named(&mut self, name: &str) -> Option<Link> {
        if let Some(l) = self.links.values().find(|l| l.name == name) {
            return Some(l.clone());
        }
        let l = self.nl.link_by_name(name).ok()?;
        self.links.insert(l.ifindex, l.clone());
        Some(l)
    }

    pub fn name(&mut self, ifindex: u32) -> String {
        self.link(ifindex)
            .map(|l| l.name)
            .unwrap_or_else(|| format!("if{ifindex}"))
    }

    /// The name from the cache only (for renderers that cannot fetch).
    pub fn cached_name(&self, ifindex: u32) -> String {
        self.links
            .get(&ifindex)
            .map(|l| l.name.clone())
            .unwrap_or_else(|| format!("if{ifindex}"))
    }

    fn kind(&mut self, ifindex: u32) -> LinkKind {
        self.link(ifindex).map(|l| l.kind).unwrap_or_default()
    }

    fn node_hop(&mut self, ifindex: u32) -> Hop {
        Hop {
            netns: None,
            ns_label: "node".into(),
            ifname: self.name(ifindex),
            ifindex,
            kind: self.kind(ifindex),
        }
    }

    /// The neighbour entry of `ip` on `ifindex`, if any.
    fn neigh(&mut self, ip: IpAddr, ifindex: u32) -> Result<Option<Neigh>> {
        self.nl.neigh_get(ip, ifindex)
    }
}

/// Finds the host interface that carries `ip`'s packets. See the module
/// documentation for the steps; [`Location::steps`] records what each found.
///
/// Errors: [`Kind::NotFound`] when the IP is not a pod on this node (no
/// route, routed elsewhere, nothing answers); [`Kind::Permission`] naming
/// CAP_NET_RAW when only a ping could have told and it was refused.
pub fn locate(ip: IpAddr, opts: &Options) -> Result<Location> {
    locate_with(ip, opts, None)
}

/// [`locate`] for what [`crate::pods::resolve_target`] made of the
/// user's word: its scope, and the pod it named (in the evidence).
pub fn locate_target(t: &crate::pods::Target, opts: &Options) -> Result<Location> {
    let mut o = opts.clone();
    if t.scope.is_some() {
        o.scope = t.scope.clone();
    }
    let mut loc = locate_with(t.ip, &o, t.pod.clone())?;
    if let Some(h) = &t.how {
        loc.steps.insert(0, h.clone());
    }
    Ok(loc)
}

fn locate_with(ip: IpAddr, opts: &Options, pod: Option<crate::pods::Pod>) -> Result<Location> {
    let nl = Socket::open()?;
    let mut cx = Ctx {
        nl,
        links: HashMap::new(),
        steps: Vec::new(),
        opts,
        namespaces: None,
        inventory: None,
    };
    let found = match find(&mut cx, ip) {
        // A pod whose interface was moved in from the node is routed like
        // anything else off the node (or not at all): only its namespace
        // tells.
        Err(e) if e.kind == Kind::NotFound => podside::no_host_side(&mut cx, ip).ok_or(e),
        r => r,
    };
    match found {
        Ok(mut loc) => {
            if loc.k8s.is_none() {
                loc.k8s = pod.filter(|p| !p.host_network || loc.method == Method::HostNetwork);
            }
            datapath::assess(&mut cx, &mut loc);
            identity::name_pod(&mut cx, &mut loc);
            loc.steps = std::mem::take(&mut cx.steps);
            Ok(loc)
        }
        Err(e) => Err(identity::explain(&mut cx, e)),
    }
}

/// Steps 1 to 7: the interface.
fn find(cx: &mut Ctx<'_>, ip: IpAddr) -> Result<Location> {
    let oif = address::scope(cx, ip)?;
    let mut q = netlink::RouteQuery::to(ip).flags(netlink::route::RTM_F_LOOKUP_TABLE);
    q.oif = oif;
    let route = cx.nl.route(&q).map_err(|e| {
        // The kernel refuses RTM_GETROUTE for a blackhole route with
        // EINVAL and for a prohibit route with EACCES (`ip route get`
        // prints "Invalid argument" / "Permission denied"): Calico
        // blackholes each of its /26 blocks, so a dead pod IP lands here.
        match e.errno {
            _ if e.kind == Kind::NotFound => {
                not_a_pod(ip, format!("the kernel has no route to it ({})", e.why))
            }
            Some(libc::EINVAL) => not_a_pod(
                ip,
                "the kernel drops packets to it (a blackhole route, as Calico installs for its address blocks)".to_string(),
            ),
            Some(libc::EACCES) => not_a_pod(
                ip,
                "the kernel rejects packets to it (a prohibit route)".to_string(),
            ),
            _ => e,
        }
    })?;
    let Some(oif) = route.oif else {
        return Err(not_a_pod(
            ip,
            format!(
                "the kernel answers with a {} route and no device",
                route.rtype.name()
            ),
        ));
    };
    let dev = cx.link(oif).ok_or_else(|| {
        Error::format(
            format!("route to {ip}"),
            format!("device {oif} vanished during the lookup"),
        )
        .hint("run podcap locate again")
    })?;
    cx.step(format!(
        "route get {ip}: {}{}",
        render::route_line(&route, &|i| cx.cached_name(i)),
        describe_kind(&dev)
    ));
    if route.rtype == RouteType::Local {
        return address::node_own(cx, ip, &route);
    }
    if route.rtype != RouteType::Unicast {
        return Err(not_a_pod(
            ip,
            format!(
                "the kernel's route for it is {} (table {})",
                route.rtype.name(),
                netlink::route::table_name(route.table)
            ),
        ));
    }
    match &dev.kind {
        LinkKind::Vxlan => remote::via_vxlan(cx, ip, &route, &dev),
        k if k.is_tunnel() => Ok(remote::via_tunnel(cx, ip, &route, &dev)),
        // Through a gateway: not a pod hanging off this device, whatever
        // its kind (a node whose uplink is a bridge routes through it too).
        _ if route.gateway.is_some() => remote::via_gateway(cx, ip, &route, &dev),
        LinkKind::Bridge => bridge::via_bridge(cx, ip, &dev),
        LinkKind::Veth | LinkKind::Netkit | LinkKind::Tun => routed::via_veth(cx, ip, &route, &dev),
        _ => podside::by_scan(cx, ip, &dev),
    }
}

fn describe_kind(dev: &Link) -> String {
    match &dev.kind {
        LinkKind::Bridge => format!(" ({} is a Linux bridge)", dev.name),
        LinkKind::Vxlan => format!(
            " ({} is a VXLAN tunnel: the pod is on another node)",
            dev.name
        ),
        LinkKind::Veth => format!(" ({} is a veth)", dev.name),
        LinkKind::Device => format!(" ({} is a plain device)", dev.name),
        k => format!(" ({} is a {k} device)", dev.name),
    }
}

pub(crate) fn not_a_pod(ip: IpAddr, why: String) -> Error {
    Error::not_found(format!("{ip} is not a pod on this node"), why).hint(
        "check the pod IP with `kubectl get pod -o wide`; if the pod runs on another node, \
         run podcap locate on that node",
    )
}

fn base(ip: IpAddr, host: &Link, method: Method) -> Location {
    Location {
        ip,
        ifname: host.name.clone(),
        ifindex: host.ifindex,
        method,
        steps: Vec::new(),
        remote: None,
        pod: None,
        bridge: None,
        mac: None,
        filter: None,
        path: Vec::new(),
        disagreement: None,
        k8s: None,
        bypass: Vec::new(),
        capture: Capture::default(),
    }
}

/// Completes `loc.path` for a pod on this node: pod eth0, host interface,
/// bridge, then the node's way out (tunnel device and its underlay, or the
/// default route's device).
pub(crate) fn finish_local_path(cx: &mut Ctx<'_>, loc: &mut Location, bridge: Option<u32>) {
    let mut path = Vec::new();
    if let Some(p) = &loc.pod {
        path.push(Hop {
            netns: Some(p.netns.clone()),
            ns_label: p.ns_label.clone(),
            ifname: p.ifname.clone(),
            ifindex: p.ifindex,
            kind: p.kind.clone(),
        });
    }
    if !matches!(loc.method, Method::Macvlan | Method::Ipvlan) {
        path.push(cx.node_hop(loc.ifindex));
    }
    if let Some(b) = bridge {
        path.push(cx.node_hop(b));
    }
    let mut tunnels = cx
        .nl
        .links_filtered(None, Some(&LinkKind::Vxlan))
        .unwrap_or_default();
    tunnels.sort_by_key(|l| l.ifindex);
    let tunnel = tunnels.first().map(|l| (l.ifindex, l.vxlan.clone()));
    for t in tunnels {
        cx.links.insert(t.ifindex, t);
    }
    let mut out = None;
    if let Some((t, vx)) = tunnel {
        path.push(cx.node_hop(t));
        let vx = vx.unwrap_or_default();
        out = match vx.link {
            Some(i) if cx.link(i).is_some() => Some(i),
            _ => None,
        };
        if out.is_none() {
            if let Some(l) = vx.local {
                out = cx.nl.route_get(l, false).ok().and_then(|r| r.oif);
                // route get of our own address says `lo`; find the owner.
                if out.and_then(|o| cx.link(o)).is_some_and(|k| k.name == "lo") {
                    out = cx
                        .nl
                        .addresses()
                        .ok()
                        .and_then(|v| v.into_iter().find(|a| a.addr == l).map(|a| a.ifindex));
                }
            }
        }
    }
    if out.is_none() {
        // The default route's device: 192.0.2.1 (TEST-NET-1) is never a
        // pod, so its lookup lands on the default route if there is one.
        out = cx
            .nl
            .route_get(IpAddr::from([192, 0, 2, 1]), false)
            .ok()
            .and_then(|r| r.oif);
    }
    if let Some(o) = out {
        if !path.iter().any(|h| h.netns.is_none() && h.ifindex == o) {
            path.push(cx.node_hop(o));
        }
    }
    loc.path = path;
}
