//! Which pods run on this node, from the files the kubelet, the container
//! runtime and CNI leave on it: no runtime socket, no crictl, no API
//! server. The socket paths differ between containerd, CRI-O, k3s,
//! microk8s and COS; these files do not.
//!
//! Sources ([`Source`]), each optional, each cross-checked against the
//! others and against the pod's network namespace itself:
//!
//! - kubelet: `/var/log/pods/<namespace>_<pod>_<uid>/` and the
//!   `/var/log/containers/<pod>_<namespace>_<container>-<id>.log` links;
//! - cgroups: the pod UID and container ID in the kubelet's cgroup paths
//!   (systemd and cgroupfs drivers), and the processes in them;
//! - containerd (k3s, microk8s) task bundles and CRI-O `userdata`: the OCI
//!   spec's annotations and network namespace, and the container's PID;
//! - CNI: libcni's result cache and host-local IPAM's reservations;
//! - the network namespace: its own addresses, and the host-side
//!   interface whose peer it holds (the one podcap captures on).
//!
//! Paths are read under a root prefix ([`Root`]): `kubectl debug node`
//! mounts the node's `/` at `/host`.
//!
//! ```no_run
//! let inv = podcap::pods::discover(&podcap::pods::Options::default())?;
//! for p in &inv.pods {
//!     println!("{}/{} {:?} via {:?}", p.namespace_or("?"), p.name_or("?"), p.ips, p.host_if);
//! }
//! # Ok::<(), podcap::Error>(())
//! ```

pub mod cni;
pub mod json;
mod merge;
pub mod names;
mod netside;
pub mod read;
pub mod render;
pub mod runtime;
mod target;

pub use target::{Target, resolve_target, resolve_target_with};

use crate::Result;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// Where a fact came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// `/var/log/pods`.
    KubeletLogs,
    /// `/var/log/containers`.
    ContainerLogs,
    Containerd,
    K3s,
    Microk8s,
    CriO,
    /// libcni's `/var/lib/cni/results`.
    CniCache,
    /// host-local IPAM's `/var/lib/cni/networks`.
    HostLocal,
    Cgroups,
    /// The pod's network namespace, entered.
    Netns,
}

impl Source {
    /// The short name `podcap pods -o wide` and locate's evidence use.
    pub fn name(self) -> &'static str {
        match self {
            Source::KubeletLogs => "kubelet-logs",
            Source::ContainerLogs => "container-logs",
            Source::Containerd => "containerd",
            Source::K3s => "k3s",
            Source::Microk8s => "microk8s",
            Source::CriO => "cri-o",
            Source::CniCache => "cni-cache",
            Source::HostLocal => "host-local",
            Source::Cgroups => "cgroups",
            Source::Netns => "netns",
        }
    }
}

/// What one source said overall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceReport {
    pub source: Source,
    /// Where it was read (the root prefix included).
    pub path: PathBuf,
    /// The directory exists here.
    pub present: bool,
    /// Entries it understood.
    pub found: usize,
    /// Entries that were there but did not parse.
    pub skipped: usize,
    /// Why it could not be read, or how it was read instead.
    pub note: Option<String>,
}

/// The node's root directory as podcap sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    pub path: PathBuf,
    /// How it was chosen, when it is not `/`.
    pub why: Option<String>,
}

impl Default for Root {
    fn default() -> Self {
        Root {
            path: PathBuf::from("/"),
            why: None,
        }
    }
}

impl Root {
    /// `given` (`--root`), else `$PODCAP_ROOT`, else `/host` when the
    /// node's files are there and not at `/` (a `kubectl debug node`
    /// pod), else `/`.
    pub fn choose(given: Option<&str>) -> Root {
        if let Some(g) = given.filter(|g| !g.is_empty()) {
            return Root {
                path: PathBuf::from(g),
                why: (g != "/").then(|| "--root".to_string()),
            };
        }
        if let Ok(e) = std::env::var("PODCAP_ROOT") {
            if !e.is_empty() {
                return Root {
                    why: (e != "/").then(|| "PODCAP_ROOT".to_string()),
                    path: PathBuf::from(e),
                };
            }
        }
        let marks = [
            "var/log/pods",
            "var/lib/cni",
            "run/containerd",
            "run/containers/storage",
        ];
        let here = marks.iter().any(|m| Path::new("/").join(m).exists());
        let host = Path::new("/host");
        if !here && marks.iter().any(|m| host.join(m).exists()) {
            return Root {
                path: host.to_path_buf(),
                why: Some("the node's files are under /host (kubectl debug node)".into()),
            };
        }
        Root::default()
    }

