//! Step 3: a routed pod (Calico's cali*, Cilium's lxc*, kindnet/ptp,
//! AWS VPC CNI's eni*): the route's device is the pod's host-side veth,
//! told apart from the node's own veth networks by its host route.

use super::{Ctx, Location, Method, base, finish_local_path, podside, render};
use crate::Result;
use crate::netlink::{Link, Route};
use std::net::IpAddr;

/// The route's device is a veth (or netkit, tun). A pod's host veth
/// carries a host route (/32, /128) with no gateway; a subnet or gateway
/// route over a veth is the node's own network (kind nodes, macvlan
/// parents) or an eBPF CNI's cilium_host: only the pod side can tell.
pub(super) fn via_veth(
    cx: &mut Ctx<'_>,
    ip: IpAddr,
    route: &Route,
    dev: &Link,
) -> Result<Location> {
    let fib = cx.nl.route_fib_match(ip).ok();
    let host_len = if ip.is_ipv4() { 32 } else { 128 };
    match fib {
        Some(f) if f.dst_len == host_len && route.gateway.is_none() => {
            let f = render::route_line(&f, &|i| cx.cached_name(i));
            cx.step(format!("ip route get fibmatch {ip}: {f} (a host route)"));
            via_routed(cx, ip, dev)
        }
        Some(f) => {
            let line = render::route_line(&f, &|i| cx.cached_name(i));
            cx.step(format!(
                "ip route get fibmatch {ip}: {line} (a network route, not a pod's host route)"
            ));
            podside::by_scan(cx, ip, dev)
        }
        None => via_routed(cx, ip, dev),
    }
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
