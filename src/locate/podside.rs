//! Step 5 and 6: looking from the pod's side. The namespace that owns the
//! pod IP is found among the bind mounts and `/proc/*/ns/net`; inside it
//! (on a dedicated thread, see [`crate::netns::run_in`]) the interface
//! holding the IP names its host-side peer or parent through IFLA_LINK.

use super::{
    Capture, Ctx, Hop, Location, Method, Place, PodSide, base, finish_local_path, not_a_pod,
};
use crate::error::Kind;
use crate::netlink::{Link, LinkKind, Socket, neigh::format_mac};
use crate::netns::{self, Namespace};
use crate::{Error, Result};
use std::fs::File;
use std::net::IpAddr;
use std::os::fd::AsRawFd;

/// What the pod's namespace says about one of its interfaces.
struct Seen {
    ifname: String,
    ifindex: u32,
    kind: LinkKind,
    mac: Option<[u8; 6]>,
    link: Option<u32>,
    /// IFLA_LINK points into the caller's namespace (checked with
    /// RTM_GETNSID from inside).
    link_is_ours: Option<bool>,
    /// The pod IP is an address of this interface.
    has_ip: bool,
    /// Where the pod IP is, when it is in this namespace at all.
    ip_on: Option<String>,
    loopback: bool,
}

fn namespaces(cx: &mut Ctx<'_>) -> Result<Vec<Namespace>> {
    if cx.namespaces.is_none() {
        cx.namespaces = Some(netns::discover()?.namespaces);
    }
    Ok(cx.namespaces.clone().unwrap_or_default())
}

/// Reads, inside `ns`, the interface `want` (by ifindex) or the one that
/// holds `ip`.
fn look_inside(ns: &Namespace, ip: IpAddr, want: Option<u32>) -> Result<Option<Seen>> {
    let ours = File::open("/proc/thread-self/ns/net")
        .map_err(|e| Error::os("open this thread's namespace", e, None))?;
    let our_fd = ours.as_raw_fd();
    netns::run_in(&ns.path, move || inspect(ip, want, our_fd))
}

/// The body of [`look_inside`], run by a thread already inside the pod's
/// namespace; `our_fd` is the caller's namespace, to tell whether the
/// interface's peer lives there.
fn inspect(ip: IpAddr, want: Option<u32>, our_fd: i32) -> Result<Option<Seen>> {
    {
        let mut nl = Socket::open()?;
        let addrs = nl.addresses()?;
        let holder = addrs.iter().find(|a| a.addr == ip).map(|a| a.ifindex);
        let idx = match (want, holder) {
            (Some(w), _) => w,
            (None, Some(h)) => h,
            (None, None) => return Ok(None),
        };
        let links = nl.links()?;
        let Some(l) = links.iter().find(|l| l.ifindex == idx) else {
            return Ok(None);
        };
        let our_id = nl.nsid_of_fd(our_fd).ok().flatten();
        let link_is_ours = match (l.link_netnsid, our_id) {
            (Some(a), Some(b)) => Some(a == b),
            _ => None,
        };
        Ok(Some(Seen {
            ifname: l.name.clone(),
            ifindex: l.ifindex,
            kind: l.kind.clone(),
            mac: l.mac6(),
            link: l.link,
            link_is_ours,
            has_ip: holder == Some(idx),
            loopback: l.flags & crate::netlink::link::IFF_LOOPBACK != 0,
            ip_on: holder.and_then(|h| {
                links
                    .iter()
                    .find(|l| l.ifindex == h)
                    .map(|l| l.name.clone())
            }),
        }))
    }
}

fn pod_side(ns: &Namespace, s: &Seen) -> PodSide {
    PodSide {
        netns: ns.path.clone(),
        ns_label: ns.label(),
        ifname: s.ifname.clone(),
        ifindex: s.ifindex,
        kind: s.kind.clone(),
        mac: s.mac,
        link: s.link,
    }
}

/// The namespace whose id (as seen from here) is `nsid`: the bind mounts
/// first (what CNI runtimes pin), then every process's namespace. The ids
/// are asked in batches, one netlink round trip per 256 namespaces.
fn ns_by_nsid(cx: &mut Ctx<'_>, nsid: i32) -> Result<Option<Namespace>> {
    let mounts = netns::discover_opts(false)?.namespaces;
    if let Some(ns) = match_nsid(cx, &mounts, nsid)? {
        return Ok(Some(ns));
    }
    let seen: std::collections::HashSet<(u64, u64)> =
        mounts.iter().map(|n| (n.dev, n.ino)).collect();
    let rest: Vec<Namespace> = namespaces(cx)?
        .into_iter()
        .filter(|n| !seen.contains(&(n.dev, n.ino)))
        .collect();
    match_nsid(cx, &rest, nsid)
}

