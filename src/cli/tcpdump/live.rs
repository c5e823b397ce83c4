//! Capturing: one ring per `-i`, then the capture loop prints or writes
//! what they deliver (rotating files with `-C`/`-G`) until `-c`, a
//! signal, the reader going away, the output failing or every interface
//! disappearing; every end prints tcpdump's statistics, and the exit
//! status says how it ended.

use super::settings::Settings;
use crate::capture::output::{self, OutIface, Output};
use crate::capture::plain::{Label, PlainSink, SourceName};
use crate::capture::session::{self, End};
use crate::capture::{self, Source, privs};
use crate::error::{Kind, TCPDUMP_FAILURE};
use crate::{Error, Result};
use std::io::Write;

/// `name` is the program name tcpdump's messages start with.
pub fn run(name: &str, o: &Settings) -> Result<i32> {
    let mut err = std::io::stderr();
    // From here on, SIGINT/SIGTERM/SIGHUP stop the capture cleanly.
    capture::signals::install().map_err(|e| Error::os("install signal handlers", e, None))?;
    let rotating = o.rotation.active();
    if rotating && o.write.as_deref().is_none_or(|w| w == "-") {
        return Err(Error::usage("-C and -G rotate files: they need -w FILE")
            .hint("name the file with -w, e.g. -C 100 -W 10 -w /var/tmp/capture.pcap"));
    }
    let mut sources = Vec::new();
    for i in &o.interfaces {
        let src = Source::open_tuned(&o.source_config(i), &o.tuning()).map_err(|mut e| {
            if e.kind == Kind::Permission {
                e.what = format!("{} (capture on {i})", e.what);
            }
            e
        })?;
        if let Some(why) = src.without_ring() {
            let _ = writeln!(
                err,
                "{name}: note: capturing on {i} without a packet ring (recvmmsg), as {why}"
            );
        }
        if let (Some(r), Some(k)) = (src.raised(), o.buffer_kib) {
            let _ = writeln!(
                err,
                "{name}: note: -B {k} raised to {} KiB: each ring block ({} KiB) must hold the \
                 largest frame {i} can hand over ({} bytes, MTU or a 64 KiB GRO/GSO packet), \
                 so that no packet is cut below the snap length",
                r.got >> 10,
                r.block >> 10,
                r.frame
            );
        }
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
    // Rotated files are all created after privileges are dropped (as
    // tcpdump does), the first one too, so that a directory the user
    // cannot write to shows at once rather than at the first rotation.
    let out = if rotating {
        None
    } else {
        let file = match &cfg.write {
            Some((w, _)) => Some(output::open_dest(w)?),
            None => None,
        };
        Some(Output::new(&cfg, file, &ifaces)?)
    };
    // Everything privileged is done: the ring is mapped, files are open.
    match &o.user {
        Some(u) => privs::become_user(u)?,
        None => privs::drop_all_capabilities()?,
    }
    let out = match out {
        Some(out) => out,
        None => Output::rotating(&cfg, &o.rotation, &ifaces)?,
    };
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
    let names = sources
        .iter()
        .map(|s| SourceName {
            name: s.name().into(),
            per_packet: s.ifindex() == 0,
        })
        .collect();
    let mut sink = PlainSink::new(out, o.count, label, names, name);
    let report = session::run(&mut sources, &mut sink)?;
    let end = match (&report.end, sink.late_end()) {
        (End::Failed(_) | End::SourcesGone, _) | (_, None) => report.end.clone(),
        (_, Some(late)) => late.clone(),
    };
    let status = match &end {
        End::Failed(e) => {
            let _ = writeln!(err, "{name}: {e}");
            TCPDUMP_FAILURE
        }
        End::SourcesGone => {
            let _ = writeln!(err, "{name}: pcap_loop: The interface disappeared");
            TCPDUMP_FAILURE
        }
        End::Done(msg) => {
            let _ = writeln!(err, "{msg}");
            0
        }
        End::Count | End::Signal(_) | End::ReaderGone => 0,
    };
    let oc = sink.outcome().cloned().unwrap_or(capture::plain::Outcome {
        captured: 0,
        not_delivered: 0,
        stats: report.total(),
        cut: report.cut,
    });
    let mut text = session::format_stats(oc.captured, &oc.stats);
    if oc.not_delivered > 0 {
        let why = match &end {
            End::ReaderGone => "the reader of the output went away",
            End::Failed(_) => "writing the output failed",
            _ => "the reader of the output stopped reading",
        };
        text.push_str(&format!(
            "{} packet{} not delivered ({why})\n",
            oc.not_delivered,
            if oc.not_delivered == 1 { "" } else { "s" }
        ));
    }
    if oc.cut > 0 {
        text.push_str(&format!(
            "{name}: warning: {} packet{} cut below the snap length by the capture ring; \
             give it larger blocks with -B\n",
            oc.cut,
            if oc.cut == 1 { " was" } else { "s were" }
        ));
    }
    let _ = err.write_all(text.as_bytes());
    Ok(status)
}
