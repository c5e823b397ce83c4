//! tcpdump-compatible mode: tcpdump's command line, getopt-style, so the
//! bundled flags scripts and ksniff use (`-nnvvv`, `-c10`, `-s0`, `-w-`)
//! work as they do with tcpdump. Options may follow the filter words, as
//! with GNU getopt; `--` ends the options.

use crate::capture::output::{self, FileFormat, OutIface, Output, OutputConfig};
use crate::capture::session::{self, Label, StopReason};
use crate::capture::{self, Direction, Source, SourceConfig, iface, privs};
use crate::decode::{Dump, PrintOptions, TimeFormat};
use crate::linktype::LinkType;
use crate::pcap::writer::Precision;
use crate::{Error, Result};
use std::io::Write;

/// tcpdump's command line, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// `-i`, possibly repeated (podcap captures on all of them).
    pub interfaces: Vec<String>,
    pub count: Option<u64>,
    pub snaplen: u32,
    pub write: Option<String>,
    pub read: Option<String>,
    pub filter_file: Option<String>,
    /// The filter words joined by spaces.
    pub filter: String,
    pub promisc: bool,
    pub direction: Direction,
    /// `-B`, KiB.
    pub buffer_kib: Option<usize>,
    pub linktype: Option<LinkType>,
    pub print: PrintOptions,
    /// `-U`
    pub packet_buffered: bool,
    pub immediate: bool,
    pub nanos: bool,
    pub pcapng: bool,
    pub netns: Option<String>,
    pub list_interfaces: bool,
    pub list_linktypes: bool,
    /// `-d` count: 1 `-d`, 2 `-dd`, 3 `-ddd`.
    pub dump_program: u8,
    pub user: Option<String>,
    /// `-#`
    pub number: bool,
    /// `-l`
    pub line_buffered: bool,
    /// `--print`: print lines also when writing with `-w`.
    pub print_too: bool,
    pub optimize: bool,
    pub help: bool,
    pub version: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            interfaces: Vec::new(),
            count: None,
            snaplen: capture::DEFAULT_SNAPLEN,
            write: None,
            read: None,
            filter_file: None,
            filter: String::new(),
            promisc: true,
            direction: Direction::InOut,
            buffer_kib: None,
            linktype: None,
            print: PrintOptions::default(),
            packet_buffered: false,
            immediate: false,
            nanos: false,
            pcapng: false,
            netns: None,
            list_interfaces: false,
            list_linktypes: false,
            dump_program: 0,
            user: None,
            number: false,
            line_buffered: false,
            print_too: false,
            optimize: true,
            help: false,
            version: false,
        }
    }
}

/// Short options taking an argument (tcpdump 4.99's getopt string).
const WITH_ARG: &str = "BcCEFGijmMQrsTVwWyzZ";

/// tcpdump options podcap does not implement, with why.
fn unsupported_short(c: char) -> Option<&'static str> {
    Some(match c {
        'a' | 'f' | 'N' => return None, // name-related: podcap never resolves names
        'b' => "BGP AS number notation",
        'C' | 'G' | 'W' => "output file rotation",
        'E' => "IPsec ESP decryption",
        'H' => "802.11s mesh header detection",
        'I' => "monitor mode (wireless)",
        'j' | 'J' => "time stamp types",
        'm' => "SMI MIB modules",
        'M' => "TCP-MD5 secrets",
        'T' => "forced packet interpretation (-T type)",
        'u' => "undecoded NFS handles",
        'V' => "reading a list of files",
        'Y' => "filter debugging",
        'z' => "post-rotation commands",
        'P' => "--print-sampling",
        _ => return None,
    })
}

fn unsupported(opt: &str, what: &str) -> Error {
    Error::unsupported(
        format!("tcpdump option {opt}"),
        format!("podcap does not implement {what}"),
    )
    .hint(
        "drop the option; `man podcap` (section tcpdump) lists what podcap's tcpdump mode supports",
    )
}

fn num<T: std::str::FromStr>(opt: &str, v: &str) -> Result<T> {
    v.trim()
        .parse()
        .map_err(|_| Error::usage(format!("{opt} {v}: not a valid number")))
}

