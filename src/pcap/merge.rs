//! Merging captures into one pcapng ordered by time: mergecap's job, for
//! the captures of several pods or nodes (`podcap merge`, the kubectl
//! plugin's several-pod mode).
//!
//! Inputs are pcap or pcapng in any mix, each with any number of
//! interfaces and sections. Every interface block is carried over with
//! its link type, snap length and options (time stamp resolution and
//! offset included, so packet time stamps are copied unchanged); packets
//! keep their options (direction flags, drop counts, comments). Packets
//! are read one at a time from each input and the earliest goes first,
//! ties to the later input, as mergecap does; within one input the order
//! is the file's. Name resolution, decryption secrets and interface
//! statistics blocks follow their input's previous packet. Big-endian
//! sections are rewritten in the host's order; an option whose layout
//! podcap does not know cannot be swapped and is left out (counted).
//!
//! A [`Source`] may carry a label: its interfaces are renamed to it (one
//! interface before the first packet: `LABEL`; several: `LABEL/NAME`), and
//! the original name and description move into `if_description` after the
//! given one. An input that turns out damaged part way stops there with a
//! [`Summary::problems`] entry; the others are merged to the end.

use super::reader::{MAX_RECORD, bad, describe, open_blocks};
use super::writer::{PcapNgWriter, Precision, finish_block, pad4, push_option};
use crate::{Error, Result};
use pcap_parser::pcapng::{Block, PcapNGOption};
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{PcapBlockOwned, PcapError};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{Read, Write};

/// One input of a merge.
pub struct Source<'r> {
    /// For messages (a path, or `-` for stdin).
    pub name: String,
    pub reader: Box<dyn Read + Send + 'r>,
    /// New name for its interfaces (the plugin's `NODE/NAMESPACE/POD`).
    pub label: Option<String>,
    /// `if_description` for its interfaces, before the original ones.
    pub description: Option<String>,
}

/// What a merge did.
#[derive(Debug, Default)]
pub struct Summary {
    pub packets: u64,
    pub interfaces: u32,
    /// Options of big-endian sections left out (layout unknown).
    pub dropped_options: u64,
    /// Blocks not carried over (process information, journal entries,
    /// custom and unknown block types).
    pub skipped_blocks: u64,
    /// Inputs that ended early, each with the reason and how many of its
    /// packets were merged.
    pub problems: Vec<Error>,
}

/// Block types (pcapng draft, section 11.1).
mod block {
    pub const IDB: u32 = 1;
    pub const NRB: u32 = 4;
    pub const ISB: u32 = 5;
    pub const EPB: u32 = 6;
    pub const DSB: u32 = 10;
}

/// Option codes podcap rewrites.
const OPT_END: u16 = 0;
const IF_NAME: u16 = 2;
const IF_DESCRIPTION: u16 = 3;
const IF_TSRESOL: u16 = 9;

/// How an option's value is laid out, for rewriting it in host order.
#[derive(Clone, Copy)]
enum Layout {
    /// Text, addresses, single bytes: no byte order.
    Bytes,
    U32,
    U64,
    /// Two u32 (ISB start/end time: high, low).
    U32Pair,
    /// A custom option: a u32 Private Enterprise Number, then bytes.
    Custom,
    Unknown,
}

fn layout(block_type: u32, code: u16) -> Layout {
    use Layout::*;
    match (block_type, code) {
        (_, 1) => Bytes, // opt_comment
        (_, 2988 | 2989 | 19372 | 19373) => Custom,
        // if_name, if_description, if_IPv4addr, if_IPv6addr, if_MACaddr,
        // if_EUIaddr, if_tsresol, if_os, if_fcslen, if_hardware,
        // if_iana_tzname
        (block::IDB, 2..=7 | 9 | 12 | 13 | 15 | 18) => Bytes,
        (block::IDB, 8 | 14 | 16 | 17) => U64, // speeds, if_tsoffset
        (block::IDB, 10) => U32,               // if_tzone
        (block::EPB, 2 | 6) => U32,            // epb_flags, epb_queue
        (block::EPB, 3) => Bytes,              // epb_hash
        (block::EPB, 4 | 5) => U64,            // epb_dropcount, epb_packetid
        (block::ISB, 2 | 3) => U32Pair,        // isb_starttime, isb_endtime
        (block::ISB, 4..=8) => U64,            // the counters
        (block::NRB, 2..=4) => Bytes,          // ns_dnsname, ns_dnsIP4addr, ns_dnsIP6addr
        _ => Unknown,
    }
}

