//! Correlator tests: a Flannel path of five hops
//! (pod:eth0, veth, cni0, flannel.1, eth0), sightings in the orders the
//! rings deliver them.

use super::*;
use crate::bpf::testutil::Rng;
use crate::trace::identity::tests::{FLANNEL_ETH, POD_ETH, UNDERLAY_OUTER, frame, hex, ping_data};
use crate::trace::identity::{IdentityConfig, Transport, identify};
use crate::trace::report::{path_line, write_summary};
use std::net::Ipv4Addr;

const POD: &str = "10.244.0.21";
const MS: Nanos = 1_000_000;
const T0: Nanos = 1_795_884_601_000_000_000;

fn labels() -> Vec<String> {
    ["pod:eth0", "veth1a2b", "cni0", "flannel.1", "eth0"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

fn cfg() -> Config {
    Config {
        pod_addrs: vec![POD.parse().unwrap()],
        ..Config::default()
    }
}

/// A made-up packet: `n` is its ICMP seq, `out` says whether the pod sent it.
fn pkt(n: u16, out: bool) -> Identity {
    let pod: IpAddr = POD.parse().unwrap();
    let peer = IpAddr::V4(Ipv4Addr::new(10, 244, 1, 5));
    let (src, dst) = if out { (pod, peer) } else { (peer, pod) };
    Identity {
        key: 0x5eed_0000_0000 + u64::from(n) * 2 + u64::from(out),
        flow: Flow {
            src,
            dst,
            transport: Transport::Icmp {
                ty: if out { 8 } else { 0 },
                code: 0,
                echo: Some((7, n)),
            },
            ip_id: Some(n),
            payload_len: 64,
        },
        outer: None,
    }
}

const NOFRAME: (&[u8], LinkType, u32) = (&[], LinkType::En10mb, 0);

fn seen_hops(r: &Record) -> Vec<usize> {
    r.steps
        .iter()
        .filter(|s| s.ts.is_some())
        .map(|s| s.hop)
        .collect()
}

#[test]
fn flannel_ping_from_literal_frames_printed_once_complete() {
    // The ping of the identity tests as each hop captures it; the rings
    // deliver the underlay first, then the pod, bridge, veth, VXLAN device.
    let data = ping_data();
    let pod = frame(POD_ETH, &data);
    let flannel = frame(FLANNEL_ETH, &data);
    let mut under = hex(UNDERLAY_OUTER);
    under.extend_from_slice(&flannel);
    let views: [(usize, &[u8]); 5] = [(4, &under), (0, &pod), (2, &pod), (1, &pod), (3, &flannel)];
    let c = Config {
        keep_frame: 128,
        ..cfg()
    };
    let mut k = Correlator::new(5, c, AllHops(5)).unwrap();
    let mut out = Vec::new();
    let icfg = IdentityConfig::default();
    for (hop, f) in views {
        let id = identify(f, LinkType::En10mb, &icfg).unwrap();
        let ts = T0 + hop as u64 * 12_000;
        k.observe(
            hop,
            ts,
            &id,
            (f, LinkType::En10mb, f.len() as u32),
            &mut out,
        );
        if hop != 3 {
            assert!(out.is_empty(), "printed before the last hop: {out:?}");
        }
    }
    assert_eq!(out.len(), 1);
    let r = &out[0];
    assert_eq!(r.outcome, Outcome::Complete);
    assert_eq!(r.dir, Dir::Out);
    assert_eq!(seen_hops(r), vec![0, 1, 2, 3, 4]);
    assert_eq!(r.ts, T0);
    // The pod's own view is the frame kept for printing.
    let f = r.frame.as_ref().unwrap();
    assert_eq!((f.hop, f.data.as_slice()), (0, &pod[..]));
    assert_eq!(
        path_line(r, &labels()),
        "  out pod:eth0 > veth1a2b +12us > cni0 +12us > flannel.1 +12us > eth0 +12us \
         [VXLAN 192.168.1.10.51234 > 192.168.1.11.8472 vni 1]"
    );
    // Nothing left to decide, no loss.
    k.finish(T0 + 10_000 * MS, &mut out);
    assert_eq!(out.len(), 1);
    let s = k.summary();
    assert_eq!((s.followed, s.complete, s.lost_total()), (1, 1, 0));
    assert_eq!(s.seen, vec![1; 5]);
}

#[test]
fn loss_between_bridge_and_vxlan_decided_by_later_traffic() {
    let mut k = Correlator::new(5, cfg(), AllHops(5)).unwrap();
    let mut out = Vec::new();
    let p = pkt(1, true);
    for hop in 0..3 {
        k.observe(hop, T0 + hop as u64 * 10_000, &p, NOFRAME, &mut out);
    }
    k.poll(T0 + MS, &mut out);
    assert!(out.is_empty(), "decided before flannel.1 said anything");
    // flannel.1 and eth0 deliver packets from 200 ms later: the ping
    // would have been there.
    k.advance(3, T0 + 200 * MS);
    k.poll(T0 + 2 * MS, &mut out);
    assert!(out.is_empty(), "eth0 has not spoken yet");
    k.advance(4, T0 + 200 * MS);
    k.poll(T0 + 2 * MS, &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].outcome, Outcome::Lost { from: 2, to: 3 });
    assert_eq!(
        path_line(&out[0], &labels()),
        "  out pod:eth0 > veth1a2b +10us > cni0 +10us  LOST between cni0 and flannel.1"
    );
    let s = k.summary();
    assert_eq!(s.lost.get(&(2, 3, Dir::Out)), Some(&1));
    let mut text = Vec::new();
    write_summary(&mut text, s, &labels(), labels().len()).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.starts_with("path summary: 1 packets followed, 0 complete, 1 lost"),
        "{text}"
    );
    assert!(text.contains("\n  cni0 > flannel.1 "), "{text}");
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("cni0 > flannel.1"))
        .unwrap();
    assert!(row.ends_with(" 1"), "{row}");
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("flannel.1 > cni0"))
        .unwrap();
    assert!(row.ends_with(" 0"), "{row}");
}

