//! BOOTP and DHCP (print-bootp.c): `BOOTP/DHCP, Request from MAC, length
//! N`, and with `-v` the header's fields and every RFC 1048 option, each
//! printed by the format letter tcpdump's table gives it.

use super::fields::{Tok, name, name_or, printn, tcheck, unknown_data};
use super::{Ctx, R, put, w};
use crate::wire::bytes::{be16, be32, slice, u8_at};

mod field {
    pub const OP: usize = 0;
    pub const HTYPE: usize = 1;
    pub const HLEN: usize = 2;
    pub const HOPS: usize = 3;
    pub const XID: usize = 4;
    pub const SECS: usize = 8;
    pub const FLAGS: usize = 10;
    pub const CIADDR: usize = 12;
    pub const CHADDR: usize = 28;
    pub const SNAME: usize = 44;
    pub const FILE: usize = 108;
    pub const VEND: usize = 236;
}

const PAD: u8 = 0;
const END: u8 = 255;

/// tcpdump's tag2str: the first character of each name is the format
/// its data is printed in (`i` addresses, `l`/`L` 32-bit numbers, `s`
/// 16-bit, `b` bytes, `x` hex bytes, `a` text, `B` booleans, `p`
/// address pairs, `$` a layout of its own).
const TAGS: Tok = &[
    (0, " PAD"),
    (1, "iSubnet-Mask"),
    (2, "LTime-Zone"),
    (3, "iDefault-Gateway"),
    (4, "iTime-Server"),
    (5, "iIEN-Name-Server"),
    (6, "iDomain-Name-Server"),
    (7, "iLOG"),
    (8, "iCS"),
    (9, "iLPR-Server"),
    (10, "iIM"),
    (11, "iRL"),
    (12, "aHostname"),
    (13, "sBS"),
    (255, " END"),
    (14, "aDP"),
    (15, "aDomain-Name"),
    (16, "iSS"),
    (17, "aRP"),
    (18, "aEP"),
    (19, "BIPF"),
    (20, "BSRT"),
    (21, "pPF"),
    (22, "sRSZ"),
    (23, "bTTL"),
    (24, "lMTU-Timeout"),
    (25, "sMTU-Table"),
    (26, "sMTU"),
    (27, "BLSN"),
    (28, "iBR"),
    (29, "BMD"),
    (30, "BMS"),
    (31, "BRouter-Discovery"),
    (32, "iRSA"),
    (33, "pStatic-Route"),
    (34, "BUT"),
    (35, "lAT"),
    (36, "BIE"),
    (37, "bTT"),
    (38, "lKI"),
    (39, "BKG"),
    (40, "aYD"),
    (41, "iYS"),
    (42, "iNTP"),
    (43, "bVendor-Option"),
    (44, "iNetbios-Name-Server"),
    (45, "iWDD"),
    (46, "$Netbios-Node"),
    (47, "aNetbios-Scope"),
    (48, "iXFS"),
    (49, "iXDM"),
    (64, "sN+D"),
    (65, "iN+S"),
    (68, "iMH"),
    (69, "iSMTP"),
    (70, "iPOP3"),
    (71, "iNNTP"),
    (72, "iWWW"),
    (73, "iFG"),
    (74, "iIRC"),
    (75, "iSTS"),
    (76, "iSTDA"),
    (50, "iRequested-IP"),
    (51, "lLease-Time"),
    (52, "$OO"),
    (66, "aTFTP"),
    (67, "aBF"),
    (53, " DHCP-Message"),
    (54, "iServer-ID"),
    (55, "bParameter-Request"),
    (56, "aMSG"),
    (57, "sMSZ"),
    (58, "lRN"),
    (59, "lRB"),
    (60, "aVendor-Class"),
    (61, "$Client-ID"),
    (98, "aUAP"),
    (116, "BNOAUTO"),
    (78, "bSLP-DA"),
    (79, "bSLP-SCOPE"),
    (117, "sNSSEARCH"),
    (77, "$User-Class"),
    (118, "iSUBNET"),
    (121, "$Classless-Static-Route"),
    (249, "$Classless-Static-Route-Microsoft"),
    (150, "iTFTP-Server-Address"),
    (80, "aSLP-NA"),
    (81, "$FQDN"),
    (82, "$Agent-Information"),
    (83, "bARMT"),
    (88, "aTZSTR"),
    (89, "bFQDNS"),
    (90, "bAUTH"),
    (91, "LLast-Transaction-Time"),
    (92, "iAssociated-IP"),
    (93, "sARCH"),
    (94, "bNDI"),
    (97, "bGUID"),
    (95, "aLDAP"),
    (100, "aPOSIX-TZ"),
    (101, "aTZ-Name"),
    (112, "iNI"),
    (113, "aNITAG"),
    (114, "aURL"),
    (161, "aMUD-URL"),
];

