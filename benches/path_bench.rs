//! Synthetic benchmark of `capture --path` correlation: how many packets
//! per second the identity extraction plus correlator follow across a
//! five-hop Flannel path (pod eth0, veth, cni0, flannel.1, underlay with
//! VXLAN), with the hops' sightings interleaved as concurrently read rings
//! deliver them and 1% of the packets lost at a random gap.
//!
//!     cargo bench --bench path_bench -- [PACKETS]
//!
//! Prints packets/s, sightings/s, the ratio to the 10,000 packets/s the
//! feature must sustain, the largest table size, and checks that every
//! packet was decided once with the right verdict.

mod common;
use common::thread_cpu;
use podcap::linktype::LinkType;
use podcap::trace::{AllHops, Config, Correlator, IdentityConfig, Nanos, Record, identify};
use std::time::{Duration, Instant};

const HOPS: usize = 5;
const WINDOW: usize = 256;

/// Frames of one packet as the five hops see it: the pod's Ethernet frame
/// (also what the veth and the bridge see), the routed frame on flannel.1
/// and the VXLAN datagram on the underlay.
struct Views {
    pod: Vec<u8>,
    routed: Vec<u8>,
    under: Vec<u8>,
}

fn views(i: u32, out: bool) -> Views {
    let pod_ip = [10, 244, 0, 21];
    let peer = [10, 244, 1, 5];
    let (src, dst) = if out { (pod_ip, peer) } else { (peer, pod_ip) };
    let mut l4 = Vec::with_capacity(20 + 64);
    if i % 2 == 0 {
        // ICMP echo: id 7, seq i.
        l4.extend_from_slice(&[if out { 8 } else { 0 }, 0, 0, 0, 0, 7]);
        l4.extend_from_slice(&(i as u16).to_be_bytes());
    } else {
        // TCP data segment in an established connection.
        l4.extend_from_slice(&[0x9c, 0x40, 0x1f, 0x90]);
        l4.extend_from_slice(&(0x1000_0000u32.wrapping_add(i * 1448)).to_be_bytes());
        l4.extend_from_slice(&0x2000_0000u32.to_be_bytes());
        l4.extend_from_slice(&[0x50, 0x18, 0x01, 0xf6, 0, 0, 0, 0]);
    }
    l4.extend((0..64).map(|b| (b as u32 ^ i) as u8));
    let proto = if i % 2 == 0 { 1 } else { 6 };
    let ip = |ttl: u8| {
        let total = (20 + l4.len()) as u16;
        let mut p = vec![0x45, 0];
        p.extend_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&(i as u16).to_be_bytes());
        p.extend_from_slice(&[0x40, 0, ttl, proto, 0, 0]);
        p.extend_from_slice(&src);
        p.extend_from_slice(&dst);
        p.extend_from_slice(&l4);
        p
    };
    let eth = |ip: Vec<u8>, macs: [u8; 12]| [macs.to_vec(), vec![8, 0], ip].concat();
    let pod = eth(
        ip(64),
        [
            0x0a, 0x58, 0x0a, 0xf4, 0, 1, 0x0a, 0x58, 0x0a, 0xf4, 0, 0x15,
        ],
    );
    let routed = eth(
        ip(63),
        [
            0xd2, 0x1a, 0x3b, 0x4c, 0x5d, 0x6e, 0x8e, 0x7f, 0x6a, 0x5b, 0x4c, 0x3d,
        ],
    );
    let ulen = (8 + 8 + routed.len()) as u16;
    let mut under = vec![
        0x52, 0x54, 0, 0, 0, 0x0b, 0x52, 0x54, 0, 0, 0, 0x0a, 8, 0, 0x45, 0,
    ];
    under.extend_from_slice(&(20 + ulen).to_be_bytes());
    under.extend_from_slice(&[0, 0, 0, 0, 64, 17, 0, 0, 192, 168, 1, 10, 192, 168, 1, 11]);
    under.extend_from_slice(&[0xc8, 0x22, 0x21, 0x18]);
    under.extend_from_slice(&ulen.to_be_bytes());
    under.extend_from_slice(&[0, 0, 8, 0, 0, 0, 0, 0, 1, 0]);
    under.extend_from_slice(&routed);
    Views { pod, routed, under }
}