#[test]
fn loss_decided_by_timeout_when_next_hop_is_silent() {
    let mut k = Correlator::new(5, cfg(), AllHops(5)).unwrap();
    let mut out = Vec::new();
    let p = pkt(1, false);
    // Inbound from the other node: underlay, flannel.1, then nothing.
    k.observe(4, T0, &p, NOFRAME, &mut out);
    k.observe(3, T0 + 5_000, &p, NOFRAME, &mut out);
    k.poll(T0 + 999 * MS, &mut out);
    assert!(out.is_empty());
    k.poll(T0 + 1_001 * MS, &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].dir, Dir::In);
    assert_eq!(out[0].outcome, Outcome::Lost { from: 3, to: 2 });
    assert_eq!(k.summary().lost.get(&(3, 2, Dir::In)), Some(&1));
    assert_eq!(k.pending(), 0);
}

#[test]
fn inbound_from_the_node_waits_for_the_outer_hops_then_is_complete() {
    // The node pings its pod: the packet enters at cni0.
    let mut k = Correlator::new(5, cfg(), AllHops(5)).unwrap();
    let mut out = Vec::new();
    let p = pkt(1, false);
    for hop in [2, 1, 0] {
        k.observe(hop, T0 + (3 - hop as u64) * 1_000, &p, NOFRAME, &mut out);
    }
    // flannel.1 and eth0 could still deliver an earlier sighting.
    assert!(out.is_empty());
    k.advance(3, T0 + 200 * MS);
    k.advance(4, T0 + 200 * MS);
    k.poll(T0 + 2 * MS, &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].outcome, Outcome::Complete);
    assert_eq!(seen_hops(&out[0]), vec![2, 1, 0]);
    assert_eq!(
        path_line(&out[0], &labels()),
        "  in  cni0 > veth1a2b +1.0us > pod:eth0 +1.0us"
    );
}

#[test]
fn inbound_from_remote_printed_at_the_pod_without_waiting() {
    let mut k = Correlator::new(5, cfg(), AllHops(5)).unwrap();
    let mut out = Vec::new();
    let p = pkt(9, false);
    for hop in [4, 3, 2, 1, 0] {
        k.observe(hop, T0 + (5 - hop as u64) * 1_000, &p, NOFRAME, &mut out);
    }
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].outcome, Outcome::Complete);
    assert_eq!(seen_hops(&out[0]), vec![4, 3, 2, 1, 0]);
}

