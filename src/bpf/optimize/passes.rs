//! The rewrites that need values: one forward pass (`forward`: value
//! numbering over the whole graph, so redundant loads and moves go,
//! constants fold, decided tests become gotos, and edges are threaded past
//! the tests they decide), and dead stores.
//!
//! Each pass may change the program only in ways that keep every
//! packet's verdict, including the 0 a failing load returns (see the
//! module comment of `optimize`); the graph-only rewrites are in
//! `cleanup`.

use super::cfg::{BlockId, Cfg, Edge, Term, succs};
use super::effect::{apply, effect};
use super::liveness::{bit, defs_uses, term_uses};
use super::select::{cheap_x, fold_x, materialize};
use super::state::{A, State, X};
use super::values::{Expr, Values, Vn};
use crate::bpf::code::*;
use crate::bpf::{Insn, ancillary, op};

impl Cfg {
    /// Value numbering and edge threading in one forward pass: rewrite
    /// statements, fold known branches, and send each edge past the
    /// blocks whose tests it decides. States are pushed along edges, so
    /// an edge redirected here is seen by the blocks after it in the same
    /// pass (edges only go forward: a block's predecessors are all done
    /// when its turn comes).
    pub(super) fn forward(&mut self) {
        let live_in = self.liveness();
        let n = self.blocks.len();
        let mut pending: Vec<Option<State>> = vec![None; n];
        pending[0] = Some(State::entry(&mut self.vals));
        self.entry_states.clear();
        self.entry_states.resize(n, None);
        for i in 0..n {
            // No edge arrives any more: unreachable, cleanup drops it.
            let Some(entry) = pending[i].take() else {
                continue;
            };
            self.entry_states[i] = Some(entry);
            let mut s = entry;
            let stmts = std::mem::take(&mut self.blocks[i].stmts);
            let term = self.blocks[i].term.clone();
            // Registers live after each statement, in the program as it
            // was (values stay the same, so this stays true).
            let mut live_after = vec![0u32; stmts.len()];
            let mut live = term_uses(&term);
            for t in succs(&term) {
                live |= live_in[t];
            }
            for (j, insn) in stmts.iter().enumerate().rev() {
                live_after[j] = live;
                let (defs, uses) = defs_uses(insn);
                live = (live & !defs) | uses;
            }
            let mut new = Vec::with_capacity(stmts.len());
            for (j, insn) in stmts.iter().enumerate() {
                let Some(e) = effect(insn, &s, &mut self.vals) else {
                    new.push(*insn);
                    continue;
                };
                if s.regs[e.dest] == e.value && !e.may_fail {
                    continue;
                }
                // `[x + k]` where X = v + c and X is not needed afterwards:
                // load v into X and use `[x + k + c]`, so that computing
                // v + c may become dead.
                if self.rebase
                    && matches!(insn.code, LD_W_IND | LD_H_IND | LD_B_IND)
                    && live_after[j] & bit(X) == 0
                    && vals_is_ind(&self.vals, e.value)
                {
                    if let Expr::Ind(_, base, k) = *self.vals.get(e.value) {
                        if base != s.regs[X] {
                            if let Some(mx) = cheap_x(base, &s, &self.vals) {
                                let ld = Insn::stmt(insn.code, k);
                                let mut s2 = s;
                                if let Some(e1) = effect(&mx, &s2, &mut self.vals) {
                                    apply(&e1, &mut s2);
                                    if let Some(e2) = effect(&ld, &s2, &mut self.vals) {
                                        if e2.value == e.value && e2.may_fail == e.may_fail {
                                            apply(&e2, &mut s2);
                                            s = s2;
                                            new.push(mx);
                                            new.push(ld);
                                            continue;
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                let emitted = if e.may_fail {
                    fold_x(insn, &s, &self.vals)
                } else if e.dest == A || e.dest == X {
                    materialize(e.dest, e.value, &s, &self.vals, insn)
                } else {
                    // A store: from whichever register holds the value.
                    if s.regs[A] == e.value {
                        Insn::stmt(ST, insn.k)
                    } else {
                        Insn::stmt(STX, insn.k)
                    }
                };
                // Re-derive the effect of what we emit (a folded load
                // may be safe where the original was not, and so on).
                let e2 = effect(&emitted, &s, &mut self.vals);
                match e2 {
                    Some(e2) if e2.dest == e.dest && e2.value == e.value => {
                        apply(&e2, &mut s);
                        new.push(emitted);
                    }
                    _ => {
                        apply(&e, &mut s);
                        new.push(*insn);
                    }
                }
            }
            let mut term = match term {
                Term::Ret(r) if r.code == RET_A => match self.vals.as_const(s.regs[A]) {
                    Some(c) => Term::Ret(Insn::stmt(RET_K, c)),
                    None => Term::Ret(r),
                },
                Term::Cond { code, k, t, f } => match s.decide(code, k, &self.vals) {
                    Some(true) => Term::Goto(t),
                    Some(false) => Term::Goto(f),
                    None => match (op::src(code), self.vals.as_const(s.regs[X])) {
                        (op::X, Some(c)) => Term::Cond {
                            code: code & !op::X,
                            k: c,
                            t,
                            f,
                        },
                        _ => Term::Cond { code, k, t, f },
                    },
                },
                other => other,
            };
            // The last ALU operation folded into the test when A is not
            // needed after it (`and #m; jeq #0` is `jset #m` swapped).
            if let (Some(last), Term::Cond { code, k, t, f }) = (new.last(), &term) {
                let (t, f) = (*t, *f);
                if (live_in[t] | live_in[f]) & bit(A) == 0 {
                    if let Some((code, k, swap)) = fuse(last, *code, *k) {
                        new.pop();
                        // Recompute the out-state without the operation.
                        let mut s2 = entry;
                        for insn in &new {
                            if let Some(e) = effect(insn, &s2, &mut self.vals) {
                                apply(&e, &mut s2);
                            }
                        }
                        s = s2;
                        let (t, f) = if swap { (f, t) } else { (t, f) };
                        term = Term::Cond { code, k, t, f };
                    }
                }
            }
            self.blocks[i].stmts = new;
            let term = match term {
                Term::Goto(t) => {
                    let st = s.along(&term, Edge::Always, &mut self.vals);
                    let (t, st) = self.follow(t, st, &live_in);
                    push(&mut pending, t, st, &mut self.vals);
                    Term::Goto(t)
                }
                Term::Cond { code, k, t, f } => {
                    let st = s.along(&term, Edge::True, &mut self.vals);
                    let sf = s.along(&term, Edge::False, &mut self.vals);
                    let (t, st) = self.follow(t, st, &live_in);
                    let (f, sf) = self.follow(f, sf, &live_in);
                    push(&mut pending, t, st, &mut self.vals);
                    push(&mut pending, f, sf, &mut self.vals);
                    Term::Cond { code, k, t, f }
                }
                r => r,
            };
            self.blocks[i].term = term;
        }
    }

    /// Removes statements whose results nobody reads, keeping the
    /// program's failure behaviour (see the module comment).
    pub(super) fn dead_stores(&mut self) {
        // The states `forward` left, which hold for the program as it is
        // now (this runs right after it, before anything renumbers blocks).
        let entry = std::mem::take(&mut self.entry_states);
        let live_in = self.liveness();
        let n = self.blocks.len();
        // `need[b]`: every accepting run from b's entry has a packet at
        // least this long (the loads that remain would fail otherwise).
        // Computed over the program as it is after this pass, so blocks go
        // in reverse order.
        let mut need = vec![0u64; n];
        for i in (0..n).rev() {
            let b = &self.blocks[i];
            let mut live = term_uses(&b.term);
            for s in succs(&b.term) {
                live |= live_in[s];
            }
            let mut need_here = match b.term {
                Term::Ret(r) if r.code == RET_K && r.k == 0 => u64::MAX,
                Term::Ret(_) => 0,
                Term::Goto(t) => need[t],
                Term::Cond { t, f, .. } => need[t].min(need[f]),
            };
            // Which statements may fail (per the analysis); in a block no
            // edge reaches (cleanup drops it), every one.
            let mut fails = Vec::with_capacity(b.stmts.len());
            match entry.get(i).copied().flatten() {
                Some(mut s) => {
                    for insn in &b.stmts {
                        match effect(insn, &s, &mut self.vals) {
                            Some(e) => {
                                fails.push(e.may_fail);
                                apply(&e, &mut s);
                            }
                            None => fails.push(true),
                        }
                    }
                }
                None => fails.resize(b.stmts.len(), true),
            }
            let b = &self.blocks[i];
            let mut keep = vec![true; b.stmts.len()];
            for (j, insn) in b.stmts.iter().enumerate().rev() {
                let (defs, uses) = defs_uses(insn);
                let abs_like = is_abs_like(insn);
                // A load that may fail can go when no accepting run could
                // be shorter than it anyway.
                let harmless = !fails[j] || (abs_like && abs_end(insn) <= need_here);
                if defs & live == 0 && harmless {
                    keep[j] = false;
                } else {
                    live = (live & !defs) | uses;
                    if abs_like {
                        need_here = need_here.max(abs_end(insn));
                    }
                }
            }
            need[i] = need_here;
            let mut it = keep.iter();
            self.blocks[i].stmts.retain(|_| *it.next().unwrap_or(&true));
        }
    }

    /// Where an edge arriving at `c` with state `s` may go instead, and
    /// the state it arrives there with (the registers of `s`, what the
    /// skipped tests proved).
    fn follow(&mut self, mut c: BlockId, mut s: State, live_in: &[u32]) -> (BlockId, State) {
        // Bounded: chains of decided tests are short in real programs,
        // and a bound keeps the pass linear in the program's size.
        for _ in 0..FOLLOW_STEPS {
            let Term::Cond { code, k, t, f } = self.blocks[c].term else {
                return (c, s);
            };
            let mut sim = s;
            let mut written = 0u32;
            for insn in &self.blocks[c].stmts {
                let Some(e) = effect(insn, &sim, &mut self.vals) else {
                    return (c, s);
                };
                if e.may_fail {
                    return (c, s);
                }
                if sim.regs[e.dest] != e.value {
                    written |= 1 << e.dest;
                }
                apply(&e, &mut sim);
            }
            let Some(outcome) = sim.decide(code, k, &self.vals) else {
                return (c, s);
            };
            let d = if outcome { t } else { f };
            if written & live_in[d] != 0 {
                return (c, s);
            }
            // The test's outcome is implied on this path: record it.
            let term = self.blocks[c].term.clone();
            let after = sim.along(
                &term,
                if outcome { Edge::True } else { Edge::False },
                &mut self.vals,
            );
            s.facts = after.facts;
            c = d;
        }
        (c, s)
    }
}

/// A state arriving at `target`: the join of all that arrive there.
fn push(pending: &mut [Option<State>], target: BlockId, st: State, vals: &mut Values) {
    match &mut pending[target] {
        Some(p) => p.meet(&st, vals),
        slot => *slot = Some(st),
    }
}

/// How many decided tests an edge is threaded past at once.
const FOLLOW_STEPS: usize = 64;

/// `op; jcc` as one test on A before `op`: (code, k, swap targets).
fn fuse(last: &Insn, code: u16, k: u32) -> Option<(u16, u32, bool)> {
    let c = last.k;
    Some(match (last.code, code, k) {
        (AND_K, JEQ_K, 0) => (JSET_K, c, true),
        (AND_K, JGT_K, 0) => (JSET_K, c, false),
        (AND_K, JSET_K, _) => (JSET_K, c & k, false),
        (ADD_K, JEQ_K, _) => (JEQ_K, k.wrapping_sub(c), false),
        (SUB_K, JEQ_K, _) => (JEQ_K, k.wrapping_add(c), false),
        (XOR_K, JEQ_K, _) => (JEQ_K, k ^ c, false),
        (SUB_X | XOR_X, JEQ_K, 0) => (JEQ_X, 0, false),
        (SUB_X | XOR_X, JGT_K, 0) => (JEQ_X, 0, true),
        _ => return None,
    })
}

fn vals_is_ind(vals: &Values, v: Vn) -> bool {
    matches!(vals.get(v), Expr::Ind(..))
}

fn is_abs_like(insn: &Insn) -> bool {
    matches!(insn.code, LD_W_ABS | LD_H_ABS | LD_B_ABS | LDX_MSH) && insn.k < ancillary::OFF
}

fn abs_end(insn: &Insn) -> u64 {
    u64::from(insn.k) + u64::from(op::size_bytes(insn.code))
}
