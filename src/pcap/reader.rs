//! Reading pcap and pcapng files (`-r`), on top of pcap-parser, with
//! libpcap's validity checks so a malformed file is an error, not a panic
//! or garbage.

use crate::{Error, Result};
use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{PcapBlockOwned, PcapError};
use std::io::{Cursor, Read};

/// Largest record podcap accepts: libpcap's largest snap length (256 KiB)
/// with room for the biggest link headers.
pub const MAX_RECORD: u32 = 262_144 + 256;

/// What podcap knows about the interface a packet was read from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileIface {
    /// LINKTYPE_ value.
    pub linktype: u32,
    pub snaplen: u32,
    pub name: Option<String>,
    pub description: Option<String>,
    /// Units per second of time stamps.
    resolution: u64,
    offset: i64,
}

/// One record's metadata; its bytes went to the caller's buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordMeta {
    pub ts_sec: i64,
    pub ts_nsec: u32,
    pub caplen: u32,
    pub wirelen: u32,
    /// Index into [`Reader::interfaces`].
    pub iface: u32,
    /// pcapng `epb_flags` direction bits (1 inbound, 2 outbound), if any.
    pub direction: Option<u8>,
}

/// A packet with its bytes, for tests and small files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedRecord {
    pub ts_sec: i64,
    pub ts_nsec: u32,
    pub wirelen: u32,
    pub linktype: u32,
    pub iface: u32,
    pub data: Vec<u8>,
}

/// A streaming reader of a pcap or pcapng file.
pub struct Reader<'r> {
    inner: Box<dyn PcapReaderIterator + Send + 'r>,
    name: String,
    interfaces: Vec<FileIface>,
    framing: Framing,
    pub is_pcapng: bool,
    records: u64,
}

/// How the file's records are laid out, as its headers said.
#[derive(Default)]
struct Framing {
    /// Legacy pcap: the one pseudo-interface comes from the file header.
    legacy: bool,
    nanos: bool,
    /// pcapng: index in `interfaces` of the current section's first
    /// interface. Sections do not share interface numbers, and each
    /// packet keeps its own section's link type.
    section: usize,
    /// pcapng: the current section's byte order.
    big_endian: bool,
}

pub(crate) fn bad(name: &str, why: impl Into<String>) -> Error {
    Error::format(format!("read {name}"), why)
        .hint("the file is damaged or not a capture; check it with `capinfos` or re-capture")
}

pub(crate) fn describe(e: &PcapError<&[u8]>) -> String {
    match e {
        PcapError::HeaderNotRecognized => "not a pcap or pcapng file (unknown magic number)".into(),
        PcapError::UnexpectedEof | PcapError::Incomplete(_) => {
            "truncated: the last record is incomplete".into()
        }
        PcapError::BufferTooSmall => {
            format!("a record is longer than the {MAX_RECORD}-byte maximum")
        }
        PcapError::ReadError => "read error".into(),
        PcapError::Eof => "empty file".into(),
        PcapError::NomError(_, k) => format!("malformed block ({k:?})"),
        PcapError::OwnedNomError(_, k) => format!("malformed block ({k:?})"),
    }
}

/// pcap-parser's streaming reader of pcap or pcapng (told apart by the
/// magic) over any byte stream; `name` is for messages.
pub(crate) fn open_blocks<'r, R: Read + Send + 'r>(
    name: &str,
    mut r: R,
) -> Result<Box<dyn PcapReaderIterator + Send + 'r>> {
    // Pipes return short reads; gather enough for the magic and the
    // first header before pcap-parser looks at them.
    let mut head = vec![0u8; 4096];
    let mut got = 0;
    while got < head.len() {
        match r.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::os(format!("read {name}"), e, None)),
        }
    }
    head.truncate(got);
    if got == 0 {
        return Err(bad(name, "empty file (no pcap header)"));
    }
    if let Some(why) = truncated_header(&head) {
        return Err(bad(name, why));
    }
    let src = Cursor::new(head).chain(r);
    pcap_parser::create_reader((MAX_RECORD as usize + 64) * 2, src)
        .map_err(|e| bad(name, describe(&e)))
}

impl<'r> Reader<'r> {
    /// Opens a capture from any byte stream; `name` is for messages.
    pub fn new<R: Read + Send + 'r>(name: &str, r: R) -> Result<Reader<'r>> {
        let inner = open_blocks(name, r)?;
        Ok(Reader {
            inner,
            name: name.to_string(),
            interfaces: Vec::new(),
            framing: Framing::default(),
            is_pcapng: false,
            records: 0,
        })
    }

