//! VXLAN-GPE on UDP 4790 (print-vxlan-gpe.c) and the NSH it most often
//! carries (print-nsh.c): the header, then the inner IPv4, IPv6,
//! Ethernet or NSH packet, on the next line with `-v`.

use super::fields::Tok;
use super::{Ctx, R, ip, ip6, link, w};
use crate::wire::bytes::{be16, be24, from, u8_at};

const NEXT: Tok = &[
    (1, "IPv4"),
    (2, "IPv6"),
    (3, "Ethernet"),
    (4, "NSH"),
    (5, "MPLS"),
];

/// The flag letters of a byte, in table order, or `none`.
fn flags(ctx: &mut Ctx<'_>, t: &[(u8, &str)], v: u8) {
    ctx.put("flags [");
    let mut any = false;
    for &(b, n) in t {
        if v & b != 0 {
            ctx.put(n);
            any = true;
        }
    }
    ctx.put(if any { "], " } else { "none], " });
}

pub(crate) fn print(ctx: &mut Ctx<'_>, bp: &[u8], len: usize) -> R {
    ctx.proto = "vxlan_gpe";
    ctx.put("VXLAN-GPE, ");
    if len < 8 {
        w!(ctx, " (len {len} < 8)");
        ctx.invalid();
        return Ok(());
    }
    let f = u8_at(bp, 0)?;
    let next = u8_at(bp, 3)?;
    let vni = be24(bp, 4)?;
    flags(ctx, &[(0x08, "I"), (0x04, "P"), (0x01, "O")], f);
    w!(ctx, "vni {vni}");
    ctx.put(if ctx.v() > 0 { "\n    " } else { ": " });
    inner(ctx, next, from(bp, 8), len - 8)
}

/// What a next-protocol value carries; anything else is not decoded.
fn inner(ctx: &mut Ctx<'_>, next: u8, bp: &[u8], len: usize) -> R {
    ip::nested(ctx, |ctx| match next {
        1 => ip::print(ctx, bp, len),
        2 => ip6::print(ctx, bp, len),
        3 => link::ether(ctx, bp, len).map(|_| ()),
        4 => nsh(ctx, bp, len),
        _ => {
            ctx.put("ERROR: unknown-next-protocol");
            ctx.invalid();
            Ok(())
        }
    })
}

/// NSH (RFC 8300): base header, service path, and with `-vvv` the
/// MD type 2 context TLVs.
fn nsh(ctx: &mut Ctx<'_>, bp: &[u8], len: usize) -> R {
    ctx.proto = "nsh";
    let b0 = u8_at(bp, 0)?;
    let b1 = u8_at(bp, 1)?;
    let md = u8_at(bp, 2)? & 0x0f;
    let next = u8_at(bp, 3)?;
    let path = be24(bp, 4)?;
    let index = u8_at(bp, 7)?;
    let words = usize::from(b1 & 0x3f);
    ctx.put("NSH, ");
    if ctx.v() > 1 {
        w!(ctx, "ver {}, ", b0 >> 6);
    }
    flags(ctx, &[(0x20, "O")], b0);
    if ctx.v() > 2 {
        let ttl = ((b0 & 0x0f) << 2) | (b1 >> 6);
        w!(ctx, "TTL {ttl}, length {words}, md type {md}, ");
    }
    if ctx.v() > 1 {
        ctx.put("next-protocol ");
        match super::fields::name(NEXT, u32::from(next)) {
            Some(n) => ctx.put(n),
            None => w!(ctx, "0x{next:x}"),
        }
        ctx.put(", ");
    }
    w!(
        ctx,
        "service-path-id 0x{path:06x}, service-index 0x{index:x}"
    );
    let hlen = words * 4;
    if hlen < 8 || hlen > len {
        ctx.invalid();
        return Ok(());
    }
    if ctx.v() > 2 && md == 2 {
        let mut at = 8;
        while at + 4 <= hlen {
            let class = be16(bp, at)?;
            let ty = u8_at(bp, at + 2)?;
            let tl = usize::from(u8_at(bp, at + 3)? & 0x1f);
            w!(ctx, "\n        TLV Class {class}, Type {ty}, Len {tl}");
            ctx.put("\n            Value: ");
            for i in 0..tl {
                if i > 0 {
                    ctx.put(", ");
                }
                w!(ctx, "0x{:02x}", u8_at(bp, at + 4 + i)?);
            }
            at += 4 + 4 * tl;
        }
    }
    ctx.put(if ctx.v() > 0 { "\n    " } else { ": " });
    inner(ctx, next, from(bp, hlen), len - hlen)
}

#[cfg(test)]
mod tests {
    use super::super::fields::udp4_line;

    /// The payload of tcpdump's nsh-over-vxlan-gpe.pcap; expected lines
    /// from Debian's tcpdump 4.99 on that capture.
    const GPE: &str = "0c000004ffffff00 30060201ffffffff 0001020112345678 0002030112345678
        45000020d4310000ff116647c0a80001c0a80002 27104e20000c2178 74657374";

    fn bytes() -> Vec<u8> {
        let s: String = GPE.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn nsh_over_gpe() {
        let d = bytes();
        assert_eq!(
            udp4_line(0, 4790, 4790, &d),
            "IP 10.0.0.1.4790 > 10.0.0.2.4790: VXLAN-GPE, flags [IP], vni 16777215: NSH, \
             flags [O], service-path-id 0xffffff, service-index 0xff: IP 192.168.0.1.10000 > \
             192.168.0.2.20000: UDP, length 4\n"
        );
        let l = udp4_line(3, 4790, 4790, &d);
        assert!(
            l.contains(
                "NSH, ver 0, flags [O], TTL 0, length 6, md type 2, next-protocol IPv4, \
                 service-path-id 0xffffff, service-index 0xff\n        TLV Class 1, Type 2, \
                 Len 1\n            Value: 0x12\n"
            ),
            "{l}"
        );
    }
}
