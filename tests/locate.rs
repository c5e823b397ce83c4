//! `podcap locate` against simulated nodes of every CNI layout: the real
//! static binary runs inside the node's namespace, with the neighbour table
//! flushed first so the ping step is exercised, and must name the exact
//! interface for every pod.

mod common;
mod kit;
mod podfiles;

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
    // Not an IP, nor a pod's name here.
    let out = w.podcap(node, &["locate", "pod-x"]);
    assert_eq!(out.status.code(), Some(1)); // not found (man podcap, EXIT STATUS)
    assert!(
        stderr(&out).contains("`pod-x` is not an IP address, nor a pod on this node"),
        "{}",
        text(&out)
    );
    // Not an address at all.
    let out = w.podcap(node, &["locate", "10.0.0.1%eth0"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

/// The node's own address is where hostNetwork pods are: it is shown on
/// the interface that holds it (not `dev lo`), captured on any.
#[test]
fn node_own_address_is_where_host_network_pods_are() {
    let w = World::up("bridge", 1);
    let node = &w.pods[0].node;
    let j = locate_json(&w, node, "10.22.0.1");
    assert_eq!(field(&j, "method").as_deref(), Some("host-network"), "{j}");
    assert_eq!(field(&j, "ifname").as_deref(), Some("cbr0"), "{j}");
    assert_eq!(field(&j, "place").as_deref(), Some("any"), "{j}");
    assert!(j.contains("ip addr: 10.22.0.1/16 is on cbr0"), "{j}");
    let out = w.podcap(node, &["locate", "10.22.0.1"]);
    assert!(
        stdout(&out).contains("capture:   podcap tcpdump -i any -nn host 10.22.0.1"),
        "{}",
        text(&out)
    );
    // capture follows it: -i any, host IP.
    let child = w.spawn(
        node,
        &[
            common::podcap_bin(),
            "capture",
            "10.22.0.1",
            "-c",
            "1",
            "-nn",
            "icmp",
        ],
    );
    let out = podfiles::while_poking(child, || {
        let _ = w.pod_exec("pod1", &["ping", "-c", "1", "-W", "1", "-q", "10.22.0.1"]);
    });
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stderr(&out).contains("capturing on any, filtered by `host 10.22.0.1`"),
        "{}",
        text(&out)
    );
    assert!(stdout(&out).contains("ICMP echo"), "{}", text(&out));
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

/// A node (`N`) reached from the outside (`E`) over `nic`, with one routed
/// pod (`P`, 10.77.0.5) behind the host veth `hv0`, as Calico or Cilium
/// wire it; neighbours are permanent so that no ARP crosses `nic` (the
/// eBPF program below redirects everything arriving there). Deleted on
/// drop, the test's bpffs unmounted.
struct BpfWorld {
    n: String,
    e: String,
    p: String,
    bpffs: Option<std::path::PathBuf>,
}

impl BpfWorld {
    const POD_IP: &'static str = "10.77.0.5";

    fn up(tag: &str) -> BpfWorld {
        let id = std::process::id();
        let w = BpfWorld {
            n: format!("{tag}{id}n"),
            e: format!("{tag}{id}e"),
            p: format!("{tag}{id}p"),
            bpffs: None,
        };
        let (n, e, p) = (&w.n, &w.e, &w.p);
        let script = format!(
            "set -e
             for x in {n} {e} {p}; do ip netns add $x; ip -n $x link set lo up; done
             ip -n {n} link add nic type veth peer name eth0 netns {e}
             ip -n {n} link add hv0 type veth peer name eth0 netns {p}
             ip -n {n} addr add 192.168.77.2/24 dev nic
             ip -n {e} addr add 192.168.77.1/24 dev eth0
             ip -n {p} addr add 10.77.0.5/32 dev eth0
             ip -n {n} link set nic up; ip -n {n} link set hv0 up
             ip -n {e} link set eth0 up; ip -n {p} link set eth0 up
             ip -n {n} route add 10.77.0.5/32 dev hv0
             ip -n {p} route add 169.254.1.1 dev eth0 scope link
             ip -n {p} route add default via 169.254.1.1 dev eth0
             ip netns exec {n} sysctl -qw net.ipv4.ip_forward=1
             ip -n {e} route add 10.77.0.0/24 via 192.168.77.2
             mac() {{ cat /sys/class/net/$2/address 2>/dev/null || ip netns exec $1 cat /sys/class/net/$2/address; }}
             ip -n {e} neigh replace 192.168.77.2 lladdr $(ip netns exec {n} cat /sys/class/net/nic/address) dev eth0 nud permanent
             ip -n {n} neigh replace 192.168.77.1 lladdr $(ip netns exec {e} cat /sys/class/net/eth0/address) dev nic nud permanent
             ip -n {p} neigh replace 169.254.1.1 lladdr $(ip netns exec {n} cat /sys/class/net/hv0/address) dev eth0 nud permanent"
        );
        let out = std::process::Command::new("sh")
            .args(["-c", &script])
            .output()
            .unwrap();
        assert!(out.status.success(), "{script}\n{}", text(&out));
        w
    }

    fn ifindex(&self, dev: &str) -> u32 {
        let out = std::process::Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.n,
                "cat",
                &format!("/sys/class/net/{dev}/ifindex"),
            ])
            .output()
            .unwrap();
        stdout(&out).trim().parse().unwrap()
    }

    /// Loads `r1 = ifindex(hv0); r2 = 0; call bpf_redirect_peer; exit` as
    /// a sched_cls program, pins it in a bpffs mounted for the test, and
    /// attaches it with iproute2 to nic's clsact ingress, direct-action.
    fn redirect_peer_on_nic(&mut self) -> u32 {
        use podcap::sys::bpf::{self, Insn};
        let dir = std::env::temp_dir().join(format!("podcap-bpffs-{}", self.n));
        std::fs::create_dir_all(&dir).unwrap();
        let st = std::process::Command::new("mount")
            .args(["-t", "bpf", "bpf"])
            .arg(&dir)
            .status()
            .unwrap();
        assert!(st.success(), "mount bpffs");
        self.bpffs = Some(dir.clone());
        let hv0 = self.ifindex("hv0") as i32;
        let prog = [
            Insn::new(0xb7, 1, 0, 0, hv0), // r1 = ifindex of hv0
            Insn::new(0xb7, 2, 0, 0, 0),   // r2 = 0 (flags)
            Insn::new(0x85, 0, 0, 0, 155), // call bpf_redirect_peer
            Insn::new(0x95, 0, 0, 0, 0),   // exit
        ];
        let fd = bpf::prog_load(bpf::BPF_PROG_TYPE_SCHED_CLS, &prog, "GPL", "podcap_peer")
            .unwrap_or_else(|(e, log)| panic!("BPF_PROG_LOAD: {e}\n{log}"));
        let pin = dir.join("peer");
        bpf::obj_pin(&fd, &pin).unwrap();
        for argv in [
            vec!["tc", "qdisc", "add", "dev", "nic", "clsact"],
            vec![
                "tc",
                "filter",
                "add",
                "dev",
                "nic",
                "ingress",
                "bpf",
                "da",
                "pinned",
                pin.to_str().unwrap(),
            ],
        ] {
            let out = std::process::Command::new("ip")
                .args(["netns", "exec", &self.n])
                .args(&argv)
                .output()
                .unwrap();
            assert!(out.status.success(), "{argv:?}: {}", text(&out));
        }
        let info = bpf::prog_info(&fd, false).unwrap();
        info.id
    }

    fn exec(&self, ns: &str, argv: &[&str]) -> std::process::Output {
        std::process::Command::new("ip")
            .args(["netns", "exec", ns])
            .args(argv)
            .output()
            .unwrap()
    }

    fn spawn(&self, ns: &str, argv: &[&str]) -> std::process::Child {
        std::process::Command::new("ip")
            .args(["netns", "exec", ns])
            .args(argv)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Pings the pod from outside until `child` has seen what it waits for.
    fn ping_pod_while(&self, child: std::process::Child) -> std::process::Output {
        podfiles::while_poking(child, || {
            let _ = self.exec(&self.e, &["ping", "-c", "1", "-W", "1", "-q", Self::POD_IP]);
        })
    }
}

impl Drop for BpfWorld {
    fn drop(&mut self) {
        if let Some(d) = &self.bpffs {
            let _ = std::process::Command::new("umount").arg(d).status();
            let _ = std::fs::remove_dir(d);
        }
        for ns in [&self.n, &self.e, &self.p] {
            let _ = std::process::Command::new("ip")
                .args(["netns", "del", ns])
                .status();
        }
    }
}

/// Cilium's BPF host routing in miniature: a tc program on the node's
/// NIC redirects the pod's packets into its namespace with
/// bpf_redirect_peer. Debian's tcpdump on the host veth misses them;
/// locate names the program and the direction; capture goes inside.
#[test]
fn ebpf_redirect_peer_bypass_is_found_and_captured_around() {
    let mut w = BpfWorld::up("pcb");
    let ip = BpfWorld::POD_IP;
    // Before the program: the host veth sees the echo requests.
    let before = w.spawn(
        &w.n,
        &[
            "tcpdump",
            "-nli",
            "hv0",
            "-c",
            "2",
            "icmp[icmptype] == icmp-echo",
        ],
    );
    let out = w.ping_pod_while(before);
    assert!(stdout(&out).contains("ICMP echo request"), "{}", text(&out));
    let id = w.redirect_peer_on_nic();
    // After: requests reach the pod (it answers) but never cross hv0;
    // the pod's own eth0 sees them.
    let inside = w.spawn(
        &w.p,
        &[
            "tcpdump",
            "-nli",
            "eth0",
            "-c",
            "2",
            "icmp[icmptype] == icmp-echo",
        ],
    );
    let host = w.spawn(&w.n, &["tcpdump", "-nli", "hv0", "-c", "2", "icmp"]);
    let seen_inside = w.ping_pod_while(inside);
    let seen_host = w.ping_pod_while(host);
    assert!(
        stdout(&seen_inside).contains("ICMP echo request"),
        "{}",
        text(&seen_inside)
    );
    let host_lines = stdout(&seen_host);
    assert!(
        host_lines.contains("ICMP echo reply"),
        "{}",
        text(&seen_host)
    );
    assert!(
        !host_lines.contains("ICMP echo request"),
        "tcpdump on hv0 saw redirected requests:\n{host_lines}"
    );
    // locate: the program, its hook, what it calls, the direction.
    let out = w.exec(&w.n, &[common::podcap_bin(), "locate", "--json", ip]);
    let j = stdout(&out);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(field(&j, "ifname").as_deref(), Some("hv0"), "{j}");
    assert_eq!(field(&j, "place").as_deref(), Some("inside"), "{j}");
    assert_eq!(field(&j, "hook").as_deref(), Some("tc ingress"), "{j}");
    assert_eq!(field(&j, "prog_id"), Some(id.to_string()), "{j}");
    assert_eq!(
        field(&j, "prog_name").as_deref(),
        Some("podcap_peer"),
        "{j}"
    );
    assert!(j.contains("\"calls\":[\"bpf_redirect_peer\"]"), "{j}");
    assert_eq!(field(&j, "toward_pod").as_deref(), Some("true"), "{j}");
    let out = w.exec(&w.n, &[common::podcap_bin(), "locate", ip]);
    let t = stdout(&out);
    assert!(
        t.contains(&format!("eBPF: tc ingress on nic: bpf direct-action prog {id} podcap_peer"))
            && t.contains("calls bpf_redirect_peer: packets for the pod can enter its namespace without crossing hv0"),
        "{t}"
    );
    assert!(
        t.contains(&format!(
            "capture:   podcap tcpdump --netns /run/netns/{} -i eth0 -nn",
            w.p
        )),
        "{t}"
    );
    // capture: inside the pod, with that evidence; requests and replies.
    let cap = w.spawn(
        &w.n,
        &[
            common::podcap_bin(),
            "capture",
            ip,
            "-c",
            "4",
            "-nn",
            "icmp",
        ],
    );
    let out = w.ping_pod_while(cap);
    let (o, e) = (stdout(&out), stderr(&out));
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        e.contains("podcap: capturing inside the pod (eth0 in /run/netns/"),
        "{e}"
    );
    assert!(e.contains("calls bpf_redirect_peer"), "{e}");
    assert!(
        o.contains("ICMP echo request") && o.contains("ICMP echo reply"),
        "{}",
        text(&out)
    );
    // --path: the bypassed hop is named, and the requests that skip it
    // are no losses.
    let cap = w.spawn(
        &w.n,
        &[
            common::podcap_bin(),
            "capture",
            ip,
            "--path",
            "-c",
            "4",
            "icmp",
        ],
    );
    let out = w.ping_pod_while(cap);
    let (o, e) = (stdout(&out), stderr(&out));
    assert!(
        e.contains("podcap: hop hv0: bypassed by eBPF (tc ingress on nic")
            && e.contains("toward the pod skip hv0"),
        "{}",
        text(&out)
    );
    assert!(o.contains("ICMP echo request"), "{}", text(&out));
    // No redirected request is a loss. (Only requests: a reply sent
    // while the second ring is still being opened can be reported lost
    // at the start, a race of --path's start-up, not of the bypass.)
    let lines: Vec<&str> = o.lines().collect();
    for w2 in lines.windows(2) {
        if w2[0].contains("ICMP echo request") {
            assert!(!w2[1].contains("LOST"), "{}", text(&out));
        }
    }
}

