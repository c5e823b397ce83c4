//! The control-flow graph: the flat program cut into blocks of
//! statements that end in one jump or `ret`, and laid out flat again.
//!
//! Knows jumps and their targets only. It does not decide what a test
//! proves or whether a statement is needed (that is for the passes), and
//! building then laying out a graph gives back an equivalent program.

use super::values::Values;
use crate::bpf::code::*;
use crate::bpf::{Insn, op};

pub(super) type BlockId = usize;

/// How a block ends.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Term {
    Ret(Insn),
    Goto(BlockId),
    /// A conditional jump on A against `k` or X, to `t` or `f`.
    Cond {
        code: u16,
        k: u32,
        t: BlockId,
        f: BlockId,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Block {
    pub(super) stmts: Vec<Insn>,
    pub(super) term: Term,
}

/// Blocks in topological order: every edge goes to a higher index.
pub(super) struct Cfg {
    pub(super) blocks: Vec<Block>,
    pub(super) vals: Values,
    /// Rewrite `[x + k]` to a cheaper base (see `forward`); a choice,
    /// since it can also cost an instruction: both ways are tried.
    pub(super) rebase: bool,
    /// Each block's state on entry as the last forward pass found it
    /// (`None`: unreachable then).
    pub(super) entry_states: Vec<Option<super::state::State>>,
}

fn is_jump_or_ret(code: u16) -> bool {
    matches!(op::class(code), op::JMP | op::RET)
}

/// Which way a run leaves a block: a goto, or one side of a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Edge {
    Always,
    True,
    False,
}

impl Cfg {
    pub(super) fn build(prog: &[Insn]) -> Option<Cfg> {
        let n = prog.len();
        let mut leader = vec![false; n + 1];
        leader[0] = true;
        for (pc, insn) in prog.iter().enumerate() {
            if is_jump_or_ret(insn.code) {
                leader[pc + 1] = true;
            }
            if insn.code == JA {
                *leader.get_mut(pc + 1 + insn.k as usize)? = true;
            } else if op::class(insn.code) == op::JMP {
                *leader.get_mut(pc + 1 + usize::from(insn.jt))? = true;
                *leader.get_mut(pc + 1 + usize::from(insn.jf))? = true;
            }
        }
        let starts: Vec<usize> = (0..n).filter(|&i| leader[i]).collect();
        let mut block_of = vec![usize::MAX; n + 1];
        for (b, &s) in starts.iter().enumerate() {
            block_of[s] = b;
        }
        let mut blocks = Vec::with_capacity(starts.len());
        for (b, &s) in starts.iter().enumerate() {
            let end = starts.get(b + 1).copied().unwrap_or(n);
            let mut stmts = Vec::new();
            let mut term = None;
            for pc in s..end {
                let insn = prog[pc];
                match op::class(insn.code) {
                    op::RET => term = Some(Term::Ret(insn)),
                    op::JMP if insn.code == JA => {
                        term = Some(Term::Goto(block_of[pc + 1 + insn.k as usize]))
                    }
                    op::JMP => {
                        term = Some(Term::Cond {
                            code: insn.code,
                            k: insn.k,
                            t: block_of[pc + 1 + usize::from(insn.jt)],
                            f: block_of[pc + 1 + usize::from(insn.jf)],
                        })
                    }
                    _ => stmts.push(insn),
                }
            }
            let term = match term {
                Some(t) => t,
                // Falls through into the next block (validate guarantees
                // the program ends in `ret`, so there is one).
                None => Term::Goto(*block_of.get(end)?),
            };
            blocks.push(Block { stmts, term });
        }
        if blocks
            .iter()
            .flat_map(|b| succs(&b.term))
            .any(|s| s == usize::MAX)
        {
            return None;
        }
        let mut cfg = Cfg {
            blocks,
            vals: Values::default(),
            rebase: false,
            entry_states: Vec::new(),
        };
        cfg.cleanup();
        Some(cfg)
    }

