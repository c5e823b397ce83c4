//! What a kubelet node leaves on disk for its pods, written at the real
//! paths (or under a root prefix standing for `kubectl debug node`'s
//! `/host`) for pods that really run in network namespaces: kubelet log
//! directories and `/var/log/containers` links, real cgroup v2
//! directories with the pods' processes moved in, containerd (or k3s)
//! task bundles or CRI-O `userdata`, libcni's result cache and host-local
//! reservations. Formats follow what containerd's CRI plugin, CRI-O, the
//! kubelet and libcni write (see src/pods/).
//!
//! There is no kubelet or runtime here: these files stand in for theirs.
//! A [`Node`] never writes over anything: it refuses (and the test skips
//! with a message) when a real kubelet's or runtime's files are at the
//! real paths, creates only what is missing, and removes everything it
//! made on drop, panics included; a manifest under /run lets the next run
//! clean up after a killed one.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};

/// One fixture at a time per test binary: they share the real paths.
static LOCK: Mutex<()> = Mutex::new(());

const MANIFEST_DIR: &str = "/run/podcap-test-nodefiles";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    Containerd,
    K3s,
    CriO,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Driver {
    Systemd,
    Cgroupfs,
}

/// The files of one pod.
#[derive(Debug, Clone)]
pub struct PodFiles {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub sandbox: String,
    /// Application containers: (name, id).
    pub containers: Vec<(String, String)>,
    /// The IP the CNI result and host-local record.
    pub ip: Option<IpAddr>,
    /// The network namespace as the runtime names it; `None` for a
    /// hostNetwork pod.
    pub netns: Option<String>,
    /// The host-side interface the CNI result names.
    pub host_if: Option<String>,
    /// The sandbox's process (the pod's namespace holder).
    pub sandbox_pid: u32,
    /// Processes of the application containers, in `containers` order.
    pub app_pids: Vec<u32>,
    pub runtime: Runtime,
    pub driver: Driver,
    pub qos: &'static str,
    pub network: String,
    /// Which sources to write.
    pub logs: bool,
    pub cgroups: bool,
    pub bundles: bool,
    pub cni_cache: bool,
    pub host_local: bool,
    /// The pod name the kubelet's log directory carries, when a test
    /// wants it to disagree with the runtime.
    pub log_name: Option<String>,
    /// The CNI result to cache, as a plugin printed it (default: one
    /// shaped like the bridge plugin's, from `ip` and `host_if`).
    pub cni_result: Option<String>,
    /// The IP the CNI cache and host-local record, when a test wants
    /// them to disagree with the namespace (default: `ip`).
    pub cni_ip: Option<IpAddr>,
}

fn hex(n: usize, seed: &mut u64) -> String {
    let mut s = String::new();
    while s.len() < n {
        // xorshift64*
        *seed ^= *seed >> 12;
        *seed ^= *seed << 25;
        *seed ^= *seed >> 27;
        let _ = write!(s, "{:016x}", seed.wrapping_mul(0x2545_f491_4f6c_dd1d));
    }
    s.truncate(n);
    s
}

