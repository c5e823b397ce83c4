//! Address and port tests: IPv4/IPv6 hosts and nets, DECnet nodes, TCP/
//! UDP/SCTP ports and ranges, Ethernet addresses, broadcast and multicast
//! (libpcap's gen_host, gen_hostop6, gen_port*, gen_ehostop, ...).

use super::block::Expr;
use super::codegen::{Gen, JSET, OffRel, R};
use super::names::{ethertype as et, ipproto};
use super::qual::{Addr, Dir, Proto};
use crate::bpf::op;

impl Gen {
    pub(super) fn hostop(
        &mut self,
        addr: u32,
        mask: u32,
        dir: Dir,
        ll_proto: u32,
        src: u32,
        dst: u32,
    ) -> R<Expr> {
        let offset = match dir {
            Dir::Src => src,
            Dir::Dst => dst,
            Dir::And => {
                let b0 = self.hostop(addr, mask, Dir::Src, ll_proto, src, dst)?;
                let b1 = self.hostop(addr, mask, Dir::Dst, ll_proto, src, dst)?;
                return Ok(self.and(b0, b1));
            }
            Dir::Default | Dir::Or | Dir::Undef => {
                let b0 = self.hostop(addr, mask, Dir::Src, ll_proto, src, dst)?;
                let b1 = self.hostop(addr, mask, Dir::Dst, ll_proto, src, dst)?;
                return Ok(self.or(b0, b1));
            }
        };
        let b0 = self.linktype(ll_proto)?;
        // Even a zero mask (`net 0/0`) loads the address, as libpcap 1.10
        // does: the packet must be long enough to hold it.
        let b1 = self.mcmp(OffRel::LinkPl, offset, op::W, addr, mask)?;
        Ok(self.and(b0, b1))
    }

    /// libpcap's gen_host for IPv4 addresses and nets.
    pub fn host(&mut self, addr: u32, mask: u32, proto: Proto, dir: Dir, net: bool) -> R<Expr> {
        match proto {
            Proto::Default => {
                let b0 = self.host(addr, mask, Proto::Ip, dir, net)?;
                if self.label_stack_depth == 0 {
                    let b1 = self.host(addr, mask, Proto::Arp, dir, net)?;
                    let b1 = self.or(b0, b1);
                    let b0 = self.host(addr, mask, Proto::Rarp, dir, net)?;
                    return Ok(self.or(b1, b0));
                }
                Ok(b0)
            }
            Proto::Decnet => self.dnhostop(addr, dir),
            Proto::Ip => self.hostop(addr, mask, dir, et::IP, 12, 16),
            Proto::Arp => self.hostop(addr, mask, dir, et::ARP, 14, 24),
            Proto::Rarp => self.hostop(addr, mask, dir, et::REVARP, 14, 24),
            Proto::Link => Err(format!(
                "'link' is not a valid qualifier for '{} <IPv4 address>'",
                if net { "net" } else { "host" }
            )),
            other => Err(format!(
                "'{}' is not a valid qualifier for '{} <IPv4 address>'",
                other.name(),
                if net { "net" } else { "host" }
            )),
        }
    }