fn apply_short(o: &mut Options, c: char, arg: Option<&str>) -> Result<()> {
    let a = || arg.unwrap_or_default();
    let opt = format!("-{c}");
    match c {
        'A' => o.print.dump = Dump::Ascii,
        'B' => {
            let k: usize = num(&opt, a())?;
            if k == 0 {
                return Err(Error::usage("-B 0: the buffer size must be positive (KiB)"));
            }
            o.buffer_kib = Some(k);
        }
        'c' => {
            let n: u64 = num(&opt, a())?;
            if n == 0 {
                return Err(Error::usage("-c 0: invalid packet count"));
            }
            o.count = Some(n);
        }
        'd' => o.dump_program += 1,
        'D' => o.list_interfaces = true,
        'e' => o.print.link_header = true,
        'F' => o.filter_file = Some(a().to_string()),
        'h' => o.help = true,
        'i' => o.interfaces.push(a().to_string()),
        'K' | 'n' | 'N' | 'a' | 'f' => {}
        'l' => o.line_buffered = true,
        'L' => o.list_linktypes = true,
        'O' => o.optimize = false,
        'p' => o.promisc = false,
        'q' => o.print.quiet = true,
        'Q' => o.direction = Direction::parse(a())?,
        'r' => o.read = Some(a().to_string()),
        'S' => o.print.absolute_seq = true,
        's' => {
            let s: u32 = num(&opt, a())?;
            // tcpdump: 0 (and anything out of range) means the default.
            o.snaplen = if s == 0 || s > capture::DEFAULT_SNAPLEN {
                capture::DEFAULT_SNAPLEN
            } else {
                s
            };
        }
        't' => {
            o.print.time = match o.print.time {
                TimeFormat::Default => TimeFormat::None,
                TimeFormat::None => TimeFormat::Epoch,
                TimeFormat::Epoch => TimeFormat::DeltaPrevious,
                TimeFormat::DeltaPrevious => TimeFormat::Date,
                _ => TimeFormat::DeltaFirst,
            }
        }
        'U' => o.packet_buffered = true,
        'v' => o.print.verbose = o.print.verbose.saturating_add(1).min(3),
        'w' => o.write = Some(a().to_string()),
        'x' => {
            o.print.dump = match o.print.dump {
                Dump::Hex | Dump::HexLink => Dump::HexLink,
                _ => Dump::Hex,
            }
        }
        'X' => {
            o.print.dump = match o.print.dump {
                Dump::HexAscii | Dump::HexAsciiLink => Dump::HexAsciiLink,
                _ => Dump::HexAscii,
            }
        }
        'y' => o.linktype = Some(LinkType::from_name(a())?),
        'Z' => o.user = Some(a().to_string()),
        '#' => o.number = true,
        other => {
            if let Some(what) = unsupported_short(other) {
                return Err(unsupported(&opt, what));
            }
            return Err(Error::usage(format!("unknown option -{other}"))
                .hint("`podcap tcpdump -h` lists the options"));
        }
    }
    Ok(())
}

/// Long options: (name, takes argument, short equivalent or 0).
const LONG: &[(&str, bool, char)] = &[
    ("buffer-size", true, 'B'),
    ("count", true, 'c'),
    ("list-interfaces", false, 'D'),
    ("help", false, 'h'),
    ("interface", true, 'i'),
    ("list-data-link-types", false, 'L'),
    ("no-optimize", false, 'O'),
    ("no-promiscuous-mode", false, 'p'),
    ("direction", true, 'Q'),
    ("snapshot-length", true, 's'),
    ("relinquish-privileges", true, 'Z'),
    ("linktype", true, 'y'),
    ("number", false, '#'),
    ("packet-buffered", false, 'U'),
    ("immediate-mode", false, '\0'),
    ("time-stamp-precision", true, '\0'),
    ("nano", false, '\0'),
    ("micro", false, '\0'),
    ("pcapng", false, '\0'),
    ("netns", true, '\0'),
    ("vxlan-port", true, '\0'),
    ("print", false, '\0'),
    ("version", false, '\0'),
    ("monitor-mode", false, 'I'),
    ("time-stamp-type", true, 'j'),
    ("list-time-stamp-types", false, 'J'),
    ("lengths", false, '\0'),
    ("fp-type", false, '\0'),
    ("mpls-as-ip", false, '\0'),
    ("print-sampling", true, 'P'),
];

