//! `podcap compile`: print a filter's BPF program as `tcpdump -d/-dd/-ddd`.
//!
//! Its options are read as whole words ([`Syntax::Words`]), because
//! `-dd` and `-ddd` are options of their own; the words of the expression
//! are joined with spaces, as tcpdump does.

use super::flags::{Action, Command, Flag, InUsage, Section, Syntax};
use crate::bpf::print::{self, Style};
use crate::filter::{self, Options};
use crate::linktype::LinkType;
use crate::{Error, Result};
use std::io::Write;

/// Parsed `podcap compile` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    pub opts: Options,
    pub style: Style,
    pub expr: String,
}

#[derive(Debug)]
struct Draft {
    args: Args,
    help: bool,
}

fn style(d: &mut Draft, s: Style) -> Result<()> {
    d.args.style = s;
    Ok(())
}

fn command() -> Command<Draft> {
    Command {
        name: "podcap compile",
        syntax: Syntax::Words,
        operands: "EXPRESSION...",
        about: "Print the classic BPF program for a pcap-filter(7) expression, as tcpdump -d\n\
                prints it. The words of the expression are joined with spaces.\n",
        footer: "",
        family: "podcap compile",
        sections: vec![Section {
            title: "Options",
            usage: InUsage::Each,
            flags: vec![
                Flag::switch(&["-O"], "do not optimize (tcpdump's -O)", |d, _| {
                    d.args.opts.optimize = false;
                    Ok(())
                }),
                Flag::value(
                    &["-y"],
                    "LINKTYPE",
                    "EN10MB (default), RAW, LINUX_SLL or LINUX_SLL2",
                    |d, g| {
                        d.args.opts.linktype = LinkType::from_name(g.value)?;
                        Ok(())
                    },
                ),
                Flag::switch(&["-d"], "assembly (default)", |d, _| style(d, Style::D)),
                Flag::switch(&["-dd"], "C array fragment", |d, _| style(d, Style::Dd)),
                Flag::switch(&["-ddd"], "decimal numbers, count first", |d, _| {
                    style(d, Style::Ddd)
                }),
                Flag::value(
                    &["--vxlan-port"],
                    "N",
                    "`vxlan` also matches UDP port N (flannel: 8472)",
                    |d: &mut Draft, g| {
                        let p: u16 = g.value.parse().map_err(|_| {
                            Error::usage(format!(
                                "--vxlan-port {}: not a UDP port (1-65535)",
                                g.value
                            ))
                        })?;
                        d.args.opts.vxlan_ports.push(p);
                        Ok(())
                    },
                )
                .repeats(),
                Flag::switch(
                    &["--linux-ext"],
                    "compile as for a live Linux socket (kernel VLAN/packet-type loads)",
                    |d, _| {
                        d.args.opts.linux_ext = true;
                        Ok(())
                    },
                ),
                Flag::value(
                    &["--snaplen"],
                    "N",
                    "value returned for accepted packets (default 262144)",
                    |d, g| {
                        d.args.opts.snaplen = g.value.parse().map_err(|_| {
                            Error::usage(format!("--snaplen {}: not a number", g.value))
                        })?;
                        Ok(())
                    },
                ),
                Flag {
                    action: Action::SetAndStop(|d| d.help = true),
                    ..Flag::ignored(&["-h", "--help"], "print this help")
                },
            ],
        }],
    }
}

/// Parses the arguments after `compile`. `Ok(None)` means help was asked.
pub fn parse_args(args: &[String]) -> Result<Option<Args>> {
    let mut d = Draft {
        args: Args {
            opts: Options::default(),
            style: Style::D,
            expr: String::new(),
        },
        help: false,
    };
    let words = command().parse(args, &mut d)?;
    if d.help {
        return Ok(None);
    }
    d.args.expr = words.join(" ");
    Ok(Some(d.args))
}

pub fn main(args: &[String]) -> Result<i32> {
    let Some(a) = parse_args(args)? else {
        let help = command().help("podcap compile");
        let _ = std::io::stdout().write_all(help.as_bytes());
        return Ok(0);
    };
    let prog = filter::compile(&a.expr, &a.opts)?;
    let text = print::format(&prog, a.style);
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| Error::os("write the program to stdout", e, None))?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: &[&str]) -> Args {
        let v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
        parse_args(&v).unwrap().unwrap()
    }

    #[test]
    fn args_like_tcpdump() {
        let a = p(&["-O", "-ddd", "-y", "LINUX_SLL", "tcp", "port", "80"]);
        assert!(!a.opts.optimize);
        assert_eq!(a.style, Style::Ddd);
        assert_eq!(a.opts.linktype, LinkType::LinuxSll);
        assert_eq!(a.expr, "tcp port 80");
        let a = p(&["--vxlan-port", "8472", "vxlan"]);
        assert_eq!(a.opts.vxlan_ports, vec![crate::wire::ports::VXLAN_LINUX]);
        assert_eq!(a.expr, "vxlan");
        let a = p(&["-dd", "ip[0] - 1 > 0"]);
        assert_eq!(a.style, Style::Dd);
        assert_eq!(p(&[]).expr, "");
        let v: Vec<String> = vec!["-x".into()];
        assert!(parse_args(&v).is_err());
    }

    /// Whole words: `-yRAW` carries its value, a dash word inside the
    /// expression is part of it, `-h` wins over whatever follows.
    #[test]
    fn words_not_getopt() {
        let a = p(&["-yRAW", "-d", "-d", "len", ">", "-1"]);
        assert_eq!(a.opts.linktype, LinkType::Raw);
        assert_eq!(a.style, Style::D);
        assert_eq!(a.expr, "len > -1");
        let a = p(&["ip", "-O", "--", "-dd"]);
        assert!(!a.opts.optimize);
        assert_eq!(a.expr, "ip -dd");
        let v: Vec<String> = vec!["-h".into(), "-x".into()];
        assert_eq!(parse_args(&v).unwrap(), None);
        let v: Vec<String> = vec!["-Od".into()];
        assert!(parse_args(&v).is_err());
        let h = command().help("podcap compile");
        assert!(
            h.starts_with("Usage: podcap compile [-O] [-y LINKTYPE] [-d] [-dd] [-ddd]"),
            "{h}"
        );
    }
}
