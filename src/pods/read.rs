//! Reading each source from the node's file system (under the root
//! prefix). Every reader is independent and optional: a directory that
//! is not there is a source that did not answer, a file that does not
//! parse is skipped and counted, nothing fails the whole listing.

use super::cni::{self, CachedResult, Reservation};
use super::names::{self, CgroupPod};
use super::runtime::{self, Bundle};
use super::{Root, Source, SourceReport};
use std::fs;
use std::path::{Path, PathBuf};

/// One fact from one source, before the sources are merged.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// `/var/log/pods/<ns>_<name>_<uid>`.
    PodLog {
        namespace: String,
        name: String,
        uid: String,
    },
    /// `/var/log/containers/<pod>_<ns>_<container>-<id>.log`.
    ContainerLog {
        namespace: String,
        name: String,
        container: String,
        id: String,
    },
    /// A container's (or a pod's) cgroup and the processes in it.
    Cgroup {
        pod: CgroupPod,
        pids: Vec<u32>,
        path: String,
    },
    Bundle(Source, Bundle),
    Cni(CachedResult),
    HostLocal(Reservation),
}

fn entries(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut v: Vec<(String, PathBuf)> = fs::read_dir(dir)?
        .flatten()
        .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
        .collect();
    v.sort();
    Ok(v)
}

fn report(source: Source, path: PathBuf) -> SourceReport {
    SourceReport {
        source,
        path,
        present: false,
        found: 0,
        skipped: 0,
        note: None,
    }
}

/// Notes why a directory could not be listed (absent is not worth a note:
/// most nodes have one runtime).
fn listing(rep: &mut SourceReport) -> Option<Vec<(String, PathBuf)>> {
    match entries(&rep.path) {
        Ok(v) => {
            rep.present = true;
            Some(v)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            rep.note = Some(format!("cannot list {}: {e}", rep.path.display()));
            None
        }
    }
}

/// kubelet's `/var/log/pods` directories.
pub fn pod_logs(root: &Root, out: &mut Vec<Record>) -> SourceReport {
    let mut rep = report(Source::KubeletLogs, root.join("var/log/pods"));
    for (name, _) in listing(&mut rep).unwrap_or_default() {
        match names::pod_log_dir(&name) {
            Some((ns, pod, uid)) => {
                rep.found += 1;
                out.push(Record::PodLog {
                    namespace: ns.into(),
                    name: pod.into(),
                    uid: uid.into(),
                });
            }
            None => rep.skipped += 1,
        }
    }
    rep
}

/// kubelet's `/var/log/containers` links (their names are enough).
pub fn container_logs(root: &Root, out: &mut Vec<Record>) -> SourceReport {
    let mut rep = report(Source::ContainerLogs, root.join("var/log/containers"));
    for (name, _) in listing(&mut rep).unwrap_or_default() {
        match names::container_log(&name) {
            Some((pod, ns, container, id)) => {
                rep.found += 1;
                out.push(Record::ContainerLog {
                    namespace: ns.into(),
                    name: pod.into(),
                    container: container.into(),
                    id: id.into(),
                });
            }
            None => rep.skipped += 1,
        }
    }
    rep
}

/// Where the node's cgroup tree with the kubelet's pods is mounted: the
/// unified (v2) root, or a v1 hierarchy (hybrid nodes have both;
/// `/sys/fs/cgroup/unified` on those).
fn cgroup_roots(root: &Root) -> Vec<PathBuf> {
    let base = root.join("sys/fs/cgroup");
    let mut v = vec![base.clone()];
    for sub in ["unified", "systemd", "pids", "memory", "cpu,cpuacct", "cpu"] {
        v.push(base.join(sub));
    }
    v
}

const KUBEPODS_TOPS: [&str; 4] = ["kubepods.slice", "kubepods", "kubelet.slice", "kubelet"];

fn read_procs(dir: &Path) -> Vec<u32> {
    fs::read_to_string(dir.join("cgroup.procs"))
        .map(|s| s.lines().filter_map(|l| l.trim().parse().ok()).collect())
        .unwrap_or_default()
}

/// The cgroup tree with the kubelet's top cgroup (kubepods) is in view.
pub fn cgroup_tree_visible(root: &Root) -> bool {
    cgroup_roots(root).iter().any(|b| {
        KUBEPODS_TOPS
            .iter()
            .any(|t| b.join(t).join("cgroup.procs").exists())
    })
}

/// The kubelet's cgroups: pods and their containers, with the processes
/// in each. Walks the tree where it is mounted; when it is not (inside
/// `ip netns exec`, which mounts a fresh /sys), reads `/proc/*/cgroup`.
pub fn cgroups(root: &Root, out: &mut Vec<Record>) -> SourceReport {
    for base in cgroup_roots(root) {
        let tops: Vec<PathBuf> = KUBEPODS_TOPS
            .iter()
            .map(|t| base.join(t))
            .filter(|p| p.join("cgroup.procs").exists())
            .collect();
        if tops.is_empty() {
            continue;
        }
        let mut rep = report(Source::Cgroups, base.clone());
        rep.present = true;
        for top in tops {
            walk_cgroup(&base, &top, 0, &mut rep, out);
        }
        return rep;
    }
    proc_cgroups(root, out)
}

