//! Tests of the simulated-node harness itself (every layout wired as its CNI
//! wires it, traffic flowing as it would, clean teardown) and repository-level
//! checks (static binary, man page, README quick start, CI entry point).

mod common;

use common::{Holder, LAYOUTS, World, netns_names, repo, stdout, text};
use std::path::Path;
use std::process::Command;

fn ns_of(w: &World) -> Vec<String> {
    let prefix = format!("pc-{}-", w.id);
    netns_names()
        .into_iter()
        .filter(|n| n.starts_with(&prefix))
        .collect()
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}/ns/net")).exists()
}

/// Host-side interface names on the host itself: none of a world's may be there.
fn host_links() -> String {
    stdout(
        &Command::new("ip")
            .args(["-o", "link", "show"])
            .output()
            .unwrap(),
    )
}

/// Brings a layout up, checks what every layout promises, tears it down and
/// checks that nothing is left.
fn up_and_down(layout: &str) {
    let w = World::up_holders(layout, 4, &[2], &[3]);
    let (id, pids) = (
        w.id.clone(),
        w.pods.iter().filter_map(|p| p.pid).collect::<Vec<_>>(),
    );
    assert_eq!(w.pods.len(), 4, "{}", w.description);
    let host = host_links();
    for node in &w.nodes {
        assert!(node.netns.exists(), "{}", node.netns.display());
    }
    for p in &w.pods {
        assert!(p.netns.exists(), "{p:?}");
        match p.holder {
            Holder::Both => {
                assert!(alive(p.pid.unwrap()));
                assert!(Path::new(&format!("/run/netns/{}", p.ns.as_ref().unwrap())).exists());
            }
            Holder::Process => {
                assert_eq!(p.name, "pod2");
                assert!(p.ns.is_none() && alive(p.pid.unwrap()));
                assert!(!Path::new(&format!("/run/netns/pc-{id}-pod2")).exists());
                assert_eq!(
                    p.netns,
                    Path::new(&format!("/proc/{}/ns/net", p.pid.unwrap()))
                );
            }
            Holder::Mount => {
                assert_eq!(p.name, "pod3");
                assert!(p.pid.is_none());
                let pids = w.exec(&p.node, &["true"]); // node ns is fine
                assert!(pids.status.success());
                let out = Command::new("ip")
                    .args(["netns", "pids", p.ns.as_ref().unwrap()])
                    .output()
                    .unwrap();
                assert_eq!(stdout(&out).trim(), "", "mount-only pod has a process");
            }
        }
        // eth0 inside the pod, with the pod's IP and MAC.
        let a = w.pod_exec(&p.name, &["ip", "-o", "addr", "show", "dev", "eth0"]);
        assert!(
            stdout(&a).contains(&format!("{}/{}", p.ip, p.prefix)),
            "{}",
            text(&a)
        );
        let l = w.pod_exec(&p.name, &["ip", "-o", "link", "show", "dev", "eth0"]);
        assert!(stdout(&l).contains(&p.mac), "{}", text(&l));
        // The expected host-side interface exists on its node, and nowhere
        // on the host.
        if let Some(h) = &p.host_if {
            assert!(w.links(&p.node).contains(h), "{h} not on {}", p.node);
            assert!(
                !host.contains(&format!(": {h}")),
                "{h} leaked onto the host"
            );
            let peer = w.exec(&p.node, &["ip", "-o", "link", "show", "dev", h]);
            assert!(
                stdout(&peer).contains("link-netns") || stdout(&peer).contains("link-netnsid"),
                "{h} is not a veth into another namespace: {}",
                text(&peer)
            );
        }
    }
    assert!(!host.contains(": cni0") && !host.contains(": flannel.1") && !host.contains(": cbr0"));
    assert!(ns_of(&w).len() >= 3, "{:?}", ns_of(&w));
    drop(w);
    let left: Vec<_> = netns_names()
        .into_iter()
        .filter(|n| n.starts_with(&format!("pc-{id}-")))
        .collect();
    assert!(left.is_empty(), "namespaces left after teardown: {left:?}");
    for pid in pids {
        // The holder may linger as a zombie for a moment; its ns link goes at once.
        assert!(!alive(pid), "holder {pid} survived teardown");
    }
    assert!(!Path::new(&format!("/run/podcap-sim/{id}")).exists());
}

macro_rules! layout_tests {
    ($($name:ident => $layout:literal,)*) => {$(
        #[test]
        fn $name() { up_and_down($layout); }
    )*};
}

