//! LLDP (print-lldp.c), EtherType 0x88cc: what a node's uplink switch
//! says about itself and the port (chassis, port, VLANs, aggregation,
//! MAC/PHY), with the IEEE 802.1, 802.3 and IANA organisation TLVs.

use super::tok::{AF, Tok};
use super::{Ctx, R, llc, put, w};
use crate::wire::bytes::{be16, be24, be32, slice, u8_at};

const TLV: Tok = &[
    (0, "End"),
    (1, "Chassis ID"),
    (2, "Port ID"),
    (3, "Time to Live"),
    (4, "Port Description"),
    (5, "System Name"),
    (6, "System Description"),
    (7, "System Capabilities"),
    (8, "Management Address"),
    (127, "Organization specific"),
];

const CHASSIS: Tok = &[
    (1, "Chassis component"),
    (2, "Interface alias"),
    (3, "Port component"),
    (4, "MAC address"),
    (5, "Network address"),
    (6, "Interface name"),
    (7, "Local"),
];

const PORT: Tok = &[
    (1, "Interface alias"),
    (2, "Port component"),
    (3, "MAC address"),
    (4, "Network Address"),
    (5, "Interface Name"),
    (6, "Agent circuit ID"),
    (7, "Local"),
];

const CAP: Tok = &[
    (0x01, "Other"),
    (0x02, "Repeater"),
    (0x04, "Bridge"),
    (0x08, "WLAN AP"),
    (0x10, "Router"),
    (0x20, "Telephone"),
    (0x40, "Docsis"),
    (0x80, "Station Only"),
];

const INTF_NUMBERING: Tok = &[(2, "Interface Index"), (3, "System Port Number")];

const OUI_8021: u32 = 0x0080c2;
const OUI_8023: u32 = 0x00120f;
const OUI_IANA: u32 = 0x00005e;

const SUB_8021: Tok = &[
    (1, "Port VLAN Id"),
    (2, "Port and Protocol VLAN ID"),
    (3, "VLAN name"),
    (4, "Protocol Identity"),
    (7, "Link aggregation"),
    (8, "Congestion Notification"),
    (9, "ETS Configuration"),
    (10, "ETS Recommendation"),
    (11, "Priority Flow Control Configuration"),
    (12, "Application Priority"),
    (13, "EVB"),
    (14, "CDCP"),
];

const SUB_8023: Tok = &[
    (1, "MAC/PHY configuration/status"),
    (2, "Power via MDI"),
    (3, "Link aggregation"),
    (4, "Max frame size"),
];

const SUB_IANA: Tok = &[(1, "MUD-URL")];

const PPVID: Tok = &[(0x02, "supported"), (0x04, "enabled")];
const SUPPORTED_ENABLED: Tok = &[(0x01, "supported"), (0x02, "enabled")];
const MDI: Tok = &[
    (0x01, "PSE"),
    (0x02, "supported"),
    (0x04, "enabled"),
    (0x08, "can be controlled"),
];
const POWER_PAIRS: Tok = &[(1, "signal"), (2, "spare")];
const POWER_CLASS: Tok = &[
    (1, "class0"),
    (2, "class1"),
    (3, "class2"),
    (4, "class3"),
    (5, "class4"),
];
const EVB_MODE: Tok = &[
    (0, "Not Supported"),
    (1, "EVB Bridge"),
    (2, "EVB Station"),
    (3, "Reserved for future Standardization"),
];

const PMD: Tok = &[
    (0x4000, "10BASE-T hdx"),
    (0x2000, "10BASE-T fdx"),
    (0x1000, "100BASE-T4"),
    (0x0800, "100BASE-TX hdx"),
    (0x0400, "100BASE-TX fdx"),
    (0x0200, "100BASE-T2 hdx"),
    (0x0100, "100BASE-T2 fdx"),
    (0x0080, "Pause for fdx links"),
    (0x0040, "Asym PAUSE for fdx"),
    (0x0020, "Sym PAUSE for fdx"),
    (0x0010, "Asym and Sym PAUSE for fdx"),
    (0x0008, "1000BASE-{X LX SX CX} hdx"),
    (0x0004, "1000BASE-{X LX SX CX} fdx"),
    (0x0002, "1000BASE-T hdx"),
    (0x0001, "1000BASE-T fdx"),
];

