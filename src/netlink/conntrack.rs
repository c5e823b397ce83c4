//! ctnetlink: the kernel's connection tracking table over NETLINK_NETFILTER,
//! as `conntrack -L` and `conntrack -E` read it.
//!
//! An entry has two tuples: the original one (as the first packet looked
//! when it arrived) and the reply one (what the answers look like before
//! the kernel undoes the NAT). Reversed, the reply tuple is what the
//! original direction looks like after NAT: a masqueraded pod's packet
//! leaves the node as `reply.reversed()`.
//!
//! Asking (`IPCTNL_MSG_CT_GET`, dump or by tuple) needs CAP_NET_ADMIN at
//! the time of every request (nfnetlink checks the sender on each
//! message), so a capture that drops its capabilities cannot ask later.
//! What it can do is subscribe to the NEW events while it still has them
//! (binding to the groups needs the capability, receiving does not) and
//! dump the table once: [`Socket::open_conntrack`] does both, then
//! [`Socket::conntrack_events`] reads what arrived since, unprivileged.
//!
//! Replies are parsed by hand and never panic (property tests below, the
//! `netlink` fuzz target).

use super::Socket;
use super::wire::{self, Attrs, Messages, Request, split_fixed};
use crate::{Error, Result};
use neli::consts::socket::{Msg, NlFamily};
use neli::socket::NlSocket;
use neli::utils::Groups;
use std::fmt;
use std::net::IpAddr;

/// `NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_NEW`: entries (dump
/// replies, NEW and UPDATE events).
pub const CT_NEW: u16 = 1 << 8;
/// `... | IPCTNL_MSG_CT_GET`.
pub const CT_GET: u16 = (1 << 8) | 1;
/// `... | IPCTNL_MSG_CT_DELETE`: DESTROY events.
pub const CT_DELETE: u16 = (1 << 8) | 2;

/// `NFNLGRP_CONNTRACK_NEW`: entries as they are confirmed, NAT decided.
pub const GROUP_NEW: u32 = 1;

const CTA_TUPLE_ORIG: u16 = 1;
const CTA_TUPLE_REPLY: u16 = 2;
const CTA_STATUS: u16 = 3;
const CTA_MARK: u16 = 8;
const CTA_ID: u16 = 12;

const CTA_TUPLE_IP: u16 = 1;
const CTA_TUPLE_PROTO: u16 = 2;

const CTA_IP_V4_SRC: u16 = 1;
const CTA_IP_V4_DST: u16 = 2;
const CTA_IP_V6_SRC: u16 = 3;
const CTA_IP_V6_DST: u16 = 4;

const CTA_PROTO_NUM: u16 = 1;
const CTA_PROTO_SRC_PORT: u16 = 2;
const CTA_PROTO_DST_PORT: u16 = 3;
const CTA_PROTO_ICMP_ID: u16 = 4;
const CTA_PROTO_ICMP_TYPE: u16 = 5;
const CTA_PROTO_ICMP_CODE: u16 = 6;
const CTA_PROTO_ICMPV6_ID: u16 = 7;
const CTA_PROTO_ICMPV6_TYPE: u16 = 8;
const CTA_PROTO_ICMPV6_CODE: u16 = 9;

/// `IPS_SRC_NAT` / `IPS_DST_NAT` in CTA_STATUS.
pub const STATUS_SRC_NAT: u32 = 1 << 4;
pub const STATUS_DST_NAT: u32 = 1 << 5;

/// Receive buffer asked for the event socket: the kernel caps it at
/// `net.core.rmem_max`; an overflow is reported, never hidden.
const EVENT_RCVBUF: usize = 8 << 20;

/// One direction of a connection, as conntrack keys it. For ICMP the
/// "ports" are the echo identifier (`sport`) and type << 8 | code
/// (`dport`), which is how the kernel tells an echo request's tuple from
/// its reply's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tuple {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: u8,
    pub sport: u16,
    pub dport: u16,
}