    /// Interfaces seen so far (one for pcap; one per IDB for pcapng).
    pub fn interfaces(&self) -> &[FileIface] {
        &self.interfaces
    }

    /// Whether a pcap file has nanosecond time stamps.
    pub fn nanos(&self) -> bool {
        self.framing.nanos
    }

    /// Reads up to the first packet's header so that [`Reader::interfaces`]
    /// is known, without losing that packet.
    /// Reads the next packet into `buf`. `Ok(None)` at the end of the file.
    pub fn next_into(&mut self, buf: &mut Vec<u8>) -> Result<Option<RecordMeta>> {
        loop {
            let step = match self.inner.next() {
                Ok((len, block)) => {
                    let r = Self::handle(
                        &self.name,
                        &mut self.interfaces,
                        &mut self.framing,
                        &mut self.is_pcapng,
                        block,
                        buf,
                    );
                    self.inner.consume(len);
                    r?
                }
                Err(PcapError::Eof) => return Ok(None),
                Err(PcapError::Incomplete(_)) => {
                    self.inner
                        .refill()
                        .map_err(|e| bad(&self.name, describe(&e)))?;
                    continue;
                }
                Err(e) => {
                    let why = describe(&e);
                    return Err(bad(
                        &self.name,
                        format!("{why} after {} packets", self.records),
                    ));
                }
            };
            if let Some(m) = step {
                self.records += 1;
                return Ok(Some(m));
            }
        }
    }

