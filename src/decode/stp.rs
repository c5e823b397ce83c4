//! Spanning tree BPDUs (print-stp.c): 802.1D configuration and topology
//! change, 802.1w RSTP, 802.1s MSTP with its MSTIs, 802.1aq SPB; over
//! LLC SAP 0x42 and Cisco's PVST+ SNAP encapsulation.

use super::tok::Tok;
use super::{Ctx, R, put, w};
use crate::wire::bytes::{be16, be32, slice, u8_at};

const PROTO: Tok = &[(0, "802.1d"), (2, "802.1w"), (3, "802.1s"), (4, "802.1aq")];

const FLAGS: Tok = &[
    (0x01, "Topology change"),
    (0x02, "Proposal"),
    (0x10, "Learn"),
    (0x20, "Forward"),
    (0x40, "Agreement"),
    (0x80, "Topology change ACK"),
];

const BPDU: Tok = &[
    (0x00, "Config"),
    (0x02, "Rapid STP"),
    (0x80, "Topology Change"),
];

const ROLE: Tok = &[
    (0, "Unknown"),
    (1, "Alternate"),
    (2, "Root"),
    (3, "Designated"),
];

/// The BPDU up to and including the version 1 length.
const BPDU_LEN: usize = 36;
const MSTP_MIN_LEN: usize = 102;
const VER3_LEN: usize = 36;
const MSTI_LEN: usize = 16;
const CONFIG_INFO_LEN: usize = 64;
const SPB_MIN_LEN: usize = 87;

/// `pppp.aa:bb:cc:dd:ee:ff`
fn bridge_id(ctx: &mut Ctx<'_>, p: &[u8], off: usize) -> R {
    let b = slice(p, off, 8)?;
    put::hex2(ctx.s, b[0]);
    put::hex2(ctx.s, b[1]);
    ctx.put(".");
    put::mac(ctx.s, &b[2..]);
    Ok(())
}

/// A timer in 1/256 s as `%.2f` prints it (round half to even: the
/// quotient is exact in binary).
fn secs(ctx: &mut Ctx<'_>, v: u16) {
    let n = u32::from(v) * 100;
    let (mut q, r) = (n / 256, n % 256);
    if r > 128 || (r == 128 && q % 2 == 1) {
        q += 1;
    }
    w!(ctx, "{}.{:02}s", q / 100, q % 100);
}

fn timers(ctx: &mut Ctx<'_>, p: &[u8]) -> R {
    slice(p, 27, 8)?;
    for (label, off) in [
        ("\n\tmessage-age ", 27),
        (", max-age ", 29),
        (", hello-time ", 31),
        (", forwarding-delay ", 33),
    ] {
        let v = be16(p, off)?;
        ctx.put(label);
        secs(ctx, v);
    }
    Ok(())
}

fn role(ctx: &mut Ctx<'_>, flags: u8) {
    ctx.tok(ROLE, u32::from((flags & 0x0c) >> 2), "Unknown");
}

fn flags(ctx: &mut Ctx<'_>, f: u8) {
    ctx.bits(FLAGS, u32::from(f), "none", ", ");
}

