//! Waiting for one descriptor with poll(2).

use super::cvt;
use std::io;
use std::os::fd::{AsFd, AsRawFd};

/// What poll(2) reported for the descriptor; empty after a timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Revents(libc::c_short);

impl Revents {
    /// Nothing happened before the timeout.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Data (or end of file) to read.
    pub fn readable(self) -> bool {
        self.0 & libc::POLLIN != 0
    }

    /// The descriptor reports an error, or is not open (POLLERR,
    /// POLLNVAL): it will stay "ready" forever.
    pub fn failed(self) -> bool {
        self.0 & (libc::POLLERR | libc::POLLNVAL) != 0
    }

    /// The peer hung up (POLLHUP).
    pub fn hung_up(self) -> bool {
        self.0 & libc::POLLHUP != 0
    }
}

/// Waits up to `timeout_ms` milliseconds (-1: forever, 0: just look) for
/// `fd` to be readable. A signal ends the wait with
/// `ErrorKind::Interrupted`, so callers can check their stop flags.
pub fn poll_in(fd: impl AsFd, timeout_ms: i32) -> io::Result<Revents> {
    let mut p = libc::pollfd {
        fd: fd.as_fd().as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid, writable pollfd and a count of 1.
    let n = cvt(unsafe { libc::poll(&mut p, 1, timeout_ms) })?;
    Ok(if n == 0 {
        Revents::default()
    } else {
        Revents(p.revents)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn times_out_then_sees_data() {
        let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
        assert!(poll_in(&a, 0).unwrap().is_empty());
        b.write_all(b"x").unwrap();
        let r = poll_in(&a, 1000).unwrap();
        assert!(r.readable() && !r.failed());
    }
}
