//! Step 2: the route's device is a Linux bridge (cni0, cbr0, docker0,
//! weave): the pod's neighbour entry (pinging when missing or stale), the
//! bridge FDB entry for its MAC, and the port number naming the veth, as
//! the article does with `arp -na`, `brctl showmacs` and `brctl showstp`.

use super::{Ctx, Location, Method, base, finish_local_path, not_a_pod, podside, sysfs};
use crate::error::Kind;
use crate::netlink::{Link, Neigh, neigh as nd};
use crate::{Error, Result};
use std::net::IpAddr;

/// Step 2: bridge, neighbour, FDB port, port number.
pub(super) fn via_bridge(cx: &mut Ctx<'_>, ip: IpAddr, br: &Link) -> Result<Location> {
    let mut n = cx.neigh(ip, br.ifindex)?;
    let mut ping_err = None;
    let fresh = |n: &Option<Neigh>| {
        n.as_ref().is_some_and(|n| {
            n.is_resolved() && n.state & (nd::NUD_STALE | nd::NUD_FAILED | nd::NUD_INCOMPLETE) == 0
        })
    };
    if !fresh(&n) {
        let why = match &n {
            None => "no neighbour entry".to_string(),
            Some(e) => format!("neighbour entry is {}", nd::state_names(e.state)),
        };
        if cx.opts.ping && super::is_link_local(ip) {
            // podcap's ping has no zone to send a link-local echo by.
            cx.step(format!(
                "{why} on {}; not pinging a link-local address (ping -I {} {ip} would)",
                br.name, br.name
            ));
        } else if cx.opts.ping {
            match crate::ping::ping_once(ip, cx.opts.timeout) {
                Ok(Some(r)) => cx.step(format!(
                    "ping {ip} -c1 ({why} on {}): 64 bytes from {ip}: icmp_seq=1 time={:.3} ms",
                    br.name,
                    r.rtt.as_secs_f64() * 1e3
                )),
                Ok(None) => cx.step(format!(
                    "ping {ip} -c1 ({why} on {}): no reply within {:.1} s",
                    br.name,
                    cx.opts.timeout.as_secs_f64()
                )),
                Err(e) => {
                    cx.step(format!("ping {ip} -c1 ({why} on {}): {}", br.name, e.why));
                    ping_err = Some(e);
                }
            }
            n = cx.neigh(ip, br.ifindex)?;
        } else {
            cx.step(format!("{why} on {}; not pinging (--no-ping)", br.name));
        }
    }
    let mac = n.as_ref().filter(|n| n.is_resolved()).and_then(|n| n.mac());
    let Some(mac) = mac else {
        if let Some(n) = &n {
            cx.step(format!(
                "neighbour: {ip} dev {} {}",
                br.name,
                nd::state_names(n.state)
            ));
        }
        // No MAC from this side: the pod's own namespace may still tell.
        let state = n
            .as_ref()
            .map(|n| nd::state_names(n.state))
            .unwrap_or_else(|| "missing".into());
        return podside::by_scan(cx, ip, br).map_err(|e| {
            if !matches!(e.kind, Kind::NotFound | Kind::Permission) {
                return e;
            }
            match ping_err {
                Some(pe) if pe.kind == Kind::Permission => {
                    let mut p = Error::os(
                        format!("locate {ip}"),
                        std::io::Error::from_raw_os_error(pe.errno.unwrap_or(libc::EPERM)),
                        Some("CAP_NET_RAW"),
                    );
                    p.why = format!(
                        "its neighbour entry on bridge {} is {state}, and the ping that would \
                         resolve it was refused ({}); CAP_NET_RAW is needed (CAP_SYS_ADMIN to \
                         look inside pod namespaces instead)",
                        br.name, pe.why
                    );
                    p
                }
                // The ping ran and nothing answered: the node side says
                // no, and only the optional pod-side search could not run.
                _ if e.kind == Kind::Permission && cx.opts.ping => not_a_pod(
                    ip,
                    format!(
                        "the kernel routes it to bridge {}, but nothing answered ARP (neighbour \
                         {state}); the pods' own namespaces could not be searched ({})",
                        br.name, e.why
                    ),
                ),
                _ if e.kind == Kind::Permission => e,
                Some(pe) if pe.kind != Kind::NotFound => pe,
                _ => not_a_pod(
                    ip,
                    format!(
                        "the kernel routes it to bridge {}, but nothing answered ARP \
                         (neighbour {state}) and no network namespace here holds it",
                        br.name
                    ),
                ),
            }
        });
    };
    if let Some(n) = &n {
        cx.step(format!(
            "ip neigh: {ip} dev {} lladdr {} {}",
            br.name,
            nd::format_mac(&mac),
            nd::state_names(n.state)
        ));
    }
    let port = fdb_port(cx, br, mac)?;
    let Some(port) = port else {
        cx.step(format!(
            "bridge fdb: {} not in {}'s forwarding table",
            nd::format_mac(&mac),
            br.name
        ));
        return podside::by_scan(cx, ip, br);
    };
    let host = cx.link(port).ok_or_else(|| {
        Error::format(
            format!("bridge {} port {port}", br.name),
            "the port vanished during the lookup",
        )
    })?;
    let mut loc = base(ip, &host, Method::Bridge);
    loc.bridge = Some(br.name.clone());
    loc.mac = Some(mac);
    podside::cross_check(cx, &mut loc, &host);
    finish_local_path(cx, &mut loc, Some(br.ifindex));
    Ok(loc)
}

