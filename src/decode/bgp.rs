//! BGP-4 (print-bgp.c) on TCP port 179: what Calico, MetalLB and
//! kube-router say to their peers. Every message of a segment with `-v`:
//! OPEN with its capabilities, UPDATE with path attributes, withdrawn
//! routes and NLRI (IPv4 and IPv6 unicast/multicast and labeled unicast
//! through MP-BGP), NOTIFICATION, KEEPALIVE and ROUTE-REFRESH.

use super::tok::{AF, Tok};
use super::{Ctx, R, Truncated, put, w};
use crate::wire::bytes::{be16, be24, be32, be64, has, slice, u8_at};

const HEADER: usize = 19;

const MSG: Tok = &[
    (1, "Open"),
    (2, "Update"),
    (3, "Notification"),
    (4, "Keepalive"),
    (5, "Route Refresh"),
];

const OPT: Tok = &[
    (1, "Authentication Information"),
    (2, "Capabilities Advertisement"),
];

const CAP: Tok = &[
    (1, "Multiprotocol Extensions"),
    (2, "Route Refresh"),
    (3, "Cooperative Route Filtering"),
    (4, "Multiple Routes to a Destination"),
    (5, "Extended Next Hop Encoding"),
    (8, "Multiple Labels"),
    (64, "Graceful Restart"),
    (65, "32-Bit AS Number"),
    (67, "Dynamic Capability"),
    (68, "Multisession BGP"),
    (69, "Multiple Paths"),
    (70, "Enhanced Route Refresh"),
    (71, "Long-lived Graceful Restart"),
    (128, "Route Refresh (Cisco)"),
];

const SAFI: Tok = &[
    (0, "Reserved"),
    (1, "Unicast"),
    (2, "Multicast"),
    (3, "Unicast+Multicast"),
    (4, "labeled Unicast"),
    (5, "Multicast VPN"),
    (64, "Tunnel"),
    (65, "VPLS"),
    (66, "MDT"),
    (70, "EVPN"),
    (128, "labeled VPN Unicast"),
    (129, "labeled VPN Multicast"),
    (130, "labeled VPN Unicast+Multicast"),
    (132, "Route Target Routing Information"),
];

const ADD_PATH: Tok = &[(1, "Receive"), (2, "Send"), (3, "Both")];

const ATTR: Tok = &[
    (1, "Origin"),
    (2, "AS Path"),
    (3, "Next Hop"),
    (4, "Multi Exit Discriminator"),
    (5, "Local Preference"),
    (6, "Atomic Aggregate"),
    (7, "Aggregator"),
    (8, "Community"),
    (9, "Originator ID"),
    (10, "Cluster List"),
    (11, "DPA"),
    (12, "Advertisers"),
    (13, "RCID Path / Cluster ID"),
    (14, "Multi-Protocol Reach NLRI"),
    (15, "Multi-Protocol Unreach NLRI"),
    (16, "Extended Community"),
    (17, "AS4 Path"),
    (18, "Aggregator4"),
    (22, "PMSI Tunnel"),
    (23, "Tunnel Encapsulation"),
    (24, "Traffic Engineering"),
    (25, "IPv6 Extended Community"),
    (26, "Accumulated IGP Metric"),
    (27, "PE Distinguisher Label"),
    (28, "Entropy Label"),
    (32, "Large Community"),
    (128, "Attribute Set"),
    (255, "Reserved for development"),
];

const ORIGIN: Tok = &[(0, "IGP"), (1, "EGP"), (2, "Incomplete")];

const NOTIFY: Tok = &[
    (1, "Message Header Error"),
    (2, "OPEN Message Error"),
    (3, "UPDATE Message Error"),
    (4, "Hold Timer Expired"),
    (5, "Finite State Machine Error"),
    (6, "Cease"),
    (7, "Capability Message Error"),
];

const NOTIFY_MSG: Tok = &[
    (1, "Connection Not Synchronized"),
    (2, "Bad Message Length"),
    (3, "Bad Message Type"),
];

const NOTIFY_OPEN: Tok = &[
    (1, "Unsupported Version Number"),
    (2, "Bad Peer AS"),
    (3, "Bad BGP Identifier"),
    (4, "Unsupported Optional Parameter"),
    (5, "Authentication Failure"),
    (6, "Unacceptable Hold Time"),
    (7, "Capability Message Error"),
];

const NOTIFY_UPDATE: Tok = &[
    (1, "Malformed Attribute List"),
    (2, "Unrecognized Well-known Attribute"),
    (3, "Missing Well-known Attribute"),
    (4, "Attribute Flags Error"),
    (5, "Attribute Length Error"),
    (6, "Invalid ORIGIN Attribute"),
    (7, "AS Routing Loop"),
    (8, "Invalid NEXT_HOP Attribute"),
    (9, "Optional Attribute Error"),
    (10, "Invalid Network Field"),
    (11, "Malformed AS_PATH"),
];

const NOTIFY_FSM: Tok = &[
    (0, "Unspecified Error"),
    (1, "In OpenSent State"),
    (2, "In OpenConfirm State"),
    (3, "In Established State"),
];

const NOTIFY_CAP: Tok = &[
    (1, "Invalid Action Value"),
    (2, "Invalid Capability Length"),
    (3, "Malformed Capability Value"),
    (4, "Unsupported Capability Code"),
];

const NOTIFY_CEASE: Tok = &[
    (1, "Maximum Number of Prefixes Reached"),
    (2, "Administrative Shutdown"),
    (3, "Peer Unconfigured"),
    (4, "Administrative Reset"),
    (5, "Connection Rejected"),
    (6, "Other Configuration Change"),
    (7, "Connection Collision Resolution"),
];

/// `Flags [T]`-style names of the attribute flag bits, in print order.
const ATTR_FLAGS: [(u8, &str); 4] = [(0x80, "O"), (0x40, "T"), (0x20, "P"), (0x10, "E")];

