//! Shortens a program without changing its verdict on any packet.
//!
//! In the spirit of libpcap's optimizer, over a control-flow graph built
//! from the flat program:
//!
//! - value numbering of A, X and M[] with the state carried across blocks
//!   (a value survives a join when every incoming path agrees), so that
//!   redundant loads, stores and register moves disappear and constants
//!   fold (`ld #0xab; st M[0]; ldx M[0]; ldb [x + 16]` is `ldb [187]`);
//! - what each branch proves about a value (equal to, range, bits) flows
//!   along its edges, so a test whose outcome is known is folded, and an
//!   edge into a block whose test it decides is threaded past that block;
//! - dead stores go, unreachable and identical blocks go, jumps to jumps
//!   shorten, and the graph is laid out again with forward jumps only.
//!
//! Classic BPF has one side effect besides the registers: a load past the
//! end of the packet (or a division by a zero X) ends the program with 0.
//! A load is only dropped when an equal or longer one has surely run
//! before it, or one in the same block will. Jumps only go forward, so
//! block order is a topological order and every analysis is one pass.

use std::hash::{BuildHasherDefault, Hasher};

/// A multiply-rotate hasher: the keys here are small and trusted, and
/// SipHash dominated the optimizer's time.
#[derive(Default)]
struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    fn write_u16(&mut self, i: u16) {
        self.write_u64(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

type HashMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FastHasher>>;

use super::code::*;
use super::validate::validate_up_to;
use super::{Insn, MEMWORDS, ancillary, op};

/// Runs until nothing changes, with a cap for pathological inputs.
const MAX_ROUNDS: usize = 30;

pub fn optimize(prog: Vec<Insn>) -> Vec<Insn> {
    // Longer than the kernel's limit is fine here: the result may fit.
    let valid = |p: &[Insn]| validate_up_to(p, usize::MAX).is_ok();
    if !valid(&prog) {
        return prog;
    }
    let mut best = prog.clone();
    // Rebasing concerns indirect loads whose X was computed (`add`, `tax`).
    let has = |f: &dyn Fn(&Insn) -> bool| prog.iter().any(f);
    let worth_rebasing = has(&|i| op::class(i.code) == op::LD && op::mode(i.code) == op::IND)
        && has(&|i| op::class(i.code) == op::ALU && op::alu_op(i.code) == op::ADD)
        && has(&|i| i.code == TAX);
    for rebase in [false, true] {
        if rebase && !worth_rebasing {
            continue;
        }
        let Some(out) = run_passes(&prog, rebase) else {
            continue;
        };
        // A safety net: never hand back something longer or invalid.
        if out.len() < best.len() && valid(&out) {
            best = out;
        }
    }
    best
}

fn run_passes(prog: &[Insn], rebase: bool) -> Option<Vec<Insn>> {
    let mut cfg = Cfg::build(prog)?;
    cfg.rebase = rebase;
    let mut last = cfg.linearize();
    for _ in 0..MAX_ROUNDS {
        cfg.round();
        let now = cfg.linearize();
        if now == last {
            break;
        }
        last = now;
    }
    last
}

// ---------------------------------------------------------------------
// Control-flow graph

type BlockId = usize;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Term {
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
struct Block {
    stmts: Vec<Insn>,
    term: Term,
}

/// Blocks in topological order: every edge goes to a higher index.
struct Cfg {
    blocks: Vec<Block>,
    vals: Values,
    /// Rewrite `[x + k]` to a cheaper base (see `simplify`); a choice,
    /// since it can also cost an instruction: both ways are tried.
    rebase: bool,
}

fn is_jump_or_ret(code: u16) -> bool {
    matches!(op::class(code), op::JMP | op::RET)
}

impl Cfg {
    fn build(prog: &[Insn]) -> Option<Cfg> {
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
        };
        cfg.cleanup();
        Some(cfg)
    }

    /// One round of every transformation.
    fn round(&mut self) {
        self.simplify();
        self.dead_stores();
        self.cleanup();
        self.thread();
        self.cleanup();
    }

    fn preds(&self) -> Vec<Vec<(BlockId, Edge)>> {
        let mut preds = vec![Vec::new(); self.blocks.len()];
        for (i, b) in self.blocks.iter().enumerate() {
            match b.term {
                Term::Ret(_) => {}
                Term::Goto(t) => preds[t].push((i, Edge::Always)),
                Term::Cond { t, f, .. } => {
                    preds[t].push((i, Edge::True));
                    preds[f].push((i, Edge::False));
                }
            }
        }
        preds
    }

    /// Drops unreachable blocks, shortens jumps to jumps, folds `ret`
    /// targets of gotos, merges identical blocks.
    fn cleanup(&mut self) {
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

    /// The flat program, or `None` if some jump cannot be encoded.
    fn linearize(&self) -> Option<Vec<Insn>> {
        // Blocks in index order, plus trampolines (`ja`) where a
        // conditional target is more than 255 instructions ahead.
        #[derive(Clone, Copy)]
        enum Slot {
            Block(BlockId),
            Tramp(BlockId),
        }
        let mut layout: Vec<Slot> = (0..self.blocks.len()).map(Slot::Block).collect();
        for _ in 0..1024 {
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
            // Find a conditional jump that does not fit; give it a
            // trampoline right after itself.
            let mut fix = None;
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
                                if dt > 255 && fix.is_none() {
                                    fix = Some((idx, t));
                                }
                                if df > 255 && fix.is_none() {
                                    fix = Some((idx, f));
                                }
                                out.push(Insn::jump(code, k, dt.min(255) as u8, df.min(255) as u8));
                            }
                        }
                    }
                }
            }
            match fix {
                None => return Some(out),
                Some((idx, target)) => layout.insert(idx + 1, Slot::Tramp(target)),
            }
        }
        None
    }
}

