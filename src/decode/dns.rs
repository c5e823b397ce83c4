//! DNS and mDNS (print-domain.c): `12345+ A? kubernetes.default.svc.
//! cluster.local. (55)` for queries, `12345 1/0/0 A 10.96.0.1 (71)` for
//! responses; every section with `-vv`, TTLs with `-vvv`.
//!
//! Offsets are relative to the DNS message, whose slice ends where the
//! capture (or the IP payload) does: tcpdump's snapend.

use super::put::{ipv4, ipv6};
use super::{Ctx, R, text, w};
use crate::wire::bytes::{be16, be32, has, slice, u8_at};

const T_OPT: u16 = 41;

fn type_name(t: u16) -> Option<&'static str> {
    Some(match t {
        1 => "A",
        2 => "NS",
        3 => "MD",
        4 => "MF",
        5 => "CNAME",
        6 => "SOA",
        7 => "MB",
        8 => "MG",
        9 => "MR",
        10 => "NULL",
        11 => "WKS",
        12 => "PTR",
        13 => "HINFO",
        14 => "MINFO",
        15 => "MX",
        16 => "TXT",
        17 => "RP",
        18 => "AFSDB",
        19 => "X25",
        20 => "ISDN",
        21 => "RT",
        22 => "NSAP",
        23 => "NSAP_PTR",
        24 => "SIG",
        25 => "KEY",
        26 => "PX",
        27 => "GPOS",
        28 => "AAAA",
        29 => "LOC",
        30 => "NXT",
        31 => "EID",
        32 => "NIMLOC",
        33 => "SRV",
        34 => "ATMA",
        35 => "NAPTR",
        36 => "KX",
        37 => "CERT",
        38 => "A6",
        39 => "DNAME",
        40 => "SINK",
        41 => "OPT",
        42 => "APL",
        43 => "DS",
        44 => "SSHFP",
        45 => "IPSECKEY",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        99 => "SPF",
        100 => "UINFO",
        101 => "UID",
        102 => "GID",
        103 => "UNSPEC",
        104 => "UNSPECA",
        249 => "TKEY",
        250 => "TSIG",
        251 => "IXFR",
        252 => "AXFR",
        253 => "MAILB",
        254 => "MAILA",
        255 => "ANY",
        256 => "URI",
        _ => return None,
    })
}

fn put_type(ctx: &mut Ctx<'_>, t: u16) {
    match type_name(t) {
        Some(n) => w!(ctx, " {n}"),
        None => w!(ctx, " Type{t}"),
    }
}

fn put_class(ctx: &mut Ctx<'_>, c: u16) {
    match c {
        1 => ctx.put(" IN"),
        3 => ctx.put(" CHAOS"),
        4 => ctx.put(" HS"),
        255 => ctx.put(" ANY"),
        _ => w!(ctx, " (Class {c})"),
    }
}

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

/// Skips a name; the offset after it, None where tcpdump's ns_nskip
/// gives up.
fn nskip(m: &[u8], mut cp: usize) -> Option<usize> {
    let mut i = *m.get(cp)?;
    cp += 1;
    while i != 0 {
        match i & 0xc0 {
            0xc0 => return Some(cp + 1),
            0x40 => {
                if i & 0x3f != 1 {
                    return None;
                }
                let mut bitlen = usize::from(*m.get(cp)?);
                if bitlen == 0 {
                    bitlen = 256;
                }
                cp += 1 + bitlen.div_ceil(8);
            }
            0x80 => return None,
            _ => cp += usize::from(i),
        }
        i = *m.get(cp)?;
        cp += 1;
    }
    Some(cp)
}

fn labellen(ctx: &mut Ctx<'_>, m: &[u8], cp: usize) -> Option<usize> {
    let i = *m.get(cp)?;
    match i & 0xc0 {
        0x40 => {
            let elt = i & 0x3f;
            if elt != 1 {
                w!(ctx, "<ELT {elt}>");
                return None;
            }
            let mut bitlen = usize::from(*m.get(cp + 1)?);
            if bitlen == 0 {
                bitlen = 256;
            }
            Some(bitlen.div_ceil(8) + 1)
        }
        0x80 => {
            ctx.put("<BAD LABEL TYPE>");
            None
        }
        _ => Some(usize::from(i)),
    }
}

