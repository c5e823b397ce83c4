//! Qualifiers of a primitive (pcap-filter(7)): protocol, direction and
//! address type, as libpcap's `struct qual`.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    /// No protocol keyword was given.
    Default,
    /// No qualifiers can apply here (after `tcp`, a relation, ...).
    Undef,
    Link,
    Ip,
    Ip6,
    Arp,
    Rarp,
    Tcp,
    Udp,
    Sctp,
    Icmp,
    Icmp6,
    Igmp,
    Igrp,
    Pim,
    Vrrp,
    Carp,
    Ah,
    Esp,
    Atalk,
    Aarp,
    Decnet,
    Lat,
    Sca,
    Moprc,
    Mopdl,
    Iso,
    Esis,
    Isis,
    Clnp,
    Stp,
    Ipx,
    Netbeui,
    L1,
    L2,
    Iih,
    Lsp,
    Snp,
    Csnp,
    Psnp,
    Radio,
}

impl Proto {
    pub fn name(self) -> &'static str {
        match self {
            Proto::Default | Proto::Undef => "",
            Proto::Link => "link",
            Proto::Ip => "ip",
            Proto::Ip6 => "ip6",
            Proto::Arp => "arp",
            Proto::Rarp => "rarp",
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
            Proto::Sctp => "sctp",
            Proto::Icmp => "icmp",
            Proto::Icmp6 => "icmp6",
            Proto::Igmp => "igmp",
            Proto::Igrp => "igrp",
            Proto::Pim => "pim",
            Proto::Vrrp => "vrrp",
            Proto::Carp => "carp",
            Proto::Ah => "ah",
            Proto::Esp => "esp",
            Proto::Atalk => "atalk",
            Proto::Aarp => "aarp",
            Proto::Decnet => "decnet",
            Proto::Lat => "lat",
            Proto::Sca => "sca",
            Proto::Moprc => "moprc",
            Proto::Mopdl => "mopdl",
            Proto::Iso => "iso",
            Proto::Esis => "esis",
            Proto::Isis => "isis",
            Proto::Clnp => "clnp",
            Proto::Stp => "stp",
            Proto::Ipx => "ipx",
            Proto::Netbeui => "netbeui",
            Proto::L1 => "l1",
            Proto::L2 => "l2",
            Proto::Iih => "iih",
            Proto::Lsp => "lsp",
            Proto::Snp => "snp",
            Proto::Csnp => "csnp",
            Proto::Psnp => "psnp",
            Proto::Radio => "radio",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Default,
    Undef,
    Src,
    Dst,
    /// `src or dst`
    Or,
    /// `src and dst`
    And,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addr {
    Default,
    Undef,
    Host,
    Net,
    Port,
    PortRange,
    Gateway,
    Proto,
    ProtoChain,
}

impl Addr {
    pub fn name(self) -> &'static str {
        match self {
            Addr::Default | Addr::Undef => "",
            Addr::Host => "host",
            Addr::Net => "net",
            Addr::Port => "port",
            Addr::PortRange => "portrange",
            Addr::Gateway => "gateway",
            Addr::Proto => "proto",
            Addr::ProtoChain => "protochain",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Qual {
    pub proto: Proto,
    pub dir: Dir,
    pub addr: Addr,
}

impl Qual {
    /// libpcap's `qerr`: an id cannot follow (`tcp and 80` is an error).
    pub const ERR: Qual = Qual {
        proto: Proto::Undef,
        dir: Dir::Undef,
        addr: Addr::Undef,
    };
}