#[test]
fn expected_hops_follow_the_route() {
    // To a pod on the same bridge: pod, veth, cni0 only.
    let expect = |f: &Flow, dir: Dir| {
        let local = matches!(f.dst, IpAddr::V4(a) if a.octets()[..3] == [10, 244, 0]);
        if dir == Dir::Out && local {
            HopMask::of(&[0, 1, 2])
        } else {
            HopMask::all(5)
        }
    };
    let mut k = Correlator::new(5, cfg(), expect).unwrap();
    let mut out = Vec::new();
    let mut p = pkt(1, true);
    p.flow.dst = "10.244.0.9".parse().unwrap();
    for hop in 0..3 {
        k.observe(hop, T0 + hop as u64, &p, NOFRAME, &mut out);
    }
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].outcome, Outcome::Complete);
    // The remote one stopping at cni0 is lost there.
    let mut out = Vec::new();
    let q = pkt(2, true);
    for hop in 0..3 {
        k.observe(hop, T0 + hop as u64, &q, NOFRAME, &mut out);
    }
    k.finish(T0 + 5_000 * MS, &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].outcome, Outcome::Lost { from: 2, to: 3 });
}

#[test]
fn a_hole_is_a_capture_miss_not_a_loss() {
    let mut k = Correlator::new(5, cfg(), AllHops(5)).unwrap();
    let mut out = Vec::new();
    let p = pkt(3, true);
    for hop in [0, 1, 3, 4] {
        k.observe(hop, T0 + hop as u64 * 1_000, &p, NOFRAME, &mut out);
    }
    assert!(out.is_empty(), "cni0 may still deliver it");
    k.advance(2, T0 + 500 * MS);
    k.poll(T0 + MS, &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].outcome, Outcome::Complete);
    assert_eq!(out[0].steps[2], Step { hop: 2, ts: None });
    assert_eq!(
        path_line(&out[0], &labels()),
        "  out pod:eth0 > veth1a2b +1.0us > cni0 (not seen) > flannel.1 +2.0us > eth0 +1.0us"
    );
    assert_eq!(k.summary().missed, vec![0, 0, 1, 0, 0]);
    assert_eq!(k.summary().lost_total(), 0);
}

#[test]
fn same_identity_twice_at_one_hop_is_two_packets() {
    let mut k = Correlator::new(2, cfg(), AllHops(2)).unwrap();
    let mut out = Vec::new();
    let p = pkt(1, true);
    // A second later: not the same packet coming back, another one.
    k.observe(0, T0, &p, NOFRAME, &mut out);
    k.observe(0, T0 + 1_000 * MS, &p, NOFRAME, &mut out);
    assert_eq!(
        out.len(),
        1,
        "the first one is decided: lost before the veth"
    );
    assert_eq!(out[0].outcome, Outcome::Lost { from: 0, to: 1 });
    k.observe(1, T0 + 1_001 * MS, &p, NOFRAME, &mut out);
    assert_eq!(out.len(), 2);
    assert_eq!(out[1].outcome, Outcome::Complete);
    assert_eq!(k.summary().repeats, 1);
}

#[test]
fn routed_back_out_of_the_bridge_ends_there() {
    // DNAT to a pod behind the same bridge: cni0 sees the packet come in
    // and, routed, go out again; it never reaches flannel.1.
    let mut k = Correlator::new(5, cfg(), AllHops(5)).unwrap();
    let mut out = Vec::new();
    let p = pkt(1, true);
    for (hop, t) in [(0, 0), (1, 1_000), (2, 2_000), (2, 9_000)] {
        k.observe(hop, T0 + t, &p, NOFRAME, &mut out);
    }
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].outcome, Outcome::Complete);
    assert_eq!(out[0].turned, Some(2));
    assert_eq!(
        path_line(&out[0], &labels()),
        "  out pod:eth0 > veth1a2b +1.0us > cni0 +1.0us (and back out)"
    );
    assert_eq!(k.summary().repeats, 0);
}

