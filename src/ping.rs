//! ICMP echo with the binary's own socket, so `locate` can make the kernel
//! resolve a pod's neighbour entry (the article's `ping -c1 POD_IP`) and
//! `podcap ping` can replace iputils ping on nodes without it.
//!
//! A raw socket (CAP_NET_RAW) is tried first; without the capability the
//! unprivileged ICMP datagram socket (`net.ipv4.ping_group_range`) is the
//! fallback. When both are refused the error names CAP_NET_RAW.

use crate::sys::socket::{recv_nonblocking, send_to, socket};
use crate::wire::bytes;
use crate::wire::checksum::internet;
use crate::{Error, Result};
use std::net::IpAddr;
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

/// Bytes of ICMP payload, as iputils ping sends by default.
pub const PAYLOAD: usize = 56;

/// An ICMP echo socket aimed at one destination.
pub struct Pinger {
    fd: OwnedFd,
    dst: IpAddr,
    /// Datagram (unprivileged) socket: the kernel owns the identifier and
    /// strips the IP header.
    dgram: bool,
    ident: u16,
}

/// One echo reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply {
    pub from: IpAddr,
    pub seq: u16,
    /// ICMP bytes received (header + payload), as ping's "64 bytes".
    pub bytes: usize,
    /// TTL / hop limit, when the socket type reports it.
    pub ttl: Option<u8>,
    pub rtt: Duration,
}

/// Builds an echo request: type, code 0, checksum, ident, seq, payload.
pub fn echo_request(v6: bool, ident: u16, seq: u16) -> Vec<u8> {
    let mut p = vec![if v6 { 128 } else { 8 }, 0, 0, 0];
    p.extend_from_slice(&ident.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend((0..PAYLOAD).map(|i| i as u8));
    if !v6 {
        // The kernel fills the ICMPv6 checksum (it needs the pseudo header).
        let c = internet(&[&p]);
        p[2..4].copy_from_slice(&c.to_be_bytes());
    }
    p
}

/// Parses a received datagram into (ttl, icmp bytes) for an echo reply;
/// `None` when it is not one. `raw_v4` datagrams start with the IP header.
pub fn parse_reply(buf: &[u8], raw_v4: bool, v6: bool) -> Option<(Option<u8>, &[u8])> {
    let (ttl, icmp) = if raw_v4 {
        let ihl = usize::from(buf.first()? & 0x0f) * 4;
        if buf.first()? >> 4 != 4 || ihl < 20 {
            return None;
        }
        (Some(*buf.get(8)?), buf.get(ihl..)?)
    } else {
        (None, buf)
    };
    let want = if v6 { 129 } else { 0 };
    (icmp.len() >= 8 && icmp[0] == want && icmp[1] == 0).then_some((ttl, icmp))
}

impl Pinger {
    /// Opens an echo socket for `dst`.
    pub fn open(dst: IpAddr) -> Result<Pinger> {
        let (domain, proto) = match dst {
            IpAddr::V4(_) => (libc::AF_INET, libc::IPPROTO_ICMP),
            IpAddr::V6(_) => (libc::AF_INET6, libc::IPPROTO_ICMPV6),
        };
        let ident = (std::process::id() as u16) ^ 0x5043;
        match socket(domain, libc::SOCK_RAW, proto) {
            Ok(fd) => Ok(Pinger {
                fd,
                dst,
                dgram: false,
                ident,
            }),
            Err(raw_err) => match socket(domain, libc::SOCK_DGRAM, proto) {
                Ok(fd) => Ok(Pinger {
                    fd,
                    dst,
                    dgram: true,
                    ident,
                }),
                Err(_) => Err(Error::os(
                    format!("open an ICMP socket to ping {dst}"),
                    raw_err,
                    Some("CAP_NET_RAW"),
                )),
            },
        }
    }

    /// Sends echo request `seq`.
    pub fn send(&self, seq: u16) -> Result<()> {
        let pkt = echo_request(self.dst.is_ipv6(), self.ident, seq);
        if let Err(e) = send_to(&self.fd, &pkt, self.dst) {
            return Err(match e.raw_os_error() {
                Some(libc::ENETUNREACH) | Some(libc::EHOSTUNREACH) => Error::not_found(
                    format!("ping {}", self.dst),
                    format!("{e}: no route from this node"),
                ),
                _ => Error::os(
                    format!("send ICMP echo to {}", self.dst),
                    e,
                    Some("CAP_NET_RAW"),
                ),
            });
        }
        Ok(())
    }

    /// Waits until `deadline` for the echo reply with sequence `seq`
    /// (other ICMP traffic is skipped). `sent` is when it left, for the RTT.
    pub fn recv(&self, seq: u16, sent: Instant, deadline: Instant) -> Result<Option<Reply>> {
        self.recv_any(deadline, &|s| (s == seq).then_some(sent))
    }

    /// Waits until `deadline` for an echo reply to any request still
    /// outstanding: `sent(seq)` gives its send time, or `None` when that
    /// sequence is not (or no longer) awaited. Late replies count, as in
    /// iputils ping.
    pub fn recv_any(
        &self,
        deadline: Instant,
        sent: &dyn Fn(u16) -> Option<Instant>,
    ) -> Result<Option<Reply>> {
        let mut buf = [0u8; 2048];
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            let ms = (deadline - now).as_millis().clamp(1, i32::MAX as u128) as i32;
            match crate::sys::poll::poll_in(&self.fd, ms) {
                Ok(r) if r.is_empty() => continue,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => return Ok(None),
                Err(e) => return Err(Error::os("wait for ICMP echo reply", e, None)),
            }
            let n = match recv_nonblocking(&self.fd, &mut buf) {
                Ok(n) => n,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted
                    ) =>
                {
                    continue;
                }
                Err(e) => return Err(Error::os("receive ICMP echo reply", e, None)),
            };
            let got = buf.get(..n).unwrap_or(&[]);
            let v6 = self.dst.is_ipv6();
            let Some((ttl, icmp)) = parse_reply(got, !self.dgram && !v6, v6) else {
                continue;
            };
            let (Ok(id), Ok(rseq)) = (bytes::be16(icmp, 4), bytes::be16(icmp, 6)) else {
                continue;
            };
            // Datagram sockets only see their own replies; the kernel
            // rewrote the identifier, so only the sequence is checked.
            if !self.dgram && id != self.ident {
                continue;
            }
            let Some(at) = sent(rseq) else {
                continue;
            };
            return Ok(Some(Reply {
                from: self.dst,
                seq: rseq,
                bytes: icmp.len(),
                ttl,
                rtt: at.elapsed(),
            }));
        }
    }
}

