//! Identity tests on literal frames: the copies of one packet as each hop
//! of a Flannel path captures it must share a key; different packets must
//! not.

use super::*;
use crate::bpf::testutil::Rng;

/// Bytes from a hex string; spaces and newlines ignored.
pub(crate) fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s
        .bytes()
        .filter(|b| b.is_ascii_hexdigit())
        .map(|b| (b as char).to_digit(16).unwrap_or(0) as u8)
        .collect();
    digits.chunks(2).map(|p| p[0] << 4 | p[1]).collect()
}

/// 56 bytes of ping data (`ping` fills with 0x10.. after an 8-byte time).
pub(crate) fn ping_data() -> Vec<u8> {
    let mut d = hex("5c 3d 71 65 00 00 00 00");
    d.extend(0x10u8..0x40);
    d
}

// Pod 10.244.0.21 pings 10.244.1.5 (a pod on the other node).
// As its eth0 sees it: pod MAC -> cni0 MAC, TTL 64.
pub(crate) const POD_ETH: &str = "0a 58 0a f4 00 01  0a 58 0a f4 00 15  08 00
    45 00 00 54  1c 46 40 00  40 01 f0 2e  0a f4 00 15  0a f4 01 05
    08 00 4c 6a  00 07 00 01";
// As flannel.1 sends it: routed (MACs of the VXLAN devices, TTL 63, new
// IP checksum).
pub(crate) const FLANNEL_ETH: &str = "d2 1a 3b 4c 5d 6e  8e 7f 6a 5b 4c 3d  08 00
    45 00 00 54  1c 46 40 00  3f 01 f1 2e  0a f4 00 15  0a f4 01 05
    08 00 4c 6a  00 07 00 01";
// The underlay copy: outer Ethernet, IPv4 192.168.1.10 -> 192.168.1.11,
// UDP 51234 -> 8472, VXLAN VNI 1, then the flannel.1 frame.
pub(crate) const UNDERLAY_OUTER: &str = "52 54 00 00 00 0b  52 54 00 00 00 0a  08 00
    45 00 00 86  ab cd 00 00  40 11 00 00  c0 a8 01 0a  c0 a8 01 0b
    c8 22 21 18  00 72 00 00
    08 00 00 00  00 00 01 00";

pub(crate) fn frame(headers: &str, data: &[u8]) -> Vec<u8> {
    let mut f = hex(headers);
    f.extend_from_slice(data);
    f
}

fn id_of(f: &[u8], lt: LinkType) -> Identity {
    identify(f, lt, &IdentityConfig::default()).expect("identified")
}

#[test]
fn icmp_echo_same_key_on_every_flannel_hop() {
    let data = ping_data();
    let pod = frame(POD_ETH, &data);
    let flannel = frame(FLANNEL_ETH, &data);
    let mut underlay = hex(UNDERLAY_OUTER);
    underlay.extend_from_slice(&flannel);

    let a = id_of(&pod, LinkType::En10mb);
    let b = id_of(&flannel, LinkType::En10mb);
    let c = id_of(&underlay, LinkType::En10mb);
    assert_eq!(a.key, b.key);
    assert_eq!(a.key, c.key);
    assert_eq!(a.outer, None);
    assert_eq!(
        c.outer,
        Some(Encap {
            kind: EncapKind::Vxlan { vni: 1 },
            src: "192.168.1.10".parse().unwrap(),
            dst: "192.168.1.11".parse().unwrap(),
            sport: 51234,
            dport: 8472,
        })
    );
    assert_eq!(c.flow, a.flow);
    assert_eq!(
        a.flow.to_string(),
        "IP 10.244.0.21 > 10.244.1.5: ICMP echo request, id 7, seq 1, length 64"
    );
    assert_eq!(
        c.outer.unwrap().to_string(),
        "VXLAN 192.168.1.10.51234 > 192.168.1.11.8472 vni 1"
    );

    // The same packet through `-i any` (cooked v1 and v2) and a raw-IP
    // interface: same key.
    let ip = &pod[14..];
    let sll = [
        hex("00 04 00 01 00 06 0a 58 0a f4 00 15 00 00 08 00"),
        ip.to_vec(),
    ]
    .concat();
    let sll2 = [
        hex("08 00 00 00 00 00 00 05 00 01 04 06 0a 58 0a f4 00 15 00 00"),
        ip.to_vec(),
    ]
    .concat();
    assert_eq!(id_of(&sll, LinkType::LinuxSll).key, a.key);
    assert_eq!(id_of(&sll2, LinkType::LinuxSll2).key, a.key);
    assert_eq!(id_of(ip, LinkType::Raw).key, a.key);

    // A VLAN tag on the way (802.1Q 100) changes nothing.
    let tagged = [pod[..12].to_vec(), hex("81 00 00 64"), pod[12..].to_vec()].concat();
    assert_eq!(id_of(&tagged, LinkType::En10mb).key, a.key);

    // Ethernet padding after the IP packet is not payload.
    let padded = [pod.clone(), vec![0; 6]].concat();
    assert_eq!(id_of(&padded, LinkType::En10mb).key, a.key);
}

