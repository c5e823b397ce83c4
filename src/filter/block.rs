//! The intermediate form libpcap's code generator builds: basic blocks that
//! each end in one conditional jump, combined with `and`/`or`/`not` by
//! patching their unresolved exits, then laid out as libpcap's
//! `icode_to_fcode` lays them out. Keeping libpcap's shapes (not just its
//! semantics) lets `tcpdump -O -d` serve as an exact oracle.

use crate::bpf::{Insn, op};

/// Index of a block in the [`Graph`] arena.
pub type BlockId = usize;

/// One statement inside a block. `jt`/`jf` are only used by the rare
/// in-block jumps (Geneve's header walk) and name statements by `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stmt {
    pub code: u16,
    pub k: u32,
    pub id: u32,
    pub jt: u32,
    pub jf: u32,
}

#[derive(Debug, Clone, Default)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    /// The block's final jump (or `ret` for return blocks).
    pub code: u16,
    pub k: u32,
    pub jt: Option<BlockId>,
    pub jf: Option<BlockId>,
    longjt: u32,
    longjf: u32,
}

/// A boolean expression under construction: where it starts and which
/// block exits are still unresolved on each side (`true` = the jt branch).
#[derive(Debug, Clone)]
pub struct Expr {
    pub head: BlockId,
    pub t: Vec<(BlockId, bool)>,
    pub f: Vec<(BlockId, bool)>,
}

#[derive(Debug, Default)]
pub struct Graph {
    pub blocks: Vec<Block>,
    next_stmt: u32,
}

/// The ways linearising can fail; both are limits, not bugs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayoutError {
    TooManyExtraJumps,
    TooLong,
}

impl Graph {
    pub fn stmt(&mut self, code: u16, k: u32) -> Stmt {
        self.next_stmt += 1;
        Stmt {
            code,
            k,
            id: self.next_stmt,
            jt: 0,
            jf: 0,
        }
    }

    /// A single-block expression: `stmts` then `code #k`.
    pub fn block(&mut self, stmts: Vec<Stmt>, code: u16, k: u32) -> Expr {
        let id = self.blocks.len();
        self.blocks.push(Block {
            stmts,
            code,
            k,
            ..Block::default()
        });
        Expr {
            head: id,
            t: vec![(id, true)],
            f: vec![(id, false)],
        }
    }

    /// A block whose edges the caller sets itself ([`Graph::edges`]).
    pub fn raw_block(&mut self, stmts: Vec<Stmt>, code: u16, k: u32) -> BlockId {
        let id = self.blocks.len();
        self.blocks.push(Block {
            stmts,
            code,
            k,
            ..Block::default()
        });
        id
    }

    /// Sets a block's successors (for `ja` blocks only `jt` is used).
    pub fn edges(&mut self, b: BlockId, jt: BlockId, jf: BlockId) {
        self.blocks[b].jt = Some(jt);
        self.blocks[b].jf = Some(jf);
    }

    fn ret_block(&mut self, k: u32) -> BlockId {
        let id = self.blocks.len();
        self.blocks.push(Block {
            code: op::RET | op::K,
            k,
            ..Block::default()
        });
        id
    }

    fn patch(&mut self, exits: &[(BlockId, bool)], target: BlockId) {
        for &(b, side) in exits {
            if side {
                self.blocks[b].jt = Some(target);
            } else {
                self.blocks[b].jf = Some(target);
            }
        }
    }

    /// `b0 and b1` (libpcap's gen_and): b0's true exits enter b1.
    pub fn and(&mut self, b0: Expr, b1: Expr) -> Expr {
        self.patch(&b0.t, b1.head);
        let mut f = b1.f;
        f.extend(b0.f);
        Expr {
            head: b0.head,
            t: b1.t,
            f,
        }
    }

    /// `b0 or b1` (libpcap's gen_or): b0's false exits enter b1.
    pub fn or(&mut self, b0: Expr, b1: Expr) -> Expr {
        self.patch(&b0.f, b1.head);
        let mut t = b1.t;
        t.extend(b0.t);
        Expr {
            head: b0.head,
            t,
            f: b1.f,
        }
    }

    pub fn not(b: Expr) -> Expr {
        Expr {
            head: b.head,
            t: b.f,
            f: b.t,
        }
    }

    /// Prepends statements to the expression's first block.
    pub fn prepend(&mut self, e: &Expr, mut stmts: Vec<Stmt>) {
        let b = &mut self.blocks[e.head];
        stmts.append(&mut b.stmts);
        b.stmts = stmts;
    }

    /// libpcap's finish_parse: true exits return `snaplen`, false exits 0.
    /// Returns the root block.
    pub fn finish(&mut self, e: Expr, snaplen: u32) -> BlockId {
        let acc = self.ret_block(snaplen);
        self.patch(&e.t, acc);
        let rej = self.ret_block(0);
        self.patch(&e.f, rej);
        e.head
    }

    /// A program that is just `ret #k`.
    pub fn ret_only(&mut self, k: u32) -> BlockId {
        self.ret_block(k)
    }

    /// Lays the blocks out as libpcap's icode_to_fcode/convert_code_r:
    /// each block is placed before the code of its true successor, which
    /// is placed before its false successor; shared blocks appear once;
    /// branches longer than 255 go through inserted `ja`s.
    pub fn linearize(&mut self, root: BlockId) -> Result<Vec<Insn>, LayoutError> {
        for _ in 0..10_000 {
            let mut marked = vec![false; self.blocks.len()];
            let n = self.count(root, &mut marked);
            if n > 200_000 {
                return Err(LayoutError::TooLong);
            }
            let mut conv = Conv {
                out: vec![Insn::default(); n],
                tail: n,
                marked: vec![false; self.blocks.len()],
                offset: vec![0; self.blocks.len()],
                retry: false,
            };
            self.convert(root, &mut conv)?;
            if !conv.retry {
                return Ok(conv.out);
            }
        }
        Err(LayoutError::TooLong)
    }

