//! SIGINT/SIGTERM: ask the capture loop to stop, flush and report. The
//! handler only sets a flag and writes one byte to a pipe the loop polls
//! ([`crate::sys::signal::stop_pipe`]).

use crate::sys::signal;
use std::os::fd::{AsFd, OwnedFd};

/// Whether a stop signal arrived.
pub fn stop_requested() -> bool {
    signal::stop_requested()
}

/// Installs the handlers (once per process; later calls only hand out
/// another copy of the pipe); returns the read end of the wake-up pipe,
/// readable once a signal arrived.
pub fn install() -> std::io::Result<OwnedFd> {
    signal::stop_pipe(&[libc::SIGINT, libc::SIGTERM])
}

/// Empties the (non-blocking) wake-up pipe.
pub fn drain(fd: impl AsFd) {
    signal::drain(fd)
}
