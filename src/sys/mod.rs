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
//! - [`file`]: writing capture files: writev, ftruncate, fsync, file
//!   kinds, waiting to write, alarm.
//! - [`poll`]: waiting for descriptors.
//! - [`ns`]: setns and unshare of network namespaces, statfs.
//! - [`caps`]: capabilities and user/group identity.
//! - [`signal`]: signal handlers (stop, statistics and alarm flags with
//!   a self-pipe, passed on to the capture thread; a plain interrupt
//!   flag).
//! - [`bpf`]: the bpf(2) commands that name the eBPF programs on a
//!   node's interfaces (query, get by id, info), and loading/pinning.
//! - [`xattr`]: extended attributes (a binary's file capabilities).
//!
//! Descriptors are taken as [`AsFd`](std::os::fd::AsFd) and returned as
//! [`OwnedFd`](std::os::fd::OwnedFd), so ownership stays checked by the
//! type system.

#![deny(clippy::undocumented_unsafe_blocks)]

pub mod bpf;
pub mod caps;
pub mod file;
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
