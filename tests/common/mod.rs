//! Simulated Kubernetes nodes for integration tests.
//!
//! A [`World`] is one or two nodes wired the way a CNI wires them, built by
//! `scripts/simnode` entirely inside network namespaces (nothing on the
//! host's own interfaces), with every pod a namespace of its own: `eth0`
//! and a `sleep` process holding it. Dropping the `World` tears it all down,
//! also when the test panics.
//!
//! ```ignore
//! mod common;
//! use common::World;
//!
//! let w = World::up("flannel", 4);          // pod1, pod2 on node1; pod3, pod4 on node2
//! let pod = w.pod("pod1");
//! w.flush_neigh("node1");
//! let out = w.podcap("node1", &["locate", &pod.ip.to_string()]);
//! assert!(out.status.success(), "{}", common::text(&out));
//! assert!(common::stdout(&out).contains(pod.host_if.as_deref().unwrap()));
//! ```
//!
//! Layouts (see the comments in `scripts/simnode` for the exact wiring):
//! `flannel` (node1 + node2, cni0 bridge, veth<8 hex>, flannel.1 VXLAN VNI 1
//! UDP 8472 over an underlay veth 192.168.56.11 <-> .12, pod CIDRs
//! 10.244.0.0/24 and 10.244.1.0/24), `calico` (cali<11 hex>, proxy_arp,
//! /32 routes, pods default via 169.254.1.1), `cilium` (lxc<12 hex>, /32
//! routes, cilium_host 10.0.0.1), `kindnet` (ptp: veth<8 hex> carrying the
//! gateway 10.244.0.1/32), `bridge` (cbr0 10.22.0.1/16, up to 4000 pods),
//! `awsvpc` (eni<11 hex>, pod routes only in per-ENI tables 2/3 reached by
//! `ip rule ... prio 512`), `macvlan` (pod eth0 a macvlan on node eth0, no
//! host-side interface). Single-node layouts also have an `ext` namespace,
//! 192.168.56.1, the node's default gateway ("the rest of the network").
//!
//! Every pod record says what `podcap locate` must answer on its own node:
//! `host_if` (and `method`: `bridge`, `route` or `macvlan`); on the other
//! flannel node the answer is the tunnel (`node.tunnel`, `node.peer_underlay_ip`).
#![allow(dead_code)]

pub mod capture;

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Every layout `scripts/simnode` builds.
pub const LAYOUTS: &[&str] = &[
    "flannel",
    "calico",
    "cilium",
    "kindnet",
    "bridge",
    "awsvpc",
    "macvlan",
    "cni-flannel",
    "cni-ipmasq",
    "cni-ptp",
    "cni-macvlan",
];

/// The podcap binary under test (static, musl).
pub fn podcap_bin() -> &'static str {
    env!("CARGO_BIN_EXE_podcap")
}

/// The repository root.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn simnode() -> PathBuf {
    repo().join("scripts/simnode")
}

/// A simulated node (a network namespace).
#[derive(Debug, Clone)]
pub struct Node {
    pub name: String,
    /// Namespace name, for `ip -n` / `ip netns exec`.
    pub ns: String,
    pub netns: PathBuf,
    pub underlay_if: String,
    pub underlay_ip: Ipv4Addr,
    /// The node's pod CIDR, e.g. `10.244.0.0/24`.
    pub pod_cidr: String,
    /// The pods' gateway address as the pods see it.
    pub gw: String,
    pub bridge: Option<String>,
    /// VXLAN device (flannel: `flannel.1`).
    pub tunnel: Option<String>,
    pub tunnel_mac: Option<String>,
    pub vxlan_port: Option<u16>,
    /// The other flannel node's underlay address.
    pub peer_underlay_ip: Option<Ipv4Addr>,
    /// Every key of the description line, including the ones above.
    pub attrs: BTreeMap<String, String>,
}

/// How a pod's network namespace is kept alive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// A `/run/netns` bind mount and a process.
    Both,
    /// Only a process (found via `/proc/PID/ns/net`).
    Process,
    /// Only the `/run/netns` bind mount (no process in it).
    Mount,
}

