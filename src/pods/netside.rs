//! The network side of each pod, asked of the kernel: the node-side
//! interface whose peer lives in the pod's namespace (IFLA_LINK_NETNSID
//! against the namespace's id, RTM_GETNSID, batched), and the addresses
//! the namespace itself holds (entered on one worker thread, one after
//! another). What the files said is checked against both.

use super::{Pod, Root, Source, SourceReport, State};
use crate::error::Kind;
use crate::netlink::{Link, LinkKind, Socket};
use crate::{Result, netns};
use std::collections::HashMap;
use std::fs::File;
use std::net::IpAddr;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::sync::Mutex;

pub struct Report {
    pub report: SourceReport,
    pub not_entered: Option<String>,
}

/// What one namespace holds: (ifindex, ifname, address, scope).
type Inside = Vec<(u32, String, IpAddr, u8)>;

/// Fills `host_if`, and with `enter` the IPs from the namespaces
/// themselves, recording where they contradict the files.
pub fn cross_check(_root: &Root, pods: &mut [Pod], enter: bool) -> Result<Report> {
    let mut report = SourceReport {
        source: Source::Netns,
        path: PathBuf::from("/proc/thread-self/ns/net"),
        present: true,
        found: 0,
        skipped: 0,
        note: None,
    };
    let mut nl = Socket::open()?;
    let links = nl.links()?;
    let by_name: HashMap<&str, &Link> = links.iter().map(|l| (l.name.as_str(), l)).collect();
    // Pods with a namespace of their own, and that namespace opened.
    let mine: Vec<usize> = (0..pods.len())
        .filter(|&i| {
            pods[i].state == State::Running && !pods[i].host_network && pods[i].netns.is_some()
        })
        .collect();
    let files: Vec<(usize, File)> = mine
        .iter()
        .filter_map(|&i| {
            let p = &pods[i].netns.as_ref()?.path;
            File::open(p).ok().map(|f| (i, f))
        })
        .collect();
    let mut nsid: HashMap<usize, i32> = HashMap::new();
    for chunk in files.chunks(256) {
        let fds: Vec<i32> = chunk.iter().map(|(_, f)| f.as_raw_fd()).collect();
        for ((i, _), id) in chunk.iter().zip(nl.nsids_of_fds(&fds)?) {
            if let Some(id) = id {
                nsid.insert(*i, id);
            }
        }
    }
    // Node-side interfaces by the namespace their peer is in.
    let mut peers: HashMap<i32, Vec<&Link>> = HashMap::new();
    for l in &links {
        if let (Some(id), Some(_)) = (l.link_netnsid, l.link) {
            peers.entry(id).or_default().push(l);
        }
    }
    let mut inside: HashMap<usize, Inside> = HashMap::new();
    let mut not_entered = None;
    if enter && !files.is_empty() {
        let paths: Vec<PathBuf> = files
            .iter()
            .filter_map(|(i, _)| pods[*i].netns.as_ref().map(|n| n.path.clone()))
            .collect();
        let refs: Vec<&std::path::Path> = paths.iter().map(PathBuf::as_path).collect();
        let got: Mutex<Vec<(PathBuf, Inside)>> = Mutex::new(Vec::new());
        let (_, errors) = netns::find_in_each(&refs, |p| {
            let mut nl = Socket::open()?;
            let names: HashMap<u32, String> = nl
                .links()?
                .into_iter()
                .map(|l| (l.ifindex, l.name))
                .collect();
            let v: Inside = nl
                .addresses()?
                .into_iter()
                .map(|a| {
                    let n = names.get(&a.ifindex).cloned().unwrap_or_default();
                    (a.ifindex, n, a.addr, a.scope)
                })
                .collect();
            if let Ok(mut g) = got.lock() {
                g.push((p.to_path_buf(), v));
            }
            Ok(None::<()>)
        });
        let got = got.into_inner().unwrap_or_default();
        let by_path: HashMap<&PathBuf, &Inside> = got.iter().map(|(p, v)| (p, v)).collect();
        for (i, _) in &files {
            if let Some(v) = pods[*i].netns.as_ref().and_then(|n| by_path.get(&n.path)) {
                inside.insert(*i, (*v).clone());
            }
        }
        report.found = got.len();
        report.skipped = errors.len();
        if !errors.is_empty() {
            let denied = errors.iter().filter(|e| e.kind == Kind::Permission).count();
            not_entered = Some(if denied > 0 {
                format!(
                    "{} of {} pod namespaces could not be entered (CAP_SYS_ADMIN is needed): \
                     their IPs are the files' word, not checked against the namespace",
                    errors.len(),
                    files.len()
                )
            } else {
                format!(
                    "{} of {} pod namespaces could not be read ({})",
                    errors.len(),
                    files.len(),
                    errors[0].why
                )
            });
        }
    } else if !enter {
        report.present = false;
        report.note = Some("not entered (--no-netns)".into());
    }
    for &i in &mine {
        let pod = &mut pods[i];
        let host = nsid.get(&i).and_then(|id| peers.get(id)).and_then(|v| {
            // Several links into one namespace (Multus): the one CNI named.
            v.iter()
                .find(|l| pod.cni_host_ifs.contains(&l.name))
                .or(v.first())
                .copied()
        });
        match host {
            Some(h) => {
                if !pod.cni_host_ifs.is_empty() && !pod.cni_host_ifs.contains(&h.name) {
                    pod.disagreements.push(format!(
                        "host interface disagrees: the kernel says {} (its peer is in the pod's \
                         namespace), the CNI cache says {}",
                        h.name,
                        pod.cni_host_ifs.join(" or ")
                    ));
                }
                pod.host_if = Some(h.name.clone());
                pod.host_ifindex = Some(h.ifindex);
            }
            None => {
                // No veth into the namespace (host-device, macvlan): the
                // CNI result's names count only if they are such links.
                if let Some(l) = pod
                    .cni_host_ifs
                    .iter()
                    .filter_map(|n| by_name.get(n.as_str()))
                    .find(|l| {
                        matches!(l.kind, LinkKind::Veth | LinkKind::Netkit)
                            && l.link_netnsid.is_some()
                    })
                {
                    pod.host_if = Some(l.name.clone());
                    pod.host_ifindex = Some(l.ifindex);
                }
            }
        }
        let Some(v) = inside.get(&i) else {
            continue;
        };
        if !pod.sources.contains(&Source::Netns) {
            pod.sources.push(Source::Netns);
        }
        // The pod's own interface: the peer of its host side, else the one
        // CNI named, else every interface but lo.
        let peer_idx = host.and_then(|h| h.link);
        let own: Vec<&(u32, String, IpAddr, u8)> = v
            .iter()
            .filter(|(idx, name, ip, scope)| {
                let on = match (peer_idx, &pod.pod_if) {
                    (Some(p), _) => *idx == p,
                    (None, Some(n)) => name == n,
                    (None, None) => name != "lo",
                };
                // Link-local and host-scoped addresses are no pod IPs.
                on && *scope == 0 && !ip.is_loopback()
            })
            .collect();
        if let Some((_, name, _, _)) = own.first() {
            pod.pod_if = Some(name.clone());
        }
        let held: Vec<IpAddr> = own.iter().map(|(_, _, ip, _)| *ip).collect();
        let said: Vec<IpAddr> = pod.ips.clone();
        let missing: Vec<String> = said
            .iter()
            .filter(|ip| !held.contains(ip))
            .map(|ip| ip.to_string())
            .collect();
        if !missing.is_empty() {
            let h: Vec<String> = held.iter().map(|ip| ip.to_string()).collect();
            pod.disagreements.push(format!(
                "IP disagrees: the namespace holds {}, the files say {}",
                if h.is_empty() {
                    "no address".to_string()
                } else {
                    h.join(" ")
                },
                missing.join(" ")
            ));
        }
        pod.ips = held;
        pod.sources.sort();
    }
    Ok(Report {
        report,
        not_entered,
    })
}
