//! argh subcommands: `locate`, `ping`, `neigh`, `brctl`, `route`, `link`.
//! Output formats follow the tools they replace (iputils ping, `ip neigh`,
//! bridge-utils brctl, `ip route get`) so existing greps keep working.

mod brctl;

use crate::locate;
use crate::netlink::{self, Link, Socket, neigh as nd};
use crate::{Error, Result};
use argh::FromArgs;
use std::collections::HashMap;
use std::io::Write;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Which host interface carries a pod's packets, with the evidence.
#[derive(FromArgs)]
struct LocateArgs {
    /// print one JSON object instead of text
    #[argh(switch)]
    json: bool,
    /// do not ping the pod when its neighbour entry is missing or stale
    #[argh(switch)]
    no_ping: bool,
    /// do not look from the pod's network namespace side
    #[argh(switch)]
    no_cross_check: bool,
    /// seconds to wait for the ping reply (default 1)
    #[argh(option, short = 'W', default = "1.0")]
    timeout: f64,
    /// the node's root directory for its kubelet, runtime and CNI files
    /// (default: $PODCAP_ROOT, else /host when they are there, else /)
    #[argh(option)]
    root: Option<String>,
    /// the pod: its IP (fe80::1%IFACE for link-local), NAMESPACE/NAME,
    /// NAME, UID or a container ID prefix
    #[argh(positional)]
    ip: String,
}

/// ICMP echo, as iputils ping.
#[derive(FromArgs)]
struct PingArgs {
    /// stop after sending N echo requests (default: until interrupted)
    #[argh(option, short = 'c')]
    count: Option<u32>,
    /// seconds to wait for the last reply (default 10)
    #[argh(option, short = 'W', default = "10.0")]
    timeout: f64,
    /// seconds between echo requests (default 1)
    #[argh(option, short = 'i', default = "1.0")]
    interval: f64,
    /// quiet: only the summary
    #[argh(switch, short = 'q')]
    quiet: bool,
    /// destination IP
    #[argh(positional)]
    ip: String,
}

/// Neighbour (ARP/NDP) table, as `ip neigh`.
#[derive(FromArgs)]
struct NeighArgs {
    /// include NOARP entries, as `ip neigh show nud all`
    #[argh(switch)]
    all: bool,
    /// only this IP
    #[argh(positional)]
    ip: Option<String>,
}

/// Bridge tables, as bridge-utils brctl: `showmacs BR`, `showstp BR`.
#[derive(FromArgs)]
struct BrctlArgs {
    /// showmacs or showstp
    #[argh(positional)]
    action: String,
    /// the bridge
    #[argh(positional)]
    bridge: String,
}

/// Kernel route lookup, as `ip route get IP`.
#[derive(FromArgs)]
struct RouteArgs {
    /// get
    #[argh(positional)]
    action: String,
    /// destination IP
    #[argh(positional)]
    ip: String,
}

/// Interfaces with kind, master, veth peer and the peer's namespace.
#[derive(FromArgs)]
struct LinkArgs {
    /// do not enter other namespaces to name veth peers
    #[argh(switch)]
    no_peers: bool,
    /// print one JSON array
    #[argh(switch)]
    json: bool,
}

fn parse<T: FromArgs>(cmd: &str, args: &[String]) -> std::result::Result<T, i32> {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    match T::from_args(&["podcap", cmd], &a) {
        Ok(t) => Ok(t),
        Err(e) => {
            if e.status.is_ok() {
                print!("{}", e.output);
                Err(0)
            } else {
                let _ = writeln!(std::io::stderr(), "podcap {cmd}: {}", e.output.trim_end());
                Err(crate::error::Kind::Usage.exit_status())
            }
        }
    }
}

fn parse_ip(s: &str) -> Result<IpAddr> {
    s.parse().map_err(|_| {
        Error::usage(format!("`{s}` is not an IP address"))
            .hint("give the pod IP, for example 10.244.0.21")
    })
}

fn secs(s: f64, what: &str) -> Result<Duration> {
    if !(0.0..1e6).contains(&s) {
        return Err(Error::usage(format!(
            "{what} {s} is not a number of seconds"
        )));
    }
    Ok(Duration::from_secs_f64(s))
}

