//! What the filter tests do with libpcap's suite (loaded by
//! `kit::conformance`): its in-scope cases, the Kubernetes expressions
//! beyond it, and comparing programs over the corpus.

use podcap::bpf::Insn;
use podcap::bpf::interp;
use podcap::linktype::LinkType;

use super::Sample;
use crate::kit::conformance::Suite;

/// The link type for a libpcap DLT name, when podcap compiles for it.
pub fn linktype_for_dlt(dlt: &str) -> Option<LinkType> {
    match dlt {
        "EN10MB" => Some(LinkType::En10mb),
        "RAW" => Some(LinkType::Raw),
        "LINUX_SLL" => Some(LinkType::LinuxSll),
        "LINUX_SLL2" => Some(LinkType::LinuxSll2),
        _ => None,
    }
}

/// Not a filter expression: libpcap's printer self-test.
pub fn is_special(expr: &str) -> bool {
    expr == "_enumerate_bpf_image"
}

/// The distinct in-scope accept expressions (563 in the suite).
pub fn distinct_exprs(suite: &Suite) -> Vec<String> {
    let mut v: Vec<String> = suite
        .accept
        .iter()
        .filter(|c| c.dlt.as_deref().and_then(linktype_for_dlt).is_some())
        .map(|c| c.expr.clone())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Parses a dotted-quad netmask as `pcap_compile` takes it (host order).
pub fn netmask(s: &str) -> Option<u32> {
    s.parse::<std::net::Ipv4Addr>().ok().map(u32::from)
}

/// Filters typical of Kubernetes troubleshooting, beyond libpcap's suite.
pub const K8S_EXPRS: &[&str] = &[
    "host 10.244.0.21",
    "host 10.244.0.21 and host 10.244.1.7",
    "src host 10.244.0.21 and dst port 80",
    "tcp port 80 or 443",
    "tcp port 80 or 443 or 8080",
    "tcp and (port 80 or port 443)",
    "udp port 53",
    "port 53",
    "udp port 8472",
    "udp port 4789",
    "udp dst port 6081",
    "vxlan",
    "geneve",
    "icmp",
    "icmp[icmptype] == icmp-echo",
    "icmp[icmptype] == icmp-echoreply or icmp[icmptype] == icmp-unreach",
    "icmp[0] == 8",
    "icmp6 and ip6[40] == 135",
    "tcp[tcpflags] & (tcp-syn|tcp-ack) != 0",
    "tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0",
    "tcp[tcpflags] & (tcp-rst|tcp-fin) != 0",
    "tcp[13] & 2 != 0",
    "tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
    "vlan 100 and ip",
    "vlan and tcp port 80",
    "vlan 100 and vlan 200",
    "net 10.244/16 and not port 22",
    "net 10.244.0.0/16",
    "net 10.96.0.0/12 or net 10.244.0.0/16",
    "dst net 10.244.1.0/24",
    "src net 10.244.0.0 mask 255.255.0.0",
    "not port 22",
    "not (port 22 or port 6443)",
    "port 6443 or port 10250 or port 2379",
    "portrange 30000-32767",
    "tcp portrange 1-1023",
    "arp",
    "arp or icmp",
    "arp host 10.244.0.21",
    "ether host 02:42:0a:f4:00:15",
    "ether src 02:42:0a:f4:00:15 and not arp",
    "ether broadcast or ether multicast",
    "ip multicast",
    "ip6 multicast",
    "ip broadcast",
    "ip6",
    "ip6 and tcp",
    "ip6 host fd00:10:244::15",
    "ip6 net fd00:10:244::/56",
    "ip and not ip6",
    "ip proto 4",
    "ip proto 47",
    "ip6 proto 58",
    "proto 132",
    "sctp port 5672",
    "igmp",
    "ip[6:2] & 0x1fff != 0",
    "ip[6] & 0x20 != 0",
    "ip[0] & 0xf != 5",
    "ip[8] < 5",
    "ip[2:2] > 1000",
    "greater 1000",
    "less 64",
    "len > 100 and len < 200",
    "udp[8:4] & 0xffffff00 = 0x08000000",
    "mpls",
    "mpls 100",
    "mpls and ip",
    "pppoes",
    "pppoes and ip",
    "tcp and src port 80 and dst portrange 1024-65535",
    "host 10.244.0.21 and (tcp or udp) and not port 53",
    "((tcp port 80) and (host 10.244.0.21)) or icmp",
    "tcp port http or tcp port https",
    "udp port domain",
    "port ssh",
    "ip host 8.8.8.8 || ip6 host ::1",
    "!tcp && !udp",
    "icmp or (udp and port 53)",
    "ip6 src net 2001:db8::/32",
    "ether proto 0x88cc",
    "ether[0] & 1 != 0",
    "ip[16:4] & 0xffffff00 == 0x0af40000",
    "tcp dst port 80 and (tcp[tcpflags] & tcp-syn) != 0",
    "udp and udp[4:2] > 100",
    "tcp[2:2] > 1023 and tcp[2:2] < 2000",
    "ether dst ff:ff:ff:ff:ff:ff",
    "icmp6 and ip6[40] == 128",
];

/// Runs `prog` on one sample: podcap's interpreter (kernel semantics), or
/// for programs that jump backwards (libpcap's `protochain`), the
/// test-only interpreter with libpcap's user-space semantics.
pub fn run(prog: &[Insn], s: &Sample) -> u32 {
    if super::refinterp::has_backward_jump(prog) {
        super::refinterp::run(prog, &s.data, s.wirelen, &s.aux).unwrap_or(0)
    } else {
        interp::run(prog, &s.data, s.wirelen, &s.aux)
    }
}

/// Runs both programs over `corpus`; the first packet where they return
/// different values.
pub fn first_difference<'a>(
    a: &[Insn],
    b: &[Insn],
    corpus: &'a [Sample],
) -> Option<(&'a Sample, u32, u32)> {
    corpus.iter().find_map(|s| {
        let ra = run(a, s);
        let rb = run(b, s);
        (ra != rb).then_some((s, ra, rb))
    })
}

