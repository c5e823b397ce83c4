//! pcap and pcapng: the bytes each format puts around a packet (file
//! headers, record headers and trailers, as free functions that the
//! capture's vectored writer puts between packet slices), and two simple
//! writers over `io::Write` built from them.

use super::wire::FileHeaderRepr;
use crate::linktype::LinkType;
use std::io::{self, Write};

/// Time stamp precision of the output (`--time-stamp-precision`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    #[default]
    Micro,
    Nano,
}

/// One packet to write.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    pub ts_sec: i64,
    pub ts_nsec: u32,
    pub wirelen: u32,
    /// The captured bytes, possibly in pieces (synthesized header + ring).
    pub parts: [&'a [u8]; 2],
    /// pcapng interface id (index of `add_interface`); ignored by pcap.
    pub iface: u32,
    /// `PACKET_*` type, written as pcapng `epb_flags`; ignored by pcap.
    pub pkttype: Option<u8>,
}

impl Record<'_> {
    fn caplen(&self) -> usize {
        self.parts[0].len() + self.parts[1].len()
    }
}

/// A classic pcap file (LINKTYPE from the first source).
pub struct PcapWriter<W: Write> {
    out: W,
    precision: Precision,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header.
    pub fn new(
        mut out: W,
        linktype: LinkType,
        snaplen: u32,
        precision: Precision,
    ) -> io::Result<Self> {
        out.write_all(&pcap_file_header(linktype, snaplen, precision))?;
        Ok(PcapWriter { out, precision })
    }

    pub fn write(&mut self, r: &Record<'_>) -> io::Result<()> {
        let hb = pcap_record_header(r.ts_sec, r.ts_nsec, r.caplen(), r.wirelen, self.precision);
        self.out.write_all(&hb)?;
        self.out.write_all(r.parts[0])?;
        self.out.write_all(r.parts[1])
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn get_ref(&self) -> &W {
        &self.out
    }
}

/// pcapng: a section header, one interface description per interface,
/// enhanced packet blocks.
pub struct PcapNgWriter<W: Write> {
    out: W,
    precision: Precision,
    interfaces: u32,
}

/// Description of one pcapng interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NgInterface {
    pub name: String,
    /// `if_description`: podcap writes where the interface lives (its
    /// network namespace) so multi-namespace captures stay readable.
    pub description: Option<String>,
    pub linktype: LinkType,
    pub snaplen: u32,
}

pub(crate) fn pad4(n: usize) -> usize {
    (n + 3) & !3
}

pub(crate) fn push_option(buf: &mut Vec<u8>, code: u16, value: &[u8]) {
    buf.extend_from_slice(&code.to_ne_bytes());
    buf.extend_from_slice(&(value.len() as u16).to_ne_bytes());
    buf.extend_from_slice(value);
    buf.resize(pad4(buf.len()), 0);
}

pub(crate) fn finish_block(block_type: u32, body: &[u8]) -> Vec<u8> {
    let len = (12 + body.len()) as u32;
    let mut b = Vec::with_capacity(len as usize);
    b.extend_from_slice(&block_type.to_ne_bytes());
    b.extend_from_slice(&len.to_ne_bytes());
    b.extend_from_slice(body);
    b.extend_from_slice(&len.to_ne_bytes());
    b
}

/// pcapng `epb_flags` from a packet type: direction in bits 0-1,
/// reception type in bits 2-4.
pub fn epb_flags(pkttype: u8) -> u32 {
    match pkttype {
        0 => 0b001 | (1 << 2), // inbound, unicast
        1 => 0b001 | (3 << 2), // inbound, broadcast
        2 => 0b001 | (2 << 2), // inbound, multicast
        3 => 0b001 | (4 << 2), // inbound, promiscuous
        4 => 0b010,            // outbound
        _ => 0,
    }
}

