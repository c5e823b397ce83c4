//! Slow protocols (print-slow.c), EtherType 0x8809: LACP and the marker
//! protocol of bonded node uplinks, and 802.3ah link OAM.

use super::tok::Tok;
use super::{Ctx, R, llc, put, w};
use crate::wire::bytes::{be16, be24, be32, be64, slice, u8_at};

const LACP: u8 = 1;
const MARKER: u8 = 2;
const OAM: u8 = 3;

const PROTO: Tok = &[(1, "LACP"), (2, "MARKER"), (3, "OAM")];

/// Keyed by (subtype << 8) + TLV type, as tcpdump's slow_tlv_values.
const TLVS: Tok = &[
    (0x100, "Terminator"),
    (0x101, "Actor Information"),
    (0x102, "Partner Information"),
    (0x103, "Collector Information"),
    (0x200, "Terminator"),
    (0x201, "Marker Information"),
];

const STATE: Tok = &[
    (0x01, "Activity"),
    (0x02, "Timeout"),
    (0x04, "Aggregation"),
    (0x08, "Synchronization"),
    (0x10, "Collecting"),
    (0x20, "Distributing"),
    (0x40, "Default"),
    (0x80, "Expired"),
];

const OAM_FLAGS: Tok = &[
    (0x0001, "Link Fault"),
    (0x0002, "Dying Gasp"),
    (0x0004, "Critical Event"),
    (0x0008, "Local Evaluating"),
    (0x0010, "Local Stable"),
    (0x0020, "Remote Evaluating"),
    (0x0040, "Remote Stable"),
];

const OAM_CODE: Tok = &[
    (0x00, "Information"),
    (0x01, "Event Notification"),
    (0x02, "Variable Request"),
    (0x03, "Variable Response"),
    (0x04, "Loopback Control"),
    (0xfe, "Vendor Private"),
];

const INFO_TYPE: Tok = &[
    (0x00, "End of TLV marker"),
    (0x01, "Local"),
    (0x02, "Remote"),
    (0xfe, "Organization specific"),
];

const PARSER: Tok = &[
    (0, "forwarding"),
    (1, "looping back"),
    (2, "discarding"),
    (3, "reserved"),
];

const MUX: Tok = &[(0, "forwarding"), (4, "discarding")];

const OAM_CONFIG: Tok = &[
    (0x01, "Active"),
    (0x02, "Unidirectional"),
    (0x04, "Remote-Loopback"),
    (0x08, "Link-Events"),
    (0x10, "Variable-Retrieval"),
];

const LINK_EVENT: Tok = &[
    (0x00, "End of TLV marker"),
    (0x01, "Errored Symbol Period Event"),
    (0x02, "Errored Frame Event"),
    (0x03, "Errored Frame Period Event"),
    (0x04, "Errored Frame Seconds Summary Event"),
    (0xfe, "Organization specific"),
];

const LOOPBACK_CMD: Tok = &[
    (0x01, "Enable OAM Remote Loopback"),
    (0x02, "Disable OAM Remote Loopback"),
];

fn too_short(ctx: &mut Ctx<'_>) -> R {
    ctx.put("\n\t\t packet is too short");
    Ok(())
}

pub(crate) fn print(ctx: &mut Ctx<'_>, p: &[u8], len: usize) -> R {
    ctx.proto = "slow";
    let short = |ctx: &mut Ctx<'_>| {
        ctx.put(if ctx.v() == 0 {
            " (packet is too short)"
        } else {
            "\n\t\t packet is too short"
        });
        Ok(())
    };
    if len < 1 {
        return short(ctx);
    }
    let sub = u8_at(p, 0)?;
    if sub == LACP || sub == MARKER {
        if len < 2 {
            return short(ctx);
        }
        let ver = u8_at(p, 1)?;
        if ver != 1 {
            ctx.put(if sub == LACP { "LACP" } else { "MARKER" });
            w!(ctx, " version {ver} packet not supported");
            return Ok(());
        }
        ctx.tok(PROTO, u32::from(sub), "unknown (%u)");
        w!(ctx, "v{ver}, length {len}");
    } else {
        ctx.tok(PROTO, u32::from(sub), "unknown (%u)");
        w!(ctx, ", length {len}");
        if sub != OAM {
            ctx.unknown_data(p, "\n\t", len);
            return Ok(());
        }
    }
    if ctx.v() == 0 {
        return Ok(());
    }
    if sub == OAM {
        oam(ctx, &p[1..], len - 1)
    } else {
        lacp(ctx, p.get(2..).unwrap_or(&[]), len - 2, sub)
    }
}

