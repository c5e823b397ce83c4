//! What every command that takes a pod IP accepts instead: `NS/NAME`,
//! `NAME` when one pod on the node has it, the pod's UID, or a prefix of
//! one of its container (or sandbox) IDs, resolved from the node's files
//! ([`super::discover`]). An IPv6 link-local address may carry its scope
//! (`fe80::1%eth0`).

use super::names::is_uid;
use super::{Inventory, Options, Pod, State, discover};
use crate::netlink::Socket;
use crate::{Error, Result};
use std::net::IpAddr;

/// A pod, or an address, to locate or capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub ip: IpAddr,
    /// The zone of an IPv6 link-local address (`%eth0`, `%7`).
    pub scope: Option<String>,
    /// The pod the argument named, when it named one.
    pub pod: Option<Pod>,
    /// How the argument became `ip`, for the evidence.
    pub how: Option<String>,
}

/// Resolves `arg` with the default options (root chosen as
/// [`super::Root::choose`] does, namespaces entered).
pub fn resolve_target(arg: &str) -> Result<Target> {
    resolve_target_with(arg, &Options::default())
}

fn bare(ip: IpAddr, scope: Option<String>) -> Target {
    Target {
        ip,
        scope,
        pod: None,
        how: None,
    }
}

/// Resolves `arg`: an IP (with `%scope` for IPv6 link-local), or a pod
/// of this node by `NS/NAME`, `NAME`, UID or container ID prefix.
pub fn resolve_target_with(arg: &str, opts: &Options) -> Result<Target> {
    if let Ok(ip) = arg.parse::<IpAddr>() {
        return Ok(bare(ip, None));
    }
    if let Some((addr, zone)) = arg.split_once('%') {
        return match addr.parse::<IpAddr>() {
            Ok(ip @ IpAddr::V6(_)) if !zone.is_empty() => Ok(bare(ip, Some(zone.to_string()))),
            Ok(_) if zone.is_empty() => Err(Error::usage(format!(
                "`{arg}` has an empty scope after `%`"
            ))
            .hint("name the interface the address is on: fe80::1%eth0")),
            Ok(_) => Err(Error::usage(format!(
                "`{arg}`: only IPv6 addresses take a `%scope`"
            ))),
            Err(_) => Err(Error::usage(format!("`{arg}` is not an IP address"))
                .hint("an IPv6 link-local address with its scope looks like fe80::1%eth0")),
        };
    }
    let inv = discover(opts)?;
    let pod = find(&inv, arg)?;
    let ip = match (pod.primary_ip(), pod.host_network) {
        (_, true) => node_ip().ok_or_else(|| {
            Error::not_found(
                format!("the IP of hostNetwork pod {}", pod.full_name()),
                "the pod uses the node's addresses, and this node has no default-route source address",
            )
        })?,
        (Some(ip), _) => ip,
        (None, _) => {
            return Err(Error::not_found(
                format!("the IP of pod {}", pod.full_name()),
                match pod.state {
                    State::Gone => format!(
                        "only files of it remain ({}): it is not running on this node",
                        pod.source_names()
                    ),
                    State::Running => format!(
                        "neither its network namespace nor the files ({}) give it an address",
                        pod.source_names()
                    ),
                },
            )
            .hint("check it with `podcap pods -o wide`"));
        }
    };
    let how = format!(
        "{arg} is pod {} (uid {}; {}){}: {}{ip}",
        pod.full_name(),
        pod.uid.as_deref().unwrap_or("?"),
        pod.source_names(),
        if pod.host_network {
            ", a hostNetwork pod"
        } else {
            ""
        },
        if pod.host_network {
            "the node's address "
        } else if pod.sources.contains(&super::Source::Netns) {
            "its namespace holds "
        } else {
            "the files give "
        },
    );
    Ok(Target {
        ip,
        scope: None,
        pod: Some(pod.clone()),
        how: Some(how),
    })
}

