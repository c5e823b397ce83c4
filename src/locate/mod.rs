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
//! ```no_run
//! use podcap::locate::{locate, Options};
//! let loc = locate("10.244.0.21".parse().unwrap(), &Options::default())?;
//! println!("capture on {} ({})", loc.ifname, loc.method.as_str());
//! for hop in &loc.path {
//!     println!("  {} in {}", hop.ifname, hop.ns_label);
//! }
//! # Ok::<(), podcap::Error>(())
//! ```

mod podside;
pub mod render;
pub mod sysfs;

use crate::error::Kind;
use crate::netlink::LinkKind;
use crate::netlink::route::RouteType;
use crate::netlink::{self, Link, Neigh, Route, Socket, neigh as nd};
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
}

impl Default for Options {
    fn default() -> Self {
        Options {
            ping: true,
            timeout: Duration::from_secs(1),
            cross_check: true,
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
    let nl = Socket::open()?;
    let mut cx = Ctx {
        nl,
        links: HashMap::new(),
        steps: Vec::new(),
        opts,
        namespaces: None,
    };
    let route = cx.nl.route_get(ip, true).map_err(|e| {
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
        return Err(not_a_pod(
            ip,
            format!("it is an address of this node itself (dev {})", dev.name),
        ));
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
    let mut loc = match &dev.kind {
        LinkKind::Vxlan => via_vxlan(&mut cx, ip, &route, &dev)?,
        k if k.is_tunnel() => via_tunnel(&mut cx, ip, &route, &dev),
        // Through a gateway: not a pod hanging off this device, whatever
        // its kind (a node whose uplink is a bridge routes through it too).
        _ if route.gateway.is_some() => via_gateway(&mut cx, ip, &route, &dev)?,
        LinkKind::Bridge => via_bridge(&mut cx, ip, &dev)?,
        LinkKind::Veth | LinkKind::Netkit | LinkKind::Tun => {
            // A pod's host veth carries a host route (/32, /128) with no
            // gateway. A subnet or gateway route over a veth is the node's
            // own network (kind nodes, macvlan parents) or an eBPF CNI's
            // cilium_host: only the pod side can tell.
            let fib = cx.nl.route_fib_match(ip).ok();
            let host_len = if ip.is_ipv4() { 32 } else { 128 };
            match fib {
                Some(f) if f.dst_len == host_len && route.gateway.is_none() => {
                    let f = render::route_line(&f, &|i| cx.cached_name(i));
                    cx.step(format!("ip route get fibmatch {ip}: {f} (a host route)"));
                    via_routed(&mut cx, ip, &dev)?
                }
                Some(f) => {
                    let line = render::route_line(&f, &|i| cx.cached_name(i));
                    cx.step(format!(
                        "ip route get fibmatch {ip}: {line} (a network route, not a pod's host route)"
                    ));
                    podside::by_scan(&mut cx, ip, &dev)?
                }
                None => via_routed(&mut cx, ip, &dev)?,
            }
        }
        _ => podside::by_scan(&mut cx, ip, &dev)?,
    };
    loc.steps = std::mem::take(&mut cx.steps);
    Ok(loc)
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
    }
}

/// Step 2: bridge, neighbour, FDB port, port number.
fn via_bridge(cx: &mut Ctx<'_>, ip: IpAddr, br: &Link) -> Result<Location> {
    let mut n = cx.neigh(ip, br.ifindex)?;
    let mut ping_err = None;
    let fresh = |n: &Option<Neigh>| {
        n.as_ref().is_some_and(|n| {
            n.is_resolved() && n.state & (nd::NUD_STALE | nd::NUD_FAILED | nd::NUD_INCOMPLETE) == 0
        })
    };
    if !fresh(&n) {
        let why = match &n {
            None => "no neighbour entry".to_string(),
            Some(e) => format!("neighbour entry is {}", nd::state_names(e.state)),
        };
        if cx.opts.ping {
            match crate::ping::ping_once(ip, cx.opts.timeout) {
                Ok(Some(r)) => cx.step(format!(
                    "ping {ip} -c1 ({why} on {}): 64 bytes from {ip}: icmp_seq=1 time={:.3} ms",
                    br.name,
                    r.rtt.as_secs_f64() * 1e3
                )),
                Ok(None) => cx.step(format!(
                    "ping {ip} -c1 ({why} on {}): no reply within {:.1} s",
                    br.name,
                    cx.opts.timeout.as_secs_f64()
                )),
                Err(e) => {
                    cx.step(format!("ping {ip} -c1 ({why} on {}): {}", br.name, e.why));
                    ping_err = Some(e);
                }
            }
            n = cx.neigh(ip, br.ifindex)?;
        } else {
            cx.step(format!("{why} on {}; not pinging (--no-ping)", br.name));
        }
    }
    let mac = n.as_ref().filter(|n| n.is_resolved()).and_then(|n| n.mac());
    let Some(mac) = mac else {
        if let Some(n) = &n {
            cx.step(format!(
                "neighbour: {ip} dev {} {}",
                br.name,
                nd::state_names(n.state)
            ));
        }
        // No MAC from this side: the pod's own namespace may still tell.
        let state = n
            .as_ref()
            .map(|n| nd::state_names(n.state))
            .unwrap_or_else(|| "missing".into());
        return podside::by_scan(cx, ip, br).map_err(|e| {
            if !matches!(e.kind, Kind::NotFound | Kind::Permission) {
                return e;
            }
            match ping_err {
                Some(pe) if pe.kind == Kind::Permission => {
                    let mut p = Error::os(
                        format!("locate {ip}"),
                        std::io::Error::from_raw_os_error(pe.errno.unwrap_or(libc::EPERM)),
                        Some("CAP_NET_RAW"),
                    );
                    p.why = format!(
                        "its neighbour entry on bridge {} is {state}, and the ping that would \
                         resolve it was refused ({}); CAP_NET_RAW is needed (CAP_SYS_ADMIN to \
                         look inside pod namespaces instead)",
                        br.name, pe.why
                    );
                    p
                }
                _ if e.kind == Kind::Permission => e,
                Some(pe) if pe.kind != Kind::NotFound => pe,
                _ => not_a_pod(
                    ip,
                    format!(
                        "the kernel routes it to bridge {}, but nothing answered ARP \
                         (neighbour {state}) and no network namespace here holds it",
                        br.name
                    ),
                ),
            }
        });
    };
    if let Some(n) = &n {
        cx.step(format!(
            "ip neigh: {ip} dev {} lladdr {} {}",
            br.name,
            nd::format_mac(&mac),
            nd::state_names(n.state)
        ));
    }
    let port = fdb_port(cx, br, mac)?;
    let Some(port) = port else {
        cx.step(format!(
            "bridge fdb: {} not in {}'s forwarding table",
            nd::format_mac(&mac),
            br.name
        ));
        return podside::by_scan(cx, ip, br);
    };
    let host = cx.link(port).ok_or_else(|| {
        Error::format(
            format!("bridge {} port {port}", br.name),
            "the port vanished during the lookup",
        )
    })?;
    let mut loc = base(ip, &host, Method::Bridge);
    loc.bridge = Some(br.name.clone());
    loc.mac = Some(mac);
    podside::cross_check(cx, &mut loc, &host);
    finish_local_path(cx, &mut loc, Some(br.ifindex));
    Ok(loc)
}

/// The bridge port (ifindex) that `mac` was learned on: netlink FDB first,
/// brforward as fallback; records brctl-style evidence.
fn fdb_port(cx: &mut Ctx<'_>, br: &Link, mac: [u8; 6]) -> Result<Option<u32>> {
    let via_nl = if fdb_from_sysfs() {
        None
    } else {
        cx.nl
            .fdb_get(mac, br.ifindex)
            .ok()
            .flatten()
            .filter(|e| e.ifindex != br.ifindex)
    };
    if let Some(e) = via_nl {
        let Some(port) = cx.link(e.ifindex) else {
            return Ok(None);
        };
        let by_sysfs = sysfs::port_attr(&br.name, &port.name, "port_no")
            .and_then(|s| u16::from_str_radix(s.trim_start_matches("0x"), 16).ok());
        let no = port.brport_no.or(by_sysfs);
        let age = e
            .cache
            .map(|c| format!(", ageing {}.{:02} s", c.updated / 100, c.updated % 100))
            .unwrap_or_default();
        let no_s = no.map(|n| n.to_string()).unwrap_or_else(|| "?".into());
        cx.step(format!(
            "bridge fdb: {} dev {} master {} (brctl showmacs {}: port {no_s}{age})",
            nd::format_mac(&mac),
            port.name,
            br.name,
            br.name,
        ));
        let source = if by_sysfs.is_some() {
            format!("/sys/class/net/{}/brif/{}/port_no", br.name, port.name)
        } else {
            "IFLA_BRPORT_NO".to_string()
        };
        cx.step(format!(
            "brctl showstp {}: port {no_s} is {} ({source})",
            br.name, port.name
        ));
        return Ok(Some(e.ifindex));
    }
    // Fallback, the article's way: brforward gives the port number, the
    // port number names the interface (`brctl showstp BR | grep "(7)"`).
    let Ok(v) = sysfs::brforward(&br.name) else {
        return Ok(None);
    };
    let Some(e) = v.into_iter().find(|e| e.mac == mac && !e.is_local) else {
        return Ok(None);
    };
    let no = e.port_no;
    cx.step(format!(
        "brctl showmacs {}: {} on port {no} (from /sys/class/net/{}/brforward)",
        br.name,
        nd::format_mac(&mac),
        br.name
    ));
    let by_sysfs = sysfs::ports(&br.name)
        .ok()
        .and_then(|v| v.into_iter().find(|(_, n)| *n == no))
        .map(|(name, _)| name);
    let idx = match by_sysfs {
        Some(name) => {
            cx.step(format!(
                "brctl showstp {}: port {no} is {name} (/sys/class/net/{}/brif/{name}/port_no)",
                br.name, br.name
            ));
            cx.link_named(&name).map(|l| l.ifindex)
        }
        None => cx
            .nl
            .links_filtered(Some(br.ifindex), None)?
            .into_iter()
            .find(|l| l.brport_no == Some(no))
            .map(|l| l.ifindex),
    };
    Ok(idx)
}

/// `PODCAP_FDB=sysfs` skips the netlink FDB and reads
/// `/sys/class/net/BR/brforward` as bridge-utils does (the fallback for
/// kernels or sandboxes without AF_BRIDGE neighbour dumps, forced).
pub fn fdb_from_sysfs() -> bool {
    std::env::var_os("PODCAP_FDB").is_some_and(|v| v == "sysfs")
}

/// Step 3: the route's device is the pod's host-side interface.
fn via_routed(cx: &mut Ctx<'_>, ip: IpAddr, dev: &Link) -> Result<Location> {
    cx.step(format!(
        "{} carries {ip} directly: a routed pod veth (Calico, Cilium, kindnet/ptp, AWS VPC CNI style)",
        dev.name
    ));
    let mut loc = base(ip, dev, Method::Routed);
    podside::cross_check(cx, &mut loc, dev);
    finish_local_path(cx, &mut loc, None);
    Ok(loc)
}

/// Step 4: VXLAN to another node.
fn via_vxlan(cx: &mut Ctx<'_>, ip: IpAddr, route: &Route, dev: &Link) -> Result<Location> {
    let vx = dev.vxlan.clone().unwrap_or_default();
    let next = route.gateway.unwrap_or(ip);
    let mut n = cx.neigh(next, dev.ifindex)?;
    if !n.as_ref().is_some_and(|n| n.is_resolved()) && cx.opts.ping {
        // Calico/flannel program these entries; a ping triggers the
        // kernel's L3 miss path for CNIs that resolve on demand.
        let _ = crate::ping::ping_once(ip, cx.opts.timeout);
        n = cx.neigh(next, dev.ifindex)?;
    }
    let vtep_mac = n.as_ref().and_then(|n| n.mac());
    match (&n, vtep_mac) {
        (Some(e), Some(m)) => cx.step(format!(
            "ip neigh: {next} dev {} lladdr {} {} (the remote VTEP's MAC)",
            dev.name,
            nd::format_mac(&m),
            nd::state_names(e.state)
        )),
        _ => cx.step(format!(
            "ip neigh: no entry for {next} on {}; the remote VTEP is unknown",
            dev.name
        )),
    }
    let fdb = cx.nl.neighbours(netlink::AF_BRIDGE).unwrap_or_default();
    let entry = fdb
        .iter()
        .filter(|e| e.ifindex == dev.ifindex && e.dst.is_some())
        .find(|e| vtep_mac.is_some() && e.mac() == vtep_mac)
        .or_else(|| {
            fdb.iter()
                .find(|e| e.ifindex == dev.ifindex && e.dst.is_some() && e.mac() == Some([0; 6]))
        })
        .cloned();
    let node = entry.as_ref().and_then(|e| e.dst).or(vx.group);
    let port = entry.as_ref().and_then(|e| e.port).or(vx.port);
    let vni = entry.as_ref().and_then(|e| e.vni).or(vx.vni);
    if let Some(e) = &entry {
        cx.step(format!(
            "bridge fdb: {} dev {} dst {}{} self permanent (the other node's underlay IP)",
            e.lladdr.as_deref().map(nd::format_mac).unwrap_or_default(),
            dev.name,
            e.dst.map(|d| d.to_string()).unwrap_or_default(),
            e.port.map(|p| format!(" port {p}")).unwrap_or_default()
        ));
    } else {
        cx.step(format!(
            "bridge fdb: no forwarding entry on {} for that MAC (eBPF-driven CNIs keep it elsewhere)",
            dev.name
        ));
    }
    // Underlay: the device VXLAN is pinned to, else the route to the node.
    let mut underlay = match vx.link {
        Some(i) if cx.link(i).is_some() => Some(i),
        _ => None,
    };
    let mut local = vx.local;
    if underlay.is_none() {
        if let Some(node_ip) = node {
            if let Ok(r) = cx.nl.route_get(node_ip, false) {
                underlay = r.oif;
                local = local.or(r.prefsrc);
            }
        }
    }
    let underlay_name = underlay.map(|u| cx.name(u));
    cx.step(format!(
        "ip -d link show {}: vxlan id {} dstport {}{}{}",
        dev.name,
        vni.map(|v| v.to_string()).unwrap_or_else(|| "?".into()),
        port.map(|p| p.to_string()).unwrap_or_else(|| "?".into()),
        local.map(|l| format!(" local {l}")).unwrap_or_default(),
        underlay_name
            .as_ref()
            .map(|u| format!(" dev {u}"))
            .unwrap_or_default()
    ));
    let mut loc = base(ip, dev, Method::VxlanRemote);
    loc.remote = Some(Remote {
        tunnel: dev.name.clone(),
        tunnel_ifindex: dev.ifindex,
        vni,
        port,
        node,
        vtep_mac,
        underlay: underlay_name,
        underlay_ifindex: underlay,
        local,
    });
    loc.path.push(cx.node_hop(dev.ifindex));
    if let Some(u) = underlay {
        loc.path.push(cx.node_hop(u));
    }
    Ok(loc)
}

/// A route via a gateway on a device that is no tunnel. A more specific
/// route than the default, via a neighbour's address, is another node's
/// pod subnet (Calico BGP, flannel host-gw, kind): the pod is remote,
/// reached unencapsulated. A gateway that is this node's own address is an
/// eBPF CNI's (cilium_host): only the pod side can tell. The default route
/// leads out of the cluster: not a pod.
fn via_gateway(cx: &mut Ctx<'_>, ip: IpAddr, route: &Route, dev: &Link) -> Result<Location> {
    let Some(gw) = route.gateway else {
        return podside::by_scan(cx, ip, dev);
    };
    let gw_local = cx
        .nl
        .route_get(gw, false)
        .is_ok_and(|r| r.rtype == RouteType::Local);
    if gw_local {
        cx.step(format!(
            "{gw} is this node's own address: the pod is behind {} (eBPF-style); looking from the pod side",
            dev.name
        ));
        return podside::by_scan(cx, ip, dev);
    }
    let fib = cx.nl.route_fib_match(ip).ok();
    let line = fib
        .as_ref()
        .map(|f| render::route_line(f, &|i| cx.cached_name(i)));
    match fib {
        Some(f) if f.dst_len > 0 => {
            cx.step(format!(
                "ip route get fibmatch {ip}: {} (a route to another node's pod subnet: the pod \
                 is on node {gw}, reached without encapsulation)",
                line.unwrap_or_default()
            ));
            let mut loc = base(ip, dev, Method::RoutedRemote);
            loc.remote = Some(Remote {
                tunnel: dev.name.clone(),
                tunnel_ifindex: dev.ifindex,
                vni: None,
                port: None,
                node: Some(gw),
                vtep_mac: None,
                underlay: Some(dev.name.clone()),
                underlay_ifindex: Some(dev.ifindex),
                local: route.prefsrc,
            });
            loc.path.push(cx.node_hop(dev.ifindex));
            Ok(loc)
        }
        _ if dev.kind == LinkKind::Veth => {
            cx.step(format!(
                "ip route get fibmatch {ip}: {} (the default route); looking from the pod side",
                line.unwrap_or_default()
            ));
            podside::by_scan(cx, ip, dev)
        }
        _ => Err(not_a_pod(
            ip,
            format!(
                "the kernel sends it to the default gateway {gw} via {}, out of this node",
                dev.name
            ),
        )),
    }
}

/// Another tunnel kind (IPIP, GENEVE, WireGuard): remote, less detail.
fn via_tunnel(cx: &mut Ctx<'_>, ip: IpAddr, route: &Route, dev: &Link) -> Location {
    let node = route.gateway;
    let mut underlay = None;
    let mut local = None;
    if let Some(g) = node {
        if let Ok(r) = cx.nl.route_get(g, false) {
            underlay = r.oif.filter(|&o| o != dev.ifindex);
            local = r.prefsrc;
        }
    }
    cx.step(format!(
        "{} is a {} tunnel: the pod is on another node{}",
        dev.name,
        dev.kind,
        node.map(|n| format!(" ({n})")).unwrap_or_default()
    ));
    let mut loc = base(ip, dev, Method::TunnelRemote);
    loc.remote = Some(Remote {
        tunnel: dev.name.clone(),
        tunnel_ifindex: dev.ifindex,
        vni: None,
        port: None,
        node,
        vtep_mac: None,
        underlay: underlay.map(|u| cx.name(u)),
        underlay_ifindex: underlay,
        local,
    });
    loc.path.push(cx.node_hop(dev.ifindex));
    if let Some(u) = underlay {
        loc.path.push(cx.node_hop(u));
    }
    loc
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
