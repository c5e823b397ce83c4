//! What following NAT costs `capture --path` per new flow: the pod's
//! connections are learnt from conntrack's NEW events (subscribed before
//! the capabilities are dropped) and from one dump of the table at start.
//! This benchmark makes N real translated connections in a namespace of
//! its own (UDP from 10.77.0.1 to N ports over a veth, SNAT'd to 10.77.0.2 by an nft
//! rule), and measures, side by side in one run:
//!
//! - podcap's event path: CPU time of `Nat::refresh` per new flow (read
//!   the events, parse them, index the eight forms of each connection);
//! - podcap's dump at start: wall time per entry of `open_conntrack` over
//!   the N entries;
//! - the anchor, conntrack-tools' `conntrack -L` (libnetfilter_conntrack)
//!   listing the same N entries: wall time per entry.
//!
//!     cargo bench --bench conntrack_cost -- [FLOWS]
//!
//! Needs root, `ip`, `nft` and `conntrack` (scripts/setup installs them).
//! Only addresses inside the namespace it made are used; it is deleted on
//! every end.

mod common;
use common::thread_cpu;
use podcap::netlink::Socket;
use podcap::trace::nat::Nat;
use std::net::{IpAddr, Ipv4Addr, UdpSocket};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The namespace, deleted when dropped (also on a panic or an early return).
struct Netns(String);

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

fn run<S: AsRef<str>>(args: &[S], stdin: Option<&str>) -> Result<(), String> {
    let args: Vec<&str> = args.iter().map(|s| s.as_ref()).collect();
    let mut c = Command::new(args[0]);
    c.args(&args[1..]).stdout(Stdio::null());
    if stdin.is_some() {
        c.stdin(Stdio::piped());
    }
    let mut child = c.spawn().map_err(|e| format!("{}: {e}", args.join(" ")))?;
    if let (Some(text), Some(mut w)) = (stdin, child.stdin.take()) {
        use std::io::Write;
        w.write_all(text.as_bytes())
            .map_err(|e| format!("{}: {e}", args.join(" ")))?;
    }
    let st = child
        .wait()
        .map_err(|e| format!("{}: {e}", args.join(" ")))?;
    if st.success() {
        Ok(())
    } else {
        Err(format!("{} failed: {st}", args.join(" ")))
    }
}

fn main() -> Result<(), String> {
    let flows: u16 = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000)
        .clamp(1, 60_000);
    let ns = Netns(format!("podcap-ctb-{}", std::process::id()));
    run(&["ip", "netns", "add", &ns.0], None)?;
    let name = ns.0.clone();
    let x = |rest: &[&'static str]| -> Vec<String> {
        ["ip", "netns", "exec", name.as_str()]
            .iter()
            .chain(rest)
            .map(|s| s.to_string())
            .collect()
    };
    // A veth pair, not a dummy: kernels built without the dummy module
    // have veth (every CNI needs it).
    run(
        &x(&[
            "ip", "link", "add", "d0", "type", "veth", "peer", "name", "d1",
        ]),
        None,
    )?;
    run(&x(&["ip", "link", "set", "d1", "up"]), None)?;
    run(
        &x(&["ip", "addr", "add", "10.77.0.1/24", "dev", "d0"]),
        None,
    )?;
    run(&x(&["ip", "link", "set", "d0", "up"]), None)?;
    run(
        &x(&[
            "ip",
            "neigh",
            "add",
            "10.77.0.50",
            "lladdr",
            "02:00:00:00:00:01",
            "dev",
            "d0",
        ]),
        None,
    )?;
    run(
        &x(&["nft", "-f", "-"]),
        Some(
            "table ip ctb {\n chain post {\n  type nat hook postrouting priority 100;\n  \
             oifname \"d0\" snat to 10.77.0.2\n }\n}\n",
        ),
    )?;
    podcap::netns::enter(&format!("/run/netns/{}", ns.0)).map_err(|e| e.to_string())?;

    let (sock, table) = Socket::open_conntrack().map_err(|e| e.to_string())?;
    let mut nat = Nat::new(vec![IpAddr::V4(Ipv4Addr::new(10, 77, 0, 1))], sock, &table);
    let udp = UdpSocket::bind("10.77.0.1:40000").map_err(|e| e.to_string())?;
    let mut cpu = Duration::ZERO;
    let mut sent = 0u16;
    // Batches small enough for the event socket's buffer: the figure is
    // the reading, not a recovery from an overrun.
    while sent < flows {
        let end = sent.saturating_add(500).min(flows);
        for p in sent..end {
            let _ = udp.send_to(b"x", (Ipv4Addr::new(10, 77, 0, 50), 1000 + p));
        }
        sent = end;
        let t = thread_cpu();
        nat.refresh();
        cpu += thread_cpu() - t;
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while (nat.len() as u64) < u64::from(flows) && Instant::now() < deadline {
        let t = thread_cpu();
        nat.refresh();
        cpu += thread_cpu() - t;
        std::thread::sleep(Duration::from_millis(1));
    }
    let learnt = nat.len();

    let mut dump_best = Duration::MAX;
    let mut dumped = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let (_s, table) = Socket::open_conntrack().map_err(|e| e.to_string())?;
        dump_best = dump_best.min(t.elapsed());
        dumped = table.len();
    }
    let mut anchor_best = Duration::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        run(&["conntrack", "-L", "-o", "extended"], None)?;
        anchor_best = anchor_best.min(t.elapsed());
    }
    let per = |d: Duration, n: usize| d.as_secs_f64() * 1e6 / n.max(1) as f64;
    println!(
        "{flows} new flows, {learnt} learnt from events ({} events read, {} overruns)",
        nat.entries_read, nat.overruns
    );
    println!(
        "events: {:.2} us CPU per new flow ({:.1} ms in all)",
        per(cpu, learnt),
        cpu.as_secs_f64() * 1e3
    );
    println!(
        "dump at start: {:.2} us per entry ({dumped} entries, {:.1} ms, best of 3)",
        per(dump_best, dumped),
        dump_best.as_secs_f64() * 1e3
    );
    println!(
        "conntrack -L: {:.2} us per entry ({:.1} ms, best of 3, process start included)",
        per(anchor_best, dumped),
        anchor_best.as_secs_f64() * 1e3
    );
    println!(
        "ratio dump / conntrack -L: {:.2}",
        dump_best.as_secs_f64() / anchor_best.as_secs_f64()
    );
    Ok(())
}