#[test]
fn late_sighting_after_print_is_absorbed() {
    let mut k = Correlator::new(3, cfg(), |_: &Flow, _: Dir| HopMask::of(&[0, 1])).unwrap();
    let mut out = Vec::new();
    let p = pkt(1, true);
    k.observe(0, T0, &p, NOFRAME, &mut out);
    k.observe(1, T0 + 5, &p, NOFRAME, &mut out);
    assert_eq!(out.len(), 1);
    k.observe(2, T0 + 9, &p, NOFRAME, &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(k.summary().late, 1);
    k.poll(T0 + 2_000 * MS, &mut out);
    assert_eq!(k.pending(), 0);
}

#[test]
fn memory_is_bounded_and_eviction_is_not_loss() {
    let c = Config {
        max_entries: 3,
        ..cfg()
    };
    let mut k = Correlator::new(5, c, AllHops(5)).unwrap();
    let mut out = Vec::new();
    for n in 0..5 {
        k.observe(0, T0 + u64::from(n), &pkt(n, true), NOFRAME, &mut out);
        assert!(k.pending() <= 3);
    }
    assert_eq!(out.len(), 2);
    assert!(out.iter().all(|r| r.outcome == Outcome::Evicted));
    assert_eq!(out[0].flow.transport, pkt(0, true).flow.transport);
    let s = k.summary();
    assert_eq!((s.evicted, s.lost_total()), (2, 0));
}

#[test]
fn finish_reports_recent_packets_in_flight_not_lost() {
    let mut k = Correlator::new(5, cfg(), AllHops(5)).unwrap();
    let mut out = Vec::new();
    k.observe(0, T0, &pkt(1, true), NOFRAME, &mut out);
    k.observe(0, T0 + 900 * MS, &pkt(2, true), NOFRAME, &mut out);
    k.finish(T0 + 1_200 * MS, &mut out);
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].outcome, Outcome::Lost { from: 0, to: 1 });
    assert_eq!(out[1].outcome, Outcome::InFlight);
    assert_eq!(k.summary().in_flight, 1);
}

#[test]
fn horizon_holds_back_until_earlier_packets_are_decided() {
    let mut k = Correlator::new(2, cfg(), AllHops(2)).unwrap();
    let mut out = Vec::new();
    assert_eq!(k.horizon(), 0, "no hop has delivered anything yet");
    // Packet 1 seen at the pod only; packet 2, later, at both hops.
    k.observe(0, T0, &pkt(1, true), NOFRAME, &mut out);
    k.observe(0, T0 + 10 * MS, &pkt(2, true), NOFRAME, &mut out);
    k.observe(1, T0 + 11 * MS, &pkt(2, true), NOFRAME, &mut out);
    assert_eq!(out.len(), 1, "packet 2 is decided");
    // Packet 1 is undecided: nothing at or after its time may print.
    assert!(k.horizon() <= T0);
    k.advance(0, T0 + 900 * MS);
    k.advance(1, T0 + 900 * MS);
    k.poll(T0 + 900 * MS, &mut out);
    assert_eq!(out.len(), 2);
    assert!(k.horizon() > T0 + 11 * MS);
}

#[test]
fn discounted_packets_leave_the_summary() {
    let mut k = Correlator::new(2, cfg(), AllHops(2)).unwrap();
    let mut out = Vec::new();
    k.observe(0, T0, &pkt(1, true), NOFRAME, &mut out);
    k.observe(0, T0 + 1, &pkt(2, true), NOFRAME, &mut out);
    k.observe(1, T0 + 2, &pkt(2, true), NOFRAME, &mut out);
    k.finish(T0 + 10_000 * MS, &mut out);
    assert_eq!(out.len(), 2);
    let s = k.summary().clone();
    assert_eq!((s.followed, s.complete, s.lost_total()), (2, 1, 1));
    for r in &out {
        k.discount(r);
    }
    let s = k.summary();
    assert_eq!((s.followed, s.complete, s.lost_total()), (0, 0, 0));
}

#[test]
fn direction_from_first_sighting_without_pod_address() {
    let mut k = Correlator::new(3, Config::default(), AllHops(3)).unwrap();
    let mut out = Vec::new();
    let p = pkt(1, true);
    k.observe(1, T0 + 10, &p, NOFRAME, &mut out);
    k.observe(2, T0, &p, NOFRAME, &mut out);
    k.observe(0, T0 + 20, &p, NOFRAME, &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].dir, Dir::In);
    assert_eq!(seen_hops(&out[0]), vec![2, 1, 0]);
}

