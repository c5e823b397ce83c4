//! Sockets of any family: creation, options, classic BPF filters,
//! datagrams to an IP address, and the `struct ifreq` interface ioctls.

use super::{cvt, cvt_size};
use crate::bpf::Insn;
use crate::bpf::wire::SockFprog;
use crate::{Error, Result};
use std::io;
use std::net::IpAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// socket(2), always close-on-exec.
pub fn socket(domain: libc::c_int, ty: libc::c_int, proto: libc::c_int) -> io::Result<OwnedFd> {
    // SAFETY: integer arguments only; the result is checked before use.
    let fd = cvt(unsafe { libc::socket(domain, ty | libc::SOCK_CLOEXEC, proto) })?;
    // SAFETY: `fd` was just created and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// setsockopt(2) with `val`'s bytes. Kept to this crate's wrappers: a
/// value holding pointers (such as `sock_fprog`) must only be built by
/// code that keeps the pointee alive, which the typed helpers do.
pub(super) fn setsockopt<T: Copy>(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    val: &T,
) -> io::Result<()> {
    // SAFETY: `val` points to a live T of the size passed; the kernel only
    // reads it during the call.
    cvt(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (val as *const T).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// getsockopt(2) into a `T`. Only for plain-data kernel structs, for
/// which every byte pattern the kernel writes is a valid value.
pub(super) fn getsockopt<T: Copy + Default>(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
) -> io::Result<T> {
    let mut val = T::default();
    let mut len = std::mem::size_of::<T>() as libc::socklen_t;
    // SAFETY: `val` is a writable T and `len` its size; the kernel writes
    // at most `len` bytes and updates `len`.
    cvt(unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (&mut val as *mut T).cast(),
            &mut len,
        )
    })?;
    Ok(val)
}

/// An integer socket option (flags, versions, sizes).
pub fn set_int(
    fd: impl AsFd,
    level: libc::c_int,
    name: libc::c_int,
    val: libc::c_int,
) -> io::Result<()> {
    setsockopt(fd.as_fd(), level, name, &val)
}

/// SO_RCVTIMEO: blocking receives give up after `timeout`.
pub fn set_recv_timeout(fd: impl AsFd, timeout: Duration) -> io::Result<()> {
    let tv = libc::timeval {
        tv_sec: timeout.as_secs().try_into().unwrap_or(i64::MAX),
        tv_usec: timeout.subsec_micros().into(),
    };
    setsockopt(fd.as_fd(), libc::SOL_SOCKET, libc::SO_RCVTIMEO, &tv)
}

/// SO_ATTACH_FILTER: runs `prog` on every packet the socket would queue
/// (any socket type). A program the kernel cannot take (empty, longer
/// than 4096 instructions, or failing its checker) is EINVAL.
pub fn attach_filter(fd: impl AsFd, prog: &[Insn]) -> io::Result<()> {
    let fprog = SockFprog::new(prog).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // The fprog borrows `prog`, which outlives the call: the kernel copies
    // the instructions before setsockopt returns.
    setsockopt(
        fd.as_fd(),
        libc::SOL_SOCKET,
        libc::SO_ATTACH_FILTER,
        fprog.as_raw(),
    )
}

/// `ip` as a `sockaddr_in`/`sockaddr_in6` with port 0.
fn sockaddr(ip: IpAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain data; all-zero is a valid value.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match ip {
        IpAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: 0,
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than and aligned for
            // sockaddr_in.
            unsafe { std::ptr::write((&mut ss as *mut libc::sockaddr_storage).cast(), sin) };
            std::mem::size_of::<libc::sockaddr_in>()
        }
        IpAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: 0,
                sin6_flowinfo: 0,
                sin6_addr: libc::in6_addr {
                    s6_addr: a.octets(),
                },
                sin6_scope_id: 0,
            };
            // SAFETY: sockaddr_storage is larger than and aligned for
            // sockaddr_in6.
            unsafe { std::ptr::write((&mut ss as *mut libc::sockaddr_storage).cast(), sin6) };
            std::mem::size_of::<libc::sockaddr_in6>()
        }
    };
    (ss, len as libc::socklen_t)
}

