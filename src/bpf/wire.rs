//! `struct sock_filter` as bytes (8 per instruction: `code` u16, `jt` u8,
//! `jf` u8, `k` u32, host byte order), and the `struct sock_fprog` that
//! SO_ATTACH_FILTER takes.

use std::marker::PhantomData;

use super::{Insn, MAXINSNS};
use crate::{Error, Result};

mod field {
    use std::ops::Range;
    pub const CODE: Range<usize> = 0..2;
    pub const JT: usize = 2;
    pub const JF: usize = 3;
    pub const K: Range<usize> = 4..8;
}

/// Size of one `struct sock_filter`.
pub const LEN: usize = 8;

/// A read/write view of one `struct sock_filter`: one instruction's 8
/// bytes, named after the C struct because it is not a packet.
#[derive(Debug, Clone)]
pub struct SockFilter<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> SockFilter<T> {
    pub const fn new_unchecked(buffer: T) -> Self {
        SockFilter { buffer }
    }

    /// A view that refuses buffers shorter than 8 bytes.
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = SockFilter::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    pub fn check_len(&self) -> Result<()> {
        let n = self.buffer.as_ref().len();
        if n < LEN {
            Err(Error::format(
                "cannot read a BPF instruction",
                format!("{n} bytes, a struct sock_filter is {LEN}"),
            ))
        } else {
            Ok(())
        }
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    pub fn code(&self) -> u16 {
        let b = self.b();
        u16::from_ne_bytes([b[field::CODE.start], b[field::CODE.start + 1]])
    }

    pub fn jt(&self) -> u8 {
        self.b()[field::JT]
    }

    pub fn jf(&self) -> u8 {
        self.b()[field::JF]
    }

    pub fn k(&self) -> u32 {
        let b = &self.b()[field::K];
        u32::from_ne_bytes([b[0], b[1], b[2], b[3]])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> SockFilter<T> {
    pub fn set_code(&mut self, v: u16) {
        self.buffer.as_mut()[field::CODE].copy_from_slice(&v.to_ne_bytes());
    }

    pub fn set_jt(&mut self, v: u8) {
        self.buffer.as_mut()[field::JT] = v;
    }

    pub fn set_jf(&mut self, v: u8) {
        self.buffer.as_mut()[field::JF] = v;
    }

    pub fn set_k(&mut self, v: u32) {
        self.buffer.as_mut()[field::K].copy_from_slice(&v.to_ne_bytes());
    }
}

/// One instruction, parsed from or emitted to its wire form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr(pub Insn);

impl Repr {
    pub fn parse<T: AsRef<[u8]>>(p: &SockFilter<T>) -> Result<Repr> {
        p.check_len()?;
        Ok(Repr(Insn::new(p.code(), p.jt(), p.jf(), p.k())))
    }

    /// Writes into `p`, whose buffer must hold at least [`LEN`] bytes
    /// (use [`SockFilter::new_checked`]).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, p: &mut SockFilter<T>) {
        p.set_code(self.0.code);
        p.set_jt(self.0.jt);
        p.set_jf(self.0.jf);
        p.set_k(self.0.k);
    }
}

/// A whole program from `sock_filter` bytes (a multiple of 8).
pub fn parse_program(bytes: &[u8]) -> Result<Vec<Insn>> {
    if bytes.len() % LEN != 0 {
        return Err(Error::format(
            "cannot read a BPF program",
            format!(
                "{} bytes is not a whole number of {LEN}-byte instructions",
                bytes.len()
            ),
        ));
    }
    bytes
        .chunks_exact(LEN)
        .map(|c| Repr::parse(&SockFilter::new_unchecked(c)).map(|r| r.0))
        .collect()
}

/// A whole program as `sock_filter` bytes.
pub fn emit_program(prog: &[Insn]) -> Vec<u8> {
    let mut out = vec![0u8; prog.len() * LEN];
    for (insn, chunk) in prog.iter().zip(out.chunks_exact_mut(LEN)) {
        Repr(*insn).emit(&mut SockFilter::new_unchecked(chunk));
    }
    out
}

/// `struct sock_fprog` for SO_ATTACH_FILTER, borrowing the program so it
/// cannot be freed while the kernel may still read it.
pub struct SockFprog<'a> {
    raw: libc::sock_fprog,
    _prog: PhantomData<&'a [Insn]>,
}

// `Insn` is `#[repr(C)]` {u16, u8, u8, u32}: the layout of sock_filter.
const _: () = assert!(std::mem::size_of::<Insn>() == std::mem::size_of::<libc::sock_filter>());
const _: () = assert!(std::mem::align_of::<Insn>() == std::mem::align_of::<libc::sock_filter>());

impl<'a> SockFprog<'a> {
    /// Wraps `prog` (1 to 4096 instructions). Run
    /// [`validate`](super::validate::validate) first for a message that
    /// names the bad instruction instead of the kernel's EINVAL.
    pub fn new(prog: &'a [Insn]) -> Result<Self> {
        let len = u16::try_from(prog.len())
            .ok()
            .filter(|&n| n > 0 && usize::from(n) <= MAXINSNS)
            .ok_or_else(|| {
                Error::format(
                    "cannot attach BPF program",
                    format!(
                        "{} instructions; the kernel accepts 1 to {MAXINSNS}",
                        prog.len()
                    ),
                )
            })?;
        Ok(SockFprog {
            raw: libc::sock_fprog {
                len,
                // The kernel only reads through this pointer (copy_from_user);
                // the `*mut` is the C declaration's, not a licence to write.
                filter: prog.as_ptr() as *mut libc::sock_filter,
            },
            _prog: PhantomData,
        })
    }

