//! Routes (`struct rtmsg` + RTA_* attributes), as `ip route get` reads them.

use super::wire::{Attrs, split_fixed};
use crate::Result;
use std::net::IpAddr;

pub const RTA_DST: u16 = 1;
pub const RTA_SRC: u16 = 2;
pub const RTA_IIF: u16 = 3;
pub const RTA_OIF: u16 = 4;
pub const RTA_GATEWAY: u16 = 5;
pub const RTA_PRIORITY: u16 = 6;
pub const RTA_PREFSRC: u16 = 7;
pub const RTA_TABLE: u16 = 15;
pub const RTA_MARK: u16 = 16;
pub const RTA_VIA: u16 = 18;
pub const RTA_PREF: u16 = 20;
pub const RTA_UID: u16 = 25;

/// `rtm_flags`: the reply is a cloned (cache) entry.
pub const RTM_F_CLONED: u32 = 0x200;
/// Request flag: report the table that matched, not main.
pub const RTM_F_LOOKUP_TABLE: u32 = 0x1000;
/// Request flag: return the matching FIB entry (`ip route get fibmatch`).
pub const RTM_F_FIB_MATCH: u32 = 0x2000;
/// `RTCF_LOCAL` in the high half of `rtm_flags`.
pub const RTCF_LOCAL: u32 = 0x8000_0000;

pub const RT_TABLE_MAIN: u32 = 254;
pub const RT_TABLE_LOCAL: u32 = 255;

crate::wire::enum_with_unknown! {
    /// `rtm_type`: what the kernel does with a packet the route matches.
    #[derive(Default)]
    pub enum RouteType(u8) {
        #[default]
        Unspec = 0,
        /// Forwarded to a gateway or a directly connected host.
        Unicast = 1,
        /// Delivered to this host (an address of its own).
        Local = 2,
        Broadcast = 3,
        Anycast = 4,
        Multicast = 5,
        /// Dropped silently.
        Blackhole = 6,
        /// Dropped, EHOSTUNREACH / ICMP unreachable.
        Unreachable = 7,
        /// Dropped, EACCES / ICMP administratively prohibited.
        Prohibit = 8,
        /// Lookup continues in the next rule's table.
        Throw = 9,
        Nat = 10,
        Xresolve = 11,
    }
}

impl RouteType {
    /// iproute2's name for it (`rtnl_rtntype_n2a`).
    pub fn name(self) -> &'static str {
        match self {
            RouteType::Unspec => "none",
            RouteType::Unicast => "unicast",
            RouteType::Local => "local",
            RouteType::Broadcast => "broadcast",
            RouteType::Anycast => "anycast",
            RouteType::Multicast => "multicast",
            RouteType::Blackhole => "blackhole",
            RouteType::Unreachable => "unreachable",
            RouteType::Prohibit => "prohibit",
            RouteType::Throw => "throw",
            RouteType::Nat => "nat",
            RouteType::Xresolve => "xresolve",
            RouteType::Unknown(_) => "unknown",
        }
    }
}

/// One route, as the kernel reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Route {
    pub family: u8,
    pub dst_len: u8,
    pub src_len: u8,
    pub tos: u8,
    pub table: u32,
    pub protocol: u8,
    pub scope: u8,
    pub rtype: RouteType,
    pub flags: u32,
    pub dst: Option<IpAddr>,
    pub src: Option<IpAddr>,
    pub gateway: Option<IpAddr>,
    pub prefsrc: Option<IpAddr>,
    pub oif: Option<u32>,
    pub iif: Option<u32>,
    pub priority: Option<u32>,
    pub mark: Option<u32>,
    pub uid: Option<u32>,
    pub pref: Option<u8>,
}

impl Route {
    /// Parses an RTM_NEWROUTE payload.
    pub fn parse(payload: &[u8]) -> Result<Route> {
        let (h, attrs) = split_fixed(payload, 12, "route message (rtmsg)")?;
        let mut r = Route {
            family: h[0],
            dst_len: h[1],
            src_len: h[2],
            tos: h[3],
            table: u32::from(h[4]),
            protocol: h[5],
            scope: h[6],
            rtype: RouteType::from(h[7]),
            flags: u32::from_ne_bytes([h[8], h[9], h[10], h[11]]),
            ..Route::default()
        };
        r.apply(attrs);
        Ok(r)
    }

