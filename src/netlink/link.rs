//! Links (`struct ifinfomsg` + IFLA_* attributes) and addresses
//! (`struct ifaddrmsg` + IFA_*), as `ip link` / `ip addr` read them.

use super::wire::{Attr, split_fixed};
use crate::Result;
use crate::wire::bytes;
use std::net::IpAddr;

pub const IFLA_ADDRESS: u16 = 1;
pub const IFLA_IFNAME: u16 = 3;
pub const IFLA_MTU: u16 = 4;
pub const IFLA_LINK: u16 = 5;
pub const IFLA_MASTER: u16 = 10;
pub const IFLA_OPERSTATE: u16 = 16;
pub const IFLA_LINKINFO: u16 = 18;
pub const IFLA_LINK_NETNSID: u16 = 37;

pub const IFLA_INFO_KIND: u16 = 1;
pub const IFLA_INFO_DATA: u16 = 2;
pub const IFLA_INFO_SLAVE_KIND: u16 = 4;
pub const IFLA_INFO_SLAVE_DATA: u16 = 5;

pub const IFLA_VXLAN_ID: u16 = 1;
pub const IFLA_VXLAN_GROUP: u16 = 2;
pub const IFLA_VXLAN_LINK: u16 = 3;
pub const IFLA_VXLAN_LOCAL: u16 = 4;
pub const IFLA_VXLAN_PORT: u16 = 15;
pub const IFLA_VXLAN_GROUP6: u16 = 16;
pub const IFLA_VXLAN_LOCAL6: u16 = 17;

pub const IFLA_BRPORT_STATE: u16 = 1;
pub const IFLA_BRPORT_ID: u16 = 17;
pub const IFLA_BRPORT_NO: u16 = 18;

pub const IFF_UP: u32 = 0x1;
pub const IFF_LOOPBACK: u32 = 0x8;
pub const IFF_POINTOPOINT: u32 = 0x10;
pub const IFF_RUNNING: u32 = 0x40;
pub const IFF_NOARP: u32 = 0x80;
pub const IFF_LOWER_UP: u32 = 0x10000;

pub const IFA_ADDRESS: u16 = 1;
pub const IFA_LOCAL: u16 = 2;
pub const IFA_LABEL: u16 = 3;

/// IFLA_INFO_KIND: what an interface is, as `ip -d link` names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum LinkKind {
    /// No IFLA_INFO_KIND: a physical NIC, loopback or another device
    /// without a link-type driver.
    #[default]
    Device,
    Veth,
    Bridge,
    Vxlan,
    Geneve,
    Ipip,
    Ip6tnl,
    Gre,
    Gretap,
    Ip6gre,
    Sit,
    Wireguard,
    Macvlan,
    Macvtap,
    Ipvlan,
    Ipvtap,
    Vlan,
    Bond,
    Dummy,
    Tun,
    Vrf,
    Netkit,
    /// A kind podcap has no name for, as the kernel spelled it.
    Other(String),
}

