//! DHCPv6 (print-dhcp6.c): `dhcp6 solicit`, and with `-v` the transaction
//! id and every option, nested options and relayed messages included.

use super::fields::{Tok, hex, printjnp};
use super::{Ctx, R, dns, put, w};
use crate::wire::bytes::{be16, be32, slice, u8_at};

const MSG: Tok = &[
    (1, "solicit"),
    (2, "advertise"),
    (3, "request"),
    (4, "confirm"),
    (5, "renew"),
    (6, "rebind"),
    (7, "reply"),
    (8, "release"),
    (9, "decline"),
    (10, "reconfigure"),
    (11, "inf-req"),
    (12, "relay-fwd"),
    (13, "relay-reply"),
    (14, "leasequery"),
    (15, "leasequery-reply"),
];
const RELAY_FORW: u8 = 12;
const RELAY_REPLY: u8 = 13;

const OPT: Tok = &[
    (1, "client-ID"),
    (2, "server-ID"),
    (3, "IA_NA"),
    (4, "IA_TA"),
    (5, "IA_ADDR"),
    (6, "option-request"),
    (7, "preference"),
    (8, "elapsed-time"),
    (9, "relay-message"),
    (11, "authentication"),
    (12, "server-unicast"),
    (13, "status-code"),
    (14, "rapid-commit"),
    (15, "user-class"),
    (16, "vendor-class"),
    (17, "vendor-specific-info"),
    (18, "interface-ID"),
    (19, "reconfigure-message"),
    (20, "reconfigure-accept"),
    (21, "SIP-servers-domain"),
    (22, "SIP-servers-address"),
    (23, "DNS-server"),
    (24, "DNS-search-list"),
    (25, "IA_PD"),
    (26, "IA_PD-prefix"),
    (31, "SNTP-servers"),
    (32, "lifetime"),
    (27, "NIS-server"),
    (28, "NIS+-server"),
    (29, "NIS-domain-name"),
    (30, "NIS+-domain-name"),
    (33, "BCMCS-domain-name"),
    (34, "BCMCS-server"),
    (36, "Geoconf-Civic"),
    (37, "Remote-ID"),
    (38, "Subscriber-ID"),
    (39, "Client-FQDN"),
    (40, "PANA-agent"),
    (41, "POSIX-timezone"),
    (42, "POSIX-tz-database"),
    (43, "Echo-request-option"),
    (44, "Lease-query"),
    (45, "LQ-client-data"),
    (46, "Clt-time"),
    (47, "LQ-relay-data"),
    (48, "LQ-client-link"),
    (56, "NTP-server"),
    (64, "AFTR-Name"),
    (112, "MUD-URL"),
];
const STATUS: Tok = &[
    (0, "Success"),
    (1, "UnspecFail"),
    (2, "NoAddrsAvail"),
    (3, "NoBinding"),
    (4, "NotOnLink"),
    (5, "UseMulticast"),
    (6, "NoPrefixAvail"),
    (7, "UnknownQueryType"),
    (8, "MalformedQuery"),
    (9, "NotConfigured"),
    (10, "NotAllowed"),
];

pub(crate) fn print(ctx: &mut Ctx<'_>, bp: &[u8], length: usize) -> R {
    ctx.proto = "dhcp6";
    ctx.put("dhcp6");
    let ep = bp.len().min(length);
    if slice(bp, 0, 4).is_err() {
        return ctx.local_trunc();
    }
    let ty = bp[0];
    if ctx.v() == 0 {
        ctx.put(" ");
        ctx.tok(MSG, u32::from(ty), "msgtype-%u");
        return Ok(());
    }
    ctx.put(" ");
    ctx.tok(MSG, u32::from(ty), "msgtype-%u");
    ctx.put(" (");
    if ty != RELAY_FORW && ty != RELAY_REPLY {
        w!(ctx, "xid={:x}", be32(bp, 0)? & 0x00ff_ffff);
        opts(ctx, bp, 4, ep)?;
    } else {
        ctx.ip6_after("linkaddr=", bp, 2)?;
        ctx.ip6_after(" peeraddr=", bp, 18)?;
        opts(ctx, bp, 34, ep)?;
    }
    ctx.put(")");
    Ok(())
}

/// " ?)": an option whose length does not fit its type.
fn bad(ctx: &mut Ctx<'_>) {
    ctx.put(" ?)");
}

