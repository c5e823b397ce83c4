//! Signal handlers that only touch atomics and write(2), the two things
//! a handler may safely do:
//!
//! - the stop pipe ([`stop_pipe`]): the handler sets a flag and writes a
//!   byte to a pipe, so a loop polling that pipe wakes up at once;
//! - the interrupt flag ([`catch_interrupt`]): SIGINT only sets a flag,
//!   as a command that prints statistics on Ctrl-C needs.

use super::{cvt, cvt_size};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);
static WAKE_FD: AtomicI32 = AtomicI32::new(-1);
static READ_FD: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_stop(_sig: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
    let fd = WAKE_FD.load(Ordering::SeqCst);
    if fd >= 0 {
        let b = 1u8;
        // SAFETY: write(2) is async-signal-safe; one byte from a local to
        // a pipe this module keeps open for the life of the process.
        unsafe {
            libc::write(fd, (&b as *const u8).cast(), 1);
        }
    }
}

/// Whether a signal given to [`stop_pipe`] arrived.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// The read end of the process's stop pipe, open for the rest of the
/// process.
fn read_end() -> Option<BorrowedFd<'static>> {
    let fd = READ_FD.load(Ordering::SeqCst);
    // SAFETY: a non-negative READ_FD is the pipe's read end, which this
    // module opened and never closes.
    (fd >= 0).then(|| unsafe { BorrowedFd::borrow_raw(fd) })
}

/// Makes each of `signals` set the stop flag ([`stop_requested`]) and
/// write a byte to a pipe instead of terminating the process; returns a
/// copy of the pipe's read end, readable once one arrived. Without
/// SA_RESTART, so that blocking waits return early. The handlers are
/// installed once per process: later calls only hand out another copy of
/// the pipe.
pub fn stop_pipe(signals: &[libc::c_int]) -> io::Result<OwnedFd> {
    if let Some(rd) = read_end() {
        return rd.try_clone_to_owned();
    }
    let (rd, wr) = pipe()?;
    // Both ends stay open for the life of the process: the handler may
    // write at any time.
    READ_FD.store(rd.into_raw_fd(), Ordering::SeqCst);
    WAKE_FD.store(wr.into_raw_fd(), Ordering::SeqCst);
    for &sig in signals {
        install(sig, on_stop, 0)?;
    }
    read_end()
        .ok_or_else(|| io::Error::from_raw_os_error(libc::EBADF))?
        .try_clone_to_owned()
}

/// A non-blocking, close-on-exec pipe: (read end, write end).
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2 writes two descriptors into the array.
    cvt(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) })?;
    // SAFETY: both descriptors were just created and nothing else owns
    // them.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Empties a non-blocking pipe such as the stop pipe.
pub fn drain(fd: impl AsFd) {
    let mut b = [0u8; 64];
    let fd = fd.as_fd().as_raw_fd();
    // SAFETY: reads into a local buffer of the length passed.
    while cvt_size(unsafe { libc::read(fd, b.as_mut_ptr().cast(), b.len()) }).is_ok_and(|n| n > 0) {
    }
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_interrupt(_sig: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Makes SIGINT set the flag [`interrupted`] reads instead of terminating
/// the process. Interrupted system calls restart (SA_RESTART, as
/// signal(3) installs handlers), except the waits that never do (poll).
pub fn catch_interrupt() -> io::Result<()> {
    install(libc::SIGINT, on_interrupt, libc::SA_RESTART)
}

/// Whether SIGINT arrived since [`catch_interrupt`].
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// sigaction(2) with `handler`, an empty mask and `flags`. Private: the
/// handlers here are the only ones known to be async-signal-safe.
fn install(
    sig: libc::c_int,
    handler: extern "C" fn(libc::c_int),
    flags: libc::c_int,
) -> io::Result<()> {
    // SAFETY: sigaction is plain data; all-zero is a valid value.
    let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
    sa.sa_sigaction = handler as *const () as usize;
    sa.sa_flags = flags;
    // SAFETY: `sa.sa_mask` is a valid sigset_t to initialise.
    unsafe { libc::sigemptyset(&mut sa.sa_mask) };
    // SAFETY: `sa` is a valid sigaction whose handler only touches atomics
    // and write(2); the old action is not asked for.
    cvt(unsafe { libc::sigaction(sig, &sa, std::ptr::null_mut()) }).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drain_empties_a_pipe() {
        let (rd, wr) = pipe().unwrap();
        let mut w = std::fs::File::from(wr);
        std::io::Write::write_all(&mut w, &[1; 100]).unwrap();
        assert!(super::super::poll::poll_in(&rd, 0).unwrap().readable());
        drain(&rd);
        assert!(super::super::poll::poll_in(&rd, 0).unwrap().is_empty());
    }
}
