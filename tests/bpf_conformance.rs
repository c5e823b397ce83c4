//! The bpf printer and optimizer against libpcap: the printer's text is
//! the suite's and Debian's tcpdump's, byte for byte; the optimizer, over
//! libpcap's own test suite (`../shared/conformance`) and tcpdump's
//! programs, keeps every verdict and is no longer than libpcap's, and on
//! random programs keeps their verdicts.

mod kit;

use kit::conformance::accept_cases;
use kit::oracle::Tcpdump;
use kit::{Rng, random_program};
use podcap::bpf::code::*;
use podcap::bpf::interp::{Aux, run};
use podcap::bpf::optimize::optimize;
use podcap::bpf::print::{Style, format, parse_d, parse_dd, parse_ddd};
use podcap::bpf::validate::validate;
use podcap::bpf::{Insn, op};
use podcap::filter::{Options, compile};
use podcap::linktype::LinkType;

/// Packets that reach deep into `progs`: random bytes, with the constants
/// the programs compare against written where they load from.
struct PacketGen {
    /// (offset, size in bytes, value); indirect loads get a guess at X.
    pokes: Vec<(u32, u32, u32)>,
    msh: Vec<u32>,
}

impl PacketGen {
    fn new(progs: &[&[Insn]]) -> PacketGen {
        let mut pokes = Vec::new();
        let mut msh = Vec::new();
        for prog in progs {
            let mut last: Option<(u32, u32, bool)> = None;
            for i in prog.iter() {
                match i.code {
                    LD_W_ABS | LD_H_ABS | LD_B_ABS | LD_W_IND | LD_H_IND | LD_B_IND => {
                        let size = match op::size(i.code) {
                            op::W => 4,
                            op::H => 2,
                            _ => 1,
                        };
                        last = Some((i.k, size, op::mode(i.code) == op::IND));
                    }
                    LDX_MSH => msh.push(i.k),
                    c if op::class(c) == op::JMP && op::src(c) == op::K && c != JA => {
                        if let Some((k, size, ind)) = last {
                            let xs: &[u32] = if ind { &[0, 20, 24, 40] } else { &[0] };
                            for &x in xs {
                                pokes.push((k.wrapping_add(x), size, i.k));
                                if c & 0xf0 != op::JEQ {
                                    pokes.push((k.wrapping_add(x), size, i.k.wrapping_add(1)));
                                }
                            }
                        }
                    }
                    c if op::class(c) == op::ALU => {}
                    _ => last = None,
                }
            }
        }
        PacketGen { pokes, msh }
    }

    fn packet(&self, rng: &mut Rng) -> (Vec<u8>, u32, Aux) {
        let len = match rng.below(10) {
            0 => {
                let short = if rng.chance(30) { 4 } else { 20 };
                rng.below(short)
            }
            1..=7 => 20 + rng.below(110),
            _ => 130 + rng.below(1500),
        };
        let mut p: Vec<u8> = (0..len).map(|_| rng.u32() as u8).collect();
        for &k in &self.msh {
            if rng.chance(70) {
                if let Some(b) = p.get_mut(k as usize) {
                    *b = 0x45;
                }
            }
        }
        let pct = rng.pick(&[10, 40, 70, 95]);
        for &(k, size, v) in &self.pokes {
            if !rng.chance(pct) {
                continue;
            }
            let bytes = v.to_be_bytes();
            let start = k as usize;
            if let Some(dst) = start
                .checked_add(size as usize)
                .and_then(|end| p.get_mut(start..end))
            {
                dst.copy_from_slice(&bytes[4 - size as usize..]);
            }
        }
        let wirelen = len as u32
            + if rng.chance(20) {
                rng.below(100) as u32
            } else {
                0
            };
        let aux = Aux {
            protocol: rng.pick(&[0x0800, 0x86dd, 0x0806, 0x8100]),
            pkttype: rng.below(5) as u8,
            ifindex: rng.below(12) as u32,
            vlan_tci: if rng.chance(30) {
                Some(rng.u32() as u16)
            } else {
                None
            },
            vlan_tpid: 0x8100,
        };
        (p, wirelen, aux)
    }
}