fn walk_cgroup(base: &Path, dir: &Path, depth: u32, rep: &mut SourceReport, out: &mut Vec<Record>) {
    if depth > 6 {
        return;
    }
    let rel = dir
        .strip_prefix(base)
        .map(|p| format!("/{}", p.display()))
        .unwrap_or_default();
    if let Some(pod) = names::cgroup_pod(&rel) {
        if pod.container.is_some() {
            // A container's own cgroup: its processes, nested cgroups
            // (systemd inside a container) not followed.
            rep.found += 1;
            out.push(Record::Cgroup {
                pids: read_procs(dir),
                pod,
                path: rel,
            });
            return;
        }
    }
    let Ok(list) = entries(dir) else {
        return;
    };
    for (name, path) in list {
        // Control files are regular files; their names have dots but
        // the kubelet's directories end in .slice/.scope or are bare.
        if name.starts_with("cgroup.")
            || name.contains('.') && !name.ends_with(".slice") && !name.ends_with(".scope")
        {
            continue;
        }
        if path.is_dir() {
            walk_cgroup(base, &path, depth + 1, rep, out);
        }
    }
}

/// `/proc/*/cgroup` of every process, for nodes where the cgroup tree is
/// not visible.
fn proc_cgroups(root: &Root, out: &mut Vec<Record>) -> SourceReport {
    let proc = root.proc();
    let mut rep = report(Source::Cgroups, proc.clone());
    rep.note = Some("cgroup tree not mounted here: read /proc/*/cgroup".into());
    let Some(list) = listing(&mut rep) else {
        return rep;
    };
    let mut by_container: std::collections::BTreeMap<String, usize> = Default::default();
    for (name, path) in list {
        let Ok(pid) = name.parse::<u32>() else {
            continue;
        };
        let Ok(text) = fs::read_to_string(path.join("cgroup")) else {
            continue;
        };
        let Some(pod) = names::proc_cgroup(&text) else {
            continue;
        };
        let Some(id) = pod.container.clone() else {
            continue;
        };
        match by_container.get(&id) {
            Some(&i) => {
                if let Some(Record::Cgroup { pids, .. }) = out.get_mut(i) {
                    pids.push(pid);
                }
            }
            None => {
                rep.found += 1;
                by_container.insert(id, out.len());
                out.push(Record::Cgroup {
                    pod,
                    pids: vec![pid],
                    path: format!("/proc/{pid}/cgroup"),
                });
            }
        }
    }
    rep
}

/// Reads a bundle's `config.json` into `buf` (reused across bundles).
fn read_into(path: &Path, buf: &mut Vec<u8>) -> std::io::Result<()> {
    use std::io::Read;
    buf.clear();
    // A spec is tens of KiB; 16 MiB is no spec.
    fs::File::open(path)?
        .take(16 << 20)
        .read_to_end(buf)
        .map(drop)
}

/// One bundle directory: `config.json` and the PID file beside it.
fn bundle(
    source: Source,
    id: &str,
    dir: PathBuf,
    pidfile: &str,
    buf: &mut Vec<u8>,
) -> Option<Record> {
    read_into(&dir.join("config.json"), buf).ok()?;
    let mut b = runtime::parse_config(buf, id).ok()?;
    b.pid = runtime::read_pid(&dir.join(pidfile));
    b.dir = dir;
    Some(Record::Bundle(source, b))
}

/// Every bundle under `rep.path`: `<id>/<sub>/config.json`.
fn bundles(rep: &mut SourceReport, sub: &str, pidfile: &str, out: &mut Vec<Record>) {
    let mut buf = Vec::new();
    for (id, dir) in listing(rep).unwrap_or_default() {
        match bundle(rep.source, &id, dir.join(sub), pidfile, &mut buf) {
            Some(r) => {
                rep.found += 1;
                out.push(r);
            }
            None => rep.skipped += 1,
        }
    }
}

/// containerd's (and k3s's, microk8s's) task bundles.
pub fn containerd(root: &Root, out: &mut Vec<Record>) -> Vec<SourceReport> {
    let mut reps = Vec::new();
    for (i, (_, rel)) in runtime::CONTAINERD_ROOTS.iter().enumerate() {
        let source = [Source::Containerd, Source::K3s, Source::Microk8s][i];
        let mut rep = report(source, root.join(rel));
        bundles(&mut rep, "", "init.pid", out);
        if rep.present {
            reps.push(rep);
        }
    }
    if reps.is_empty() {
        reps.push(report(
            Source::Containerd,
            root.join(runtime::CONTAINERD_ROOTS[0].1),
        ));
    }
    reps
}

/// CRI-O's `userdata` directories.
pub fn crio(root: &Root, out: &mut Vec<Record>) -> SourceReport {
    let mut rep = report(Source::CriO, root.join(runtime::CRIO_ROOT));
    bundles(&mut rep, "userdata", "pidfile", out);
    rep
}

/// libcni's result cache.
pub fn cni_cache(root: &Root, out: &mut Vec<Record>) -> SourceReport {
    let mut rep = report(Source::CniCache, root.join(cni::RESULTS_DIR));
    let mut buf = Vec::new();
    for (_, path) in listing(&mut rep).unwrap_or_default() {
        if read_into(&path, &mut buf).is_err() {
            rep.skipped += 1;
            continue;
        }
        match cni::parse_result(&buf) {
            Ok(c) => {
                rep.found += 1;
                out.push(Record::Cni(c));
            }
            Err(_) => rep.skipped += 1,
        }
    }
    rep
}

/// host-local IPAM's reservations, every network.
pub fn host_local(root: &Root, out: &mut Vec<Record>) -> SourceReport {
    let mut rep = report(Source::HostLocal, root.join(cni::NETWORKS_DIR));
    for (net, dir) in listing(&mut rep).unwrap_or_default() {
        for (file, path) in entries(&dir).unwrap_or_default() {
            if file.parse::<std::net::IpAddr>().is_err() {
                continue;
            }
            let Ok(text) = fs::read_to_string(&path) else {
                rep.skipped += 1;
                continue;
            };
            match cni::parse_reservation(&net, &file, &text) {
                Some(r) => {
                    rep.found += 1;
                    out.push(Record::HostLocal(r));
                }
                None => rep.skipped += 1,
            }
        }
    }
    rep
}
