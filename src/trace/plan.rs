//! Which interfaces `capture --path` watches, and with which kernel filter
//! each: the hops of the pod's path from [`crate::locate`]'s answer, each
//! with its role; the way its traffic leaves the node as the kernel's
//! forwarding decision says (policy routing included), and every other
//! way out of the node opened ahead (so that a flow routed elsewhere is
//! still seen, and capabilities can be dropped once, before anything is
//! parsed); the tunnel, VXLAN or not, and its port.
//!
//! The filters let in, besides the pod's own packets, what they become
//! after NAT on the ways out: on an egress interface also its own
//! addresses (masquerade), non-VXLAN only, so that other pods' tunnelled
//! traffic stays out. What is not the pod's is dropped in user space,
//! where conntrack ([`super::nat`]) says which is which.

use super::{Hop, Role};
use crate::locate::{Location, Method};
use crate::netlink::{LinkKind, RouteQuery, RouteType, Socket};
use crate::wire::ports::VXLAN_LINUX;
use crate::{Error, Result};
use std::net::IpAddr;

/// What to capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub pod: IpAddr,
    /// The path, then the other ways out opened ahead ([`Hop::ahead`]).
    pub hops: Vec<Hop>,
    /// The kernel filter of each hop.
    pub filters: Vec<String>,
    pub vxlan_ports: Vec<u16>,
    /// Ask the routing table which hops a packet crosses (a pod on this
    /// node); otherwise every hop is expected (a remote pod's path).
    pub routed: bool,
    /// What was decided and why, for stderr.
    pub notes: Vec<String>,
}

/// `a and (b)`, either side possibly empty.
pub fn and(a: &str, b: &str) -> String {
    match (a.trim().is_empty(), b.trim().is_empty()) {
        (true, _) => b.trim().to_string(),
        (_, true) => a.trim().to_string(),
        _ => format!("{a} and ({})", b.trim()),
    }
}

/// The hops of `loc`'s path, from the pod outwards, with their roles.
pub fn hops(loc: &Location) -> Vec<Hop> {
    let remote = loc.remote.is_some();
    let shared_parent = matches!(loc.method, Method::Macvlan | Method::Ipvlan);
    let mut v: Vec<Hop> = Vec::new();
    for h in &loc.path {
        let role = if h.netns.is_some() {
            Role::Pod
        } else if h.kind.is_tunnel() {
            Role::Tunnel
        } else if h.kind == LinkKind::Bridge {
            Role::Bridge
        } else if !remote && !shared_parent && h.ifindex == loc.ifindex {
            Role::HostVeth
        } else {
            Role::Underlay
        };
        v.push(Hop::new(&h.ifname, h.ifindex, h.netns.clone(), role));
    }
    // A remote pod's path starts where its packets enter this node.
    if remote {
        v.reverse();
    }
    v
}

/// Where the pod's packets enter the node's IP forwarding: the bridge, or
/// the host veth of a routed pod.
pub fn forwarding_iif(hops: &[Hop]) -> Option<u32> {
    hops.iter()
        .find(|h| h.role == Role::Bridge)
        .or_else(|| hops.iter().find(|h| h.role == Role::HostVeth))
        .map(|h| h.ifindex)
}

/// For a pod on this node with no tunnel on its path: the interface its
/// packets to the outside world leave the node by, from the kernel's
/// forwarding decision for a packet from the pod (source-based policy
/// routing included, as AWS VPC CNI's per-ENI tables), in place of the
/// default route's device.
fn pod_egress(loc: &Location, hops: &mut Vec<Hop>, nl: &mut Socket, notes: &mut Vec<String>) {
    if loc.remote.is_some() || hops.iter().any(|h| h.role == Role::Tunnel) {
        return;
    }
    // Documentation addresses: never a pod, so the lookup lands on the
    // route the pod's traffic to the outside world takes.
    let probe: IpAddr = if loc.ip.is_ipv4() {
        IpAddr::from([192, 0, 2, 1])
    } else {
        IpAddr::from([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1])
    };
    let q = RouteQuery {
        src: Some(loc.ip),
        iif: forwarding_iif(hops),
        ..RouteQuery::to(probe)
    };
    let oif = match nl.route(&q) {
        Ok(r) => r.oif,
        Err(_) => None,
    };
    let Some(oif) = oif else {
        // No default route: no underlay of the path; the ways out
        // opened ahead still catch what is routed elsewhere.
        hops.retain(|h| h.role != Role::Underlay);
        notes.push(format!(
            "{} has no route to the outside world from this node (no default route)",
            loc.ip
        ));
        return;
    };
    if hops.iter().any(|h| h.netns.is_none() && h.ifindex == oif) {
        return;
    }
    let Ok(link) = nl.link(oif) else {
        return;
    };
    notes.push(format!(
        "{}'s packets leave this node by {} (the kernel's forwarding decision for them, \
         policy rules included)",
        loc.ip, link.name
    ));
    let hop = Hop::new(&link.name, oif, None, Role::Underlay);
    match hops.iter().position(|h| h.role == Role::Underlay) {
        Some(i) => hops[i] = hop,
        None => hops.push(hop),
    }
}