impl Tuple {
    /// The same connection seen the other way: addresses and ports
    /// swapped, an ICMP echo request turned into its reply (and back).
    pub fn reversed(&self) -> Tuple {
        if matches!(self.proto, 1 | 58) {
            let (ty, code) = ((self.dport >> 8) as u8, self.dport as u8);
            let ty = match (self.proto, ty) {
                (1, 8) => 0,
                (1, 0) => 8,
                (1, 13) => 14,
                (1, 14) => 13,
                (58, 128) => 129,
                (58, 129) => 128,
                (_, t) => t,
            };
            return Tuple {
                src: self.dst,
                dst: self.src,
                proto: self.proto,
                sport: self.sport,
                dport: u16::from(ty) << 8 | u16::from(code),
            };
        }
        Tuple {
            src: self.dst,
            dst: self.src,
            proto: self.proto,
            sport: self.dport,
            dport: self.sport,
        }
    }

    /// Whether the tuple carries ports (TCP, UDP, SCTP, DCCP, UDP-Lite).
    pub fn has_ports(&self) -> bool {
        matches!(self.proto, 6 | 17 | 33 | 132 | 136)
    }

    fn parse(a: Attrs<'_>) -> Option<Tuple> {
        let (mut src, mut dst, mut proto) = (None, None, None);
        let (mut sport, mut dport, mut id, mut ty, mut code) = (0, 0, 0, 0u8, 0u8);
        for at in a {
            match at.kind {
                CTA_TUPLE_IP => {
                    for ip in at.nested() {
                        match ip.kind {
                            CTA_IP_V4_SRC | CTA_IP_V6_SRC => src = ip.ip(),
                            CTA_IP_V4_DST | CTA_IP_V6_DST => dst = ip.ip(),
                            _ => {}
                        }
                    }
                }
                CTA_TUPLE_PROTO => {
                    for p in at.nested() {
                        match p.kind {
                            CTA_PROTO_NUM => proto = p.u8(),
                            CTA_PROTO_SRC_PORT => sport = p.u16_be().unwrap_or(0),
                            CTA_PROTO_DST_PORT => dport = p.u16_be().unwrap_or(0),
                            CTA_PROTO_ICMP_ID | CTA_PROTO_ICMPV6_ID => id = p.u16_be().unwrap_or(0),
                            CTA_PROTO_ICMP_TYPE | CTA_PROTO_ICMPV6_TYPE => ty = p.u8().unwrap_or(0),
                            CTA_PROTO_ICMP_CODE | CTA_PROTO_ICMPV6_CODE => {
                                code = p.u8().unwrap_or(0)
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        let proto = proto?;
        let (src, dst) = (src?, dst?);
        if src.is_ipv4() != dst.is_ipv4() {
            return None;
        }
        if matches!(proto, 1 | 58) {
            sport = id;
            dport = u16::from(ty) << 8 | u16::from(code);
        }
        Some(Tuple {
            src,
            dst,
            proto,
            sport,
            dport,
        })
    }
}

impl fmt::Display for Tuple {
    /// tcpdump's `addr.port > addr.port`, or `addr > addr` without ports.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.has_ports() {
            write!(
                f,
                "{}.{} > {}.{}",
                self.src, self.sport, self.dst, self.dport
            )
        } else {
            write!(f, "{} > {}", self.src, self.dst)
        }
    }
}

/// One conntrack entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub orig: Tuple,
    pub reply: Tuple,
    /// CTA_STATUS (`STATUS_SRC_NAT`, `STATUS_DST_NAT`, ...).
    pub status: u32,
    /// The connection's mark (`ct mark`, CONNMARK).
    pub mark: u32,
    pub id: u32,
}

impl Entry {
    /// Parses an IPCTNL_MSG_CT_NEW/DELETE payload (nfgenmsg, attributes).
    pub fn parse(payload: &[u8]) -> Result<Entry> {
        let (_, attrs) = split_fixed(payload, 4, "conntrack message (nfgenmsg)")?;
        let (mut orig, mut reply) = (None, None);
        let (mut status, mut mark, mut id) = (0, 0, 0);
        for a in attrs {
            let be32 = || {
                a.value
                    .get(..4)
                    .and_then(|b| b.try_into().ok())
                    .map(u32::from_be_bytes)
                    .unwrap_or(0)
            };
            match a.kind {
                CTA_TUPLE_ORIG => orig = Tuple::parse(a.nested()),
                CTA_TUPLE_REPLY => reply = Tuple::parse(a.nested()),
                CTA_STATUS => status = be32(),
                CTA_MARK => mark = be32(),
                CTA_ID => id = be32(),
                _ => {}
            }
        }
        match (orig, reply) {
            (Some(orig), Some(reply)) => Ok(Entry {
                orig,
                reply,
                status,
                mark,
                id,
            }),
            _ => Err(Error::format(
                "conntrack entry from the kernel",
                "it lacks the original or the reply tuple",
            )),
        }
    }

    /// Whether the kernel translated this connection (either way).
    pub fn translated(&self) -> bool {
        self.reply.reversed() != self.orig
    }
}

/// What [`Socket::conntrack_events`] read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Events {
    pub entries: Vec<Entry>,
    /// The kernel dropped events because the socket's buffer was full
    /// (ENOBUFS): entries created meanwhile are unknown.
    pub overrun: bool,
}

fn nfgenmsg(family: u8) -> [u8; 4] {
    // version NFNETLINK_V0, res_id 0.
    [family, 0, 0, 0]
}

impl Socket {
    /// A NETLINK_NETFILTER socket subscribed to conntrack's NEW events,
    /// with the table as it is now: subscribe first, then dump, so that no
    /// entry falls between the two. Needs CAP_NET_ADMIN (both steps); the
    /// events keep coming after the capabilities are dropped.
    pub fn open_conntrack() -> Result<(Socket, Vec<Entry>)> {
        let sock = NlSocket::connect(NlFamily::Netfilter, None, Groups::new_groups(&[GROUP_NEW]))
            .map_err(|e| {
            Error::os(
                "subscribe to conntrack events (NETLINK_NETFILTER)",
                e,
                Some("CAP_NET_ADMIN"),
            )
            .hint("load nf_conntrack_netlink (modprobe nf_conntrack_netlink), or run as root")
        })?;
        let _ = sock.set_recv_buffer_size(EVENT_RCVBUF);
        let mut s = Socket {
            sock,
            seq: 0,
            buf: vec![0u8; 64 * 1024],
        };
        let req = Request::new(CT_GET, wire::NLM_F_DUMP, &nfgenmsg(super::AF_UNSPEC));
        let entries = s.dump("conntrack table dump", req, CT_NEW, Entry::parse)?;
        s.sock
            .nonblock()
            .map_err(|e| Error::os("make the conntrack socket non-blocking", e, None))?;
        Ok((s, entries))
    }

    /// The conntrack entries announced since the last call (NEW events),
    /// without waiting. Events of a dump still in the socket are skipped.
    pub fn conntrack_events(&mut self) -> Result<Events> {
        let mut ev = Events::default();
        loop {
            let n = match self.sock.recv(&mut self.buf[..], Msg::DONTWAIT) {
                Ok((n, _)) => n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                    ev.overrun = true;
                    continue;
                }
                Err(e) => return Err(Error::os("receive conntrack events", e, None)),
            };
            if n == 0 {
                break;
            }
            let chunk = self.buf.get(..n).unwrap_or(&[]);
            for m in Messages::new(chunk) {
                let Ok(m) = m else { break };
                // Events have sequence number 0; anything else is a reply
                // to an earlier request.
                if m.seq() != 0 || m.msg_type() != CT_NEW {
                    continue;
                }
                if let Ok(e) = Entry::parse(m.payload()) {
                    ev.entries.push(e);
                }
            }
        }
        Ok(ev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpf::testutil::Rng;

    fn attr(kind: u16, value: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&((4 + value.len()) as u16).to_ne_bytes());
        v.extend_from_slice(&kind.to_ne_bytes());
        v.extend_from_slice(value);
        v.resize(wire::align(v.len()), 0);
        v
    }

    fn nested(kind: u16, parts: &[Vec<u8>]) -> Vec<u8> {
        attr(kind | 0x8000, &parts.concat())
    }

    fn tuple(kind: u16, src: [u8; 4], dst: [u8; 4], proto: &[Vec<u8>]) -> Vec<u8> {
        nested(
            kind,
            &[
                nested(
                    CTA_TUPLE_IP,
                    &[attr(CTA_IP_V4_SRC, &src), attr(CTA_IP_V4_DST, &dst)],
                ),
                nested(CTA_TUPLE_PROTO, proto),
            ],
        )
    }

    /// A masqueraded DNS query, as `conntrack -L` shows it:
    /// `udp src=10.244.0.2 dst=192.168.56.1 sport=40000 dport=53
    ///  src=192.168.56.1 dst=192.168.56.11 sport=53 dport=40312 mark=7`.
    fn masqueraded_dns() -> Vec<u8> {
        let udp = |s: u16, d: u16| {
            vec![
                attr(CTA_PROTO_NUM, &[17]),
                attr(CTA_PROTO_SRC_PORT, &s.to_be_bytes()),
                attr(CTA_PROTO_DST_PORT, &d.to_be_bytes()),
            ]
        };
        [
            nfgenmsg(2).to_vec(),
            tuple(
                CTA_TUPLE_ORIG,
                [10, 244, 0, 2],
                [192, 168, 56, 1],
                &udp(40000, 53),
            ),
            tuple(
                CTA_TUPLE_REPLY,
                [192, 168, 56, 1],
                [192, 168, 56, 11],
                &udp(53, 40312),
            ),
            attr(CTA_STATUS, &(STATUS_SRC_NAT | 8).to_be_bytes()),
            attr(CTA_MARK, &7u32.to_be_bytes()),
        ]
        .concat()
    }

    #[test]
    fn parses_a_masqueraded_entry() {
        let e = Entry::parse(&masqueraded_dns()).unwrap();
        assert_eq!(e.orig.to_string(), "10.244.0.2.40000 > 192.168.56.1.53");
        assert_eq!(e.reply.to_string(), "192.168.56.1.53 > 192.168.56.11.40312");
        assert_eq!(
            e.reply.reversed().to_string(),
            "192.168.56.11.40312 > 192.168.56.1.53"
        );
        assert_eq!(e.mark, 7);
        assert!(e.status & STATUS_SRC_NAT != 0);
        assert!(e.translated());
    }

    #[test]
    fn icmp_echo_tuples_reverse_into_replies() {
        let icmp = |ty: u8| {
            vec![
                attr(CTA_PROTO_NUM, &[1]),
                attr(CTA_PROTO_ICMP_ID, &77u16.to_be_bytes()),
                attr(CTA_PROTO_ICMP_TYPE, &[ty]),
                attr(CTA_PROTO_ICMP_CODE, &[0]),
            ]
        };
        let msg = [
            nfgenmsg(2).to_vec(),
            tuple(CTA_TUPLE_ORIG, [10, 244, 0, 2], [10, 96, 0, 10], &icmp(8)),
            tuple(CTA_TUPLE_REPLY, [10, 244, 0, 3], [10, 244, 0, 2], &icmp(0)),
        ]
        .concat();
        let e = Entry::parse(&msg).unwrap();
        assert_eq!(e.orig.sport, 77);
        assert_eq!(e.orig.dport, 8 << 8);
        assert_eq!(e.reply.reversed().dport, 8 << 8);
        assert_eq!(e.reply.reversed().dst.to_string(), "10.244.0.3");
        assert_eq!(e.orig.to_string(), "10.244.0.2 > 10.96.0.10");
        assert!(e.translated());
    }

    #[test]
    fn incomplete_entries_are_refused() {
        assert!(Entry::parse(&[2, 0]).is_err());
        assert!(Entry::parse(&nfgenmsg(2)).is_err());
    }

    #[test]
    fn property_random_and_mutated_messages_never_panic() {
        let good = masqueraded_dns();
        let mut rng = Rng::new(0xc0ff_ee09);
        for _ in 0..20_000 {
            let mut b = good.clone();
            for _ in 0..1 + rng.below(6) {
                let i = rng.below(b.len());
                b[i] = rng.byte();
            }
            b.truncate(rng.below(b.len() + 1));
            let _ = Entry::parse(&b);
            let len = rng.below(96);
            let junk = rng.bytes(len);
            let _ = Entry::parse(&junk);
        }
    }
}