/// Program lengths, ours against libpcap's, over many expressions.
#[derive(Default)]
struct Lengths {
    shorter: usize,
    equal: usize,
    longer: usize,
    ours: usize,
    theirs: usize,
}

impl Lengths {
    /// Counts one pair; true when ours is the longer.
    fn add(&mut self, ours: &[Insn], theirs: &[Insn]) -> bool {
        self.ours += ours.len();
        self.theirs += theirs.len();
        match ours.len().cmp(&theirs.len()) {
            std::cmp::Ordering::Less => self.shorter += 1,
            std::cmp::Ordering::Equal => self.equal += 1,
            std::cmp::Ordering::Greater => self.longer += 1,
        }
        ours.len() > theirs.len()
    }

    fn total(&self) -> usize {
        self.shorter + self.equal + self.longer
    }
}

impl std::fmt::Display for Lengths {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let Lengths {
            shorter,
            equal,
            longer,
            ours,
            theirs,
        } = self;
        write!(
            f,
            "{shorter} shorter, {equal} equal, {longer} longer than libpcap's; \
             instructions: ours {ours}, libpcap {theirs}"
        )
    }
}

/// libpcap's unoptimized program for each expression, optimized by us,
/// against libpcap's optimized one: lengths, and verdicts on packets.
#[test]
fn conformance_against_libpcap() {
    let Some(cases) = accept_cases() else {
        return;
    };
    let mut pairs: std::collections::BTreeMap<_, (Option<String>, Option<String>)> =
        Default::default();
    for c in cases {
        if !matches!(c.dlt(), "EN10MB" | "RAW" | "LINUX_SLL" | "LINUX_SLL2") {
            continue;
        }
        let key = (c.dlt().to_string(), c.expr.clone(), c.snaplen, c.linuxext);
        let e = pairs.entry(key).or_default();
        if c.optimize {
            e.1 = Some(c.expected);
        } else {
            e.0 = Some(c.expected);
        }
    }
    let mut lengths = Lengths::default();
    let mut unopt_total = 0;
    let mut libpcap_self_disagree = 0;
    // Reported, never asserted: the machine is shared.
    let mut spent = std::time::Duration::ZERO;
    let mut times = Vec::new();
    let mut longer_list = Vec::new();
    let mut rng = Rng::new(2024);
    for ((dlt, expr, _, _), (unopt, opt)) in &pairs {
        let (Some(unopt), Some(opt)) = (unopt, opt) else {
            continue;
        };
        let (Ok(unopt), Ok(theirs)) = (parse_d(unopt), parse_d(opt)) else {
            panic!("unparsable expected text for {expr}");
        };
        let t0 = std::time::Instant::now();
        let ours = optimize(unopt.clone());
        spent += t0.elapsed();
        times.push(t0.elapsed());
        assert!(
            validate(&ours).is_ok() || validate(&unopt).is_err(),
            "{dlt} {expr}: optimizer produced an invalid program"
        );
        unopt_total += unopt.len();
        if lengths.add(&ours, &theirs) {
            longer_list.push(format!(
                "{dlt} `{expr}`: ours {} libpcap {}",
                ours.len(),
                theirs.len()
            ));
        }
        let pg = PacketGen::new(&[&unopt, &theirs]);
        let mut disagree = false;
        for _ in 0..300 {
            let (pkt, wirelen, aux) = pg.packet(&mut rng);
            let want = run(&unopt, &pkt, wirelen, &aux);
            let got = run(&ours, &pkt, wirelen, &aux);
            assert_eq!(
                got,
                want,
                "{dlt} `{expr}`: our optimized program disagrees with libpcap's \
                 unoptimized one on {pkt:02x?} (wirelen {wirelen}, {aux:?})\n\
                 unoptimized:\n{}ours:\n{}",
                format(&unopt, Style::D),
                format(&ours, Style::D)
            );
            if run(&theirs, &pkt, wirelen, &aux) != want {
                disagree = true;
            }
        }
        if disagree {
            libpcap_self_disagree += 1;
            eprintln!("  libpcap's optimized program changes the verdict: {dlt} `{expr}`");
        }
        if ours.len() > theirs.len() {
            assert!(
                disagree,
                "{dlt} `{expr}`: ours ({}) is longer than libpcap's ({}) though libpcap's \
                 keeps the verdicts\nours:\n{}libpcap:\n{}",
                ours.len(),
                theirs.len(),
                format(&ours, Style::D),
                format(&theirs, Style::D)
            );
        }
        if ours.len() < theirs.len() {
            eprintln!(
                "  shorter: {dlt} `{expr}`: ours {} libpcap {}",
                ours.len(),
                theirs.len()
            );
        }
    }
    let total = lengths.total();
    eprintln!(
        "optimizer over {total} expressions with both libpcap programs: {lengths} optimized, \
         unoptimized {unopt_total}; libpcap's optimized program disagreed \
         with its unoptimized one on some packet for {libpcap_self_disagree}"
    );
    for l in &longer_list {
        eprintln!("  longer: {l}");
    }
    eprintln!(
        "optimizer time: {:.1} us per expression on average ({} build)",
        spent.as_secs_f64() * 1e6 / total.max(1) as f64,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    assert!(total > 500, "only {total} expression pairs");
}

/// Random valid programs: optimized and not agree on random packets.
#[test]
fn random_programs_keep_their_verdicts() {
    let mut rng = Rng::new(99);
    let mut tested = 0;
    let mut attempts = 0;
    while tested < 3000 && attempts < 200_000 {
        attempts += 1;
        let prog = random_program(&mut rng, 24);
        if validate(&prog).is_err() {
            continue;
        }
        tested += 1;
        let opt = optimize(prog.clone());
        assert!(opt.len() <= prog.len());
        assert!(validate(&opt).is_ok(), "{}", format(&opt, Style::D));
        let pg = PacketGen::new(&[&prog]);
        for _ in 0..40 {
            let (pkt, wirelen, aux) = pg.packet(&mut rng);
            let want = run(&prog, &pkt, wirelen, &aux);
            let got = run(&opt, &pkt, wirelen, &aux);
            assert_eq!(
                got,
                want,
                "on {pkt:02x?} (wirelen {wirelen}, {aux:?})\noriginal:\n{}optimized:\n{}",
                format(&prog, Style::D),
                format(&opt, Style::D)
            );
        }
    }
    assert!(tested >= 3000, "only {tested} valid random programs");
}

/// Every accept program of the suite (all link types, optimized or not,
/// including libpcap's own optimized output) keeps its verdicts and never
/// grows.
#[test]
fn every_suite_program_keeps_its_verdicts() {
    let Some(cases) = accept_cases() else {
        return;
    };
    let mut rng = Rng::new(7);
    let mut seen = std::collections::HashSet::new();
    let (mut n, mut before, mut after) = (0, 0, 0);
    for c in &cases {
        if !seen.insert(c.expected.clone()) {
            continue;
        }
        let Ok(prog) = parse_d(&c.expected) else {
            panic!("unparsable expected text for {}", c.label);
        };
        let opt = optimize(prog.clone());
        assert!(opt.len() <= prog.len(), "{}", c.label);
        n += 1;
        before += prog.len();
        after += opt.len();
        let pg = PacketGen::new(&[&prog]);
        for _ in 0..60 {
            let (pkt, wirelen, aux) = pg.packet(&mut rng);
            assert_eq!(
                run(&opt, &pkt, wirelen, &aux),
                run(&prog, &pkt, wirelen, &aux),
                "{} `{}` on {pkt:02x?} (wirelen {wirelen}, {aux:?})\nbefore:\n{}after:\n{}",
                c.label,
                c.expr,
                format(&prog, Style::D),
                format(&opt, Style::D)
            );
        }
    }
    eprintln!("{n} distinct suite programs: {before} instructions before, {after} after");
}

/// One conditional jump on a value straight from the packet, as seen by
/// [`trace`]: where the bytes are, which bits count, the test, the outcome.
struct Branch {
    addr: usize,
    size: usize,
    mask: u32,
    code: u16,
    k: u32,
    taken: bool,
}

/// Runs `prog` like the interpreter, recording the branches that test
/// packet bytes (possibly masked), so that a packet can be steered down
/// the other side of each.
fn trace(prog: &[Insn], pkt: &[u8], wirelen: u32) -> Vec<Branch> {
    let mut out = Vec::new();
    let (mut a, mut x) = (0u32, 0u32);
    let mut src: Option<(usize, usize, u32)> = None;
    let mut mem = [0u32; 16];
    let mut pc = 0;
    let load = |off: u32, size: usize| -> Option<u32> {
        let o = off as usize;
        let b = pkt.get(o..o.checked_add(size)?)?;
        Some(b.iter().fold(0, |acc, &v| (acc << 8) | u32::from(v)))
    };
    while let Some(i) = prog.get(pc) {
        pc += 1;
        let size = match op::size(i.code) {
            op::W => 4,
            op::H => 2,
            _ => 1,
        };
        match i.code {
            LD_W_ABS | LD_H_ABS | LD_B_ABS if i.k < 0x8000_0000 => {
                let Some(v) = load(i.k, size) else { return out };
                a = v;
                src = Some((i.k as usize, size, u32::MAX));
            }
            LD_W_IND | LD_H_IND | LD_B_IND => {
                let addr = x.wrapping_add(i.k);
                let Some(v) = load(addr, size) else {
                    return out;
                };
                a = v;
                src = Some((addr as usize, size, u32::MAX));
            }
            LDX_MSH => {
                let Some(v) = load(i.k, 1) else { return out };
                x = 4 * (v & 0xf);
            }
            c if op::class(c) == op::ALU && c == op::ALU | op::AND | op::K => {
                a &= i.k;
                src = src.map(|(ad, sz, m)| (ad, sz, m & i.k));
            }
            c if op::class(c) == op::JMP && c != JA && op::src(c) == op::K => {
                let taken = match c {
                    JEQ_K => a == i.k,
                    JGT_K => a > i.k,
                    JGE_K => a >= i.k,
                    _ => a & i.k != 0,
                };
                if let Some((addr, size, mask)) = src {
                    out.push(Branch {
                        addr,
                        size,
                        mask,
                        code: c,
                        k: i.k,
                        taken,
                    });
                }
                pc += usize::from(if taken { i.jt } else { i.jf });
            }
            RET_K | RET_A => return out,
            JA => pc += i.k as usize,
            c if op::class(c) == op::JMP => {
                // Tests against X: decided by the interpreter.
                let p = [
                    Insn::stmt(LDX_IMM, x),
                    Insn::stmt(LD_IMM, a),
                    Insn::jump(c, i.k, 0, 1),
                    Insn::stmt(RET_K, 1),
                    Insn::stmt(RET_K, 2),
                ];
                let taken = run(&p, pkt, wirelen, &Aux::default()) == 1;
                pc += usize::from(if taken { i.jt } else { i.jf });
            }
            ST => mem[(i.k & 15) as usize] = a,
            STX => mem[(i.k & 15) as usize] = x,
            LD_MEM => (a, src) = (mem[(i.k & 15) as usize], None),
            LDX_MEM => x = mem[(i.k & 15) as usize],
            TAX => x = a,
            TXA => (a, src) = (x, None),
            LDX_IMM => x = i.k,
            LDX_W_LEN => x = wirelen,
            _ => {
                // ALU and the remaining loads: the interpreter computes A.
                let p = [
                    Insn::stmt(LD_IMM, a),
                    Insn::stmt(LDX_IMM, x),
                    *i,
                    Insn::stmt(RET_A, 0),
                ];
                a = run(&p, pkt, wirelen, &Aux::default());
                src = None;
            }
        }
    }
    out
}

/// Packets steered down many paths of `prog`: start random, then flip
/// one recorded branch at a time by rewriting the bytes it tests.
fn steered_packets(prog: &[Insn], rng: &mut Rng, n: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let len = 34 + rng.below(300);
        let mut pkt: Vec<u8> = (0..len).map(|_| rng.u32() as u8).collect();
        let mut flipped = std::collections::HashSet::new();
        for _ in 0..24 {
            let branches = trace(prog, &pkt, pkt.len() as u32);
            if branches.is_empty() {
                break;
            }
            // Mostly push deeper: flip the deepest branch not flipped yet.
            let deepest = (0..branches.len())
                .rev()
                .find(|&j| !flipped.contains(&(branches[j].addr, branches[j].code, branches[j].k)));
            let pick = match deepest {
                Some(j) if rng.chance(85) => j,
                _ => rng.below(branches.len()),
            };
            flipped.insert((branches[pick].addr, branches[pick].code, branches[pick].k));
            let b = &branches[pick];
            let want = !b.taken;
            let base = rng.u32();
            let v = match (b.code, want) {
                (JEQ_K, true) => b.k,
                (JEQ_K, false) => b.k ^ (1 << rng.below(8)),
                (JGT_K, true) => b.k.wrapping_add(1),
                (JGT_K, false) => b.k,
                (JGE_K, true) => b.k,
                (JGE_K, false) => b.k.wrapping_sub(1),
                (_, true) => base | b.k,
                (_, false) => base & !b.k,
            };
            let v = (v & b.mask) | (base & !b.mask);
            let bytes = v.to_be_bytes();
            if let Some(dst) = pkt.get_mut(b.addr..b.addr + b.size) {
                dst.copy_from_slice(&bytes[4 - b.size..]);
            }
            out.push(pkt.clone());
            // Truncated copies: loads past the end must still reject.
            if rng.chance(25) {
                let limit = if rng.chance(50) { 64 } else { pkt.len() + 1 };
                let cut = rng.below(limit);
                out.push(pkt[..cut.min(pkt.len())].to_vec());
            }
        }
        out.push(pkt[..rng.below(8)].to_vec());
        out.push(pkt);
    }
    out
}

