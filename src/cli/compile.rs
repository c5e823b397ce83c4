//! `podcap compile`: print a filter's BPF program as `tcpdump -d/-dd/-ddd`.
//!
//! Arguments are parsed by hand because argh cannot read `-dd`/`-ddd`:
//! `podcap compile [-O] [-y LINKTYPE] [-d|-dd|-ddd] [--vxlan-port N]...
//! [--linux-ext] EXPRESSION...`; the words of the expression are joined
//! with spaces, as tcpdump does.

use crate::bpf::print::{self, Style};
use crate::filter::{self, Options};
use crate::linktype::LinkType;
use crate::{Error, Result};
use std::io::Write;

const HELP: &str = "\
Usage: podcap compile [-O] [-y LINKTYPE] [-d|-dd|-ddd] [--vxlan-port N] [--linux-ext] EXPRESSION...

Print the classic BPF program for a pcap-filter(7) expression, as tcpdump -d prints it.

Options:
  -O               do not optimize (tcpdump's -O)
  -y LINKTYPE      EN10MB (default), RAW, LINUX_SLL or LINUX_SLL2
  -d               assembly (default)
  -dd              C array fragment
  -ddd             decimal numbers, count first
  --vxlan-port N   `vxlan` also matches UDP port N (flannel: 8472); repeatable
  --linux-ext      compile as for a live Linux socket (kernel VLAN/packet-type loads)
  --snaplen N      value returned for accepted packets (default 262144)
";

/// Parsed `podcap compile` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    pub opts: Options,
    pub style: Style,
    pub expr: String,
}

/// Parses the arguments after `compile`. `Ok(None)` means help was asked.
pub fn parse_args(args: &[String]) -> Result<Option<Args>> {
    let mut opts = Options::default();
    let mut style = Style::D;
    let mut words: Vec<&str> = Vec::new();
    let mut i = 0;
    let value = |i: usize, flag: &str| -> Result<&String> {
        args.get(i + 1)
            .ok_or_else(|| Error::usage(format!("{flag} needs a value")))
    };
    while i < args.len() {
        let a = args[i].as_str();
        if !words.is_empty() && !a.starts_with('-') {
            words.push(a);
            i += 1;
            continue;
        }
        match a {
            "-h" | "--help" => return Ok(None),
            "-O" => opts.optimize = false,
            "-d" => style = Style::D,
            "-dd" => style = Style::Dd,
            "-ddd" => style = Style::Ddd,
            "-y" => {
                opts.linktype = LinkType::from_name(value(i, "-y")?)?;
                i += 1;
            }
            "--vxlan-port" => {
                let v = value(i, "--vxlan-port")?;
                let p: u16 = v.parse().map_err(|_| {
                    Error::usage(format!("--vxlan-port {v}: not a UDP port (1-65535)"))
                })?;
                opts.vxlan_ports.push(p);
                i += 1;
            }
            "--snaplen" => {
                let v = value(i, "--snaplen")?;
                opts.snaplen = v
                    .parse()
                    .map_err(|_| Error::usage(format!("--snaplen {v}: not a number")))?;
                i += 1;
            }
            "--linux-ext" => opts.linux_ext = true,
            "--" => {
                words.extend(args[i + 1..].iter().map(String::as_str));
                break;
            }
            _ if a.starts_with("-y") && a.len() > 2 => {
                opts.linktype = LinkType::from_name(&a[2..])?;
            }
            _ if a.starts_with('-') && a.len() > 1 && !words.is_empty() => words.push(a),
            _ if a.starts_with('-') && a.len() > 1 => {
                return Err(Error::usage(format!("podcap compile: unknown option {a}")));
            }
            _ => words.push(a),
        }
        i += 1;
    }
    Ok(Some(Args {
        opts,
        style,
        expr: words.join(" "),
    }))
}

pub fn main(args: &[String]) -> Result<i32> {
    let Some(a) = parse_args(args)? else {
        let _ = std::io::stdout().write_all(HELP.as_bytes());
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
}
