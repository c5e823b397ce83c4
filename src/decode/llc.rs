//! 802.2 LLC and SNAP (print-llc.c): what follows an 802.3 length field or
//! a cooked 802.2 header. Spanning tree (SAP 0x42), Cisco's SNAP
//! protocols (CDP, PVST+), IP over LLC and ethertypes in SNAP are
//! decoded; other SAPs print tcpdump's generic LLC line and a hex dump,
//! never a guess.

use super::tok::Tok;
use super::{Ctx, R, cdp, dump, ip, link, names, put, stp, w};
use crate::wire::EtherType;
use crate::wire::bytes::{be16, be24, from, le16, u8_at};

const SNAP: u8 = 0xaa;
const STP: u8 = 0x42;
const IP: u8 = 0x06;
const UI: u16 = 0x03;

const SAPS: Tok = &[
    (0x00, "Null"),
    (0xff, "Global"),
    (0x02, "802.1B I"),
    (0x03, "802.1B G"),
    (0x06, "IP"),
    (0x04, "SNA"),
    (0x0e, "ProWay NM"),
    (0x42, "STP"),
    (0x4e, "RS511"),
    (0x7e, "ISO8208"),
    (0x8e, "ProWay"),
    (0xaa, "SNAP"),
    (0xe0, "IPX"),
    (0xf0, "NetBeui"),
    (0xfe, "OSI"),
];

const CMDS: Tok = &[
    (0x03, "ui"),
    (0xe3, "test"),
    (0xaf, "xid"),
    (0x63, "ua"),
    (0x43, "disc"),
    (0x0f, "dm"),
    (0x6f, "sabme"),
    (0x87, "frmr"),
];

const FLAGS: Tok = &[
    (0, "Command"),
    (1, "Response"),
    (0x10, "Poll"),
    (0x11, "Final"),
    (0x100, "Poll"),
    (0x101, "Final"),
];

const SUPERVISORY: Tok = &[
    (0, "Receiver Ready"),
    (1, "Receiver not Ready"),
    (2, "Reject"),
];

/// tcpdump's `oui_values`, shared with LLDP's organisation TLVs.
pub(crate) const OUI: Tok = &[
    (0x000000, "Ethernet"),
    (0x00000c, "Cisco"),
    (0x00005e, "IANA"),
    (0x000081, "Nortel Networks SONMP"),
    (0x0000f8, "Cisco bridged"),
    (0x0080c2, "Ethernet bridged"),
    (0x00a03e, "ATM Forum"),
    (0x00e02f, "DOCSIS Spanning Tree"),
    (0x080007, "Appletalk"),
    (0x009069, "Juniper"),
    (0x080009, "Hewlett-Packard"),
    (0x0080c2, "IEEE 802.1 Private"),
    (0x00120f, "IEEE 802.3 Private"),
    (0x0012bb, "ANSI/TIA"),
    (0x001b21, "DCBX"),
    (0x002320, "Nicira Networks"),
    (0x5c16c7, "Big Switch Networks"),
    (0xb0d2f5, "Vello Systems"),
    (0x002481, "HP"),
    (0x0004ea, "HP-Labs"),
    (0x748771, "Infoblox Inc"),
    (0xa42305, "Open Networking Lab"),
    (0x00049f, "Freescale"),
    (0x0015ad, "Netronome"),
    (0x001018, "Broadcom"),
    (0x00e004, "PMC-Sierra"),
    (0xd0f0db, "Ericsson"),
];

const CISCO: Tok = &[
    (0x2000, "CDP"),
    (0x2003, "VTP"),
    (0x2004, "DTP"),
    (0x0111, "UDLD"),
    (0x010b, "PVST"),
    (0x010c, "VLAN Bridge"),
];

const BRIDGED: Tok = &[
    (0x0001, "Ethernet + FCS"),
    (0x0007, "Ethernet w/o FCS"),
    (0x0002, "802.4 + FCS"),
    (0x0008, "802.4 w/o FCS"),
    (0x0003, "Token Ring + FCS"),
    (0x0009, "Token Ring w/o FCS"),
    (0x0004, "FDDI + FCS"),
    (0x000a, "FDDI w/o FCS"),
    (0x0005, "802.6 + FCS"),
    (0x000b, "802.6 w/o FCS"),
    (0x000e, "BPDU"),
];