/// Every other way out of the node: each device a route in any table
/// points to (a prefix, or a gateway), that is not loopback, not a pod's
/// own veth (those carry only host routes) and not already a hop.
fn ways_out(hops: &[Hop], nl: &mut Socket) -> Vec<Hop> {
    let Ok(routes) = nl.routes(crate::netlink::AF_UNSPEC) else {
        return Vec::new();
    };
    let Ok(links) = nl.links() else {
        return Vec::new();
    };
    let mut out: Vec<Hop> = Vec::new();
    for r in &routes {
        let Some(oif) = r.oif else { continue };
        let host_len = if r.family == crate::netlink::AF_INET6 {
            128
        } else {
            32
        };
        let host_route = r.dst_len == host_len && r.gateway.is_none();
        if r.rtype != RouteType::Unicast || host_route {
            continue;
        }
        let Some(l) = links.iter().find(|l| l.ifindex == oif) else {
            continue;
        };
        // Link-local IPv6 routes (fe80::/64) are on every interface.
        let link_local = matches!(r.dst, Some(IpAddr::V6(a)) if a.segments()[0] & 0xffc0 == 0xfe80);
        let lo = l.flags & libc::IFF_LOOPBACK as u32 != 0;
        let known = hops.iter().any(|h| h.netns.is_none() && h.ifindex == oif)
            || out.iter().any(|h| h.ifindex == oif);
        if link_local || lo || known {
            continue;
        }
        let mut h = Hop::new(&l.name, oif, None, Role::Underlay);
        h.ahead = true;
        out.push(h);
    }
    out
}

/// The UDP port of the VXLAN device among the hops (flannel.1: 8472).
fn vxlan_port(hops: &[Hop], nl: &mut Socket) -> Option<u16> {
    let t = hops.iter().find(|h| h.role == Role::Tunnel)?;
    let l = nl.link(t.ifindex).ok()?;
    l.vxlan.map(|v| v.port.unwrap_or(VXLAN_LINUX))
}

/// `host A or host B`, the addresses of interface `ifindex` (link-local
/// ones left out: never a masquerade address).
fn own_addresses(ifindex: u32, nl: &mut Socket) -> Vec<IpAddr> {
    let Ok(addrs) = nl.addresses() else {
        return Vec::new();
    };
    addrs
        .into_iter()
        .filter(|a| a.ifindex == ifindex)
        .map(|a| a.addr)
        .filter(|a| match a {
            IpAddr::V4(v) => !v.is_link_local(),
            IpAddr::V6(v) => v.segments()[0] & 0xffc0 != 0xfe80,
        })
        .collect()
}

/// The plan for `loc` with the user's filter `user`.
/// An eBPF program that moves the pod's packets past its host interface:
/// the correlator counts a packet a later hop saw as a capture miss there,
/// never as a loss; these notes say why that hop misses them.
fn bypass_notes(loc: &Location) -> Vec<String> {
    loc.bypass
        .iter()
        .map(|b| {
            format!(
                "hop {}: bypassed by eBPF ({}): packets it redirects {} skip {} \
                 (they are followed from the first hop that sees them, never counted as lost)",
                loc.ifname,
                b.why.trim_start_matches("eBPF: "),
                if b.toward_pod {
                    "toward the pod"
                } else {
                    "from the pod"
                },
                loc.ifname
            )
        })
        .collect()
}