#[test]
fn bad_hop_counts_refused_and_unknown_hops_ignored() {
    assert!(Correlator::new(0, cfg(), AllHops(0)).is_err());
    assert!(Correlator::new(MAX_HOPS + 1, cfg(), AllHops(40)).is_err());
    let mut k = Correlator::new(2, cfg(), AllHops(2)).unwrap();
    let mut out = Vec::new();
    k.observe(7, T0, &pkt(1, true), NOFRAME, &mut out);
    k.untracked(9, T0);
    assert_eq!(k.pending(), 0);
}

/// Many packets both ways over five hops, some lost at a random gap, some
/// missed by one capture; each hop's sightings delivered in time order
/// (as a ring does) but the hops interleaved in random chunks. Every
/// packet must be printed exactly once with the right hops and verdict.
#[test]
fn property_random_interleavings_each_packet_once_with_right_verdict() {
    let mut rng = Rng::new(0xdead_beef);
    for round in 0..20 {
        let n = 500 + rng.below(1500);
        let c = Config {
            transit: MS,
            ..cfg()
        };
        let mut k = Correlator::new(5, c, AllHops(5)).unwrap();
        // (expected verdict, expected seen hops) per packet.
        let mut want: Vec<(Outcome, Vec<usize>)> = Vec::new();
        let mut per_hop: Vec<Vec<(Nanos, u16, bool)>> = vec![Vec::new(); 5];
        for i in 0..n {
            let out = rng.below(2) == 0;
            let order: Vec<usize> = if out {
                (0..5).collect()
            } else {
                (0..5).rev().collect()
            };
            let base = T0 + i as u64 * 100_000; // 10,000 packets per second
            let mut stop = 5;
            let mut hole = None;
            match rng.below(10) {
                0 => stop = 1 + rng.below(4),
                1 => hole = Some(1 + rng.below(3)),
                _ => {}
            }
            let mut seen = Vec::new();
            for (pos, &hop) in order.iter().enumerate().take(stop) {
                if hole == Some(pos) {
                    continue;
                }
                per_hop[hop].push((base + pos as u64 * 7_000, i as u16, out));
                seen.push(hop);
            }
            let verdict = if stop < 5 {
                Outcome::Lost {
                    from: order[stop - 1],
                    to: order[stop],
                }
            } else {
                Outcome::Complete
            };
            want.push((verdict, seen));
        }
        // Deliver: pick a hop, deliver its next chunk of 1..64 sightings.
        let mut out = Vec::new();
        let mut next = [0usize; 5];
        let mut clock = 0;
        while (0..5).any(|h| next[h] < per_hop[h].len()) {
            let h = rng.below(5);
            let take = 1 + rng.below(64);
            for _ in 0..take {
                let Some(&(ts, i, o)) = per_hop[h].get(next[h]) else {
                    break;
                };
                next[h] += 1;
                clock = clock.max(ts);
                k.observe(h, ts, &pkt(i, o), NOFRAME, &mut out);
            }
            k.poll(clock, &mut out);
            assert!(
                k.pending() < 3_000,
                "round {round}: table grows: {}",
                k.pending()
            );
        }
        k.finish(clock + 10_000 * MS, &mut out);
        assert_eq!(out.len(), n, "round {round}: each packet printed once");
        let mut got = vec![None; n];
        for r in &out {
            let Transport::Icmp {
                echo: Some((_, i)), ..
            } = r.flow.transport
            else {
                panic!("unexpected flow {:?}", r.flow);
            };
            assert!(
                got[usize::from(i)].is_none(),
                "round {round}: packet {i} twice"
            );
            got[usize::from(i)] = Some((r.outcome, seen_hops(r)));
        }
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g.as_ref(), Some(w), "round {round}: packet {i}");
        }
        let s = k.summary();
        let lost = want.iter().filter(|w| w.0 != Outcome::Complete).count() as u64;
        assert_eq!(s.lost_total(), lost);
        assert_eq!(s.in_flight + s.evicted, 0);
    }
}
