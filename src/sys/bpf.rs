//! The bpf(2) system call, for the few commands podcap needs to name the
//! eBPF programs attached to a node's interfaces: which programs a tcx or
//! netkit hook holds (`BPF_PROG_QUERY`), a descriptor for a program id
//! (`BPF_PROG_GET_FD_BY_ID`) and what it is (`BPF_OBJ_GET_INFO_BY_FD`:
//! type, name, tag, its instructions as the kernel rewrote them). Loading
//! (`BPF_PROG_LOAD`) and pinning (`BPF_OBJ_PIN`) serve the helper probes
//! of [`crate::locate`] (programs that are never attached) and the tests,
//! which build the eBPF datapath they check podcap against.
//!
//! The attribute layouts are `union bpf_attr`'s, prefixes of it: the
//! kernel takes any size up to its own and zero-fills the rest.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

pub const BPF_PROG_LOAD: u32 = 5;
pub const BPF_OBJ_PIN: u32 = 6;
pub const BPF_PROG_GET_FD_BY_ID: u32 = 13;
pub const BPF_OBJ_GET_INFO_BY_FD: u32 = 15;
pub const BPF_PROG_QUERY: u32 = 16;

pub const BPF_PROG_TYPE_SCHED_CLS: u32 = 3;
pub const BPF_PROG_TYPE_SCHED_ACT: u32 = 4;
pub const BPF_PROG_TYPE_XDP: u32 = 6;

/// `enum bpf_attach_type` values of the hooks on a network device.
pub const BPF_XDP: u32 = 37;
pub const BPF_TCX_INGRESS: u32 = 46;
pub const BPF_TCX_EGRESS: u32 = 47;
pub const BPF_NETKIT_PRIMARY: u32 = 54;
pub const BPF_NETKIT_PEER: u32 = 55;

/// One eBPF instruction (`struct bpf_insn`), 8 bytes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Insn {
    pub code: u8,
    pub dst: u8,
    pub src: u8,
    pub off: i16,
    pub imm: i32,
}

impl Insn {
    pub const fn new(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
        Insn {
            code,
            dst,
            src,
            off,
            imm,
        }
    }

    /// The kernel's byte layout (host order; registers in one byte, dst
    /// in the low nibble).
    pub fn to_bytes(self) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[0] = self.code;
        b[1] = (self.dst & 0x0f) | (self.src << 4);
        b[2..4].copy_from_slice(&self.off.to_ne_bytes());
        b[4..8].copy_from_slice(&self.imm.to_ne_bytes());
        b
    }

    pub fn from_bytes(b: [u8; 8]) -> Insn {
        Insn {
            code: b[0],
            dst: b[1] & 0x0f,
            src: b[1] >> 4,
            off: i16::from_ne_bytes([b[2], b[3]]),
            imm: i32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
        }
    }
}

/// What `BPF_OBJ_GET_INFO_BY_FD` says about a program.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProgInfo {
    pub prog_type: u32,
    pub id: u32,
    pub tag: [u8; 8],
    pub name: String,
    /// The instructions after the verifier's rewriting, when the caller
    /// may read them (CAP_BPF or CAP_SYS_ADMIN); `None` otherwise.
    pub xlated: Option<Vec<Insn>>,
    pub map_ids: Vec<u32>,
}

/// bpf(cmd, attr, size) on a `#[repr(C)]` attribute value.
fn bpf<T>(cmd: u32, attr: &mut T) -> io::Result<libc::c_long> {
    // SAFETY: `attr` is a live, exclusively borrowed `#[repr(C)]` value
    // whose size is passed with it, so the kernel reads and writes only
    // inside it; every pointer stored in it by the callers points to a
    // buffer that outlives this call, with its length beside it.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd as libc::c_long,
            attr as *mut T as *mut libc::c_void,
            std::mem::size_of::<T>() as libc::c_long,
        )
    };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