/// The (AFI, SAFI) pairs podcap decodes NLRI of: IPv4 and IPv6 unicast,
/// multicast, both, labeled unicast (RFC 8277) and labeled VPN unicast.
fn known_family(af: u16, safi: u8) -> bool {
    matches!(af, 1 | 2) && matches!(safi, 1..=4 | 128)
}

/// From the TCP payload, after `length N`.
pub(crate) fn print(ctx: &mut Ctx<'_>, p: &[u8], _length: usize) -> R {
    ctx.proto = "bgp";
    ctx.put(": BGP");
    if ctx.v() == 0 {
        return Ok(());
    }
    let (mut at, mut start) = (0usize, 0usize);
    while at < p.len() {
        // Resynchronise on the all-ones marker as tcpdump does.
        if p[at] != 0xff {
            at += 1;
            continue;
        }
        if !has(p, at, 16) {
            break;
        }
        if p[at..at + 16].iter().any(|&b| b != 0xff) {
            at += 1;
            continue;
        }
        slice(p, at, HEADER)?;
        if start != at {
            ctx.trunc_mark();
        }
        let hlen = usize::from(be16(p, at + 16)?);
        if hlen < HEADER {
            w!(ctx, "\nmessage length {hlen} < {HEADER}");
            ctx.invalid();
            break;
        }
        if has(p, at, hlen) {
            if !pdu(ctx, &p[at..at + hlen], hlen)? {
                return Ok(());
            }
            at += hlen;
            start = at;
        } else {
            ctx.put("\n[|BGP ");
            ctx.tok(MSG, u32::from(u8_at(p, at + 18)?), "Unknown Message Type");
            ctx.put("]");
            break;
        }
    }
    Ok(())
}

/// One message, captured whole; false if decoding stops here.
fn pdu(ctx: &mut Ctx<'_>, m: &[u8], len: usize) -> R<bool> {
    let ty = u8_at(m, 18)?;
    ctx.put("\n\t");
    ctx.tok(MSG, u32::from(ty), "Unknown");
    w!(ctx, " Message ({ty}), length: {len}");
    let r = match ty {
        1 => open(ctx, m, len),
        2 => update(ctx, m, len),
        3 => notification(ctx, m, len),
        4 => Ok(()),
        5 => route_refresh(ctx, m, len),
        _ => {
            w!(ctx, "\n\t  no Message {ty} decoder");
            ctx.unknown_data(m, "\n\t  ", len);
            Ok(())
        }
    };
    // A message is captured whole, so a short read is its own fault:
    // tcpdump's `goto trunc` inside the printer, and the next message.
    if r.is_err() {
        ctx.trunc_mark();
    }
    Ok(true)
}

fn afi_safi(ctx: &mut Ctx<'_>, af: u16, safi: u8) {
    ctx.put("AFI ");
    ctx.tok(AF, u32::from(af), "Unknown");
    w!(ctx, " ({af}), SAFI ");
    ctx.tok(SAFI, u32::from(safi), "Unknown");
    w!(ctx, " ({safi})");
}

fn open(ctx: &mut Ctx<'_>, m: &[u8], len: usize) -> R {
    const SIZE: usize = HEADER + 10;
    slice(m, 0, SIZE)?;
    if len < SIZE {
        return Err(Truncated);
    }
    w!(
        ctx,
        "\n\t  Version {}, my AS {}, Holdtime {}s, ID ",
        u8_at(m, 19)?,
        be16(m, 20)?,
        be16(m, 22)?
    );
    put::ipv4(ctx.s, slice(m, 24, 4)?);
    let optslen = usize::from(u8_at(m, 28)?);
    w!(ctx, "\n\t  Optional parameters, length: {optslen}");
    let (opt, length) = (SIZE, len - SIZE);
    let mut i = 0;
    while i < optslen {
        slice(m, opt + i, 2)?;
        if length < 2 + i {
            return Err(Truncated);
        }
        let (ty, ol) = (u8_at(m, opt + i)?, usize::from(u8_at(m, opt + i + 1)?));
        if 2 + i + ol > optslen {
            w!(
                ctx,
                "\n\t     Option {ty}, length: {ol}, goes past the end of the options"
            );
            break;
        }
        ctx.put("\n\t    Option ");
        ctx.tok(OPT, u32::from(ty), "Unknown");
        w!(ctx, " ({ty}), length: {ol}");
        if ty == 2 {
            if capabilities(ctx, m, opt + i + 2, ol).is_err() {
                ctx.trunc_mark();
            }
        } else {
            w!(ctx, "\n\t      no decoder for option {ty}");
        }
        i += 2 + ol;
    }
    Ok(())
}

