//! Writing capture files: vectored writes straight from the ring
//! (writev), taking a file back to its last whole record (ftruncate,
//! lseek), forcing it to disk (fsync), telling a regular file from a pipe
//! (fstat), waiting for a descriptor to take more (poll POLLOUT), and the
//! timer that bounds a write blocked on a stalled reader.

use super::{cvt, cvt_size};
use std::io::{self, IoSlice};
use std::os::fd::{AsFd, AsRawFd};

/// The most slices one writev takes (Linux's UIO_MAXIOV).
pub const IOV_MAX: usize = 1024;

/// writev(2) of at most [`IOV_MAX`] slices; returns how many bytes the
/// kernel took, which may be fewer than asked (a full disk, a signal,
/// a pipe with less room). EINTR comes back as `ErrorKind::Interrupted`,
/// never retried here: the caller decides whether a stop was asked for.
pub fn writev(fd: impl AsFd, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    let n = bufs.len().min(IOV_MAX);
    // SAFETY: IoSlice is ABI-compatible with struct iovec (std guarantees
    // it on Unix); the slices are live for the call and the count passed
    // is at most their number.
    cvt_size(unsafe {
        libc::writev(
            fd.as_fd().as_raw_fd(),
            bufs.as_ptr().cast::<libc::iovec>(),
            n as libc::c_int,
        )
    })
}

/// ftruncate(2): cuts (or extends) the file to `len` bytes.
pub fn ftruncate(fd: impl AsFd, len: u64) -> io::Result<()> {
    let len = libc::off_t::try_from(len).map_err(|_| io::Error::from_raw_os_error(libc::EFBIG))?;
    // SAFETY: integer arguments only.
    cvt(unsafe { libc::ftruncate(fd.as_fd().as_raw_fd(), len) }).map(drop)
}

/// lseek(2) to `pos` bytes from the start.
pub fn seek_to(fd: impl AsFd, pos: u64) -> io::Result<()> {
    let pos = libc::off_t::try_from(pos).map_err(|_| io::Error::from_raw_os_error(libc::EFBIG))?;
    // SAFETY: integer arguments only.
    let r = unsafe { libc::lseek(fd.as_fd().as_raw_fd(), pos, libc::SEEK_SET) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// The current offset (lseek SEEK_CUR), `None` where there is none
/// (pipes, sockets, terminals).
pub fn position(fd: impl AsFd) -> Option<u64> {
    // SAFETY: integer arguments only.
    let r = unsafe { libc::lseek(fd.as_fd().as_raw_fd(), 0, libc::SEEK_CUR) };
    u64::try_from(r).ok()
}

/// fsync(2).
pub fn fsync(fd: impl AsFd) -> io::Result<()> {
    // SAFETY: an integer argument only.
    cvt(unsafe { libc::fsync(fd.as_fd().as_raw_fd()) }).map(drop)
}

/// What kind of file a descriptor is open on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Regular,
    Pipe,
    Socket,
    /// A terminal or another character device (`/dev/null`, `/dev/full`).
    CharDevice,
    Other,
}

/// fstat(2)'s file type.
pub fn kind(fd: impl AsFd) -> io::Result<FileKind> {
    // SAFETY: stat is plain data; all-zero is a valid value to overwrite.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a writable struct stat that lives across the call.
    cvt(unsafe { libc::fstat(fd.as_fd().as_raw_fd(), &mut st) })?;
    Ok(match st.st_mode & libc::S_IFMT {
        libc::S_IFREG => FileKind::Regular,
        libc::S_IFIFO => FileKind::Pipe,
        libc::S_IFSOCK => FileKind::Socket,
        libc::S_IFCHR => FileKind::CharDevice,
        _ => FileKind::Other,
    })
}

/// Waits up to `timeout_ms` (-1: forever) for `fd` to take more bytes.
/// Ok(false) on timeout or signal.
pub fn wait_writable(fd: impl AsFd, timeout_ms: i32) -> io::Result<bool> {
    let mut p = libc::pollfd {
        fd: fd.as_fd().as_raw_fd(),
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: one valid, writable pollfd and a count of 1.
    match cvt(unsafe { libc::poll(&mut p, 1, timeout_ms) }) {
        Ok(n) => Ok(n > 0),
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(false),
        Err(e) => Err(e),
    }
}

/// setitimer(ITIMER_REAL): SIGALRM after `first_ms`, then every
/// `every_ms` (0, 0 cancels). With the handler of
/// [`super::signal::Role::Alarm`] it interrupts a blocked write, and
/// keeps interrupting one that started just after it fired.
pub fn alarm_ms(first_ms: u64, every_ms: u64) {
    let tv = |ms: u64| libc::timeval {
        tv_sec: (ms / 1000) as _,
        tv_usec: ((ms % 1000) * 1000) as _,
    };
    let t = libc::itimerval {
        it_interval: tv(every_ms),
        it_value: tv(first_ms),
    };
    // SAFETY: `t` is a valid itimerval for the call; the old value is not
    // asked for.
    unsafe {
        libc::setitimer(libc::ITIMER_REAL, &t, std::ptr::null_mut());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn writev_truncate_and_kinds() {
        let dir = std::env::temp_dir().join(format!("podcap-sysio-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f");
        let f = std::fs::File::create(&path).unwrap();
        assert_eq!(kind(&f).unwrap(), FileKind::Regular);
        let n = writev(
            &f,
            &[IoSlice::new(b"abc"), IoSlice::new(b""), IoSlice::new(b"de")],
        )
        .unwrap();
        assert_eq!(n, 5);
        assert_eq!(position(&f), Some(5));
        ftruncate(&f, 3).unwrap();
        seek_to(&f, 3).unwrap();
        writev(&f, &[IoSlice::new(b"X")]).unwrap();
        fsync(&f).unwrap();
        let mut s = String::new();
        std::fs::File::open(&path)
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s, "abcX");
        let (rd, wr) = super::super::signal::pipe().unwrap();
        assert_eq!(kind(&wr).unwrap(), FileKind::Pipe);
        assert_eq!(position(&rd), None);
        assert!(wait_writable(&wr, 0).unwrap());
        let null = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/null")
            .unwrap();
        assert_eq!(kind(&null).unwrap(), FileKind::CharDevice);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