/// A classic pcap file header.
pub fn pcap_file_header(linktype: LinkType, snaplen: u32, precision: Precision) -> [u8; 24] {
    let mut h = [0u8; FileHeaderRepr::LEN];
    FileHeaderRepr {
        nanos: precision == Precision::Nano,
        snaplen,
        linktype: linktype.linktype(),
    }
    .emit(&mut h);
    h
}

/// A pcap record header for a packet of `caplen` bytes.
pub fn pcap_record_header(
    ts_sec: i64,
    ts_nsec: u32,
    caplen: usize,
    wirelen: u32,
    precision: Precision,
) -> [u8; 16] {
    // pcap's 32-bit seconds wrap in 2106; truncation is the format's.
    let words = [
        ts_sec as u32,
        match precision {
            Precision::Micro => ts_nsec / 1000,
            Precision::Nano => ts_nsec,
        },
        caplen as u32,
        wirelen.max(caplen as u32),
    ];
    // The layout of RecordHeader (pcap::wire), word by word: this runs
    // for every packet, and byte stores beat the setters' slice copies.
    let mut h = [0u8; 16];
    for (i, w) in words.iter().enumerate() {
        let b = w.to_ne_bytes();
        h[i * 4] = b[0];
        h[i * 4 + 1] = b[1];
        h[i * 4 + 2] = b[2];
        h[i * 4 + 3] = b[3];
    }
    h
}

/// A pcapng section header block.
pub fn pcapng_section_header() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&0x1a2b_3c4du32.to_ne_bytes());
    body.extend_from_slice(&1u16.to_ne_bytes());
    body.extend_from_slice(&0u16.to_ne_bytes());
    body.extend_from_slice(&(-1i64).to_ne_bytes());
    let app = format!("podcap {}", env!("CARGO_PKG_VERSION"));
    push_option(&mut body, 4, app.as_bytes()); // shb_userappl
    push_option(&mut body, 0, &[]);
    finish_block(0x0a0d_0d0a, &body)
}

/// A pcapng interface description block.
pub fn pcapng_interface(i: &NgInterface, precision: Precision) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&(i.linktype.linktype() as u16).to_ne_bytes());
    body.extend_from_slice(&0u16.to_ne_bytes());
    body.extend_from_slice(&i.snaplen.to_ne_bytes());
    push_option(&mut body, 2, i.name.as_bytes()); // if_name
    if let Some(d) = &i.description {
        push_option(&mut body, 3, d.as_bytes()); // if_description
    }
    let tsresol = match precision {
        Precision::Micro => 6u8,
        Precision::Nano => 9u8,
    };
    push_option(&mut body, 9, &[tsresol]); // if_tsresol
    push_option(&mut body, 0, &[]);
    finish_block(1, &body)
}

/// The bytes of a pcapng enhanced packet block around `caplen` packet
/// bytes: the 28-byte head, and the tail (padding to 4 bytes, the
/// `epb_flags` option from `pkttype`, the closing length) with its length.
pub fn pcapng_epb(
    iface: u32,
    ts_sec: i64,
    ts_nsec: u32,
    caplen: usize,
    wirelen: u32,
    pkttype: Option<u8>,
    precision: Precision,
) -> ([u8; 28], [u8; 20], usize) {
    let ts: u64 = match precision {
        Precision::Micro => (ts_sec.max(0) as u64) * 1_000_000 + (ts_nsec / 1000) as u64,
        Precision::Nano => (ts_sec.max(0) as u64) * 1_000_000_000 + ts_nsec as u64,
    };
    let flags = pkttype.map(epb_flags).filter(|&f| f != 0);
    let opts_len = if flags.is_some() { 8 + 4 } else { 0 };
    let pad = pad4(caplen) - caplen;
    let total = (32 + pad4(caplen) + opts_len) as u32;
    let mut h = [0u8; 28];
    let fields = [
        6u32,
        total,
        iface,
        (ts >> 32) as u32,
        ts as u32,
        caplen as u32,
        wirelen.max(caplen as u32),
    ];
    for (i, v) in fields.iter().enumerate() {
        h[i * 4..i * 4 + 4].copy_from_slice(&v.to_ne_bytes());
    }
    let mut t = [0u8; 20];
    let mut n = pad;
    if let Some(f) = flags {
        t[n..n + 2].copy_from_slice(&2u16.to_ne_bytes()); // epb_flags
        t[n + 2..n + 4].copy_from_slice(&4u16.to_ne_bytes());
        t[n + 4..n + 8].copy_from_slice(&f.to_ne_bytes());
        n += 12; // and opt_endofopt, zero
    }
    t[n..n + 4].copy_from_slice(&total.to_ne_bytes());
    (h, t, n + 4)
}

