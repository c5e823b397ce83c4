//! BFD (print-bfd.c): control packets on 3784 (single hop), 4784
//! (multihop) and 6784 (LAG), v0 and v1 (RFC 5880) with authentication;
//! echo packets on 3785.

use super::tok::Tok;
use super::{Ctx, R, Truncated, w};
use crate::wire::bytes::{be32, has, u8_at};

pub(crate) const CONTROL: u16 = 3784;
pub(crate) const ECHO: u16 = 3785;
pub(crate) const MULTIHOP: u16 = 4784;
pub(crate) const LAG: u16 = 6784;

const HEADER_LEN: usize = 24;
const FLAG_AUTH: u8 = 0x04;

const AUTH: Tok = &[
    (1, "Simple Password"),
    (2, "Keyed MD5"),
    (3, "Meticulous Keyed MD5"),
    (4, "Keyed SHA1"),
    (5, "Meticulous Keyed SHA1"),
];

const DIAG: Tok = &[
    (0, "No Diagnostic"),
    (1, "Control Detection Time Expired"),
    (2, "Echo Function Failed"),
    (3, "Neighbor Signaled Session Down"),
    (4, "Forwarding Plane Reset"),
    (5, "Path Down"),
    (6, "Concatenated Path Down"),
    (7, "Administratively Down"),
    (8, "Reverse Concatenated Path Down"),
];

const PORT: Tok = &[
    (CONTROL as u32, "Control"),
    (MULTIHOP as u32, "Multihop"),
    (LAG as u32, "Lag"),
];

const V0_FLAGS: Tok = &[
    (0x80, "I Hear You"),
    (0x40, "Demand"),
    (0x20, "Poll"),
    (0x10, "Final"),
    (0x08, "Control Plane Independent"),
    (0x04, "Authentication Present"),
    (0x02, "Reserved"),
    (0x01, "Reserved"),
];

const V1_FLAGS: Tok = &[
    (0x20, "Poll"),
    (0x10, "Final"),
    (0x08, "Control Plane Independent"),
    (0x04, "Authentication Present"),
    (0x02, "Demand"),
    (0x01, "Multipoint"),
];

const STATE: Tok = &[(0, "AdminDown"), (1, "Down"), (2, "Init"), (3, "Up")];

pub(crate) fn print(ctx: &mut Ctx<'_>, p: &[u8], len: usize, port: u16) -> R {
    ctx.proto = "bfd";
    if port == ECHO {
        w!(ctx, "BFD, Echo, length: {len}");
        if ctx.v() > 0 {
            ctx.unknown_data(p, "\n\t", len);
        }
        return Ok(());
    }
    if !has(p, 0, HEADER_LEN) {
        return Err(Truncated);
    }
    let vd = u8_at(p, 0)?;
    let version = vd >> 5;
    let diag = u32::from(vd & 0x1f);
    let flags = u8_at(p, 1)?;
    let (ftab, fbits) = match version {
        0 => (V0_FLAGS, flags),
        1 => (V1_FLAGS, flags & 0x3f),
        _ => {
            w!(ctx, "BFDv{version}, Control, length: {len}");
            if ctx.v() > 0 {
                ctx.unknown_data(p, "\n\t", len);
            }
            return Ok(());
        }
    };
    let kind = |ctx: &mut Ctx<'_>| {
        if version == 0 {
            ctx.put("Control");
        } else {
            ctx.tok(PORT, u32::from(port), "unknown (%u)");
            ctx.put(", State ");
            ctx.tok(STATE, u32::from(flags >> 6), "unknown (%u)");
        }
        ctx.put(", Flags: [");
        ctx.bits(ftab, u32::from(fbits), "none", ", ");
        ctx.put("]");
    };
    if ctx.v() == 0 {
        w!(ctx, "BFDv{version}, ");
        kind(ctx);
        w!(ctx, ", length: {len}");
        return Ok(());
    }
    w!(ctx, "BFDv{version}, length: {len}\n\t");
    kind(ctx);
    ctx.put(", Diagnostic: ");
    ctx.tok(DIAG, diag, "unknown");
    w!(ctx, " (0x{diag:02x})");
    let mult = u8_at(p, 2)?;
    let tx = be32(p, 12)?;
    w!(
        ctx,
        "\n\tDetection Timer Multiplier: {mult} ({} ms Detection time), BFD Length: {}",
        u32::from(mult).wrapping_mul(tx) / 1000,
        u8_at(p, 3)?
    );
    w!(
        ctx,
        "\n\tMy Discriminator: 0x{:08x}, Your Discriminator: 0x{:08x}",
        be32(p, 4)?,
        be32(p, 8)?
    );
    for (label, off) in [
        ("Desired min Tx Interval:   ", 12),
        ("Required min Rx Interval:  ", 16),
        ("Required min Echo Interval:", 20),
    ] {
        w!(ctx, "\n\t  {label} {:4} ms", be32(p, off)? / 1000);
    }
    if flags & FLAG_AUTH != 0 {
        auth(ctx, p)?;
    }
    Ok(())
}

fn auth(ctx: &mut Ctx<'_>, p: &[u8]) -> R {
    let a = HEADER_LEN;
    if !has(p, a, 4) {
        return Err(Truncated);
    }
    let ty = u8_at(p, a)?;
    let alen = u8_at(p, a + 1)?;
    ctx.put("\n\tAuthentication: ");
    ctx.tok(AUTH, u32::from(ty), "Unknown");
    w!(ctx, " ({ty}), length: {alen}");
    w!(ctx, "\n\t  Auth Key ID: {}", u8_at(p, a + 2)?);
    let (want, hash, label) = match ty {
        1 => {
            if !(4..=19).contains(&alen) {
                w!(ctx, "[invalid length {alen}]");
                return Ok(());
            }
            ctx.put(", Password: ");
            ctx.printn(p, a + 3, usize::from(alen) - 3)?;
            return Ok(());
        }
        2 | 3 => (24, 16, "Digest"),
        4 | 5 => (28, 20, "Hash"),
        _ => return Ok(()),
    };
    if alen != want {
        w!(ctx, "[invalid length {alen}]");
        return Ok(());
    }
    w!(ctx, ", Sequence Number: 0x{:08x}", be32(p, a + 4)?);
    if !has(p, a + 8, hash) {
        return Err(Truncated);
    }
    w!(ctx, "\n\t  {label}: ");
    for &b in &p[a + 8..a + 8 + hash] {
        super::put::hex2(ctx.s, b);
    }
    Ok(())
}
