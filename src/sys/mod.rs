//! The system calls podcap makes, wrapped once: the only module where
//! `unsafe` is allowed (the crate root denies it everywhere else, as
//! smoltcp's `phy::sys` does), so every raw pointer, descriptor and
//! kernel structure is handled here and callers get Rust types in and
//! `io::Result` (or [`crate::Result`] where the error needs podcap's
//! wording) out.
//!
//! One module per OS facility:
//!
//! - [`socket`]: creating sockets, socket options, SO_ATTACH_FILTER,
//!   datagram send/receive, and the interface ioctls (index, hardware
//!   type, flags, name).
//! - [`packet`]: AF_PACKET specifics: binding, PACKET_* options, ring
//!   setup, statistics, promiscuous membership, link-level send/receive.
//! - [`mmap`]: the shared mapping of a TPACKET_V3 ring and the block
//!   ownership handshake with the kernel.
//! - [`poll`]: waiting for one descriptor.
//! - [`ns`]: setns and unshare of network namespaces, statfs.
//! - [`caps`]: capabilities and user/group identity.
//! - [`xattr`]: extended attributes (a binary's file capabilities).
//! - [`signal`]: signal handlers (a stop flag with a self-pipe, and a
//!   plain interrupt flag).
//!
//! Descriptors are taken as [`AsFd`](std::os::fd::AsFd) and returned as
//! [`OwnedFd`](std::os::fd::OwnedFd), so ownership stays checked by the
//! type system.

#![deny(clippy::undocumented_unsafe_blocks)]

pub mod caps;
pub mod mmap;
pub mod ns;
pub mod packet;
pub mod poll;
pub mod signal;
pub mod socket;
pub mod xattr;

use std::io;

/// A libc return code as a Result: negative means errno is set.
fn cvt(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

/// Like [`cvt`] for calls returning `ssize_t`.
fn cvt_size(rc: libc::ssize_t) -> io::Result<usize> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc as usize)
    }
}