/// sendto(2) of one datagram to `ip` (port 0: raw and ICMP sockets).
pub fn send_to(fd: impl AsFd, buf: &[u8], ip: IpAddr) -> io::Result<usize> {
    let (ss, len) = sockaddr(ip);
    // SAFETY: `buf` and `ss` are live for the call and `len` is the size
    // of the address written into `ss`.
    cvt_size(unsafe {
        libc::sendto(
            fd.as_fd().as_raw_fd(),
            buf.as_ptr().cast(),
            buf.len(),
            0,
            (&ss as *const libc::sockaddr_storage).cast(),
            len,
        )
    })
}

/// recv(2) with MSG_DONTWAIT: one datagram into `buf`, WouldBlock when
/// none is queued.
pub fn recv_nonblocking(fd: impl AsFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is writable for the length passed.
    cvt_size(unsafe {
        libc::recv(
            fd.as_fd().as_raw_fd(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            libc::MSG_DONTWAIT,
        )
    })
}

/// `struct ifreq` with the union as raw bytes.
#[repr(C)]
struct Ifreq {
    name: [u8; libc::IFNAMSIZ],
    data: [u8; 24],
}

impl Ifreq {
    fn empty() -> Ifreq {
        Ifreq {
            name: [0; libc::IFNAMSIZ],
            data: [0; 24],
        }
    }

    fn named(name: &str) -> Result<Ifreq> {
        let bytes = name.as_bytes();
        if bytes.is_empty() || bytes.len() >= libc::IFNAMSIZ || bytes.contains(&0) {
            return Err(Error::usage(format!(
                "`{name}` is not an interface name (1 to 15 bytes, no NUL)"
            )));
        }
        let mut r = Ifreq::empty();
        r.name[..bytes.len()].copy_from_slice(bytes);
        Ok(r)
    }
}

fn ioctl_ifreq(fd: BorrowedFd<'_>, req: libc::c_ulong, r: &mut Ifreq) -> io::Result<()> {
    // SAFETY: `r` is a properly sized, initialised struct ifreq that lives
    // across the call; the kernel reads the name and writes the union.
    cvt(unsafe { libc::ioctl(fd.as_raw_fd(), req as _, r as *mut Ifreq) }).map(drop)
}

/// A datagram socket for the interface ioctls, in the calling thread's
/// network namespace.
pub fn ioctl_socket() -> Result<OwnedFd> {
    let what = "open a socket for interface queries";
    socket(libc::AF_INET, libc::SOCK_DGRAM, 0)
        .or_else(|_| socket(libc::AF_UNIX, libc::SOCK_DGRAM, 0))
        .map_err(|e| Error::os(what, e, None))
}

fn no_such_interface(name: &str, err: io::Error) -> Error {
    if err.raw_os_error() == Some(libc::ENODEV) {
        Error::not_found(
            format!("interface {name}"),
            "no such device in this network namespace",
        )
        .hint("`podcap tcpdump -D` lists the interfaces; use --netns to look in a pod's namespace")
    } else {
        Error::os(format!("look up interface {name}"), err, None)
    }
}

fn ifreq_query(fd: impl AsFd, name: &str, req: libc::c_ulong) -> Result<Ifreq> {
    let mut r = Ifreq::named(name)?;
    ioctl_ifreq(fd.as_fd(), req, &mut r).map_err(|e| no_such_interface(name, e))?;
    Ok(r)
}

/// The interface's index (SIOCGIFINDEX).
pub fn if_index(fd: impl AsFd, name: &str) -> Result<u32> {
    let r = ifreq_query(fd, name, libc::SIOCGIFINDEX as _)?;
    let idx = i32::from_ne_bytes([r.data[0], r.data[1], r.data[2], r.data[3]]);
    Ok(idx as u32)
}

/// The interface's ARPHRD_ type (SIOCGIFHWADDR's sa_family), see
/// [`crate::linktype::arphrd`].
pub fn if_hatype(fd: impl AsFd, name: &str) -> Result<u16> {
    let r = ifreq_query(fd, name, libc::SIOCGIFHWADDR as _)?;
    Ok(u16::from_ne_bytes([r.data[0], r.data[1]]))
}

/// The interface flags (SIOCGIFFLAGS).
pub fn if_flags(fd: impl AsFd, name: &str) -> Result<u32> {
    let r = ifreq_query(fd, name, libc::SIOCGIFFLAGS as _)?;
    Ok(u16::from_ne_bytes([r.data[0], r.data[1]]) as u32)
}

/// The interface's MTU (SIOCGIFMTU).
pub fn if_mtu(fd: impl AsFd, name: &str) -> Result<u32> {
    let r = ifreq_query(fd, name, libc::SIOCGIFMTU as _)?;
    Ok(i32::from_ne_bytes([r.data[0], r.data[1], r.data[2], r.data[3]]).max(0) as u32)
}

/// SO_ERROR: the socket's pending error, which reading clears (a packet
/// socket whose interface went down or was deleted reports ENETDOWN).
pub fn take_error(fd: impl AsFd) -> io::Result<Option<io::Error>> {
    let e: libc::c_int = getsockopt(fd.as_fd(), libc::SOL_SOCKET, libc::SO_ERROR)?;
    Ok((e != 0).then(|| io::Error::from_raw_os_error(e)))
}

/// SO_RCVBUFFORCE (with CAP_NET_ADMIN), else SO_RCVBUF: the receive
/// queue of a socket read without a ring.
pub fn set_recv_buffer(fd: impl AsFd, bytes: usize) -> io::Result<()> {
    let v = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    setsockopt(fd.as_fd(), libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, &v)
        .or_else(|_| setsockopt(fd.as_fd(), libc::SOL_SOCKET, libc::SO_RCVBUF, &v))
}

/// The name of interface `index` (SIOCGIFNAME), `None` when it is gone.
pub fn if_name(fd: impl AsFd, index: u32) -> Option<String> {
    let mut r = Ifreq::empty();
    r.data[..4].copy_from_slice(&(index as i32).to_ne_bytes());
    ioctl_ifreq(fd.as_fd(), libc::SIOCGIFNAME as _, &mut r).ok()?;
    let end = r.name.iter().position(|&b| b == 0).unwrap_or(r.name.len());
    String::from_utf8(r.name[..end].to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpf::op;

    #[test]
    fn loopback_through_the_ioctls() {
        let ctl = ioctl_socket().unwrap();
        let idx = if_index(&ctl, "lo").unwrap();
        assert!(idx > 0);
        assert_eq!(if_name(&ctl, idx).as_deref(), Some("lo"));
        assert_eq!(
            if_hatype(&ctl, "lo").unwrap(),
            crate::linktype::arphrd::LOOPBACK
        );
        assert!(if_flags(&ctl, "lo").unwrap() & libc::IFF_LOOPBACK as u32 != 0);
        let e = if_index(&ctl, "podcap-nope0").unwrap_err();
        assert_eq!(e.kind, crate::error::Kind::NotFound);
        assert!(if_index(&ctl, "").is_err());
        assert!(if_index(&ctl, "sixteen-bytes-xx").is_err());
    }

    #[test]
    fn filters_attach_to_any_socket() {
        let s = socket(libc::AF_INET, libc::SOCK_DGRAM, 0).unwrap();
        attach_filter(&s, &[Insn::stmt(op::RET | op::K, 0)]).unwrap();
        let e = attach_filter(&s, &[]).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EINVAL));
        set_recv_timeout(&s, Duration::from_millis(10)).unwrap();
        let mut b = [0u8; 4];
        let e = recv_nonblocking(&s, &mut b).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
    }
}
