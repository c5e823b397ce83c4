//! `podcap merge [-w OUT] [--label NAME]... FILE...`: pcap and pcapng
//! files into one pcapng ordered by time ([`crate::pcap::merge`]).

use super::flags::{Action, Command, Flag, InUsage, Section, Syntax};
use crate::pcap::merge::{self, Source};
use crate::{Error, Result};
use std::io::{IsTerminal, Write};

#[derive(Debug, Default)]
struct Draft {
    out: Option<String>,
    labels: Vec<String>,
    descriptions: Vec<String>,
    verbose: bool,
    help: bool,
}

fn command() -> Command<Draft> {
    Command {
        name: "podcap merge",
        syntax: Syntax::Getopt,
        operands: "FILE...",
        about: "Merge pcap and pcapng files (any mix, several interfaces each) into one pcapng\n\
                ordered by time, as mergecap does; every interface block is carried over with\n\
                its name, link type and options. `-` reads standard input.\n",
        footer: "\nThe first --label and --description apply to the first FILE, the second to\n\
                 the second, and so on; an empty one leaves that file's interfaces as they are.\n\
                 A file with one interface gets the label as its name, one with several gets\n\
                 LABEL/NAME; the old name and description follow the new description.\n",
        family: "podcap merge",
        sections: vec![Section {
            title: "Options",
            usage: InUsage::Each,
            flags: vec![
                Flag::value(
                    &["-w"],
                    "OUT",
                    "write to OUT (`-`: standard output, the default when it is not a terminal)",
                    |d: &mut Draft, g| {
                        d.out = Some(g.value.to_string());
                        Ok(())
                    },
                ),
                Flag::value(
                    &["--label"],
                    "NAME",
                    "name the interfaces of the next FILE (e.g. NODE/NAMESPACE/POD)",
                    |d: &mut Draft, g| {
                        d.labels.push(g.value.to_string());
                        Ok(())
                    },
                )
                .repeats(),
                Flag::value(
                    &["--description"],
                    "TEXT",
                    "if_description of the interfaces of the next FILE",
                    |d: &mut Draft, g| {
                        d.descriptions.push(g.value.to_string());
                        Ok(())
                    },
                )
                .repeats(),
                Flag::switch(
                    &["-v"],
                    "say on stderr how many files, interfaces and packets were merged",
                    |d, _| {
                        d.verbose = true;
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

fn open(name: &str) -> Result<Box<dyn std::io::Read + Send>> {
    if name == "-" {
        return Ok(Box::new(std::io::stdin()));
    }
    let f = std::fs::File::open(name).map_err(|e| {
        let kind = e.kind();
        let mut err = Error::os(format!("open {name}"), e, None);
        if kind == std::io::ErrorKind::NotFound {
            err.kind = crate::error::Kind::NotFound;
        }
        err
    })?;
    Ok(Box::new(f))
}

pub fn main(args: &[String]) -> Result<i32> {
    let mut d = Draft::default();
    let files = command().parse(args, &mut d)?;
    if d.help {
        let _ = std::io::stdout().write_all(command().help("podcap merge").as_bytes());
        return Ok(0);
    }
    if files.is_empty() {
        return Err(Error::usage("podcap merge needs at least one FILE")
            .hint("podcap merge -w all.pcapng a.pcap b.pcapng"));
    }
    if files.iter().filter(|f| *f == "-").count() > 1 {
        return Err(Error::usage("standard input (`-`) can be read only once"));
    }
    if d.labels.len() > files.len() || d.descriptions.len() > files.len() {
        return Err(Error::usage(format!(
            "{} --label and {} --description for {} files",
            d.labels.len(),
            d.descriptions.len(),
            files.len()
        ))
        .hint("give at most one of each per FILE, in the order of the files"));
    }
    let out_name = d.out.clone().unwrap_or_else(|| "-".into());
    if out_name == "-" && d.out.is_none() && std::io::stdout().is_terminal() {
        return Err(Error::usage("the merged capture would go to a terminal")
            .hint("give -w FILE, or pipe it: podcap merge a.pcap b.pcap | tshark -r -"));
    }
    let given = |v: &[String], i: usize| v.get(i).filter(|s| !s.is_empty()).cloned();
    let mut sources = Vec::new();
    for (i, f) in files.iter().enumerate() {
        sources.push(Source {
            name: f.clone(),
            reader: open(f)?,
            label: given(&d.labels, i),
            description: given(&d.descriptions, i),
        });
    }
    let result = if out_name == "-" {
        merge::merge(sources, std::io::stdout().lock(), "standard output")
    } else {
        let f = std::fs::File::create(&out_name)
            .map_err(|e| Error::os(format!("create {out_name}"), e, None))?;
        merge::merge(sources, f, &out_name)
    };
    let sum = match result {
        Ok(s) => s,
        // The reader went away (`| head`, Wireshark closed): not an error.
        Err(e) if e.errno == Some(libc::EPIPE) => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut err = std::io::stderr();
    for p in &sum.problems {
        let _ = writeln!(err, "podcap merge: {p}");
    }
    if sum.dropped_options > 0 {
        let _ = writeln!(
            err,
            "podcap merge: left out {} options of big-endian sections whose layout podcap does \
             not know (they cannot be rewritten in this machine's byte order)",
            sum.dropped_options
        );
    }
    if sum.skipped_blocks > 0 {
        let _ = writeln!(
            err,
            "podcap merge: left out {} blocks that are neither packets, interfaces, statistics, \
             name resolution nor decryption secrets",
            sum.skipped_blocks
        );
    }
    if d.verbose {
        let _ = writeln!(
            err,
            "podcap merge: {} files, {} interfaces, {} packets written to {out_name}",
            files.len(),
            sum.interfaces,
            sum.packets
        );
    }
    Ok(match sum.problems.first() {
        Some(p) => p.kind.exit_status(),
        None => 0,
    })
}