pub fn main(cmd: &str, args: &[String]) -> Result<i32> {
    macro_rules! p {
        ($t:ty) => {
            match parse::<$t>(cmd, args) {
                Ok(a) => a,
                Err(code) => return Ok(code),
            }
        };
    }
    match cmd {
        "locate" => locate_cmd(p!(LocateArgs)),
        "ping" => ping_cmd(p!(PingArgs)),
        "neigh" => neigh_cmd(p!(NeighArgs)),
        "brctl" => brctl::brctl_cmd(p!(BrctlArgs)),
        "route" => route_cmd(p!(RouteArgs)),
        "link" => link_cmd(p!(LinkArgs)),
        other => Err(Error::usage(format!("unknown command `{other}`"))),
    }
}

fn out(s: &str) -> Result<()> {
    let mut o = std::io::stdout().lock();
    o.write_all(s.as_bytes())
        .and_then(|_| o.flush())
        .map_err(|e| Error::os("write to stdout", e, None))
}

fn locate_cmd(a: LocateArgs) -> Result<i32> {
    let root = crate::pods::Root::choose(a.root.as_deref());
    let target = crate::pods::resolve_target_with(
        &a.ip,
        &crate::pods::Options {
            root: root.clone(),
            enter: true,
        },
    )?;
    let opts = locate::Options {
        ping: !a.no_ping,
        timeout: secs(a.timeout, "-W")?,
        cross_check: !a.no_cross_check,
        root: Some(root),
        ..locate::Options::default()
    };
    let loc = locate::locate_target(&target, &opts)?;
    if a.json {
        out(&(loc.json() + "\n"))?;
    } else {
        out(&loc.text())?;
    }
    Ok(0)
}

/// iputils' RTT formatting: 3 decimals under 1 ms, fewer above.
fn fmt_ms(d: Duration) -> String {
    let us = d.as_micros();
    if us >= 100_000 - 50 {
        format!("{}", (us + 500) / 1000)
    } else if us >= 10_000 - 5 {
        format!("{:.1}", us as f64 / 1000.0)
    } else if us >= 1000 {
        format!("{:.2}", us as f64 / 1000.0)
    } else {
        format!("{:.3}", us as f64 / 1000.0)
    }
}