/// The bridge port (ifindex) that `mac` was learned on: netlink FDB first,
/// brforward as fallback; records brctl-style evidence.
fn fdb_port(cx: &mut Ctx<'_>, br: &Link, mac: [u8; 6]) -> Result<Option<u32>> {
    let via_nl = if fdb_from_sysfs() {
        None
    } else {
        cx.nl
            .fdb_get(mac, br.ifindex)
            .ok()
            .flatten()
            .filter(|e| e.ifindex != br.ifindex)
    };
    if let Some(e) = via_nl {
        let Some(port) = cx.link(e.ifindex) else {
            return Ok(None);
        };
        let by_sysfs = sysfs::port_attr(&br.name, &port.name, "port_no")
            .and_then(|s| u16::from_str_radix(s.trim_start_matches("0x"), 16).ok());
        let no = port.brport_no.or(by_sysfs);
        let age = e
            .cache
            .map(|c| format!(", ageing {}.{:02} s", c.updated / 100, c.updated % 100))
            .unwrap_or_default();
        let no_s = no.map(|n| n.to_string()).unwrap_or_else(|| "?".into());
        cx.step(format!(
            "bridge fdb: {} dev {} master {} (brctl showmacs {}: port {no_s}{age})",
            nd::format_mac(&mac),
            port.name,
            br.name,
            br.name,
        ));
        let source = if by_sysfs.is_some() {
            format!("/sys/class/net/{}/brif/{}/port_no", br.name, port.name)
        } else {
            "IFLA_BRPORT_NO".to_string()
        };
        cx.step(format!(
            "brctl showstp {}: port {no_s} is {} ({source})",
            br.name, port.name
        ));
        return Ok(Some(e.ifindex));
    }
    // Fallback, the article's way: brforward gives the port number, the
    // port number names the interface (`brctl showstp BR | grep "(7)"`).
    let Ok(v) = sysfs::brforward(&br.name) else {
        return Ok(None);
    };
    let Some(e) = v.into_iter().find(|e| e.mac == mac && !e.is_local) else {
        return Ok(None);
    };
    let no = e.port_no;
    cx.step(format!(
        "brctl showmacs {}: {} on port {no} (from /sys/class/net/{}/brforward)",
        br.name,
        nd::format_mac(&mac),
        br.name
    ));
    let by_sysfs = sysfs::ports(&br.name)
        .ok()
        .and_then(|v| v.into_iter().find(|(_, n)| *n == no))
        .map(|(name, _)| name);
    let idx = match by_sysfs {
        Some(name) => {
            cx.step(format!(
                "brctl showstp {}: port {no} is {name} (/sys/class/net/{}/brif/{name}/port_no)",
                br.name, br.name
            ));
            cx.link_named(&name).map(|l| l.ifindex)
        }
        None => cx
            .nl
            .links_filtered(Some(br.ifindex), None)?
            .into_iter()
            .find(|l| l.brport_no == Some(no))
            .map(|l| l.ifindex),
    };
    Ok(idx)
}

/// `PODCAP_FDB=sysfs` skips the netlink FDB and reads
/// `/sys/class/net/BR/brforward` as bridge-utils does (the fallback for
/// kernels or sandboxes without AF_BRIDGE neighbour dumps, forced).
pub fn fdb_from_sysfs() -> bool {
    std::env::var_os("PODCAP_FDB").is_some_and(|v| v == "sysfs")
}
