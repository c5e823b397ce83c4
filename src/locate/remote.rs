//! Step 4: the pod is on another node, behind a VXLAN device (flannel.1,
//! vxlan.calico), another tunnel (IPIP, Geneve, WireGuard) or a route via
//! the other node's address (Calico BGP, flannel host-gw).

use super::{Ctx, Location, Method, Remote, base, not_a_pod, podside, render};
use crate::Result;
use crate::netlink::route::RouteType;
use crate::netlink::{self, Link, LinkKind, Route, neigh as nd};
use std::net::IpAddr;

/// Step 4: VXLAN to another node.
pub(super) fn via_vxlan(
    cx: &mut Ctx<'_>,
    ip: IpAddr,
    route: &Route,
    dev: &Link,
) -> Result<Location> {
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
pub(super) fn via_gateway(
    cx: &mut Ctx<'_>,
    ip: IpAddr,
    route: &Route,
    dev: &Link,
) -> Result<Location> {
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
pub(super) fn via_tunnel(cx: &mut Ctx<'_>, ip: IpAddr, route: &Route, dev: &Link) -> Location {
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
