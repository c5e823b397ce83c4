//! AF_PACKET sockets: binding to an interface, the PACKET_* options of a
//! TPACKET_V3 ring, statistics, promiscuous membership, and link-level
//! send/receive with a `struct sockaddr_ll`.

use super::socket::{getsockopt, setsockopt};
use super::{cvt, cvt_size};
use crate::wire::PacketType;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

// <linux/if_packet.h> and <linux/if_ether.h>: fixed by the kernel ABI,
// spelled out so the build does not depend on which of them the libc
// crate exports for musl.
pub const SOL_PACKET: libc::c_int = 263;
pub const PACKET_ADD_MEMBERSHIP: libc::c_int = 1;
pub const PACKET_RX_RING: libc::c_int = 5;
pub const PACKET_STATISTICS: libc::c_int = 6;
pub const PACKET_AUXDATA: libc::c_int = 8;
/// <asm-generic/socket.h> (every architecture but mips, parisc, sparc,
/// alpha); the libc crate does not export it for musl.
pub const SO_TIMESTAMPNS: libc::c_int = 35;
pub const PACKET_VERSION: libc::c_int = 10;
pub const PACKET_IGNORE_OUTGOING: libc::c_int = 23;
pub const TPACKET_V3: libc::c_int = 2;
pub const PACKET_MR_PROMISC: libc::c_ushort = 1;
/// The pseudo protocol "every EtherType" of `socket(AF_PACKET, ..)` and
/// `sockaddr_ll.sll_protocol`.
pub const ETH_P_ALL: u16 = 0x0003;

/// `TP_STATUS_*` bits of a ring block's or frame's status word.
pub mod status {
    pub const KERNEL: u32 = 0;
    pub const USER: u32 = 1;
    pub const COPY: u32 = 1 << 1;
    pub const LOSING: u32 = 1 << 2;
    pub const CSUMNOTREADY: u32 = 1 << 3;
    pub const VLAN_VALID: u32 = 1 << 4;
    pub const BLK_TMO: u32 = 1 << 5;
    pub const VLAN_TPID_VALID: u32 = 1 << 6;
}

/// `struct tpacket_req3`: the ring geometry for PACKET_RX_RING.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TpacketReq3 {
    pub block_size: u32,
    pub block_nr: u32,
    pub frame_size: u32,
    pub frame_nr: u32,
    pub retire_blk_tov: u32,
    pub sizeof_priv: u32,
    pub feature_req_word: u32,
}

/// `struct tpacket_stats_v3`: the counters since the previous read.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TpacketStatsV3 {
    pub packets: u32,
    pub drops: u32,
    pub freeze_q_cnt: u32,
}

/// `struct packet_mreq`.
#[repr(C)]
#[derive(Clone, Copy)]
struct PacketMreq {
    ifindex: libc::c_int,
    kind: libc::c_ushort,
    alen: libc::c_ushort,
    address: [u8; 8],
}

/// What `struct sockaddr_ll` says about a packet (received), or where to
/// send one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkAddr {
    /// EtherType, host order ([`ETH_P_ALL`] binds every one).
    pub protocol: u16,
    pub ifindex: u32,
    /// ARPHRD_ type of the interface ([`crate::linktype::arphrd`]).
    pub hatype: u16,
    pub pkttype: PacketType,
    /// The link-layer address, `halen` bytes of `addr`.
    pub halen: u8,
    pub addr: [u8; 8],
}

impl LinkAddr {
    /// Every protocol on interface `ifindex` (0: every interface).
    pub fn all_on(ifindex: u32) -> LinkAddr {
        LinkAddr {
            protocol: ETH_P_ALL,
            ifindex,
            hatype: 0,
            pkttype: PacketType::Host,
            halen: 0,
            addr: [0; 8],
        }
    }

    fn to_raw(self) -> libc::sockaddr_ll {
        libc::sockaddr_ll {
            sll_family: libc::AF_PACKET as libc::c_ushort,
            sll_protocol: self.protocol.to_be(),
            sll_ifindex: self.ifindex as libc::c_int,
            sll_hatype: self.hatype,
            sll_pkttype: self.pkttype.into(),
            sll_halen: self.halen,
            sll_addr: self.addr,
        }
    }

