//! Name lookups the compiler needs, all from built-in tables: services
//! (ports), IP protocols, EtherTypes and LLC SAPs, and the named constants
//! of pcap-filter(7) (`tcp-syn`, `icmp-echo`, ...).

use super::names_table::{PROTOCOLS, SERVICES};

/// IPPROTO_ values used by the code generator.
pub mod ipproto {
    pub const ICMP: u32 = 1;
    pub const IGMP: u32 = 2;
    pub const TCP: u32 = 6;
    pub const IGRP: u32 = 9;
    pub const UDP: u32 = 17;
    pub const FRAGMENT: u32 = 44;
    pub const ESP: u32 = 50;
    pub const AH: u32 = 51;
    pub const ICMPV6: u32 = 58;
    pub const PIM: u32 = 103;
    pub const VRRP: u32 = 112;
    pub const SCTP: u32 = 132;
}

/// ETHERTYPE_ values.
pub mod ethertype {
    pub const IP: u32 = 0x0800;
    pub const ARP: u32 = 0x0806;
    pub const REVARP: u32 = 0x8035;
    pub const IPV6: u32 = 0x86dd;
    pub const VLAN: u32 = 0x8100;
    pub const QINQ_8021AD: u32 = 0x88a8;
    pub const QINQ_9100: u32 = 0x9100;
    pub const MPLS: u32 = 0x8847;
    pub const TEB: u32 = 0x6558;
    pub const DECNET: u32 = 0x6003;
    pub const LAT: u32 = 0x6004;
    pub const SCA: u32 = 0x6007;
    pub const MOPRC: u32 = 0x6002;
    pub const MOPDL: u32 = 0x6001;
}

/// How a service name resolves: libpcap's pcap_nametoport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    pub port: u32,
    /// `None` when the name means the same port for TCP and UDP.
    pub proto: Option<u32>,
}

/// A service name (`http`, `domain`) to its port, as pcap_nametoport:
/// TCP's entry wins; the protocol is left open when UDP agrees.
pub fn service(name: &str) -> Option<Service> {
    let &(_, tcp, udp) = SERVICES.iter().find(|(n, _, _)| *n == name)?;
    if tcp >= 0 {
        let proto = if udp == tcp { None } else { Some(ipproto::TCP) };
        return Some(Service {
            port: tcp as u32,
            proto,
        });
    }
    if udp >= 0 {
        return Some(Service {
            port: udp as u32,
            proto: Some(ipproto::UDP),
        });
    }
    None
}

/// A port: a number in an ID (`8080` inside `8080-8090`) or a service name.
pub fn port(name: &str) -> Option<Service> {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
        return name
            .parse::<u32>()
            .ok()
            .map(|port| Service { port, proto: None });
    }
    service(name)
}

/// An IP protocol name (`tcp`, `ipv6-icmp`) to its number.
pub fn ip_protocol(name: &str) -> Option<u32> {
    PROTOCOLS.iter().find(|(n, _)| *n == name).map(|&(_, v)| v)
}

/// EtherType names, as libpcap's eproto table.
pub fn ether_protocol(name: &str) -> Option<u32> {
    Some(match name {
        "pup" => 0x0200,
        "xns" => 0x0600,
        "ip" => 0x0800,
        "ip6" => 0x86dd,
        "arp" => 0x0806,
        "rarp" => 0x8035,
        "sprite" => 0x0500,
        "mopdl" => 0x6001,
        "moprc" => 0x6002,
        "decnet" => 0x6003,
        "lat" => 0x6004,
        "sca" => 0x6007,
        "lanbridge" => 0x8038,
        "vexp" => 0x805b,
        "vprod" => 0x805c,
        "atalk" => 0x809b,
        "atalkarp" | "aarp" => 0x80f3,
        "loopback" => 0x9000,
        "decdts" => 0x803e,
        "decdns" => 0x803c,
        "lldp" => 0x88cc,
        "slow" => 0x8809,
        _ => return None,
    })
}

/// LLC SAP names (libpcap's llc table).
pub fn llc_sap(name: &str) -> Option<u32> {
    Some(match name {
        "iso" => 0xfe,
        "stp" => 0x42,
        "ipx" => 0xe0,
        "netbeui" => 0xf0,
        _ => return None,
    })
}

/// Addresses of `name` in /etc/hosts, in file order. No DNS: compiling a
/// filter must not wait on the network (and a node's resolver may not be
/// reachable from where podcap runs).
pub fn etc_hosts(name: &str) -> Vec<std::net::IpAddr> {
    let text = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    hosts_lookup(&text, name)
}