fn ping_cmd(a: PingArgs) -> Result<i32> {
    let ip = parse_ip(&a.ip)?;
    let wait = secs(a.timeout, "-W")?;
    let interval = secs(a.interval, "-i")?;
    let p = crate::ping::Pinger::open(ip)?;
    // Ctrl-C prints the statistics, as iputils does; without the handler
    // it only ends the process, so a failure to install it is not fatal.
    let _ = crate::sys::signal::catch_interrupt();
    let header = match ip {
        IpAddr::V4(_) => format!(
            "PING {ip} ({ip}) {}({}) bytes of data.\n",
            crate::ping::PAYLOAD,
            crate::ping::PAYLOAD + 28
        ),
        IpAddr::V6(_) => format!("PING {ip}({ip}) {} data bytes\n", crate::ping::PAYLOAD),
    };
    out(&header)?;
    let start = Instant::now();
    let (mut sent, mut got) = (0u32, 0u32);
    let mut rtts: Vec<f64> = Vec::new();
    let mut outstanding: HashMap<u16, Instant> = HashMap::new();
    let mut seq: u16 = 0;
    let mut last_send = start;
    let stop = crate::sys::signal::interrupted;
    while !stop() {
        let done_sending = a.count.is_some_and(|c| sent >= c);
        if done_sending && outstanding.is_empty() {
            break;
        }
        let until = if done_sending {
            // Linger for the last replies up to -W after the last request.
            outstanding
                .values()
                .max()
                .copied()
                .unwrap_or_else(Instant::now)
                + wait
        } else {
            seq = seq.wrapping_add(1);
            let t0 = Instant::now();
            p.send(seq)?;
            sent += 1;
            last_send = t0;
            outstanding.insert(seq, t0);
            if a.count.is_some_and(|c| sent >= c) {
                t0 + wait
            } else {
                t0 + interval
            }
        };
        // Replies to any outstanding request count, late ones too.
        while !stop() && Instant::now() < until {
            let known = |s: u16| outstanding.get(&s).copied();
            let Some(r) = p.recv_any(until, &known)? else {
                break;
            };
            outstanding.remove(&r.seq);
            got += 1;
            rtts.push(r.rtt.as_secs_f64() * 1e3);
            if !a.quiet {
                let ttl = r.ttl.map(|t| format!(" ttl={t}")).unwrap_or_default();
                out(&format!(
                    "{} bytes from {}: icmp_seq={}{ttl} time={} ms\n",
                    r.bytes,
                    r.from,
                    r.seq,
                    fmt_ms(r.rtt)
                ))?;
            }
            if a.count.is_some_and(|c| sent >= c) && outstanding.is_empty() {
                break;
            }
        }
        if a.count.is_some_and(|c| sent >= c) && Instant::now() >= until {
            break;
        }
    }
    // iputils reports the span from the first to the last request.
    let elapsed = last_send.duration_since(start).as_millis();
    let loss = if sent == 0 {
        0
    } else {
        (u64::from(sent - got) * 100) / u64::from(sent)
    };
    let mut s = format!(
        "\n--- {ip} ping statistics ---\n{sent} packets transmitted, {got} received, {loss}% packet loss, time {elapsed}ms\n"
    );
    if !rtts.is_empty() {
        let n = rtts.len() as f64;
        let min = rtts.iter().cloned().fold(f64::INFINITY, f64::min);
        let max = rtts.iter().cloned().fold(0.0, f64::max);
        let avg = rtts.iter().sum::<f64>() / n;
        let var = rtts.iter().map(|x| x * x).sum::<f64>() / n - avg * avg;
        s += &format!(
            "rtt min/avg/max/mdev = {min:.3}/{avg:.3}/{max:.3}/{:.3} ms\n",
            var.max(0.0).sqrt()
        );
    }
    out(&s)?;
    // iputils' status for no reply, which is also podcap's "not found".
    Ok(if got > 0 {
        0
    } else {
        crate::error::Kind::NotFound.exit_status()
    })
}

fn names(nl: &mut Socket) -> Result<HashMap<u32, Link>> {
    Ok(nl.links()?.into_iter().map(|l| (l.ifindex, l)).collect())
}

fn name_of(links: &HashMap<u32, Link>, i: u32) -> String {
    links
        .get(&i)
        .map(|l| l.name.clone())
        .unwrap_or_else(|| format!("if{i}"))
}

/// One `ip neigh` line (with its trailing space and newline).
pub fn neigh_line(n: &netlink::Neigh, dev: &str) -> String {
    let mut s = String::new();
    if let Some(d) = n.dst {
        s += &format!("{d} ");
    }
    s += &format!("dev {dev} ");
    if let Some(l) = &n.lladdr {
        s += &format!("lladdr {} ", nd::format_mac(l));
    }
    for (bit, w) in [
        (nd::NTF_ROUTER, "router"),
        (nd::NTF_PROXY, "proxy"),
        (nd::NTF_EXT_LEARNED, "extern_learn"),
        (nd::NTF_OFFLOADED, "offload"),
    ] {
        if n.flags & bit != 0 {
            s += w;
            s += " ";
        }
    }
    if n.state != 0 {
        for w in nd::state_names(n.state).split(' ') {
            s += w;
            s += " ";
        }
    }
    s.push('\n');
    s
}

fn neigh_cmd(a: NeighArgs) -> Result<i32> {
    let want = a.ip.as_deref().map(parse_ip).transpose()?;
    let mut nl = Socket::open()?;
    let links = names(&mut nl)?;
    let mut s = String::new();
    for n in nl.neighbours(netlink::AF_UNSPEC)? {
        if n.flags & nd::NTF_PROXY != 0 || (!a.all && n.state & nd::NUD_NOARP != 0) {
            continue;
        }
        if want.is_some() && n.dst != want {
            continue;
        }
        s += &neigh_line(&n, &name_of(&links, n.ifindex));
    }
    out(&s)?;
    Ok(0)
}