static SEED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn next_seed() -> u64 {
    let n = SEED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    (u64::from(std::process::id()) << 32) ^ (n.wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1
}

impl PodFiles {
    /// A pod with one application container (`app`), every source on.
    pub fn new(namespace: &str, name: &str, sandbox_pid: u32) -> PodFiles {
        let mut seed = next_seed();
        let u = hex(32, &mut seed);
        PodFiles {
            namespace: namespace.into(),
            name: name.into(),
            uid: format!(
                "{}-{}-4{}-8{}-{}",
                &u[0..8],
                &u[8..12],
                &u[13..16],
                &u[17..20],
                &u[20..32]
            ),
            sandbox: hex(64, &mut seed),
            containers: vec![("app".into(), hex(64, &mut seed))],
            ip: None,
            netns: None,
            host_if: None,
            sandbox_pid,
            app_pids: Vec::new(),
            runtime: Runtime::Containerd,
            driver: Driver::Systemd,
            qos: "besteffort",
            network: "cbr0".into(),
            logs: true,
            cgroups: true,
            bundles: true,
            cni_cache: true,
            host_local: true,
            log_name: None,
            cni_result: None,
            cni_ip: None,
        }
    }

    pub fn with_net(mut self, ip: IpAddr, netns: &str, host_if: &str) -> PodFiles {
        self.ip = Some(ip);
        self.netns = Some(netns.into());
        self.host_if = Some(host_if.into());
        self
    }
}

/// The node's root with the files of the pods added so far.
pub struct Node {
    root: PathBuf,
    /// cgroup2's mount on this machine (`/sys/fs/cgroup`, or
    /// `/sys/fs/cgroup/unified` on hybrid hosts).
    cg_base: PathBuf,
    made: Vec<PathBuf>,
    cgroups: Vec<PathBuf>,
    mounts: Vec<PathBuf>,
    procs: Vec<Child>,
    manifest: PathBuf,
    _guard: MutexGuard<'static, ()>,
}

/// The mount point of cgroup v2, from /proc/self/mountinfo.
pub fn cgroup2_mount() -> Option<PathBuf> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    text.lines().find_map(|l| {
        let (pre, post) = l.split_once(" - ")?;
        if post.split(' ').next()? != "cgroup2" {
            return None;
        }
        pre.split(' ').nth(4).map(PathBuf::from)
    })
}

/// The directories a kubelet node has; a real one's make the tests skip.
const TOPS: [&str; 6] = [
    "var/log/pods",
    "var/log/containers",
    "run/containerd",
    "run/k3s",
    "run/containers/storage",
    "var/lib/cni",
];

/// Says on the real stderr why a test does not run (libtest captures
/// `eprintln!`).
pub fn skip_note(why: &str) {
    let _ = writeln!(std::io::stderr(), "skipped: {why}");
}

fn lock() -> MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes what killed earlier runs left (their manifests name it).
fn clean_stale() {
    let Ok(rd) = std::fs::read_dir(MANIFEST_DIR) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let pid: u32 = name
            .split('.')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        if pid != 0 && Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        for l in lines.iter().rev() {
            let (kind, path) = l.split_once(' ').unwrap_or(("file", l));
            let p = Path::new(path);
            match kind {
                "mount" => {
                    let _ = Command::new("umount").arg("-l").arg(p).status();
                }
                "cgroup" => {
                    evacuate(p, &cgroup2_mount().unwrap_or_default());
                    let _ = std::fs::remove_dir(p);
                }
                "dir" => {
                    let _ = std::fs::remove_dir(p);
                }
                _ => {
                    let _ = std::fs::remove_file(p);
                }
            }
        }
        let _ = std::fs::remove_file(e.path());
    }
}

/// Moves every process of cgroup `cg` back to the root of `base`.
fn evacuate(cg: &Path, base: &Path) {
    let procs = std::fs::read_to_string(cg.join("cgroup.procs")).unwrap_or_default();
    for pid in procs.lines() {
        let _ = std::fs::write(base.join("cgroup.procs"), pid);
    }
}

impl Node {
    /// Files at the node's real paths, or `None` (after saying why) when
    /// this machine has a kubelet's or runtime's own there.
    pub fn real() -> Option<Node> {
        let guard = lock();
        clean_stale();
        let Some(cg) = cgroup2_mount() else {
            skip_note("no cgroup v2 mount on this machine");
            return None;
        };
        for t in TOPS {
            let p = Path::new("/").join(t);
            if p.exists() {
                skip_note(&format!(
                    "{} exists: this machine has a kubelet's or container runtime's files, which \
                     the test must not touch",
                    p.display()
                ));
                return None;
            }
        }
        for t in ["kubepods.slice", "kubepods"] {
            if cg.join(t).exists() {
                skip_note(&format!(
                    "{} exists: a real kubelet runs here",
                    cg.join(t).display()
                ));
                return None;
            }
        }
        Some(Node::new(PathBuf::from("/"), cg, guard))
    }