fn capabilities(ctx: &mut Ctx<'_>, m: &[u8], at: usize, caps_len: usize) -> R {
    let mut i = 0;
    while i < caps_len {
        let c = at + i;
        slice(m, c, 2)?;
        let (ty, cl) = (u8_at(m, c)?, usize::from(u8_at(m, c + 1)?));
        ctx.put("\n\t      ");
        ctx.tok(CAP, u32::from(ty), "Unknown");
        w!(ctx, " ({ty}), length: {cl}");
        slice(m, c + 2, cl)?;
        let v = c + 2;
        match ty {
            1 => {
                if cl < 4 {
                    ctx.put(" (too short, < 4)");
                    return Ok(());
                }
                ctx.put("\n\t\t");
                afi_safi(ctx, be16(m, v)?, u8_at(m, v + 3)?);
            }
            8 => {
                let mut o = v;
                while o + 4 <= v + cl {
                    ctx.put("\n\t\t");
                    afi_safi(ctx, be16(m, o)?, u8_at(m, o + 2)?);
                    w!(ctx, ", Count: {}", u8_at(m, o + 3)?);
                    o += 4;
                }
            }
            64 => {
                if cl < 2 {
                    ctx.put(" (too short, < 2)");
                    return Ok(());
                }
                let f = u8_at(m, v)? >> 4;
                ctx.put("\n\t\tRestart Flags: [");
                ctx.bits(&[(8, "R")], u32::from(f), "none", ", ");
                w!(ctx, "], Restart Time {}s", be16(m, v)? & 0xfff);
                let mut o = v + 2;
                while o + 4 <= v + cl {
                    ctx.put("\n\t\t  ");
                    afi_safi(ctx, be16(m, o)?, u8_at(m, o + 2)?);
                    let yes = u8_at(m, o + 3)? & 0x80 != 0;
                    w!(
                        ctx,
                        ", Forwarding state preserved: {}",
                        if yes { "yes" } else { "no" }
                    );
                    o += 4;
                }
            }
            2 | 71 | 128 => {}
            65 => {
                if cl < 4 {
                    ctx.put(" (too short, < 4)");
                    return Ok(());
                }
                w!(ctx, "\n\t\t 4 Byte AS {}", be32(m, v)?);
            }
            69 => {
                if cl == 0 {
                    ctx.put(" (bogus)");
                }
                let (mut o, mut left) = (v, cl);
                while left != 0 {
                    if left < 4 {
                        ctx.invalid();
                        break;
                    }
                    ctx.put("\n\t\t");
                    afi_safi(ctx, be16(m, o)?, u8_at(m, o + 2)?);
                    ctx.put(", Send/Receive: ");
                    ctx.tok(ADD_PATH, u32::from(u8_at(m, o + 3)?), "Bogus (0x%02x)");
                    o += 4;
                    left -= 4;
                }
            }
            _ => {
                w!(ctx, "\n\t\tno decoder for Capability {ty}");
                if ctx.v() <= 1 {
                    ctx.unknown_data(&m[v..], "\n\t\t", cl);
                }
            }
        }
        if ctx.v() > 1 && cl != 0 {
            ctx.unknown_data(&m[v..], "\n\t\t", cl);
        }
        i += 2 + cl;
    }
    Ok(())
}

fn notification(ctx: &mut Ctx<'_>, m: &[u8], len: usize) -> R {
    const SIZE: usize = HEADER + 2;
    slice(m, 0, SIZE)?;
    if len < SIZE {
        return Ok(());
    }
    let (major, minor) = (u8_at(m, 19)?, u8_at(m, 20)?);
    ctx.put(", ");
    ctx.tok(NOTIFY, u32::from(major), "Unknown Error");
    w!(ctx, " ({major})");
    let (sep, table) = match major {
        1 => (",", NOTIFY_MSG),
        2 => (",", NOTIFY_OPEN),
        3 => (",", NOTIFY_UPDATE),
        5 => ("", NOTIFY_FSM),
        6 => (",", NOTIFY_CEASE),
        7 => ("", NOTIFY_CAP),
        _ => return Ok(()),
    };
    w!(ctx, "{sep} subcode ");
    ctx.tok(table, u32::from(minor), "Unknown");
    w!(ctx, " ({minor})");
    if major != 6 {
        return Ok(());
    }
    let t = SIZE;
    if minor == 1 && len >= SIZE + 7 {
        ctx.put(", ");
        afi_safi(ctx, be16(m, t)?, u8_at(m, t + 2)?);
        w!(ctx, ", Max Prefixes: {}", be32(m, t + 3)?);
    }
    // RFC 9003's Shutdown Communication, on a shutdown or a reset.
    if (minor == 2 || minor == 4) && len > SIZE {
        let cl = usize::from(u8_at(m, t)?);
        let mut rest = 0;
        if cl > len - (SIZE + 1) {
            ctx.put(", invalid Shutdown Communication length");
        } else if cl == 0 {
            ctx.put(", empty Shutdown Communication");
            rest = 1;
        } else {
            w!(ctx, ", Shutdown Communication (length: {cl}): \"");
            ctx.printn(m, t + 1, cl)?;
            ctx.put("\"");
            rest = cl + 1;
        }
        let data = len - (rest + SIZE);
        if data > 0 {
            w!(ctx, ", Data: (length: {data})");
            super::dump::hex(ctx.s, "\n\t\t", slice(m, t + rest, data)?);
        }
    }
    Ok(())
}

fn route_refresh(ctx: &mut Ctx<'_>, m: &[u8], len: usize) -> R {
    slice(m, 0, HEADER + 4)?;
    if len < HEADER + 4 {
        return Ok(());
    }
    ctx.put("\n\t  ");
    afi_safi(ctx, be16(m, 19)?, u8_at(m, 22)?);
    if ctx.v() > 1 {
        ctx.unknown_data(m, "\n\t  ", len);
    }
    Ok(())
}

/// What decoding a prefix gave: bytes used, or tcpdump's -1 (illegal
/// length) and -2/-3 (not enough bytes).
enum Pfx {
    Used(usize),
    Illegal,
    Short,
}

/// How an NLRI prefix is encoded.
#[derive(Clone, Copy, PartialEq)]
enum Enc {
    Plain,
    /// An MPLS label first (RFC 8277); tcpdump 4.99 reads one.
    Labeled,
    /// A label and a route distinguisher (RFC 4364).
    Vpn,
}

/// An IPv4 or IPv6 prefix (`bits` 32 or 128) at `at`: `10.0.0.0/8`,
/// `10.0.0.0/8, label:N (bottom)` or `RD: 1:1 (= 0.0.0.1), 10.0.0.0/8, label:N (bottom)`.
fn prefix(ctx: &mut Ctx<'_>, p: &[u8], at: usize, left: usize, bits: u8, enc: Enc) -> R<Pfx> {
    let (lab, rd) = match enc {
        Enc::Plain => (0, 0),
        Enc::Labeled => (3, 0),
        Enc::Vpn => (3, 8),
    };
    if enc == Enc::Labeled {
        slice(p, at, 4)?;
    }
    if enc != Enc::Vpn && left < 1 + lab {
        return Ok(Pfx::Short);
    }
    let mut plen = u8_at(p, at)?;
    let cut = 8 * (lab + rd) as u8;
    if plen < cut {
        return Ok(Pfx::Illegal);
    }
    plen -= cut;
    if plen > bits {
        return Ok(Pfx::Illegal);
    }
    let n = usize::from(plen).div_ceil(8);
    let src = slice(p, at + 1 + lab + rd, n)?;
    if enc != Enc::Vpn && left < 1 + lab + n {
        return Ok(Pfx::Short);
    }
    let mut a = [0u8; 16];
    a[..n].copy_from_slice(src);
    if plen % 8 != 0 {
        a[n - 1] &= (0xff00u16 >> (plen % 8)) as u8;
    }
    ctx.put(" ");
    if enc == Enc::Vpn {
        ctx.put("RD: ");
        route_distinguisher(ctx, p, at + 4)?;
        ctx.put(", ");
    }
    if bits == 32 {
        put::ipv4(ctx.s, &a[..4]);
    } else {
        put::ipv6(ctx.s, &a);
    }
    w!(ctx, "/{plen}");
    if enc != Enc::Plain {
        let label = be24(p, at + 1)? >> 4;
        let bottom = u8_at(p, at + 3)? & 1 != 0;
        w!(
            ctx,
            ", label:{label} {}",
            if bottom {
                "(bottom)"
            } else {
                "(BOGUS: Bottom of Stack NOT set!)"
            }
        );
    }
    Ok(Pfx::Used(1 + lab + rd + n))
}