/// A simulated pod (a network namespace with `eth0`).
#[derive(Debug, Clone)]
pub struct Pod {
    pub name: String,
    /// The node it runs on.
    pub node: String,
    /// Namespace name (None when held only by a process).
    pub ns: Option<String>,
    /// `/run/netns/NAME`, or `/proc/PID/ns/net` when held only by a process.
    pub netns: PathBuf,
    /// The holder process (None when held only by the bind mount).
    pub pid: Option<u32>,
    pub holder: Holder,
    pub ip: Ipv4Addr,
    pub prefix: u8,
    /// The pod's eth0 MAC (lower-case, colon-separated).
    pub mac: String,
    pub gw: String,
    /// Host-side interface on its node: the answer `locate` must give there.
    /// None for macvlan pods.
    pub host_if: Option<String>,
    pub host_mac: Option<String>,
    /// The bridge the host side is a port of (cni0, cbr0).
    pub bridge: Option<String>,
    /// `bridge`, `route` or `macvlan`.
    pub method: String,
    /// macvlan parent interface on the node.
    pub parent: Option<String>,
    /// awsvpc: the ENI and route table the pod belongs to.
    pub eni: Option<String>,
    pub table: Option<u32>,
    pub attrs: BTreeMap<String, String>,
}

/// A world of simulated nodes; torn down on drop.
#[derive(Debug)]
pub struct World {
    pub id: String,
    pub layout: String,
    pub nodes: Vec<Node>,
    pub pods: Vec<Pod>,
    /// Single-node layouts: the "outside" namespace at 192.168.56.1.
    pub ext: Option<Node>,
    /// The raw description printed by `scripts/simnode up`.
    pub description: String,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// `ping -c 1 -w 5`: stop at the first reply, give up after 5 s.
const PING_ARGS: [&str; 9] = ["ping", "-c", "1", "-w", "5", "-i", "0.2", "-q", "DST"];

/// A world ID unique per process, call and test: `t<pid>x<counter>x<hash of test name>`.
fn unique_id() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = std::thread::current().name().unwrap_or("main").to_string();
    // FNV-1a: stable and dependency-free.
    let mut h: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    format!("t{}x{}x{:04x}", std::process::id(), n, h & 0xffff)
}

fn none_if_dash(v: Option<&String>) -> Option<String> {
    v.filter(|s| s.as_str() != "-").cloned()
}

fn parse_line(line: &str) -> (String, BTreeMap<String, String>) {
    let mut words = line.split_whitespace();
    let kind = words.next().unwrap_or("").to_string();
    let attrs = words
        .filter_map(|w| w.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    (kind, attrs)
}

fn req<'a>(a: &'a BTreeMap<String, String>, k: &str, line: &str) -> &'a str {
    a.get(k)
        .map(String::as_str)
        .unwrap_or_else(|| panic!("simnode description line lacks {k}=: {line}"))
}

fn parse_node(a: BTreeMap<String, String>, line: &str) -> Node {
    Node {
        name: req(&a, "name", line).to_string(),
        ns: req(&a, "ns", line).to_string(),
        netns: PathBuf::from(req(&a, "netns", line)),
        underlay_if: a
            .get("underlay_if")
            .or(a.get("if"))
            .cloned()
            .unwrap_or_default(),
        underlay_ip: a
            .get("underlay_ip")
            .or(a.get("ip"))
            .and_then(|s| s.parse().ok())
            .unwrap_or(Ipv4Addr::UNSPECIFIED),
        pod_cidr: a.get("pod_cidr").cloned().unwrap_or_default(),
        gw: a.get("gw").cloned().unwrap_or_default(),
        bridge: none_if_dash(a.get("bridge")),
        tunnel: none_if_dash(a.get("tunnel")),
        tunnel_mac: none_if_dash(a.get("tunnel_mac")),
        vxlan_port: a.get("vxlan_port").and_then(|s| s.parse().ok()),
        peer_underlay_ip: a.get("peer_underlay_ip").and_then(|s| s.parse().ok()),
        attrs: a,
    }
}

