//! The sink of plain capture (tcpdump mode, `podcap capture`): every
//! packet to one [`Output`] (file, rotation, text), `-c`, the
//! statistics on SIGUSR1, and the counts its exit report needs.

use super::batch::Frame;
use super::output::{Halt, Output, halt};
use super::session::{End, Flow, Report, Sink, format_stats_line};
use super::{Batch, Stats, signals};
use crate::Error;
use std::io::{self, Write};
use std::sync::Arc;

/// How packets are labelled with their interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    /// Single named interface: no name on the line.
    None,
    /// `-i any` or several `-i`: the interface name (and direction).
    Name,
}

/// One source as the sink names it.
#[derive(Debug, Clone)]
pub struct SourceName {
    pub name: Arc<str>,
    /// `any`: the name comes from each packet's ifindex.
    pub per_packet: bool,
}

/// What a plain capture did, for its exit report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Packets written whole (or printed): "packets captured".
    pub captured: u64,
    /// Packets podcap had read but could not deliver (the output failed or
    /// its reader stopped reading), and those left in the rings then.
    pub not_delivered: u64,
    /// Kernel counters summed over every source.
    pub stats: Stats,
    /// Frames the ring cut below the snap length (expected 0).
    pub cut: u64,
}

/// Plain capture's [`Sink`].
pub struct PlainSink {
    out: Output,
    limit: Option<u64>,
    label: Label,
    names: Vec<SourceName>,
    prog: String,
    /// Frames handed to the output.
    offered: u64,
    frames: Vec<Frame>,
    /// The output failed: nothing more is written.
    broken: bool,
    /// The end the failure caused.
    failure: Option<End>,
    /// Sources that ended.
    ended: usize,
    /// The final flush failed.
    late: Option<End>,
    outcome: Option<Outcome>,
}

impl PlainSink {
    /// `names` by source index; `prog` starts the SIGUSR1 line.
    pub fn new(
        out: Output,
        limit: Option<u64>,
        label: Label,
        names: Vec<SourceName>,
        prog: &str,
    ) -> PlainSink {
        PlainSink {
            out,
            limit,
            label,
            names,
            prog: prog.to_string(),
            offered: 0,
            frames: Vec::new(),
            broken: false,
            failure: None,
            ended: 0,
            late: None,
            outcome: None,
        }
    }

    /// What the capture did; set by [`Sink::finish`].
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// How the final flush failed, when it did after an end that was not a
    /// failure already.
    pub fn late_end(&self) -> Option<&End> {
        self.late.as_ref()
    }

    /// The output's current file, for messages.
    pub fn file_name(&self) -> &str {
        self.out.file_name()
    }

    /// An output error as the end it causes.
    fn ended_by(&mut self, e: io::Error) -> End {
        self.broken = true;
        let end = self.end_of(e);
        self.failure = Some(end.clone());
        end
    }

    fn end_of(&self, e: io::Error) -> End {
        if e.kind() == io::ErrorKind::BrokenPipe {
            return End::ReaderGone;
        }
        match halt(&e) {
            Some(Halt::Stopped) => End::Signal(signals::stop_signal().unwrap_or(libc::SIGTERM)),
            Some(Halt::Limit(n)) => End::Done(format!("Maximum file limit reached: {n}")),
            None => End::Failed(
                Error::os(format!("write {}", self.out.file_name()), e, None).hint(
                    "the file ends with the last whole packet; free some space (or rotate \
                     with -C/-W) and capture again",
                ),
            ),
        }
    }
}

impl Sink for PlainSink {
    fn batch(&mut self, src: usize, batch: &mut Batch<'_>) -> Flow {
        if let (true, Some(end)) = (self.broken, &self.failure) {
            // Read, but there is nowhere to write it: not delivered.
            self.frames.clear();
            self.offered += batch.collect(&mut self.frames, usize::MAX) as u64;
            return Flow::Stop(end.clone());
        }
        let room = self
            .limit
            .map(|l| l.saturating_sub(self.offered) as usize)
            .unwrap_or(usize::MAX);
        self.frames.clear();
        batch.collect(&mut self.frames, room);
        let namer = batch.namer();
        let name = self.names.get(src).cloned();
        let label = self.label;
        let mut ifname = |ifindex: u32| -> Option<Arc<str>> {
            match (label, &name) {
                (Label::None, _) => None,
                (Label::Name, Some(n)) if !n.per_packet => Some(n.name.clone()),
                (Label::Name, _) => namer.ifname(ifindex).or_else(|| Some("?".into())),
            }
        };
        self.offered += self.frames.len() as u64;
        let frames = std::mem::take(&mut self.frames);
        let r = self
            .out
            .frames(
                &frames,
                batch.data(),
                src as u32,
                batch.linktype(),
                &mut ifname,
            )
            .and_then(|()| self.out.batch_done());
        self.frames = frames;
        if let Err(e) = r {
            return Flow::Stop(self.ended_by(e));
        }
        if self.limit.is_some_and(|l| self.offered >= l) {
            return Flow::Stop(End::Count);
        }
        Flow::Go
    }

    fn tick_every(&self) -> std::time::Duration {
        // The tick only collects finished -z commands; blocks, signals and
        // a deleted interface wake the loop by themselves.
        std::time::Duration::from_secs(1)
    }

    fn tick(&mut self, _now: std::time::SystemTime, _s: &[super::session::SourceState]) -> Flow {
        // -z commands finish in their own time.
        if !self.broken {
            if let Err(e) = self.out.batch_done() {
                return Flow::Stop(self.ended_by(e));
            }
        }
        Flow::Go
    }

    fn source_ended(&mut self, src: usize, why: &str) -> Flow {
        let _ = self.out.finish();
        let name = self.names.get(src).map(|n| n.name.clone());
        self.ended += 1;
        let rest = if self.ended < self.names.len() {
            "; still capturing on the others"
        } else {
            ""
        };
        let _ = writeln!(
            io::stderr(),
            "{}: {}: the interface disappeared ({why}){rest}",
            self.prog,
            name.as_deref().unwrap_or("?"),
        );
        Flow::Go
    }

    fn stats_requested(&mut self, stats: &[Stats]) {
        let total = stats.iter().fold(Stats::default(), |a, b| Stats {
            received: a.received + b.received,
            dropped: a.dropped + b.dropped,
            freezes: a.freezes + b.freezes,
        });
        // Lines printed so far are on their way before the report.
        let _ = self.out.batch_done();
        let line = format_stats_line(&self.prog, self.out.delivered(), &total);
        let _ = io::stderr().write_all(line.as_bytes());
    }

    fn finish(&mut self, report: &Report) {
        if !self.broken {
            if let Err(e) = self.out.finish() {
                self.late = Some(self.ended_by(e));
            }
        }
        let captured = self.out.delivered();
        // Past -W's last file the rest was never meant to be written.
        if matches!(self.failure, Some(End::Done(_))) {
            self.offered = captured;
        }
        let gave_up =
            self.broken || matches!(report.end, End::Signal(_) if captured < self.offered);
        self.outcome = Some(Outcome {
            captured,
            not_delivered: self.offered.saturating_sub(captured)
                + if gave_up { report.left_in_rings } else { 0 },
            stats: report.total(),
            cut: report.cut,
        });
    }
}
