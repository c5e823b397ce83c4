//! What a person reads: one packet's way across the hops, and the summary.
//!
//! ```text
//! 16:50:01.000100 IP 10.244.0.21 > 10.244.1.5: ICMP echo request, id 7, seq 1, length 64
//!   out pod:eth0 > veth1a2b +14us > cni0 +6.2us > flannel.1 +9us > eth0 +21us [VXLAN ...]
//!   out pod:eth0 > veth1a2b +14us > cni0 +6.2us  LOST between cni0 and flannel.1
//!   out pod:eth0 > veth1a2b +14us > cni0 +6.2us > eth0 +30us [SNAT 192.168.56.11.40312]
//!   out pod:eth0 > veth1a2b +14us  not seen at cni0: its ring dropped 212 packets then (capture loss, not the network's)
//! ```

use super::correlate::{Blind, Dir, Nanos, Outcome, Record, Rewrite, Summary};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::IpAddr;

/// A signed delay, short: `+850ns`, `+6.2us`, `+14us`, `+1.250ms`, `+2.000s`.
pub fn delay(ns: i128) -> String {
    let sign = if ns < 0 { '-' } else { '+' };
    let a = ns.unsigned_abs();
    if a < 1_000 {
        format!("{sign}{a}ns")
    } else if a < 10_000 {
        format!("{sign}{}.{}us", a / 1_000, a % 1_000 / 100)
    } else if a < 1_000_000 {
        format!("{sign}{}us", a / 1_000)
    } else if a < 1_000_000_000 {
        format!("{sign}{}.{:03}ms", a / 1_000_000, a % 1_000_000 / 1_000)
    } else {
        format!(
            "{sign}{}.{:03}s",
            a / 1_000_000_000,
            a % 1_000_000_000 / 1_000_000
        )
    }
}

/// `HH:MM:SS.uuuuuu` of a time stamp, UTC (what a node's clock shows in
/// a container without a time zone).
pub fn clock(ts: Nanos) -> String {
    let secs = ts / 1_000_000_000;
    let day = secs % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:06}",
        day / 3600,
        day % 3600 / 60,
        day % 60,
        ts % 1_000_000_000 / 1_000
    )
}

fn label(labels: &[String], hop: usize) -> &str {
    labels.get(hop).map_or("?", |s| s.as_str())
}

/// The second line of a packet: direction, each hop with the delay since
/// the previous sighting, the tunnel headers where it was encapsulated,
/// and how the story ended.
pub fn path_line(rec: &Record, labels: &[String]) -> String {
    let mut s = format!("  {:<3}", rec.dir.name());
    let mut prev: Option<Nanos> = None;
    for (i, st) in rec.steps.iter().enumerate() {
        s.push_str(if i == 0 { " " } else { " > " });
        s.push_str(label(labels, st.hop));
        match (st.ts, prev) {
            (Some(ts), Some(p)) => {
                let d = i128::from(ts) - i128::from(p);
                let _ = write!(s, " {}", delay(d));
                if d < 0 {
                    // Each ring stamps a packet when it copies it, on
                    // whichever CPU handles it; a forwarded packet keeps the
                    // stamp of its arrival.
                    s.push_str(" (stamped before the previous hop: rings stamp on their own)");
                }
            }
            (None, _) => s.push_str(" (not seen)"),
            (Some(_), None) => {}
        }
        if let Some(ts) = st.ts {
            prev = Some(ts);
        }
        if rec.turned == Some(st.hop) {
            s.push_str(" (and back out)");
        }
        if let Some((hop, outer)) = &rec.outer {
            if *hop == st.hop {
                let _ = write!(s, " [{outer}]");
            }
        }
        if let Some((_, rw)) = rec.rewrites.iter().find(|(h, _)| *h == st.hop) {
            write_rewrite(&mut s, rw, rec.pod_initiated);
        }
    }
    match rec.outcome {
        Outcome::Complete => {}
        Outcome::Lost { from, to } => {
            let _ = write!(
                s,
                "  LOST between {} and {}",
                label(labels, from),
                label(labels, to)
            );
        }
        Outcome::Evicted => s.push_str("  (given up: too many packets in flight)"),
        Outcome::InFlight => s.push_str("  (capture ended before its next hop)"),
        Outcome::Unseen { to, why, .. } => {
            let _ = write!(s, "  not seen at {}: ", label(labels, to));
            match why {
                Blind::Dropped(n) => {
                    let _ = write!(
                        s,
                        "its ring dropped {n} packets then (capture loss, not the network's)"
                    );
                }
                Blind::Gone => {
                    s.push_str("its interface was gone (cannot tell whether it was lost)")
                }
            }
        }
    }
    if let Some(n) = &rec.note {
        let _ = write!(s, "  ({n})");
    }
    s
}