fn blabel(ctx: &mut Ctx<'_>, m: &[u8], cp: usize) -> R<Option<usize>> {
    let Some(&b0) = m.get(cp) else {
        return Ok(None);
    };
    let mut bitlen = u32::from(b0);
    if bitlen == 0 {
        bitlen = 256;
    }
    let slen = (bitlen as usize).div_ceil(4);
    let lim = cp + 1 + slen;
    ctx.put("\\[x");
    let mut bitp = cp + 1;
    let mut b = bitlen;
    while bitp < lim && b > 7 {
        w!(ctx, "{:02x}", u8_at(m, bitp)?);
        b -= 8;
        bitp += 1;
    }
    if b > 4 {
        let tc = u8_at(m, bitp)?;
        w!(ctx, "{:02x}", tc & (0xffu8.wrapping_shl(8 - b)));
    } else if b > 0 {
        let tc = u8_at(m, bitp)?;
        w!(ctx, "{:x}", ((tc >> 4) & 0x0f) & (0x0fu8 << (4 - b)));
    }
    w!(ctx, "/{bitlen}]");
    Ok(Some(lim))
}

/// tcpdump's nd_printn: false if the bytes ran out first.
fn printn(ctx: &mut Ctx<'_>, m: &[u8], cp: usize, n: usize) -> bool {
    let avail = m.len().saturating_sub(cp);
    for &c in m.iter().skip(cp).take(n) {
        text::print_char(ctx.s, c);
    }
    avail >= n
}

/// Prints a domain name at `start` with compression pointers resolved
/// against `m`; returns the offset after the name as stored (tcpdump's
/// fqdn_print), None when it gave up (marks printed as tcpdump does).
pub(crate) fn fqdn(ctx: &mut Ctx<'_>, m: &[u8], start: usize) -> R<Option<usize>> {
    let end = m.len();
    let mut cp = start;
    let Some(mut l) = labellen(ctx, m, cp) else {
        return Ok(None);
    };
    if cp >= end {
        return Ok(None);
    }
    let mut max_offset = cp;
    let mut i = m[cp];
    cp += 1;
    let mut rp: Option<usize> = None;
    let mut compress = false;
    if i & 0xc0 != 0xc0 {
        rp = Some(cp + l);
    }
    if i != 0 {
        let mut name_chars = 0usize;
        while i != 0 && cp < end {
            match i & 0xc0 {
                0xc0 => {
                    if !compress {
                        rp = Some(cp + 1);
                        compress = true;
                    }
                    let Some(&lo) = m.get(cp) else {
                        return Ok(None);
                    };
                    let offset = ((usize::from(i) << 8) | usize::from(lo)) & 0x3fff;
                    if offset >= max_offset {
                        ctx.put("<BAD PTR>");
                        return Ok(None);
                    }
                    max_offset = offset;
                    cp = offset;
                    let Some(&n) = m.get(cp) else {
                        return Ok(None);
                    };
                    i = n;
                    let Some(nl) = labellen(ctx, m, cp) else {
                        return Ok(None);
                    };
                    l = nl;
                    cp += 1;
                    continue;
                }
                0x40 => {
                    let elt = i & 0x3f;
                    if elt == 1 {
                        if blabel(ctx, m, cp)?.is_none() {
                            return Ok(None);
                        }
                    } else {
                        w!(ctx, "<ELT {elt}>");
                        return Ok(None);
                    }
                }
                0x80 => {
                    ctx.put("<BAD LABEL TYPE>");
                    return Ok(None);
                }
                _ => {
                    if name_chars + l <= 255 {
                        if !printn(ctx, m, cp, l) {
                            return Ok(None);
                        }
                    } else if name_chars < 255 && !printn(ctx, m, cp, 255 - name_chars) {
                        return Ok(None);
                    }
                    name_chars += l;
                }
            }
            cp += l;
            if name_chars <= 255 {
                ctx.put(".");
            }
            name_chars += 1;
            let Some(&n) = m.get(cp) else {
                return Ok(None);
            };
            i = n;
            let Some(nl) = labellen(ctx, m, cp) else {
                return Ok(None);
            };
            l = nl;
            cp += 1;
            if !compress {
                rp = rp.map(|r| r + l + 1);
            }
        }
        if name_chars > 255 {
            ctx.put("<DOMAIN NAME TOO LONG>");
        }
    } else {
        ctx.put(".");
    }
    Ok(rp)
}

