//! The transfer function: what one statement does to the abstract
//! state, including whether it may end the program (a load past the
//! packet, a division by zero).
//!
//! It only describes; choosing a different instruction is `select`'s,
//! and an instruction it does not know gets no effect (the callers then
//! keep it and assume nothing).

use super::state::{A, State, X, mem};
use super::values::{Expr, Values, Vn};
use crate::bpf::code::*;
use crate::bpf::{Insn, MEMWORDS, NEG_OFF, ancillary, op};

/// What executing `insn` does to the state: the register written, its
/// new value, whether the instruction can end the program (a load that
/// may run past the packet, a division by a zero X), and what it proves
/// about the packet when it does not.
pub(super) struct Effect {
    pub(super) dest: usize,
    pub(super) value: Vn,
    pub(super) may_fail: bool,
    /// The packet is at least this long afterwards.
    len_end: Option<u32>,
    /// This indirect load is available afterwards.
    avail: Option<Vn>,
}

fn plain(dest: usize, value: Vn) -> Option<Effect> {
    Some(Effect {
        dest,
        value,
        may_fail: false,
        len_end: None,
        avail: None,
    })
}

/// A load from the packet at absolute offset `k` (`size` bytes).
fn abs_load(dest: usize, value: Vn, k: u32, size: u32, s: &State) -> Option<Effect> {
    let end = k.checked_add(size).filter(|_| k < NEG_OFF);
    Some(Effect {
        dest,
        value,
        may_fail: end.is_none_or(|e| e > s.len_ok),
        len_end: end,
        avail: None,
    })
}

pub(super) fn effect(insn: &Insn, s: &State, vals: &mut Values) -> Option<Effect> {
    let k = insn.k;
    match insn.code {
        LD_W_ABS | LD_H_ABS | LD_B_ABS if k >= ancillary::OFF => {
            let off = k - ancillary::OFF;
            let v = match off {
                ancillary::RANDOM => vals.fresh(),
                ancillary::ALU_XOR_X => vals.alu(op::XOR, s.regs[A], s.regs[X]),
                _ => vals.intern(Expr::Anc(off)),
            };
            plain(A, v)
        }
        LD_W_ABS | LD_H_ABS | LD_B_ABS => {
            let v = vals.intern(Expr::Abs(op::size(insn.code), k));
            abs_load(A, v, k, op::size_bytes(insn.code), s)
        }
        LD_W_IND | LD_H_IND | LD_B_IND => {
            let size = op::size(insn.code);
            // With a known X this is an absolute load.
            if let Some(abs) = vals
                .as_const(s.regs[X])
                .and_then(|x| x.checked_add(k))
                .filter(|a| *a < NEG_OFF)
            {
                let v = vals.intern(Expr::Abs(size, abs));
                return abs_load(A, v, abs, op::size_bytes(insn.code), s);
            }
            let (base, k) = peel(vals, s.regs[X], k);
            let v = vals.intern(Expr::Ind(size, base, k));
            Some(Effect {
                dest: A,
                value: v,
                may_fail: !s.avail.contains(&v),
                len_end: None,
                avail: Some(v),
            })
        }
        LDX_MSH => {
            let v = vals.intern(Expr::Msh(k));
            abs_load(X, v, k, 1, s)
        }
        LD_W_LEN => plain(A, vals.intern(Expr::Len)),
        LDX_W_LEN => plain(X, vals.intern(Expr::Len)),
        LD_IMM => plain(A, vals.constant(k)),
        LDX_IMM => plain(X, vals.constant(k)),
        LD_MEM => plain(A, s.regs[mem(k as usize % MEMWORDS)]),
        LDX_MEM => plain(X, s.regs[mem(k as usize % MEMWORDS)]),
        ST => plain(mem(k as usize % MEMWORDS), s.regs[A]),
        STX => plain(mem(k as usize % MEMWORDS), s.regs[X]),
        TAX => plain(X, s.regs[A]),
        TXA => plain(A, s.regs[X]),
        NEG => {
            let v = match vals.as_const(s.regs[A]) {
                Some(c) => vals.constant(c.wrapping_neg()),
                None => vals.intern(Expr::Neg(s.regs[A])),
            };
            plain(A, v)
        }
        c if op::class(c) == op::ALU => {
            let aop = op::alu_op(c);
            let rhs = if op::src(c) == op::X {
                s.regs[X]
            } else {
                vals.constant(k)
            };
            let fails =
                matches!(aop, op::DIV | op::MOD) && vals.as_const(rhs).is_none_or(|d| d == 0);
            let v = vals.alu(aop, s.regs[A], rhs);
            let mut e = plain(A, v)?;
            e.may_fail = fails;
            Some(e)
        }
        _ => None,
    }
}

/// `[x + k]` with X = `v + c` is `[v + (k + c)]` (32-bit wrapping, as
/// the address arithmetic is): indirect loads are numbered by their base.
fn peel(vals: &Values, x: Vn, k: u32) -> (Vn, u32) {
    if let Expr::Alu(op::ADD, v, c) = *vals.get(x) {
        if let Some(c) = vals.as_const(c) {
            return (v, k.wrapping_add(c));
        }
    }
    (x, k)
}

pub(super) fn apply(e: &Effect, s: &mut State) {
    s.regs[e.dest] = e.value;
    if let Some(end) = e.len_end {
        s.len_ok = s.len_ok.max(end);
    }
    if let Some(v) = e.avail {
        s.avail.insert(v);
    }
}