fn parse_pod(a: BTreeMap<String, String>, line: &str) -> Pod {
    let holder = match req(&a, "holder", line) {
        "process" => Holder::Process,
        "mount" => Holder::Mount,
        _ => Holder::Both,
    };
    Pod {
        name: req(&a, "name", line).to_string(),
        node: req(&a, "node", line).to_string(),
        ns: none_if_dash(a.get("ns")),
        netns: PathBuf::from(req(&a, "netns", line)),
        pid: a.get("pid").and_then(|s| s.parse().ok()),
        holder,
        ip: req(&a, "ip", line)
            .parse()
            .unwrap_or_else(|_| panic!("bad ip in {line}")),
        prefix: a.get("prefix").and_then(|s| s.parse().ok()).unwrap_or(32),
        mac: req(&a, "mac", line).to_string(),
        gw: a.get("gw").cloned().unwrap_or_default(),
        host_if: none_if_dash(a.get("host_if")),
        host_mac: none_if_dash(a.get("host_mac")),
        bridge: none_if_dash(a.get("bridge")),
        method: req(&a, "method", line).to_string(),
        parent: none_if_dash(a.get("parent")),
        eni: none_if_dash(a.get("eni")),
        table: a.get("table").and_then(|s| s.parse().ok()),
        attrs: a,
    }
}

impl World {
    /// Builds `layout` with `pods` pods (flannel spreads them over its two
    /// nodes, node1 gets the odd one). Panics with simnode's stderr if the
    /// world cannot be built.
    pub fn up(layout: &str, pods: usize) -> World {
        World::up_args(layout, &["--pods", &pods.to_string()])
    }

    /// Flannel with an explicit count per node.
    pub fn flannel(node1_pods: usize, node2_pods: usize) -> World {
        World::up_args(
            "flannel",
            &["--pods", &format!("{node1_pods},{node2_pods}")],
        )
    }

    /// Like [`World::up`], with pods held only by a process (`process_only`,
    /// pod numbers, 1-based) or only by a bind mount (`mount_only`).
    pub fn up_holders(
        layout: &str,
        pods: usize,
        process_only: &[usize],
        mount_only: &[usize],
    ) -> World {
        let list = |v: &[usize]| {
            v.iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        let (p, m) = (list(process_only), list(mount_only));
        let mut args = vec!["--pods".to_string(), pods.to_string()];
        if !p.is_empty() {
            args.extend(["--process-only".to_string(), p]);
        }
        if !m.is_empty() {
            args.extend(["--mount-only".to_string(), m]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        World::up_args(layout, &args)
    }

    /// `scripts/simnode up LAYOUT ID ARGS...`.
    pub fn up_args(layout: &str, args: &[&str]) -> World {
        let id = unique_id();
        // A crashed earlier run with the same pid could have left this ID.
        let _ = Command::new(simnode()).args(["down", &id]).output();
        let out = Command::new(simnode())
            .args(["up", layout, &id])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", simnode().display()));
        if !out.status.success() {
            let _ = Command::new(simnode()).args(["down", &id]).output();
            panic!(
                "scripts/simnode up {layout} {id} {args:?} failed ({}):\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let description = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut w = World {
            id,
            layout: layout.to_string(),
            nodes: Vec::new(),
            pods: Vec::new(),
            ext: None,
            description: description.clone(),
        };
        for line in description.lines() {
            let (kind, a) = parse_line(line);
            match kind.as_str() {
                "node" => w.nodes.push(parse_node(a, line)),
                "ext" => w.ext = Some(parse_node(a, line)),
                "pod" => w.pods.push(parse_pod(a, line)),
                _ => {}
            }
        }
        assert!(
            !w.nodes.is_empty(),
            "simnode described no node:\n{description}"
        );
        w
    }

    pub fn node(&self, name: &str) -> &Node {
        self.nodes
            .iter()
            .chain(self.ext.iter())
            .find(|n| n.name == name)
            .unwrap_or_else(|| panic!("world {} has no node {name}", self.id))
    }

    pub fn pod(&self, name: &str) -> &Pod {
        self.pods
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("world {} has no pod {name}", self.id))
    }

    /// Pods on `node`.
    pub fn pods_on<'a>(&'a self, node: &'a str) -> impl Iterator<Item = &'a Pod> + 'a {
        self.pods.iter().filter(move |p| p.node == node)
    }

    /// The interface `podcap locate POD_IP` must name when run on `node`:
    /// the pod's host side on its own node, the tunnel device (flannel.1)
    /// on the other node, the parent interface for a macvlan pod.
    pub fn expected_ifname(&self, node: &str, pod: &str) -> String {
        let p = self.pod(pod);
        if p.node != node {
            let n = self.node(node);
            return n
                .tunnel
                .clone()
                .unwrap_or_else(|| panic!("{node} has no tunnel to reach {pod}"));
        }
        p.host_if
            .clone()
            .or_else(|| p.parent.clone())
            .unwrap_or_else(|| panic!("{pod} has no host-side interface"))
    }

    /// The command `ip netns exec NODE_NS ARGV...`, for spawning or piping.
    pub fn command(&self, node: &str, argv: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.node(node).ns]).args(argv);
        c.stdin(Stdio::null());
        c
    }