fn match_nsid(cx: &mut Ctx<'_>, list: &[Namespace], nsid: i32) -> Result<Option<Namespace>> {
    let candidates: Vec<&Namespace> = list.iter().filter(|n| !n.current).collect();
    for chunk in candidates.chunks(256) {
        let opened: Vec<(&Namespace, File)> = chunk
            .iter()
            .filter_map(|n| File::open(&n.path).ok().map(|f| (*n, f)))
            .collect();
        let fds: Vec<i32> = opened.iter().map(|(_, f)| f.as_raw_fd()).collect();
        let ids = cx.nl.nsids_of_fds(&fds)?;
        if let Some(i) = ids.iter().position(|id| *id == Some(nsid)) {
            return Ok(Some(opened[i].0.clone()));
        }
    }
    Ok(None)
}

/// Step 5: confirms `host` (the node-side answer) from the pod's side and
/// fills `loc.pod`; records a disagreement when the sides differ.
pub(super) fn cross_check(cx: &mut Ctx<'_>, loc: &mut Location, host: &Link) {
    if !cx.opts.cross_check {
        return;
    }
    let ip = loc.ip;
    let (Some(peer), Some(nsid)) = (host.link, host.link_netnsid) else {
        cx.step(format!(
            "cross-check: {} has no peer in another namespace; nothing to compare",
            host.name
        ));
        return;
    };
    let ns = match ns_by_nsid(cx, nsid) {
        Ok(Some(ns)) => ns,
        Ok(None) => {
            cx.step(format!(
                "cross-check: {}'s peer is in link-netnsid {nsid}, which no namespace visible here matches",
                host.name
            ));
            return;
        }
        Err(e) => {
            cx.step(skipped(&e, None));
            return;
        }
    };
    match look_inside(&ns, ip, Some(peer)) {
        Ok(Some(s)) => {
            let label = ns.label();
            let back = s.link == Some(host.ifindex) && s.link_is_ours != Some(false);
            if s.has_ip && back {
                cx.step(format!(
                    "cross-check: namespace {label} ({}) holds {ip} on {}@if{}; if{} is {}: agrees",
                    ns.path.display(),
                    s.ifname,
                    host.ifindex,
                    host.ifindex,
                    host.name
                ));
            } else {
                let d = if s.has_ip {
                    format!(
                        "{} in namespace {label} holds {ip} but its peer is if{}, not {} (if{})",
                        s.ifname,
                        s.link.unwrap_or(0),
                        host.name,
                        host.ifindex
                    )
                } else {
                    format!(
                        "{}'s peer {} in namespace {label} does not hold {ip}{}",
                        host.name,
                        s.ifname,
                        s.ip_on
                            .as_ref()
                            .map(|o| format!(" (it is on {o} there)"))
                            .unwrap_or_default()
                    )
                };
                cx.step(format!("cross-check DISAGREES: {d}"));
                loc.disagreement = Some(d);
            }
            loc.pod = Some(pod_side(&ns, &s));
            if loc.mac.is_none() {
                loc.mac = s.mac;
            }
        }
        Ok(None) => cx.step(format!(
            "cross-check: namespace {} has no interface {peer}",
            ns.label()
        )),
        Err(e) => cx.step(skipped(&e, Some(&ns))),
    }
}

/// The evidence line for a cross-check that could not be made: optional,
/// so the node-side answer stands.
fn skipped(e: &Error, ns: Option<&Namespace>) -> String {
    let whose = ns
        .map(|n| format!("namespace {} ({})", n.label(), n.path.display()))
        .unwrap_or_else(|| "the pod's namespace".into());
    if e.kind == Kind::Permission {
        format!(
            "cross-check skipped: entering {whose} needs CAP_SYS_ADMIN, which this process lacks;              the node-side answer stands"
        )
    } else {
        format!(
            "cross-check skipped: {whose}: {}; the node-side answer stands",
            e.why
        )
    }
}

/// Namespaces podcap may not enter, as the reason a search was partial.
fn denied_search(ip: IpAddr, dev: &Link, denied: usize, total: usize) -> Error {
    let mut e = Error::os(
        format!("locate {ip}"),
        std::io::Error::from_raw_os_error(libc::EPERM),
        Some("CAP_SYS_ADMIN"),
    );
    e.why = format!(
        "the kernel routes it to {}, which does not tell which pod has it, and looking from the pods' \
         side needs CAP_SYS_ADMIN: {denied} of the {total} network namespaces here could not be entered",
        dev.name
    );
    e
}