#[test]
fn next_ping_and_other_payload_differ() {
    let data = ping_data();
    let a = id_of(&frame(POD_ETH, &data), LinkType::En10mb);
    // seq 2 (and its IP ID 0x1c47): another packet.
    let next = POD_ETH
        .replace("1c 46", "1c 47")
        .replace("00 07 00 01", "00 07 00 02");
    assert_ne!(id_of(&frame(&next, &data), LinkType::En10mb).key, a.key);
    // Same headers, other data (another ping's time stamp).
    let mut other = data.clone();
    other[0] ^= 1;
    assert_ne!(id_of(&frame(POD_ETH, &other), LinkType::En10mb).key, a.key);
    // Same ICMP, IP ID 0 (DF datagrams from unconnected sockets): the
    // payload still tells them apart.
    let zero = POD_ETH.replace("1c 46", "00 00");
    let z1 = id_of(&frame(&zero, &data), LinkType::En10mb);
    let z2 = id_of(&frame(&zero, &other), LinkType::En10mb);
    assert_ne!(z1.key, z2.key);
}

// TCP SYN 10.244.0.21:40000 -> 10.96.0.10:80 (a Service IP) with MSS,
// SACK-permitted, timestamps, window scale.
const SYN_TO_SERVICE: &str = "0a 58 0a f4 00 01  0a 58 0a f4 00 15  08 00
    45 00 00 3c  5a 11 40 00  40 06 00 00  0a f4 00 15  0a 60 00 0a
    9c 40 00 50  11 22 33 44  00 00 00 00  a0 02 fa f0  12 34 00 00
    02 04 05 b4  04 02 08 0a  00 01 e2 40  00 00 00 00  01 03 03 07";
// The same SYN after kube-proxy's DNAT to the backend 10.244.1.5:8080 and
// routing: other destination, port, TTL, checksums.
const SYN_AFTER_DNAT: &str = "d2 1a 3b 4c 5d 6e  8e 7f 6a 5b 4c 3d  08 00
    45 00 00 3c  5a 11 40 00  3f 06 77 77  0a f4 00 15  0a f4 01 05
    9c 40 1f 90  11 22 33 44  00 00 00 00  a0 02 fa f0  ab cd 00 00
    02 04 05 b4  04 02 08 0a  00 01 e2 40  00 00 00 00  01 03 03 07";

#[test]
fn tcp_survives_dnat_but_not_retransmission() {
    let a = id_of(&hex(SYN_TO_SERVICE), LinkType::En10mb);
    let b = id_of(&hex(SYN_AFTER_DNAT), LinkType::En10mb);
    assert_eq!(a.key, b.key);
    assert_eq!(
        a.flow.to_string(),
        "IP 10.244.0.21.40000 > 10.96.0.10.80: Flags [S], seq 287454020, length 0"
    );
    assert_eq!(b.flow.dst, "10.244.1.5".parse::<IpAddr>().unwrap());
    // The retransmitted SYN: new IP ID, new TSval.
    let rtx = SYN_TO_SERVICE
        .replace("5a 11", "5a 12")
        .replace("00 01 e2 40", "00 01 e6 28");
    assert_ne!(id_of(&hex(&rtx), LinkType::En10mb).key, a.key);
}

