//! Output file rotation as tcpdump 4.99 does it (`-C`, `-G`, `-W`, `-z`):
//! when to start a new file and what to call it.
//!
//! - `-C N`: before writing a record, if the file already holds more than
//!   N million bytes, start the next one: `name`, `name1`, `name2`...;
//!   with `-W M` a ring of M files `name0`..`name{M-1}`, zero-padded to
//!   the width of M-1, overwritten in turn.
//! - `-G S`: when a packet arrives S seconds or more after the current
//!   file was started, start a new one named by strftime(3) of `name` at
//!   that moment (UTC, as podcap prints every time); with `-C` too, the
//!   size counter restarts in each period (`name`, `name1`...); with `-W
//!   M` and no `-C`, the capture ends once M files are done ("Maximum
//!   file limit reached: M").
//! - `-z CMD`: `CMD FILE` runs on each file once it is closed, in
//!   parallel with the capture.

use crate::{Error, Result};

/// What `-C`, `-G`, `-W` and `-z` asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rotation {
    /// `-C`: bytes (tcpdump's unit is 1,000,000).
    pub size: Option<u64>,
    /// `-G`: seconds.
    pub period: Option<u64>,
    /// `-W`: number of files.
    pub files: Option<u32>,
    /// `-z`: run on each closed file.
    pub post: Option<String>,
}

impl Rotation {
    /// Whether files rotate at all (`-W` and `-z` alone do nothing, as
    /// with tcpdump).
    pub fn active(&self) -> bool {
        self.size.is_some() || self.period.is_some()
    }

    /// The digits file numbers are padded to: those of `-W` minus one
    /// (tcpdump's `WflagChars`), 0 without `-W`.
    fn width(&self) -> usize {
        match self.files {
            Some(w) if w > 1 => (w - 1).to_string().len(),
            Some(_) => 1,
            None => 0,
        }
    }
}

/// Where the rotation stands: which file is open and what comes next.
#[derive(Debug, Clone)]
pub struct Rotor {
    pub rule: Rotation,
    base: String,
    /// Files opened in the current `-G` period (`-C` counter).
    c_count: u32,
    /// `-G` rotations so far.
    g_count: u32,
    /// When the current `-G` period started (seconds since 1970).
    g_time: i64,
}

/// What to do before writing the next record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Keep writing the current file.
    Same,
    /// Close it and open this one.
    Open(String),
    /// `-G` with `-W`: that many files are done; stop.
    Limit(u32),
}

impl Rotor {
    /// The rule and `-w`'s name, starting at `now` (seconds since 1970).
    pub fn new(rule: Rotation, base: &str, now: i64) -> Rotor {
        Rotor {
            rule,
            base: base.to_string(),
            c_count: 0,
            g_count: 0,
            g_time: now,
        }
    }

    /// The first file's name.
    pub fn first(&self) -> String {
        self.name(
            0,
            if self.rule.size.is_some() {
                self.rule.width()
            } else {
                0
            },
        )
    }

    fn name(&self, count: u32, width: usize) -> String {
        let base = if self.rule.period.is_some() {
            strftime(&self.base, self.g_time)
        } else {
            self.base.clone()
        };
        if count == 0 && width == 0 {
            base
        } else {
            format!("{base}{count:0width$}")
        }
    }

    /// Before writing a record: `size` is what the current file holds,
    /// `now` the time (seconds since 1970). Time is checked first, then
    /// size, as tcpdump does: a file started for the time is empty, so
    /// the size check cannot also fire.
    pub fn next(&mut self, size: u64, now: i64) -> Next {
        if let Some(g) = self.rule.period {
            if now - self.g_time >= g as i64 {
                self.g_time = now;
                self.g_count += 1;
                if self.rule.size.is_none() {
                    if let Some(w) = self.rule.files {
                        if self.g_count >= w {
                            return Next::Limit(w);
                        }
                    }
                }
                self.c_count = 0;
                let width = if self.rule.size.is_some() {
                    self.rule.width()
                } else {
                    0
                };
                return Next::Open(self.name(0, width));
            }
        }
        if let Some(c) = self.rule.size {
            if size > c {
                self.c_count += 1;
                if let Some(w) = self.rule.files {
                    if self.c_count >= w {
                        self.c_count = 0;
                    }
                }
                return Next::Open(self.name(self.c_count, self.rule.width()));
            }
        }
        Next::Same
    }
}

