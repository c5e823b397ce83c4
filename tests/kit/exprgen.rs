//! A seeded generator of pcap-filter(7) expressions over libpcap 1.10's
//! grammar (grammar.y): primitives with every qualifier combination,
//! inherited bare values (`port 80 or 443`), `and`/`or`/`not`/parentheses,
//! arithmetic relations with every operator, and the numbers at the edges
//! of what the code generator checks (256, 70000, shifts of 32, division by
//! a constant that folds to zero). Most expressions compile; some are
//! meant to be refused, so that both compilers' refusals are compared too.
//!
//! Literals come from small pools, so that the packet corpus built from the
//! expressions' literals (`tests/corpus`) holds packets that match them.
//! Host names are never drawn: libpcap resolves them through DNS, podcap
//! through /etc/hosts only.

use super::Rng;

const V4: &[&str] = &[
    "10.244.0.21",
    "10.244.1.7",
    "10.96.0.10",
    "192.168.56.11",
    "172.17.0.2",
    "8.8.8.8",
    "255.255.255.255",
    "0.0.0.0",
];
const V4_NETS: &[&str] = &[
    "10.244.0.0/16",
    "10.244.1.0/24",
    "10.0.0.0/8",
    "10.96.0.0/12",
    "192.168.0.0/16",
    "172.16.0.0/12",
    "0.0.0.0/0",
    "10.244.0.21/32",
    "10.244",
    "192.168.56",
    "10",
    "10.244.0.0 mask 255.255.0.0",
    "0.0.0.0 mask 0.0.0.0",
    "10.244.1.0 mask 255.255.255.0",
];
const V6: &[&str] = &[
    "fd00:10:244::15",
    "fe80::1",
    "::1",
    "2001:db8::1",
    "ff02::1",
    "::",
];
const V6_NETS: &[&str] = &[
    "fd00:10:244::/56",
    "fe80::/10",
    "2001:db8::/32",
    "::/0",
    "2001:db8:1:2:3:4:5:0/112",
    "fd00::/8",
    "2001:db8::/64",
    "2001:db8::/96",
];
const MACS: &[&str] = &[
    "02:42:0a:f4:00:15",
    "ff:ff:ff:ff:ff:ff",
    "0a:58:0a:f4:01:07",
    "33:33:00:00:00:01",
    "3333.0000.0001",
    "0a-58-0a-f4-01-07",
    "1:2:3:4:5:6",
    "024200000001",
];
const PORTS: &[&str] = &[
    "22", "53", "80", "443", "6443", "8080", "10250", "2379", "67", "68", "8472", "4789", "0",
    "65535", "domain", "http", "https", "ssh", "bootps",
];
const RANGES: &[&str] = &[
    "30000-32767",
    "1-1023",
    "80-80",
    "8000-8100",
    "53-53",
    "1024-65535",
    "443",
    "65535-0",
];
const PROTO_NUMS: &[&str] = &[
    "6", "17", "1", "58", "132", "47", "4", "41", "50", "51", "0", "255", "256", "300",
];
const ETHER_PROTOS: &[&str] = &[
    "0x800",
    "0x86dd",
    "0x806",
    "0x8100",
    "0x88cc",
    "0x8035",
    "1500",
    "0x05dc",
    "0x600",
    "0x42",
    "0xfe",
    "70000",
    "\\ip",
    "\\arp",
    "\\ip6",
    "\\rarp",
    "\\lat",
    "\\atalk",
    "\\aarp",
    "\\ipx",
    "\\decnet",
    "\\sca",
    "\\moprc",
    "\\mopdl",
    "\\netbeui",
    "\\stp",
    "\\iso",
];
const IP_PROTO_NAMES: &[&str] = &[
    "\\tcp", "\\udp", "\\icmp", "\\sctp", "\\igmp", "\\pim", "\\vrrp", "\\ah", "\\esp",
];
const SIMPLE: &[&str] = &[
    "tcp", "udp", "icmp", "ip", "ip6", "arp", "rarp", "sctp", "igmp", "icmp6", "igrp", "pim",
    "vrrp", "carp", "ah", "esp", "atalk", "aarp", "decnet", "lat", "sca", "moprc", "mopdl", "iso",
    "esis", "isis", "clnp", "l1", "l2", "iih", "lsp", "snp", "csnp", "psnp", "stp", "ipx",
    "netbeui", "llc", "pppoed",
];
const LLC_KINDS: &[&str] = &[
    "i", "s", "u", "rr", "rnr", "rej", "ui", "ua", "disc", "dm", "sabme", "test", "xid", "frmr",
];
const INDEX_PROTOS: &[&str] = &[
    "ether", "link", "ip", "ip6", "tcp", "udp", "icmp", "icmp6", "arp", "rarp", "sctp", "igmp",
    "pim", "vrrp", "igrp", "decnet", "atalk", "lat", "sca", "moprc", "mopdl", "carp",
];
const NAMED_CONSTS: &[&str] = &[
    "tcpflags",
    "tcp-syn",
    "tcp-ack",
    "tcp-fin",
    "tcp-rst",
    "tcp-push",
    "tcp-urg",
    "tcp-ece",
    "tcp-cwr",
    "icmptype",
    "icmpcode",
    "icmp-echo",
    "icmp-echoreply",
    "icmp-unreach",
    "icmp6type",
    "icmp6code",
    "icmp6-echo",
    "icmp6-neighborsolicit",
];
const EDGE_NUMS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "4",
    "7",
    "8",
    "12",
    "13",
    "14",
    "16",
    "20",
    "31",
    "32",
    "33",
    "40",
    "64",
    "100",
    "255",
    "256",
    "1000",
    "1500",
    "4095",
    "4096",
    "65535",
    "65536",
    "0x1fff",
    "0xf0",
    "0xffff",
    "0xffffffff",
    "0x80000000",
    "0x12",
    "020",
];