/// MAU types 1..=40 (RFC 4836's dot3MauType), in order.
const MAU: [&str; 40] = [
    "AUI",
    "10BASE_5",
    "FOIRL",
    "10BASE2",
    "10BASET duplex mode unknown",
    "10BASEFP",
    "10BASEFB",
    "10BASEFL duplex mode unknown",
    "10BROAD36",
    "10BASET hdx",
    "10BASET fdx",
    "10BASEFL hdx",
    "10BASEFL fdx",
    "100BASET4",
    "100BASETX hdx",
    "100BASETX fdx",
    "100BASEFX hdx",
    "100BASEFX fdx",
    "100BASET2 hdx",
    "100BASET2 fdx",
    "1000BASEX hdx",
    "1000BASEX fdx",
    "1000BASELX hdx",
    "1000BASELX fdx",
    "1000BASESX hdx",
    "1000BASESX fdx",
    "1000BASECX hdx",
    "1000BASECX fdx",
    "1000BASET hdx",
    "1000BASET fdx",
    "10GBASEX",
    "10GBASELX4",
    "10GBASER",
    "10GBASEER",
    "10GBASELR",
    "10GBASESR",
    "10GBASEW",
    "10GBASEEW",
    "10GBASELW",
    "10GBASESW",
];

pub(crate) fn print(ctx: &mut Ctx<'_>, p: &[u8], len: usize) -> R {
    ctx.proto = "lldp";
    w!(ctx, "LLDP, length {len}");
    let (mut at, mut tlen) = (0usize, len);
    while tlen >= 2 {
        let tlv = be16(p, at)?;
        let (ty, tl) = (u32::from(tlv >> 9), usize::from(tlv & 0x1ff));
        tlen -= 2;
        at += 2;
        if ctx.v() > 0 {
            ctx.put("\n\t");
            ctx.tok(TLV, ty, "Unknown");
            w!(ctx, " TLV ({ty}), length {tl}");
        }
        // Loop guard, and the End TLV.
        if ty == 0 || tl == 0 {
            break;
        }
        slice(p, at, tl)?;
        if tlen < tl {
            return Err(super::Truncated);
        }
        let hexdump = tlv_body(ctx, p, at, tl, ty)?;
        if ctx.v() > 1 || (ctx.v() > 0 && hexdump) {
            ctx.unknown_data(p.get(at..).unwrap_or(&[]), "\n\t  ", tl);
        }
        tlen -= tl;
        at += tl;
    }
    Ok(())
}

