//! `-r FILE`: packets from a pcap or pcapng file (`-` for standard input),
//! filtered in podcap's interpreter, printed or written again.

use super::program::compile;
use super::settings::Settings;
use crate::capture;
use crate::capture::output::{self, OutIface, Output, OutputConfig};
use crate::linktype::LinkType;
use crate::pcap::reader::{FileIface, RecordMeta};
use crate::pcap::writer::Precision;
use crate::{Error, Result};
use std::io::Write;

/// An open capture file, its first packet read so that pcapng's
/// interface descriptions before it are known.
pub(super) struct File {
    reader: crate::pcap::Reader<'static>,
    buf: Vec<u8>,
    first: Option<RecordMeta>,
    pub interfaces: Vec<FileIface>,
}

impl File {
    pub fn open(path: &str) -> Result<File> {
        let input: Box<dyn std::io::Read + Send> = if path == "-" {
            Box::new(std::io::stdin())
        } else {
            Box::new(
                std::fs::File::open(path)
                    .map_err(|e| Error::os(format!("open {path}"), e, None))?,
            )
        };
        let mut reader = crate::pcap::Reader::new(path, input)?;
        let mut buf = Vec::new();
        let first = reader.next_into(&mut buf)?;
        let interfaces = reader.interfaces().to_vec();
        Ok(File {
            reader,
            buf,
            first,
            interfaces,
        })
    }
}

/// The link type of a file's LINKTYPE_ value, if podcap filters it.
pub(super) fn linktype_of(path: &str, v: u32) -> Result<LinkType> {
    LinkType::from_linktype(v).ok_or_else(|| {
        let lt = LinkType::from_file(v);
        Error::unsupported(
            format!("a filter on link type {} ({v}) in {path}", lt.name()),
            "podcap compiles filters for EN10MB, RAW, LINUX_SLL and LINUX_SLL2",
        )
        .hint("read the file without a filter (podcap prints or copies it as it is)")
    })
}

/// An interface's link type as the printer and `-w` take it (any value,
/// kept), refused only when a filter must be compiled for it.
fn file_linktype(o: &Settings, path: &str, v: u32) -> Result<LinkType> {
    if o.filter.trim().is_empty() {
        Ok(LinkType::from_file(v))
    } else {
        linktype_of(path, v)
    }
}

/// tcpdump compiles for the file's snap length; an invalid one (0, or
/// too big) counts as the maximum.
pub(super) fn file_snaplen(i: &FileIface) -> u32 {
    match i.snaplen {
        0 => capture::DEFAULT_SNAPLEN,
        s => s.min(capture::DEFAULT_SNAPLEN),
    }
}

fn out_iface(path: &str, i: &FileIface, linktype: LinkType) -> OutIface {
    OutIface {
        name: i.name.clone().unwrap_or_else(|| path.to_string()),
        linktype,
        snaplen: i.snaplen.clamp(1, capture::DEFAULT_SNAPLEN),
        netns: i.description.clone(),
    }
}

/// The filter program for one of the file's interfaces; `None` when
/// there is no filter.
fn program(o: &Settings, lt: LinkType, i: &FileIface) -> Result<Option<Vec<crate::bpf::Insn>>> {
    if o.filter.trim().is_empty() {
        return Ok(None);
    }
    Ok(Some(compile(o, lt, false, file_snaplen(i))?))
}

