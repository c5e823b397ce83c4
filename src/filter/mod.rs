//! pcap-filter(7) expressions to classic BPF.
//!
//! [`compile`] is the one entry point: text in, a validated program out,
//! with the same verdict as libpcap's program on every packet.
//!
//! The pipeline mirrors libpcap: [`lexer`] splits words as its flex scanner
//! does, `parser` follows grammar.y and calls the code generator
//! (`codegen`, `prim`, `arith`, `encap`) in yacc's order, which builds
//! libpcap's block graph ([`block`]); the graph is laid out as libpcap's
//! `icode_to_fcode` lays it out, so the unoptimized program is the one
//! `tcpdump -O -d` prints. Then [`crate::bpf::optimize`] and
//! [`crate::bpf::validate`].

mod addr;
mod arith;
pub mod block;
mod chain;
mod codegen;
mod compat;
mod encap;
pub mod lexer;
mod link;
pub mod names;
mod names_table;
mod parser;
mod prim;
pub mod qual;

use crate::bpf::Insn;
use crate::linktype::LinkType;
use crate::{Error, Result};

/// How to compile, as libpcap's `pcap_compile` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub linktype: LinkType,
    /// Run the optimizer (tcpdump's default; `-O` turns it off).
    pub optimize: bool,
    /// Snap length returned for accepted packets (262144 by default).
    pub snaplen: u32,
    /// IPv4 netmask for `ip broadcast`: the capture interface's, else 0
    /// (what tcpdump passes when reading a file or when the interface has
    /// no IPv4 address); `None` is libpcap's PCAP_NETMASK_UNKNOWN, which
    /// refuses `ip broadcast`.
    pub netmask: Option<u32>,
    /// Compile as for a live Linux capture, where the kernel's ancillary
    /// loads (VLAN tag present, packet type) are available.
    pub linux_ext: bool,
    /// Extra UDP ports that `vxlan` matches besides 4789 (flannel uses 8472).
    pub vxlan_ports: Vec<u16>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            linktype: LinkType::En10mb,
            optimize: true,
            snaplen: 262_144,
            netmask: Some(0),
            linux_ext: false,
            vxlan_ports: Vec::new(),
        }
    }
}

/// The result of code generation before optimization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unoptimized {
    pub prog: Vec<Insn>,
    /// The program holds in-block jumps (Geneve, live-capture VLAN) that
    /// libpcap also refuses to optimize.
    pub no_optimize: bool,
}

/// Parses and generates code, without optimizing or validating: the
/// program `tcpdump -O -d` prints for the same expression.
pub fn generate(expr: &str, opts: &Options) -> Result<Unoptimized> {
    let toks = lexer::lex(expr).map_err(|(m, at)| Error::filter(expr, at, m))?;
    let mut g = codegen::Gen::new(opts.linktype, opts.linux_ext, opts.netmask);
    g.vxlan_ports = opts.vxlan_ports.clone();
    let mut p = parser::Parser::new(&toks, g);
    let parsed = p
        .parse_prog()
        .map_err(|(m, at)| Error::filter(expr, at, m))?;
    let mut g = p.cg;
    let root = match parsed {
        Some(e) => {
            let pre = g
                .compute_vloffsets()
                .map_err(|m| Error::filter(expr, 0, m))?;
            if !pre.is_empty() {
                g.g.prepend(&e, pre);
            }
            g.g.finish(e, opts.snaplen)
        }
        None => g.g.ret_only(opts.snaplen),
    };
    let prog = g.g.linearize(root).map_err(|e| {
        Error::filter(
            expr,
            0,
            format!("the program is too large for classic BPF ({e:?})"),
        )
    })?;
    Ok(Unoptimized {
        prog,
        no_optimize: g.no_optimize,
    })
}