fn route_cmd(a: RouteArgs) -> Result<i32> {
    if a.action != "get" {
        return Err(
            Error::usage(format!("route action `{}` is not supported", a.action))
                .hint("podcap route get IP"),
        );
    }
    let ip = parse_ip(&a.ip)?;
    let mut nl = Socket::open()?;
    // iproute2 asks for the matching table too (RTM_F_LOOKUP_TABLE) and
    // prints it when it is not main.
    let r = nl.route_get(ip, true)?;
    let links = names(&mut nl)?;
    out(&locate::render::route_get_output(&r, &|i| {
        name_of(&links, i)
    }))?;
    Ok(0)
}

fn link_cmd(a: LinkArgs) -> Result<i32> {
    let mut nl = Socket::open()?;
    let mut links: Vec<Link> = nl.links()?;
    links.sort_by_key(|l| l.ifindex);
    let by_idx: HashMap<u32, Link> = links.iter().map(|l| (l.ifindex, l.clone())).collect();
    // nsid -> namespace (RTM_GETNSID on each namespace we can open), and
    // the link names inside each, to name veth peers as `eth0@pod-ns`.
    let mut ns_by_id: HashMap<i32, crate::netns::Namespace> = HashMap::new();
    let mut peer_names: HashMap<(i32, u32), String> = HashMap::new();
    let wanted: std::collections::HashSet<i32> =
        links.iter().filter_map(|l| l.link_netnsid).collect();
    if !a.no_peers && !wanted.is_empty() {
        if let Ok(d) = crate::netns::discover() {
            // Which namespace has which id: RTM_GETNSID for all of them in
            // batched datagrams, then one worker thread visits the ones
            // that hold a peer and reads their link names.
            let list: Vec<crate::netns::Namespace> =
                d.namespaces.into_iter().filter(|n| !n.current).collect();
            for chunk in list.chunks(256) {
                let files: Vec<(usize, std::fs::File)> = chunk
                    .iter()
                    .enumerate()
                    .filter_map(|(i, n)| std::fs::File::open(&n.path).ok().map(|f| (i, f)))
                    .collect();
                let fds: Vec<i32> = files
                    .iter()
                    .map(|(_, f)| std::os::fd::AsRawFd::as_raw_fd(f))
                    .collect();
                let ids = nl.nsids_of_fds(&fds).unwrap_or_default();
                for ((i, _), id) in files.iter().zip(ids) {
                    if let Some(id) = id.filter(|id| wanted.contains(id)) {
                        ns_by_id.entry(id).or_insert_with(|| chunk[*i].clone());
                    }
                }
            }
            let visits: Vec<(i32, std::path::PathBuf)> = ns_by_id
                .iter()
                .map(|(id, ns)| (*id, ns.path.clone()))
                .collect();
            let paths: Vec<&std::path::Path> = visits.iter().map(|(_, p)| p.as_path()).collect();
            let found = std::sync::Mutex::new(Vec::new());
            let _ = crate::netns::find_in_each(&paths, |p| {
                let links = Socket::open()?.links()?;
                if let Ok(mut v) = found.lock() {
                    v.push((p.to_path_buf(), links));
                }
                Ok(None::<()>)
            });
            for (path, inner) in found.into_inner().unwrap_or_default() {
                if let Some((id, _)) = visits.iter().find(|(_, p)| *p == path) {
                    for l in inner {
                        peer_names.insert((*id, l.ifindex), l.name);
                    }
                }
            }
        }
    }
    let mut rows = Vec::new();
    for l in &links {
        let kind = if l.kind.is_device() {
            "-".to_string()
        } else {
            l.kind.to_string()
        };
        let master = l
            .master
            .map(|m| name_of(&by_idx, m))
            .unwrap_or_else(|| "-".into());
        let peer = match (l.link, l.link_netnsid) {
            (Some(p), Some(id)) => peer_names
                .get(&(id, p))
                .map(|n| format!("{n}@if{p}"))
                .unwrap_or_else(|| format!("if{p}")),
            (Some(p), None) if p != l.ifindex => name_of(&by_idx, p),
            _ => "-".into(),
        };
        let netns = match l.link_netnsid {
            Some(id) => match ns_by_id.get(&id) {
                Some(ns) => format!("{} ({})", ns.label(), ns.path.display()),
                None => format!("link-netnsid {id}"),
            },
            None => "-".into(),
        };
        let mut detail = String::new();
        if let Some(v) = &l.vxlan {
            detail = format!(
                "vxlan id {} dstport {}{}",
                v.vni.map(|x| x.to_string()).unwrap_or_else(|| "?".into()),
                v.port.map(|x| x.to_string()).unwrap_or_else(|| "?".into()),
                v.local.map(|x| format!(" local {x}")).unwrap_or_default()
            );
        } else if let Some(m) = l.mode {
            detail = match l.kind {
                netlink::LinkKind::Ipvlan | netlink::LinkKind::Ipvtap => {
                    format!("mode {}", netlink::link::ipvlan_mode_name(m))
                }
                _ => format!("mode {}", netlink::link::macvlan_mode_name(m)),
            };
        }
        let state = if l.flags & netlink::link::IFF_UP == 0 {
            "DOWN"
        } else if l.flags & netlink::link::IFF_LOWER_UP != 0 {
            "UP"
        } else {
            "NO-CARRIER"
        };
        let mac = l
            .mac
            .as_deref()
            .map(nd::format_mac)
            .unwrap_or_else(|| "-".into());
        rows.push((l, kind, master, peer, netns, detail, state, mac));
    }
    let mut s = String::new();
    if a.json {
        let items: Vec<String> = rows
            .iter()
            .map(|(l, kind, master, peer, netns, detail, state, mac)| {
                use locate::render::json_str as j;
                format!(
                    "{{\"ifindex\":{},\"ifname\":{},\"kind\":{},\"master\":{},\"peer\":{},\"netns\":{},\"state\":{},\"mac\":{},\"detail\":{}}}",
                    l.ifindex,
                    j(&l.name),
                    j(kind),
                    j(master),
                    j(peer),
                    j(netns),
                    j(state),
                    j(mac),
                    j(detail)
                )
            })
            .collect();
        s = format!("[{}]\n", items.join(","));
    } else {
        let w = rows
            .iter()
            .map(|r| r.0.name.len())
            .max()
            .unwrap_or(4)
            .max(6);
        let wp = rows.iter().map(|r| r.3.len()).max().unwrap_or(4).max(4);
        let wm = rows.iter().map(|r| r.2.len()).max().unwrap_or(6).max(6);
        s += &format!(
            "{:>5}  {:<w$}  {:<8}  {:<10}  {:<17}  {:<wm$}  {:<wp$}  NETNS\n",
            "INDEX", "IFNAME", "KIND", "STATE", "MAC", "MASTER", "PEER"
        );
        for (l, kind, master, peer, netns, detail, state, mac) in &rows {
            let mut line = format!(
                "{:>5}  {:<w$}  {:<8}  {:<10}  {:<17}  {:<wm$}  {:<wp$}  {netns}",
                l.ifindex, l.name, kind, state, mac, master, peer
            );
            if !detail.is_empty() {
                line += &format!("  [{detail}]");
            }
            s += line.trim_end();
            s += "\n";
        }
    }
    out(&s)?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtt_formatting_follows_iputils() {
        assert_eq!(fmt_ms(Duration::from_micros(45)), "0.045");
        assert_eq!(fmt_ms(Duration::from_micros(1234)), "1.23");
        assert_eq!(fmt_ms(Duration::from_micros(12345)), "12.3");
        assert_eq!(fmt_ms(Duration::from_micros(123456)), "123");
    }

    #[test]
    fn neigh_line_matches_ip_neigh() {
        let n = netlink::Neigh {
            family: 2,
            dst: Some("10.9.0.7".parse().unwrap()),
            lladdr: Some(vec![2, 0, 0, 0, 0, 7]),
            flags: nd::NTF_ROUTER,
            state: nd::NUD_STALE,
            ..Default::default()
        };
        assert_eq!(
            neigh_line(&n, "d0"),
            "10.9.0.7 dev d0 lladdr 02:00:00:00:00:07 router STALE \n"
        );
    }
}
