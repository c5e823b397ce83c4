//! Value numbering: every value a register can hold gets a number, and
//! equal computations get equal numbers (folded and normalized, so
//! `ld #0xab; add #1` and `ld #0xac` are one value).
//!
//! A number means the same on every path; what holds only on some paths
//! (a register's current value, what a test proved) is `state`'s and
//! `facts`'.

use super::facts::Range;
use super::hash::HashMap;
use crate::bpf::{NEG_OFF, op};

pub(super) type Vn = u32;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Expr {
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
pub(super) struct Values {
    ids: HashMap<Expr, Vn>,
    exprs: Vec<Expr>,
    opaque: u32,
}

impl Values {
    pub(super) fn intern(&mut self, e: Expr) -> Vn {
        if let Some(&v) = self.ids.get(&e) {
            return v;
        }
        let v = self.exprs.len() as Vn;
        self.exprs.push(e.clone());
        self.ids.insert(e, v);
        v
    }

    pub(super) fn constant(&mut self, c: u32) -> Vn {
        self.intern(Expr::Const(c))
    }

    /// A new value equal to no other; never looked up, so not hashed.
    pub(super) fn fresh(&mut self) -> Vn {
        self.opaque += 1;
        let v = self.exprs.len() as Vn;
        self.exprs.push(Expr::Opaque(self.opaque));
        v
    }

    pub(super) fn get(&self, v: Vn) -> &Expr {
        &self.exprs[v as usize]
    }

    pub(super) fn as_const(&self, v: Vn) -> Option<u32> {
        match self.get(v) {
            Expr::Const(c) => Some(*c),
            _ => None,
        }
    }

    /// `a OP b`, folded and normalized.
    pub(super) fn alu(&mut self, aop: u16, a: Vn, b: Vn) -> Vn {
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
                    if let Some((size, k)) = narrow.filter(|(_, k)| *k < NEG_OFF) {
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
    pub(super) fn intrinsic(&self, v: Vn) -> Range {
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