/// The relative offset of a forward jump from `here` to `target`; `None`
/// (the caller then keeps the input program) if it would go backwards.
fn fwd(target: usize, here: usize) -> Option<u32> {
    u32::try_from(target.checked_sub(here + 1)?).ok()
}

fn succs(term: &Term) -> impl Iterator<Item = BlockId> {
    let (a, b) = match *term {
        Term::Ret(_) => (None, None),
        Term::Goto(t) => (Some(t), None),
        Term::Cond { t, f, .. } => (Some(t), Some(f)),
    };
    a.into_iter().chain(b)
}

/// How `term` reaches block `to`, if it still does. A test whose two
/// targets are the same block proves nothing on arrival.
fn edge_into(term: &Term, to: BlockId) -> Option<Edge> {
    match *term {
        Term::Ret(_) => None,
        Term::Goto(t) => (t == to).then_some(Edge::Always),
        Term::Cond { t, f, .. } if t == to && f == to => Some(Edge::Always),
        Term::Cond { t, .. } if t == to => Some(Edge::True),
        Term::Cond { f, .. } if f == to => Some(Edge::False),
        Term::Cond { .. } => None,
    }
}

fn remap(term: &mut Term, map: &[BlockId]) {
    match term {
        Term::Ret(_) => {}
        Term::Goto(t) => *t = map[*t],
        Term::Cond { t, f, .. } => {
            *t = map[*t];
            *f = map[*f];
        }
    }
}

// ---------------------------------------------------------------------
// Values

type Vn = u32;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Expr {
    Const(u32),
    Len,
    /// An ancillary load other than the random one.
    Anc(u32),
    /// `ld{,h,b} [k]`; `size` is op::W/H/B.
    Abs(u16, u32),
    /// `ld{,h,b} [x + k]` with X holding value `Vn`.
    Ind(u16, Vn, u32),
    /// `4*([k]&0xf)`.
    Msh(u32),
    Alu(u16, Vn, Vn),
    Neg(Vn),
    /// A value we know nothing about (a join of different values, a
    /// random number, scratch memory never written).
    Opaque(u32),
}

#[derive(Default)]
struct Values {
    ids: HashMap<Expr, Vn>,
    exprs: Vec<Expr>,
    opaque: u32,
}

impl Values {
    fn intern(&mut self, e: Expr) -> Vn {
        if let Some(&v) = self.ids.get(&e) {
            return v;
        }
        let v = self.exprs.len() as Vn;
        self.exprs.push(e.clone());
        self.ids.insert(e, v);
        v
    }

    fn constant(&mut self, c: u32) -> Vn {
        self.intern(Expr::Const(c))
    }

    /// A new value equal to no other; never looked up, so not hashed.
    fn fresh(&mut self) -> Vn {
        self.opaque += 1;
        let v = self.exprs.len() as Vn;
        self.exprs.push(Expr::Opaque(self.opaque));
        v
    }

