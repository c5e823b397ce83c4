//! The calling thread's capabilities (capget/capset, version 3: 64-bit
//! sets) and the process's user and group identity.

use super::cvt;
use std::io;

const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

/// `struct __user_cap_header_struct`.
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

/// `struct __user_cap_data_struct`: one 32-bit half of each set.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// The three capability sets of a thread, one bit per CAP_* number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CapSets {
    pub effective: u64,
    pub permitted: u64,
    pub inheritable: u64,
}

fn halves(v: u64) -> [u32; 2] {
    [v as u32, (v >> 32) as u32]
}

fn join(lo: u32, hi: u32) -> u64 {
    u64::from(lo) | u64::from(hi) << 32
}

/// capget(2) for the calling thread.
pub fn get() -> io::Result<CapSets> {
    let mut hdr = CapHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: capget writes one header and two data structs (version 3),
    // both writable and live for the call.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_capget,
            &mut hdr as *mut CapHeader,
            data.as_mut_ptr(),
        )
    };
    cvt(rc as libc::c_int)?;
    Ok(CapSets {
        effective: join(data[0].effective, data[1].effective),
        permitted: join(data[0].permitted, data[1].permitted),
        inheritable: join(data[0].inheritable, data[1].inheritable),
    })
}

/// capset(2) for the calling thread: threads spawned later inherit the
/// sets, earlier ones keep theirs. Only lowering needs no capability.
pub fn set(sets: &CapSets) -> io::Result<()> {
    let mut hdr = CapHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let (e, p, i) = (
        halves(sets.effective),
        halves(sets.permitted),
        halves(sets.inheritable),
    );
    let data = [0, 1].map(|n| CapData {
        effective: e[n],
        permitted: p[n],
        inheritable: i[n],
    });
    // SAFETY: capset reads one header and two data structs (version 3),
    // both live for the call.
    let rc = unsafe { libc::syscall(libc::SYS_capset, &mut hdr as *mut CapHeader, data.as_ptr()) };
    cvt(rc as libc::c_int).map(drop)
}

/// setgroups(2): the supplementary groups become exactly `groups`.
pub fn set_groups(groups: &[u32]) -> io::Result<()> {
    let gids: Vec<libc::gid_t> = groups.iter().map(|&g| g as libc::gid_t).collect();
    // SAFETY: setgroups reads `gids.len()` gid_t from a live array.
    cvt(unsafe { libc::setgroups(gids.len(), gids.as_ptr()) }).map(drop)
}

/// setgid(2) (musl applies it to every thread).
pub fn set_gid(gid: u32) -> io::Result<()> {
    // SAFETY: an integer argument only.
    cvt(unsafe { libc::setgid(gid as libc::gid_t) }).map(drop)
}

/// setuid(2) (musl applies it to every thread); leaving uid 0 clears every
/// capability.
pub fn set_uid(uid: u32) -> io::Result<()> {
    // SAFETY: an integer argument only.
    cvt(unsafe { libc::setuid(uid as libc::uid_t) }).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_split_into_halves_and_back() {
        let v = 0x0000_01ff_ffff_fffe_u64;
        let h = halves(v);
        assert_eq!(join(h[0], h[1]), v);
        // The calling thread can always read its own sets, and setting
        // them to what they are is always allowed.
        let now = get().unwrap();
        set(&now).unwrap();
        assert_eq!(get().unwrap(), now);
    }
}