    /// Files under `root` (a directory standing for `/host`), with the
    /// machine's cgroup2 tree bind-mounted at `root/sys/fs/cgroup` as the
    /// node's is in a `kubectl debug node` pod.
    pub fn under(root: &Path) -> Option<Node> {
        let guard = lock();
        clean_stale();
        let cg = cgroup2_mount()?;
        for t in ["kubepods.slice", "kubepods"] {
            if cg.join(t).exists() {
                skip_note(&format!(
                    "{} exists: a real kubelet runs here",
                    cg.join(t).display()
                ));
                return None;
            }
        }
        let mut n = Node::new(root.to_path_buf(), cg.clone(), guard);
        let at = root.join("sys/fs/cgroup");
        n.mkdir_p(&at);
        let st = Command::new("mount")
            .arg("--bind")
            .arg(&cg)
            .arg(&at)
            .status();
        assert!(
            st.is_ok_and(|s| s.success()),
            "mount --bind {} {}",
            cg.display(),
            at.display()
        );
        n.note("mount", &at);
        n.mounts.push(at);
        Some(n)
    }

    fn new(root: PathBuf, cg_base: PathBuf, guard: MutexGuard<'static, ()>) -> Node {
        let _ = std::fs::create_dir_all(MANIFEST_DIR);
        let manifest = PathBuf::from(format!(
            "{MANIFEST_DIR}/{}.{}",
            std::process::id(),
            next_seed() & 0xffff_ffff
        ));
        Node {
            root,
            cg_base,
            made: Vec::new(),
            cgroups: Vec::new(),
            mounts: Vec::new(),
            procs: Vec::new(),
            manifest,
            _guard: guard,
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The root to give `podcap --root` (None for `/`).
    pub fn root_arg(&self) -> Option<String> {
        (self.root != Path::new("/")).then(|| self.root.display().to_string())
    }

    pub fn cgroup_base(&self) -> &Path {
        &self.cg_base
    }

    fn note(&self, kind: &str, p: &Path) {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.manifest)
        {
            let _ = writeln!(f, "{kind} {}", p.display());
        }
    }

    fn at(&self, rel: &str) -> PathBuf {
        self.root.join(rel.trim_start_matches('/'))
    }

    /// Creates the missing directories of `p`, remembering which.
    fn mkdir_p(&mut self, p: &Path) {
        let mut missing = Vec::new();
        let mut cur = Some(p);
        while let Some(c) = cur {
            if c.exists() {
                break;
            }
            missing.push(c.to_path_buf());
            cur = c.parent();
        }
        for d in missing.into_iter().rev() {
            std::fs::create_dir(&d).unwrap_or_else(|e| panic!("mkdir {}: {e}", d.display()));
            self.note("dir", &d);
            self.made.push(d);
        }
    }

    /// Creates the directory `rel` (and what is missing above it) for a
    /// real plugin to write into; removed on drop, once emptied.
    pub fn own_dir(&mut self, rel: &str) -> PathBuf {
        let p = self.at(rel);
        self.mkdir_p(&p);
        p
    }

    /// Writes a new file (never over an existing one).
    pub fn write(&mut self, rel: &str, body: &[u8]) {
        let p = self.at(rel);
        if let Some(d) = p.parent() {
            self.mkdir_p(d);
        }
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)
            .unwrap_or_else(|e| panic!("create {}: {e}", p.display()));
        f.write_all(body)
            .unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
        self.note("file", &p);
        self.made.push(p);
    }

    fn symlink(&mut self, target: &str, rel: &str) {
        let p = self.at(rel);
        if let Some(d) = p.parent() {
            self.mkdir_p(d);
        }
        std::os::unix::fs::symlink(target, &p)
            .unwrap_or_else(|e| panic!("symlink {}: {e}", p.display()));
        self.note("file", &p);
        self.made.push(p);
    }

    /// Creates the cgroup `rel` (under the cgroup2 root) and moves `pids`
    /// into it.
    fn cgroup(&mut self, rel: &str, pids: &[u32]) {
        let mut cur = self.cg_base.clone();
        for seg in rel.split('/').filter(|s| !s.is_empty()) {
            cur.push(seg);
            if !cur.exists() {
                std::fs::create_dir(&cur)
                    .unwrap_or_else(|e| panic!("mkdir {}: {e}", cur.display()));
                self.note("cgroup", &cur);
                self.cgroups.push(cur.clone());
            }
        }
        for p in pids {
            std::fs::write(cur.join("cgroup.procs"), p.to_string())
                .unwrap_or_else(|e| panic!("move {p} into {}: {e}", cur.display()));
        }
    }

