//! Every program the compiler produces for the conformance expressions (and
//! the Kubernetes-typical ones) passes the validator and is accepted by the
//! kernel: SO_ATTACH_FILTER on a real AF_PACKET socket, created in a fresh
//! network namespace so the test never sees the host's traffic. Programs
//! for the cooked link types go through `bpf::kernel::cooked_to_kernel`
//! (what `-i any` attaches) when that can express them.

#[path = "corpus/mod.rs"]
mod corpus;
mod kit;

use corpus::suite::{self, K8S_EXPRS};
use kit::kernel::{PacketSocket, in_new_netns, strerror};
use podcap::bpf::Insn;
use podcap::bpf::print::{Style, format};
use podcap::bpf::validate::validate;
use podcap::filter::{Options, compile};
use podcap::linktype::LinkType;

fn programs() -> Vec<(String, LinkType, bool, Vec<Insn>)> {
    let mut exprs: Vec<(String, LinkType)> = Vec::new();
    if let Some(s) = kit::conformance::load() {
        for c in &s.accept {
            if let Some(lt) = c.dlt.as_deref().and_then(suite::linktype_for_dlt) {
                if !suite::is_special(&c.expr) {
                    exprs.push((c.expr.clone(), lt));
                }
            }
        }
        for e in suite::distinct_exprs(&s) {
            if !suite::is_special(&e) {
                exprs.push((e, LinkType::En10mb));
            }
        }
    }
    for e in K8S_EXPRS {
        for lt in LinkType::ALL {
            exprs.push((e.to_string(), lt));
        }
    }
    exprs.sort_by(|a, b| (&a.0, a.1.name()).cmp(&(&b.0, b.1.name())));
    exprs.dedup();
    let mut out = Vec::new();
    for (e, lt) in exprs {
        for (optimize, linux_ext) in [(true, true), (false, true), (true, false)] {
            if linux_ext && lt != LinkType::En10mb {
                continue;
            }
            let opts = Options {
                linktype: lt,
                optimize,
                linux_ext,
                ..Default::default()
            };
            if let Ok(p) = compile(&e, &opts) {
                out.push((e.clone(), lt, optimize, p));
            }
        }
    }
    out
}

#[test]
fn kernel_accepts_every_program() {
    let progs = programs();
    let mut invalid = Vec::new();
    for (e, lt, opt, p) in &progs {
        if let Err(err) = validate(p) {
            invalid.push(format!(
                "{} {e:?} (optimize {opt}): {err}\n{}",
                lt.name(),
                format(p, Style::D)
            ));
        }
    }
    assert!(
        invalid.is_empty(),
        "{} programs fail validation:\n{}",
        invalid.len(),
        invalid.join("\n")
    );

    let result = in_new_netns(|| {
        let raw = PacketSocket::silent(libc::SOCK_RAW);
        let dgram = PacketSocket::silent(libc::SOCK_DGRAM);
        let (mut attached, mut userspace) = (0, 0);
        let mut refused = Vec::new();
        for (e, lt, opt, p) in &progs {
            let (sock, prog) = match lt {
                LinkType::LinuxSll | LinkType::LinuxSll2 => {
                    match podcap::bpf::kernel::cooked_to_kernel(p, *lt) {
                        Some(k) => (&dgram, k),
                        None => {
                            // Not expressible in the kernel: the capture
                            // filters in user space; the original program
                            // must still be a valid one.
                            userspace += 1;
                            (&raw, p.clone())
                        }
                    }
                }
                _ => (&raw, p.clone()),
            };
            match sock.attach(&prog) {
                Ok(()) => attached += 1,
                Err(err) => refused.push(format!(
                    "{} {e:?} (optimize {opt}): {}\n{}",
                    lt.name(),
                    strerror(err),
                    format(&prog, Style::D)
                )),
            }
        }
        (attached, userspace, refused)
    });
    let (attached, userspace, refused) = match result {
        Ok(r) => r,
        Err(why) => return kit::skip(&why),
    };
    println!(
        "{} programs compiled; {attached} attached by the kernel ({userspace} cooked programs kept for user space)",
        progs.len()
    );
    assert!(
        refused.is_empty(),
        "the kernel refused {} programs:\n{}",
        refused.len(),
        refused.join("\n")
    );
}