/// The generator; `depth` limits nesting, and so expression size.
pub struct ExprGen {
    pub rng: Rng,
    pub depth: u32,
}

impl ExprGen {
    pub fn new(seed: u64) -> ExprGen {
        ExprGen {
            rng: Rng::new(seed),
            depth: 3,
        }
    }

    fn pick(&mut self, v: &[&str]) -> String {
        v[self.rng.below(v.len())].to_string()
    }

    fn chance(&mut self, p: u32) -> bool {
        self.rng.chance(p)
    }

    /// One expression.
    pub fn expr(&mut self) -> String {
        let d = self.depth;
        self.expr_at(d)
    }

    fn expr_at(&mut self, depth: u32) -> String {
        if depth == 0 || self.chance(35) {
            return self.term(depth);
        }
        let mut s = self.term(depth - 1);
        let n = 1 + self.rng.below(3);
        for _ in 0..n {
            let op = self.pick(&["and", "or", "and", "or", "&&", "||"]);
            // A bare value after and/or inherits the qualifiers before it.
            let rhs = if self.chance(20) {
                self.bare_value()
            } else {
                self.term(depth - 1)
            };
            s = format!("{s} {op} {rhs}");
        }
        s
    }

    fn term(&mut self, depth: u32) -> String {
        match self.rng.below(10) {
            0 => format!("not {}", self.term(depth.saturating_sub(1))),
            1 => format!("!{}", self.rterm(depth)),
            2 if depth > 0 => format!("({})", self.expr_at(depth - 1)),
            _ => self.rterm(depth),
        }
    }

    fn rterm(&mut self, depth: u32) -> String {
        match self.rng.below(100) {
            0..=24 => self.host_net(),
            25..=44 => self.port(),
            45..=56 => self.pick(SIMPLE),
            57..=66 => self.relation(),
            67..=72 => self.proto(),
            73..=76 => self.ether(),
            77..=80 => self.encap(depth),
            81..=83 => self.cast(),
            84..=86 => self.len(),
            87..=88 => self.byte(),
            89..=90 => self.direction(),
            91 => self.pick(&["llc"]) + &format!(" {}", self.pick(LLC_KINDS)),
            92..=93 => self.protochain(),
            _ => self.pick(SIMPLE),
        }
    }

