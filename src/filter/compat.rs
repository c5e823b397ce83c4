//! Expressions libpcap 1.10 refuses only when it optimizes, found on the
//! unoptimized program so that podcap refuses the same ones with the same
//! message:
//!
//! - its optimizer stops with an error where constant folding meets a
//!   division by zero or a shift by more than 31 bits (`ip[0] / (1 - 1) =
//!   0`, `ip[0] << (30 + 2) = 0`); podcap's optimizer has no such errors;
//! - "expression rejects all packets" where its optimizer reduces the
//!   program to `ret #0`; podcap's optimizer proves that of more
//!   expressions (value ranges), and compiles those as libpcap does.
//!
//! Both follow values as libpcap's value numbering does: constants through
//! A, X and M[], equal loads equal, tests already taken on the path.

use crate::bpf::{Insn, MEMWORDS, op};

#[derive(Clone, Copy, PartialEq, Eq)]
struct Consts {
    a: Option<u32>,
    x: Option<u32>,
    m: [Option<u32>; MEMWORDS],
}

impl Consts {
    fn meet(&mut self, o: &Consts) {
        let keep = |s: &mut Option<u32>, o: Option<u32>| {
            if *s != o {
                *s = None;
            }
        };
        keep(&mut self.a, o.a);
        keep(&mut self.x, o.x);
        for (s, o) in self.m.iter_mut().zip(o.m) {
            keep(s, o);
        }
    }
}

fn fold(aop: u16, a: u32, b: u32) -> Option<u32> {
    Some(match aop {
        op::ADD => a.wrapping_add(b),
        op::SUB => a.wrapping_sub(b),
        op::MUL => a.wrapping_mul(b),
        op::DIV => a.checked_div(b)?,
        op::MOD => a.checked_rem(b)?,
        op::AND => a & b,
        op::OR => a | b,
        op::XOR => a ^ b,
        // libpcap's fold_op shifts every bit out (no error) when both
        // operands are constants.
        op::LSH => a.checked_shl(b).unwrap_or(0),
        op::RSH => a.checked_shr(b).unwrap_or(0),
        _ => return None,
    })
}

/// libpcap's message, if its optimizer refuses `prog`.
pub fn optimizer_refusal(prog: &[Insn]) -> Option<&'static str> {
    let n = prog.len();
    let mut at: Vec<Option<Consts>> = vec![None; n + 1];
    if n == 0 {
        return None;
    }
    at[0] = Some(Consts {
        a: None,
        x: None,
        m: [None; MEMWORDS],
    });
    for (pc, insn) in prog.iter().enumerate() {
        let Some(mut c) = at[pc] else { continue };
        let k = insn.k;
        let mem = |k: u32| (k as usize) % MEMWORDS;
        let class = op::class(insn.code);
        match class {
            op::LD => {
                c.a = match op::mode(insn.code) {
                    op::IMM => Some(k),
                    op::MEM => c.m[mem(k)],
                    _ => None,
                }
            }
            op::LDX => {
                c.x = match op::mode(insn.code) {
                    op::IMM => Some(k),
                    op::MEM => c.m[mem(k)],
                    _ => None,
                }
            }
            op::ST => c.m[mem(k)] = c.a,
            op::STX => c.m[mem(k)] = c.x,
            op::MISC => {
                if op::miscop(insn.code) == op::TXA {
                    c.a = c.x;
                } else {
                    c.x = c.a;
                }
            }
            op::ALU => {
                let aop = op::alu_op(insn.code);
                if aop == op::NEG {
                    c.a = c.a.map(u32::wrapping_neg);
                } else {
                    let rhs = if op::src(insn.code) == op::X {
                        c.x
                    } else {
                        Some(k)
                    };
                    match (c.a, rhs) {
                        (Some(a), Some(b)) => {
                            if b == 0 && aop == op::DIV {
                                return Some("division by zero");
                            }
                            if b == 0 && aop == op::MOD {
                                return Some("modulus by zero");
                            }
                            c.a = fold(aop, a, b);
                        }
                        (None, Some(b)) => {
                            if b == 0 && aop == op::DIV {
                                return Some("division by zero");
                            }
                            if b == 0 && aop == op::MOD {
                                return Some("modulus by zero");
                            }
                            if b > 31 && matches!(aop, op::LSH | op::RSH) {
                                return Some("shift by more than 31 bits");
                            }
                            c.a = None;
                        }
                        _ => c.a = None,
                    }
                }
            }
            _ => {}
        }
        let mut flow = |to: usize| {
            if let Some(slot) = at.get_mut(to) {
                match slot {
                    Some(s) => s.meet(&c),
                    None => *slot = Some(c),
                }
            }
        };
        match class {
            op::RET => {}
            op::JMP if op::alu_op(insn.code) == op::JA => flow(pc + 1 + k as usize),
            op::JMP => {
                flow(pc + 1 + usize::from(insn.jt));
                flow(pc + 1 + usize::from(insn.jf));
            }
            _ => flow(pc + 1),
        }
    }
    None
}

