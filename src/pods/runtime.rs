//! The container runtimes' own files: the OCI bundle each running
//! container has, without asking the runtime's socket.
//!
//! - containerd: `/run/containerd/io.containerd.runtime.v2.task/k8s.io/<id>/`
//!   with `config.json` (the OCI spec the CRI plugin wrote: annotations
//!   `io.kubernetes.cri.container-type` (`sandbox`/`container`),
//!   `io.kubernetes.cri.sandbox-id`, `-name`, `-namespace`, `-uid`,
//!   `io.kubernetes.cri.container-name`; the sandbox's network namespace
//!   in `linux.namespaces`, `/var/run/netns/cni-<uuid>`, absent for a
//!   hostNetwork pod) and `init.pid` (written by the shim). k3s and RKE2
//!   run their own containerd under `/run/k3s/containerd/`, microk8s
//!   under `/var/snap/microk8s/common/run/containerd/`.
//! - CRI-O: `/run/containers/storage/overlay-containers/<id>/userdata/`
//!   with `config.json` (annotations `io.kubernetes.cri-o.ContainerType`,
//!   `SandboxID`, `KubeName`, `Namespace`, `Labels` (a JSON object with
//!   `io.kubernetes.pod.uid`), `ContainerName`, `HostNetwork`, `IP.0`,
//!   `IP.1`, ...) and `pidfile` (written by conmon).

use super::json::{self, Reader, Value};
use super::names::{is_container_id, is_namespace, is_pod_name, is_uid};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// Where each runtime keeps its bundles, relative to the node's root.
pub const CONTAINERD_ROOTS: [(&str, &str); 3] = [
    (
        "containerd",
        "run/containerd/io.containerd.runtime.v2.task/k8s.io",
    ),
    (
        "k3s containerd",
        "run/k3s/containerd/io.containerd.runtime.v2.task/k8s.io",
    ),
    (
        "microk8s containerd",
        "var/snap/microk8s/common/run/containerd/io.containerd.runtime.v2.task/k8s.io",
    ),
];
pub const CRIO_ROOT: &str = "run/containers/storage/overlay-containers";

/// What one container's bundle says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bundle {
    pub id: String,
    pub dir: PathBuf,
    /// The pod's sandbox (pause) container, not an application container.
    pub sandbox: bool,
    pub sandbox_id: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub uid: Option<String>,
    pub container_name: Option<String>,
    /// `linux.namespaces`' network entry: a path (`/var/run/netns/...`,
    /// `/proc/PID/ns/net`), `Some("")` for a new namespace without a path,
    /// `None` when the spec shares the host's.
    pub netns: Option<String>,
    /// CRI-O's HostNetwork annotation, when it says.
    pub host_network: Option<bool>,
    pub ips: Vec<IpAddr>,
    pub pid: Option<u32>,
    pub cgroups_path: Option<String>,
}

fn ann<'a>(a: &'a [(String, Value)], key: &str) -> Option<&'a str> {
    a.iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.as_str())
        .filter(|s| !s.is_empty())
}

fn valid(s: Option<&str>, ok: fn(&str) -> bool) -> Option<String> {
    s.filter(|s| ok(s)).map(str::to_string)
}

/// Parses a `config.json`: its annotations, cgroups path and network
/// namespace; the rest (process, mounts, seccomp) is skipped unread.
pub fn parse_config(text: &[u8], id: &str) -> json::Result<Bundle> {
    let mut annotations: Vec<(String, Value)> = Vec::new();
    let mut netns: Option<Option<String>> = None;
    let mut cgroups_path = None;
    let mut r = Reader::new(text);
    r.object(|r, key| match key {
        "annotations" => {
            if let Value::Obj(m) = r.value()? {
                annotations = m;
            }
            Ok(true)
        }
        "linux" => {
            let mut found_ns = false;
            r.object(|r, k| match k {
                "cgroupsPath" => {
                    cgroups_path = r.value()?.as_str().map(str::to_string);
                    Ok(true)
                }
                "namespaces" => {
                    let v = r.value()?;
                    found_ns = true;
                    let net = v.as_arr().iter().find(|n| n.str("type") == Some("network"));
                    netns = Some(net.map(|n| n.str("path").unwrap_or("").to_string()));
                    // Everything after (devices, seccomp) is not needed.
                    Ok(false)
                }
                _ => r.skip().map(|_| true),
            })?;
            // The spec lists annotations before linux; once both are
            // read there is nothing left to look for.
            Ok(!found_ns || annotations.is_empty())
        }
        _ => r.skip().map(|_| true),
    })?;
    let a = &annotations;
    let mut b = Bundle {
        id: id.to_string(),
        cgroups_path,
        netns: netns.flatten(),
        ..Bundle::default()
    };
    if let Some(t) = ann(a, "io.kubernetes.cri.container-type") {
        // containerd's CRI plugin.
        b.sandbox = t == "sandbox";
        b.sandbox_id = valid(ann(a, "io.kubernetes.cri.sandbox-id"), is_container_id);
        b.namespace = valid(ann(a, "io.kubernetes.cri.sandbox-namespace"), is_namespace);
        b.name = valid(ann(a, "io.kubernetes.cri.sandbox-name"), is_pod_name);
        b.uid = valid(ann(a, "io.kubernetes.cri.sandbox-uid"), is_uid);
        b.container_name = ann(a, "io.kubernetes.cri.container-name").map(str::to_string);
    } else if let Some(t) = ann(a, "io.kubernetes.cri-o.ContainerType") {
        b.sandbox = t == "sandbox";
        b.sandbox_id = valid(ann(a, "io.kubernetes.cri-o.SandboxID"), is_container_id);
        b.namespace = valid(
            ann(a, "io.kubernetes.cri-o.Namespace").or(ann(a, "io.kubernetes.pod.namespace")),
            is_namespace,
        );
        let labels =
            ann(a, "io.kubernetes.cri-o.Labels").and_then(|l| json::parse(l.as_bytes()).ok());
        let label = |k: &str| labels.as_ref().and_then(|l| l.str(k)).map(str::to_string);
        b.name = valid(
            ann(a, "io.kubernetes.cri-o.KubeName").or(ann(a, "io.kubernetes.pod.name")),
            is_pod_name,
        );
        b.uid = label("io.kubernetes.pod.uid")
            .or_else(|| ann(a, "io.kubernetes.pod.uid").map(str::to_string))
            .filter(|u| is_uid(u));
        b.container_name = label("io.kubernetes.container.name")
            .or_else(|| ann(a, "io.kubernetes.container.name").map(str::to_string))
            .filter(|n| n != "POD");
        b.host_network = ann(a, "io.kubernetes.cri-o.HostNetwork").map(|v| v == "true");
        // IP.0, IP.1, ... in order.
        let mut ips: Vec<(u32, IpAddr)> = a
            .iter()
            .filter_map(|(k, v)| {
                let n = k.strip_prefix("io.kubernetes.cri-o.IP.")?.parse().ok()?;
                Some((n, v.as_str()?.parse().ok()?))
            })
            .collect();
        ips.sort_by_key(|(n, _)| *n);
        b.ips = ips.into_iter().map(|(_, ip)| ip).collect();
    } else {
        return Err(json::Error {
            at: 0,
            why: "no Kubernetes annotations (not a CRI container)",
        });
    }
    if b.sandbox && b.sandbox_id.is_none() {
        b.sandbox_id = Some(id.to_string());
    }
    Ok(b)
}

