//! Signal handlers that only touch atomics and make async-signal-safe
//! system calls (write, gettid, tgkill):
//!
//! - the stop pipe ([`stop_pipe`]): the handler records which signal
//!   arrived, sets a flag and writes a byte to a pipe, so a loop polling
//!   that pipe wakes up at once; [`Role::Stats`] signals (SIGUSR1) only
//!   ask for statistics, [`Role::Alarm`] (SIGALRM) only interrupts a
//!   blocked system call;
//! - the interrupt flag ([`catch_interrupt`]): SIGINT only sets a flag,
//!   as a command that prints statistics on Ctrl-C needs.
//!
//! The kernel delivers a process-directed signal to any thread that does
//! not block it. A write blocked on a stalled reader only returns early
//! (EINTR) when the signal lands on the thread that is writing, so once a
//! thread has called [`deliver_here`], a handler running on any other
//! thread passes the signal on to it.

use super::{cvt, cvt_size};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);
static STOP_SIGNAL: AtomicI32 = AtomicI32::new(0);
static STATS: AtomicBool = AtomicBool::new(false);
static ALARM: AtomicBool = AtomicBool::new(false);
static WAKE_FD: AtomicI32 = AtomicI32::new(-1);
static READ_FD: AtomicI32 = AtomicI32::new(-1);
/// The thread signals are passed on to (0: none).
static LOOP_TID: AtomicI32 = AtomicI32::new(0);

/// What a signal given to [`stop_pipe`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// End the capture (SIGINT, SIGTERM, SIGHUP, SIGQUIT).
    Stop,
    /// Print the statistics so far (SIGUSR1, tcpdump's SIGINFO).
    Stats,
    /// Nothing but interrupting a blocked system call (SIGALRM).
    Alarm,
}

fn gettid() -> i32 {
    // SAFETY: gettid has no arguments and cannot fail.
    unsafe { libc::syscall(libc::SYS_gettid) as i32 }
}

/// Passes `sig` on to the loop thread when it landed elsewhere; true
/// when it did (the loop thread's own handler then does the work).
fn forward(sig: libc::c_int) -> bool {
    let tid = LOOP_TID.load(Ordering::SeqCst);
    if tid <= 0 || tid == gettid() {
        return false;
    }
    // SAFETY: tgkill with this process's pid and a thread id of it; a
    // thread that has exited makes it fail with ESRCH, which is ignored
    // (the flags below are then set here instead).
    let r = unsafe { libc::syscall(libc::SYS_tgkill, libc::getpid(), tid, sig) };
    r == 0
}

fn wake() {
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

extern "C" fn on_stop(sig: libc::c_int) {
    if forward(sig) {
        return;
    }
    // The first stop signal is the one reported.
    let _ = STOP_SIGNAL.compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst);
    STOP.store(true, Ordering::SeqCst);
    wake();
}

extern "C" fn on_stats(sig: libc::c_int) {
    if forward(sig) {
        return;
    }
    STATS.store(true, Ordering::SeqCst);
    wake();
}

extern "C" fn on_alarm(sig: libc::c_int) {
    if forward(sig) {
        return;
    }
    ALARM.store(true, Ordering::SeqCst);
}

/// Whether a [`Role::Stop`] signal given to [`stop_pipe`] arrived.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// The first stop signal that arrived, if any.
pub fn stop_signal() -> Option<libc::c_int> {
    match STOP_SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// Whether statistics were asked for since the last call (and clears it).
pub fn take_stats_request() -> bool {
    STATS.swap(false, Ordering::SeqCst)
}

/// Whether SIGALRM fired since the last call (and clears it).
pub fn take_alarm() -> bool {
    ALARM.swap(false, Ordering::SeqCst)
}

/// Makes the calling thread the one handlers pass signals on to, so that
/// its blocked writes are the ones a signal interrupts.
pub fn deliver_here() {
    LOOP_TID.store(gettid(), Ordering::SeqCst);
}

/// Whether `sig` is ignored now (inherited from `nohup`, or a shell's
/// background job), without changing its action.
pub fn is_ignored(sig: libc::c_int) -> bool {
    // SAFETY: sigaction is plain data; all-zero is a valid value.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a null new action only reads the current one into `old`.
    let r = unsafe { libc::sigaction(sig, std::ptr::null(), &mut old) };
    r == 0 && old.sa_sigaction == libc::SIG_IGN
}

/// The read end of the process's stop pipe, open for the rest of the
/// process.
fn read_end() -> Option<BorrowedFd<'static>> {
    let fd = READ_FD.load(Ordering::SeqCst);
    // SAFETY: a non-negative READ_FD is the pipe's read end, which this
    // module opened and never closes.
    (fd >= 0).then(|| unsafe { BorrowedFd::borrow_raw(fd) })
}

/// Installs a handler for each of `signals` with its [`Role`] instead of
/// the default action; returns a copy of the wake-up pipe's read end,
/// readable once a stop or statistics signal arrived. Without SA_RESTART,
/// so that blocking waits and writes return early (EINTR). The pipe is
/// made once per process; every call installs its handlers.
pub fn stop_pipe(signals: &[(libc::c_int, Role)]) -> io::Result<OwnedFd> {
    if read_end().is_none() {
        let (rd, wr) = pipe()?;
        // Both ends stay open for the life of the process: the handler may
        // write at any time.
        READ_FD.store(rd.into_raw_fd(), Ordering::SeqCst);
        WAKE_FD.store(wr.into_raw_fd(), Ordering::SeqCst);
    }
    for &(sig, role) in signals {
        let h: extern "C" fn(libc::c_int) = match role {
            Role::Stop => on_stop,
            Role::Stats => on_stats,
            Role::Alarm => on_alarm,
        };
        install(sig, h, 0)?;
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
