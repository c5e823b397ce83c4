//! Number-to-name tables tcpdump prints (ethertype, IP protocol), keyed by
//! wire's enums: every value podcap names must have tcpdump's name here,
//! the compiler sees to it.

use crate::wire::{EtherType, IpProto};

/// tcpdump's `ethertype_values`.
pub(crate) fn ethertype(t: EtherType) -> Option<&'static str> {
    use EtherType::*;
    Some(match t {
        Ipv4 => "IPv4",
        Mpls => "MPLS unicast",
        MplsMulticast => "MPLS multicast",
        Ipv6 => "IPv6",
        Vlan => "802.1Q",
        Vlan9100 => "802.1Q-9100",
        QinQ => "802.1Q-QinQ",
        Vlan9200 => "802.1Q-9200",
        Arp => "ARP",
        Rarp => "Reverse ARP",
        Trail => "Trail",
        Teb => "TEB",
        Slow => "Slow Protocols",
        PppoeDiscovery => "PPPoE D",
        PppoeSession => "PPPoE S",
        Lldp => "LLDP",
        Unknown(t) => match t {
            0x88e5 => "802.1AE MACsec",
            0x0200 => "PUP",
            0x0600 => "NS",
            0x0500 => "Sprite",
            0x6001 => "MOP DL",
            0x6002 => "MOP RC",
            0x6003 => "DN",
            0x6004 => "LAT",
            0x6007 => "SCA",
            0x8038 => "Lanbridge",
            0x803c => "DEC DNS",
            0x803e => "DEC DTS",
            0x805b => "VEXP",
            0x805c => "VPROD",
            0x809b => "Appletalk",
            0x80f3 => "Appletalk ARP",
            0x8137 => "IPX",
            0x880b => "PPP",
            0x8808 => "MPCP",
            0x888e => "EAPOL",
            0x8899 => "Realtek protocols",
            0x886f => "MS NLB heartbeat",
            0x8870 => "Jumbo",
            0x894f => "NSH",
            0x9000 => "Loopback",
            0xfefe => "OSI",
            0x00fe => "GRE-OSI",
            0xabcd => "CFM (old)",
            0x8902 => "CFM",
            0x893a => "IEEE1905.1",
            0x88ca => "TIPC",
            0x0707 => "GeoNet (old)",
            0x8947 => "GeoNet",
            0x1111 => "CALM FAST",
            0x88a2 => "AoE",
            0x88f7 => "PTP",
            0xd28b => "Arista Vendor Specific Protocol",
            _ => return None,
        },
    })
}

/// tcpdump's `ipproto_values`.
pub(crate) fn ipproto(p: IpProto) -> Option<&'static str> {
    use IpProto::*;
    Some(match p {
        HopByHop => "Options",
        Icmp => "ICMP",
        Igmp => "IGMP",
        Ipip => "IPIP",
        Tcp => "TCP",
        Udp => "UDP",
        Dccp => "DCCP",
        Ipv6 => "IPv6",
        Routing => "Routing",
        Fragment => "Fragment",
        Gre => "GRE",
        Esp => "ESP",
        Ah => "AH",
        Icmpv6 => "ICMPv6",
        MobilityOld => "Mobile IP (old)",
        Pim => "PIM",
        Vrrp => "VRRP",
        Sctp => "SCTP",
        Mobility => "Mobility",
        Ethernet => "Ethernet",
        // Named by podcap, not in tcpdump's table.
        NoNext | DstOpts | Nd => return None,
        Unknown(p) => match p {
            8 => "EGP",
            9 => "IGRP",
            46 => "RSVP",
            55 => "Mobile IP",
            88 => "EIGRP",
            89 => "OSPF",
            108 => "Compressed IP",
            113 => "PGM",
            _ => return None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tables as they were keyed by number: every value, the same name.
    #[test]
    fn same_names_as_tcpdump_for_every_value() {
        for (v, n) in [
            (0x0800, "IPv4"),
            (0x9200, "802.1Q-9200"),
            (0x1000, "Trail"),
            (0x8809, "Slow Protocols"),
            (0x88e5, "802.1AE MACsec"),
            (0xd28b, "Arista Vendor Specific Protocol"),
        ] {
            assert_eq!(ethertype(EtherType::from(v)), Some(n), "{v:#x}");
        }
        assert_eq!(ethertype(EtherType::from(0x1234)), None);
        assert_eq!(ethertype(EtherType::from(0x9100)), Some("802.1Q-9100"));
        for (v, n) in [
            (0, "Options"),
            (33, "DCCP"),
            (62, "Mobile IP (old)"),
            (113, "PGM"),
        ] {
            assert_eq!(ipproto(IpProto::from(v)), Some(n), "{v}");
        }
        for v in [59, 60, 77, 253] {
            assert_eq!(ipproto(IpProto::from(v)), None, "{v}");
        }
    }
}