fn apply_long(o: &mut Options, name: &str, arg: Option<&str>) -> Result<()> {
    let opt = format!("--{name}");
    let (_, _, short) = LONG.iter().find(|(n, _, _)| *n == name).ok_or_else(|| {
        Error::usage(format!("unknown option {opt}")).hint("`podcap tcpdump -h` lists the options")
    })?;
    if *short != '\0' {
        return apply_short(o, *short, arg);
    }
    let a = arg.unwrap_or_default();
    match name {
        "immediate-mode" => o.immediate = true,
        "time-stamp-precision" => {
            o.nanos = match a {
                "micro" => false,
                "nano" => true,
                _ => {
                    return Err(Error::usage(format!(
                        "--time-stamp-precision={a}: use micro or nano"
                    )));
                }
            }
        }
        "nano" => o.nanos = true,
        "micro" => o.nanos = false,
        "pcapng" => o.pcapng = true,
        "netns" => o.netns = Some(a.to_string()),
        "vxlan-port" => {
            for p in a.split(',') {
                let port: u16 = num(&opt, p)?;
                o.print.vxlan_ports.push(port);
            }
        }
        "print" => o.print_too = true,
        "version" => o.version = true,
        "lengths" | "fp-type" | "mpls-as-ip" => {
            return Err(unsupported(&opt, "this option"));
        }
        _ => return Err(Error::usage(format!("unknown option {opt}"))),
    }
    Ok(())
}

/// Parses tcpdump's arguments (without `argv[0]`).
pub fn parse(args: &[String]) -> Result<Options> {
    let mut o = Options::default();
    let mut words: Vec<&str> = Vec::new();
    let mut i = 0;
    let mut only_words = false;
    while i < args.len() {
        let arg = args[i].as_str();
        i += 1;
        if only_words || arg == "-" || !arg.starts_with('-') {
            words.push(arg);
            continue;
        }
        if arg == "--" {
            only_words = true;
            continue;
        }
        if let Some(long) = arg.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            let takes = LONG.iter().find(|(n, _, _)| *n == name).map(|l| l.1);
            let value = match (takes, inline) {
                (Some(true), Some(v)) => Some(v.to_string()),
                (Some(true), None) => {
                    let v = args.get(i).cloned().ok_or_else(|| {
                        Error::usage(format!("option --{name} requires an argument"))
                    })?;
                    i += 1;
                    Some(v)
                }
                (Some(false), Some(_)) => {
                    return Err(Error::usage(format!("option --{name} takes no argument")));
                }
                _ => None,
            };
            apply_long(&mut o, name, value.as_deref())?;
            continue;
        }
        for (at, c) in arg[1..].char_indices() {
            if WITH_ARG.contains(c) {
                let rest = &arg[1 + at + c.len_utf8()..];
                let value = if !rest.is_empty() {
                    rest.to_string()
                } else {
                    let v = args
                        .get(i)
                        .cloned()
                        .ok_or_else(|| Error::usage(format!("option -{c} requires an argument")))?;
                    i += 1;
                    v
                };
                apply_short(&mut o, c, Some(&value))?;
                break;
            }
            apply_short(&mut o, c, None)?;
        }
    }
    o.filter = words.join(" ");
    if o.packet_buffered {
        // ksniff's `-U -w -` must not wait for a block to fill.
        o.immediate = true;
    }
    Ok(o)
}

const HELP: &str = "\
Usage: tcpdump [-AdDeflKLnNOpqSUvxX#] [-B size] [-c count] [-F file] [-i interface]...
               [-Q in|out|inout] [-r file] [-s snaplen] [-w file] [-y datalinktype]
               [-Z user] [--immediate-mode] [--time-stamp-precision=micro|nano]
               [--pcapng] [--netns PATH|PID] [--vxlan-port PORT] [--print] [expression]
podcap's tcpdump-compatible mode (no libpcap). `man podcap` for details.
";

fn program_name(prog: &str) -> &str {
    prog.split_whitespace().next().unwrap_or("podcap")
}

/// Reads a `-F` filter file; `podcap capture` reads it the same way.
pub(crate) fn read_filter_file(path: &str) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::os(format!("read filter file {path}"), e, None))?;
    // tcpdump treats `#` to end of line as a comment.
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" "))
}

/// The interface tcpdump picks without `-i`: the first up, running,
/// non-loopback one.
fn default_interface() -> Result<String> {
    let list = iface::list()?;
    list.iter()
        .find(|i| i.up && i.running && !i.loopback)
        .map(|i| i.name.clone())
        .ok_or_else(|| {
            Error::not_found("a capture interface", "no interface is up and running")
                .hint("name one with -i, or use -i any")
        })
}

