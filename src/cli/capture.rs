//! `podcap capture POD_IP [--inside | --path] [tcpdump options] [FILTER]`:
//! the article in one command. Locates the pod (the evidence goes to
//! stderr), then captures where its packets are:
//!
//! - a pod on this node: its host-side interface (veth, cali*, lxc*), or
//!   the macvlan/ipvlan parent with a filter that isolates it;
//! - a pod on another node: the underlay interface the tunnel uses, with
//!   the outer filter built from the tunnel (`host NODE and vxlan`, the
//!   VXLAN port added to the filter compiler and the printer) and the
//!   user's filter applied to the inner frame;
//! - `--inside`: the pod's own eth0 (or `-i any`) from inside its network
//!   namespace, found by IP in /run/netns and /proc/*/ns/net;
//! - `--path`: every hop at once, each packet printed once with its hops
//!   ([`crate::trace::live`]).
//!
//! Its option table (`capture/options.rs`) is its own options in front of
//! tcpdump's; what it captures is then run by [`super::tcpdump::run`].

mod options;

use super::tcpdump::{self, Settings};
use crate::error::Kind;
use crate::locate::{self, Location, Method, Place};
use crate::netlink::Socket;
use crate::trace::live::{self, PathCapture};
use crate::trace::plan::and;
use crate::wire::ports::{VXLAN, VXLAN_LINUX};
use crate::{Error, Result};
use options::{Mode, command, parse};
use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The pod (its IP, or a name [`crate::pods::resolve_target`] turns into
/// one) is the first word that is not an option; the rest is the filter.
fn pod_target_and_filter(words: &str) -> Result<(crate::pods::Target, String)> {
    let mut it = words.split_whitespace();
    let first = it.next().ok_or_else(|| {
        Error::usage("podcap capture needs the pod's IP address")
            .hint("podcap capture 10.244.0.21 [tcpdump options] [FILTER]")
    })?;
    let t = crate::pods::resolve_target(first).map_err(|e| {
        e.hint("the pod comes first: podcap capture 10.244.0.21|NAMESPACE/NAME [tcpdump options] [FILTER]")
    })?;
    Ok((t, it.collect::<Vec<_>>().join(" ")))
}

#[cfg(test)]
fn pod_ip_and_filter(words: &str) -> Result<(IpAddr, String)> {
    pod_target_and_filter(words).map(|(t, f)| (t.ip, f))
}

pub fn main(args: &[String]) -> Result<i32> {
    let (a, mut o) = parse(args)?;
    if o.mode == tcpdump::Mode::Help || args.is_empty() {
        print!("{}", command().help("podcap capture"));
        return Ok(0);
    }
    if o.mode == tcpdump::Mode::Version {
        return tcpdump::run("podcap", &mut o);
    }
    let (target, mut user) = pod_target_and_filter(&o.filter)?;
    let ip = target.ip;
    if let Some(f) = o.filter_file.take() {
        user = tcpdump::read_filter_file(&f)?;
    }
    a.refuse_not_here()?;
    let inside_any = a.mode == Mode::Inside && o.interfaces.iter().all(|i| i == "any");
    if !o.interfaces.is_empty() && !inside_any {
        return Err(Error::usage(
            "podcap capture picks the interface itself; -i is only accepted as `--inside -i any`",
        )
        .hint("to capture on a named interface use `podcap tcpdump -i IFACE`"));
    }

    let lopts = locate::Options {
        ping: a.ping,
        ..locate::Options::default()
    };
    let mut err = std::io::stderr();
    let loc = match locate::locate_target(&target, &lopts) {
        Ok(l) => Some(l),
        // --inside only needs the pod's namespace, which may be found even
        // when the node side says nothing.
        Err(e) if a.mode == Mode::Inside && matches!(e.kind, Kind::NotFound) => {
            let _ = writeln!(err, "podcap: locate {ip}: {}", e.why);
            None
        }
        Err(e) => return Err(e),
    };
    if let Some(l) = &loc {
        evidence(&mut err, l);
        o.describe = l.k8s.as_ref().map(|p| {
            p.k8s_labels(crate::pods::node_name(&crate::pods::Root::choose(None)).as_deref())
        });
    }
    if a.mode == Mode::Inside {
        return inside(ip, loc.as_ref(), &mut o, &user);
    }
    let loc = loc.ok_or_else(|| locate_failed(ip))?;
    if a.mode == Mode::Path {
        return path(&loc, &o, &user, a.path_timeout);
    }
    // Where locate says the packets really are (an eBPF datapath that
    // bypasses the host interface, a device with no host side).
    if let Some(why) = &loc.capture.why {
        let _ = writeln!(err, "podcap: {why}");
    }
    if loc.capture.place == Place::Inside {
        return inside(ip, Some(&loc), &mut o, &user);
    }
    on_node(&loc, &mut o, &user)
}

fn locate_failed(ip: IpAddr) -> Error {
    Error::not_found(format!("pod {ip}"), "locate found nothing")
}

/// The short evidence: the numbered steps, then where podcap captures.
fn evidence(err: &mut dyn Write, loc: &Location) {
    let _ = writeln!(err, "podcap: locate {}:", loc.ip);
    for (i, s) in loc.steps.iter().enumerate() {
        let _ = writeln!(err, "  {:>2}. {s}", i + 1);
    }
    if let Some(d) = &loc.disagreement {
        let _ = writeln!(err, "  WARNING: node side and pod side disagree: {d}");
    }
    let _ = writeln!(err, "  path: {}", loc.picture());
}

/// A pod on this node (its host interface), or on another (the underlay).
fn on_node(loc: &Location, o: &mut Settings, user: &str) -> Result<i32> {
    let mut err = std::io::stderr();
    let (iface, filter) = match (&loc.remote, loc.method) {
        (Some(r), Method::VxlanRemote) => match (&r.underlay, r.node) {
            (Some(u), Some(node)) => {
                let port = r.port.unwrap_or(VXLAN_LINUX);
                if port != VXLAN && !o.print.vxlan_ports.contains(&port) {
                    o.print.vxlan_ports.push(port);
                }
                let outer = format!("host {node} and vxlan");
                let inner = and(&format!("host {}", loc.ip), user);
                let _ = writeln!(
                    err,
                    "podcap: {} is on node {node}, behind {} (VXLAN{} UDP {port}): capturing on \
                     the underlay {u}, outer filter `{outer}` (UDP {port}), inner filter `{inner}`",
                    loc.ip,
                    r.tunnel,
                    r.vni.map(|v| format!(" VNI {v},")).unwrap_or_default(),
                );
                (u.clone(), format!("{outer} and {inner}"))
            }
            _ => {
                let _ = writeln!(
                    err,
                    "podcap: {} is on another node, but the tunnel's underlay is unknown: \
                     capturing the decapsulated packets on {}",
                    loc.ip, r.tunnel
                );
                (r.tunnel.clone(), and(&format!("host {}", loc.ip), user))
            }
        },
        // IPIP, GENEVE, WireGuard: the tunnel device carries the inner
        // packets in clear.
        (Some(r), _) => {
            let _ = writeln!(
                err,
                "podcap: {} is on another node behind {}: capturing there (inner packets)",
                loc.ip, r.tunnel
            );
            (r.tunnel.clone(), and(&format!("host {}", loc.ip), user))
        }
        // The node's own address (hostNetwork pods): every interface.
        (None, Method::HostNetwork) => ("any".to_string(), and(&format!("host {}", loc.ip), user)),
        (None, Method::Macvlan | Method::Ipvlan) => {
            let iso = loc
                .filter
                .clone()
                .unwrap_or_else(|| format!("host {}", loc.ip));
            let _ = writeln!(
                err,
                "podcap: {} has no host-side interface ({}): capturing on the parent {} with `{iso}`",
                loc.ip,
                loc.method.as_str(),
                loc.ifname
            );
            (loc.ifname.clone(), and(&iso, user))
        }
        // The pod's own veth: everything on it is the pod's (ARP and
        // neighbour discovery included), so no filter is needed.
        (None, _) => {
            let _ = writeln!(
                err,
                "podcap: capturing on {} ({})",
                loc.ifname,
                loc.method.as_str()
            );
            (loc.ifname.clone(), user.to_string())
        }
    };
    o.interfaces = vec![iface];
    o.filter = filter;
    tcpdump::run("podcap", o)
}

/// `--inside`: the pod's namespace, its eth0 (or `-i any`).
fn inside(ip: IpAddr, loc: Option<&Location>, o: &mut Settings, user: &str) -> Result<i32> {
    if let Some(r) = loc.and_then(|l| l.remote.as_ref()) {
        return Err(Error::not_found(
            format!("the network namespace of pod {ip}"),
            format!(
                "the pod is on another node ({}), so its namespace is not on this one",
                r.node.map(|n| n.to_string()).unwrap_or_else(|| "?".into())
            ),
        )
        .hint("run podcap capture --inside on that node, or drop --inside to capture the tunnelled copy here"));
    }
    let (netns, label, ifname) = match loc.and_then(|l| l.pod.as_ref()) {
        Some(p) => (p.netns.clone(), p.ns_label.clone(), p.ifname.clone()),
        None => find_netns(ip)?,
    };
    let _ = writeln!(
        std::io::stderr(),
        "podcap: {ip} lives in network namespace {} ({label}): capturing on {} inside it",
        netns.display(),
        if o.interfaces.is_empty() {
            ifname.as_str()
        } else {
            "any"
        }
    );
    if o.interfaces.is_empty() {
        o.interfaces = vec![ifname];
    }
    o.netns = Some(netns.display().to_string());
    o.filter = user.to_string();
    tcpdump::run("podcap", o)
}

/// The namespace holding `ip` among /run/netns, /var/run/netns and
/// /proc/*/ns/net: (path, label, interface with the address).
fn find_netns(ip: IpAddr) -> Result<(PathBuf, String, String)> {
    let found = crate::netns::discover()?;
    let candidates: Vec<_> = found.namespaces.iter().filter(|n| !n.current).collect();
    let paths: Vec<&std::path::Path> = candidates.iter().map(|n| n.path.as_path()).collect();
    // Namespaces that cannot be entered or read are skipped: the error
    // below says what was searched.
    let (hit, _) = crate::netns::find_in_each(&paths, |_| {
        let mut nl = Socket::open()?;
        let Some(a) = nl.addresses()?.into_iter().find(|a| a.addr == ip) else {
            return Ok(None);
        };
        Ok(nl
            .links()?
            .into_iter()
            .find(|l| l.ifindex == a.ifindex)
            .map(|l| l.name))
    });
    if let Some((i, ifname)) = hit {
        let ns = candidates[i];
        return Ok((ns.path.clone(), ns.label(), ifname));
    }
    let mut e = Error::not_found(
        format!("the network namespace of pod {ip}"),
        format!(
            "no namespace in /run/netns, /var/run/netns or /proc/*/ns/net holds {ip}{}",
            if found.unreadable > 0 {
                format!(
                    " ({} processes' namespaces could not be read)",
                    found.unreadable
                )
            } else {
                String::new()
            }
        ),
    );
    e = e.hint("run podcap as root on the pod's node (CAP_SYS_ADMIN and CAP_SYS_PTRACE to see every namespace)");
    Err(e)
}

fn path(loc: &Location, o: &Settings, user: &str, timeout: Duration) -> Result<i32> {
    let plan = crate::trace::plan::plan(loc, user)?;
    let mut err = std::io::stderr();
    for n in &plan.notes {
        let _ = writeln!(err, "podcap: {n}");
    }
    let on_path: Vec<&str> = plan
        .hops
        .iter()
        .filter(|h| !h.ahead)
        .map(|h| h.label.as_str())
        .collect();
    let _ = writeln!(
        err,
        "podcap: following {} across {} hops: {}",
        loc.ip,
        on_path.len(),
        on_path.join(" > ")
    );
    let pc = PathCapture {
        pod_ip: plan.pod,
        routed: plan.routed,
        hops: plan.hops,
        filters: plan.filters,
        vxlan_ports: plan.vxlan_ports,
        snaplen: o.snaplen,
        promisc: o.promisc,
        buffer_size: o.buffer_size(live::DEFAULT_BUFFER),
        optimize: o.optimize,
        count: o.count,
        write: o.write.clone(),
        // tcpdump's rule: -w without --print prints no packets.
        print_lines: o.write.is_none() || o.print_too,
        packet_buffered: o.packet_buffered,
        nanos: o.nanos,
        print: o.print.clone(),
        timeout,
        user: o.user.clone(),
    };
    let outcome = live::run(&pc)?;
    match outcome.ended {
        Some(e) => Err(e),
        None => Ok(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_ip_first() {
        assert!(pod_ip_and_filter("").is_err());
        let e = pod_ip_and_filter("icmp and host 1.2.3.4").unwrap_err();
        assert!(e.to_string().contains("`icmp` is not an IP address"), "{e}");
        let (ip, f) = pod_ip_and_filter("fd00::15 tcp port 80").unwrap();
        assert!(ip.is_ipv6());
        assert_eq!(f, "tcp port 80");
    }
}
