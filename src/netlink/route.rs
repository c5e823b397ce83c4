//! Routes (`struct rtmsg` + RTA_* attributes), as `ip route get` reads them.

use super::wire::{self, Attrs, Request, split_fixed};
use crate::Result;
use crate::wire::bytes;
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

/// One RTM_GETROUTE question, as `ip route get DST from SRC iif DEV oif
/// DEV mark M` asks it: a real FIB lookup, so policy rules on the source,
/// the input interface and the firewall mark all count (AWS VPC CNI, for
/// one, routes each pod through its own ENI with `from POD lookup TABLE`
/// rules that a lookup of the destination alone never reaches). With
/// `iif` it is the forwarding decision for a packet arriving there, which
/// fails when the kernel would not forward it (no route, forwarding off,
/// martian source).
///
/// ```
/// use podcap::netlink::RouteQuery;
/// let q = RouteQuery::to("10.0.0.1".parse().unwrap())
///     .from("10.244.0.21".parse().unwrap())
///     .iif(5)
///     .mark(0x4000);
/// assert_eq!(q.iif, Some(5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteQuery {
    pub dst: IpAddr,
    /// Ignored unless of `dst`'s family.
    pub src: Option<IpAddr>,
    /// Input interface (ifindex).
    pub iif: Option<u32>,
    /// Output interface (ifindex).
    pub oif: Option<u32>,
    /// Firewall mark (`fwmark` rules).
    pub mark: Option<u32>,
    /// Request `rtm_flags` ([`RTM_F_LOOKUP_TABLE`], [`RTM_F_FIB_MATCH`]).
    pub flags: u32,
}

impl RouteQuery {
    /// Where a packet to `dst` goes, nothing else given.
    pub fn to(dst: IpAddr) -> RouteQuery {
        RouteQuery {
            dst,
            src: None,
            iif: None,
            oif: None,
            mark: None,
            flags: 0,
        }
    }

    pub fn from(self, src: IpAddr) -> RouteQuery {
        RouteQuery {
            src: Some(src),
            ..self
        }
    }

    pub fn iif(self, ifindex: u32) -> RouteQuery {
        RouteQuery {
            iif: Some(ifindex),
            ..self
        }
    }

    pub fn oif(self, ifindex: u32) -> RouteQuery {
        RouteQuery {
            oif: Some(ifindex),
            ..self
        }
    }

    pub fn mark(self, mark: u32) -> RouteQuery {
        RouteQuery {
            mark: Some(mark),
            ..self
        }
    }

    pub fn flags(self, flags: u32) -> RouteQuery {
        RouteQuery { flags, ..self }
    }

    /// The RTM_GETROUTE request (sequence number added by
    /// [`Request::finish`]).
    pub fn request(&self) -> Request {
        let (fam, len, d) = ip_bytes(self.dst);
        let mut fixed = wire::fixed::rtmsg(fam, len, self.flags);
        let src = self.src.filter(|s| s.is_ipv4() == self.dst.is_ipv4());
        if let Some(s) = src {
            // rtm_src_len: the source is one address, not a prefix.
            fixed[2] = ip_bytes(s).1;
        }
        let mut req = Request::new(wire::RTM_GETROUTE, 0, &fixed).attr(RTA_DST, &d);
        if let Some(s) = src {
            req = req.attr(RTA_SRC, &ip_bytes(s).2);
        }
        for (kind, v) in [
            (RTA_IIF, self.iif),
            (RTA_OIF, self.oif),
            (RTA_MARK, self.mark),
        ] {
            if let Some(v) = v {
                req = req.attr(kind, &v.to_ne_bytes());
            }
        }
        req
    }
}

/// (family, address length in bits, bytes) of `ip`.
pub(super) fn ip_bytes(ip: IpAddr) -> (u8, u8, Vec<u8>) {
    match ip {
        IpAddr::V4(a) => (super::AF_INET, 32, a.octets().to_vec()),
        IpAddr::V6(a) => (super::AF_INET6, 128, a.octets().to_vec()),
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
            flags: bytes::ne32(h, 8).unwrap_or(0),
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

    #[test]
    fn request_bytes() {
        let b = RouteQuery::to("192.168.56.1".parse().unwrap())
            .from("192.168.56.100".parse().unwrap())
            .iif(5)
            .request()
            .finish(7);
        // nlmsghdr 16 + rtmsg 12 + three 8-byte attributes.
        assert_eq!(b.len(), 16 + 12 + 3 * 8);
        assert_eq!(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]), 52);
        assert_eq!(u16::from_ne_bytes([b[4], b[5]]), wire::RTM_GETROUTE);
        assert_eq!(u32::from_ne_bytes([b[8], b[9], b[10], b[11]]), 7);
        assert_eq!(&b[16..19], &[super::super::AF_INET, 32, 32]);
        assert_eq!(&b[28..36], &[8, 0, 1, 0, 192, 168, 56, 1]);
        assert_eq!(&b[36..44], &[8, 0, 2, 0, 192, 168, 56, 100]);
        assert_eq!(&b[44..48], &[8, 0, 3, 0]);
        assert_eq!(u32::from_ne_bytes([b[48], b[49], b[50], b[51]]), 5);
        // A source of the other family is left out.
        let b = RouteQuery::to("fd00::1".parse().unwrap())
            .from("10.0.0.1".parse().unwrap())
            .request()
            .finish(1);
        assert_eq!(b.len(), 16 + 12 + 20);
        assert_eq!(b[18], 0);
    }

    #[test]
    fn request_with_oif_mark_and_flags() {
        let b = RouteQuery::to("10.0.0.1".parse().unwrap())
            .oif(3)
            .mark(0x4000)
            .flags(RTM_F_LOOKUP_TABLE)
            .request()
            .finish(1);
        assert_eq!(b.len(), 16 + 12 + 3 * 8);
        assert_eq!(
            u32::from_ne_bytes([b[24], b[25], b[26], b[27]]),
            RTM_F_LOOKUP_TABLE
        );
        assert_eq!(&b[36..40], &[8, 0, RTA_OIF as u8, 0]);
        assert_eq!(u32::from_ne_bytes([b[40], b[41], b[42], b[43]]), 3);
        assert_eq!(&b[44..48], &[8, 0, RTA_MARK as u8, 0]);
        assert_eq!(u32::from_ne_bytes([b[48], b[49], b[50], b[51]]), 0x4000);
    }
}
