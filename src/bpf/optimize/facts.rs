//! What a branch proves about a value: bounds, values it is not, bits
//! known to be 0 or 1, and what holds where two paths join.
//!
//! Plain arithmetic on sets of 32-bit numbers: it knows nothing of
//! registers, packets or blocks, and a fact it cannot keep is dropped
//! (forgetting only costs an optimization, never a verdict).

use super::values::Vn;
use crate::bpf::code::*;
use crate::bpf::op;

/// At most `N` distinct values, inline: states are copied along every
/// edge, and allocating there is what made the optimizer slow (musl's
/// allocator maps and unmaps pages for it). Further entries are dropped:
/// a fact forgotten is only a missed optimization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Few<T: Copy + Default + PartialEq, const N: usize> {
    n: u8,
    v: [T; N],
}

impl<T: Copy + Default + PartialEq, const N: usize> Default for Few<T, N> {
    fn default() -> Self {
        Few {
            n: 0,
            v: [T::default(); N],
        }
    }
}

impl<T: Copy + Default + PartialEq, const N: usize> Few<T, N> {
    pub(super) fn as_slice(&self) -> &[T] {
        &self.v[..usize::from(self.n)]
    }

    pub(super) fn contains(&self, x: &T) -> bool {
        self.as_slice().contains(x)
    }

    /// Adds `x` unless present; when full, `x` is dropped (the oldest
    /// entries are usually the ones tests check again).
    pub(super) fn insert(&mut self, x: T) {
        if !self.contains(&x) && usize::from(self.n) < N {
            self.v[usize::from(self.n)] = x;
            self.n += 1;
        }
    }

    pub(super) fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        let mut out = Few::default();
        for x in self.as_slice() {
            if keep(x) {
                out.insert(*x);
            }
        }
        *self = out;
    }
}

type Small = Few<u32, 4>;

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

/// How many values may have a range at once; past that, the fact set or
/// used longest ago goes.
const RANGES: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Facts {
    n: u8,
    keys: [Vn; RANGES],
    ranges: [Range; RANGES],
    /// When each entry was last set, for eviction.
    stamp: [u32; RANGES],
    clock: u32,
    /// `(a, code, b, outcome)` for tests of A against X.
    pub(super) rel: Few<(Vn, u16, Vn, bool), 4>,
}

impl Default for Range {
    fn default() -> Self {
        Range::any()
    }
}

impl Facts {
    fn find(&self, v: Vn) -> Option<usize> {
        self.keys[..usize::from(self.n)]
            .iter()
            .position(|&k| k == v)
    }

    pub(super) fn get(&self, v: Vn) -> Option<&Range> {
        self.find(v).map(|i| &self.ranges[i])
    }

    pub(super) fn set(&mut self, v: Vn, r: Range) {
        self.clock = self.clock.wrapping_add(1);
        let i = match self.find(v) {
            Some(i) => i,
            None if usize::from(self.n) < RANGES => {
                self.n += 1;
                usize::from(self.n) - 1
            }
            None => (0..RANGES).min_by_key(|&i| self.stamp[i]).unwrap_or(0),
        };
        self.keys[i] = v;
        self.ranges[i] = r;
        self.stamp[i] = self.clock;
    }

    pub(super) fn meet(&mut self, o: &Facts) {
        let mut out = Facts {
            clock: self.clock.max(o.clock),
            ..Facts::default()
        };
        for i in 0..usize::from(self.n) {
            if let Some(j) = o.find(self.keys[i]) {
                let mut r = self.ranges[i];
                r.union(&o.ranges[j]);
                let k = usize::from(out.n);
                out.keys[k] = self.keys[i];
                out.ranges[k] = r;
                out.stamp[k] = self.stamp[i].max(o.stamp[j]);
                out.n += 1;
            }
        }
        out.rel = self.rel;
        out.rel.retain(|f| o.rel.contains(f));
        *self = out;
    }
}
