//! Recursive-descent parser for libpcap's grammar (grammar.y), generating
//! code as it goes, in the order libpcap's yacc actions run (that order
//! decides scratch-register numbers and where `vlan`/`mpls`/`vxlan`
//! start shifting offsets).
//!
//! Quirks kept on purpose: `and`/`or` have equal precedence and group
//! left to right; a bare value after `and`/`or` inherits the previous
//! primitive's qualifiers (`tcp port 80 or 443`); `^` binds as libpcap's
//! undeclared-precedence token does (its right operand extends to the end
//! of the arithmetic expression), and so does `%`.

use super::block::Expr;
use super::codegen::{Arth, Gen, JGE, JGT};
use super::lexer::{Tok, Token};
use super::qual::{Addr, Dir, Proto, Qual};
use crate::bpf::op;

/// A parse or code-generation error with the byte offset it concerns.
pub type PErr = (String, usize);
type P<T> = Result<T, PErr>;

pub struct Parser<'a> {
    toks: &'a [Token],
    pos: usize,
    pub cg: Gen,
    depth: usize,
}

/// Nesting limit, so hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 200;

/// A primitive's value plus the qualifiers a following bare id inherits.
struct Val {
    b: Expr,
    q: Qual,
}

impl<'a> Parser<'a> {
    pub fn new(toks: &'a [Token], cg: Gen) -> Self {
        Parser {
            toks,
            pos: 0,
            cg,
            depth: 0,
        }
    }

    fn peek(&self) -> &Tok {
        self.peek_at(0)
    }

    fn peek_at(&self, n: usize) -> &Tok {
        let i = (self.pos + n).min(self.toks.len().saturating_sub(1));
        self.toks.get(i).map(|t| &t.tok).unwrap_or(&Tok::End)
    }

    fn at(&self) -> usize {
        let i = self.pos.min(self.toks.len().saturating_sub(1));
        self.toks.get(i).map(|t| t.at).unwrap_or(0)
    }

    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.pos < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn syntax<T>(&self, expected: &str) -> P<T> {
        let found = match self.peek() {
            Tok::End => "end of expression".to_string(),
            _ => {
                let i = self.pos.min(self.toks.len().saturating_sub(1));
                match self.toks.get(i) {
                    Some(t) => format!("'{}'", describe(&t.tok)),
                    None => "end of expression".into(),
                }
            }
        };
        Err((
            format!("syntax error: expected {expected}, found {found}"),
            self.at(),
        ))
    }