/// A route distinguisher, tcpdump's bgp_vpn_rd_print.
fn route_distinguisher(ctx: &mut Ctx<'_>, p: &[u8], at: usize) -> R {
    let r = slice(p, at, 8)?;
    let (w2, w4) = (be16(r, 2)?, be32(r, 4)?);
    match be16(r, 0)? {
        0 => {
            w!(ctx, "{w2}:{w4} (= ");
            put::ipv4(ctx.s, &r[4..8]);
            ctx.put(")");
        }
        1 => {
            put::ipv4(ctx.s, &r[2..6]);
            w!(ctx, ":{}", be16(r, 6)?);
        }
        2 => {
            let v = be16(r, 6)?;
            w!(ctx, "{}:{v} (", be32(r, 2)?);
            put::ipv4(ctx.s, &r[2..6]);
            w!(ctx, ":{v})");
        }
        _ => ctx.put("unknown RD format"),
    }
    Ok(())
}

/// tcpdump's check_add_path: whether a run of prefixes reads better with
/// a 4-byte path id before each (RFC 7911), which nothing else says.
fn add_path(p: &[u8], at: usize, length: usize, max: usize) -> bool {
    if length < 5 {
        return false;
    }
    let mut o = 0;
    while o < length {
        o += 4;
        let Some(&l) = p.get(at + o) else { break };
        if usize::from(l) > max {
            return false;
        }
        o += 1 + usize::from(l).div_ceil(8);
    }
    if o > length {
        return false;
    }
    // Read as plain prefixes: a /0 (path ids start with zeros) or one
    // too long says add-path, as in tcpdump 4.99.
    let mut o = 0;
    while o < length {
        let Some(&l) = p.get(at + o) else { break };
        if l == 0 || usize::from(l) > max {
            return true;
        }
        o += 1 + usize::from(l).div_ceil(8);
    }
    o > length
}

/// Withdrawn routes or NLRI of the UPDATE itself (IPv4 unicast): where
/// decoding stopped and how many bytes of the run were left, as tcpdump
/// goes on from there.
fn routes(
    ctx: &mut Ctx<'_>,
    m: &[u8],
    mut at: usize,
    mut left: usize,
    title: &str,
) -> R<(usize, usize)> {
    let ap = add_path(m, at, left, 32);
    ctx.put(title);
    while left != 0 {
        let mut id = 0;
        if ap {
            if left < 4 {
                return Ok((at + left, left));
            }
            id = be32(m, at)?;
            at += 4;
            left -= 4;
        }
        let mark = ctx.s.len();
        ctx.put("\n\t   ");
        match prefix(ctx, m, at, left, 32, Enc::Plain)? {
            Pfx::Illegal => {
                ctx.put(" (illegal prefix length)");
                break;
            }
            Pfx::Short => {
                ctx.s.truncate(mark);
                return Err(Truncated);
            }
            Pfx::Used(n) => {
                if ap {
                    w!(ctx, "   Path Id: {id}");
                }
                at += n;
                left -= n;
            }
        }
    }
    Ok((at, left))
}

fn update(ctx: &mut Ctx<'_>, m: &[u8], len: usize) -> R {
    let mut at = HEADER;
    let mut length = len - HEADER;
    if length < 2 {
        return Err(Truncated);
    }
    let wlen = usize::from(be16(m, at)?);
    at += 2;
    length -= 2;
    if length < wlen {
        return Err(Truncated);
    }
    // tcpdump counts the withdrawn length down as it prints the routes,
    // which is what its End-of-RIB test below then sees.
    let mut wleft = wlen;
    if wlen > 1 {
        let start = at;
        (at, wleft) = routes(ctx, m, at, wlen, "\n\t  Withdrawn routes:")?;
        length -= at - start;
    } else {
        at += wlen;
        length -= wlen;
    }
    if length < 2 {
        return Err(Truncated);
    }
    let mut alen = usize::from(be16(m, at)?);
    at += 2;
    length -= 2;
    if wleft == 0 && alen == 0 && length == 0 {
        ctx.put("\n\t  End-of-Rib Marker (empty NLRI)");
        return Ok(());
    }
    if alen > 0 && length < alen {
        return Err(Truncated);
    }
    while alen > 0 {
        if alen < 2 {
            ctx.put("\n\t  [path attrs too short]");
            at += alen;
            length -= alen;
            break;
        }
        let (flags, ty) = (u8_at(m, at)?, u8_at(m, at + 1)?);
        at += 2;
        alen -= 2;
        length -= 2;
        let ll = if flags & 0x10 != 0 { 2 } else { 1 };
        if alen < ll {
            ctx.put("\n\t  [path attr too short]");
            at += alen;
            length -= alen;
            break;
        }
        let l = if ll == 2 {
            usize::from(be16(m, at)?)
        } else {
            usize::from(u8_at(m, at)?)
        };
        at += ll;
        alen -= ll;
        length -= ll;
        ctx.put("\n\t  ");
        ctx.tok(ATTR, u32::from(ty), "Unknown Attribute");
        w!(ctx, " ({ty}), length: {l}");
        if flags != 0 {
            ctx.put(", Flags [");
            for (b, n) in ATTR_FLAGS {
                if flags & b != 0 {
                    ctx.put(n);
                }
            }
            if flags & 0xf != 0 {
                w!(ctx, "+{:x}", flags & 0xf);
            }
            ctx.put("]: ");
        }
        if alen < l {
            ctx.put(" [path attrs too short]");
            at += alen;
            length -= alen;
            break;
        }
        attr(ctx, ty, &m[at..at + l], &m[at..], l)?;
        at += l;
        alen -= l;
        length -= l;
    }
    if length > 0 {
        routes(ctx, m, at, length, "\n\t  Updated routes:")?;
    }
    Ok(())
}

