//! The kernel's forwarding decision for a packet, as `ip route get DST
//! from SRC iif DEV` asks it: an input route lookup, so source-based
//! policy rules count. AWS VPC CNI routes each pod's traffic through its
//! own ENI with `from POD lookup TABLE` rules, which a plain lookup of the
//! destination (the main table) never sees.

use crate::netlink::route::{RTA_DST, RTA_IIF, RTA_SRC};
use crate::netlink::wire::{self, Messages, Request};
use crate::netlink::{AF_INET, AF_INET6, Route};
use crate::{Error, Result};
use neli::consts::socket::{Msg, NlFamily};
use neli::socket::NlSocket;
use neli::utils::Groups;
use std::net::IpAddr;

/// A NETLINK_ROUTE socket for forwarding lookups.
pub struct Fib {
    sock: NlSocket,
    seq: u32,
    buf: Vec<u8>,
}

fn addr(ip: IpAddr) -> (u8, u8, Vec<u8>) {
    match ip {
        IpAddr::V4(a) => (AF_INET, 32, a.octets().to_vec()),
        IpAddr::V6(a) => (AF_INET6, 128, a.octets().to_vec()),
    }
}

/// The RTM_GETROUTE request for a packet from `src` entering on `iif` to
/// `dst` (source and interface optional, of the same family as `dst`).
pub fn request(dst: IpAddr, src: Option<IpAddr>, iif: Option<u32>, seq: u32) -> Vec<u8> {
    let (fam, len, d) = addr(dst);
    let mut fixed = wire::fixed::rtmsg(fam, len, 0);
    let mut req_attrs: Vec<(u16, Vec<u8>)> = vec![(RTA_DST, d)];
    if let Some(s) = src.filter(|s| s.is_ipv4() == dst.is_ipv4()) {
        let (_, slen, sb) = addr(s);
        fixed[2] = slen;
        req_attrs.push((RTA_SRC, sb));
    }
    if let Some(i) = iif {
        req_attrs.push((RTA_IIF, i.to_ne_bytes().to_vec()));
    }
    let mut req = Request::new(wire::RTM_GETROUTE, 0, &fixed);
    for (k, v) in &req_attrs {
        req = req.attr(*k, v);
    }
    req.finish(seq)
}

impl Fib {
    /// Opens the socket in the calling thread's network namespace.
    pub fn open() -> Result<Fib> {
        let sock = NlSocket::connect(NlFamily::Route, None, Groups::empty())
            .map_err(|e| Error::os("open rtnetlink socket", e, Some("CAP_NET_ADMIN")))?;
        Ok(Fib {
            sock,
            seq: 0,
            buf: vec![0u8; 16 * 1024],
        })
    }

    /// The route a packet from `src` arriving on `iif` to `dst` takes.
    /// Errors when the kernel would not forward it (no route, forwarding
    /// off on `iif`, martian source): the caller then knows nothing more.
    pub fn forward(&mut self, dst: IpAddr, src: Option<IpAddr>, iif: Option<u32>) -> Result<Route> {
        let what = format!("route lookup for {dst}");
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let bytes = request(dst, src, iif, seq);
        self.sock
            .send(&bytes, Msg::empty())
            .map_err(|e| Error::os(format!("send {what}"), e, Some("CAP_NET_ADMIN")))?;
        loop {
            let n = match self.sock.recv(&mut self.buf[..], Msg::empty()) {
                Ok((n, _)) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::os(format!("receive {what}"), e, None)),
            };
            if n == 0 {
                return Err(Error::format(what, "the kernel closed the netlink socket"));
            }
            for m in Messages::new(self.buf.get(..n).unwrap_or(&[])) {
                let m = m?;
                if m.seq() != seq {
                    continue;
                }
                match m.msg_type() {
                    wire::RTM_NEWROUTE => return Route::parse(m.payload()),
                    wire::NLMSG_ERROR => {
                        let code = wire::error_code(m.payload())?;
                        return Err(Error::os(
                            what,
                            std::io::Error::from_raw_os_error(code),
                            None,
                        ));
                    }
                    _ => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_bytes() {
        let b = request(
            "192.168.56.1".parse().unwrap(),
            Some("192.168.56.100".parse().unwrap()),
            Some(5),
            7,
        );
        // nlmsghdr 16 + rtmsg 12 + three 8-byte attributes.
        assert_eq!(b.len(), 16 + 12 + 3 * 8);
        assert_eq!(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]), 52);
        assert_eq!(u16::from_ne_bytes([b[4], b[5]]), wire::RTM_GETROUTE);
        assert_eq!(u32::from_ne_bytes([b[8], b[9], b[10], b[11]]), 7);
        assert_eq!(&b[16..19], &[AF_INET, 32, 32]);
        assert_eq!(&b[28..36], &[8, 0, 1, 0, 192, 168, 56, 1]);
        assert_eq!(&b[36..44], &[8, 0, 2, 0, 192, 168, 56, 100]);
        assert_eq!(&b[44..48], &[8, 0, 3, 0]);
        assert_eq!(u32::from_ne_bytes([b[48], b[49], b[50], b[51]]), 5);
        // A source of the other family is left out.
        let b = request(
            "fd00::1".parse().unwrap(),
            Some("10.0.0.1".parse().unwrap()),
            None,
            1,
        );
        assert_eq!(b.len(), 16 + 12 + 20);
        assert_eq!(b[18], 0);
    }
}