    fn handle(
        name: &str,
        ifaces: &mut Vec<FileIface>,
        f: &mut Framing,
        is_ng: &mut bool,
        block: PcapBlockOwned<'_>,
        buf: &mut Vec<u8>,
    ) -> Result<Option<RecordMeta>> {
        match block {
            PcapBlockOwned::LegacyHeader(h) => {
                if !(h.version_major == 2 && h.version_minor <= 4) {
                    return Err(bad(
                        name,
                        format!(
                            "unsupported pcap version {}.{} (podcap reads 2.0 to 2.4)",
                            h.version_major, h.version_minor
                        ),
                    ));
                }
                let lt = h.network.0 as u32;
                if lt & 0x03ff_0000 != 0 {
                    return Err(bad(
                        name,
                        format!("link type field 0x{lt:08x} has non-zero reserved bits"),
                    ));
                }
                f.legacy = true;
                f.nanos = h.is_nanosecond_precision();
                ifaces.clear();
                ifaces.push(FileIface {
                    linktype: lt & 0xffff,
                    snaplen: h.snaplen,
                    name: None,
                    description: None,
                    resolution: if f.nanos { 1_000_000_000 } else { 1_000_000 },
                    offset: 0,
                });
                Ok(None)
            }
            PcapBlockOwned::Legacy(b) => {
                if !f.legacy || ifaces.is_empty() {
                    return Err(bad(name, "packet record before the file header"));
                }
                if b.caplen > MAX_RECORD {
                    return Err(bad(
                        name,
                        format!("packet record of {} bytes exceeds {MAX_RECORD}", b.caplen),
                    ));
                }
                // libpcap keeps no more of a record than the file's snap
                // length (a 0 or oversized one meaning 262144), and
                // tcpdump prints what libpcap hands it.
                let snap = match ifaces[0].snaplen {
                    0 => 262_144,
                    s => s.min(262_144),
                };
                let data = b.data.get(..b.caplen.min(snap) as usize).unwrap_or(b.data);
                buf.clear();
                buf.extend_from_slice(data);
                // An out-of-range fraction (a second or more) is kept
                // as it is: tcpdump prints it as it is and reads on.
                let frac = b.ts_usec;
                let ts_nsec = if f.nanos {
                    frac
                } else {
                    frac.saturating_mul(1000)
                };
                Ok(Some(RecordMeta {
                    ts_sec: b.ts_sec as i64,
                    ts_nsec,
                    caplen: data.len() as u32,
                    wirelen: b.origlen.max(data.len() as u32),
                    iface: 0,
                    direction: None,
                }))
            }
            PcapBlockOwned::NG(block) => {
                *is_ng = true;
                match block {
                    Block::SectionHeader(shb) => {
                        if !(shb.major_version == 1
                            && (shb.minor_version == 0 || shb.minor_version == 2))
                        {
                            return Err(bad(
                                name,
                                format!(
                                    "unsupported pcapng version {}.{} (podcap reads 1.0)",
                                    shb.major_version, shb.minor_version
                                ),
                            ));
                        }
                        f.section = ifaces.len();
                        f.big_endian = shb.big_endian();
                        Ok(None)
                    }
                    Block::InterfaceDescription(idb) => {
                        let resolution = pcap_parser::build_ts_resolution(idb.if_tsresol)
                            .filter(|&r| r > 0)
                            .ok_or_else(|| {
                                bad(name, format!("invalid if_tsresol {}", idb.if_tsresol))
                            })?;
                        let text = |o: Option<std::result::Result<&str, _>>| {
                            o.and_then(|r| r.ok()).map(str::to_string)
                        };
                        ifaces.push(FileIface {
                            linktype: idb.linktype.0 as u32 & 0xffff,
                            snaplen: idb.snaplen,
                            name: text(idb.if_name()),
                            description: text(idb.if_description()),
                            resolution,
                            offset: idb.if_tsoffset,
                        });
                        Ok(None)
                    }
                    Block::EnhancedPacket(epb) => {
                        let direction = epb.options.iter().find_map(|o| {
                            (o.code.0 == 2 && o.value.len() >= 4).then(|| {
                                let v = [o.value[0], o.value[1], o.value[2], o.value[3]];
                                (u32::from_ne_bytes(v) & 3) as u8
                            })
                        });
                        let rec = NgPacket {
                            if_id: epb.if_id,
                            ts: ((epb.ts_high as u64) << 32) | epb.ts_low as u64,
                            caplen: epb.caplen,
                            origlen: epb.origlen,
                            data: epb.data,
                            direction: direction.filter(|&d| d != 0),
                        };
                        rec.read(name, ifaces, f.section, buf).map(Some)
                    }
                    // The obsolete Packet Block (pcapng's draft before the
                    // EPB; old Wireshark and tcpdump still write it).
                    Block::Unknown(ub) if ub.block_type == OBSOLETE_PACKET_BLOCK => {
                        let Some(rec) = NgPacket::obsolete(ub.data, f.big_endian) else {
                            return Err(bad(name, "truncated packet block"));
                        };
                        rec.read(name, ifaces, f.section, buf).map(Some)
                    }
                    Block::SimplePacket(spb) => {
                        let Some(i) = ifaces.get(f.section) else {
                            return Err(bad(name, "simple packet block before any interface"));
                        };
                        let n = (spb.origlen.min(i.snaplen.max(1)) as usize).min(spb.data.len());
                        buf.clear();
                        buf.extend_from_slice(&spb.data[..n]);
                        Ok(Some(RecordMeta {
                            ts_sec: 0,
                            ts_nsec: 0,
                            caplen: n as u32,
                            wirelen: spb.origlen.max(n as u32),
                            iface: f.section as u32,
                            direction: None,
                        }))
                    }
                    _ => Ok(None),
                }
            }
        }
    }
}

/// A file that starts like pcap or pcapng but ends inside its first
/// header: said as that, as tcpdump does, not as an unknown format.
fn truncated_header(head: &[u8]) -> Option<String> {
    const PCAP_MAGICS: [u32; 4] = [0xa1b2_c3d4, 0xd4c3_b2a1, 0xa1b2_3c4d, 0x4d3c_b2a1];
    let magic = u32::from_be_bytes(head.get(..4)?.try_into().ok()?);
    if PCAP_MAGICS.contains(&magic) && head.len() < 24 {
        return Some(format!(
            "truncated pcap file header ({} of 24 bytes)",
            head.len()
        ));
    }
    if magic == 0x0a0d_0d0a {
        // Block type, length, byte-order magic, version: 16 bytes, then
        // the block's own length.
        if head.len() < 16 {
            return Some(format!(
                "truncated pcapng section header ({} of at least 28 bytes)",
                head.len()
            ));
        }
        let bom = u32::from_le_bytes(head[8..12].try_into().ok()?);
        let len = match bom {
            0x1a2b_3c4d => u32::from_le_bytes(head[4..8].try_into().ok()?),
            0x4d3c_2b1a => u32::from_be_bytes(head[4..8].try_into().ok()?),
            _ => return None,
        };
        if (head.len() as u64) < u64::from(len.max(28)) && head.len() < 4096 {
            return Some(format!(
                "truncated pcapng section header ({} of {} bytes)",
                head.len(),
                len.max(28)
            ));
        }
    }
    None
}

