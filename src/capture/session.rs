//! The capture loop of plain capture (tcpdump mode, `podcap capture`),
//! meant for `capture --path` too: every [`Source`] polled at once on one
//! thread, each ready ring block handed to a [`Sink`] tagged with its
//! source's index, a tick about every 50 ms (or as often as the sink
//! asks) with each source's state, and one end, always reported.
//!
//! What the loop guarantees a sink:
//! - **batches**: [`Sink::batch`] gets one ring block (or one recvmmsg
//!   batch) at a time, with the index of the source it came from; the
//!   block goes back to the kernel when the call returns;
//! - **ticks**: [`Sink::tick`] about every [`Sink::tick_every`] ([`TICK`]
//!   unless the sink says otherwise), with each source's
//!   [`SourceState`]: a block waiting or idle, the kernel's counters since
//!   the previous tick, live or ended;
//! - **a source ending** (its interface deleted) ends only that source:
//!   [`Sink::source_ended`] says so and the others go on; when none is
//!   left the loop ends with [`End::SourcesGone`];
//! - **signals**: SIGINT, SIGTERM, SIGHUP and SIGQUIT end the loop within
//!   about a second even while the sink's output is blocked (its writes
//!   give up after [`signals::STOP_GRACE_MS`], see
//!   [`super::output::StopAware`]); what the rings already hold is handed
//!   over first. SIGUSR1 calls [`Sink::stats_requested`];
//! - **the end**: [`Sink::finish`] is called exactly once, whatever ended
//!   the loop, with the [`Report`] (the [`End`] and the kernel's counters
//!   per source), so the sink can always print its summary.
//!
//! ```no_run
//! use podcap::capture::session::{self, End, Flow, Report, Sink};
//! use podcap::capture::{Batch, Source, SourceConfig, Stats};
//!
//! /// Counts packets per source until 100 have arrived.
//! struct Count(Vec<u64>);
//!
//! impl Sink for Count {
//!     fn batch(&mut self, src: usize, batch: &mut Batch<'_>) -> Flow {
//!         while batch.next().is_some() {
//!             self.0[src] += 1;
//!         }
//!         if self.0.iter().sum::<u64>() >= 100 { Flow::Stop(End::Count) } else { Flow::Go }
//!     }
//!     fn finish(&mut self, report: &Report) {
//!         eprintln!("{:?}: {:?}, kernel {:?}", report.end, self.0, report.stats);
//!     }
//! }
//!
//! # fn main() -> podcap::Result<()> {
//! let cfg = |i: &str| SourceConfig { iface: i.into(), ..SourceConfig::default() };
//! let mut sources = vec![Source::open(&cfg("eth0"))?, Source::open(&cfg("eth1"))?];
//! let mut sink = Count(vec![0; sources.len()]);
//! let report = session::run(&mut sources, &mut sink)?;
//! # let _ = report;
//! # Ok(()) }
//! ```

use super::{Batch, Health, Source, Stats, signals};
use crate::sys::poll::{Revents, poll_many};
use crate::{Error, Result};
use std::os::fd::AsFd;
use std::time::{Duration, Instant, SystemTime};

/// How often [`Sink::tick`] is called.
pub const TICK: Duration = Duration::from_millis(50);

/// Why the capture ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// The sink has what it asked for (`-c N`).
    Count,
    /// A stop signal (its number).
    Signal(i32),
    /// The output's reader went away (EPIPE).
    ReaderGone,
    /// Every source ended (their interfaces were deleted).
    SourcesGone,
    /// The sink finished by itself (`-G` with `-W`: the last file done).
    Done(String),
    /// Writing the output, or reading a source, failed.
    Failed(Error),
}

/// What a sink wants after a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flow {
    Go,
    Stop(End),
}

/// One source at a tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SourceState {
    /// A ring block is waiting to be read.
    pub ready: bool,
    /// The kernel's counters since the previous tick.
    pub stats: Stats,
    /// The kernel's counters since the source was opened.
    pub total: Stats,
    /// Still capturing (false once its interface was deleted).
    pub live: bool,
}

/// How the capture ended and what the kernel counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub end: End,
    /// The kernel's counters per source, since it was opened.
    pub stats: Vec<Stats>,
    /// Packets still in the rings when the loop gave up on its output.
    pub left_in_rings: u64,
    /// Frames the rings held fewer bytes of than the snap length asked for.
    pub cut: u64,
}

