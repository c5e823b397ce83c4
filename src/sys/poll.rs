//! Waiting for descriptors with poll(2).

use super::cvt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

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

/// Waits up to `timeout_ms` (-1: forever) until one of `fds` is readable
/// or reports an error; fills `out` with what each reported (empty for
/// the quiet ones) and returns how many did. A signal ends the wait with
/// `Ok(0)`, so callers can check their flags.
pub fn poll_many(
    fds: &[BorrowedFd<'_>],
    timeout_ms: i32,
    out: &mut Vec<Revents>,
) -> io::Result<usize> {
    let mut p: Vec<libc::pollfd> = fds
        .iter()
        .map(|fd| libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    // SAFETY: `p` holds `p.len()` valid, writable pollfds.
    let r = cvt(unsafe { libc::poll(p.as_mut_ptr(), p.len() as libc::nfds_t, timeout_ms) });
    out.clear();
    out.extend(p.iter().map(|p| Revents(p.revents)));
    match r {
        Ok(n) => Ok(n as usize),
        Err(e) if e.kind() == io::ErrorKind::Interrupted => {
            out.iter_mut().for_each(|r| *r = Revents::default());
            Ok(0)
        }
        Err(e) => Err(e),
    }
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
