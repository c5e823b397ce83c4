//! libpcap's own filter test suite (`../shared/conformance/`, exported from
//! libpcap's TESTrun) run against podcap's compiler:
//!
//! - accept cases on EN10MB, RAW, LINUX_SLL, LINUX_SLL2: our program gives
//!   the same verdict as libpcap's `expected` program on every corpus
//!   packet, and is no longer when optimized;
//! - reject cases on those link types: our compiler refuses the expression;
//! - apply cases on savefiles of those link types: the listed per-packet
//!   results.
//!
//! Counts (passed / failed / out of scope with reasons) are printed; with
//! `PODCAP_VERIFY_STATUS=path` the grouped failure list is also written
//! there for the compiler's authors.

#[path = "corpus/mod.rs"]
mod corpus;
mod kit;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::Instant;

use corpus::Sample;
use corpus::suite;
use kit::conformance::{Case, Suite};
use kit::libpcap::{Libpcap, Request};
use podcap::bpf::print::{Style, format, parse_d};
use podcap::bpf::{Insn, interp, validate};
use podcap::filter::{Options, compile};
use podcap::linktype::LinkType;

/// Passing accept cases must not drop below this (raise it as the
/// compiler improves; the goal is every in-scope case).
const FLOOR_ACCEPT: usize = 1164;
const FLOOR_REJECT: usize = 2274;
const FLOOR_APPLY: usize = 180;

fn at_least(what: &str, passed: usize, floor: usize) {
    assert!(
        passed >= floor,
        "{what} cases passing: {passed}, below the floor of {floor} (a regression; see the FAIL lines above)"
    );
}

#[derive(Debug)]
struct Failure {
    group: String,
    label: String,
    expr: String,
    detail: String,
}

#[derive(Default)]
struct Tally {
    passed: usize,
    failed: Vec<Failure>,
    out_of_scope: BTreeMap<String, usize>,
    other_dlts: std::collections::BTreeSet<String>,
    /// Passed cases whose libpcap program loops (length not compared).
    looping: usize,
    /// Passed cases where libpcap's optimized program disagrees with its
    /// own unoptimized one and ours agrees with the unoptimized one.
    libpcap_optimizer_changed: usize,
    /// Passed cases where libpcap master (the suite) differs from Debian's
    /// libpcap 1.10.3, the oracle podcap follows, and ours is 1.10.3's.
    follows_1_10: usize,
}

impl Tally {
    fn skip(&mut self, why: impl Into<String>) {
        *self.out_of_scope.entry(why.into()).or_default() += 1;
    }
    fn skip_dlt(&mut self, dlt: &str) {
        self.skip("other link types: podcap compiles for EN10MB, RAW, LINUX_SLL, LINUX_SLL2 only");
        self.other_dlts.insert(dlt.to_string());
    }
    fn fail(&mut self, kind: &str, c: &Case, detail: String) {
        self.fail_in(format!("{kind}: {}", suite::family(&c.expr)), c, detail);
    }
    fn fail_in(&mut self, group: String, c: &Case, detail: String) {
        self.failed.push(Failure {
            group,
            label: c.label.clone(),
            expr: c.expr.clone(),
            detail,
        });
    }
    fn summary(&self, name: &str) -> String {
        let oos: usize = self.out_of_scope.values().sum();
        let mut s = format!(
            "{name}: {} passed / {} failed / {oos} out of scope\n",
            self.passed,
            self.failed.len()
        );
        for (why, n) in &self.out_of_scope {
            let _ = writeln!(s, "    out of scope: {n:5}  {why}");
        }
        if self.looping > 0 {
            let _ = writeln!(
                s,
                "    ({} passed cases: libpcap's program jumps backwards (protochain loop, refused by \
                 the kernel); verdicts compared with the test-only interpreter, length not compared)",
                self.looping
            );
        }
        if self.libpcap_optimizer_changed > 0 {
            let _ = writeln!(
                s,
                "    ({} passed cases: libpcap's optimizer changes the verdicts of libpcap's own \
                 unoptimized program; ours keeps the unoptimized verdicts)",
                self.libpcap_optimizer_changed
            );
        }
        if self.follows_1_10 > 0 {
            let _ = writeln!(
                s,
                "    ({} passed cases: libpcap master, which the suite was exported from, differs from \
                 Debian's libpcap 1.10.3 (master's checks of protocol numbers and DECnet areas, its \
                 shorter IPv6 prefixes); ours does what 1.10.3 does)",
                self.follows_1_10
            );
        }
        if !self.other_dlts.is_empty() {
            let _ = writeln!(s, "    ({} other link types)", self.other_dlts.len());
        }
        s
    }
}