impl Report {
    /// The counters summed over every source.
    pub fn total(&self) -> Stats {
        sum(&self.stats)
    }
}

fn sum(s: &[Stats]) -> Stats {
    s.iter().fold(Stats::default(), |a, b| Stats {
        received: a.received + b.received,
        dropped: a.dropped + b.dropped,
        freezes: a.freezes + b.freezes,
    })
}

/// What consumes a capture: plain output ([`PlainSink`]), the path
/// correlator of `--path` (`trace::live`), a library caller.
pub trait Sink {
    /// The packets of one ring block of source `src` (an index into the
    /// sources given to [`run`]).
    fn batch(&mut self, src: usize, batch: &mut Batch<'_>) -> Flow;

    /// After each read of source `src` (every ready block handed over, or
    /// none was ready): the sink may look at the source itself, e.g. its
    /// counters right after the read (`--path` judges a ring blind for the
    /// interval in which it dropped).
    fn read_done(&mut self, _src: usize, _source: &mut Source) -> Flow {
        Flow::Go
    }

    /// Whether what the rings still hold is handed over after `end`
    /// (always after a stop signal; a sink may want it after other ends
    /// too, e.g. `--path` after one of its hops failed).
    fn drain_after(&self, end: &End) -> bool {
        matches!(end, End::Signal(_))
    }

    /// How often [`Sink::tick`] is wanted: [`TICK`] unless the sink needs
    /// it less often (every wake-up of an idle capture costs CPU).
    fn tick_every(&self) -> Duration {
        TICK
    }

    /// About every [`Sink::tick_every`], with every source's state, by
    /// index.
    fn tick(&mut self, _now: SystemTime, _sources: &[SourceState]) -> Flow {
        Flow::Go
    }

    /// Source `src` ended (`why`: its interface was deleted); the others
    /// go on.
    fn source_ended(&mut self, _src: usize, _why: &str) -> Flow {
        Flow::Go
    }

    /// SIGUSR1: the kernel's counters so far, per source.
    fn stats_requested(&mut self, _stats: &[Stats]) {}

    /// The end, always called once.
    fn finish(&mut self, report: &Report);
}

/// tcpdump's exit report, exactly as tcpdump prints it on stderr.
pub fn format_stats(captured: u64, st: &Stats) -> String {
    let s = |n: u64| if n == 1 { "" } else { "s" };
    format!(
        "{captured} packet{} captured\n{} packet{} received by filter\n{} packet{} dropped by kernel\n",
        s(captured),
        st.received,
        s(st.received),
        st.dropped,
        s(st.dropped)
    )
}

/// tcpdump's one-line report on SIGUSR1 (`tcpdump: 5 packets captured,
/// ...`), `prog` being the program name.
pub fn format_stats_line(prog: &str, captured: u64, st: &Stats) -> String {
    let s = |n: u64| if n == 1 { "" } else { "s" };
    format!(
        "{prog}: {captured} packet{} captured, {} packet{} received by filter, {} packet{} dropped by kernel\n",
        s(captured),
        st.received,
        s(st.received),
        st.dropped,
        s(st.dropped)
    )
}

/// Captures from `sources` into `sink` until the sink stops, a signal,
/// or no source is left; then calls [`Sink::finish`] and returns the same
/// report. Installs the signal handlers of [`signals`] and takes their
/// delivery to the calling thread.
pub fn run(sources: &mut [Source], sink: &mut dyn Sink) -> Result<Report> {
    let wake = signals::install().map_err(|e| Error::os("install signal handlers", e, None))?;
    let mut live = vec![true; sources.len()];
    // Sources whose socket reported an error while their interface was
    // still listed: deleting an interface takes it down first (the error)
    // and unlists it after, so a check that ran in between is repeated on
    // every tick.
    let mut suspect = vec![false; sources.len()];
    let mut revents: Vec<Revents> = Vec::new();
    let mut states = vec![SourceState::default(); sources.len()];
    let mut totals = vec![Stats::default(); sources.len()];
    let every = sink.tick_every();
    let mut next_tick = Instant::now() + every;
    let end = 'outer: loop {
        if signals::stop_requested() {
            break End::Signal(signals::stop_signal().unwrap_or(libc::SIGTERM));
        }
        if signals::take_stats_request() {
            signals::drain(&wake);
            let st: Vec<Stats> = sources
                .iter_mut()
                .map(|s| s.stats().unwrap_or_default())
                .collect();
            sink.stats_requested(&st);
        }
        if !live.iter().any(|&l| l) {
            break End::SourcesGone;
        }
        let now = Instant::now();
        if now >= next_tick {
            next_tick = now + every;
            for i in 0..sources.len() {
                if !(live[i] && suspect[i]) {
                    continue;
                }
                if let Health::Gone(why) = sources[i].health() {
                    live[i] = false;
                    if let Flow::Stop(e) = sink.source_ended(i, &why) {
                        break 'outer e;
                    }
                }
            }
            for (i, s) in sources.iter_mut().enumerate() {
                let since = s.stats_since().unwrap_or_default();
                totals[i] = sum(&[totals[i], since]);
                states[i] = SourceState {
                    ready: live[i] && s.ready(),
                    stats: since,
                    total: totals[i],
                    live: live[i],
                };
            }
            if let Flow::Stop(e) = sink.tick(SystemTime::now(), &states) {
                break e;
            }
        }
        let timeout = next_tick.saturating_duration_since(Instant::now());
        let mut fds = vec![wake.as_fd()];
        fds.extend(sources.iter().map(|s| s.as_fd()));
        let n = match poll_many(&fds, timeout.as_millis() as i32 + 1, &mut revents) {
            Ok(n) => n,
            Err(e) => break End::Failed(Error::os("wait for packets", e, None)),
        };
        drop(fds);
        if n == 0 {
            continue;
        }
        if revents[0].readable() {
            signals::drain(&wake);
        }
        for i in 0..sources.len() {
            if !live[i] {
                continue;
            }
            let r = revents[i + 1];
            if r.is_empty() {
                continue;
            }
            if let Flow::Stop(e) = pump(sink, i, &mut sources[i], usize::MAX) {
                break 'outer e;
            }
            if r.failed() {
                match sources[i].health() {
                    Health::Gone(why) => {
                        live[i] = false;
                        if let Flow::Stop(e) = sink.source_ended(i, &why) {
                            break 'outer e;
                        }
                    }
                    Health::Live => suspect[i] = true,
                }
            }
        }
    };
    let mut end = end;
    if sink.drain_after(&end) {
        // What the kernel handed over before the stop is still the
        // capture's: the ready blocks, and the block being filled once it
        // times out. After a stop signal, writes give up after the grace
        // period.
        if let End::Signal(_) = end {
            signals::arm_stop_alarm();
        }
        for (i, s) in sources.iter_mut().enumerate() {
            if !live[i] {
                continue;
            }
            s.settle(200);
            if let Flow::Stop(e) = pump(sink, i, s, usize::MAX) {
                if !matches!(e, End::Count) {
                    end = e;
                }
                break;
            }
        }
    }
    let report = Report {
        end,
        stats: sources
            .iter_mut()
            .map(|s| s.stats().unwrap_or_default())
            .collect(),
        left_in_rings: sources.iter().map(|s| s.pending()).sum(),
        cut: sources.iter().map(|s| s.cut()).sum(),
    };
    sink.finish(&report);
    signals::disarm();
    Ok(report)
}

/// Hands up to `max` ready blocks of `src` to the sink.
fn pump(sink: &mut dyn Sink, i: usize, src: &mut Source, max: usize) -> Flow {
    let mut n = 0;
    while n < max {
        let Some(mut b) = src.next_batch() else {
            break;
        };
        n += 1;
        if let Flow::Stop(e) = sink.batch(i, &mut b) {
            return Flow::Stop(e);
        }
    }
    sink.read_done(i, src)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_like_tcpdump() {
        let st = Stats {
            received: 1,
            dropped: 0,
            freezes: 0,
        };
        assert_eq!(
            format_stats(3, &st),
            "3 packets captured\n1 packet received by filter\n0 packets dropped by kernel\n"
        );
        assert_eq!(
            format_stats_line("tcpdump", 1, &st),
            "tcpdump: 1 packet captured, 1 packet received by filter, 0 packets dropped by kernel\n"
        );
    }
}