/// Without the program, the same world says so and captures on hv0.
#[test]
fn no_ebpf_program_keeps_the_host_veth() {
    let w = BpfWorld::up("pcn");
    let out = w.exec(
        &w.n,
        &[common::podcap_bin(), "locate", "--json", BpfWorld::POD_IP],
    );
    let j = stdout(&out);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(field(&j, "place").as_deref(), Some("node"), "{j}");
    assert!(j.contains("eBPF: no tc, tcx or XDP program on this node's interfaces: hv0 sees all of the pod's packets"), "{j}");
    assert!(j.contains("\"bypass\":[]"), "{j}");
}

/// An IPv6 link-local address means nothing without its link: with the
/// scope it is located; without, the one neighbour table that knows it
/// gives the link, and two are refused.
#[test]
fn ipv6_link_local_with_and_without_scope() {
    use std::process::Command;
    let w = common::Ipv6Bridge::up("pcll");
    let ll = {
        let out = Command::new("ip")
            .args([
                "-n", &w.pod, "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link",
            ])
            .output()
            .unwrap();
        let t = stdout(&out);
        t.split_whitespace()
            .skip_while(|x| *x != "inet6")
            .nth(1)
            .and_then(|a| a.split('/').next())
            .unwrap_or_else(|| panic!("no link-local address on the pod's eth0: {t}"))
            .to_string()
    };
    let run = |args: &[&str]| {
        Command::new("ip")
            .args(["netns", "exec", &w.node, common::podcap_bin()])
            .args(args)
            .output()
            .unwrap()
    };
    // The system's ping knows the zone; its reply fills the tables (the
    // address answers once the kernel's duplicate detection is done).
    let ping = || {
        Command::new("ip")
            .args([
                "netns",
                "exec",
                &w.node,
                "ping",
                "-c",
                "1",
                "-W",
                "1",
                &format!("{ll}%br6"),
            ])
            .output()
            .unwrap()
    };
    let mut answered = ping();
    for _ in 0..10 {
        if answered.status.success() {
            break;
        }
        answered = ping();
    }
    assert!(answered.status.success(), "{}", text(&answered));
    let out = run(&["locate", "--json", &format!("{ll}%br6")]);
    let j = stdout(&out);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(field(&j, "ifname").as_deref(), Some("veth6host"), "{j}");
    assert_eq!(field(&j, "method").as_deref(), Some("bridge-fdb"), "{j}");
    // Without the scope: only br6's neighbour table knows it.
    let out = run(&["locate", "--json", &ll]);
    let j = stdout(&out);
    assert!(out.status.success(), "{}", text(&out));
    assert!(j.contains("only br6's neighbour table knows it"), "{j}");
    assert_eq!(field(&j, "ifname").as_deref(), Some("veth6host"), "{j}");
    // Known on two links: refused, both named.
    let script = format!(
        "ip -n {n} link add pcll0 type veth peer name pcll1 && ip -n {n} link set pcll0 up && ip -n {n} link set pcll1 up && \
         ip -n {n} neigh replace {ll} lladdr 02:00:00:00:00:01 dev pcll0 nud permanent",
        n = w.node
    );
    assert!(
        Command::new("sh")
            .args(["-c", &script])
            .status()
            .unwrap()
            .success()
    );
    let out = run(&["locate", &ll]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let e = stderr(&out);
    assert!(
        e.contains("link-local address, which every link may reuse"),
        "{e}"
    );
    assert!(e.contains("br6") && e.contains("pcll0"), "{e}");
    // An unknown link-local address: refused, not "a remote pod".
    let out = run(&["locate", "fe80::1"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!stdout(&out).contains("remote"), "{}", text(&out));
}

/// podcap run inside a pod sees that pod's network: it says so, and
/// what to do, instead of only "not a pod on this node".
#[test]
fn inside_a_container_it_says_so() {
    let w = World::up("calico", 2);
    let (a, b) = (&w.pods[0], &w.pods[1]);
    let out = std::process::Command::new("nsenter")
        .arg(format!("--net={}", a.netns.display()))
        .arg("--")
        .arg(common::podcap_bin())
        .args(["locate", "--no-ping", &b.ip.to_string()])
        .env("KUBERNETES_SERVICE_HOST", "10.96.0.1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let e = stderr(&out);
    assert!(
        e.contains("podcap runs inside a pod (KUBERNETES_SERVICE_HOST is set)"),
        "{e}"
    );
    assert!(e.contains("kubectl debug node/NODE"), "{e}");
    assert!(e.contains("podcap tcpdump -i any"), "{e}");
}

/// Without CAP_SYS_ADMIN, the pod-side cross-check is optional: skipped,
/// with the reason, and the node-side answer stands; a search that could
/// not be made says which capability it needed, not which unrelated
/// namespace refused.
#[test]
fn unprivileged_callers_skip_the_cross_check() {
    let w = World::up("bridge", 2);
    let p = &w.pods[0];
    // A fresh neighbour entry, so that no ping (CAP_NET_RAW) is needed.
    assert!(w.ping_from_node(&p.node, &p.ip.to_string()));
    let out = w.podcap_unprivileged(&p.node, &["locate", "--no-ping", &p.ip.to_string()]);
    assert!(out.status.success(), "{}", text(&out));
    let t = stdout(&out);
    assert!(
        t.contains(&format!(
            "interface: {} (bridge-fdb)",
            p.host_if.as_deref().unwrap()
        )),
        "{t}"
    );
    assert!(
        t.contains("cross-check skipped: entering namespace") && t.contains("needs CAP_SYS_ADMIN"),
        "{t}"
    );
    assert!(t.contains("the node-side answer stands"), "{t}");
    // An address nobody has, with the network capabilities a capture
    // needs but not CAP_SYS_ADMIN: not a pod (ARP said so), and the
    // search of the pods' namespaces that could not run is named.
    let out = w.exec(
        &p.node,
        &[
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=+net_raw,+net_admin",
            "--ambient-caps=+net_raw,+net_admin",
            "--",
            common::podcap_bin(),
            "locate",
            "-W",
            "0.3",
            "10.22.0.250",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let e = stderr(&out);
    assert!(
        e.contains("10.22.0.250 is not a pod on this node") && e.contains("nothing answered ARP"),
        "{e}"
    );
    assert!(e.contains("CAP_SYS_ADMIN"), "{e}");
    assert!(!e.contains("enter network namespace /run/netns/"), "{e}");
}

/// A pod whose eth0 is a device moved in from the node by the real CNI
/// host-device plugin (SR-IOV pods look the same): no host side, yet a
/// pod of this node, located and captured inside. The node's files name
/// it (containerd's bundle and libcni's cache, written as they are).
#[test]
fn host_device_pod_has_no_host_side() {
    use std::process::Command;
    let Some(mut files) = podfiles::Node::real() else {
        return;
    };
    let id = std::process::id();
    let (n, sw, pod) = (
        format!("pchd{id}n"),
        format!("pchd{id}s"),
        format!("pchd{id}p"),
    );
    struct Del(Vec<String>);
    impl Drop for Del {
        fn drop(&mut self) {
            for ns in &self.0 {
                let _ = Command::new("ip").args(["netns", "del", ns]).status();
            }
        }
    }
    let _del = Del(vec![pod.clone(), sw.clone(), n.clone()]);
    let script = format!(
        "set -e
         for x in {n} {sw} {pod}; do ip netns add $x; ip -n $x link set lo up; done
         ip -n {n} link add ens9 type veth peer name eth0 netns {sw}
         ip -n {sw} addr add 10.78.0.1/24 dev eth0; ip -n {sw} link set eth0 up"
    );
    assert!(
        Command::new("sh")
            .args(["-c", &script])
            .status()
            .unwrap()
            .success()
    );
    let pod_path = std::path::PathBuf::from(format!("/run/netns/{pod}"));
    let holder = files.spawn_in(&pod_path);
    let ns = format!("pt{}hd", id % 100_000);
    let mut f = podfiles::PodFiles::new(&ns, "sriov-0", holder);
    let conf = r#"{"cniVersion":"1.0.0","name":"sriov","type":"host-device","device":"ens9","ipam":{"type":"static","addresses":[{"address":"10.78.0.5/24"}]}}"#;
    let out = podfiles::cni(
        "host-device",
        "ADD",
        std::path::Path::new(&format!("/run/netns/{n}")),
        &f.sandbox,
        &pod_path,
        "",
        conf,
    );
    assert!(out.status.success(), "host-device ADD: {}", text(&out));
    f.ip = Some("10.78.0.5".parse().unwrap());
    f.netns = Some(pod_path.display().to_string());
    f.cni_result = Some(stdout(&out).trim().to_string());
    f.network = "sriov".into();
    f.host_local = false;
    files.add(&f);
    for word in ["10.78.0.5".to_string(), format!("{ns}/sriov-0")] {
        let out = Command::new("ip")
            .args([
                "netns",
                "exec",
                &n,
                common::podcap_bin(),
                "locate",
                "--json",
                &word,
            ])
            .output()
            .unwrap();
        let j = stdout(&out);
        assert!(out.status.success(), "{word}: {}", text(&out));
        assert_eq!(field(&j, "method").as_deref(), Some("host-device"), "{j}");
        assert_eq!(field(&j, "ifname").as_deref(), Some("eth0"), "{j}");
        assert_eq!(field(&j, "place").as_deref(), Some("inside"), "{j}");
        assert!(
            j.contains("a device moved into the pod (CNI host-device, an SR-IOV VF)"),
            "{j}"
        );
        assert!(j.contains(&format!("pod: {ns}/sriov-0")), "{j}");
    }
    // capture: inside the pod.
    let cap = Command::new("ip")
        .args([
            "netns",
            "exec",
            &n,
            common::podcap_bin(),
            "capture",
            "10.78.0.5",
            "-c",
            "2",
            "-nn",
            "icmp",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = podfiles::while_poking(cap, || {
        let _ = Command::new("ip")
            .args([
                "netns",
                "exec",
                &sw,
                "ping",
                "-c",
                "1",
                "-W",
                "1",
                "-q",
                "10.78.0.5",
            ])
            .output();
    });
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stderr(&out).contains("it has no host side, so podcap captures inside the pod"),
        "{}",
        text(&out)
    );
    assert!(stdout(&out).contains("ICMP echo request"), "{}", text(&out));
}