    /// The flat program, or `None` if some jump cannot be encoded.
    pub(super) fn linearize(&self) -> Option<Vec<Insn>> {
        // Blocks in index order, plus trampolines (`ja`) where a
        // conditional target is more than 255 instructions ahead.
        #[derive(Clone, Copy)]
        enum Slot {
            Block(BlockId),
            Tramp(BlockId),
        }
        let mut layout: Vec<Slot> = (0..self.blocks.len()).map(Slot::Block).collect();
        // Each round gives every jump that does not fit its trampoline at
        // once (one per round made large filters, with thousands of far
        // jumps, quadratic and then refused). A trampoline sits right
        // after its jump, so once there it stays in reach: at most two
        // per conditional block, and as many rounds.
        for _ in 0..=2 * self.blocks.len() + 1 {
            let next_block = |idx: usize| -> Option<BlockId> {
                match layout.get(idx + 1) {
                    Some(Slot::Block(b)) => Some(*b),
                    _ => None,
                }
            };
            let size = |idx: usize| -> usize {
                match layout[idx] {
                    Slot::Tramp(_) => 1,
                    Slot::Block(b) => {
                        let blk = &self.blocks[b];
                        blk.stmts.len()
                            + match blk.term {
                                Term::Goto(t) if next_block(idx) == Some(t) => 0,
                                _ => 1,
                            }
                    }
                }
            };
            let mut start = Vec::with_capacity(layout.len() + 1);
            let mut block_start = vec![0usize; self.blocks.len()];
            let mut pos = 0;
            for (idx, slot) in layout.iter().enumerate() {
                start.push(pos);
                if let Slot::Block(b) = slot {
                    block_start[*b] = pos;
                }
                pos += size(idx);
            }
            // The conditional jumps that do not fit, each to get a
            // trampoline right after itself.
            let mut fix: Vec<(usize, BlockId)> = Vec::new();
            let mut out = Vec::with_capacity(pos);
            for (idx, slot) in layout.iter().enumerate() {
                match *slot {
                    Slot::Tramp(t) => {
                        let here = out.len();
                        out.push(Insn::stmt(JA, fwd(block_start[t], here)?));
                    }
                    Slot::Block(b) => {
                        let blk = &self.blocks[b];
                        out.extend_from_slice(&blk.stmts);
                        let here = out.len();
                        match blk.term {
                            Term::Ret(r) => out.push(r),
                            Term::Goto(t) if next_block(idx) == Some(t) => {}
                            Term::Goto(t) => out.push(Insn::stmt(JA, fwd(block_start[t], here)?)),
                            Term::Cond { code, k, t, f } => {
                                let dt = fwd(block_start[t], here)? as usize;
                                let df = fwd(block_start[f], here)? as usize;
                                // A trampoline right after this jump may
                                // already serve the far target.
                                let tramp = |target: BlockId| -> Option<usize> {
                                    let mut j = idx + 1;
                                    while let Some(Slot::Tramp(x)) = layout.get(j) {
                                        if *x == target {
                                            return start[j].checked_sub(here + 1);
                                        }
                                        j += 1;
                                    }
                                    None
                                };
                                let dt = if dt > 255 { tramp(t).unwrap_or(dt) } else { dt };
                                let df = if df > 255 { tramp(f).unwrap_or(df) } else { df };
                                if dt > 255 {
                                    fix.push((idx, t));
                                }
                                if df > 255 && !(dt > 255 && t == f) {
                                    fix.push((idx, f));
                                }
                                out.push(Insn::jump(code, k, dt.min(255) as u8, df.min(255) as u8));
                            }
                        }
                    }
                }
            }
            if fix.is_empty() {
                return Some(out);
            }
            // Rebuilt in one sweep: inserting one by one would move the
            // whole layout for each.
            let mut fix = fix.into_iter().peekable();
            let mut next = Vec::with_capacity(layout.len() + fix.len());
            for (idx, slot) in layout.iter().enumerate() {
                next.push(*slot);
                // A block's own trampolines go before the ones already
                // after it, which `tramp` finds all the same.
                while let Some((_, target)) = fix.next_if(|&(i, _)| i == idx) {
                    next.push(Slot::Tramp(target));
                }
            }
            layout = next;
        }
        None
    }
}

/// The relative offset of a forward jump from `here` to `target`; `None`
/// (the caller then keeps the input program) if it would go backwards.
fn fwd(target: usize, here: usize) -> Option<u32> {
    u32::try_from(target.checked_sub(here + 1)?).ok()
}

pub(super) fn succs(term: &Term) -> impl Iterator<Item = BlockId> {
    let (a, b) = match *term {
        Term::Ret(_) => (None, None),
        Term::Goto(t) => (Some(t), None),
        Term::Cond { t, f, .. } => (Some(t), Some(f)),
    };
    a.into_iter().chain(b)
}

pub(super) fn remap(term: &mut Term, map: &[BlockId]) {
    match term {
        Term::Ret(_) => {}
        Term::Goto(t) => *t = map[*t],
        Term::Cond { t, f, .. } => {
            *t = map[*t];
            *f = map[*f];
        }
    }
}
