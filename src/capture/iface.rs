//! The interface list of `-D`: what tcpdump shows, plus what podcap knows
//! about each interface (kind, bridge master, veth peer).

use super::sys;
use crate::Result;
use std::os::fd::AsRawFd;

/// One interface as `-D` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iface {
    pub index: u32,
    pub name: String,
    pub up: bool,
    pub running: bool,
    pub loopback: bool,
    /// `veth`, `bridge`, `vxlan`, `vlan`, ... (`None`: a plain device).
    pub kind: Option<String>,
    pub master: Option<String>,
    /// For a veth: the peer's ifindex (in its own namespace).
    pub peer_ifindex: Option<u32>,
    pub carrier: Option<bool>,
}

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

/// The interfaces of the current network namespace, by ifindex.
///
/// Names come from `/proc/net/dev` (always the caller's namespace); flags
/// from ioctls; kind, master and peer from sysfs when it shows this
/// namespace.
pub fn list() -> Result<Vec<Iface>> {
    let ctl = sys::ioctl_socket()?;
    let dev = std::fs::read_to_string("/proc/self/net/dev").unwrap_or_default();
    let mut out = Vec::new();
    for line in dev.lines().skip(2) {
        let Some((name, _)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim().to_string();
        let Ok(index) = sys::if_index(ctl.as_raw_fd(), &name) else {
            continue;
        };
        let flags = sys::if_flags(ctl.as_raw_fd(), &name).unwrap_or(0);
        let base = format!("/sys/class/net/{name}");
        // sysfs may belong to another namespace (after setns): trust it
        // only when it agrees on the index.
        let sysfs_ok = read(&format!("{base}/ifindex")) == Some(index.to_string());
        let (kind, master, peer, carrier) = if sysfs_ok {
            let uevent = read(&format!("{base}/uevent")).unwrap_or_default();
            let mut kind = uevent
                .lines()
                .find_map(|l| l.strip_prefix("DEVTYPE="))
                .map(str::to_string);
            let driver = std::fs::read_link(format!("{base}/device/driver"))
                .ok()
                .and_then(|p| p.file_name().map(|s| s.to_string_lossy().into_owned()));
            let iflink: Option<u32> = read(&format!("{base}/iflink")).and_then(|s| s.parse().ok());
            let peer = iflink.filter(|&l| l != index);
            if kind.is_none() {
                kind = match std::fs::read_link(format!("{base}/device")) {
                    Ok(_) => driver,
                    Err(_)
                        if peer.is_some()
                            && read(&format!("{base}/type")).as_deref() == Some("1") =>
                    {
                        Some("veth".into())
                    }
                    Err(_) => None,
                };
            }
            let master = std::fs::read_link(format!("{base}/master"))
                .ok()
                .and_then(|p| p.file_name().map(|s| s.to_string_lossy().into_owned()));
            let carrier = read(&format!("{base}/carrier")).map(|c| c == "1");
            (kind, master, peer, carrier)
        } else {
            (None, None, None, None)
        };
        out.push(Iface {
            index,
            name,
            up: flags & libc::IFF_UP as u32 != 0,
            running: flags & libc::IFF_RUNNING as u32 != 0,
            loopback: flags & libc::IFF_LOOPBACK as u32 != 0,
            kind,
            master,
            peer_ifindex: peer,
            carrier,
        });
    }
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
        if let Some(k) = &i.kind {
            d.push(k.clone());
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
                kind: None,
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
                kind: Some("veth".into()),
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