/// The suite's programs, optimized, on packets steered through their
/// branches (including several layers of encapsulation).
#[test]
fn steered_packets_keep_verdicts() {
    let Some(cases) = accept_cases() else {
        return;
    };
    let mut rng = Rng::new(11);
    let mut seen = std::collections::HashSet::new();
    let (mut packets, mut accepted) = (0usize, 0usize);
    for c in &cases {
        if !matches!(c.dlt(), "EN10MB" | "RAW" | "LINUX_SLL" | "LINUX_SLL2")
            || !seen.insert(c.expected.clone())
        {
            continue;
        }
        let Ok(prog) = parse_d(&c.expected) else {
            continue;
        };
        let opt = optimize(prog.clone());
        for pkt in steered_packets(&prog, &mut rng, 60) {
            for wirelen in [pkt.len() as u32, pkt.len() as u32 + 1000] {
                let want = run(&prog, &pkt, wirelen, &Aux::default());
                let got = run(&opt, &pkt, wirelen, &Aux::default());
                assert_eq!(
                    got,
                    want,
                    "{} `{}` on {pkt:02x?}\nbefore:\n{}after:\n{}",
                    c.label,
                    c.expr,
                    format(&prog, Style::D),
                    format(&opt, Style::D)
                );
                packets += 1;
                accepted += usize::from(want != 0);
            }
        }
    }
    eprintln!("steered packets: {packets}, accepted {accepted}");
    assert!(accepted * 10 > packets, "steering reaches too few accepts");
}