/// One TLV's value at `t`; true if tcpdump follows it with a hex dump.
fn tlv_body(ctx: &mut Ctx<'_>, p: &[u8], t: usize, tl: usize, ty: u32) -> R<bool> {
    let v = ctx.v() > 0;
    match ty {
        1 | 2 if v => {
            if tl < 2 {
                return Err(super::Truncated);
            }
            let sub = u8_at(p, t)?;
            let (names, mac, net) = if ty == 1 {
                (CHASSIS, 4, 5)
            } else {
                (PORT, 3, 4)
            };
            ctx.put("\n\t  Subtype ");
            ctx.tok(names, u32::from(sub), "Unknown");
            w!(ctx, " ({sub}): ");
            match sub {
                _ if sub == mac => {
                    if tl < 7 {
                        return Err(super::Truncated);
                    }
                    put::mac(ctx.s, slice(p, t + 1, 6)?);
                }
                _ if sub == net => {
                    if !network_addr(ctx, p, t + 1, tl - 1)? {
                        return Err(super::Truncated);
                    }
                }
                1..=7 => ctx.printjnp(p, t + 1, tl - 1)?,
                _ => return Ok(true),
            }
        }
        3 if v => {
            if tl < 2 {
                return Err(super::Truncated);
            }
            w!(ctx, ": TTL {}s", be16(p, t)?);
        }
        4 if v => {
            ctx.put(": ");
            ctx.printjnp(p, t, tl)?;
        }
        // The system name is printed without -v too, as CDP's device id.
        5 => {
            ctx.put(": ");
            ctx.printjnp(p, t, tl)?;
        }
        6 if v => {
            ctx.put("\n\t  ");
            ctx.printjnp(p, t, tl)?;
        }
        7 if v => {
            if tl < 4 {
                return Err(super::Truncated);
            }
            let (cap, ena) = (be16(p, t)?, be16(p, t + 2)?);
            ctx.put("\n\t  System  Capabilities [");
            ctx.bits(CAP, u32::from(cap), "none", ", ");
            w!(ctx, "] (0x{cap:04x})\n\t  Enabled Capabilities [");
            ctx.bits(CAP, u32::from(ena), "none", ", ");
            w!(ctx, "] (0x{ena:04x})");
        }
        8 if v => {
            if !mgmt_addr(ctx, p, t, tl)? {
                return Err(super::Truncated);
            }
        }
        127 if v => {
            if tl < 3 {
                return Err(super::Truncated);
            }
            let oui = be24(p, t)?;
            ctx.put(": OUI ");
            ctx.tok(llc::OUI, oui, "Unknown");
            w!(ctx, " (0x{oui:06x})");
            return match oui {
                OUI_8021 => ieee8021(ctx, p, t, tl),
                OUI_8023 => ieee8023(ctx, p, t, tl),
                OUI_IANA => iana(ctx, p, t, tl),
                _ => Ok(true),
            };
        }
        1..=8 | 127 => {}
        _ => return Ok(true),
    }
    Ok(false)
}

/// An address family octet and the address; false where tcpdump gives up.
fn network_addr(ctx: &mut Ctx<'_>, p: &[u8], at: usize, len: usize) -> R<bool> {
    if len < 1 {
        return Ok(false);
    }
    let af = u8_at(p, at)?;
    let need = match af {
        1 => 4,
        2 => 16,
        6 => 6,
        _ => 0,
    };
    if len - 1 < need {
        return Ok(false);
    }
    ctx.put("AFI ");
    ctx.tok(AF, u32::from(af), "Unknown");
    w!(ctx, " ({af})");
    let a = at + 1;
    match af {
        1 => ctx.ip4_after(": ", p, a)?,
        2 => ctx.ip6_after(": ", p, a)?,
        6 => {
            let m = slice(p, a, 6)?;
            ctx.put(": ");
            put::mac(ctx.s, m);
        }
        _ => ctx.put(", no AF printer !"),
    }
    Ok(true)
}

fn mgmt_addr(ctx: &mut Ctx<'_>, p: &[u8], t: usize, tl: usize) -> R<bool> {
    if tl < 1 {
        return Ok(false);
    }
    let alen = usize::from(u8_at(p, t)?);
    let (mut at, mut left) = (t + 1, tl - 1);
    if left < alen {
        return Ok(false);
    }
    // tcpdump formats the address before printing the line's start.
    let mark = ctx.s.len();
    let ok = network_addr(ctx, p, at, alen);
    if ok != Ok(true) {
        ctx.s.truncate(mark);
        return ok;
    }
    let addr = ctx.s.split_off(mark);
    w!(ctx, "\n\t  Management Address length {alen}, {addr}");
    at += alen;
    left -= alen;
    if left < 5 {
        return Ok(false);
    }
    let sub = u8_at(p, at)?;
    ctx.put("\n\t  ");
    ctx.tok(INTF_NUMBERING, u32::from(sub), "Unknown");
    w!(ctx, " Interface Numbering ({sub}): {}", be32(p, at + 1)?);
    at += 5;
    left -= 5;
    if left > 0 {
        let oid = usize::from(u8_at(p, at)?);
        if left < 1 + oid {
            return Ok(false);
        }
        if oid > 0 {
            w!(ctx, "\n\t  OID length {oid}");
            ctx.printjnp(p, at + 1, oid)?;
        }
    }
    Ok(true)
}

fn subtype(ctx: &mut Ctx<'_>, names: Tok, sub: u8) {
    ctx.put("\n\t  ");
    ctx.tok(names, u32::from(sub), "unknown");
    w!(ctx, " Subtype ({sub})");
}