    fn get(&self, v: Vn) -> &Expr {
        &self.exprs[v as usize]
    }

    fn as_const(&self, v: Vn) -> Option<u32> {
        match self.get(v) {
            Expr::Const(c) => Some(*c),
            _ => None,
        }
    }

    /// `a OP b`, folded and normalized.
    fn alu(&mut self, aop: u16, a: Vn, b: Vn) -> Vn {
        let (ca, cb) = (self.as_const(a), self.as_const(b));
        if let (Some(x), Some(y)) = (ca, cb) {
            if let Some(r) = fold_alu(aop, x, y) {
                return self.constant(r);
            }
        }
        if let (op::SUB, Some(y)) = (aop, cb) {
            let neg = self.constant(y.wrapping_neg());
            return self.alu(op::ADD, a, neg);
        }
        if let Some(y) = cb {
            match (aop, y) {
                (op::ADD | op::SUB | op::OR | op::XOR | op::LSH | op::RSH, 0) => return a,
                (op::MUL | op::DIV, 1) => return a,
                (op::AND, 0xffff_ffff) => return a,
                (op::AND, m) if self.intrinsic(a).zero | m == u32::MAX => return a,
                // The low bytes of a load are a narrower load ending at the
                // same offset (so failing on the same packets).
                (op::AND, 0xffff | 0xff) => {
                    let narrow = match (self.get(a).clone(), y) {
                        (Expr::Abs(op::W, k), 0xffff) => k.checked_add(2).map(|k| (op::H, k)),
                        (Expr::Abs(op::W, k), 0xff) => k.checked_add(3).map(|k| (op::B, k)),
                        (Expr::Abs(op::H, k), 0xff) => k.checked_add(1).map(|k| (op::B, k)),
                        _ => None,
                    };
                    if let Some((size, k)) = narrow.filter(|(_, k)| *k < 0x8000_0000) {
                        return self.intern(Expr::Abs(size, k));
                    }
                }
                (op::MUL | op::AND, 0) => return self.constant(0),
                // (v op c1) op c2 for associative ops with constants.
                (op::ADD | op::AND | op::OR | op::XOR | op::MUL, _) => {
                    if let Expr::Alu(inner, v, c1) = *self.get(a) {
                        if inner == aop {
                            if let Some(c1) = self.as_const(c1) {
                                if let Some(c) = fold_alu(aop, c1, y) {
                                    let c = self.constant(c);
                                    return self.alu(aop, v, c);
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        // Commutative operations: constants second, then by number.
        let (a, b) = match aop {
            op::ADD | op::MUL | op::AND | op::OR | op::XOR
                if ca.is_some() && cb.is_none() || (ca.is_none() == cb.is_none() && a > b) =>
            {
                (b, a)
            }
            _ => (a, b),
        };
        self.intern(Expr::Alu(aop, a, b))
    }

    /// What is known about a value regardless of the path.
    fn intrinsic(&self, v: Vn) -> Range {
        let mut r = Range::any();
        match *self.get(v) {
            Expr::Const(c) => r.set_eq(c),
            Expr::Abs(size, _) | Expr::Ind(size, _, _) => match size {
                op::H => r.hi = 0xffff,
                op::B => r.hi = 0xff,
                _ => {}
            },
            Expr::Msh(_) => {
                r.hi = 60;
                r.zero = !0x3c;
            }
            Expr::Alu(op::AND, _, b) => {
                if let Some(m) = self.as_const(b) {
                    r.hi = m;
                    r.zero = !m;
                }
            }
            Expr::Alu(op::RSH, a, b) => {
                if let Some(s) = self.as_const(b) {
                    let inner = self.intrinsic(a);
                    r.hi = inner.hi.wrapping_shr(s);
                }
            }
            Expr::Alu(op::OR, _, b) => {
                if let Some(m) = self.as_const(b) {
                    r.one = m;
                    r.lo = m;
                }
            }
            _ => {}
        }
        r.fix_bits();
        r
    }
}

fn fold_alu(aop: u16, x: u32, y: u32) -> Option<u32> {
    Some(match aop {
        op::ADD => x.wrapping_add(y),
        op::SUB => x.wrapping_sub(y),
        op::MUL => x.wrapping_mul(y),
        op::DIV => x.checked_div(y)?,
        op::MOD => x.checked_rem(y)?,
        op::AND => x & y,
        op::OR => x | y,
        op::XOR => x ^ y,
        op::LSH => x.wrapping_shl(y),
        op::RSH => x.wrapping_shr(y),
        _ => return None,
    })
}

// ---------------------------------------------------------------------
// Facts that branches establish

/// A few numbers, inline (states are cloned per edge; allocations cost,
/// musl's allocator especially). Further entries are dropped: a fact
/// forgotten is only a missed optimization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Small {
    n: u8,
    v: [u32; 4],
}

impl Small {
    fn as_slice(&self) -> &[u32] {
        &self.v[..usize::from(self.n)]
    }

    fn contains(&self, x: &u32) -> bool {
        self.as_slice().contains(x)
    }

    fn insert(&mut self, x: u32) {
        if !self.contains(&x) && usize::from(self.n) < self.v.len() {
            self.v[usize::from(self.n)] = x;
            self.n += 1;
        }
    }

    fn retain(&mut self, mut keep: impl FnMut(&u32) -> bool) {
        let mut out = Small::default();
        for x in self.as_slice() {
            if keep(x) {
                out.insert(*x);
            }
        }
        *self = out;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range {
    lo: u32,
    hi: u32,
    /// Values it is not.
    ne: Small,
    /// Bits known to be 0 / 1.
    zero: u32,
    one: u32,
    /// Masks of which at least one bit is set.
    any: Small,
}

impl Range {
    fn any() -> Range {
        Range {
            lo: 0,
            hi: u32::MAX,
            ne: Small::default(),
            zero: 0,
            one: 0,
            any: Small::default(),
        }
    }

    fn set_eq(&mut self, c: u32) {
        self.lo = c;
        self.hi = c;
        self.zero = !c;
        self.one = c;
    }

    fn fix_bits(&mut self) {
        if self.hi != u32::MAX {
            // Bits above the highest bit of `hi` are zero.
            let top = 32 - self.hi.leading_zeros();
            if top < 32 {
                self.zero |= !((1u32 << top) - 1);
            }
        }
        if self.zero & self.one == 0 && (!self.zero) == self.one {
            self.lo = self.one;
            self.hi = self.one;
        }
    }

    fn intersect(&mut self, o: &Range) {
        self.lo = self.lo.max(o.lo);
        self.hi = self.hi.min(o.hi);
        for &n in o.ne.as_slice() {
            self.ne.insert(n);
        }
        self.zero |= o.zero;
        self.one |= o.one;
        for &m in o.any.as_slice() {
            self.any.insert(m);
        }
        self.fix_bits();
    }

    /// What holds on both paths.
    fn union(&mut self, o: &Range) {
        self.lo = self.lo.min(o.lo);
        self.hi = self.hi.max(o.hi);
        self.ne
            .retain(|n| o.ne.contains(n) || *n < o.lo || *n > o.hi);
        self.zero &= o.zero;
        self.one &= o.one;
        self.any.retain(|m| o.any.contains(m) || m & o.one != 0);
    }

    fn decide(&self, code: u16, c: u32) -> Option<bool> {
        let exact = (self.lo == self.hi).then_some(self.lo);
        match code & !op::X {
            JEQ_K => {
                if let Some(v) = exact {
                    return Some(v == c);
                }
                if c < self.lo || c > self.hi || self.ne.contains(&c) {
                    return Some(false);
                }
                if c & self.zero != 0 || !c & self.one != 0 {
                    return Some(false);
                }
                None
            }
            JGT_K => {
                if self.lo > c {
                    Some(true)
                } else if self.hi <= c {
                    Some(false)
                } else {
                    None
                }
            }
            JGE_K => {
                if self.lo >= c {
                    Some(true)
                } else if self.hi < c {
                    Some(false)
                } else {
                    None
                }
            }
            JSET_K => {
                if let Some(v) = exact {
                    return Some(v & c != 0);
                }
                if c & !self.zero == 0 {
                    return Some(false);
                }
                if c & self.one != 0 || self.any.as_slice().iter().any(|&m| m & !c == 0) {
                    return Some(true);
                }
                None
            }
            _ => None,
        }
    }

    /// Learns `value OP c == outcome`.
    fn learn(&mut self, code: u16, c: u32, outcome: bool) {
        match (code & !op::X, outcome) {
            (JEQ_K, true) => self.set_eq(c),
            (JEQ_K, false) => self.ne.insert(c),
            (JGT_K, true) => self.lo = self.lo.max(c.saturating_add(1)),
            (JGT_K, false) => self.hi = self.hi.min(c),
            (JGE_K, true) => self.lo = self.lo.max(c),
            (JGE_K, false) => self.hi = self.hi.min(c.saturating_sub(1)),
            (JSET_K, false) => self.zero |= c,
            (JSET_K, true) => {
                if c.count_ones() == 1 {
                    self.one |= c;
                } else {
                    self.any.insert(c);
                }
            }
            _ => {}
        }
        // JGE with c == 0 false is impossible; keep lo <= hi sane.
        if self.lo > self.hi {
            self.hi = self.lo;
        }
        self.fix_bits();
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Facts {
    /// Sorted by value number.
    ranges: Vec<(Vn, Range)>,
    /// `(a, code, b, outcome)` for tests of A against X.
    rel: Vec<(Vn, u16, Vn, bool)>,
}

impl Facts {
    fn get(&self, v: Vn) -> Option<&Range> {
        self.ranges
            .binary_search_by_key(&v, |(k, _)| *k)
            .ok()
            .map(|i| &self.ranges[i].1)
    }

    fn set(&mut self, v: Vn, r: Range) {
        match self.ranges.binary_search_by_key(&v, |(k, _)| *k) {
            Ok(i) => self.ranges[i].1 = r,
            Err(i) => self.ranges.insert(i, (v, r)),
        }
    }

    fn meet(&mut self, o: &Facts) {
        self.ranges.retain_mut(|(v, r)| match o.get(*v) {
            Some(or) => {
                r.union(or);
                true
            }
            None => false,
        });
        self.rel.retain(|f| o.rel.contains(f));
    }
}

// ---------------------------------------------------------------------
// Abstract state

const NREGS: usize = 2 + MEMWORDS;
const A: usize = 0;
const X: usize = 1;
const fn mem(i: usize) -> usize {
    2 + i
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct State {
    regs: [Vn; NREGS],
    /// The packet is surely at least this long (an absolute load ending
    /// here has run on every path).
    len_ok: u32,
    /// Indirect loads that surely ran (their value numbers), sorted.
    avail: Vec<Vn>,
    facts: Facts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edge {
    Always,
    True,
    False,
}

impl State {
    fn entry(vals: &mut Values) -> State {
        let zero = vals.constant(0);
        let mut regs = [zero; NREGS];
        for r in regs.iter_mut().skip(2) {
            *r = vals.fresh();
        }
        State {
            regs,
            len_ok: 0,
            avail: Vec::new(),
            facts: Facts::default(),
        }
    }

    fn meet(&mut self, o: &State, vals: &mut Values) {
        for i in 0..NREGS {
            if self.regs[i] != o.regs[i] {
                self.regs[i] = vals.fresh();
            }
        }
        self.len_ok = self.len_ok.min(o.len_ok);
        self.avail.retain(|v| o.avail.binary_search(v).is_ok());
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
    fn decide(&self, code: u16, k: u32, vals: &Values) -> Option<bool> {
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
    fn along(&self, term: &Term, edge: Edge, vals: &mut Values) -> State {
        let mut s = self.clone();
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
                    let f = (a, *code, s.regs[X], outcome);
                    if !s.facts.rel.contains(&f) {
                        s.facts.rel.push(f);
                    }
                }
            }
        }
        s
    }
}

/// What executing `insn` does to the state: the register written, its
/// new value, whether the instruction can end the program (a load that
/// may run past the packet, a division by a zero X), and what it proves
/// about the packet when it does not.
struct Effect {
    dest: usize,
    value: Vn,
    may_fail: bool,
    /// The packet is at least this long afterwards.
    len_end: Option<u32>,
    /// This indirect load is available afterwards.
    avail: Option<Vn>,
}

fn size_of(code: u16) -> u32 {
    match op::size(code) {
        op::W => 4,
        op::H => 2,
        _ => 1,
    }
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
    let end = k.checked_add(size).filter(|_| k < 0x8000_0000);
    Some(Effect {
        dest,
        value,
        may_fail: end.is_none_or(|e| e > s.len_ok),
        len_end: end,
        avail: None,
    })
}

fn effect(insn: &Insn, s: &State, vals: &mut Values) -> Option<Effect> {
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
            abs_load(A, v, k, size_of(insn.code), s)
        }
        LD_W_IND | LD_H_IND | LD_B_IND => {
            let size = op::size(insn.code);
            // With a known X this is an absolute load.
            if let Some(abs) = vals
                .as_const(s.regs[X])
                .and_then(|x| x.checked_add(k))
                .filter(|a| *a < 0x8000_0000)
            {
                let v = vals.intern(Expr::Abs(size, abs));
                return abs_load(A, v, abs, size_of(insn.code), s);
            }
            let (base, k) = peel(vals, s.regs[X], k);
            let v = vals.intern(Expr::Ind(size, base, k));
            Some(Effect {
                dest: A,
                value: v,
                may_fail: s.avail.binary_search(&v).is_err(),
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

/// A single instruction that loads `v` into X without possibly failing.
fn cheap_x(v: Vn, s: &State, vals: &Values) -> Option<Insn> {
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

fn apply(e: &Effect, s: &mut State) {
    s.regs[e.dest] = e.value;
    if let Some(end) = e.len_end {
        s.len_ok = s.len_ok.max(end);
    }
    if let Some(v) = e.avail {
        if let Err(i) = s.avail.binary_search(&v) {
            s.avail.insert(i, v);
        }
    }
}

/// The same instruction with a known X folded in: `[x + k]` becomes an
/// absolute load, `op x` becomes `op #c`. Fails exactly when the original
/// does.
fn fold_x(insn: &Insn, s: &State, vals: &Values) -> Insn {
    let Some(x) = vals.as_const(s.regs[X]) else {
        return *insn;
    };
    match insn.code {
        LD_W_IND | LD_H_IND | LD_B_IND => {
            match x.checked_add(insn.k).filter(|a| *a < 0x8000_0000) {
                Some(abs) => Insn::stmt(op::LD | op::size(insn.code) | op::ABS, abs),
                None => *insn,
            }
        }
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
fn materialize(dest: usize, v: Vn, s: &State, vals: &Values, orig: &Insn) -> Insn {
    let other = if dest == A { X } else { A };
    if let Some(c) = vals.as_const(v) {
        return Insn::stmt(if dest == A { LD_IMM } else { LDX_IMM }, c);
    }
    if s.regs[other] == v {
        return Insn::stmt(if dest == A { TXA } else { TAX }, 0);
    }
    // Reloading from the packet (known to be long enough) frees M[].
    match *vals.get(v) {
        Expr::Abs(size, k) if dest == A && k.saturating_add(size_of(size)) <= s.len_ok => {
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

// ---------------------------------------------------------------------
// The passes

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
    fn simplify(&mut self) {
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

    /// Registers (bit per A, X, M[i]) live at each block's entry.
    fn liveness(&self) -> Vec<u32> {
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

    /// Removes statements whose results nobody reads, keeping the
    /// program's failure behaviour (see the module comment).
    fn dead_stores(&mut self) {
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
    fn thread(&mut self) {
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
    const AND_K: u16 = op::ALU | op::AND | op::K;
    const ADD_K: u16 = op::ALU | op::ADD | op::K;
    const SUB_K: u16 = op::ALU | op::SUB | op::K;
    const XOR_K: u16 = op::ALU | op::XOR | op::K;
    const SUB_X: u16 = op::ALU | op::SUB | op::X;
    const XOR_X: u16 = op::ALU | op::XOR | op::X;
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

fn vals_is_ind(vals: &Values, v: Vn) -> bool {
    matches!(vals.get(v), Expr::Ind(..))
}

fn is_abs_like(insn: &Insn) -> bool {
    matches!(insn.code, LD_W_ABS | LD_H_ABS | LD_B_ABS | LDX_MSH) && insn.k < ancillary::OFF
}

fn abs_end(insn: &Insn) -> u64 {
    u64::from(insn.k) + u64::from(size_of(insn.code))
}

const fn bit(r: usize) -> u32 {
    1 << r
}

fn term_uses(term: &Term) -> u32 {
    match term {
        Term::Ret(r) if r.code == RET_A => bit(A),
        Term::Ret(_) | Term::Goto(_) => 0,
        Term::Cond { code, .. } if op::src(*code) == op::X => bit(A) | bit(X),
        Term::Cond { .. } => bit(A),
    }
}

/// (registers written, registers read) by a statement.
fn defs_uses(insn: &Insn) -> (u32, u32) {
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

#[cfg(test)]
mod tests;