/// One path attribute's value, `a` being exactly its `len` bytes and
/// `rest` the message from there on (what tcpdump's AS path walk reads).
fn attr(ctx: &mut Ctx<'_>, ty: u8, a: &[u8], rest: &[u8], len: usize) -> R {
    let invalid = |ctx: &mut Ctx<'_>| ctx.put("invalid len");
    match ty {
        1 if len != 1 => invalid(ctx),
        1 => ctx.tok(ORIGIN, u32::from(a[0]), "Unknown Origin Typecode"),
        2 | 17 if len % 2 != 0 => invalid(ctx),
        2 | 17 if len == 0 => ctx.put("empty"),
        2 | 17 => as_path(ctx, rest, len, ty == 17)?,
        3 | 9 if len != 4 => invalid(ctx),
        3 | 9 => put::ipv4(ctx.s, a),
        4 | 5 if len != 4 => invalid(ctx),
        4 | 5 => ctx.num(be32(a, 0)?),
        6 if len != 0 => invalid(ctx),
        6 => {}
        7 if len != 6 && len != 8 => invalid(ctx),
        18 if len != 8 => invalid(ctx),
        7 | 18 => {
            let (asn, o) = if len == 6 {
                (u32::from(be16(a, 0)?), 2)
            } else {
                (be32(a, 0)?, 4)
            };
            w!(ctx, " AS #{asn}, origin ");
            put::ipv4(ctx.s, &a[o..o + 4]);
        }
        8 if len % 4 != 0 => invalid(ctx),
        8 => {
            for (i, c) in a.chunks_exact(4).enumerate() {
                let v = be32(c, 0)?;
                match v {
                    0xffff_ff01 => ctx.put(" NO_EXPORT"),
                    0xffff_ff02 => ctx.put(" NO_ADVERTISE"),
                    0xffff_ff03 => ctx.put(" NO_EXPORT_SUBCONFED"),
                    _ => {
                        w!(ctx, "{}:{}", v >> 16, v & 0xffff);
                        if len - 4 * i > 4 {
                            ctx.put(", ");
                        }
                    }
                }
            }
        }
        10 if len % 4 != 0 => invalid(ctx),
        10 => {
            for (i, c) in a.chunks_exact(4).enumerate() {
                put::ipv4(ctx.s, c);
                if len - 4 * i > 4 {
                    ctx.put(", ");
                }
            }
        }
        14 => {
            if len < 3 {
                return Err(Truncated);
            }
            if !mp_family(ctx, a, len)? {
                return Ok(());
            }
            mp_reach(ctx, a, len)?;
        }
        15 => {
            if len < 3 {
                return Err(Truncated);
            }
            if !mp_family(ctx, a, len)? {
                return Ok(());
            }
            if len == 3 {
                ctx.put("\n\t      End-of-Rib Marker (empty NLRI)");
            }
            nlri(ctx, a, 3, len)?;
        }
        16 if len % 8 != 0 => invalid(ctx),
        16 => {
            for c in a.chunks_exact(8) {
                ext_community(ctx, c)?;
            }
        }
        26 => aigp(ctx, a, len)?,
        32 if len == 0 || len % 12 != 0 => invalid(ctx),
        32 => {
            ctx.put("\n\t    ");
            for (i, c) in a.chunks_exact(12).enumerate() {
                w!(ctx, "{}:{}:{}", be32(c, 0)?, be32(c, 4)?, be32(c, 8)?);
                if len - 12 * i > 12 {
                    ctx.put(", ");
                }
            }
            // tcpdump has counted the length down to 0: no -vv dump.
            return Ok(());
        }
        _ => {
            w!(ctx, "\n\t    no Attribute {ty} decoder");
            if ctx.v() <= 1 {
                ctx.unknown_data(a, "\n\t    ", len);
            }
        }
    }
    if ctx.v() > 1 && len > 0 {
        ctx.unknown_data(a, "\n\t    ", len);
    }
    Ok(())
}

/// AS_PATH with 2-byte ASes when the segments add up so, else 4-byte.
/// The segments are walked as tcpdump does, to the end of the message
/// if a count says so.
fn as_path(ctx: &mut Ctx<'_>, a: &[u8], len: usize, as4: bool) -> R {
    let size = if as4 {
        4
    } else {
        let mut o = 0;
        loop {
            if o >= len {
                break if o == len { 2 } else { 4 };
            }
            let seg = u8_at(a, o)?;
            if !(1..=4).contains(&seg) {
                break 4;
            }
            o += 2 + 2 * usize::from(u8_at(a, o + 1)?);
        }
    };
    let mut o = 0;
    while o < len {
        let seg = u8_at(a, o)?;
        let (open, close) = match seg {
            1 => ("{ ", "}"),
            2 => ("", ""),
            3 => ("( ", ")"),
            4 => ("({ ", "})"),
            _ => ("?", "?"),
        };
        ctx.put(open);
        let n = usize::from(u8_at(a, o + 1)?);
        for i in 0..n {
            let v = if size == 2 {
                u32::from(be16(a, o + 2 + 2 * i)?)
            } else {
                be32(a, o + 2 + 4 * i)?
            };
            w!(ctx, "{v} ");
        }
        ctx.put(close);
        o += 2 + n * size;
    }
    Ok(())
}