layout_tests! {
    flannel_up_and_down => "flannel",
    calico_up_and_down => "calico",
    cilium_up_and_down => "cilium",
    kindnet_up_and_down => "kindnet",
    bridge_up_and_down => "bridge",
    awsvpc_up_and_down => "awsvpc",
    macvlan_up_and_down => "macvlan",
    cni_flannel_up_and_down => "cni-flannel",
    cni_ipmasq_up_and_down => "cni-ipmasq",
    cni_ptp_up_and_down => "cni-ptp",
    cni_macvlan_up_and_down => "cni-macvlan",
}

#[test]
fn every_layout_is_tested() {
    assert_eq!(LAYOUTS.len(), 11);
    let out = Command::new(repo().join("scripts/simnode"))
        .arg("layouts")
        .output()
        .unwrap();
    assert_eq!(stdout(&out).split_whitespace().collect::<Vec<_>>(), LAYOUTS);
}

/// Pods reach each other, their node and the outside as their CNI allows.
fn reachability(layout: &str) {
    let w = World::up_holders(layout, 3, &[2], &[3]);
    let ip = |n: &str| w.pod(n).ip.to_string();
    assert!(
        w.ping_from_pod("pod1", &ip("pod3")),
        "{layout}: pod1 -> pod3"
    );
    assert!(
        w.ping_from_pod("pod2", &ip("pod1")),
        "{layout}: pod2 (process-held) -> pod1"
    );
    assert!(
        w.ping_from_pod("pod1", "192.168.56.1"),
        "{layout}: pod1 -> outside"
    );
    if layout == "macvlan" {
        // A macvlan child cannot talk to its parent's own address.
        assert!(
            !w.ping_from_node("node1", &ip("pod1")),
            "macvlan: node reached its pod"
        );
    } else {
        assert!(
            w.ping_from_node("node1", &ip("pod3")),
            "{layout}: node -> pod3"
        );
    }
}

#[test]
fn reachability_routed_and_bridged() {
    for l in ["calico", "cilium", "kindnet", "bridge", "awsvpc", "macvlan"] {
        reachability(l);
    }
}

#[test]
fn flannel_wired_like_flannel() {
    let w = World::flannel(2, 2);
    let (n1, n2) = (w.node("node1"), w.node("node2"));
    assert_eq!(w.pods_on("node1").count(), 2);
    assert_eq!(n1.vxlan_port, Some(8472));
    assert_eq!(n1.peer_underlay_ip, Some(n2.underlay_ip));
    // Cross-node and same-node pod traffic, and node to remote pod.
    assert!(w.ping_from_pod("pod1", &w.pod("pod3").ip.to_string()));
    assert!(w.ping_from_pod("pod4", &w.pod("pod2").ip.to_string()));
    assert!(w.ping_from_pod("pod1", &w.pod("pod2").ip.to_string()));
    assert!(w.ping_from_node("node1", &w.pod("pod4").ip.to_string()));
    // flannel.1: VNI 1, UDP 8472, local underlay address, no learning.
    let d = stdout(&w.exec("node1", &["ip", "-d", "link", "show", "flannel.1"]));
    for want in [
        "vxlan id 1 ",
        "local 192.168.56.11",
        "dev eth0",
        "dstport 8472",
        "nolearning",
    ] {
        assert!(d.contains(want), "flannel.1 lacks {want}: {d}");
    }
    let r = stdout(&w.exec("node1", &["ip", "route", "show", "10.244.1.0/24"]));
    assert!(r.contains("via 10.244.1.0 dev flannel.1 onlink"), "{r}");
    let nb = stdout(&w.exec("node1", &["ip", "neigh", "show", "dev", "flannel.1"]));
    let m2 = n2.tunnel_mac.as_deref().unwrap();
    assert!(
        nb.contains(&format!("10.244.1.0 lladdr {m2} PERMANENT")),
        "{nb}"
    );
    let fdb = stdout(&w.exec("node1", &["bridge", "fdb", "show", "dev", "flannel.1"]));
    assert!(
        fdb.contains(&format!("{m2} dst 192.168.56.12 self permanent")),
        "{fdb}"
    );
    // Pods are cni0 ports on veth + 8 hex, as the bridge plugin names them.
    for p in &w.pods {
        let h = p.host_if.as_deref().unwrap();
        assert!(h.len() == 12 && h.starts_with("veth"), "{h}");
        assert!(h[4..].chars().all(|c| c.is_ascii_hexdigit()));
        let m = stdout(&w.exec(&p.node, &["ip", "-o", "link", "show", "dev", h]));
        assert!(m.contains("master cni0"), "{m}");
    }
    assert_eq!(w.expected_ifname("node1", "pod3"), "flannel.1");
    assert_eq!(
        w.expected_ifname("node2", "pod3"),
        w.pod("pod3").host_if.clone().unwrap()
    );
    // The neighbour flush helper leaves the permanent VTEP entry.
    w.flush_neigh("node1");
    let nb = stdout(&w.exec("node1", &["ip", "neigh", "show"]));
    assert!(!nb.contains("10.244.0.2 "), "{nb}");
    assert!(nb.contains("10.244.1.0 dev flannel.1"), "{nb}");
}

