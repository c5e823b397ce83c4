//! `tcpdump -d`, `-dd` and `-ddd` renderings of a program, byte for byte,
//! and the reverse (reading `-d`, `-dd` and `-ddd` text back into
//! instructions).
//!
//! The `-d` text follows libpcap's `bpf_image` as Debian's tcpdump 4.99 /
//! libpcap 1.10 prints it with Linux extensions: decimal operands are
//! signed (`add #-1`), comparisons and masks are hex, jump targets are
//! absolute instruction numbers, ancillary loads are named (`ldb [vlanp]`),
//! and an instruction without an operand keeps the column's padding
//! (`tax      `).

use std::fmt::Write as _;

use super::code::*;
use super::{Insn, ancillary, op};
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `-d`: human-readable assembly.
    D,
    /// `-dd`: C array fragment.
    Dd,
    /// `-ddd`: decimal numbers, count first.
    Ddd,
}

pub fn format(prog: &[Insn], style: Style) -> String {
    let mut out = String::with_capacity(prog.len() * 48 + 8);
    match style {
        Style::D => {
            for (n, insn) in prog.iter().enumerate() {
                out.push_str(&image(insn, n));
                out.push('\n');
            }
        }
        Style::Dd => {
            for i in prog {
                let _ = writeln!(
                    out,
                    "{{ 0x{:x}, {}, {}, 0x{:08x} }},",
                    i.code, i.jt, i.jf, i.k
                );
            }
        }
        Style::Ddd => {
            let _ = writeln!(out, "{}", prog.len());
            for i in prog {
                let _ = writeln!(out, "{} {} {} {}", i.code, i.jt, i.jf, i.k);
            }
        }
    }
    out
}

/// libpcap's names for the Linux ancillary offsets, by `k - SKF_AD_OFF`.
const ANCILLARY_NAMES: [(u32, &str); 16] = [
    (ancillary::PROTOCOL, "proto"),
    (ancillary::PKTTYPE, "type"),
    (ancillary::IFINDEX, "ifidx"),
    (ancillary::NLATTR, "nla"),
    (ancillary::NLATTR_NEST, "nlan"),
    (ancillary::MARK, "mark"),
    (ancillary::QUEUE, "queue"),
    (ancillary::HATYPE, "hatype"),
    (ancillary::RXHASH, "rxhash"),
    (ancillary::CPU, "cpu"),
    (ancillary::ALU_XOR_X, "xor_x"),
    (ancillary::VLAN_TAG, "vlan_tci"),
    (ancillary::VLAN_TAG_PRESENT, "vlanp"),
    (ancillary::PAY_OFFSET, "poff"),
    (ancillary::RANDOM, "random"),
    (ancillary::VLAN_TPID, "vlan_tpid"),
];

/// The libpcap name of an ancillary load at `k`, if it is one.
pub fn ancillary_name(k: u32) -> Option<&'static str> {
    let off = k.checked_sub(ancillary::OFF)?;
    ANCILLARY_NAMES
        .iter()
        .find(|(o, _)| *o == off)
        .map(|(_, name)| *name)
}

fn ancillary_by_name(name: &str) -> Option<u32> {
    ANCILLARY_NAMES
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(o, _)| ancillary::OFF + o)
}

