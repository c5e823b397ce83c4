//! Instruction selection: the cheapest single instruction that puts a
//! value the state already knows into a register.
//!
//! Every instruction it returns fails on exactly the packets the one it
//! replaces fails on, or never fails where the state proves the original
//! could not have; it never changes what the program computes.

use super::state::{A, State, X, mem};
use super::values::{Expr, Values, Vn};
use crate::bpf::code::*;
use crate::bpf::{Insn, MEMWORDS, NEG_OFF, ancillary, op};

/// A single instruction that loads `v` into X without possibly failing.
pub(super) fn cheap_x(v: Vn, s: &State, vals: &Values) -> Option<Insn> {
    if let Some(c) = vals.as_const(v) {
        return Some(Insn::stmt(LDX_IMM, c));
    }
    if s.regs[A] == v {
        return Some(Insn::stmt(TAX, 0));
    }
    match *vals.get(v) {
        Expr::Msh(k) if k < s.len_ok => return Some(Insn::stmt(LDX_MSH, k)),
        Expr::Len => return Some(Insn::stmt(LDX_W_LEN, 0)),
        _ => {}
    }
    (0..MEMWORDS)
        .find(|&i| s.regs[mem(i)] == v)
        .map(|i| Insn::stmt(LDX_MEM, i as u32))
}

/// The same instruction with a known X folded in: `[x + k]` becomes an
/// absolute load, `op x` becomes `op #c`. Fails exactly when the original
/// does.
pub(super) fn fold_x(insn: &Insn, s: &State, vals: &Values) -> Insn {
    let Some(x) = vals.as_const(s.regs[X]) else {
        return *insn;
    };
    match insn.code {
        LD_W_IND | LD_H_IND | LD_B_IND => match x.checked_add(insn.k).filter(|a| *a < NEG_OFF) {
            Some(abs) => Insn::stmt(op::LD | op::size(insn.code) | op::ABS, abs),
            None => *insn,
        },
        c if op::class(c) == op::ALU && op::src(c) == op::X && c != NEG => {
            let aop = op::alu_op(c);
            let bad = (matches!(aop, op::DIV | op::MOD) && x == 0)
                || (matches!(aop, op::LSH | op::RSH) && x >= 32);
            if bad {
                *insn
            } else {
                Insn::stmt(op::ALU | aop | op::K, x)
            }
        }
        _ => *insn,
    }
}

/// The cheapest single instruction that puts `v` into register `dest`
/// (A or X) given state `s`, preferring forms that free other registers.
pub(super) fn materialize(dest: usize, v: Vn, s: &State, vals: &Values, orig: &Insn) -> Insn {
    let other = if dest == A { X } else { A };
    if let Some(c) = vals.as_const(v) {
        return Insn::stmt(if dest == A { LD_IMM } else { LDX_IMM }, c);
    }
    if s.regs[other] == v {
        return Insn::stmt(if dest == A { TXA } else { TAX }, 0);
    }
    // Reloading from the packet (known to be long enough) frees M[].
    match *vals.get(v) {
        Expr::Abs(size, k) if dest == A && k.saturating_add(op::size_bytes(size)) <= s.len_ok => {
            return Insn::stmt(op::LD | size | op::ABS, k);
        }
        Expr::Msh(k) if dest == X && k < s.len_ok => return Insn::stmt(LDX_MSH, k),
        Expr::Len => return Insn::stmt(if dest == A { LD_W_LEN } else { LDX_W_LEN }, 0),
        Expr::Anc(off) if dest == A && off != ancillary::ALU_XOR_X => {
            return Insn::stmt(LD_W_ABS, ancillary::OFF + off);
        }
        _ => {}
    }
    if let Some(i) = (0..MEMWORDS).find(|&i| s.regs[mem(i)] == v) {
        // Only if the original was a move; an ALU op computes in place.
        if matches!(orig.code, LD_MEM | LDX_MEM | TAX | TXA) {
            return Insn::stmt(if dest == A { LD_MEM } else { LDX_MEM }, i as u32);
        }
    }
    fold_x(orig, s, vals)
}