/// Reads `-C`'s argument: a positive whole number of millions of bytes,
/// as tcpdump 4.99.3 takes it.
pub fn parse_size(flag: &str, v: &str) -> Result<u64> {
    match v.trim().parse::<u64>() {
        Ok(n) if n > 0 => n
            .checked_mul(1_000_000)
            .ok_or_else(|| Error::usage(format!("{flag} {v}: file size too large"))),
        _ => Err(Error::usage(format!(
            "{flag} {v}: invalid file size (a positive number of millions of bytes)"
        ))),
    }
}

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// strftime(3) of `t` (seconds since 1970) in UTC, for file names: the
/// conversions that make sense in one (`%Y %y %m %d %e %j %H %I %M %S %p
/// %s %a %b %h %F %T %D %R %Z %z %%`); any other is kept as written.
pub fn strftime(fmt: &str, t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = crate::decode::time::civil_from_days(days);
    let (hh, mm, ss) = (secs / 3600, secs / 60 % 60, secs % 60);
    let wday = (days + 4).rem_euclid(7) as usize;
    let yday = days - days_before_year(y) + 1;
    let mut out = String::new();
    let mut it = fmt.chars();
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(k) = it.next() else {
            out.push('%');
            break;
        };
        let s = match k {
            'Y' => format!("{y}"),
            'y' => format!("{:02}", y.rem_euclid(100)),
            'm' => format!("{m:02}"),
            'd' => format!("{d:02}"),
            'e' => format!("{d:2}"),
            'j' => format!("{yday:03}"),
            'H' => format!("{hh:02}"),
            'I' => format!("{:02}", if hh % 12 == 0 { 12 } else { hh % 12 }),
            'M' => format!("{mm:02}"),
            'S' => format!("{ss:02}"),
            'p' => (if hh < 12 { "AM" } else { "PM" }).to_string(),
            's' => format!("{t}"),
            'a' => DAYS[wday].to_string(),
            'b' | 'h' => MONTHS[(m - 1) as usize].to_string(),
            'F' => format!("{y}-{m:02}-{d:02}"),
            'T' => format!("{hh:02}:{mm:02}:{ss:02}"),
            'R' => format!("{hh:02}:{mm:02}"),
            'D' => format!("{m:02}/{d:02}/{:02}", y.rem_euclid(100)),
            'Z' => "UTC".to_string(),
            'z' => "+0000".to_string(),
            '%' => "%".to_string(),
            other => format!("%{other}"),
        };
        out.push_str(&s);
    }
    out
}

/// Days from 1970-01-01 to January 1st of `y`.
fn days_before_year(y: i64) -> i64 {
    let y1 = y - 1;
    365 * (y - 1970) + (y1.div_euclid(4) - y1.div_euclid(100) + y1.div_euclid(400))
        - (1969 / 4 - 1969 / 100 + 1969 / 400)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rot(size: Option<u64>, period: Option<u64>, files: Option<u32>) -> Rotation {
        Rotation {
            size,
            period,
            files,
            post: None,
        }
    }

    #[test]
    fn size_names_like_tcpdump() {
        // tcpdump -C 1 -w f.pcap: f.pcap, f.pcap1, f.pcap2 ...
        let mut r = Rotor::new(rot(Some(10), None, None), "f.pcap", 0);
        assert_eq!(r.first(), "f.pcap");
        assert_eq!(r.next(10, 0), Next::Same);
        assert_eq!(r.next(11, 0), Next::Open("f.pcap1".into()));
        assert_eq!(r.next(11, 0), Next::Open("f.pcap2".into()));
        // tcpdump -C 1 -W 3: f.pcap0, f.pcap1, f.pcap2, f.pcap0 ...
        let mut r = Rotor::new(rot(Some(10), None, Some(3)), "f.pcap", 0);
        let names: Vec<_> = std::iter::once(r.first())
            .chain((0..4).map(|_| match r.next(99, 0) {
                Next::Open(n) => n,
                n => panic!("{n:?}"),
            }))
            .collect();
        assert_eq!(
            names,
            ["f.pcap0", "f.pcap1", "f.pcap2", "f.pcap0", "f.pcap1"]
        );
        let r = Rotor::new(rot(Some(10), None, Some(11)), "x", 0);
        assert_eq!(r.first(), "x00");
    }

    #[test]
    fn time_names_and_the_file_limit() {
        // 2024-03-05 06:07:08 UTC
        let t = 1_709_618_828;
        let mut r = Rotor::new(rot(None, Some(60), Some(2)), "g-%Y%m%d-%H%M%S.pcap", t);
        assert_eq!(r.first(), "g-20240305-060708.pcap");
        assert_eq!(r.next(1 << 40, t + 59), Next::Same);
        assert_eq!(
            r.next(0, t + 61),
            Next::Open("g-20240305-060809.pcap".into())
        );
        assert_eq!(r.next(0, t + 200), Next::Limit(2));
        // -G with -C: the count restarts in each period.
        let mut r = Rotor::new(rot(Some(10), Some(60), None), "cg-%S", t);
        assert_eq!(r.first(), "cg-08");
        assert_eq!(r.next(11, t), Next::Open("cg-081".into()));
        assert_eq!(r.next(11, t + 1), Next::Open("cg-082".into()));
        assert_eq!(r.next(11, t + 60), Next::Open("cg-08".into()));
        assert_eq!(r.next(11, t + 61), Next::Open("cg-081".into()));
    }

    #[test]
    fn strftime_in_utc() {
        assert_eq!(
            strftime("%F %T %j %a %b %e %y %I%p %s %% %Q", 0),
            "1970-01-01 00:00:00 001 Thu Jan  1 70 12AM 0 % %Q"
        );
        // 2000-12-31 23:59:59, a leap year's 366th day.
        assert_eq!(
            strftime("%Y%m%d%H%M%S %j %a", 978_307_199),
            "20001231235959 366 Sun"
        );
        assert_eq!(strftime("trailing %", 0), "trailing %");
    }

    #[test]
    fn sizes_are_millions() {
        assert_eq!(parse_size("-C", "3").unwrap(), 3_000_000);
        for bad in ["0", "-1", "1k", "0.5", ""] {
            assert!(parse_size("-C", bad).is_err(), "{bad}");
        }
    }
}