/// An error reason without its variable parts (quoted names, numbers),
/// to group failures.
fn short(why: &str) -> String {
    let first = why.lines().next().unwrap_or("");
    let mut out = String::new();
    let mut quoted = false;
    for ch in first.chars() {
        if ch == '\'' || ch == '`' {
            if !quoted {
                out.push_str("'…'");
            }
            quoted = !quoted;
        } else if quoted {
            continue;
        } else if !ch.is_ascii_digit() || out.ends_with(|c: char| c.is_ascii_alphabetic()) {
            out.push(ch);
        }
    }
    out.chars().take(80).collect()
}

fn options_for(c: &Case, lt: LinkType) -> Options {
    Options {
        linktype: lt,
        optimize: c.optimize,
        snaplen: c.snaplen.unwrap_or(262_144),
        netmask: c.netmask.as_deref().and_then(suite::netmask),
        linux_ext: c.linuxext,
        ..Default::default()
    }
}

/// The same compile as `c` asks, by Debian's libpcap 1.10.3.
fn debian(lib: Option<&Libpcap>, c: &Case, lt: LinkType) -> Option<Result<Vec<Insn>, String>> {
    let lib = lib?;
    Some(lib.compile(&Request {
        linktype: lt,
        optimize: c.optimize,
        netmask: c.netmask.as_deref().and_then(suite::netmask).unwrap_or(0),
        snaplen: c.snaplen.unwrap_or(262_144),
        expr: c.expr.clone(),
    }))
}

/// Compiles without letting a panic take the whole suite down: a panic is
/// reported as a failure of that case.
fn try_compile(expr: &str, opts: &Options) -> Result<podcap::Result<Vec<Insn>>, String> {
    catch_unwind(AssertUnwindSafe(|| compile(expr, opts))).map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panic".to_string())
    })
}

struct Corpora {
    map: HashMap<(LinkType, bool), Vec<Sample>>,
    frames: Vec<corpus::Frame>,
}

impl Corpora {
    fn new(suite: &Suite) -> Self {
        let mut exprs: Vec<&str> = suite.accept.iter().map(|c| c.expr.as_str()).collect();
        exprs.extend(suite.apply.iter().map(|c| c.expr.as_str()));
        exprs.extend(suite::K8S_EXPRS.iter().copied());
        let lits = corpus::Literals::from_exprs(exprs);
        Corpora {
            map: HashMap::new(),
            frames: corpus::frames(&lits),
        }
    }
    fn get(&mut self, lt: LinkType, ext: bool) -> &[Sample] {
        let frames = &self.frames;
        self.map
            .entry((lt, ext))
            .or_insert_with(|| corpus::samples(frames, lt, ext))
    }
}

fn show(prog: &[Insn]) -> String {
    format(prog, Style::D)
}

type CaseKey = (String, String, Option<u32>, Option<String>, bool);

fn key(c: &Case) -> CaseKey {
    (
        c.dlt.clone().unwrap_or_default(),
        c.expr.clone(),
        c.snaplen,
        c.netmask.clone(),
        c.linuxext,
    )
}

