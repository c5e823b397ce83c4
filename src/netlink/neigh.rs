//! Neighbours (`struct ndmsg` + NDA_* attributes): the ARP/NDP table and,
//! with family AF_BRIDGE, bridge and VXLAN forwarding databases.

use super::wire::split_fixed;
use crate::Result;
use crate::wire::bytes;
use std::net::IpAddr;

pub const NDA_DST: u16 = 1;
pub const NDA_LLADDR: u16 = 2;
pub const NDA_CACHEINFO: u16 = 3;
pub const NDA_PROBES: u16 = 4;
pub const NDA_VLAN: u16 = 5;
pub const NDA_PORT: u16 = 6;
pub const NDA_VNI: u16 = 7;
pub const NDA_IFINDEX: u16 = 8;
// neli's musl build hides Nda::Master; the raw number is the ABI anyway.
pub const NDA_MASTER: u16 = 9;
pub const NDA_LINK_NETNSID: u16 = 10;
pub const NDA_SRC_VNI: u16 = 11;

pub const NUD_INCOMPLETE: u16 = 0x01;
pub const NUD_REACHABLE: u16 = 0x02;
pub const NUD_STALE: u16 = 0x04;
pub const NUD_DELAY: u16 = 0x08;
pub const NUD_PROBE: u16 = 0x10;
pub const NUD_FAILED: u16 = 0x20;
pub const NUD_NOARP: u16 = 0x40;
pub const NUD_PERMANENT: u16 = 0x80;

pub const NTF_USE: u8 = 0x01;
pub const NTF_SELF: u8 = 0x02;
pub const NTF_MASTER: u8 = 0x04;
pub const NTF_PROXY: u8 = 0x08;
pub const NTF_EXT_LEARNED: u8 = 0x10;
pub const NTF_OFFLOADED: u8 = 0x20;
pub const NTF_STICKY: u8 = 0x40;
pub const NTF_ROUTER: u8 = 0x80;

/// `struct nda_cacheinfo`, in clock ticks (USER_HZ, 100 per second).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheInfo {
    pub confirmed: u32,
    pub used: u32,
    pub updated: u32,
    pub refcnt: u32,
}

/// One neighbour or FDB entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Neigh {
    /// AF_INET, AF_INET6, or AF_BRIDGE (7) for FDB entries.
    pub family: u8,
    pub ifindex: u32,
    /// NUD_* bits.
    pub state: u16,
    /// NTF_* bits.
    pub flags: u8,
    pub ntype: u8,
    /// The IP (ARP/NDP), or for a VXLAN FDB entry the remote VTEP.
    pub dst: Option<IpAddr>,
    pub lladdr: Option<Vec<u8>>,
    pub cache: Option<CacheInfo>,
    pub probes: Option<u32>,
    pub vlan: Option<u16>,
    /// VXLAN destination UDP port (host order).
    pub port: Option<u16>,
    pub vni: Option<u32>,
    /// VXLAN FDB: the underlay interface to send on.
    pub via_ifindex: Option<u32>,
    /// The bridge this port belongs to, for bridge FDB entries.
    pub master: Option<u32>,
    pub link_netnsid: Option<i32>,
}

impl Neigh {
    /// Parses an RTM_NEWNEIGH payload.
    pub fn parse(payload: &[u8]) -> Result<Neigh> {
        let (h, attrs) = split_fixed(payload, 12, "neighbour message (ndmsg)")?;
        let mut n = Neigh {
            family: h[0],
            ifindex: bytes::ne32(h, 4).unwrap_or(0),
            state: bytes::ne16(h, 8).unwrap_or(0),
            flags: h[10],
            ntype: h[11],
            ..Neigh::default()
        };
        for a in attrs {
            match a.kind {
                NDA_DST => n.dst = a.ip(),
                NDA_LLADDR => n.lladdr = Some(a.value.to_vec()),
                NDA_CACHEINFO => {
                    let w = |i: usize| {
                        a.value
                            .get(i * 4..i * 4 + 4)
                            .and_then(|s| s.try_into().ok())
                            .map(u32::from_ne_bytes)
                    };
                    if let (Some(c), Some(u), Some(up), Some(r)) = (w(0), w(1), w(2), w(3)) {
                        n.cache = Some(CacheInfo {
                            confirmed: c,
                            used: u,
                            updated: up,
                            refcnt: r,
                        });
                    }
                }
                NDA_PROBES => n.probes = a.u32(),
                NDA_VLAN => n.vlan = a.u16(),
                NDA_PORT => n.port = a.u16_be(),
                NDA_VNI => n.vni = a.u32(),
                NDA_IFINDEX => n.via_ifindex = a.u32(),
                NDA_MASTER => n.master = a.u32(),
                NDA_LINK_NETNSID => n.link_netnsid = a.i32(),
                _ => {}
            }
        }
        Ok(n)
    }

