//! `podcap locate` against simulated nodes of every CNI layout: the real
//! static binary runs inside the node's namespace, with the neighbour table
//! flushed first so the ping step is exercised, and must name the exact
//! interface for every pod.

mod common;

use common::{World, stderr, stdout, text};

/// The value of `"key":` in podcap's JSON (first occurrence: top-level keys
/// come first): a string without quotes, or a bare literal.
fn field(json: &str, key: &str) -> Option<String> {
    let pat = format!("\"{key}\":");
    let at = json.find(&pat)? + pat.len();
    let rest = &json[at..];
    if let Some(r) = rest.strip_prefix('"') {
        let end = r.find('"')?;
        Some(r[..end].to_string())
    } else {
        let end = rest.find([',', '}']).unwrap_or(rest.len());
        Some(rest[..end].to_string())
    }
}

fn locate_json(w: &World, node: &str, ip: &str) -> String {
    let out = w.podcap(node, &["locate", "--json", ip]);
    assert!(
        out.status.success(),
        "locate {ip} on {node}: {}",
        text(&out)
    );
    stdout(&out)
}

/// Every pod of `layout`, located on its own node after a neighbour flush.
fn every_pod(layout: &str, pods: usize) {
    let w = World::up(layout, pods);
    for p in &w.pods {
        w.flush_neigh(&p.node);
        let ip = p.ip.to_string();
        let j = locate_json(&w, &p.node, &ip);
        let want = match p.method.as_str() {
            "macvlan" => p.parent.clone().expect("macvlan pod has a parent"),
            _ => p.host_if.clone().expect("pod has a host interface"),
        };
        assert_eq!(
            field(&j, "ifname").as_deref(),
            Some(want.as_str()),
            "{layout} {}: {j}",
            p.name
        );
        assert_eq!(field(&j, "remote").as_deref(), Some("false"), "{j}");
        assert_eq!(field(&j, "disagreement").as_deref(), Some("null"), "{j}");
        let method = field(&j, "method").unwrap();
        match p.method.as_str() {
            "bridge" => {
                assert_eq!(method, "bridge-fdb", "{j}");
                assert_eq!(field(&j, "bridge"), p.bridge, "{j}");
                // The flush removed the entry: locate had to ping.
                assert!(j.contains(&format!("ping {ip} -c1")), "{j}");
                assert!(j.contains("brctl showstp"), "{j}");
            }
            "route" => assert_eq!(method, "routed-veth", "{j}"),
            "macvlan" => {
                assert_eq!(method, "macvlan-parent", "{j}");
                assert_eq!(
                    field(&j, "filter"),
                    Some(format!("ether host {}", p.mac)),
                    "{j}"
                );
            }
            other => panic!("unknown method {other}"),
        }
        // The pod side was found and agrees.
        assert_eq!(
            field(&j, "netns").map(std::path::PathBuf::from),
            Some(p.netns.clone()),
            "{j}"
        );
        assert_eq!(field(&j, "mac").as_deref(), Some(p.mac.as_str()), "{j}");
    }
}

#[test]
fn flannel_local_pods_on_both_nodes() {
    every_pod("flannel", 4);
}

#[test]
fn calico_pods() {
    every_pod("calico", 3);
}

#[test]
fn cilium_pods() {
    every_pod("cilium", 3);
}

#[test]
fn kindnet_pods() {
    every_pod("kindnet", 3);
}

#[test]
fn bridge_pods() {
    every_pod("bridge", 3);
}

#[test]
fn awsvpc_pods_behind_ip_rules() {
    every_pod("awsvpc", 3);
}

#[test]
fn macvlan_pods_give_parent_and_mac_filter() {
    every_pod("macvlan", 2);
}

