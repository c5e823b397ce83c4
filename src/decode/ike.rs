//! IKE/ISAKMP (print-isakmp.c), UDP 500 and behind the NAT-T marker on
//! 4500: the header line (`isakmp: phase 1 I ident`, `isakmp: parent_sa
//! ikev2_init[I]`) and with `-v` the version, message id and the list of
//! payloads. IKEv1 says which side sent a packet by the initiator cookie
//! it first saw with no responder cookie, as tcpdump does, so that state
//! lives in [`Cookies`].
//!
//! Payloads tcpdump takes apart field by field (SA proposals and
//! transforms, identities, notifications other than their type, deletes)
//! are printed as their name and length: true, but not yet tcpdump's
//! line.

use super::fields::{Tok, hex, name};
use super::ip::Net;
use super::{Ctx, R, w};
use crate::wire::bytes::{be16, be32, slice, u8_at};
use std::net::IpAddr;

const HDR: usize = 28;
const SLOTS: usize = 20;

/// An initiator cookie and the (initiator, responder) addresses.
type Slot = ([u8; 8], Option<(IpAddr, IpAddr)>);

/// tcpdump's cookie cache: the last 20 IKEv1 initiator cookies with the
/// addresses of the packet that introduced them. Empty slots hold a zero
/// cookie that matches a zero cookie, as tcpdump's zeroed array does.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cookies {
    slots: [Slot; SLOTS],
    next: usize,
}

impl Cookies {
    fn find(&self, c: &[u8]) -> Option<usize> {
        self.slots.iter().position(|s| s.0 == c)
    }

    fn record(&mut self, c: &[u8], addrs: Option<(IpAddr, IpAddr)>) {
        if let Some(i) = self.find(c) {
            self.next = (i + 1) % SLOTS;
            return;
        }
        let Some(a) = addrs else { return };
        let mut k = [0; 8];
        k.copy_from_slice(c);
        self.slots[self.next] = (k, Some(a));
        self.next = (self.next + 1) % SLOTS;
    }
}

fn addrs(net: Option<Net<'_>>) -> Option<(IpAddr, IpAddr)> {
    match net? {
        Net::V4(h) => Some((h.src_addr().into(), h.dst_addr().into())),
        Net::V6(h) => Some((h.src_addr().into(), h.dst_addr().into())),
    }
}

/// Exchange types (etypestr), IKEv1 then IKEv2.
const ETYPE: Tok = &[
    (0, "none"),
    (1, "base"),
    (2, "ident"),
    (3, "auth"),
    (4, "agg"),
    (5, "inf"),
    (32, "oakley-quick"),
    (33, "oakley-newgroup"),
    (34, "ikev2_init"),
    (35, "ikev2_auth"),
    (36, "child_sa"),
    (37, "inf2"),
];

/// Payload types (npstr); 14-32 print as `payN`.
const NP: Tok = &[
    (0, "none"),
    (1, "sa"),
    (2, "p"),
    (3, "t"),
    (4, "ke"),
    (5, "id"),
    (6, "cert"),
    (7, "cr"),
    (8, "hash"),
    (9, "sig"),
    (10, "nonce"),
    (11, "n"),
    (12, "d"),
    (13, "vid"),
    (33, "v2sa"),
    (34, "v2ke"),
    (35, "v2IDi"),
    (36, "v2IDr"),
    (37, "v2cert"),
    (38, "v2cr"),
    (39, "v2auth"),
    (40, "v2nonce"),
    (41, "v2n"),
    (42, "v2d"),
    (43, "v2vid"),
    (44, "v2TSi"),
    (45, "v2TSr"),
    (46, "v2e"),
    (47, "v2cp"),
    (48, "v2eap"),
];

const DH: Tok = &[
    (1, "modp768"),
    (2, "modp1024"),
    (5, "modp1536"),
    (14, "modp2048"),
    (15, "modp3072"),
    (16, "modp4096"),
    (17, "modp6144"),
    (18, "modp8192"),
];

