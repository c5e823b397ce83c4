//! syslog over UDP 514 (print-syslog.c): the priority's facility and
//! severity, and with `-v` the message text.

use super::fields::{Tok, printjn, unknown_data};
use super::{Ctx, R, w};
use crate::wire::bytes::u8_at;

const FACILITY: Tok = &[
    (0, "kernel"),
    (1, "user"),
    (2, "mail"),
    (3, "daemon"),
    (4, "auth"),
    (5, "syslog"),
    (6, "lpr"),
    (7, "news"),
    (8, "uucp"),
    (9, "cron"),
    (10, "authpriv"),
    (11, "ftp"),
    (12, "ntp"),
    (13, "security"),
    (14, "console"),
    (15, "cron"),
    (16, "local0"),
    (17, "local1"),
    (18, "local2"),
    (19, "local3"),
    (20, "local4"),
    (21, "local5"),
    (22, "local6"),
    (23, "local7"),
];

const SEVERITY: Tok = &[
    (0, "emergency"),
    (1, "alert"),
    (2, "critical"),
    (3, "error"),
    (4, "warning"),
    (5, "notice"),
    (6, "info"),
    (7, "debug"),
];

pub(crate) fn print(ctx: &mut Ctx<'_>, bp: &[u8], len: usize) -> R {
    ctx.proto = "syslog";
    if u8_at(bp, 0)? != b'<' {
        ctx.invalid();
        return Ok(());
    }
    // `<PRI>` with at most three digits.
    let mut off = 1;
    let mut pri = 0u32;
    while off <= 3 {
        let c = u8_at(bp, off)?;
        if !c.is_ascii_digit() {
            break;
        }
        pri = pri * 10 + u32::from(c - b'0');
        off += 1;
    }
    if u8_at(bp, off)? != b'>' {
        ctx.invalid();
        return Ok(());
    }
    off += 1;
    let (facility, severity) = ((pri & 0x3f8) >> 3, pri & 7);
    if ctx.v() == 0 {
        ctx.put("SYSLOG ");
        ctx.tok(FACILITY, facility, "unknown (%u)");
        ctx.put(".");
        ctx.tok(SEVERITY, severity, "unknown (%u)");
        w!(ctx, ", length: {len}");
        return Ok(());
    }
    w!(ctx, "SYSLOG, length: {len}\n\tFacility ");
    ctx.tok(FACILITY, facility, "unknown (%u)");
    w!(ctx, " ({facility}), Severity ");
    ctx.tok(SEVERITY, severity, "unknown (%u)");
    w!(ctx, " ({severity})\n\tMsg: ");
    if off < len {
        printjn(ctx, &bp[off..], len - off)?;
    }
    if ctx.v() > 1 {
        unknown_data(ctx, bp, "\n\t", len)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fields::udp4_line;

    /// Expected lines from Debian's tcpdump 4.99 on the same bytes.
    #[test]
    fn priority_and_message() {
        let m = b"<13>Dec  1 12:00:00 node1 kubelet: hi";
        assert_eq!(
            udp4_line(0, 40000, 514, m),
            "IP 10.0.0.1.40000 > 10.0.0.2.514: SYSLOG user.notice, length: 37\n"
        );
        assert_eq!(
            udp4_line(1, 40000, 514, m),
            "10.0.0.1.40000 > 10.0.0.2.514: SYSLOG, length: 37\n\tFacility user (1), \
             Severity notice (5)\n\tMsg: Dec  1 12:00:00 node1 kubelet: hi\n"
        );
        assert_eq!(
            udp4_line(0, 40000, 514, b"<1x"),
            "IP 10.0.0.1.40000 > 10.0.0.2.514:  (invalid)\n"
        );
    }
}
