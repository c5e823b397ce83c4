//! Fuzzes the readers of the files a node's kubelet, runtime and CNI leave
//! (OCI config.json bundles, libcni's cache, host-local reservations, log
//! and cgroup path names, the JSON reader under them) and the tc/qdisc
//! netlink views: they read what any node has on disk or its kernel says,
//! and must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podcap::pods::{cni, json, names, runtime};

fuzz_target!(|data: &[u8]| {
    let _ = json::parse(data);
    let mut r = json::Reader::new(data);
    let _ = r.skip();
    let _ = runtime::parse_config(data, "id");
    let _ = cni::parse_result(data);
    let _ = podcap::netlink::tc::Qdisc::parse(data);
    let _ = podcap::netlink::tc::Filter::parse(data);
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = cni::parse_reservation("net", s.split('\n').next().unwrap_or(""), s);
        let _ = names::cgroup_pod(s);
        let _ = names::proc_cgroup(s);
        let _ = names::pod_log_dir(s);
        let _ = names::container_log(s);
    }
});