pub fn plan(loc: &Location, user: &str) -> Result<Plan> {
    if matches!(loc.method, Method::Macvlan | Method::Ipvlan) && loc.pod.is_none() {
        return Err(Error::unsupported(
            format!("--path for {}", loc.ip),
            "a macvlan/ipvlan pod has no host-side hops and its namespace was not found",
        )
        .hint("use podcap capture --inside, or capture on the parent"));
    }
    let mut nl = Socket::open()?;
    let mut notes = bypass_notes(loc);
    let mut hops = hops(loc);
    pod_egress(loc, &mut hops, &mut nl, &mut notes);
    let shared_parent = matches!(loc.method, Method::Macvlan | Method::Ipvlan);
    if loc.remote.is_none() && !shared_parent {
        let more = ways_out(&hops, &mut nl);
        if !more.is_empty() {
            notes.push(format!(
                "also watching {}: other ways out of this node, for flows routed there",
                more.iter()
                    .map(|h| h.label.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        hops.extend(more);
    }
    if hops.is_empty() {
        return Err(Error::not_found(
            format!("the path of {}", loc.ip),
            "locate named no interface on it",
        ));
    }
    let pod = format!("host {}", loc.ip);
    let port = match &loc.remote {
        Some(r) => r.port.or(if loc.method == Method::VxlanRemote {
            Some(VXLAN_LINUX)
        } else {
            None
        }),
        None => vxlan_port(&hops, &mut nl),
    };
    let vxlan_ports: Vec<u16> = port.into_iter().collect();
    if port.is_none() && hops.iter().any(|h| h.role == Role::Tunnel) {
        // IPIP, Geneve, WireGuard: the kernel filter cannot look inside
        // them for the pod, so their underlay copies are not followed.
        let before = hops.len();
        hops.retain(|h| h.role != Role::Underlay || h.ahead);
        if hops.len() != before {
            notes.push(
                "the tunnel is not VXLAN: its encapsulated copies on the underlay are not \
                 followed, only the packets on the tunnel device"
                    .into(),
            );
        }
    }
    let mut filters = Vec::with_capacity(hops.len());
    for h in &hops {
        let f = match (h.role, &loc.remote) {
            (Role::Underlay, Some(r)) if port.is_some() => match r.node {
                Some(node) => format!("host {node} and vxlan and {}", and(&pod, user)),
                None => format!("vxlan and {}", and(&pod, user)),
            },
            (Role::Underlay, None) if !shared_parent => {
                egress_filter(&pod, &own_addresses(h.ifindex, &mut nl), port, user)
            }
            _ => and(&pod, user),
        };
        filters.push(f);
    }
    Ok(Plan {
        pod: loc.ip,
        hops,
        filters,
        vxlan_ports,
        routed: loc.remote.is_none(),
        notes,
    })
}

/// An egress interface's filter: the pod's packets, what masquerade makes
/// of them (the interface's own addresses, tunnelled traffic excluded),
/// and the pod's packets inside VXLAN when the path has a VXLAN tunnel.
/// `vxlan` comes last: it moves the offsets of everything after it to the
/// inner packet.
pub fn egress_filter(pod: &str, addrs: &[IpAddr], vxlan: Option<u16>, user: &str) -> String {
    let mut base = pod.to_string();
    if !addrs.is_empty() {
        let own = addrs
            .iter()
            .map(|a| format!("host {a}"))
            .collect::<Vec<_>>()
            .join(" or ");
        base = match vxlan {
            Some(p) => format!("{pod} or (({own}) and not udp port {p})"),
            None => format!("{pod} or {own}"),
        };
    }
    let plain = if user.trim().is_empty() {
        format!("({base})")
    } else {
        format!("({base}) and ({})", user.trim())
    };
    match vxlan {
        Some(_) => format!("({plain}) or (vxlan and {})", and(pod, user)),
        None => plain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locate;
    use std::path::PathBuf;

    fn loc(method: Method, ifindex: u32, path: &[(&str, u32, &str, bool)]) -> Location {
        Location {
            ip: "10.244.0.2".parse().unwrap(),
            ifname: "x".into(),
            ifindex,
            method,
            steps: Vec::new(),
            remote: None,
            pod: None,
            bridge: None,
            mac: None,
            filter: None,
            path: path
                .iter()
                .map(|&(name, idx, kind, pod)| locate::Hop {
                    netns: pod.then(|| PathBuf::from("/run/netns/p")),
                    ns_label: if pod { "p".into() } else { "node".into() },
                    ifname: name.into(),
                    ifindex: idx,
                    kind: LinkKind::parse(kind),
                })
                .collect(),
            disagreement: None,
            k8s: None,
            bypass: Vec::new(),
            capture: locate::Capture::default(),
        }
    }

    fn roles(l: &Location) -> Vec<(String, Role)> {
        hops(l).into_iter().map(|h| (h.label, h.role)).collect()
    }

    #[test]
    fn hop_roles() {
        let flannel = loc(
            Method::Bridge,
            5,
            &[
                ("eth0", 2, "veth", true),
                ("veth1", 5, "veth", false),
                ("cni0", 4, "bridge", false),
                ("flannel.1", 3, "vxlan", false),
                ("eth0", 2, "veth", false),
            ],
        );
        assert_eq!(
            roles(&flannel),
            vec![
                ("pod:eth0".to_string(), Role::Pod),
                ("veth1".to_string(), Role::HostVeth),
                ("cni0".to_string(), Role::Bridge),
                ("flannel.1".to_string(), Role::Tunnel),
                ("eth0".to_string(), Role::Underlay),
            ]
        );
        let routed = loc(
            Method::Routed,
            7,
            &[("eth0", 2, "veth", true), ("cali1", 7, "veth", false)],
        );
        assert_eq!(roles(&routed)[1], ("cali1".to_string(), Role::HostVeth));
        let mv = loc(
            Method::Macvlan,
            2,
            &[("eth0", 3, "macvlan", true), ("eth0", 2, "veth", false)],
        );
        assert_eq!(roles(&mv)[1], ("eth0".to_string(), Role::Underlay));
        let mut remote = loc(
            Method::VxlanRemote,
            3,
            &[("flannel.1", 3, "vxlan", false), ("eth0", 2, "veth", false)],
        );
        remote.remote = Some(locate::Remote {
            tunnel: "flannel.1".into(),
            tunnel_ifindex: 3,
            vni: Some(1),
            port: Some(VXLAN_LINUX),
            node: Some("192.168.56.12".parse().unwrap()),
            vtep_mac: None,
            underlay: Some("eth0".into()),
            underlay_ifindex: Some(2),
            local: None,
        });
        assert_eq!(
            roles(&remote),
            vec![
                ("eth0".to_string(), Role::Underlay),
                ("flannel.1".to_string(), Role::Tunnel),
            ]
        );
    }

    #[test]
    fn filters_compose() {
        assert_eq!(and("host 1.2.3.4", ""), "host 1.2.3.4");
        assert_eq!(and("", "icmp"), "icmp");
        assert_eq!(
            and("host 1.2.3.4", "icmp or arp"),
            "host 1.2.3.4 and (icmp or arp)"
        );
        let node: Vec<IpAddr> = vec!["192.168.56.11".parse().unwrap()];
        assert_eq!(
            egress_filter("host 10.244.0.2", &node, None, "icmp"),
            "(host 10.244.0.2 or host 192.168.56.11) and (icmp)"
        );
        assert_eq!(
            egress_filter("host 10.244.0.2", &node, Some(8472), ""),
            "((host 10.244.0.2 or ((host 192.168.56.11) and not udp port 8472))) or \
             (vxlan and host 10.244.0.2)"
        );
        assert_eq!(
            egress_filter("host 10.244.0.2", &[], None, ""),
            "(host 10.244.0.2)"
        );
    }

    #[test]
    fn egress_filters_compile() {
        let node: Vec<IpAddr> = vec![
            "192.168.56.11".parse().unwrap(),
            "fd00::11".parse().unwrap(),
        ];
        for f in [
            egress_filter("host 10.244.0.2", &node, Some(8472), "icmp or udp port 53"),
            egress_filter("host 10.244.0.2", &node, None, ""),
        ] {
            let opts = crate::filter::Options {
                vxlan_ports: vec![8472],
                ..crate::filter::Options::default()
            };
            crate::filter::compile(&f, &opts).unwrap_or_else(|e| panic!("{f}: {e}"));
        }
    }
}