fn opts(ctx: &mut Ctx<'_>, m: &[u8], mut cp: usize, ep: usize) -> R {
    while cp < ep {
        if ep < cp + 4 || slice(m, cp, 4).is_err() {
            return ctx.local_trunc();
        }
        let optlen = usize::from(be16(m, cp + 2)?);
        if ep < cp + 4 + optlen {
            return ctx.local_trunc();
        }
        let ty = be16(m, cp)?;
        ctx.put(" (");
        ctx.tok(OPT, u32::from(ty), "opt_%u");
        let tp = cp + 4;
        let Ok(d) = slice(m, tp, optlen) else {
            return ctx.local_trunc();
        };
        let end = tp + optlen;
        match ty {
            1 | 2 => duid(ctx, d)?,
            5 => {
                if optlen < 24 {
                    bad(ctx);
                } else {
                    ctx.put(" ");
                    put::ipv6(ctx.s, &d[..16]);
                    w!(ctx, " pltime:{} vltime:{}", be32(d, 16)?, be32(d, 20)?);
                    if optlen > 24 {
                        opts(ctx, m, tp + 24, end)?;
                    }
                    ctx.put(")");
                }
            }
            6 | 43 => {
                if optlen % 2 != 0 {
                    bad(ctx);
                } else {
                    for c in d.chunks_exact(2) {
                        ctx.put(" ");
                        ctx.tok(OPT, u32::from(be16(c, 0)?), "opt_%u");
                    }
                    ctx.put(")");
                }
            }
            7 | 19 if optlen != 1 => bad(ctx),
            7 => w!(ctx, " {})", d[0]),
            8 if optlen != 2 => bad(ctx),
            8 => w!(ctx, " {})", be16(d, 0)?),
            9 => {
                ctx.put(" (");
                print(ctx, d, optlen)?;
                ctx.put(")");
            }
            11 => auth(ctx, d)?,
            14 | 20 => ctx.put(")"),
            18 | 38 => {
                ctx.put(" ");
                hex(ctx, &d[..optlen.min(10)]);
                ctx.put("...)");
            }
            19 => match d[0] {
                5 => ctx.put(" for renew)"),
                11 => ctx.put(" for inf-req)"),
                t => w!(ctx, " for ???({t:02x}))"),
            },
            22 | 23 | 31 | 27 | 28 | 34 | 40 | 48 => {
                if optlen % 16 != 0 {
                    bad(ctx);
                } else {
                    for a in d.chunks_exact(16) {
                        ctx.put(" ");
                        put::ipv6(ctx.s, a);
                    }
                    ctx.put(")");
                }
            }
            21 | 24 => {
                let mut p = tp;
                while p < end {
                    ctx.put(" ");
                    match dns::fqdn(ctx, m, p)? {
                        Some(n) => p = n,
                        None => return ctx.local_trunc(),
                    }
                }
                ctx.put(")");
            }
            13 if optlen < 2 => bad(ctx),
            13 => {
                let code = be16(d, 0)?;
                ctx.put(" ");
                if code > 255 {
                    ctx.put("INVALID code");
                } else {
                    ctx.tok(STATUS, u32::from(code), "code%u");
                }
                ctx.put(")");
            }
            3 | 25 | 4 => {
                let fixed = if ty == 4 { 4 } else { 12 };
                if optlen < fixed {
                    bad(ctx);
                } else {
                    w!(ctx, " IAID:{}", be32(d, 0)?);
                    if fixed == 12 {
                        w!(ctx, " T1:{} T2:{}", be32(d, 4)?, be32(d, 8)?);
                    }
                    if optlen > fixed {
                        opts(ctx, m, tp + fixed, end)?;
                    }
                    ctx.put(")");
                }
            }
            26 => {
                if optlen < 25 {
                    bad(ctx);
                } else {
                    ctx.put(" ");
                    put::ipv6(ctx.s, &d[9..25]);
                    w!(ctx, "/{}", d[8]);
                    w!(ctx, " pltime:{} vltime:{}", be32(d, 0)?, be32(d, 4)?);
                    if optlen > 25 {
                        opts(ctx, m, tp + 25, end)?;
                    }
                    ctx.put(")");
                }
            }
            32 | 46 if optlen != 4 => bad(ctx),
            32 | 46 => w!(ctx, " {})", be32(d, 0)?),
            37 => {
                if optlen < 4 {
                    bad(ctx);
                } else {
                    w!(ctx, " {} ", be32(d, 0)?);
                    hex(ctx, &d[4..optlen.min(14)]);
                    ctx.put("...)");
                }
            }
            44 => {
                if optlen < 17 {
                    bad(ctx);
                } else {
                    match d[0] {
                        1 => ctx.put(" by-address"),
                        2 => ctx.put(" by-clientID"),
                        t => w!(ctx, " type_{t}"),
                    }
                    ctx.put(" ");
                    put::ipv6(ctx.s, &d[1..17]);
                    if optlen > 17 {
                        opts(ctx, m, tp + 17, end)?;
                    }
                    ctx.put(")");
                }
            }
            45 => {
                if optlen > 0 {
                    opts(ctx, m, tp, end)?;
                }
                ctx.put(")");
            }
            47 => {
                if optlen < 16 {
                    bad(ctx);
                } else {
                    ctx.put(" ");
                    put::ipv6(ctx.s, &d[..16]);
                    ctx.put(" ");
                    hex(ctx, &d[16..optlen.min(26)]);
                    ctx.put("...)");
                }
            }
            56 => {
                if optlen < 4 {
                    bad(ctx);
                } else if !ntp_server(ctx, m, tp, end)? {
                    return ctx.local_trunc();
                }
            }
            64 => {
                if optlen < 3 {
                    bad(ctx);
                } else {
                    aftr(ctx, m, tp, optlen)?;
                }
            }
            41 | 42 | 112 => {
                if optlen < 5 {
                    bad(ctx);
                } else {
                    ctx.put(" ");
                    printjnp(ctx, d, optlen)?;
                    ctx.put(")");
                }
            }
            _ => ctx.put(")"),
        }
        cp = end;
    }
    Ok(())
}