const PROTO: Tok = &[
    (1, "isakmp"),
    (2, "ipsec-ah"),
    (3, "ipsec-esp"),
    (4, "ipcomp"),
];

/// IKEv2 status notifications tcpdump names (16384 and up); of these it
/// shows the data of the cookie only.
const NOTIFY2: Tok = &[
    (16384, "initial_contact"),
    (16385, "set_window_size"),
    (16386, "additional_ts_possible"),
    (16387, "ipcomp_supported"),
    (16388, "nat_detection_source_ip"),
    (16389, "nat_detection_destination_ip"),
    (16390, "cookie"),
    (16391, "use_transport_mode"),
    (16392, "http_cert_lookup_supported"),
    (16393, "rekey_sa"),
    (16394, "esp_tfc_padding_not_supported"),
    (16395, "non_first_fragment_also"),
];

/// `STR_OR_ID`: the name, or `#N`.
fn str_or_id(ctx: &mut Ctx<'_>, t: Tok, v: u32) {
    match name(t, v) {
        Some(n) => ctx.put(n),
        None => w!(ctx, "#{v}"),
    }
}

fn np_name(ctx: &mut Ctx<'_>, np: u8) {
    if (14..=32).contains(&np) {
        w!(ctx, "pay{np}");
    } else {
        str_or_id(ctx, NP, u32::from(np));
    }
}

/// isakmp_print. `net` is the IP header the message came in (for the
/// IKEv1 cookie sides), absent when tcpdump would pass none.
pub(crate) fn print(ctx: &mut Ctx<'_>, bp: &[u8], length: usize, net: Option<Net<'_>>) -> R {
    ctx.proto = "isakmp";
    if bp.len() < HDR {
        return ctx.local_trunc();
    }
    ctx.put("isakmp");
    let vers = u8_at(bp, 17)?;
    let (major, minor) = (vers >> 4, vers & 0xf);
    if ctx.v() > 0 {
        w!(ctx, " {major}.{minor} msgid ");
        hex(ctx, &bp[20..24]);
    }
    if ctx.v() > 1 {
        ctx.put(" cookie ");
        hex(ctx, &bp[0..8]);
        ctx.put("->");
        hex(ctx, &bp[8..16]);
    }
    ctx.put(":");
    let v2 = match major {
        1 => false,
        2 => true,
        _ => return Ok(()),
    };
    let phase1 = be32(bp, 20)? == 0;
    let flags = u8_at(bp, 19)?;
    if v2 {
        ctx.put(if phase1 { " parent_sa" } else { " child_sa " });
    } else {
        ctx.put(if phase1 {
            " phase 1"
        } else {
            " phase 2/others"
        });
        side(ctx, bp, net);
    }
    ctx.put(" ");
    str_or_id(ctx, ETYPE, u32::from(u8_at(bp, 18)?));
    if flags != 0 {
        ctx.put("[");
        let marks: &[(u8, &str)] = if v2 {
            &[(0x08, "I"), (0x10, "V"), (0x20, "R")]
        } else {
            &[(0x01, "E"), (0x02, "C")]
        };
        for &(b, m) in marks {
            if flags & b != 0 {
                ctx.put(m);
            }
        }
        ctx.put("]");
    }
    if ctx.v() == 0 {
        return Ok(());
    }
    ctx.put(":");
    let np = u8_at(bp, 16)?;
    if !v2 && flags & 0x01 != 0 {
        ctx.put(" [encrypted ");
        np_name(ctx, np);
        ctx.put("]");
    } else {
        payloads(ctx, bp, np, v2)?;
    }
    let hl = be32(bp, 24)?;
    if hl as usize != length {
        w!(ctx, " (len mismatch: isakmp {hl}/ip {length})");
    }
    Ok(())
}