#[test]
fn calico_wired_like_calico() {
    let w = World::up("calico", 2);
    let bh = stdout(&w.exec("node1", &["ip", "route", "show", "type", "blackhole"]));
    assert!(bh.contains("192.168.252.192/26 proto bird"), "{bh}");
    for p in &w.pods {
        let h = p.host_if.as_deref().unwrap();
        assert!(h.len() == 15 && h.starts_with("cali"), "{h}");
        let pa = stdout(&w.exec(
            "node1",
            &["cat", &format!("/proc/sys/net/ipv4/conf/{h}/proxy_arp")],
        ));
        assert_eq!(pa.trim(), "1");
        let a = stdout(&w.exec("node1", &["ip", "-o", "-4", "addr", "show", "dev", h]));
        assert_eq!(a.trim(), "", "calico host veth has an address");
        let r = stdout(&w.exec("node1", &["ip", "route", "show", &p.ip.to_string()]));
        assert!(r.contains(&format!("dev {h} scope link")), "{r}");
        let pr = stdout(&w.pod_exec(&p.name, &["ip", "route"]));
        assert!(pr.contains("default via 169.254.1.1 dev eth0"), "{pr}");
        assert!(pr.contains("169.254.1.1 dev eth0 scope link"), "{pr}");
    }
}