    /// Starts a process in the network namespace `netns` (a container's
    /// process beside the sandbox's) and returns its PID.
    pub fn spawn_in(&mut self, netns: &Path) -> u32 {
        let child = Command::new("nsenter")
            .arg(format!("--net={}", netns.display()))
            .args(["--", "sleep", "infinity"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn nsenter sleep");
        let pid = child.id();
        // nsenter execs sleep in place: wait until it is in there.
        let want = std::fs::metadata(netns)
            .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
            .ok();
        for _ in 0..500 {
            let now = std::fs::metadata(format!("/proc/{pid}/ns/net"))
                .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
                .ok();
            if now.is_some() && now == want {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        self.procs.push(child);
        pid
    }

    /// Writes every source `p` asks for.
    pub fn add(&mut self, p: &PodFiles) {
        let u_ = p.uid.replace('-', "_");
        if p.logs {
            let name = p.log_name.as_deref().unwrap_or(&p.name);
            let dir = format!("var/log/pods/{}_{}_{}", p.namespace, name, p.uid);
            for (c, id) in &p.containers {
                self.write(
                    &format!("{dir}/{c}/0.log"),
                    b"2026-01-01T00:00:00.000000000Z stdout F ready\n",
                );
                let target = format!("/{dir}/{c}/0.log");
                self.symlink(
                    &target,
                    &format!("var/log/containers/{}_{}_{c}-{id}.log", name, p.namespace),
                );
            }
        }
        if p.cgroups {
            let (pod_cg, scope) = match p.driver {
                Driver::Systemd => {
                    let qos_slice = if p.qos == "guaranteed" {
                        String::new()
                    } else {
                        format!("kubepods-{}.slice/", p.qos)
                    };
                    let pod_slice = if p.qos == "guaranteed" {
                        format!("kubepods-pod{u_}.slice")
                    } else {
                        format!("kubepods-{}-pod{u_}.slice", p.qos)
                    };
                    let prefix = match p.runtime {
                        Runtime::CriO => "crio-",
                        _ => "cri-containerd-",
                    };
                    (
                        format!("kubepods.slice/{qos_slice}{pod_slice}"),
                        Some((prefix, ".scope")),
                    )
                }
                Driver::Cgroupfs => {
                    let qos = if p.qos == "guaranteed" {
                        String::new()
                    } else {
                        format!("{}/", p.qos)
                    };
                    let prefix = if p.runtime == Runtime::CriO {
                        "crio-"
                    } else {
                        ""
                    };
                    (format!("kubepods/{qos}pod{}", p.uid), Some((prefix, "")))
                }
            };
            let (prefix, suffix) = scope.unwrap_or(("", ""));
            self.cgroup(
                &format!("{pod_cg}/{prefix}{}{suffix}", p.sandbox),
                &[p.sandbox_pid],
            );
            for (i, (_, id)) in p.containers.iter().enumerate() {
                let pids: Vec<u32> = p.app_pids.get(i).copied().into_iter().collect();
                self.cgroup(&format!("{pod_cg}/{prefix}{id}{suffix}"), &pids);
            }
        }
        if p.bundles {
            self.bundles(p);
        }
        if p.cni_cache {
            if let (Some(ip), Some(netns)) = (p.cni_ip.or(p.ip), &p.netns) {
                let result = p
                    .cni_result
                    .clone()
                    .unwrap_or_else(|| cni_result(ip, netns, p.host_if.as_deref()));
                let body = format!(
                    r#"{{"kind":"cniCacheV1","containerId":"{sb}","config":"eyJjbmlWZXJzaW9uIjoiMS4wLjAifQ==","ifName":"eth0","networkName":"{net}","netns":"{netns}","cniArgs":[["IgnoreUnknown","1"],["K8S_POD_NAMESPACE","{ns}"],["K8S_POD_NAME","{name}"],["K8S_POD_INFRA_CONTAINER_ID","{sb}"],["K8S_POD_UID","{uid}"]],"result":{result}}}"#,
                    sb = p.sandbox,
                    net = p.network,
                    ns = p.namespace,
                    name = p.name,
                    uid = p.uid,
                );
                self.write(
                    &format!("var/lib/cni/results/{}-{}-eth0", p.network, p.sandbox),
                    body.as_bytes(),
                );
            }
        }
        if p.host_local {
            if let Some(ip) = p.cni_ip.or(p.ip) {
                self.write(
                    &format!("var/lib/cni/networks/{}/{ip}", p.network),
                    format!("{}\r\neth0", p.sandbox).as_bytes(),
                );
            }
        }
    }

    /// One bundle directory: its spec and the PID file the runtime keeps.
    fn bundle(&mut self, dir: &str, spec: &str, pidfile: &str, pid: Option<u32>) {
        self.write(&format!("{dir}/config.json"), spec.as_bytes());
        if let Some(pid) = pid {
            self.write(&format!("{dir}/{pidfile}"), pid.to_string().as_bytes());
        }
    }

    fn bundles(&mut self, p: &PodFiles) {
        let u_ = p.uid.replace('-', "_");
        let net_ns = |path: &str| format!(r#",{{"type":"network","path":"{path}"}}"#);
        match p.runtime {
            Runtime::Containerd | Runtime::K3s => {
                let base = if p.runtime == Runtime::K3s {
                    "run/k3s/containerd/io.containerd.runtime.v2.task/k8s.io"
                } else {
                    "run/containerd/io.containerd.runtime.v2.task/k8s.io"
                };
                let cg = |id: &str| match p.driver {
                    Driver::Systemd => {
                        format!("kubepods-{}-pod{u_}.slice:cri-containerd:{id}", p.qos)
                    }
                    Driver::Cgroupfs => format!("/kubepods/{}/pod{}/{id}", p.qos, p.uid),
                };
                let common = format!(
                    r#""io.kubernetes.cri.sandbox-id":"{sb}","io.kubernetes.cri.sandbox-name":"{name}","io.kubernetes.cri.sandbox-namespace":"{ns}","io.kubernetes.cri.sandbox-uid":"{uid}""#,
                    sb = p.sandbox,
                    name = p.name,
                    ns = p.namespace,
                    uid = p.uid
                );
                let sb_net = p.netns.as_deref().map(net_ns).unwrap_or_default();
                let sandbox = spec(
                    &format!(
                        r#""io.kubernetes.cri.container-type":"sandbox",{common},"io.kubernetes.cri.sandbox-log-directory":"/var/log/pods/{}_{}_{}""#,
                        p.namespace, p.name, p.uid
                    ),
                    &cg(&p.sandbox),
                    &sb_net,
                    false,
                );
                self.bundle(
                    &format!("{base}/{}", p.sandbox),
                    &sandbox,
                    "init.pid",
                    Some(p.sandbox_pid),
                );
                for (i, (c, id)) in p.containers.iter().enumerate() {
                    let net = if p.netns.is_some() {
                        net_ns(&format!("/proc/{}/ns/net", p.sandbox_pid))
                    } else {
                        String::new()
                    };
                    let body = spec(
                        &format!(
                            r#""io.kubernetes.cri.container-type":"container",{common},"io.kubernetes.cri.container-name":"{c}","io.kubernetes.cri.image-name":"registry.k8s.io/e2e-test-images/agnhost:2.52""#
                        ),
                        &cg(id),
                        &net,
                        true,
                    );
                    self.bundle(
                        &format!("{base}/{id}"),
                        &body,
                        "init.pid",
                        p.app_pids.get(i).copied(),
                    );
                }
            }
            Runtime::CriO => {
                let base = "run/containers/storage/overlay-containers";
                let labels = |c: &str| {
                    format!(
                        r#"{{\"io.kubernetes.container.name\":\"{c}\",\"io.kubernetes.pod.name\":\"{}\",\"io.kubernetes.pod.namespace\":\"{}\",\"io.kubernetes.pod.uid\":\"{}\"}}"#,
                        p.name, p.namespace, p.uid
                    )
                };
                let ips =
                    p.ip.map(|ip| format!(r#","io.kubernetes.cri-o.IP.0":"{ip}""#))
                        .unwrap_or_default();
                let sb_net = p.netns.as_deref().map(net_ns).unwrap_or_default();
                let sandbox = spec(
                    &format!(
                        r#""io.kubernetes.cri-o.ContainerType":"sandbox","io.kubernetes.cri-o.SandboxID":"{sb}","io.kubernetes.cri-o.ContainerID":"{sb}","io.kubernetes.cri-o.KubeName":"{name}","io.kubernetes.cri-o.Namespace":"{ns}","io.kubernetes.cri-o.Name":"k8s_{name}_{ns}_{uid}_0","io.kubernetes.cri-o.ContainerName":"k8s_POD_{name}_{ns}_{uid}_0","io.kubernetes.cri-o.Labels":"{labels}","io.kubernetes.cri-o.HostNetwork":"{hn}"{ips},"io.kubernetes.pod.uid":"{uid}""#,
                        sb = p.sandbox,
                        name = p.name,
                        ns = p.namespace,
                        uid = p.uid,
                        labels = labels("POD"),
                        hn = p.netns.is_none(),
                    ),
                    &format!("kubepods-{}-pod{u_}.slice:crio:{}", p.qos, p.sandbox),
                    &sb_net,
                    false,
                );
                self.bundle(
                    &format!("{base}/{}/userdata", p.sandbox),
                    &sandbox,
                    "pidfile",
                    Some(p.sandbox_pid),
                );
                for (i, (c, id)) in p.containers.iter().enumerate() {
                    let body = spec(
                        &format!(
                            r#""io.kubernetes.cri-o.ContainerType":"container","io.kubernetes.cri-o.SandboxID":"{sb}","io.kubernetes.cri-o.ContainerID":"{id}","io.kubernetes.cri-o.KubeName":"{name}","io.kubernetes.cri-o.Namespace":"{ns}","io.kubernetes.cri-o.Labels":"{labels}""#,
                            sb = p.sandbox,
                            name = p.name,
                            ns = p.namespace,
                            labels = labels(c),
                        ),
                        &format!("kubepods-{}-pod{u_}.slice:crio:{id}", p.qos),
                        &p.netns.as_deref().map(net_ns).unwrap_or_default(),
                        true,
                    );
                    self.bundle(
                        &format!("{base}/{id}/userdata"),
                        &body,
                        "pidfile",
                        p.app_pids.get(i).copied(),
                    );
                }
            }
        }
    }
}

/// Waits for `child` (a capture with `-c`) while `poke` makes traffic for
/// it, one round at a time, up to 60 rounds; no timing decides the
/// outcome, only whether the capture saw what it waits for.
pub fn while_poking(mut child: Child, mut poke: impl FnMut()) -> std::process::Output {
    for _ in 0..60 {
        poke();
        if child.try_wait().ok().flatten().is_some() {
            break;
        }
    }
    let _ = child.kill();
    child.wait_with_output().expect("wait for the capture")
}

/// Runs the real CNI plugin `plugin` (from Debian's
/// containernetworking-plugins) as a runtime does: CNI_COMMAND `cmd` for
/// container `id` and namespace `netns`, interface eth0, the network
/// configuration on stdin, in the node's namespace `node_netns`.
pub fn cni(
    plugin: &str,
    cmd: &str,
    node_netns: &Path,
    id: &str,
    netns: &Path,
    args: &str,
    conf: &str,
) -> std::process::Output {
    let mut c = Command::new("nsenter");
    c.arg(format!("--net={}", node_netns.display()))
        .arg("--")
        .arg(format!("/usr/lib/cni/{plugin}"))
        .env("CNI_COMMAND", cmd)
        .env("CNI_CONTAINERID", id)
        .env("CNI_NETNS", netns)
        .env("CNI_IFNAME", "eth0")
        .env("CNI_PATH", "/usr/lib/cni")
        .env("CNI_ARGS", args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c
        .spawn()
        .unwrap_or_else(|e| panic!("run /usr/lib/cni/{plugin}: {e}"));
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(conf.as_bytes());
    }
    child.wait_with_output().expect("wait for the CNI plugin")
}

/// A CNI 1.0 result as the bridge plugin returns it.
fn cni_result(ip: IpAddr, netns: &str, host_if: Option<&str>) -> String {
    let host = host_if
        .map(|h| format!(r#"{{"name":"{h}","mac":"36:94:62:3f:10:ff"}},"#))
        .unwrap_or_default();
    let idx = if host_if.is_some() { 2 } else { 1 };
    let plen = if ip.is_ipv4() { 16 } else { 64 };
    format!(
        r#"{{"cniVersion":"1.0.0","interfaces":[{{"name":"cbr0","mac":"0a:58:0a:16:00:01"}},{host}{{"name":"eth0","mac":"0a:58:0a:16:00:02","sandbox":"{netns}"}}],"ips":[{{"interface":{idx},"address":"{ip}/{plen}","gateway":"10.22.0.1"}}],"routes":[{{"dst":"0.0.0.0/0"}}],"dns":{{}}}}"#
    )
}

/// An OCI runtime spec shaped like the CRI plugins': process, root,
/// mounts, annotations, then linux (cgroups path, namespaces, and for an
/// application container the default seccomp profile's bulk).
fn spec(annotations: &str, cgroups_path: &str, net: &str, app: bool) -> String {
    let mut seccomp = String::new();
    if app {
        let calls: Vec<String> = (0..320).map(|i| format!("\"syscall_{i:03}\"")).collect();
        seccomp = format!(
            r#","seccomp":{{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],"syscalls":[{{"names":[{}],"action":"SCMP_ACT_ALLOW"}}]}}"#,
            calls.join(",")
        );
    }
    let mounts: Vec<String> = ["/proc", "/dev", "/dev/pts", "/dev/mqueue", "/sys", "/etc/hosts", "/etc/resolv.conf", "/dev/shm"]
        .iter()
        .map(|d| format!(r#"{{"destination":"{d}","type":"bind","source":"/var/lib/kubelet/pods{d}","options":["rbind","rprivate","rw"]}}"#))
        .collect();
    format!(
        r#"{{"ociVersion":"1.1.0","process":{{"user":{{"uid":65535,"gid":65535}},"args":["/pause"],"env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","KUBERNETES_SERVICE_HOST=10.96.0.1"],"cwd":"/","capabilities":{{"bounding":["CAP_CHOWN","CAP_NET_BIND_SERVICE"],"effective":["CAP_CHOWN"]}},"noNewPrivileges":true,"oomScoreAdj":-998}},"root":{{"path":"rootfs","readonly":true}},"hostname":"pod","mounts":[{}],"annotations":{{{annotations}}},"linux":{{"resources":{{"devices":[{{"allow":false,"access":"rwm"}}],"cpu":{{"shares":2}}}},"cgroupsPath":"{cgroups_path}","namespaces":[{{"type":"pid"}},{{"type":"ipc"}},{{"type":"uts"}},{{"type":"mount"}}{net}],"maskedPaths":["/proc/acpi","/proc/kcore"],"readonlyPaths":["/proc/bus","/proc/fs"]{seccomp}}}}}"#,
        mounts.join(",")
    )
}

impl Drop for Node {
    fn drop(&mut self) {
        for c in &mut self.procs {
            let _ = c.kill();
            let _ = c.wait();
        }
        for cg in self.cgroups.iter().rev() {
            evacuate(cg, &self.cg_base);
        }
        for cg in self.cgroups.iter().rev() {
            // A process may still be leaving; retry a little.
            for _ in 0..50 {
                if std::fs::remove_dir(cg).is_ok() || !cg.exists() {
                    break;
                }
                evacuate(cg, &self.cg_base);
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
        for m in self.mounts.iter().rev() {
            let _ = Command::new("umount").arg("-l").arg(m).status();
        }
        for p in self.made.iter().rev() {
            let _ = if p.is_dir() && !p.is_symlink() {
                std::fs::remove_dir(p)
            } else {
                std::fs::remove_file(p)
            };
        }
        let _ = std::fs::remove_file(&self.manifest);
    }
}
