//! Netlink wire format, smoltcp style: zero-copy views over byte slices with
//! checked constructors, and iterators that stop (never panic) on garbage.
//!
//! Everything the kernel sends is treated as untrusted: lengths are checked
//! against the buffer before any slice is taken, and malformed input yields
//! an error or ends the iteration.

use crate::wire::bytes;
use crate::{Error, Result};

/// Netlink message header length (`struct nlmsghdr`).
pub const NLMSG_HDRLEN: usize = 16;
/// Attribute header length (`struct nlattr` / `struct rtattr`).
pub const NLA_HDRLEN: usize = 4;

pub const NLMSG_NOOP: u16 = 1;
pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;

pub const NLM_F_REQUEST: u16 = 0x1;
pub const NLM_F_MULTI: u16 = 0x2;
pub const NLM_F_ACK: u16 = 0x4;
pub const NLM_F_DUMP: u16 = 0x300;

pub const RTM_NEWLINK: u16 = 16;
pub const RTM_GETLINK: u16 = 18;
pub const RTM_NEWADDR: u16 = 20;
pub const RTM_GETADDR: u16 = 22;
pub const RTM_NEWROUTE: u16 = 24;
pub const RTM_GETROUTE: u16 = 26;
pub const RTM_NEWNEIGH: u16 = 28;
pub const RTM_GETNEIGH: u16 = 30;
pub const RTM_NEWNSID: u16 = 88;
pub const RTM_GETNSID: u16 = 90;

/// Rounds up to the 4-byte netlink alignment.
pub const fn align(len: usize) -> usize {
    (len + 3) & !3
}

mod field {
    pub type Field = core::ops::Range<usize>;
    pub const LEN: Field = 0..4;
    pub const TYPE: Field = 4..6;
    pub const FLAGS: Field = 6..8;
    pub const SEQ: Field = 8..12;
    pub const PID: Field = 12..16;
}

// The header accessors run after `new_checked` saw NLMSG_HDRLEN bytes, so
// the reads cannot come up short; 0 is a harmless stand-in if they did.
fn u16_at(b: &[u8], r: core::ops::Range<usize>) -> u16 {
    bytes::ne16(b, r).unwrap_or(0)
}

fn u32_at(b: &[u8], r: core::ops::Range<usize>) -> u32 {
    bytes::ne32(b, r).unwrap_or(0)
}

/// A view of one netlink message (header plus payload).
#[derive(Debug, Clone, Copy)]
pub struct NlMsg<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> NlMsg<T> {
    /// Wraps `buffer` without checks; accessors stay panic-free anyway.
    pub fn new_unchecked(buffer: T) -> Self {
        NlMsg { buffer }
    }

    /// Wraps `buffer` after checking the header and that `nlmsg_len` fits.
    pub fn new_checked(buffer: T) -> Result<Self> {
        let m = NlMsg { buffer };
        let have = m.buffer.as_ref().len();
        if have < NLMSG_HDRLEN {
            return Err(short("netlink message header", NLMSG_HDRLEN, have));
        }
        let len = m.len() as usize;
        if len < NLMSG_HDRLEN || len > have {
            return Err(Error::format(
                "netlink message from the kernel",
                format!("nlmsg_len {len} does not fit the {have} bytes received"),
            ));
        }
        Ok(m)
    }

    pub fn len(&self) -> u32 {
        u32_at(self.buffer.as_ref(), field::LEN)
    }
    pub fn is_empty(&self) -> bool {
        self.len() as usize <= NLMSG_HDRLEN
    }
    pub fn msg_type(&self) -> u16 {
        u16_at(self.buffer.as_ref(), field::TYPE)
    }
    pub fn flags(&self) -> u16 {
        u16_at(self.buffer.as_ref(), field::FLAGS)
    }
    pub fn seq(&self) -> u32 {
        u32_at(self.buffer.as_ref(), field::SEQ)
    }
    pub fn pid(&self) -> u32 {
        u32_at(self.buffer.as_ref(), field::PID)
    }
    /// The payload after the header, bounded by `nlmsg_len`.
    pub fn payload(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        let end = (self.len() as usize).min(b.len());
        b.get(NLMSG_HDRLEN..end).unwrap_or(&[])
    }
}

fn short(what: &str, need: usize, have: usize) -> Error {
    Error::format(
        format!("{what} from the kernel"),
        format!("{have} bytes, need at least {need}"),
    )
}

/// Iterates over the messages in one `recv` buffer. Stops at the first
/// malformed header, yielding that error once.
pub struct Messages<'a> {
    buf: &'a [u8],
    failed: bool,
}