/// A descriptor the kernel just returned.
fn owned(rc: libc::c_long) -> io::Result<OwnedFd> {
    let fd = i32::try_from(rc).map_err(|_| io::Error::from_raw_os_error(libc::EBADF))?;
    // SAFETY: the kernel returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[repr(C)]
#[derive(Default)]
struct QueryAttr {
    target_ifindex: u32,
    attach_type: u32,
    query_flags: u32,
    attach_flags: u32,
    prog_ids: u64,
    prog_cnt: u32,
    _pad: u32,
    prog_attach_flags: u64,
    link_ids: u64,
    link_attach_flags: u64,
    revision: u64,
}

/// The ids of the programs attached to `ifindex` at `attach_type` (a tcx
/// or netkit hook), in the order the kernel runs them. Needs
/// CAP_NET_ADMIN; kernels before 6.6 answer EINVAL (no tcx there).
pub fn prog_query(ifindex: u32, attach_type: u32) -> io::Result<Vec<u32>> {
    let mut a = QueryAttr {
        target_ifindex: ifindex,
        attach_type,
        ..QueryAttr::default()
    };
    bpf(BPF_PROG_QUERY, &mut a)?;
    if a.prog_cnt == 0 {
        return Ok(Vec::new());
    }
    // Ask again with room for what it said (plus a little for programs
    // attached in between).
    let mut ids = vec![0u32; a.prog_cnt as usize + 4];
    let mut b = QueryAttr {
        target_ifindex: ifindex,
        attach_type,
        prog_ids: ids.as_mut_ptr() as u64,
        prog_cnt: ids.len() as u32,
        ..QueryAttr::default()
    };
    match bpf(BPF_PROG_QUERY, &mut b) {
        Ok(_) => {}
        // More were attached since the first call: the buffer is full.
        Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => {}
        Err(e) => return Err(e),
    }
    ids.truncate((b.prog_cnt as usize).min(ids.len()));
    Ok(ids)
}

#[repr(C)]
#[derive(Default)]
struct GetIdAttr {
    id: u32,
    next_id: u32,
    open_flags: u32,
}

/// A descriptor for the program with `id`. Needs CAP_SYS_ADMIN (or
/// CAP_BPF).
pub fn prog_fd_by_id(id: u32) -> io::Result<OwnedFd> {
    let mut a = GetIdAttr {
        id,
        ..GetIdAttr::default()
    };
    owned(bpf(BPF_PROG_GET_FD_BY_ID, &mut a)?)
}

#[repr(C)]
#[derive(Default)]
struct InfoAttr {
    bpf_fd: u32,
    info_len: u32,
    info: u64,
}

/// `struct bpf_prog_info` up to `verified_insns`, as bytes: the kernel
/// fills what it knows and checks that the rest is zero.
#[repr(C, align(8))]
struct InfoBuf([u8; 224]);

mod info {
    pub const TYPE: usize = 0;
    pub const ID: usize = 4;
    pub const TAG: usize = 8;
    pub const XLATED_LEN: usize = 20;
    pub const XLATED_PTR: usize = 32;
    pub const NR_MAP_IDS: usize = 52;
    pub const MAP_IDS_PTR: usize = 56;
    pub const NAME: usize = 64;
    pub const NAME_LEN: usize = 16;
}

fn get_u32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .map(u32::from_ne_bytes)
        .unwrap_or(0)
}

fn put(b: &mut [u8], at: usize, v: &[u8]) {
    if let Some(s) = b.get_mut(at..at + v.len()) {
        s.copy_from_slice(v);
    }
}

fn info_call(fd: &impl AsFd, buf: &mut InfoBuf) -> io::Result<()> {
    let mut a = InfoAttr {
        bpf_fd: fd.as_fd().as_raw_fd() as u32,
        info_len: buf.0.len() as u32,
        info: buf.0.as_mut_ptr() as u64,
    };
    bpf(BPF_OBJ_GET_INFO_BY_FD, &mut a).map(drop)
}

/// Type, id, tag, name and map ids of the program open at `fd`, and its
/// translated instructions when `insns` is set and the caller may read
/// them.
pub fn prog_info(fd: &impl AsFd, insns: bool) -> io::Result<ProgInfo> {
    let mut buf = InfoBuf([0; 224]);
    info_call(fd, &mut buf)?;
    let b = &buf.0;
    let xlated_len = get_u32(b, info::XLATED_LEN) as usize;
    let nr_maps = get_u32(b, info::NR_MAP_IDS) as usize;
    let mut out = ProgInfo {
        prog_type: get_u32(b, info::TYPE),
        id: get_u32(b, info::ID),
        ..ProgInfo::default()
    };
    out.tag.copy_from_slice(&b[info::TAG..info::TAG + 8]);
    let name = &b[info::NAME..info::NAME + info::NAME_LEN];
    let end = name.iter().position(|&c| c == 0).unwrap_or(name.len());
    out.name = String::from_utf8_lossy(&name[..end]).into_owned();
    // The second call asks only for the arrays, each with its length:
    // every other field must be zero on the way in.
    let want_insns = insns && xlated_len > 0;
    if !want_insns && nr_maps == 0 {
        return Ok(out);
    }
    // Bounded by what a program can be (1M instructions) and a map list.
    let mut raw = vec![
        0u8;
        if want_insns {
            xlated_len.min(8 << 20)
        } else {
            0
        }
    ];
    let mut maps = vec![0u32; nr_maps.min(4096)];
    let mut ask = InfoBuf([0; 224]);
    if want_insns {
        put(
            &mut ask.0,
            info::XLATED_LEN,
            &(raw.len() as u32).to_ne_bytes(),
        );
        put(
            &mut ask.0,
            info::XLATED_PTR,
            &(raw.as_mut_ptr() as u64).to_ne_bytes(),
        );
    }
    if !maps.is_empty() {
        put(
            &mut ask.0,
            info::NR_MAP_IDS,
            &(maps.len() as u32).to_ne_bytes(),
        );
        put(
            &mut ask.0,
            info::MAP_IDS_PTR,
            &(maps.as_mut_ptr() as u64).to_ne_bytes(),
        );
    }
    info_call(fd, &mut ask)?;
    if want_insns {
        let got = (get_u32(&ask.0, info::XLATED_LEN) as usize).min(raw.len());
        out.xlated = Some(
            raw[..got]
                .chunks_exact(8)
                .filter_map(|c| c.try_into().ok())
                .map(Insn::from_bytes)
                .collect(),
        );
    }
    let got_maps = (get_u32(&ask.0, info::NR_MAP_IDS) as usize).min(maps.len());
    maps.truncate(got_maps);
    out.map_ids = maps;
    Ok(out)
}

