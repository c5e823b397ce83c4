//! Unit tests on literal packets: formats and truncation behaviour.

use super::*;

pub(crate) fn line(opts: &PrintOptions, lt: LinkType, data: &[u8]) -> String {
    cut(opts, lt, data, data.len())
}

/// The first `k` bytes of a packet, as a snap length would cut it.
pub(crate) fn cut(opts: &PrintOptions, lt: LinkType, full: &[u8], k: usize) -> String {
    let data = &full[..k];
    let mut p = Printer::new(PrintOptions {
        time: TimeFormat::None,
        ..opts.clone()
    });
    let meta = Meta {
        ts_sec: 0,
        ts_nsec: 0,
        wirelen: full.len() as u32,
        linktype: lt,
        ifname: None,
        direction: None,
    };
    p.format(&meta, data).to_string()
}

pub(crate) fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

const ARP_REQUEST: &str = "ffffffffffff 02000000000a 0806 0001 0800 06 04 0001
    02000000000a 0a4d0001 000000000000 0a4d0002";

#[test]
fn arp_request() {
    let d = hex(ARP_REQUEST);
    let o = PrintOptions::default();
    assert_eq!(
        line(&o, LinkType::En10mb, &d),
        "ARP, Request who-has 10.77.0.2 tell 10.77.0.1, length 28\n"
    );
    let e = PrintOptions {
        link_header: true,
        ..Default::default()
    };
    assert_eq!(
        line(&e, LinkType::En10mb, &d),
        "02:00:00:00:00:0a > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: \
         Request who-has 10.77.0.2 tell 10.77.0.1, length 28\n"
    );
    // Cut inside the addresses: tcpdump's longjmp mark, then the whole
    // frame with -x since no header length was established.
    let x = PrintOptions {
        dump: Dump::Hex,
        ..Default::default()
    };
    assert_eq!(
        cut(&x, LinkType::En10mb, &d, 30),
        " [|arp]\n\t0x0000:  ffff ffff ffff 0200 0000 000a 0806 0001\n\t0x0010:  0800 0604 0001 0200 0000 000a 0a4d\n"
    );
}

/// An IPv4 SYN with the usual Linux options, then cut in the options.
const SYN: &str = "02000000000b 02000000000a 0800
    4500 003c 1234 4000 4006 0000 0a4d0001 0a4d0002
    a028 b26e e0c8 0a98 0000 0000 a002 faf0 0000 0000
    0204 05b4 0402 080a cf1b 2a3a 0000 0000 0103 030a";

#[test]
fn tcp_syn_and_truncation() {
    let d = hex(SYN);
    let o = PrintOptions::default();
    assert_eq!(
        line(&o, LinkType::En10mb, &d),
        "IP 10.77.0.1.41000 > 10.77.0.2.45678: Flags [S], seq 3771206296, win 64240, \
         options [mss 1460,sackOK,TS val 3474663994 ecr 0,nop,wscale 10], length 0\n"
    );
    assert_eq!(
        cut(&o, LinkType::En10mb, &d, 14 + 20 + 20 + 10),
        "IP 10.77.0.1.41000 > 10.77.0.2.45678: Flags [S], seq 3771206296, win 64240, \
         options [mss 1460,sackOK,TS [|tcp]>\n"
    );
    assert_eq!(
        cut(&o, LinkType::En10mb, &d, 14 + 20 + 3),
        "IP 10.77.0.1 > 10.77.0.2: [|tcp]\n"
    );
    let q = PrintOptions {
        quiet: true,
        ..Default::default()
    };
    assert_eq!(
        line(&q, LinkType::En10mb, &d),
        "IP 10.77.0.1.41000 > 10.77.0.2.45678: tcp 0\n"
    );
}

#[test]
fn vxlan_inner_frame_on_next_line() {
    let inner = hex("02000000010b 02000000010a 0800
        4500 001c 0001 0000 4001 0000 0a4f0001 0a4f0002 0800 f7ff 0000 0000");
    let mut d = hex("02000000000b 02000000000a 0800
        4500 0000 0001 0000 4011 0000 0a4d0001 0a4d0002
        9c40 12b5 0000 0000 0800 0000 0000 2a00");
    d.extend_from_slice(&inner);
    let ip_len = (d.len() - 14) as u16;
    d[16..18].copy_from_slice(&ip_len.to_be_bytes());
    let udp_len = (d.len() - 34) as u16;
    d[38..40].copy_from_slice(&udp_len.to_be_bytes());
    let o = PrintOptions::default();
    assert_eq!(
        line(&o, LinkType::En10mb, &d),
        "IP 10.77.0.1.40000 > 10.77.0.2.4789: VXLAN, flags [I] (0x08), vni 42\n\
         IP 10.79.0.1 > 10.79.0.2: ICMP echo request, id 0, seq 0, length 8\n"
    );
}

#[test]
fn cooked_any_prefix_uses_meta() {
    let d = hex("0004 0001 0006 02000000000a 0000 0806 0001 0800 06 04 0001
        02000000000a 0a4d0001 000000000000 0a4d0002");
    let mut p = Printer::new(PrintOptions {
        time: TimeFormat::None,
        ..Default::default()
    });
    let meta = Meta {
        ts_sec: 0,
        ts_nsec: 0,
        wirelen: d.len() as u32,
        linktype: LinkType::LinuxSll,
        ifname: Some("eth0"),
        direction: None,
    };
    assert_eq!(
        p.format(&meta, &d),
        "eth0  Out ARP, Request who-has 10.77.0.2 tell 10.77.0.1, length 28\n"
    );
}