const DHCP_MSG: Tok = &[
    (1, "Discover"),
    (2, "Offer"),
    (3, "Request"),
    (4, "Decline"),
    (5, "ACK"),
    (6, "NACK"),
    (7, "Release"),
    (8, "Inform"),
    (10, "LeaseQuery"),
    (11, "LeaseUnassigned"),
    (12, "LeaseUnknown"),
    (13, "LeaseActive"),
];
const NETBIOS_NODE: Tok = &[(1, "b-node"), (2, "p-node"), (4, "m-node"), (8, "h-node")];
const OVERLOAD: Tok = &[(1, "file"), (2, "sname"), (3, "file+sname")];
const ARP_HW: Tok = &[
    (0x1, "ether"),
    (0x6, "ieee802"),
    (0x7, "arcnet"),
    (0xf, "frelay"),
    (0x17, "strip"),
    (0x18, "ieee1394"),
];
const AGENT_SUB: Tok = &[(1, "Circuit-ID"), (2, "Remote-ID"), (6, "Subscriber-ID")];

pub(crate) fn print(ctx: &mut Ctx<'_>, bp: &[u8], length: usize) -> R {
    ctx.proto = "bootp";
    let op = u8_at(bp, field::OP)?;
    ctx.put("BOOTP/DHCP, ");
    match op {
        1 => ctx.put("Request"),
        2 => ctx.put("Reply"),
        _ => w!(ctx, "unknown (0x{op:02x})"),
    }
    let htype = u8_at(bp, field::HTYPE)?;
    let hlen = u8_at(bp, field::HLEN)?;
    let ether = htype == 1 && hlen == 6;
    if ether && op == 1 {
        mac(ctx, " from ", bp)?;
    }
    w!(ctx, ", length {length}");
    if ctx.v() == 0 {
        return Ok(());
    }
    if !tcheck(ctx, bp, field::SECS, 2) {
        return Ok(());
    }
    if htype != 1 {
        w!(ctx, ", htype {htype}");
    }
    if !ether {
        w!(ctx, ", hlen {hlen}");
    }
    let hops = u8_at(bp, field::HOPS)?;
    if hops != 0 {
        w!(ctx, ", hops {hops}");
    }
    let xid = be32(bp, field::XID)?;
    if xid != 0 {
        w!(ctx, ", xid 0x{xid:x}");
    }
    let secs = be16(bp, field::SECS)?;
    if secs != 0 {
        w!(ctx, ", secs {secs}");
    }
    let flags = be16(bp, field::FLAGS)?;
    ctx.put(if flags & 0x8000 != 0 {
        ", Flags [Broadcast]"
    } else {
        ", Flags [none]"
    });
    if ctx.v() > 1 {
        w!(ctx, " (0x{flags:04x})");
    }
    for (i, label) in ["Client-IP", "Your-IP", "Server-IP", "Gateway-IP"]
        .into_iter()
        .enumerate()
    {
        let off = field::CIADDR + 4 * i;
        if be32(bp, off)? != 0 {
            w!(ctx, "\n\t  {label} ");
            put::ipv4_at(ctx.s, bp, off)?;
        }
    }
    if ether {
        mac(ctx, "\n\t  Client-Ethernet-Address ", bp)?;
    }
    for (label, off, n) in [("sname", field::SNAME, 64), ("file", field::FILE, 128)] {
        if u8_at(bp, off)? != 0 {
            w!(ctx, "\n\t  {label} \"");
            let used = super::fields::printztn(ctx, &bp[off..], n);
            ctx.put("\"");
            if used == 0 {
                return ctx.local_trunc();
            }
        }
    }
    if !tcheck(ctx, bp, field::VEND, 4) {
        return Ok(());
    }
    let vend = &bp[field::VEND..];
    match vend[..4] {
        [99, 130, 83, 99] => rfc1048(ctx, vend),
        [b'C', b'M', b'U', 0] => cmu(ctx, vend),
        _ => {
            let ul = be32(vend, 0)?;
            if ul != 0 {
                w!(ctx, "\n\t  Vendor-#0x{ul:x}");
            }
            Ok(())
        }
    }
}

