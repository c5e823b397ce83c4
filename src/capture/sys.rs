//! Thin wrappers over the system calls a packet socket needs. Every
//! `unsafe` block of the capture engine lives here, each one small.

use crate::bpf::Insn;
use crate::{Error, Result};
use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

// <linux/if_packet.h>, <linux/if_ether.h>, <linux/if_arp.h>: fixed by the
// kernel ABI, spelled out so the build does not depend on which of them the
// libc crate exports for musl.
pub const SOL_PACKET: libc::c_int = 263;
pub const PACKET_ADD_MEMBERSHIP: libc::c_int = 1;
pub const PACKET_RX_RING: libc::c_int = 5;
pub const PACKET_STATISTICS: libc::c_int = 6;
pub const PACKET_VERSION: libc::c_int = 10;
pub const PACKET_IGNORE_OUTGOING: libc::c_int = 23;
pub const TPACKET_V3: libc::c_int = 2;
pub const PACKET_MR_PROMISC: libc::c_ushort = 1;
pub const ETH_P_ALL: u16 = 0x0003;
pub const SO_ATTACH_FILTER: libc::c_int = 26;

/// `struct tpacket_req3`.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct TpacketReq3 {
    pub block_size: u32,
    pub block_nr: u32,
    pub frame_size: u32,
    pub frame_nr: u32,
    pub retire_blk_tov: u32,
    pub sizeof_priv: u32,
    pub feature_req_word: u32,
}

/// `struct tpacket_stats_v3`.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct TpacketStatsV3 {
    pub packets: u32,
    pub drops: u32,
    pub freeze_q_cnt: u32,
}

/// `struct packet_mreq`.
#[repr(C)]
struct PacketMreq {
    ifindex: libc::c_int,
    kind: libc::c_ushort,
    alen: libc::c_ushort,
    address: [u8; 8],
}

/// `struct sock_fprog`.
#[repr(C)]
struct SockFprog {
    len: libc::c_ushort,
    filter: *const Insn,
}

/// `struct ifreq` with the union as raw bytes.
#[repr(C)]
struct Ifreq {
    name: [u8; libc::IFNAMSIZ],
    data: [u8; 24],
}

fn ifreq(name: &str) -> Result<Ifreq> {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() >= libc::IFNAMSIZ || bytes.contains(&0) {
        return Err(Error::usage(format!(
            "`{name}` is not an interface name (1 to 15 bytes, no NUL)"
        )));
    }
    let mut r = Ifreq {
        name: [0; libc::IFNAMSIZ],
        data: [0; 24],
    };
    r.name[..bytes.len()].copy_from_slice(bytes);
    Ok(r)
}