fn lacp(ctx: &mut Ctx<'_>, p: &[u8], mut tlen: usize, sub: u8) -> R {
    let mut at = 0;
    while tlen > 0 {
        if tlen < 2 {
            return too_short(ctx);
        }
        let ty = u8_at(p, at)?;
        let tl = usize::from(u8_at(p, at + 1)?);
        let key = (u32::from(sub) << 8) + u32::from(ty);
        ctx.put("\n\t");
        ctx.tok(TLVS, key, "Unknown");
        w!(ctx, " TLV (0x{ty:02x}), length {tl}");
        if ty == 0 {
            return Ok(());
        }
        if tl < 2 {
            ctx.put("\n\t    ERROR: illegal length - should be >= 2");
            return Ok(());
        }
        if tlen < tl {
            return too_short(ctx);
        }
        slice(p, at, tl)?;
        let v = at + 2;
        let vl = tl - 2;
        let want = match key {
            0x101 | 0x102 => 18,
            0x103 => 14,
            0x201 => 14,
            _ => 0,
        };
        if want != 0 && vl != want {
            w!(
                ctx,
                "\n\t    ERROR: illegal length - should be {}",
                want + 2
            );
        } else {
            match key {
                0x101 | 0x102 => {
                    let sys = slice(p, v + 2, 6)?;
                    ctx.put("\n\t  System ");
                    put::mac(ctx.s, sys);
                    w!(
                        ctx,
                        ", System Priority {}, Key {}, Port {}, Port Priority {}\n\t  State Flags [",
                        be16(p, v)?,
                        be16(p, v + 8)?,
                        be16(p, v + 12)?,
                        be16(p, v + 10)?
                    );
                    ctx.bits(STATE, u32::from(u8_at(p, v + 14)?), "none", ", ");
                    ctx.put("]");
                }
                0x103 => w!(ctx, "\n\t  Max Delay {}", be16(p, v)?),
                0x201 => {
                    ctx.put("\n\t  Request System ");
                    put::mac(ctx.s, slice(p, v + 2, 6)?);
                    w!(
                        ctx,
                        ", Request Port {}, Request Transaction ID 0x{:08x}",
                        be16(p, v)?,
                        be32(p, v + 8)?
                    );
                }
                _ if ctx.v() <= 1 => ctx.unknown_data(&p[v..], "\n\t  ", vl),
                _ => {}
            }
        }
        if ctx.v() > 1 {
            ctx.unknown_data(&p[v..], "\n\t  ", vl);
        }
        at += tl;
        tlen -= tl;
    }
    Ok(())
}