    fn enter(&mut self) -> P<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(("expression nested too deeply".into(), self.at()));
        }
        Ok(())
    }

    /// prog: null | expr
    pub fn parse_prog(&mut self) -> P<Option<Expr>> {
        if *self.peek() == Tok::End {
            return Ok(None);
        }
        let v = self.expr(Qual::ERR)?;
        if *self.peek() != Tok::End {
            return self.syntax("'and', 'or' or end of expression");
        }
        Ok(Some(v.b))
    }

    /// `inherited`: the qualifiers a parenthesized first term takes (those
    /// of the expression before its `(`; see [`Parser::rterm`]).
    fn expr(&mut self, inherited: Qual) -> P<Val> {
        self.enter()?;
        let mut left = self.term(inherited)?;
        loop {
            let is_and = match self.peek() {
                Tok::And => true,
                Tok::Or => false,
                _ => break,
            };
            self.bump();
            if *self.peek() == Tok::End {
                return self.syntax(if is_and {
                    "a primitive after 'and'"
                } else {
                    "a primitive after 'or'"
                });
            }
            let right = if self.id_starts_here() {
                let q = left.q;
                self.id(q)?
            } else {
                let q = left.q;
                self.term(q)?
            };
            let b = if is_and {
                self.cg.and(left.b, right.b)
            } else {
                self.cg.or(left.b, right.b)
            };
            left = Val { b, q: right.q };
        }
        self.depth -= 1;
        Ok(left)
    }

    /// Whether the tokens here form libpcap's `id` (a bare value that
    /// inherits qualifiers) rather than a `term`.
    fn id_starts_here(&self) -> bool {
        let mut n = 0;
        while matches!(self.peek_at(n), Tok::Not | Tok::LParen) {
            n += 1;
        }
        match self.peek_at(n) {
            Tok::Id(_) | Tok::Hid(_) | Tok::Hid6(_) | Tok::Eid(_) => true,
            Tok::Num(_) => {
                // `((4)) == 0` is arithmetic: yacc decides after the
                // closing parentheses.
                let mut m = n + 1;
                while *self.peek_at(m) == Tok::RParen {
                    m += 1;
                }
                !is_arith_follow(self.peek_at(m))
            }
            _ => false,
        }
    }

    fn term(&mut self, inherited: Qual) -> P<Val> {
        self.enter()?;
        let v = if *self.peek() == Tok::Not {
            self.bump();
            let v = self.term(inherited)?;
            Val {
                b: Gen::not(v.b),
                q: v.q,
            }
        } else {
            self.rterm(inherited)?
        };
        self.depth -= 1;
        Ok(v)
    }

    /// After `(` at `self.pos`: is the parenthesised thing arithmetic?
    fn paren_is_arith(&self) -> bool {
        let mut depth = 0usize;
        let mut n = 0;
        loop {
            match self.peek_at(n) {
                Tok::LParen => depth += 1,
                Tok::RParen => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return is_arith_follow(self.peek_at(n + 1))
                            || is_relop(self.peek_at(n + 1));
                    }
                }
                Tok::End => return false,
                _ => {}
            }
            n += 1;
        }
    }

    fn rterm(&mut self, inherited: Qual) -> P<Val> {
        let at = self.at();
        match self.peek().clone() {
            Tok::LParen if !self.paren_is_arith() => {
                self.bump();
                let v = self.expr(inherited)?;
                if *self.peek() != Tok::RParen {
                    return self.syntax("')'");
                }
                self.bump();
                // grammar.y's `paren expr ')'` takes the qualifiers on the
                // stack before the `(`: those of the expression left of the
                // `and`/`or` (`port 22 or (tcp) or 80` is port 80), none at
                // the start.
                Ok(Val {
                    b: v.b,
                    q: inherited,
                })
            }
            Tok::Proto(p) => match self.peek_at(1).clone() {
                Tok::Dir(_) | Tok::Addr(_) => {
                    self.bump();
                    self.head_id(p)
                }
                Tok::LBracket => self.relation(),
                Tok::Broadcast => {
                    self.pos += 2;
                    let b = g(self.cg.broadcast(p), at)?;
                    Ok(Val { b, q: Qual::ERR })
                }
                Tok::Multicast => {
                    self.pos += 2;
                    let b = g(self.cg.multicast(p), at)?;
                    Ok(Val { b, q: Qual::ERR })
                }
                _ => {
                    self.bump();
                    let b = g(self.cg.proto_abbrev(p), at)?;
                    Ok(Val { b, q: Qual::ERR })
                }
            },
            Tok::Dir(_) | Tok::Addr(_) => self.head_id(Proto::Default),
            Tok::Broadcast => {
                self.bump();
                let b = g(self.cg.broadcast(Proto::Default), at)?;
                Ok(Val { b, q: Qual::ERR })
            }
            Tok::Multicast => {
                self.bump();
                let b = g(self.cg.multicast(Proto::Default), at)?;
                Ok(Val { b, q: Qual::ERR })
            }
            Tok::Less | Tok::Greater => {
                let less = *self.peek() == Tok::Less;
                self.bump();
                let Tok::Num(n) = self.peek().clone() else {
                    return self.syntax("a number after 'less'/'greater'");
                };
                self.bump();
                let b = if less {
                    let b = self.cg.len(JGT, n);
                    Gen::not(b)
                } else {
                    self.cg.len(JGE, n)
                };
                Ok(Val { b, q: Qual::ERR })
            }
            Tok::Inbound | Tok::Outbound => {
                let out = *self.peek() == Tok::Outbound;
                self.bump();
                let b = g(self.cg.inbound(out), at)?;
                Ok(Val { b, q: Qual::ERR })
            }
            Tok::Ifindex => {
                self.bump();
                let Tok::Num(n) = self.peek().clone() else {
                    return self.syntax("an interface index after 'ifindex'");
                };
                self.bump();
                let b = g(self.cg.ifindex(n), at)?;
                Ok(Val { b, q: Qual::ERR })
            }
            Tok::Llc => {
                self.bump();
                let kind = match self.peek().clone() {
                    Tok::Id(name) => {
                        self.bump();
                        Some(name)
                    }
                    _ => None,
                };
                let b = g(self.cg.llc(kind.as_deref()), at)?;
                Ok(Val { b, q: Qual::ERR })
            }
            Tok::Byte => {
                // `byte N op N` (libpcap's CBYTE NUM byteop NUM).
                self.bump();
                let Tok::Num(idx) = self.peek().clone() else {
                    return self.syntax("a byte offset after 'byte'");
                };
                self.bump();
                let opc = match self.peek() {
                    Tok::Eq => '=',
                    Tok::Lt => '<',
                    Tok::Gt => '>',
                    Tok::Amp => '&',
                    Tok::Pipe => '|',
                    _ => return self.syntax("'=', '<', '>', '&' or '|' after 'byte N'"),
                };
                self.bump();
                let Tok::Num(v) = self.peek().clone() else {
                    return self.syntax("a number after 'byte N op'");
                };
                self.bump();
                let b = g(self.cg.byteop(opc, idx, v), at)?;
                Ok(Val { b, q: Qual::ERR })
            }
            Tok::Pppoed => {
                self.bump();
                let b = g(self.cg.pppoed(), at)?;
                Ok(Val { b, q: Qual::ERR })
            }
            Tok::Vlan | Tok::Mpls | Tok::Geneve | Tok::Vxlan | Tok::Pppoes => {
                let kw = self.bump();
                let n = self.opt_pnum()?;
                let r = match kw {
                    Tok::Vlan => self.cg.vlan(n),
                    Tok::Mpls => self.cg.mpls(n),
                    Tok::Geneve => self.cg.tunnel(true, n),
                    Tok::Pppoes => self.cg.pppoes(n),
                    _ => self.cg.tunnel(false, n),
                };
                let b = g(r, at)?;
                Ok(Val { b, q: Qual::ERR })
            }
            Tok::Unsupported(what) => Err((
                format!("'{what}' primitives are not supported by podcap's compiler"),
                at,
            )),
            Tok::Num(_) | Tok::Len | Tok::Minus | Tok::LParen => self.relation(),
            Tok::End => self.syntax("a primitive"),
            _ => self.syntax("a primitive such as 'host', 'net', 'port', 'tcp' or '('"),
        }
    }

    /// `vlan 100`, `vlan (100)`, or nothing.
    fn opt_pnum(&mut self) -> P<Option<u32>> {
        match self.peek() {
            Tok::Num(n) => {
                let n = *n;
                self.bump();
                Ok(Some(n))
            }
            Tok::LParen if self.pnum_in_parens() => Ok(Some(self.pnum()?)),
            _ => Ok(None),
        }
    }

    fn pnum_in_parens(&self) -> bool {
        let mut n = 0;
        while *self.peek_at(n) == Tok::LParen {
            n += 1;
        }
        matches!(self.peek_at(n), Tok::Num(_)) && *self.peek_at(n + 1) == Tok::RParen
    }

    fn pnum(&mut self) -> P<u32> {
        match self.bump() {
            Tok::Num(n) => Ok(n),
            Tok::LParen => {
                let n = self.pnum()?;
                if self.bump() != Tok::RParen {
                    self.pos -= 1;
                    return self.syntax("')'");
                }
                Ok(n)
            }
            _ => {
                self.pos -= 1;
                self.syntax("a number")
            }
        }
    }

    /// head id: `[proto] [dir] [addr] value`.
    fn head_id(&mut self, proto: Proto) -> P<Val> {
        let mut dir = Dir::Default;
        if let Tok::Dir(d) = self.peek().clone() {
            self.bump();
            dir = d;
            // `src or dst`, `dst and src`, ...
            if let (Tok::Or | Tok::And, Tok::Dir(d2)) =
                (self.peek().clone(), self.peek_at(1).clone())
            {
                if d2 != d {
                    dir = if *self.peek() == Tok::Or {
                        Dir::Or
                    } else {
                        Dir::And
                    };
                    self.pos += 2;
                }
            }
        }
        let mut addr = Addr::Default;
        if let Tok::Addr(a) = self.peek().clone() {
            if dir != Dir::Default && matches!(a, Addr::Proto | Addr::ProtoChain | Addr::Gateway) {
                return self.syntax("'host', 'net', 'port' or 'portrange' after a direction");
            }
            self.bump();
            addr = a;
        }
        if *self.peek() == Tok::End {
            return self.syntax("an address, number or name");
        }
        self.id(Qual { proto, dir, addr })
    }

    /// libpcap's `id`: a value under inherited qualifiers.
    fn id(&mut self, q: Qual) -> P<Val> {
        self.enter()?;
        let at = self.at();
        let r = match self.peek().clone() {
            Tok::Not => {
                self.bump();
                let v = self.id(q)?;
                Val {
                    b: Gen::not(v.b),
                    q,
                }
            }
            Tok::LParen => {
                if self.pnum_in_parens() {
                    let n = self.pnum()?;
                    let b = g(self.cg.ncode(None, n, q), at)?;
                    Val { b, q }
                } else {
                    self.bump();
                    let mut left = self.id(q)?;
                    loop {
                        let is_and = match self.peek() {
                            Tok::And => true,
                            Tok::Or => false,
                            Tok::RParen => break,
                            _ => return self.syntax("'and', 'or' or ')'"),
                        };
                        self.bump();
                        let right = self.id(q)?;
                        let b = if is_and {
                            self.cg.and(left.b, right.b)
                        } else {
                            self.cg.or(left.b, right.b)
                        };
                        left = Val { b, q };
                    }
                    self.bump();
                    left
                }
            }
            Tok::Num(n) => {
                self.bump();
                let b = g(self.cg.ncode(None, n, q), at)?;
                Val { b, q }
            }
            Tok::Id(name) => {
                self.bump();
                let b = g(self.cg.scode(&name, q), at)?;
                Val { b, q }
            }
            Tok::Hid(s) => {
                self.bump();
                let b = match self.peek().clone() {
                    Tok::Slash => {
                        self.bump();
                        let Tok::Num(len) = self.peek().clone() else {
                            return self.syntax("a prefix length after '/'");
                        };
                        self.bump();
                        g(self.cg.mcode(&s, None, len, q), at)?
                    }
                    Tok::Mask => {
                        self.bump();
                        let Tok::Hid(m) = self.peek().clone() else {
                            return self.syntax("a dotted netmask after 'mask'");
                        };
                        self.bump();
                        g(self.cg.mcode(&s, Some(&m), 0, q), at)?
                    }
                    _ => g(self.cg.ncode(Some(&s), 0, q), at)?,
                };
                Val { b, q }
            }
            Tok::Hid6(s) => {
                self.bump();
                let len = if *self.peek() == Tok::Slash {
                    self.bump();
                    let Tok::Num(len) = self.peek().clone() else {
                        return self.syntax("a prefix length after '/'");
                    };
                    self.bump();
                    Some(len)
                } else {
                    None
                };
                let b = g(self.cg.mcode6(&s, len, q), at)?;
                Val { b, q }
            }
            Tok::Eid(mac) => {
                self.bump();
                let b = g(self.cg.ether_host(&mac, q.proto, q.dir, q.addr), at)?;
                Val { b, q }
            }
            _ => return self.syntax("an address, number or name"),
        };
        self.depth -= 1;
        Ok(r)
    }

    // ---- arithmetic ----------------------------------------------------

    fn relation(&mut self) -> P<Val> {
        let a0 = self.arth(0)?;
        let at = self.at();
        let (code, rev) = match self.peek() {
            Tok::Gt => (op::JGT, false),
            Tok::Ge => (op::JGE, false),
            Tok::Eq => (op::JEQ, false),
            Tok::Le => (op::JGT, true),
            Tok::Lt => (op::JGE, true),
            Tok::Ne => (op::JEQ, true),
            _ => return self.syntax("a comparison ('=', '!=', '<', '<=', '>', '>=')"),
        };
        self.bump();
        let a1 = self.arth(0)?;
        let b = g(self.cg.relation(code, a0, a1, rev), at)?;
        Ok(Val { b, q: Qual::ERR })
    }

    fn arth(&mut self, min_prec: u8) -> P<Arth> {
        self.enter()?;
        let mut lhs = self.arth_unary()?;
        loop {
            let at = self.at();
            let (prec, code) = match self.peek() {
                Tok::Pipe => (1, op::OR),
                Tok::Amp => (2, op::AND),
                Tok::Lsh => (3, op::LSH),
                Tok::Rsh => (3, op::RSH),
                Tok::Plus => (4, op::ADD),
                Tok::Minus => (4, op::SUB),
                Tok::Star => (5, op::MUL),
                Tok::Slash => (5, op::DIV),
                // libpcap 1.10's grammar gives '%' and '^' no precedence,
                // so yacc always shifts them: each takes the nearest left
                // operand and everything to its right.
                Tok::Percent => (u8::MAX, op::MOD),
                Tok::Caret => (u8::MAX, op::XOR),
                _ => break,
            };
            if prec < min_prec {
                break;
            }
            self.bump();
            let rhs = if prec == u8::MAX {
                self.arth(0)?
            } else {
                self.arth(prec + 1)?
            };
            lhs = g(self.cg.arth(code, lhs, rhs), at)?;
        }
        self.depth -= 1;
        Ok(lhs)
    }

    fn arth_unary(&mut self) -> P<Arth> {
        let at = self.at();
        match self.peek().clone() {
            Tok::Minus => {
                self.bump();
                let a = self.arth(6)?;
                g(self.cg.neg(a), at)
            }
            Tok::Num(n) => {
                self.bump();
                g(self.cg.loadi(n), at)
            }
            Tok::Len => {
                self.bump();
                g(self.cg.loadlen(), at)
            }
            Tok::LParen => {
                self.bump();
                let a = self.arth(0)?;
                if *self.peek() != Tok::RParen {
                    return self.syntax("')'");
                }
                self.bump();
                Ok(a)
            }
            Tok::Proto(p) if *self.peek_at(1) == Tok::LBracket => {
                self.pos += 2;
                let idx = self.arth(0)?;
                let size = match self.peek() {
                    Tok::Colon => {
                        self.bump();
                        let Tok::Num(n) = self.peek().clone() else {
                            return self.syntax("a size (1, 2 or 4) after ':'");
                        };
                        self.bump();
                        n
                    }
                    _ => 1,
                };
                if *self.peek() != Tok::RBracket {
                    return self.syntax("']'");
                }
                self.bump();
                g(self.cg.load(p, idx, size), at)
            }
            _ => self.syntax("a number, 'len' or 'proto[offset]'"),
        }
    }
}

