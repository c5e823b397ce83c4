//! Arithmetic expressions and relations: `proto[expr:size]`, `len`,
//! constants, `+ - * / % & | ^ << >>`, and `= != < <= > >=` between them.
//! Every value lives in a scratch register, as libpcap does it.

use super::block::Expr;
use super::codegen::{Arth, Gen, R};
use super::qual::Proto;
use crate::bpf::op;

impl Gen {
    pub fn loadi(&mut self, val: u32) -> R<Arth> {
        let reg = self.alloc_reg()?;
        let s = vec![self.st(op::LD | op::IMM, val), self.st(op::ST, reg)];
        Ok(Arth {
            s,
            regno: reg,
            b: None,
        })
    }

    pub fn loadlen(&mut self) -> R<Arth> {
        let reg = self.alloc_reg()?;
        let s = vec![self.st(op::LD | op::W | op::LEN, 0), self.st(op::ST, reg)];
        Ok(Arth {
            s,
            regno: reg,
            b: None,
        })
    }

    fn xfer_to_x(&mut self, a: &Arth) -> super::block::Stmt {
        self.st(op::LDX | op::MEM, a.regno)
    }

    fn xfer_to_a(&mut self, a: &Arth) -> super::block::Stmt {
        self.st(op::LD | op::MEM, a.regno)
    }

    /// X = variable part of an offset + index, or just the index.
    fn index_into_x(
        &mut self,
        var: Option<super::block::Stmt>,
        inst: &Arth,
    ) -> Vec<super::block::Stmt> {
        match var {
            Some(x) => vec![
                x,
                self.xfer_to_a(inst),
                self.st(op::ALU | op::ADD | op::X, 0),
                self.st(op::MISC | op::TAX, 0),
            ],
            None => vec![self.xfer_to_x(inst)],
        }
    }

    /// `proto[inst : size]` (libpcap's gen_load).
    pub fn load(&mut self, proto: Proto, mut inst: Arth, size: u32) -> R<Arth> {
        // libpcap's order: the result's register is allocated before the
        // index's is freed (so they differ), whatever the code below does.
        let regno = self.alloc_reg()?;
        self.free_reg(inst.regno);
        let size = match size {
            1 => op::B,
            2 => op::H,
            4 => op::W,
            _ => return Err("data size must be 1, 2, or 4".into()),
        };
        match proto {
            Proto::Link => {
                let var = self.linkhdr_varpart()?;
                let mut s = self.index_into_x(var, &inst);
                let k = self.off_linkhdr.constant;
                s.push(self.st(op::LD | op::IND | size, k));
                inst.s.extend(s);
            }
            Proto::Ip
            | Proto::Arp
            | Proto::Rarp
            | Proto::Atalk
            | Proto::Decnet
            | Proto::Sca
            | Proto::Lat
            | Proto::Moprc
            | Proto::Mopdl
            | Proto::Ip6 => {
                let var = self.linkpl_varpart()?;
                let mut s = self.index_into_x(var, &inst);
                let k = self.off_linkpl.constant.wrapping_add(self.off_nl);
                s.push(self.st(op::LD | op::IND | size, k));
                inst.s.extend(s);
                let b = self.proto_abbrev(proto)?;
                inst.b = Some(match inst.b.take() {
                    Some(ib) => self.and(ib, b),
                    None => b,
                });
            }
            Proto::Sctp
            | Proto::Tcp
            | Proto::Udp
            | Proto::Icmp
            | Proto::Igmp
            | Proto::Igrp
            | Proto::Pim
            | Proto::Vrrp
            | Proto::Carp => {
                let mut s = self.loadx_iphdrlen()?;
                s.push(self.xfer_to_a(&inst));
                s.push(self.st(op::ALU | op::ADD | op::X, 0));
                s.push(self.st(op::MISC | op::TAX, 0));
                let k = self.off_linkpl.constant.wrapping_add(self.off_nl);
                s.push(self.st(op::LD | op::IND | size, k));
                inst.s.extend(s);
                let p = self.proto_abbrev(proto)?;
                let f = self.ipfrag()?;
                let mut b = self.and(p, f);
                if let Some(ib) = inst.b.take() {
                    b = self.and(ib, b);
                }
                let ip = self.proto_abbrev(Proto::Ip)?;
                inst.b = Some(self.and(ip, b));
            }
            Proto::Icmp6 => {
                let b = self.proto_abbrev(Proto::Ip6)?;
                let b = match inst.b.take() {
                    Some(ib) => self.and(ib, b),
                    None => b,
                };
                let nh = self.cmp(super::codegen::OffRel::LinkPl, 6, op::B, 58)?;
                inst.b = Some(self.and(b, nh));
                let var = self.linkpl_varpart()?;
                let mut s = self.index_into_x(var, &inst);
                let k = self
                    .off_linkpl
                    .constant
                    .wrapping_add(self.off_nl)
                    .wrapping_add(40);
                s.push(self.st(op::LD | op::IND | size, k));
                inst.s.extend(s);
            }
            other => {
                return Err(format!(
                    "'{}' does not support the index operation",
                    other.name()
                ));
            }
        }
        inst.regno = regno;
        let st = self.st(op::ST, inst.regno);
        inst.s.push(st);
        Ok(inst)
    }

