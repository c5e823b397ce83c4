//! Differential tests against libpcap as installed (Debian's tcpdump):
//! for every distinct conformance expression plus Kubernetes-typical ones,
//! on each of the four link types, libpcap's program (`tcpdump -ddd -r
//! EMPTY.pcap EXPR`) and ours run in the interpreter over the generated
//! corpus and must return the same value on every packet.
//!
//! Unoptimized programs are libpcap 1.10's instruction for instruction
//! (`tcpdump -O -ddd`, on savefiles and on a live `lo`), and the suite's
//! (libpcap master's) where the two libpcaps agree.
//!
//! Also property tests of the compiler: random token soups and random bytes
//! never panic, and optimized and unoptimized programs agree on random
//! packets.

#[path = "corpus/mod.rs"]
mod corpus;
mod kit;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};

use corpus::Sample;
use corpus::suite::{self, K8S_EXPRS};
use kit::Rng;
use kit::conformance::accept_cases;
use kit::oracle::Tcpdump;
use podcap::bpf::Insn;
use podcap::bpf::interp::Aux;
use podcap::bpf::print::{Style, format, parse_d, parse_ddd};
use podcap::bpf::validate::validate;
use podcap::filter::{Options, compile};
use podcap::linktype::LinkType;

/// Expressions (per link type) that must agree with libpcap; raise as the
/// compiler improves.
const FLOOR_AGREE: usize = 2259;

/// libpcap master's optimized programs from the conformance suite, by
/// (link type, expression): the tie-breaker where Debian's libpcap 1.10
/// differs from the libpcap the suite was exported from.
fn master_programs() -> HashMap<(LinkType, String), Vec<Insn>> {
    let mut m = HashMap::new();
    if let Some(s) = kit::conformance::load() {
        for c in &s.accept {
            let Some(lt) = c.dlt.as_deref().and_then(suite::linktype_for_dlt) else {
                continue;
            };
            if c.optimize && c.snaplen.is_none() && c.netmask.is_none() && !c.linuxext {
                if let Ok(p) = parse_d(&c.expected) {
                    m.insert((lt, c.expr.clone()), p);
                }
            }
        }
    }
    m
}

fn exprs() -> Vec<String> {
    let mut v: Vec<String> = kit::conformance::load()
        .map(|s| suite::distinct_exprs(&s))
        .unwrap_or_default();
    v.retain(|e| !suite::is_special(e));
    v.extend(K8S_EXPRS.iter().map(|s| s.to_string()));
    v.sort();
    v.dedup();
    v
}

fn build_corpus(exprs: &[String], lt: LinkType) -> Vec<Sample> {
    corpus::corpus(exprs.iter().map(String::as_str), lt, false)
}

enum Outcome {
    Agree,
    /// Differs from libpcap's optimized program only where libpcap's
    /// optimizer changed the verdicts of libpcap's unoptimized program, and
    /// agrees with the unoptimized one.
    AgreesWithUnoptimized,
    /// Differs from libpcap 1.10 (or 1.10 rejects it) but has the same
    /// verdicts as libpcap master's program in the conformance suite.
    AgreesWithMaster(String),
    BothReject,
    /// libpcap 1.10 refuses it (newer syntax such as `vxlan`, or an error
    /// both should give); informational.
    OnlyLibpcapRejects(String),
    Fail(String, String),
}