/// Appends `opts` (end-of-options excluded) to `body` in host order,
/// leaving out the codes `skip` names; `be`: the section is big-endian.
/// Returns how many were left out because they could not be rewritten.
fn put_options(
    body: &mut Vec<u8>,
    block_type: u32,
    opts: &[PcapNGOption<'_>],
    be: bool,
    skip: &[u16],
) -> u64 {
    let mut dropped = 0;
    for o in opts {
        let code = o.code.0;
        if code == OPT_END || skip.contains(&code) {
            continue;
        }
        let Ok(v) = o.as_bytes() else {
            dropped += 1;
            continue;
        };
        if !be {
            push_option(body, code, v);
            continue;
        }
        let mut v = v.to_vec();
        let ok = match layout(block_type, code) {
            Layout::Bytes => true,
            Layout::U32 | Layout::U64 if v.len() == 4 || v.len() == 8 => {
                v.reverse();
                true
            }
            Layout::U32Pair if v.len() == 8 => {
                v[..4].reverse();
                v[4..].reverse();
                true
            }
            Layout::Custom if v.len() >= 4 => {
                v[..4].reverse();
                true
            }
            _ => false,
        };
        if ok {
            push_option(body, code, &v);
        } else {
            dropped += 1;
        }
    }
    dropped
}

fn end_options(body: &mut Vec<u8>, start: usize) {
    if body.len() > start {
        push_option(body, OPT_END, &[]);
    }
}

/// One interface of an input, as the current section defines it.
#[derive(Debug, Clone)]
struct Iface {
    /// Its id in the output; `None` while its block is held back.
    out: Option<u32>,
    /// Time stamp units per second, and the offset in seconds.
    res: u64,
    offset: i64,
    snaplen: u32,
}

/// An interface block read before the input's first packet, held until
/// the number of them is known (it decides the labels).
struct Held {
    /// Index into the section's interfaces.
    index: usize,
    /// Its number in the whole input (all sections), for `LABEL/ifN`.
    number: usize,
    linktype: u16,
    snaplen: u32,
    name: Option<String>,
    description: Option<String>,
    /// Options other than name and description, already in host order.
    rest: Vec<u8>,
}

/// The next packet of an input, ready to write.
struct Head {
    sec: i64,
    nsec: u32,
    block: Vec<u8>,
}

/// The output: its interface ids and the bytes written.
struct Out<W: Write> {
    w: std::io::BufWriter<W>,
    name: String,
    next_id: u32,
}

impl<W: Write> Out<W> {
    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.w
            .write_all(bytes)
            .map_err(|e| Error::os(format!("write {}", self.name), e, None))
    }
}

/// An input being read: its blocks, and the state of its current section.
struct Input<'r> {
    blocks: Box<dyn PcapReaderIterator + Send + 'r>,
    st: State,
}

struct State {
    name: String,
    label: Option<String>,
    description: Option<String>,
    be: bool,
    ifaces: Vec<Iface>,
    /// Legacy pcap: nanosecond time stamps.
    nanos: bool,
    held: Vec<Held>,
    /// Interface blocks have been written for this input: later ones are
    /// never alone, so they are named `LABEL/NAME`.
    flushed: bool,
    /// Interfaces of this input so far, all sections.
    count: usize,
    packets: u64,
    head: Option<Head>,
    done: bool,
}

/// What a block read from an input turned out to be.
enum Step {
    Packet(Head),
    More,
}

fn u32s(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_ne_bytes()).collect()
}

impl State {
    /// Decides names and writes the held interface blocks.
    fn flush<W: Write>(&mut self, out: &mut Out<W>, sum: &mut Summary) -> Result<()> {
        if self.held.is_empty() {
            return Ok(());
        }
        let alone = !self.flushed && self.held.len() == 1;
        for h in std::mem::take(&mut self.held) {
            let (name, description) = match &self.label {
                None => (h.name.clone(), h.description.clone()),
                Some(l) => {
                    let name = if alone {
                        l.clone()
                    } else {
                        let orig = h.name.clone().unwrap_or_else(|| format!("if{}", h.number));
                        format!("{l}/{orig}")
                    };
                    let mut d: Vec<String> = self.description.iter().cloned().collect();
                    if let Some(n) = &h.name {
                        d.push(format!("interface {n}"));
                    }
                    d.extend(h.description.iter().cloned());
                    (Some(name), (!d.is_empty()).then(|| d.join("; ")))
                }
            };
            // Link type, a reserved u16, snap length.
            let mut body = [h.linktype.to_ne_bytes(), [0, 0]].concat();
            body.extend_from_slice(&h.snaplen.to_ne_bytes());
            let start = body.len();
            if let Some(n) = &name {
                push_option(&mut body, IF_NAME, n.as_bytes());
            }
            if let Some(d) = &description {
                push_option(&mut body, IF_DESCRIPTION, d.as_bytes());
            }
            body.extend_from_slice(&h.rest);
            end_options(&mut body, start);
            out.write(&finish_block(block::IDB, &body))?;
            if let Some(i) = self.ifaces.get_mut(h.index) {
                i.out = Some(out.next_id);
            }
            out.next_id += 1;
            sum.interfaces += 1;
        }
        self.flushed = true;
        Ok(())
    }