/// `AFI: IPv4 (1), SAFI: Unicast (1)`; false (after a dump) for a family
/// podcap has no NLRI decoder for.
fn mp_family(ctx: &mut Ctx<'_>, a: &[u8], len: usize) -> R<bool> {
    let (af, safi) = (be16(a, 0)?, u8_at(a, 2)?);
    ctx.put("\n\t    AFI: ");
    ctx.tok(AF, u32::from(af), "Unknown AFI");
    w!(
        ctx,
        " ({af}), {}SAFI: ",
        if safi > 128 { "vendor specific " } else { "" }
    );
    ctx.tok(SAFI, u32::from(safi), "Unknown SAFI");
    w!(ctx, " ({safi})");
    if known_family(af, safi) {
        return Ok(true);
    }
    w!(ctx, "\n\t    no AFI {af} / SAFI {safi} decoder");
    if ctx.v() <= 1 {
        ctx.unknown_data(a, "\n\t    ", len);
    }
    Ok(false)
}

fn mp_reach(ctx: &mut Ctx<'_>, a: &[u8], len: usize) -> R {
    let af = be16(a, 0)?;
    let mut o = 3;
    if len < o + 1 {
        return Err(Truncated);
    }
    let nhlen = usize::from(a[o]);
    o += 1;
    if nhlen > 0 {
        if len - o < nhlen {
            return Err(Truncated);
        }
        ctx.put("\n\t    nexthop: ");
        let vpn = u8_at(a, 2)? == 128;
        let ip = if af == 1 { 4 } else { 16 };
        let size = ip + if vpn { 8 } else { 0 };
        let (mut left, mut first) = (nhlen, true);
        while left != 0 {
            if !first {
                ctx.put(", ");
            }
            first = false;
            if left < size {
                ctx.put("invalid len");
                o += left;
                break;
            }
            if vpn {
                ctx.put("RD: ");
                route_distinguisher(ctx, a, o)?;
                ctx.put(", ");
                o += 8;
            }
            if ip == 4 {
                put::ipv4(ctx.s, &a[o..o + 4]);
            } else {
                put::ipv6(ctx.s, &a[o..o + 16]);
            }
            o += ip;
            left -= size;
        }
        w!(ctx, ", nh-length: {nhlen}");
    }
    if len < o + 1 {
        return Err(Truncated);
    }
    let snpa = a[o];
    o += 1;
    if snpa == 0 {
        ctx.put(", no SNPA");
    } else {
        w!(ctx, "\n\t    {snpa} SNPA");
        for _ in 0..snpa {
            if len < o + 1 {
                return Err(Truncated);
            }
            let l = usize::from(a[o]);
            w!(ctx, "\n\t      {l} bytes");
            o += 1;
            if len - o < l {
                return Err(Truncated);
            }
            o += l;
        }
    }
    nlri(ctx, a, o, len)
}

/// The NLRI of an MP_REACH/MP_UNREACH of a family [`known_family`] knows.
fn nlri(ctx: &mut Ctx<'_>, a: &[u8], mut o: usize, len: usize) -> R {
    let (af, safi) = (be16(a, 0)?, u8_at(a, 2)?);
    let bits = if af == 1 { 32 } else { 128 };
    let enc = match safi {
        4 => Enc::Labeled,
        128 => Enc::Vpn,
        _ => Enc::Plain,
    };
    let ap = enc == Enc::Plain && add_path(a, o, len - o, usize::from(bits));
    while o < len {
        let mut id = 0;
        if ap {
            id = be32(a, o)?;
            o += 4;
        }
        let mark = ctx.s.len();
        ctx.put("\n\t     ");
        match prefix(ctx, a, o, len - o, bits, enc)? {
            Pfx::Illegal => {
                ctx.s.truncate(mark);
                ctx.put("\n\t    (illegal prefix length)");
                break;
            }
            Pfx::Short => {
                ctx.s.truncate(mark);
                return Err(Truncated);
            }
            Pfx::Used(n) => {
                if ap {
                    w!(ctx, "   Path Id: {id}");
                }
                o += n;
            }
        }
    }
    Ok(())
}

fn ext_community(ctx: &mut Ctx<'_>, c: &[u8]) -> R {
    let t = be16(c, 0)?;
    ctx.put("\n\t    ");
    ctx.tok(EXT_COMM, u32::from(t), "unknown extd community typecode");
    w!(ctx, " (0x{t:04x}), Flags [");
    ctx.bits(
        &[(0x8000, "vendor-specific"), (0x4000, "non-transitive")],
        u32::from(t),
        "none",
        ", ",
    );
    ctx.put("]: ");
    let (w2, w4) = (be16(c, 2)?, be32(c, 4)?);
    match t {
        0x0002 | 0x0003 | 0x000a => {
            w!(ctx, "{w2}:{w4} (= ");
            put::ipv4(ctx.s, &c[4..8]);
            ctx.put(")");
        }
        0x0102 | 0x0103 | 0xf10a | 0x010b => {
            put::ipv4(ctx.s, &c[2..6]);
            w!(ctx, ":{}", be16(c, 6)?);
        }
        0x0202 | 0x0203 => w!(ctx, "{}:{}", be32(c, 2)?, be16(c, 6)?),
        0x4004 => {
            let bw = f32::from_bits(w4) * 8.0 / 1_000_000.0;
            w!(ctx, "bandwidth: {bw:.3} Mbps");
        }
        0x0005 | 0x0105 | 0x0205 | 0x8005 | 0x0107 | 0x8001 => {
            put::ipv4(ctx.s, &c[2..6]);
        }
        0x0306 | 0x8000 => {
            let (rt, m) = (c[6], c[7]);
            ctx.put("area:");
            put::ipv4(ctx.s, &c[2..6]);
            ctx.put(", router-type:");
            ctx.tok(OSPF_RTYPE, u32::from(rt), "unknown (0x%02x)");
            w!(
                ctx,
                ", metric-type:{}{}",
                if m & 1 != 0 { "E2" } else { "" },
                if rt == 5 || rt == 7 { "E1" } else { "" }
            );
        }
        0x800a => {
            ctx.tok(L2VPN_ENCAPS, u32::from(c[2]), "unknown encaps");
            w!(ctx, " Control Flags [0x{:02x}]:MTU {}", c[3], be16(c, 4)?);
        }
        0x0009 => w!(ctx, "AS {w2}"),
        0x030c => {
            ctx.put("Tunnel type: ");
            ctx.tok(TUNNEL, u32::from(be16(c, 6)?), "unknown encaps");
        }
        _ => w!(ctx, "{w2:04x}{w4:08x}"),
    }
    Ok(())
}

