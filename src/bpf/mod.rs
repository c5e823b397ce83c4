//! Classic BPF: instructions and the opcode constants of
//! `<linux/filter.h>` / `<pcap/bpf.h>`.
//!
//! The compiler ([`crate::filter`]) produces [`Insn`]s; the rest of this
//! module runs, checks, shortens and prints them.

/// Opcode fields, named as in `<linux/bpf_common.h>`.
pub mod op {
    // Instruction classes.
    pub const LD: u16 = 0x00;
    pub const LDX: u16 = 0x01;
    pub const ST: u16 = 0x02;
    pub const STX: u16 = 0x03;
    pub const ALU: u16 = 0x04;
    pub const JMP: u16 = 0x05;
    pub const RET: u16 = 0x06;
    pub const MISC: u16 = 0x07;

    // Load sizes.
    pub const W: u16 = 0x00;
    pub const H: u16 = 0x08;
    pub const B: u16 = 0x10;

    // Load modes.
    pub const IMM: u16 = 0x00;
    pub const ABS: u16 = 0x20;
    pub const IND: u16 = 0x40;
    pub const MEM: u16 = 0x60;
    pub const LEN: u16 = 0x80;
    pub const MSH: u16 = 0xa0;

    // ALU operations.
    pub const ADD: u16 = 0x00;
    pub const SUB: u16 = 0x10;
    pub const MUL: u16 = 0x20;
    pub const DIV: u16 = 0x30;
    pub const OR: u16 = 0x40;
    pub const AND: u16 = 0x50;
    pub const LSH: u16 = 0x60;
    pub const RSH: u16 = 0x70;
    pub const NEG: u16 = 0x80;
    pub const MOD: u16 = 0x90;
    pub const XOR: u16 = 0xa0;

    // Jumps.
    pub const JA: u16 = 0x00;
    pub const JEQ: u16 = 0x10;
    pub const JGT: u16 = 0x20;
    pub const JGE: u16 = 0x30;
    pub const JSET: u16 = 0x40;

    // Operand source.
    pub const K: u16 = 0x00;
    pub const X: u16 = 0x08;
    /// Return the accumulator (`ret a`); `K` returns the constant.
    pub const A: u16 = 0x10;

    // MISC.
    pub const TAX: u16 = 0x00;
    pub const TXA: u16 = 0x80;

    pub const fn class(code: u16) -> u16 {
        code & 0x07
    }
    pub const fn size(code: u16) -> u16 {
        code & 0x18
    }
    /// How many bytes a load of this size reads: `W` 4, `H` 2, `B` 1.
    pub const fn size_bytes(code: u16) -> u32 {
        match size(code) {
            W => 4,
            H => 2,
            _ => 1,
        }
    }
    pub const fn mode(code: u16) -> u16 {
        code & 0xe0
    }
    pub const fn alu_op(code: u16) -> u16 {
        code & 0xf0
    }
    pub const fn src(code: u16) -> u16 {
        code & 0x08
    }
    pub const fn rval(code: u16) -> u16 {
        code & 0x18
    }
    pub const fn miscop(code: u16) -> u16 {
        code & 0xf8
    }
}

/// Linux ancillary data loads (`ld [SKF_AD_OFF + n]`), which read socket
/// buffer metadata instead of packet bytes.
pub mod ancillary {
    /// `SKF_AD_OFF` (-0x1000) as the unsigned `k` the kernel sees.
    pub const OFF: u32 = 0xffff_f000;
    pub const PROTOCOL: u32 = 0;
    pub const PKTTYPE: u32 = 4;
    pub const IFINDEX: u32 = 8;
    pub const NLATTR: u32 = 12;
    pub const NLATTR_NEST: u32 = 16;
    pub const MARK: u32 = 20;
    pub const QUEUE: u32 = 24;
    pub const HATYPE: u32 = 28;
    pub const RXHASH: u32 = 32;
    pub const CPU: u32 = 36;
    pub const ALU_XOR_X: u32 = 40;
    pub const VLAN_TAG: u32 = 44;
    pub const VLAN_TAG_PRESENT: u32 = 48;
    pub const PAY_OFFSET: u32 = 52;
    pub const RANDOM: u32 = 56;
    pub const VLAN_TPID: u32 = 60;
    /// One past the last ancillary offset the kernel knows.
    pub const MAX: u32 = 64;
}

/// The exact opcodes the kernel accepts (`bpf_check_classic`'s table).
pub mod code {
    use super::op;