    fn out_id(&self, local: usize, what: &str) -> Result<(u32, &Iface)> {
        let i = self.ifaces.get(local).ok_or_else(|| {
            bad(
                &self.name,
                format!(
                    "{what} for interface {local} but only {} described",
                    self.ifaces.len()
                ),
            )
        })?;
        // Held blocks are flushed before any block that refers to one.
        Ok((i.out.unwrap_or(0), i))
    }

    fn handle<W: Write>(
        &mut self,
        block: PcapBlockOwned<'_>,
        out: &mut Out<W>,
        sum: &mut Summary,
    ) -> Result<Step> {
        match block {
            PcapBlockOwned::LegacyHeader(h) => {
                if !(h.version_major == 2 && h.version_minor <= 4) {
                    return Err(bad(
                        &self.name,
                        format!(
                            "unsupported pcap version {}.{}",
                            h.version_major, h.version_minor
                        ),
                    ));
                }
                self.nanos = h.is_nanosecond_precision();
                let res = if self.nanos { 1_000_000_000 } else { 1_000_000 };
                self.ifaces = vec![Iface {
                    out: None,
                    res,
                    offset: 0,
                    snaplen: h.snaplen,
                }];
                let mut rest = Vec::new();
                if self.nanos {
                    push_option(&mut rest, IF_TSRESOL, &[9]);
                }
                self.held.push(Held {
                    index: 0,
                    number: self.count,
                    linktype: (h.network.0 as u32 & 0xffff) as u16,
                    snaplen: h.snaplen,
                    name: None,
                    description: None,
                    rest,
                });
                self.count += 1;
                Ok(Step::More)
            }
            PcapBlockOwned::Legacy(b) => {
                if self.ifaces.is_empty() {
                    return Err(bad(&self.name, "packet record before the file header"));
                }
                self.flush(out, sum)?;
                let (id, i) = self.out_id(0, "packet")?;
                // A fraction of a second past one second (seen in the wild)
                // is kept as the time it adds up to, as Wireshark reads it.
                let data = b.data.get(..b.caplen as usize).unwrap_or(b.data);
                let ts = u64::from(b.ts_sec) * i.res + u64::from(b.ts_usec);
                let (sec, nsec) = split_ts(ts, i.res, 0);
                let block = epb(id, ts, data, b.origlen, &[]);
                Ok(Step::Packet(Head { sec, nsec, block }))
            }
            PcapBlockOwned::NG(b) => self.handle_ng(b, out, sum),
        }
    }

