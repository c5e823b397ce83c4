//! Running `podcap capture` as a user would: spawned with its output
//! followed line by line, traffic started once it listens, stopped by
//! `-c`, SIGINT or SIGTERM, with a hang guard (never a timed assertion);
//! and reading its `--path` lines.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A capture that never ends within this is killed (a hang guard, not an
/// assertion on speed).
pub const HANG_GUARD: Duration = Duration::from_secs(90);

/// Reads `r` to its end on a thread (the bytes as they came: stdout may be
/// a pcap), handing over each line as it arrives.
pub fn follow(
    r: impl Read + Send + 'static,
) -> (std::thread::JoinHandle<Vec<u8>>, mpsc::Receiver<String>) {
    let (tx, rx) = mpsc::channel::<String>();
    let h = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut r = BufReader::new(r);
        let mut line = Vec::new();
        loop {
            line.clear();
            match r.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    all.extend_from_slice(&line);
                    let l = String::from_utf8_lossy(&line);
                    let _ = tx.send(l.trim_end_matches('\n').to_string());
                }
            }
        }
        all
    });
    (h, rx)
}

/// Waits for `n` lines that `want` picks (false if the stream ended or
/// stalled for HANG_GUARD first).
pub fn wait_lines(rx: &mpsc::Receiver<String>, n: usize, want: impl Fn(&str) -> bool) -> bool {
    let mut seen = 0;
    while seen < n {
        match rx.recv_timeout(HANG_GUARD) {
            Ok(l) if want(&l) => seen += 1,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    true
}

/// Runs `cmd`; once it has said `listening on` `ready` times (every
/// capture open, filter attached), runs `traffic`. Then either waits for
/// it to end by itself (`-c`), or, with `sigint_after` path lines printed,
/// interrupts it as a user's Ctrl-C would and waits.
pub fn run_capture(
    cmd: Command,
    ready: usize,
    sigint_after: Option<usize>,
    traffic: impl FnOnce(),
) -> Output {
    run_capture_until(cmd, ready, sigint_after.map(|n| (n, libc::SIGINT)), traffic)
}

/// [`run_capture`], ended (once that many path lines are printed) by the
/// signal given: SIGINT as a user's Ctrl-C, SIGHUP as a dropped ssh or
/// `kubectl exec` session.
pub fn run_capture_until(
    mut cmd: Command,
    ready: usize,
    signal_after: Option<(usize, i32)>,
    traffic: impl FnOnce(),
) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn podcap");
    let (err_reader, erx) = follow(child.stderr.take().unwrap());
    let (out_reader, orx) = follow(child.stdout.take().unwrap());
    if wait_lines(&erx, ready, |l| l.contains("listening on")) {
        traffic();
        if let Some((lines, _)) = signal_after {
            wait_lines(&orx, lines, |l| {
                l.starts_with("  out ") || l.starts_with("  in  ")
            });
        }
    }
    if let Some((_, signal)) = signal_after {
        // SAFETY: kill(2) on the child's pid (`ip netns exec` execs podcap).
        unsafe { libc::kill(child.id() as i32, signal) };
    }
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > HANG_GUARD {
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

/// Runs `f` on a thread inside the network namespace at `path`; sockets
/// it opens stay in that namespace.
pub fn in_netns<T: Send>(path: &Path, f: impl FnOnce() -> T + Send) -> T {
    let ns = File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    std::thread::scope(|s| {
        s.spawn(|| {
            // SAFETY: setns on a fresh thread with an open namespace fd
            // that outlives the call; only this thread moves.
            let rc = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "setns {}", path.display());
            f()
        })
        .join()
        .expect("thread in netns")
    })
}

/// The path lines of `--path` output: (direction, hops, verdict).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathLine {
    pub dir: String,
    pub hops: Vec<String>,
    pub lost: Option<(String, String)>,
    pub vxlan: bool,
}

pub fn path_lines(out: &str) -> Vec<PathLine> {
    out.lines()
        .filter(|l| l.starts_with("  out ") || l.starts_with("  in  "))
        .map(|l| {
            let dir = l[2..5].trim().to_string();
            let (body, lost) = match l.split_once("  LOST between ") {
                Some((b, rest)) => {
                    let (a, z) = rest.split_once(" and ").unwrap();
                    (b, Some((a.to_string(), z.to_string())))
                }
                None => (l, None),
            };
            // The tunnel and NAT annotations hold " > " too.
            let mut body = body.to_string();
            while let (Some(a), Some(z)) = (body.find(" ["), body.find(']')) {
                if a >= z {
                    break;
                }
                body = format!("{}{}", &body[..a], &body[z + 1..]);
            }
            let hops = body[5..]
                .split(" > ")
                .map(|h| h.split_whitespace().next().unwrap_or("").to_string())
                .collect();
            PathLine {
                dir,
                hops,
                lost,
                vxlan: l.contains("[VXLAN "),
            }
        })
        .collect()
}
