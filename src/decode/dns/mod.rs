//! DNS and mDNS (print-domain.c): `12345+ A? kubernetes.default.svc.
//! cluster.local. (55)` for queries, `12345 1/0/0 A 10.96.0.1 (71)` for
//! responses; every section with `-vv`, TTLs with `-vvv`.
//!
//! Offsets are relative to the DNS message, whose slice ends where the
//! capture (or the IP payload) does: tcpdump's snapend.
//!
//! The parts: [`names`] reads and prints domain names (labels,
//! compression pointers, bit-string labels); [`records`] the questions and
//! resource records by type; [`edns`] the OPT record's options; this file
//! the message header and its sections.

mod edns;
mod names;
mod records;

pub(crate) use names::fqdn;
pub(crate) use records::relts;

use super::{Ctx, R, w};
use crate::wire::bytes::{be16, has};
use edns::T_OPT;
use names::nskip;
use records::{qprint, rprint};

const OPS: [&str; 16] = [
    "",
    " inv_q",
    " stat",
    " op3",
    " notify",
    " update",
    " op6",
    " op7",
    " op8",
    " updateA",
    " updateD",
    " updateDA",
    " updateM",
    " updateMA",
    " zoneInit",
    " zoneRef",
];

const RESP: [&str; 24] = [
    "",
    " FormErr",
    " ServFail",
    " NXDomain",
    " NotImp",
    " Refused",
    " YXDomain",
    " YXRRSet",
    " NXRRSet",
    " NotAuth",
    " NotZone",
    " Resp11",
    " Resp12",
    " Resp13",
    " Resp14",
    " NoChange",
    " BadVers",
    "Resp17",
    " Resp18",
    " Resp19",
    " Resp20",
    "Resp21",
    " Resp22",
    " BadCookie",
];

/// A DNS message (`over_tcp`: with its 2-byte length prefix).
pub(crate) fn print(ctx: &mut Ctx<'_>, bp: &[u8], length: usize, over_tcp: bool, mdns: bool) -> R {
    ctx.proto = "domain";
    let mut length = length;
    let mut m = bp;
    if over_tcp {
        if length < 2 {
            w!(ctx, " [DNS over TCP: length {length} < 2]");
            ctx.invalid();
            return Ok(());
        }
        length -= 2;
        let prefix = be16(bp, 0)?;
        if usize::from(prefix) != length {
            w!(ctx, " [prefix length({prefix}) != length({length})]");
            ctx.invalid();
            return Ok(());
        }
        m = &bp[2..];
        ctx.put(" ");
    }
    if length < 12 {
        w!(ctx, "domain [length {length} < 12]");
        ctx.invalid();
        return Ok(());
    }
    if !has(m, 0, 12) {
        return ctx.local_trunc();
    }
    let end = m.len();
    let flags = be16(m, 2)?;
    let qdcount = u32::from(be16(m, 4)?);
    let mut ancount = u32::from(be16(m, 6)?);
    let mut nscount = u32::from(be16(m, 8)?);
    let mut arcount = u32::from(be16(m, 10)?);
    let rcode = ext_rcode(m, flags, qdcount, ancount + nscount, arcount);
    let id = be16(m, 0)?;
    let opcode = usize::from((flags >> 11) & 0xf);
    let v = ctx.v();
    if flags & 0x8000 != 0 {
        let rc = if usize::from(rcode) < RESP.len() {
            RESP[usize::from(rcode)].to_string()
        } else {
            format!(" Resp{}", rcode & 0xfff)
        };
        w!(
            ctx,
            "{id}{}{rc}{}{}{}{}",
            OPS[opcode],
            if flags & 0x0400 != 0 { "*" } else { "" },
            if flags & 0x0080 != 0 { "" } else { "-" },
            if flags & 0x0200 != 0 { "|" } else { "" },
            if flags & 0x0020 != 0 { "$" } else { "" }
        );
        if qdcount != 1 {
            w!(ctx, " [{qdcount}q]");
        }
        let mut cp = 12usize;
        for i in 0..qdcount {
            if i != 0 {
                ctx.put(",");
            }
            if v > 1 {
                ctx.put(" q:");
                match qprint(ctx, m, cp, mdns)? {
                    Some(c) => cp = c,
                    None => return ctx.local_trunc(),
                }
            } else {
                match nskip(m, cp) {
                    Some(c) => cp = c + 4,
                    None => return ctx.local_trunc(),
                }
            }
        }
        w!(ctx, " {ancount}/{nscount}/{arcount}");
        let Some(c) = section(ctx, m, cp, &mut ancount, "", mdns, true)? else {
            return ctx.local_trunc();
        };
        cp = c;
        if ancount > 0 {
            return ctx.local_trunc();
        }
        if v > 1 {
            let Some(c) = section(ctx, m, cp, &mut nscount, " ns:", mdns, false)? else {
                return ctx.local_trunc();
            };
            cp = c;
            if nscount > 0 {
                return ctx.local_trunc();
            }
            if section(ctx, m, cp, &mut arcount, " ar:", mdns, false)?.is_none() {
                return ctx.local_trunc();
            }
            if arcount > 0 {
                return ctx.local_trunc();
            }
        }
    } else {
        w!(
            ctx,
            "{id}{}{}{}",
            OPS[opcode],
            if flags & 0x0100 != 0 { "+" } else { "" },
            if flags & 0x0010 != 0 { "%" } else { "" }
        );
        if flags & 0x6cf != 0 {
            w!(ctx, " [b2&3=0x{flags:x}]");
        }
        if opcode == 1 {
            if qdcount != 0 {
                w!(ctx, " [{qdcount}q]");
            }
            if ancount != 1 {
                w!(ctx, " [{ancount}a]");
            }
        } else {
            if ancount != 0 {
                w!(ctx, " [{ancount}a]");
            }
            if qdcount != 1 {
                w!(ctx, " [{qdcount}q]");
            }
        }
        if nscount != 0 {
            w!(ctx, " [{nscount}n]");
        }
        if arcount != 0 {
            w!(ctx, " [{arcount}au]");
        }
        let mut cp = 12usize;
        let mut qd = qdcount;
        if qd > 0 {
            match qprint(ctx, m, cp, mdns)? {
                Some(c) => cp = c,
                None => return ctx.local_trunc(),
            }
            qd -= 1;
            while cp < end && qd > 0 {
                match qprint(ctx, m, cp, mdns)? {
                    Some(c) => cp = c,
                    None => return ctx.local_trunc(),
                }
                qd -= 1;
            }
        }
        if qd > 0 {
            return ctx.local_trunc();
        }
        if v > 1 {
            let Some(c) = section(ctx, m, cp, &mut ancount, "", mdns, true)? else {
                return ctx.local_trunc();
            };
            cp = c;
            if ancount > 0 {
                return ctx.local_trunc();
            }
            let Some(c) = section(ctx, m, cp, &mut nscount, " ns:", mdns, false)? else {
                return ctx.local_trunc();
            };
            cp = c;
            if nscount > 0 {
                return ctx.local_trunc();
            }
            if section(ctx, m, cp, &mut arcount, " ar:", mdns, false)?.is_none() {
                return ctx.local_trunc();
            }
            if arcount > 0 {
                return ctx.local_trunc();
            }
        }
    }
    w!(ctx, " ({length})");
    Ok(())
}

