//! Command lines. `main` hands argv here; this module only dispatches:
//!
//! - `argv[0]`'s basename contains `tcpdump` (ksniff uploads the binary as
//!   `/tmp/static-tcpdump`), or the first word is `tcpdump`: tcpdump's own
//!   command line ([`tcpdump`]), parsed getopt-style because argh cannot
//!   read bundled flags such as `-nn` or `-c10`.
//! - `compile`: tcpdump's `-d/-dd/-ddd` view of a filter ([`compile`]).
//! - `merge`: captures into one pcapng by time, mergecap's job ([`merge`]).
//! - `capture POD_IP`: locate, then capture with tcpdump options ([`capture`]).
//! - `pods`: the pods of this node from its files ([`pods`]).
//! - `locate`, `ping`, `neigh`, `brctl`, `route`, `link`: argh subcommands
//!   ([`net`]).
//!
//! tcpdump mode, `capture` and `compile` define their options in tables
//! ([`flags`]) that give both their parsing and their `--help`.
//!
//! Exit statuses: where podcap stands in for tcpdump (tcpdump mode, and
//! `capture`, which takes tcpdump's options), tcpdump's: 0, or
//! [`crate::error::TCPDUMP_FAILURE`] on any failure. podcap's own commands
//! say what kind of failure it was ([`crate::error::Kind::exit_status`]).

pub mod capture;
pub mod compile;
pub mod flags;
pub mod merge;
pub mod net;
pub mod pods;
pub mod tcpdump;

use crate::error::TCPDUMP_FAILURE;
use crate::{Error, Result};
use std::ffi::OsString;
use std::io::Write;

const VERSION: &str = env!("CARGO_PKG_VERSION");

const HELP: &str = "\
Usage: podcap <command> [options]

Find the interface that carries a Kubernetes pod's packets, and capture there.

Commands:
  pods [-o wide|json]  the pods on this node (from its files: no runtime socket)
  locate POD           which host interface carries this pod's packets, with evidence
  capture POD [OPTS] [FILTER]
                       locate the pod, then capture there (tcpdump options)
  tcpdump [OPTS] [FILTER]
                       tcpdump-compatible capture (also when run as *tcpdump*)
  compile [-O] [-y LINKTYPE] [-d|-dd|-ddd] EXPR
                       print the classic BPF program for a filter, as tcpdump -d
  merge [-w OUT] FILE...
                       pcap/pcapng files into one pcapng ordered by time, as mergecap
  ping IP              ICMP echo, as ping
  neigh [IP]           neighbour (ARP/NDP) table, as ip neigh
  brctl showmacs BR    bridge forwarding table, as brctl showmacs
  brctl showstp BR     bridge ports, as brctl showstp
  route get IP         kernel route lookup, as ip route get
  link                 interfaces with kind, master, veth peer and netns

POD is the pod's IP, NAMESPACE/NAME, NAME (when unique on the node), its UID
or a container ID prefix.

Run `podcap <command> --help` for a command's options; `man podcap` for all.
";

/// Whose exit statuses a command line gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Statuses {
    /// tcpdump's, for scripts written for tcpdump: 0, or 1 on any failure.
    Tcpdump,
    /// podcap's own, by kind of failure.
    Podcap,
}

/// Decided from the raw words, so that an argument that is not UTF-8 (a
/// usage error) gets the status of the command it was given to.
fn statuses(argv: &[OsString]) -> Statuses {
    let argv0 = argv
        .first()
        .map(|a| a.to_string_lossy())
        .unwrap_or_default();
    let base = argv0.rsplit('/').next().unwrap_or_default();
    let cmd = argv.get(1).and_then(|a| a.to_str());
    if base.contains("tcpdump") || matches!(cmd, Some("tcpdump" | "capture")) {
        Statuses::Tcpdump
    } else {
        Statuses::Podcap
    }
}

/// Runs podcap with the full argv (including `argv[0]`) and returns the exit
/// status. Errors are printed here, once, as `podcap: ...` on stderr.
pub fn run(argv: Vec<OsString>) -> i32 {
    let statuses = statuses(&argv);
    match dispatch(argv) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "podcap: {e}");
            match statuses {
                Statuses::Tcpdump => TCPDUMP_FAILURE,
                Statuses::Podcap => e.exit_code(),
            }
        }
    }
}

