//! The kernel's rules for a classic BPF program (`sk_chk_filter`, now
//! `bpf_check_classic` in net/core/filter.c), checked before
//! SO_ATTACH_FILTER so that a bad program fails with a message naming the
//! instruction instead of a bare EINVAL.

use super::code::*;
use super::print::image;
use super::{Insn, MAXINSNS, MEMWORDS, ancillary, op};
use crate::error::Kind;
use crate::{Error, Result};

/// Checks `prog` as the kernel would before SO_ATTACH_FILTER: not empty,
/// at most 4096 instructions, known opcodes, jumps forward and in range,
/// scratch memory indices below 16, division by a zero constant refused,
/// and ends in a `ret`.
///
/// Also, as the kernel does: shifts by a constant of 32 or more, unknown
/// ancillary offsets (`k >= SKF_AD_OFF`), and loads of a scratch word that
/// some path reaches without a store are refused.
pub fn validate(prog: &[Insn]) -> Result<()> {
    validate_up_to(prog, MAXINSNS)
}

/// [`validate`] with another length limit: the optimizer accepts long
/// programs (it may bring them under the kernel's limit), and capture runs
/// longer ones in user space.
pub fn validate_up_to(prog: &[Insn], max: usize) -> Result<()> {
    check_shape(prog, max, true)?;
    check_load_and_stores(prog)
}

/// What an interpreter in user space needs (libpcap's `bpf_validate`): the
/// kernel's rules except its length limit, its refusal of scratch words
/// some path reads before any store (libpcap's own programs do that after
/// `geneve`; unwritten words read as 0) and of unknown ancillary offsets
/// (libpcap's `pppoes and inbound`: such a load fails, rejecting).
pub fn validate_for_user_space(prog: &[Insn]) -> Result<()> {
    check_shape(prog, usize::MAX, false)
}

fn check_shape(prog: &[Insn], max: usize, kernel: bool) -> Result<()> {
    let len = prog.len();
    if len == 0 {
        return Err(invalid("the program is empty".to_string()));
    }
    if len > max {
        return Err(invalid(format!(
            "{len} instructions, the kernel accepts at most {max}"
        ))
        .hint("simplify the filter expression (fewer alternatives) or filter in user space"));
    }
    for (pc, insn) in prog.iter().enumerate() {
        check_insn(prog, pc, insn, kernel)?;
    }
    let last = len - 1;
    if !matches!(prog[last].code, RET_K | RET_A) {
        return Err(at(prog, last, "the last instruction must be `ret`"));
    }
    Ok(())
}

fn invalid(why: String) -> Error {
    Error::new(Kind::Format, "invalid BPF program", why).hint(
        "the kernel would refuse it with EINVAL; if it came from a filter \
         expression, this is a podcap bug: report the expression",
    )
}

fn at(prog: &[Insn], pc: usize, why: &str) -> Error {
    let line = prog.get(pc).map(|i| image(i, pc)).unwrap_or_default();
    invalid(format!(
        "instruction {pc} `{}`: {why}",
        line.replace('\t', " ").trim_end()
    ))
}

/// Whether the kernel knows this exact opcode.
pub fn known_opcode(code: u16) -> bool {
    match code {
        LD_W_ABS | LD_H_ABS | LD_B_ABS | LD_W_IND | LD_H_IND | LD_B_IND | LD_W_LEN | LDX_W_LEN
        | LD_IMM | LDX_IMM | LD_MEM | LDX_MEM | LDX_MSH | ST | STX | TAX | TXA | RET_K | RET_A
        | JA | JEQ_K | JEQ_X | JGT_K | JGT_X | JGE_K | JGE_X | JSET_K | JSET_X | NEG => true,
        c if op::class(c) == op::ALU && c & !(0xf0 | op::X) == op::ALU => matches!(
            op::alu_op(c),
            op::ADD
                | op::SUB
                | op::MUL
                | op::DIV
                | op::MOD
                | op::AND
                | op::OR
                | op::XOR
                | op::LSH
                | op::RSH
        ),
        _ => false,
    }
}

/// Whether `k` of an absolute load is one of the kernel's extensions.
pub fn known_ancillary(k: u32) -> bool {
    k.checked_sub(ancillary::OFF)
        .is_some_and(|off| off < ancillary::MAX && off % 4 == 0)
}

