//! Text, JSON and ASCII-picture forms of a [`Location`], and iproute2's
//! `ip route get` line.

use super::datapath::Moves;
use super::{Location, Method, Place};
use crate::netlink::Route;
use crate::netlink::neigh::format_mac;
use crate::netlink::route::{RTM_F_CLONED, RouteType, protocol_name, table_name};

/// The first line of `ip route get` (without its trailing space):
/// `10.244.0.21 dev cni0 src 10.244.0.1 uid 0`.
pub fn route_line(r: &Route, name: &dyn Fn(u32) -> String) -> String {
    let mut s = String::new();
    if r.rtype != RouteType::Unicast {
        s += r.rtype.name();
        s += " ";
    }
    let host_len = if r.family == crate::netlink::AF_INET6 {
        128
    } else {
        32
    };
    match r.dst {
        Some(d) if r.dst_len != host_len => s += &format!("{d}/{} ", r.dst_len),
        Some(d) => s += &format!("{d} "),
        None if r.dst_len != 0 => s += &format!("0/{} ", r.dst_len),
        None => s += "default ",
    }
    if let Some(src) = r.src {
        s += &format!("from {src} ");
    }
    if let Some(g) = r.gateway {
        s += &format!("via {g} ");
    }
    if let Some(o) = r.oif {
        s += &format!("dev {} ", name(o));
    }
    if r.table != crate::netlink::route::RT_TABLE_MAIN && r.table != 0 {
        s += &format!("table {} ", table_name(r.table));
    }
    if r.flags & RTM_F_CLONED == 0 {
        if r.protocol != 3 {
            s += &format!("proto {} ", protocol_name(r.protocol));
        }
        if r.scope != 0 {
            s += &format!("scope {} ", scope_name(r.scope));
        }
    }
    if let Some(p) = r.prefsrc {
        s += &format!("src {p} ");
    }
    if let Some(m) = r.priority {
        s += &format!("metric {m} ");
    }
    for (bit, word) in [
        (1, "dead"),
        (4, "onlink"),
        (2, "pervasive"),
        (8, "offload"),
        (16, "linkdown"),
        (32, "unresolved"),
    ] {
        if r.flags & bit != 0 {
            s += word;
            s += " ";
        }
    }
    if let Some(m) = r.mark {
        s += &format!("mark 0x{m:x} ");
    }
    if let Some(u) = r.uid {
        s += &format!("uid {u} ");
    }
    s.trim_end().to_string()
}

fn scope_name(s: u8) -> String {
    match s {
        0 => "global".into(),
        200 => "site".into(),
        253 => "link".into(),
        254 => "host".into(),
        255 => "nowhere".into(),
        n => n.to_string(),
    }
}

/// The whole `ip route get` output, byte for byte as iproute2 prints it
/// for IPv4 (trailing spaces included).
pub fn route_get_output(r: &Route, name: &dyn Fn(u32) -> String) -> String {
    let mut s = route_line(r, name);
    s.push(' ');
    if r.flags & RTM_F_CLONED != 0 {
        s += "\n    cache ";
        const CF: [(u32, &str); 14] = [
            (0x8000_0000, "local"),
            (0x4000_0000, "reject"),
            (0x2000_0000, "mc"),
            (0x1000_0000, "brd"),
            (0x0800_0000, "dst-nat"),
            (0x0080_0000, "src-nat"),
            (0x0040_0000, "masq"),
            (0x0002_0000, "dst-direct"),
            (0x0400_0000, "src-direct"),
            (0x0004_0000, "redirected"),
            (0x0100_0000, "redirect"),
            (0x0020_0000, "fastroute"),
            (0x0001_0000, "notify"),
            (0x0008_0000, "proxy"),
        ];
        let mut flags = r.flags & !0xffff;
        let mut first = true;
        for (bit, word) in CF {
            if flags & bit != 0 {
                flags &= !bit;
                s += if first { "<" } else { "" };
                s += word;
                s += if flags != 0 { "," } else { "> " };
                first = false;
            }
        }
        if flags != 0 {
            s += &format!("{}{flags:x}> ", if first { "<" } else { "" });
        }
    }
    if let Some(p) = r.pref {
        s += match p {
            0 => "pref medium ",
            1 => "pref high ",
            3 => "pref low ",
            _ => "",
        };
    }
    s.push('\n');
    s
}