/// tcpdump's bgp_extd_comm_subtype_values.
const EXT_COMM: Tok = &[
    (0x0002, "target"),
    (0x0102, "target"),
    (0x0202, "target"),
    (0x0003, "origin"),
    (0x0103, "origin"),
    (0x0203, "origin"),
    (0x4004, "link-BW"),
    (0x0005, "ospf-domain"),
    (0x0105, "ospf-domain"),
    (0x0205, "ospf-domain"),
    (0x8005, "ospf-domain"),
    (0x0306, "ospf-route-type"),
    (0x8000, "ospf-route-type"),
    (0x0107, "ospf-router-id"),
    (0x8001, "ospf-router-id"),
    (0x800a, "layer2-info"),
    (0x000a, "l2vpn-id"),
    (0xf10a, "l2vpn-id"),
    (0x0009, "source-AS"),
    (0x010b, "vrf-route-import"),
    (0x030c, "encapsulation"),
    (0x8800, "eigrp-general-route (flag, tag)"),
    (0x8801, "eigrp-route-metric (AS, delay)"),
    (
        0x8802,
        "eigrp-route-metric (reliability, nexthop, bandwidth)",
    ),
    (0x8803, "eigrp-route-metric (load, MTU)"),
    (0x8804, "eigrp-external-route (remote-AS, remote-ID)"),
    (0x8805, "eigrp-external-route (remote-proto, remote-metric)"),
];

const OSPF_RTYPE: Tok = &[
    (1, "Router"),
    (2, "Network"),
    (3, "Summary"),
    (5, "External"),
    (7, "NSSA External"),
];

const L2VPN_ENCAPS: Tok = &[
    (0, "Reserved"),
    (1, "Frame Relay"),
    (2, "ATM AAL5 SDU VCC transport"),
    (3, "ATM transparent cell transport"),
    (4, "Ethernet (VLAN) Tagged Mode"),
    (5, "Ethernet Raw Mode"),
    (6, "Cisco HDLC"),
    (7, "PPP"),
    (8, "SONET/SDH Circuit Emulation Service over MPLS"),
    (9, "ATM n-to-one VCC cell transport"),
    (10, "ATM n-to-one VPC cell transport"),
    (11, "IP layer 2 transport"),
    (15, "Frame Relay Port mode"),
    (17, "Structure-agnostic E1 over packet"),
    (18, "Structure-agnostic T1 (DS1) over packet"),
    (19, "VPLS"),
    (20, "Structure-agnostic T3 (DS3) over packet"),
    (21, "Nx64kbit/s Basic Service using Structure-aware"),
    (25, "Frame Relay DLCI"),
    (40, "Structure-agnostic E3 over packet"),
    (
        41,
        "Octet-aligned playload for Structure-agnostic DS1 circuits",
    ),
    (42, "E1 Nx64kbit/s with CAS using Structure-aware"),
    (43, "DS1 (ESF) Nx64kbit/s with CAS using Structure-aware"),
    (44, "DS1 (SF) Nx64kbit/s with CAS using Structure-aware"),
];

const TUNNEL: Tok = &[
    (1, "L2TPv3 over IP"),
    (2, "GRE"),
    (3, "Transmit Tunnel"),
    (4, "IPsec"),
    (5, "IP in IP with IPsec"),
    (6, "MPLS in IP with IPsec"),
    (7, "IP in IP"),
    (8, "VXLAN"),
    (9, "NVGRE"),
    (10, "MPLS"),
    (11, "MPLS in GRE"),
    (12, "VXLAN GPE"),
    (13, "MPLS in UDP"),
    (14, "IPv6"),
    (15, "SR TE"),
    (16, "Bare"),
    (17, "SR"),
];