fn check_insn(prog: &[Insn], pc: usize, insn: &Insn, kernel: bool) -> Result<()> {
    let len = prog.len();
    let k = insn.k;
    if !known_opcode(insn.code) {
        return Err(at(prog, pc, &format!("unknown opcode {:#06x}", insn.code)));
    }
    match insn.code {
        LD_MEM | LDX_MEM | ST | STX if k as usize >= MEMWORDS => Err(at(
            prog,
            pc,
            &format!("scratch memory index {k} (only M[0]..M[15] exist)"),
        )),
        LD_W_ABS | LD_H_ABS | LD_B_ABS if kernel && k >= ancillary::OFF && !known_ancillary(k) => {
            Err(at(prog, pc, "unknown ancillary offset (k >= SKF_AD_OFF)"))
        }
        JA => {
            // Forward only by construction (k is unsigned); in range?
            if u64::from(k) >= (len - 1 - pc) as u64 {
                Err(at(
                    prog,
                    pc,
                    &format!("jump past the end of the {len}-instruction program"),
                ))
            } else {
                Ok(())
            }
        }
        c if op::class(c) == op::JMP => {
            let far = pc + 1 + usize::from(insn.jt.max(insn.jf));
            if far >= len {
                Err(at(
                    prog,
                    pc,
                    &format!("jump to {far}, past the end of the {len}-instruction program"),
                ))
            } else {
                Ok(())
            }
        }
        c if op::class(c) == op::ALU && op::src(c) == op::K => match op::alu_op(c) {
            op::DIV | op::MOD if k == 0 => Err(at(prog, pc, "division by the constant 0")),
            op::LSH | op::RSH if k >= 32 => Err(at(prog, pc, "shift by 32 or more bits")),
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}

/// The kernel's `check_load_and_stores`: a scratch word must be stored on
/// every path before it is loaded. Jumps only go forward, so one pass
/// propagating "words valid here" masks suffices. As in the kernel, the
/// state flowing out of a `ret` into the next instruction is not reset.
fn check_load_and_stores(prog: &[Insn]) -> Result<()> {
    let mut masks = vec![u16::MAX; prog.len()];
    let mut valid: u16 = 0;
    for (pc, insn) in prog.iter().enumerate() {
        valid &= masks[pc];
        // Indices and targets were checked by `check_insn`.
        let bit = 1u16.checked_shl(insn.k).unwrap_or(0);
        match insn.code {
            ST | STX => valid |= bit,
            LD_MEM | LDX_MEM if valid & bit == 0 => {
                return Err(at(
                    prog,
                    pc,
                    &format!("M[{}] may be read before anything is stored there", insn.k),
                ));
            }
            JA => {
                if let Some(m) = masks.get_mut(pc + 1 + insn.k as usize) {
                    *m &= valid;
                }
                valid = u16::MAX;
            }
            c if op::class(c) == op::JMP => {
                for off in [insn.jt, insn.jf] {
                    if let Some(m) = masks.get_mut(pc + 1 + usize::from(off)) {
                        *m &= valid;
                    }
                }
                valid = u16::MAX;
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok_prog() -> Vec<Insn> {
        vec![
            Insn::stmt(LD_H_ABS, 12),
            Insn::jump(JEQ_K, 0x800, 0, 1),
            Insn::stmt(RET_K, 262144),
            Insn::stmt(RET_K, 0),
        ]
    }

    fn rejects(prog: &[Insn], needle: &str) {
        match validate(prog) {
            Ok(()) => panic!("accepted {prog:?}, wanted `{needle}`"),
            Err(e) => {
                let s = e.to_string();
                assert!(s.contains(needle), "{s}");
                assert_eq!(e.kind, Kind::Format);
            }
        }
    }

    #[test]
    fn accepts_a_normal_program() {
        assert_eq!(validate(&ok_prog()), Ok(()));
        let p = [
            Insn::stmt(LD_B_ABS, ancillary::OFF + ancillary::VLAN_TAG_PRESENT),
            Insn::stmt(ST, 3),
            Insn::jump(JEQ_K, 1, 0, 1),
            Insn::stmt(LDX_MEM, 3),
            Insn::stmt(RET_A, 0),
        ];
        assert_eq!(validate(&p), Ok(()));
    }

    #[test]
    fn length_limits() {
        rejects(&[], "empty");
        let mut p = vec![Insn::stmt(LD_IMM, 0); MAXINSNS];
        p.push(Insn::stmt(RET_K, 0));
        rejects(&p, "4097 instructions");
        p.remove(0);
        assert_eq!(validate(&p), Ok(()));
    }

    #[test]
    fn names_the_instruction() {
        let mut p = ok_prog();
        p[1].jf = 2;
        rejects(
            &p,
            "instruction 1 `(001) jeq      #0x800           jt 2 jf 4`",
        );
        rejects(&p, "past the end of the 4-instruction program");
    }

    #[test]
    fn rule_violations() {
        let ret = Insn::stmt(RET_K, 0);
        rejects(
            &[Insn::stmt(LD_IMM, 0)],
            "instruction 0 `(000) ld       #0x0`: the last instruction must be `ret`",
        );
        rejects(&[Insn::stmt(0x08, 0), ret], "unknown opcode 0x0008");
        rejects(&[Insn::stmt(op::RET | op::X, 0)], "unknown opcode");
        rejects(&[Insn::stmt(ST, 16), ret], "scratch memory index 16");
        rejects(&[Insn::stmt(JA, 1), ret], "jump past the end");
        rejects(&[Insn::stmt(JA, u32::MAX), ret], "jump past the end");
        rejects(&[Insn::jump(JSET_X, 0, 1, 0), ret], "jump to 2");
        rejects(
            &[Insn::stmt(op::ALU | op::DIV | op::K, 0), ret],
            "division by the constant 0",
        );
        rejects(
            &[Insn::stmt(op::ALU | op::MOD | op::K, 0), ret],
            "division by the constant 0",
        );
        rejects(
            &[Insn::stmt(op::ALU | op::LSH | op::K, 32), ret],
            "shift by 32",
        );
        rejects(
            &[Insn::stmt(LD_W_ABS, ancillary::OFF + ancillary::MAX), ret],
            "unknown ancillary",
        );
        rejects(&[Insn::stmt(LD_W_ABS, u32::MAX), ret], "unknown ancillary");
        // Division by X is fine statically (it returns 0 at run time).
        assert_eq!(
            validate(&[Insn::stmt(op::ALU | op::DIV | op::X, 0), ret]),
            Ok(())
        );
    }

    #[test]
    fn scratch_must_be_stored_on_every_path() {
        let p = [
            Insn::stmt(LD_B_ABS, 0),
            Insn::jump(JEQ_K, 1, 0, 1),
            Insn::stmt(ST, 2),
            Insn::stmt(LD_MEM, 2),
            Insn::stmt(RET_A, 0),
        ];
        rejects(&p, "instruction 3 `(003) ld       M[2]`: M[2] may be read");
        rejects(
            &[Insn::stmt(LDX_MEM, 0), Insn::stmt(RET_A, 0)],
            "M[0] may be read",
        );
    }
}