impl LinkKind {
    const NAMED: [(&'static str, LinkKind); 21] = [
        ("veth", LinkKind::Veth),
        ("bridge", LinkKind::Bridge),
        ("vxlan", LinkKind::Vxlan),
        ("geneve", LinkKind::Geneve),
        ("ipip", LinkKind::Ipip),
        ("ip6tnl", LinkKind::Ip6tnl),
        ("gre", LinkKind::Gre),
        ("gretap", LinkKind::Gretap),
        ("ip6gre", LinkKind::Ip6gre),
        ("sit", LinkKind::Sit),
        ("wireguard", LinkKind::Wireguard),
        ("macvlan", LinkKind::Macvlan),
        ("macvtap", LinkKind::Macvtap),
        ("ipvlan", LinkKind::Ipvlan),
        ("ipvtap", LinkKind::Ipvtap),
        ("vlan", LinkKind::Vlan),
        ("bond", LinkKind::Bond),
        ("dummy", LinkKind::Dummy),
        ("tun", LinkKind::Tun),
        ("vrf", LinkKind::Vrf),
        ("netkit", LinkKind::Netkit),
    ];

    /// From IFLA_INFO_KIND's text.
    pub fn parse(s: &str) -> LinkKind {
        LinkKind::NAMED
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, k)| k.clone())
            .unwrap_or_else(|| match s {
                "" | "device" => LinkKind::Device,
                _ => LinkKind::Other(s.to_string()),
            })
    }

    /// The kernel's name; `device` for one without a kind.
    pub fn as_str(&self) -> &str {
        match self {
            LinkKind::Device => "device",
            LinkKind::Other(s) => s,
            k => LinkKind::NAMED
                .iter()
                .find(|(_, n)| n == k)
                .map(|(s, _)| *s)
                .unwrap_or("device"),
        }
    }

    /// Whether IFLA_INFO_KIND was reported at all.
    pub fn is_device(&self) -> bool {
        *self == LinkKind::Device
    }

    /// An overlay or IP tunnel: packets of other nodes' pods leave or
    /// arrive inside it.
    pub fn is_tunnel(&self) -> bool {
        matches!(
            self,
            LinkKind::Vxlan
                | LinkKind::Geneve
                | LinkKind::Ipip
                | LinkKind::Ip6tnl
                | LinkKind::Gre
                | LinkKind::Gretap
                | LinkKind::Ip6gre
                | LinkKind::Sit
                | LinkKind::Wireguard
        )
    }

    /// A device stacked on a parent that shares the parent's wire
    /// (macvlan/ipvlan and their tap twins): no host-side peer.
    pub fn is_l2_child(&self) -> bool {
        matches!(
            self,
            LinkKind::Macvlan | LinkKind::Macvtap | LinkKind::Ipvlan | LinkKind::Ipvtap
        )
    }
}

impl std::fmt::Display for LinkKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// VXLAN device parameters from IFLA_INFO_DATA.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vxlan {
    pub vni: Option<u32>,
    /// Destination UDP port (host order); the kernel default is 8472.
    pub port: Option<u16>,
    pub local: Option<IpAddr>,
    /// Multicast group or single remote.
    pub group: Option<IpAddr>,
    /// Underlay device (IFLA_VXLAN_LINK).
    pub link: Option<u32>,
}

/// One interface.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Link {
    pub ifindex: u32,
    /// ARPHRD_* (1 = Ethernet).
    pub hw_type: u16,
    /// IFF_* flags.
    pub flags: u32,
    pub name: String,
    pub mtu: Option<u32>,
    pub mac: Option<Vec<u8>>,
    /// IFLA_LINK: the peer (veth) or parent (macvlan, vlan) ifindex, in
    /// the namespace named by `link_netnsid` when that is set.
    pub link: Option<u32>,
    pub link_netnsid: Option<i32>,
    /// The bridge (or bond) this interface is a port of.
    pub master: Option<u32>,
    pub operstate: Option<u8>,
    pub kind: LinkKind,
    /// IFLA_INFO_SLAVE_KIND: what this interface is a port of (bridge,
    /// bond), when it is one.
    pub slave_kind: Option<LinkKind>,
    pub vxlan: Option<Vxlan>,
    /// IFLA_MACVLAN_MODE or IFLA_IPVLAN_MODE.
    pub mode: Option<u32>,
    /// Bridge port number, when this is a bridge port (IFLA_BRPORT_NO).
    pub brport_no: Option<u16>,
    pub brport_id: Option<u16>,
    pub brport_state: Option<u8>,
}

impl Link {
    /// Parses an RTM_NEWLINK payload.
    pub fn parse(payload: &[u8]) -> Result<Link> {
        let (h, attrs) = split_fixed(payload, 16, "link message (ifinfomsg)")?;
        let mut l = Link {
            hw_type: bytes::ne16(h, 2).unwrap_or(0),
            ifindex: bytes::ne32(h, 4).unwrap_or(0),
            flags: bytes::ne32(h, 8).unwrap_or(0),
            ..Link::default()
        };
        for a in attrs {
            match a.kind {
                IFLA_ADDRESS => l.mac = Some(a.value.to_vec()),
                IFLA_IFNAME => l.name = a.string(),
                IFLA_MTU => l.mtu = a.u32(),
                IFLA_LINK => l.link = a.u32(),
                IFLA_MASTER => l.master = a.u32(),
                IFLA_OPERSTATE => l.operstate = a.u8(),
                IFLA_LINK_NETNSID => l.link_netnsid = a.i32(),
                IFLA_LINKINFO => l.apply_linkinfo(a),
                _ => {}
            }
        }
        Ok(l)
    }