/// Creates a socket; EPERM names `cap`.
pub fn socket(domain: i32, ty: i32, proto: i32, what: &str, cap: Option<&str>) -> Result<OwnedFd> {
    // SAFETY: plain syscall with integer arguments; the returned fd is
    // checked and then owned by the OwnedFd.
    let fd = unsafe { libc::socket(domain, ty | libc::SOCK_CLOEXEC, proto) };
    if fd < 0 {
        return Err(Error::last_os(what, cap));
    }
    // SAFETY: fd is a freshly created descriptor nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A datagram socket for interface ioctls, in the calling thread's netns.
pub fn ioctl_socket() -> Result<OwnedFd> {
    socket(
        libc::AF_INET,
        libc::SOCK_DGRAM,
        0,
        "open a socket for interface queries",
        None,
    )
    .or_else(|_| {
        socket(
            libc::AF_UNIX,
            libc::SOCK_DGRAM,
            0,
            "open a socket for interface queries",
            None,
        )
    })
}

fn ioctl_ifreq(fd: RawFd, req: libc::c_ulong, r: &mut Ifreq) -> io::Result<()> {
    // SAFETY: `r` is a properly sized, initialised struct ifreq that lives
    // across the call; the kernel reads the name and writes the union.
    let rc = unsafe { libc::ioctl(fd, req as _, r as *mut Ifreq) };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
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

/// The interface's index (SIOCGIFINDEX).
pub fn if_index(fd: RawFd, name: &str) -> Result<u32> {
    let mut r = ifreq(name)?;
    ioctl_ifreq(fd, libc::SIOCGIFINDEX as _, &mut r).map_err(|e| no_such_interface(name, e))?;
    let idx = i32::from_ne_bytes([r.data[0], r.data[1], r.data[2], r.data[3]]);
    Ok(idx as u32)
}

/// The interface's ARPHRD_ type (SIOCGIFHWADDR's sa_family).
pub fn if_hatype(fd: RawFd, name: &str) -> Result<u16> {
    let mut r = ifreq(name)?;
    ioctl_ifreq(fd, libc::SIOCGIFHWADDR as _, &mut r).map_err(|e| no_such_interface(name, e))?;
    Ok(u16::from_ne_bytes([r.data[0], r.data[1]]))
}

/// The interface flags (SIOCGIFFLAGS).
pub fn if_flags(fd: RawFd, name: &str) -> Result<u32> {
    let mut r = ifreq(name)?;
    ioctl_ifreq(fd, libc::SIOCGIFFLAGS as _, &mut r).map_err(|e| no_such_interface(name, e))?;
    Ok(u16::from_ne_bytes([r.data[0], r.data[1]]) as u32)
}

/// The name of interface `index` (SIOCGIFNAME), `None` when it is gone.
pub fn if_name(fd: RawFd, index: u32) -> Option<String> {
    let mut r = Ifreq {
        name: [0; libc::IFNAMSIZ],
        data: [0; 24],
    };
    r.data[..4].copy_from_slice(&(index as i32).to_ne_bytes());
    ioctl_ifreq(fd, libc::SIOCGIFNAME as _, &mut r).ok()?;
    let end = r.name.iter().position(|&b| b == 0).unwrap_or(r.name.len());
    String::from_utf8(r.name[..end].to_vec()).ok()
}

/// setsockopt with a plain-old-data value.
pub fn setsockopt<T>(fd: RawFd, level: i32, name: i32, val: &T) -> io::Result<()> {
    // SAFETY: `val` points to a live T of the size passed; the kernel only
    // reads it during the call.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            val as *const T as *const libc::c_void,
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// PACKET_STATISTICS: the counters since the last call (the kernel resets
/// them on every read).
pub fn packet_stats(fd: RawFd) -> io::Result<TpacketStatsV3> {
    let mut st = TpacketStatsV3::default();
    let mut len = std::mem::size_of::<TpacketStatsV3>() as libc::socklen_t;
    // SAFETY: `st` is a writable TpacketStatsV3 and `len` its size; the
    // kernel writes at most `len` bytes and updates `len`.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            SOL_PACKET,
            PACKET_STATISTICS,
            &mut st as *mut TpacketStatsV3 as *mut libc::c_void,
            &mut len,
        )
    };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(st)
    }
}

/// SO_ATTACH_FILTER with `prog`.
pub fn attach_filter(fd: RawFd, prog: &[Insn]) -> io::Result<()> {
    let len = u16::try_from(prog.len()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let fprog = SockFprog {
        len,
        filter: prog.as_ptr(),
    };
    setsockopt(fd, libc::SOL_SOCKET, SO_ATTACH_FILTER, &fprog)
}

/// PACKET_ADD_MEMBERSHIP PACKET_MR_PROMISC on `ifindex`.
pub fn set_promisc(fd: RawFd, ifindex: u32) -> io::Result<()> {
    let mreq = PacketMreq {
        ifindex: ifindex as libc::c_int,
        kind: PACKET_MR_PROMISC,
        alen: 0,
        address: [0; 8],
    };
    setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq)
}