impl<'a> Messages<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Messages { buf, failed: false }
    }
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<NlMsg<&'a [u8]>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.buf.is_empty() {
            return None;
        }
        match NlMsg::new_checked(self.buf) {
            Ok(m) => {
                let len = m.len() as usize;
                let msg = NlMsg::new_unchecked(self.buf.get(..len).unwrap_or(&[]));
                self.buf = self.buf.get(align(len)..).unwrap_or(&[]);
                Some(Ok(msg))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// The errno in an `NLMSG_ERROR` payload (0 is an ACK). Returns a positive
/// errno, as the kernel's is negated.
pub fn error_code(payload: &[u8]) -> Result<i32> {
    let raw = bytes::ne32(payload, 0)
        .map_err(|_| short("netlink error message", 4, payload.len()))? as i32;
    Ok(raw.checked_neg().unwrap_or(i32::MAX))
}

/// One attribute: type (with the nested/byte-order bits masked off) and
/// payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attr<'a> {
    pub kind: u16,
    pub value: &'a [u8],
}

impl<'a> Attr<'a> {
    pub fn u8(&self) -> Option<u8> {
        self.value.first().copied()
    }
    pub fn u16(&self) -> Option<u16> {
        bytes::ne16(self.value, 0).ok()
    }
    pub fn u16_be(&self) -> Option<u16> {
        bytes::be16(self.value, 0).ok()
    }
    pub fn u32(&self) -> Option<u32> {
        bytes::ne32(self.value, 0).ok()
    }
    pub fn i32(&self) -> Option<i32> {
        self.u32().map(|v| v as i32)
    }
    /// A NUL-terminated (or not) string attribute, lossily decoded.
    pub fn string(&self) -> String {
        let v = self.value;
        let end = v.iter().position(|&b| b == 0).unwrap_or(v.len());
        String::from_utf8_lossy(&v[..end]).into_owned()
    }
    /// An IPv4 or IPv6 address attribute (4 or 16 bytes).
    pub fn ip(&self) -> Option<std::net::IpAddr> {
        ip_from(self.value)
    }
    /// A 6-byte Ethernet address.
    pub fn mac(&self) -> Option<[u8; 6]> {
        self.value.try_into().ok()
    }
    /// The attributes nested inside this one.
    pub fn nested(&self) -> Attrs<'a> {
        Attrs::new(self.value)
    }
}

/// An IPv4 or IPv6 address from 4 or 16 network-order bytes.
pub fn ip_from(b: &[u8]) -> Option<std::net::IpAddr> {
    match b.len() {
        4 => Some(std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).into()),
        16 => {
            let a: [u8; 16] = b.try_into().ok()?;
            Some(std::net::Ipv6Addr::from(a).into())
        }
        _ => None,
    }
}

/// Iterates over a run of attributes; ends at the first one whose length
/// is impossible.
#[derive(Debug, Clone)]
pub struct Attrs<'a> {
    buf: &'a [u8],
}

impl<'a> Attrs<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Attrs { buf }
    }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Attr<'a>;
    fn next(&mut self) -> Option<Attr<'a>> {
        let b = self.buf;
        if b.len() < NLA_HDRLEN {
            return None;
        }
        let (Ok(len), Ok(kind)) = (bytes::ne16(b, 0), bytes::ne16(b, 2)) else {
            return None;
        };
        let (len, kind) = (usize::from(len), kind & 0x3fff);
        if len < NLA_HDRLEN || len > b.len() {
            self.buf = &[];
            return None;
        }
        let value = &b[NLA_HDRLEN..len];
        self.buf = b.get(align(len)..).unwrap_or(&[]);
        Some(Attr { kind, value })
    }
}

/// Builds a request: header, fixed family header, attributes.
#[derive(Debug, Clone)]
pub struct Request {
    buf: Vec<u8>,
}

impl Request {
    /// A request of `msg_type` with `flags` (NLM_F_REQUEST is added) and the
    /// fixed header bytes `fixed` (rtmsg, ndmsg, ifinfomsg, ...).
    pub fn new(msg_type: u16, flags: u16, fixed: &[u8]) -> Self {
        let mut buf = vec![0u8; NLMSG_HDRLEN];
        buf[4..6].copy_from_slice(&msg_type.to_ne_bytes());
        buf[6..8].copy_from_slice(&(flags | NLM_F_REQUEST).to_ne_bytes());
        buf.extend_from_slice(fixed);
        buf.resize(align(buf.len()), 0);
        let mut r = Request { buf };
        r.fix_len();
        r
    }

    /// Appends one attribute.
    pub fn attr(mut self, kind: u16, value: &[u8]) -> Self {
        let len = NLA_HDRLEN + value.len();
        self.buf
            .extend_from_slice(&(len.min(u16::MAX as usize) as u16).to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.buf.extend_from_slice(value);
        self.buf.resize(align(self.buf.len()), 0);
        self.fix_len();
        self
    }

    fn fix_len(&mut self) {
        let len = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&len.to_ne_bytes());
    }

