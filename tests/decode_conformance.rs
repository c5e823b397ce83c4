//! podcap's `tcpdump -r` against Debian's tcpdump 4.99 on tcpdump's own
//! test captures (`../shared/conformance/tcpdump-tests`, README there):
//! every row of `runs.tsv` run as tcpdump's suite runs it,
//!
//! ```text
//! TZ=UTC tcpdump -# -n -r captures/CAPTURE -tttt ARGS
//! ```
//!
//! (`SPECIAL_t` in ARGS: no `-tttt`, the row picks its own time format),
//! by both programs, compared line by line: the identical lines are the
//! longest common subsequence of the two outputs, so one missing line
//! costs one line, not the rest of the file. Rows whose options tcpdump
//! 4.99 does not have (it exits with "unrecognized option" or "invalid
//! option") are skipped and counted.
//!
//! The figure per protocol group (runs.tsv's fourth column) must not fall
//! below its floor in `tests/decode/conformance_floors.tsv`; raise the
//! floor there when a decoder lands. `cargo test --profile ci --test
//! decode_conformance -- --nocapture` prints the table BENCHMARKS.md
//! shows ("Decode conformance"); `DECODE_CONFORMANCE_SHOW=ROW[,ROW]` adds
//! the differing lines of those rows (or `all`, or `GROUP:` for every row
//! of a group).

mod kit;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One row of runs.tsv.
#[derive(Debug, Clone)]
struct Row {
    name: String,
    capture: String,
    args: Vec<String>,
    group: String,
}

fn split_args(s: &str) -> Vec<String> {
    let words: Vec<&str> = s.split_whitespace().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        // tcpdump's TESTLIST quotes an inline `-E` secret, which holds
        // spaces (`spi@addr algo:secret,spi@addr algo:secret`); runs.tsv
        // keeps the words: they run to the next option.
        if words[i] == "-E" && words.get(i + 1).is_some_and(|w| *w != "file") {
            let end = (i + 1..words.len())
                .find(|&j| words[j].starts_with('-'))
                .unwrap_or(words.len());
            out.push("-E".to_string());
            out.push(words[i + 1..end].join(" "));
            i = end;
            continue;
        }
        out.push(words[i].to_string());
        i += 1;
    }
    out
}

fn rows(dir: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(dir.join("runs.tsv"))
        .unwrap_or_else(|e| panic!("read {}/runs.tsv: {e}", dir.display()));
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert!(f.len() >= 4, "runs.tsv: short row {l:?}");
            Row {
                name: f[0].to_string(),
                capture: f[1].to_string(),
                args: split_args(f[2]),
                group: f[3].to_string(),
            }
        })
        .collect()
}

/// What one program printed for a row.
struct Run {
    status: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `cmd` in `dir`; a run that hangs is killed after two minutes
/// (a hang is a failure to report, not a reason to block the suite).
fn run(mut cmd: Command, dir: &Path) -> Run {
    cmd.current_dir(dir)
        .env("TZ", "UTC")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => panic!("cannot run {cmd:?}: {e}"),
    };
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let start = Instant::now();
    let mut killed = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s.code(),
            Ok(None) if start.elapsed() > Duration::from_secs(120) => {
                let _ = child.kill();
                let _ = child.wait();
                killed = true;
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => panic!("wait for {cmd:?}: {e}"),
        }
    };
    let stdout = String::from_utf8_lossy(&t_out.join().unwrap_or_default()).into_owned();
    let mut stderr = String::from_utf8_lossy(&t_err.join().unwrap_or_default()).into_owned();
    if killed {
        stderr.push_str("\n(killed after 120 s)");
    }
    Run {
        status,
        stdout,
        stderr,
    }
}

/// The suite's command line after the program name.
fn suite_args(row: &Row) -> Vec<String> {
    let mut v: Vec<String> = ["-#", "-n", "-r"].map(String::from).to_vec();
    v.push(format!("captures/{}", row.capture));
    let special_t = row.args.iter().any(|a| a == "SPECIAL_t");
    if !special_t {
        v.push("-tttt".into());
    }
    v.extend(row.args.iter().filter(|a| *a != "SPECIAL_t").cloned());
    v
}