fn mac(ctx: &mut Ctx<'_>, prefix: &str, bp: &[u8]) -> R {
    let a = slice(bp, field::CHADDR, 6)?;
    ctx.put(prefix);
    put::mac(ctx.s, a);
    Ok(())
}

/// The text of an `a` option or a string field: `"..."`, or `"` and the
/// mark when the capture ends inside it (returns false then).
fn quoted(ctx: &mut Ctx<'_>, b: &[u8], n: usize) -> bool {
    ctx.put("\"");
    let cut = printn(ctx, b, n);
    ctx.put("\"");
    if cut {
        ctx.trunc_mark();
    }
    !cut
}

fn rfc1048(ctx: &mut Ctx<'_>, v: &[u8]) -> R {
    ctx.put("\n\t  Vendor-rfc1048 Extensions");
    w!(ctx, "\n\t    Magic Cookie 0x{:08x}", be32(v, 0)?);
    let mut i = 4;
    while let Some(&tag) = v.get(i) {
        i += 1;
        if (tag == PAD || tag == END) && ctx.v() < 3 {
            if tag == END {
                return Ok(());
            }
            continue;
        }
        let full = name(TAGS, u32::from(tag)).unwrap_or("?Unknown");
        let (mut c, nm) = (full.as_bytes()[0], &full[1..]);
        let mut len = 0;
        if tag != PAD && tag != END {
            len = usize::from(u8_at(v, i)?);
            i += 1;
        }
        w!(
            ctx,
            "\n\t    {nm} ({tag}), length {len}{}",
            if len > 0 { ": " } else { "" }
        );
        if tag == PAD {
            let mut n = 1;
            while v.get(i) == Some(&PAD) {
                i += 1;
                n += 1;
            }
            if n > 1 {
                w!(ctx, ", occurs {n}");
            }
        }
        if !tcheck(ctx, v, i, len) {
            return Ok(());
        }
        let d = &v[i..i + len];
        i += len;
        if tag == 53 && len == 1 {
            match name(DHCP_MSG, u32::from(d[0])) {
                Some(n) => ctx.put(n),
                None => w!(ctx, "Unknown ({})", d[0]),
            }
            continue;
        }
        if tag == 55 {
            for (k, &t) in d.iter().enumerate() {
                ctx.put(if k % 4 == 0 { "\n\t      " } else { ", " });
                let n = name(TAGS, u32::from(t)).unwrap_or("?Unknown");
                w!(ctx, "{} ({t})", &n[1..]);
            }
            continue;
        }
        if c == b'?' {
            c = if len & 1 != 0 {
                b'b'
            } else if len & 2 != 0 {
                b's'
            } else {
                b'l'
            };
        }
        let left = match c {
            b'a' => {
                if !quoted(ctx, d, len) {
                    return Ok(());
                }
                0
            }
            b'i' | b'l' | b'L' => {
                let n = len / 4;
                for (k, q) in d.chunks_exact(4).enumerate() {
                    if k > 0 {
                        ctx.put(",");
                    }
                    let x = be32(q, 0)?;
                    match c {
                        b'i' => put::ipv4(ctx.s, q),
                        b'L' => w!(ctx, "{}", x as i32),
                        _ => ctx.num(x),
                    }
                }
                len - n * 4
            }
            b'p' => {
                for (k, q) in d.chunks_exact(8).enumerate() {
                    if k > 0 {
                        ctx.put(",");
                    }
                    ctx.put("(");
                    put::ipv4(ctx.s, &q[..4]);
                    ctx.put(":");
                    put::ipv4(ctx.s, &q[4..]);
                    ctx.put(")");
                }
                len % 8
            }
            b's' => {
                for (k, q) in d.chunks_exact(2).enumerate() {
                    if k > 0 {
                        ctx.put(",");
                    }
                    ctx.num(be16(q, 0)?);
                }
                len % 2
            }
            b'B' => {
                for (k, &b) in d.iter().enumerate() {
                    if k > 0 {
                        ctx.put(",");
                    }
                    match b {
                        0 => ctx.put("N"),
                        1 => ctx.put("Y"),
                        _ => w!(ctx, "{b}?"),
                    }
                }
                0
            }
            b'$' => match special(ctx, tag, d)? {
                Some(left) => left,
                None => return Ok(()),
            },
            _ => {
                for (k, &b) in d.iter().enumerate() {
                    if k > 0 {
                        ctx.put(if c == b'x' { ":" } else { "." });
                    }
                    if c == b'x' {
                        put::hex2(ctx.s, b);
                    } else {
                        ctx.num(b);
                    }
                }
                0
            }
        };
        if left > 0 {
            w!(ctx, "\n\t  trailing data length {left}");
        }
    }
    Ok(())
}

