//! The names the kubelet and the runtimes put in paths, parsed strictly:
//! a string that does not have the shape Kubernetes gives it is not taken
//! for one (a stray directory under `/var/log/pods` is not a pod).
//!
//! - `/var/log/pods/<namespace>_<pod>_<uid>/` (kubelet's
//!   `BuildPodLogsDirectory`; namespace and pod names never contain `_`);
//! - `/var/log/containers/<pod>_<namespace>_<container>-<id>.log`;
//! - cgroup paths: the systemd driver's
//!   `kubepods[-<qos>]-pod<uid with _ for ->.slice/<runtime>-<id>.scope`
//!   (`cri-containerd-`, `crio-`, `docker-`; `crio-conmon-` is CRI-O's
//!   monitor, not a container) and the cgroupfs driver's
//!   `kubepods[/<qos>]/pod<uid>/<id>` (CRI-O: `crio-<id>`), under any
//!   prefix (kind's `kubelet.slice/kubelet-kubepods.slice`, a cgroup
//!   namespace's `/../..`).

/// A pod UID: a UUID (`2b1d...-...`), or the 32 hex digits of a static
/// pod's hash.
pub fn is_uid(s: &str) -> bool {
    let b = s.as_bytes();
    match b.len() {
        32 => b.iter().all(u8::is_ascii_hexdigit),
        36 => b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        }),
        _ => false,
    }
}

/// A container or sandbox ID: 64 hex digits.
pub fn is_container_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|c| c.is_ascii_hexdigit())
}

/// A namespace name (a DNS label).
pub fn is_namespace(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A pod name (a DNS subdomain).
pub fn is_pod_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.')
        && s.as_bytes()[0].is_ascii_alphanumeric()
}

/// A container name (a DNS label).
pub fn is_container_name(s: &str) -> bool {
    is_namespace(s)
}

/// `<namespace>_<pod>_<uid>`: a kubelet pod log directory's name.
pub fn pod_log_dir(s: &str) -> Option<(&str, &str, &str)> {
    let mut it = s.split('_');
    let (ns, name, uid) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || !is_namespace(ns) || !is_pod_name(name) || !is_uid(uid) {
        return None;
    }
    Some((ns, name, uid))
}

/// `<pod>_<namespace>_<container>-<id>.log`: a `/var/log/containers`
/// link's name, as (pod, namespace, container, id).
pub fn container_log(s: &str) -> Option<(&str, &str, &str, &str)> {
    let s = s.strip_suffix(".log")?;
    let mut it = s.split('_');
    let (pod, ns, rest) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() {
        return None;
    }
    let (container, id) = rest.rsplit_once('-')?;
    if !is_pod_name(pod) || !is_namespace(ns) || !is_container_name(container) {
        return None;
    }
    is_container_id(id).then_some((pod, ns, container, id))
}

/// What a cgroup path says about the process in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupPod {
    pub uid: String,
    /// `besteffort`, `burstable`, or `guaranteed`.
    pub qos: &'static str,
    /// The container's ID, when the path goes down to one.
    pub container: Option<String>,
    /// The runtime the scope's prefix names: `containerd`, `cri-o`,
    /// `docker`; `None` for the cgroupfs driver's bare IDs.
    pub runtime: Option<&'static str>,
    /// `systemd` or `cgroupfs`: how the kubelet names its cgroups.
    pub driver: &'static str,
    /// CRI-O's conmon (the container's monitor process), not the
    /// container itself.
    pub monitor: bool,
}

fn qos_of(seg: &str) -> Option<&'static str> {
    if seg.contains("besteffort") {
        Some("besteffort")
    } else if seg.contains("burstable") {
        Some("burstable")
    } else {
        None
    }
}

/// The pod (and container) a cgroup path belongs to, or `None` for a
/// path that is no pod's.
pub fn cgroup_pod(path: &str) -> Option<CgroupPod> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    for (i, seg) in segs.iter().enumerate() {
        // systemd driver: kubepods-burstable-pod<uid_>.slice
        if let Some(stem) = seg.strip_suffix(".slice") {
            let Some(at) = stem.rfind("-pod") else {
                continue;
            };
            if !stem[..at].ends_with("kubepods")
                && !stem[..at].ends_with("besteffort")
                && !stem[..at].ends_with("burstable")
            {
                continue;
            }
            let uid = stem[at + 4..].replace('_', "-");
            if !is_uid(&uid) {
                continue;
            }
            let qos = qos_of(&stem[..at]).unwrap_or("guaranteed");
            let mut p = CgroupPod {
                uid,
                qos,
                container: None,
                runtime: None,
                driver: "systemd",
                monitor: false,
            };
            if let Some(next) = segs.get(i + 1) {
                let scope = next.strip_suffix(".scope").unwrap_or(next);
                for (prefix, rt, mon) in [
                    ("crio-conmon-", "cri-o", true),
                    ("cri-containerd-", "containerd", false),
                    ("crio-", "cri-o", false),
                    ("docker-", "docker", false),
                    ("cri-dockerd-", "docker", false),
                ] {
                    if let Some(id) = scope.strip_prefix(prefix).filter(|id| is_container_id(id)) {
                        p.container = Some(id.to_string());
                        p.runtime = Some(rt);
                        p.monitor = mon;
                        break;
                    }
                }
            }
            return Some(p);
        }
        // cgroupfs driver: [kubepods/][qos/]pod<uid>/<id>
        if let Some(uid) = seg.strip_prefix("pod").filter(|u| is_uid(u)) {
            let parent = i.checked_sub(1).and_then(|j| segs.get(j)).copied();
            let qos = parent.and_then(qos_of).unwrap_or("guaranteed");
            let mut p = CgroupPod {
                uid: uid.to_string(),
                qos,
                container: None,
                runtime: None,
                driver: "cgroupfs",
                monitor: false,
            };
            if let Some(next) = segs.get(i + 1) {
                if let Some(id) = next
                    .strip_prefix("crio-conmon-")
                    .filter(|id| is_container_id(id))
                {
                    p.container = Some(id.to_string());
                    p.runtime = Some("cri-o");
                    p.monitor = true;
                } else if let Some(id) = next.strip_prefix("crio-").filter(|id| is_container_id(id))
                {
                    p.container = Some(id.to_string());
                    p.runtime = Some("cri-o");
                } else if is_container_id(next) {
                    p.container = Some(next.to_string());
                }
            }
            return Some(p);
        }
    }
    None
}

