//! Finding and entering network namespaces.

use crate::{Error, Result};
use std::fs::File;
use std::os::fd::AsRawFd;

/// Resolves `spec` to a namespace file: a path (`/run/netns/x`,
/// `/proc/123/ns/net`), a bare name in `/run/netns` or `/var/run/netns`,
/// or a PID.
pub fn resolve(spec: &str) -> Result<std::path::PathBuf> {
    use std::path::PathBuf;
    if !spec.is_empty() && spec.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(PathBuf::from(format!("/proc/{spec}/ns/net")));
    }
    if spec.contains('/') {
        return Ok(PathBuf::from(spec));
    }
    for dir in ["/run/netns", "/var/run/netns"] {
        let p = PathBuf::from(dir).join(spec);
        if p.exists() {
            return Ok(p);
        }
    }
    Err(Error::not_found(
        format!("network namespace {spec}"),
        "not a PID, a path, or a name in /run/netns or /var/run/netns",
    )
    .hint("give a PID of a process in the pod, or a path such as /proc/PID/ns/net"))
}

/// Moves the calling thread into the network namespace `spec` (see
/// [`resolve`]). Call before opening sockets, and before spawning threads
/// that must share it.
pub fn enter(spec: &str) -> Result<()> {
    let path = resolve(spec)?;
    let f = File::open(&path).map_err(|e| {
        Error::os(
            format!("open network namespace {}", path.display()),
            e,
            Some("CAP_SYS_ADMIN"),
        )
    })?;
    // SAFETY: setns takes a valid open fd, which `f` owns for the duration
    // of the call; CLONE_NEWNET makes the kernel check that it is a net ns.
    let rc = unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) };
    if rc != 0 {
        return Err(Error::last_os(
            format!("enter network namespace {}", path.display()),
            Some("CAP_SYS_ADMIN"),
        ));
    }
    Ok(())
}