/// How an operand is rendered.
enum Operand {
    None,
    /// `#%d` and friends: `k` as a signed decimal inside `pre`/`post`.
    Dec(&'static str, &'static str),
    /// `#0x%x`.
    Hex,
    Abs,
    Text(&'static str),
    JumpTarget,
}

/// Mnemonic and operand kind for each opcode libpcap knows.
fn describe(code: u16) -> Option<(&'static str, Operand)> {
    use Operand::*;
    let alu = |name| {
        Some((
            name,
            if op::src(code) == op::X {
                Text("x")
            } else {
                match op::alu_op(code) {
                    op::AND | op::OR | op::XOR => Hex,
                    _ => Dec("#", ""),
                }
            },
        ))
    };
    let jmp = |name| {
        Some((
            name,
            if op::src(code) == op::X {
                Text("x")
            } else {
                Hex
            },
        ))
    };
    match code {
        RET_K => Some(("ret", Dec("#", ""))),
        RET_A => Some(("ret", None)),
        LD_W_ABS => Some(("ld", Abs)),
        LD_H_ABS => Some(("ldh", Abs)),
        LD_B_ABS => Some(("ldb", Abs)),
        LD_W_LEN => Some(("ld", Text("#pktlen"))),
        LDX_W_LEN => Some(("ldx", Text("#pktlen"))),
        LD_W_IND => Some(("ld", Dec("[x + ", "]"))),
        LD_H_IND => Some(("ldh", Dec("[x + ", "]"))),
        LD_B_IND => Some(("ldb", Dec("[x + ", "]"))),
        LD_IMM => Some(("ld", Hex)),
        LDX_IMM => Some(("ldx", Hex)),
        LDX_MSH => Some(("ldxb", Dec("4*([", "]&0xf)"))),
        LD_MEM => Some(("ld", Dec("M[", "]"))),
        LDX_MEM => Some(("ldx", Dec("M[", "]"))),
        ST => Some(("st", Dec("M[", "]"))),
        STX => Some(("stx", Dec("M[", "]"))),
        JA => Some(("ja", JumpTarget)),
        JGT_K | JGT_X => jmp("jgt"),
        JGE_K | JGE_X => jmp("jge"),
        JEQ_K | JEQ_X => jmp("jeq"),
        JSET_K | JSET_X => jmp("jset"),
        NEG => Some(("neg", None)),
        TAX => Some(("tax", None)),
        TXA => Some(("txa", None)),
        c if op::class(c) == op::ALU && c & !(0xf0 | op::X) == op::ALU => match op::alu_op(c) {
            op::ADD => alu("add"),
            op::SUB => alu("sub"),
            op::MUL => alu("mul"),
            op::DIV => alu("div"),
            op::MOD => alu("mod"),
            op::AND => alu("and"),
            op::OR => alu("or"),
            op::XOR => alu("xor"),
            op::LSH => alu("lsh"),
            op::RSH => alu("rsh"),
            _ => Option::None,
        },
        _ => Option::None,
    }
}

fn is_cond_jump(code: u16) -> bool {
    op::class(code) == op::JMP && code & 0xf0 != op::JA
}

/// One line of `tcpdump -d` for instruction number `n` (no newline).
pub fn image(insn: &Insn, n: usize) -> String {
    let k = insn.k;
    let (name, operand) = match describe(insn.code) {
        Some((name, kind)) => {
            let operand = match kind {
                Operand::None => String::new(),
                Operand::Dec(pre, post) => format!("{pre}{}{post}", k as i32),
                Operand::Hex => format!("#0x{k:x}"),
                Operand::Text(t) => t.to_string(),
                Operand::Abs => match ancillary_name(k) {
                    Some(sym) => format!("[{sym}]"),
                    None => format!("[{}]", k as i32),
                },
                Operand::JumpTarget => {
                    format!("{}", (n as i32).wrapping_add(1).wrapping_add(k as i32))
                }
            };
            (name, operand)
        }
        None => ("unimp", format!("0x{:x}", insn.code)),
    };
    if is_cond_jump(insn.code) {
        format!(
            "({n:03}) {name:<8} {operand:<16} jt {}\tjf {}",
            n + 1 + usize::from(insn.jt),
            n + 1 + usize::from(insn.jf)
        )
    } else {
        format!("({n:03}) {name:<8} {operand}")
    }
}

fn text_error(lineno: usize, line: &str, why: impl std::fmt::Display) -> Error {
    Error::format(
        "cannot read BPF program text",
        format!("line {}: {why}: `{}`", lineno + 1, line.trim_end()),
    )
    .hint("give the output of `tcpdump -d`, `-dd` or `-ddd` unchanged")
}

/// A number as libpcap prints it: signed decimal or `0x` hex, as 32 bits.
fn number(s: &str) -> Option<u32> {
    let s = s.trim();
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return u32::from_str_radix(h, 16).ok();
    }
    let v: i64 = s.parse().ok()?;
    if (i64::from(i32::MIN)..=i64::from(u32::MAX)).contains(&v) {
        Some(v as u32)
    } else {
        None
    }
}