    /// For `setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, ptr, len)`.
    pub fn as_raw(&self) -> &libc::sock_fprog {
        &self.raw
    }

    /// The `optlen` argument of setsockopt.
    pub const fn optlen() -> libc::socklen_t {
        std::mem::size_of::<libc::sock_fprog>() as libc::socklen_t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // `ldh [12]` and `ret #0x40000` on a little-endian host.
    #[cfg(target_endian = "little")]
    const BYTES: [u8; 16] = [
        0x28, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, //
        0x15, 0x00, 0x02, 0x07, 0x00, 0x08, 0x00, 0x00,
    ];

    #[cfg(target_endian = "little")]
    #[test]
    fn parse_and_emit_literal_bytes() {
        let prog = parse_program(&BYTES).unwrap_or_default();
        assert_eq!(
            prog,
            vec![Insn::new(0x28, 0, 0, 12), Insn::new(0x15, 2, 7, 0x800)]
        );
        assert_eq!(emit_program(&prog), BYTES.to_vec());
        let p = SockFilter::new_checked(&BYTES[8..]).map(|p| (p.code(), p.jt(), p.jf(), p.k()));
        assert_eq!(p.ok(), Some((0x15, 2, 7, 0x800)));
    }

    #[test]
    fn rejects_short_buffers() {
        assert!(SockFilter::new_checked(&[0u8; 7][..]).is_err());
        assert!(parse_program(&[0u8; 9]).is_err());
        assert_eq!(parse_program(&[]).ok(), Some(vec![]));
    }

    #[test]
    fn emit_matches_memory_layout() {
        let prog = [Insn::new(0x15, 1, 2, 0xdead_beef)];
        // The in-memory Insn is what the kernel reads through sock_fprog.
        let mem: Vec<u8> = {
            let i = prog[0];
            let mut v = i.code.to_ne_bytes().to_vec();
            v.extend([i.jt, i.jf]);
            v.extend(i.k.to_ne_bytes());
            v
        };
        assert_eq!(emit_program(&prog), mem);
    }

    #[test]
    fn fprog_lengths() {
        let prog = vec![Insn::stmt(0x06, 0); 3];
        let f = SockFprog::new(&prog);
        assert_eq!(f.as_ref().map(|f| f.as_raw().len).ok(), Some(3));
        assert!(SockFprog::new(&[]).is_err());
        let big = vec![Insn::stmt(0x06, 0); MAXINSNS + 1];
        assert!(SockFprog::new(&big).is_err());
    }
}