    /// Stamps the sequence number and returns the bytes to send.
    pub fn finish(mut self, seq: u32) -> Vec<u8> {
        self.buf[8..12].copy_from_slice(&seq.to_ne_bytes());
        self.buf
    }
}

/// Fixed headers (`rtmsg`, `ndmsg`, `ifinfomsg`, `ifaddrmsg`) as byte
/// arrays, for requests.
pub mod fixed {
    /// `struct rtmsg` (12 bytes).
    pub fn rtmsg(family: u8, dst_len: u8, flags: u32) -> [u8; 12] {
        let mut b = [0u8; 12];
        b[0] = family;
        b[1] = dst_len;
        b[8..12].copy_from_slice(&flags.to_ne_bytes());
        b
    }
    /// `struct ndmsg` (12 bytes).
    pub fn ndmsg(family: u8, ifindex: i32) -> [u8; 12] {
        let mut b = [0u8; 12];
        b[0] = family;
        b[4..8].copy_from_slice(&ifindex.to_ne_bytes());
        b
    }
    /// `struct ifinfomsg` (16 bytes).
    pub fn ifinfomsg(family: u8, ifindex: i32) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[0] = family;
        b[4..8].copy_from_slice(&ifindex.to_ne_bytes());
        b
    }
    /// `struct ifaddrmsg` (8 bytes).
    pub fn ifaddrmsg(family: u8) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[0] = family;
        b
    }
    /// `struct rtgenmsg` padded (4 bytes), for RTM_GETNSID.
    pub fn rtgenmsg(family: u8) -> [u8; 4] {
        [family, 0, 0, 0]
    }
}

/// Splits a payload into its fixed header of `n` bytes and the attributes
/// after it (aligned), or a format error naming `what`.
pub fn split_fixed<'a>(payload: &'a [u8], n: usize, what: &str) -> Result<(&'a [u8], Attrs<'a>)> {
    if payload.len() < n {
        return Err(short(what, n, payload.len()));
    }
    let rest = payload.get(align(n)..).unwrap_or(&[]);
    Ok((&payload[..n], Attrs::new(rest)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_layout_matches_kernel_abi() {
        let req = Request::new(RTM_GETROUTE, 0, &fixed::rtmsg(2, 32, 0))
            .attr(1, &[10, 244, 0, 21])
            .finish(7);
        // 16 header + 12 rtmsg + 8 attribute.
        assert_eq!(req.len(), 36);
        assert_eq!(&req[0..4], &36u32.to_ne_bytes());
        assert_eq!(&req[4..6], &RTM_GETROUTE.to_ne_bytes());
        assert_eq!(&req[6..8], &NLM_F_REQUEST.to_ne_bytes());
        assert_eq!(&req[8..12], &7u32.to_ne_bytes());
        assert_eq!(req[16], 2);
        assert_eq!(req[17], 32);
        assert_eq!(&req[28..30], &8u16.to_ne_bytes());
        assert_eq!(&req[30..32], &1u16.to_ne_bytes());
        assert_eq!(&req[32..36], &[10, 244, 0, 21]);
    }

    #[test]
    fn messages_walk_and_stop_on_bad_length() {
        let a = Request::new(NLMSG_DONE, 0, &[0, 0, 0, 0]).finish(1);
        let mut two = a.clone();
        two.extend_from_slice(&a);
        assert_eq!(Messages::new(&two).filter(|m| m.is_ok()).count(), 2);
        let mut bad = a.clone();
        bad[0] = 200; // longer than the buffer
        let got: Vec<_> = Messages::new(&bad).collect();
        assert_eq!(got.len(), 1);
        assert!(got[0].is_err());
        assert!(Messages::new(&[1, 2, 3]).next().unwrap().is_err());
    }

    #[test]
    fn attrs_stop_on_truncation_and_mask_flags() {
        // len 8, type 0x8001 (NLA_F_NESTED|1), 4 bytes; then a truncated one.
        let b = [8, 0, 1, 0x80, 1, 2, 3, 4, 9, 0, 2, 0, 1];
        let v: Vec<_> = Attrs::new(&b).collect();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].kind, 1);
        assert_eq!(v[0].value, &[1, 2, 3, 4]);
        assert_eq!(Attrs::new(&[0, 0, 0, 0]).count(), 0);
    }

    #[test]
    fn error_code_negates() {
        assert_eq!(error_code(&(-13i32).to_ne_bytes()).unwrap(), 13);
        assert_eq!(error_code(&i32::MIN.to_ne_bytes()).unwrap(), i32::MAX);
        assert!(error_code(&[1]).is_err());
    }
}
