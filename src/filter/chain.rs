//! `protochain N`: walk IPv6 extension headers (and IPv4/IPv6 AH) looking
//! for protocol N.
//!
//! libpcap compiles this walk as a loop with a backward jump, which the
//! kernel refuses (libpcap then filters in user space). podcap unrolls the
//! same walk [`DEPTH`] times, so the program is an ordinary forward-only
//! one the kernel accepts; a chain deeper than that rejects the packet (as
//! libpcap's walk does when it runs off the packet's end). Each
//! step does what libpcap's loop body does, including its AH step (the
//! next offset becomes `(ah_len + 2) * 4` from the start of the network
//! header), so the verdicts are libpcap's.

use super::block::{BlockId, Expr};
use super::codegen::{Gen, JEQ, OffRel, R};
use super::names::{ethertype as et, ipproto};
use super::qual::{Dir, Proto};
use crate::bpf::op;

/// Headers walked before giving up.
pub const DEPTH: usize = 12;

const NONE: u32 = 59;
const HOPOPTS: u32 = 0;
const DSTOPTS: u32 = 60;
const ROUTING: u32 = 43;

impl Gen {
    /// `[ip|ip6] protochain N`.
    pub fn protochain(&mut self, v: u32, proto: Proto, dir: Dir) -> R<Expr> {
        if dir != Dir::Default {
            return Err("direction applied to 'protochain'".into());
        }
        match proto {
            Proto::Default => {
                let b0 = self.protochain(v, Proto::Ip, dir)?;
                let b = self.protochain(v, Proto::Ip6, dir)?;
                Ok(self.or(b0, b))
            }
            Proto::Ip | Proto::Ip6 => {
                if self.off_linkpl.is_variable {
                    return Err("'protochain' not supported with variable length headers".into());
                }
                let v6 = proto == Proto::Ip6;
                let b0 = self.linktype(if v6 { et::IPV6 } else { et::IP })?;
                let b = self.chain_walk(v, v6)?;
                Ok(self.and(b0, b))
            }
            other => Err(format!(
                "'{}' is not a valid qualifier for 'protochain'",
                other.name()
            )),
        }
    }

    fn chain_walk(&mut self, v: u32, v6: bool) -> R<Expr> {
        let off = self.off_linkpl.constant.wrapping_add(self.off_nl);
        let reg = self.alloc_reg()?;
        self.no_optimize = true;
        let init = if v6 {
            let a = self.load_a(OffRel::LinkPl, 6, op::B)?;
            let mut s = a;
            s.push(self.st(op::LDX | op::IMM, 40));
            s
        } else {
            let mut s = self.load_a(OffRel::LinkPl, 9, op::B)?;
            s.push(self.st(op::LDX | op::MSH | op::B, off));
            s
        };
        // The final test: is the protocol we stopped at the one wanted?
        let add0 = self.st(op::ALU | op::ADD | op::K, 0);
        let found = self.g.raw_block(vec![add0], JEQ, v);
        // Past the last step the packet is rejected outright, as libpcap's
        // loop rejects it when its walk runs off the end of the packet
        // (what a chain of more than DEPTH headers nearly always is: zero
        // bytes read as hop-by-hop headers of length 0).
        let give_up = self.g.raw_block(Vec::new(), op::RET | op::K, 0);
        // Build from the last step backwards, so each step knows the next.
        let mut next: BlockId = give_up;
        for step in (0..DEPTH).rev() {
            let stmts = if step == 0 { init.clone() } else { Vec::new() };
            let is_v = self.g.raw_block(stmts, JEQ, v);
            let is_none = self.g.raw_block(Vec::new(), JEQ, NONE);
            let ah_add = if v6 {
                Vec::new()
            } else {
                vec![self.st(op::ALU | op::ADD | op::K, 0)]
            };
            let is_ah = self.g.raw_block(ah_add, JEQ, ipproto::AH);
            // AH: next header at [x], length at [x + 1].
            let mut s = Vec::new();
            if v6 {
                s.push(self.st(op::MISC | op::TXA, 0));
            }
            s.extend([
                self.st(op::LD | op::IND | op::B, off),
                self.st(op::ST, reg),
                self.st(op::MISC | op::TXA, 0),
                self.st(op::ALU | op::ADD | op::K, 1),
                self.st(op::MISC | op::TAX, 0),
                self.st(op::LD | op::IND | op::B, off),
                self.st(op::ALU | op::ADD | op::K, 2),
                self.st(op::ALU | op::MUL | op::K, 4),
                self.st(op::MISC | op::TAX, 0),
                self.st(op::LD | op::MEM, reg),
            ]);
            let ah_walk = self.g.raw_block(s, op::JMP | op::JA, 0);
            self.g.edges(ah_walk, next, next);
            self.g.edges(is_ah, ah_walk, found);
            self.g.edges(is_v, found, is_none);
            if v6 {
                let s = vec![
                    self.st(op::LD | op::IND | op::B, off),
                    self.st(op::ST, reg),
                    self.st(op::LD | op::IND | op::B, off.wrapping_add(1)),
                    self.st(op::ALU | op::ADD | op::K, 1),
                    self.st(op::ALU | op::MUL | op::K, 8),
                    self.st(op::ALU | op::ADD | op::X, 0),
                    self.st(op::MISC | op::TAX, 0),
                    self.st(op::LD | op::MEM, reg),
                ];
                let ext_walk = self.g.raw_block(s, op::JMP | op::JA, 0);
                self.g.edges(ext_walk, next, next);
                let frag = self.g.raw_block(Vec::new(), JEQ, ipproto::FRAGMENT);
                self.g.edges(frag, ext_walk, is_ah);
                let rt = self.g.raw_block(Vec::new(), JEQ, ROUTING);
                self.g.edges(rt, ext_walk, frag);
                let dst = self.g.raw_block(Vec::new(), JEQ, DSTOPTS);
                self.g.edges(dst, ext_walk, rt);
                let hop = self.g.raw_block(Vec::new(), JEQ, HOPOPTS);
                self.g.edges(hop, ext_walk, dst);
                self.g.edges(is_none, found, hop);
            } else {
                self.g.edges(is_none, found, is_ah);
            }
            next = is_v;
        }
        self.free_reg(reg);
        Ok(Expr {
            head: next,
            t: vec![(found, true)],
            f: vec![(found, false)],
        })
    }
}