/// A pod whose interface is a device moved into its namespace from the
/// node (CNI host-device, an SR-IOV VF): nothing on the node's side
/// carries its packets. Looks in the namespaces the node's files name
/// for `ip` first, then in every namespace.
///
/// Taken for such a pod: a device that is no virtual pair or child (no
/// kind, a VLAN, a bond) with no link to anything, in any namespace; or
/// any interface not wired to this namespace, when the node's files say
/// its namespace is a running pod's (a veth whose peer is elsewhere is
/// also what a nested node's pods look like: only the files tell them
/// apart).
pub(super) fn no_host_side(cx: &mut Ctx<'_>, ip: IpAddr) -> Option<Location> {
    let ours = File::open("/proc/thread-self/ns/net").ok()?;
    let our_fd = ours.as_raw_fd();
    let mut candidates: Vec<Namespace> = Vec::new();
    let mut pods_ns: Vec<(u64, u64)> = Vec::new();
    if let Some(inv) = cx.inventory() {
        for p in inv
            .pods
            .iter()
            .filter(|p| p.state == crate::pods::State::Running && !p.host_network)
        {
            if let Some(n) = &p.netns {
                pods_ns.push((n.dev, n.ino));
            }
        }
        for p in inv.pods.iter().filter(|p| p.ips.contains(&ip)) {
            if let Some(n) = &p.netns {
                candidates.push(Namespace {
                    path: n.path.clone(),
                    dev: n.dev,
                    ino: n.ino,
                    names: Vec::new(),
                    pids: p.pids.clone(),
                    current: false,
                });
            }
        }
    }
    let all = namespaces(cx).unwrap_or_default();
    // Bind-mount names label the namespace better than the files' path.
    for c in candidates.iter_mut() {
        if let Some(n) = all.iter().find(|n| n.dev == c.dev && n.ino == c.ino) {
            c.names = n.names.clone();
        }
    }
    for n in all.into_iter().filter(|n| !n.current) {
        if !candidates.iter().any(|c| c.dev == n.dev && c.ino == n.ino) {
            candidates.push(n);
        }
    }
    let paths: Vec<&std::path::Path> = candidates.iter().map(|n| n.path.as_path()).collect();
    let is_pod: Vec<bool> = candidates
        .iter()
        .map(|n| pods_ns.contains(&(n.dev, n.ino)))
        .collect();
    let (hit, _) = netns::find_in_each(&paths, |p| {
        let i = paths.iter().position(|q| *q == p).unwrap_or(usize::MAX);
        let pod = is_pod.get(i).copied().unwrap_or(false);
        Ok(inspect(ip, None, our_fd)?.filter(|s| {
            let lone = s.link.is_none()
                && matches!(s.kind, LinkKind::Device | LinkKind::Vlan | LinkKind::Bond);
            s.has_ip && !s.loopback && s.link_is_ours != Some(true) && (lone || pod)
        }))
    });
    let (i, s) = hit?;
    let ns = candidates[i].clone();
    let label = ns.label();
    let why = if is_pod[i] {
        "the node's files name the namespace as a running pod's, and nothing on the node's side is wired to it"
    } else {
        "no veth peer, no parent on the node"
    };
    cx.step(format!(
        "namespace {label} ({}) holds {ip} on {} (kind {}; {why}): a device moved into the pod (CNI \
         host-device, an SR-IOV VF)",
        ns.path.display(),
        s.ifname,
        s.kind
    ));
    let side = pod_side(&ns, &s);
    let mut loc = Location {
        ip,
        ifname: s.ifname.clone(),
        ifindex: s.ifindex,
        method: Method::HostDevice,
        steps: Vec::new(),
        remote: None,
        pod: Some(side.clone()),
        bridge: None,
        mac: s.mac,
        filter: None,
        path: vec![Hop {
            netns: Some(side.netns.clone()),
            ns_label: side.ns_label.clone(),
            ifname: side.ifname.clone(),
            ifindex: side.ifindex,
            kind: side.kind.clone(),
        }],
        disagreement: None,
        k8s: None,
        bypass: Vec::new(),
        capture: Capture::default(),
    };
    loc.capture = Capture {
        place: Place::Inside,
        why: Some(format!(
            "{ip}'s interface {} is the pod's own device: it has no host side, so podcap captures \
             inside the pod ({} in {})",
            s.ifname,
            s.ifname,
            ns.path.display()
        )),
    };
    Some(loc)
}