    /// Runs ARGV inside `node`'s namespace (`ip netns exec`); waits.
    pub fn exec(&self, node: &str, argv: &[&str]) -> Output {
        run(self.command(node, argv))
    }

    /// The command running the podcap binary under test inside `node`.
    pub fn podcap_command(&self, node: &str, args: &[&str]) -> Command {
        let mut argv = vec![podcap_bin()];
        argv.extend_from_slice(args);
        self.command(node, &argv)
    }

    /// Runs the podcap binary under test inside `node`'s namespace, as root.
    pub fn podcap(&self, node: &str, args: &[&str]) -> Output {
        run(self.podcap_command(node, args))
    }

    /// Runs podcap inside `node` as user nobody with no capabilities at all
    /// (`setpriv`), for the "caller lacks CAP_NET_ADMIN/CAP_NET_RAW" cases.
    pub fn podcap_unprivileged(&self, node: &str, args: &[&str]) -> Output {
        let mut argv = vec![podcap_bin()];
        argv.extend_from_slice(args);
        self.exec_unprivileged(node, &argv)
    }

    /// Runs ARGV inside `node` as user nobody (65534) with empty effective,
    /// permitted, inheritable and bounding capability sets.
    pub fn exec_unprivileged(&self, node: &str, argv: &[&str]) -> Output {
        let mut all = vec![
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--",
        ];
        all.extend_from_slice(argv);
        self.exec(node, &all)
    }

    /// The command running ARGV inside pod's namespace (`nsenter --net=`,
    /// which also works for pods held only by a process).
    pub fn pod_command(&self, pod: &str, argv: &[&str]) -> Command {
        let p = self.pod(pod);
        let mut c = Command::new("nsenter");
        c.arg(format!("--net={}", p.netns.display()))
            .arg("--")
            .args(argv);
        c.stdin(Stdio::null());
        c
    }

    /// Runs ARGV inside `pod`'s network namespace; waits.
    pub fn pod_exec(&self, pod: &str, argv: &[&str]) -> Output {
        run(self.pod_command(pod, argv))
    }

    /// Starts ARGV inside `node` in the background (stdout/stderr piped).
    pub fn spawn(&self, node: &str, argv: &[&str]) -> Child {
        self.command(node, argv)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn {argv:?} in {node}: {e}"))
    }

    /// Starts ARGV inside `pod` in the background (stdout/stderr piped).
    pub fn pod_spawn(&self, pod: &str, argv: &[&str]) -> Child {
        self.pod_command(pod, argv)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn {argv:?} in {pod}: {e}"))
    }

    /// Removes every non-permanent neighbour entry on `node`, so that the
    /// next `locate` must ping to learn the pod's MAC. (Flannel's permanent
    /// VTEP neighbours stay, as on a real node.)
    pub fn flush_neigh(&self, node: &str) {
        let out = self.exec(node, &["ip", "neigh", "flush", "all"]);
        assert!(
            out.status.success(),
            "ip neigh flush in {node}: {}",
            text(&out)
        );
        // Bridges keep learned MACs for 300 s: forget those too, so the FDB
        // step is fed by the ping, not by earlier traffic.
        for n in self.nodes.iter().filter(|n| n.name == node) {
            if let Some(br) = &n.bridge {
                let _ = self.exec(
                    node,
                    &["ip", "link", "set", br, "type", "bridge", "fdb_flush"],
                );
            }
        }
    }

