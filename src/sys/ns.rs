//! Network namespaces: moving the calling thread into one (setns), or
//! into a new one of its own (unshare), and telling a namespace file from
//! an ordinary one (statfs).

use super::cvt;
use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The f_type statfs(2) reports for nsfs, the file system of
/// `/proc/PID/ns/*` and of namespace bind mounts.
pub const NSFS_MAGIC: i64 = 0x6e73_6673;

/// setns(fd, CLONE_NEWNET): moves the calling thread into the network
/// namespace open at `ns` (the kernel checks that it is one). Needs
/// CAP_SYS_ADMIN.
pub fn setns_net(ns: impl AsFd) -> io::Result<()> {
    // SAFETY: setns takes a descriptor, which `ns` keeps open for the
    // duration of the call, and a flag.
    cvt(unsafe { libc::setns(ns.as_fd().as_raw_fd(), libc::CLONE_NEWNET) }).map(drop)
}

/// unshare(CLONE_NEWNET): moves the calling thread into a new network
/// namespace of its own, holding only a down `lo`. Needs CAP_SYS_ADMIN.
pub fn unshare_net() -> io::Result<()> {
    // SAFETY: a plain flag argument.
    cvt(unsafe { libc::unshare(libc::CLONE_NEWNET) }).map(drop)
}

/// The file system type (statfs's `f_type`) of the file at `path`.
pub fn fs_type(path: &Path) -> io::Result<i64> {
    let c = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: statfs is plain data; all-zero is a valid value to be
    // overwritten.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a NUL-terminated path and `st` a writable statfs,
    // both live for the call.
    cvt(unsafe { libc::statfs(c.as_ptr(), &mut st) })?;
    Ok(st.f_type as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_files_are_nsfs() {
        assert_eq!(
            fs_type(Path::new("/proc/self/ns/net")).ok(),
            Some(NSFS_MAGIC)
        );
        assert_ne!(fs_type(Path::new("/proc")).ok(), Some(NSFS_MAGIC));
        assert!(fs_type(Path::new("/nonexistent/podcap")).is_err());
    }

    #[test]
    fn unshare_gives_a_thread_its_own_namespace() {
        let before = std::fs::metadata("/proc/thread-self/ns/net").map(|m| {
            use std::os::unix::fs::MetadataExt;
            m.ino()
        });
        let inside = std::thread::spawn(|| {
            unshare_net()?;
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata("/proc/thread-self/ns/net").map(|m| m.ino())
        })
        .join()
        .unwrap();
        assert_ne!(inside.unwrap(), before.unwrap());
    }
}