    /// DECnet node address `area.node` (libpcap's gen_dnhostop): long or
    /// short header, padded or not. The address is compared byte-swapped,
    /// as libpcap does on little-endian machines.
    pub(super) fn dnhostop(&mut self, addr: u32, dir: Dir) -> R<Expr> {
        let (sh, lh) = match dir {
            Dir::Dst => (1, 7),
            Dir::Src => (3, 15),
            Dir::And => {
                let b0 = self.dnhostop(addr, Dir::Src)?;
                let b1 = self.dnhostop(addr, Dir::Dst)?;
                return Ok(self.and(b0, b1));
            }
            Dir::Default | Dir::Or | Dir::Undef => {
                let b0 = self.dnhostop(addr, Dir::Src)?;
                let b1 = self.dnhostop(addr, Dir::Dst)?;
                return Ok(self.or(b0, b1));
            }
        };
        let a = u32::from((addr as u16).swap_bytes());
        let b0 = self.linktype(et::DECNET)?;
        let tmp = self.mcmp(OffRel::LinkPl, 2, op::H, 0x8106, 0xff07)?;
        let b1 = self.cmp(OffRel::LinkPl, 2 + 1 + lh, op::H, a)?;
        let b1 = self.and(tmp, b1);
        let tmp = self.mcmp(OffRel::LinkPl, 2, op::B, 0x06, 0x07)?;
        let b2 = self.cmp(OffRel::LinkPl, 2 + lh, op::H, a)?;
        let b2 = self.and(tmp, b2);
        let b1 = self.or(b2, b1);
        let tmp = self.mcmp(OffRel::LinkPl, 2, op::H, 0x8102, 0xff07)?;
        let b2 = self.cmp(OffRel::LinkPl, 2 + 1 + sh, op::H, a)?;
        let b2 = self.and(tmp, b2);
        let b1 = self.or(b2, b1);
        let tmp = self.mcmp(OffRel::LinkPl, 2, op::B, 0x02, 0x07)?;
        let b2 = self.cmp(OffRel::LinkPl, 2 + sh, op::H, a)?;
        let b2 = self.and(tmp, b2);
        let b1 = self.or(b2, b1);
        Ok(self.and(b0, b1))
    }

    pub(super) fn hostop6(
        &mut self,
        addr: &[u32; 4],
        mask: &[u32; 4],
        dir: Dir,
        src: u32,
        dst: u32,
    ) -> R<Expr> {
        let offset = match dir {
            Dir::Src => src,
            Dir::Dst => dst,
            Dir::And => {
                let b0 = self.hostop6(addr, mask, Dir::Src, src, dst)?;
                let b1 = self.hostop6(addr, mask, Dir::Dst, src, dst)?;
                return Ok(self.and(b0, b1));
            }
            Dir::Default | Dir::Or | Dir::Undef => {
                let b0 = self.hostop6(addr, mask, Dir::Src, src, dst)?;
                let b1 = self.hostop6(addr, mask, Dir::Dst, src, dst)?;
                return Ok(self.or(b0, b1));
            }
        };
        // Last word first (libpcap's order); as libpcap 1.10, also the
        // words the prefix does not cover (`and #0; jeq #0`: the packet
        // must hold them).
        let mut b1: Option<Expr> = None;
        for i in (0..4).rev() {
            let b0 = self.mcmp(
                OffRel::LinkPl,
                offset + 4 * i as u32,
                op::W,
                addr[i],
                mask[i],
            )?;
            b1 = Some(match b1 {
                Some(b1) => self.and(b0, b1),
                None => b0,
            });
        }
        let b0 = self.linktype(et::IPV6)?;
        let b1 = b1.ok_or_else(|| "empty IPv6 address".to_string())?;
        Ok(self.and(b0, b1))
    }

    pub fn host6(
        &mut self,
        addr: &[u32; 4],
        mask: &[u32; 4],
        proto: Proto,
        dir: Dir,
        net: bool,
    ) -> R<Expr> {
        match proto {
            Proto::Default | Proto::Ip6 => self.hostop6(addr, mask, dir, 8, 24),
            other => Err(format!(
                "'{}' is not a valid qualifier for '{}'",
                if other == Proto::Undef {
                    ""
                } else {
                    other.name()
                },
                if net {
                    "net <IPv6 prefix>"
                } else {
                    "host <IPv6 address>"
                }
            )),
        }
    }

    pub(super) fn portatom(&mut self, off: u32, v: u32) -> R<Expr> {
        self.cmp(OffRel::TranIpv4, off, op::H, v)
    }

    pub(super) fn portatom6(&mut self, off: u32, v: u32) -> R<Expr> {
        self.cmp(OffRel::TranIpv6, off, op::H, v)
    }