fn qprint(ctx: &mut Ctx<'_>, m: &[u8], np: usize, mdns: bool) -> R<Option<usize>> {
    let Some(cp) = nskip(m, np) else {
        return Ok(None);
    };
    if !has(m, cp, 4) {
        return Ok(None);
    }
    put_type(ctx, be16(m, cp)?);
    let i = be16(m, cp + 2)?;
    let class = if mdns { i & 0x7fff } else { i };
    if class != 1 {
        put_class(ctx, class);
    }
    if mdns {
        ctx.put(if i & 0x8000 != 0 { " (QU)" } else { " (QM)" });
    }
    ctx.put("? ");
    Ok(fqdn(ctx, m, np)?.map(|r| r + 4))
}

pub(crate) fn relts(ctx: &mut Ctx<'_>, mut secs: u32) {
    if secs == 0 {
        ctx.put("0s");
        return;
    }
    for (s, l) in [
        (31_536_000, "y"),
        (604_800, "w"),
        (86_400, "d"),
        (3600, "h"),
        (60, "m"),
        (1, "s"),
    ] {
        if secs >= s {
            w!(ctx, "{}{l}", secs / s);
            secs -= (secs / s) * s;
        }
    }
}

fn rprint(ctx: &mut Ctx<'_>, m: &[u8], cp: usize, mdns: bool) -> R<Option<usize>> {
    let end = m.len();
    let cp = if ctx.v() > 0 {
        ctx.put(" ");
        match fqdn(ctx, m, cp)? {
            Some(c) => Some(c),
            None => return Ok(None),
        }
    } else {
        nskip(m, cp)
    };
    let Some(mut cp) = cp.filter(|&c| has(m, c, 10)) else {
        return Ok(Some(end));
    };
    let typ = be16(m, cp)?;
    let i = be16(m, cp + 2)?;
    cp += 4;
    let class = if mdns { i & 0x7fff } else { i };
    if class != 1 && typ != T_OPT {
        put_class(ctx, class);
    }
    if mdns && i & 0x8000 != 0 {
        ctx.put(" (Cache flush)");
    }
    let mut opt_flags = 0;
    if typ == T_OPT {
        opt_flags = be16(m, cp + 2)?;
        cp += 4;
    } else if ctx.v() > 2 {
        ctx.put(" [");
        relts(ctx, be32(m, cp)?);
        ctx.put("]");
        cp += 4;
    } else {
        cp += 4;
    }
    let len = usize::from(be16(m, cp)?);
    cp += 2;
    let rp = cp + len;
    put_type(ctx, typ);
    if rp > end {
        return Ok(None);
    }
    match typ {
        1 => {
            if !has(m, cp, 4) {
                return Ok(None);
            }
            ctx.put(" ");
            ipv4(ctx.s, &m[cp..cp + 4]);
        }
        2 | 5 | 12 | 39 => {
            ctx.put(" ");
            if fqdn(ctx, m, cp)?.is_none() {
                return Ok(None);
            }
        }
        6 if ctx.v() > 0 => {
            ctx.put(" ");
            let Some(c) = fqdn(ctx, m, cp)? else {
                return Ok(None);
            };
            ctx.put(" ");
            let Some(c) = fqdn(ctx, m, c)? else {
                return Ok(None);
            };
            if !has(m, c, 20) {
                return Ok(None);
            }
            for k in 0..5 {
                w!(ctx, " {}", be32(m, c + 4 * k)?);
            }
        }
        15 => {
            ctx.put(" ");
            if !has(m, cp, 2) {
                return Ok(None);
            }
            if fqdn(ctx, m, cp + 2)?.is_none() {
                return Ok(None);
            }
            w!(ctx, " {}", be16(m, cp)?);
        }
        16 => {
            let mut c = cp;
            while c < rp {
                ctx.put(" \"");
                let Some(&n) = m.get(c) else {
                    return Ok(None);
                };
                let n = usize::from(n);
                if !printn(ctx, m, c + 1, n) {
                    return Ok(None);
                }
                c += 1 + n;
                ctx.put("\"");
            }
        }
        33 => {
            ctx.put(" ");
            if !has(m, cp, 6) {
                return Ok(None);
            }
            if fqdn(ctx, m, cp + 6)?.is_none() {
                return Ok(None);
            }
            w!(
                ctx,
                ":{} {} {}",
                be16(m, cp + 4)?,
                be16(m, cp)?,
                be16(m, cp + 2)?
            );
        }
        28 => {
            if !has(m, cp, 16) {
                return Ok(None);
            }
            ctx.put(" ");
            ipv6(ctx.s, &m[cp..cp + 16]);
        }
        38 => {
            let Some(&pbit) = m.get(cp) else {
                return Ok(None);
            };
            let pbyte = usize::from(pbit & !7) / 8;
            if pbit > 128 {
                w!(ctx, " {pbit}(bad plen)");
            } else {
                if pbit < 128 {
                    let mut a = [0u8; 16];
                    let src = slice(m, cp + 1, 16 - pbyte)?;
                    a[pbyte..].copy_from_slice(src);
                    w!(ctx, " {pbit} ");
                    ipv6(ctx.s, &a);
                }
                if pbit > 0 {
                    ctx.put(" ");
                    if fqdn(ctx, m, cp + 1 + 16 - pbyte)?.is_none() {
                        return Ok(None);
                    }
                }
            }
        }
        256 => {
            if !has(m, cp, len) {
                return Ok(None);
            }
            w!(ctx, " {} {} ", be16(m, cp)?, be16(m, cp + 2)?);
            if !printn(ctx, m, cp + 4, len.wrapping_sub(4)) {
                return Ok(None);
            }
        }
        T_OPT => {
            w!(ctx, " UDPsize={class}");
            if opt_flags & 0x8000 != 0 {
                ctx.put(" DO");
            }
            if cp < rp {
                ctx.put(" [");
                let mut c = cp;
                while c < rp {
                    match eopt(ctx, m, c)? {
                        Some(n) => c = n,
                        None => return Ok(None),
                    }
                    if c < rp {
                        ctx.put(",");
                    }
                }
                ctx.put("]");
            }
        }
        104 => {
            if !has(m, cp, len) {
                return Ok(None);
            }
            if !printn(ctx, m, cp, len) {
                return Ok(None);
            }
        }
        250 => {
            if cp + len > end {
                return Ok(None);
            }
            if ctx.v() > 0 {
                ctx.put(" ");
                let Some(mut c) = fqdn(ctx, m, cp)? else {
                    return Ok(None);
                };
                c += 6;
                for (k, name) in ["fudge", "maclen", "origid", "error", "otherlen"]
                    .iter()
                    .enumerate()
                {
                    if !has(m, c, 2) {
                        return Ok(None);
                    }
                    let v = be16(m, c)?;
                    w!(ctx, " {name}={v}");
                    c += 2;
                    if k == 1 {
                        c += usize::from(v);
                    }
                }
            }
        }
        _ => {}
    }
    Ok(Some(rp))
}