/// Prints up to `count` records from `cp` (the answer section is entered
/// even at the capture's end, as in tcpdump; the others only before it).
fn section(
    ctx: &mut Ctx<'_>,
    m: &[u8],
    mut cp: usize,
    count: &mut u32,
    label: &str,
    mdns: bool,
    answers: bool,
) -> R<Option<usize>> {
    let end = m.len();
    if *count == 0 || (!answers && cp >= end) {
        return Ok(Some(cp));
    }
    ctx.put(label);
    match rprint(ctx, m, cp, mdns)? {
        Some(c) => cp = c,
        None => return Ok(None),
    }
    *count -= 1;
    while cp < end && *count > 0 {
        ctx.put(",");
        match rprint(ctx, m, cp, mdns)? {
            Some(c) => cp = c,
            None => return Ok(None),
        }
        *count -= 1;
    }
    Ok(Some(cp))
}

/// The response code with the OPT record's extended bits, found by
/// skipping the sections as tcpdump does before printing.
fn ext_rcode(m: &[u8], flags: u16, qd: u32, an_ns: u32, ar: u32) -> u16 {
    let end = m.len();
    let mut rcode = flags & 0xf;
    let mut cp = 12usize;
    for _ in 0..qd {
        let Some(c) = nskip(m, cp) else { return rcode };
        cp = c + 4;
        if cp >= end {
            return rcode;
        }
    }
    for _ in 0..an_ns {
        let Some(c) = nskip(m, cp) else { return rcode };
        cp = c + 8;
        if cp + 2 > end {
            return rcode;
        }
        let rdlen = usize::from(u16::from_be_bytes([m[cp], m[cp + 1]]));
        cp += 2 + rdlen;
        if cp >= end {
            return rcode;
        }
    }
    for _ in 0..ar {
        let Some(c) = nskip(m, cp) else { return rcode };
        cp = c;
        if cp + 2 > end {
            return rcode;
        }
        let ty = u16::from_be_bytes([m[cp], m[cp + 1]]);
        cp += 4;
        if cp + 1 > end {
            return rcode;
        }
        if ty == T_OPT {
            rcode |= u16::from(m[cp]) << 4;
            return rcode;
        }
        cp += 4;
        if cp + 2 > end {
            return rcode;
        }
        let rdlen = usize::from(u16::from_be_bytes([m[cp], m[cp + 1]]));
        cp += 2 + rdlen;
        if cp >= end {
            return rcode;
        }
    }
    rcode
}