/// Reads `tcpdump -d` text back into instructions. Accepts the trailing
/// `; 0x..` opcode comments of libpcap's test suite and trailing blanks.
pub fn parse_d(text: &str) -> Result<Vec<Insn>> {
    let mut prog = Vec::new();
    for (lineno, raw) in text.lines().enumerate() {
        let line = match raw.find(';') {
            Some(i) => &raw[..i],
            None => raw,
        }
        .trim();
        if line.is_empty() {
            continue;
        }
        let err = |why: &str| text_error(lineno, raw, why);
        let rest = line
            .strip_prefix('(')
            .ok_or_else(|| err("expected `(NNN)` at the start"))?;
        let close = rest.find(')').ok_or_else(|| err("missing `)`"))?;
        let n: usize = rest[..close]
            .trim()
            .parse()
            .map_err(|_| err("bad instruction number"))?;
        if n != prog.len() {
            return Err(err(&format!(
                "instruction number {n}, expected {}",
                prog.len()
            )));
        }
        let rest = rest[close + 1..].trim();
        let (mnemonic, rest) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let rest = rest.trim();
        let (operand, targets) = match rest.find("jt ") {
            Some(i) => (rest[..i].trim(), Some(&rest[i..])),
            None => (rest, None),
        };
        let mut insn = parse_insn(mnemonic, operand, n).map_err(|why| err(&why))?;
        if is_cond_jump(insn.code) {
            let targets = targets.ok_or_else(|| err("conditional jump without `jt N jf M`"))?;
            let mut it = targets.split_whitespace();
            let mut target = |label: &str| -> Result<u8> {
                if it.next() != Some(label) {
                    return Err(err(&format!("expected `{label}`")));
                }
                let t: usize = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| err(&format!("bad `{label}` target")))?;
                t.checked_sub(n + 1)
                    .and_then(|d| u8::try_from(d).ok())
                    .ok_or_else(|| err(&format!("`{label} {t}` is not 1..=256 ahead")))
            };
            insn.jt = target("jt")?;
            insn.jf = target("jf")?;
        } else if targets.is_some() {
            return Err(err(
                "`jt`/`jf` on an instruction that is not a conditional jump",
            ));
        }
        prog.push(insn);
    }
    Ok(prog)
}

