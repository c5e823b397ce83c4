//! `podcap pods` and pod names in place of IPs, against what a kubelet
//! node with containerd or CRI-O has on disk for pods that really run in
//! network namespaces (`podfiles`: log directories, real cgroup v2
//! directories holding the pods' processes, task bundles, the CNI cache),
//! at the real paths and under a root prefix standing for
//! `kubectl debug node`'s `/host`. There is no kubelet or runtime on this
//! machine: `podfiles` writes their files, in their formats.

mod common;
mod kit;
mod podfiles;

use common::{World, stderr, stdout, text};
use kit::json::{self, Value};
use podfiles::{Driver, Node, PodFiles, Runtime};
use std::process::{Command, Output};

/// podcap inside `node`'s network namespace, keeping this machine's /sys
/// (and so its cgroup tree) in view, as on a real node.
fn podcap_on(w: &World, node: &str, args: &[&str]) -> Output {
    Command::new("nsenter")
        .arg(format!("--net={}", w.node(node).netns.display()))
        .arg("--")
        .arg(common::podcap_bin())
        .args(args)
        .env_remove("PODCAP_ROOT")
        .output()
        .expect("run podcap")
}

fn pods_json(w: &World, node: &str, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["pods", "-o", "json"];
    args.extend_from_slice(extra);
    let out = podcap_on(w, node, &args);
    assert!(out.status.success(), "{}", text(&out));
    match json::parse(&stdout(&out)) {
        Ok(Value::Arr(v)) => v,
        other => panic!("not a JSON array: {other:?}\n{}", text(&out)),
    }
}

fn find<'a>(pods: &'a [Value], ns: &str, name: &str) -> &'a Value {
    pods.iter()
        .find(|p| p.str("namespace") == Some(ns) && p.str("name") == Some(name))
        .unwrap_or_else(|| panic!("no pod {ns}/{name} in {pods:#?}"))
}