    fn apply(&mut self, attrs: Attrs<'_>) {
        for a in attrs {
            match a.kind {
                RTA_DST => self.dst = a.ip(),
                RTA_SRC => self.src = a.ip(),
                RTA_GATEWAY => self.gateway = a.ip(),
                RTA_PREFSRC => self.prefsrc = a.ip(),
                RTA_OIF => self.oif = a.u32(),
                RTA_IIF => self.iif = a.u32(),
                RTA_PRIORITY => self.priority = a.u32(),
                RTA_TABLE => self.table = a.u32().unwrap_or(self.table),
                RTA_MARK => self.mark = a.u32(),
                RTA_UID => self.uid = a.u32(),
                RTA_PREF => self.pref = a.u8(),
                // struct rtvia { u16 family; u8 addr[] }
                RTA_VIA if self.gateway.is_none() => {
                    self.gateway = a.value.get(2..).and_then(super::wire::ip_from);
                }
                _ => {}
            }
        }
    }
}

/// iproute2's name for a routing protocol (`rtnl_rtprot_n2a`).
pub fn protocol_name(p: u8) -> String {
    match p {
        0 => "unspec".into(),
        1 => "redirect".into(),
        2 => "kernel".into(),
        3 => "boot".into(),
        4 => "static".into(),
        8 => "gated".into(),
        9 => "ra".into(),
        10 => "mrt".into(),
        11 => "zebra".into(),
        12 => "bird".into(),
        13 => "dnrouted".into(),
        14 => "xorp".into(),
        15 => "ntk".into(),
        16 => "dhcp".into(),
        17 => "mrouted".into(),
        18 => "keepalived".into(),
        42 => "babel".into(),
        186 => "bgp".into(),
        187 => "isis".into(),
        188 => "ospf".into(),
        189 => "rip".into(),
        192 => "eigrp".into(),
        n => n.to_string(),
    }
}

/// Table name as iproute2 prints it.
pub fn table_name(t: u32) -> String {
    match t {
        253 => "default".into(),
        254 => "main".into(),
        255 => "local".into(),
        n => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_route_get_reply() {
        // rtmsg: AF_INET, /32, table main, proto unspec, scope universe,
        // unicast, RTM_F_CLONED; then RTA_TABLE 254, RTA_DST 10.244.0.21,
        // RTA_OIF 5, RTA_PREFSRC 10.244.0.1, RTA_UID 0.
        let mut b = vec![2, 32, 0, 0, 254, 0, 0, 1];
        b.extend_from_slice(&RTM_F_CLONED.to_ne_bytes());
        for (k, v) in [
            (RTA_TABLE, 254u32.to_ne_bytes().to_vec()),
            (RTA_DST, vec![10, 244, 0, 21]),
            (RTA_OIF, 5u32.to_ne_bytes().to_vec()),
            (RTA_PREFSRC, vec![10, 244, 0, 1]),
            (RTA_UID, 0u32.to_ne_bytes().to_vec()),
        ] {
            b.extend_from_slice(&(4 + v.len() as u16).to_ne_bytes());
            b.extend_from_slice(&k.to_ne_bytes());
            b.extend_from_slice(&v);
        }
        let r = Route::parse(&b).unwrap();
        assert_eq!(r.dst, Some("10.244.0.21".parse().unwrap()));
        assert_eq!(r.oif, Some(5));
        assert_eq!(r.prefsrc, Some("10.244.0.1".parse().unwrap()));
        assert_eq!(r.table, 254);
        assert_eq!(r.uid, Some(0));
        assert_eq!(r.rtype, RouteType::Unicast);
        assert!(r.flags & RTM_F_CLONED != 0);
        assert!(Route::parse(&b[..5]).is_err());
    }
}