/// A value as libpcap's value numbering sees it: equal computations are
/// equal values, constants fold, nothing else is known about a value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Val {
    Const(u32),
    /// Interned: a load, or an operation on values.
    Node(u32),
    /// Nothing known (scratch memory never written).
    Unknown(u32),
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
enum Node {
    Abs(u16, u32),
    Ind(u16, Val, u32),
    Msh(u32),
    Len,
    Anc(u32),
    Alu(u16, Val, Val),
    Neg(Val),
}

/// One path's knowledge: register values and the tests taken so far,
/// `(A, code, operand, outcome)`.
#[derive(Clone, PartialEq, Eq, Hash)]
struct PathState {
    regs: [Val; 2 + MEMWORDS],
    tests: Vec<(Val, u16, Val, bool)>,
}

#[derive(Default)]
struct Numbering {
    ids: std::collections::HashMap<Node, u32>,
    nodes: Vec<Node>,
}

impl Numbering {
    fn node(&mut self, n: Node) -> Val {
        if let Some(&id) = self.ids.get(&n) {
            return Val::Node(id);
        }
        let id = self.nodes.len() as u32;
        self.nodes.push(n.clone());
        self.ids.insert(n, id);
        Val::Node(id)
    }

    /// libpcap's opt_peep on a test of `A - k` or `A & k` against 0: the
    /// test on A itself (`jeq #k`, `jeq x`, `jset #k`), so that repeated
    /// tests are recognised. The flag says the targets swap.
    fn peephole(&self, a: Val, code: u16, rhs: Val) -> (Val, u16, Val, bool) {
        use crate::bpf::code::*;
        let Val::Node(id) = a else {
            return (a, code, rhs, false);
        };
        let Some(&Node::Alu(aop, v, w)) = self.nodes.get(id as usize) else {
            return (a, code, rhs, false);
        };
        match (aop, w, code, rhs) {
            (op::SUB, Val::Const(k), JEQ_K, Val::Const(0)) => (v, JEQ_K, Val::Const(k), false),
            (op::SUB, w, JEQ_K, Val::Const(0)) => (v, JEQ_X, w, false),
            (op::AND, Val::Const(k), JEQ_K, Val::Const(0)) => (v, JSET_K, Val::Const(k), true),
            (op::AND, Val::Const(k), JGT_K, Val::Const(0)) => (v, JSET_K, Val::Const(k), false),
            _ => (a, code, rhs, false),
        }
    }

    /// `a OP b` as libpcap's opt_stmt leaves it after one pass: constants
    /// fold; `op #0` is a no-op, or 0 for `and`/`mul`; an operation on a
    /// constant 0 in A is X or 0. An `op x` with a constant X only becomes
    /// `op #k` there, so it is not simplified further.
    fn alu(&mut self, aop: u16, a: Val, b: Val, x_form: bool) -> Val {
        match (a, b) {
            (Val::Const(x), Val::Const(y)) => {
                if let Some(c) = fold(aop, x, y) {
                    return Val::Const(c);
                }
            }
            (_, Val::Const(0)) if !x_form => match aop {
                op::ADD | op::LSH | op::RSH | op::OR | op::XOR => return a,
                op::MUL | op::AND => return Val::Const(0),
                _ => {}
            },
            (Val::Const(0), _) if x_form => match aop {
                op::ADD | op::OR | op::XOR => return b,
                op::MUL | op::DIV | op::MOD | op::AND | op::LSH | op::RSH => {
                    return Val::Const(0);
                }
                _ => {}
            },
            _ => {}
        }
        self.node(Node::Alu(aop, a, b))
    }
}