    /// ICMP echo from `pod` to `dst` (system ping); true once one is
    /// answered. Retries every 0.2 s for up to 5 s, so a loaded machine
    /// (ARP first, then the echo) does not make it flaky.
    pub fn ping_from_pod(&self, pod: &str, dst: &str) -> bool {
        self.pod_exec(pod, &PING_ARGS.map(|a| if a == "DST" { dst } else { a }))
            .status
            .success()
    }

    /// ICMP echo from `node` to `dst`, as [`World::ping_from_pod`].
    pub fn ping_from_node(&self, node: &str, dst: &str) -> bool {
        self.exec(node, &PING_ARGS.map(|a| if a == "DST" { dst } else { a }))
            .status
            .success()
    }

    /// Names of the interfaces in `node`.
    pub fn links(&self, node: &str) -> Vec<String> {
        let out = self.exec(node, &["ip", "-o", "link", "show"]);
        stdout(&out)
            .lines()
            .filter_map(|l| l.split(": ").nth(1))
            .map(|n| n.split('@').next().unwrap_or(n).to_string())
            .collect()
    }

    /// Tears the world down now (also done on drop).
    pub fn down(&self) {
        let out = Command::new(simnode())
            .args(["down", &self.id])
            .stdin(Stdio::null())
            .output();
        match out {
            Ok(o) if o.status.success() => {}
            Ok(o) => eprintln!(
                "scripts/simnode down {} failed: {}",
                self.id,
                String::from_utf8_lossy(&o.stderr)
            ),
            Err(e) => eprintln!("cannot run scripts/simnode down {}: {e}", self.id),
        }
    }
}

impl Drop for World {
    fn drop(&mut self) {
        self.down();
    }
}

fn run(mut c: Command) -> Output {
    c.output()
        .unwrap_or_else(|e| panic!("cannot run {c:?}: {e}"))
}

/// A command's stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A command's stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Status, stdout and stderr, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "{}\n--- stdout\n{}--- stderr\n{}",
        o.status,
        stdout(o),
        stderr(o)
    )
}

/// Network namespace names currently in /run/netns.
pub fn netns_names() -> Vec<String> {
    std::fs::read_dir("/run/netns")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A dual-stack node with one IPv6 pod on a bridge, built without
/// `scripts/simnode` (which is IPv4 only): node namespace with `br6`
/// (fd00:6::1/64) and port `veth6host`, pod namespace with eth0
/// (fd00:6::2/64). Both namespaces are deleted on drop.
pub struct Ipv6Bridge {
    pub node: String,
    pub pod: String,
}

impl Ipv6Bridge {
    /// `tag` keeps the names of different tests apart; the pid keeps
    /// concurrent runs apart.
    pub fn up(tag: &str) -> Ipv6Bridge {
        let id = std::process::id();
        let w = Ipv6Bridge {
            node: format!("{tag}-{id}-node"),
            pod: format!("{tag}-{id}-pod"),
        };
        let (node, pod) = (&w.node, &w.pod);
        let script = format!(
            "ip netns add {node}; ip netns add {pod}
             ip -n {node} link add br6 type bridge
             ip -n {node} link add veth6host type veth peer name eth0 netns {pod}
             ip -n {node} link set veth6host master br6
             ip -n {node} addr add fd00:6::1/64 dev br6 nodad
             ip -n {pod} addr add fd00:6::2/64 dev eth0 nodad
             ip -n {node} link set br6 up; ip -n {node} link set veth6host up
             ip -n {pod} link set lo up; ip -n {pod} link set eth0 up"
        );
        let st = Command::new("sh")
            .args(["-ec", &script])
            .status()
            .expect("run sh");
        assert!(st.success(), "{script}");
        w
    }
}

impl Drop for Ipv6Bridge {
    fn drop(&mut self) {
        for n in [&self.node, &self.pod] {
            let _ = Command::new("ip").args(["netns", "del", n]).status();
        }
    }
}