    fn apply_linkinfo(&mut self, info: Attr<'_>) {
        let mut data = None;
        let mut slave_data = None;
        for a in info.nested() {
            match a.kind {
                IFLA_INFO_KIND => self.kind = LinkKind::parse(&a.string()),
                IFLA_INFO_SLAVE_KIND => self.slave_kind = Some(LinkKind::parse(&a.string())),
                IFLA_INFO_DATA => data = Some(a),
                IFLA_INFO_SLAVE_DATA => slave_data = Some(a),
                _ => {}
            }
        }
        if let Some(d) = data {
            match self.kind {
                LinkKind::Vxlan => {
                    let mut v = Vxlan::default();
                    for a in d.nested() {
                        match a.kind {
                            IFLA_VXLAN_ID => v.vni = a.u32(),
                            IFLA_VXLAN_PORT => v.port = a.u16_be(),
                            IFLA_VXLAN_LOCAL | IFLA_VXLAN_LOCAL6 => v.local = a.ip(),
                            IFLA_VXLAN_GROUP | IFLA_VXLAN_GROUP6 => v.group = a.ip(),
                            IFLA_VXLAN_LINK => v.link = a.u32(),
                            _ => {}
                        }
                    }
                    self.vxlan = Some(v);
                }
                LinkKind::Macvlan | LinkKind::Macvtap => {
                    self.mode = d.nested().find(|a| a.kind == 1).and_then(|a| a.u32());
                }
                LinkKind::Ipvlan | LinkKind::Ipvtap => {
                    self.mode = d
                        .nested()
                        .find(|a| a.kind == 1)
                        .and_then(|a| a.u16())
                        .map(u32::from);
                }
                _ => {}
            }
        }
        if let (Some(d), Some(LinkKind::Bridge)) = (slave_data, &self.slave_kind) {
            for a in d.nested() {
                match a.kind {
                    IFLA_BRPORT_NO => self.brport_no = a.u16(),
                    IFLA_BRPORT_ID => self.brport_id = a.u16(),
                    IFLA_BRPORT_STATE => self.brport_state = a.u8(),
                    _ => {}
                }
            }
        }
    }

    pub fn mac6(&self) -> Option<[u8; 6]> {
        self.mac.as_deref().and_then(|m| m.try_into().ok())
    }
}

/// macvlan mode name (`ip -d link`).
pub fn macvlan_mode_name(m: u32) -> &'static str {
    match m {
        1 => "private",
        2 => "vepa",
        4 => "bridge",
        8 => "passthru",
        16 => "source",
        _ => "unknown",
    }
}

/// ipvlan mode name (`ip -d link`).
pub fn ipvlan_mode_name(m: u32) -> &'static str {
    match m {
        0 => "l2",
        1 => "l3",
        2 => "l3s",
        _ => "unknown",
    }
}

/// One interface address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub family: u8,
    pub prefix_len: u8,
    pub scope: u8,
    pub ifindex: u32,
    /// The interface's own address (IFA_LOCAL, else IFA_ADDRESS).
    pub addr: IpAddr,
    /// The peer for point-to-point addresses (IFA_ADDRESS when it
    /// differs from IFA_LOCAL).
    pub peer: Option<IpAddr>,
    pub label: Option<String>,
}