fn to_strings(argv: Vec<OsString>) -> Result<Vec<String>> {
    argv.into_iter()
        .map(|a| {
            a.into_string().map_err(|bad| {
                Error::usage(format!(
                    "argument {} is not valid UTF-8",
                    bad.to_string_lossy()
                ))
            })
        })
        .collect()
}

fn dispatch(argv: Vec<OsString>) -> Result<i32> {
    let argv = to_strings(argv)?;
    let (argv0, rest) = match argv.split_first() {
        Some((first, rest)) => (first.as_str(), rest),
        None => ("podcap", &[][..]),
    };
    let base = argv0.rsplit('/').next().unwrap_or(argv0);
    if base.contains("tcpdump") {
        return tcpdump::main(base, rest);
    }
    let Some((cmd, args)) = rest.split_first() else {
        print!("{HELP}");
        return Ok(0);
    };
    match cmd.as_str() {
        "tcpdump" => tcpdump::main("podcap tcpdump", args),
        "compile" => compile::main(args),
        "capture" => capture::main(args),
        "pods" => pods::main(args),
        "merge" => merge::main(args),
        "locate" | "ping" | "neigh" | "brctl" | "route" | "link" => net::main(cmd, args),
        "-h" | "--help" | "help" => {
            print!("{HELP}");
            Ok(0)
        }
        "-V" | "--version" | "version" => {
            println!("podcap {VERSION}");
            Ok(0)
        }
        other => Err(Error::usage(format!("unknown command `{other}`"))
            .hint("run `podcap --help` for the list of commands")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStringExt;

    fn status(argv: &[&str]) -> i32 {
        run(argv.iter().map(OsString::from).collect())
    }

    /// tcpdump's statuses where podcap stands in for it: 1 whatever the
    /// failure (tests/tcpdump_mode.rs compares them with tcpdump's own).
    #[test]
    fn tcpdump_statuses() {
        for argv in [
            &["static-tcpdump", "-k"][..],
            &["/tmp/static-tcpdump", "-C", "10"],
            &["podcap", "tcpdump", "-c"],
            &["podcap", "tcpdump", "-d", "tcp", "port", "99999"],
            &["podcap", "capture", "icmp"],
            &["podcap", "capture", "1.2.3.4", "-k"],
            &["podcap", "capture", "1.2.3.4", "-D"],
        ] {
            assert_eq!(status(argv), TCPDUMP_FAILURE, "{argv:?}");
        }
        assert_eq!(status(&["podcap", "tcpdump", "-h"]), 0);
        assert_eq!(status(&["podcap", "capture", "--help"]), 0);
        assert_eq!(status(&["tcpdump", "--version"]), 0);
    }

    /// podcap's own commands say which kind of failure it was.
    #[test]
    fn podcap_statuses() {
        use crate::error::Kind;
        for (argv, kind) in [
            (&["podcap", "frobnicate"][..], Kind::Usage),
            (&["podcap", "locate"], Kind::Usage),
            // A word that is no IP is a pod's name: none here by that one.
            (&["podcap", "locate", "pod-x"], Kind::NotFound),
            (&["podcap", "locate", "fe80::1%"], Kind::Usage),
            (&["podcap", "compile", "-x"], Kind::Usage),
            (&["podcap", "compile", "tcp", "port", "99999"], Kind::Filter),
        ] {
            assert_eq!(status(argv), kind.exit_status(), "{argv:?}");
        }
        assert_eq!(status(&["podcap", "compile", "-dd", "ip"]), 0);
        assert_eq!(status(&["podcap", "--help"]), 0);
        // An argument that is not UTF-8 is a usage error of the command
        // it was given to.
        let bad = |cmd: &str| {
            run(vec![
                OsString::from("podcap"),
                OsString::from(cmd),
                OsString::from_vec(vec![0xff]),
            ])
        };
        assert_eq!(bad("compile"), Kind::Usage.exit_status());
        assert_eq!(bad("tcpdump"), TCPDUMP_FAILURE);
    }
}