/// Binds a packet socket to all protocols on `ifindex` (0: every interface).
pub fn bind_packet(fd: RawFd, ifindex: u32) -> io::Result<()> {
    // SAFETY: sockaddr_ll is plain old data; all-zero is a valid value.
    let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    sll.sll_family = libc::AF_PACKET as u16;
    sll.sll_protocol = ETH_P_ALL.to_be();
    sll.sll_ifindex = ifindex as i32;
    // SAFETY: `sll` is a valid sockaddr_ll and the length passed is its size.
    let rc = unsafe {
        libc::bind(
            fd,
            &sll as *const libc::sockaddr_ll as *const libc::sockaddr,
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// A shared memory mapping of a packet socket's ring, unmapped on drop.
#[derive(Debug)]
pub struct Mmap {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the mapping is plain memory; access discipline (block ownership
// through the status word) is enforced by the ring code, not by the thread.
unsafe impl Send for Mmap {}

impl Mmap {
    pub fn map(fd: RawFd, len: usize) -> io::Result<Mmap> {
        // SAFETY: a fresh shared mapping of `len` bytes of the socket's
        // ring; the kernel chooses the address.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_LOCKED,
                fd,
                0,
            )
        };
        let ptr = if ptr == libc::MAP_FAILED {
            // MAP_LOCKED fails under a small RLIMIT_MEMLOCK; the ring works
            // without it, it is only a hint against page-out.
            // SAFETY: as above, without MAP_LOCKED.
            let p = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_SHARED,
                    fd,
                    0,
                )
            };
            if p == libc::MAP_FAILED {
                return Err(io::Error::last_os_error());
            }
            p
        } else {
            ptr
        };
        Ok(Mmap {
            ptr: ptr as *mut u8,
            len,
        })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The status word of the block at `off` (the first u32 of
    /// `tpacket_hdr_v1`, at byte 8 of the block descriptor), read with
    /// acquire ordering so the block's contents are visible after it.
    pub fn block_status(&self, off: usize) -> u32 {
        assert!(off + 12 <= self.len && (off + 8) % 4 == 0);
        // SAFETY: in bounds (checked above), 4-aligned (the mapping is
        // page-aligned and blocks are page multiples); the kernel writes
        // this word concurrently, hence the atomic access.
        let a = unsafe { &*(self.ptr.add(off + 8) as *const std::sync::atomic::AtomicU32) };
        a.load(std::sync::atomic::Ordering::Acquire)
    }

    /// `num_pkts` of a block the kernel may be filling: a racy hint only.
    pub fn block_packets_hint(&self, off: usize) -> u32 {
        assert!(off + 16 <= self.len && (off + 12) % 4 == 0);
        // SAFETY: in bounds and aligned (as in `block_status`); atomic
        // because the kernel may write it concurrently.
        let a = unsafe { &*(self.ptr.add(off + 12) as *const std::sync::atomic::AtomicU32) };
        a.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Hands the block at `off` back to the kernel (status = TP_STATUS_KERNEL).
    pub fn release_block(&self, off: usize) {
        assert!(off + 12 <= self.len && (off + 8) % 4 == 0);
        // SAFETY: as in `block_status`; release ordering so our reads of the
        // block happen before the kernel may refill it.
        let a = unsafe { &*(self.ptr.add(off + 8) as *const std::sync::atomic::AtomicU32) };
        a.store(0, std::sync::atomic::Ordering::Release);
    }

    /// The bytes of a block the kernel handed to user space.
    ///
    /// # Safety
    /// The caller must own the block (its status has TP_STATUS_USER) for as
    /// long as the slice lives, and not release it meanwhile.
    pub unsafe fn block(&self, off: usize, len: usize) -> &[u8] {
        assert!(off + len <= self.len);
        // SAFETY: in bounds (checked), and the kernel does not write a
        // block while user space owns it (caller's contract).
        unsafe { std::slice::from_raw_parts(self.ptr.add(off), len) }
    }
}

impl Drop for Mmap {
    fn drop(&mut self) {
        // SAFETY: ptr/len come from a successful mmap and are unmapped once.
        unsafe {
            libc::munmap(self.ptr as *mut libc::c_void, self.len);
        }
    }
}

/// Waits up to `timeout_ms` (-1: forever) for `fd` to be readable.
/// Returns Ok(false) on timeout or signal.
pub fn poll_in(fd: RawFd, timeout_ms: i32) -> io::Result<bool> {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, count 1.
    let rc = unsafe { libc::poll(&mut p, 1, timeout_ms) };
    if rc < 0 {
        let e = io::Error::last_os_error();
        if e.kind() == io::ErrorKind::Interrupted {
            return Ok(false);
        }
        return Err(e);
    }
    if rc > 0 && p.revents & (libc::POLLERR | libc::POLLNVAL) != 0 {
        return Err(io::Error::other(
            "packet socket reported an error (interface gone?)",
        ));
    }
    Ok(rc > 0)
}

/// Runs `f` with the calling thread inside network namespace `spec`, then
/// returns the thread to the namespace it was in. Sockets created by `f`
/// stay bound to `spec`'s namespace.
pub fn in_netns<T>(spec: Option<&str>, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let Some(spec) = spec else { return f() };
    let home = File::open("/proc/thread-self/ns/net")
        .or_else(|_| File::open("/proc/self/ns/net"))
        .map_err(|e| Error::os("open the current network namespace", e, None))?;
    crate::netns::enter(spec)?;
    let r = f();
    // SAFETY: setns with a valid open fd of a network namespace file.
    let rc = unsafe { libc::setns(home.as_raw_fd(), libc::CLONE_NEWNET) };
    if rc != 0 {
        return Err(Error::last_os(
            "return to the original network namespace",
            Some("CAP_SYS_ADMIN"),
        ));
    }
    r
}

/// The inode number of a network namespace file, as `ip netns identify`
/// and `lsns` show it.
pub fn netns_inode(path: &str) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| m.ino())
}

/// Makes a C string for syscalls taking paths or names.
pub fn cstring(s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::usage(format!("`{s}` contains a NUL byte")))
}