/// The /etc/hosts format: address, then names; `#` starts a comment.
pub fn hosts_lookup(text: &str, name: &str) -> Vec<std::net::IpAddr> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut words = line.split_whitespace();
        let Some(addr) = words
            .next()
            .and_then(|a| a.parse::<std::net::IpAddr>().ok())
        else {
            continue;
        };
        if words.any(|w| w.eq_ignore_ascii_case(name)) && !out.contains(&addr) {
            out.push(addr);
        }
    }
    out
}

/// pcap-filter(7)'s named constants, which the lexer turns into numbers.
pub fn constant(name: &str) -> Option<u32> {
    Some(match name {
        "icmptype" => 0,
        "icmpcode" => 1,
        "icmp-echoreply" => 0,
        "icmp-unreach" => 3,
        "icmp-sourcequench" => 4,
        "icmp-redirect" => 5,
        "icmp-echo" => 8,
        "icmp-routeradvert" => 9,
        "icmp-routersolicit" => 10,
        "icmp-timxceed" => 11,
        "icmp-paramprob" => 12,
        "icmp-tstamp" => 13,
        "icmp-tstampreply" => 14,
        "icmp-ireq" => 15,
        "icmp-ireqreply" => 16,
        "icmp-maskreq" => 17,
        "icmp-maskreply" => 18,
        "icmp6type" => 0,
        "icmp6code" => 1,
        "icmp6-destinationunreach" => 1,
        "icmp6-packettoobig" => 2,
        "icmp6-timeexceeded" => 3,
        "icmp6-parameterproblem" => 4,
        "icmp6-echo" => 128,
        "icmp6-echoreply" => 129,
        "icmp6-multicastlistenerquery" => 130,
        "icmp6-multicastlistenerreportv1" => 131,
        "icmp6-multicastlistenerdone" => 132,
        "icmp6-routersolicit" => 133,
        "icmp6-routeradvert" => 134,
        "icmp6-neighborsolicit" => 135,
        "icmp6-neighboradvert" => 136,
        "icmp6-redirect" => 137,
        "icmp6-routerrenum" => 138,
        "icmp6-nodeinformationquery" => 139,
        "icmp6-nodeinformationresponse" => 140,
        "icmp6-ineighbordiscoverysolicit" => 141,
        "icmp6-ineighbordiscoveryadvert" => 142,
        "icmp6-multicastlistenerreportv2" => 143,
        "icmp6-homeagentdiscoveryrequest" => 144,
        "icmp6-homeagentdiscoveryreply" => 145,
        "icmp6-mobileprefixsolicit" => 146,
        "icmp6-mobileprefixadvert" => 147,
        "icmp6-certpathsolicit" => 148,
        "icmp6-certpathadvert" => 149,
        "icmp6-multicastrouteradvert" => 151,
        "icmp6-multicastroutersolicit" => 152,
        "icmp6-multicastrouterterm" => 153,
        "tcpflags" => 13,
        "tcp-fin" => 0x01,
        "tcp-syn" => 0x02,
        "tcp-rst" => 0x04,
        "tcp-push" => 0x08,
        "tcp-ack" => 0x10,
        "tcp-urg" => 0x20,
        "tcp-ece" => 0x40,
        "tcp-cwr" => 0x80,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_resolve_like_pcap_nametoport() {
        assert_eq!(
            service("domain"),
            Some(Service {
                port: 53,
                proto: None
            })
        );
        assert_eq!(service("smtp").map(|s| s.port), Some(25));
        assert_eq!(service("bootps").map(|s| s.port), Some(67));
        assert_eq!(service("nosuchservice"), None);
        assert_eq!(port("8080").map(|s| s.port), Some(8080));
    }

    #[test]
    fn hosts_file() {
        let text = "# comment\n127.0.0.1 localhost\n::1 localhost ip6-localhost\n10.244.1.5 web-0.web web-0 # pod\n";
        assert_eq!(
            hosts_lookup(text, "localhost"),
            vec![
                "127.0.0.1".parse::<std::net::IpAddr>().unwrap(),
                "::1".parse().unwrap()
            ]
        );
        assert_eq!(hosts_lookup(text, "WEB-0").len(), 1);
        assert!(hosts_lookup(text, "comment").is_empty());
    }

    #[test]
    fn protocols_and_constants() {
        assert_eq!(ip_protocol("tcp"), Some(6));
        assert_eq!(ip_protocol("udp"), Some(17));
        assert_eq!(ether_protocol("arp"), Some(0x806));
        assert_eq!(constant("tcp-syn"), Some(2));
        assert_eq!(constant("icmp6-echo"), Some(128));
    }
}