/// `Priority : 0  1 ...` and each of the 8 bits of `v` as `%-2d `.
fn bit_row(ctx: &mut Ctx<'_>, v: u8) {
    ctx.put("\n\t     Priority : 0  1  2  3  4  5  6  7\n\t     Value    : ");
    for i in 0..8 {
        w!(ctx, "{:<2} ", (v >> i) & 1);
    }
}

/// One of ETS's eight-column tables: a title, a header and `%-3d` values.
fn ets_row(ctx: &mut Ctx<'_>, title: &str, head: &str, value: &str, vals: [u8; 8]) {
    w!(
        ctx,
        "\n\t    {title}\n\t     {head}0   1   2   3   4   5   6   7\n\t     {value}"
    );
    for (i, v) in vals.iter().enumerate() {
        w!(ctx, "{v:<3}");
        if i < 7 {
            ctx.put(" ");
        }
    }
}

fn ets_tables(ctx: &mut Ctx<'_>, p: &[u8], at: usize) -> R {
    let pr = slice(p, at, 4)?;
    let mut prio = [0u8; 8];
    for i in 0..4 {
        prio[2 * i] = pr[i] >> 4;
        prio[2 * i + 1] = pr[i] & 0x0f;
    }
    ets_row(
        ctx,
        "Priority Assignment Table",
        "Priority : ",
        "Value    : ",
        prio,
    );
    let mut bw = [0u8; 8];
    bw.copy_from_slice(slice(p, at + 4, 8)?);
    ets_row(ctx, "TC Bandwidth Table", "TC%   : ", "Value : ", bw);
    let mut tsa = [0u8; 8];
    tsa.copy_from_slice(slice(p, at + 12, 8)?);
    ets_row(
        ctx,
        "TSA Assignment Table",
        "Traffic Class: ",
        "Value        : ",
        tsa,
    );
    Ok(())
}

