//! Capturing: one ring per `-i`, then the session prints or writes what
//! they deliver until `-c`, SIGINT/SIGTERM, or the reader goes away.

use super::settings::Settings;
use crate::capture::output::{self, OutIface, Output};
use crate::capture::session::{self, Label, StopReason};
use crate::capture::{self, Source, privs};
use crate::error::Kind;
use crate::{Error, Result};
use std::io::Write;

/// `name` is the program name tcpdump's messages start with.
pub fn run(name: &str, o: &Settings) -> Result<i32> {
    let mut err = std::io::stderr();
    // From here on, SIGINT/SIGTERM stop the capture cleanly.
    capture::signals::install().map_err(|e| Error::os("install signal handlers", e, None))?;
    let mut sources = Vec::new();
    for i in &o.interfaces {
        let src = Source::open_tuned(&o.source_config(i), &o.tuning()).map_err(|mut e| {
            if e.kind == Kind::Permission {
                e.what = format!("{} (capture on {i})", e.what);
            }
            e
        })?;
        sources.push(src);
    }
    let mut ns_desc = output::netns_description(o.netns.as_deref());
    if let Some(d) = &o.describe {
        ns_desc = format!("{ns_desc} {d}");
    }
    let ifaces: Vec<OutIface> = sources
        .iter()
        .map(|s| OutIface {
            name: s.name().to_string(),
            linktype: s.linktype(),
            snaplen: s.snaplen(),
            netns: Some(ns_desc.clone()),
        })
        .collect();
    let cfg = o.output_config();
    if cfg.print.is_some() && o.print.verbose == 0 {
        let _ = writeln!(
            err,
            "{name}: verbose output suppressed, use -v[v]... for full protocol decode"
        );
    }
    let file = match &cfg.write {
        Some((w, _)) => Some(output::open_dest(w)?),
        None => None,
    };
    let out = Output::new(&cfg, file, &ifaces)?;
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
