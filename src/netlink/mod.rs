//! rtnetlink queries: routes, neighbours, links, addresses, bridge FDB.
//!
//! The socket is neli's [`NlSocket`]; messages are built and parsed by
//! hand in [`wire`] (smoltcp-style views), because the replies come from
//! the kernel of whatever node podcap lands on and must never panic, and
//! because neli's musl build hides constants such as `Nda::Master`.
//!
//! ```no_run
//! let mut nl = podcap::netlink::Socket::open()?;
//! let r = nl.route_get("10.244.0.21".parse().unwrap(), false)?;
//! println!("dev {:?}", r.oif);
//! # Ok::<(), podcap::Error>(())
//! ```

pub mod conntrack;
pub mod link;
pub mod neigh;
pub mod route;
pub mod wire;

pub use link::{Address, Link, LinkKind, Vxlan};
pub use neigh::Neigh;
pub use route::{Route, RouteQuery, RouteType};

use crate::{Error, Result};
use neli::consts::socket::{Msg, NlFamily};
use neli::socket::NlSocket;
use neli::utils::Groups;
use route::ip_bytes;
use std::net::IpAddr;
use wire::{Messages, Request};

pub const AF_UNSPEC: u8 = 0;
pub const AF_INET: u8 = 2;
pub const AF_BRIDGE: u8 = 7;
pub const AF_INET6: u8 = 10;

/// A NETLINK_ROUTE socket in the calling thread's network namespace.
pub struct Socket {
    sock: NlSocket,
    seq: u32,
    buf: Vec<u8>,
}

impl Socket {
    /// Opens a NETLINK_ROUTE socket (the namespace is the calling thread's
    /// at this moment).
    pub fn open() -> Result<Socket> {
        let sock = NlSocket::connect(NlFamily::Route, None, Groups::empty())
            .map_err(|e| Error::os("open rtnetlink socket", e, Some("CAP_NET_ADMIN")))?;
        Ok(Socket {
            sock,
            seq: 0,
            buf: vec![0u8; 64 * 1024],
        })
    }

