//! tcpdump-compatible mode: tcpdump's command line, getopt-style, so the
//! bundled flags scripts and ksniff use (`-nnvvv`, `-c10`, `-s0`, `-w-`)
//! work as they do with tcpdump. Options may follow the filter words, as
//! with GNU getopt; `--` ends the options.
//!
//! - [`options`], the option table, which both the parser and `-h` read;
//! - [`settings`], what it sets, and how that becomes the engine's
//!   configs;
//! - [`live`], capturing;
//! - [`read`], `-r`: reading a file;
//! - [`listings`], `-D` and `-L`;
//! - [`program`], `-d`, `-dd`, `-ddd`.

pub mod listings;
pub mod live;
pub mod options;
pub mod program;
pub mod read;
pub mod settings;

pub use options::parse;
pub use settings::{Mode, Settings};

use crate::capture::iface;
use crate::{Error, Result};
use std::io::Write;

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
pub fn run(prog: &str, o: &mut Settings) -> Result<i32> {
    let name = program_name(prog).to_string();
    match o.mode {
        Mode::Help => {
            print!("{}", options::command().help(prog));
            return Ok(0);
        }
        Mode::Version => {
            println!(
                "podcap {} (tcpdump-compatible mode)",
                env!("CARGO_PKG_VERSION")
            );
            return Ok(0);
        }
        _ => {}
    }
    if let Some(f) = &o.filter_file {
        if !o.filter.is_empty() {
            let _ = writeln!(
                std::io::stderr(),
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
    match o.mode.clone() {
        Mode::ListInterfaces => return listings::interfaces(),
        Mode::Read(path) => return read::run(o, &path),
        Mode::DumpProgram {
            style,
            file: Some(path),
        } => return program::dump_for_file(o, style, &path),
        _ => {}
    }
    if o.interfaces.is_empty() {
        o.interfaces.push(default_interface()?);
    }
    match o.mode {
        Mode::ListLinkTypes => listings::linktypes(&o.interfaces),
        Mode::DumpProgram { style, .. } => program::dump_for_interface(o, style),
        _ => live::run(&name, o),
    }
}