/// `prog` is how we were called, for messages (`static-tcpdump`, `podcap tcpdump`).
pub fn main(prog: &str, args: &[String]) -> Result<i32> {
    let mut o = parse(args)?;
    run(prog, &mut o)
}

/// Runs what `o` asks for; also the back end of `podcap capture`.
pub fn run(prog: &str, o: &mut Options) -> Result<i32> {
    let name = program_name(prog).to_string();
    let mut err = std::io::stderr();
    if o.help {
        print!("{HELP}");
        return Ok(0);
    }
    if o.version {
        println!(
            "podcap {} (tcpdump-compatible mode)",
            env!("CARGO_PKG_VERSION")
        );
        return Ok(0);
    }
    if let Some(f) = &o.filter_file {
        if !o.filter.is_empty() {
            let _ = writeln!(
                err,
                "{name}: Warning: -F given, ignoring the filter words on the command line"
            );
        }
        o.filter = read_filter_file(f)?;
    }
    if let Some(ns) = &o.netns {
        // The whole process moves: sockets, -D and name lookups all see
        // the pod's namespace.
        crate::netns::enter(ns)?;
    }
    if o.list_interfaces {
        print!("{}", iface::format_list(&iface::list()?));
        return Ok(0);
    }
    if let Some(r) = o.read.clone() {
        return read_file(&name, o, &r);
    }
    if o.interfaces.is_empty() {
        o.interfaces.push(default_interface()?);
    }
    if o.list_linktypes {
        for i in &o.interfaces {
            println!("Data link types for {i} (use option -y to set):");
            let native = native_linktype(i)?;
            let mut kinds = vec![native];
            for l in [LinkType::LinuxSll, LinkType::LinuxSll2] {
                if !kinds.contains(&l) {
                    kinds.push(l);
                }
            }
            for l in kinds {
                println!("  {} ({})", l.name(), l.description());
            }
        }
        return Ok(0);
    }
    if o.dump_program > 0 {
        let lt = match o.linktype {
            Some(l) => l,
            None => native_linktype(&o.interfaces[0])?,
        };
        return dump_program(o, lt, true, o.snaplen);
    }
    live(&name, o)
}

fn native_linktype(iface: &str) -> Result<LinkType> {
    if iface == "any" {
        return Ok(LinkType::LinuxSll);
    }
    use std::os::fd::AsRawFd;
    let ctl = capture::sys::ioctl_socket()?;
    capture::sys::if_index(ctl.as_raw_fd(), iface)?;
    let hatype = capture::sys::if_hatype(ctl.as_raw_fd(), iface)?;
    Ok(LinkType::from_arphrd(hatype).unwrap_or(LinkType::LinuxSll))
}

/// Compiles the filter; `snaplen` is the capture's (or, for `-r`, the
/// file's, as tcpdump uses it).
fn compile(o: &Options, lt: LinkType, live: bool, snaplen: u32) -> Result<Vec<crate::bpf::Insn>> {
    if o.filter.trim().is_empty() {
        return Ok(vec![crate::bpf::Insn::stmt(
            crate::bpf::op::RET | crate::bpf::op::K,
            snaplen,
        )]);
    }
    crate::filter::compile(
        &o.filter,
        &crate::filter::Options {
            linktype: lt,
            optimize: o.optimize,
            snaplen,
            netmask: None,
            linux_ext: live,
            vxlan_ports: o.print.vxlan_ports.clone(),
        },
    )
}

fn dump_program(o: &Options, lt: LinkType, live: bool, snaplen: u32) -> Result<i32> {
    let prog = compile(o, lt, live, snaplen)?;
    let style = match o.dump_program {
        1 => crate::bpf::print::Style::D,
        2 => crate::bpf::print::Style::Dd,
        _ => crate::bpf::print::Style::Ddd,
    };
    print!("{}", crate::bpf::print::format(&prog, style));
    Ok(0)
}

fn precision(o: &Options) -> Precision {
    if o.nanos {
        Precision::Nano
    } else {
        Precision::Micro
    }
}

fn file_format(o: &Options, name: &str) -> FileFormat {
    if o.pcapng || name.ends_with(".pcapng") {
        FileFormat::PcapNg
    } else {
        FileFormat::Pcap
    }
}