#[test]
fn flannel_remote_pod_names_tunnel_and_node() {
    let w = World::flannel(1, 2);
    let n1 = w.node("node1");
    for p in w.pods_on("node2") {
        let j = locate_json(&w, "node1", &p.ip.to_string());
        assert_eq!(field(&j, "remote").as_deref(), Some("true"), "{j}");
        assert_eq!(field(&j, "ifname"), n1.tunnel, "{j}");
        assert_eq!(field(&j, "method").as_deref(), Some("vxlan-remote"), "{j}");
        assert_eq!(
            field(&j, "node"),
            n1.peer_underlay_ip.map(|i| i.to_string()),
            "{j}"
        );
        assert_eq!(
            field(&j, "port").map(|p| p.parse::<u16>().unwrap()),
            n1.vxlan_port,
            "{j}"
        );
        assert_eq!(
            field(&j, "underlay").as_deref(),
            Some(n1.underlay_if.as_str()),
            "{j}"
        );
        assert_eq!(field(&j, "vni").as_deref(), Some("1"), "{j}");
    }
    // The text form: numbered evidence, interface, commands, picture.
    let p = w.pods_on("node2").next().unwrap();
    let out = w.podcap("node1", &["locate", &p.ip.to_string()]);
    let t = stdout(&out);
    assert!(t.contains(" 1. route get"), "{t}");
    assert!(t.contains("interface: flannel.1"), "{t}");
    assert!(
        t.contains("podcap tcpdump -i eth0 -nn udp port 8472 and host 192.168.56.12"),
        "{t}"
    );
    assert!(
        t.contains("flannel.1 ⇄ eth0 ⇒ UDP 8472 ⇒ node 192.168.56.12"),
        "{t}"
    );
    // And the local one draws the whole flannel path.
    let local = w.pods_on("node1").next().unwrap();
    let out = w.podcap("node1", &["locate", &local.ip.to_string()]);
    let t = stdout(&out);
    let pic = format!(
        "pod eth0 ⇄ {} ⇄ cni0 ⇄ flannel.1 ⇄ eth0",
        local.host_if.as_deref().unwrap()
    );
    assert!(t.contains(&pic), "{t}");
    assert!(
        t.contains(&format!(
            "capture:   podcap tcpdump -i {} -nn",
            local.host_if.as_deref().unwrap()
        )),
        "{t}"
    );
}

#[test]
fn calico_text_draws_routing() {
    let w = World::up("calico", 1);
    let p = &w.pods[0];
    let out = w.podcap(&p.node, &["locate", &p.ip.to_string()]);
    let t = stdout(&out);
    let pic = format!(
        "pod eth0 ⇄ {} ⇄ routing ⇄ eth0",
        p.host_if.as_deref().unwrap()
    );
    assert!(t.contains(&pic), "{t}");
    assert!(t.contains("agrees"), "{t}");
}

#[test]
fn pods_held_by_process_only_or_mount_only_are_cross_checked() {
    let w = World::up_holders("bridge", 3, &[2], &[3]);
    for p in &w.pods {
        w.flush_neigh(&p.node);
        let j = locate_json(&w, &p.node, &p.ip.to_string());
        assert_eq!(field(&j, "ifname"), p.host_if, "{j}");
        assert!(j.contains("agrees"), "{j}");
        assert_eq!(
            field(&j, "netns").map(std::path::PathBuf::from),
            Some(p.netns.clone()),
            "{} ({:?}): {j}",
            p.name,
            p.holder
        );
    }
}