/// The node's own address: the source of its default route.
fn node_ip() -> Option<IpAddr> {
    let mut nl = Socket::open().ok()?;
    nl.route_get(IpAddr::from([192, 0, 2, 1]), false)
        .ok()
        .and_then(|r| r.prefsrc)
}

fn one<'a>(arg: &str, what: &str, hits: Vec<&'a Pod>) -> Result<Option<&'a Pod>> {
    match hits.len() {
        0 => Ok(None),
        1 => Ok(hits.into_iter().next()),
        n => {
            let names: Vec<String> = hits.iter().map(|p| p.full_name()).collect();
            Err(Error::usage(format!(
                "`{arg}` {what} {n} pods on this node: {}",
                names.join(", ")
            ))
            .hint("give NAMESPACE/NAME (see `podcap pods`)"))
        }
    }
}

fn find<'a>(inv: &'a Inventory, arg: &str) -> Result<&'a Pod> {
    // Running pods first: a pod recreated under the same name leaves the
    // old one's files behind for a while.
    let live: Vec<&Pod> = inv
        .pods
        .iter()
        .filter(|p| p.state == State::Running)
        .collect();
    let pools = [live, inv.pods.iter().collect::<Vec<_>>()];
    for pool in &pools {
        let hit = if let Some((ns, name)) = arg.split_once('/') {
            one(
                arg,
                "names",
                pool.iter()
                    .copied()
                    .filter(|p| {
                        p.namespace.as_deref() == Some(ns) && p.name.as_deref() == Some(name)
                    })
                    .collect(),
            )?
        } else if is_uid(arg) {
            one(
                arg,
                "is the UID of",
                pool.iter()
                    .copied()
                    .filter(|p| p.uid.as_deref() == Some(arg))
                    .collect(),
            )?
        } else {
            let by_name = one(
                arg,
                "names",
                pool.iter()
                    .copied()
                    .filter(|p| p.name.as_deref() == Some(arg))
                    .collect(),
            )?;
            match by_name {
                Some(p) => Some(p),
                None if arg.len() >= 4 && arg.bytes().all(|c| c.is_ascii_hexdigit()) => {
                    let lower = arg.to_ascii_lowercase();
                    one(
                        arg,
                        "is a prefix of container IDs in",
                        pool.iter()
                            .copied()
                            .filter(|p| {
                                p.sandbox.as_deref().is_some_and(|s| s.starts_with(&lower))
                                    || p.containers.iter().any(|c| c.id.starts_with(&lower))
                            })
                            .collect(),
                    )?
                }
                None => None,
            }
        };
        if let Some(p) = hit {
            return Ok(p);
        }
    }
    Err(Error::not_found(
        format!("`{arg}` is not an IP address, nor a pod on this node"),
        format!(
            "no pod is called that, has that UID or a container ID starting so (sources read under {}: {})",
            inv.root.path.display(),
            inv.sources_line()
        ),
    )
    .hint("give the pod IP (`kubectl get pod -o wide`), or NAMESPACE/NAME of a pod `podcap pods` lists"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_scopes_need_no_files() {
        let o = Options {
            root: super::super::Root {
                path: "/nonexistent-podcap-root".into(),
                why: None,
            },
            enter: false,
        };
        assert_eq!(
            resolve_target_with("10.244.0.5", &o).unwrap().ip,
            "10.244.0.5".parse::<IpAddr>().unwrap()
        );
        let t = resolve_target_with("fe80::1%eth0", &o).unwrap();
        assert_eq!(t.scope.as_deref(), Some("eth0"));
        assert!(resolve_target_with("fe80::1%", &o).is_err());
        assert!(resolve_target_with("10.0.0.1%eth0", &o).is_err());
        let e = resolve_target_with("icmp", &o).unwrap_err();
        assert!(e.to_string().contains("`icmp` is not an IP address"), "{e}");
        assert_eq!(e.kind, crate::error::Kind::NotFound);
    }
}