    pub(super) fn portrangeatom(&mut self, off: u32, v1: u32, v2: u32, v6: bool) -> R<Expr> {
        let (lo, hi) = if v1 > v2 { (v2, v1) } else { (v1, v2) };
        let rel = if v6 {
            OffRel::TranIpv6
        } else {
            OffRel::TranIpv4
        };
        let b1 = self.cmp_ge(rel, off, op::H, lo)?;
        let b2 = self.cmp_le(rel, off, op::H, hi)?;
        Ok(self.and(b1, b2))
    }

    /// Source/destination port test (or range when `hi` is Some).
    pub(super) fn port_dir(&mut self, dir: Dir, lo: u32, hi: Option<u32>, v6: bool) -> R<Expr> {
        let atom = |g: &mut Gen, off: u32| match (hi, v6) {
            (None, false) => g.portatom(off, lo),
            (None, true) => g.portatom6(off, lo),
            (Some(hi), v6) => g.portrangeatom(off, lo, hi, v6),
        };
        match dir {
            Dir::Src => atom(self, 0),
            Dir::Dst => atom(self, 2),
            Dir::And => {
                let t = atom(self, 0)?;
                let b1 = atom(self, 2)?;
                Ok(self.and(t, b1))
            }
            Dir::Default | Dir::Or | Dir::Undef => {
                let t = atom(self, 0)?;
                let b1 = atom(self, 2)?;
                Ok(self.or(t, b1))
            }
        }
    }

    pub(super) fn portop(&mut self, lo: u32, hi: Option<u32>, proto: u32, dir: Dir) -> R<Expr> {
        let tmp = self.cmp(OffRel::LinkPl, 9, op::B, proto)?;
        let b0 = self.ipfrag()?;
        let b0 = self.and(tmp, b0);
        let b1 = self.port_dir(dir, lo, hi, false)?;
        Ok(self.and(b0, b1))
    }

    pub(super) fn portop6(&mut self, lo: u32, hi: Option<u32>, proto: u32, dir: Dir) -> R<Expr> {
        let b0 = self.cmp(OffRel::LinkPl, 6, op::B, proto)?;
        let b1 = self.port_dir(dir, lo, hi, true)?;
        Ok(self.and(b0, b1))
    }

    /// libpcap's gen_port/gen_portrange (IPv4); `proto` None = tcp, udp or sctp.
    pub fn port4(&mut self, lo: u32, hi: Option<u32>, proto: Option<u32>, dir: Dir) -> R<Expr> {
        let b0 = self.linktype(et::IP)?;
        let b1 = match proto {
            Some(p) => self.portop(lo, hi, p, dir)?,
            None => {
                let tmp = self.portop(lo, hi, ipproto::TCP, dir)?;
                let b1 = self.portop(lo, hi, ipproto::UDP, dir)?;
                let b1 = self.or(tmp, b1);
                let tmp = self.portop(lo, hi, ipproto::SCTP, dir)?;
                self.or(tmp, b1)
            }
        };
        Ok(self.and(b0, b1))
    }

    pub fn port6(&mut self, lo: u32, hi: Option<u32>, proto: Option<u32>, dir: Dir) -> R<Expr> {
        let b0 = self.linktype(et::IPV6)?;
        let b1 = match proto {
            Some(p) => self.portop6(lo, hi, p, dir)?,
            None => {
                let tmp = self.portop6(lo, hi, ipproto::TCP, dir)?;
                let b1 = self.portop6(lo, hi, ipproto::UDP, dir)?;
                let b1 = self.or(tmp, b1);
                let tmp = self.portop6(lo, hi, ipproto::SCTP, dir)?;
                self.or(tmp, b1)
            }
        };
        Ok(self.and(b0, b1))
    }

    /// `port`/`portrange` for both IP versions, IPv6 tested first.
    pub fn port(&mut self, lo: u32, hi: Option<u32>, proto: Option<u32>, dir: Dir) -> R<Expr> {
        // A one-port range stays a range (`jge`, `jgt`), as libpcap 1.10
        // emits it; the optimizer makes it one test.
        let b = self.port4(lo, hi, proto, dir)?;
        let b6 = self.port6(lo, hi, proto, dir)?;
        Ok(self.or(b6, b))
    }