#[test]
fn tso_super_packet_matches_its_first_segment() {
    // A 3000-byte TSO send (PSH set, IP total length 3052) as the veth
    // sees it, and the first 1448-byte segment (no PSH) on the underlay.
    let payload: Vec<u8> = (0..3000u32).map(|i| (i * 7) as u8).collect();
    let big = "0a 58 0a f4 00 01  0a 58 0a f4 00 15  08 00
        45 00 0b ec  5a 20 40 00  40 06 00 00  0a f4 00 15  0a f4 01 05
        9c 40 1f 90  11 22 33 45  55 66 77 88  80 18 01 f6  00 00 00 00
        01 01 08 0a  00 01 e2 41  00 00 10 00";
    let seg = "d2 1a 3b 4c 5d 6e  8e 7f 6a 5b 4c 3d  08 00
        45 00 05 dc  5a 20 40 00  3f 06 00 00  0a f4 00 15  0a f4 01 05
        9c 40 1f 90  11 22 33 45  55 66 77 88  80 10 01 f6  00 00 00 00
        01 01 08 0a  00 01 e2 41  00 00 10 00";
    let a = id_of(&frame(big, &payload), LinkType::En10mb);
    let b = id_of(&frame(seg, &payload[..1448]), LinkType::En10mb);
    assert_eq!(a.key, b.key);
    assert_eq!(a.flow.payload_len, 3000);
    assert_eq!(b.flow.payload_len, 1448);
}

#[test]
fn truncated_capture_still_identified() {
    // Snap length cut inside the payload: the declared length is kept,
    // the hash covers what is there (the same on every hop as long as the
    // snap length holds the first payload bytes).
    let data = ping_data();
    let full = frame(POD_ETH, &data);
    let cut = &full[..14 + 20 + 8 + 20];
    let id = id_of(cut, LinkType::En10mb);
    assert_eq!(id.flow.payload_len, 64);
}

// IPv6 ICMPv6 echo fd00::15 -> fd00:1::5 with a hop-by-hop header (padding
// only) before ICMPv6.
const V6_ECHO: &str = "0a 58 0a f4 00 01  0a 58 0a f4 00 15  86 dd
    60 0a bc de  00 18 00 40
    fd 00 00 00 00 00 00 00 00 00 00 00 00 00 00 15
    fd 00 00 01 00 00 00 00 00 00 00 00 00 00 00 05
    3a 00 01 04 00 00 00 00
    80 00 12 34  00 09 00 03  de ad be ef ca fe ba be";

