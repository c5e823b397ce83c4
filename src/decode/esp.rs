//! ESP (print-esp.c) without keys, over IP (protocol 50) and in UDP
//! (RFC 3948 NAT traversal on port 4500, which also carries IKE behind
//! a four-byte zero marker and one-byte keep-alives).

use super::{Ctx, R, ike, ip::Net, w};
use crate::wire::bytes::{be32, u8_at};

/// `ESP(spi=..,seq=..), length N`: the SPI says which SA, the sequence
/// number whether packets are lost; the rest is ciphertext.
pub(crate) fn print(ctx: &mut Ctx<'_>, bp: &[u8], length: usize) -> R {
    ctx.proto = "esp";
    // tcpdump wants more than the eight header bytes before it prints.
    if bp.len() <= 8 {
        return ctx.local_trunc();
    }
    w!(
        ctx,
        "ESP(spi=0x{:08x},seq=0x{:x}), length {length}",
        be32(bp, 0)?,
        be32(bp, 4)?
    );
    Ok(())
}

/// UDP port 4500 (isakmp_rfc3948_print).
pub(crate) fn udp_encap(ctx: &mut Ctx<'_>, bp: &[u8], length: usize, net: Net<'_>) -> R {
    ctx.proto = "isakmp_rfc3948";
    if length == 1 && u8_at(bp, 0)? == 0xff {
        ctx.put("isakmp-nat-keep-alive");
        return Ok(());
    }
    if length < 4 {
        return ctx.local_trunc();
    }
    if be32(bp, 0)? == 0 {
        ctx.put("NONESP-encap: ");
        return ike::print(ctx, &bp[4..], length - 4, Some(net));
    }
    ctx.put("UDP-encap: ");
    print(ctx, bp, length)
}

#[cfg(test)]
mod tests {
    use super::super::fields::udp4_line;

    #[test]
    fn nat_t_is_esp_or_ike_or_keepalive() {
        let esp = [0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1, 0xaa, 0xbb];
        assert_eq!(
            udp4_line(0, 4500, 4500, &esp),
            "IP 10.0.0.1.4500 > 10.0.0.2.4500: UDP-encap: ESP(spi=0x12345678,seq=0x1), length 10\n"
        );
        // Paired with flannel's 8472 it is still NAT-T, never OTV.
        assert_eq!(
            udp4_line(0, 4500, 8472, &esp),
            "IP 10.0.0.1.4500 > 10.0.0.2.8472: UDP-encap: ESP(spi=0x12345678,seq=0x1), length 10\n"
        );
        assert_eq!(
            udp4_line(0, 4500, 4500, &[0xff]),
            "IP 10.0.0.1.4500 > 10.0.0.2.4500: isakmp-nat-keep-alive\n"
        );
        assert_eq!(
            udp4_line(0, 4500, 4500, &[1, 2]),
            "IP 10.0.0.1.4500 > 10.0.0.2.4500:  [|isakmp_rfc3948]\n"
        );
        assert_eq!(
            udp4_line(0, 4500, 4500, &esp[..8]),
            "IP 10.0.0.1.4500 > 10.0.0.2.4500: UDP-encap:  [|esp]\n"
        );
    }
}
