//! Pure helpers for the bpf unit tests, and through `tests/kit` (which
//! includes this file) for the integration tests too: one seeded
//! generator and random programs. Nothing here touches the kernel or the
//! file system; tests that do live in tests/.
//!
//! Names from the bpf module come through `super::`: `crate::bpf` here,
//! the kit's imports of `podcap::bpf` there.
// Each side uses a part: the corpus draws bytes, the unit tests do not.
#![allow(dead_code)]

/// SplitMix64: small, deterministic, good enough for test data, so that
/// property tests and the generated corpus replay.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    pub fn byte(&mut self) -> u8 {
        self.next_u64() as u8
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.byte()).collect()
    }

    /// Uniform in `0..n`; 0 (drawing nothing) when `n` is 0.
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    pub fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent as usize
    }
}

/// A random program, mostly near-valid (so that both the kernel's and our
/// checks get exercised past the first rule).
pub fn random_program(rng: &mut Rng, max_len: usize) -> Vec<super::Insn> {
    use super::code::*;
    use super::{Insn, ancillary, op};
    let len = 1 + rng.below(max_len);
    let alu_ops = [
        op::ADD,
        op::SUB,
        op::MUL,
        op::DIV,
        op::MOD,
        op::AND,
        op::OR,
        op::XOR,
        op::LSH,
        op::RSH,
    ];
    let fixed = [
        LD_W_ABS, LD_H_ABS, LD_B_ABS, LD_W_IND, LD_H_IND, LD_B_IND, LD_W_LEN, LDX_W_LEN, LD_IMM,
        LDX_IMM, LD_MEM, LDX_MEM, LDX_MSH, ST, STX, TAX, TXA, RET_K, RET_A, JA, JEQ_K, JEQ_X,
        JGT_K, JGT_X, JGE_K, JGE_X, JSET_K, JSET_X, NEG,
    ];
    let mut prog = Vec::with_capacity(len);
    for pc in 0..len {
        let code = if rng.chance(3) {
            rng.u32() as u16
        } else if rng.chance(30) {
            op::ALU | rng.pick(&alu_ops) | if rng.chance(50) { op::X } else { op::K }
        } else {
            rng.pick(&fixed)
        };
        let remaining = len - pc - 1;
        let k = match rng.below(10) {
            0 => rng.u32(),
            1 => ancillary::OFF + 4 * rng.below(17) as u32,
            2 => rng.below(34) as u32,
            3 if code == JA => rng.below(remaining + 2) as u32,
            _ => rng.below(if code & 0xe0 == op::MEM { 17 } else { 64 }) as u32,
        };
        let mut target = || {
            if rng.chance(5) {
                rng.u32() as u8
            } else {
                rng.below(remaining.min(255) + 1) as u8
            }
        };
        let jt = target();
        let jf = target();
        prog.push(Insn::new(code, jt, jf, k));
    }
    if rng.chance(90) {
        if let Some(last) = prog.last_mut() {
            *last = Insn::stmt(if rng.chance(50) { RET_K } else { RET_A }, last.k);
        }
    }
    prog
}