/// pcapng's obsolete Packet Block type.
const OBSOLETE_PACKET_BLOCK: u32 = 2;

/// A pcapng packet (EPB or obsolete PB) before it is checked against its
/// section's interfaces.
struct NgPacket<'a> {
    if_id: u32,
    ts: u64,
    caplen: u32,
    origlen: u32,
    data: &'a [u8],
    direction: Option<u8>,
}

impl<'a> NgPacket<'a> {
    /// A Packet Block's body: interface (16 bits), drops (16 bits), time
    /// stamp high and low, captured and original length, the data.
    fn obsolete(b: &'a [u8], big_endian: bool) -> Option<Self> {
        let u32_at = |at: usize| {
            let v: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
            Some(if big_endian {
                u32::from_be_bytes(v)
            } else {
                u32::from_le_bytes(v)
            })
        };
        let id: [u8; 2] = b.get(..2)?.try_into().ok()?;
        let if_id = if big_endian {
            u16::from_be_bytes(id)
        } else {
            u16::from_le_bytes(id)
        };
        let caplen = u32_at(12)?;
        Some(NgPacket {
            if_id: u32::from(if_id),
            ts: (u64::from(u32_at(4)?) << 32) | u64::from(u32_at(8)?),
            caplen,
            origlen: u32_at(16)?,
            data: b.get(20..)?,
            direction: None,
        })
    }

    fn read(
        &self,
        name: &str,
        ifaces: &[FileIface],
        section: usize,
        buf: &mut Vec<u8>,
    ) -> Result<RecordMeta> {
        let iface = section + self.if_id as usize;
        let Some(i) = ifaces.get(iface) else {
            return Err(bad(
                name,
                format!(
                    "packet for interface {} but only {} described",
                    self.if_id,
                    ifaces.len().saturating_sub(section)
                ),
            ));
        };
        if self.caplen > MAX_RECORD {
            return Err(bad(
                name,
                format!("packet of {} bytes exceeds {MAX_RECORD}", self.caplen),
            ));
        }
        let data = self.data.get(..self.caplen as usize).unwrap_or(self.data);
        buf.clear();
        buf.extend_from_slice(data);
        let sec = (self.ts / i.resolution) as i64;
        let frac = self.ts % i.resolution;
        let ts_nsec = (frac as u128 * 1_000_000_000 / i.resolution as u128) as u32;
        Ok(RecordMeta {
            ts_sec: sec.saturating_add(i.offset),
            ts_nsec,
            caplen: data.len() as u32,
            wirelen: self.origlen.max(data.len() as u32),
            iface: iface as u32,
            direction: self.direction,
        })
    }
}

