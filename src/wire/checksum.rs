//! The Internet checksum (RFC 1071) of IPv4, ICMP, IGMP, UDP and TCP.

/// The one's complement of the one's complement sum of `parts`, taken as
/// one run of bytes (a part may end in the middle of a 16-bit word: the
/// pseudo-header and the segment are summed without being copied
/// together). Over data that includes its checksum field, 0 means valid.
pub fn internet(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    let mut odd: Option<u8> = None;
    for p in parts {
        for &x in p.iter() {
            match odd.take() {
                Some(h) => sum += u32::from(u16::from_be_bytes([h, x])),
                None => odd = Some(x),
            }
            if sum > 0xffff_0000 {
                sum = (sum & 0xffff) + (sum >> 16);
            }
        }
    }
    if let Some(h) = odd {
        sum += u32::from(h) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// What the checksum field should have been, given the field and the
/// [`internet`] checksum over the data including it (tcpdump's
/// `in_cksum_shouldbe`, for its "-> 0x1234" hints).
pub fn should_be(field: u16, sum: u16) -> u16 {
    let mut s = u32::from(!field) + u32::from(!sum);
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    !(s as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum() {
        // RFC 1071 example bytes.
        let d = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(internet(&[&d]), !0xddf2);
        assert_eq!(internet(&[&d[..3], &d[3..]]), !0xddf2);
    }

    #[test]
    fn what_the_field_should_be() {
        // An ICMP echo request header, id 7, seq 1, without data.
        let mut icmp = [0x08, 0x00, 0xf7, 0xf7, 0x00, 0x07, 0x00, 0x01];
        assert_eq!(internet(&[&icmp]), 0);
        // Sent with a wrong checksum: the hint names the right one.
        icmp[2..4].copy_from_slice(&0x1234u16.to_be_bytes());
        assert_eq!(should_be(0x1234, internet(&[&icmp])), 0xf7f7);
    }
}