impl Address {
    /// Parses an RTM_NEWADDR payload; `None` when it carries no address.
    pub fn parse(payload: &[u8]) -> Result<Option<Address>> {
        let (h, attrs) = split_fixed(payload, 8, "address message (ifaddrmsg)")?;
        let (mut local, mut address, mut label) = (None, None, None);
        for a in attrs {
            match a.kind {
                IFA_ADDRESS => address = a.ip(),
                IFA_LOCAL => local = a.ip(),
                IFA_LABEL => label = Some(a.string()),
                _ => {}
            }
        }
        let Some(addr) = local.or(address) else {
            return Ok(None);
        };
        Ok(Some(Address {
            family: h[0],
            prefix_len: h[1],
            scope: h[3],
            ifindex: bytes::ne32(h, 4).unwrap_or(0),
            addr,
            peer: address.filter(|a| *a != addr),
            label,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(kind: u16, v: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&(4 + v.len() as u16).to_ne_bytes());
        b.extend_from_slice(&kind.to_ne_bytes());
        b.extend_from_slice(v);
        b.resize(super::super::wire::align(b.len()), 0);
        b
    }

    #[test]
    fn parses_vxlan_link_with_nested_info() {
        let mut b = vec![0, 0, 1, 0];
        b.extend_from_slice(&9u32.to_ne_bytes());
        b.extend_from_slice(&(IFF_UP | IFF_LOWER_UP).to_ne_bytes());
        b.extend_from_slice(&0u32.to_ne_bytes());
        b.extend(attr(IFLA_IFNAME, b"flannel.1\0"));
        b.extend(attr(IFLA_MASTER, &4u32.to_ne_bytes()));
        let mut data = attr(IFLA_VXLAN_ID, &1u32.to_ne_bytes());
        data.extend(attr(IFLA_VXLAN_PORT, &8472u16.to_be_bytes()));
        data.extend(attr(IFLA_VXLAN_LOCAL, &[192, 168, 50, 1]));
        data.extend(attr(IFLA_VXLAN_LINK, &2u32.to_ne_bytes()));
        let mut info = attr(IFLA_INFO_KIND, b"vxlan\0");
        info.extend(attr(IFLA_INFO_DATA | 0x8000, &data));
        b.extend(attr(IFLA_LINKINFO | 0x8000, &info));
        let l = Link::parse(&b).unwrap();
        assert_eq!(l.name, "flannel.1");
        assert_eq!(l.ifindex, 9);
        assert_eq!(l.master, Some(4));
        assert_eq!(l.kind, LinkKind::Vxlan);
        let v = l.vxlan.unwrap();
        assert_eq!(v.vni, Some(1));
        assert_eq!(v.port, Some(8472));
        assert_eq!(v.local, Some("192.168.50.1".parse().unwrap()));
        assert_eq!(v.link, Some(2));
    }

    #[test]
    fn parses_bridge_port_slave_data() {
        let mut b = vec![0u8; 16];
        b[4] = 12;
        b.extend(attr(IFLA_IFNAME, b"veth1\0"));
        let mut sd = attr(IFLA_BRPORT_NO, &7u16.to_ne_bytes());
        sd.extend(attr(IFLA_BRPORT_STATE, &[3]));
        let mut info = attr(IFLA_INFO_KIND, b"veth\0");
        info.extend(attr(IFLA_INFO_SLAVE_KIND, b"bridge\0"));
        info.extend(attr(IFLA_INFO_SLAVE_DATA, &sd));
        b.extend(attr(IFLA_LINKINFO, &info));
        b.extend(attr(IFLA_LINK_NETNSID, &0i32.to_ne_bytes()));
        let l = Link::parse(&b).unwrap();
        assert_eq!(l.brport_no, Some(7));
        assert_eq!(l.brport_state, Some(3));
        assert_eq!(l.link_netnsid, Some(0));
        assert_eq!(l.kind, LinkKind::Veth);
    }

    #[test]
    fn parses_address_prefers_local() {
        let mut b = vec![2, 24, 0, 0];
        b.extend_from_slice(&3u32.to_ne_bytes());
        b.extend(attr(IFA_ADDRESS, &[10, 0, 0, 2]));
        b.extend(attr(IFA_LOCAL, &[10, 0, 0, 1]));
        let a = Address::parse(&b).unwrap().unwrap();
        assert_eq!(a.addr, "10.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(a.peer, Some("10.0.0.2".parse().unwrap()));
        assert_eq!(a.ifindex, 3);
        assert_eq!(Address::parse(&b[..8]).unwrap(), None);
    }
}