    /// Sends `req` and hands every reply payload of the matching sequence
    /// to `each(type, payload)` until DONE (dump) or the first reply/ACK.
    fn transact(
        &mut self,
        what: &str,
        req: Request,
        dump: bool,
        mut each: impl FnMut(u16, &[u8]) -> Result<()>,
    ) -> Result<()> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let bytes = req.finish(seq);
        self.sock
            .send(&bytes, Msg::empty())
            .map_err(|e| Error::os(format!("send {what} request"), e, Some("CAP_NET_ADMIN")))?;
        loop {
            let n = match self.sock.recv(&mut self.buf[..], Msg::empty()) {
                Ok((n, _)) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::os(format!("receive {what} reply"), e, None)),
            };
            if n == 0 {
                return Err(Error::format(
                    format!("{what} reply"),
                    "the kernel closed the netlink socket",
                ));
            }
            let chunk = self.buf.get(..n).unwrap_or(&[]);
            let mut finished = false;
            for m in Messages::new(chunk) {
                let m = m?;
                if m.seq() != seq {
                    continue;
                }
                match m.msg_type() {
                    wire::NLMSG_DONE => finished = true,
                    wire::NLMSG_NOOP => {}
                    wire::NLMSG_ERROR => {
                        let code = wire::error_code(m.payload())?;
                        if code == 0 {
                            finished = true;
                        } else {
                            return Err(errno_error(what, code));
                        }
                    }
                    t => {
                        each(t, m.payload())?;
                        if !dump && m.flags() & wire::NLM_F_MULTI == 0 {
                            finished = true;
                        }
                    }
                }
            }
            if finished {
                return Ok(());
            }
        }
    }

    /// A real FIB lookup for `dst`, as `ip route get` does: policy rules,
    /// per-table routes and the route cache all count. With
    /// `lookup_table` the reply names the table that matched (not main).
    pub fn route_get(&mut self, dst: IpAddr, lookup_table: bool) -> Result<Route> {
        let flags = if lookup_table {
            route::RTM_F_LOOKUP_TABLE
        } else {
            0
        };
        self.route(&RouteQuery::to(dst).flags(flags))
    }

    /// The FIB entry that matches `dst` (`ip route get fibmatch`): the
    /// configured route with its real prefix length, not the cached clone.
    pub fn route_fib_match(&mut self, dst: IpAddr) -> Result<Route> {
        self.route(&RouteQuery::to(dst).flags(route::RTM_F_FIB_MATCH | route::RTM_F_LOOKUP_TABLE))
    }

    /// The route the kernel picks for `q` (RTM_GETROUTE): the one lookup
    /// every route question goes through.
    pub fn route(&mut self, q: &RouteQuery) -> Result<Route> {
        let what = format!("route lookup for {}", q.dst);
        let mut out = None;
        self.transact(&what, q.request(), false, |t, p| {
            if t == wire::RTM_NEWROUTE && out.is_none() {
                out = Some(Route::parse(p)?);
            }
            Ok(())
        })?;
        out.ok_or_else(|| Error::format(what, "the kernel answered without a route"))
    }

    /// Sends a dump request and parses every reply message of type `want`.
    fn dump<T>(
        &mut self,
        what: &str,
        req: Request,
        want: u16,
        parse: impl Fn(&[u8]) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        self.transact(what, req, true, |t, p| {
            if t == want {
                out.push(parse(p)?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Every route of `family` (AF_UNSPEC: both) in every table, as `ip
    /// route show table all` lists them.
    pub fn routes(&mut self, family: u8) -> Result<Vec<Route>> {
        let req = Request::new(
            wire::RTM_GETROUTE,
            wire::NLM_F_DUMP,
            &wire::fixed::rtmsg(family, 0, 0),
        );
        self.dump("route dump", req, wire::RTM_NEWROUTE, Route::parse)
    }

    /// Every neighbour entry of `family`: AF_UNSPEC for ARP and NDP,
    /// AF_BRIDGE for the bridge/VXLAN forwarding databases.
    pub fn neighbours(&mut self, family: u8) -> Result<Vec<Neigh>> {
        let req = Request::new(
            wire::RTM_GETNEIGH,
            wire::NLM_F_DUMP,
            &wire::fixed::ndmsg(family, 0),
        );
        self.dump("neighbour dump", req, wire::RTM_NEWNEIGH, Neigh::parse)
    }

    /// ARP/NDP entries on one device (`ip neigh show dev X`): the kernel
    /// filters the dump by NDA_IFINDEX; the filter is applied here too for
    /// kernels that ignore it.
    pub fn neighbours_on(&mut self, ifindex: u32) -> Result<Vec<Neigh>> {
        let req = Request::new(
            wire::RTM_GETNEIGH,
            wire::NLM_F_DUMP,
            &wire::fixed::ndmsg(AF_UNSPEC, 0),
        )
        .attr(neigh::NDA_IFINDEX, &ifindex.to_ne_bytes());
        let mut out = self.dump("neighbour dump", req, wire::RTM_NEWNEIGH, Neigh::parse)?;
        out.retain(|n| n.ifindex == ifindex);
        Ok(out)
    }

    /// The forwarding database of bridge `br_ifindex`: entries learned on
    /// or configured for its ports (NTF_MASTER), as `bridge fdb show br`.
    pub fn bridge_fdb(&mut self, br_ifindex: u32) -> Result<Vec<Neigh>> {
        let mut v = self.neighbours(AF_BRIDGE)?;
        v.retain(|n| n.master == Some(br_ifindex));
        Ok(v)
    }

    /// Every interface, with link info.
    pub fn links(&mut self) -> Result<Vec<Link>> {
        let req = Request::new(
            wire::RTM_GETLINK,
            wire::NLM_F_DUMP,
            &wire::fixed::ifinfomsg(AF_UNSPEC, 0),
        );
        self.dump("link dump", req, wire::RTM_NEWLINK, Link::parse)
    }

    /// One interface by index.
    pub fn link(&mut self, ifindex: u32) -> Result<Link> {
        let idx = i32::try_from(ifindex).unwrap_or(i32::MAX);
        let req = Request::new(
            wire::RTM_GETLINK,
            0,
            &wire::fixed::ifinfomsg(AF_UNSPEC, idx),
        );
        let mut out = None;
        self.transact(&format!("link {ifindex}"), req, false, |t, p| {
            if t == wire::RTM_NEWLINK && out.is_none() {
                out = Some(Link::parse(p)?);
            }
            Ok(())
        })?;
        out.ok_or_else(|| Error::not_found(format!("interface {ifindex}"), "no such ifindex"))
    }

    /// One interface by name.
    pub fn link_by_name(&mut self, name: &str) -> Result<Link> {
        let mut n = name.as_bytes().to_vec();
        n.push(0);
        let req = Request::new(wire::RTM_GETLINK, 0, &wire::fixed::ifinfomsg(AF_UNSPEC, 0))
            .attr(link::IFLA_IFNAME, &n);
        let mut out = None;
        self.transact(&format!("interface {name}"), req, false, |t, p| {
            if t == wire::RTM_NEWLINK && out.is_none() {
                out = Some(Link::parse(p)?);
            }
            Ok(())
        })
        .map_err(|e| {
            if e.errno == Some(libc::ENODEV) {
                Error::not_found(format!("interface {name}"), "no such device here")
                    .hint("list interfaces with `podcap link`")
            } else {
                e
            }
        })?;
        out.ok_or_else(|| Error::not_found(format!("interface {name}"), "no such device here"))
    }

    /// Interfaces filtered by the kernel: ports of `master` and/or devices
    /// of `kind` (IFLA_MASTER / IFLA_LINKINFO.IFLA_INFO_KIND in the dump
    /// request), so a node with thousands of veths is not dumped whole.
    pub fn links_filtered(
        &mut self,
        master: Option<u32>,
        kind: Option<&LinkKind>,
    ) -> Result<Vec<Link>> {
        let mut req = Request::new(
            wire::RTM_GETLINK,
            wire::NLM_F_DUMP,
            &wire::fixed::ifinfomsg(AF_UNSPEC, 0),
        );
        if let Some(m) = master {
            req = req.attr(link::IFLA_MASTER, &m.to_ne_bytes());
        }
        if let Some(k) = kind {
            let mut inner = Vec::new();
            let v = k.as_str().as_bytes();
            inner.extend_from_slice(&((4 + v.len() + 1) as u16).to_ne_bytes());
            inner.extend_from_slice(&link::IFLA_INFO_KIND.to_ne_bytes());
            inner.extend_from_slice(v);
            inner.push(0);
            inner.resize(wire::align(inner.len()), 0);
            req = req.attr(link::IFLA_LINKINFO, &inner);
        }
        let mut out = self.dump("link dump", req, wire::RTM_NEWLINK, Link::parse)?;
        // Old kernels ignore the filter: apply it here too.
        out.retain(|l| {
            master.is_none_or(|m| l.master == Some(m)) && kind.is_none_or(|k| l.kind == *k)
        });
        Ok(out)
    }

    /// The neighbour entry for `ip` on `ifindex` (`ip neigh get`), without
    /// dumping the whole table; falls back to a dump on kernels before 5.0.
    pub fn neigh_get(&mut self, ip: IpAddr, ifindex: u32) -> Result<Option<Neigh>> {
        let (fam, _, bytes) = ip_bytes(ip);
        let idx = i32::try_from(ifindex).unwrap_or(i32::MAX);
        let req = Request::new(wire::RTM_GETNEIGH, 0, &wire::fixed::ndmsg(fam, idx))
            .attr(neigh::NDA_DST, &bytes);
        let mut out = None;
        let r = self.transact(&format!("neighbour {ip}"), req, false, |t, p| {
            if t == wire::RTM_NEWNEIGH && out.is_none() {
                out = Some(Neigh::parse(p)?);
            }
            Ok(())
        });
        match r {
            Ok(()) => Ok(out.filter(|n| n.ifindex == ifindex && n.dst == Some(ip))),
            Err(e) if e.errno == Some(libc::ENOENT) => Ok(None),
            Err(e) if matches!(e.errno, Some(libc::EINVAL) | Some(libc::EOPNOTSUPP)) => Ok(self
                .neighbours(fam)?
                .into_iter()
                .find(|n| n.dst == Some(ip) && n.ifindex == ifindex)),
            Err(e) => Err(e),
        }
    }

    /// The bridge FDB entry for `mac` on bridge `br` (`bridge fdb get MAC
    /// br BR`); falls back to a dump on kernels before 5.0.
    pub fn fdb_get(&mut self, mac: [u8; 6], br: u32) -> Result<Option<Neigh>> {
        let req = Request::new(wire::RTM_GETNEIGH, 0, &wire::fixed::ndmsg(AF_BRIDGE, 0))
            .attr(neigh::NDA_LLADDR, &mac)
            .attr(neigh::NDA_MASTER, &br.to_ne_bytes());
        let mut out = None;
        let r = self.transact("bridge fdb get", req, false, |t, p| {
            if t == wire::RTM_NEWNEIGH && out.is_none() {
                out = Some(Neigh::parse(p)?);
            }
            Ok(())
        });
        match r {
            Ok(()) => Ok(out.filter(|n| n.mac() == Some(mac))),
            Err(e) if e.errno == Some(libc::ENOENT) => Ok(None),
            Err(e) if e.kind == crate::error::Kind::Permission => Err(e),
            Err(_) => Ok(self
                .bridge_fdb(br)?
                .into_iter()
                .find(|n| n.mac() == Some(mac) && n.ifindex != br)),
        }
    }

    /// [`Socket::nsid_of_fd`] for many namespaces in one round trip: all
    /// requests go out in one datagram (the kernel walks every message in
    /// it), the answers come back in order of sequence number.
    pub fn nsids_of_fds(&mut self, fds: &[i32]) -> Result<Vec<Option<i32>>> {
        const NETNSA_NSID: u16 = 1;
        const NETNSA_FD: u16 = 3;
        let mut out = vec![None; fds.len()];
        if fds.is_empty() {
            return Ok(out);
        }
        let first = self.seq.wrapping_add(1);
        let mut buf = Vec::with_capacity(fds.len() * 28);
        for (i, fd) in fds.iter().enumerate() {
            let req = Request::new(wire::RTM_GETNSID, 0, &wire::fixed::rtgenmsg(AF_UNSPEC))
                .attr(NETNSA_FD, &(*fd as u32).to_ne_bytes());
            buf.extend_from_slice(&req.finish(first.wrapping_add(i as u32)));
        }
        self.seq = first.wrapping_add(fds.len() as u32);
        self.sock
            .send(&buf, Msg::empty())
            .map_err(|e| Error::os("send namespace id requests", e, None))?;
        let mut answered = 0usize;
        while answered < fds.len() {
            let n = match self.sock.recv(&mut self.buf[..], Msg::empty()) {
                Ok((n, _)) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::os("receive namespace ids", e, None)),
            };
            if n == 0 {
                break;
            }
            for m in Messages::new(self.buf.get(..n).unwrap_or(&[])) {
                let m = m?;
                let i = m.seq().wrapping_sub(first) as usize;
                if i >= fds.len() {
                    continue;
                }
                match m.msg_type() {
                    wire::RTM_NEWNSID => {
                        let attrs = wire::Attrs::new(m.payload().get(4..).unwrap_or(&[]));
                        out[i] = attrs
                            .filter(|a| a.kind == NETNSA_NSID)
                            .find_map(|a| a.i32())
                            .filter(|&id| id >= 0);
                        answered += 1;
                    }
                    wire::NLMSG_ERROR => answered += 1,
                    _ => {}
                }
            }
        }
        Ok(out)
    }

    /// Every interface address (IPv4 and IPv6).
    pub fn addresses(&mut self) -> Result<Vec<Address>> {
        let req = Request::new(
            wire::RTM_GETADDR,
            wire::NLM_F_DUMP,
            &wire::fixed::ifaddrmsg(AF_UNSPEC),
        );
        let mut out = Vec::new();
        self.transact("address dump", req, true, |t, p| {
            if t == wire::RTM_NEWADDR {
                if let Some(a) = Address::parse(p)? {
                    out.push(a);
                }
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The id this namespace uses for the namespace open at `fd`
    /// (RTM_GETNSID with NETNSA_FD): what IFLA_LINK_NETNSID and `ip link`'s
    /// `link-netnsid` refer to. `None` when no id is assigned.
    pub fn nsid_of_fd(&mut self, fd: i32) -> Result<Option<i32>> {
        const NETNSA_NSID: u16 = 1;
        const NETNSA_FD: u16 = 3;
        let req = Request::new(wire::RTM_GETNSID, 0, &wire::fixed::rtgenmsg(AF_UNSPEC))
            .attr(NETNSA_FD, &(fd as u32).to_ne_bytes());
        let mut out = None;
        self.transact("namespace id lookup", req, false, |t, p| {
            if t == wire::RTM_NEWNSID {
                let attrs = wire::Attrs::new(p.get(4..).unwrap_or(&[]));
                for a in attrs {
                    if a.kind == NETNSA_NSID {
                        out = a.i32();
                    }
                }
            }
            Ok(())
        })?;
        Ok(out.filter(|&id| id >= 0))
    }
}

fn errno_error(what: &str, code: i32) -> Error {
    let io = std::io::Error::from_raw_os_error(code);
    let mut e = Error::os(what.to_string(), io, Some("CAP_NET_ADMIN"));
    match code {
        libc::ENETUNREACH | libc::EHOSTUNREACH => {
            e.kind = crate::error::Kind::NotFound;
            e.hint("no route to it from this node: check the address, or run podcap on the node that hosts the pod")
        }
        _ => e,
    }
}

/// Parses every message in `buf` as whatever its type says; used by the
/// fuzz target and property tests to prove the parsers never panic.
/// Returns how many messages parsed cleanly.
pub fn parse_any(buf: &[u8]) -> usize {
    let mut ok = 0;
    for m in Messages::new(buf) {
        let Ok(m) = m else { break };
        let p = m.payload();
        let good = match m.msg_type() {
            wire::RTM_NEWROUTE => Route::parse(p).is_ok(),
            wire::RTM_NEWNEIGH => Neigh::parse(p).is_ok(),
            wire::RTM_NEWLINK => Link::parse(p).is_ok(),
            wire::RTM_NEWADDR => Address::parse(p).is_ok(),
            conntrack::CT_NEW | conntrack::CT_DELETE => conntrack::Entry::parse(p).is_ok(),
            wire::NLMSG_ERROR => wire::error_code(p).is_ok(),
            _ => true,
        };
        ok += usize::from(good);
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::bpf::testutil::Rng;

    fn msg(t: u16, payload: &[u8]) -> Vec<u8> {
        let mut m = Request::new(t, 0, payload).finish(1);
        m[6..8].copy_from_slice(&0u16.to_ne_bytes());
        m
    }

    #[test]
    fn property_random_bytes_never_panic() {
        let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let n = (rng.next_u64() % 200) as usize;
            let b: Vec<u8> = (0..n).map(|_| rng.byte()).collect();
            parse_any(&b);
            let _ = Route::parse(&b);
            let _ = Neigh::parse(&b);
            let _ = Link::parse(&b);
            let _ = Address::parse(&b);
            let _ = crate::locate::sysfs::parse_brforward(&b);
            let _ = wire::error_code(&b);
        }
    }

    #[test]
    fn property_mutated_valid_messages_never_panic() {
        // Valid-looking headers with random attribute soup inside, so the
        // fuzzing reaches the attribute walkers and nested link info.
        let mut rng = Rng::new(12345);
        for i in 0..20_000u32 {
            let t = [
                wire::RTM_NEWROUTE,
                wire::RTM_NEWNEIGH,
                wire::RTM_NEWLINK,
                wire::RTM_NEWADDR,
            ][(i % 4) as usize];
            let mut p = vec![0u8; 16];
            let mut attrs = 0;
            while attrs < 6 {
                let len = (rng.next_u64() % 40) as u16;
                let kind =
                    (rng.next_u64() % 40) as u16 | if rng.byte() & 1 == 1 { 0x8000 } else { 0 };
                p.extend_from_slice(&len.to_ne_bytes());
                p.extend_from_slice(&kind.to_ne_bytes());
                for _ in 0..len.saturating_sub(4) {
                    p.push(rng.byte());
                }
                attrs += 1;
            }
            let mut m = msg(t, &p);
            // Flip a few bytes anywhere, headers included.
            for _ in 0..(rng.next_u64() % 4) {
                let at = (rng.next_u64() as usize) % m.len();
                m[at] = rng.byte();
            }
            parse_any(&m);
        }
    }

    #[test]
    fn parse_any_counts_valid_messages() {
        let mut b = msg(wire::NLMSG_DONE, &[0; 4]);
        b.extend(msg(wire::RTM_NEWNEIGH, &[0; 12]));
        assert_eq!(parse_any(&b), 2);
    }
}