/// Whether `a` and `b` differ on some corpus packet or on some truncated
/// copy of a packet one of them accepts (where libpcap's optimizer drops
/// a load that only checked the packet's length, the witness is such a
/// copy).
pub fn differ_even_truncated(a: &[Insn], b: &[Insn], corpus: &[Sample]) -> bool {
    if first_difference(a, b, corpus).is_some() {
        return true;
    }
    corpus
        .iter()
        .filter(|s| run(a, s) != 0 || run(b, s) != 0)
        .any(|s| {
            (0..s.data.len()).any(|n| {
                let t = Sample {
                    name: String::new(),
                    data: s.data[..n].to_vec(),
                    wirelen: s.wirelen,
                    aux: s.aux,
                };
                run(a, &t) != run(b, &t)
            })
        })
}

/// How many corpus packets a program accepts (to show tests are not vacuous).
pub fn accepted(prog: &[Insn], corpus: &[Sample]) -> usize {
    corpus.iter().filter(|s| run(prog, s) != 0).count()
}

/// Runs `f` over `items` on `threads` threads, keeping the order.
pub fn par_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.max(1);
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|c| s.spawn(|| c.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(v) => v,
                Err(e) => std::panic::resume_unwind(e),
            })
            .collect()
    })
}

/// The keywords of an expression (literals dropped), to group failures.
pub fn family(expr: &str) -> String {
    let words: Vec<&str> = expr
        .split_whitespace()
        .take_while(|w| {
            w.chars()
                .all(|c| c.is_ascii_alphabetic() || c == '-' || c == '6')
                && !w.starts_with('-')
        })
        .take(3)
        .collect();
    if words.is_empty() {
        expr.split_whitespace()
            .next()
            .map(|w| w.split('[').next().unwrap_or(w).to_string())
            .unwrap_or_else(|| "(empty)".to_string())
    } else {
        words.join(" ")
    }
}