/// Lines of `a` that appear, in order, in `b`: the longest common
/// subsequence, after the common head and tail are set aside.
fn identical(a: &[&str], b: &[&str]) -> usize {
    let head = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[head..], &b[head..]);
    let tail = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a, b) = (&a[..a.len() - tail], &b[..b.len() - tail]);
    if a.is_empty() || b.is_empty() {
        return head + tail;
    }
    if a.len().saturating_mul(b.len()) > 64_000_000 {
        // Too big to align: position by position.
        return head + tail + a.iter().zip(b).filter(|(x, y)| x == y).count();
    }
    let mut prev = vec![0u32; b.len() + 1];
    let mut cur = vec![0u32; b.len() + 1];
    for x in a {
        for (j, y) in b.iter().enumerate() {
            cur[j + 1] = if x == y {
                prev[j] + 1
            } else {
                cur[j].max(prev[j + 1])
            };
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    head + tail + prev[b.len()] as usize
}

/// One row's result.
struct Outcome {
    row: Row,
    /// tcpdump 4.99 does not have one of the row's options.
    skipped: bool,
    want: Run,
    got: Run,
    identical: usize,
    want_lines: usize,
    got_lines: usize,
}

fn lacks_option(r: &Run) -> bool {
    r.status != Some(0)
        && r.stdout.is_empty()
        && (r.stderr.contains("unrecognized option") || r.stderr.contains("invalid option"))
}

fn compare(dir: &Path, row: Row) -> Outcome {
    let args = suite_args(&row);
    let mut t = Command::new("tcpdump");
    t.args(&args);
    let want = run(t, dir);
    let mut p = Command::new(env!("CARGO_BIN_EXE_podcap"));
    p.arg("tcpdump").args(&args);
    let got = run(p, dir);
    let skipped = lacks_option(&want);
    let (w, g): (Vec<&str>, Vec<&str>) =
        (want.stdout.lines().collect(), got.stdout.lines().collect());
    let n = if skipped { 0 } else { identical(&w, &g) };
    let (want_lines, got_lines) = (w.len(), g.len());
    Outcome {
        row,
        skipped,
        identical: n,
        want_lines,
        got_lines,
        want,
        got,
    }
}

/// Per group: rows, skipped rows, identical lines, tcpdump's lines,
/// podcap's lines.
#[derive(Default, Clone, Copy)]
struct Tally {
    rows: usize,
    skipped: usize,
    exact_rows: usize,
    identical: usize,
    want: usize,
    got: usize,
}

impl Tally {
    fn add(&mut self, o: &Outcome) {
        self.rows += 1;
        if o.skipped {
            self.skipped += 1;
            return;
        }
        if o.identical == o.want_lines && o.got_lines == o.want_lines {
            self.exact_rows += 1;
        }
        self.identical += o.identical;
        self.want += o.want_lines;
        self.got += o.got_lines;
    }

    fn percent(&self) -> f64 {
        if self.want == 0 {
            100.0
        } else {
            100.0 * self.identical as f64 / self.want as f64
        }
    }
}

fn floors_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/decode/conformance_floors.tsv")
}

/// `GROUP<TAB>identical lines`, `#` comments and blank lines ignored.
fn floors() -> BTreeMap<String, usize> {
    let path = floors_path();
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let mut m = BTreeMap::new();
    for l in text.lines() {
        if l.trim().is_empty() || l.starts_with('#') {
            continue;
        }
        let (g, n) = l
            .rsplit_once('\t')
            .unwrap_or_else(|| panic!("{}: {l:?} is not GROUP<TAB>N", path.display()));
        let n: usize = n
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{}: {l:?}: not a number", path.display()));
        assert!(
            m.insert(g.to_string(), n).is_none(),
            "{}: {g} twice",
            path.display()
        );
    }
    m
}

fn show_wanted(o: &Outcome, show: &[String]) -> bool {
    show.iter().any(|s| {
        s == "all" || *s == o.row.name || s.strip_suffix(':').is_some_and(|g| g == o.row.group)
    })
}

fn show_diff(o: &Outcome) -> String {
    let mut s = format!(
        "--- {} ({}): tcpdump {} {:?}\n",
        o.row.name,
        o.row.group,
        suite_args(&o.row).join(" "),
        o.want.status
    );
    let (w, g): (Vec<&str>, Vec<&str>) = (
        o.want.stdout.lines().collect(),
        o.got.stdout.lines().collect(),
    );
    let mut n = 0;
    for i in 0..w.len().max(g.len()) {
        let (a, b) = (w.get(i), g.get(i));
        if a != b {
            s += &format!(
                "  line {}\n    tcpdump: {:?}\n    podcap:  {:?}\n",
                i + 1,
                a.unwrap_or(&"<none>"),
                b.unwrap_or(&"<none>")
            );
            n += 1;
            if n == 12 {
                s += "  ...\n";
                break;
            }
        }
    }
    let err = |r: &Run| {
        r.stderr
            .lines()
            .filter(|l| !l.starts_with("reading from file"))
            .collect::<Vec<_>>()
            .join(" | ")
    };
    s += &format!(
        "  exit: tcpdump {:?} {:?}, podcap {:?} {:?}\n",
        o.want.status,
        err(&o.want),
        o.got.status,
        err(&o.got)
    );
    s
}