fn oam(ctx: &mut Ctx<'_>, p: &[u8], mut tlen: usize) -> R {
    if tlen < 3 {
        return too_short(ctx);
    }
    slice(p, 0, 3)?;
    let code = u8_at(p, 2)?;
    ctx.put("\n\tCode ");
    ctx.tok(OAM_CODE, u32::from(code), "Unknown (%u)");
    ctx.put(" OAM PDU, Flags [");
    ctx.bits(OAM_FLAGS, u32::from(be16(p, 0)?), "none", ", ");
    ctx.put("]");
    let mut at = 3;
    tlen -= 3;
    match code {
        0x00 | 0x01 => {
            let event = code == 0x01;
            if event {
                if tlen < 2 {
                    return too_short(ctx);
                }
                w!(ctx, "\n\t  Sequence Number {}", be16(p, at)?);
                at += 2;
                tlen -= 2;
            }
            while tlen > 0 {
                if tlen < 2 {
                    return too_short(ctx);
                }
                if !event {
                    slice(p, at, 2)?;
                }
                let ty = u8_at(p, at)?;
                let l = usize::from(u8_at(p, at + 1)?);
                ctx.put("\n\t  ");
                if event {
                    ctx.tok(LINK_EVENT, u32::from(ty), "Reserved");
                    w!(ctx, " Link Event Type ({ty}), length {l}");
                } else {
                    ctx.tok(INFO_TYPE, u32::from(ty), "Reserved");
                    w!(ctx, " Information Type ({ty}), length {l}");
                }
                if ty == 0 {
                    return Ok(());
                }
                if l < 2 {
                    ctx.put("\n\t    ERROR: illegal length - should be >= 2");
                    return Ok(());
                }
                if tlen < l {
                    return too_short(ctx);
                }
                slice(p, at, l)?;
                let hexdump = if event {
                    event_tlv(ctx, p, at, ty)?
                } else {
                    info_tlv(ctx, p, at, ty)?
                };
                if ctx.v() > 1 || hexdump {
                    ctx.unknown_data(&p[at..], "\n\t  ", l);
                }
                tlen -= l;
                at += l;
            }
        }
        0x04 => {
            if tlen < 1 {
                return too_short(ctx);
            }
            let cmd = u8_at(p, at)?;
            ctx.put("\n\t  Command ");
            ctx.tok(LOOPBACK_CMD, u32::from(cmd), "Unknown");
            w!(ctx, " ({cmd})");
        }
        _ => {
            if ctx.v() <= 1 {
                ctx.unknown_data(&p[at..], "\n\t  ", tlen);
            }
        }
    }
    Ok(())
}

/// A Local or Remote Information TLV; true if it is to be dumped.
fn info_tlv(ctx: &mut Ctx<'_>, p: &[u8], at: usize, ty: u8) -> R<bool> {
    if ty != 1 && ty != 2 {
        return Ok(true);
    }
    if u8_at(p, at + 1)? != 16 {
        ctx.put("\n\t    ERROR: illegal length - should be 16");
        return Ok(true);
    }
    w!(
        ctx,
        "\n\t    OAM-Version {}, Revision {}",
        u8_at(p, at + 2)?,
        be16(p, at + 3)?
    );
    let state = u32::from(u8_at(p, at + 5)?);
    ctx.put("\n\t    State-Parser-Action ");
    ctx.tok(PARSER, state & 3, "Reserved");
    ctx.put(", State-MUX-Action ");
    ctx.tok(MUX, state & 4, "Reserved");
    let cfg = u32::from(u8_at(p, at + 6)?);
    let pdu = be16(p, at + 7)? & 0x7ff;
    ctx.put("\n\t    OAM-Config Flags [");
    ctx.bits(OAM_CONFIG, cfg, "none", ", ");
    w!(ctx, "], OAM-PDU-Config max-PDU size {pdu}");
    let oui = be24(p, at + 9)?;
    let vp = be32(p, at + 12)?;
    ctx.put("\n\t    OUI ");
    ctx.tok(llc::OUI, oui, "Unknown");
    w!(ctx, " (0x{oui:06x}), Vendor-Private 0x{vp:08x}");
    Ok(false)
}

/// An errored-event TLV of an Event Notification; true if to be dumped.
fn event_tlv(ctx: &mut Ctx<'_>, p: &[u8], at: usize, ty: u8) -> R<bool> {
    if !(1..=4).contains(&ty) {
        return Ok(true);
    }
    if u8_at(p, at + 1)? != 40 {
        ctx.put("\n\t    ERROR: illegal length - should be 40");
        return Ok(true);
    }
    w!(
        ctx,
        "\n\t    Timestamp {} ms, Errored Window {}\n\t    Errored Threshold {}\
         \n\t    Errors {}\n\t    Error Running Total {}\n\t    Event Running Total {}",
        u32::from(be16(p, at + 2)?) * 100,
        be64(p, at + 4)?,
        be64(p, at + 12)?,
        be64(p, at + 20)?,
        be64(p, at + 28)?,
        be32(p, at + 36)?
    );
    Ok(false)
}

#[cfg(test)]
mod tests {
    use crate::decode::PrintOptions;
    use crate::decode::tests::{cut, hex, line};
    use crate::linktype::LinkType;

    const ETH: &str = "0180c2000002 0013c4120f0d 8809";