    /// `rel` (relative, or absolute as the node names it) under the root.
    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        let rel = rel.as_ref();
        let rel = rel.strip_prefix("/").unwrap_or(rel);
        self.path.join(rel)
    }

    pub fn is_slash(&self) -> bool {
        self.path == Path::new("/")
    }

    /// The node's /proc: the one under the root when it is mounted there
    /// (a procfs shows the PID namespace that mounted it, so the host's
    /// /proc under /host lists the node's processes even from a pod
    /// without hostPID), else this process's.
    pub fn proc(&self) -> PathBuf {
        let p = self.join("proc");
        if !self.is_slash() && p.join("1").exists() {
            p
        } else {
            PathBuf::from("/proc")
        }
    }
}

/// The node's name as the kubelet registers it by default: its
/// hostname, from the node's root (`/host/etc/hostname` in a `kubectl
/// debug node` pod) or else the kernel's.
pub fn node_name(root: &Root) -> Option<String> {
    [
        root.join("etc/hostname"),
        PathBuf::from("/proc/sys/kernel/hostname"),
    ]
    .iter()
    .filter_map(|p| std::fs::read_to_string(p).ok())
    .map(|s| s.trim().to_string())
    .find(|s| !s.is_empty() && !s.contains(char::is_whitespace))
}

/// What [`discover`] may do.
#[derive(Debug, Clone)]
pub struct Options {
    pub root: Root,
    /// Enter each pod's network namespace to read its addresses (the
    /// cross-check; needs CAP_SYS_ADMIN). Without it, IPs come from the
    /// files alone.
    pub enter: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            root: Root::choose(None),
            enter: true,
        }
    }
}

/// A container of a pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub id: String,
    pub name: Option<String>,
    /// The pod's sandbox (pause) container.
    pub sandbox: bool,
}

/// Whether the pod is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Its processes or its network namespace exist.
    Running,
    /// Only files remain (a leaked IP reservation, a stale cache entry,
    /// logs of a pod that is gone).
    Gone,
}

/// The pod's network namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodNetns {
    /// A path that opens it (the bind mount when there is one).
    pub path: PathBuf,
    pub dev: u64,
    pub ino: u64,
}

/// One pod on this node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pod {
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub uid: Option<String>,
    /// The sandbox (pause) container's ID, the runtime's pod ID.
    pub sandbox: Option<String>,
    pub containers: Vec<Container>,
    /// Processes of the pod (from cgroups and PID files).
    pub pids: Vec<u32>,
    pub netns: Option<PodNetns>,
    /// The pod shares the node's network namespace.
    pub host_network: bool,
    /// Its IPs: the namespace's own addresses when it was entered, else
    /// what the files say.
    pub ips: Vec<IpAddr>,
    /// The interface in the pod that holds them (eth0).
    pub pod_if: Option<String>,
    /// The node-side interface its packets cross (veth, cali*, lxc*).
    pub host_if: Option<String>,
    pub host_ifindex: Option<u32>,
    pub state: State,
    /// Every source that knows the pod.
    pub sources: Vec<Source>,
    /// Where sources contradict each other, in words.
    pub disagreements: Vec<String>,
    /// The QoS class and cgroup driver, from its cgroup path.
    pub qos: Option<&'static str>,
    pub cgroup_driver: Option<&'static str>,
    /// The interfaces outside the pod its CNI result names (the host
    /// veth; the bridge too, for the bridge plugin).
    pub cni_host_ifs: Vec<String>,
}