#[test]
fn ipv6_echo_through_extension_header_and_vxlan() {
    let a = id_of(&hex(V6_ECHO), LinkType::En10mb);
    assert_eq!(
        a.flow.to_string(),
        "IP6 fd00::15 > fd00:1::5: ICMP6, echo request, id 9, seq 3, length 16"
    );
    // Hop limit and MACs changed, then VXLAN over IPv6 on port 4789.
    let routed = hex(&V6_ECHO.replace("00 18 00 40", "00 18 00 3f").replace(
        "0a 58 0a f4 00 01  0a 58 0a f4 00 15",
        "d2 1a 3b 4c 5d 6e  8e 7f 6a 5b 4c 3d",
    ));
    let mut under = hex("52 54 00 00 00 0b  52 54 00 00 00 0a  86 dd
         60 00 00 00  00 5e 11 40
         20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 0a
         20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 0b
         c0 01 12 b5  00 5e 00 00
         08 00 00 00  00 00 2a 00");
    under.extend_from_slice(&routed);
    let b = id_of(&under, LinkType::En10mb);
    assert_eq!(a.key, b.key);
    assert_eq!(
        b.outer.unwrap().to_string(),
        "VXLAN 2001:db8::a.49153 > 2001:db8::b.4789 vni 42"
    );
    // Another flow label (Linux rehashes it on a retransmission timeout).
    let other = hex(&V6_ECHO.replace("60 0a bc de", "60 0b bc de"));
    assert_ne!(id_of(&other, LinkType::En10mb).key, a.key);
}

#[test]
fn ipv6_fragments() {
    // First fragment (offset 0, M=1) carries the UDP header; the second
    // (offset 8) does not. Each has its own key, stable across hops.
    let first = "86 dd 60 00 00 00 00 18 2c 40
        fd 00 00 00 00 00 00 00 00 00 00 00 00 00 00 15
        fd 00 00 01 00 00 00 00 00 00 00 00 00 00 00 05
        11 00 00 01 ca fe f0 0d
        30 39 00 35 00 20 00 00  01 02 03 04 05 06 07 08";
    let second = "86 dd 60 00 00 00 00 18 2c 40
        fd 00 00 00 00 00 00 00 00 00 00 00 00 00 00 15
        fd 00 00 01 00 00 00 00 00 00 00 00 00 00 00 05
        11 00 00 10 ca fe f0 0d
        09 0a 0b 0c 0d 0e 0f 10  11 12 13 14 15 16 17 18";
    let sll2 = |s: &str| {
        [
            hex("86 dd 00 00 00 00 00 02 00 01 00 06 00 00 00 00 00 00 00 00"),
            hex(&s[6..]),
        ]
        .concat()
    };
    let a = id_of(&sll2(first), LinkType::LinuxSll2);
    let b = id_of(&sll2(second), LinkType::LinuxSll2);
    assert_ne!(a.key, b.key);
    assert!(matches!(
        a.flow.transport,
        Transport::Udp {
            sport: 12345,
            dport: 53
        }
    ));
    assert!(matches!(
        b.flow.transport,
        Transport::Fragment {
            proto: 17,
            offset: 16
        }
    ));
}

#[test]
fn ipv4_fragment_after_first() {
    let f = hex(
        "45 00 00 1c  77 77 00 b9  40 11 00 00  0a f4 00 15  0a f4 01 05
         aa bb cc dd  ee ff 00 11",
    );
    let id = id_of(&f, LinkType::Raw);
    assert_eq!(
        id.flow.to_string(),
        "IP 10.244.0.21 > 10.244.1.5: ip-proto-17 fragment (id 30583, offset 1480), length 8"
    );
}

#[test]
fn arp_request() {
    let f = hex("ff ff ff ff ff ff  0a 58 0a f4 00 15  08 06
         00 01 08 00 06 04 00 01  0a 58 0a f4 00 15  0a f4 00 15
         00 00 00 00 00 00  0a f4 00 01");
    let id = id_of(&f, LinkType::En10mb);
    assert_eq!(
        id.flow.to_string(),
        "ARP, Request who-has 10.244.0.1 tell 10.244.0.21"
    );
}

#[test]
fn geneve_and_ipip_inner_identity() {
    let data = ping_data();
    let pod = frame(POD_ETH, &data);
    let a = id_of(&pod, LinkType::En10mb);
    // Geneve with one 4-byte option word, VNI 5.
    let mut g = hex(
        "45 00 00 00  00 01 00 00  40 11 00 00  c0 a8 01 0a  c0 a8 01 0b
         d0 00 17 c1  00 00 00 00
         01 00 65 58  00 00 05 00  01 02 03 04",
    );
    g.extend_from_slice(&pod);
    let b = id_of(&g, LinkType::Raw);
    assert_eq!(b.key, a.key);
    assert_eq!(b.outer.unwrap().kind, EncapKind::Geneve { vni: 5 });
    // Calico IPIP: outer IPv4 protocol 4, inner IP packet without Ethernet.
    let mut ipip = hex("45 00 00 68  00 02 40 00  40 04 00 00  c0 a8 01 0a  c0 a8 01 0b");
    ipip.extend_from_slice(&pod[14..]);
    let c = id_of(&ipip, LinkType::Raw);
    assert_eq!(c.key, a.key);
    assert_eq!(
        c.outer.unwrap().to_string(),
        "IPIP 192.168.1.10 > 192.168.1.11"
    );
}

#[test]
fn udp_on_vxlan_port_that_is_not_vxlan_stays_udp() {
    let f = hex(
        "45 00 00 24  00 05 00 00  40 11 00 00  0a f4 00 15  0a f4 01 05
         30 39 21 18  00 10 00 00  00 00 00 00 00 00 00 00",
    );
    let id = id_of(&f, LinkType::Raw);
    assert_eq!(id.outer, None);
    assert!(matches!(
        id.flow.transport,
        Transport::Udp { dport: 8472, .. }
    ));
    // A configured port list without 8472: plain UDP even when it is VXLAN.
    let data = ping_data();
    let mut u = hex(UNDERLAY_OUTER);
    u.extend_from_slice(&frame(FLANNEL_ETH, &data));
    let cfg = IdentityConfig {
        vxlan_ports: vec![4789],
        ..IdentityConfig::default()
    };
    let id = identify(&u, LinkType::En10mb, &cfg).unwrap();
    assert_eq!(id.outer, None);
}

#[test]
fn not_ip_or_garbage_is_none() {
    let lldp = hex("01 80 c2 00 00 0e  52 54 00 00 00 0a  88 cc 02 07 04");
    assert!(identify(&lldp, LinkType::En10mb, &IdentityConfig::default()).is_none());
    assert!(identify(&[], LinkType::Raw, &IdentityConfig::default()).is_none());
    assert!(identify(&[0x45], LinkType::Raw, &IdentityConfig::default()).is_none());
    // IHL 4 (16 bytes) is invalid.
    let bad = hex("44 00 00 14 00 00 00 00 40 01 00 00 0a 00 00 01 0a 00 00 02");
    assert!(identify(&bad, LinkType::Raw, &IdentityConfig::default()).is_none());
}

#[test]
fn property_never_panics_on_mutated_or_cut_frames() {
    let data = ping_data();
    let mut under = hex(UNDERLAY_OUTER);
    under.extend_from_slice(&frame(FLANNEL_ETH, &data));
    let seeds = [
        under,
        hex(SYN_TO_SERVICE),
        hex(V6_ECHO),
        frame(POD_ETH, &data),
    ];
    let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
    let cfg = IdentityConfig::default();
    for round in 0..20_000 {
        let mut f = seeds[round % seeds.len()].clone();
        for _ in 0..1 + rng.below(4) {
            let i = rng.below(f.len());
            f[i] = rng.next_u64() as u8;
        }
        f.truncate(rng.below(f.len() + 1));
        for lt in LinkType::ALL {
            let _ = identify(&f, lt, &cfg);
        }
    }
}

#[test]
fn property_header_fields_that_change_per_hop_do_not_change_the_key() {
    // Random TTL, TOS, checksums, MACs and addresses: same key. Random IP
    // ID or echo seq: different key.
    let data = ping_data();
    let base = frame(POD_ETH, &data);
    let cfg = IdentityConfig::default();
    let k = identify(&base, LinkType::En10mb, &cfg).unwrap().key;
    let mut rng = Rng::new(42);
    for _ in 0..2_000 {
        let mut f = base.clone();
        for i in [
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15, 22, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33,
            36, 37,
        ] {
            f[i] = rng.next_u64() as u8;
        }
        assert_eq!(identify(&f, LinkType::En10mb, &cfg).unwrap().key, k);
        let mut g = base.clone();
        let i = [18, 19, 40, 41][rng.below(4)];
        g[i] ^= 1 + rng.below(255) as u8;
        assert_ne!(identify(&g, LinkType::En10mb, &cfg).unwrap().key, k);
    }
}

/// The tunnel headers the path follows into (these were the checks of the
/// VXLAN and Geneve views before the views moved to `wire`, where a view
/// vouches for the header's length only).
#[test]
fn vxlan_refuses_short_or_without_i_flag() {
    use crate::wire::vxlan;
    assert!(vxlan_inner(&[0x08u8, 0, 0, 0, 0, 0, 1, 0][..]).is_none());
    let mut buf = [0u8; 8 + 14];
    vxlan::Repr { vni: 1 }.emit(&mut buf).unwrap();
    assert_eq!(vxlan_inner(&buf[..]), Some((1, &[0u8; 14][..])));
    buf[0] = 0;
    assert!(vxlan_inner(&buf[..]).is_none());
}

#[test]
fn geneve_skips_options() {
    use crate::wire::geneve;
    // Version 0, 2 option words, protocol TEB, VNI 7, then 8 bytes of
    // options, then a 14-byte Ethernet header.
    let mut buf = vec![0x02, 0x00, 0x65, 0x58, 0, 0, 7, 0];
    buf.extend_from_slice(&[0xaa; 8]);
    buf.extend_from_slice(&[0xbb; 14]);
    let p = geneve::Packet::new_checked(&buf[..]).unwrap();
    assert_eq!(p.vni(), 7);
    assert_eq!(p.header_len(), 16);
    assert_eq!(p.payload(), Ok(&[0xbb; 14][..]));
    assert_eq!(geneve_inner(&buf[..]), Some((7, &[0xbb; 14][..])));
    // Options longer than the packet: refused, never sliced past the end.
    buf[0] = 0x3f;
    assert!(geneve_inner(&buf[..]).is_none());
    // Not Ethernet inside.
    buf[0] = 0x02;
    buf[2] = 0x08;
    buf[3] = 0x00;
    assert!(geneve_inner(&buf[..]).is_none());
}
