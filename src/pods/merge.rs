//! Merging the sources' records into pods. Records are tied together by
//! what they share: the pod UID, the sandbox ID, a container ID. Every
//! field keeps who said what, so a pod whose sources contradict each
//! other is shown with the contradiction spelled out, not silently
//! resolved.

use super::read::Record;
use super::{Container, Pod, PodNetns, Root, Source, State};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Field {
    Namespace,
    Name,
    Uid,
    Sandbox,
}

impl Field {
    fn word(self) -> &'static str {
        match self {
            Field::Namespace => "namespace",
            Field::Name => "name",
            Field::Uid => "UID",
            Field::Sandbox => "sandbox",
        }
    }
}

#[derive(Debug, Default)]
struct Draft {
    facts: Vec<(Field, Source, String)>,
    containers: BTreeMap<String, (Option<String>, bool)>,
    pids: Vec<(Source, u32)>,
    /// Network namespace paths as the sources name them (node paths).
    netns: Vec<(Source, String)>,
    /// A source says the pod shares the node's namespace.
    host_network: Vec<Source>,
    ips: Vec<(Source, IpAddr)>,
    host_ifs: Vec<(Source, String)>,
    pod_if: Option<String>,
    sources: BTreeSet<Source>,
    qos: Option<&'static str>,
    driver: Option<&'static str>,
}

#[derive(Default)]
struct Builder {
    drafts: Vec<Option<Draft>>,
    by_uid: HashMap<String, usize>,
    by_sandbox: HashMap<String, usize>,
    by_container: HashMap<String, usize>,
}

impl Builder {
    /// The draft these keys lead to, merging drafts they show to be one
    /// pod; a new one when none is known.
    fn find(&mut self, uid: Option<&str>, sandbox: Option<&str>, containers: &[&str]) -> usize {
        let mut hits: Vec<usize> = Vec::new();
        if let Some(&i) = uid.and_then(|u| self.by_uid.get(u)) {
            hits.push(i);
        }
        if let Some(&i) = sandbox.and_then(|s| self.by_sandbox.get(s)) {
            hits.push(i);
        }
        for c in containers {
            if let Some(&i) = self.by_container.get(*c) {
                hits.push(i);
            }
        }
        hits.sort_unstable();
        hits.dedup();
        let at = match hits.first() {
            Some(&i) => i,
            None => {
                self.drafts.push(Some(Draft::default()));
                self.drafts.len() - 1
            }
        };
        for &other in hits.iter().skip(1) {
            self.absorb(at, other);
        }
        if let Some(u) = uid {
            self.by_uid.insert(u.to_string(), at);
        }
        if let Some(s) = sandbox {
            self.by_sandbox.insert(s.to_string(), at);
            self.by_container.insert(s.to_string(), at);
        }
        for c in containers {
            self.by_container.insert(c.to_string(), at);
        }
        at
    }

    fn absorb(&mut self, into: usize, from: usize) {
        let Some(d) = self.drafts.get_mut(from).and_then(Option::take) else {
            return;
        };
        for m in [
            &mut self.by_uid,
            &mut self.by_sandbox,
            &mut self.by_container,
        ] {
            for v in m.values_mut() {
                if *v == from {
                    *v = into;
                }
            }
        }
        if let Some(Some(t)) = self.drafts.get_mut(into) {
            t.facts.extend(d.facts);
            for (k, v) in d.containers {
                t.containers.entry(k).or_insert(v);
            }
            t.pids.extend(d.pids);
            t.netns.extend(d.netns);
            t.host_network.extend(d.host_network);
            t.ips.extend(d.ips);
            t.host_ifs.extend(d.host_ifs);
            t.pod_if = t.pod_if.take().or(d.pod_if);
            t.sources.extend(d.sources);
            t.qos = t.qos.or(d.qos);
            t.driver = t.driver.or(d.driver);
        }
    }

    /// The draft at `i`, which [`Builder::find`] just returned: absorbed
    /// drafts are unreachable from the maps, so it is a live one.
    fn draft(&mut self, i: usize) -> &mut Draft {
        if i >= self.drafts.len() {
            self.drafts.resize_with(i + 1, || None);
        }
        self.drafts[i].get_or_insert_with(Draft::default)
    }
}

fn fact(d: &mut Draft, f: Field, s: Source, v: Option<&String>) {
    if let Some(v) = v {
        d.facts.push((f, s, v.clone()));
    }
}