/// Debian's libpcap 1.10 as a second opinion: its unoptimized programs
/// (`tcpdump -O -ddd`) through our optimizer against its optimized ones,
/// for the suite's expressions and a long host/port list.
#[test]
fn against_tcpdump_optimizer() {
    let Some(oracle) = Tcpdump::find() else {
        return;
    };
    let mut exprs: Vec<(String, String)> = Vec::new();
    let long = (0..60)
        .map(|i| {
            format!(
                "host 10.0.{}.{} and port {}",
                i / 250,
                i % 250 + 1,
                1000 + i
            )
        })
        .collect::<Vec<_>>()
        .join(" or ");
    exprs.push(("EN10MB".into(), long));
    let mut seen = std::collections::HashSet::new();
    for c in accept_cases().unwrap_or_default() {
        if matches!(c.dlt(), "EN10MB" | "RAW" | "LINUX_SLL" | "LINUX_SLL2")
            && !c.linuxext
            && seen.insert((c.dlt.clone(), c.expr.clone()))
        {
            exprs.push((c.dlt().to_string(), c.expr));
        }
    }
    let mut rng = Rng::new(3);
    let mut lengths = Lengths::default();
    for (dlt, expr) in &exprs {
        let (Some(unopt), Some(opt)) = (
            oracle.run(dlt, expr, false, "-ddd"),
            oracle.run(dlt, expr, true, "-ddd"),
        ) else {
            continue;
        };
        let (Ok(unopt), Ok(theirs)) = (parse_ddd(&unopt), parse_ddd(&opt)) else {
            continue;
        };
        let ours = optimize(unopt.clone());
        let mut libpcap_differs = false;
        // Look harder where ours is longer: does libpcap's differ?
        let n = if ours.len() > theirs.len() { 2000 } else { 40 };
        for pkt in steered_packets(&unopt, &mut rng, n) {
            let want = run(&unopt, &pkt, pkt.len() as u32, &Aux::default());
            let got = run(&ours, &pkt, pkt.len() as u32, &Aux::default());
            assert_eq!(got, want, "{dlt} `{expr}` on {pkt:02x?}");
            libpcap_differs |= run(&theirs, &pkt, pkt.len() as u32, &Aux::default()) != want;
        }
        if lengths.add(&ours, &theirs) {
            eprintln!(
                "  longer: {dlt} `{expr}`: ours {} libpcap {}{}",
                ours.len(),
                theirs.len(),
                if libpcap_differs {
                    " (libpcap's changes the verdict)"
                } else {
                    ""
                }
            );
            assert!(
                libpcap_differs,
                "{dlt} `{expr}`: longer than libpcap's, which keeps the verdicts\n\
                 ours:\n{}libpcap:\n{}",
                format(&ours, Style::D),
                format(&theirs, Style::D)
            );
        }
    }
    eprintln!("against libpcap 1.10 (tcpdump -O): {lengths}");
    assert!(lengths.total() > 400);
}