/// A client or server DUID (RFC 8415 §11): link-layer plus time,
/// enterprise number, link-layer.
fn duid(ctx: &mut Ctx<'_>, d: &[u8]) -> R {
    let n = d.len();
    if n < 2 {
        bad(ctx);
        return Ok(());
    }
    match be16(d, 0)? {
        1 if n >= 8 => {
            w!(
                ctx,
                " hwaddr/time type {} time {} ",
                be16(d, 2)?,
                be32(d, 4)?
            );
            hex(ctx, &d[8..]);
            ctx.put(")");
        }
        2 if n >= 10 => {
            ctx.put(" vid ");
            hex(ctx, &d[2..10]);
            ctx.put(")");
        }
        3 if n >= 4 => {
            w!(ctx, " hwaddr type {} ", be16(d, 2)?);
            hex(ctx, &d[4..]);
            ctx.put(")");
        }
        1..=3 => bad(ctx),
        t => w!(ctx, " type {t})"),
    }
    Ok(())
}

fn auth(ctx: &mut Ctx<'_>, d: &[u8]) -> R {
    if d.len() < 11 {
        bad(ctx);
        return Ok(());
    }
    let proto = d[0];
    match proto {
        2 => ctx.put(" proto: delayed"),
        3 => ctx.put(" proto: reconfigure"),
        p => w!(ctx, " proto: {p}"),
    }
    match d[1] {
        1 => ctx.put(", alg: HMAC-MD5"),
        a => w!(ctx, ", alg: {a}"),
    }
    match d[2] {
        0 => ctx.put(", RDM: mono"),
        r => w!(ctx, ", RDM: {r}"),
    }
    ctx.put(", RD:");
    for i in 0..4 {
        w!(ctx, " {:04x}", be16(d, 3 + 2 * i)?);
    }
    let info = d.len() - 11;
    let mut tp = 11;
    match proto {
        2 if info == 0 => {}
        2 if info < 20 => ctx.put(" ??"),
        2 => {
            let realm = info - 20;
            if realm > 0 {
                ctx.put(", realm: ");
            }
            hex(ctx, &d[tp..tp + realm]);
            tp += realm;
            w!(ctx, ", key ID: {:08x}", be32(d, tp)?);
            tp += 4;
            ctx.put(", HMAC-MD5:");
            for _ in 0..4 {
                w!(ctx, " {:08x}", be32(d, tp)?);
                tp += 4;
            }
        }
        3 if info != 17 => ctx.put(" ??"),
        3 => {
            match d[tp] {
                1 => ctx.put(" reconfig-key"),
                2 => ctx.put(" type: HMAC-MD5"),
                _ => ctx.put(" type: ??"),
            }
            tp += 1;
            ctx.put(" value:");
            for _ in 0..4 {
                w!(ctx, " {:08x}", be32(d, tp)?);
                tp += 4;
            }
        }
        _ => ctx.put(" ??"),
    }
    ctx.put(")");
    Ok(())
}

/// RFC 5908's suboptions; false where tcpdump jumps to its mark.
fn ntp_server(ctx: &mut Ctx<'_>, m: &[u8], mut tp: usize, end: usize) -> R<bool> {
    while tp < end - 4 {
        let code = be16(m, tp)?;
        let len = usize::from(be16(m, tp + 2)?);
        tp += 4;
        if tp + len > end {
            return Ok(false);
        }
        w!(ctx, " subopt:{code}");
        match code {
            1 | 2 if len != 16 => ctx.put(" ?"),
            1 | 2 => ctx.ip6_after(" ", m, tp)?,
            3 => {
                ctx.put(" ");
                if dns::fqdn(ctx, m, tp)?.is_none() {
                    return Ok(false);
                }
            }
            _ => ctx.put(" ?"),
        }
        tp += len;
    }
    ctx.put(")");
    Ok(true)
}

/// RFC 6334's name: labels as in RFC 1035 §3.1, without compression.
fn aftr(ctx: &mut Ctx<'_>, m: &[u8], mut tp: usize, optlen: usize) -> R {
    let mut remain = optlen;
    ctx.put(" ");
    while remain > 0 && u8_at(m, tp)? != 0 {
        let l = usize::from(m[tp]);
        tp += 1;
        if l < remain - 1 {
            printjnp(ctx, &m[tp..], l)?;
            tp += l;
            remain -= l + 1;
            if u8_at(m, tp)? != 0 {
                ctx.put(".");
            }
        } else {
            ctx.put(" ?");
            break;
        }
    }
    ctx.put(")");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fields::name;
    use super::*;

    #[test]
    fn every_option_has_its_name() {
        assert_eq!(name(OPT, 112), Some("MUD-URL"));
        assert_eq!(name(MSG, 15), Some("leasequery-reply"));
    }
}