/// The `$` options. Returns the bytes left over, or None when the
/// printing ended at a truncation mark.
fn special(ctx: &mut Ctx<'_>, tag: u8, d: &[u8]) -> R<Option<usize>> {
    let len = d.len();
    let short = |ctx: &mut Ctx<'_>, n: usize| {
        w!(ctx, "[ERROR: length < {n} bytes]");
    };
    match tag {
        46 | 52 => {
            let Some(&b) = d.first() else {
                short(ctx, 1);
                return Ok(Some(0));
            };
            let t = if tag == 46 { NETBIOS_NODE } else { OVERLOAD };
            // tok2str with a NULL default prints "#%d".
            match name(t, u32::from(b)) {
                Some(n) => ctx.put(n),
                None => w!(ctx, "#{b}"),
            }
            Ok(Some(len - 1))
        }
        81 => {
            if len < 3 {
                short(ctx, 3);
                return Ok(Some(0));
            }
            let f = d[0];
            if f & 0xf0 != 0 {
                w!(ctx, "[ERROR: MBZ nibble 0x{:x} != 0] ", f >> 4);
            }
            if f & 0x0f != 0 {
                ctx.put("[");
                for (bit, ch) in [(1, "S"), (2, "O"), (4, "E"), (8, "N")] {
                    if f & bit != 0 {
                        ctx.put(ch);
                    }
                }
                ctx.put("] ");
            }
            if d[1] != 0 || d[2] != 0 {
                w!(ctx, "{}/{} ", d[1], d[2]);
            }
            Ok(quoted(ctx, &d[3..], len - 3).then_some(0))
        }
        61 => {
            let Some((&ty, rest)) = d.split_first() else {
                short(ctx, 1);
                return Ok(Some(0));
            };
            if ty == 0 {
                return Ok(quoted(ctx, rest, rest.len()).then_some(0));
            }
            match name(ARP_HW, u32::from(ty)) {
                Some(n) => ctx.put(n),
                None => w!(ctx, "hardware-type {ty},"),
            }
            ctx.put(" ");
            for (k, &b) in rest.iter().enumerate() {
                if k > 0 {
                    ctx.put(":");
                }
                put::hex2(ctx.s, b);
            }
            Ok(Some(0))
        }
        82 => {
            let mut i = 0;
            while len - i >= 2 {
                let (sub, slen) = (d[i], usize::from(d[i + 1]));
                i += 2;
                let sname = name_or(AGENT_SUB, u32::from(sub), "Unknown");
                w!(ctx, "\n\t      {sname} SubOption {sub}, length {slen}: ");
                if slen > len - i {
                    ctx.put("length goes past end of option");
                    return Ok(Some(0));
                }
                let s = &d[i..i + slen];
                if matches!(sub, 1 | 2 | 6) {
                    printn(ctx, s, slen);
                } else {
                    unknown_data(ctx, s, "\n\t\t", slen)?;
                }
                i += slen;
            }
            Ok(Some(len - i))
        }
        121 | 249 => {
            if len < 5 {
                short(ctx, 5);
                return Ok(Some(0));
            }
            let mut i = 0;
            while i < len {
                if i > 0 {
                    ctx.put(",");
                }
                let width = d[i];
                i += 1;
                if width > 32 {
                    w!(ctx, "[ERROR: Mask width ({width}) > 32]");
                    return Ok(Some(0));
                }
                let sig = usize::from(width).div_ceil(8);
                if len - i < sig + 4 {
                    w!(
                        ctx,
                        "[ERROR: Remaining length ({}) < {} bytes]",
                        len - i,
                        sig + 4
                    );
                    return Ok(Some(0));
                }
                ctx.put("(");
                if width == 0 {
                    ctx.put("default");
                } else {
                    for k in 0..4 {
                        if k > 0 {
                            ctx.put(".");
                        }
                        ctx.num(if k < sig { d[i + k] } else { 0 });
                    }
                    w!(ctx, "/{width}");
                }
                i += sig;
                ctx.put(":");
                put::ipv4(ctx.s, &d[i..i + 4]);
                ctx.put(")");
                i += 4;
            }
            Ok(Some(0))
        }
        77 => {
            if len < 2 {
                short(ctx, 2);
                return Ok(Some(0));
            }
            let (mut i, mut n) = (0, 1);
            while i < len {
                let slen = usize::from(d[i]);
                i += 1;
                w!(ctx, "\n\t      instance#{n}: ");
                if slen == 0 {
                    ctx.put("[ERROR: suboption length must be non-zero]");
                    return Ok(Some(0));
                }
                if len - i < slen {
                    ctx.put("[ERROR: invalid option]");
                    return Ok(Some(0));
                }
                if !quoted(ctx, &d[i..], slen) {
                    return Ok(None);
                }
                w!(ctx, ", length {slen}");
                n += 1;
                i += slen;
            }
            Ok(Some(0))
        }
        _ => {
            w!(ctx, "[unknown special tag {tag}, size {len}]");
            Ok(Some(0))
        }
    }
}