/// A dead address inside Calico's blackholed /26 block (and one behind a
/// prohibit route): the kernel refuses the route lookup itself, and locate
/// must say "not a pod" rather than pass on EINVAL/EACCES.
#[test]
fn calico_blackholed_address_is_not_a_pod() {
    let w = World::up("calico", 1);
    let out = w.podcap("node1", &["locate", "192.168.252.230"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let e = common::stderr(&out);
    assert!(
        e.contains("not a pod on this node") && e.contains("blackhole"),
        "{e}"
    );
    w.exec("node1", &["ip", "route", "add", "prohibit", "10.98.0.0/16"]);
    let out = w.podcap("node1", &["locate", "10.98.1.1"]);
    let e = common::stderr(&out);
    assert!(
        e.contains("not a pod on this node") && e.contains("prohibit"),
        "{e}"
    );
    assert!(
        !e.contains("CAP_"),
        "a prohibit route is no capability problem: {e}"
    );
}

#[test]
fn awsvpc_needs_policy_routing() {
    let w = World::up("awsvpc", 2);
    for p in &w.pods {
        let ip = p.ip.to_string();
        let h = p.host_if.as_deref().unwrap();
        // Not in the main table: `ip route | grep` finds only eth0's subnet...
        let main = stdout(&w.exec("node1", &["ip", "route", "show", "table", "main"]));
        assert!(!main.contains(&ip), "{main}");
        // ...but a FIB lookup through the rules finds eniX.
        let get = stdout(&w.exec("node1", &["ip", "route", "get", &ip]));
        assert!(get.contains(&format!("dev {h}")), "{get}");
        let rules = stdout(&w.exec("node1", &["ip", "rule"]));
        assert!(
            rules.contains(&format!(
                "512:\tfrom all to {ip} lookup {}",
                p.table.unwrap()
            )),
            "{rules}"
        );
        assert!(h.starts_with("eni") && h.len() == 14, "{h}");
    }
}

#[test]
fn ptp_and_cilium_host_sides() {
    let k = World::up("kindnet", 2);
    for p in &k.pods {
        let h = p.host_if.as_deref().unwrap();
        let a = stdout(&k.exec("node1", &["ip", "-o", "-4", "addr", "show", "dev", h]));
        assert!(
            a.contains("10.244.0.1/32"),
            "ptp host veth lacks the gateway: {a}"
        );
    }
    let c = World::up("cilium", 2);
    let a = stdout(&c.exec(
        "node1",
        &["ip", "-o", "-4", "addr", "show", "dev", "cilium_host"],
    ));
    assert!(a.contains("10.0.0.1/32"), "{a}");
    for p in &c.pods {
        let h = p.host_if.as_deref().unwrap();
        assert!(h.starts_with("lxc") && h.len() == 15, "{h}");
    }
}

#[test]
fn unprivileged_helper_has_no_capabilities() {
    let w = World::up("calico", 1);
    let o = w.exec_unprivileged("node1", &["grep", "^Cap", "/proc/self/status"]);
    assert!(o.status.success(), "{}", text(&o));
    for l in stdout(&o).lines() {
        assert!(l.ends_with("0000000000000000"), "{l}");
    }
    let o = w.exec_unprivileged("node1", &["id", "-u"]);
    assert_eq!(stdout(&o).trim(), "65534");
    // It still runs the binary (in the node's namespace).
    let o = w.podcap_unprivileged("node1", &["--version"]);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn teardown_survives_a_panicking_test() {
    let id = std::thread::spawn(|| {
        let w = World::up("bridge", 2);
        let id = w.id.clone();
        std::panic::panic_any(id);
    })
    .join()
    .expect_err("the thread panics");
    let id = id.downcast_ref::<String>().unwrap();
    let left: Vec<_> = netns_names()
        .into_iter()
        .filter(|n| n.starts_with(&format!("pc-{id}-")))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn simnode_down_is_idempotent_and_rejects_bad_input() {
    let sn = repo().join("scripts/simnode");
    let id = format!("idem{}", std::process::id());
    for _ in 0..2 {
        let o = Command::new(&sn).args(["down", &id]).output().unwrap();
        assert!(o.status.success(), "{}", text(&o));
    }
    let o = Command::new(&sn)
        .args(["up", "weave", &id])
        .output()
        .unwrap();
    assert!(
        !o.status.success() && common::stderr(&o).contains("unknown layout"),
        "{}",
        text(&o)
    );
    let o = Command::new(&sn)
        .args(["up", "flannel", "bad-id"])
        .output()
        .unwrap();
    assert!(
        !o.status.success() && common::stderr(&o).contains("ID must match"),
        "{}",
        text(&o)
    );
    assert!(
        netns_names()
            .iter()
            .all(|n| !n.starts_with(&format!("pc-{id}-")))
    );
}

// ------------------------------------------------------------ repository

#[test]
fn binary_is_fully_static() {
    let bin = common::podcap_bin();
    let mut bins = vec![bin.to_string()];
    // The release binary too, when scripts/test has built it.
    let rel = repo().join("target/x86_64-unknown-linux-musl/release/podcap");
    if rel.exists() {
        bins.push(rel.display().to_string());
    }
    for b in bins {
        let f = stdout(
            &Command::new("file")
                .arg("-L")
                .arg(&b)
                .output()
                .expect("file(1) installed"),
        );
        assert!(
            f.contains("statically linked") || f.contains("static-pie linked"),
            "{b} is not static: {f}"
        );
        let l = Command::new("ldd").arg(&b).output().expect("ldd installed");
        let all = format!("{}{}", stdout(&l), common::stderr(&l));
        assert!(!all.contains("=>"), "ldd found libraries for {b}: {all}");
        assert!(
            all.contains("not a dynamic executable") || all.contains("statically linked"),
            "{all}"
        );
    }
}

#[test]
fn man_page_renders_without_warnings() {
    let o = Command::new("groff")
        .args(["-man", "-ww", "-Tutf8"])
        .arg(repo().join("man/podcap.1"))
        .output()
        .expect("groff installed");
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(common::stderr(&o), "", "groff warnings");
    assert!(stdout(&o).contains("podcap"));
}

#[test]
fn readme_quick_start_is_two_commands() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let qs = readme
        .split("## Quick start")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("README has a Quick start section");
    let cmds: Vec<&str> = qs
        .lines()
        .filter(|l| l.starts_with("    "))
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .collect();
    assert_eq!(cmds, ["scripts/demo", "scripts/test"], "{qs}");
    for c in cmds {
        let p = repo().join(c);
        let meta = std::fs::metadata(&p).unwrap_or_else(|_| panic!("{c} missing"));
        assert!(std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o111 != 0);
    }
}

#[test]
fn ci_runs_the_test_script_and_scripts_parse() {
    let ci = std::fs::read_to_string(repo().join(".ci/run")).unwrap();
    assert!(
        ci.lines()
            .any(|l| !l.trim_start().starts_with('#') && l.contains("scripts/test")),
        "{ci}"
    );
    for s in [
        "scripts/setup",
        "scripts/test",
        "scripts/demo",
        "scripts/simnode",
        ".ci/run",
    ] {
        let o = Command::new("bash")
            .arg("-n")
            .arg(repo().join(s))
            .output()
            .unwrap();
        assert!(o.status.success(), "{s}: {}", text(&o));
    }
}