    pub const LD_W_ABS: u16 = op::LD | op::W | op::ABS;
    pub const LD_H_ABS: u16 = op::LD | op::H | op::ABS;
    pub const LD_B_ABS: u16 = op::LD | op::B | op::ABS;
    pub const LD_W_IND: u16 = op::LD | op::W | op::IND;
    pub const LD_H_IND: u16 = op::LD | op::H | op::IND;
    pub const LD_B_IND: u16 = op::LD | op::B | op::IND;
    pub const LD_W_LEN: u16 = op::LD | op::W | op::LEN;
    pub const LDX_W_LEN: u16 = op::LDX | op::W | op::LEN;
    pub const LD_IMM: u16 = op::LD | op::IMM;
    pub const LDX_IMM: u16 = op::LDX | op::IMM;
    pub const LD_MEM: u16 = op::LD | op::MEM;
    pub const LDX_MEM: u16 = op::LDX | op::MEM;
    pub const LDX_MSH: u16 = op::LDX | op::B | op::MSH;
    pub const ST: u16 = op::ST;
    pub const STX: u16 = op::STX;
    pub const TAX: u16 = op::MISC | op::TAX;
    pub const TXA: u16 = op::MISC | op::TXA;
    pub const RET_K: u16 = op::RET | op::K;
    pub const RET_A: u16 = op::RET | op::A;
    pub const JA: u16 = op::JMP | op::JA;
    pub const NEG: u16 = op::ALU | op::NEG;
    pub const JEQ_K: u16 = op::JMP | op::JEQ | op::K;
    pub const JEQ_X: u16 = op::JMP | op::JEQ | op::X;
    pub const JGT_K: u16 = op::JMP | op::JGT | op::K;
    pub const JGT_X: u16 = op::JMP | op::JGT | op::X;
    pub const JGE_K: u16 = op::JMP | op::JGE | op::K;
    pub const JGE_X: u16 = op::JMP | op::JGE | op::X;
    pub const JSET_K: u16 = op::JMP | op::JSET | op::K;
    pub const JSET_X: u16 = op::JMP | op::JSET | op::X;
    pub const ADD_K: u16 = op::ALU | op::ADD | op::K;
    pub const ADD_X: u16 = op::ALU | op::ADD | op::X;
    pub const SUB_K: u16 = op::ALU | op::SUB | op::K;
    pub const SUB_X: u16 = op::ALU | op::SUB | op::X;
    pub const MUL_K: u16 = op::ALU | op::MUL | op::K;
    pub const MUL_X: u16 = op::ALU | op::MUL | op::X;
    pub const DIV_K: u16 = op::ALU | op::DIV | op::K;
    pub const DIV_X: u16 = op::ALU | op::DIV | op::X;
    pub const MOD_K: u16 = op::ALU | op::MOD | op::K;
    pub const MOD_X: u16 = op::ALU | op::MOD | op::X;
    pub const AND_K: u16 = op::ALU | op::AND | op::K;
    pub const AND_X: u16 = op::ALU | op::AND | op::X;
    pub const OR_K: u16 = op::ALU | op::OR | op::K;
    pub const OR_X: u16 = op::ALU | op::OR | op::X;
    pub const XOR_K: u16 = op::ALU | op::XOR | op::K;
    pub const XOR_X: u16 = op::ALU | op::XOR | op::X;
    pub const LSH_K: u16 = op::ALU | op::LSH | op::K;
    pub const LSH_X: u16 = op::ALU | op::LSH | op::X;
    pub const RSH_K: u16 = op::ALU | op::RSH | op::K;
    pub const RSH_X: u16 = op::ALU | op::RSH | op::X;
}

/// The first load offset the kernel reads as negative (it takes `k` as
/// signed): from here up a load is one of its special offsets
/// (`SKF_LL_OFF`, `SKF_NET_OFF`, `SKF_AD_OFF`) or fails, never a plain
/// read of packet bytes.
pub const NEG_OFF: u32 = 0x8000_0000;

/// Scratch memory slots (`M[0]`..`M[15]`).
pub const MEMWORDS: usize = 16;
/// The kernel's limit on program length (`BPF_MAXINSNS`).
pub const MAXINSNS: usize = 4096;

/// One classic BPF instruction, laid out as `struct sock_filter`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Insn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

impl Insn {
    pub const fn new(code: u16, jt: u8, jf: u8, k: u32) -> Self {
        Insn { code, jt, jf, k }
    }

    /// A non-jump instruction.
    pub const fn stmt(code: u16, k: u32) -> Self {
        Insn {
            code,
            jt: 0,
            jf: 0,
            k,
        }
    }

    /// A conditional jump with relative targets.
    pub const fn jump(code: u16, k: u32, jt: u8, jf: u8) -> Self {
        Insn { code, jt, jf, k }
    }
}

pub mod interp;
pub mod kernel;
pub mod optimize;
pub mod print;
pub mod validate;
pub mod wire;

#[cfg(test)]
pub(crate) mod testutil;