/// A PID file's number.
pub fn read_pid(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path)
        .ok()?
        .trim()
        .parse()
        .ok()
        .filter(|&p| p > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SB: &str = "134b58ab2e0cfd7432a9db818b1b4ec52fdc747333f0ba2c9342860dc2ea7c50";
    const UID: &str = "aaaa2b4a-f398-41c0-928b-049e1cc4ec40";

    #[test]
    fn containerd_sandbox_and_container() {
        let sandbox = format!(
            r#"{{"ociVersion":"1.1.0","process":{{"args":["/pause"],"env":["PATH=/x"]}},"annotations":{{
            "io.kubernetes.cri.container-type":"sandbox","io.kubernetes.cri.sandbox-id":"{SB}",
            "io.kubernetes.cri.sandbox-name":"web-0","io.kubernetes.cri.sandbox-namespace":"shop",
            "io.kubernetes.cri.sandbox-uid":"{UID}"}},
            "linux":{{"cgroupsPath":"kubepods-besteffort-pod{u}.slice:cri-containerd:{SB}",
            "namespaces":[{{"type":"pid"}},{{"type":"network","path":"/var/run/netns/cni-1b2c"}}],
            "seccomp":{{"defaultAction":"SCMP_ACT_ERRNO"}}}}}}"#,
            u = UID.replace('-', "_")
        );
        let b = parse_config(sandbox.as_bytes(), SB).unwrap();
        assert!(b.sandbox);
        assert_eq!(b.sandbox_id.as_deref(), Some(SB));
        assert_eq!(
            (b.namespace.as_deref(), b.name.as_deref()),
            (Some("shop"), Some("web-0"))
        );
        assert_eq!(b.uid.as_deref(), Some(UID));
        assert_eq!(b.netns.as_deref(), Some("/var/run/netns/cni-1b2c"));
        assert!(b.cgroups_path.unwrap().contains(":cri-containerd:"));
        // hostNetwork: no network namespace in the spec.
        let host = br#"{"annotations":{"io.kubernetes.cri.container-type":"sandbox"},"linux":{"namespaces":[{"type":"pid"}]}}"#;
        assert_eq!(parse_config(host, SB).unwrap().netns, None);
        // Not a CRI container at all.
        assert!(parse_config(br#"{"annotations":{}}"#, SB).is_err());
        assert!(parse_config(b"{", SB).is_err());
    }

    #[test]
    fn crio_sandbox_with_labels_and_ips() {
        let text = format!(
            r#"{{"annotations":{{"io.kubernetes.cri-o.ContainerType":"sandbox","io.kubernetes.cri-o.SandboxID":"{SB}",
            "io.kubernetes.cri-o.KubeName":"segfaulter","io.kubernetes.cri-o.Namespace":"default",
            "io.kubernetes.cri-o.Labels":"{{\"io.kubernetes.container.name\":\"POD\",\"io.kubernetes.pod.uid\":\"{UID}\"}}",
            "io.kubernetes.cri-o.IP.1":"fd00::5","io.kubernetes.cri-o.IP.0":"172.30.129.95",
            "io.kubernetes.cri-o.HostNetwork":"false"}},
            "linux":{{"namespaces":[{{"type":"network","path":"/var/run/netns/9abac4ae"}}]}}}}"#
        );
        let b = parse_config(text.as_bytes(), SB).unwrap();
        assert_eq!(b.uid.as_deref(), Some(UID));
        assert_eq!(b.container_name, None);
        assert_eq!(
            b.ips,
            vec![
                "172.30.129.95".parse::<IpAddr>().unwrap(),
                "fd00::5".parse().unwrap()
            ]
        );
        assert_eq!(b.host_network, Some(false));
    }
}
