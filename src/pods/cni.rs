//! What CNI leaves on the node:
//!
//! - libcni's result cache, `/var/lib/cni/results/<network>-<id>-<ifname>`
//!   (containerd's CRI plugin and CRI-O both use libcni): a JSON object
//!   `{"kind":"cniCacheV1","containerId":ID,"ifName":..,"networkName":..,
//!   "netns":PATH,"cniArgs":[["K8S_POD_NAMESPACE",..],["K8S_POD_NAME",..],
//!   ["K8S_POD_UID",..],["K8S_POD_INFRA_CONTAINER_ID",..]],"result":{
//!   "interfaces":[{"name":..,"mac":..,"sandbox":..}],"ips":[{"address":
//!   "10.244.0.5/24","interface":2}]}}`;
//! - the host-local IPAM plugin's store, `/var/lib/cni/networks/<network>/<ip>`,
//!   holding `<container id>\r\n<ifname>` (older plugins: the ID alone),
//!   beside `last_reserved_ip.N` and `lock`.

use super::json::{self, Value};
use super::names::{is_container_id, is_namespace, is_pod_name, is_uid};
use std::net::IpAddr;

pub const RESULTS_DIR: &str = "var/lib/cni/results";
pub const NETWORKS_DIR: &str = "var/lib/cni/networks";

/// One cached CNI ADD result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CachedResult {
    pub network: String,
    /// The sandbox (pod infra) container's ID.
    pub container_id: String,
    pub ifname: String,
    pub netns: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub uid: Option<String>,
    pub ips: Vec<IpAddr>,
    /// Interfaces the result names outside the pod (no `sandbox`): the
    /// host-side veth, and the bridge for the bridge plugin.
    pub host_ifs: Vec<String>,
    /// The interface inside the pod the IPs are on.
    pub pod_if: Option<String>,
}

/// Parses a libcni cache file.
pub fn parse_result(text: &[u8]) -> json::Result<CachedResult> {
    let v = json::parse(text)?;
    let bad = |why| json::Error { at: 0, why };
    if v.str("kind") != Some("cniCacheV1") {
        return Err(bad("not a libcni cache file (kind is not cniCacheV1)"));
    }
    let id = v
        .str("containerId")
        .or(v.str("containerID"))
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("no containerId"))?;
    let mut c = CachedResult {
        network: v.str("networkName").unwrap_or_default().to_string(),
        container_id: id.to_string(),
        ifname: v.str("ifName").unwrap_or_default().to_string(),
        netns: v.str("netns").filter(|s| !s.is_empty()).map(str::to_string),
        ..CachedResult::default()
    };
    for pair in v.arr("cniArgs") {
        let p = pair.as_arr();
        let (Some(k), Some(val)) = (
            p.first().and_then(Value::as_str),
            p.get(1).and_then(Value::as_str),
        ) else {
            continue;
        };
        match k {
            "K8S_POD_NAMESPACE" if is_namespace(val) => c.namespace = Some(val.into()),
            "K8S_POD_NAME" if is_pod_name(val) => c.name = Some(val.into()),
            "K8S_POD_UID" if is_uid(val) => c.uid = Some(val.into()),
            _ => {}
        }
    }
    if let Some(r) = v.get("result") {
        let ifs = r.arr("interfaces");
        for i in ifs {
            let name = i.str("name").unwrap_or_default();
            let sandbox = i.str("sandbox").unwrap_or_default();
            if name.is_empty() {
                continue;
            }
            if sandbox.is_empty() {
                c.host_ifs.push(name.to_string());
            } else if c.netns.is_none() {
                c.netns = Some(sandbox.to_string());
            }
        }
        for ip in r.arr("ips") {
            let Some(addr) = ip.str("address").and_then(|a| a.split('/').next()) else {
                continue;
            };
            let Ok(addr) = addr.parse::<IpAddr>() else {
                continue;
            };
            if !c.ips.contains(&addr) {
                c.ips.push(addr);
            }
            let on = ip
                .get("interface")
                .and_then(Value::as_u64)
                .and_then(|n| ifs.get(n as usize));
            if let Some(i) = on.filter(|i| i.str("sandbox").is_some_and(|s| !s.is_empty())) {
                c.pod_if = i.str("name").map(str::to_string);
            }
        }
    }
    if c.pod_if.is_none() && !c.ifname.is_empty() {
        c.pod_if = Some(c.ifname.clone());
    }
    Ok(c)
}