fn compare(
    expr: &str,
    lt: LinkType,
    libpcap: &Result<String, String>,
    master: Option<&Vec<Insn>>,
    libpcap_unopt: &dyn Fn() -> Option<Vec<Insn>>,
    corpus: &[Sample],
) -> Outcome {
    let compiled = |optimize| {
        catch_unwind(AssertUnwindSafe(|| {
            compile(
                expr,
                &Options {
                    linktype: lt,
                    optimize,
                    // tcpdump -r compiles with netmask 0 (no interface to ask).
                    netmask: Some(0),
                    ..Default::default()
                },
            )
        }))
    };
    let ours = compiled(true);
    let theirs = match libpcap {
        Ok(t) => match parse_ddd(t) {
            Ok(p) => Ok(p),
            Err(e) => return Outcome::Fail("harness: parse_ddd".into(), format!("{e}\n{t}")),
        },
        Err(e) => Err(e.clone()),
    };
    match (ours, theirs) {
        (Err(_), _) => Outcome::Fail("panicked".into(), String::new()),
        (Ok(Err(_)), Err(_)) => Outcome::BothReject,
        (Ok(Ok(p)), Err(e)) => {
            if validate(&p).is_err() {
                return Outcome::Fail("invalid program".into(), format(&p, Style::D));
            }
            match master.map(|m| suite::first_difference(m, &p, corpus)) {
                Some(None) => Outcome::AgreesWithMaster(format!("libpcap 1.10 rejects: {e}")),
                Some(Some((s, want, got))) => Outcome::Fail(
                    "verdict vs libpcap master".into(),
                    format!(
                        "packet {:?}: libpcap master {want}, ours {got}\n  {}\nours:\n{}",
                        s.name,
                        corpus::hex(&s.data),
                        format(&p, Style::D)
                    ),
                ),
                None => Outcome::OnlyLibpcapRejects(e),
            }
        }
        (Ok(Err(e)), Ok(_)) => Outcome::Fail("rejected".into(), e.to_string()),
        (Ok(Ok(ours)), Ok(theirs)) => {
            if let Err(e) = validate(&ours) {
                return Outcome::Fail(
                    "invalid program".into(),
                    format!("{e}\n{}", format(&ours, Style::D)),
                );
            }
            if let Some((s, want, got)) = suite::first_difference(&theirs, &ours, corpus) {
                // libpcap's optimizer may change its own program's verdicts
                // (it drops unused loads that reject short packets).
                if let Some(u) = libpcap_unopt() {
                    if suite::first_difference(&u, &theirs, corpus).is_some()
                        && suite::first_difference(&u, &ours, corpus).is_none()
                    {
                        return Outcome::AgreesWithUnoptimized;
                    }
                }
                if let Some(m) = master {
                    if suite::first_difference(m, &ours, corpus).is_none() {
                        return Outcome::AgreesWithMaster(format!(
                            "libpcap 1.10 differs (e.g. packet {:?}: 1.10 {want}, master and ours {got})",
                            s.name
                        ));
                    }
                }
                return Outcome::Fail(
                    "verdict".into(),
                    format!(
                        "packet {:?}: libpcap {want}, ours {got}\n  {}\nlibpcap:\n{}ours:\n{}",
                        s.name,
                        corpus::hex(&s.data),
                        format(&theirs, Style::D),
                        format(&ours, Style::D)
                    ),
                );
            }
            // Unoptimized code generation must agree too.
            if let Ok(Ok(unopt)) = compiled(false) {
                if let Some((s, want, got)) = suite::first_difference(&theirs, &unopt, corpus) {
                    return Outcome::Fail(
                        "verdict (unoptimized)".into(),
                        format!(
                            "packet {:?}: libpcap {want}, ours -O {got}\n  {}\nours -O:\n{}",
                            s.name,
                            corpus::hex(&s.data),
                            format(&unopt, Style::D)
                        ),
                    );
                }
            }
            Outcome::Agree
        }
    }
}

