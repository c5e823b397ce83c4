//! Time stamps as tcpdump's `-t` family prints them (UTC).

use super::put::dec_pad;
use super::{PrintOptions, TimeFormat};
use std::fmt::Write as _;

type Ts = (i64, u32);

pub(crate) fn print(
    s: &mut String,
    o: &PrintOptions,
    ts: Ts,
    prev: &mut Option<Ts>,
    first: &mut Option<Ts>,
) {
    // Printing microseconds, libpcap hands tcpdump every stamp of a
    // nanosecond file already truncated to microseconds, so deltas are
    // differences of truncated stamps, not truncated differences.
    let ts = if o.nanos {
        ts
    } else {
        (ts.0, ts.1 - ts.1 % 1000)
    };
    match o.time {
        TimeFormat::None => {}
        TimeFormat::Default => {
            hms(s, ts.0.rem_euclid(86_400), ts.1, o.nanos);
            s.push(' ');
        }
        TimeFormat::Epoch => {
            let _ = write!(s, "{}.", ts.0);
            frac(s, ts.1, o.nanos);
            s.push(' ');
        }
        TimeFormat::Date => {
            let days = ts.0.div_euclid(86_400);
            let (y, m, d) = civil_from_days(days);
            let _ = write!(s, "{y:04}-{m:02}-{d:02} ");
            hms(s, ts.0.rem_euclid(86_400), ts.1, o.nanos);
            s.push(' ');
        }
        TimeFormat::DeltaPrevious | TimeFormat::DeltaFirst => {
            let reference = if o.time == TimeFormat::DeltaPrevious {
                prev.get_or_insert(ts)
            } else {
                first.get_or_insert(ts)
            };
            let (a, b, neg) = if ts < *reference {
                (*reference, ts, true)
            } else {
                (ts, *reference, false)
            };
            let mut sec = a.0.saturating_sub(b.0);
            let mut ns = i64::from(a.1) - i64::from(b.1);
            if ns < 0 {
                ns += 1_000_000_000;
                sec = sec.saturating_sub(1);
            }
            s.push(if neg { '-' } else { ' ' });
            hms_delta(s, sec, ns as u32, o.nanos);
            s.push(' ');
            if o.time == TimeFormat::DeltaPrevious {
                *prev = Some(ts);
            }
        }
    }
}

fn frac(s: &mut String, ns: u32, nanos: bool) {
    if nanos {
        dec_pad(s, u64::from(ns), 9);
    } else {
        dec_pad(s, u64::from(ns / 1000), 6);
    }
}

fn hms(s: &mut String, secs_of_day: i64, ns: u32, nanos: bool) {
    let t = secs_of_day.unsigned_abs();
    dec_pad(s, t / 3600, 2);
    s.push(':');
    dec_pad(s, (t / 60) % 60, 2);
    s.push(':');
    dec_pad(s, t % 60, 2);
    s.push('.');
    frac(s, ns, nanos);
}

/// A duration as `HH:MM:SS.frac`; hours keep counting past a day.
fn hms_delta(s: &mut String, sec: i64, ns: u32, nanos: bool) {
    let _ = write!(
        s,
        "{:02}:{:02}:{:02}.",
        sec / 3600,
        (sec / 60) % 60,
        sec % 60
    );
    frac(s, ns, nanos);
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (Howard Hinnant's algorithm).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(time: TimeFormat, nanos: bool, stamps: &[Ts]) -> Vec<String> {
        let o = PrintOptions {
            time,
            nanos,
            ..Default::default()
        };
        let (mut p, mut f) = (None, None);
        stamps
            .iter()
            .map(|&t| {
                let mut s = String::new();
                print(&mut s, &o, t, &mut p, &mut f);
                s
            })
            .collect()
    }

    #[test]
    fn formats() {
        let t = (1_700_000_000, 123_456_789);
        assert_eq!(fmt(TimeFormat::Default, false, &[t]), ["22:13:20.123456 "]);
        assert_eq!(
            fmt(TimeFormat::Epoch, true, &[t]),
            ["1700000000.123456789 "]
        );
        assert_eq!(
            fmt(TimeFormat::Date, false, &[t]),
            ["2023-11-14 22:13:20.123456 "]
        );
        assert_eq!(fmt(TimeFormat::None, false, &[t]), [""]);
        let later = (1_700_000_001, 23_456_789);
        assert_eq!(
            fmt(TimeFormat::DeltaPrevious, false, &[t, later, t]),
            [
                " 00:00:00.000000 ",
                " 00:00:00.900000 ",
                "-00:00:00.900000 "
            ]
        );
        // Microsecond deltas of nanosecond stamps: differences of the
        // truncated stamps, as libpcap hands them to tcpdump.
        let (a, b) = ((5, 100_000_900), (5, 100_017_100));
        assert_eq!(
            fmt(TimeFormat::DeltaPrevious, false, &[b, a]),
            [" 00:00:00.000000 ", "-00:00:00.000017 "]
        );
        assert_eq!(
            fmt(TimeFormat::DeltaPrevious, true, &[b, a]),
            [" 00:00:00.000000000 ", "-00:00:00.000016200 "]
        );
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }
}