/// One host-local reservation: the file `<ip>` in a network's directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub network: String,
    pub ip: IpAddr,
    pub container_id: String,
    pub ifname: Option<String>,
}

/// Parses a host-local reservation file named `file_name` (an IP) with
/// `text` in it; `None` for the store's other files and garbage.
pub fn parse_reservation(network: &str, file_name: &str, text: &str) -> Option<Reservation> {
    let ip: IpAddr = file_name.parse().ok()?;
    let mut lines = text.split(['\r', '\n']).filter(|l| !l.is_empty());
    let id = lines.next()?.trim();
    // Runtimes other than the CRI ones reserve with other IDs; a pod's is
    // its sandbox's 64 hex digits.
    if !is_container_id(id) {
        return None;
    }
    Some(Reservation {
        network: network.to_string(),
        ip,
        container_id: id.to_string(),
        ifname: lines.next().map(|l| l.trim().to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3f6940ab5ab43bc522569d15b23f8c1bbde1d7678b080398506924fc01d72755";

    #[test]
    fn libcni_cache_of_the_bridge_plugin() {
        let text = format!(
            r#"{{"kind":"cniCacheV1","containerId":"{ID}","config":"eyJ9","ifName":"eth0","networkName":"cbr0",
            "netns":"/var/run/netns/cni-8b86","cniArgs":[["IgnoreUnknown","1"],["K8S_POD_NAMESPACE","default"],
            ["K8S_POD_NAME","web-1"],["K8S_POD_INFRA_CONTAINER_ID","{ID}"],["K8S_POD_UID","0123456789abcdef0123456789abcdef"]],
            "result":{{"cniVersion":"1.0.0","interfaces":[{{"name":"cni0","mac":"aa"}},{{"name":"veth12ab34cd","mac":"bb"}},
            {{"name":"eth0","mac":"cc","sandbox":"/var/run/netns/cni-8b86"}}],
            "ips":[{{"interface":2,"address":"10.244.0.5/24","gateway":"10.244.0.1"}}]}}}}"#
        );
        let c = parse_result(text.as_bytes()).unwrap();
        assert_eq!(c.container_id, ID);
        assert_eq!(
            (c.namespace.as_deref(), c.name.as_deref()),
            (Some("default"), Some("web-1"))
        );
        assert!(c.uid.is_some());
        assert_eq!(c.ips, vec!["10.244.0.5".parse::<IpAddr>().unwrap()]);
        assert_eq!(c.host_ifs, vec!["cni0", "veth12ab34cd"]);
        assert_eq!(c.pod_if.as_deref(), Some("eth0"));
        assert_eq!(c.network, "cbr0");
        assert!(parse_result(br#"{"kind":"other"}"#).is_err());
        assert!(parse_result(br#"{"kind":"cniCacheV1"}"#).is_err());
    }

    #[test]
    fn host_local_reservations() {
        let r = parse_reservation("cbr0", "10.22.0.7", &format!("{ID}\r\neth0")).unwrap();
        assert_eq!(r.ifname.as_deref(), Some("eth0"));
        assert_eq!(r.container_id, ID);
        assert!(
            parse_reservation("cbr0", "fd00::7", ID)
                .unwrap()
                .ifname
                .is_none()
        );
        assert!(parse_reservation("cbr0", "last_reserved_ip.0", "10.22.0.7").is_none());
        assert!(parse_reservation("cbr0", "lock", "").is_none());
        assert!(parse_reservation("cbr0", "10.22.0.8", "podman-abc\r\neth0").is_none());
    }
}
