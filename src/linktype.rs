//! Link-layer header types: the DLT_ names users pass to `-y` and the
//! LINKTYPE_ numbers written into pcap headers (they differ for RAW).

use crate::{Error, Result};

/// `ARPHRD_*` interface hardware types (`<linux/if_arp.h>`), as
/// SIOCGIFHWADDR, IFLA's `ifi_type` and `sll_hatype` report them.
pub mod arphrd {
    pub const ETHER: u16 = 1;
    pub const PPP: u16 = 512;
    pub const RAWIP: u16 = 519;
    pub const TUNNEL: u16 = 768;
    pub const TUNNEL6: u16 = 769;
    pub const LOOPBACK: u16 = 772;
    pub const SIT: u16 = 776;
    pub const IPGRE: u16 = 778;
    pub const NONE: u16 = 0xfffe;
}

/// A link type: the ones podcap captures, writes and compiles filters
/// for ([`LinkType::ALL`]), the ones it only prints from files (NULL,
/// LOOP, IPV4, IPV6, NFLOG), and any other LINKTYPE_ value a file has,
/// kept as it is so that `-r` prints it as unsupported and `-w` copies it
/// under its own number, never as Ethernet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkType {
    /// Ethernet (DLT_EN10MB), also loopback and veth on Linux.
    En10mb,
    /// Raw IPv4/IPv6, no link header (tun devices, `ip` tunnels).
    Raw,
    /// Linux cooked capture v1, 16-byte header (`-i any`).
    LinuxSll,
    /// Linux cooked capture v2, 20-byte header with the ifindex.
    LinuxSll2,
    /// BSD loopback: a 4-byte address family in the writer's byte order.
    Null,
    /// OpenBSD loopback: the family in network byte order.
    Loop,
    /// Raw IPv4 (LINKTYPE_IPV4, 228).
    Ipv4,
    /// Raw IPv6 (LINKTYPE_IPV6, 229).
    Ipv6,
    /// Linux netfilter log messages (`-i nflog:N`, iptables' NFLOG).
    Nflog,
    /// A LINKTYPE_ value podcap has no printer for.
    Other(u32),
}

impl LinkType {
    /// The link types podcap captures and compiles filters for.
    pub const ALL: [LinkType; 4] = [
        LinkType::En10mb,
        LinkType::Raw,
        LinkType::LinuxSll,
        LinkType::LinuxSll2,
    ];

    /// Every link type the printer has a decoder for.
    pub const PRINTED: [LinkType; 9] = [
        LinkType::En10mb,
        LinkType::Raw,
        LinkType::LinuxSll,
        LinkType::LinuxSll2,
        LinkType::Null,
        LinkType::Loop,
        LinkType::Ipv4,
        LinkType::Ipv6,
        LinkType::Nflog,
    ];

