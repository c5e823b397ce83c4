//! Links (`struct ifinfomsg` + IFLA_* attributes) and addresses
//! (`struct ifaddrmsg` + IFA_*), as `ip link` / `ip addr` read them.

use super::wire::{Attr, split_fixed};
use crate::Result;
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
pub const IFF_NOARP: u32 = 0x80;
pub const IFF_LOWER_UP: u32 = 0x10000;

pub const IFA_ADDRESS: u16 = 1;
pub const IFA_LOCAL: u16 = 2;
pub const IFA_LABEL: u16 = 3;

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
    /// IFLA_INFO_KIND: veth, bridge, vxlan, macvlan, ipvlan, ...
    pub kind: Option<String>,
    pub slave_kind: Option<String>,
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
            hw_type: u16::from_ne_bytes([h[2], h[3]]),
            ifindex: u32::from_ne_bytes([h[4], h[5], h[6], h[7]]),
            flags: u32::from_ne_bytes([h[8], h[9], h[10], h[11]]),
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
                IFLA_INFO_KIND => self.kind = Some(a.string()),
                IFLA_INFO_SLAVE_KIND => self.slave_kind = Some(a.string()),
                IFLA_INFO_DATA => data = Some(a),
                IFLA_INFO_SLAVE_DATA => slave_data = Some(a),
                _ => {}
            }
        }
        if let Some(d) = data {
            match self.kind.as_deref() {
                Some("vxlan") => {
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
                Some("macvlan") | Some("macvtap") => {
                    self.mode = d.nested().find(|a| a.kind == 1).and_then(|a| a.u32());
                }
                Some("ipvlan") | Some("ipvtap") => {
                    self.mode = d
                        .nested()
                        .find(|a| a.kind == 1)
                        .and_then(|a| a.u16())
                        .map(u32::from);
                }
                _ => {}
            }
        }
        if let (Some(d), Some("bridge")) = (slave_data, self.slave_kind.as_deref()) {
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

    pub fn kind_is(&self, k: &str) -> bool {
        self.kind.as_deref() == Some(k)
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
            ifindex: u32::from_ne_bytes([h[4], h[5], h[6], h[7]]),
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
        assert_eq!(l.kind.as_deref(), Some("vxlan"));
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
        assert!(l.kind_is("veth"));
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