/// Time per program (release numbers in BENCHMARKS.md):
/// `cargo test --release --test bpf_conformance bench_optimizer -- --ignored --nocapture`
#[test]
#[ignore]
fn bench_optimizer() {
    let Some(cases) = accept_cases() else {
        return;
    };
    let mut seen = std::collections::HashSet::new();
    let progs: Vec<Vec<Insn>> = cases
        .iter()
        .filter(|c| !c.optimize && !c.linuxext)
        .filter(|c| matches!(c.dlt(), "EN10MB" | "RAW" | "LINUX_SLL" | "LINUX_SLL2"))
        .filter(|c| seen.insert((c.dlt.clone(), c.expr.clone())))
        .filter_map(|c| parse_d(&c.expected).ok())
        .collect();
    // Thread CPU time, best of three runs of `rounds` passes: the machine
    // is shared, and wall time mostly measures the other jobs.
    let rounds = 10;
    let best = (0..3)
        .map(|_| {
            let t0 = kit::thread_cpu();
            for _ in 0..rounds {
                for p in &progs {
                    std::hint::black_box(optimize(p.clone()));
                }
            }
            kit::thread_cpu() - t0
        })
        .min()
        .unwrap_or_default();
    eprintln!(
        "optimizer: {:?} CPU per program over {} unoptimized suite programs \
         (EN10MB, RAW, LINUX_SLL, LINUX_SLL2), best of 3",
        best / (rounds * progs.len() as u32),
        progs.len()
    );
}

