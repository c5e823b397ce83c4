//! Extended attributes: reading one by name. podcap reads
//! `security.capability` (a binary's file capabilities) to tell "the
//! `setcap` mark was lost in a copy" from "it is there but ignored".

use super::cvt_size;
use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The value of attribute `name` of the file at `path` (symlinks
/// followed, so `/proc/self/exe` reads the running binary); `Ok(None)`
/// when the file has no such attribute.
pub fn get(path: &Path, name: &str) -> io::Result<Option<Vec<u8>>> {
    let p = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let n = CString::new(name).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // The value can change between the size query and the read: retry
    // while the kernel says the buffer is too small.
    for _ in 0..4 {
        // SAFETY: both strings are NUL-terminated and live for the call; a
        // null buffer with size 0 asks only for the value's length.
        let size = match cvt_size(unsafe {
            libc::getxattr(p.as_ptr(), n.as_ptr(), std::ptr::null_mut(), 0)
        }) {
            Ok(s) => s,
            Err(e) if e.raw_os_error() == Some(libc::ENODATA) => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut buf = vec![0u8; size];
        // SAFETY: `buf` is writable for `buf.len()` bytes and the strings
        // are NUL-terminated; all live for the call.
        match cvt_size(unsafe {
            libc::getxattr(p.as_ptr(), n.as_ptr(), buf.as_mut_ptr().cast(), buf.len())
        }) {
            Ok(got) => {
                buf.truncate(got);
                return Ok(Some(buf));
            }
            Err(e) if e.raw_os_error() == Some(libc::ERANGE) => continue,
            Err(e) if e.raw_os_error() == Some(libc::ENODATA) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::from_raw_os_error(libc::ERANGE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_attribute_and_missing_file() {
        // The test binary carries no file capabilities.
        let exe = std::env::current_exe().unwrap();
        assert_eq!(get(&exe, "security.capability").ok(), Some(None));
        assert!(get(Path::new("/nonexistent/podcap"), "security.capability").is_err());
        assert!(get(&exe, "bad\0name").is_err());
    }
}
