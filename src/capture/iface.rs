//! The interface list of `-D`: what tcpdump shows, plus what podcap knows
//! about each interface (kind, bridge master, veth peer).
//!
//! The peer of a veth is given by ifindex; when it lives in another network
//! namespace, that index is in the peer's namespace.

use crate::Result;
use crate::netlink::LinkKind;
use crate::netlink::link::{IFF_LOOPBACK, IFF_LOWER_UP, IFF_RUNNING, IFF_UP};

/// One interface as `-D` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iface {
    pub index: u32,
    pub name: String,
    pub up: bool,
    pub running: bool,
    pub loopback: bool,
    pub kind: LinkKind,
    pub master: Option<String>,
    /// For a veth: the peer's ifindex (in its own namespace).
    pub peer_ifindex: Option<u32>,
    pub carrier: Option<bool>,
}

/// The interfaces of the current network namespace, by ifindex, from
/// rtnetlink (right after `--netns` too, where sysfs would still show the
/// namespace it was mounted in).
pub fn list() -> Result<Vec<Iface>> {
    let links = crate::netlink::Socket::open()?.links()?;
    let name_of = |idx: u32| {
        links
            .iter()
            .find(|l| l.ifindex == idx)
            .map(|l| l.name.clone())
            .unwrap_or_else(|| format!("if{idx}"))
    };
    let mut out: Vec<Iface> = links
        .iter()
        .map(|l| {
            let veth = l.kind == LinkKind::Veth;
            Iface {
                index: l.ifindex,
                name: l.name.clone(),
                up: l.flags & IFF_UP != 0,
                running: l.flags & IFF_RUNNING != 0,
                loopback: l.flags & IFF_LOOPBACK != 0,
                kind: l.kind.clone(),
                master: l.master.map(name_of),
                peer_ifindex: if veth {
                    l.link.filter(|&p| p != 0)
                } else {
                    None
                },
                carrier: Some(l.flags & IFF_LOWER_UP != 0),
            }
        })
        .collect();
    out.sort_by_key(|i| i.index);
    Ok(out)
}

/// tcpdump's `-D` lines: `1.eth0 [Up, Running, Connected]`, with podcap's
/// knowledge as the description in parentheses, and `any` after the
/// running interfaces as libpcap orders it.
pub fn format_list(ifaces: &[Iface]) -> String {
    let mut lines = Vec::new();
    let mut rows: Vec<(String, Option<String>, String)> = Vec::new();
    let flags = |i: &Iface| {
        let mut f = Vec::new();
        if i.up {
            f.push("Up");
        }
        if i.running {
            f.push("Running");
        }
        if i.loopback {
            f.push("Loopback");
        } else {
            match i.carrier {
                Some(true) if i.running => f.push("Connected"),
                Some(false) => f.push("Disconnected"),
                _ => {}
            }
        }
        format!("[{}]", f.join(", "))
    };
    let describe = |i: &Iface| {
        let mut d = Vec::new();
        if !i.kind.is_device() {
            d.push(i.kind.to_string());
        }
        if let Some(m) = &i.master {
            d.push(format!("master {m}"));
        }
        if let Some(p) = i.peer_ifindex {
            d.push(format!("peer ifindex {p}"));
        }
        (!d.is_empty()).then(|| d.join(", "))
    };
    let (running, rest): (Vec<&Iface>, Vec<&Iface>) = ifaces
        .iter()
        .partition(|i| i.up && i.running && !i.loopback);
    for i in &running {
        rows.push((i.name.clone(), describe(i), flags(i)));
    }
    rows.push((
        "any".into(),
        Some("Pseudo-device that captures on all interfaces".into()),
        "[Up, Running]".into(),
    ));
    for i in rest {
        rows.push((i.name.clone(), describe(i), flags(i)));
    }
    for (n, (name, desc, flags)) in rows.into_iter().enumerate() {
        match desc {
            Some(d) => lines.push(format!("{}.{name} ({d}) {flags}", n + 1)),
            None => lines.push(format!("{}.{name} {flags}", n + 1)),
        }
    }
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_like_tcpdump() {
        let v = vec![
            Iface {
                index: 1,
                name: "lo".into(),
                up: true,
                running: true,
                loopback: true,
                kind: LinkKind::Device,
                master: None,
                peer_ifindex: None,
                carrier: Some(true),
            },
            Iface {
                index: 5,
                name: "veth1".into(),
                up: true,
                running: true,
                loopback: false,
                kind: LinkKind::Veth,
                master: Some("cni0".into()),
                peer_ifindex: Some(4),
                carrier: Some(true),
            },
        ];
        assert_eq!(
            format_list(&v),
            "1.veth1 (veth, master cni0, peer ifindex 4) [Up, Running, Connected]\n\
             2.any (Pseudo-device that captures on all interfaces) [Up, Running]\n\
             3.lo [Up, Running, Loopback]\n"
        );
    }
}
