//! NTP (print-ntp.c, ntp.c): `NTPv4, Client, length 48`, and with `-v` the
//! time fields or a control message's header.

#[cfg(test)]
use super::fields::name;
use super::fields::{Tok, name_or, tcheck};
use super::{Ctx, R, time, w};
use crate::wire::bytes::{be16, be32, slice, u8_at};

const MODES: Tok = &[
    (0, "unspecified"),
    (1, "symmetric active"),
    (2, "symmetric passive"),
    (3, "Client"),
    (4, "Server"),
    (5, "Broadcast"),
    (6, "Control Message"),
    (7, "Reserved"),
];
const LEAP: Tok = &[
    (0x00, ""),
    (0x40, "+1s"),
    (0x80, "-1s"),
    (0xc0, "clock unsynchronized"),
];

/// The time message's fixed part; a key id and a digest may follow.
const TIME_LEN: usize = 48;
const CTRL_LEN: usize = 12;
/// Seconds from 1900 (NTP's era 0) to 1970.
const JAN_1970: i64 = 2_208_988_800;

pub(crate) fn print(ctx: &mut Ctx<'_>, bp: &[u8], len: usize) -> R {
    ctx.proto = "ntp";
    let status = u8_at(bp, 0)?;
    let mode = u32::from(status & 7);
    w!(
        ctx,
        "NTPv{}, {}, length {len}",
        (status >> 3) & 7,
        name_or(MODES, mode, "Unknown mode")
    );
    if ctx.v() == 0 {
        return Ok(());
    }
    let leap = status & 0xc0;
    w!(
        ctx,
        "\n\tLeap indicator: {} ({leap})",
        name_or(LEAP, u32::from(leap), "Unknown")
    );
    match mode {
        0..=5 => time_msg(ctx, bp, len),
        6 => control(ctx, bp, len),
        _ => Ok(()),
    }
}

fn time_msg(ctx: &mut Ctx<'_>, bp: &[u8], len: usize) -> R {
    if len < TIME_LEN {
        ctx.invalid();
        tcheck(ctx, bp, 0, len);
        return Ok(());
    }
    let stratum = u8_at(bp, 1)?;
    let sname = match stratum {
        0 => "unspecified",
        1 => "primary reference",
        2..=15 => "secondary reference",
        _ => "reserved",
    };
    w!(ctx, ", Stratum {stratum} ({sname})");
    let poll = u8_at(bp, 2)? as i8;
    w!(ctx, ", poll {poll}");
    if poll > -32 && poll < 32 {
        if poll >= 0 {
            w!(ctx, " ({}s)", 1u32 << poll);
        } else {
            w!(ctx, " (1/{}s)", 1u32 << -poll);
        }
    }
    w!(ctx, ", precision {}", u8_at(bp, 3)? as i8);
    ctx.put("\n\tRoot Delay: ");
    sfix(ctx, bp, 4)?;
    ctx.put(", Root dispersion: ");
    sfix(ctx, bp, 8)?;
    slice(bp, 12, 4)?;
    ctx.put(", Reference-ID: ");
    match stratum {
        0 => ctx.put("(unspec)"),
        1 => {
            if super::fields::printn(ctx, &bp[12..], 4) {
                return ctx.local_trunc();
            }
        }
        62 | 63 => {
            ctx.ip4_after("", bp, 12)?;
            ctx.put(if stratum == 62 {
                " INFO_QUERY"
            } else {
                " INFO_REPLY"
            });
            return Ok(());
        }
        _ => w!(ctx, "0x{:08x}", be32(bp, 12)?),
    }
    for (label, off) in [
        ("\n\t  Reference Timestamp:  ", 16),
        ("\n\t  Originator Timestamp: ", 24),
        ("\n\t  Receive Timestamp:    ", 32),
        ("\n\t  Transmit Timestamp:   ", 40),
    ] {
        slice(bp, off, 8)?;
        ctx.put(label);
        ntp_time(ctx, bp, off)?;
    }
    ctx.put("\n\t    Originator - Receive Timestamp:  ");
    delta(ctx, bp, 24, 32)?;
    ctx.put("\n\t    Originator - Transmit Timestamp: ");
    delta(ctx, bp, 24, 40)?;
    let digest = |ctx: &mut Ctx<'_>, words: usize| -> R {
        w!(ctx, "\n\tKey id: {}", be32(bp, TIME_LEN)?);
        if words > 0 {
            slice(bp, TIME_LEN + 4, words * 4)?;
            ctx.put("\n\tAuthentication: ");
            for i in 0..words {
                w!(ctx, "{:08x}", be32(bp, TIME_LEN + 4 + 4 * i)?);
            }
        }
        Ok(())
    };
    match len - TIME_LEN {
        0 => {}
        4 => digest(ctx, 0)?,
        20 => digest(ctx, 4)?,
        24 => digest(ctx, 5)?,
        more => w!(ctx, "\n\t({more} more bytes after the header)"),
    }
    Ok(())
}