#[test]
fn tcpdump_suite_lines_match_tcpdump() {
    let Some(dir) = kit::conformance::path("tcpdump-tests") else {
        return;
    };
    if Command::new("tcpdump").arg("--version").output().is_err() {
        kit::skip("tcpdump (the oracle; scripts/setup installs it) is not installed");
        return;
    }
    let all = rows(&dir);
    assert!(all.len() > 200, "runs.tsv has only {} rows", all.len());
    // Two workers: the machine has two cores and each row runs two
    // programs one after the other.
    let queue = std::sync::Mutex::new(all.into_iter().enumerate().collect::<Vec<_>>());
    let mut results: Vec<(usize, Outcome)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let next = queue.lock().expect("queue").pop();
                        let Some((i, row)) = next else { break };
                        done.push((i, compare(&dir, row)));
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker"))
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    let outcomes: Vec<Outcome> = results.into_iter().map(|(_, o)| o).collect();

    let mut groups: BTreeMap<String, Tally> = BTreeMap::new();
    let mut total = Tally::default();
    for o in &outcomes {
        groups.entry(o.row.group.clone()).or_default().add(o);
        total.add(o);
    }
    let show: Vec<String> = std::env::var("DECODE_CONFORMANCE_SHOW")
        .map(|v| v.split(',').map(str::to_string).collect())
        .unwrap_or_default();

    let mut report = String::new();
    report +=
        "| protocol group | rows | skipped | rows identical | identical lines / tcpdump's | % |\n";
    report += "|---|---:|---:|---:|---:|---:|\n";
    for (g, t) in &groups {
        report += &format!(
            "| {g} | {} | {} | {} | {} / {} | {:.1} |\n",
            t.rows,
            t.skipped,
            t.exact_rows,
            t.identical,
            t.want,
            t.percent()
        );
    }
    report += &format!(
        "| **all** | {} | {} | {} | {} / {} | **{:.1}** |\n",
        total.rows,
        total.skipped,
        total.exact_rows,
        total.identical,
        total.want,
        total.percent()
    );
    report += "\nRows not identical (identical lines / tcpdump's lines, podcap's lines):\n";
    for o in outcomes.iter().filter(|o| !o.skipped) {
        if o.identical != o.want_lines || o.got_lines != o.want_lines {
            report += &format!(
                "  {:<40} {:>5} / {:<5} podcap {:<5} {}\n",
                o.row.name, o.identical, o.want_lines, o.got_lines, o.row.group
            );
        }
    }
    report += "Skipped (an option tcpdump 4.99 lacks): ";
    report += &outcomes
        .iter()
        .filter(|o| o.skipped)
        .map(|o| o.row.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    report += "\n";
    for o in outcomes.iter().filter(|o| show_wanted(o, &show)) {
        report += &show_diff(o);
    }
    // On the real stdout: this is the report BENCHMARKS.md quotes.
    println!("\ntcpdump-suite conformance (Debian tcpdump 4.99 as the reference)\n{report}");

    // Floors only go up.
    let floors = floors();
    let mut problems = Vec::new();
    for (g, t) in &groups {
        match floors.get(g) {
            None => problems.push(format!(
                "group {g:?} has no floor in {}: add `{g}\t{}`",
                floors_path().display(),
                t.identical
            )),
            Some(&f) if t.identical < f => problems.push(format!(
                "{g}: {} identical lines, below the floor {f} (of {} tcpdump lines)",
                t.identical, t.want
            )),
            Some(&f) if t.identical > f => println!(
                "raise the floor: {g}\t{} (was {f}) in {}",
                t.identical,
                floors_path().display()
            ),
            Some(_) => {}
        }
    }
    for g in floors.keys() {
        if !groups.contains_key(g) {
            problems.push(format!("floor for {g:?}, which runs.tsv does not have"));
        }
    }
    // A decoder that panics is worse than one that prints less.
    for o in &outcomes {
        if o.got.stderr.contains("panicked") || o.got.status.is_none() {
            problems.push(format!(
                "{}: podcap crashed or hung: {}",
                o.row.name,
                o.got.stderr.trim()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn longest_common_subsequence_counts_lines() {
    let a = ["1", "2", "3", "4", "5"];
    assert_eq!(identical(&a, &a), 5);
    assert_eq!(identical(&a, &["1", "3", "5"]), 3);
    assert_eq!(identical(&a, &["1", "x", "2", "3", "4", "5"]), 5);
    assert_eq!(identical(&a, &[]), 0);
    assert_eq!(identical(&a, &["5", "4", "3"]), 1);
    assert_eq!(
        split_args("-E 0x1@10.0.0.1 3des-cbc-hmac96:0x43,0x2@10.0.0.2 x:0x4 -v"),
        [
            "-E",
            "0x1@10.0.0.1 3des-cbc-hmac96:0x43,0x2@10.0.0.2 x:0x4",
            "-v"
        ]
    );
    assert_eq!(
        split_args("-E file captures/s.txt -v"),
        ["-E", "file", "captures/s.txt", "-v"]
    );
}