    fn v(n: u8) -> PrintOptions {
        PrintOptions {
            verbose: n,
            ..Default::default()
        }
    }

    /// A bond member's LACPDU (tcpdump's LACP.pcap, first frame).
    #[test]
    fn lacp_actor_partner_collector() {
        let d = hex(&format!(
            "{ETH} 0101 0114 8000 0013c4120f00 000d 8000 0016 85 000000 \
             0214 8000 000e8316f500 000d 8000 0019 36 000000 \
             0310 8000 {} 0000 {}",
            "00".repeat(12),
            "00".repeat(50)
        ));
        assert_eq!(line(&v(0), LinkType::En10mb, &d), "LACPv1, length 110\n");
        assert_eq!(
            line(&v(1), LinkType::En10mb, &d),
            "LACPv1, length 110\n\
             \tActor Information TLV (0x01), length 20\n\
             \t  System 00:13:c4:12:0f:00, System Priority 32768, Key 13, Port 22, Port Priority 32768\n\
             \t  State Flags [Activity, Aggregation, Expired]\n\
             \tPartner Information TLV (0x02), length 20\n\
             \t  System 00:0e:83:16:f5:00, System Priority 32768, Key 13, Port 25, Port Priority 32768\n\
             \t  State Flags [Timeout, Aggregation, Collecting, Distributing]\n\
             \tCollector Information TLV (0x03), length 16\n\
             \t  Max Delay 32768\n\
             \tTerminator TLV (0x00), length 0\n"
        );
        // Cut inside the partner's system id: the mark, no guessed value.
        assert_eq!(
            cut(&v(1), LinkType::En10mb, &d, 14 + 2 + 20 + 6),
            "LACPv1, length 110\n\
             \tActor Information TLV (0x01), length 20\n\
             \t  System 00:13:c4:12:0f:00, System Priority 32768, Key 13, Port 22, Port Priority 32768\n\
             \t  State Flags [Activity, Aggregation, Expired]\n\
             \tPartner Information TLV (0x02), length 20 [|slow]\n"
        );
        let v2 = hex(&format!("{ETH} 0102 0114"));
        assert_eq!(
            line(&v(1), LinkType::En10mb, &v2),
            "LACP version 2 packet not supported\n"
        );
    }

    #[test]
    fn marker_and_oam_information() {
        let m = hex(&format!(
            "{ETH} 0201 0110 0016 0013c4120f0d 12345678 0000 0000 {}",
            "00".repeat(90)
        ));
        assert_eq!(
            line(&v(1), LinkType::En10mb, &m),
            "MARKERv1, length 110\n\
             \tMarker Information TLV (0x01), length 16\n\
             \t  Request System 00:13:c4:12:0f:0d, Request Port 22, Request Transaction ID 0x12345678\n\
             \tTerminator TLV (0x00), length 0\n"
        );
        let o = hex(&format!(
            "{ETH} 03 0050 00 01 10 01 0001 00 1f 05ee 001018 00000001 \
             02 10 01 0002 01 0a 05ee 00000c 00000002 0000 {}",
            "00".repeat(60)
        ));
        assert_eq!(
            line(&v(1), LinkType::En10mb, &o),
            "OAM, length 98\n\
             \tCode Information OAM PDU, Flags [Local Stable, Remote Stable]\n\
             \t  Local Information Type (1), length 16\n\
             \t    OAM-Version 1, Revision 1\n\
             \t    State-Parser-Action forwarding, State-MUX-Action forwarding\n\
             \t    OAM-Config Flags [Active, Unidirectional, Remote-Loopback, Link-Events, Variable-Retrieval], OAM-PDU-Config max-PDU size 1518\n\
             \t    OUI Broadcom (0x001018), Vendor-Private 0x00000001\n\
             \t  Remote Information Type (2), length 16\n\
             \t    OAM-Version 1, Revision 2\n\
             \t    State-Parser-Action looping back, State-MUX-Action forwarding\n\
             \t    OAM-Config Flags [Unidirectional, Link-Events], OAM-PDU-Config max-PDU size 1518\n\
             \t    OUI Cisco (0x00000c), Vendor-Private 0x00000002\n\
             \t  End of TLV marker Information Type (0), length 0\n"
        );
    }
}