    /// `a0 op a1` (libpcap's gen_arth).
    pub fn arth(&mut self, code: u16, mut a0: Arth, a1: Arth) -> R<Arth> {
        let is_const_zero = |a: &Arth| {
            a.s.first()
                .is_some_and(|s| s.code == op::LD | op::IMM && s.k == 0)
        };
        if code == op::DIV && is_const_zero(&a1) {
            // (libpcap looks only at the right operand's first statement.)
            return Err("division by zero".into());
        }
        if code == op::MOD && is_const_zero(&a1) {
            return Err("modulus by zero".into());
        }
        let shift_too_far =
            a1.s.first()
                .is_some_and(|s| s.code == op::LD | op::IMM && s.k > 31);
        if (code == op::LSH || code == op::RSH) && shift_too_far {
            return Err("shift by more than 31 bits".into());
        }
        let s0 = self.xfer_to_x(&a1);
        let s1 = self.xfer_to_a(&a0);
        let s2 = self.st(op::ALU | op::X | code, 0);
        a0.s.extend(a1.s);
        a0.s.extend([s0, s1, s2]);
        // libpcap 1.10 keeps only the left operand's protocol checks here
        // (`ip[0] + tcp[0]` does not check for TCP); kept for identical
        // verdicts.
        self.free_reg(a0.regno);
        self.free_reg(a1.regno);
        a0.regno = self.alloc_reg()?;
        let st = self.st(op::ST, a0.regno);
        a0.s.push(st);
        Ok(a0)
    }

    pub fn neg(&mut self, mut a: Arth) -> R<Arth> {
        let s = self.xfer_to_a(&a);
        a.s.push(s);
        a.s.push(self.st(op::ALU | op::NEG, 0));
        a.s.push(self.st(op::ST, a.regno));
        Ok(a)
    }

    /// `a0 rel a1`; `reversed` for `!=`, `<`, `<=` (libpcap's gen_relation).
    pub fn relation(&mut self, code: u16, mut a0: Arth, a1: Arth, reversed: bool) -> R<Expr> {
        let s0 = self.xfer_to_x(&a1);
        let s1 = self.xfer_to_a(&a0);
        let b = if code == op::JEQ {
            let s2 = self.st(op::ALU | op::SUB | op::X, 0);
            a0.s.extend(a1.s);
            a0.s.extend([s0, s1, s2]);
            self.blk(std::mem::take(&mut a0.s), op::JMP | op::JEQ | op::K, 0)
        } else {
            a0.s.extend(a1.s);
            a0.s.extend([s0, s1]);
            self.blk(std::mem::take(&mut a0.s), op::JMP | code | op::X, 0)
        };
        let b = if reversed { Gen::not(b) } else { b };
        self.free_reg(a0.regno);
        self.free_reg(a1.regno);
        let tmp = match (a0.b, a1.b) {
            (Some(x), Some(y)) => Some(self.and(x, y)),
            (x, None) => x,
            (None, y) => y,
        };
        Ok(match tmp {
            Some(t) => self.and(t, b),
            None => b,
        })
    }
}