/// podcap's own compiler (`filter::compile`, whose unoptimized output
/// follows libpcap 1.10) with this optimizer, against libpcap master's
/// optimized programs in the suite:
/// `cargo test --test bpf_conformance compiled_vs_libpcap -- --ignored --nocapture`
#[test]
#[ignore]
fn compiled_vs_libpcap() {
    let Some(cases) = accept_cases() else {
        return;
    };
    let mut seen = std::collections::HashSet::new();
    let mut lengths = Lengths::default();
    for c in cases.iter().filter(|c| c.optimize && !c.linuxext) {
        let Ok(lt) = LinkType::from_name(c.dlt()) else {
            continue;
        };
        if !seen.insert((c.dlt.clone(), c.expr.clone())) {
            continue;
        }
        let Ok(theirs) = parse_d(&c.expected) else {
            continue;
        };
        let opts = Options {
            linktype: lt,
            snaplen: c.snaplen.unwrap_or(262_144),
            ..Options::default()
        };
        let Ok(ours) = compile(&c.expr, &opts) else {
            continue;
        };
        if lengths.add(&ours, &theirs) {
            eprintln!(
                "  longer: {} `{}`: ours {} libpcap {}",
                c.dlt(),
                c.expr,
                ours.len(),
                theirs.len()
            );
        }
    }
    eprintln!(
        "filter::compile vs libpcap master over {} expressions: {lengths}",
        lengths.total()
    );
}