/// The outcome of `A code rhs`, if libpcap's optimizer would know it on
/// this path: both operands constant, the same test taken before (its
/// `fold_edge`), or a `jeq` on a value an earlier `jeq` proved equal to
/// another constant.
fn decided(st: &PathState, a: Val, code: u16, rhs: Val) -> Option<bool> {
    if let (Val::Const(x), Val::Const(y)) = (a, rhs) {
        return Some(match op::alu_op(code) {
            op::JEQ => x == y,
            op::JGT => x > y,
            op::JGE => x >= y,
            _ => x & y != 0,
        });
    }
    for &(ta, tc, tr, outcome) in &st.tests {
        if ta != a || tc != code {
            continue;
        }
        if tr == rhs {
            return Some(outcome);
        }
        if outcome && op::alu_op(code) == op::JEQ && op::src(code) == op::K {
            if let (Val::Const(_), Val::Const(_)) = (tr, rhs) {
                return Some(false);
            }
        }
    }
    None
}

/// Whether libpcap 1.10's optimizer would prove that `prog` (its own
/// unoptimized program) accepts no packet, and so refuse the expression
/// with "expression rejects all packets". Called only for programs
/// podcap's optimizer reduced to `ret #0`: podcap proves more (value
/// ranges: `ip proto 256`, `ether proto 1500`, `iso and sca`), and those
/// libpcap compiles, so podcap compiles them too.
///
/// Every path is followed with what libpcap's value numbering and jump
/// threading know (constants, repeated tests); a path that reaches a
/// non-zero `ret` means libpcap keeps the program. Past a budget of
/// steps the answer is "would not prove".
pub fn libpcap_proves_reject_all(prog: &[Insn]) -> bool {
    use crate::bpf::code::*;
    const BUDGET: usize = 200_000;
    let mut num = Numbering::default();
    let mut regs = [Val::Const(0); 2 + MEMWORDS];
    for (i, r) in regs.iter_mut().enumerate().skip(2) {
        *r = Val::Unknown(i as u32);
    }
    let mut stack = vec![(
        0usize,
        PathState {
            regs,
            tests: Vec::new(),
        },
    )];
    let mut seen = std::collections::HashSet::new();
    let mut steps = 0;
    while let Some((mut pc, mut st)) = stack.pop() {
        loop {
            steps += 1;
            if steps > BUDGET {
                return false;
            }
            let Some(insn) = prog.get(pc) else {
                return false;
            };
            let (a, x) = (0, 1);
            let k = insn.k;
            let m = |k: u32| 2 + (k as usize) % MEMWORDS;
            match insn.code {
                RET_K => {
                    if k != 0 {
                        return false;
                    }
                    break;
                }
                RET_A => {
                    if st.regs[a] != Val::Const(0) {
                        return false;
                    }
                    break;
                }
                JA => {
                    pc += 1 + k as usize;
                    continue;
                }
                c if op::class(c) == op::JMP => {
                    let rhs = if op::src(c) == op::X {
                        st.regs[x]
                    } else {
                        Val::Const(k)
                    };
                    // libpcap turns a test on a constant X into one on k.
                    let code = match rhs {
                        Val::Const(_) => c & !op::X,
                        _ => c,
                    };
                    let (av, code, rhs, flip) = num.peephole(st.regs[a], code, rhs);
                    let mut t = pc + 1 + usize::from(insn.jt);
                    let mut f = pc + 1 + usize::from(insn.jf);
                    if flip {
                        std::mem::swap(&mut t, &mut f);
                    }
                    match decided(&st, av, code, rhs) {
                        Some(true) => pc = t,
                        Some(false) => pc = f,
                        None => {
                            let mut other = st.clone();
                            other.tests.push((av, code, rhs, false));
                            if seen.insert((f, other.clone())) {
                                stack.push((f, other));
                            }
                            st.tests.push((av, code, rhs, true));
                            pc = t;
                        }
                    }
                    continue;
                }
                LD_W_ABS | LD_H_ABS | LD_B_ABS if k >= crate::bpf::ancillary::OFF => {
                    st.regs[a] = num.node(Node::Anc(k));
                }
                LD_W_ABS | LD_H_ABS | LD_B_ABS => {
                    st.regs[a] = num.node(Node::Abs(op::size(insn.code), k))
                }
                LD_W_IND | LD_H_IND | LD_B_IND => {
                    st.regs[a] = match st.regs[x] {
                        Val::Const(c) => {
                            num.node(Node::Abs(op::size(insn.code), c.wrapping_add(k)))
                        }
                        xv => num.node(Node::Ind(op::size(insn.code), xv, k)),
                    }
                }
                LDX_MSH => st.regs[x] = num.node(Node::Msh(k)),
                LD_W_LEN => st.regs[a] = num.node(Node::Len),
                LDX_W_LEN => st.regs[x] = num.node(Node::Len),
                LD_IMM => st.regs[a] = Val::Const(k),
                LDX_IMM => st.regs[x] = Val::Const(k),
                LD_MEM => st.regs[a] = st.regs[m(k)],
                LDX_MEM => st.regs[x] = st.regs[m(k)],
                ST => st.regs[m(k)] = st.regs[a],
                STX => st.regs[m(k)] = st.regs[x],
                TAX => st.regs[x] = st.regs[a],
                TXA => st.regs[a] = st.regs[x],
                // libpcap folds `neg` of a constant without asking for
                // another pass: a test on the result is decided in the
                // first block (`65535 == -4` is refused) but not after a
                // branch (`ip and -3 == 1000` compiles).
                NEG => {
                    st.regs[a] = match st.regs[a] {
                        Val::Const(c) if st.tests.is_empty() => Val::Const(c.wrapping_neg()),
                        v => num.node(Node::Neg(v)),
                    }
                }
                c if op::class(c) == op::ALU => {
                    let rhs = if op::src(c) == op::X {
                        st.regs[x]
                    } else {
                        Val::Const(k)
                    };
                    st.regs[a] = num.alu(op::alu_op(c), st.regs[a], rhs, op::src(c) == op::X);
                }
                _ => return false,
            }
            pc += 1;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::{Options, generate};

    fn refusal(expr: &str) -> Option<&'static str> {
        let u = generate(expr, &Options::default()).unwrap();
        optimizer_refusal(&u.prog)
    }

    #[test]
    fn refuses_what_libpcaps_optimizer_refuses() {
        assert_eq!(refusal("ip[0] / (1 - 1) = 0"), Some("division by zero"));
        assert_eq!(refusal("4 % (1 - 1) = 0"), Some("modulus by zero"));
        assert_eq!(
            refusal("ip[0] << (30 + 2) = 0"),
            Some("shift by more than 31 bits")
        );
        assert_eq!(
            refusal("ip[0] >> (16 * 2) = 1"),
            Some("shift by more than 31 bits")
        );
        // Both constant: libpcap folds the shift to 0.
        assert_eq!(refusal("4 << (30 + 2) = 0"), None);
        assert_eq!(refusal("len / (len - len) = 1"), None);
        assert_eq!(refusal("ip[0] << (len - len + 40) = 0"), None);
        assert_eq!(refusal("tcp port 80"), None);
    }

    fn proves(expr: &str, lt: crate::linktype::LinkType) -> bool {
        let o = Options {
            linktype: lt,
            ..Options::default()
        };
        libpcap_proves_reject_all(&generate(expr, &o).unwrap().prog)
    }

    #[test]
    fn rejects_all_as_far_as_libpcap_sees() {
        use crate::linktype::LinkType::*;
        for e in ["ip and arp", "not ip and ip", "ip6 and igmp", "tcp and udp"] {
            assert!(proves(e, En10mb), "{e}");
        }
        assert!(proves("arp host 1.2.3.4", Raw));
        assert!(proves("link proto \\stp", Raw));
        // Value ranges are podcap's, not libpcap's.
        for e in ["ip proto 256", "ether proto 1500", "iso and sca", "tcp"] {
            assert!(!proves(e, En10mb), "{e}");
        }
    }
}