    /// The link-layer address as a 6-byte MAC, when it is one.
    pub fn mac(&self) -> Option<[u8; 6]> {
        self.lladdr.as_deref().and_then(|l| l.try_into().ok())
    }

    /// Usable for forwarding now: a MAC and a state that is not
    /// incomplete/failed. Stale still names the right MAC (the kernel
    /// only has not reconfirmed it), so it counts here; callers that want
    /// fresh evidence ping first.
    pub fn is_resolved(&self) -> bool {
        self.lladdr.is_some() && self.state & (NUD_INCOMPLETE | NUD_FAILED) == 0 && self.state != 0
    }
}

/// iproute2's words for NUD_* bits, in its order (space separated).
pub fn state_names(state: u16) -> String {
    if state == 0 {
        return "NONE".into();
    }
    const NAMES: [(u16, &str); 8] = [
        (NUD_INCOMPLETE, "INCOMPLETE"),
        (NUD_REACHABLE, "REACHABLE"),
        (NUD_STALE, "STALE"),
        (NUD_DELAY, "DELAY"),
        (NUD_PROBE, "PROBE"),
        (NUD_FAILED, "FAILED"),
        (NUD_NOARP, "NOARP"),
        (NUD_PERMANENT, "PERMANENT"),
    ];
    NAMES
        .iter()
        .filter(|(b, _)| state & b != 0)
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `aa:bb:cc:dd:ee:ff` for any link-layer address.
pub fn format_mac(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Parses `aa:bb:cc:dd:ee:ff`.
pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let mut out = [0u8; 6];
    let mut parts = s.split(':');
    for o in out.iter_mut() {
        *o = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    parts.next().is_none().then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bridge_fdb_entry() {
        // AF_BRIDGE, ifindex 7, NUD_REACHABLE, NTF_MASTER; lladdr, master 4,
        // cacheinfo (updated 345 ticks).
        let mut b = vec![7, 0, 0, 0];
        b.extend_from_slice(&7u32.to_ne_bytes());
        b.extend_from_slice(&NUD_REACHABLE.to_ne_bytes());
        b.extend_from_slice(&[NTF_MASTER, 0]);
        b.extend_from_slice(&[10, 0, 2, 0, 0xe2, 0xd0, 0x10, 0x82, 0x13, 0xe1, 0, 0]);
        b.extend_from_slice(&[8, 0, 9, 0]);
        b.extend_from_slice(&4u32.to_ne_bytes());
        b.extend_from_slice(&[20, 0, 3, 0]);
        for v in [0u32, 0, 345, 0] {
            b.extend_from_slice(&v.to_ne_bytes());
        }
        let n = Neigh::parse(&b).unwrap();
        assert_eq!(n.family, 7);
        assert_eq!(n.ifindex, 7);
        assert_eq!(n.master, Some(4));
        assert_eq!(n.mac(), Some([0xe2, 0xd0, 0x10, 0x82, 0x13, 0xe1]));
        assert_eq!(n.cache.unwrap().updated, 345);
        assert!(n.is_resolved());
    }

    #[test]
    fn parses_vxlan_fdb_with_port_and_dst() {
        let mut b = vec![7, 0, 0, 0];
        b.extend_from_slice(&3u32.to_ne_bytes());
        b.extend_from_slice(&NUD_PERMANENT.to_ne_bytes());
        b.extend_from_slice(&[NTF_SELF, 0]);
        b.extend_from_slice(&[8, 0, 1, 0, 192, 168, 50, 2]);
        b.extend_from_slice(&[6, 0, 6, 0, 0x21, 0x18, 0, 0]);
        let n = Neigh::parse(&b).unwrap();
        assert_eq!(n.dst, Some("192.168.50.2".parse().unwrap()));
        assert_eq!(n.port, Some(8472));
    }

    #[test]
    fn names_and_macs() {
        assert_eq!(state_names(NUD_REACHABLE), "REACHABLE");
        assert_eq!(state_names(0), "NONE");
        assert_eq!(format_mac(&[0xe2, 0xd0, 1, 2, 3, 4]), "e2:d0:01:02:03:04");
        assert_eq!(
            parse_mac("e2:d0:01:02:03:04"),
            Some([0xe2, 0xd0, 1, 2, 3, 4])
        );
        assert_eq!(parse_mac("e2:d0:01:02:03"), None);
        assert_eq!(parse_mac("e2:d0:01:02:03:04:05"), None);
    }
}
