//! The rewrites that need values: value numbering over the whole graph
//! (`simplify`: redundant loads and moves go, constants fold, decided
//! tests become gotos), dead stores, and edge threading.
//!
//! Each pass may change the program only in ways that keep every
//! packet's verdict, including the 0 a failing load returns (see the
//! module comment of `optimize`); the graph-only rewrites are in
//! `cleanup`.

use super::cfg::{BlockId, Cfg, Edge, Term, edge_into, succs};
use super::effect::{apply, effect};
use super::liveness::{bit, defs_uses, term_uses};
use super::select::{cheap_x, fold_x, materialize};
use super::state::{A, State, X};
use super::values::{Expr, Values, Vn};
use crate::bpf::code::*;
use crate::bpf::{Insn, ancillary, op};

/// Each block's state on entry and after its statements.
struct Analysis {
    entry: Vec<State>,
    out: Vec<State>,
}

impl Cfg {
    /// Forward analysis without changing anything.
    fn analyze(&mut self) -> Analysis {
        let preds = self.preds();
        let n = self.blocks.len();
        let mut entry: Vec<State> = Vec::with_capacity(n);
        let mut out: Vec<State> = Vec::with_capacity(n);
        for (i, preds) in preds.iter().enumerate() {
            let s = self.entry_state(i, preds, &out);
            let mut cur = s.clone();
            for insn in &self.blocks[i].stmts {
                if let Some(e) = effect(insn, &cur, &mut self.vals) {
                    apply(&e, &mut cur);
                }
            }
            entry.push(s);
            out.push(cur);
        }
        Analysis { entry, out }
    }

    fn entry_state(&mut self, i: BlockId, preds: &[(BlockId, Edge)], out: &[State]) -> State {
        if i == 0 {
            return State::entry(&mut self.vals);
        }
        let mut acc: Option<State> = None;
        for &(p, _) in preds {
            // The edge as the predecessor's term is now, not as it was
            // when `preds` was computed: `simplify` rewrites terms as it
            // goes (a fused `and #m; jeq #0` becomes `jset #m` with its
            // targets swapped, a decided test becomes a goto), and a stale
            // label would learn the opposite of what the branch proves.
            let term = &self.blocks[p].term;
            let Some(edge) = edge_into(term, i) else {
                // That edge no longer exists: no run arrives this way.
                continue;
            };
            let s = out[p].along(term, edge, &mut self.vals);
            match &mut acc {
                None => acc = Some(s),
                Some(a) => a.meet(&s, &mut self.vals),
            }
        }
        acc.unwrap_or_else(|| State::entry(&mut self.vals))
    }

    /// Value numbering: rewrite statements, fold known branches.
    pub(super) fn simplify(&mut self) {
        let preds = self.preds();
        let live_in = self.liveness();
        let n = self.blocks.len();
        let mut out: Vec<State> = Vec::with_capacity(n);
        for (i, preds) in preds.iter().enumerate() {
            let mut s = self.entry_state(i, preds, &out);
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
                                let mut s2 = s.clone();
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
                        let mut s2 = self.entry_state(i, preds, &out);
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
            self.blocks[i].term = term;
            out.push(s);
        }
    }

    /// Removes statements whose results nobody reads, keeping the
    /// program's failure behaviour (see the module comment).
    pub(super) fn dead_stores(&mut self) {
        let an = self.analyze();
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
            // Which statements may fail (per the analysis).
            let mut s = an.entry[i].clone();
            let mut fails = Vec::with_capacity(b.stmts.len());
            for insn in &b.stmts {
                match effect(insn, &s, &mut self.vals) {
                    Some(e) => {
                        fails.push(e.may_fail);
                        apply(&e, &mut s);
                    }
                    None => fails.push(true),
                }
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

    /// Edge threading: an edge into a block whose test is decided on that
    /// edge (and whose statements do nothing the target needs) goes
    /// straight to the decided successor.
    pub(super) fn thread(&mut self) {
        let an = self.analyze();
        let live_in = self.liveness();
        for i in 0..self.blocks.len() {
            let term = self.blocks[i].term.clone();
            let new_term = match term {
                Term::Goto(t) => {
                    let s = an.out[i].along(&term, Edge::Always, &mut self.vals);
                    Term::Goto(self.follow(t, s, &live_in))
                }
                Term::Cond { code, k, t, f } => {
                    let st = an.out[i].along(&term, Edge::True, &mut self.vals);
                    let sf = an.out[i].along(&term, Edge::False, &mut self.vals);
                    let t = self.follow(t, st, &live_in);
                    let f = self.follow(f, sf, &live_in);
                    Term::Cond { code, k, t, f }
                }
                r => r,
            };
            self.blocks[i].term = new_term;
        }
    }

    /// Where an edge arriving at `c` with state `s` may go instead.
    fn follow(&mut self, mut c: BlockId, mut s: State, live_in: &[u32]) -> BlockId {
        for _ in 0..self.blocks.len() {
            let Term::Cond { code, k, t, f } = self.blocks[c].term else {
                return c;
            };
            let mut sim = s.clone();
            let mut written = 0u32;
            for insn in &self.blocks[c].stmts {
                let Some(e) = effect(insn, &sim, &mut self.vals) else {
                    return c;
                };
                if e.may_fail {
                    return c;
                }
                if sim.regs[e.dest] != e.value {
                    written |= 1 << e.dest;
                }
                apply(&e, &mut sim);
            }
            let Some(outcome) = sim.decide(code, k, &self.vals) else {
                return c;
            };
            let d = if outcome { t } else { f };
            if written & live_in[d] != 0 {
                return c;
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
        c
    }
}

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