#[test]
fn printer_matches_conformance_expected_texts() {
    let Some(cases) = accept_cases() else {
        return;
    };
    let texts: Vec<String> = cases.into_iter().map(|c| c.expected).collect();
    assert!(
        texts.len() > 3000,
        "found only {} accept texts",
        texts.len()
    );
    for text in &texts {
        let prog = parse_d(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let ours = format(&prog, Style::D);
        let norm = |s: &str| -> Vec<String> {
            s.lines()
                .map(|l| l.split(" ; 0x").next().unwrap_or(l).trim_end().to_string())
                .collect()
        };
        assert_eq!(norm(&ours), norm(text));
    }
}

/// Byte-for-byte against Debian's tcpdump (the test oracle) over the
/// conformance expressions: parse its `-ddd`, print all three styles.
#[test]
fn printer_matches_tcpdump_byte_for_byte() {
    let Some(cases) = accept_cases() else {
        return;
    };
    let Some(oracle) = Tcpdump::find() else {
        return;
    };
    let mut seen = std::collections::HashSet::new();
    let mut compared = 0;
    for c in &cases {
        if c.linuxext || !seen.insert((c.dlt.clone(), c.expr.clone())) {
            continue;
        }
        // Unoptimized programs for a sample only, to keep this fast.
        let unopt = compared < 150;
        for optimize in [true, false] {
            if !optimize && !unopt {
                continue;
            }
            let Some(ddd) = oracle.run(c.dlt(), &c.expr, optimize, "-ddd") else {
                continue;
            };
            let prog = parse_ddd(&ddd).unwrap_or_else(|e| panic!("{e}\n{ddd}"));
            assert_eq!(format(&prog, Style::Ddd), ddd, "{}", c.expr);
            let d = oracle
                .run(c.dlt(), &c.expr, optimize, "-d")
                .unwrap_or_default();
            assert_eq!(format(&prog, Style::D), d, "{}", c.expr);
            assert_eq!(parse_d(&d).as_ref(), Ok(&prog), "{}", c.expr);
            if optimize {
                let dd = oracle
                    .run(c.dlt(), &c.expr, optimize, "-dd")
                    .unwrap_or_default();
                assert_eq!(format(&prog, Style::Dd), dd, "{}", c.expr);
                assert_eq!(parse_dd(&dd).as_ref(), Ok(&prog), "{}", c.expr);
            }
            compared += 1;
        }
    }
    eprintln!("compared {compared} programs with tcpdump");
    assert!(compared > 400, "only {compared} programs compared");
}
