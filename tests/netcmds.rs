//! The article's individual steps as podcap subcommands, compared with the
//! real tools run in the same namespace: `ip route get`, `ip neigh`,
//! `brctl showmacs/showstp`, iputils-style `ping`, and `link`.

mod common;

use common::{World, stdout, text};

/// Replaces running timers (`  12.34`) so two snapshots taken a moment
/// apart compare equal.
fn mask_timers(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i + 2 < b.len() + 1
                && b.get(i) == Some(&b'.')
                && b.get(i + 1).is_some_and(u8::is_ascii_digit)
                && b.get(i + 2).is_some_and(u8::is_ascii_digit)
                && !b.get(i + 3).is_some_and(u8::is_ascii_digit)
            {
                out.push_str("T.TT");
                i += 3;
            } else {
                out.push_str(&s[start..i]);
            }
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

fn both(w: &World, node: &str, tool: &[&str], ours: &[&str]) -> (String, String) {
    let t = w.exec(node, tool);
    assert!(t.status.success(), "{tool:?}: {}", text(&t));
    let o = w.podcap(node, ours);
    assert!(o.status.success(), "podcap {ours:?}: {}", text(&o));
    (stdout(&t), stdout(&o))
}

#[test]
fn route_get_matches_ip_route_get_byte_for_byte() {
    let w = World::flannel(2, 1);
    let n1 = w.node("node1");
    let mut ips: Vec<String> = w.pods.iter().map(|p| p.ip.to_string()).collect();
    ips.push(n1.underlay_ip.to_string()); // local
    ips.push(n1.peer_underlay_ip.unwrap().to_string()); // underlay neighbour
    ips.push(n1.gw.clone()); // cni0's own address
    for ip in &ips {
        let (t, o) = both(
            &w,
            "node1",
            &["ip", "route", "get", ip],
            &["route", "get", ip],
        );
        assert_eq!(o, t, "route get {ip}");
    }
    // Policy routing: awsvpc pods are only in per-ENI tables.
    let w = World::up("awsvpc", 2);
    for p in &w.pods {
        let ip = p.ip.to_string();
        let (t, o) = both(
            &w,
            &p.node,
            &["ip", "route", "get", &ip],
            &["route", "get", &ip],
        );
        assert_eq!(o, t, "route get {ip}");
    }
    // No route: the same failure, as a clear error.
    w.exec(
        &w.pods[0].node,
        &["ip", "route", "add", "unreachable", "10.99.0.0/16"],
    );
    let o = w.podcap(&w.pods[0].node, &["route", "get", "10.99.0.1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("unreachable"), "{}", text(&o));
}

#[test]
fn neigh_matches_ip_neigh() {
    let w = World::up("bridge", 3);
    let node = w.pods[0].node.clone();
    w.flush_neigh(&node);
    for p in &w.pods {
        assert!(w.ping_from_node(&node, &p.ip.to_string()));
    }
    // A NOARP and a FAILED entry too, as `ip neigh` hides/prints them.
    let br = w.pods[0].bridge.clone().unwrap();
    w.exec(
        &node,
        &[
            "ip",
            "neigh",
            "replace",
            "10.22.9.9",
            "lladdr",
            "02:00:00:00:09:09",
            "dev",
            &br,
            "nud",
            "noarp",
        ],
    );
    w.exec(
        &node,
        &[
            "ip",
            "neigh",
            "replace",
            "10.22.9.8",
            "lladdr",
            "02:00:00:00:09:08",
            "dev",
            &br,
            "nud",
            "permanent",
        ],
    );
    // States age between two snapshots; retry once if they raced.
    let mut last = (String::new(), String::new());
    for _ in 0..3 {
        last = both(&w, &node, &["ip", "neigh"], &["neigh"]);
        if last.0 == last.1 {
            break;
        }
    }
    assert_eq!(last.1, last.0);
    assert!(last.1.contains("10.22.9.8"), "{}", last.1);
    assert!(
        !last.1.contains("10.22.9.9"),
        "NOARP hidden as ip neigh does: {}",
        last.1
    );
    let ip = w.pods[1].ip.to_string();
    let (t, o) = both(&w, &node, &["ip", "neigh", "show", &ip], &["neigh", &ip]);
    assert_eq!(o, t);
    assert!(o.contains(&w.pods[1].mac), "{o}");
}

#[test]
fn brctl_showmacs_and_showstp_match_bridge_utils() {
    let w = World::up("bridge", 3);
    let node = w.pods[0].node.clone();
    let br = w.pods[0].bridge.clone().unwrap();
    for p in &w.pods {
        assert!(w.ping_from_node(&node, &p.ip.to_string()));
    }
    let (t, o) = both(
        &w,
        &node,
        &["brctl", "showmacs", &br],
        &["brctl", "showmacs", &br],
    );
    assert_eq!(mask_timers(&o), mask_timers(&t));
    for p in &w.pods {
        assert!(o.contains(&p.mac), "{o}");
    }
    let (t, o) = both(
        &w,
        &node,
        &["brctl", "showstp", &br],
        &["brctl", "showstp", &br],
    );
    assert_eq!(mask_timers(&o), mask_timers(&t));
    // The article's grep: `brctl showstp cni0 | grep "(N)"` names the veth.
    for p in &w.pods {
        assert!(
            o.contains(&format!("{} (", p.host_if.as_deref().unwrap())),
            "{o}"
        );
    }
    // Not a bridge: a clear error.
    let o = w.podcap(&node, &["brctl", "showmacs", "eth0"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("not a bridge"), "{}", text(&o));
}

#[test]
fn ping_prints_like_iputils() {
    // The bridge layout: plain ARP (Calico's proxy_arp answers after a
    // random proxy_delay of up to 0.8 s, longer than the interval here).
    let w = World::up("bridge", 1);
    let p = &w.pods[0];
    let ip = p.ip.to_string();
    let o = w.podcap(&p.node, &["ping", "-c", "2", "-i", "0.2", &ip]);
    assert!(o.status.success(), "{}", text(&o));
    let s = stdout(&o);
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines[0], format!("PING {ip} ({ip}) 56(84) bytes of data."));
    for (i, l) in lines[1..3].iter().enumerate() {
        let want = format!("64 bytes from {ip}: icmp_seq={} ttl=64 time=", i + 1);
        assert!(l.starts_with(&want) && l.ends_with(" ms"), "{l}");
    }
    assert_eq!(lines[4], format!("--- {ip} ping statistics ---"));
    assert!(
        lines[5].starts_with("2 packets transmitted, 2 received, 0% packet loss, time "),
        "{}",
        lines[5]
    );
    assert!(
        lines[6].starts_with("rtt min/avg/max/mdev = "),
        "{}",
        lines[6]
    );
    // Nobody there: 100% loss, exit 1 as ping does.
    let o = w.podcap(&p.node, &["ping", "-c", "1", "-W", "0.3", "10.22.0.250"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(stdout(&o).contains("1 packets transmitted, 0 received, 100% packet loss"));
}

#[test]
fn link_lists_kind_master_peer_and_netns() {
    let w = World::flannel(2, 1);
    let o = w.podcap("node1", &["link"]);
    assert!(o.status.success(), "{}", text(&o));
    let s = stdout(&o);
    for p in w.pods_on("node1") {
        let host = p.host_if.as_deref().unwrap();
        let line = s
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(host))
            .unwrap_or_else(|| panic!("{host} missing:\n{s}"));
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cols[2], "veth", "{line}");
        assert_eq!(cols[5], "cni0", "{line}");
        assert!(cols[6].starts_with("eth0@if"), "{line}");
        assert!(line.contains(p.ns.as_deref().unwrap()), "{line}");
    }
    let vx = s.lines().find(|l| l.contains("flannel.1")).unwrap();
    assert!(vx.contains("vxlan id 1 dstport 8472"), "{vx}");
    let o = w.podcap("node1", &["link", "--json"]);
    assert!(stdout(&o).starts_with("[{\"ifindex\":1,"), "{}", text(&o));
}

#[test]
fn ping_counts_late_replies_as_iputils_does() {
    // Calico's proxy_arp answers the pod's ARP for 169.254.1.1 after a
    // random delay of up to 0.8 s: the first replies come back after later
    // requests went out, and still count.
    let w = World::up("calico", 1);
    let p = &w.pods[0];
    let ip = p.ip.to_string();
    let o = w.podcap(&p.node, &["ping", "-c", "3", "-i", "0.2", &ip]);
    let s = stdout(&o);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        s.contains("3 packets transmitted, 3 received, 0% packet loss"),
        "{s}"
    );
    for seq in 1..=3 {
        assert!(s.contains(&format!("icmp_seq={seq} ")), "{s}");
    }
}