fn parse_insn(mnemonic: &str, operand: &str, n: usize) -> std::result::Result<Insn, String> {
    let num = |s: &str| number(s).ok_or_else(|| format!("bad number `{s}`"));
    let bracket = |s: &str, pre: &str, post: &str| -> Option<String> {
        Some(s.strip_prefix(pre)?.strip_suffix(post)?.trim().to_string())
    };
    let mem = |s: &str| -> std::result::Result<u32, String> {
        num(&bracket(s, "M[", "]").ok_or_else(|| format!("expected `M[n]`, got `{s}`"))?)
    };
    let imm = |s: &str| -> std::result::Result<u32, String> {
        num(s
            .strip_prefix('#')
            .ok_or_else(|| format!("expected `#k`, got `{s}`"))?)
    };
    // `[k]`, `[name]` or `[x + k]` for the load family of `size`.
    let load = |size: u16| -> std::result::Result<Insn, String> {
        if let Some(inner) = bracket(operand, "[x +", "]") {
            return Ok(Insn::stmt(op::LD | size | op::IND, num(&inner)?));
        }
        let inner = bracket(operand, "[", "]")
            .ok_or_else(|| format!("expected `[k]` or `[x + k]`, got `{operand}`"))?;
        let k = match ancillary_by_name(&inner) {
            Some(k) => k,
            None => num(&inner)?,
        };
        Ok(Insn::stmt(op::LD | size | op::ABS, k))
    };
    let x_or_k = |class_op: u16| -> std::result::Result<Insn, String> {
        if operand == "x" {
            Ok(Insn::stmt(class_op | op::X, 0))
        } else {
            Ok(Insn::stmt(class_op | op::K, imm(operand)?))
        }
    };
    let none = |code: u16| -> std::result::Result<Insn, String> {
        if operand.is_empty() {
            Ok(Insn::stmt(code, 0))
        } else {
            Err(format!("`{mnemonic}` takes no operand"))
        }
    };
    match mnemonic {
        "ret" if operand.is_empty() => Ok(Insn::stmt(RET_A, 0)),
        "ret" => Ok(Insn::stmt(RET_K, imm(operand)?)),
        "ld" if operand == "#pktlen" => Ok(Insn::stmt(LD_W_LEN, 0)),
        "ldx" if operand == "#pktlen" => Ok(Insn::stmt(LDX_W_LEN, 0)),
        "ld" if operand.starts_with('#') => Ok(Insn::stmt(LD_IMM, imm(operand)?)),
        "ldx" if operand.starts_with('#') => Ok(Insn::stmt(LDX_IMM, imm(operand)?)),
        "ld" if operand.starts_with("M[") => Ok(Insn::stmt(LD_MEM, mem(operand)?)),
        "ldx" if operand.starts_with("M[") => Ok(Insn::stmt(LDX_MEM, mem(operand)?)),
        "ld" => load(op::W),
        "ldh" => load(op::H),
        "ldb" => load(op::B),
        "ldxb" => {
            let inner = bracket(operand, "4*([", "]&0xf)")
                .ok_or_else(|| format!("expected `4*([k]&0xf)`, got `{operand}`"))?;
            Ok(Insn::stmt(LDX_MSH, num(&inner)?))
        }
        "st" => Ok(Insn::stmt(ST, mem(operand)?)),
        "stx" => Ok(Insn::stmt(STX, mem(operand)?)),
        "ja" => {
            let target = num(operand)?;
            let k = target.wrapping_sub(n as u32).wrapping_sub(1);
            Ok(Insn::stmt(JA, k))
        }
        "jeq" => x_or_k(op::JMP | op::JEQ),
        "jgt" => x_or_k(op::JMP | op::JGT),
        "jge" => x_or_k(op::JMP | op::JGE),
        "jset" => x_or_k(op::JMP | op::JSET),
        "add" => x_or_k(op::ALU | op::ADD),
        "sub" => x_or_k(op::ALU | op::SUB),
        "mul" => x_or_k(op::ALU | op::MUL),
        "div" => x_or_k(op::ALU | op::DIV),
        "mod" => x_or_k(op::ALU | op::MOD),
        "and" => x_or_k(op::ALU | op::AND),
        "or" => x_or_k(op::ALU | op::OR),
        "xor" => x_or_k(op::ALU | op::XOR),
        "lsh" => x_or_k(op::ALU | op::LSH),
        "rsh" => x_or_k(op::ALU | op::RSH),
        "neg" => none(NEG),
        "tax" => none(TAX),
        "txa" => none(TXA),
        "unimp" => {
            let code = num(operand)?;
            let code = u16::try_from(code).map_err(|_| format!("opcode {code:#x} too large"))?;
            Ok(Insn::stmt(code, 0))
        }
        _ => Err(format!("unknown instruction `{mnemonic}`")),
    }
}

/// Reads `tcpdump -ddd` text: the instruction count, then one
/// `code jt jf k` line per instruction, all decimal.
pub fn parse_ddd(text: &str) -> Result<Vec<Insn>> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (lineno, first) = lines
        .next()
        .ok_or_else(|| text_error(0, "", "empty program"))?;
    let count: usize = first
        .trim()
        .parse()
        .map_err(|_| text_error(lineno, first, "expected the instruction count"))?;
    let mut prog = Vec::with_capacity(count.min(super::MAXINSNS));
    for (lineno, line) in lines {
        let f: Vec<&str> = line.split_whitespace().collect();
        let bad = || text_error(lineno, line, "expected `code jt jf k`, all decimal");
        if f.len() != 4 {
            return Err(bad());
        }
        prog.push(Insn::new(
            f[0].parse().map_err(|_| bad())?,
            f[1].parse().map_err(|_| bad())?,
            f[2].parse().map_err(|_| bad())?,
            f[3].parse().map_err(|_| bad())?,
        ));
    }
    if prog.len() != count {
        return Err(text_error(
            0,
            first,
            format!("count says {count} instructions, found {}", prog.len()),
        ));
    }
    Ok(prog)
}

