//! SIGINT/SIGTERM: ask the capture loop to stop, flush and report. The
//! handler only sets a flag and writes one byte to a pipe the loop polls.

use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);
static WAKE_FD: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(_sig: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
    let fd = WAKE_FD.load(Ordering::SeqCst);
    if fd >= 0 {
        let b = 1u8;
        // SAFETY: write(2) is async-signal-safe; one byte from a local.
        unsafe {
            libc::write(fd, &b as *const u8 as *const libc::c_void, 1);
        }
    }
}

/// Whether a stop signal arrived.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

static READ_FD: AtomicI32 = AtomicI32::new(-1);

/// Installs the handlers (once per process; later calls only hand out
/// another copy of the pipe); returns the read end of the wake-up pipe,
/// readable once a signal arrived.
pub fn install() -> std::io::Result<OwnedFd> {
    let rd = READ_FD.load(Ordering::SeqCst);
    if rd >= 0 {
        // SAFETY: READ_FD is a pipe fd owned by this module for the life
        // of the process; the borrow lasts only for the dup.
        let b = unsafe { std::os::fd::BorrowedFd::borrow_raw(rd) };
        return b.try_clone_to_owned();
    }
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2 writes two fds into the array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // Both ends stay open for the life of the process: the handler may
    // write at any time.
    READ_FD.store(fds[0], Ordering::SeqCst);
    WAKE_FD.store(fds[1], Ordering::SeqCst);
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed sigaction is valid; we set the handler, an
        // empty mask and no SA_RESTART so blocking waits return early.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            sa.sa_flags = 0;
            if libc::sigaction(sig, &sa, std::ptr::null_mut()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
    }
    // SAFETY: as above, a dup of our own pipe fd.
    let b = unsafe { std::os::fd::BorrowedFd::borrow_raw(fds[0]) };
    b.try_clone_to_owned()
}

/// Empties the (non-blocking) wake-up pipe.
pub fn drain(fd: std::os::fd::RawFd) {
    let mut b = [0u8; 64];
    loop {
        // SAFETY: reads into a local buffer of the length passed.
        let n = unsafe { libc::read(fd, b.as_mut_ptr() as *mut libc::c_void, b.len()) };
        if n <= 0 {
            break;
        }
    }
}