/// The MAC addresses the frame came with (Ethernet has them, a cooked
/// header does not), printed when `-e` did not already.
pub(crate) type Macs<'a> = Option<(&'a [u8], &'a [u8])>;

/// What [`print`] did: the LLC (and SNAP) header's length, and whether
/// the caller still has to dump the payload (tcpdump's negative return).
pub(crate) struct Llc {
    pub hdrlen: usize,
    pub unknown: bool,
}

fn done(hdrlen: usize) -> R<Llc> {
    Ok(Llc {
        hdrlen,
        unknown: false,
    })
}

fn pid_name(ctx: &mut Ctx<'_>, oui: u32, et: u16) {
    match oui {
        0x000000 | 0x0000f8 | 0x080007 => {
            ctx.put(names::ethertype(EtherType::from(et)).unwrap_or("Unknown"))
        }
        0x00000c => ctx.tok(CISCO, u32::from(et), "Unknown"),
        0x0080c2 => ctx.tok(BRIDGED, u32::from(et), "Unknown"),
        _ => ctx.put("Unknown"),
    }
}

fn macs(ctx: &mut Ctx<'_>, m: Macs<'_>) {
    if let Some((src, dst)) = m {
        put::mac(ctx.s, src);
        ctx.put(" > ");
        put::mac(ctx.s, dst);
        ctx.put(" ");
    }
}

/// `p` is what was captured of the LLC frame (already cut to the 802.3
/// length), `length` its length on the wire.
pub(crate) fn print(ctx: &mut Ctx<'_>, p: &[u8], length: usize, m: Macs<'_>) -> R<Llc> {
    ctx.proto = "llc";
    let caplen = p.len();
    let short = |ctx: &mut Ctx<'_>, n: usize| {
        ctx.trunc_mark();
        dump::hex_ascii(ctx.s, p);
        done(n)
    };
    if caplen < 3 {
        return short(ctx, caplen);
    }
    if length < 3 {
        return short(ctx, length);
    }
    let dsap_field = u8_at(p, 0)?;
    let ssap_field = u8_at(p, 1)?;
    let mut control = u16::from(u8_at(p, 2)?);
    let is_u = control & 3 == 3;
    let hdrlen = if is_u {
        3
    } else {
        if caplen < 4 {
            return short(ctx, caplen);
        }
        if length < 4 {
            return short(ctx, length);
        }
        control = le16(p, 2)?;
        4
    };
    let dsap = dsap_field & !1;
    let ssap = ssap_field & !1;
    if ctx.o.link_header {
        ctx.put("LLC, dsap ");
        ctx.tok(SAPS, u32::from(dsap), "Unknown");
        w!(
            ctx,
            " (0x{dsap:02x}) {}, ssap ",
            if dsap_field & 1 != 0 {
                "Group"
            } else {
                "Individual"
            }
        );
        ctx.tok(SAPS, u32::from(ssap), "Unknown");
        w!(
            ctx,
            " (0x{ssap:02x}) {}",
            if ssap_field & 1 != 0 {
                "Response"
            } else {
                "Command"
            }
        );
        if is_u {
            w!(ctx, ", ctrl 0x{control:02x}: ");
        } else {
            w!(ctx, ", ctrl 0x{control:04x}: ");
        }
    }
    let body = from(p, hdrlen);
    let blen = length - hdrlen;
    if ssap == SNAP && dsap == SNAP && control == UI {
        let known = snap(ctx, body, blen, m)?;
        return Ok(Llc {
            hdrlen: hdrlen + 5,
            unknown: !known,
        });
    }
    if ssap == STP && dsap == STP && control == UI {
        stp::print(ctx, body, blen)?;
        return done(hdrlen);
    }
    if ssap == IP && dsap == IP && control == UI {
        ip::print(ctx, body, blen)?;
        return done(hdrlen);
    }
    // IPX, NetBEUI and OSI (IS-IS) over LLC are not decoded: tcpdump's
    // line for a SAP it does not know, then the dump.
    if !ctx.o.link_header {
        if ssap == dsap {
            macs(ctx, m);
            ctx.tok(SAPS, u32::from(dsap), "Unknown DSAP 0x%02x");
            ctx.put(" ");
        } else {
            if let Some((src, _)) = m {
                put::mac(ctx.s, src);
                ctx.put(" ");
            }
            ctx.tok(SAPS, u32::from(ssap), "Unknown SSAP 0x%02x");
            ctx.put(" > ");
            if let Some((_, dst)) = m {
                put::mac(ctx.s, dst);
                ctx.put(" ");
            }
            ctx.tok(SAPS, u32::from(dsap), "Unknown DSAP 0x%02x");
            ctx.put(" ");
        }
    }
    let gsap = u32::from(ssap_field & 1);
    if is_u {
        ctx.put("Unnumbered, ");
        ctx.tok(CMDS, u32::from(control & 0xef), "%02x");
        ctx.put(", Flags [");
        ctx.tok(FLAGS, gsap | u32::from(control & 0x10), "?");
        w!(ctx, "], length {length}");
        if control & !0x10 == 0xaf {
            if blen == 0 {
                return done(hdrlen);
            }
            if body.is_empty() {
                ctx.trunc_mark();
                return done(hdrlen);
            }
            if u8_at(body, 0)? == 0x81 {
                if body.len() < 3 || blen < 3 {
                    ctx.trunc_mark();
                    dump::hex_ascii(ctx.s, body);
                } else {
                    w!(ctx, ": {:02x} {:02x}", u8_at(body, 1)?, u8_at(body, 2)?);
                }
                return done(hdrlen);
            }
        }
    } else if control & 1 == 1 {
        ctx.put("Supervisory, ");
        ctx.tok(SUPERVISORY, u32::from((control >> 2) & 3), "?");
        w!(ctx, ", rcv seq {}, Flags [", (control >> 9) & 0x7f);
        ctx.tok(FLAGS, gsap | u32::from(control & 0x100), "?");
        w!(ctx, "], length {length}");
        return done(hdrlen);
    } else {
        w!(
            ctx,
            "Information, send seq {}, rcv seq {}, Flags [",
            (control >> 1) & 0x7f,
            (control >> 9) & 0x7f
        );
        ctx.tok(FLAGS, gsap | u32::from(control & 0x100), "?");
        w!(ctx, "], length {length}");
    }
    Ok(Llc {
        hdrlen,
        unknown: true,
    })
}