/// Reads `tcpdump -dd` text: `{ 0x28, 0, 0, 0x0000000c },` lines.
pub fn parse_dd(text: &str) -> Result<Vec<Insn>> {
    let mut prog = Vec::new();
    for (lineno, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        let bad = || text_error(lineno, line, "expected `{ code, jt, jf, k },`");
        let inner = t
            .trim_end_matches(',')
            .trim()
            .strip_prefix('{')
            .and_then(|s| s.strip_suffix('}'))
            .ok_or_else(bad)?;
        let f: Vec<u32> = inner
            .split(',')
            .map(|v| number(v).ok_or_else(bad))
            .collect::<Result<_>>()?;
        let [code, jt, jf, k] = f[..] else {
            return Err(bad());
        };
        prog.push(Insn::new(
            u16::try_from(code).map_err(|_| bad())?,
            u8::try_from(jt).map_err(|_| bad())?,
            u8::try_from(jf).map_err(|_| bad())?,
            k,
        ));
    }
    Ok(prog)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip_prog() -> Vec<Insn> {
        vec![
            Insn::stmt(LD_H_ABS, 12),
            Insn::jump(JEQ_K, 0x800, 0, 1),
            Insn::stmt(RET_K, 262144),
            Insn::stmt(RET_K, 0),
        ]
    }

    // Literal outputs of Debian's tcpdump 4.99.3 / libpcap 1.10.3.
    #[test]
    fn formats_like_tcpdump() {
        let p = ip_prog();
        assert_eq!(
            format(&p, Style::D),
            "(000) ldh      [12]\n\
             (001) jeq      #0x800           jt 2\tjf 3\n\
             (002) ret      #262144\n\
             (003) ret      #0\n"
        );
        assert_eq!(
            format(&p, Style::Dd),
            "{ 0x28, 0, 0, 0x0000000c },\n\
             { 0x15, 0, 1, 0x00000800 },\n\
             { 0x6, 0, 0, 0x00040000 },\n\
             { 0x6, 0, 0, 0x00000000 },\n"
        );
        assert_eq!(
            format(&p, Style::Ddd),
            "4\n40 0 0 12\n21 0 1 2048\n6 0 0 262144\n6 0 0 0\n"
        );
    }

    #[test]
    fn operand_styles() {
        let cases = [
            (
                Insn::stmt(op::ALU | op::ADD | op::K, u32::MAX),
                "add      #-1",
            ),
            (
                Insn::stmt(op::ALU | op::MOD | op::K, 4_000_000_000),
                "mod      #-294967296",
            ),
            (
                Insn::stmt(op::ALU | op::XOR | op::K, 0xf000_0000),
                "xor      #0xf0000000",
            ),
            (Insn::stmt(op::ALU | op::AND | op::X, 0), "and      x"),
            (Insn::stmt(TAX, 0), "tax      "),
            (Insn::stmt(RET_A, 0), "ret      "),
            (Insn::stmt(LD_B_IND, 0), "ldb      [x + 0]"),
            (Insn::stmt(LDX_MSH, 14), "ldxb     4*([14]&0xf)"),
            (Insn::stmt(LD_W_LEN, 0), "ld       #pktlen"),
            (Insn::stmt(LD_IMM, 0), "ld       #0x0"),
            (Insn::stmt(ST, 15), "st       M[15]"),
            (Insn::stmt(LDX_MEM, 2), "ldx      M[2]"),
            (Insn::stmt(JA, 3), "ja       4"),
            (
                Insn::stmt(LD_B_ABS, ancillary::OFF + ancillary::VLAN_TAG_PRESENT),
                "ldb      [vlanp]",
            ),
            (
                Insn::stmt(LD_H_ABS, ancillary::OFF + ancillary::PKTTYPE),
                "ldh      [type]",
            ),
            (
                Insn::stmt(LD_W_ABS, ancillary::OFF + 64),
                "ld       [-4032]",
            ),
            (Insn::stmt(0x08, 5), "unimp    0x8"),
        ];
        for (insn, want) in cases {
            assert_eq!(image(&insn, 0), format!("(000) {want}"));
        }
        assert_eq!(
            image(&Insn::jump(JGT_X, 0, 0, 255), 999),
            "(999) jgt      x                jt 1000\tjf 1255"
        );
    }

    fn sample() -> Vec<Insn> {
        let mut p = vec![
            Insn::stmt(LD_IMM, 0xf),
            Insn::stmt(LDX_IMM, 0xf),
            Insn::stmt(ST, 15),
            Insn::stmt(STX, 15),
            Insn::stmt(JA, 1),
            Insn::stmt(TAX, 0),
            Insn::stmt(TXA, 0),
            Insn::stmt(NEG, 0),
            Insn::stmt(LD_W_IND, 15),
            Insn::stmt(LD_H_IND, 15),
            Insn::stmt(LD_B_IND, 15),
            Insn::stmt(LD_W_ABS, 15),
            Insn::stmt(LD_MEM, 15),
            Insn::stmt(LDX_MEM, 15),
            Insn::stmt(LD_W_LEN, 0),
            Insn::stmt(LDX_W_LEN, 0),
            Insn::stmt(LDX_MSH, 15),
        ];
        for (_, name) in ANCILLARY_NAMES {
            p.push(Insn::stmt(LD_B_ABS, ancillary_by_name(name).unwrap_or(0)));
        }
        for alu in [
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
        ] {
            p.push(Insn::stmt(op::ALU | alu | op::K, 0xffff_fff0));
            p.push(Insn::stmt(op::ALU | alu | op::X, 0));
        }
        for j in [op::JEQ, op::JGT, op::JGE, op::JSET] {
            p.push(Insn::jump(op::JMP | j | op::K, 0x8000_0001, 0, 1));
            p.push(Insn::jump(op::JMP | j | op::X, 0, 1, 0));
        }
        p.push(Insn::stmt(RET_K, 0xffff_ffff));
        p.push(Insn::stmt(RET_A, 0));
        p
    }

    #[test]
    fn round_trips() {
        let p = sample();
        for style in [Style::D, Style::Dd, Style::Ddd] {
            let text = format(&p, style);
            let back = match style {
                Style::D => parse_d(&text),
                Style::Dd => parse_dd(&text),
                Style::Ddd => parse_ddd(&text),
            };
            assert_eq!(back.as_ref(), Ok(&p), "{style:?}\n{text}");
        }
    }

    #[test]
    fn parse_d_accepts_testrun_comments() {
        let text = "(000) ld       #0xf                               ; 0x0000\n\
                    (001) jeq      #0xf             jt 2\tjf 3       ; 0x0015\n\
                    (002) ret      #15                                ; 0x0006\n\
                    (003) ret                                         ; 0x0016\n";
        let p = parse_d(text).unwrap_or_default();
        assert_eq!(
            p,
            vec![
                Insn::stmt(LD_IMM, 0xf),
                Insn::jump(JEQ_K, 0xf, 0, 1),
                Insn::stmt(RET_K, 15),
                Insn::stmt(RET_A, 0),
            ]
        );
    }

    #[test]
    fn parse_errors_name_the_line() {
        for bad in [
            "(000) ldh [12]\n(005) ret #0\n",
            "(000) frob #1\n",
            "(000) jeq #0x1 jt 0\tjf 1\n",
            "(000) ret #0 jt 1\tjf 2\n",
            "(000) ld M[x]\n",
            "ldh [12]\n",
        ] {
            let e = parse_d(bad).err();
            assert!(
                e.as_ref().is_some_and(|e| e.why.contains("line")),
                "{bad}: {e:?}"
            );
        }
        assert!(parse_ddd("2\n6 0 0 1\n").is_err());
        assert!(parse_ddd("1\n6 0 0\n").is_err());
        assert!(parse_ddd("").is_err());
        assert!(parse_dd("{ 0x6, 0, 0 },\n").is_err());
    }
}