    fn handle_ng<W: Write>(
        &mut self,
        b: Block<'_>,
        out: &mut Out<W>,
        sum: &mut Summary,
    ) -> Result<Step> {
        match b {
            Block::SectionHeader(shb) => {
                if shb.major_version != 1 {
                    return Err(bad(
                        &self.name,
                        format!(
                            "unsupported pcapng version {}.{}",
                            shb.major_version, shb.minor_version
                        ),
                    ));
                }
                self.flush(out, sum)?;
                self.be = shb.big_endian();
                self.ifaces.clear();
                Ok(Step::More)
            }
            Block::InterfaceDescription(idb) => {
                let res = pcap_parser::build_ts_resolution(idb.if_tsresol)
                    .filter(|&r| r > 0)
                    .ok_or_else(|| {
                        bad(&self.name, format!("invalid if_tsresol {}", idb.if_tsresol))
                    })?;
                let text = |o: Option<std::result::Result<&str, _>>| {
                    o.and_then(|r| r.ok()).map(str::to_string)
                };
                let mut rest = Vec::new();
                let skip: &[u16] = if self.label.is_some() {
                    &[IF_NAME, IF_DESCRIPTION]
                } else {
                    &[]
                };
                sum.dropped_options +=
                    put_options(&mut rest, block::IDB, &idb.options, self.be, skip);
                let (name, description) = if self.label.is_some() {
                    (text(idb.if_name()), text(idb.if_description()))
                } else {
                    (None, None)
                };
                self.ifaces.push(Iface {
                    out: None,
                    res,
                    offset: idb.if_tsoffset,
                    snaplen: idb.snaplen,
                });
                self.held.push(Held {
                    index: self.ifaces.len() - 1,
                    number: self.count,
                    linktype: (idb.linktype.0 as u32 & 0xffff) as u16,
                    snaplen: idb.snaplen,
                    name,
                    description,
                    rest,
                });
                self.count += 1;
                if self.flushed {
                    // Past the first packet: no reason to wait.
                    self.flush(out, sum)?;
                }
                Ok(Step::More)
            }
            Block::EnhancedPacket(p) => {
                self.flush(out, sum)?;
                let (id, i) = self.out_id(p.if_id as usize, "packet")?;
                if p.caplen > MAX_RECORD {
                    return Err(bad(
                        &self.name,
                        format!("packet of {} bytes exceeds {MAX_RECORD}", p.caplen),
                    ));
                }
                let data = p.data.get(..p.caplen as usize).unwrap_or(p.data);
                let ts = (u64::from(p.ts_high) << 32) | u64::from(p.ts_low);
                let (sec, nsec) = split_ts(ts, i.res, i.offset);
                let mut opts = Vec::new();
                sum.dropped_options += put_options(&mut opts, block::EPB, &p.options, self.be, &[]);
                end_options(&mut opts, 0);
                let block = epb(id, ts, data, p.origlen, &opts);
                Ok(Step::Packet(Head { sec, nsec, block }))
            }
            Block::SimplePacket(p) => {
                self.flush(out, sum)?;
                let (id, i) = self.out_id(0, "simple packet block")?;
                let mut n = (p.origlen as usize).min(p.data.len());
                if i.snaplen > 0 {
                    n = n.min(i.snaplen as usize);
                }
                let block = epb(id, 0, &p.data[..n], p.origlen, &[]);
                // No time stamp: the start of the interface's epoch.
                let (sec, nsec) = split_ts(0, i.res, i.offset);
                Ok(Step::Packet(Head { sec, nsec, block }))
            }
            Block::InterfaceStatistics(s) => {
                self.flush(out, sum)?;
                let (id, _) = self.out_id(s.if_id as usize, "interface statistics")?;
                let mut body = u32s(&[id, s.ts_high, s.ts_low]);
                let start = body.len();
                sum.dropped_options += put_options(&mut body, block::ISB, &s.options, self.be, &[]);
                end_options(&mut body, start);
                out.write(&finish_block(block::ISB, &body))?;
                Ok(Step::More)
            }
            Block::NameResolution(nrb) => {
                self.flush(out, sum)?;
                let mut body = Vec::new();
                for r in &nrb.nr {
                    if r.record_type.0 == 0 {
                        continue;
                    }
                    push_option(&mut body, r.record_type.0, r.record_value);
                }
                push_option(&mut body, 0, &[]); // nrb_record_end
                let start = body.len();
                sum.dropped_options +=
                    put_options(&mut body, block::NRB, &nrb.options, self.be, &[]);
                end_options(&mut body, start);
                out.write(&finish_block(block::NRB, &body))?;
                Ok(Step::More)
            }
            Block::DecryptionSecrets(d) => {
                self.flush(out, sum)?;
                let secrets = d.data.get(..d.secrets_len as usize).unwrap_or(d.data);
                let mut body = u32s(&[d.secrets_type.0, secrets.len() as u32]);
                body.extend_from_slice(secrets);
                body.resize(pad4(body.len()), 0);
                let start = body.len();
                sum.dropped_options += put_options(&mut body, block::DSB, &d.options, self.be, &[]);
                end_options(&mut body, start);
                out.write(&finish_block(block::DSB, &body))?;
                Ok(Step::More)
            }
            _ => {
                sum.skipped_blocks += 1;
                Ok(Step::More)
            }
        }
    }
}

/// A pcapng time stamp in `res` units per second, plus `offset` seconds,
/// as seconds and nanoseconds (for ordering; the block keeps the units).
fn split_ts(ts: u64, res: u64, offset: i64) -> (i64, u32) {
    let sec = i64::try_from(ts / res).unwrap_or(i64::MAX);
    let frac = ts % res;
    let nsec = (u128::from(frac) * 1_000_000_000 / u128::from(res)) as u32;
    (sec.saturating_add(offset), nsec)
}