/// Reads a whole capture held in memory (tests, fuzzing).
pub fn read_all(bytes: &[u8]) -> Result<Vec<OwnedRecord>> {
    let mut r = Reader::new("buffer", bytes)?;
    let mut out = Vec::new();
    let mut buf = Vec::new();
    while let Some(m) = r.next_into(&mut buf)? {
        let lt = r
            .interfaces()
            .get(m.iface as usize)
            .map(|i| i.linktype)
            .unwrap_or(0);
        out.push(OwnedRecord {
            ts_sec: m.ts_sec,
            ts_nsec: m.ts_nsec,
            wirelen: m.wirelen,
            linktype: lt,
            iface: m.iface,
            data: buf.clone(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linktype::LinkType;
    use crate::pcap::writer::{PcapWriter, Precision, Record};

    fn sample(precision: Precision) -> Vec<u8> {
        let mut w = PcapWriter::new(Vec::new(), LinkType::Raw, 262144, precision).unwrap();
        for i in 0..3u8 {
            w.write(&Record {
                ts_sec: 10 + i as i64,
                ts_nsec: 123_456_789,
                wirelen: 50,
                parts: [&[0x45], &[i; 9]],
                iface: 0,
                pkttype: None,
            })
            .unwrap();
        }
        w.get_ref().clone()
    }

    #[test]
    fn pcap_round_trip_micro_and_nano() {
        let v = read_all(&sample(Precision::Micro)).unwrap();
        assert_eq!(v.len(), 3);
        assert_eq!(v[2].ts_sec, 12);
        assert_eq!(v[2].ts_nsec, 123_456_000);
        assert_eq!(v[1].data[1..], [1; 9]);
        assert_eq!(v[0].linktype, 101);
        let v = read_all(&sample(Precision::Nano)).unwrap();
        assert_eq!(v[0].ts_nsec, 123_456_789);
    }

    #[test]
    fn truncated_file_is_an_error() {
        let s = sample(Precision::Micro);
        for cut in [0, 10, 30, s.len() - 1] {
            assert!(read_all(&s[..cut]).is_err(), "cut at {cut}");
        }
        // Exactly the header: a valid, empty capture.
        assert_eq!(read_all(&s[..24]).unwrap().len(), 0);
    }

    #[test]
    fn huge_lengths_are_errors_not_allocations() {
        let mut s = sample(Precision::Micro)[..24].to_vec();
        for v in [0u32, 0, u32::MAX, u32::MAX] {
            s.extend_from_slice(&v.to_ne_bytes());
        }
        s.extend_from_slice(&[0; 64]);
        let e = read_all(&s).unwrap_err();
        assert!(
            e.to_string().contains("maximum") || e.to_string().contains("exceeds"),
            "{e}"
        );
        // pcapng: an EPB claiming 4 GiB of packet data.
        let mut ng = crate::pcap::writer::PcapNgWriter::new(Vec::new(), Precision::Micro).unwrap();
        ng.add_interface(&crate::pcap::writer::NgInterface {
            name: "x".into(),
            description: None,
            linktype: LinkType::En10mb,
            snaplen: 100,
        })
        .unwrap();
        let mut b = ng.get_ref().clone();
        for v in [6u32, 0xffff_fff0, 0, 0, 0, 0xffff_ff00, 0xffff_ff00] {
            b.extend_from_slice(&v.to_ne_bytes());
        }
        b.extend_from_slice(&[0; 64]);
        assert!(read_all(&b).is_err());
    }

    /// Structured garbage: valid section and interface headers followed by
    /// blocks of random type, length and contents.
    #[test]
    fn random_pcapng_blocks_never_panic() {
        let mut x: u64 = 0x1234_5678_9abc_def1;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut ng = crate::pcap::writer::PcapNgWriter::new(Vec::new(), Precision::Nano).unwrap();
        ng.add_interface(&crate::pcap::writer::NgInterface {
            name: "eth0".into(),
            description: Some("d".into()),
            linktype: LinkType::LinuxSll,
            snaplen: 262144,
        })
        .unwrap();
        let base = ng.get_ref().clone();
        for _ in 0..400 {
            let mut f = base.clone();
            for _ in 0..(1 + rnd() % 4) {
                let kinds = [1u32, 2, 3, 4, 5, 6, 0x0a0d_0d0a, 0xbad, rnd() as u32];
                let t = kinds[(rnd() % kinds.len() as u64) as usize];
                let body = (rnd() % 96) as usize & !3;
                let len = if rnd() % 4 == 0 {
                    rnd() as u32
                } else {
                    (12 + body) as u32
                };
                f.extend_from_slice(&t.to_ne_bytes());
                f.extend_from_slice(&len.to_ne_bytes());
                for _ in 0..body {
                    f.push(rnd() as u8);
                }
                f.extend_from_slice(&len.to_ne_bytes());
            }
            let _ = read_all(&f);
        }
    }

    /// A pcapng block in little-endian order, padded.
    fn block(kind: u32, body: &[u8]) -> Vec<u8> {
        let mut body = body.to_vec();
        body.resize(body.len().next_multiple_of(4), 0);
        let n = (body.len() + 12) as u32;
        let mut b = kind.to_le_bytes().to_vec();
        b.extend_from_slice(&n.to_le_bytes());
        b.extend_from_slice(&body);
        b.extend_from_slice(&n.to_le_bytes());
        b
    }

    fn shb() -> Vec<u8> {
        let mut body = 0x1a2b_3c4du32.to_le_bytes().to_vec();
        body.extend_from_slice(&[1, 0, 0, 0]);
        body.extend_from_slice(&(-1i64).to_le_bytes());
        block(0x0a0d_0d0a, &body)
    }

    fn idb(linktype: u16) -> Vec<u8> {
        let mut body = linktype.to_le_bytes().to_vec();
        body.extend_from_slice(&[0, 0]);
        body.extend_from_slice(&65535u32.to_le_bytes());
        block(1, &body)
    }

    /// An EPB (type 6) or an obsolete Packet Block (type 2, a 16-bit
    /// interface and drop count) at `sec` seconds.
    fn packet(kind: u32, iface: u16, sec: u32, data: &[u8]) -> Vec<u8> {
        let mut body = if kind == 2 {
            [iface.to_le_bytes(), [0, 0]].concat()
        } else {
            u32::from(iface).to_le_bytes().to_vec()
        };
        let ts = u64::from(sec) * 1_000_000;
        body.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(ts as u32).to_le_bytes());
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(data);
        block(kind, &body)
    }

    #[test]
    fn each_section_keeps_its_interfaces_and_packet_blocks_are_read() {
        let f = [
            shb(),
            idb(1),
            packet(6, 0, 1, &[1; 20]),
            packet(2, 0, 2, &[2; 20]),
            shb(),
            idb(101),
            packet(6, 0, 3, &[0x45; 20]),
            packet(2, 0, 4, &[0x45; 20]),
        ]
        .concat();
        let v = read_all(&f).unwrap();
        let got: Vec<(i64, u32, u32)> = v.iter().map(|r| (r.ts_sec, r.iface, r.linktype)).collect();
        assert_eq!(got, [(1, 0, 1), (2, 0, 1), (3, 1, 101), (4, 1, 101)]);
        // An interface number from the first section is not the second's.
        let f = [shb(), idb(1), shb(), packet(6, 0, 1, &[1; 20])].concat();
        assert!(
            read_all(&f)
                .unwrap_err()
                .to_string()
                .contains("interface 0")
        );
        // A packet block cut short is an error, not a panic.
        let f = [shb(), idb(1), block(2, &[0; 10])].concat();
        assert!(read_all(&f).is_err());
    }

    #[test]
    fn an_out_of_range_fraction_is_kept_and_the_read_goes_on() {
        let mut s = sample(Precision::Micro);
        // The second record's microseconds.
        let at = 24 + 16 + 10 + 4;
        s[at..at + 4].copy_from_slice(&1_500_000u32.to_le_bytes());
        let v = read_all(&s).unwrap();
        assert_eq!(v.len(), 3);
        assert_eq!(v[1].ts_nsec, 1_500_000_000);
    }

    #[test]
    fn a_truncated_first_header_says_so() {
        let s = shb();
        for cut in [6, 20] {
            let e = read_all(&s[..cut]).unwrap_err().to_string();
            assert!(e.contains("truncated pcapng section header"), "{cut}: {e}");
        }
        let e = read_all(&sample(Precision::Micro)[..10])
            .unwrap_err()
            .to_string();
        assert!(e.contains("truncated pcap file header"), "{e}");
        let e = read_all(b"GIF89a...").unwrap_err().to_string();
        assert!(e.contains("unknown magic number"), "{e}");
    }

    #[test]
    fn bad_version_and_reserved_bits() {
        let mut s = sample(Precision::Micro);
        s[4] = 3;
        assert!(read_all(&s).unwrap_err().to_string().contains("version"));
        let mut s = sample(Precision::Micro);
        s[22] = 1;
        assert!(read_all(&s).unwrap_err().to_string().contains("reserved"));
    }

    /// Random damage never panics (a seeded generator stands in for a
    /// property-testing crate). libpcap's malformed savefiles:
    /// tests/tcpdump_mode.rs.
    #[test]
    fn random_damage_never_panics() {
        let base = sample(Precision::Nano);
        let mut ng = crate::pcap::writer::PcapNgWriter::new(Vec::new(), Precision::Micro).unwrap();
        ng.add_interface(&crate::pcap::writer::NgInterface {
            name: "x".into(),
            description: None,
            linktype: LinkType::En10mb,
            snaplen: 100,
        })
        .unwrap();
        ng.write(&Record {
            ts_sec: 1,
            ts_nsec: 0,
            wirelen: 20,
            parts: [&[], &[7; 20]],
            iface: 0,
            pkttype: Some(0),
        })
        .unwrap();
        let ngb = ng.get_ref().clone();
        let mut rng = crate::bpf::testutil::Rng::new(0x9e37_79b9_7f4a_7c15);
        let mut rnd = || rng.next_u64();
        for round in 0..400 {
            let mut f = if round % 2 == 0 {
                base.clone()
            } else {
                ngb.clone()
            };
            for _ in 0..(1 + rnd() % 4) {
                let at = (rnd() as usize) % f.len();
                f[at] = rnd() as u8;
            }
            let cut = (rnd() as usize) % (f.len() + 1);
            let _ = read_all(&f[..cut]);
        }
    }
}