fn check_accept(suite: &Suite, corpora: &mut Corpora, lib: Option<&Libpcap>) -> Tally {
    let mut t = Tally::default();
    let unoptimized: HashMap<CaseKey, Vec<Insn>> = suite
        .accept
        .iter()
        .filter(|c| !c.optimize)
        .filter_map(|c| parse_d(&c.expected).ok().map(|p| (key(c), p)))
        .collect();
    for c in &suite.accept {
        let dlt = c.dlt.as_deref().unwrap_or("");
        let Some(lt) = suite::linktype_for_dlt(dlt) else {
            t.skip_dlt(dlt);
            continue;
        };
        if suite::is_special(&c.expr) {
            t.skip("_enumerate_bpf_image: libpcap's printer self-test, not an expression");
            continue;
        }
        let expected = match parse_d(&c.expected) {
            Ok(p) => p,
            Err(e) => {
                t.fail(
                    "harness: expected program unreadable by parse_d",
                    c,
                    format!("{e}"),
                );
                continue;
            }
        };
        let opts = options_for(c, lt);
        let ours = match try_compile(&c.expr, &opts) {
            Err(p) => {
                t.fail("panicked", c, p);
                continue;
            }
            Ok(Err(e)) => {
                t.fail_in(format!("rejected: {}", short(&e.why)), c, format!("{e}"));
                continue;
            }
            Ok(Ok(p)) => p,
        };
        // -O programs are libpcap 1.10's even where the kernel refuses them
        // (capture then filters in user space); tests/filter_kernel.rs
        // loads the others.
        if let Err(e) = validate::validate_for_user_space(&ours) {
            t.fail("invalid program", c, format!("{e}\n{}", show(&ours)));
            continue;
        }
        let corpus = corpora.get(lt, c.linuxext);
        // Where master's program differs from 1.10.3's, 1.10.3's is the
        // reference: ours has the verdicts of its unoptimized program and,
        // optimized, is no longer than its optimized one unless that one
        // changes its own verdicts (or loops: protochain).
        let master_ok = suite::first_difference(&expected, &ours, corpus).is_none()
            && (!c.optimize
                || ours.len() <= expected.len()
                || corpus::refinterp::has_backward_jump(&expected));
        if !master_ok {
            let unopt_case = Case {
                optimize: false,
                ..c.clone()
            };
            let d_unopt = debian(lib, &unopt_case, lt).and_then(Result::ok);
            let d_opt = debian(lib, c, lt).and_then(Result::ok);
            if let (Some(du), Some(dopt)) = (&d_unopt, &d_opt) {
                let same = suite::first_difference(du, &ours, corpus).is_none();
                let short_enough = !c.optimize
                    || ours.len() <= dopt.len()
                    || corpus::refinterp::has_backward_jump(dopt)
                    || suite::differ_even_truncated(du, dopt, corpus);
                if same && short_enough {
                    t.follows_1_10 += 1;
                    t.passed += 1;
                    continue;
                }
            }
        }
        if let Some((s, want, got)) = suite::first_difference(&expected, &ours, corpus) {
            // libpcap's optimizer sometimes changes the verdicts of its own
            // unoptimized program (it drops a load whose value is unused but
            // which rejects short packets). Keeping the unoptimized
            // semantics is not a failure.
            let unopt = c.optimize.then(|| unoptimized.get(&key(c))).flatten();
            if let Some(u) = unopt {
                if suite::first_difference(u, &expected, corpus).is_some()
                    && suite::first_difference(u, &ours, corpus).is_none()
                {
                    t.libpcap_optimizer_changed += 1;
                    t.passed += 1;
                    continue;
                }
            }
            t.fail(
                "verdict",
                c,
                format!(
                    "packet {:?} ({} bytes of {}): libpcap {want}, ours {got}\n  bytes: {}\n  aux: {:?}\nlibpcap:\n{}ours:\n{}",
                    s.name,
                    s.data.len(),
                    s.wirelen,
                    corpus::hex(&s.data),
                    s.aux,
                    c.expected,
                    show(&ours)
                ),
            );
            continue;
        }
        if c.optimize && corpus::refinterp::has_backward_jump(&expected) {
            // libpcap's protochain loops (backward `ja`), which the kernel
            // refuses; an attachable program cannot be that short, so only
            // verdicts are compared.
            t.looping += 1;
        } else if c.optimize && ours.len() > expected.len() {
            t.fail(
                "longer than libpcap",
                c,
                format!(
                    "{} instructions, libpcap {}\nlibpcap:\n{}ours:\n{}",
                    ours.len(),
                    expected.len(),
                    c.expected,
                    show(&ours)
                ),
            );
            continue;
        }
        t.passed += 1;
    }
    t
}