fn strs(v: &Value, key: &str) -> Vec<String> {
    v.arr(key)
        .iter()
        .filter_map(|x| match x {
            Value::Str(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

/// The files of simulated pod `p` as pod `ns/name`.
fn files_for(p: &common::Pod, ns: &str, name: &str) -> PodFiles {
    PodFiles::new(ns, name, p.pid.expect("pod has a holder")).with_net(
        p.ip.into(),
        &format!(
            "/var/run/netns/{}",
            p.ns.clone().expect("pod has a bind mount")
        ),
        p.host_if.as_deref().expect("pod has a host interface"),
    )
}

/// A unique namespace prefix for this test's pods.
fn tag(t: &str) -> String {
    format!("pt{}{t}", std::process::id() % 100_000)
}

/// The pods of a bridge world as a kubelet + `runtime` node has them.
fn node_with(
    w: &World,
    node: &mut Node,
    runtime: Runtime,
    driver: Driver,
    ns: &str,
) -> Vec<PodFiles> {
    let mut all = Vec::new();
    for (i, p) in w.pods.iter().enumerate() {
        let mut f = files_for(p, ns, &format!("web-{i}"));
        f.runtime = runtime;
        f.driver = driver;
        f.qos = ["besteffort", "burstable", "guaranteed"][i % 3];
        f.app_pids = vec![node.spawn_in(&p.netns)];
        node.add(&f);
        all.push(f);
    }
    all
}

fn check_listing(w: &World, files: &[PodFiles], pods: &[Value], runtime: &str) {
    for (f, p) in files.iter().zip(&w.pods) {
        let j = find(pods, &f.namespace, &f.name);
        assert_eq!(j.str("uid"), Some(f.uid.as_str()), "{j:?}");
        assert_eq!(j.str("sandbox"), Some(f.sandbox.as_str()), "{j:?}");
        assert_eq!(strs(j, "ips"), vec![p.ip.to_string()], "{j:?}");
        assert_eq!(j.str("host_if"), p.host_if.as_deref(), "{j:?}");
        assert_eq!(j.str("pod_if"), Some("eth0"), "{j:?}");
        assert_eq!(j.str("state"), Some("Running"), "{j:?}");
        assert_eq!(j.str("qos"), Some(f.qos), "{j:?}");
        let sources = strs(j, "sources");
        for s in [
            "kubelet-logs",
            "container-logs",
            runtime,
            "cni-cache",
            "host-local",
            "cgroups",
            "netns",
        ] {
            assert!(
                sources.iter().any(|x| x == s),
                "{s} missing from {sources:?}"
            );
        }
        assert!(j.arr("disagreements").is_empty(), "{j:?}");
        let pids: Vec<u64> = j
            .arr("pids")
            .iter()
            .filter_map(|v| match v {
                Value::Num(n) => Some(*n as u64),
                _ => None,
            })
            .collect();
        assert!(pids.contains(&u64::from(p.pid.unwrap())), "{j:?}");
        // The app container and the sandbox, by name and ID.
        let cs = j.arr("containers");
        assert!(
            cs.iter()
                .any(|c| c.str("id") == Some(f.containers[0].1.as_str())
                    && c.str("name") == Some("app")),
            "{j:?}"
        );
        assert!(
            cs.iter().any(|c| c.str("id") == Some(f.sandbox.as_str())
                && matches!(c.get("sandbox"), Some(Value::Bool(true)))),
            "{j:?}"
        );
    }
}

#[test]
fn containerd_node_at_the_real_paths() {
    let w = World::up("bridge", 3);
    let Some(mut node) = Node::real() else { return };
    let ns = tag("shop");
    let files = node_with(&w, &mut node, Runtime::Containerd, Driver::Systemd, &ns);
    let pods = pods_json(&w, "node1", &[]);
    check_listing(&w, &files, &pods, "containerd");
    for (f, p) in files.iter().zip(&w.pods) {
        let j = find(&pods, &f.namespace, &f.name);
        assert_eq!(j.str("cgroup_driver"), Some("systemd"), "{j:?}");
        // The bundle's namespace path, which exists on this node.
        assert_eq!(j.str("netns"), f.netns.as_deref(), "{j:?} {p:?}");
    }
    // The table and -o wide, which says where each pod was found.
    let out = podcap_on(&w, "node1", &["pods", "-o", "wide", "-n", &ns]);
    assert!(out.status.success(), "{}", text(&out));
    let t = stdout(&out);
    assert!(t.starts_with("NAMESPACE"), "{t}");
    for (f, p) in files.iter().zip(&w.pods) {
        let line = t
            .lines()
            .find(|l| l.contains(&f.name))
            .unwrap_or_else(|| panic!("{t}"));
        assert!(
            line.contains(&p.ip.to_string()) && line.contains(p.host_if.as_deref().unwrap()),
            "{line}"
        );
        assert!(
            line.contains(
                "kubelet-logs,container-logs,containerd,cni-cache,host-local,cgroups,netns"
            ),
            "{line}"
        );
    }
    assert!(
        stderr(&out).contains("podcap: source containerd"),
        "{}",
        text(&out)
    );
}

#[test]
fn crio_node_with_the_cgroupfs_driver() {
    let w = World::up("bridge", 3);
    let Some(mut node) = Node::real() else { return };
    let ns = tag("crio");
    let files = node_with(&w, &mut node, Runtime::CriO, Driver::Cgroupfs, &ns);
    let pods = pods_json(&w, "node1", &["-n", &ns]);
    assert_eq!(pods.len(), 3, "{pods:#?}");
    check_listing(&w, &files, &pods, "cri-o");
    assert_eq!(
        find(&pods, &ns, "web-0").str("cgroup_driver"),
        Some("cgroupfs")
    );
}

/// `kubectl debug node` mounts the node's `/` at `/host`: the same files
/// under a root prefix, found with --root and with PODCAP_ROOT, and k3s's
/// own containerd.
#[test]
fn k3s_node_under_a_root_prefix() {
    let w = World::up("bridge", 2);
    let dir = kit::TempDir::new("host");
    let Some(mut node) = Node::under(dir.path()) else {
        return;
    };
    let ns = tag("k3s");
    let files = node_with(&w, &mut node, Runtime::K3s, Driver::Cgroupfs, &ns);
    let root = dir.path().display().to_string();
    let pods = pods_json(&w, "node1", &["--root", &root, "-n", &ns]);
    assert_eq!(pods.len(), 2, "{pods:#?}");
    check_listing(&w, &files, &pods, "k3s");
    // The environment names the root too, and says so.
    let out = Command::new("nsenter")
        .arg(format!("--net={}", w.node("node1").netns.display()))
        .arg("--")
        .arg(common::podcap_bin())
        .args(["pods", "-o", "wide"])
        .env("PODCAP_ROOT", &root)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stderr(&out).contains(&format!("podcap: node root {root} (PODCAP_ROOT)")),
        "{}",
        text(&out)
    );
    assert!(
        stderr(&out).contains(&format!("{root}/run/k3s/containerd")),
        "{}",
        text(&out)
    );
    assert!(stdout(&out).contains(&files[0].name), "{}", text(&out));
    // Nothing at the real paths meanwhile: without the root, no pods.
    let pods = pods_json(&w, "node1", &["--root", "/", "-n", &ns]);
    assert!(pods.is_empty(), "{pods:#?}");
}

/// Sources that contradict each other: the kubelet's log directory names
/// the pod otherwise than the runtime, and the CNI cache and host-local
/// hold an IP the namespace does not. The namespace's word wins for the
/// IP, the contradiction is shown, nothing is silently resolved.
#[test]
fn sources_that_disagree_are_reported() {
    let w = World::up("bridge", 2);
    let Some(mut node) = Node::real() else { return };
    let ns = tag("dis");
    let p = &w.pods[0];
    let mut f = files_for(p, &ns, "api-0");
    f.log_name = Some("api-1".into());
    f.cni_ip = Some("10.22.0.99".parse().unwrap());
    node.add(&f);
    let out = podcap_on(&w, "node1", &["pods", "-o", "json", "-n", &ns]);
    assert!(out.status.success(), "{}", text(&out));
    let pods = match json::parse(&stdout(&out)) {
        Ok(Value::Arr(v)) => v,
        other => panic!("{other:?}"),
    };
    assert_eq!(pods.len(), 1, "{pods:#?}");
    let j = &pods[0];
    // The kubelet's directory is trusted for the name; the runtime's
    // answer is kept as a disagreement.
    assert_eq!(j.str("name"), Some("api-1"), "{j:?}");
    assert_eq!(strs(j, "ips"), vec![p.ip.to_string()], "{j:?}");
    let d = strs(j, "disagreements").join("\n");
    assert!(
        d.contains("name disagrees: kubelet-logs says api-1")
            && d.contains("containerd says api-0"),
        "{d}"
    );
    assert!(
        d.contains(&format!(
            "IP disagrees: the namespace holds {}, the files say 10.22.0.99",
            p.ip
        )),
        "{d}"
    );
    let e = stderr(&out);
    assert!(
        e.contains(&format!("podcap: WARNING: pod {ns}/api-1: name disagrees")),
        "{e}"
    );
    // locate names the pod with the warning.
    let out = podcap_on(&w, "node1", &["locate", &format!("{ns}/api-0")]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "only the kubelet's name is the pod's: {}",
        text(&out)
    );
    let out = podcap_on(&w, "node1", &["locate", &format!("{ns}/api-1")]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stdout(&out).contains("WARNING: name disagrees"),
        "{}",
        text(&out)
    );
}

/// The same pod name in two namespaces: NAME alone is refused with both
/// named; NS/NAME, the UID and a container ID prefix each find one.
#[test]
fn names_that_collide_across_namespaces() {
    let w = World::up("bridge", 2);
    let Some(mut node) = Node::real() else { return };
    let (a, b) = (tag("a"), tag("b"));
    let mut files = Vec::new();
    for (p, ns) in w.pods.iter().zip([&a, &b]) {
        let f = files_for(p, ns, "web");
        node.add(&f);
        files.push(f);
    }
    let out = podcap_on(&w, "node1", &["locate", "web"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let e = stderr(&out);
    assert!(
        e.contains(&format!(
            "`web` names 2 pods on this node: {a}/web, {b}/web"
        )),
        "{e}"
    );
    for (f, p) in files.iter().zip(&w.pods) {
        let by = [
            format!("{}/web", f.namespace),
            f.uid.clone(),
            f.containers[0].1[..10].to_string(),
            f.sandbox[..12].to_string(),
        ];
        for word in &by {
            let out = podcap_on(&w, "node1", &["locate", "--json", word]);
            let j = stdout(&out);
            assert!(out.status.success(), "{word}: {}", text(&out));
            assert!(
                j.contains(&format!("\"ifname\":\"{}\"", p.host_if.as_deref().unwrap())),
                "{word}: {j}"
            );
            assert!(j.contains(&format!("\"ip\":\"{}\"", p.ip)), "{word}: {j}");
            assert!(
                j.contains(&format!(
                    "\"namespace\":\"{}\",\"name\":\"web\"",
                    f.namespace
                )),
                "{word}: {j}"
            );
            assert!(
                j.contains(&format!("{word} is pod {}/web", f.namespace)),
                "{word}: {j}"
            );
        }
    }
    // A name no pod has.
    let out = podcap_on(&w, "node1", &["locate", "nosuchpod"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stderr(&out).contains("`nosuchpod` is not an IP address, nor a pod on this node"),
        "{}",
        text(&out)
    );
}

/// A hostNetwork pod: no namespace of its own, so `pods` shows the
/// node's, and locating it names the node's address and where it lives.
#[test]
fn host_network_pod() {
    let w = World::up("bridge", 1);
    let Some(mut node) = Node::real() else { return };
    let ns = tag("hn");
    let holder = node.spawn_in(&w.node("node1").netns);
    let f = PodFiles::new(&ns, "kube-proxy-x2", holder);
    node.add(&f);
    let pods = pods_json(&w, "node1", &["-n", &ns]);
    let j = find(&pods, &ns, "kube-proxy-x2");
    assert!(
        matches!(j.get("host_network"), Some(Value::Bool(true))),
        "{j:?}"
    );
    assert!(j.arr("ips").is_empty(), "{j:?}");
    let out = podcap_on(&w, "node1", &["pods", "-n", &ns]);
    assert!(
        stdout(&out)
            .lines()
            .any(|l| l.contains("kube-proxy-x2") && l.contains("(node)")),
        "{}",
        text(&out)
    );
    let node_ip = w.node("node1").underlay_ip.to_string();
    let out = podcap_on(&w, "node1", &["locate", &format!("{ns}/kube-proxy-x2")]);
    let t = stdout(&out);
    assert!(out.status.success(), "{}", text(&out));
    assert!(t.contains("a hostNetwork pod"), "{t}");
    assert!(
        t.contains(&format!(
            "ip addr: {node_ip}/24 is on {}",
            w.node("node1").underlay_if
        )),
        "{t}"
    );
    assert!(
        t.contains(&format!(
            "hostNetwork pods on this node share it: {ns}/kube-proxy-x2"
        )),
        "{t}"
    );
    assert!(
        t.contains(&format!(
            "capture:   podcap tcpdump -i any -nn host {node_ip}"
        )),
        "{t}"
    );
}

/// Without CAP_SYS_ADMIN the namespaces cannot be entered: the listing
/// still comes, from the files, and says what was not checked.
#[test]
fn unprivileged_listing_skips_the_cross_check() {
    let w = World::up("bridge", 1);
    let Some(mut node) = Node::real() else { return };
    let ns = tag("np");
    let p = &w.pods[0];
    let f = files_for(p, &ns, "db-0");
    node.add(&f);
    let out = w.podcap_unprivileged("node1", &["pods", "-o", "json"]);
    assert!(out.status.success(), "{}", text(&out));
    let pods = match json::parse(&stdout(&out)) {
        Ok(Value::Arr(v)) => v,
        other => panic!("{other:?}\n{}", text(&out)),
    };
    let j = find(&pods, &ns, "db-0");
    assert_eq!(strs(j, "ips"), vec![p.ip.to_string()], "{j:?}");
    assert!(!strs(j, "sources").contains(&"netns".to_string()), "{j:?}");
    let e = stderr(&out);
    assert!(
        e.contains("could not be entered (CAP_SYS_ADMIN is needed)")
            || e.contains("could not be read"),
        "{e}"
    );
}

/// `podcap capture NS/NAME`: the name resolves to the pod's IP, the
/// capture is on its host veth.
#[test]
fn capture_by_pod_name() {
    let w = World::up("bridge", 2);
    let Some(mut node) = Node::real() else { return };
    let ns = tag("cap");
    let p = &w.pods[0];
    let f = files_for(p, &ns, "echo-0");
    node.add(&f);
    let mut c = Command::new("nsenter");
    c.arg(format!("--net={}", w.node("node1").netns.display()))
        .arg("--")
        .arg(common::podcap_bin())
        .args(["capture", &format!("{ns}/echo-0"), "-c", "2", "-nn", "icmp"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = c.spawn().unwrap();
    let out = podfiles::while_poking(child, || {
        let _ = w.pod_exec(
            "pod2",
            &["ping", "-c", "1", "-W", "1", "-q", &p.ip.to_string()],
        );
    });
    assert!(out.status.success(), "{}", text(&out));
    let e = stderr(&out);
    assert!(
        e.contains(&format!("{ns}/echo-0 is pod {ns}/echo-0")),
        "{e}"
    );
    assert!(
        e.contains(&format!("capturing on {}", p.host_if.as_deref().unwrap())),
        "{e}"
    );
    assert!(stdout(&out).contains("ICMP echo"), "{}", text(&out));
    // Written as pcapng, the interface block says whose packets they are
    // (Inspektor Gadget's k8s.* names), as tshark reads it.
    let file = std::env::temp_dir().join(format!("{ns}.pcapng"));
    struct Rm(std::path::PathBuf);
    impl Drop for Rm {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
    let _rm = Rm(file.clone());
    let mut c = Command::new("nsenter");
    c.arg(format!("--net={}", w.node("node1").netns.display()))
        .arg("--")
        .arg(common::podcap_bin())
        .args(["capture", &format!("{ns}/echo-0"), "-c", "2", "-w"])
        .arg(&file)
        .arg("icmp")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = c.spawn().unwrap();
    let out = podfiles::while_poking(child, || {
        let _ = w.pod_exec(
            "pod2",
            &["ping", "-c", "1", "-W", "1", "-q", &p.ip.to_string()],
        );
    });
    assert!(out.status.success(), "{}", text(&out));
    let t = Command::new("tshark")
        .arg("-r")
        .arg(&file)
        .args(["-T", "fields", "-e", "frame.interface_description"])
        .output()
        .unwrap();
    let descs = stdout(&t);
    assert_eq!(descs.lines().count(), 2, "{}", text(&t));
    for d in descs.lines() {
        assert!(
            d.contains(&format!(
                "k8s.namespace={ns} k8s.podName=echo-0 k8s.podUID="
            )),
            "{d}"
        );
        assert!(d.contains("k8s.node="), "{d}");
    }
}

/// The real CNI plugins, called as containerd's CRI plugin calls them
/// (bridge with host-local IPAM, CNI_COMMAND=ADD in the node's namespace
/// for the pod's), their result cached by libcni's rules: the IP and host
/// veth `podcap pods` shows are the plugins'.
#[test]
fn real_cni_bridge_and_host_local() {
    let w = World::up("bridge", 1);
    let Some(mut node) = Node::real() else { return };
    let n = w.node("node1");
    let pod_ns = format!("{}-cni", n.ns);
    assert!(
        Command::new("ip")
            .args(["netns", "add", &pod_ns])
            .status()
            .unwrap()
            .success()
    );
    struct Del(String);
    impl Drop for Del {
        fn drop(&mut self) {
            let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
        }
    }
    let _del = Del(pod_ns.clone());
    // host-local keeps its store here; the fixture made the directory, so
    // what the plugin leaves in it (lock, last_reserved_ip.0) goes too.
    let store = node.own_dir("var/lib/cni/networks");
    struct Store(std::path::PathBuf);
    impl Drop for Store {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(self.0.join("pcnet"));
        }
    }
    let _store = Store(store);
    let pod_path = std::path::PathBuf::from(format!("/run/netns/{pod_ns}"));
    let holder = node.spawn_in(&pod_path);
    let ns = tag("cni");
    let mut f = PodFiles::new(&ns, "nginx-0", holder);
    let conf = r#"{"cniVersion":"1.0.0","name":"pcnet","type":"bridge","bridge":"pcbr0","isGateway":true,"ipMasq":false,"ipam":{"type":"host-local","ranges":[[{"subnet":"10.79.0.0/24"}]]}}"#;
    let args = format!("IgnoreUnknown=1;K8S_POD_NAMESPACE={ns};K8S_POD_NAME=nginx-0");
    let run =
        |cmd: &str| podfiles::cni("bridge", cmd, &n.netns, &f.sandbox, &pod_path, &args, conf);
    let out = run("ADD");
    struct CniDel<'a>(&'a dyn Fn(&str) -> Output);
    impl Drop for CniDel<'_> {
        fn drop(&mut self) {
            (self.0)("DEL");
        }
    }
    let _cni_del = CniDel(&run);
    assert!(out.status.success(), "bridge plugin ADD: {}", text(&out));
    let result = stdout(&out);
    let r = json::parse(&result).unwrap();
    let ip: std::net::IpAddr = r.arr("ips")[0]
        .str("address")
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let host_veth = r
        .arr("interfaces")
        .iter()
        .find(|i| i.str("sandbox").is_none() && i.str("name") != Some("pcbr0"))
        .and_then(|i| i.str("name"))
        .unwrap()
        .to_string();
    f.ip = Some(ip);
    f.netns = Some(pod_path.display().to_string());
    f.host_if = Some(host_veth.clone());
    f.cni_result = Some(result.trim().to_string());
    f.network = "pcnet".into();
    // host-local wrote its own reservation: the fixture does not.
    f.host_local = false;
    node.add(&f);
    assert!(std::path::Path::new(&format!("/var/lib/cni/networks/pcnet/{ip}")).exists());
    let pods = pods_json(&w, "node1", &["-n", &ns]);
    let j = find(&pods, &ns, "nginx-0");
    assert_eq!(strs(j, "ips"), vec![ip.to_string()], "{j:?}");
    assert_eq!(j.str("host_if"), Some(host_veth.as_str()), "{j:?}");
    assert!(
        strs(j, "sources").contains(&"host-local".to_string()),
        "{j:?}"
    );
    assert!(j.arr("disagreements").is_empty(), "{j:?}");
}
