//! VXLAN (RFC 7348): the 8-byte header after UDP (port 4789, or the Linux
//! driver's and Flannel's 8472) in front of an inner Ethernet frame. OTV
//! (tcpdump's reading of port 8472) has the same layout, with an overlay
//! id where VXLAN reserves three bytes.

use super::bytes::{Result, Truncated, from};
use super::fixed;

/// A VXLAN header view.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

pub mod field {
    pub type Field = core::ops::Range<usize>;
    pub const FLAGS: usize = 0;
    /// Reserved in VXLAN; OTV's overlay id.
    pub const RESERVED1: Field = 1..4;
    /// VXLAN network identifier; OTV's instance id.
    pub const VNI: Field = 4..7;
    pub const RESERVED2: usize = 7;
    pub const PAYLOAD: usize = 8;
}

pub const HEADER_LEN: usize = field::PAYLOAD;

/// The I flag: the VNI is valid. RFC 7348 requires it set.
pub const FLAG_I: u8 = 0x08;

impl<T: AsRef<[u8]>> Packet<T> {
    #[inline]
    /// Accepts the bytes if the 8-byte header is there. Whether it is
    /// VXLAN at all (the I flag, an inner frame) is the caller's to judge:
    /// a printer shows a header without the flag, the path follower
    /// refuses it.
    pub fn new_checked(buffer: T) -> Result<Self> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(Truncated);
        }
        Ok(Packet { buffer })
    }

    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }

    #[inline]
    pub fn flags(&self) -> u8 {
        let [b] = fixed(self.buffer.as_ref(), field::FLAGS);
        b
    }

    #[inline]
    pub fn has_vni(&self) -> bool {
        self.flags() & FLAG_I != 0
    }

    #[inline]
    pub fn vni(&self) -> u32 {
        let [x, y, z] = fixed(self.buffer.as_ref(), field::VNI);
        u32::from_be_bytes([0, x, y, z])
    }
}

impl<'a> Packet<&'a [u8]> {
    #[inline]
    /// The inner Ethernet frame, borrowed for as long as the bytes.
    pub fn payload(&self) -> &'a [u8] {
        from(self.buffer, field::PAYLOAD)
    }
}

/// What a VXLAN header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    pub vni: u32,
}

impl Repr {
    #[inline]
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Self {
        Repr { vni: p.vni() }
    }

    #[inline]
    /// Writes the 8-byte header, I flag set, into the start of `buf`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<()> {
        let h = buf.get_mut(..HEADER_LEN).ok_or(Truncated)?;
        h.fill(0);
        h[field::FLAGS] = FLAG_I;
        h[field::VNI].copy_from_slice(&self.vni.to_be_bytes()[1..]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vxlan_round_trip() {
        let mut buf = [0u8; 8 + 14];
        Repr { vni: 0x01_02_03 }.emit(&mut buf).unwrap();
        assert_eq!(&buf[..8], &[0x08, 0, 0, 0, 0x01, 0x02, 0x03, 0]);
        let p = Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(Repr::parse(&p), Repr { vni: 0x010203 });
        assert_eq!(p.payload().len(), 14);
        assert!(p.has_vni());
        // Over bytes it had set before: the reserved fields are cleared.
        let mut dirty = [0xffu8; 8];
        Repr { vni: 1 }.emit(&mut dirty).unwrap();
        assert_eq!(dirty, [0x08, 0, 0, 0, 0, 0, 1, 0]);
        assert_eq!(Repr { vni: 1 }.emit(&mut buf[..7]), Err(Truncated));
    }

    #[test]
    fn otv_overlay_and_missing_flag() {
        // Flags without I, overlay 5, instance 7.
        let b = [0x00, 0, 0, 5, 0, 0, 7, 0];
        let p = Packet::new_checked(&b[..]).unwrap();
        assert!(!p.has_vni());
        assert_eq!(p.vni(), 7);
        assert_eq!(p.payload(), &[]);
        assert!(Packet::new_checked(&b[..7]).is_err());
    }
}