/// Merges `records` into pods: identity, containers, processes, the
/// network namespace's identity (a stat, not entered yet).
pub fn merge(root: &Root, records: Vec<Record>) -> Vec<Pod> {
    let mut b = Builder::default();
    for r in records {
        match r {
            Record::Bundle(src, bu) => {
                let i = b.find(bu.uid.as_deref(), bu.sandbox_id.as_deref(), &[&bu.id]);
                let d = b.draft(i);
                d.sources.insert(src);
                fact(d, Field::Namespace, src, bu.namespace.as_ref());
                fact(d, Field::Name, src, bu.name.as_ref());
                fact(d, Field::Uid, src, bu.uid.as_ref());
                fact(d, Field::Sandbox, src, bu.sandbox_id.as_ref());
                let e = d
                    .containers
                    .entry(bu.id.clone())
                    .or_insert((None, bu.sandbox));
                e.0 = e.0.take().or(bu.container_name.clone());
                e.1 |= bu.sandbox;
                if let Some(p) = bu.pid {
                    d.pids.push((src, p));
                }
                if bu.sandbox {
                    match (&bu.netns, bu.host_network) {
                        (_, Some(true)) | (None, None) => d.host_network.push(src),
                        (Some(p), _) if !p.is_empty() => d.netns.push((src, p.clone())),
                        _ => {}
                    }
                }
                for ip in &bu.ips {
                    d.ips.push((src, *ip));
                }
            }
            Record::Cni(c) => {
                let i = b.find(c.uid.as_deref(), Some(&c.container_id), &[]);
                let d = b.draft(i);
                d.sources.insert(Source::CniCache);
                fact(d, Field::Namespace, Source::CniCache, c.namespace.as_ref());
                fact(d, Field::Name, Source::CniCache, c.name.as_ref());
                fact(d, Field::Uid, Source::CniCache, c.uid.as_ref());
                fact(d, Field::Sandbox, Source::CniCache, Some(&c.container_id));
                if let Some(n) = &c.netns {
                    d.netns.push((Source::CniCache, n.clone()));
                }
                for ip in &c.ips {
                    d.ips.push((Source::CniCache, *ip));
                }
                for h in &c.host_ifs {
                    d.host_ifs.push((Source::CniCache, h.clone()));
                }
                d.pod_if = d.pod_if.take().or(c.pod_if.clone());
            }
            Record::PodLog {
                namespace,
                name,
                uid,
            } => {
                let i = b.find(Some(&uid), None, &[]);
                let d = b.draft(i);
                d.sources.insert(Source::KubeletLogs);
                fact(d, Field::Namespace, Source::KubeletLogs, Some(&namespace));
                fact(d, Field::Name, Source::KubeletLogs, Some(&name));
                fact(d, Field::Uid, Source::KubeletLogs, Some(&uid));
            }
            Record::ContainerLog {
                namespace,
                name,
                container,
                id,
            } => {
                let i = b.find(None, None, &[&id]);
                let d = b.draft(i);
                d.sources.insert(Source::ContainerLogs);
                fact(d, Field::Namespace, Source::ContainerLogs, Some(&namespace));
                fact(d, Field::Name, Source::ContainerLogs, Some(&name));
                let e = d.containers.entry(id).or_insert((None, false));
                e.0 = e.0.take().or(Some(container));
            }
            Record::Cgroup { pod, pids, .. } => {
                let ids: Vec<&str> = pod.container.iter().map(String::as_str).collect();
                let i = b.find(Some(&pod.uid), None, if pod.monitor { &[] } else { &ids });
                let d = b.draft(i);
                d.sources.insert(Source::Cgroups);
                fact(d, Field::Uid, Source::Cgroups, Some(&pod.uid));
                d.qos = d.qos.or(Some(pod.qos));
                d.driver = d.driver.or(Some(pod.driver));
                if pod.monitor {
                    // conmon lives in the node's namespaces: not the pod's.
                    continue;
                }
                if let Some(id) = &pod.container {
                    d.containers.entry(id.clone()).or_insert((None, false));
                }
                for p in pids {
                    d.pids.push((Source::Cgroups, p));
                }
            }
            Record::HostLocal(r) => {
                let i = b.find(None, Some(&r.container_id), &[]);
                let d = b.draft(i);
                d.sources.insert(Source::HostLocal);
                fact(d, Field::Sandbox, Source::HostLocal, Some(&r.container_id));
                d.ips.push((Source::HostLocal, r.ip));
            }
        }
    }
    let here = crate::netns::current_id().ok();
    b.drafts
        .into_iter()
        .flatten()
        .map(|d| finish(root, d, here))
        .collect()
}

/// The value of `f` the most trusted source gives (sources are ordered
/// by trust), and a sentence when others say otherwise.
fn pick(d: &Draft, f: Field) -> (Option<String>, Option<String>) {
    let mut said: Vec<(Source, &str)> = d
        .facts
        .iter()
        .filter(|(g, _, _)| *g == f)
        .map(|(_, s, v)| (*s, v.as_str()))
        .collect();
    said.sort();
    said.dedup();
    let Some(&(_, first)) = said.first() else {
        return (None, None);
    };
    let mut values: Vec<&str> = said.iter().map(|(_, v)| *v).collect();
    values.sort_unstable();
    values.dedup();
    if values.len() == 1 {
        return (Some(first.to_string()), None);
    }
    let who = said
        .iter()
        .map(|(s, v)| format!("{} says {v}", s.name()))
        .collect::<Vec<_>>()
        .join(", ");
    (
        Some(first.to_string()),
        Some(format!("{} disagrees: {who}", f.word())),
    )
}