/// The CMU vendor area: addresses that are set, with their labels.
fn cmu(ctx: &mut Ctx<'_>, v: &[u8]) -> R {
    ctx.put(" vend-cmu");
    if !tcheck(ctx, v, 4, 4) {
        return Ok(());
    }
    let flags = v[4];
    if flags & !1 != 0 {
        w!(ctx, " F:0x{flags:x}");
    }
    let sm = if flags & 1 != 0 { "SM" } else { "SM*" };
    // The gateway is printed before the mask that precedes it.
    for (off, label) in [
        (12, "DG"),
        (8, sm),
        (16, "NS1"),
        (20, "NS2"),
        (24, "IEN1"),
        (28, "IEN2"),
        (32, "TS1"),
        (36, "TS2"),
    ] {
        if !tcheck(ctx, v, off, 4) {
            return Ok(());
        }
        if be32(v, off)? != 0 {
            w!(ctx, " {label}:");
            put::ipv4(ctx.s, &v[off..off + 4]);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fields::{udp4_cut, udp4_line};

    /// A DHCP Discover as dhclient sends it (expected lines from Debian's
    /// tcpdump 4.99 on the same bytes).
    fn discover() -> Vec<u8> {
        let mut p = vec![0u8; 236];
        p[..8].copy_from_slice(&[1, 1, 6, 0, 0x39, 0x03, 0xf3, 0x26]);
        p[28..34].copy_from_slice(&[0, 0x0b, 0x82, 1, 0xfc, 0x42]);
        p.extend_from_slice(&[0x63, 0x82, 0x53, 0x63, 53, 1, 1, 61, 7, 1, 0, 0x0b, 0x82, 1]);
        p.extend_from_slice(&[0xfc, 0x42, 50, 4, 192, 168, 0, 1, 55, 4, 1, 3, 6, 15, 255]);
        p
    }

    #[test]
    fn discover_at_each_level() {
        let d = discover();
        assert_eq!(
            udp4_line(0, 68, 67, &d),
            "IP 10.0.0.1.68 > 10.0.0.2.67: BOOTP/DHCP, Request from 00:0b:82:01:fc:42, length 265\n"
        );
        assert_eq!(
            udp4_line(2, 68, 67, &d),
            "10.0.0.1.68 > 10.0.0.2.67: [no cksum] BOOTP/DHCP, Request from 00:0b:82:01:fc:42, \
             length 265, xid 0x3903f326, Flags [none] (0x0000)\n\
             \t  Client-Ethernet-Address 00:0b:82:01:fc:42\n\
             \t  Vendor-rfc1048 Extensions\n\
             \t    Magic Cookie 0x63825363\n\
             \t    DHCP-Message (53), length 1: Discover\n\
             \t    Client-ID (61), length 7: ether 00:0b:82:01:fc:42\n\
             \t    Requested-IP (50), length 4: 192.168.0.1\n\
             \t    Parameter-Request (55), length 4: \n\
             \t      Subnet-Mask (1), Default-Gateway (3), Domain-Name-Server (6), Domain-Name (15)\n"
        );
    }

    #[test]
    fn cut_in_the_options_is_marked() {
        let d = discover();
        let l = udp4_cut(1, 68, 67, &d, d.len() - 4);
        assert!(
            l.ends_with("Parameter-Request (55), length 4:  [|bootp]\n"),
            "{l}"
        );
    }
}