    fn count(&self, root: BlockId, marked: &mut [bool]) -> usize {
        let mut n = 0;
        let mut stack = vec![root];
        while let Some(b) = stack.pop() {
            if marked[b] {
                continue;
            }
            marked[b] = true;
            let blk = &self.blocks[b];
            n += blk.stmts.len() + 1 + blk.longjt as usize + blk.longjf as usize;
            stack.extend(blk.jt);
            stack.extend(blk.jf);
        }
        n
    }

    fn convert(&mut self, p: BlockId, c: &mut Conv) -> Result<(), LayoutError> {
        // Iterative form of libpcap's recursion (JF subtree, then JT
        // subtree, then the block itself), so that deep graphs cannot
        // overflow the stack.
        enum Step {
            Enter(BlockId),
            Emit(BlockId),
        }
        let mut work = vec![Step::Enter(p)];
        while let Some(step) = work.pop() {
            match step {
                Step::Enter(b) => {
                    if c.marked[b] {
                        continue;
                    }
                    c.marked[b] = true;
                    work.push(Step::Emit(b));
                    if let Some(t) = self.blocks[b].jt {
                        work.push(Step::Enter(t));
                    }
                    if let Some(f) = self.blocks[b].jf {
                        work.push(Step::Enter(f));
                    }
                }
                Step::Emit(b) => self.emit(b, c)?,
            }
        }
        Ok(())
    }

    fn emit(&mut self, p: BlockId, c: &mut Conv) -> Result<(), LayoutError> {
        let blk = &self.blocks[p];
        let slen = blk.stmts.len();
        let size = slen + 1 + blk.longjt as usize + blk.longjf as usize;
        let Some(start) = c.tail.checked_sub(size) else {
            return Err(LayoutError::TooLong);
        };
        c.tail = start;
        c.offset[p] = start;
        for (i, s) in blk.stmts.iter().enumerate() {
            let mut insn = Insn::stmt(s.code, s.k);
            if op::class(s.code) == op::JMP && op::alu_op(s.code) != op::JA {
                let pos = |id: u32| blk.stmts.iter().position(|x| x.id == id);
                let (Some(t), Some(f)) = (pos(s.jt), pos(s.jf)) else {
                    return Err(LayoutError::TooLong);
                };
                insn.jt = t.saturating_sub(i + 1).min(255) as u8;
                insn.jf = f.saturating_sub(i + 1).min(255) as u8;
            }
            c.out[start + i] = insn;
        }
        let at = start + slen;
        c.out[at] = Insn::stmt(blk.code, blk.k);
        if blk.code == op::JMP | op::JA {
            // An unconditional block (only protochain's walks): `ja` to jt.
            let Some(t) = blk.jt else {
                return Err(LayoutError::TooLong);
            };
            let off = c.offset[t] as i64 - at as i64 - 1;
            if off < 0 {
                return Err(LayoutError::TooLong);
            }
            c.out[at].k = off as u32;
            return Ok(());
        }
        let (Some(jt), Some(jf)) = (blk.jt, blk.jf) else {
            return Ok(());
        };
        let mut extra = 0usize;
        for (target, is_t) in [(jt, true), (jf, false)] {
            let off = c.offset[target] as i64 - at as i64 - 1;
            if off < 0 {
                return Err(LayoutError::TooLong);
            }
            if off >= 256 {
                let long = if is_t {
                    &mut self.blocks[p].longjt
                } else {
                    &mut self.blocks[p].longjf
                };
                if *long == 0 {
                    // Mark it and finish the pass, so that every branch
                    // found too long is marked before the next pass (a
                    // branch only grows as jumps are inserted, so this
                    // reaches libpcap's one-at-a-time result, faster).
                    *long = 1;
                    c.retry = true;
                    continue;
                }
                if extra >= 256 {
                    return Err(LayoutError::TooManyExtraJumps);
                }
                if is_t {
                    c.out[at].jt = extra as u8;
                } else {
                    c.out[at].jf = extra as u8;
                }
                extra += 1;
                c.out[at + extra] = Insn::stmt(op::JMP | op::JA, (off - extra as i64) as u32);
            } else if is_t {
                c.out[at].jt = off as u8;
            } else {
                c.out[at].jf = off as u8;
            }
        }
        Ok(())
    }
}

struct Conv {
    out: Vec<Insn>,
    tail: usize,
    marked: Vec<bool>,
    offset: Vec<usize>,
    retry: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn and_or_layout_matches_libpcap() {
        // ldh [12]; jeq #0x800 -> and -> ld [26]; jeq #1
        let mut g = Graph::default();
        let s = g.stmt(op::LD | op::H | op::ABS, 12);
        let a = g.block(vec![s], op::JMP | op::JEQ | op::K, 0x800);
        let s = g.stmt(op::LD | op::W | op::ABS, 26);
        let b = g.block(vec![s], op::JMP | op::JEQ | op::K, 1);
        let e = g.and(a, b);
        let root = g.finish(e, 100);
        let p = g.linearize(root).unwrap();
        assert_eq!(
            p,
            vec![
                Insn::stmt(0x28, 12),
                Insn::jump(0x15, 0x800, 0, 3),
                Insn::stmt(0x20, 26),
                Insn::jump(0x15, 1, 0, 1),
                Insn::stmt(0x06, 100),
                Insn::stmt(0x06, 0),
            ]
        );
    }
}