/// Steps 5/6 when the node side gave no answer: search every namespace for
/// the one holding `ip`, then follow its interface to the host.
pub(super) fn by_scan(cx: &mut Ctx<'_>, ip: IpAddr, dev: &Link) -> Result<Location> {
    let all = namespaces(cx)?;
    let ours = File::open("/proc/thread-self/ns/net")
        .map_err(|e| Error::os("open this thread's namespace", e, None))?;
    let our_fd = ours.as_raw_fd();
    let candidates: Vec<&Namespace> = all.iter().filter(|n| !n.current).collect();
    let paths: Vec<&std::path::Path> = candidates.iter().map(|n| n.path.as_path()).collect();
    // One worker thread walks every namespace (setns after setns) instead
    // of a thread per namespace. Only a namespace wired to this one is a
    // pod of this node: others (another node, a neighbouring test world)
    // may reuse the same address.
    let (hit, errors) = netns::find_in_each(&paths, |_| {
        Ok(inspect(ip, None, our_fd)?.filter(|s| s.link_is_ours == Some(true)))
    });
    let denied = errors.iter().filter(|e| e.kind == Kind::Permission).count();
    let found = hit.map(|(i, s)| (candidates[i].clone(), s));
    let Some((ns, s)) = found else {
        if denied > 0 {
            return Err(denied_search(ip, dev, denied, candidates.len()));
        }
        return Err(not_a_pod(
            ip,
            format!(
                "the kernel routes it to {}, and none of the {} network namespaces here that are \
                 wired to this one holds it",
                dev.name,
                all.len()
            ),
        ));
    };
    let label = ns.label();
    cx.step(format!(
        "namespace {label} ({}) holds {ip} on {} ({})",
        ns.path.display(),
        s.ifname,
        s.kind
    ));
    let parent = s.link.and_then(|l| cx.link(l));
    match (&s.kind, parent) {
        (k, Some(p)) if k.is_l2_child() => {
            // macvlan and ipvlan pods share the parent's wire: the parent
            // is where to capture, isolated by the pod's MAC (macvlan has
            // one of its own) or its IP (ipvlan shares the parent's MAC).
            let macvlan = matches!(k, LinkKind::Macvlan | LinkKind::Macvtap);
            let (method, filter) = if macvlan {
                let mac = s.mac.map(|m| format_mac(&m)).unwrap_or_default();
                cx.step(format!(
                    "{} is a macvlan on the node's {} (ip -d link: {}@{}): no host-side interface; \
                     capture on {} with `ether host {mac}`",
                    s.ifname, p.name, s.ifname, p.name, p.name
                ));
                (Method::Macvlan, format!("ether host {mac}"))
            } else {
                cx.step(format!(
                    "{} is an ipvlan on the node's {} (shares its MAC): no host-side interface; \
                     capture on {} with `host {ip}`",
                    s.ifname, p.name, p.name
                ));
                (Method::Ipvlan, format!("host {ip}"))
            };
            let mut loc = base(ip, &p, method);
            loc.mac = s.mac;
            loc.filter = Some(filter);
            loc.pod = Some(pod_side(&ns, &s));
            finish_local_path(cx, &mut loc, None);
            loc.path.insert(
                1.min(loc.path.len()),
                Hop {
                    netns: None,
                    ns_label: "node".into(),
                    ifname: p.name.clone(),
                    ifindex: p.ifindex,
                    kind: p.kind.clone(),
                },
            );
            loc.path
                .dedup_by(|a, b| a.netns == b.netns && a.ifindex == b.ifindex);
            Ok(loc)
        }
        (LinkKind::Veth, Some(h)) => {
            cx.step(format!(
                "{}@if{}: if{} here is {} (its veth peer)",
                s.ifname, h.ifindex, h.ifindex, h.name
            ));
            let mut loc = base(ip, &h, Method::PodNetns);
            loc.mac = s.mac;
            loc.pod = Some(pod_side(&ns, &s));
            let br = h
                .master
                .filter(|&m| cx.link(m).is_some_and(|b| b.kind == LinkKind::Bridge));
            loc.bridge = br.map(|m| cx.name(m));
            finish_local_path(cx, &mut loc, br);
            Ok(loc)
        }
        (k, _) => Err(Error::unsupported(
            format!("locate {ip}"),
            format!(
                "it lives in namespace {label} on {} (kind {}), which has no interface on this \
                 node's side",
                s.ifname, k
            ),
        )
        .hint(format!(
            "capture inside the pod instead: podcap tcpdump --netns {} -i {}",
            ns.path.display(),
            s.ifname
        ))),
    }
}