fn main() {
    // `cargo bench` adds `--bench`.
    let packets: usize = std::env::args()
        .skip(1)
        .find(|a| a != "--bench")
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let t0: Nanos = 1_795_884_601_000_000_000;
    let icfg = IdentityConfig::default();
    let cfg = Config {
        pod_addrs: vec!["10.244.0.21".parse().expect("address")],
        transit: 1_000_000,
        ..Config::default()
    };
    let mut k = match Correlator::new(HOPS, cfg, AllHops(HOPS)) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("path_bench: {e}");
            std::process::exit(1);
        }
    };

    // A tiny deterministic generator, so that runs compare.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };

    let mut out: Vec<Record> = Vec::new();
    let mut decided = 0usize;
    let mut lost_expected = 0u64;
    let mut sightings = 0u64;
    let mut peak = 0usize;
    let mut clock = t0;
    let mut wall = Duration::ZERO;
    let mut cpu = Duration::ZERO;
    let mut i = 0usize;
    while i < packets {
        let n = WINDOW.min(packets - i);
        // Each hop's sightings for this window, in time order.
        let mut per_hop: Vec<Vec<(Nanos, usize, u32, bool)>> = vec![Vec::new(); HOPS];
        let mut frames = Vec::with_capacity(n);
        for j in 0..n {
            let id = (i + j) as u32;
            let out_dir = rand() % 2 == 0;
            frames.push(views(id, out_dir));
            let stop = if rand() % 100 == 0 {
                lost_expected += 1;
                1 + (rand() % (HOPS as u64 - 1)) as usize
            } else {
                HOPS
            };
            let base = t0 + u64::from(id) * 100_000;
            for pos in 0..stop {
                let hop = if out_dir { pos } else { HOPS - 1 - pos };
                per_hop[hop].push((base + pos as u64 * 5_000, j, id, out_dir));
            }
        }
        let mut hops: Vec<usize> = (0..HOPS).collect();
        for h in (1..HOPS).rev() {
            hops.swap(h, (rand() % (h as u64 + 1)) as usize);
        }
        // Only identification and correlation are timed, not building frames.
        let (w0, c0) = (Instant::now(), thread_cpu());
        for h in hops {
            for &(ts, j, _, _) in &per_hop[h] {
                let v = &frames[j];
                let f: &[u8] = match h {
                    0..=2 => &v.pod,
                    3 => &v.routed,
                    _ => &v.under,
                };
                sightings += 1;
                clock = clock.max(ts);
                match identify(f, LinkType::En10mb, &icfg) {
                    Some(id) => {
                        k.observe(h, ts, &id, (f, LinkType::En10mb, f.len() as u32), &mut out)
                    }
                    None => k.untracked(h, ts),
                }
            }
        }
        k.poll(clock, &mut out);
        wall += w0.elapsed();
        cpu += thread_cpu().saturating_sub(c0);
        peak = peak.max(k.pending());
        decided += out.len();
        out.clear();
        i += n;
    }
    k.finish(clock + 10_000_000_000, &mut out);
    decided += out.len();
    let secs = cpu.as_secs_f64().max(1e-9);
    let s = k.summary();
    let pps = packets as f64 / secs;
    println!("packets            {packets}");
    println!("sightings          {sightings} ({HOPS} hops)");
    println!("wall time          {:.3} s", wall.as_secs_f64());
    println!("cpu time           {secs:.3} s (one thread)");
    println!("packets/s per core {pps:.0}");
    println!("sightings/s        {:.0}", sightings as f64 / secs);
    println!("vs 10,000 pps      {:.1}x", pps / 10_000.0);
    println!(
        "cpu at 10,000 pps  {:.1}% of a core",
        10_000.0 / pps * 100.0
    );
    println!("peak table         {peak} packets");
    println!(
        "decided            {decided} (complete {}, lost {}, given up {}, in flight {})",
        s.complete,
        s.lost_total(),
        s.evicted,
        s.in_flight
    );
    let ok = decided == packets && s.lost_total() == lost_expected && s.evicted == 0;
    println!(
        "verdicts           {}",
        if ok { "all correct" } else { "WRONG" }
    );
    if !ok {
        std::process::exit(1);
    }
}
