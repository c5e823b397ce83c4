//! Liveness: which of A, X and M[] are read again before being
//! written, as one bit each.
//!
//! Reads the program's syntax only (no values): a register an unknown
//! instruction might read counts as read.

use super::cfg::{Cfg, Term, succs};
use super::state::{A, X, mem};
use crate::bpf::code::*;
use crate::bpf::{Insn, MEMWORDS, ancillary, op};

impl Cfg {
    /// Registers (bit per A, X, M[i]) live at each block's entry.
    pub(super) fn liveness(&self) -> Vec<u32> {
        let n = self.blocks.len();
        let mut live_in = vec![0u32; n];
        for i in (0..n).rev() {
            let b = &self.blocks[i];
            let mut live = term_uses(&b.term);
            for s in succs(&b.term) {
                live |= live_in[s];
            }
            for insn in b.stmts.iter().rev() {
                let (defs, uses) = defs_uses(insn);
                live = (live & !defs) | uses;
            }
            live_in[i] = live;
        }
        live_in
    }
}

pub(super) const fn bit(r: usize) -> u32 {
    1 << r
}

pub(super) fn term_uses(term: &Term) -> u32 {
    match term {
        Term::Ret(r) if r.code == RET_A => bit(A),
        Term::Ret(_) | Term::Goto(_) => 0,
        Term::Cond { code, .. } if op::src(*code) == op::X => bit(A) | bit(X),
        Term::Cond { .. } => bit(A),
    }
}

/// (registers written, registers read) by a statement.
pub(super) fn defs_uses(insn: &Insn) -> (u32, u32) {
    let m = |k: u32| bit(mem(k as usize % MEMWORDS));
    match insn.code {
        LD_W_ABS | LD_H_ABS | LD_B_ABS if insn.k == ancillary::OFF + ancillary::ALU_XOR_X => {
            (bit(A), bit(A) | bit(X))
        }
        LD_W_ABS | LD_H_ABS | LD_B_ABS | LD_W_LEN | LD_IMM => (bit(A), 0),
        LD_W_IND | LD_H_IND | LD_B_IND => (bit(A), bit(X)),
        LD_MEM => (bit(A), m(insn.k)),
        LDX_MEM => (bit(X), m(insn.k)),
        LDX_IMM | LDX_W_LEN | LDX_MSH => (bit(X), 0),
        ST => (m(insn.k), bit(A)),
        STX => (m(insn.k), bit(X)),
        TAX => (bit(X), bit(A)),
        TXA => (bit(A), bit(X)),
        NEG => (bit(A), bit(A)),
        c if op::class(c) == op::ALU && op::src(c) == op::X => (bit(A), bit(A) | bit(X)),
        c if op::class(c) == op::ALU => (bit(A), bit(A)),
        // Unknown: pretend it reads everything and writes nothing.
        _ => (0, u32::MAX),
    }
}
