//! EtherTypes, IP protocol numbers and AF_PACKET packet types.

use super::enum_with_unknown;

enum_with_unknown! {
    /// The EtherType of an Ethernet, cooked or GRE header (IEEE registry).
    pub enum EtherType(u16) {
        Ipv4 = 0x0800,
        Arp = 0x0806,
        /// Trailer encapsulation, which ARP's protocol field may name
        /// instead of IPv4.
        Trail = 0x1000,
        /// Transparent Ethernet bridging (GRE TEB, NVGRE).
        Teb = 0x6558,
        Rarp = 0x8035,
        /// 802.1Q VLAN tag.
        Vlan = 0x8100,
        Ipv6 = 0x86dd,
        /// Slow protocols (LACP, marker).
        Slow = 0x8809,
        Mpls = 0x8847,
        MplsMulticast = 0x8848,
        PppoeDiscovery = 0x8863,
        PppoeSession = 0x8864,
        /// 802.1ad service tag (QinQ outer tag).
        QinQ = 0x88a8,
        Lldp = 0x88cc,
        /// The pre-standard QinQ outer tag some switches still send.
        Vlan9100 = 0x9100,
        /// Another pre-standard QinQ tag, which tcpdump also reads as one.
        Vlan9200 = 0x9200,
    }
}

impl EtherType {
    /// An 802.1Q or 802.1ad tag follows instead of the payload.
    pub fn is_vlan_tag(self) -> bool {
        matches!(
            self,
            EtherType::Vlan | EtherType::QinQ | EtherType::Vlan9100
        )
    }
}

enum_with_unknown! {
    /// The IPv4 protocol / IPv6 next-header number (IANA registry).
    pub enum IpProto(u8) {
        /// IPv6 hop-by-hop options.
        HopByHop = 0,
        Icmp = 1,
        Igmp = 2,
        /// IPv4 in IP (IPIP).
        Ipip = 4,
        Tcp = 6,
        Udp = 17,
        Dccp = 33,
        /// IPv6 in IP (6in4, sit).
        Ipv6 = 41,
        /// IPv6 routing header.
        Routing = 43,
        /// IPv6 fragment header.
        Fragment = 44,
        Gre = 47,
        Esp = 50,
        Ah = 51,
        Icmpv6 = 58,
        /// IPv6 "no next header".
        NoNext = 59,
        /// IPv6 destination options.
        DstOpts = 60,
        /// The mobility header's number before RFC 3775.
        MobilityOld = 62,
        /// Sun's "network disk" protocol, which tcpdump names.
        Nd = 77,
        Pim = 103,
        Vrrp = 112,
        Sctp = 132,
        /// IPv6 mobility header.
        Mobility = 135,
        /// Ethernet directly over IPv6 (segment routing's End.DX2).
        Ethernet = 143,
    }
}

impl IpProto {
    /// An IPv6 extension header, which podcap walks past to reach the
    /// transport (RFC 8200 §4.1; ESP ends the walk, it is opaque).
    pub fn is_ipv6_extension(self) -> bool {
        matches!(
            self,
            IpProto::HopByHop
                | IpProto::Routing
                | IpProto::Fragment
                | IpProto::DstOpts
                | IpProto::Ah
                | IpProto::Mobility
        )
    }
}

enum_with_unknown! {
    /// `sll_pkttype` of an AF_PACKET socket address (`<linux/if_packet.h>`):
    /// where the kernel saw the packet go.
    pub enum PacketType(u8) {
        /// To this host.
        Host = 0,
        Broadcast = 1,
        Multicast = 2,
        /// To another host, seen because the interface is promiscuous.
        OtherHost = 3,
        /// Sent by this host.
        Outgoing = 4,
        /// Looped back (never seen by user space on Linux today).
        Loopback = 5,
        /// Fast-routed (obsolete, kept for completeness).
        FastRoute = 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_known_and_unknown_values() {
        assert_eq!(EtherType::from(0x0800), EtherType::Ipv4);
        assert_eq!(u16::from(EtherType::Ipv6), 0x86dd);
        assert_eq!(EtherType::from(0x1234), EtherType::Unknown(0x1234));
        assert_eq!(u16::from(EtherType::Unknown(0x1234)), 0x1234);
        assert!(EtherType::from(0x88a8).is_vlan_tag());
        assert!(!EtherType::Ipv4.is_vlan_tag());
        assert_eq!(IpProto::from(17), IpProto::Udp);
        assert_eq!(u8::from(IpProto::Unknown(253)), 253);
        assert!(IpProto::from(44).is_ipv6_extension());
        assert!(!IpProto::Esp.is_ipv6_extension());
        assert_eq!(PacketType::from(4), PacketType::Outgoing);
        assert_eq!(u8::from(PacketType::OtherHost), 3);
        for v in 0..=255u8 {
            assert_eq!(u8::from(IpProto::from(v)), v);
            assert_eq!(u8::from(PacketType::from(v)), v);
        }
    }
}