fn g<T>(r: Result<T, String>, at: usize) -> P<T> {
    r.map_err(|m| (m, at))
}

fn is_relop(t: &Tok) -> bool {
    matches!(t, Tok::Gt | Tok::Ge | Tok::Eq | Tok::Le | Tok::Lt | Tok::Ne)
}

fn is_arith_follow(t: &Tok) -> bool {
    is_relop(t)
        || matches!(
            t,
            Tok::Plus
                | Tok::Minus
                | Tok::Star
                | Tok::Slash
                | Tok::Percent
                | Tok::Amp
                | Tok::Pipe
                | Tok::Caret
                | Tok::Lsh
                | Tok::Rsh
        )
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Num(n) => n.to_string(),
        Tok::Hid(s) | Tok::Hid6(s) | Tok::Id(s) => s.clone(),
        Tok::Eid(m) => m
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":"),
        Tok::Proto(p) => p.name().to_string(),
        Tok::Addr(a) => a.name().to_string(),
        Tok::Dir(Dir::Src) => "src".into(),
        Tok::Dir(_) => "dst".into(),
        Tok::And => "and".into(),
        Tok::Or => "or".into(),
        Tok::Not => "not".into(),
        Tok::LParen => "(".into(),
        Tok::RParen => ")".into(),
        other => format!("{other:?}").to_ascii_lowercase(),
    }
}