impl<W: Write> PcapNgWriter<W> {
    /// Writes the section header block.
    pub fn new(mut out: W, precision: Precision) -> io::Result<Self> {
        out.write_all(&pcapng_section_header())?;
        Ok(PcapNgWriter {
            out,
            precision,
            interfaces: 0,
        })
    }

    /// Writes an interface description block; returns its interface id.
    pub fn add_interface(&mut self, i: &NgInterface) -> io::Result<u32> {
        self.out.write_all(&pcapng_interface(i, self.precision))?;
        self.interfaces += 1;
        Ok(self.interfaces - 1)
    }

    pub fn write(&mut self, r: &Record<'_>) -> io::Result<()> {
        let (h, t, tn) = pcapng_epb(
            r.iface,
            r.ts_sec,
            r.ts_nsec,
            r.caplen(),
            r.wirelen,
            r.pkttype,
            self.precision,
        );
        self.out.write_all(&h)?;
        self.out.write_all(r.parts[0])?;
        self.out.write_all(r.parts[1])?;
        self.out.write_all(&t[..tn])
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn get_ref(&self) -> &W {
        &self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcap::wire::RecordHeader;

    fn rec(parts: [&[u8]; 2]) -> Record<'_> {
        Record {
            ts_sec: 1,
            ts_nsec: 2_000,
            wirelen: 100,
            parts,
            iface: 0,
            pkttype: Some(4),
        }
    }

    #[test]
    fn pcap_bytes() {
        let mut w = PcapWriter::new(Vec::new(), LinkType::En10mb, 65535, Precision::Micro).unwrap();
        w.write(&rec([&[1, 2], &[3]])).unwrap();
        let b = w.get_ref();
        assert_eq!(b.len(), 24 + 16 + 3);
        let r = RecordHeader::new_checked(&b[24..40]).unwrap();
        assert_eq!(
            (r.ts_sec(), r.ts_frac(), r.incl_len(), r.orig_len()),
            (1, 2, 3, 100)
        );
        assert_eq!(&b[40..], &[1, 2, 3]);
    }

    #[test]
    fn pcapng_blocks_are_aligned_and_parse() {
        let mut w = PcapNgWriter::new(Vec::new(), Precision::Nano).unwrap();
        let id = w
            .add_interface(&NgInterface {
                name: "eth0".into(),
                description: Some("netns /proc/1/ns/net".into()),
                linktype: LinkType::En10mb,
                snaplen: 262144,
            })
            .unwrap();
        assert_eq!(id, 0);
        w.write(&rec([&[], &[0xaa; 5]])).unwrap();
        let b = w.get_ref().clone();
        assert_eq!(b.len() % 4, 0);
        let pkts = crate::pcap::reader::read_all(&b[..]).unwrap();
        assert_eq!(pkts.len(), 1);
        assert_eq!(pkts[0].data, vec![0xaa; 5]);
        assert_eq!(pkts[0].ts_nsec, 2_000);
        assert_eq!(pkts[0].ts_sec, 1);
        assert_eq!(pkts[0].wirelen, 100);
    }

    #[test]
    fn flags_by_packet_type() {
        assert_eq!(epb_flags(4), 2);
        assert_eq!(epb_flags(0), 0b101);
        assert_eq!(epb_flags(9), 0);
    }
}