fn check_reject(suite: &Suite, lib: Option<&Libpcap>) -> Tally {
    let mut t = Tally::default();
    for c in &suite.reject {
        let Some(dlt) = c.dlt.as_deref() else {
            t.skip("savefile-open cases: about the pcap reader, not the compiler");
            continue;
        };
        let Some(lt) = suite::linktype_for_dlt(dlt) else {
            t.skip_dlt(dlt);
            continue;
        };
        let opts = options_for(c, lt);
        match try_compile(&c.expr, &opts) {
            Err(p) => t.fail("panicked", c, p),
            Ok(Err(_)) => t.passed += 1,
            Ok(Ok(_)) if matches!(debian(lib, c, lt), Some(Ok(_))) => t.skip(
                "libpcap master refuses, Debian's libpcap 1.10.3 compiles (unchecked protocol \
                 numbers, DECnet areas): podcap does what 1.10.3 does",
            ),
            Ok(Ok(p)) => t.fail(
                "accepted (libpcap rejects)",
                c,
                format!("libpcap says: {}\nours:\n{}", c.expected, show(&p)),
            ),
        }
    }
    t
}

/// Packets of a savefile: link type, snap length, (bytes, wire length).
type Savefile = (u32, u32, Vec<(Vec<u8>, u32)>);

fn read_savefile(path: &Path) -> Result<Savefile, String> {
    use pcap_parser::pcapng::Block;
    use pcap_parser::{PcapBlockOwned, PcapError};
    let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut r = pcap_parser::create_reader(1 << 20, &data[..]).map_err(|e| format!("{e:?}"))?;
    let (mut lt, mut snap) = (0u32, 0u32);
    let mut pkts = Vec::new();
    loop {
        match r.next() {
            Ok((off, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        lt = h.network.0 as u32;
                        snap = h.snaplen;
                    }
                    PcapBlockOwned::Legacy(b) => pkts.push((b.data.to_vec(), b.origlen)),
                    PcapBlockOwned::NG(Block::InterfaceDescription(i)) => {
                        lt = i.linktype.0 as u32;
                        snap = i.snaplen;
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(e)) => {
                        let n = (e.caplen as usize).min(e.data.len());
                        pkts.push((e.data[..n].to_vec(), e.origlen));
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(p)) => {
                        pkts.push((p.data.to_vec(), p.origlen));
                    }
                    _ => {}
                }
                r.consume(off);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                r.refill().map_err(|e| format!("{e:?}"))?;
            }
            Err(e) => return Err(format!("{}: {e:?}", path.display())),
        }
    }
    if snap == 0 {
        snap = 262_144;
    }
    Ok((lt, snap, pkts))
}

fn check_apply(suite: &Suite) -> Tally {
    let mut t = Tally::default();
    let mut files: HashMap<String, Result<Savefile, String>> = HashMap::new();
    for c in &suite.apply {
        let name = c.savefile.as_deref().unwrap_or("");
        let name = name.strip_prefix("filter/").unwrap_or(name);
        let f = files
            .entry(name.to_string())
            .or_insert_with(|| read_savefile(&suite.dir.join("libpcap-savefiles").join(name)));
        let (lt, snap, pkts) = match f {
            Ok(v) => v,
            Err(e) => {
                t.fail("harness: savefile unreadable", c, e.clone());
                continue;
            }
        };
        let Some(lt) = LinkType::from_linktype(*lt) else {
            t.skip(format!(
                "savefile of link type {lt}: not one podcap compiles for"
            ));
            continue;
        };
        let opts = Options {
            snaplen: *snap,
            ..options_for(c, lt)
        };
        let prog = match try_compile(&c.expr, &opts) {
            Err(p) => {
                t.fail("panicked", c, p);
                continue;
            }
            Ok(Err(e)) => {
                t.fail_in(
                    format!("apply: rejected: {}", short(&e.why)),
                    c,
                    format!("{e}"),
                );
                continue;
            }
            Ok(Ok(p)) => p,
        };
        let want: Vec<u32> = c
            .expected
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect();
        let got: Vec<u32> = pkts
            .iter()
            .map(|(d, wl)| interp::run(&prog, d, *wl, &interp::Aux::default()))
            .collect();
        if want == got {
            t.passed += 1;
        } else {
            t.fail(
                "apply: results differ",
                c,
                format!(
                    "{name}: libpcap {want:?}\n  ours {got:?}\nours:\n{}",
                    show(&prog)
                ),
            );
        }
    }
    t
}

