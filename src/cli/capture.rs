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
use crate::netlink::{LinkKind, RouteQuery, Socket};
use crate::trace::{Hop, Role};
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

/// `a and (b)`, either side possibly empty.
fn and(a: &str, b: &str) -> String {
    match (a.trim().is_empty(), b.trim().is_empty()) {
        (true, _) => b.trim().to_string(),
        (_, true) => a.trim().to_string(),
        _ => format!("{a} and ({})", b.trim()),
    }
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

/// The hops of `loc`'s path, from the pod outwards, with their roles.
fn hops(loc: &Location) -> Vec<Hop> {
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
        let label = if role == Role::Pod {
            format!("pod:{}", h.ifname)
        } else {
            h.ifname.clone()
        };
        v.push(Hop {
            label,
            ifname: h.ifname.clone(),
            ifindex: h.ifindex,
            netns: h.netns.clone(),
            role,
        });
    }
    // A remote pod's path starts where its packets enter this node.
    if remote {
        v.reverse();
    }
    v
}

/// For a pod on this node with no tunnel on its path: the interface its
/// packets leave the node by, from the kernel's forwarding decision for a
/// packet from the pod (source-based policy routing included, as AWS VPC
/// CNI's per-ENI tables), in place of the default route's device.
fn pod_egress(loc: &Location, hops: &mut Vec<Hop>) {
    if loc.remote.is_some() || hops.iter().any(|h| h.role == Role::Tunnel) {
        return;
    }
    let iif = hops
        .iter()
        .find(|h| h.role == Role::Bridge)
        .or_else(|| hops.iter().find(|h| h.role == Role::HostVeth))
        .map(|h| h.ifindex);
    // Documentation addresses: never a pod, so the lookup lands on the
    // route the pod's traffic to the outside world takes.
    let probe: IpAddr = if loc.ip.is_ipv4() {
        IpAddr::from([192, 0, 2, 1])
    } else {
        IpAddr::from([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1])
    };
    let q = RouteQuery {
        src: Some(loc.ip),
        iif,
        ..RouteQuery::to(probe)
    };
    let Ok(route) = Socket::open().and_then(|mut nl| nl.route(&q)) else {
        return;
    };
    let Some(oif) = route.oif else {
        return;
    };
    if hops.iter().any(|h| h.netns.is_none() && h.ifindex == oif) {
        return;
    }
    let Ok(link) = Socket::open().and_then(|mut nl| nl.link(oif)) else {
        return;
    };
    let hop = Hop {
        label: link.name.clone(),
        ifname: link.name.clone(),
        ifindex: oif,
        netns: None,
        role: Role::Underlay,
    };
    let _ = writeln!(
        std::io::stderr(),
        "podcap: {}'s packets leave this node by {} (the kernel's forwarding decision for them, \
         policy rules included)",
        loc.ip,
        link.name
    );
    match hops.iter().position(|h| h.role == Role::Underlay) {
        Some(i) => hops[i] = hop,
        None => hops.push(hop),
    }
}

/// The UDP port of the VXLAN device among the hops (flannel.1: 8472).
fn vxlan_port(hops: &[Hop]) -> Option<u16> {
    let t = hops.iter().find(|h| h.role == Role::Tunnel)?;
    let mut nl = Socket::open().ok()?;
    let l = nl.link(t.ifindex).ok()?;
    l.vxlan.map(|v| v.port.unwrap_or(VXLAN_LINUX))
}

fn path(loc: &Location, o: &Settings, user: &str, timeout: Duration) -> Result<i32> {
    if matches!(loc.method, Method::Macvlan | Method::Ipvlan) && loc.pod.is_none() {
        return Err(Error::unsupported(
            format!("--path for {}", loc.ip),
            "a macvlan/ipvlan pod has no host-side hops and its namespace was not found",
        )
        .hint("use podcap capture --inside, or capture on the parent"));
    }
    let mut hops = hops(loc);
    pod_egress(loc, &mut hops);
    if hops.is_empty() {
        return Err(Error::not_found(
            format!("the path of {}", loc.ip),
            "locate named no interface on it",
        ));
    }
    let pod = format!("host {}", loc.ip);
    let mut vxlan_ports = Vec::new();
    let port = match &loc.remote {
        Some(r) => r.port.or(if loc.method == Method::VxlanRemote {
            Some(VXLAN_LINUX)
        } else {
            None
        }),
        None => vxlan_port(&hops),
    };
    if let Some(p) = port {
        vxlan_ports.push(p);
    }
    let tunnel_is_vxlan = port.is_some();
    if !tunnel_is_vxlan && hops.iter().any(|h| h.role == Role::Tunnel) {
        // IPIP, Geneve, WireGuard: the kernel filter cannot look inside
        // them for the pod, so their underlay copies are not followed.
        let before = hops.len();
        hops.retain(|h| h.role != Role::Underlay);
        if hops.len() != before {
            let _ = writeln!(
                std::io::stderr(),
                "podcap: the tunnel is not VXLAN: its encapsulated copies on the underlay are \
                 not followed, only the packets on the tunnel device"
            );
        }
    }
    let filters: Vec<String> = hops
        .iter()
        .map(|h| match (h.role, &loc.remote) {
            (Role::Underlay, Some(r)) if tunnel_is_vxlan => match r.node {
                Some(node) => format!("host {node} and vxlan and {}", and(&pod, user)),
                None => format!("vxlan and {}", and(&pod, user)),
            },
            (Role::Underlay, None) if tunnel_is_vxlan => format!("vxlan and {}", and(&pod, user)),
            _ => and(&pod, user),
        })
        .collect();
    let mut err = std::io::stderr();
    // An eBPF program that moves packets past a hop: the correlator
    // counts a packet a later hop saw as a capture miss there, never as
    // a loss; this line says why that hop misses them.
    for b in &loc.bypass {
        let _ = writeln!(
            err,
            "podcap: hop {}: bypassed by eBPF ({}): packets it redirects {} skip {} \
             (they are followed from the first hop that sees them, never counted as lost)",
            loc.ifname,
            b.why.trim_start_matches("eBPF: "),
            if b.toward_pod {
                "toward the pod"
            } else {
                "from the pod"
            },
            loc.ifname
        );
    }
    let _ = writeln!(
        err,
        "podcap: following {} across {} hops: {}",
        loc.ip,
        hops.len(),
        hops.iter()
            .map(|h| h.label.as_str())
            .collect::<Vec<_>>()
            .join(" > ")
    );
    let pc = o.path_capture(
        loc.ip,
        loc.remote.is_none(),
        hops,
        filters,
        vxlan_ports,
        timeout,
    );
    crate::trace::live::run(&pc)?;
    Ok(0)
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
        // A routed pod on a node without a way out: its veth is still the
        // host veth.
        let routed = loc(
            Method::Routed,
            7,
            &[("eth0", 2, "veth", true), ("cali1", 7, "veth", false)],
        );
        assert_eq!(roles(&routed)[1], ("cali1".to_string(), Role::HostVeth));
        // macvlan: the parent is where its packets leave.
        let mv = loc(
            Method::Macvlan,
            2,
            &[("eth0", 3, "macvlan", true), ("eth0", 2, "veth", false)],
        );
        assert_eq!(roles(&mv)[1], ("eth0".to_string(), Role::Underlay));
        // A remote pod: from where its packets enter this node.
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
    }
}