/// An enhanced packet block; `opts` already in host order and ended.
fn epb(id: u32, ts: u64, data: &[u8], origlen: u32, opts: &[u8]) -> Vec<u8> {
    let caplen = data.len() as u32;
    let mut body = u32s(&[
        id,
        (ts >> 32) as u32,
        ts as u32,
        caplen,
        origlen.max(caplen),
    ]);
    body.extend_from_slice(data);
    body.resize(pad4(body.len()), 0);
    body.extend_from_slice(opts);
    finish_block(block::EPB, &body)
}

impl Input<'_> {
    /// Reads up to the next packet (writing the blocks met on the way),
    /// or to the end of the input.
    fn advance<W: Write>(&mut self, out: &mut Out<W>, sum: &mut Summary) -> Result<()> {
        loop {
            match self.blocks.next() {
                Ok((len, block)) => {
                    let step = self.st.handle(block, out, sum);
                    self.blocks.consume(len);
                    if let Step::Packet(h) = step? {
                        self.st.packets += 1;
                        self.st.head = Some(h);
                        return Ok(());
                    }
                }
                Err(PcapError::Eof) => {
                    self.st.done = true;
                    return self.st.flush(out, sum);
                }
                Err(PcapError::Incomplete(_)) => {
                    if let Err(e) = self.blocks.refill() {
                        return Err(bad(&self.st.name, describe(&e)));
                    }
                }
                Err(e) => return Err(bad(&self.st.name, describe(&e))),
            }
        }
    }

    /// Like [`Input::advance`]; a damaged input ends here, noted in `sum`
    /// (write errors still fail the merge).
    fn step<W: Write>(&mut self, out: &mut Out<W>, sum: &mut Summary) -> Result<()> {
        match self.advance(out, sum) {
            Ok(()) => Ok(()),
            Err(e) if e.kind == crate::error::Kind::Format => {
                self.st.done = true;
                self.st.head = None;
                let mut e = e;
                e.why = format!(
                    "{} (its first {} packets were merged)",
                    e.why, self.st.packets
                );
                sum.problems.push(e);
                self.st.flush(out, sum)
            }
            Err(e) => Err(e),
        }
    }
}

/// Merges `sources` into one pcapng written to `out` (`out_name` for
/// messages). Fails before writing anything when an input is not a
/// capture at all; see the module documentation for the rest.
pub fn merge<W: Write>(sources: Vec<Source<'_>>, out: W, out_name: &str) -> Result<Summary> {
    let mut inputs = Vec::with_capacity(sources.len());
    for s in sources {
        let blocks = open_blocks(&s.name, s.reader)?;
        inputs.push(Input {
            blocks,
            st: State {
                name: s.name,
                label: s.label,
                description: s.description,
                be: false,
                ifaces: Vec::new(),
                nanos: false,
                held: Vec::new(),
                flushed: false,
                count: 0,
                packets: 0,
                head: None,
                done: false,
            },
        });
    }
    let mut out = Out {
        w: std::io::BufWriter::with_capacity(64 * 1024, out),
        name: out_name.to_string(),
        next_id: 0,
    };
    let shb = PcapNgWriter::new(Vec::new(), Precision::Micro)
        .map_err(|e| Error::os("build the section header", e, None))?;
    out.write(shb.get_ref())?;
    let mut sum = Summary::default();
    let mut heap = BinaryHeap::new();
    for (i, input) in inputs.iter_mut().enumerate() {
        input.step(&mut out, &mut sum)?;
        if let Some(h) = &input.st.head {
            heap.push(Reverse((h.sec, h.nsec, Reverse(i))));
        }
    }
    while let Some(Reverse((_, _, Reverse(i)))) = heap.pop() {
        let input = &mut inputs[i];
        if let Some(h) = input.st.head.take() {
            out.write(&h.block)?;
            sum.packets += 1;
        }
        input.step(&mut out, &mut sum)?;
        if let Some(h) = &input.st.head {
            heap.push(Reverse((h.sec, h.nsec, Reverse(i))));
        }
    }
    out.w
        .flush()
        .map_err(|e| Error::os(format!("write {out_name}"), e, None))?;
    Ok(sum)
}