/// The attach path is real: the kernel refuses what the validator refuses.
#[test]
fn kernel_refuses_invalid_programs() {
    use podcap::bpf::op::*;
    let bad: Vec<(&str, Vec<Insn>)> = vec![
        ("no ret at the end", vec![Insn::stmt(LD | W | ABS, 0)]),
        (
            "jump out of range",
            vec![Insn::jump(JMP | JEQ | K, 0, 5, 0), Insn::stmt(RET | K, 0)],
        ),
        (
            "scratch index 16",
            vec![Insn::stmt(ST, 16), Insn::stmt(RET | K, 0)],
        ),
        (
            "division by constant zero",
            vec![Insn::stmt(ALU | DIV | K, 0), Insn::stmt(RET | A, 0)],
        ),
        (
            "unknown opcode",
            vec![Insn::stmt(0xffff, 0), Insn::stmt(RET | K, 0)],
        ),
    ];
    for (why, p) in &bad {
        assert!(
            validate(p).is_err(),
            "validator accepts a program with {why}"
        );
    }
    let r = in_new_netns(|| {
        let s = PacketSocket::silent(libc::SOCK_RAW);
        let good = [Insn::stmt(RET | K, 262_144)];
        assert_eq!(s.attach(&good), Ok(()), "the kernel refuses `ret #262144`");
        bad.iter()
            .filter(|(_, p)| s.attach(p).is_ok())
            .map(|(why, _)| why.to_string())
            .collect::<Vec<_>>()
    });
    match r {
        Ok(accepted) => assert!(accepted.is_empty(), "the kernel accepted: {accepted:?}"),
        Err(why) => kit::skip(&why),
    }
}

/// `-i any`: a program compiled for LINUX_SLL/LINUX_SLL2 and rewritten by
/// `cooked_to_kernel` gives, on the packet as the kernel's SOCK_DGRAM socket
/// sees it (network header first, cooked fields as ancillary data), the
/// verdict the original gives on the cooked packet.
#[test]
fn cooked_programs_keep_their_verdicts_in_kernel_form() {
    use podcap::bpf::interp::{Aux, run};
    let mut exprs: Vec<String> = K8S_EXPRS.iter().map(|s| s.to_string()).collect();
    if let Some(s) = kit::conformance::load() {
        exprs.extend(
            suite::distinct_exprs(&s)
                .into_iter()
                .filter(|e| !suite::is_special(e)),
        );
    }
    exprs.extend(
        [
            "inbound",
            "outbound",
            "ifindex 3",
            "ifindex 7 and tcp",
            "not inbound and udp port 53",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    exprs.sort();
    exprs.dedup();
    let (mut converted, mut userspace, mut runs, mut hatype_loads) = (0, 0, 0usize, 0);
    let mut wrong = Vec::new();
    for lt in [LinkType::LinuxSll, LinkType::LinuxSll2] {
        let hdr = lt.header_len();
        let samples = corpus::corpus(exprs.iter().map(String::as_str), lt, false);
        for e in &exprs {
            let opts = Options {
                linktype: lt,
                ..Default::default()
            };
            let Ok(p) = compile(e, &opts) else { continue };
            let Some(k) = podcap::bpf::kernel::cooked_to_kernel(&p, lt) else {
                userspace += 1;
                continue;
            };
            // interp::Aux has no hardware type: programs reading
            // `[hatype]` cannot be run here (the kernel supplies it).
            let hatype = podcap::bpf::ancillary::OFF + podcap::bpf::ancillary::HATYPE;
            if k.iter().any(|i| i.k == hatype && i.code & 0x07 == 0) {
                hatype_loads += 1;
                continue;
            }
            converted += 1;
            for s in samples.iter().filter(|s| s.data.len() >= hdr) {
                let d = &s.data;
                let (proto, pkttype, ifindex) = if lt == LinkType::LinuxSll {
                    (u16::from_be_bytes([d[14], d[15]]), d[1], s.aux.ifindex)
                } else {
                    (
                        u16::from_be_bytes([d[0], d[1]]),
                        d[10],
                        u32::from_be_bytes([d[4], d[5], d[6], d[7]]),
                    )
                };
                let aux = Aux {
                    protocol: proto,
                    pkttype,
                    ifindex,
                    vlan_tci: None,
                    vlan_tpid: 0,
                };
                let want = run(&p, d, s.wirelen, &s.aux) != 0;
                let got = run(&k, &d[hdr..], s.wirelen - hdr as u32, &aux) != 0;
                runs += 1;
                if want != got {
                    wrong.push(format!(
                        "{} {e:?} on {:?}: cooked {want}, kernel form {got}\n{}kernel form:\n{}",
                        lt.name(),
                        s.name,
                        format(&p, Style::D),
                        format(&k, Style::D)
                    ));
                    break;
                }
            }
        }
    }
    println!(
        "{converted} cooked programs rewritten for the kernel and checked ({userspace} left to user space, \
         {hatype_loads} not run: they read [hatype], which interp::Aux does not model), {runs} runs"
    );
    assert!(
        wrong.is_empty(),
        "{} programs change verdict in kernel form:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