fn eopt(ctx: &mut Ctx<'_>, m: &[u8], cp: usize) -> R<Option<usize>> {
    if !has(m, cp, 2) {
        return Ok(None);
    }
    let opt = be16(m, cp)?;
    match opt {
        1 => ctx.put("LLQ"),
        2 => ctx.put("UL"),
        3 => ctx.put("NSID"),
        5 => ctx.put("DAU"),
        6 => ctx.put("DHU"),
        7 => ctx.put("N3U"),
        8 => ctx.put("ECS"),
        9 => ctx.put("EXPIRE"),
        10 => ctx.put("COOKIE"),
        11 => ctx.put("KEEPALIVE"),
        12 => ctx.put("PADDING"),
        13 => ctx.put("CHAIN"),
        14 => ctx.put("KEY-TAG"),
        16 => ctx.put("CLIENT-TAG"),
        17 => ctx.put("SERVER-TAG"),
        _ => w!(ctx, "Opt{opt}"),
    }
    if !has(m, cp + 2, 2) {
        return Ok(None);
    }
    let dlen = usize::from(be16(m, cp + 2)?);
    let d = cp + 4;
    if !has(m, d, dlen) {
        return Ok(None);
    }
    let data = &m[d..d + dlen];
    if dlen > 0 {
        ctx.put(" ");
        match opt {
            8 => ecs(ctx, data),
            10 => {
                if dlen < 8 || (dlen > 8 && dlen < 16) || dlen > 40 {
                    ctx.invalid();
                } else {
                    for (i, b) in data.iter().enumerate() {
                        if i == 8 {
                            ctx.put(" ");
                        }
                        w!(ctx, "{b:02x}");
                    }
                }
            }
            11 => {
                if dlen != 2 {
                    ctx.invalid();
                } else {
                    let v = u16::from_be_bytes([data[0], data[1]]);
                    w!(ctx, "{:.1} sec", f64::from(v) / 10.0);
                }
            }
            9 => {
                if dlen != 4 {
                    ctx.invalid();
                } else {
                    w!(ctx, "{} sec", be32(data, 0)?);
                }
            }
            12 => w!(ctx, "({dlen})"),
            14 => {
                if dlen % 2 != 0 {
                    ctx.invalid();
                } else {
                    for (i, c) in data.chunks(2).enumerate() {
                        if i > 0 {
                            ctx.put(" ");
                        }
                        w!(ctx, "{}", u16::from_be_bytes([c[0], c[1]]));
                    }
                }
            }
            5..=7 => {
                for (i, &a) in data.iter().enumerate() {
                    if i > 0 {
                        ctx.put(" ");
                    }
                    let n = match (opt, a) {
                        (5, 0) => "DELETE",
                        (5, 1) => "RSAMD5",
                        (5, 2) => "DH",
                        (5, 3) => "DS",
                        (5, 5) => "RSASHA1",
                        (5, 6) => "DSA-NSEC3-SHA1",
                        (5, 7) => "RSASHA1-NSEC3-SHA1",
                        (5, 8) => "RSASHA256",
                        (5, 10) => "RSASHA512",
                        (5, 12) => "ECC-GOST",
                        (5, 13) => "ECDSAP256SHA256",
                        (5, 14) => "ECDSAP384SHA384",
                        (5, 15) => "ED25519",
                        (5, 16) => "ED448",
                        (5, 252) => "INDIRECT",
                        (5, 253) => "PRIVATEDNS",
                        (5, 254) => "PRIVATEOID",
                        (6, 1) => "SHA-1",
                        (6, 2) => "SHA-256",
                        (6, 3) => "GOST_R_34.11-94",
                        (6, 4) => "SHA-384",
                        (7, 1) => "SHA-1",
                        _ => "",
                    };
                    if n.is_empty() {
                        w!(ctx, "Alg_{a}");
                    } else {
                        ctx.put(n);
                    }
                }
            }
            13 => {
                // fqdn_print with the option's own end as base: every
                // pointer is then "forward"; tcpdump prints what it can.
                let _ = fqdn(ctx, data, 0)?;
            }
            _ => {
                for b in data {
                    w!(ctx, "{b:02x}");
                }
            }
        }
    }
    Ok(Some(d + dlen))
}

fn ecs(ctx: &mut Ctx<'_>, d: &[u8]) {
    if d.len() < 4 {
        ctx.invalid();
        return;
    }
    let family = u16::from_be_bytes([d[0], d[1]]);
    let (src, scope) = (d[2], d[3]);
    let bits = match family {
        1 => 32u32,
        2 => 128,
        _ => {
            ctx.invalid();
            return;
        }
    };
    let alen = d.len() - 4;
    if alen > (bits / 8) as usize
        || u32::from(src) > bits
        || u32::from(scope) > bits
        || usize::from(src).div_ceil(8) != alen
    {
        ctx.invalid();
        return;
    }
    let mut a = [0u8; 16];
    a[..alen].copy_from_slice(&d[4..]);
    if family == 1 {
        ipv4(ctx.s, &a[..4]);
    } else {
        ipv6(ctx.s, &a);
    }
    w!(ctx, "/{src}/{scope}");
}

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