fn ieee8021(ctx: &mut Ctx<'_>, p: &[u8], t: usize, tl: usize) -> R<bool> {
    if tl < 4 {
        return Ok(false);
    }
    let sub = u8_at(p, t + 3)?;
    subtype(ctx, SUB_8021, sub);
    let need = match sub {
        1 | 8 | 11 => 6,
        2 => 7,
        3 => 6,
        4 | 12 => 5,
        7 | 13 => 9,
        9 | 10 => 25,
        14 => 8,
        _ => return Ok(true),
    };
    if tl < need {
        return Ok(false);
    }
    let b = |i: usize| u8_at(p, t + i);
    match sub {
        1 => w!(ctx, "\n\t    port vlan id (PVID): {}", be16(p, t + 4)?),
        2 => {
            let f = b(4)?;
            w!(
                ctx,
                "\n\t    port and protocol vlan id (PPVID): {}, flags [",
                be16(p, t + 5)?
            );
            ctx.bits(PPVID, u32::from(f), "none", ", ");
            w!(ctx, "] (0x{f:02x})");
        }
        3 => {
            w!(ctx, "\n\t    vlan id (VID): {}", be16(p, t + 4)?);
            if tl < 7 {
                return Ok(false);
            }
            let n = usize::from(b(6)?);
            if tl < 7 + n {
                return Ok(false);
            }
            ctx.put("\n\t    vlan name: ");
            ctx.printjnp(p, t + 7, n)?;
        }
        4 => {
            let n = usize::from(b(4)?);
            if tl < 5 + n {
                return Ok(false);
            }
            ctx.put("\n\t    protocol identity: ");
            ctx.printjnp(p, t + 5, n)?;
        }
        7 => aggregation(ctx, p, t)?,
        8 => {
            ctx.put("\n\t    Pre-Priority CNPV Indicator");
            bit_row(ctx, b(4)?);
            ctx.put("\n\t    Pre-Priority Ready Indicator");
            bit_row(ctx, b(5)?);
        }
        9 => {
            let v = b(4)?;
            w!(
                ctx,
                "\n\t    Willing:{}, CBS:{}, RES:{}, Max TCs:{}",
                v >> 7,
                (v >> 6) & 0x02,
                (v >> 3) & 0x07,
                v & 0x07
            );
            ets_tables(ctx, p, t + 5)?;
        }
        10 => {
            w!(ctx, "\n\t    RES: {}", b(4)?);
            ets_tables(ctx, p, t + 5)?;
        }
        11 => {
            let v = b(4)?;
            w!(
                ctx,
                "\n\t    Willing: {}, MBC: {}, RES: {}, PFC cap:{} \n\t    PFC Enable",
                v >> 7,
                (v >> 6) & 0x01,
                (v >> 4) & 0x03,
                v & 0x0f
            );
            bit_row(ctx, b(5)?);
        }
        12 => {
            w!(ctx, "\n\t    RES: {}", b(4)?);
            let n = tl - 5;
            if n == 0 || n % 3 != 0 {
                return Ok(true);
            }
            ctx.put("\n\t    Application Priority Table");
            for i in (0..n).step_by(3) {
                let v = b(5 + i)?;
                w!(
                    ctx,
                    "\n\t      Priority: {}, RES: {}, Sel: {}, Protocol ID: {}",
                    v >> 5,
                    (v >> 3) & 0x03,
                    v & 0x07,
                    be16(p, t + 6 + i)?
                );
            }
        }
        13 => {
            let (s, st, r, m, k) = (b(4)?, b(5)?, b(6)?, b(7)?, b(8)?);
            w!(
                ctx,
                "\n\t    EVB Bridge Status\n\t      RES: {}, BGID: {}, RRCAP: {}, RRCTR: {}\
                 \n\t    EVB Station Status\n\t      RES: {}, SGID: {}, RRREQ: {},RRSTAT: {}\
                 \n\t    R: {}, RTE: {}, EVB Mode: ",
                s >> 3,
                (s >> 2) & 1,
                (s >> 1) & 1,
                s & 1,
                st >> 4,
                (st >> 3) & 1,
                (st >> 2) & 1,
                st & 3,
                r >> 5,
                r & 0x1f
            );
            ctx.tok(EVB_MODE, u32::from(m >> 6), "unknown");
            w!(
                ctx,
                " [{}]\n\t    ROL: {}, RWD: {}, RES: {}, ROL: {}, RKA: {}",
                m >> 6,
                (m >> 5) & 1,
                m & 0x1f,
                k >> 6,
                (k >> 5) & 1,
                k & 0x1f
            );
        }
        _ => {
            // 14, CDCP
            let v = b(4)?;
            w!(
                ctx,
                "\n\t    Role: {}, RES: {}, Scomp: {} ChnCap: {}",
                v >> 7,
                (v >> 4) & 0x07,
                (v >> 3) & 0x01,
                be16(p, t + 6)? & 0x0fff
            );
            let n = tl - 8;
            if n % 3 != 0 {
                return Ok(true);
            }
            for i in (0..n).step_by(3) {
                let v = be24(p, t + 8 + i)?;
                w!(ctx, "\n\t    SCID: {}, SVID: {}", v >> 12, v & 0xfff);
            }
        }
    }
    Ok(false)
}

fn aggregation(ctx: &mut Ctx<'_>, p: &[u8], t: usize) -> R {
    ctx.put("\n\t    aggregation status [");
    ctx.bits(SUPPORTED_ENABLED, u32::from(u8_at(p, t + 4)?), "none", ", ");
    w!(ctx, "], aggregation port ID {}", be32(p, t + 5)?);
    Ok(())
}

