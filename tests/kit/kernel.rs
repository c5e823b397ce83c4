//! The running kernel as an oracle for classic BPF: packet sockets with a
//! program attached, SO_ATTACH_FILTER's verdict, and private network
//! namespaces so that no test sees (or sends on) the host's interfaces.

use std::io;

use podcap::bpf::Insn;

fn errno() -> i32 {
    io::Error::last_os_error().raw_os_error().unwrap_or(-1)
}

/// SO_ATTACH_FILTER on `fd`: `Err(errno)` when the kernel refuses `prog`.
fn attach_filter(fd: i32, prog: &[Insn]) -> Result<(), i32> {
    let len = u16::try_from(prog.len()).map_err(|_| libc::EINVAL)?;
    let fprog = libc::sock_fprog {
        len,
        // Insn is #[repr(C)] with the layout of struct sock_filter; the
        // kernel only reads through this pointer.
        filter: prog.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: fprog points at `prog`, alive for the call (the kernel copies
    // the program); optlen is the size of the struct passed.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ATTACH_FILTER,
            &fprog as *const libc::sock_fprog as *const libc::c_void,
            std::mem::size_of::<libc::sock_fprog>() as libc::socklen_t,
        )
    };
    if rc == 0 { Ok(()) } else { Err(errno()) }
}

/// The kernel's verdict on `prog`, attached to a fresh UDP socket (no
/// traffic, so no namespace or privilege is needed).
pub fn kernel_accepts(prog: &[Insn]) -> Result<(), i32> {
    // SAFETY: plain socket(2); the descriptor is closed below.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(errno());
    }
    let r = attach_filter(fd, prog);
    // SAFETY: `fd` is ours and closed once.
    unsafe { libc::close(fd) };
    r
}

/// An AF_PACKET socket, closed on drop.
pub struct PacketSocket(pub i32);

impl PacketSocket {
    /// Receiving every protocol (`ETH_P_ALL`) on every interface of the
    /// thread's namespace, with a 10 s guard against hanging forever
    /// (nothing asserts on time). `kind` is SOCK_RAW or SOCK_DGRAM.
    pub fn new(kind: i32) -> PacketSocket {
        let s = Self::open(kind, (libc::ETH_P_ALL as u16).to_be());
        let tv = libc::timeval {
            tv_sec: 10,
            tv_usec: 0,
        };
        // SAFETY: setsockopt with a timeval of the right size.
        unsafe {
            libc::setsockopt(
                s.0,
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                &tv as *const libc::timeval as *const libc::c_void,
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            )
        };
        s
    }

    /// Bound to protocol 0, which receives nothing: for the kernel's
    /// verdict on programs alone.
    pub fn silent(kind: i32) -> PacketSocket {
        Self::open(kind, 0)
    }

    fn open(kind: i32, proto_be: u16) -> PacketSocket {
        // SAFETY: plain socket(2); the descriptor is owned by the result.
        let fd = unsafe {
            libc::socket(
                libc::AF_PACKET,
                kind | libc::SOCK_CLOEXEC,
                i32::from(proto_be),
            )
        };
        assert!(fd >= 0, "AF_PACKET socket: {}", io::Error::last_os_error());
        PacketSocket(fd)
    }

    /// Attaches `prog` (replacing the previous one): `Err(errno)` when the
    /// kernel refuses it.
    pub fn attach(&self, prog: &[Insn]) -> Result<(), i32> {
        attach_filter(self.0, prog)
    }

    /// One packet: (sll_pkttype, bytes), `None` on timeout.
    pub fn recv(&self) -> Option<(u8, Vec<u8>)> {
        self.recv_ll().map(|(sll, p)| (sll.sll_pkttype, p))
    }

    /// One packet with its whole `sockaddr_ll`.
    pub fn recv_ll(&self) -> Option<(libc::sockaddr_ll, Vec<u8>)> {
        let mut buf = vec![0u8; 65536];
        // SAFETY: a zeroed sockaddr_ll is a valid value to be filled in.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        // SAFETY: buf and sll are valid for the sizes passed.
        let n = unsafe {
            libc::recvfrom(
                self.0,
                buf.as_mut_ptr() as *mut libc::c_void,
                buf.len(),
                0,
                &mut sll as *mut libc::sockaddr_ll as *mut libc::sockaddr,
                &mut len,
            )
        };
        if n < 0 {
            return None;
        }
        buf.truncate(n as usize);
        Some((sll, buf))
    }
}

impl Drop for PacketSocket {
    fn drop(&mut self) {
        // SAFETY: the descriptor is ours and closed once.
        unsafe { libc::close(self.0) };
    }
}

/// Runs `f` on a thread of its own that has left the host's network
/// namespace for a new one with only `lo`, up. `Err` when this process may
/// not (not root): the caller skips, saying so. Any other failure, and a
/// panic in `f`, fails the test.
pub fn in_new_netns<R: Send>(f: impl FnOnce() -> R + Send) -> Result<R, String> {
    std::thread::scope(|s| {
        s.spawn(|| {
            // SAFETY: unshare(2) moves only this thread, which ends when
            // `f` returns.
            if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
                let e = io::Error::last_os_error();
                if e.raw_os_error() == Some(libc::EPERM) {
                    return Err(format!(
                        "needs root (CAP_SYS_ADMIN, CAP_NET_RAW): unshare: {e}"
                    ));
                }
                panic!("unshare(CLONE_NEWNET): {e}");
            }
            let up = std::process::Command::new("ip")
                .args(["link", "set", "lo", "up"])
                .status();
            assert!(
                up.as_ref().is_ok_and(|s| s.success()),
                "ip link set lo up: {up:?}"
            );
            Ok(f())
        })
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
    })
}

/// An errno as the kernel's message, for failure texts.
pub fn strerror(errno: i32) -> io::Error {
    io::Error::from_raw_os_error(errno)
}
