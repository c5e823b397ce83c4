//! The optimizer against libpcap's (over libpcap's own test suite) and
//! against itself (random programs): same verdicts, no longer.

use super::optimize;
use crate::bpf::code::*;
use crate::bpf::interp::{Aux, run};
use crate::bpf::print::{Style, format, parse_d};
use crate::bpf::testutil::{Rng, accept_cases, random_program};
use crate::bpf::validate::validate;
use crate::bpf::{Insn, op};

fn s(code: u16, k: u32) -> Insn {
    Insn::stmt(code, k)
}

#[test]
fn folds_constant_x_into_an_absolute_load() {
    let unopt = parse_d(
        "(000) ldh      [14]\n\
         (001) jeq      #0x6007          jt 2\tjf 13\n\
         (002) ld       #0xab\n\
         (003) st       M[0]\n\
         (004) ldx      M[0]\n\
         (005) ldb      [x + 16]\n\
         (006) st       M[1]\n\
         (007) ld       #0xcd\n\
         (008) st       M[2]\n\
         (009) ldx      M[2]\n\
         (010) ld       M[1]\n\
         (011) jeq      x                jt 12\tjf 13\n\
         (012) ret      #262144\n\
         (013) ret      #0\n",
    )
    .unwrap_or_default();
    let got = format(&optimize(unopt), Style::D);
    assert_eq!(
        got,
        "(000) ldh      [14]\n\
         (001) jeq      #0x6007          jt 2\tjf 5\n\
         (002) ldb      [187]\n\
         (003) jeq      #0xcd            jt 4\tjf 5\n\
         (004) ret      #262144\n\
         (005) ret      #0\n"
    );
}

#[test]
fn threads_a_repeated_test() {
    // ip or ip6, tested twice: the second test of [12] is decided.
    let p = vec![
        s(LD_H_ABS, 12),
        Insn::jump(JEQ_K, 0x800, 0, 2),
        s(LD_B_ABS, 23),
        Insn::jump(JEQ_K, 6, 3, 0),
        s(LD_H_ABS, 12),
        Insn::jump(JEQ_K, 0x86dd, 0, 2),
        s(LD_B_ABS, 20),
        Insn::jump(JEQ_K, 6, 0, 1),
        s(RET_K, 65535),
        s(RET_K, 0),
    ];
    let o = optimize(p.clone());
    assert!(o.len() < p.len(), "{}", format(&o, Style::D));
    assert!(
        !o.contains(&s(LD_H_ABS, 12)) || o.iter().filter(|i| **i == s(LD_H_ABS, 12)).count() == 1
    );
}

#[test]
fn keeps_a_dead_load_that_may_fail() {
    // `ld [100]` is dead, but it rejects packets shorter than 104 bytes.
    let p = vec![s(LD_W_ABS, 100), s(LD_IMM, 1), s(RET_A, 0)];
    let o = optimize(p);
    let short = [0u8; 50];
    let long = [0u8; 120];
    assert_eq!(run(&o, &short, 50, &Aux::default()), 0);
    assert_eq!(run(&o, &long, 120, &Aux::default()), 1);
    assert_eq!(o, vec![s(LD_W_ABS, 100), s(RET_K, 1)]);
}