fn aigp(ctx: &mut Ctx<'_>, a: &[u8], len: usize) -> R {
    let (mut o, mut left) = (0, len);
    while left >= 3 {
        let ty = a[o];
        let l = usize::from(be16(a, o + 1)?);
        o += 3;
        left -= 3;
        ctx.put("\n\t    ");
        ctx.tok(&[(1, "AIGP")], u32::from(ty), "Unknown");
        w!(ctx, " TLV ({ty}), length {l}");
        if l < 3 {
            return Err(Truncated);
        }
        let l = l - 3;
        if left < l {
            return Err(Truncated);
        }
        if ty == 1 {
            if l < 8 {
                return Err(Truncated);
            }
            w!(ctx, ", metric {}", be64(a, o)?);
        } else if ctx.v() <= 1 {
            ctx.unknown_data(&a[o..], "\n\t      ", l);
        }
        o += l;
        left -= l;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::decode::PrintOptions;
    use crate::decode::tests::{cut, hex, line};
    use crate::linktype::LinkType;

    fn v(n: u8) -> PrintOptions {
        PrintOptions {
            verbose: n,
            ..Default::default()
        }
    }

    #[test]
    fn open_keepalive() {
        let d = hex(
            "02000000000202000000000108004500007e00014000400626770a0000010a0000029c4000b30000000100000001501803e8a5540000ffffffffffffffffffffffffffffffff00430104fde800b40102030426020601040001000102020200020641040000fde8020840068078000101800206450400020103ffffffffffffffffffffffffffffffff001304",
        );
        assert_eq!(
            line(&v(0), LinkType::En10mb, &d),
            "IP 10.0.0.1.40000 > 10.0.0.2.179: Flags [P.], seq 1:87, ack 1, win 1000, length 86: BGP\n"
        );
        assert_eq!(
            line(&v(2), LinkType::En10mb, &d),
            "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 126)\n    10.0.0.1.40000 > 10.0.0.2.179: Flags [P.], cksum 0xa554 (correct), seq 1:87, ack 1, win 1000, length 86: BGP\n\tOpen Message (1), length: 67\n\t  Version 4, my AS 65000, Holdtime 180s, ID 1.2.3.4\n\t  Optional parameters, length: 38\n\t    Option Capabilities Advertisement (2), length: 6\n\t      Multiprotocol Extensions (1), length: 4\n\t\tAFI IPv4 (1), SAFI Unicast (1)\n\t\t0x0000:  0001 0001\n\t    Option Capabilities Advertisement (2), length: 2\n\t      Route Refresh (2), length: 0\n\t    Option Capabilities Advertisement (2), length: 6\n\t      32-Bit AS Number (65), length: 4\n\t\t 4 Byte AS 65000\n\t\t0x0000:  0000 fde8\n\t    Option Capabilities Advertisement (2), length: 8\n\t      Graceful Restart (64), length: 6\n\t\tRestart Flags: [R], Restart Time 120s\n\t\t  AFI IPv4 (1), SAFI Unicast (1), Forwarding state preserved: yes\n\t\t0x0000:  8078 0001 0180\n\t    Option Capabilities Advertisement (2), length: 6\n\t      Multiple Paths (69), length: 4\n\t\tAFI IPv6 (2), SAFI Unicast (1), Send/Receive: Both\n\t\t0x0000:  0002 0103\n\tKeepalive Message (4), length: 19\n"
        );
    }
    #[test]
    fn update() {
        let d = hex(
            "02000000000202000000000108004500008f00014000400626660a0000010a0000029c4000b30000000100000001501803e8f5e50000ffffffffffffffffffffffffffffffff00670200000047400101004002060201000100004003040a00000180040400000005c00808fde80064ffffff01800e1e00020110fd0000000000000000000000000000010040fd00000000000001180a0102200a090909",
        );
        assert_eq!(
            line(&v(0), LinkType::En10mb, &d),
            "IP 10.0.0.1.40000 > 10.0.0.2.179: Flags [P.], seq 1:104, ack 1, win 1000, length 103: BGP\n"
        );
        assert_eq!(
            line(&v(1), LinkType::En10mb, &d),
            "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 143)\n    10.0.0.1.40000 > 10.0.0.2.179: Flags [P.], cksum 0xf5e5 (correct), seq 1:104, ack 1, win 1000, length 103: BGP\n\tUpdate Message (2), length: 103\n\t  Origin (1), length: 1, Flags [T]: IGP\n\t  AS Path (2), length: 6, Flags [T]: 65536 \n\t  Next Hop (3), length: 4, Flags [T]: 10.0.0.1\n\t  Multi Exit Discriminator (4), length: 4, Flags [O]: 5\n\t  Community (8), length: 8, Flags [OT]: 65000:100,  NO_EXPORT\n\t  Multi-Protocol Reach NLRI (14), length: 30, Flags [O]: \n\t    AFI: IPv6 (2), SAFI: Unicast (1)\n\t    nexthop: fd00::1, nh-length: 16, no SNPA\n\t      fd00:0:0:1::/64\n\t  Updated routes:\n\t    10.1.2.0/24\n\t    10.9.9.9/32\n"
        );
        // Cut inside the message: its name, as tcpdump says it.
        assert_eq!(
            cut(&v(1), LinkType::En10mb, &d, 94),
            "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 143)\n    10.0.0.1.40000 > 10.0.0.2.179: Flags [P.], seq 1:104, ack 1, win 1000, length 103: BGP\n[|BGP Update]\n"
        );
    }
    #[test]
    fn withdraw_notify() {
        let d = hex(
            "02000000000202000000000108004500006100014000400626940a0000010a0000029c4000b30000000100000001501803e8460e0000ffffffffffffffffffffffffffffffff001b02000418c0a8070000ffffffffffffffffffffffffffffffff001e0306020873687574646f776e",
        );
        assert_eq!(
            line(&v(0), LinkType::En10mb, &d),
            "IP 10.0.0.1.40000 > 10.0.0.2.179: Flags [P.], seq 1:58, ack 1, win 1000, length 57: BGP\n"
        );
        assert_eq!(
            line(&v(1), LinkType::En10mb, &d),
            "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 97)\n    10.0.0.1.40000 > 10.0.0.2.179: Flags [P.], cksum 0x460e (correct), seq 1:58, ack 1, win 1000, length 57: BGP\n\tUpdate Message (2), length: 27\n\t  Withdrawn routes:\n\t    192.168.7.0/24\n\t  End-of-Rib Marker (empty NLRI)\n\tNotification Message (3), length: 30, Cease (6), subcode Administrative Shutdown (2), Shutdown Communication (length: 8): \"shutdown\"\n"
        );
    }
    #[test]
    fn rr() {
        let d = hex(
            "02000000000202000000000108004500003f00014000400626b60a0000010a0000029c4000b30000000100000001501803e8f3be0000ffffffffffffffffffffffffffffffff00170500010001",
        );
        assert_eq!(
            line(&v(0), LinkType::En10mb, &d),
            "IP 10.0.0.1.40000 > 10.0.0.2.179: Flags [P.], seq 1:24, ack 1, win 1000, length 23: BGP\n"
        );
        assert_eq!(
            line(&v(2), LinkType::En10mb, &d),
            "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 63)\n    10.0.0.1.40000 > 10.0.0.2.179: Flags [P.], cksum 0xf3be (correct), seq 1:24, ack 1, win 1000, length 23: BGP\n\tRoute Refresh Message (5), length: 23\n\t  AFI IPv4 (1), SAFI Unicast (1)\n\t  0x0000:  ffff ffff ffff ffff ffff ffff ffff ffff\n\t  0x0010:  0017 0500 0100 01\n"
        );
    }
}