impl Pod {
    pub fn namespace_or<'a>(&'a self, d: &'a str) -> &'a str {
        self.namespace.as_deref().unwrap_or(d)
    }
    pub fn name_or<'a>(&'a self, d: &'a str) -> &'a str {
        self.name.as_deref().unwrap_or(d)
    }
    /// `namespace/name`, with `?` for what no source said.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.namespace_or("?"), self.name_or("?"))
    }
    /// The address `podcap locate NAME` uses: the first IPv4 one, else
    /// the first.
    pub fn primary_ip(&self) -> Option<IpAddr> {
        self.ips
            .iter()
            .find(|i| i.is_ipv4())
            .or(self.ips.first())
            .copied()
    }
    /// The pod in Inspektor Gadget's `k8s.*` field names, for a pcapng
    /// interface's description (`k8s.node=N k8s.namespace=NS
    /// k8s.podName=NAME`): Wireshark shows it per interface, so a file
    /// says whose packets it holds after it left the node. Fields no
    /// source gave are left out.
    pub fn k8s_labels(&self, node: Option<&str>) -> String {
        [
            ("k8s.node", node),
            ("k8s.namespace", self.namespace.as_deref()),
            ("k8s.podName", self.name.as_deref()),
            ("k8s.podUID", self.uid.as_deref()),
        ]
        .iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}={v}")))
        .collect::<Vec<_>>()
        .join(" ")
    }
    /// The source names, comma-separated.
    pub fn source_names(&self) -> String {
        self.sources
            .iter()
            .map(|s| s.name())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Everything [`discover`] found.
#[derive(Debug, Clone)]
pub struct Inventory {
    pub root: Root,
    pub pods: Vec<Pod>,
    pub sources: Vec<SourceReport>,
    /// Namespaces that could not be entered for the cross-check, and why.
    pub not_entered: Option<String>,
}

/// The pods of this node (see the module documentation), sorted by
/// namespace and name, pods that are gone last.
pub fn discover(opts: &Options) -> Result<Inventory> {
    let root = &opts.root;
    let mut records = Vec::new();
    let mut sources = vec![
        read::pod_logs(root, &mut records),
        read::container_logs(root, &mut records),
    ];
    sources.extend(read::containerd(root, &mut records));
    sources.push(read::crio(root, &mut records));
    sources.push(read::cni_cache(root, &mut records));
    sources.push(read::host_local(root, &mut records));
    // Without any of the kubelet's, the runtime's or CNI's files this is
    // no node with pods (or not its root): walking every process's
    // cgroup would find none either.
    if records.is_empty() && !read::cgroup_tree_visible(root) {
        sources.push(SourceReport {
            source: Source::Cgroups,
            path: root.proc(),
            present: false,
            found: 0,
            skipped: 0,
            note: Some("not read: no kubelet, runtime or CNI files here".into()),
        });
    } else {
        sources.push(read::cgroups(root, &mut records));
    }
    let mut pods = merge::merge(root, records);
    let not_entered = match netside::cross_check(root, &mut pods, opts.enter) {
        Ok(rep) => {
            sources.push(rep.report);
            rep.not_entered
        }
        Err(e) => Some(format!("the network side was not read: {e}")),
    };
    pods.sort_by(|a, b| {
        (a.state != State::Running, &a.namespace, &a.name, &a.uid).cmp(&(
            b.state != State::Running,
            &b.namespace,
            &b.name,
            &b.uid,
        ))
    });
    Ok(Inventory {
        root: root.clone(),
        pods,
        sources,
        not_entered,
    })
}

impl Inventory {
    /// The pod whose network namespace is `(dev, ino)`.
    pub fn by_netns(&self, dev: u64, ino: u64) -> Option<&Pod> {
        self.pods.iter().find(|p| {
            p.netns
                .as_ref()
                .is_some_and(|n| n.dev == dev && n.ino == ino)
                && !p.host_network
        })
    }

    /// The running pods that have `ip`.
    pub fn by_ip(&self, ip: IpAddr) -> Vec<&Pod> {
        self.pods
            .iter()
            .filter(|p| p.state == State::Running && p.ips.contains(&ip))
            .collect()
    }

    /// The hostNetwork pods.
    pub fn host_network(&self) -> Vec<&Pod> {
        self.pods
            .iter()
            .filter(|p| p.host_network && p.state == State::Running)
            .collect()
    }

    /// One line naming the sources that answered: `kubelet-logs 12,
    /// containerd 30, cni-cache 12; cri-o: not on this node`.
    pub fn sources_line(&self) -> String {
        let (yes, no): (Vec<&SourceReport>, Vec<&SourceReport>) =
            self.sources.iter().partition(|s| s.present && s.found > 0);
        let mut s = yes
            .iter()
            .map(|r| format!("{} {}", r.source.name(), r.found))
            .collect::<Vec<_>>()
            .join(", ");
        if s.is_empty() {
            s = "none".into();
        }
        let absent: Vec<&str> = no.iter().map(|r| r.source.name()).collect();
        if !absent.is_empty() {
            s += &format!("; nothing from {}", absent.join(", "));
        }
        s
    }
}
