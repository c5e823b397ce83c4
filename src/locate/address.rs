//! Addresses that are not a pod's own: the node's (where a hostNetwork
//! pod's traffic is), and IPv6 link-local ones, which mean nothing
//! without the link they are on.

use super::{Capture, Ctx, Location, Method, Place, base};
use crate::netlink::{self, Route};
use crate::{Error, Result};
use std::net::IpAddr;

/// fe80::/10.
pub fn is_link_local(ip: IpAddr) -> bool {
    matches!(ip, IpAddr::V6(v) if (v.segments()[0] & 0xffc0) == 0xfe80)
}

/// The interface a link-local `ip` is on: its `%scope` (a name or an
/// index), else the one interface whose neighbour table knows it. Refuses
/// to guess between several, or from none.
pub(super) fn scope(cx: &mut Ctx<'_>, ip: IpAddr) -> Result<Option<u32>> {
    if !is_link_local(ip) {
        if let Some(s) = &cx.opts.scope {
            return Err(Error::usage(format!(
                "{ip}%{s}: a scope belongs to IPv6 link-local addresses (fe80::/10) only"
            )));
        }
        return Ok(None);
    }
    if let Some(s) = cx.opts.scope.clone() {
        let link = match s.parse::<u32>() {
            Ok(idx) => cx.link(idx),
            Err(_) => cx.link_named(&s),
        };
        return match link {
            Some(l) => {
                cx.step(format!(
                    "{ip}%{s}: link-local on {} (if{})",
                    l.name, l.ifindex
                ));
                Ok(Some(l.ifindex))
            }
            None => Err(Error::not_found(
                format!("interface {s} (the scope of {ip})"),
                "no such interface in this network namespace",
            )
            .hint("list interfaces with `podcap link`")),
        };
    }
    let known: Vec<u32> = cx
        .nl
        .neighbours(netlink::AF_INET6)
        .unwrap_or_default()
        .into_iter()
        .filter(|n| n.dst == Some(ip) && n.is_resolved())
        .map(|n| n.ifindex)
        .collect();
    let mut ifs = known.clone();
    ifs.sort_unstable();
    ifs.dedup();
    if let [only] = ifs[..] {
        let name = cx.name(only);
        cx.step(format!(
            "{ip} is link-local; only {name}'s neighbour table knows it (ip -6 neigh): taking it as {ip}%{name}"
        ));
        return Ok(Some(only));
    }
    let names: Vec<String> = ifs.iter().map(|&i| cx.name(i)).collect();
    Err(Error::usage(format!(
        "{ip} is an IPv6 link-local address, which every link may reuse: it needs its interface"
    ))
    .hint(if names.is_empty() {
        format!(
            "give it as {ip}%IFACE, IFACE being the node-side interface the pod hangs off (`podcap link`); \
             no neighbour entry names one"
        )
    } else {
        format!(
            "give it as {ip}%IFACE; the neighbour table knows it on {}",
            names.join(", ")
        )
    }))
}

/// The node's own address (a `local` route): where it lives, and how a
/// hostNetwork pod's traffic is captured.
pub(super) fn node_own(cx: &mut Ctx<'_>, ip: IpAddr, route: &Route) -> Result<Location> {
    let holder = cx
        .nl
        .addresses()
        .unwrap_or_default()
        .into_iter()
        .find(|a| a.addr == ip);
    let Some(a) = holder else {
        return Err(super::not_a_pod(
            ip,
            format!(
                "the kernel delivers it locally ({}), but no interface holds it: an address of a local route only",
                route.rtype.name()
            ),
        ));
    };
    let dev = cx.link(a.ifindex).ok_or_else(|| {
        Error::format(
            format!("address {ip}"),
            "its interface vanished during the lookup",
        )
    })?;
    cx.step(format!(
        "ip addr: {ip}/{} is on {} (if{}): this node's own address, which the kernel delivers locally \
         (`route get` says dev lo for that reason)",
        a.prefix_len, dev.name, dev.ifindex
    ));
    let mut loc = base(ip, &dev, Method::HostNetwork);
    loc.filter = Some(format!("host {ip}"));
    loc.capture = Capture {
        place: Place::Any,
        why: Some(format!(
            "{ip} is this node's own address (on {}): hostNetwork pods share it, so their packets \
             cross every interface of the node (and lo for traffic from the node itself): capturing \
             on any, filtered by `host {ip}` (add the pod's port to tell it from the node's own \
             traffic)",
            dev.name
        )),
    };
    loc.path.push(cx.node_hop(dev.ifindex));
    Ok(loc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_local_is_fe80_slash_10() {
        assert!(is_link_local("fe80::1".parse().unwrap()));
        assert!(is_link_local("febf::1".parse().unwrap()));
        assert!(!is_link_local("fec0::1".parse().unwrap()));
        assert!(!is_link_local("fd00::1".parse().unwrap()));
        assert!(!is_link_local("10.0.0.1".parse().unwrap()));
    }
}
