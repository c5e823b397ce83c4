//! Graph rewrites that hold whatever the registers contain: `ret #0`
//! for blocks that can only reject, two tests on A in a row that are one
//! test, jumps to jumps, identical blocks, unreachable blocks.
//!
//! Looks at terms and the statements' presence only, never at value
//! numbers or facts; the rewrites that need those are in `passes`.

use super::cfg::{Block, BlockId, Cfg, Term, remap, succs};
use super::hash::HashMap;
use crate::bpf::Insn;
use crate::bpf::code::*;

impl Cfg {
    /// Drops unreachable blocks, shortens jumps to jumps, folds `ret`
    /// targets of gotos, merges identical blocks.
    pub(super) fn cleanup(&mut self) {
        loop {
            let before = self.blocks.len();
            self.reject_early();
            self.merge_tests();
            self.shortcut();
            self.merge_identical();
            self.remove_unreachable();
            if self.blocks.len() == before {
                break;
            }
        }
    }

    /// A block from which every path returns 0 is `ret #0`: its loads
    /// may fail, but failing returns 0 too.
    fn reject_early(&mut self) {
        let n = self.blocks.len();
        let mut zero = vec![false; n];
        for i in (0..n).rev() {
            zero[i] = match self.blocks[i].term {
                Term::Ret(r) => r.code == RET_K && r.k == 0,
                Term::Goto(t) => zero[t],
                Term::Cond { t, f, .. } => zero[t] && zero[f],
            };
            if zero[i] {
                self.blocks[i] = Block {
                    stmts: Vec::new(),
                    term: Term::Ret(Insn::stmt(RET_K, 0)),
                };
            }
        }
    }

    /// Two tests in a row on the same A (the second block only tests)
    /// that together send one single-test set of values one way and the
    /// rest the other: one test (`jge #c` then `jgt #c` is `jeq #c`).
    fn merge_tests(&mut self) {
        for i in 0..self.blocks.len() {
            let Term::Cond { code, k, t, f } = self.blocks[i].term else {
                continue;
            };
            let Some(first) = range_of(code, k) else {
                continue;
            };
            for (edge_true, b) in [(true, t), (false, f)] {
                let Block {
                    stmts,
                    term:
                        Term::Cond {
                            code: c2,
                            k: k2,
                            t: t2,
                            f: f2,
                        },
                } = &self.blocks[b]
                else {
                    continue;
                };
                let Some(second) = range_of(*c2, *k2).filter(|_| stmts.is_empty()) else {
                    continue;
                };
                // Values reaching each destination, as sets of intervals.
                let into_b = if edge_true {
                    first.clone()
                } else {
                    complement(&first)
                };
                let other = if edge_true { f } else { t };
                let mut dest: Vec<(BlockId, Vec<(u64, u64)>)> = vec![(other, complement(&into_b))];
                for (target, set) in [
                    (*t2, intersect(&into_b, &second)),
                    (*f2, intersect(&into_b, &complement(&second))),
                ] {
                    match dest.iter_mut().find(|(d, _)| *d == target) {
                        Some((_, s)) => *s = union(s, &set),
                        None => dest.push((target, set)),
                    }
                }
                dest.retain(|(_, s)| !s.is_empty());
                let new = match dest.as_slice() {
                    [(only, _)] => Some(Term::Goto(*only)),
                    [(x, sx), (y, _)] => single_test(sx).map(|(code, k, x_on_true)| {
                        let (t, f) = if x_on_true { (*x, *y) } else { (*y, *x) };
                        Term::Cond { code, k, t, f }
                    }),
                    _ => None,
                };
                if let Some(new) = new {
                    self.blocks[i].term = new;
                    break;
                }
            }
        }
    }