    /// `[proto] [dir] [host|net]` and an address.
    fn host_net(&mut self) -> String {
        let dir = self.dir();
        let v6 = self.chance(25);
        let net = self.chance(40);
        let proto = if v6 {
            self.pick(&["", "", "ip6 "])
        } else {
            self.pick(&["", "", "", "ip ", "arp ", "rarp "])
        };
        let (kw, val) = match (v6, net) {
            (false, false) => (self.pick(&["host ", "host ", ""]), self.pick(V4)),
            (false, true) => ("net ".to_string(), self.pick(V4_NETS)),
            (true, false) => (self.pick(&["host ", ""]), self.pick(V6)),
            (true, true) => ("net ".to_string(), self.pick(V6_NETS)),
        };
        let mut s = format!("{proto}{dir}{kw}{val}");
        if self.chance(25) {
            // Inherited alternatives: `host A or B`.
            let more = if v6 { self.pick(V6) } else { self.pick(V4) };
            let op = self.pick(&["or", "and", "or"]);
            if !net {
                s = format!("{s} {op} {more}");
            }
        }
        if self.chance(3) {
            s = format!(
                "decnet {dir}host {}",
                self.pick(&["1.1", "10.5", "63.1023", "64.1", "1.1024"])
            );
        }
        s
    }

    fn dir(&mut self) -> String {
        self.pick(&[
            "",
            "",
            "",
            "src ",
            "dst ",
            "src or dst ",
            "src and dst ",
            "dst or src ",
            "dst and src ",
        ])
    }

    fn port(&mut self) -> String {
        let proto = self.pick(&["", "", "tcp ", "udp ", "tcp ", "sctp "]);
        let dir = self.dir();
        if self.chance(25) {
            return format!("{proto}{dir}portrange {}", self.pick(RANGES));
        }
        let p = self.pick(PORTS);
        let mut s = format!("{proto}{dir}port {p}");
        if self.chance(35) {
            let n = 1 + self.rng.below(3);
            for _ in 0..n {
                let op = self.pick(&["or", "or", "and"]);
                s = format!("{s} {op} {}", self.pick(PORTS));
            }
        }
        s
    }

    fn bare_value(&mut self) -> String {
        match self.rng.below(5) {
            0 => self.pick(V4),
            1 => self.pick(PORTS),
            2 => format!("not {}", self.pick(PORTS)),
            3 => self.pick(V6),
            _ => format!("({} or {})", self.pick(PORTS), self.pick(PORTS)),
        }
    }

    fn proto(&mut self) -> String {
        match self.rng.below(6) {
            0 => format!("ip proto {}", self.pick(PROTO_NUMS)),
            1 => format!("ip6 proto {}", self.pick(PROTO_NUMS)),
            2 => format!("proto {}", self.pick(PROTO_NUMS)),
            3 => format!("proto {}", self.pick(IP_PROTO_NAMES)),
            4 => format!("ip proto {}", self.pick(IP_PROTO_NAMES)),
            _ => format!(
                "{} proto {}",
                self.pick(&["iso", "isis"]),
                self.pick(&[
                    "1", "15", "17", "31", "32", "0x83", "\\isis", "\\esis", "\\clnp"
                ])
            ),
        }
    }

    fn protochain(&mut self) -> String {
        let p = self.pick(&["", "ip ", "ip6 "]);
        format!(
            "{p}protochain {}",
            self.pick(&["6", "17", "58", "51", "\\tcp", "\\udp"])
        )
    }

    fn ether(&mut self) -> String {
        match self.rng.below(7) {
            0 => format!("ether {}host {}", self.dir(), self.pick(MACS)),
            1 => format!("ether {} {}", self.pick(&["src", "dst"]), self.pick(MACS)),
            2 => format!("ether proto {}", self.pick(ETHER_PROTOS)),
            3 => self.pick(&[
                "ether broadcast",
                "broadcast",
                "ether multicast",
                "multicast",
            ]),
            4 => self.pick(&["ip broadcast", "ip multicast", "ip6 multicast"]),
            5 => format!("link proto {}", self.pick(ETHER_PROTOS)),
            _ => format!("ether host {} or {}", self.pick(MACS), self.pick(MACS)),
        }
    }