fn endpoint(s: &mut String, (ip, port): (IpAddr, u16)) {
    let _ = if port == 0 {
        write!(s, "{ip}")
    } else {
        write!(s, "{ip}.{port}")
    };
}

/// ` [SNAT 192.168.56.11.40312]`, ` [DNAT 10.244.0.3.8080]`, or both:
/// the connection's source rewritten is SNAT, its destination DNAT.
fn write_rewrite(s: &mut String, rw: &Rewrite, pod_initiated: bool) {
    let (snat, dnat) = if pod_initiated {
        (rw.mine, rw.peer)
    } else {
        (rw.peer, rw.mine)
    };
    let mut parts = Vec::new();
    if let Some(e) = snat {
        let mut p = String::from("SNAT ");
        endpoint(&mut p, e);
        parts.push(p);
    }
    if let Some(e) = dnat {
        let mut p = String::from("DNAT ");
        endpoint(&mut p, e);
        parts.push(p);
    }
    if !parts.is_empty() {
        let _ = write!(s, " [{}]", parts.join(", "));
    }
}

/// Both lines of a packet without the full decoder: time, flow, path.
pub fn write_record(out: &mut dyn Write, rec: &Record, labels: &[String]) -> io::Result<()> {
    writeln!(out, "{} {}", clock(rec.ts), rec.flow)?;
    writeln!(out, "{}", path_line(rec, labels))
}

/// The summary on exit: per hop, packets seen (and expected but missed by
/// the capture); per gap of the first `main` hops (the path; the rest are
/// ways out watched ahead) and direction, packets lost.
pub fn write_summary(
    out: &mut dyn Write,
    s: &Summary,
    labels: &[String],
    main: usize,
) -> io::Result<()> {
    writeln!(
        out,
        "path summary: {} packets followed, {} complete, {} lost, {} not seen by the capture, {} given up, {} in flight at exit",
        s.followed,
        s.complete,
        s.lost_total(),
        s.unseen_total(),
        s.evicted,
        s.in_flight
    )?;
    let n = s.seen.len();
    let w = labels.iter().map(|l| l.len()).max().unwrap_or(4).max(4);
    writeln!(
        out,
        "  hop {:<w$} {:>10} {:>8} {:>10}",
        "", "seen", "missed", "untracked"
    )?;
    for h in 0..n {
        writeln!(
            out,
            "  {:>3} {:<w$} {:>10} {:>8} {:>10}",
            h + 1,
            label(labels, h),
            s.seen[h],
            s.missed.get(h).copied().unwrap_or(0),
            s.untracked.get(h).copied().unwrap_or(0),
        )?;
    }
    let gw = 2 * w + 3;
    writeln!(out, "  {:<gw$} {:>10}", "gap", "lost")?;
    // The gaps of the path itself (`main` hops); the ways out watched
    // ahead appear where something was lost.
    let main = main.min(n);
    let mut rows: Vec<(usize, usize, Dir)> = Vec::new();
    for h in 0..main.saturating_sub(1) {
        rows.push((h, h + 1, Dir::Out));
    }
    for h in (1..main).rev() {
        rows.push((h, h - 1, Dir::In));
    }
    for (&k, &v) in &s.lost {
        if v > 0 && !rows.contains(&k) {
            rows.push(k);
        }
    }
    for (from, to, dir) in rows {
        let v = s.lost.get(&(from, to, dir)).copied().unwrap_or(0);
        let gap = format!("{} > {}", label(labels, from), label(labels, to));
        writeln!(out, "  {gap:<gw$} {v:>10}")?;
    }
    if s.early > 0 {
        writeln!(
            out,
            "  {} sightings before every hop was listening: not judged",
            s.early
        )?;
    }
    for (&(hop, gone), &n) in &s.unseen {
        if n == 0 {
            continue;
        }
        let why = if gone {
            "its interface was gone"
        } else {
            "its ring dropped packets then"
        };
        writeln!(
            out,
            "  {n} packets not seen at {}: {why} (not counted as lost)",
            label(labels, hop)
        )?;
    }
    if s.repeats > 0 || s.late > 0 {
        writeln!(
            out,
            "  {} packets repeated an identity already seen; {} extra copies (flooded frames, or late after their packet was printed) ignored",
            s.repeats, s.late
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays() {
        assert_eq!(delay(850), "+850ns");
        assert_eq!(delay(6_250), "+6.2us");
        assert_eq!(delay(14_000), "+14us");
        assert_eq!(delay(1_250_000), "+1.250ms");
        assert_eq!(delay(-2_000_000_000), "-2.000s");
    }

    #[test]
    fn clock_is_utc_time_of_day() {
        // 2026-11-28 16:50:01.000100 UTC
        assert_eq!(clock(1_795_884_601_000_100_000), "16:50:01.000100");
    }
}