/// ` I`, ` R` or ` ?`: who sent an IKEv1 packet, from the cookie cache.
fn side(ctx: &mut Ctx<'_>, bp: &[u8], net: Option<Net<'_>>) {
    let (ick, rck) = (&bp[0..8], &bp[8..16]);
    let a = addrs(net);
    let mark = match ctx.ike.find(ick) {
        None if rck.iter().all(|&b| b == 0) => {
            ctx.ike.record(ick, a);
            " I"
        }
        None => " ?",
        Some(i) => match (ctx.ike.slots[i].1, a) {
            (Some((ia, _)), Some((src, _))) if ia == src => " I",
            (Some((_, ra)), Some((src, _))) if ra == src => " R",
            _ => " ?",
        },
    };
    ctx.put(mark);
}

/// ikev1_sub_print / ikev2_sub_print at depth 0: one `\n    (...)` per
/// payload, following the next-payload chain.
fn payloads(ctx: &mut Ctx<'_>, bp: &[u8], mut np: u8, v2: bool) -> R {
    let mut at = HDR;
    while np != 0 {
        let Ok(g) = slice(bp, at, 4) else {
            ctx.put(" [|");
            np_name(ctx, np);
            ctx.put("]");
            return Ok(());
        };
        let len = usize::from(be16(g, 2)?);
        if !v2 && slice(bp, at, len).is_err() {
            ctx.put(" [|");
            np_name(ctx, np);
            ctx.put("]");
            return Ok(());
        }
        ctx.put("\n    (");
        if len <= 4 {
            ctx.put(")");
            return Ok(());
        }
        payload(ctx, bp, at, len, np, g[1])?;
        ctx.put(")");
        np = g[0];
        at += len;
    }
    Ok(())
}

fn payload(ctx: &mut Ctx<'_>, bp: &[u8], at: usize, len: usize, np: u8, crit: u8) -> R {
    let body = len - 4;
    if np >= 33 {
        // IKEv2 names its SA, nonce and notify payloads as IKEv1 does.
        match np {
            33 => ctx.put("sa"),
            40 => ctx.put("nonce"),
            41 => ctx.put("n"),
            _ => np_name(ctx, np),
        }
        if crit & 0x80 != 0 {
            ctx.put("[C]");
        }
        ctx.put(":");
    }
    match np {
        4 => w!(ctx, "ke: key len={body}"),
        10 => {
            w!(ctx, "nonce: n len={body}");
            if ctx.v() > 1 {
                raw_or_some(ctx, bp, at + 4, body)?;
            }
        }
        6 | 7 => {
            np_name(ctx, np);
            w!(ctx, ": len={body} type=");
            let t = u32::from(u8_at(bp, at + 4)?);
            str_or_id(ctx, CERT, t);
        }
        8 | 9 | 13 => {
            np_name(ctx, np);
            w!(ctx, ": len={body}");
        }
        34 => {
            let g = be16(bp, at + 4)?;
            w!(ctx, " len={} group=", len.saturating_sub(8));
            str_or_id(ctx, DH, u32::from(g));
        }
        40 => {
            w!(ctx, " len={body}");
            if ctx.v() > 1 {
                ctx.put(" nonce=(");
                hex(ctx, slice(bp, at + 4, body)?);
                ctx.put(") ");
            } else {
                some_data(ctx, bp, at + 4)?;
            }
        }
        41 => notify2(ctx, bp, at, len)?,
        1..=3 | 5 | 11 | 12 => {
            np_name(ctx, np);
            w!(ctx, ": len={body}");
        }
        n if n >= 33 => w!(ctx, " len={body}"),
        _ => np_name(ctx, np),
    }
    Ok(())
}

const CERT: Tok = &[
    (0, "none"),
    (1, "pkcs7"),
    (2, "pgp"),
    (3, "dns"),
    (4, "x509sign"),
    (5, "x509ke"),
    (6, "kerberos"),
    (7, "crl"),
    (8, "arl"),
    (9, "spki"),
    (10, "x509attr"),
];

fn raw_or_some(ctx: &mut Ctx<'_>, bp: &[u8], at: usize, n: usize) -> R {
    if ctx.v() > 2 {
        ctx.put(" ");
        hex(ctx, slice(bp, at, n)?);
        Ok(())
    } else {
        ctx.put(" ");
        some_data(ctx, bp, at)
    }
}