    pub(super) fn ehostop(&mut self, mac: &[u8; 6], dir: Dir) -> R<Expr> {
        match dir {
            Dir::Src => self.bcmp(OffRel::LinkHdr, 6, mac),
            Dir::Dst => self.bcmp(OffRel::LinkHdr, 0, mac),
            Dir::And => {
                let b0 = self.ehostop(mac, Dir::Src)?;
                let b1 = self.ehostop(mac, Dir::Dst)?;
                Ok(self.and(b0, b1))
            }
            Dir::Default | Dir::Or | Dir::Undef => {
                let b0 = self.ehostop(mac, Dir::Src)?;
                let b1 = self.ehostop(mac, Dir::Dst)?;
                Ok(self.or(b0, b1))
            }
        }
    }

    /// `ether host/src/dst MAC` (libpcap's gen_ecode).
    pub fn ether_host(&mut self, mac: &[u8; 6], proto: Proto, dir: Dir, addr: Addr) -> R<Expr> {
        if matches!(addr, Addr::Host | Addr::Default) && proto == Proto::Link {
            if !self.is_ether() {
                return Err(format!(
                    "'link host XX:XX:XX:XX:XX:XX' not supported on {}",
                    self.dlt_name()
                ));
            }
            let tmp = self.prevlinkhdr_check();
            let b = self.ehostop(mac, dir)?;
            return Ok(match tmp {
                Some(t) => self.and(t, b),
                None => b,
            });
        }
        if addr == Addr::Gateway {
            return Err("Ethernet address used in non-ether expression".into());
        }
        Err("Ethernet address used in non-ether expression".into())
    }

    pub fn broadcast(&mut self, proto: Proto) -> R<Expr> {
        match proto {
            Proto::Default | Proto::Link => {
                if !self.is_ether() {
                    return Err(format!("'broadcast' not supported on {}", self.dlt_name()));
                }
                let b1 = self.prevlinkhdr_check();
                let b0 = self.ehostop(&[0xff; 6], Dir::Dst)?;
                Ok(match b1 {
                    Some(b1) => self.and(b1, b0),
                    None => b0,
                })
            }
            Proto::Ip => {
                // 255.255.255.255 is libpcap's PCAP_NETMASK_UNKNOWN.
                let Some(netmask) = self.netmask.filter(|m| *m != 0xffff_ffff) else {
                    return Err("netmask not known, so 'ip broadcast' not supported".into());
                };
                let b0 = self.linktype(et::IP)?;
                let hostmask = !netmask;
                let b1 = self.mcmp(OffRel::LinkPl, 16, op::W, 0, hostmask)?;
                let b2 = self.mcmp(OffRel::LinkPl, 16, op::W, hostmask, hostmask)?;
                let b2 = self.or(b1, b2);
                Ok(self.and(b0, b2))
            }
            _ => Err("only link-layer/IP broadcast filters supported".into()),
        }
    }

    pub fn multicast(&mut self, proto: Proto) -> R<Expr> {
        match proto {
            Proto::Default | Proto::Link => {
                if !self.is_ether() {
                    return Err(format!("'multicast' not supported on {}", self.dlt_name()));
                }
                let b1 = self.prevlinkhdr_check();
                let s = self.load_a(OffRel::LinkHdr, 0, op::B)?;
                let b0 = self.blk(s, JSET, 1);
                Ok(match b1 {
                    Some(b1) => self.and(b1, b0),
                    None => b0,
                })
            }
            Proto::Ip => {
                let b0 = self.linktype(et::IP)?;
                let b1 = self.cmp_ge(OffRel::LinkPl, 16, op::B, 224)?;
                Ok(self.and(b0, b1))
            }
            Proto::Ip6 => {
                let b0 = self.linktype(et::IPV6)?;
                let b1 = self.cmp(OffRel::LinkPl, 24, op::B, 255)?;
                Ok(self.and(b0, b1))
            }
            _ => Err("link-layer multicast filters supported only on ethernet".into()),
        }
    }
}