fn print_options(o: &Options) -> PrintOptions {
    let mut p = o.print.clone();
    p.nanos = o.nanos;
    p
}

fn live(name: &str, o: &Options) -> Result<i32> {
    let mut err = std::io::stderr();
    // From here on, SIGINT/SIGTERM stop the capture cleanly.
    capture::signals::install().map_err(|e| Error::os("install signal handlers", e, None))?;
    let mut sources = Vec::new();
    for i in &o.interfaces {
        let cfg = SourceConfig {
            iface: i.clone(),
            netns: None,
            snaplen: o.snaplen,
            filter: o.filter.clone(),
            promisc: o.promisc,
            direction: o.direction,
            buffer_size: o
                .buffer_kib
                .map(|k| k.saturating_mul(1024))
                .unwrap_or(capture::DEFAULT_BUFFER),
            immediate: o.immediate,
            linktype: o.linktype,
            optimize: o.optimize,
            vxlan_ports: o.print.vxlan_ports.clone(),
        };
        // Latency matters less than ring capacity unless -U: blocks may
        // fill for 50 ms, where libpcap's tcpdump waits up to a second.
        let tuning = capture::Tuning {
            block_timeout_ms: (!o.immediate).then_some(50),
        };
        let src = Source::open_tuned(&cfg, &tuning).map_err(|e| {
            if e.kind == crate::error::Kind::Permission {
                let mut e = e;
                e.what = format!("{} (capture on {i})", e.what);
                e
            } else {
                e
            }
        })?;
        sources.push(src);
    }
    let ns_desc = output::netns_description(o.netns.as_deref());
    let ifaces: Vec<OutIface> = sources
        .iter()
        .map(|s| OutIface {
            name: s.name().to_string(),
            linktype: s.linktype(),
            snaplen: s.snaplen(),
            netns: Some(ns_desc.clone()),
        })
        .collect();
    let write = o.write.as_ref().map(|w| (w.clone(), file_format(o, w)));
    let print = (o.write.is_none() || o.print_too).then(|| print_options(o));
    if print.is_some() && o.print.verbose == 0 {
        let _ = writeln!(
            err,
            "{name}: verbose output suppressed, use -v[v]... for full protocol decode"
        );
    }
    let file = match &write {
        Some((w, _)) => Some(output::open_dest(w)?),
        None => None,
    };
    let out = Output::new(
        &OutputConfig {
            write,
            precision: precision(o),
            print,
            packet_buffered: o.packet_buffered,
            line_buffered: o.line_buffered || output::stdout_is_tty() || o.packet_buffered,
            number: o.number,
        },
        file,
        &ifaces,
    )?;
    // Everything privileged is done: the ring is mapped, files are open.
    match &o.user {
        Some(u) => privs::become_user(u)?,
        None => privs::drop_all_capabilities()?,
    }
    for s in &sources {
        let _ = writeln!(
            err,
            "{name}: listening on {}, link-type {} ({}), snapshot length {} bytes",
            s.name(),
            s.linktype().name(),
            s.linktype().description(),
            s.snaplen()
        );
    }
    let label = if sources.len() > 1 || sources.iter().any(|s| s.ifindex() == 0) {
        Label::Name
    } else {
        Label::None
    };
    let outcome = session::run(sources, out, o.count, label)?;
    if outcome.reason == StopReason::ReaderGone {
        return Ok(0);
    }
    let _ = err.write_all(session::format_stats(outcome.captured, &outcome.stats).as_bytes());
    Ok(0)
}