fn status_report(parts: &[(&str, &Tally)]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# verify status: filter conformance\n\nGenerated by `cargo test --release --test filter_conformance -- --nocapture` \
         (with PODCAP_VERIFY_STATUS set).\n"
    );
    if let Ok(note) = std::env::var("PODCAP_VERIFY_NOTE") {
        let _ = writeln!(s, "{note}\n");
    }
    for (name, t) in parts {
        let _ = writeln!(s, "```\n{}```", t.summary(name));
    }
    for (name, t) in parts {
        if t.failed.is_empty() {
            continue;
        }
        let mut groups: BTreeMap<&str, Vec<&Failure>> = BTreeMap::new();
        for f in &t.failed {
            groups.entry(&f.group).or_default().push(f);
        }
        let _ = writeln!(
            s,
            "\n## {name}: {} failures in {} groups\n",
            t.failed.len(),
            groups.len()
        );
        for (g, fs) in groups {
            let ex = fs[0];
            let _ = writeln!(s, "### {g} ({} cases)\n", fs.len());
            let labels: Vec<&str> = fs.iter().map(|f| f.label.as_str()).take(40).collect();
            let _ = writeln!(
                s,
                "labels: {}{}\n",
                labels.join(" "),
                if fs.len() > 40 { " ..." } else { "" }
            );
            let _ = writeln!(
                s,
                "example `{}` ({}):\n```\n{}\n```\n",
                ex.expr.escape_debug(),
                ex.label,
                ex.detail
            );
        }
    }
    s
}

#[test]
fn conformance() {
    let Some(suite) = kit::conformance::load() else {
        return;
    };
    let started = Instant::now();
    let mut corpora = Corpora::new(&suite);
    let lib = Libpcap::start();
    let accept = check_accept(&suite, &mut corpora, lib.as_ref());
    let reject = check_reject(&suite, lib.as_ref());
    let apply = check_apply(&suite);
    for lt in LinkType::ALL {
        println!(
            "corpus {}: {} packets",
            lt.name(),
            corpora.get(lt, false).len()
        );
    }
    let parts = [("accept", &accept), ("reject", &reject), ("apply", &apply)];
    for (name, t) in parts {
        print!("{}", t.summary(name));
    }
    for (name, t) in parts {
        for f in t.failed.iter().take(400) {
            println!("FAIL {name} {} [{}] {:?}", f.label, f.group, f.expr);
        }
    }
    if let Ok(p) = std::env::var("PODCAP_VERIFY_STATUS") {
        if let Err(e) = std::fs::write(&p, status_report(&parts)) {
            println!("cannot write {p}: {e}");
        }
    }
    println!("conformance took {:?}", started.elapsed());
    at_least("accept", accept.passed, FLOOR_ACCEPT);
    at_least("reject", reject.passed, FLOOR_REJECT);
    at_least("apply", apply.passed, FLOOR_APPLY);
}

/// The corpus is not vacuous: libpcap's own programs accept some and reject
/// some packets for most expressions, on every link type.
#[test]
fn corpus_exercises_expected_programs() {
    let Some(suite) = kit::conformance::load() else {
        return;
    };
    let mut corpora = Corpora::new(&suite);
    let mut trivial = Vec::new();
    let mut total = 0;
    for c in &suite.accept {
        let Some(lt) = c.dlt.as_deref().and_then(suite::linktype_for_dlt) else {
            continue;
        };
        if suite::is_special(&c.expr) || !c.optimize {
            continue;
        }
        let Ok(p) = parse_d(&c.expected) else {
            continue;
        };
        let corpus = corpora.get(lt, c.linuxext);
        let n = suite::accepted(&p, corpus);
        total += 1;
        if n == 0 || n == corpus.len() {
            trivial.push(format!(
                "{} {:?} accepts {n}/{}",
                lt.name(),
                c.expr,
                corpus.len()
            ));
        }
    }
    println!(
        "{} of {total} expected programs are constant on the corpus:",
        trivial.len()
    );
    for t in &trivial {
        println!("  {t}");
    }
}