    fn encap(&mut self, depth: u32) -> String {
        let head = match self.rng.below(9) {
            0 => "vlan".to_string(),
            1 => format!(
                "vlan {}",
                self.pick(&["100", "200", "0", "4095", "4096", "(10)"])
            ),
            2 => "mpls".to_string(),
            3 => format!("mpls {}", self.pick(&["100", "0", "1048575", "1048576"])),
            4 => "geneve".to_string(),
            5 => format!("geneve {}", self.pick(&["77", "0", "16777215", "16777216"])),
            6 => "pppoes".to_string(),
            7 => format!("pppoes {}", self.pick(&["1", "0x1234", "65535", "65536"])),
            _ => "pppoed".to_string(),
        };
        if self.chance(60) {
            let op = self.pick(&["and", "or"]);
            format!("{head} {op} {}", self.term(depth.saturating_sub(1)))
        } else {
            head
        }
    }

    fn cast(&mut self) -> String {
        let flags = self.pick(&[
            "tcp-syn",
            "tcp-ack",
            "tcp-fin",
            "tcp-rst",
            "tcp-push",
            "(tcp-syn|tcp-ack)",
        ]);
        match self.rng.below(4) {
            0 => format!("tcp[tcpflags] & {flags} != 0"),
            1 => format!("tcp[tcpflags] & {flags} == {flags}"),
            2 => format!(
                "icmp[icmptype] {} {}",
                self.pick(&["=", "!=", "=="]),
                self.pick(&["icmp-echo", "icmp-echoreply", "icmp-unreach", "8", "0"])
            ),
            _ => format!(
                "icmp6[icmp6type] = {}",
                self.pick(&["icmp6-echo", "icmp6-neighborsolicit", "135", "128"])
            ),
        }
    }

    fn len(&mut self) -> String {
        match self.rng.below(3) {
            0 => format!("less {}", self.pick(EDGE_NUMS)),
            1 => format!("greater {}", self.pick(EDGE_NUMS)),
            _ => format!(
                "{} {} {}",
                self.pick(&["len", "length"]),
                self.relop(),
                self.pick(EDGE_NUMS)
            ),
        }
    }

    fn byte(&mut self) -> String {
        format!(
            "{} byte {} {} {}",
            self.pick(&["ip", "ip", "tcp", "udp", "ip6", "ether", "icmp"]),
            self.pick(&["0", "1", "9", "13", "20", "40", "100"]),
            self.pick(&["=", "<", ">", "&", "|"]),
            self.pick(&["0", "1", "6", "17", "64", "255", "256", "0x12"])
        )
    }

    fn direction(&mut self) -> String {
        match self.rng.below(3) {
            0 => "inbound".into(),
            1 => "outbound".into(),
            _ => format!("ifindex {}", self.pick(&["1", "2", "7", "42"])),
        }
    }

    fn relop(&mut self) -> String {
        self.pick(&["=", "==", "!=", "<", "<=", ">", ">="])
    }

    /// `arth relop arth`.
    fn relation(&mut self) -> String {
        format!("{} {} {}", self.arth(2), self.relop(), self.arth(1))
    }

    fn arth(&mut self, depth: u32) -> String {
        if depth == 0 || self.chance(40) {
            return self.arth_leaf(depth);
        }
        match self.rng.below(12) {
            0 => format!("-{}", self.arth(depth - 1)),
            1 => format!("({})", self.arth(depth - 1)),
            _ => {
                let op = self.pick(&["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>"]);
                format!("{} {op} {}", self.arth(depth - 1), self.arth(depth - 1))
            }
        }
    }

    fn arth_leaf(&mut self, depth: u32) -> String {
        match self.rng.below(10) {
            0..=3 => {
                let p = self.pick(INDEX_PROTOS);
                let idx = if depth > 0 && self.chance(15) {
                    self.arth(depth - 1)
                } else {
                    self.pick(&[
                        "0", "1", "2", "6", "8", "9", "12", "13", "16", "20", "40", "tcpflags",
                        "icmptype",
                    ])
                };
                match self.rng.below(4) {
                    0 => format!("{p}[{idx}:2]"),
                    1 => format!("{p}[{idx}:4]"),
                    2 if self.chance(10) => format!("{p}[{idx}:3]"),
                    _ => format!("{p}[{idx}]"),
                }
            }
            4 => self.pick(&["len", "length"]),
            5 => self.pick(NAMED_CONSTS),
            _ => self.pick(EDGE_NUMS),
        }
    }
}