fn stat_ns(path: &std::path::Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Resolves a namespace path as a source wrote it on the node.
fn node_path(root: &Root, p: &str) -> PathBuf {
    match p.strip_prefix("/proc/") {
        Some(rest) => root.proc().join(rest),
        None => root.join(p),
    }
}

fn finish(root: &Root, d: Draft, here: Option<(u64, u64)>) -> Pod {
    let mut disagreements = Vec::new();
    let mut take = |f| {
        let (v, why) = pick(&d, f);
        disagreements.extend(why);
        v
    };
    let namespace = take(Field::Namespace);
    let name = take(Field::Name);
    let uid = take(Field::Uid);
    let sandbox = take(Field::Sandbox);
    let mut pids: Vec<u32> = d.pids.iter().map(|(_, p)| *p).collect();
    pids.sort_unstable();
    pids.dedup();
    let proc = root.proc();
    // The namespace by every path the sources give, bind mounts first
    // (they name it), then each process's.
    let mut paths: Vec<(String, PathBuf)> = d
        .netns
        .iter()
        .map(|(s, p)| (s.name().to_string(), node_path(root, p)))
        .collect();
    paths.sort_by_key(|(_, p)| p.starts_with(&proc));
    for p in &pids {
        paths.push((format!("pid {p}"), proc.join(p.to_string()).join("ns/net")));
    }
    let mut seen: Vec<(String, PathBuf, (u64, u64))> = Vec::new();
    for (who, p) in paths {
        if let Some(id) = stat_ns(&p) {
            seen.push((who, p, id));
        }
    }
    let netns = seen.first().map(|(_, p, (dev, ino))| PodNetns {
        path: p.clone(),
        dev: *dev,
        ino: *ino,
    });
    let distinct: BTreeSet<(u64, u64)> = seen.iter().map(|(_, _, id)| *id).collect();
    if distinct.len() > 1 {
        let who: Vec<String> = seen
            .iter()
            .map(|(w, p, (_, ino))| format!("{w}: {} (net:[{ino}])", p.display()))
            .collect();
        disagreements.push(format!("network namespace disagrees: {}", who.join(", ")));
    }
    let in_ours = netns.as_ref().is_some_and(|n| Some((n.dev, n.ino)) == here);
    let host_network = in_ours || (!d.host_network.is_empty() && d.netns.is_empty());
    let alive = pids.iter().any(|p| proc.join(p.to_string()).exists());
    let state = if alive || (netns.is_some() && !host_network) {
        State::Running
    } else {
        State::Gone
    };
    let mut ips: Vec<IpAddr> = Vec::new();
    for (_, ip) in &d.ips {
        if !ips.contains(ip) {
            ips.push(*ip);
        }
    }
    let containers = d
        .containers
        .iter()
        .map(|(id, (name, sb))| Container {
            id: id.clone(),
            name: name.clone(),
            sandbox: *sb || sandbox.as_deref() == Some(id.as_str()),
        })
        .collect();
    // Until the namespace is entered, the IP sources' agreement is what
    // there is to check.
    let by_ip_source: BTreeMap<Source, BTreeSet<IpAddr>> =
        d.ips.iter().fold(BTreeMap::new(), |mut m, (s, ip)| {
            m.entry(*s).or_default().insert(*ip);
            m
        });
    let sets: BTreeSet<&BTreeSet<IpAddr>> = by_ip_source.values().collect();
    if sets.len() > 1 {
        let who: Vec<String> = by_ip_source
            .iter()
            .map(|(s, ips)| {
                let l: Vec<String> = ips.iter().map(|i| i.to_string()).collect();
                format!("{} says {}", s.name(), l.join(" "))
            })
            .collect();
        disagreements.push(format!("IP disagrees: {}", who.join(", ")));
    }
    Pod {
        namespace,
        name,
        uid,
        sandbox,
        containers,
        pids,
        netns,
        host_network,
        ips: if host_network { Vec::new() } else { ips },
        pod_if: d.pod_if.clone(),
        host_if: None,
        host_ifindex: None,
        state,
        sources: d.sources.iter().copied().collect(),
        disagreements,
        qos: d.qos,
        cgroup_driver: d.driver,
        cni_host_ifs: d.host_ifs.iter().map(|(_, n)| n.clone()).collect(),
    }
}