    fn shortcut(&mut self) {
        // Later blocks first, so chains collapse in one sweep.
        for i in (0..self.blocks.len()).rev() {
            let resolve = |blocks: &[Block], mut t: BlockId| {
                while let Some(Block {
                    stmts,
                    term: Term::Goto(next),
                }) = blocks.get(t)
                {
                    if !stmts.is_empty() {
                        break;
                    }
                    t = *next;
                }
                t
            };
            let term = match self.blocks[i].term.clone() {
                Term::Goto(t) => {
                    let t = resolve(&self.blocks, t);
                    match &self.blocks[t] {
                        Block {
                            stmts,
                            term: Term::Ret(r),
                        } if stmts.is_empty() => Term::Ret(*r),
                        _ => Term::Goto(t),
                    }
                }
                Term::Cond { code, k, t, f } => {
                    let (t, f) = (resolve(&self.blocks, t), resolve(&self.blocks, f));
                    if t == f {
                        Term::Goto(t)
                    } else {
                        Term::Cond { code, k, t, f }
                    }
                }
                r => r,
            };
            self.blocks[i].term = term;
        }
    }

    fn merge_identical(&mut self) {
        let n = self.blocks.len();
        let mut canon: Vec<BlockId> = (0..n).collect();
        let mut seen: HashMap<Block, BlockId> = HashMap::default();
        for i in (0..n).rev() {
            let mut b = self.blocks[i].clone();
            remap(&mut b.term, &canon);
            self.blocks[i].term = b.term.clone();
            // Keeping the later block keeps every edge forward.
            match seen.get(&b) {
                Some(&j) => canon[i] = j,
                None => {
                    seen.insert(b, i);
                }
            }
        }
        for b in &mut self.blocks {
            remap(&mut b.term, &canon);
        }
    }

    fn remove_unreachable(&mut self) {
        let n = self.blocks.len();
        let mut live = vec![false; n];
        live[0] = true;
        for i in 0..n {
            if live[i] {
                for s in succs(&self.blocks[i].term) {
                    live[s] = true;
                }
            }
        }
        if live.iter().all(|&l| l) {
            return;
        }
        let mut new_id = vec![usize::MAX; n];
        let mut kept = Vec::new();
        for (i, b) in std::mem::take(&mut self.blocks).into_iter().enumerate() {
            if live[i] {
                new_id[i] = kept.len();
                kept.push(b);
            }
        }
        for b in &mut kept {
            remap(&mut b.term, &new_id);
        }
        self.blocks = kept;
    }
}

const MAXV: u64 = u32::MAX as u64;

/// The values for which `A code k` is true, as sorted disjoint inclusive
/// intervals; `None` for tests that are not intervals (`jset`, `x`).
fn range_of(code: u16, k: u32) -> Option<Vec<(u64, u64)>> {
    let k = u64::from(k);
    Some(match code {
        JEQ_K => vec![(k, k)],
        JGT_K if k == MAXV => vec![],
        JGT_K => vec![(k + 1, MAXV)],
        JGE_K => vec![(k, MAXV)],
        _ => return None,
    })
}

fn complement(s: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut next = 0u64;
    for &(lo, hi) in s {
        if lo > next {
            out.push((next, lo - 1));
        }
        next = hi + 1;
    }
    if next <= MAXV {
        out.push((next, MAXV));
    }
    out
}

fn intersect(a: &[(u64, u64)], b: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    for &(alo, ahi) in a {
        for &(blo, bhi) in b {
            let (lo, hi) = (alo.max(blo), ahi.min(bhi));
            if lo <= hi {
                out.push((lo, hi));
            }
        }
    }
    out.sort_unstable();
    out
}

fn union(a: &[(u64, u64)], b: &[(u64, u64)]) -> Vec<(u64, u64)> {
    complement(&intersect(&complement(a), &complement(b)))
}

/// One test whose outcome sends exactly `s` one way: (code, k, whether
/// `s` is the true side).
fn single_test(s: &[(u64, u64)]) -> Option<(u16, u32, bool)> {
    let k = |v: u64| u32::try_from(v).ok();
    match *s {
        [(lo, hi)] if lo == hi => Some((JEQ_K, k(lo)?, true)),
        [(0, hi)] => Some((JGT_K, k(hi)?, false)),
        [(lo, MAXV)] => Some((JGE_K, k(lo)?, true)),
        [(0, a), (b, MAXV)] if b == a + 2 => Some((JEQ_K, k(a + 1)?, false)),
        _ => None,
    }
}