/// The pod of a `/proc/PID/cgroup` file: the first line (of any
/// hierarchy, v1 or v2) whose path is a pod's.
pub fn proc_cgroup(text: &str) -> Option<CgroupPod> {
    text.lines()
        .filter_map(|l| l.splitn(3, ':').nth(2))
        .find_map(cgroup_pod)
}

#[cfg(test)]
mod tests {
    use super::*;

    const UID: &str = "5f3e9c1a-27b4-4c36-9a8e-0b1d2c3e4f50";
    const ID: &str = "4c01db0b339c3f1c0e1a3b5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091";

    #[test]
    fn log_names() {
        assert_eq!(
            pod_log_dir(&format!("kube-system_coredns-76f75df574-x2x7q_{UID}")),
            Some(("kube-system", "coredns-76f75df574-x2x7q", UID))
        );
        assert_eq!(pod_log_dir("a_b"), None);
        assert_eq!(pod_log_dir(&format!("a_b_{UID}_x")), None);
        assert_eq!(pod_log_dir(&format!("A_b_{UID}")), None);
        assert_eq!(
            container_log(&format!("web-0_default_nginx-sidecar-{ID}.log")),
            Some(("web-0", "default", "nginx-sidecar", ID))
        );
        assert_eq!(container_log(&format!("web-0_default_nginx-{ID}")), None);
        assert_eq!(container_log("web-0_default_nginx-abc.log"), None);
    }

    #[test]
    fn cgroup_paths_of_every_driver_and_runtime() {
        let u_ = UID.replace('-', "_");
        let p = cgroup_pod(&format!(
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{u_}.slice/cri-containerd-{ID}.scope"
        ))
        .unwrap();
        assert_eq!(p.uid, UID);
        assert_eq!(
            (p.qos, p.driver, p.runtime, p.container.as_deref()),
            ("burstable", "systemd", Some("containerd"), Some(ID))
        );
        let g = cgroup_pod(&format!(
            "/kubepods.slice/kubepods-pod{u_}.slice/crio-{ID}.scope"
        ))
        .unwrap();
        assert_eq!((g.qos, g.runtime), ("guaranteed", Some("cri-o")));
        let m = cgroup_pod(&format!(
            "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{u_}.slice/crio-conmon-{ID}.scope"
        ))
        .unwrap();
        assert!(m.monitor);
        let f = cgroup_pod(&format!("/kubepods/besteffort/pod{UID}/{ID}")).unwrap();
        assert_eq!(
            (f.qos, f.driver, f.container.as_deref()),
            ("besteffort", "cgroupfs", Some(ID))
        );
        let kind = cgroup_pod(&format!(
            "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod{u_}.slice/cri-containerd-{ID}.scope"
        ))
        .unwrap();
        assert_eq!(kind.uid, UID);
        // Seen from inside another pod's cgroup namespace.
        let rel = cgroup_pod(&format!(
            "/../../kubepods-besteffort-pod{u_}.slice/cri-containerd-{ID}.scope"
        ))
        .unwrap();
        assert_eq!(rel.container.as_deref(), Some(ID));
        // A static pod's UID is a 32-digit hash.
        let s = cgroup_pod("/kubepods/burstable/pod0123456789abcdef0123456789abcdef").unwrap();
        assert_eq!(s.container, None);
        assert_eq!(cgroup_pod("/system.slice/containerd.service"), None);
        assert_eq!(cgroup_pod("/user.slice/user-0.slice/session-1.scope"), None);
        let text = format!("12:pids:/\n0::/kubepods/pod{UID}/{ID}\n");
        assert_eq!(proc_cgroup(&text).unwrap().qos, "guaranteed");
    }

    #[test]
    fn property_random_paths_never_panic() {
        let mut rng = crate::bpf::testutil::Rng::new(77);
        let parts = [
            "/",
            "kubepods",
            ".slice",
            "-pod",
            "pod",
            "_",
            "-",
            "crio-",
            "conmon-",
            ".scope",
            UID,
            ID,
            "burstable",
            "é",
            "",
        ];
        for _ in 0..20_000 {
            let n = rng.below(8);
            let s: String = (0..n).map(|_| rng.pick(&parts)).collect();
            let _ = cgroup_pod(&s);
            let _ = pod_log_dir(&s);
            let _ = container_log(&s);
            let _ = proc_cgroup(&s);
        }
    }
}