fn ieee8023(ctx: &mut Ctx<'_>, p: &[u8], t: usize, tl: usize) -> R<bool> {
    if tl < 4 {
        return Ok(false);
    }
    let sub = u8_at(p, t + 3)?;
    subtype(ctx, SUB_8023, sub);
    let need = match sub {
        1 | 3 => 9,
        2 => 7,
        4 => 6,
        _ => return Ok(true),
    };
    if tl < need {
        return Ok(false);
    }
    match sub {
        1 => {
            let an = u8_at(p, t + 4)?;
            ctx.put("\n\t    autonegotiation [");
            ctx.bits(SUPPORTED_ENABLED, u32::from(an), "none", ", ");
            w!(ctx, "] (0x{an:02x})\n\t    PMD autoneg capability [");
            let pmd = be16(p, t + 5)?;
            ctx.bits(PMD, u32::from(pmd), "unknown", ", ");
            let mau = be16(p, t + 7)?;
            w!(ctx, "] (0x{pmd:04x})\n\t    MAU type ");
            match usize::from(mau) {
                0 => ctx.put("Unknown"),
                m @ 1..=40 => ctx.put(MAU[m - 1]),
                _ => ctx.put("unknown"),
            }
            w!(ctx, " (0x{mau:04x})");
        }
        2 => {
            ctx.put("\n\t    MDI power support [");
            ctx.bits(MDI, u32::from(u8_at(p, t + 4)?), "none", ", ");
            ctx.put("], power pair ");
            ctx.tok(POWER_PAIRS, u32::from(u8_at(p, t + 5)?), "unknown");
            ctx.put(", power class ");
            ctx.tok(POWER_CLASS, u32::from(u8_at(p, t + 6)?), "unknown");
        }
        3 => aggregation(ctx, p, t)?,
        _ => w!(ctx, "\n\t    MTU size {}", be16(p, t + 4)?),
    }
    Ok(false)
}

fn iana(ctx: &mut Ctx<'_>, p: &[u8], t: usize, tl: usize) -> R<bool> {
    if tl < 8 {
        return Ok(false);
    }
    let sub = u8_at(p, t + 3)?;
    subtype(ctx, SUB_IANA, sub);
    if sub != 1 {
        return Ok(true);
    }
    ctx.put("\n\t  MUD-URL=");
    ctx.printn(p, t + 4, tl - 4)?;
    Ok(false)
}

#[cfg(test)]
mod tests {
    use crate::decode::PrintOptions;
    use crate::decode::tests::{cut, hex, line};
    use crate::linktype::LinkType;

    #[test]
    fn lldp_link_aggregation() {
        let d = hex("0180c200000e00132157ca7f88ccfe090080c2070300000064");
        let o = PrintOptions {
            verbose: 2,
            ..Default::default()
        };
        assert_eq!(
            line(&o, LinkType::En10mb, &d),
            "LLDP, length 11\n\tOrganization specific TLV (127), length 9: OUI Ethernet bridged (0x0080c2)\n\t  Link aggregation Subtype (7)\n\t    aggregation status [supported, enabled], aggregation port ID 100\n\t  0x0000:  0080 c207 0300 0000 64\n"
        );
    }

    #[test]
    fn lldp_mud_url() {
        let d = hex(
            "0180c200000e002354c2570288cc020704002354c25702040703002354c25702060200780a1c75707374616972732e6f66636f75727365696d72696768742e636f6d0c5c5562756e74752031342e30342e35204c5453204c696e757820332e31332e302d3130362d67656e6572696320233135332d5562756e747520534d50205475652044656320362031353a34353a313320555443203230313620693638360e04009c0008100c05013e0cad7202000000020010181102200108a810060004022354fffec25702020000000200080465746830fe0900120f030100000000fe0900120f0103ecc30010fe4000005e0168747470733a2f2f696d72696768742e6d75642e6578616d706c652e636f6d2f2e77656c6c2d6b6e6f776e2f6d75642f76312f766f6d697476322e300000",
        );
        let o = PrintOptions {
            verbose: 1,
            ..Default::default()
        };
        assert_eq!(
            line(&o, LinkType::En10mb, &d),
            "LLDP, length 288\n\tChassis ID TLV (1), length 7\n\t  Subtype MAC address (4): 00:23:54:c2:57:02\n\tPort ID TLV (2), length 7\n\t  Subtype MAC address (3): 00:23:54:c2:57:02\n\tTime to Live TLV (3), length 2: TTL 120s\n\tSystem Name TLV (5), length 28: upstairs.ofcourseimright.com\n\tSystem Description TLV (6), length 92\n\t  Ubuntu 14.04.5 LTS Linux 3.13.0-106-generic #153-Ubuntu SMP Tue Dec 6 15:45:13 UTC 2016 i686\n\tSystem Capabilities TLV (7), length 4\n\t  System  Capabilities [Bridge, WLAN AP, Router, Station Only] (0x009c)\n\t  Enabled Capabilities [WLAN AP] (0x0008)\n\tManagement Address TLV (8), length 12\n\t  Management Address length 5, AFI IPv4 (1): 62.12.173.114\n\t  Interface Index Interface Numbering (2): 2\n\tManagement Address TLV (8), length 24\n\t  Management Address length 17, AFI IPv6 (2): 2001:8a8:1006:4:223:54ff:fec2:5702\n\t  Interface Index Interface Numbering (2): 2\n\tPort Description TLV (4), length 4: eth0\n\tOrganization specific TLV (127), length 9: OUI IEEE 802.3 Private (0x00120f)\n\t  Link aggregation Subtype (3)\n\t    aggregation status [supported], aggregation port ID 0\n\tOrganization specific TLV (127), length 9: OUI IEEE 802.3 Private (0x00120f)\n\t  MAC/PHY configuration/status Subtype (1)\n\t    autonegotiation [supported, enabled] (0x03)\n\t    PMD autoneg capability [10BASE-T hdx, 10BASE-T fdx, 100BASE-TX hdx, 100BASE-TX fdx, Pause for fdx links, Asym PAUSE for fdx, 1000BASE-T hdx, 1000BASE-T fdx] (0xecc3)\n\t    MAU type 100BASETX fdx (0x0010)\n\tOrganization specific TLV (127), length 64: OUI IANA (0x00005e)\n\t  MUD-URL Subtype (1)\n\t  MUD-URL=https://imright.mud.example.com/.well-known/mud/v1/vomitv2.0\n\tEnd TLV (0), length 0\n"
        );
    }