/// Sends one echo and waits up to `timeout` for the reply. `Ok(None)` on
/// timeout. This is what `locate` uses to make the kernel (re)resolve a
/// neighbour entry.
pub fn ping_once(dst: IpAddr, timeout: Duration) -> Result<Option<Reply>> {
    let p = Pinger::open(dst)?;
    let sent = Instant::now();
    p.send(1)?;
    p.recv(1, sent, sent + timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_of_known_echo() {
        let p = echo_request(false, 0x1234, 1);
        assert_eq!(p.len(), 64);
        assert_eq!(
            internet(&[&p]),
            0,
            "a packet with its checksum sums to zero"
        );
        assert_eq!(internet(&[&[0x45, 0x00, 0x00, 0x1c]]), !0x451c);
    }

    #[test]
    fn parses_raw_v4_reply_and_skips_others() {
        let mut ip = vec![
            0x45, 0, 0, 84, 0, 0, 0, 0, 63, 1, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1,
        ];
        let mut icmp = echo_request(false, 7, 3);
        icmp[0] = 0;
        ip.extend_from_slice(&icmp);
        let (ttl, body) = parse_reply(&ip, true, false).unwrap();
        assert_eq!(ttl, Some(63));
        assert_eq!(body.len(), 64);
        assert!(parse_reply(&ip[..22], true, false).is_none());
        assert!(parse_reply(&[0x4f], true, false).is_none());
        let req = echo_request(false, 7, 3);
        assert!(
            parse_reply(&req, false, false).is_none(),
            "a request is not a reply"
        );
    }
}