/// The SNAP header and its payload; false if tcpdump would dump it raw.
fn snap(ctx: &mut Ctx<'_>, p: &[u8], length: usize, m: Macs<'_>) -> R<bool> {
    ctx.proto = "snap";
    if p.len() < 5 || length < 5 {
        ctx.trunc_mark();
        return Ok(true);
    }
    let oui = be24(p, 0)?;
    let et = be16(p, 3)?;
    if ctx.o.link_header {
        ctx.put("oui ");
        ctx.tok(OUI, oui, "Unknown");
        w!(
            ctx,
            " (0x{oui:06x}), {} ",
            if oui == 0 { "ethertype" } else { "pid" }
        );
        pid_name(ctx, oui, et);
        w!(ctx, " (0x{et:04x}), length {}: ", length - 5);
    }
    let body = from(p, 5);
    let blen = length - 5;
    match (oui, et) {
        (0x000000 | 0x0000f8, _) | (0x080007, 0x809b)
            if link::ethertype_print(ctx, et, body, blen)? =>
        {
            return Ok(true);
        }
        (0x00000c, 0x2000) => {
            cdp::print(ctx, body, blen)?;
            return Ok(true);
        }
        (0x00000c, 0x010b | 0x010c) | (0x0080c2, 0x000e) => {
            stp::print(ctx, body, blen)?;
            return Ok(true);
        }
        _ => {}
    }
    if !ctx.o.link_header {
        macs(ctx, m);
        if oui == 0 {
            ctx.put("SNAP, ethertype ");
            ctx.put(names::ethertype(EtherType::from(et)).unwrap_or("Unknown"));
            w!(ctx, " (0x{et:04x}), length {blen}: ");
        } else {
            ctx.put("SNAP, oui ");
            ctx.tok(OUI, oui, "Unknown");
            w!(ctx, " (0x{oui:06x}), pid ");
            pid_name(ctx, oui, et);
            w!(ctx, " (0x{et:04x}), length {blen}: ");
        }
    }
    Ok(false)
}
