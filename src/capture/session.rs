//! The capture loop: every [`Source`] read concurrently (one smol task
//! each), packets to one [`Output`], until `-c` is reached, a signal
//! arrives, or the reader of the output goes away.

use super::output::{OutPacket, Output};
use super::{Readiness, Source, Stats, signals};
use crate::{Error, Result};
use smol::Async;
use smol::future;
use std::cell::{Cell, RefCell};
use std::io;
use std::rc::Rc;

/// Why the capture ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// `-c N` packets were captured.
    Count,
    /// SIGINT or SIGTERM.
    Signal,
    /// The output's reader closed the pipe (EPIPE): end quietly.
    ReaderGone,
}

/// What the capture did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Packets written or printed ("packets captured").
    pub captured: u64,
    /// Kernel counters summed over every source.
    pub stats: Stats,
    pub reason: StopReason,
}

/// How packets are labelled with their interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    /// Single named interface: no name on the line.
    None,
    /// `-i any` or several `-i`: the interface name (and direction).
    Name,
}

enum Event {
    Count,
    ReaderGone,
    Failed(Error),
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

fn pump(
    idx: u32,
    src: &mut Source,
    out: &mut Output,
    label: Label,
    captured: &Cell<u64>,
    limit: Option<u64>,
) -> std::result::Result<bool, Event> {
    let name: Rc<str> = src.name().into();
    let per_packet_names = src.ifindex() == 0;
    while let Some(mut batch) = src.next_batch() {
        let namer = batch.namer();
        while let Some(p) = batch.next() {
            let looked_up;
            let ifname: Option<&str> = match label {
                Label::None => None,
                Label::Name if per_packet_names => {
                    looked_up = namer.ifname(p.ifindex);
                    looked_up.as_deref().or(Some("?"))
                }
                Label::Name => Some(&name),
            };
            let r = out.packet(&OutPacket {
                ts_sec: p.ts_sec,
                ts_nsec: p.ts_nsec,
                wirelen: p.wirelen,
                parts: p.parts(),
                linktype: p.linktype,
                iface: idx,
                ifname,
                pkttype: Some(p.pkttype),
            });
            write_result(r, out)?;
            captured.set(captured.get() + 1);
            if limit.is_some_and(|l| captured.get() >= l) {
                return Err(Event::Count);
            }
        }
    }
    write_result(out.batch_done(), out)?;
    Ok(true)
}

fn write_result(r: io::Result<()>, out: &Output) -> std::result::Result<(), Event> {
    match r {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(Event::ReaderGone),
        Err(e) => Err(Event::Failed(Error::os(
            format!("write {}", out.file_name()),
            e,
            None,
        ))),
    }
}

/// Captures from every source into `output` until `limit` packets, a
/// signal, or EPIPE. Flushes the output before returning. Install no
/// other SIGINT/SIGTERM handler meanwhile.
pub fn run(
    sources: Vec<Source>,
    output: Output,
    limit: Option<u64>,
    label: Label,
) -> Result<Outcome> {
    let wake = signals::install().map_err(|e| Error::os("install signal handlers", e, None))?;
    let output = Rc::new(RefCell::new(output));
    let captured = Rc::new(Cell::new(0u64));
    let sources: Vec<Rc<RefCell<Source>>> = sources
        .into_iter()
        .map(|s| Rc::new(RefCell::new(s)))
        .collect();
    let (tx, rx) = smol::channel::unbounded::<Event>();
    let ex = smol::LocalExecutor::new();

    let mut stop = None;
    if limit == Some(0) {
        stop = Some(StopReason::Count);
    }
    for (i, src) in sources.iter().enumerate() {
        if stop.is_some() {
            break;
        }
        let readable = Readiness::new(&src.borrow())?;
        let src = src.clone();
        let out = output.clone();
        let captured = captured.clone();
        let tx = tx.clone();
        ex.spawn(async move {
            loop {
                let step = {
                    let mut s = src.borrow_mut();
                    let mut o = out.borrow_mut();
                    pump(i as u32, &mut s, &mut o, label, &captured, limit)
                };
                if let Err(ev) = step {
                    let _ = tx.send(ev).await;
                    return;
                }
                if signals::stop_requested() {
                    return;
                }
                if let Err(e) = readable.wait(&src).await {
                    let _ = tx.send(Event::Failed(e)).await;
                    return;
                }
            }
        })
        .detach();
    }
    drop(tx);

    let wake = Async::new(wake).map_err(|e| Error::os("register the signal pipe", e, None))?;
    let reason = match stop {
        Some(r) => Ok(r),
        None => smol::block_on(ex.run(future::or(
            async {
                match rx.recv().await {
                    Ok(Event::Count) => Ok(StopReason::Count),
                    Ok(Event::ReaderGone) => Ok(StopReason::ReaderGone),
                    Ok(Event::Failed(e)) => Err(e),
                    // Every task ended on its own: only a signal does that.
                    Err(_) => Ok(StopReason::Signal),
                }
            },
            async {
                loop {
                    if signals::stop_requested() {
                        return Ok(StopReason::Signal);
                    }
                    let _ = wake.readable().await;
                    // Drain the pipe so the next wait blocks.
                    signals::drain(wake.get_ref());
                }
            },
        ))),
    };
    drop(ex);

    let mut out = output.borrow_mut();
    // On a signal, what the kernel already handed over is still written:
    // the ring's ready blocks are drained (the block being filled is not
    // ours until it times out).
    let mut reason = reason;
    if matches!(reason, Ok(StopReason::Signal)) {
        for (i, s) in sources.iter().enumerate() {
            // The ring retires a partly filled block within its timeout.
            s.borrow().settle(1000);
            match pump(
                i as u32,
                &mut s.borrow_mut(),
                &mut out,
                label,
                &captured,
                limit,
            ) {
                Ok(_) | Err(Event::Count) => {}
                Err(Event::ReaderGone) => {
                    reason = Ok(StopReason::ReaderGone);
                    break;
                }
                Err(Event::Failed(e)) => {
                    reason = Err(e);
                    break;
                }
            }
        }
    }
    let finish = out.finish();
    let mut stats = Stats::default();
    for s in &sources {
        let st = s.borrow_mut().stats()?;
        stats.received += st.received;
        stats.dropped += st.dropped;
        stats.freezes += st.freezes;
    }
    let reason = reason?;
    if reason != StopReason::ReaderGone {
        match finish {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                return Ok(Outcome {
                    captured: captured.get(),
                    stats,
                    reason: StopReason::ReaderGone,
                });
            }
            Err(e) => return Err(Error::os(format!("write {}", out.file_name()), e, None)),
            Ok(()) => {}
        }
    }
    Ok(Outcome {
        captured: captured.get(),
        stats,
        reason,
    })
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
    }
}