    fn from_raw(sll: &libc::sockaddr_ll) -> LinkAddr {
        LinkAddr {
            protocol: u16::from_be(sll.sll_protocol),
            ifindex: sll.sll_ifindex as u32,
            hatype: sll.sll_hatype,
            pkttype: PacketType::from(sll.sll_pkttype),
            halen: sll.sll_halen,
            addr: sll.sll_addr,
        }
    }
}

/// An AF_PACKET socket of type `ty` (SOCK_RAW: with link headers,
/// SOCK_DGRAM: cooked) receiving `protocol` (host order; 0 receives
/// nothing until [`bind`], [`ETH_P_ALL`] everything at once).
pub fn socket(ty: libc::c_int, protocol: u16) -> io::Result<OwnedFd> {
    super::socket::socket(libc::AF_PACKET, ty, libc::c_int::from(protocol.to_be()))
}

/// Binds a packet socket to every protocol on `ifindex` (0: every
/// interface).
pub fn bind(fd: impl AsFd, ifindex: u32) -> io::Result<()> {
    let sll = LinkAddr::all_on(ifindex).to_raw();
    // SAFETY: `sll` is a valid sockaddr_ll and the length passed is its
    // size.
    cvt(unsafe {
        libc::bind(
            fd.as_fd().as_raw_fd(),
            (&sll as *const libc::sockaddr_ll).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// PACKET_VERSION TPACKET_V3 (Linux 3.2).
pub fn set_tpacket_v3(fd: impl AsFd) -> io::Result<()> {
    setsockopt(fd.as_fd(), SOL_PACKET, PACKET_VERSION, &TPACKET_V3)
}

/// PACKET_IGNORE_OUTGOING (Linux 4.20): the socket no longer sees what
/// this host sends.
pub fn ignore_outgoing(fd: impl AsFd) -> io::Result<()> {
    let on: libc::c_int = 1;
    setsockopt(fd.as_fd(), SOL_PACKET, PACKET_IGNORE_OUTGOING, &on)
}

/// PACKET_RX_RING: asks the kernel for a receive ring of `req`'s geometry
/// (then map it with [`super::mmap::Mmap::ring`]).
pub fn set_rx_ring(fd: impl AsFd, req: &TpacketReq3) -> io::Result<()> {
    setsockopt(fd.as_fd(), SOL_PACKET, PACKET_RX_RING, req)
}

/// PACKET_STATISTICS: the counters since the last call (the kernel resets
/// them on every read).
pub fn statistics(fd: impl AsFd) -> io::Result<TpacketStatsV3> {
    getsockopt(fd.as_fd(), SOL_PACKET, PACKET_STATISTICS)
}

/// PACKET_ADD_MEMBERSHIP PACKET_MR_PROMISC on `ifindex`: promiscuous for
/// as long as the socket is open.
pub fn add_promisc(fd: impl AsFd, ifindex: u32) -> io::Result<()> {
    let mreq = PacketMreq {
        ifindex: ifindex as libc::c_int,
        kind: PACKET_MR_PROMISC,
        alen: 0,
        address: [0; 8],
    };
    setsockopt(fd.as_fd(), SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq)
}

/// One packet into `buf` (truncated to its length) with its link-level
/// address; blocks unless the socket has a receive timeout
/// ([`super::socket::set_recv_timeout`]).
pub fn recv_from(fd: impl AsFd, buf: &mut [u8]) -> io::Result<(usize, LinkAddr)> {
    let mut sll = LinkAddr::all_on(0).to_raw();
    let mut len = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
    // SAFETY: `buf` and `sll` are writable for the sizes passed; the
    // kernel writes at most `len` bytes of address and updates `len`.
    let n = cvt_size(unsafe {
        libc::recvfrom(
            fd.as_fd().as_raw_fd(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            0,
            (&mut sll as *mut libc::sockaddr_ll).cast(),
            &mut len,
        )
    })?;
    Ok((n, LinkAddr::from_raw(&sll)))
}

/// Sends `frame` out of `to.ifindex`: a whole frame on a SOCK_RAW socket,
/// the payload of `to.protocol` to `to.addr` on a SOCK_DGRAM one.
pub fn send_to(fd: impl AsFd, frame: &[u8], to: &LinkAddr) -> io::Result<usize> {
    let sll = to.to_raw();
    // SAFETY: `frame` and `sll` are live for the call and the length
    // passed is sockaddr_ll's size.
    cvt_size(unsafe {
        libc::sendto(
            fd.as_fd().as_raw_fd(),
            frame.as_ptr().cast(),
            frame.len(),
            0,
            (&sll as *const libc::sockaddr_ll).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    })
}

/// PACKET_AUXDATA: every received packet comes with a
/// `struct tpacket_auxdata` (original length, stripped VLAN tag).
pub fn set_auxdata(fd: impl AsFd) -> io::Result<()> {
    let on: libc::c_int = 1;
    setsockopt(fd.as_fd(), SOL_PACKET, PACKET_AUXDATA, &on)
}

/// SO_TIMESTAMPNS: every received packet comes with its arrival time in
/// nanoseconds.
pub fn set_timestamp_ns(fd: impl AsFd) -> io::Result<()> {
    let on: libc::c_int = 1;
    setsockopt(fd.as_fd(), libc::SOL_SOCKET, SO_TIMESTAMPNS, &on)
}

/// What recvmmsg said about one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    pub from: LinkAddr,
    /// Bytes copied into the packet's slot.
    pub copied: usize,
    /// Length on the wire (auxdata `tp_len`), else `copied`.
    pub len: u32,
    /// (seconds, nanoseconds) of arrival, when the kernel gave it.
    pub ts: Option<(i64, u32)>,
    /// The VLAN tag the kernel stripped: (TPID, TCI).
    pub vlan: Option<(u16, u16)>,
}

/// `struct tpacket_auxdata`.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
struct Auxdata {
    status: u32,
    len: u32,
    snaplen: u32,
    mac: u16,
    net: u16,
    vlan_tci: u16,
    vlan_tpid: u16,
}

/// Room for one packet's control messages: auxdata and a timespec, each
/// with its cmsghdr, 8-aligned.
const CMSG_ROOM: usize = 128;

/// Receives up to `buf.len() / slot` packets without blocking
/// (MSG_DONTWAIT), packet `i` into `buf[i * slot..]`, each cut to `slot`
/// bytes; appends what the kernel said about each to `out` and returns
/// how many arrived (0: none queued).
pub fn recv_many(
    fd: impl AsFd,
    buf: &mut [u8],
    slot: usize,
    out: &mut Vec<Received>,
) -> io::Result<usize> {
    let n = buf.len().checked_div(slot).unwrap_or(0).min(1024);
    if n == 0 {
        return Ok(0);
    }
    let mut addrs = vec![LinkAddr::all_on(0).to_raw(); n];
    let mut cmsgs = vec![[0u64; CMSG_ROOM / 8]; n];
    let mut iovs: Vec<libc::iovec> = buf
        .chunks_exact_mut(slot)
        .take(n)
        .map(|c| libc::iovec {
            iov_base: c.as_mut_ptr().cast(),
            iov_len: c.len(),
        })
        .collect();
    // SAFETY: mmsghdr is plain data; all-zero is a valid value.
    let mut msgs: Vec<libc::mmsghdr> = (0..n).map(|_| unsafe { std::mem::zeroed() }).collect();
    for i in 0..n {
        let h = &mut msgs[i].msg_hdr;
        h.msg_name = (&mut addrs[i] as *mut libc::sockaddr_ll).cast();
        h.msg_namelen = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        h.msg_iov = &mut iovs[i];
        h.msg_iovlen = 1;
        h.msg_control = cmsgs[i].as_mut_ptr().cast();
        h.msg_controllen = CMSG_ROOM as _;
    }
    // SAFETY: `msgs` holds `n` headers whose name, iovec and control
    // pointers point into `addrs`, `iovs`/`buf` and `cmsgs`, all live and
    // unmoved for the call and of the lengths given.
    let got = cvt(unsafe {
        libc::recvmmsg(
            fd.as_fd().as_raw_fd(),
            msgs.as_mut_ptr(),
            n as libc::c_uint,
            libc::MSG_DONTWAIT as _,
            std::ptr::null_mut(),
        )
    });
    let got = match got {
        Ok(g) => g as usize,
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(0),
        Err(e) => return Err(e),
    };
    for i in 0..got {
        let copied = (msgs[i].msg_len as usize).min(slot);
        let mut r = Received {
            from: LinkAddr::from_raw(&addrs[i]),
            copied,
            len: copied as u32,
            ts: None,
            vlan: None,
        };
        let h = &msgs[i].msg_hdr;
        // SAFETY: the kernel filled `msg_control` with `msg_controllen`
        // bytes of well-formed cmsghdrs; CMSG_FIRSTHDR/NXTHDR stay within
        // them and each payload is read unaligned into a local.
        unsafe {
            let mut c = libc::CMSG_FIRSTHDR(h);
            while !c.is_null() {
                let data = libc::CMSG_DATA(c);
                match ((*c).cmsg_level, (*c).cmsg_type) {
                    (SOL_PACKET, PACKET_AUXDATA) => {
                        let a: Auxdata = std::ptr::read_unaligned(data.cast());
                        r.len = a.len;
                        if a.status & status::VLAN_VALID != 0 {
                            let tpid =
                                if a.status & status::VLAN_TPID_VALID != 0 && a.vlan_tpid != 0 {
                                    a.vlan_tpid
                                } else {
                                    0x8100
                                };
                            r.vlan = Some((tpid, a.vlan_tci));
                        }
                    }
                    (libc::SOL_SOCKET, SO_TIMESTAMPNS) => {
                        let t: libc::timespec = std::ptr::read_unaligned(data.cast());
                        r.ts = Some((t.tv_sec as i64, t.tv_nsec as u32));
                    }
                    _ => {}
                }
                c = libc::CMSG_NXTHDR(h, c);
            }
        }
        out.push(r);
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_addresses_round_trip_through_sockaddr_ll() {
        let a = LinkAddr {
            protocol: 0x0800,
            ifindex: 7,
            hatype: crate::linktype::arphrd::ETHER,
            pkttype: PacketType::Outgoing,
            halen: 6,
            addr: [2, 0, 0, 0, 0, 1, 0, 0],
        };
        let raw = a.to_raw();
        assert_eq!(raw.sll_protocol, 0x0800u16.to_be());
        assert_eq!(raw.sll_pkttype, 4);
        assert_eq!(LinkAddr::from_raw(&raw), a);
    }

    #[test]
    fn frames_sent_on_lo_come_back_with_their_address() {
        let r = std::thread::spawn(|| -> Result<(), String> {
            super::super::ns::unshare_net().map_err(|e| e.to_string())?;
            // `ip` runs in this thread's namespace: children inherit it.
            let up = std::process::Command::new("ip")
                .args(["link", "set", "lo", "up"])
                .status()
                .map_err(|e| e.to_string())?;
            assert!(up.success());
            let ctl = crate::sys::socket::ioctl_socket().map_err(|e| e.to_string())?;
            let lo = crate::sys::socket::if_index(&ctl, "lo").map_err(|e| e.to_string())?;
            let rx = socket(libc::SOCK_DGRAM, ETH_P_ALL).map_err(|e| e.to_string())?;
            bind(&rx, lo).map_err(|e| e.to_string())?;
            crate::sys::socket::set_recv_timeout(&rx, std::time::Duration::from_secs(10))
                .map_err(|e| e.to_string())?;
            let tx = socket(libc::SOCK_DGRAM, 0).map_err(|e| e.to_string())?;
            // 0x88b5: the EtherType IEEE reserves for local experiments.
            let to = LinkAddr {
                protocol: 0x88b5,
                halen: 6,
                ..LinkAddr::all_on(lo)
            };
            let n = send_to(&tx, b"podcap", &to).map_err(|e| e.to_string())?;
            assert_eq!(n, 6);
            let mut buf = [0u8; 256];
            let mut seen = Vec::new();
            while seen.len() < 2 {
                let (n, from) = recv_from(&rx, &mut buf).map_err(|e| e.to_string())?;
                if from.protocol == 0x88b5 {
                    assert_eq!(&buf[..n], b"podcap");
                    assert_eq!(from.ifindex, lo);
                    assert_eq!(from.hatype, crate::linktype::arphrd::LOOPBACK);
                    seen.push(from.pkttype);
                }
            }
            // Loopback shows every frame leaving and arriving.
            seen.sort();
            assert_eq!(seen, [PacketType::Host, PacketType::Outgoing]);
            Ok(())
        })
        .join()
        .unwrap();
        r.unwrap();
    }
}