fn read_file(name: &str, o: &Options, path: &str) -> Result<i32> {
    let mut err = std::io::stderr();
    let input: Box<dyn std::io::Read + Send> = if path == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(path).map_err(|e| Error::os(format!("open {path}"), e, None))?)
    };
    let mut reader = crate::pcap::Reader::new(path, input)?;
    let mut buf = Vec::new();
    let mut first = reader.next_into(&mut buf)?;
    let ifaces_in = reader.interfaces().to_vec();
    let lt_of = |v: u32| {
        LinkType::from_linktype(v).ok_or_else(|| {
            Error::unsupported(
                format!("link type {v} in {path}"),
                "podcap decodes and filters EN10MB, RAW, LINUX_SLL and LINUX_SLL2",
            )
        })
    };
    // tcpdump compiles for the file's snap length (an invalid one, 0 or
    // too big, counts as the maximum).
    let file_snap = |i: &crate::pcap::reader::FileIface| match i.snaplen {
        0 => capture::DEFAULT_SNAPLEN,
        s => s.min(capture::DEFAULT_SNAPLEN),
    };
    if o.dump_program > 0 {
        let (lt, snap) = match ifaces_in.first() {
            Some(i) => (lt_of(i.linktype)?, file_snap(i)),
            None => (LinkType::En10mb, o.snaplen),
        };
        return dump_program(o, lt, false, snap);
    }
    if let Some(i) = ifaces_in.first() {
        let lt = LinkType::from_linktype(i.linktype);
        let _ = writeln!(
            err,
            "reading from file {path}, link-type {} ({}), snapshot length {}",
            lt.map(|l| l.name().to_string())
                .unwrap_or_else(|| format!("{}", i.linktype)),
            lt.map(|l| l.description()).unwrap_or("unknown"),
            i.snaplen
        );
    }
    let _ = name;
    let mut ifaces: Vec<OutIface> = Vec::new();
    let mut progs: Vec<Option<Vec<crate::bpf::Insn>>> = Vec::new();
    for i in &ifaces_in {
        let lt = lt_of(i.linktype);
        let prog = match (&lt, o.filter.trim().is_empty()) {
            (_, true) => None,
            (Ok(l), false) => Some(compile(o, *l, false, file_snap(i))?),
            (Err(e), false) => return Err(e.clone()),
        };
        progs.push(prog);
        ifaces.push(OutIface {
            name: i.name.clone().unwrap_or_else(|| path.to_string()),
            linktype: lt.unwrap_or(LinkType::En10mb),
            snaplen: i.snaplen.clamp(1, capture::DEFAULT_SNAPLEN),
            netns: i.description.clone(),
        });
    }
    let write = o.write.as_ref().map(|w| (w.clone(), file_format(o, w)));
    let print = (o.write.is_none() || o.print_too).then(|| print_options(o));
    let file = match &write {
        Some((w, _)) => Some(output::open_dest(w)?),
        None => None,
    };
    let out_ifaces = ifaces.len().max(1) as u32;
    let mut out = Output::new(
        &OutputConfig {
            write,
            precision: if reader.is_pcapng {
                precision(o)
            } else if reader.nanos() || o.nanos {
                Precision::Nano
            } else {
                Precision::Micro
            },
            print,
            packet_buffered: o.packet_buffered,
            line_buffered: o.line_buffered,
            number: o.number,
        },
        file,
        &ifaces,
    )?;
    let mut n = 0u64;
    let named = ifaces.len() > 1;
    let mut pending = first.take();
    let result = (|| -> Result<()> {
        loop {
            let m = match pending.take() {
                Some(m) => m,
                None => match reader.next_into(&mut buf)? {
                    Some(m) => m,
                    None => return Ok(()),
                },
            };
            let idx = m.iface as usize;
            // Interfaces described after the first packet: filter them
            // too; the output keeps the interfaces it started with.
            while progs.len() <= idx {
                let Some(i) = reader.interfaces().get(progs.len()) else {
                    return Err(Error::format(
                        format!("read {path}"),
                        "packet for an undescribed interface",
                    ));
                };
                let lt = lt_of(i.linktype)?;
                progs.push(if o.filter.trim().is_empty() {
                    None
                } else {
                    Some(compile(o, lt, false, file_snap(i))?)
                });
                ifaces.push(OutIface {
                    name: i.name.clone().unwrap_or_else(|| path.to_string()),
                    linktype: lt,
                    snaplen: i.snaplen.clamp(1, capture::DEFAULT_SNAPLEN),
                    netns: i.description.clone(),
                });
            }
            let ifc = &ifaces[idx];
            if let Some(prog) = &progs[idx] {
                let aux = crate::bpf::interp::Aux::default();
                if crate::bpf::interp::run(prog, &buf, m.wirelen, &aux) == 0 {
                    continue;
                }
            }
            let pkttype = match m.direction {
                Some(2) => Some(capture::PACKET_OUTGOING),
                Some(1) => Some(0),
                _ => None,
            };
            let r = out.packet(&output::OutPacket {
                ts_sec: m.ts_sec,
                ts_nsec: m.ts_nsec,
                wirelen: m.wirelen,
                parts: [&[], &buf],
                linktype: ifc.linktype,
                iface: m.iface.min(out_ifaces - 1),
                ifname: named.then_some(ifc.name.as_str()),
                pkttype,
            });
            match r {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
                Err(e) => return Err(Error::os("write output", e, None)),
                Ok(()) => {}
            }
            n += 1;
            if o.count.is_some_and(|c| n >= c) {
                return Ok(());
            }
        }
    })();
    match out.finish() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(0),
        Err(e) => return Err(Error::os("write output", e, None)),
        Ok(()) => {}
    }
    result?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Options> {
        parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn ksniff_command_line() {
        let o = p(&["-i", "any", "-U", "-w", "-", "tcp", "port", "80"]).unwrap();
        assert_eq!(o.interfaces, vec!["any"]);
        assert!(o.packet_buffered && o.immediate);
        assert_eq!(o.write.as_deref(), Some("-"));
        assert_eq!(o.filter, "tcp port 80");
    }

    #[test]
    fn bundled_flags() {
        let o = p(&["-nnvvv", "-c10", "-s0", "-w-", "-ieth0"]).unwrap();
        assert_eq!(o.print.verbose, 3);
        assert_eq!(o.count, Some(10));
        assert_eq!(o.snaplen, 262144);
        assert_eq!(o.write.as_deref(), Some("-"));
        assert_eq!(o.interfaces, vec!["eth0"]);
        let o = p(&[
            "-s", "96", "-XX", "-tttt", "-eq", "-Q", "in", "-B", "64", "-p",
        ])
        .unwrap();
        assert_eq!(o.snaplen, 96);
        assert_eq!(o.print.dump, Dump::HexAsciiLink);
        assert_eq!(o.print.time, TimeFormat::Date);
        assert!(o.print.link_header && o.print.quiet && !o.promisc);
        assert_eq!(o.direction, Direction::In);
        assert_eq!(o.buffer_kib, Some(64));
        let o = p(&["-xx", "-ddd", "-#", "-S", "-y", "LINUX_SLL2"]).unwrap();
        assert!(o.print.absolute_seq);
        assert_eq!(o.print.dump, Dump::HexLink);
        assert_eq!(o.dump_program, 3);
        assert!(o.number);
        assert_eq!(o.linktype, Some(LinkType::LinuxSll2));
    }

    #[test]
    fn options_after_filter_and_double_dash() {
        let o = p(&["icmp", "-c", "1", "--", "-x"]).unwrap();
        assert_eq!(o.count, Some(1));
        assert_eq!(o.filter, "icmp -x");
    }

    #[test]
    fn long_options() {
        let o = p(&[
            "--immediate-mode",
            "--time-stamp-precision=nano",
            "--pcapng",
            "--netns",
            "/proc/1/ns/net",
            "--vxlan-port=8472",
            "--count=5",
            "-i",
            "a",
            "--interface",
            "b",
        ])
        .unwrap();
        assert!(o.immediate && o.nanos && o.pcapng);
        assert_eq!(o.netns.as_deref(), Some("/proc/1/ns/net"));
        assert_eq!(o.print.vxlan_ports, vec![crate::wire::ports::VXLAN_LINUX]);
        assert_eq!(o.count, Some(5));
        assert_eq!(o.interfaces, vec!["a", "b"]);
        assert!(p(&["--time-stamp-precision=pico"]).is_err());
    }

    #[test]
    fn unsupported_options_are_named() {
        for (args, needle) in [
            (&["-C", "10"][..], "-C"),
            (&["-G", "5"][..], "-G"),
            (&["-I"][..], "-I"),
            (&["-E", "spi@1.2.3.4"][..], "-E"),
            (&["--lengths"][..], "--lengths"),
        ] {
            let e = p(args).unwrap_err();
            assert!(e.to_string().contains(needle), "{e}");
            assert_eq!(e.kind, crate::error::Kind::Unsupported);
        }
        let e = p(&["-k"]).unwrap_err();
        assert!(e.to_string().contains("-k"), "{e}");
        assert!(
            p(&["-c"])
                .unwrap_err()
                .to_string()
                .contains("requires an argument")
        );
        assert!(p(&["-c", "x"]).is_err());
        assert!(p(&["-Q", "both"]).is_err());
    }
}