#[repr(C)]
#[derive(Default)]
struct LoadAttr {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    kern_version: u32,
    prog_flags: u32,
    prog_name: [u8; 16],
    prog_ifindex: u32,
    expected_attach_type: u32,
}

/// Loads `insns` as a program of `prog_type` named `name` (at most 15
/// bytes are kept) under `license`. On failure the error carries the
/// verifier's log.
pub fn prog_load(
    prog_type: u32,
    insns: &[Insn],
    license: &str,
    name: &str,
) -> Result<OwnedFd, (io::Error, String)> {
    let code: Vec<u8> = insns.iter().flat_map(|i| i.to_bytes()).collect();
    let lic = CString::new(license)
        .map_err(|_| (io::Error::from_raw_os_error(libc::EINVAL), String::new()))?;
    let mut log = vec![0u8; 64 << 10];
    let mut prog_name = [0u8; 16];
    for (d, s) in prog_name.iter_mut().zip(name.bytes().take(15)) {
        *d = s;
    }
    let mut a = LoadAttr {
        prog_type,
        insn_cnt: insns.len() as u32,
        insns: code.as_ptr() as u64,
        license: lic.as_ptr() as u64,
        log_level: 1,
        log_size: log.len() as u32,
        log_buf: log.as_mut_ptr() as u64,
        prog_name,
        ..LoadAttr::default()
    };
    match bpf(BPF_PROG_LOAD, &mut a) {
        Ok(rc) => owned(rc).map_err(|e| (e, String::new())),
        Err(e) => {
            let end = log.iter().position(|&c| c == 0).unwrap_or(log.len());
            Err((e, String::from_utf8_lossy(&log[..end]).into_owned()))
        }
    }
}

#[repr(C)]
#[derive(Default)]
struct PinAttr {
    pathname: u64,
    bpf_fd: u32,
    file_flags: u32,
}

/// Pins the object open at `fd` at `path` in a bpffs.
pub fn obj_pin(fd: &impl AsFd, path: &Path) -> io::Result<()> {
    let c = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let mut a = PinAttr {
        pathname: c.as_ptr() as u64,
        bpf_fd: fd.as_fd().as_raw_fd() as u32,
        file_flags: 0,
    };
    bpf(BPF_OBJ_PIN, &mut a).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insn_layout_is_the_kernels() {
        // r1 = 7 (BPF_ALU64 | BPF_MOV | BPF_K)
        let i = Insn::new(0xb7, 1, 0, 0, 7);
        assert_eq!(i.to_bytes(), [0xb7, 0x01, 0, 0, 7, 0, 0, 0]);
        let call = Insn::new(0x85, 0, 1, -2, -5);
        assert_eq!(Insn::from_bytes(call.to_bytes()), call);
        assert_eq!(call.to_bytes()[1], 0x10);
    }

    #[test]
    fn attribute_sizes_match_union_bpf_attr() {
        assert_eq!(std::mem::size_of::<QueryAttr>(), 64);
        assert_eq!(std::mem::size_of::<LoadAttr>(), 72);
        assert_eq!(std::mem::size_of::<InfoAttr>(), 16);
        assert_eq!(std::mem::size_of::<PinAttr>(), 16);
    }

    #[test]
    fn bad_ids_are_errors_not_panics() {
        assert!(prog_fd_by_id(u32::MAX).is_err());
        assert!(prog_query(u32::MAX, BPF_TCX_INGRESS).is_err());
    }
}