/// Scratch registers some path may read before any path writes them
/// (`not vxlan and tcp`: the inner-frame offsets are only computed when the
/// tunnel matched; libpcap reads whatever is there). The kernel refuses
/// such programs, so before optimizing they get `ld #0; st M[k]` in front
/// (what podcap's interpreter assumes for unwritten words); every jump is
/// relative and forward, so prepending moves nothing. Programs that need
/// none (all others) are left as libpcap makes them.
fn init_scratch(prog: Vec<Insn>) -> Vec<Insn> {
    use crate::bpf::op;
    let n = prog.len();
    let mut known: Vec<Option<u16>> = vec![None; n + 1];
    if n > 0 {
        known[0] = Some(0);
    }
    let mut need: u16 = 0;
    for (i, insn) in prog.iter().enumerate() {
        let Some(mut set) = known[i] else { continue };
        let k = insn.k as usize;
        let class = op::class(insn.code);
        let bit = if k < 16 { 1u16 << k } else { 0 };
        match class {
            op::ST | op::STX => set |= bit,
            op::LD | op::LDX if op::mode(insn.code) == op::MEM && set & bit == 0 => need |= bit,
            _ => {}
        }
        let mut flow = |to: usize| {
            if to <= n {
                known[to] = Some(known[to].map_or(set, |s| s & set));
            }
        };
        match class {
            op::RET => {}
            op::JMP if op::alu_op(insn.code) == op::JA => flow(i + 1 + k),
            op::JMP => {
                flow(i + 1 + insn.jt as usize);
                flow(i + 1 + insn.jf as usize);
            }
            _ => flow(i + 1),
        }
    }
    if need == 0 {
        return prog;
    }
    let mut out = vec![Insn::stmt(op::LD | op::IMM, 0)];
    out.extend(
        (0..16)
            .filter(|r| need & (1 << r) != 0)
            .map(|r| Insn::stmt(op::ST, r)),
    );
    out.extend(prog);
    out
}

/// Compiles `expr` for `opts.linktype`. An empty expression accepts every
/// packet (`ret #snaplen`), as tcpdump with no filter.
///
/// Unoptimized (`-O`), the program is libpcap 1.10's, instruction for
/// instruction, even where the kernel would refuse it (scratch memory read
/// before it is written, after `geneve`). Optimized, it gives the verdict
/// of that program on every packet. Either may be longer than the
/// kernel's 4,096 instructions: capture then filters in user space.
pub fn compile(expr: &str, opts: &Options) -> Result<Vec<Insn>> {
    if opts.snaplen == 0 {
        return Err(Error::filter(expr, 0, "snaplen of 0 rejects all packets"));
    }
    if !opts.linktype.filterable() {
        return Err(Error::filter(
            expr,
            0,
            format!(
                "podcap compiles filters for EN10MB, RAW, LINUX_SLL and LINUX_SLL2, not {} ({})",
                opts.linktype.name(),
                opts.linktype.linktype()
            ),
        ));
    }
    let u = generate(expr, opts)?;
    let invalid = |e: Error| Error::filter(expr, 0, format!("compiled program is invalid: {e}"));
    if !opts.optimize {
        crate::bpf::validate::validate_for_user_space(&u.prog).map_err(invalid)?;
        return Ok(u.prog);
    }
    // libpcap does not optimize programs with in-block jumps (and so
    // never refuses them); podcap's optimizer takes any program.
    if !u.no_optimize {
        if let Some(m) = compat::optimizer_refusal(&u.prog) {
            return Err(Error::filter(expr, 0, m));
        }
    }
    let p = crate::bpf::optimize::optimize(init_scratch(u.prog.clone()));
    if rejects_everything(&p) && !u.no_optimize && compat::libpcap_proves_reject_all(&u.prog) {
        return Err(Error::filter(expr, 0, "expression rejects all packets"));
    }
    crate::bpf::validate::validate_for_user_space(&p).map_err(invalid)?;
    Ok(p)
}

/// Whether `prog` is the reject-all program (`ret #0`), which [`compile`]
/// gives where podcap's optimizer proves an expression matches nothing
/// but libpcap's would not (libpcap refuses the others): front ends say
/// so on stderr, as a capture with it sees no packet.
pub fn rejects_everything(prog: &[Insn]) -> bool {
    matches!(prog, [i] if i.code == crate::bpf::op::RET | crate::bpf::op::K && i.k == 0)
}

#[cfg(test)]
mod tests;
