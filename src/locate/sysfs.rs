//! The bridge's sysfs view, as bridge-utils reads it:
//! `/sys/class/net/BR/brif/*/port_no` and the binary
//! `/sys/class/net/BR/brforward` table (`struct __fdb_entry`).
//!
//! sysfs shows the devices of the namespace it was mounted in (`ip netns
//! exec` remounts it); callers check the bridge is there before trusting it.

use crate::{Error, Result};
use std::path::PathBuf;

fn net(path: &str) -> PathBuf {
    PathBuf::from("/sys/class/net").join(path)
}

/// Reads a sysfs number: decimal, or hex with `0x` (port_no, port_id).
pub fn read_num(path: &std::path::Path) -> Option<u64> {
    let s = std::fs::read_to_string(path).ok()?;
    let s = s.trim();
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// Reads a sysfs string attribute, trimmed.
pub fn read_str(path: &std::path::Path) -> Option<String> {
    Some(std::fs::read_to_string(path).ok()?.trim().to_string())
}

/// A bridge attribute (`/sys/class/net/BR/bridge/NAME`).
pub fn bridge_attr(br: &str, name: &str) -> Option<String> {
    read_str(&net(br).join("bridge").join(name))
}

/// A port attribute (`/sys/class/net/BR/brif/PORT/NAME`).
pub fn port_attr(br: &str, port: &str, name: &str) -> Option<String> {
    read_str(&net(br).join("brif").join(port).join(name))
}

/// True when sysfs here shows `br` as a bridge.
pub fn is_bridge(br: &str) -> bool {
    net(br).join("bridge").is_dir()
}

/// The bridge's ports with their port numbers, sorted by name as brctl
/// lists them (`/sys/class/net/BR/brif/*/port_no`).
pub fn ports(br: &str) -> Result<Vec<(String, u16)>> {
    let dir = net(br).join("brif");
    let rd = std::fs::read_dir(&dir).map_err(|e| {
        Error::os(format!("read {}", dir.display()), e, None)
            .hint("is it a bridge in this network namespace? (`podcap link` lists them)")
    })?;
    let mut v: Vec<(String, u16)> = rd
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let no = read_num(&e.path().join("port_no"))?;
            Some((name, u16::try_from(no).ok()?))
        })
        .collect();
    v.sort();
    Ok(v)
}

/// Size of `struct __fdb_entry` in brforward.
pub const FDB_ENTRY_LEN: usize = 16;

mod field {
    pub const MAC: core::ops::Range<usize> = 0..6;
    pub const PORT_NO: usize = 6;
    pub const IS_LOCAL: usize = 7;
    pub const AGEING: core::ops::Range<usize> = 8..12;
    pub const PORT_HI: usize = 12;
}

/// A view of one brforward record.
#[derive(Debug, Clone, Copy)]
pub struct FdbEntry<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> FdbEntry<T> {
    pub fn new_checked(buffer: T) -> Result<Self> {
        let n = buffer.as_ref().len();
        if n < FDB_ENTRY_LEN {
            return Err(Error::format(
                "brforward record",
                format!("{n} bytes, need {FDB_ENTRY_LEN}"),
            ));
        }
        Ok(FdbEntry { buffer })
    }
    pub fn mac(&self) -> [u8; 6] {
        let mut m = [0u8; 6];
        m.copy_from_slice(&self.buffer.as_ref()[field::MAC]);
        m
    }
    pub fn port_no(&self) -> u16 {
        let b = self.buffer.as_ref();
        u16::from(b[field::PORT_NO]) | u16::from(b[field::PORT_HI]) << 8
    }
    pub fn is_local(&self) -> bool {
        self.buffer.as_ref()[field::IS_LOCAL] != 0
    }
    /// Clock ticks (1/100 s) since the entry was last refreshed.
    pub fn ageing_ticks(&self) -> u32 {
        let b = &self.buffer.as_ref()[field::AGEING];
        u32::from_ne_bytes([b[0], b[1], b[2], b[3]])
    }
}

/// One forwarding entry, from netlink or brforward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdbRepr {
    pub mac: [u8; 6],
    pub port_no: u16,
    pub is_local: bool,
    pub ageing_ticks: u32,
}

impl FdbRepr {
    pub fn parse<T: AsRef<[u8]>>(e: &FdbEntry<T>) -> FdbRepr {
        FdbRepr {
            mac: e.mac(),
            port_no: e.port_no(),
            is_local: e.is_local(),
            ageing_ticks: e.ageing_ticks(),
        }
    }

    pub fn emit(&self, out: &mut [u8]) {
        if out.len() < FDB_ENTRY_LEN {
            return;
        }
        out[field::MAC].copy_from_slice(&self.mac);
        out[field::PORT_NO] = self.port_no as u8;
        out[field::IS_LOCAL] = u8::from(self.is_local);
        out[field::AGEING].copy_from_slice(&self.ageing_ticks.to_ne_bytes());
        out[field::PORT_HI] = (self.port_no >> 8) as u8;
    }
}

/// Parses a whole brforward blob; a trailing partial record is ignored.
pub fn parse_brforward(b: &[u8]) -> Vec<FdbRepr> {
    b.chunks_exact(FDB_ENTRY_LEN)
        .filter_map(|c| FdbEntry::new_checked(c).ok())
        .map(|e| FdbRepr::parse(&e))
        .collect()
}

/// Reads `/sys/class/net/BR/brforward`.
pub fn brforward(br: &str) -> Result<Vec<FdbRepr>> {
    let p = net(br).join("brforward");
    let b = std::fs::read(&p).map_err(|e| Error::os(format!("read {}", p.display()), e, None))?;
    Ok(parse_brforward(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brforward_record_roundtrip() {
        let b: [u8; 16] = [
            0xe2, 0xd0, 0x10, 0x82, 0x13, 0xe1, 7, 0, 0x2d, 0, 0, 0, 1, 0, 0, 0,
        ];
        let e = FdbEntry::new_checked(&b[..]).unwrap();
        let r = FdbRepr::parse(&e);
        assert_eq!(r.mac, [0xe2, 0xd0, 0x10, 0x82, 0x13, 0xe1]);
        assert_eq!(r.port_no, 0x107);
        assert!(!r.is_local);
        assert_eq!(r.ageing_ticks, 45);
        let mut out = [0u8; 16];
        r.emit(&mut out);
        assert_eq!(out, b);
        assert!(FdbEntry::new_checked(&b[..15]).is_err());
        assert_eq!(parse_brforward(&[0u8; 40]).len(), 2);
    }
}
