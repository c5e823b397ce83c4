//! The abstract state at one point of a run: the value number in A, X
//! and each M[], how long the packet surely is, which indirect loads
//! surely ran, and the facts the path's branches proved; its join and
//! what a branch adds to it.
//!
//! Describes, never rewrites: what an instruction does to it is
//! `effect`'s job, and changing the program is the passes'.

use super::cfg::{Edge, Term};
use super::facts::{Facts, Few, Range};
use super::values::{Values, Vn};
use crate::bpf::code::*;
use crate::bpf::{MEMWORDS, op};

// Register slots in `State::regs`: A, X, then M[0]..M[15].
const NREGS: usize = 2 + MEMWORDS;
pub(super) const A: usize = 0;
pub(super) const X: usize = 1;
pub(super) const fn mem(i: usize) -> usize {
    2 + i
}

/// Copied along every edge, so it holds no heap memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct State {
    pub(super) regs: [Vn; NREGS],
    /// The packet is surely at least this long (an absolute load ending
    /// here has run on every path).
    pub(super) len_ok: u32,
    /// Indirect loads that surely ran (their value numbers).
    pub(super) avail: Few<Vn, 8>,
    pub(super) facts: Facts,
}

impl State {
    pub(super) fn entry(vals: &mut Values) -> State {
        let zero = vals.constant(0);
        let mut regs = [zero; NREGS];
        for r in regs.iter_mut().skip(2) {
            *r = vals.fresh();
        }
        State {
            regs,
            len_ok: 0,
            avail: Few::default(),
            facts: Facts::default(),
        }
    }

    pub(super) fn meet(&mut self, o: &State, vals: &mut Values) {
        for i in 0..NREGS {
            if self.regs[i] != o.regs[i] {
                self.regs[i] = vals.fresh();
            }
        }
        self.len_ok = self.len_ok.min(o.len_ok);
        self.avail.retain(|v| o.avail.contains(v));
        self.facts.meet(&o.facts);
    }

    fn range(&self, v: Vn, vals: &Values) -> Range {
        let mut r = vals.intrinsic(v);
        if let Some(f) = self.facts.get(v) {
            r.intersect(f);
        }
        r
    }

    /// The outcome of `A code rhs`, if known on this path.
    pub(super) fn decide(&self, code: u16, k: u32, vals: &Values) -> Option<bool> {
        let a = self.regs[A];
        let rhs = if op::src(code) == op::X {
            self.regs[X]
        } else {
            return self.range(a, vals).decide(code, k);
        };
        if let Some(c) = vals.as_const(rhs) {
            return self.range(a, vals).decide(code & !op::X, c);
        }
        if a == rhs {
            return match code & !op::X {
                JEQ_K | JGE_K => Some(true),
                JGT_K => Some(false),
                _ => None,
            };
        }
        [true, false]
            .into_iter()
            .find(|&outcome| self.facts.rel.contains(&(a, code, rhs, outcome)))
    }

    /// The state along one edge out of a block ending in `term`.
    pub(super) fn along(&self, term: &Term, edge: Edge, vals: &mut Values) -> State {
        let mut s = *self;
        if let (Term::Cond { code, k, .. }, Edge::True | Edge::False) = (term, edge) {
            let outcome = edge == Edge::True;
            let a = s.regs[A];
            let rhs = if op::src(*code) == op::X {
                vals.as_const(s.regs[X])
            } else {
                Some(*k)
            };
            match rhs {
                Some(c) => {
                    let mut r = s.facts.get(a).copied().unwrap_or_else(Range::any);
                    r.learn(*code, c, outcome);
                    s.facts.set(a, r);
                }
                None => {
                    s.facts.rel.insert((a, *code, s.regs[X], outcome));
                }
            }
        }
        s
    }
}
