//! `podcap pods` on a node with 500 pods: a simulated bridge node
//! (`scripts/simnode up bridge ... --pods N`: 500 pod namespaces, veths on
//! cbr0, holder processes) with what a kubelet + containerd node has on
//! disk for each pod (tests/podfiles: log directories, cgroup v2
//! directories holding the pod's sandbox and application process, task
//! bundles with realistic specs, libcni's cache, host-local
//! reservations), timed with hyperfine against what an operator without
//! crictl runs instead: every namespace's addresses, `ip -all netns exec
//! ip -o addr`.
//!
//!     scripts/setup --bench      # hyperfine
//!     cargo bench --bench pods_bench -- [PODS] [RUNS]
//!
//! Run as root; it refuses (and says so) where a real kubelet's files are.
//! Everything it made is removed at the end, also on Ctrl-C of hyperfine.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/podfiles/mod.rs"]
mod podfiles;

use std::process::Command;

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let pods: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(500);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(30);
    if Command::new("hyperfine").arg("--version").output().is_err() {
        eprintln!("pods_bench: hyperfine is not installed (scripts/setup --bench)");
        std::process::exit(1);
    }
    eprintln!("pods_bench: building a bridge node with {pods} pods...");
    let w = common::World::up("bridge", pods);
    let Some(mut node) = podfiles::Node::real() else {
        eprintln!("pods_bench: this machine has a kubelet's files; not touching them");
        std::process::exit(1);
    };
    for (i, p) in w.pods.iter().enumerate() {
        let mut f = podfiles::PodFiles::new("bench", &format!("web-{i}"), p.pid.expect("holder"))
            .with_net(
                p.ip.into(),
                &format!("/var/run/netns/{}", p.ns.clone().expect("bind mount")),
                p.host_if.as_deref().expect("host veth"),
            );
        f.qos = ["besteffort", "burstable", "guaranteed"][i % 3];
        f.app_pids = vec![node.spawn_in(&p.netns)];
        node.add(&f);
    }
    let bin = common::podcap_bin();
    let check = Command::new("nsenter")
        .arg(format!("--net={}", w.node("node1").netns.display()))
        .args(["--", bin, "pods", "-n", "bench"])
        .output()
        .expect("run podcap pods");
    let listed = String::from_utf8_lossy(&check.stdout)
        .lines()
        .count()
        .saturating_sub(1);
    eprintln!("pods_bench: podcap pods lists {listed} pods in namespace bench");
    assert_eq!(listed, pods, "{}", String::from_utf8_lossy(&check.stderr));
    // PODS_BENCH_HOLD=FILE keeps the node up until FILE is removed (to
    // look at it by hand).
    if let Some(hold) = std::env::var_os("PODS_BENCH_HOLD") {
        let _ = std::fs::write(&hold, w.node("node1").netns.display().to_string());
        while std::path::Path::new(&hold).exists() {
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        return;
    }
    // nsenter, not `ip netns exec`: that mounts a fresh /sys, which
    // hides the cgroup tree a node's podcap reads.
    let netns = format!("--net={}", w.node("node1").netns.display());
    let _ = Command::new("nsenter")
        .args([&netns, "--", "hyperfine", "-N", "--warmup", "3", "--runs"])
        .arg(runs.to_string())
        .arg(format!("{bin} pods"))
        .arg(format!("{bin} pods --no-netns"))
        .arg(format!("{bin} pods -o json"))
        .status();
    // The anchor: every pod namespace's addresses, one `ip` per pod, as
    // an operator without crictl lists them.
    let list: Vec<String> = w.pods.iter().filter_map(|p| p.ns.clone()).collect();
    let script = format!(
        "for n in {}; do ip -n $n -o addr; done >/dev/null",
        list.join(" ")
    );
    let _ = Command::new("nsenter")
        .args([&netns, "--", "hyperfine", "--warmup", "1", "--runs"])
        .arg((runs / 5).max(3).to_string())
        .arg(&script)
        .status();
}