pub(crate) fn print(ctx: &mut Ctx<'_>, p: &[u8], length: usize) -> R {
    ctx.proto = "stp";
    if length < 4 {
        ctx.invalid();
        return Ok(());
    }
    if be16(p, 0)? != 0 {
        w!(ctx, "unknown STP version, length {length}");
        return Ok(());
    }
    let version = u8_at(p, 2)?;
    ctx.put("STP ");
    ctx.tok(PROTO, u32::from(version), "Unknown STP protocol (0x%02x)");
    if version > 4 || version == 1 {
        return Ok(());
    }
    let ty = u8_at(p, 3)?;
    ctx.put(", ");
    ctx.tok(BPDU, u32::from(ty), "Unknown BPDU Type (0x%02x)");
    match ty {
        0 if length < BPDU_LEN - 1 => ctx.invalid(),
        0 => config(ctx, p, length)?,
        2 if version == 2 => {
            if length < BPDU_LEN {
                ctx.invalid();
            } else {
                config(ctx, p, length)?;
            }
        }
        2 if version >= 3 => {
            if length < MSTP_MIN_LEN || u8_at(p, 35)? != 0 {
                ctx.invalid();
                return Ok(());
            }
            let mstp_len = usize::from(be16(p, VER3_LEN)?) + 2;
            if length < BPDU_LEN + mstp_len {
                ctx.invalid();
                return Ok(());
            }
            mstp(ctx, p, length)?;
            if version == 4 {
                let spb_len = usize::from(be16(p, VER3_LEN + mstp_len)?) + 2;
                if length < BPDU_LEN + mstp_len + spb_len || spb_len < SPB_MIN_LEN {
                    ctx.invalid();
                    return Ok(());
                }
                spb(ctx, p, BPDU_LEN + mstp_len)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn config(ctx: &mut Ctx<'_>, p: &[u8], length: usize) -> R {
    let f = u8_at(p, 4)?;
    ctx.put(", Flags [");
    flags(ctx, f);
    ctx.put("]");
    slice(p, 17, 10)?;
    ctx.put(", bridge-id ");
    bridge_id(ctx, p, 17)?;
    w!(ctx, ".{:04x}, length {length}", be16(p, 25)?);
    if ctx.v() == 0 {
        return Ok(());
    }
    timers(ctx, p)?;
    slice(p, 5, 12)?;
    ctx.put("\n\troot-id ");
    bridge_id(ctx, p, 5)?;
    w!(ctx, ", root-pathcost {}", be32(p, 13)?);
    if u8_at(p, 2)? == 2 {
        ctx.put(", port-role ");
        role(ctx, f);
    }
    Ok(())
}

fn mstp(ctx: &mut Ctx<'_>, p: &[u8], length: usize) -> R {
    let f = u8_at(p, 4)?;
    ctx.put(", CIST Flags [");
    flags(ctx, f);
    w!(ctx, "], length {length}");
    if ctx.v() == 0 {
        return Ok(());
    }
    ctx.put("\n\tport-role ");
    role(ctx, f);
    ctx.put(", ");
    slice(p, 5, 12)?;
    ctx.put("CIST root-id ");
    bridge_id(ctx, p, 5)?;
    w!(ctx, ", CIST ext-pathcost {}", be32(p, 13)?);
    slice(p, 17, 8)?;
    ctx.put("\n\tCIST regional-root-id ");
    bridge_id(ctx, p, 17)?;
    ctx.put(", ");
    w!(ctx, "CIST port-id {:04x},", be16(p, 25)?);
    timers(ctx, p)?;
    w!(ctx, "\n\tv3len {}, MCID Name ", be16(p, VER3_LEN)?);
    ctx.printjnp(p, 39, 32)?;
    slice(p, 71, 18)?;
    w!(ctx, ", rev {},\n\t\tdigest ", be16(p, 71)?);
    digest(ctx, p, 73, 4)?;
    ctx.put(", ");
    w!(ctx, "CIST int-root-pathcost {},", be32(p, 89)?);
    slice(p, 93, 8)?;
    ctx.put("\n\tCIST bridge-id ");
    bridge_id(ctx, p, 93)?;
    ctx.put(", ");
    w!(ctx, "CIST remaining-hops {}", u8_at(p, 101)?);
    let v3len = usize::from(be16(p, VER3_LEN)?);
    if v3len > CONFIG_INFO_LEN {
        let mut len = v3len - CONFIG_INFO_LEN;
        let mut off = MSTP_MIN_LEN;
        while len >= MSTI_LEN {
            slice(p, off, 3)?;
            let msti = be16(p, off + 1)? & 0x0fff;
            let mf = u8_at(p, off)?;
            w!(ctx, "\n\tMSTI {msti}, Flags [");
            flags(ctx, mf);
            ctx.put("], port-role ");
            role(ctx, mf);
            slice(p, off + 1, 12)?;
            ctx.put("\n\t\tMSTI regional-root-id ");
            bridge_id(ctx, p, off + 1)?;
            w!(ctx, ", pathcost {}", be32(p, off + 9)?);
            slice(p, off + 13, 3)?;
            w!(
                ctx,
                "\n\t\tMSTI bridge-prio {}, port-prio {}, hops {}",
                u8_at(p, off + 13)? >> 4,
                u8_at(p, off + 14)? >> 4,
                u8_at(p, off + 15)?
            );
            len -= MSTI_LEN;
            off += MSTI_LEN;
        }
    }
    Ok(())
}

/// `n` 32-bit words as `%08x` each.
fn digest(ctx: &mut Ctx<'_>, p: &[u8], off: usize, n: usize) -> R {
    let words = (0..n)
        .map(|i| be32(p, off + 4 * i))
        .collect::<Result<Vec<_>, _>>()?;
    for x in words {
        w!(ctx, "{x:08x}");
    }
    Ok(())
}

fn spb(ctx: &mut Ctx<'_>, p: &[u8], off: usize) -> R {
    if ctx.v() == 0 {
        return Ok(());
    }
    w!(ctx, "\n\tv4len {}, AUXMCID Name ", be16(p, off)?);
    ctx.printjnp(p, off + 3, 32)?;
    let rev = be16(p, off + 35)?;
    let d = off + 37;
    slice(p, d, 16)?;
    w!(ctx, ", Rev {rev},\n\t\tdigest ");
    digest(ctx, p, d, 4)?;
    let a = off + 53;
    let agr = u8_at(p, a)?;
    let fmt = u8_at(p, a + 2)?;
    let con = u8_at(p, a + 3)?;
    let edge = be16(p, a + 4)?;
    slice(p, a + 14, 20)?;
    w!(
        ctx,
        "\n\tAgreement num {}, Discarded Agreement num {}, Agreement valid-flag {},\
         \n\tRestricted role-flag: {}, Format id {} cap {}, Convention id {} cap {},\
         \n\tEdge count {edge}, Agreement digest ",
        agr >> 6,
        (agr >> 4) & 3,
        (agr >> 3) & 1,
        (agr >> 2) & 1,
        fmt >> 4,
        fmt,
        con >> 4,
        con
    );
    digest(ctx, p, a + 14, 5)
}