    #[test]
    fn lldp_plain() {
        let d = hex(
            "0180c200000e002354c2570288cc020704002354c25702040703002354c25702060200780a1c75707374616972732e6f66636f75727365696d72696768742e636f6d0c5c5562756e74752031342e30342e35204c5453204c696e757820332e31332e302d3130362d67656e6572696320233135332d5562756e747520534d50205475652044656320362031353a34353a313320555443203230313620693638360e04009c0008100c05013e0cad7202000000020010181102200108a810060004022354fffec25702020000000200080465746830fe0900120f030100000000fe0900120f0103ecc30010fe4000005e0168747470733a2f2f696d72696768742e6d75642e6578616d706c652e636f6d2f2e77656c6c2d6b6e6f776e2f6d75642f76312f766f6d697476322e300000",
        );
        let o = PrintOptions {
            verbose: 0,
            ..Default::default()
        };
        assert_eq!(
            line(&o, LinkType::En10mb, &d),
            "LLDP, length 288: upstairs.ofcourseimright.com\n"
        );
    }

    /// Cut inside the system name: what was captured of it, then the mark.
    #[test]
    fn lldp_cut_in_a_tlv() {
        let d = hex(
            "0180c200000e002354c2570288cc020704002354c25702040703002354c25702060200780a1c75707374616972732e6f66636f75727365696d72696768742e636f6d0c5c5562756e74752031342e30342e35204c5453204c696e757820332e31332e302d3130362d67656e6572696320233135332d5562756e747520534d50205475652044656320362031353a34353a313320555443203230313620693638360e04009c0008100c05013e0cad7202000000020010181102200108a810060004022354fffec25702020000000200080465746830fe0900120f030100000000fe0900120f0103ecc30010fe4000005e0168747470733a2f2f696d72696768742e6d75642e6578616d706c652e636f6d2f2e77656c6c2d6b6e6f776e2f6d75642f76312f766f6d697476322e300000",
        );
        let o = PrintOptions {
            verbose: 1,
            ..Default::default()
        };
        assert_eq!(
            cut(&o, LinkType::En10mb, &d, 60),
            "LLDP, length 288\n\tChassis ID TLV (1), length 7\n\t  Subtype MAC address (4): 00:23:54:c2:57:02\n\tPort ID TLV (2), length 7\n\t  Subtype MAC address (3): 00:23:54:c2:57:02\n\tTime to Live TLV (3), length 2: TTL 120s\n\tSystem Name TLV (5), length 28 [|lldp]\n"
        );
    }
}