/// ike_show_somedata: the first ten bytes from `at` and the last twenty
/// of the capture (not of the payload), as tcpdump shows them.
fn some_data(ctx: &mut Ctx<'_>, bp: &[u8], at: usize) -> R {
    let avail = bp.len().saturating_sub(at);
    let len = avail.min(10);
    let (mut end, mut elen) = (bp.len().saturating_sub(20), 20);
    if end < at + len {
        end = at + len;
        elen = bp.len().saturating_sub(end);
    }
    ctx.put(" data=(");
    hex(ctx, slice(bp, at, len)?);
    ctx.put("...");
    hex(ctx, slice(bp, end, elen)?);
    ctx.put(")");
    Ok(())
}

/// ikev2_n_print: protocol and type; the data of the types tcpdump shows.
fn notify2(ctx: &mut Ctx<'_>, bp: &[u8], at: usize, len: usize) -> R {
    ctx.put(" prot_id=");
    str_or_id(ctx, PROTO, u32::from(u8_at(bp, at + 4)?));
    let spi = usize::from(u8_at(bp, at + 5)?);
    let t = be16(bp, at + 6)?;
    match name(NOTIFY2, u32::from(t)) {
        Some(n) => w!(ctx, " type={t}({n})"),
        None => w!(ctx, " type={t}"),
    }
    let cp = at + 8 + spi;
    let _ = len;
    if cp < bp.len() {
        let show = t == 16390;
        if ctx.v() > 3 || (show && bp.len() - cp < 30) {
            ctx.put(" data=(");
            hex(ctx, &bp[cp..]);
            ctx.put(")");
        } else if show {
            some_data(ctx, bp, cp)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fields::udp4_line;

    fn msg(np: u8, vers: u8, etype: u8, flags: u8, body: &[u8]) -> Vec<u8> {
        let mut m = vec![1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(&[np, vers, etype, flags, 0, 0, 0, 0]);
        m.extend_from_slice(&u32::try_from(28 + body.len()).unwrap().to_be_bytes());
        m.extend_from_slice(body);
        m
    }

    /// Expected lines from Debian's tcpdump 4.99 on the same bytes.
    #[test]
    fn v1_main_mode_and_v2_init() {
        let mut vid = vec![0, 0, 0, 20];
        vid.extend_from_slice(&[0xaa; 16]);
        let v1 = msg(13, 0x10, 2, 0, &vid);
        assert_eq!(
            udp4_line(0, 500, 500, &v1),
            "IP 10.0.0.1.500 > 10.0.0.2.500: isakmp: phase 1 I ident\n"
        );
        assert_eq!(
            udp4_line(2, 500, 500, &v1),
            "10.0.0.1.500 > 10.0.0.2.500: [no cksum] isakmp 1.0 msgid 00000000 cookie \
             0102030405060708->0000000000000000: phase 1 I ident:\n    (vid: len=16)\n"
        );
        let v2 = msg(34, 0x20, 34, 0x08, &[0, 0, 0, 8, 0, 14, 0x11, 0x22]);
        assert_eq!(
            udp4_line(0, 500, 500, &v2),
            "IP 10.0.0.1.500 > 10.0.0.2.500: isakmp: parent_sa ikev2_init[I]\n"
        );
        assert_eq!(
            udp4_line(1, 500, 500, &v2),
            "10.0.0.1.500 > 10.0.0.2.500: isakmp 2.0 msgid 00000000: parent_sa ikev2_init[I]:\n    \
             (v2ke: len=0 group=modp2048)\n"
        );
        // Behind the NAT-T zero marker on 4500.
        let mut natt = vec![0; 4];
        natt.extend_from_slice(&v2);
        assert_eq!(
            udp4_line(0, 4500, 4500, &natt),
            "IP 10.0.0.1.4500 > 10.0.0.2.4500: NONESP-encap: isakmp: parent_sa ikev2_init[I]\n"
        );
    }
}