#[test]
#[ignore]
fn corpus_stats() {
    let Some(suite) = kit::conformance::load() else {
        return;
    };
    let c = Corpora::new(&suite);
    let mut m: BTreeMap<String, usize> = BTreeMap::new();
    for f in &c.frames {
        *m.entry(f.name.split_whitespace().next().unwrap_or("").to_string())
            .or_default() += 1;
    }
    println!(
        "{:?}",
        corpus::Literals::from_exprs(suite.accept.iter().map(|c| c.expr.as_str()))
    );
    println!(
        "{} frames, {} marked for truncation: {m:?}",
        c.frames.len(),
        c.frames.iter().filter(|f| f.trunc).count()
    );
}

/// libpcap's `pcap_compile` timed in-process: a tiny C driver built with the
/// system compiler against Debian's libpcap.so (no headers needed). Reads
/// NUL-separated expressions on stdin; prints "instructions nanoseconds"
/// per expression (-1 when libpcap rejects it).
const PCAP_COMPILE_DRIVER: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
typedef struct pcap pcap_t;
struct bpf_program { unsigned int bf_len; void *bf_insns; };
extern pcap_t *pcap_open_dead(int, int);
extern int pcap_compile(pcap_t *, struct bpf_program *, const char *, int, unsigned int);
extern void pcap_freecode(struct bpf_program *);
int main(int argc, char **argv) {
    int dlt = atoi(argv[1]), opt = atoi(argv[2]), reps = atoi(argv[3]);
    pcap_t *p = pcap_open_dead(dlt, 262144);
    static char buf[1 << 16];
    int n = 0, c;
    while ((c = getchar()) != EOF) {
        if (c != 0) { if (n < (int)sizeof buf - 1) buf[n++] = (char)c; continue; }
        buf[n] = 0; n = 0;
        struct bpf_program prog;
        if (pcap_compile(p, &prog, buf, opt, 0) != 0) { printf("-1 0\n"); continue; }
        unsigned int len = prog.bf_len;
        pcap_freecode(&prog);
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (int i = 0; i < reps; i++) {
            if (pcap_compile(p, &prog, buf, opt, 0) == 0) pcap_freecode(&prog);
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / reps;
        printf("%u %.0f\n", len, ns);
    }
    return 0;
}
"#;

/// Builds the pcap_compile driver, or `None` when gcc or libpcap is absent.
fn pcap_compile_driver(dir: &Path) -> Option<std::path::PathBuf> {
    let lib = [
        "/usr/lib/x86_64-linux-gnu/libpcap.so.0.8",
        "/usr/lib/libpcap.so.0.8",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists())?;
    let src = dir.join("pcap_compile_driver.c");
    let bin = dir.join("pcap_compile_driver");
    std::fs::write(&src, PCAP_COMPILE_DRIVER).ok()?;
    let ok = std::process::Command::new("cc")
        .args(["-O2", "-o"])
        .arg(&bin)
        .arg(&src)
        .arg(lib)
        .status()
        .ok()?
        .success();
    ok.then_some(bin)
}

/// Runs the driver over `exprs`: (instructions, ns per compile) or None.
fn libpcap_compile_all(
    driver: &Path,
    lt: LinkType,
    exprs: &[&str],
    reps: u32,
) -> Vec<Option<(usize, f64)>> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let Ok(mut child) = Command::new(driver)
        .args([lt.dlt().to_string(), "1".into(), reps.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    else {
        return vec![None; exprs.len()];
    };
    if let Some(mut stdin) = child.stdin.take() {
        for e in exprs {
            let _ = stdin.write_all(e.as_bytes());
            let _ = stdin.write_all(&[0]);
        }
    }
    let out = child
        .wait_with_output()
        .map(|o| o.stdout)
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&out);
    let mut v: Vec<Option<(usize, f64)>> = text
        .lines()
        .map(|l| {
            let mut it = l.split_whitespace();
            let len: i64 = it.next()?.parse().ok()?;
            let ns: f64 = it.next()?.parse().ok()?;
            (len >= 0).then_some((len as usize, ns))
        })
        .collect();
    v.resize(exprs.len(), None);
    v
}

/// BENCHMARKS.md "Filter compiler": program sizes and compile times, ours
/// against libpcap, over the conformance suite's in-scope optimized accept
/// cases. Run with
/// `cargo test --release --test filter_conformance -- --ignored --nocapture bench_report`.
#[test]
#[ignore]
fn bench_report() {
    let Some(suite) = kit::conformance::load() else {
        return;
    };
    let reps = 200u32;
    // Distinct (link type, expression) pairs compiled with default options.
    let mut cases: Vec<(LinkType, &Case)> = suite
        .accept
        .iter()
        .filter(|c| c.optimize && !suite::is_special(&c.expr))
        .filter(|c| c.snaplen.is_none() && c.netmask.is_none() && !c.linuxext)
        .filter_map(|c| {
            c.dlt
                .as_deref()
                .and_then(suite::linktype_for_dlt)
                .map(|lt| (lt, c))
        })
        .collect();
    cases.sort_by(|a, b| (a.0.name(), &a.1.expr).cmp(&(b.0.name(), &b.1.expr)));
    cases.dedup_by(|a, b| a.0 == b.0 && a.1.expr == b.1.expr);

    let dir = kit::TempDir::new("bench");
    let driver = pcap_compile_driver(&dir.0);
    let (mut n_both, mut ours_insns, mut master_insns) = (0usize, 0usize, 0usize);
    let (mut n_deb, mut ours_insns_deb, mut deb_insns) = (0usize, 0usize, 0usize);
    let (mut ours_ns, mut deb_ns, mut n_time) = (0f64, 0f64, 0usize);
    let mut not_compiled = 0;
    let (mut n_noloop, mut ours_noloop, mut master_noloop) = (0usize, 0usize, 0usize);
    let (mut n_deb_noloop, mut ours_deb_noloop, mut deb_noloop) = (0usize, 0usize, 0usize);
    let mut longer = Vec::new();
    for lt in LinkType::ALL {
        let these: Vec<&Case> = cases
            .iter()
            .filter(|(l, _)| *l == lt)
            .map(|(_, c)| *c)
            .collect();
        let exprs: Vec<&str> = these.iter().map(|c| c.expr.as_str()).collect();
        let deb = match &driver {
            Some(d) => libpcap_compile_all(d, lt, &exprs, reps),
            None => vec![None; exprs.len()],
        };
        for (c, deb) in these.iter().zip(deb) {
            let opts = Options {
                linktype: lt,
                ..Default::default()
            };
            let Ok(ours) = compile(&c.expr, &opts) else {
                not_compiled += 1;
                continue;
            };
            let started = Instant::now();
            for _ in 0..reps {
                let _ = std::hint::black_box(compile(std::hint::black_box(&c.expr), &opts));
            }
            let ns = started.elapsed().as_nanos() as f64 / f64::from(reps);
            if let Ok(master) = parse_d(&c.expected) {
                if !corpus::refinterp::has_backward_jump(&master) {
                    n_noloop += 1;
                    ours_noloop += ours.len();
                    master_noloop += master.len();
                }
                n_both += 1;
                ours_insns += ours.len();
                master_insns += master.len();
                if ours.len() > master.len() {
                    longer.push(format!(
                        "{} {:?}: {} > {}",
                        lt.name(),
                        c.expr,
                        ours.len(),
                        master.len()
                    ));
                }
            }
            if let Some((len, _)) = deb.filter(|_| !c.expr.contains("protochain")) {
                n_deb_noloop += 1;
                ours_deb_noloop += ours.len();
                deb_noloop += len;
            }
            if let Some((len, dns)) = deb {
                n_deb += 1;
                ours_insns_deb += ours.len();
                deb_insns += len;
                ours_ns += ns;
                deb_ns += dns;
                n_time += 1;
            }
        }
    }
    // tcpdump -d: one process per expression, as a user runs it.
    let mut tcpdump_ns = 0f64;
    let mut n_tcpdump = 0usize;
    if let Some(td) = kit::oracle::Tcpdump::find() {
        let en: Vec<&Case> = cases
            .iter()
            .filter(|(l, _)| *l == LinkType::En10mb)
            .map(|(_, c)| *c)
            .collect();
        let started = Instant::now();
        for c in &en {
            let _ = td.compile(LinkType::En10mb, 262_144, &c.expr, true, "-ddd");
        }
        n_tcpdump = en.len();
        tcpdump_ns = started.elapsed().as_nanos() as f64 / n_tcpdump.max(1) as f64;
    }
    let ratio = |a: usize, b: usize| a as f64 / b.max(1) as f64;
    println!(
        "BENCH distinct (link type, expression) optimized cases: {}",
        cases.len()
    );
    println!("BENCH not compiled by podcap: {not_compiled}");
    println!(
        "BENCH instructions vs libpcap master (suite's expected), {n_both} cases: ours {ours_insns}, libpcap {master_insns}, ratio {:.3}",
        ratio(ours_insns, master_insns)
    );
    println!(
        "BENCH instructions vs libpcap master, without protochain (libpcap loops, we unroll), {n_noloop} cases: ours {ours_noloop}, libpcap {master_noloop}, ratio {:.3}",
        ratio(ours_noloop, master_noloop)
    );
    println!(
        "BENCH instructions vs Debian libpcap 1.10.3 pcap_compile, {n_deb} cases: ours {ours_insns_deb}, libpcap {deb_insns}, ratio {:.3}",
        ratio(ours_insns_deb, deb_insns)
    );
    println!(
        "BENCH instructions vs Debian libpcap 1.10.3, without protochain, {n_deb_noloop} cases: ours {ours_deb_noloop}, libpcap {deb_noloop}, ratio {:.3}",
        ratio(ours_deb_noloop, deb_noloop)
    );
    println!(
        "BENCH compile time per expression, {n_time} cases x {reps}: ours {:.1} us, libpcap pcap_compile {:.1} us, ratio {:.2}",
        ours_ns / n_time.max(1) as f64 / 1e3,
        deb_ns / n_time.max(1) as f64 / 1e3,
        ours_ns / deb_ns.max(1.0)
    );
    println!(
        "BENCH tcpdump -ddd process per expression (spawn + compile), {n_tcpdump} EN10MB cases: {:.2} ms",
        tcpdump_ns / 1e6
    );
    for l in &longer {
        println!("BENCH longer: {l}");
    }
}

/// podcap's interpreter and the independent test-only one agree on every
/// libpcap program of the suite (those without backward jumps) over the
/// whole corpus.
#[test]
fn interpreters_agree_on_libpcap_programs() {
    let Some(suite) = kit::conformance::load() else {
        return;
    };
    let mut corpora = Corpora::new(&suite);
    let mut runs = 0usize;
    for c in &suite.accept {
        let Some(lt) = c.dlt.as_deref().and_then(suite::linktype_for_dlt) else {
            continue;
        };
        if suite::is_special(&c.expr) {
            continue;
        }
        let Ok(p) = parse_d(&c.expected) else {
            continue;
        };
        if corpus::refinterp::has_backward_jump(&p) {
            continue;
        }
        for s in corpora.get(lt, c.linuxext) {
            let want = corpus::refinterp::run(&p, &s.data, s.wirelen, &s.aux);
            let got = interp::run(&p, &s.data, s.wirelen, &s.aux);
            assert_eq!(
                want,
                Some(got),
                "{} {:?} on {:?} [{}]\n{}",
                lt.name(),
                c.expr,
                s.name,
                corpus::hex(&s.data),
                c.expected
            );
            runs += 1;
        }
    }
    println!("{runs} runs: both interpreters agree");
}
