//! What a branch proves about a value: bounds, values it is not, bits
//! known to be 0 or 1, and what holds where two paths join.
//!
//! Plain arithmetic on sets of 32-bit numbers: it knows nothing of
//! registers, packets or blocks, and a fact it cannot keep is dropped
//! (forgetting only costs an optimization, never a verdict).

use super::values::Vn;
use crate::bpf::code::*;
use crate::bpf::op;

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
pub(super) struct Range {
    pub(super) lo: u32,
    pub(super) hi: u32,
    /// Values it is not.
    ne: Small,
    /// Bits known to be 0 / 1.
    pub(super) zero: u32,
    pub(super) one: u32,
    /// Masks of which at least one bit is set.
    any: Small,
}

impl Range {
    pub(super) fn any() -> Range {
        Range {
            lo: 0,
            hi: u32::MAX,
            ne: Small::default(),
            zero: 0,
            one: 0,
            any: Small::default(),
        }
    }

    pub(super) fn set_eq(&mut self, c: u32) {
        self.lo = c;
        self.hi = c;
        self.zero = !c;
        self.one = c;
    }

    pub(super) fn fix_bits(&mut self) {
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

    pub(super) fn intersect(&mut self, o: &Range) {
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

    pub(super) fn decide(&self, code: u16, c: u32) -> Option<bool> {
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
    pub(super) fn learn(&mut self, code: u16, c: u32, outcome: bool) {
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
pub(super) struct Facts {
    /// Sorted by value number.
    ranges: Vec<(Vn, Range)>,
    /// `(a, code, b, outcome)` for tests of A against X.
    pub(super) rel: Vec<(Vn, u16, Vn, bool)>,
}

impl Facts {
    pub(super) fn get(&self, v: Vn) -> Option<&Range> {
        self.ranges
            .binary_search_by_key(&v, |(k, _)| *k)
            .ok()
            .map(|i| &self.ranges[i].1)
    }

    pub(super) fn set(&mut self, v: Vn, r: Range) {
        match self.ranges.binary_search_by_key(&v, |(k, _)| *k) {
            Ok(i) => self.ranges[i].1 = r,
            Err(i) => self.ranges.insert(i, (v, r)),
        }
    }

    pub(super) fn meet(&mut self, o: &Facts) {
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
