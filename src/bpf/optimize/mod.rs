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
//!
//! This file only drives: which passes run, in which order, how often,
//! and the safety net that keeps the input when the output is not
//! better. The pieces, each in its own file:
//!
//! - `cfg`: the graph of blocks, built from and laid out back to a
//!   flat program;
//! - `cleanup`: graph rewrites that need no values (unreachable and
//!   identical blocks, jumps to jumps, two tests that are one);
//! - `values`: value numbers, what each one computes;
//! - `facts`: what a branch proves about a value (ranges, bits);
//! - `state`: registers, packet length and facts at one point of a path;
//! - `effect`: what one instruction does to that state;
//! - `select`: the cheapest instruction that produces a known value;
//! - `liveness`: which registers are still read later;
//! - `passes`: the value-driven rewrites (one forward pass of value
//!   numbering and edge threading, then dead stores).

mod cfg;
mod cleanup;
mod effect;
mod facts;
mod hash;
mod liveness;
mod passes;
mod select;
mod state;
mod values;

use super::Insn;
use super::code::TAX;
use super::op;
use super::validate::validate_up_to;
use cfg::Cfg;

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

impl Cfg {
    /// One round of every transformation.
    fn round(&mut self) {
        self.forward();
        self.dead_stores();
        self.cleanup();
    }
}

#[cfg(test)]
mod tests;