/// Escapes a string for JSON (with the quotes).
pub fn json_str(s: &str) -> String {
    crate::pods::json::quote(s)
}

fn opt_str(v: Option<String>) -> String {
    v.map(|s| json_str(&s)).unwrap_or_else(|| "null".into())
}

impl Location {
    /// The capture inside the pod's namespace, when it is known.
    fn inside_command(&self) -> Option<String> {
        self.pod.as_ref().map(|p| {
            format!(
                "podcap tcpdump --netns {} -i {} -nn",
                p.netns.display(),
                p.ifname
            )
        })
    }

    /// Ready-to-paste capture command lines, best first.
    pub fn commands(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.capture.place == Place::Inside {
            v.extend(self.inside_command());
            v.push(format!("podcap capture {}", self.ip));
            if self.method != Method::HostDevice {
                v.push(format!(
                    "podcap tcpdump -i {} -nn   (misses what the eBPF programs move)",
                    self.ifname
                ));
            }
            return v;
        }
        if self.capture.place == Place::Any {
            v.push(format!("podcap tcpdump -i any -nn host {}", self.ip));
            v.push(format!("podcap capture {}", self.ip));
            return v;
        }
        match (&self.remote, self.method) {
            (Some(r), _) => {
                v.push(format!(
                    "podcap tcpdump -i {} -nn host {}",
                    self.ifname, self.ip
                ));
                // The encapsulated copy, on the underlay (VXLAN only: a
                // routed remote pod's packets are plain on that interface).
                if let (Some(u), Some(node), Some(p)) = (&r.underlay, r.node, r.port) {
                    v.push(format!(
                        "podcap tcpdump -i {u} -nn udp port {p} and host {node}"
                    ));
                }
            }
            (None, Method::Macvlan | Method::Ipvlan) => {
                let f = self.filter.clone().unwrap_or_default();
                v.push(format!("podcap tcpdump -i {} -nn {f}", self.ifname));
            }
            (None, _) => {
                v.push(format!("podcap tcpdump -i {} -nn", self.ifname));
                v.push(format!("podcap capture {}", self.ip));
            }
        }
        v
    }

    /// The ASCII path picture: `pod eth0 ⇄ vethXXXX ⇄ cni0 ⇄ flannel.1 ⇄ eth0`.
    pub fn picture(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(r) = &self.remote {
            parts.push(r.tunnel.clone());
            if let Some(u) = r.underlay.as_ref().filter(|u| **u != r.tunnel) {
                parts.push(u.clone());
            }
            let mut s = parts.join(" ⇄ ");
            let port = match (r.port, self.method) {
                (Some(p), _) => format!("UDP {p}"),
                (None, Method::RoutedRemote) => "routing".into(),
                (None, _) => "tunnel".into(),
            };
            if let Some(n) = r.node {
                s += &format!(" ⇒ {port} ⇒ node {n}");
            }
            s += &format!(" ⇄ pod {}", self.ip);
            return s;
        }
        let pod_if = self
            .pod
            .as_ref()
            .map(|p| p.ifname.clone())
            .unwrap_or_else(|| "eth0".into());
        match self.method {
            Method::HostNetwork => {
                return format!(
                    "node {} ({}) ⇄ every interface of the node",
                    self.ifname, self.ip
                );
            }
            Method::HostDevice => {
                return format!("pod {pod_if} (its own device, no host side) ⇄ the wire");
            }
            _ => {}
        }
        match self.method {
            Method::Macvlan | Method::Ipvlan => {
                let k = if self.method == Method::Macvlan {
                    "macvlan"
                } else {
                    "ipvlan"
                };
                parts.push(format!("pod {pod_if} ({k})"));
                for h in self.path.iter().filter(|h| h.netns.is_none()) {
                    parts.push(h.ifname.clone());
                }
            }
            _ => {
                parts.push(format!("pod {pod_if}"));
                let node: Vec<&super::Hop> =
                    self.path.iter().filter(|h| h.netns.is_none()).collect();
                for (i, h) in node.iter().enumerate() {
                    parts.push(h.ifname.clone());
                    // Routed pods: the kernel's routing sits between the
                    // pod's veth and the way out.
                    if i == 0 && self.bridge.is_none() && node.len() > 1 {
                        parts.push("routing".into());
                    }
                }
                if node.len() == 1 && self.bridge.is_none() {
                    parts.push("routing".into());
                }
            }
        }
        parts.join(" ⇄ ")
    }