    /// The name tcpdump's `-y` and `-L` use.
    pub fn name(self) -> &'static str {
        match self {
            LinkType::En10mb => "EN10MB",
            LinkType::Raw => "RAW",
            LinkType::LinuxSll => "LINUX_SLL",
            LinkType::LinuxSll2 => "LINUX_SLL2",
            LinkType::Null => "NULL",
            LinkType::Loop => "LOOP",
            LinkType::Ipv4 => "IPV4",
            LinkType::Ipv6 => "IPV6",
            LinkType::Nflog => "NFLOG",
            LinkType::Other(_) => "unknown",
        }
    }

    /// tcpdump's `-L` description.
    pub fn description(self) -> &'static str {
        match self {
            LinkType::En10mb => "Ethernet",
            LinkType::Raw => "Raw IP",
            LinkType::LinuxSll => "Linux cooked v1",
            LinkType::LinuxSll2 => "Linux cooked v2",
            LinkType::Null => "BSD loopback",
            LinkType::Loop => "OpenBSD loopback",
            LinkType::Ipv4 => "Raw IPv4",
            LinkType::Ipv6 => "Raw IPv6",
            LinkType::Nflog => "Linux netfilter log messages",
            LinkType::Other(_) => "unknown",
        }
    }

    /// The LINKTYPE_ value in a pcap file header or pcapng IDB.
    pub fn linktype(self) -> u32 {
        match self {
            LinkType::En10mb => 1,
            LinkType::Raw => 101,
            LinkType::LinuxSll => 113,
            LinkType::LinuxSll2 => 276,
            LinkType::Null => 0,
            LinkType::Loop => 108,
            LinkType::Ipv4 => 228,
            LinkType::Ipv6 => 229,
            LinkType::Nflog => 239,
            LinkType::Other(v) => v,
        }
    }

    /// The DLT_ value libpcap uses on Linux (12 for RAW, not 101).
    pub fn dlt(self) -> u32 {
        match self {
            LinkType::Raw => 12,
            other => other.linktype(),
        }
    }

    /// From a pcap/pcapng LINKTYPE_ value podcap captures and filters
    /// (also accepts DLT_RAW's 12 and 14).
    pub fn from_linktype(v: u32) -> Option<Self> {
        Some(LinkType::from_file(v)).filter(|l| l.filterable())
    }

    /// A file's LINKTYPE_ value as the printer and the writers take it:
    /// every value is kept, those podcap has no printer for as `Other`.
    pub fn from_file(v: u32) -> Self {
        match v {
            1 => LinkType::En10mb,
            101 | 12 | 14 => LinkType::Raw,
            113 => LinkType::LinuxSll,
            276 => LinkType::LinuxSll2,
            0 => LinkType::Null,
            108 => LinkType::Loop,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            239 => LinkType::Nflog,
            v => LinkType::Other(v),
        }
    }

    /// Whether podcap compiles filters for (and captures on) it.
    pub fn filterable(self) -> bool {
        LinkType::ALL.contains(&self)
    }

    /// The link type a raw (SOCK_RAW) packet socket delivers on an
    /// interface of ARPHRD type `hatype`, as libpcap maps it
    /// (`linux_map_arphrd_to_dlt`); `None` where podcap captures cooked.
    pub fn from_arphrd(hatype: u16) -> Option<Self> {
        match hatype {
            arphrd::ETHER | arphrd::LOOPBACK => Some(LinkType::En10mb),
            arphrd::NONE
            | arphrd::TUNNEL
            | arphrd::TUNNEL6
            | arphrd::SIT
            | arphrd::IPGRE
            | arphrd::PPP
            | arphrd::RAWIP => Some(LinkType::Raw),
            _ => None,
        }
    }

    /// From a `-y` name, case-insensitive, with or without `DLT_`.
    pub fn from_name(s: &str) -> Result<Self> {
        let up = s.to_ascii_uppercase();
        let up = up.strip_prefix("DLT_").unwrap_or(&up);
        LinkType::ALL
            .into_iter()
            .find(|l| l.name() == up)
            .ok_or_else(|| {
                Error::unsupported(
                    format!("link type {s}"),
                    "podcap knows EN10MB, RAW, LINUX_SLL and LINUX_SLL2",
                )
                .hint("pick one of those with -y")
            })
    }

    /// Length of the link-layer header before the network header.
    pub fn header_len(self) -> usize {
        match self {
            LinkType::En10mb => 14,
            LinkType::Raw => 0,
            LinkType::LinuxSll => 16,
            LinkType::LinuxSll2 => 20,
            LinkType::Null | LinkType::Loop => 4,
            LinkType::Ipv4 | LinkType::Ipv6 | LinkType::Nflog | LinkType::Other(_) => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for l in LinkType::ALL {
            assert_eq!(LinkType::from_name(l.name()).ok(), Some(l));
            assert_eq!(LinkType::from_linktype(l.linktype()), Some(l));
        }
        assert_eq!(
            LinkType::from_name("dlt_linux_sll").ok(),
            Some(LinkType::LinuxSll)
        );
        assert!(LinkType::from_name("IEEE802_11").is_err());
        for l in LinkType::PRINTED {
            assert_eq!(LinkType::from_file(l.linktype()), l);
        }
        assert_eq!(LinkType::from_file(147), LinkType::Other(147));
        assert_eq!(LinkType::from_file(147).linktype(), 147);
        assert_eq!(LinkType::from_linktype(239), None);
    }

    #[test]
    fn link_types_from_arphrd() {
        assert_eq!(LinkType::from_arphrd(1), Some(LinkType::En10mb));
        assert_eq!(LinkType::from_arphrd(772), Some(LinkType::En10mb));
        assert_eq!(LinkType::from_arphrd(0xfffe), Some(LinkType::Raw));
        assert_eq!(LinkType::from_arphrd(768), Some(LinkType::Raw));
        assert_eq!(LinkType::from_arphrd(801), None);
    }
}