fn control(ctx: &mut Ctx<'_>, bp: &[u8], len: usize) -> R {
    if len < CTRL_LEN {
        ctx.invalid();
        tcheck(ctx, bp, 0, len);
        return Ok(());
    }
    let c = u8_at(bp, 1)?;
    w!(
        ctx,
        ", {}, {}, {}, OpCode={}\n",
        if c & 0x80 != 0 { "Response" } else { "Request" },
        if c & 0x40 != 0 { "Error" } else { "OK" },
        if c & 0x20 != 0 { "More" } else { "Last" },
        c & 0x1f
    );
    w!(ctx, "\tSequence={}", be16(bp, 2)?);
    w!(ctx, ", Status={:#x}", be16(bp, 4)?);
    w!(ctx, ", Assoc.={}", be16(bp, 6)?);
    w!(ctx, ", Offset={}", be16(bp, 8)?);
    let count = usize::from(be16(bp, 10)?);
    w!(ctx, ", Count={count}");
    if CTRL_LEN + count > len {
        ctx.invalid();
        tcheck(ctx, bp, 0, len);
        return Ok(());
    }
    if count != 0 && tcheck(ctx, bp, CTRL_LEN, count) {
        ctx.put("\n\tTO-BE-DONE: data not interpreted");
    }
    Ok(())
}

/// A 16.16 fixed-point interval in seconds, as `%d.%06d`.
fn sfix(ctx: &mut Ctx<'_>, bp: &[u8], off: usize) -> R {
    let i = be16(bp, off)?;
    let f = be16(bp, off + 2)?;
    let micros = (f64::from(f) / 65536.0 * 1_000_000.0) as i32;
    w!(ctx, "{i}.{micros:06}");
    Ok(())
}

/// A 32.32 fraction as parts per billion, truncated as tcpdump's doubles do.
fn ppb(frac: u32) -> u32 {
    (f64::from(frac) / 4_294_967_296.0 * 1_000_000_000.0) as u32
}

/// p_ntp_time: seconds.nanoseconds since 1900, then the UTC date.
fn ntp_time(ctx: &mut Ctx<'_>, bp: &[u8], off: usize) -> R {
    let i = be32(bp, off)?;
    let f = be32(bp, off + 4)?;
    w!(ctx, "{i}.{:09}", ppb(f));
    if i != 0 {
        let t = i64::from(i) - JAN_1970;
        let (y, m, d) = time::civil_from_days(t.div_euclid(86_400));
        let s = t.rem_euclid(86_400);
        w!(
            ctx,
            " ({y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z)",
            s / 3600,
            s / 60 % 60,
            s % 60
        );
    }
    Ok(())
}

/// p_ntp_delta: the time at `to` minus the time at `from`, signed; an
/// origin of zero prints the later time itself.
fn delta(ctx: &mut Ctx<'_>, bp: &[u8], from: usize, to: usize) -> R {
    let (u, uf) = (be32(bp, to)?, be32(bp, to + 4)?);
    let (ou, ouf) = (be32(bp, from)?, be32(bp, from + 4)?);
    if ou == 0 && ouf == 0 {
        return ntp_time(ctx, bp, to);
    }
    let (neg, i, f) = if u > ou {
        (false, u - ou - u32::from(ouf > uf), uf.wrapping_sub(ouf))
    } else if u < ou {
        (true, ou - u - u32::from(uf > ouf), ouf.wrapping_sub(uf))
    } else if uf > ouf {
        (false, 0, uf - ouf)
    } else {
        (true, 0, ouf - uf)
    };
    w!(ctx, "{}{i}.{:09}", if neg { "-" } else { "+" }, ppb(f));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_truncate_as_tcpdump() {
        assert_eq!(ppb(0), 0);
        assert_eq!(ppb(u32::MAX), 999_999_999);
        assert_eq!(ppb(0x8000_0000), 500_000_000);
        assert_eq!(name(MODES, 3), Some("Client"));
    }
}