    /// Human output: numbered evidence, the interface, commands, picture.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for (i, st) in self.steps.iter().enumerate() {
            s += &format!("{:>2}. {st}\n", i + 1);
        }
        s += "\n";
        match &self.remote {
            Some(r) => {
                s += &format!(
                    "interface: {} (pod {} is remote: on node {}",
                    self.ifname,
                    self.ip,
                    r.node
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| "unknown".into())
                );
                if let Some(v) = r.vni {
                    s += &format!(", VNI {v}");
                }
                if let Some(p) = r.port {
                    s += &format!(", UDP {p}");
                }
                if let Some(u) = &r.underlay {
                    s += &format!(", underlay {u}");
                }
                s += ")\n";
            }
            None => {
                let note = match self.method {
                    Method::HostNetwork => ": the node's own address",
                    Method::HostDevice => ": in the pod, no host side",
                    _ => "",
                };
                s += &format!(
                    "interface: {} ({}{note})\n",
                    self.ifname,
                    self.method.as_str()
                );
                if let Some(f) = &self.filter {
                    s += &format!("filter:    {f}\n");
                }
            }
        }
        if let Some(p) = &self.k8s {
            s += &format!(
                "pod:       {} (uid {})\n",
                p.full_name(),
                p.uid.as_deref().unwrap_or("?")
            );
        }
        for b in &self.bypass {
            s += &format!(
                "bypass:    {} {} ({}): {} misses those packets\n",
                b.prog.describe(),
                match &b.prog.moves {
                    Moves::Calls(h) => format!("calls {}", h.join(", ")),
                    Moves::Nothing => "calls no redirect helper".into(),
                    Moves::Unknown(_) => "may redirect".into(),
                },
                if b.toward_pod {
                    "toward the pod"
                } else {
                    "from the pod"
                },
                self.ifname
            );
        }
        if let Some(d) = &self.disagreement {
            s += &format!("WARNING:   node side and pod side disagree: {d}\n");
        }
        for (i, c) in self.commands().iter().enumerate() {
            s += if i == 0 { "capture:   " } else { "           " };
            s += c;
            s += "\n";
        }
        s += &format!("path:      {}\n", self.picture());
        s
    }

    /// One JSON object: ip, ifname, ifindex, method, remote, node, steps,
    /// and the rest of the evidence.
    pub fn json(&self) -> String {
        let mut f: Vec<(String, String)> = vec![
            ("ip".into(), json_str(&self.ip.to_string())),
            ("ifname".into(), json_str(&self.ifname)),
            ("ifindex".into(), self.ifindex.to_string()),
            ("method".into(), json_str(self.method.as_str())),
            ("remote".into(), self.remote.is_some().to_string()),
            (
                "node".into(),
                opt_str(
                    self.remote
                        .as_ref()
                        .and_then(|r| r.node)
                        .map(|n| n.to_string()),
                ),
            ),
            ("bridge".into(), opt_str(self.bridge.clone())),
            ("mac".into(), opt_str(self.mac.map(|m| format_mac(&m)))),
            ("filter".into(), opt_str(self.filter.clone())),
            (
                "netns".into(),
                opt_str(self.pod.as_ref().map(|p| p.netns.display().to_string())),
            ),
            ("disagreement".into(), opt_str(self.disagreement.clone())),
            (
                "capture".into(),
                format!(
                    "{{\"place\":{},\"why\":{}}}",
                    json_str(match self.capture.place {
                        Place::Node => "node",
                        Place::Inside => "inside",
                        Place::Any => "any",
                    }),
                    opt_str(self.capture.why.clone())
                ),
            ),
            (
                "k8s".into(),
                self.k8s
                    .as_ref()
                    .map(crate::pods::render::pod_json)
                    .unwrap_or_else(|| "null".into()),
            ),
        ];
        let bypass: Vec<String> = self
            .bypass
            .iter()
            .map(|b| {
                let (moves, calls) = match &b.prog.moves {
                    Moves::Calls(h) => ("calls", h.iter().map(|h| json_str(h)).collect::<Vec<_>>()),
                    Moves::Nothing => ("nothing", Vec::new()),
                    Moves::Unknown(_) => ("unknown", Vec::new()),
                };
                format!(
                    "{{\"ifname\":{},\"ifindex\":{},\"hook\":{},\"prog_id\":{},\"prog_name\":{},\"prog_type\":{},\"tag\":{},\"direct_action\":{},\"moves\":{},\"calls\":[{}],\"toward_pod\":{},\"why\":{}}}",
                    json_str(&b.prog.ifname),
                    b.prog.ifindex,
                    json_str(b.prog.hook.name()),
                    b.prog.id,
                    json_str(&b.prog.name),
                    json_str(b.prog.kind),
                    json_str(&b.prog.tag),
                    b.prog.direct_action,
                    json_str(moves),
                    calls.join(","),
                    b.toward_pod,
                    json_str(&b.why)
                )
            })
            .collect();
        f.push(("bypass".into(), format!("[{}]", bypass.join(","))));
        if let Some(r) = &self.remote {
            let t = format!(
                "{{\"dev\":{},\"vni\":{},\"port\":{},\"node\":{},\"vtep_mac\":{},\"underlay\":{},\"local\":{}}}",
                json_str(&r.tunnel),
                r.vni
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "null".into()),
                r.port
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "null".into()),
                opt_str(r.node.map(|n| n.to_string())),
                opt_str(r.vtep_mac.map(|m| format_mac(&m))),
                opt_str(r.underlay.clone()),
                opt_str(r.local.map(|n| n.to_string())),
            );
            f.push(("tunnel".into(), t));
        }
        if let Some(p) = &self.pod {
            f.push((
                "pod".into(),
                format!(
                    "{{\"netns\":{},\"ns\":{},\"ifname\":{},\"ifindex\":{},\"kind\":{},\"mac\":{},\"link\":{}}}",
                    json_str(&p.netns.display().to_string()),
                    json_str(&p.ns_label),
                    json_str(&p.ifname),
                    p.ifindex,
                    opt_str((!p.kind.is_device()).then(|| p.kind.to_string())),
                    opt_str(p.mac.map(|m| format_mac(&m))),
                    p.link.map(|l| l.to_string()).unwrap_or_else(|| "null".into()),
                ),
            ));
        }
        let steps: Vec<String> = self.steps.iter().map(|s| json_str(s)).collect();
        f.push(("steps".into(), format!("[{}]", steps.join(","))));
        let path: Vec<String> = self
            .path
            .iter()
            .map(|h| {
                format!(
                    "{{\"netns\":{},\"ns\":{},\"ifname\":{},\"ifindex\":{},\"kind\":{}}}",
                    opt_str(h.netns.as_ref().map(|p| p.display().to_string())),
                    json_str(&h.ns_label),
                    json_str(&h.ifname),
                    h.ifindex,
                    json_str(h.kind.as_str())
                )
            })
            .collect();
        f.push(("path".into(), format!("[{}]", path.join(","))));
        f.push(("picture".into(), json_str(&self.picture())));
        let cmds: Vec<String> = self.commands().iter().map(|c| json_str(c)).collect();
        f.push(("commands".into(), format!("[{}]", cmds.join(","))));
        let body: Vec<String> = f
            .into_iter()
            .map(|(k, v)| format!("{}:{v}", json_str(&k)))
            .collect();
        format!("{{{}}}", body.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_controls_and_quotes() {
        assert_eq!(json_str("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u0001\"");
    }

    #[test]
    fn route_get_output_matches_iproute2_layout() {
        let r = Route {
            family: 2,
            dst_len: 32,
            table: 254,
            rtype: RouteType::Unicast,
            flags: RTM_F_CLONED,
            dst: Some("10.244.0.21".parse().unwrap()),
            oif: Some(5),
            prefsrc: Some("10.244.0.1".parse().unwrap()),
            uid: Some(0),
            ..Route::default()
        };
        let out = route_get_output(&r, &|_| "cni0".into());
        assert_eq!(
            out,
            "10.244.0.21 dev cni0 src 10.244.0.1 uid 0 \n    cache \n"
        );
        let local = Route {
            rtype: RouteType::Local,
            flags: RTM_F_CLONED | 0x8000_0000,
            ..r
        };
        let out = route_get_output(&local, &|_| "lo".into());
        assert_eq!(
            out,
            "local 10.244.0.21 dev lo src 10.244.0.1 uid 0 \n    cache <local> \n"
        );
    }
}
