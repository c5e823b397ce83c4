//! Names in the evidence: which Kubernetes pod the namespace found is
//! ([`crate::pods`], from the node's files), and, when podcap itself runs
//! inside a container, that it does (a pod sees its own network, not the
//! node's: "not a pod on this node" would mislead).

use super::{Ctx, Location, Method};
use crate::Error;
use crate::pods::{self, Inventory, Pod};
use std::os::unix::fs::MetadataExt;

impl Ctx<'_> {
    /// The node's pods, read once per lookup (files and namespace
    /// identities; namespaces are not entered).
    pub(super) fn inventory(&mut self) -> Option<&Inventory> {
        if self.inventory.is_none() {
            let root = self
                .opts
                .root
                .clone()
                .unwrap_or_else(|| pods::Root::choose(None));
            let inv = pods::discover(&pods::Options { root, enter: false }).ok();
            self.inventory = Some(inv);
        }
        self.inventory.as_ref().and_then(Option::as_ref)
    }
}

/// One evidence line for a pod.
pub fn pod_line(p: &Pod) -> String {
    let mut s = format!(
        "pod: {} (uid {}",
        p.full_name(),
        p.uid.as_deref().unwrap_or("?")
    );
    if let Some(sb) = &p.sandbox {
        s += &format!(", sandbox {}", &sb[..sb.len().min(13)]);
    }
    s += &format!("; from {})", p.source_names().replace(',', ", "));
    for d in &p.disagreements {
        s += &format!("; WARNING: {d}");
    }
    s
}

/// Names the pod `loc` found, by its namespace (else by its IP), in the
/// evidence and in `loc.k8s`.
pub(super) fn name_pod(cx: &mut Ctx<'_>, loc: &mut Location) {
    if !cx.opts.identify || loc.remote.is_some() {
        return;
    }
    if let Some(p) = loc.k8s.clone() {
        cx.step(pod_line(&p));
        if loc.method != Method::HostNetwork {
            return;
        }
    }
    let ns_id = loc
        .pod
        .as_ref()
        .and_then(|p| std::fs::metadata(&p.netns).ok())
        .map(|m| (m.dev(), m.ino()));
    let ip = loc.ip;
    let host_network = loc.method == Method::HostNetwork;
    let Some(inv) = cx.inventory() else {
        return;
    };
    let (found, line) = if host_network {
        let hn: Vec<String> = inv.host_network().iter().map(|p| p.full_name()).collect();
        let any = inv
            .sources
            .iter()
            .any(|s| s.source != pods::Source::Netns && s.found > 0);
        let line = match (hn.is_empty(), any) {
            (false, _) => format!(
                "hostNetwork pods on this node share it: {} (from the node's files)",
                hn.join(", ")
            ),
            (true, true) => "no hostNetwork pod is known from the node's files".to_string(),
            (true, false) => {
                "the node's kubelet and runtime files are not here: which hostNetwork \
                              pods share it is unknown"
                    .to_string()
            }
        };
        (None, Some(line))
    } else {
        let found: Option<Pod> = match ns_id {
            Some((dev, ino)) => inv.by_netns(dev, ino).cloned(),
            None => match inv.by_ip(ip)[..] {
                [one] => Some(one.clone()),
                _ => None,
            },
        };
        let line = match &found {
            Some(p) => Some(pod_line(p)),
            None if inv
                .sources
                .iter()
                .any(|s| s.source != pods::Source::Netns && s.found > 0) =>
            {
                Some(format!(
                    "pod: none of the node's files names the namespace holding {ip} ({})",
                    inv.sources_line()
                ))
            }
            None => None,
        };
        (found, line)
    };
    if let Some(l) = line {
        cx.step(l);
    }
    if found.is_some() && loc.k8s.is_none() {
        loc.k8s = found;
    }
}

/// Why podcap thinks it runs inside a Kubernetes pod, when it does: the
/// variables and files the kubelet gives every pod, or a pod's cgroup.
/// (Container markers such as /.dockerenv are no sign: kind's nodes are
/// containers too.)
pub fn inside_container() -> Option<String> {
    let mut why = Vec::new();
    if let Ok(t) = std::fs::read_to_string("/proc/self/cgroup") {
        if let Some(p) = pods::names::proc_cgroup(&t) {
            why.push(format!("its cgroup is pod {}'s (/proc/self/cgroup)", p.uid));
        }
    }
    if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
        why.push("KUBERNETES_SERVICE_HOST is set".into());
    }
    if std::path::Path::new("/var/run/secrets/kubernetes.io/serviceaccount").exists() {
        why.push("a service account token is mounted".into());
    }
    (!why.is_empty()).then(|| why.join(", "))
}

/// A "not a pod on this node" answer, told again when podcap runs inside
/// a pod: what it sees is that pod's network. Not said when the node's
/// files are in view (a `kubectl debug node` pod is a pod, on the node's
/// network).
pub(super) fn explain(cx: &mut Ctx<'_>, mut e: Error) -> Error {
    if e.kind != crate::error::Kind::NotFound {
        return e;
    }
    let Some(why) = inside_container() else {
        return e;
    };
    let node_files = cx.inventory().is_some_and(|inv| {
        inv.sources
            .iter()
            .any(|s| s.source != pods::Source::Netns && s.found > 0)
    });
    if node_files {
        return e;
    }
    e.why = format!(
        "{}; podcap runs inside a pod ({why}), so it sees that pod's network namespace, not the node's",
        e.why
    );
    e.hint(
        "run podcap on the node (`kubectl debug node/NODE -it --profile=sysadmin --image=IMAGE`, then \
         `podcap locate POD` there: it finds the node's files under /host), or capture this pod's own \
         traffic here with `podcap tcpdump -i any`",
    )
}