pub fn run(o: &Settings, path: &str) -> Result<i32> {
    let File {
        mut reader,
        mut buf,
        first,
        interfaces: ifaces_in,
    } = File::open(path)?;
    if let Some(i) = ifaces_in.first() {
        let lt = LinkType::from_file(i.linktype);
        let kind = match lt {
            LinkType::Other(v) => format!("{v}"),
            l => format!("{} ({})", l.name(), l.description()),
        };
        let _ = writeln!(
            std::io::stderr(),
            "reading from file {path}, link-type {kind}, snapshot length {}",
            i.snaplen
        );
    }
    let mut ifaces: Vec<OutIface> = Vec::new();
    let mut progs: Vec<Option<Vec<crate::bpf::Insn>>> = Vec::new();
    for i in &ifaces_in {
        // Without a filter a link type podcap cannot filter is still
        // copied under its own number or printed as tcpdump prints it.
        let lt = file_linktype(o, path, i.linktype)?;
        progs.push(program(o, lt, i)?);
        ifaces.push(out_iface(path, i, lt));
    }
    let write = o.write_target();
    let file = match &write {
        Some((w, _)) => Some(output::open_dest(w)?),
        None => None,
    };
    let out_ifaces = ifaces.len().max(1) as u32;
    let mut out = Output::new(
        &OutputConfig {
            // A legacy pcap file says its own precision, which a rewrite
            // keeps unless nanoseconds are asked for.
            precision: if reader.is_pcapng {
                o.precision()
            } else if reader.nanos() || o.nanos {
                Precision::Nano
            } else {
                Precision::Micro
            },
            // Reading is not interactive: lines are flushed only with -l.
            line_buffered: o.line_buffered,
            // --count prints how many instead of the packets.
            print: if o.count_only {
                None
            } else {
                o.output_config().print
            },
            ..o.output_config()
        },
        file,
        &ifaces,
    )?;
    let mut n = 0u64;
    let named = ifaces.len() > 1;
    let mut pending = first;
    let result = (|| -> Result<()> {
        loop {
            let m = match pending.take() {
                Some(m) => m,
                None => match reader.next_into(&mut buf)? {
                    Some(m) => m,
                    None => return Ok(()),
                },
            };
            let idx = m.iface as usize;
            // Interfaces described after the first packet: filter them
            // too; the output keeps the interfaces it started with.
            while progs.len() <= idx {
                let Some(i) = reader.interfaces().get(progs.len()) else {
                    return Err(Error::format(
                        format!("read {path}"),
                        "packet for an undescribed interface",
                    ));
                };
                let lt = file_linktype(o, path, i.linktype)?;
                progs.push(program(o, lt, i)?);
                ifaces.push(out_iface(path, i, lt));
            }
            let ifc = &ifaces[idx];
            // A later section's interface is written as the output's last
            // one: never a packet under another link type's header.
            let written = ifaces[idx.min(out_ifaces as usize - 1)].linktype;
            if write.is_some() && ifc.linktype != written {
                return Err(Error::unsupported(
                    format!("copy {path}"),
                    format!(
                        "its interface has link type {} ({}), the output's is {} ({})",
                        ifc.linktype.name(),
                        ifc.linktype.linktype(),
                        written.name(),
                        written.linktype()
                    ),
                )
                .hint("split the file by section or interface first (editcap, tshark -w)"));
            }
            if let Some(prog) = &progs[idx] {
                let aux = crate::bpf::interp::Aux::default();
                if crate::bpf::interp::run(prog, &buf, m.wirelen, &aux) == 0 {
                    continue;
                }
            }
            let pkttype = match m.direction {
                Some(2) => Some(u8::from(crate::wire::PacketType::Outgoing)),
                Some(1) => Some(0),
                _ => None,
            };
            let r = out.packet(&output::OutPacket {
                ts_sec: m.ts_sec,
                ts_nsec: m.ts_nsec,
                wirelen: m.wirelen,
                parts: [&[], &buf],
                linktype: ifc.linktype,
                iface: m.iface.min(out_ifaces - 1),
                ifname: named.then_some(ifc.name.as_str()),
                pkttype,
            });
            match r {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
                Err(e) => return Err(Error::os("write output", e, None)),
                Ok(()) => {}
            }
            n += 1;
            if o.count.is_some_and(|c| n >= c) {
                return Ok(());
            }
        }
    })();
    match out.finish() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(0),
        Err(e) => return Err(Error::os("write output", e, None)),
        Ok(()) => {}
    }
    result?;
    if o.count_only {
        println!("{n} packet{}", if n == 1 { "" } else { "s" });
    }
    Ok(0)
}