#[test]
fn invalid_programs_come_back_unchanged() {
    let p = vec![s(LD_IMM, 1)];
    assert_eq!(optimize(p.clone()), p);
    let p = vec![Insn::stmt(JA, 5), s(RET_K, 0)];
    assert_eq!(optimize(p.clone()), p);
}

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
        if !matches!(
            c.dlt.as_str(),
            "EN10MB" | "RAW" | "LINUX_SLL" | "LINUX_SLL2"
        ) {
            continue;
        }
        let key = (c.dlt.clone(), c.expr.clone(), c.snaplen, c.linuxext);
        let e = pairs.entry(key).or_default();
        if c.optimize {
            e.1 = Some(c.expected);
        } else {
            e.0 = Some(c.expected);
        }
    }
    let (mut shorter, mut equal, mut longer) = (0, 0, 0);
    let (mut ours_total, mut theirs_total, mut unopt_total) = (0, 0, 0);
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
        ours_total += ours.len();
        theirs_total += theirs.len();
        unopt_total += unopt.len();
        match ours.len().cmp(&theirs.len()) {
            std::cmp::Ordering::Less => shorter += 1,
            std::cmp::Ordering::Equal => equal += 1,
            std::cmp::Ordering::Greater => {
                longer += 1;
                longer_list.push(format!(
                    "{dlt} `{expr}`: ours {} libpcap {}",
                    ours.len(),
                    theirs.len()
                ));
            }
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
    let total = shorter + equal + longer;
    eprintln!(
        "optimizer over {total} expressions with both libpcap programs: \
         {shorter} shorter, {equal} equal, {longer} longer than libpcap's; \
         instructions: ours {ours_total}, libpcap optimized {theirs_total}, \
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
        if !matches!(
            c.dlt.as_str(),
            "EN10MB" | "RAW" | "LINUX_SLL" | "LINUX_SLL2"
        ) || !seen.insert(c.expected.clone())
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
    let Some(oracle) = crate::bpf::testutil::Tcpdump::new() else {
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
        if matches!(
            c.dlt.as_str(),
            "EN10MB" | "RAW" | "LINUX_SLL" | "LINUX_SLL2"
        ) && !c.linuxext
            && seen.insert((c.dlt.clone(), c.expr.clone()))
        {
            exprs.push((c.dlt, c.expr));
        }
    }
    let mut rng = Rng::new(3);
    let (mut shorter, mut equal, mut longer, mut ours_total, mut theirs_total) = (0, 0, 0, 0, 0);
    for (dlt, expr) in &exprs {
        let (Some(unopt), Some(opt)) = (
            oracle.run(dlt, expr, false, "-ddd"),
            oracle.run(dlt, expr, true, "-ddd"),
        ) else {
            continue;
        };
        let (Ok(unopt), Ok(theirs)) = (
            crate::bpf::print::parse_ddd(&unopt),
            crate::bpf::print::parse_ddd(&opt),
        ) else {
            continue;
        };
        let ours = optimize(unopt.clone());
        ours_total += ours.len();
        theirs_total += theirs.len();
        let mut libpcap_differs = false;
        // Look harder where ours is longer: does libpcap's differ?
        let n = if ours.len() > theirs.len() { 2000 } else { 40 };
        for pkt in steered_packets(&unopt, &mut rng, n) {
            let want = run(&unopt, &pkt, pkt.len() as u32, &Aux::default());
            let got = run(&ours, &pkt, pkt.len() as u32, &Aux::default());
            assert_eq!(got, want, "{dlt} `{expr}` on {pkt:02x?}");
            libpcap_differs |= run(&theirs, &pkt, pkt.len() as u32, &Aux::default()) != want;
        }
        match ours.len().cmp(&theirs.len()) {
            std::cmp::Ordering::Less => shorter += 1,
            std::cmp::Ordering::Equal => equal += 1,
            std::cmp::Ordering::Greater => {
                longer += 1;
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
    }
    eprintln!(
        "against libpcap 1.10 (tcpdump -O): {shorter} shorter, {equal} equal, {longer} longer; \
         instructions: ours {ours_total}, libpcap {theirs_total}"
    );
    assert!(shorter + equal + longer > 400);
}

/// Time per program (release numbers in BENCHMARKS.md):
/// `cargo test --release --lib bpf::optimize::tests::bench_optimizer -- --ignored --nocapture`
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
        .filter(|c| {
            matches!(
                c.dlt.as_str(),
                "EN10MB" | "RAW" | "LINUX_SLL" | "LINUX_SLL2"
            )
        })
        .filter(|c| seen.insert((c.dlt.clone(), c.expr.clone())))
        .filter_map(|c| parse_d(&c.expected).ok())
        .collect();
    let rounds = 5;
    let t0 = std::time::Instant::now();
    for _ in 0..rounds {
        for p in &progs {
            std::hint::black_box(optimize(p.clone()));
        }
    }
    eprintln!(
        "optimizer: {:?} per program over {} unoptimized suite programs \
         (EN10MB, RAW, LINUX_SLL, LINUX_SLL2)",
        t0.elapsed() / (rounds * progs.len() as u32),
        progs.len()
    );
}

/// podcap's own compiler (`filter::compile`, whose unoptimized output
/// follows libpcap 1.10) with this optimizer, against libpcap master's
/// optimized programs in the suite:
/// `cargo test --lib bpf::optimize::tests::compiled_vs_libpcap -- --ignored --nocapture`
#[test]
#[ignore]
fn compiled_vs_libpcap() {
    use crate::filter::{Options, compile};
    use crate::linktype::LinkType;
    let Some(cases) = accept_cases() else {
        return;
    };
    let mut seen = std::collections::HashSet::new();
    let (mut ours_total, mut theirs_total, mut n) = (0, 0, 0);
    let (mut shorter, mut equal, mut longer) = (0, 0, 0);
    for c in cases.iter().filter(|c| c.optimize && !c.linuxext) {
        let Ok(lt) = LinkType::from_name(&c.dlt) else {
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
        n += 1;
        ours_total += ours.len();
        theirs_total += theirs.len();
        match ours.len().cmp(&theirs.len()) {
            std::cmp::Ordering::Less => shorter += 1,
            std::cmp::Ordering::Equal => equal += 1,
            std::cmp::Ordering::Greater => {
                longer += 1;
                eprintln!(
                    "  longer: {} `{}`: ours {} libpcap {}",
                    c.dlt,
                    c.expr,
                    ours.len(),
                    theirs.len()
                );
            }
        }
    }
    eprintln!(
        "filter::compile vs libpcap master over {n} expressions: {shorter} shorter, \
         {equal} equal, {longer} longer; instructions ours {ours_total}, libpcap {theirs_total}"
    );
}

/// `podcap compile -O -y LINUX_SLL 'ip[6:2] & 0x1fff == 0 or ip6 and vxlan'`.
/// Its `and #0x1fff; sub x; jeq #0` becomes a `jset #0x1fff` with the
/// targets swapped; the blocks after it once read that edge with the label
/// it had before the swap, "learnt" that a fragment bit of `ldh [22]` was
/// set on the unfragmented path, and folded the later `jset #0x1fff` the
/// wrong way: every IPv4 packet was rejected.
const SLL_FRAG_OR_IP6_VXLAN: &str = "(000) ldh      [14]
(001) jeq      #0x800           jt 2\tjf 19
(002) ld       #0x6
(003) st       M[0]
(004) ldx      M[0]
(005) ldh      [x + 16]
(006) st       M[1]
(007) ld       #0x1fff
(008) st       M[2]
(009) ldx      M[2]
(010) ld       M[1]
(011) and      x
(012) st       M[2]
(013) ld       #0x0
(014) st       M[3]
(015) ldx      M[3]
(016) ld       M[2]
(017) sub      x
(018) jeq      #0x0             jt 21\tjf 19
(019) ldh      [14]
(020) jeq      #0x86dd          jt 21\tjf 58
(021) ldh      [14]
(022) jeq      #0x800           jt 23\tjf 36
(023) ldb      [25]
(024) jeq      #0x11            jt 25\tjf 36
(025) ldh      [22]
(026) jset     #0x1fff          jt 36\tjf 27
(027) ldxb     4*([16]&0xf)
(028) ldh      [x + 18]
(029) jeq      #0x12b5          jt 30\tjf 36
(030) ldxb     4*([16]&0xf)
(031) ldb      [x + 24]
(032) jeq      #0x8             jt 33\tjf 36
(033) ldxb     4*([16]&0xf)
(034) txa
(035) jeq      x                jt 47\tjf 36
(036) ldh      [14]
(037) jeq      #0x86dd          jt 38\tjf 58
(038) ldb      [22]
(039) jeq      #0x11            jt 40\tjf 58
(040) ldh      [58]
(041) jeq      #0x12b5          jt 42\tjf 58
(042) ldb      [64]
(043) jeq      #0x8             jt 44\tjf 58
(044) ld       #0x28
(045) tax
(046) jeq      x                jt 47\tjf 58
(047) add      #24
(048) add      #8
(049) st       M[3]
(050) add      #12
(051) st       M[4]
(052) add      #2
(053) tax
(054) stx      M[5]
(055) ld       #0x0
(056) jeq      #0x0             jt 57\tjf 58
(057) ret      #262144
(058) ret      #0
";

/// A LINUX_SLL frame carrying UDP to `dport` whose payload starts with
/// `first` (VXLAN's flags byte), over IPv4 (with `frag` as the fragment
/// field) or IPv6.
fn sll_udp(v6: bool, frag: u16, dport: u16, first: u8) -> Vec<u8> {
    let mut p = vec![0, 0, 0, 1, 0, 6, 0x0a, 0x58, 0x0a, 0xf4, 1, 7, 0, 0];
    let udp_at = if v6 {
        p.extend_from_slice(&[0x86, 0xdd, 0x60, 0, 0, 0, 0, 24, 17, 64]);
        p.extend_from_slice(&[0xfd; 32]);
        p.len()
    } else {
        p.extend_from_slice(&[0x08, 0x00, 0x45, 0, 0, 44, 0x12, 0x34]);
        p.extend_from_slice(&frag.to_be_bytes());
        p.extend_from_slice(&[64, 17, 0, 0, 10, 244, 0, 21, 10, 244, 1, 7]);
        p.len()
    };
    p.extend_from_slice(&[0x80, 0x00]);
    p.extend_from_slice(&dport.to_be_bytes());
    p.extend_from_slice(&[0, 24, 0, 0, first, 0, 0, 0, 0, 0, 0, 0]);
    p.extend_from_slice(&[0; 8]);
    assert_eq!(p.len(), udp_at + 24);
    p
}

#[test]
fn a_swapped_fused_test_keeps_its_edges_meaning() {
    let unopt = match parse_d(SLL_FRAG_OR_IP6_VXLAN) {
        Ok(p) => p,
        Err(e) => panic!("the test program does not parse: {e}"),
    };
    let opt = optimize(unopt.clone());
    let listing = format(&opt, Style::D);
    let aux = Aux::default();
    let cases = [
        ("ip vxlan", sll_udp(false, 0x4000, 4789, 8), 262144),
        (
            "ip vxlan, later fragment",
            sll_udp(false, 0x0010, 4789, 8),
            0,
        ),
        ("ip udp 53", sll_udp(false, 0, 53, 8), 0),
        ("ip 4789 without the I flag", sll_udp(false, 0, 4789, 0), 0),
        ("ip6 vxlan", sll_udp(true, 0, 4789, 8), 262144),
        ("ip6 udp 53", sll_udp(true, 0, 53, 8), 0),
    ];
    for (what, pkt, want) in cases {
        let len = pkt.len() as u32;
        assert_eq!(run(&unopt, &pkt, len, &aux), want, "unoptimized, {what}");
        assert_eq!(run(&opt, &pkt, len, &aux), want, "{what}:\n{listing}");
    }
}