#[test]
fn same_verdicts_as_libpcap() {
    let Some(tcpdump) = kit::oracle::Tcpdump::find() else {
        return;
    };
    let exprs = exprs();
    let master = master_programs();
    let mut agree_total = 0;
    let mut failures: Vec<(String, LinkType, String, String)> = Vec::new();
    let mut libpcap_only: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for lt in LinkType::ALL {
        let corpus = build_corpus(&exprs, lt);
        let programs = suite::par_map(&exprs, 4, |e| tcpdump.compile(lt, 262_144, e, true, "-ddd"));
        let pairs: Vec<(&String, &Result<String, String>)> =
            exprs.iter().zip(programs.iter()).collect();
        let outcomes = suite::par_map(&pairs, 2, |(e, p)| {
            let unopt = || {
                tcpdump
                    .compile(lt, 262_144, e, false, "-ddd")
                    .ok()
                    .and_then(|t| parse_ddd(&t).ok())
            };
            compare(e, lt, p, master.get(&(lt, e.to_string())), &unopt, &corpus)
        });
        let (mut agree, mut both_reject, mut only, mut with_master) = (0, 0, 0, 0);
        let mut with_unopt = 0;
        for ((e, _), o) in pairs.iter().zip(outcomes) {
            match o {
                Outcome::Agree => agree += 1,
                Outcome::AgreesWithUnoptimized => {
                    with_unopt += 1;
                    println!(
                        "UNOPT {} {e:?}: libpcap's optimizer changes its own verdicts; ours agrees with libpcap -O",
                        lt.name()
                    );
                }
                Outcome::AgreesWithMaster(why) => {
                    with_master += 1;
                    println!("VERSION {} {e:?}: follows libpcap master; {why}", lt.name());
                }
                Outcome::BothReject => both_reject += 1,
                Outcome::OnlyLibpcapRejects(why) => {
                    only += 1;
                    libpcap_only
                        .entry(why)
                        .or_default()
                        .push(format!("{} {e:?}", lt.name()));
                }
                Outcome::Fail(kind, detail) => failures.push((kind, lt, e.to_string(), detail)),
            }
        }
        println!(
            "{}: {} expressions, {agree} agree, {with_unopt} agree with libpcap's unoptimized program where its optimizer changes verdicts, {with_master} agree with libpcap master where 1.10 differs, {both_reject} rejected by both, {only} rejected only by libpcap {}, corpus {} packets",
            lt.name(),
            exprs.len(),
            tcpdump.libpcap_version(),
            corpus.len()
        );
        agree_total += agree + with_master + with_unopt;
    }
    for (why, es) in &libpcap_only {
        println!(
            "libpcap rejects, podcap compiles ({} cases): {why}: {}",
            es.len(),
            es.iter().take(6).cloned().collect::<Vec<_>>().join(", ")
        );
    }
    let mut groups: BTreeMap<String, Vec<&(String, LinkType, String, String)>> = BTreeMap::new();
    for f in &failures {
        groups
            .entry(format!("{}: {}", f.0, suite::family(&f.2)))
            .or_default()
            .push(f);
    }
    let mut report = format!(
        "# verify: differential vs tcpdump -ddd\n\n{} disagreements in {} groups\n",
        failures.len(),
        groups.len()
    );
    for (g, fs) in &groups {
        let f = fs[0];
        let _ = write!(
            report,
            "\n## DIFF [{g}] ({} cases)\n\ne.g. {} `{}`\n```\n{}\n```\n",
            fs.len(),
            f.1.name(),
            f.2.escape_debug(),
            f.3
        );
        let _ = writeln!(
            report,
            "all: {}",
            fs.iter()
                .map(|f| format!("{} {:?}", f.1.name(), f.2))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    print!("{report}");
    if let Ok(p) = std::env::var("PODCAP_VERIFY_DIFF") {
        if let Err(e) = std::fs::write(&p, &report) {
            println!("cannot write {p}: {e}");
        }
    }
    at_least(agree_total, FLOOR_AGREE);
    assert!(
        failures.is_empty(),
        "{} disagreements with libpcap (see the DIFF sections above)",
        failures.len()
    );
}

fn at_least(agree: usize, floor: usize) {
    assert!(
        agree >= floor,
        "{agree} (expression, link type) pairs agree with libpcap, below the floor of {floor} (a regression; see the DIFF lines above)"
    );
}

// ---------------------------------------------------------------- properties

const TOKENS: &[&str] = &[
    "host",
    "net",
    "port",
    "portrange",
    "src",
    "dst",
    "and",
    "or",
    "not",
    "!",
    "&&",
    "||",
    "(",
    ")",
    "ether",
    "ip",
    "ip6",
    "arp",
    "rarp",
    "tcp",
    "udp",
    "sctp",
    "icmp",
    "icmp6",
    "igmp",
    "vlan",
    "mpls",
    "vxlan",
    "geneve",
    "pppoes",
    "proto",
    "broadcast",
    "multicast",
    "less",
    "greater",
    "len",
    "inbound",
    "outbound",
    "ifindex",
    "mask",
    "gateway",
    "protochain",
    "link",
    "[",
    "]",
    ":",
    "+",
    "-",
    "*",
    "/",
    "%",
    "&",
    "|",
    "^",
    "<<",
    ">>",
    "==",
    "=",
    "!=",
    "<",
    ">",
    "<=",
    ">=",
    "0",
    "1",
    "4",
    "80",
    "443",
    "65535",
    "65536",
    "99999",
    "4095",
    "4096",
    "10.244.0.21",
    "10.244/16",
    "10.244.0.0/33",
    "1.2.3.4/0",
    "::1",
    "fe80::/10",
    "ff02::1",
    "02:42:0a:f4:00:15",
    "ab.cd.ef",
    "0x800",
    "0xffffffff",
    "4294967296",
    "tcpflags",
    "tcp-syn",
    "icmptype",
    "icmp-echo",
    "icmp6type",
    "\\tcp",
    "\\",
    "http",
    "domain",
    "smtp",
    "nosuchname",
    "\"",
    "'",
    "#",
    "@",
    "é",
    "-1",
    "1-",
    "1-1023",
    "0-0",
    "1:",
    "ip[",
    "tcp[13]",
    "ether[0:4]",
    "ip6[40:2]",
    "udp[8:8]",
    "10.0.0.1",
    "10.244",
    "24",
    "255.255.0.0",
    "1:2:3:4:5:6",
    "2",
    "0x10",
];

fn token_soup(rng: &mut Rng) -> String {
    let n = 1 + rng.below(12);
    let mut s = String::new();
    for _ in 0..n {
        s.push_str(TOKENS[rng.below(TOKENS.len())]);
        if rng.below(4) != 0 {
            s.push(' ');
        }
    }
    s
}

#[test]
fn token_soups_never_panic() {
    let mut rng = Rng::new(0x5eed);
    for round in 0..4000 {
        let expr = token_soup(&mut rng);
        let lt = LinkType::ALL[round % 4];
        for optimize in [false, true] {
            let o = Options {
                linktype: lt,
                optimize,
                linux_ext: round % 3 == 0,
                vxlan_ports: vec![8472],
                ..Options::default()
            };
            if let Ok(p) = compile(&expr, &o) {
                assert!(validate(&p).is_ok(), "{expr}");
            }
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng::new(42);
    for _ in 0..3000 {
        let n = rng.below(40);
        let bytes: Vec<u8> = (0..n).map(|_| (rng.u32() & 0xff) as u8).collect();
        let s = String::from_utf8_lossy(&bytes);
        let _ = compile(&s, &Options::default());
    }
    // Deep nesting is refused, not a stack overflow.
    let deep = format!("{}tcp{}", "(".repeat(5000), ")".repeat(5000));
    assert!(compile(&deep, &Options::default()).is_err());
    let deep = format!("{}1 = 1", "-".repeat(5000));
    assert!(compile(&deep, &Options::default()).is_err());
}

#[test]
fn random_input_never_panics() {
    let mut rng = Rng::new(7);
    let mut compiled = 0;
    for i in 0..4000 {
        let expr = if i % 4 == 3 {
            let n = rng.below(40);
            String::from_utf8_lossy(&rng.bytes(n)).into_owned()
        } else {
            token_soup(&mut rng)
        };
        let lt = LinkType::ALL[i % 4];
        for optimize in [true, false] {
            let opts = Options {
                linktype: lt,
                optimize,
                linux_ext: i % 3 == 0,
                ..Default::default()
            };
            let r = catch_unwind(AssertUnwindSafe(|| compile(&expr, &opts)));
            match r {
                Err(_) => panic!("compile panicked on {expr:?} for {}", lt.name()),
                Ok(Ok(p)) => {
                    compiled += 1;
                    if let Err(e) = validate(&p) {
                        panic!(
                            "{expr:?} ({}) compiled to an invalid program: {e}\n{}",
                            lt.name(),
                            format(&p, Style::D)
                        );
                    }
                }
                Ok(Err(e)) => {
                    let msg = e.to_string();
                    assert!(!msg.is_empty(), "empty error message for {expr:?}");
                }
            }
        }
    }
    println!("{compiled} of 8000 random compilations succeeded");
}

/// Random well-formed expressions from a small grammar.
fn random_expr(rng: &mut Rng, depth: usize) -> String {
    const PRIMS: &[&str] = &[
        "tcp",
        "udp",
        "icmp",
        "ip",
        "ip6",
        "arp",
        "sctp",
        "vlan",
        "mpls",
        "igmp",
        "icmp6",
        "port 80",
        "port 53",
        "src port 443",
        "dst port 7",
        "tcp port 25",
        "udp port 8472",
        "portrange 1-1023",
        "host 10.244.0.21",
        "src host 192.168.170.211",
        "dst net 10.0.0.0/8",
        "net 192.168/16",
        "ip6 net fe80::/10",
        "ip6 host ::1",
        "ether broadcast",
        "ether multicast",
        "ip multicast",
        "ip6 multicast",
        "ether host ab:cd:ef:00:00:01",
        "less 100",
        "greater 200",
        "len >= 100",
        "tcp[tcpflags] & tcp-syn != 0",
        "icmp[icmptype] == icmp-echo",
        "ip[6:2] & 0x1fff == 0",
        "ip proto 6",
        "ip6 proto 17",
        "vlan 100",
        "mpls 100",
        "vxlan",
        "geneve",
        "pppoes",
        "udp[8] == 0x08",
        "tcp[13] & 18 == 18",
        "ether proto 0x86dd",
        "ip[0] & 0xf > 5",
        "ip[2:2] / 4 + 1 > 10",
        "ip[8] * 2 - ip[9] < 100",
    ];
    if depth == 0 || rng.below(3) == 0 {
        return PRIMS[rng.below(PRIMS.len())].to_string();
    }
    match rng.below(4) {
        0 => format!("not {}", random_expr(rng, depth - 1)),
        1 => format!(
            "({} and {})",
            random_expr(rng, depth - 1),
            random_expr(rng, depth - 1)
        ),
        2 => format!(
            "{} or {}",
            random_expr(rng, depth - 1),
            random_expr(rng, depth - 1)
        ),
        _ => format!(
            "{} and not {}",
            random_expr(rng, depth - 1),
            random_expr(rng, depth - 1)
        ),
    }
}

fn mutate(rng: &mut Rng, s: &Sample) -> Sample {
    let mut d = s.data.clone();
    if !d.is_empty() {
        for _ in 0..1 + rng.below(3) {
            let i = rng.below(d.len());
            d[i] = rng.byte();
        }
    }
    if rng.below(4) == 0 {
        let n = rng.below(d.len() + 1);
        d.truncate(n);
    }
    Sample {
        name: format!("{} (mutated)", s.name),
        data: d,
        wirelen: s.wirelen,
        aux: Aux {
            pkttype: rng.below(8) as u8,
            ..s.aux
        },
    }
}

#[test]
fn optimized_and_unoptimized_agree() {
    let mut rng = Rng::new(11);
    let exprs: Vec<String> = K8S_EXPRS.iter().map(|s| s.to_string()).collect();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for lt in LinkType::ALL {
        let base = build_corpus(&exprs, lt);
        for _ in 0..120 {
            let expr = random_expr(&mut rng, 3);
            let c = |optimize| {
                compile(
                    &expr,
                    &Options {
                        linktype: lt,
                        optimize,
                        ..Default::default()
                    },
                )
            };
            let (Ok(o), Ok(u)) = (c(true), c(false)) else {
                continue;
            };
            // -O is libpcap's program even where the kernel refuses it
            // (scratch memory read unwritten after `vxlan`).
            for (p, kernel) in [(&o, true), (&u, false)] {
                let r = if kernel {
                    validate(p)
                } else {
                    podcap::bpf::validate::validate_for_user_space(p)
                };
                if let Err(e) = r {
                    panic!(
                        "{expr:?} ({}) invalid: {e}\n{}",
                        lt.name(),
                        format(p, Style::D)
                    );
                }
            }
            let mut pkts: Vec<Sample> = (0..300)
                .map(|_| base[rng.below(base.len())].clone())
                .collect();
            let muts: Vec<Sample> = (0..300)
                .map(|_| {
                    let i = rng.below(base.len());
                    mutate(&mut rng, &base[i])
                })
                .collect();
            pkts.extend(muts);
            if let Some((s, a, b)) = suite::first_difference(&u, &o, &pkts) {
                wrong.push(format!(
                    "{expr:?} ({}): unoptimized {a}, optimized {b} on {:?} [{}]\nunoptimized:\n{}optimized:\n{}",
                    lt.name(),
                    s.name,
                    corpus::hex(&s.data),
                    format(&u, Style::D),
                    format(&o, Style::D)
                ));
            }
            // The optimizer never makes a program longer.
            assert!(
                o.len() <= u.len(),
                "{expr:?}: optimized {} > unoptimized {}",
                o.len(),
                u.len()
            );
            checked += 1;
        }
    }
    println!(
        "{checked} random expressions, {} where optimized and unoptimized disagree",
        wrong.len()
    );
    for w in &wrong {
        println!("OPTIMIZER {w}");
    }
    if let Ok(p) = std::env::var("PODCAP_VERIFY_OPT") {
        let mut r = format!(
            "# verify: optimized vs unoptimized on random expressions\n\n\
             `cargo test --test filter_differential optimized_and_unoptimized_agree -- --nocapture`\n\n\
             {checked} random expressions, {} disagreements\n",
            wrong.len()
        );
        for w in &wrong {
            let _ = write!(r, "\n```\n{w}```\n");
        }
        if let Err(e) = std::fs::write(&p, r) {
            println!("cannot write {p}: {e}");
        }
    }
    // No tolerance: any disagreement is an optimizer bug.
    assert!(
        wrong.is_empty(),
        "{} random expressions where the optimizer changes verdicts; see OPTIMIZER lines",
        wrong.len()
    );
}

/// Flannel's VXLAN port: with `Options::vxlan_ports = [8472]`, `vxlan ...`
/// decides a frame on UDP 8472 exactly as the default `vxlan ...` decides
/// the same frame with its port rewritten to 4789 (libpcap's VXLAN port),
/// and still matches 4789.
#[test]
fn vxlan_port_8472_behaves_as_4789() {
    const EXPRS: &[&str] = &[
        "vxlan",
        "vxlan 100",
        "vxlan 12345",
        "vxlan and tcp port 80",
        "vxlan and icmp",
        "vxlan and host 10.244.0.21",
        "vxlan and arp",
        "udp and vxlan and ip6",
        "not vxlan",
    ];
    let exprs: Vec<String> = K8S_EXPRS.iter().map(|s| s.to_string()).collect();
    let (mut compared, mut accepted) = (0usize, 0usize);
    for lt in LinkType::ALL {
        let samples = build_corpus(&exprs, lt);
        let hdr = lt.header_len();
        for e in EXPRS {
            let with = Options {
                linktype: lt,
                vxlan_ports: vec![8472],
                ..Default::default()
            };
            let plain = Options {
                linktype: lt,
                ..Default::default()
            };
            let (Ok(p8472), Ok(p4789)) = (compile(e, &with), compile(e, &plain)) else {
                panic!("{e:?} does not compile for {}", lt.name());
            };
            for s in samples.iter().filter(|s| s.name.starts_with("tunnel")) {
                let d = &s.data;
                // The UDP port 8472 (0x2118) after the link and IP headers.
                let Some(at) = (hdr + 20..d.len().saturating_sub(1))
                    .find(|&i| d[i] == 0x21 && d[i + 1] == 0x18)
                else {
                    // A 4789 frame: both programs must agree on it as is.
                    let a = interp_run(&p8472, s);
                    let b = interp_run(&p4789, s);
                    assert_eq!(a, b, "{} {e:?} on {:?} (port 4789)", lt.name(), s.name);
                    continue;
                };
                let mut r = s.clone();
                r.data[at] = 0x12;
                r.data[at + 1] = 0xb5;
                let a = interp_run(&p8472, s);
                let b = interp_run(&p4789, &r);
                assert_eq!(
                    a,
                    b,
                    "{} {e:?} on {:?}: with vxlan_ports [8472] {a}, same frame on 4789 without {b}\n{}",
                    lt.name(),
                    s.name,
                    format(&p8472, Style::D)
                );
                compared += 1;
                accepted += usize::from(a != 0);
            }
        }
    }
    println!("{compared} 8472 frames compared, {accepted} accepted");
    assert!(
        accepted > 0 && accepted < compared,
        "vacuous: {accepted} of {compared} accepted"
    );
}

fn interp_run(p: &[Insn], s: &Sample) -> u32 {
    suite::run(p, s)
}

/// Expressions whose unoptimized program must be tcpdump's, instruction
/// for instruction, on every link type where libpcap accepts them.
const ORACLE_EXPRS: &[&str] = &[
    "host 10.244.1.5",
    "src host 10.244.1.5 and dst host 10.244.2.7",
    "net 10.244.0.0/16",
    "dst net 10.244",
    "net 10.0.0.0 mask 255.0.0.0",
    "port 53",
    "tcp port 80 or 443",
    "udp dst port domain",
    "portrange 30000-32767",
    "tcp src portrange 1-1023",
    "tcp and not port 22",
    "icmp or icmp6",
    "arp or rarp",
    "ip proto 47",
    "ip6 proto 58",
    "proto \\udp",
    "ether host 02:42:ac:11:00:02",
    "ether src 2:42:ac:11:0:2 and ether dst ff:ff:ff:ff:ff:ff",
    "ether proto 0x88cc",
    "ether broadcast or ether multicast",
    "ip multicast or ip6 multicast",
    "less 100 or greater 1500",
    "len > 64 and len <= 1500",
    "vlan",
    "vlan 100 and host 10.0.0.1",
    "vlan and vlan 200 and tcp",
    "mpls 42 and ip",
    "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0",
    "tcp[13] = 0x12",
    "icmp[icmptype] = icmp-echo or icmp[icmptype] = icmp-echoreply",
    "icmp6[icmp6type] == icmp6-neighborsolicit",
    "ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) != 0",
    "ip[0] ^ 2 | 3 == 0",
    "7 > -ip[1] % 3 * 2 + 1",
    "udp[8:4] / 256 = 1",
    "ip6 host fe80::1",
    "ip6 net 2001:db8:1:2:3:4:5:0/112",
    "ip6 src host ::1 or ip6 dst net fe80::1:0/112",
    "geneve and ip",
    "geneve 77 and host 192.168.0.1",
    "inbound",
    "outbound and ifindex 4",
    "not (host 1.2.3.4 or host 5.6.7.8) and tcp",
    "src or dst host 1.2.3.4",
    "src and dst net 10.0.0.0/8",
    "link[0] & 1 = 1",
    "ip[ip[0] & 0xf] > 3",
    "tcp[tcp[12] >> 4] = 0",
];

#[test]
fn unoptimized_programs_match_tcpdump() {
    let Some(td) = Tcpdump::find() else { return };
    let mut compared = 0;
    for lt in LinkType::ALL {
        for expr in ORACLE_EXPRS {
            let theirs = td.run(lt.name(), expr, false, "-ddd");
            let o = Options {
                linktype: lt,
                optimize: false,
                ..Options::default()
            };
            let ours = compile(expr, &o);
            match (theirs, ours) {
                (Some(t), Ok(p)) => {
                    let ours = format(&p, Style::Ddd);
                    assert_eq!(
                        ours.split_whitespace().collect::<Vec<_>>(),
                        t.split_whitespace().collect::<Vec<_>>(),
                        "{} {expr}:\nours:\n{}\ntcpdump -O -d:\n{}",
                        lt.name(),
                        format(&p, Style::D),
                        td.run(lt.name(), expr, false, "-d").unwrap_or_default()
                    );
                    compared += 1;
                }
                (None, Err(_)) => {}
                (Some(_), Err(e)) => {
                    panic!("{} {expr}: libpcap accepts, we refuse: {e}", lt.name())
                }
                (None, Ok(_)) => panic!("{} {expr}: libpcap refuses, we accept", lt.name()),
            }
        }
    }
    eprintln!("compared {compared} programs with tcpdump -O -ddd");
    assert!(compared > 100);
}

/// The conformance suite's unoptimized programs (libpcap master) where
/// master and 1.10 agree: same instructions. Elsewhere only counted.
#[test]
fn conformance_unoptimized_programs() {
    let Some(cases) = accept_cases() else { return };
    let (mut same, mut differ, mut refused) = (0, 0, 0);
    for c in cases.iter().filter(|c| !c.optimize) {
        let Ok(lt) = LinkType::from_name(c.dlt()) else {
            continue;
        };
        let o = Options {
            linktype: lt,
            optimize: false,
            snaplen: c.snaplen.unwrap_or(262_144),
            linux_ext: c.linuxext,
            netmask: Some(0),
            ..Options::default()
        };
        let Ok(want) = parse_d(&c.expected) else {
            continue;
        };
        match compile(&c.expr, &o) {
            Ok(p) if p == want => same += 1,
            Ok(_) => differ += 1,
            Err(_) => refused += 1,
        }
    }
    eprintln!(
        "conformance (optimize 0, podcap link types): {same} identical, {differ} different \
         instructions (libpcap master vs 1.10 shapes), {refused} refused (OSI/LLC/PPPoE/protochain)"
    );
    assert!(same > 250, "only {same} identical");
}

/// `tcpdump -O -ddd -i lo EXPR`: libpcap compiling for a live Linux
/// capture (the kernel's ancillary loads), or None when unavailable.
fn live_tcpdump(expr: &str) -> Option<String> {
    let out = std::process::Command::new("tcpdump")
        .args(["-O", "-ddd", "-i", "lo", expr])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn live_capture_programs_match_tcpdump() {
    let exprs = [
        "vlan",
        "vlan 10 and ip",
        "vlan and vlan 20 and tcp port 80",
        "vlan 100 and host 10.0.0.1 or arp",
        "inbound",
        "outbound and tcp",
        "ifindex 2",
        "not vlan and udp",
    ];
    if live_tcpdump("ip").is_none() {
        eprintln!("skipping: tcpdump cannot compile for a live capture on lo here");
        return;
    }
    for expr in exprs {
        let theirs = live_tcpdump(expr).unwrap_or_default();
        let o = Options {
            optimize: false,
            linux_ext: true,
            ..Options::default()
        };
        let p = compile(expr, &o).unwrap_or_else(|e| panic!("{expr}: {e}"));
        assert_eq!(
            format(&p, Style::Ddd)
                .split_whitespace()
                .collect::<Vec<_>>(),
            theirs.split_whitespace().collect::<Vec<_>>(),
            "{expr}:\nours:\n{}",
            format(&p, Style::D)
        );
    }
}

/// Compile time and program size over the conformance expressions (run by
/// hand for BENCHMARKS.md; prints figures, asserts nothing about time):
/// `cargo test --profile ci --test filter_differential bench_compile -- --ignored --nocapture`
#[test]
#[ignore]
fn bench_compile() {
    let Some(cases) = accept_cases() else { return };
    let mut seen = std::collections::HashSet::new();
    let mut work = Vec::new();
    for c in &cases {
        let Ok(lt) = LinkType::from_name(c.dlt()) else {
            continue;
        };
        if !c.linuxext && seen.insert((c.dlt.clone(), c.expr.clone())) {
            work.push((lt, c.expr.clone()));
        }
    }
    // libpcap's optimized lengths, from the suite (libpcap master).
    let mut theirs = std::collections::HashMap::new();
    for c in cases.iter().filter(|c| c.optimize && !c.linuxext) {
        if let Ok(p) = parse_d(&c.expected) {
            theirs.insert((c.dlt().to_string(), c.expr.clone()), p.len());
        }
    }
    let rounds = 20;
    for optimize in [false, true] {
        let start = std::time::Instant::now();
        let (mut ok, mut ours_len, mut their_len, mut both) = (0, 0, 0, 0);
        for _ in 0..rounds {
            (ok, ours_len, their_len, both) = (0, 0, 0, 0);
            for (lt, expr) in &work {
                let o = Options {
                    linktype: *lt,
                    optimize,
                    ..Options::default()
                };
                if let Ok(p) = compile(expr, &o) {
                    ok += 1;
                    if let Some(t) = theirs.get(&(lt.name().to_string(), expr.clone())) {
                        both += 1;
                        ours_len += p.len();
                        their_len += t;
                    }
                }
            }
        }
        let per = start.elapsed().as_secs_f64() / (rounds * work.len()) as f64;
        eprintln!(
            "podcap {}: {} expressions, {ok} compiled, {:.1} us per expression; \
             on the {both} both compile: ours {ours_len} instructions, libpcap master optimized {their_len}",
            if optimize { "optimized" } else { "unoptimized" },
            work.len(),
            per * 1e6
        );
    }
}

/// Random and/or/not/paren combinations of primitives: the unoptimized
/// program is tcpdump's on every link type libpcap accepts them for.
#[test]
fn random_combinations_match_tcpdump() {
    let Some(td) = Tcpdump::find() else { return };
    const PRIMS: &[&str] = &[
        "host 10.1.2.3",
        "src host 10.1.2.3",
        "dst net 10.244",
        "net 172.16.0.0 mask 255.240.0.0",
        "port 80",
        "tcp port 443",
        "udp dst port 53",
        "portrange 1000-2000",
        "tcp",
        "udp",
        "icmp",
        "icmp6",
        "arp",
        "ip",
        "ip6",
        "ether host 1:2:3:4:5:6",
        "ether proto \\arp",
        "broadcast",
        "ip multicast",
        "less 100",
        "greater 200",
        "vlan",
        "vlan 5",
        "mpls 7",
        "ip proto 17",
        "ip6 proto 6",
        "tcp[tcpflags] & tcp-syn != 0",
        "icmp[icmptype] = icmp-echo",
        "ip[2:2] > 576",
        "ip6 host ::1",
        "src and dst net 10.0.0.0/8",
        "pim",
        "inbound",
        "ifindex 2",
        "len - 14 > 100 * 2",
        "port 22 or 80",
        "tcp port 80 and not 443",
        "pppoes and ip",
        "llc",
    ];
    fn expr(rng: &mut Rng, depth: u32) -> String {
        let r = rng.below(100);
        if depth > 2 || r < 40 {
            return rng.pick(PRIMS).to_string();
        }
        if r < 55 {
            return format!("not {}", expr(rng, depth + 1));
        }
        if r < 70 {
            return format!("({})", expr(rng, depth + 1));
        }
        let op = rng.pick(&[" and ", " or ", " && ", " || "]);
        format!("{}{op}{}", expr(rng, depth + 1), expr(rng, depth + 1))
    }
    let mut rng = Rng::new(7);
    let mut compared = 0;
    for _ in 0..120 {
        let e = expr(&mut rng, 0);
        let lt = LinkType::ALL[rng.below(4)];
        let theirs = td.run(lt.name(), &e, false, "-ddd");
        let o = Options {
            linktype: lt,
            optimize: false,
            ..Options::default()
        };
        match (theirs, compile(&e, &o)) {
            (Some(t), Ok(p)) => {
                assert_eq!(
                    format(&p, Style::Ddd)
                        .split_whitespace()
                        .collect::<Vec<_>>(),
                    t.split_whitespace().collect::<Vec<_>>(),
                    "{} {e}:\n{}",
                    lt.name(),
                    format(&p, Style::D)
                );
                compared += 1;
            }
            (None, Err(_)) => {}
            (Some(_), Err(err)) => panic!("{} {e}: libpcap accepts, we refuse: {err}", lt.name()),
            (None, Ok(_)) => panic!("{} {e}: libpcap refuses, we accept", lt.name()),
        }
    }
    eprintln!("compared {compared} random combinations with tcpdump -O -ddd");
}
