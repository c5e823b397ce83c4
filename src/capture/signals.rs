//! The signals a capture answers, as tcpdump does and a little more:
//!
//! - SIGINT, SIGTERM, SIGQUIT and SIGHUP end it: what was captured is
//!   written, the file is complete and the statistics are printed (a
//!   hang-up of the ssh or `kubectl exec` session must not lose the
//!   capture). SIGHUP stays ignored when it was ignored at start
//!   (`nohup`), as tcpdump leaves it;
//! - SIGUSR1 prints the statistics so far (tcpdump's SIGINFO);
//! - SIGALRM only interrupts a write blocked on a stalled reader, so that
//!   a stop is never held up for more than a second.
//!
//! The handlers only set flags and write one byte to a pipe the loop
//! polls ([`crate::sys::signal::stop_pipe`]), and pass signals on to the
//! thread that called [`install`], whose blocked writes they interrupt.

use crate::sys::signal::{self, Role};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};

/// Whether a stop signal arrived.
pub fn stop_requested() -> bool {
    signal::stop_requested()
}

/// The first stop signal that arrived.
pub fn stop_signal() -> Option<i32> {
    signal::stop_signal()
}

/// Whether SIGUSR1 asked for statistics since the last call.
pub fn take_stats_request() -> bool {
    signal::take_stats_request()
}

/// Installs the handlers and makes the calling thread the one signals
/// are delivered to; returns the read end of the wake-up pipe, readable
/// once a stop or statistics signal arrived.
pub fn install() -> std::io::Result<OwnedFd> {
    let mut set = vec![
        (libc::SIGINT, Role::Stop),
        (libc::SIGTERM, Role::Stop),
        (libc::SIGQUIT, Role::Stop),
        (libc::SIGUSR1, Role::Stats),
        (libc::SIGALRM, Role::Alarm),
    ];
    if !signal::is_ignored(libc::SIGHUP) {
        set.push((libc::SIGHUP, Role::Stop));
    }
    signal::deliver_here();
    signal::stop_pipe(&set)
}

/// When the stop was first seen (ms since 1970; 0: not yet).
static STOP_SEEN_MS: AtomicU64 = AtomicU64::new(0);

/// How long writes may still take after a stop signal before podcap
/// gives up on a reader that does not read.
pub const STOP_GRACE_MS: u64 = 800;

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(1)
        .max(1)
}

/// Starts the stop's grace period (once): a timer then interrupts any
/// write still blocked after [`STOP_GRACE_MS`], and every 100 ms after.
pub fn arm_stop_alarm() {
    if STOP_SEEN_MS
        .compare_exchange(0, now_ms(), Ordering::SeqCst, Ordering::SeqCst)
        .is_ok()
    {
        crate::sys::file::alarm_ms(STOP_GRACE_MS, 100);
    }
}

/// After a stop signal: whether the grace period is over, so writes give
/// up (what they did not write is counted as not delivered).
pub fn give_up_writing() -> bool {
    if !stop_requested() {
        return false;
    }
    arm_stop_alarm();
    now_ms().saturating_sub(STOP_SEEN_MS.load(Ordering::SeqCst)) >= STOP_GRACE_MS
}

/// Cancels the grace timer (the capture is over).
pub fn disarm() {
    crate::sys::file::alarm_ms(0, 0);
}

/// Empties the (non-blocking) wake-up pipe.
pub fn drain(fd: impl AsFd) {
    signal::drain(fd)
}