/// Merges captures held in memory (tests, fuzzing): the output bytes and
/// the summary.
pub fn merge_bytes(inputs: &[&[u8]]) -> Result<(Vec<u8>, Summary)> {
    let sources = inputs
        .iter()
        .enumerate()
        .map(|(i, b)| Source {
            name: format!("input {i}"),
            reader: Box::new(*b) as Box<dyn Read + Send>,
            label: None,
            description: None,
        })
        .collect();
    let mut out = Vec::new();
    let sum = merge(sources, &mut out, "buffer")?;
    Ok((out, sum))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linktype::LinkType;
    use crate::pcap::reader::{Reader, read_all};
    use crate::pcap::writer::{NgInterface, PcapWriter, Record};

    fn rec(ts_sec: i64, ts_nsec: u32, iface: u32, byte: u8) -> (i64, u32, u32, u8) {
        (ts_sec, ts_nsec, iface, byte)
    }

    /// A pcapng capture: `ifaces` names, packets (sec, nsec, iface, fill byte).
    fn ng(precision: Precision, ifaces: &[&str], pkts: &[(i64, u32, u32, u8)]) -> Vec<u8> {
        let mut w = PcapNgWriter::new(Vec::new(), precision).unwrap();
        for n in ifaces {
            w.add_interface(&NgInterface {
                name: n.to_string(),
                description: Some(format!("netns of {n}")),
                linktype: LinkType::En10mb,
                snaplen: 262144,
            })
            .unwrap();
        }
        for &(s, ns, i, b) in pkts {
            w.write(&Record {
                ts_sec: s,
                ts_nsec: ns,
                wirelen: 60,
                parts: [&[], &[b; 14]],
                iface: i,
                pkttype: Some(4),
            })
            .unwrap();
        }
        w.get_ref().clone()
    }

    fn pcap(precision: Precision, pkts: &[(i64, u32, u8)]) -> Vec<u8> {
        let mut w = PcapWriter::new(Vec::new(), LinkType::Raw, 65535, precision).unwrap();
        for &(s, ns, b) in pkts {
            w.write(&Record {
                ts_sec: s,
                ts_nsec: ns,
                wirelen: 20,
                parts: [&[0x45], &[b; 19]],
                iface: 0,
                pkttype: None,
            })
            .unwrap();
        }
        w.get_ref().clone()
    }

    /// (sec, nsec, fill byte, interface name) of every packet, in order.
    fn packets(out: &[u8]) -> Vec<(i64, u32, u8, Option<String>)> {
        let mut r = Reader::new("out", out).unwrap();
        let mut buf = Vec::new();
        let mut v = Vec::new();
        while let Some(m) = r.next_into(&mut buf).unwrap() {
            let name = r.interfaces()[m.iface as usize].name.clone();
            v.push((m.ts_sec, m.ts_nsec, buf[buf.len() - 1], name));
        }
        v
    }

    #[test]
    fn ordered_by_time_ties_to_the_later_input() {
        let a = ng(
            Precision::Nano,
            &["veth1"],
            &[rec(10, 5, 0, 1), rec(12, 0, 0, 3), rec(14, 0, 0, 5)],
        );
        let b = ng(
            Precision::Micro,
            &["veth2"],
            &[rec(11, 0, 0, 2), rec(12, 0, 0, 4), rec(15, 0, 0, 6)],
        );
        let (out, sum) = merge_bytes(&[&a, &b]).unwrap();
        let got: Vec<u8> = packets(&out).iter().map(|p| p.2).collect();
        assert_eq!(got, [1, 2, 4, 3, 5, 6]);
        assert_eq!((sum.packets, sum.interfaces), (6, 2));
        assert!(sum.problems.is_empty());
        // Time stamps are copied in each interface's own resolution.
        let p = packets(&out);
        assert_eq!((p[0].0, p[0].1), (10, 5));
        assert_eq!(p[1].3.as_deref(), Some("veth2"));
    }

    #[test]
    fn pcap_and_pcapng_mixed_with_nanoseconds_kept() {
        let a = pcap(Precision::Nano, &[(20, 123_456_789, 7), (22, 1, 9)]);
        let b = ng(Precision::Micro, &["eth0", "cni0"], &[rec(21, 0, 1, 8)]);
        let (out, sum) = merge_bytes(&[&a, &b]).unwrap();
        let p = packets(&out);
        assert_eq!(
            p.iter().map(|x| (x.0, x.1, x.2)).collect::<Vec<_>>(),
            [(20, 123_456_789, 7), (21, 0, 8), (22, 1, 9)]
        );
        assert_eq!(p[1].3.as_deref(), Some("cni0"));
        assert_eq!(sum.interfaces, 3);
        let all = read_all(&out).unwrap();
        assert_eq!(all[0].linktype, 101);
        assert_eq!(all[1].linktype, 1);
    }

    fn labelled(inputs: &[(&[u8], &str, &str)]) -> Vec<u8> {
        let sources = inputs
            .iter()
            .map(|(b, l, d)| Source {
                name: l.to_string(),
                reader: Box::new(*b) as Box<dyn Read + Send>,
                label: Some(l.to_string()),
                description: Some(d.to_string()),
            })
            .collect();
        let mut out = Vec::new();
        merge(sources, &mut out, "buffer").unwrap();
        out
    }

    #[test]
    fn labels_name_one_interface_or_prefix_several() {
        let a = ng(Precision::Micro, &["veth1"], &[rec(1, 0, 0, 1)]);
        let b = ng(Precision::Micro, &["eth0", "veth9"], &[rec(2, 0, 1, 2)]);
        let c = pcap(Precision::Micro, &[(3, 0, 3)]);
        let out = labelled(&[
            (&a, "node1/default/web-1", "pod 10.244.0.5"),
            (&b, "node2/default/web-2", "pod 10.244.1.5"),
            (&c, "node3/kube-system/dns", "pod 10.244.2.2"),
        ]);
        let mut r = Reader::new("out", &out[..]).unwrap();
        let mut buf = Vec::new();
        while r.next_into(&mut buf).unwrap().is_some() {}
        let names: Vec<_> = r
            .interfaces()
            .iter()
            .map(|i| (i.name.clone().unwrap(), i.description.clone().unwrap()))
            .collect();
        assert_eq!(
            names,
            [
                (
                    "node1/default/web-1".into(),
                    "pod 10.244.0.5; interface veth1; netns of veth1".into()
                ),
                (
                    "node2/default/web-2/eth0".into(),
                    "pod 10.244.1.5; interface eth0; netns of eth0".into()
                ),
                (
                    "node2/default/web-2/veth9".into(),
                    "pod 10.244.1.5; interface veth9; netns of veth9".into()
                ),
                (
                    "node3/kube-system/dns".to_string(),
                    "pod 10.244.2.2".to_string()
                ),
            ]
        );
    }

    /// A big-endian section, built by hand: every field and known option
    /// comes out in host order; an option of unknown layout is left out.
    #[test]
    fn big_endian_sections_are_rewritten() {
        fn opt(b: &mut Vec<u8>, code: u16, v: &[u8]) {
            b.extend_from_slice(&code.to_be_bytes());
            b.extend_from_slice(&(v.len() as u16).to_be_bytes());
            b.extend_from_slice(v);
            b.resize((b.len() + 3) & !3, 0);
        }
        fn blk(t: u32, body: &[u8]) -> Vec<u8> {
            let len = (body.len() + 12) as u32;
            [
                &t.to_be_bytes()[..],
                &len.to_be_bytes(),
                body,
                &len.to_be_bytes(),
            ]
            .concat()
        }
        let mut shb = 0x1a2b_3c4du32.to_be_bytes().to_vec();
        shb.extend_from_slice(&[0, 1, 0, 0]);
        shb.extend_from_slice(&(-1i64).to_be_bytes());
        let mut idb = [1u16.to_be_bytes(), [0, 0]].concat();
        idb.extend_from_slice(&65535u32.to_be_bytes());
        opt(&mut idb, 2, b"sw0");
        opt(&mut idb, 9, &[3]); // milliseconds
        opt(&mut idb, 14, &100i64.to_be_bytes()); // if_tsoffset
        opt(&mut idb, 40000, &[1, 2, 3, 4]); // unknown layout
        opt(&mut idb, 0, &[]);
        let mut epb = Vec::new();
        for v in [0u32, 0, 1500, 4, 60] {
            epb.extend_from_slice(&v.to_be_bytes());
        }
        epb.extend_from_slice(&[0xab; 4]);
        opt(&mut epb, 2, &2u32.to_be_bytes()); // outbound
        opt(&mut epb, 0, &[]);
        let file = [blk(0x0a0d_0d0a, &shb), blk(1, &idb), blk(6, &epb)].concat();
        let (out, sum) = merge_bytes(&[&file]).unwrap();
        assert_eq!(sum.dropped_options, 1);
        let mut r = Reader::new("out", &out[..]).unwrap();
        let mut buf = Vec::new();
        let m = r.next_into(&mut buf).unwrap().unwrap();
        assert_eq!((m.ts_sec, m.ts_nsec), (101, 500_000_000));
        assert_eq!((m.caplen, m.wirelen, m.direction), (4, 60, Some(2)));
        assert_eq!(buf, [0xab; 4]);
        assert_eq!(r.interfaces()[0].name.as_deref(), Some("sw0"));
        assert_eq!(r.interfaces()[0].snaplen, 65535);
    }

    #[test]
    fn a_damaged_input_stops_alone() {
        let a = ng(
            Precision::Micro,
            &["veth1"],
            &[rec(1, 0, 0, 1), rec(3, 0, 0, 3), rec(5, 0, 0, 5)],
        );
        let b = ng(
            Precision::Micro,
            &["veth2"],
            &[rec(2, 0, 0, 2), rec(4, 0, 0, 4)],
        );
        let cut = &a[..a.len() - 10];
        let (out, sum) = merge_bytes(&[cut, &b]).unwrap();
        let got: Vec<u8> = packets(&out).iter().map(|p| p.2).collect();
        assert_eq!(got, [1, 2, 3, 4]);
        assert_eq!(sum.problems.len(), 1);
        let p = sum.problems[0].to_string();
        assert!(
            p.contains("input 0") && p.contains("first 2 packets"),
            "{p}"
        );
        // Not a capture at all: refused before anything is written.
        assert!(merge_bytes(&[&b, b"hello world, not a capture"]).is_err());
    }

    #[test]
    fn statistics_secrets_and_names_follow_their_packets() {
        let mut a = ng(Precision::Micro, &["veth1"], &[rec(1, 0, 0, 1)]);
        // An ISB for interface 0 and a DSB (TLS key log) after the packet.
        let mut isb = u32s(&[0, 0, 7]);
        push_option(&mut isb, 4, &9u64.to_ne_bytes());
        push_option(&mut isb, 0, &[]);
        a.extend_from_slice(&finish_block(block::ISB, &isb));
        let mut dsb = u32s(&[0x544c_534b, 5]);
        dsb.extend_from_slice(b"keys\n\0\0\0");
        a.extend_from_slice(&finish_block(block::DSB, &dsb));
        let b = ng(Precision::Micro, &["veth2"], &[rec(0, 5, 0, 0)]);
        let (out, sum) = merge_bytes(&[&a, &b]).unwrap();
        assert_eq!(sum.skipped_blocks, 0);
        let got: Vec<u8> = packets(&out).iter().map(|p| p.2).collect();
        assert_eq!(got, [0, 1]);
        // The blocks are there, after the packet of their input, with the
        // interface id remapped: veth1 is interface 0 of the output
        // (its input was read first), so the ISB says 0.
        let mut types = Vec::new();
        let mut at = 0;
        while at + 8 <= out.len() {
            let t = u32::from_ne_bytes(out[at..at + 4].try_into().unwrap());
            let len = u32::from_ne_bytes(out[at + 4..at + 8].try_into().unwrap()) as usize;
            if t == block::ISB {
                assert_eq!(&out[at + 8..at + 12], &0u32.to_ne_bytes());
            }
            types.push(t);
            at += len;
        }
        assert_eq!(types, [0x0a0d_0d0a, 1, 1, 6, 6, 5, 10]);
        assert!(out.windows(5).any(|w| w == b"keys\n"));
    }

    /// Any bytes as inputs: an error or a merge, never a panic, and what
    /// is written is always a whole capture holding exactly the packets
    /// counted (the fuzz target `pcap_merge` runs the same check).
    #[test]
    fn random_inputs_never_panic_and_always_give_a_whole_file() {
        let bases = [
            ng(
                Precision::Nano,
                &["a", "b"],
                &[rec(1, 0, 0, 1), rec(2, 0, 1, 2)],
            ),
            pcap(Precision::Micro, &[(1, 5, 3), (3, 0, 4)]),
            pcap(Precision::Nano, &[(2, 7, 5)]),
        ];
        let mut rng = crate::bpf::testutil::Rng::new(0x05ee_d0f3_e26e);
        let mut rnd = || rng.next_u64();
        for _ in 0..600 {
            let mut ins = Vec::new();
            for _ in 0..(1 + rnd() % 3) {
                let mut f = bases[(rnd() % 3) as usize].clone();
                for _ in 0..(rnd() % 4) {
                    let at = (rnd() as usize) % f.len();
                    f[at] = rnd() as u8;
                }
                let cut = (rnd() as usize) % (f.len() + 1);
                f.truncate(cut.max(4));
                ins.push(f);
            }
            let refs: Vec<&[u8]> = ins.iter().map(|v| &v[..]).collect();
            if let Ok((out, sum)) = merge_bytes(&refs) {
                let back = read_all(&out).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(back.len() as u64, sum.packets);
            }
        }
    }
}