#[test]
fn ip_that_is_no_pod_is_a_clear_error() {
    let w = World::up("bridge", 2);
    let node = &w.pods[0].node;
    // In the pod subnet, but nobody has it: ping fails, no namespace holds it.
    let out = w.podcap(node, &["locate", "-W", "0.3", "10.22.0.250"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let e = stderr(&out);
    assert!(e.contains("10.22.0.250 is not a pod on this node"), "{e}");
    assert!(e.contains("nothing answered ARP"), "{e}");
    assert!(e.contains("hint:"), "{e}");
    assert!(stdout(&out).is_empty());
    // The node's own address.
    let out = w.podcap(node, &["locate", "10.22.0.1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("address of this node"),
        "{}",
        text(&out)
    );
    // Not an IP at all.
    let out = w.podcap(node, &["locate", "pod-x"]);
    assert_eq!(out.status.code(), Some(2)); // a usage error (man podcap, EXIT STATUS)
    assert!(stderr(&out).contains("not an IP address"), "{}", text(&out));
}

#[test]
fn unreachable_ip_is_a_clear_error() {
    let w = World::up("calico", 1);
    let node = &w.pods[0].node;
    w.exec(node, &["ip", "route", "add", "unreachable", "10.99.0.0/16"]);
    let out = w.podcap(node, &["locate", "10.99.1.1"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stderr(&out).contains("not a pod on this node"),
        "{}",
        text(&out)
    );
}

#[test]
fn caller_without_capabilities_is_told_which_one() {
    let w = World::up("bridge", 1);
    let p = &w.pods[0];
    w.flush_neigh(&p.node);
    let out = w.podcap_unprivileged(&p.node, &["locate", &p.ip.to_string()]);
    // A missing permission (man podcap, EXIT STATUS).
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let e = stderr(&out);
    assert!(e.contains("CAP_NET_RAW"), "{e}");
    assert!(e.contains("setcap"), "{e}");
    assert!(!e.contains("panicked"), "{e}");
}

#[test]
fn disagreement_between_fdb_and_pod_side_is_reported() {
    let w = World::up("bridge", 2);
    let (a, b) = (&w.pods[0], &w.pods[1]);
    // A sticky static FDB entry sends pod1's MAC to pod2's port, and a
    // permanent neighbour entry spares the ping: the node side now names
    // pod2's veth, the pod side still says pod1's.
    let br = a.bridge.as_deref().unwrap();
    let ip = a.ip.to_string();
    for argv in [
        vec![
            "bridge",
            "fdb",
            "replace",
            &a.mac,
            "dev",
            b.host_if.as_deref().unwrap(),
            "master",
            "static",
            "sticky",
        ],
        vec![
            "ip",
            "neigh",
            "replace",
            &ip,
            "lladdr",
            &a.mac,
            "dev",
            br,
            "nud",
            "permanent",
        ],
    ] {
        let out = w.exec(&a.node, &argv);
        assert!(out.status.success(), "{argv:?}: {}", text(&out));
    }
    let out = w.podcap(&a.node, &["locate", "--json", &a.ip.to_string()]);
    let j = stdout(&out);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(field(&j, "ifname"), b.host_if, "{j}");
    let d = field(&j, "disagreement").unwrap();
    assert!(d != "null" && d.contains(&a.ip.to_string()), "{j}");
    let out = w.podcap(&a.node, &["locate", &a.ip.to_string()]);
    assert!(stdout(&out).contains("WARNING:   node side and pod side disagree"));
}

/// A dual-stack pod (`common::Ipv6Bridge`, since simnode is IPv4 only):
/// node namespace with a bridge, pod namespace with eth0, IPv6 on both.
#[test]
fn ipv6_pod_on_a_bridge() {
    use std::process::Command;
    let w = common::Ipv6Bridge::up("pc6");
    let node = w.node.clone();
    let out = Command::new("ip")
        .args([
            "netns",
            "exec",
            &node,
            common::podcap_bin(),
            "locate",
            "--json",
            "fd00:6::2",
        ])
        .output()
        .unwrap();
    let j = stdout(&out);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(field(&j, "ifname").as_deref(), Some("veth6host"), "{j}");
    assert_eq!(field(&j, "method").as_deref(), Some("bridge-fdb"), "{j}");
    assert!(j.contains("agrees"), "{j}");
}

#[test]
fn brforward_fallback_finds_every_pod_as_brctl_would() {
    let w = World::up("bridge", 3);
    for p in &w.pods {
        w.flush_neigh(&p.node);
        let out = run_env(&w, &p.node, &["locate", "--json", &p.ip.to_string()]);
        let j = stdout(&out);
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(field(&j, "ifname"), p.host_if, "{j}");
        assert!(j.contains("/brforward)"), "{j}");
        assert!(j.contains("brctl showstp"), "{j}");
    }
    let br = w.pods[0].bridge.clone().unwrap();
    let node = w.pods[0].node.clone();
    let ours = stdout(&run_env(&w, &node, &["brctl", "showmacs", &br]));
    let theirs = stdout(&w.exec(&node, &["brctl", "showmacs", &br]));
    let cols = |s: &str| -> Vec<String> {
        s.lines()
            .map(|l| l.split('\t').take(3).collect::<Vec<_>>().join("\t"))
            .collect()
    };
    assert_eq!(cols(&ours), cols(&theirs));
}

fn run_env(w: &World, node: &str, args: &[&str]) -> std::process::Output {
    w.podcap_command(node, args)
        .env("PODCAP_FDB", "sysfs")
        .output()
        .unwrap()
}

#[test]
fn pod_subnet_routed_to_another_node_is_remote_without_tunnel() {
    // Calico in BGP mode, flannel host-gw, kind: another node's pod subnet
    // is a plain route via that node's address.
    let w = World::up("calico", 1);
    let node = w.pods[0].node.clone();
    let n = w.node(&node);
    let ext = w.ext.as_ref().expect("single-node layouts have ext");
    let gw = ext.underlay_ip.to_string();
    let out = w.exec(
        &node,
        &[
            "ip",
            "route",
            "add",
            "10.250.0.0/24",
            "via",
            &gw,
            "dev",
            &n.underlay_if,
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let j = locate_json(&w, &node, "10.250.0.5");
    assert_eq!(field(&j, "remote").as_deref(), Some("true"), "{j}");
    assert_eq!(field(&j, "method").as_deref(), Some("routed-remote"), "{j}");
    assert_eq!(field(&j, "node"), Some(gw.clone()), "{j}");
    assert_eq!(
        field(&j, "ifname").as_deref(),
        Some(n.underlay_if.as_str()),
        "{j}"
    );
    // The default route leads out of the cluster: not a pod.
    let out = w.podcap(&node, &["locate", "203.0.113.7"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stderr(&out).contains("not a pod on this node"),
        "{}",
        text(&out)
    );
}
