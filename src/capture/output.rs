//! Where captured packets go: a pcap or pcapng file (or stdout), tcpdump
//! text lines, or both (`-w` with `--print`).

use crate::decode::{Meta, PrintOptions, Printer};
use crate::linktype::LinkType;
use crate::pcap::writer::{NgInterface, PcapNgWriter, PcapWriter, Precision, Record};
use crate::{Error, Result};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::fd::AsFd;

/// The file format written by `-w`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Pcap,
    PcapNg,
}

/// One interface as the output file describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutIface {
    pub name: String,
    pub linktype: LinkType,
    pub snaplen: u32,
    /// Network namespace description for pcapng's `if_description`.
    pub netns: Option<String>,
}

/// One packet for the output.
#[derive(Debug, Clone, Copy)]
pub struct OutPacket<'a> {
    pub ts_sec: i64,
    pub ts_nsec: u32,
    pub wirelen: u32,
    pub parts: [&'a [u8]; 2],
    pub linktype: LinkType,
    /// Index into the interfaces given to [`Output::new`].
    pub iface: u32,
    /// Printed before the line (`-i any`, several `-i`).
    pub ifname: Option<&'a str>,
    pub pkttype: Option<u8>,
}

enum FileSink {
    Pcap(PcapWriter<BufWriter<File>>),
    Ng(PcapNgWriter<BufWriter<File>>),
}

struct TextSink {
    printer: Printer,
    out: BufWriter<File>,
    number: bool,
    count: u64,
    buf: Vec<u8>,
}

/// Text and/or file output.
pub struct Output {
    file: Option<FileSink>,
    file_name: String,
    text: Option<TextSink>,
    /// `-U`: flush the file after every batch of packets.
    packet_buffered: bool,
    /// `-l`, or text on a terminal: flush text after every batch.
    line_buffered: bool,
}

/// stdout as a `File` (a duplicate of fd 1), so binary output is not
/// line-buffered by Rust's `Stdout`.
pub fn stdout_file() -> io::Result<File> {
    let fd = io::stdout().as_fd().try_clone_to_owned()?;
    Ok(File::from(fd))
}

/// Whether fd 1 is a terminal.
pub fn stdout_is_tty() -> bool {
    io::IsTerminal::is_terminal(&io::stdout())
}

/// Builds a file for `-w NAME` (`-` is stdout).
pub fn open_dest(name: &str) -> Result<File> {
    if name == "-" {
        return stdout_file().map_err(|e| Error::os("use standard output", e, None));
    }
    File::create(name).map_err(|e| {
        Error::os(format!("create {name}"), e, None)
            .hint("check the directory exists and is writable (or write to stdout with -w -)")
    })
}

/// Options for [`Output::new`].
#[derive(Debug, Clone, Default)]
pub struct OutputConfig {
    /// `-w` destination name (for messages) and format.
    pub write: Option<(String, FileFormat)>,
    pub precision: Precision,
    /// Print text lines (no `-w`, or `--print`).
    pub print: Option<PrintOptions>,
    pub packet_buffered: bool,
    pub line_buffered: bool,
    /// `-#`: number the printed packets.
    pub number: bool,
}

impl Output {
    /// Opens the outputs; `file` is the already-opened `-w` destination.
    pub fn new(cfg: &OutputConfig, file: Option<File>, ifaces: &[OutIface]) -> Result<Output> {
        let mut out = Output {
            file: None,
            file_name: String::new(),
            text: None,
            packet_buffered: cfg.packet_buffered,
            line_buffered: cfg.line_buffered,
        };
        if let (Some((name, fmt)), Some(f)) = (&cfg.write, file) {
            out.file_name = if name == "-" {
                "standard output".into()
            } else {
                name.clone()
            };
            let w = BufWriter::with_capacity(256 << 10, f);
            let werr = |e: io::Error| Error::os(format!("write {name}"), e, None);
            match fmt {
                FileFormat::Pcap => {
                    let first = ifaces
                        .first()
                        .ok_or_else(|| Error::usage("no interface to write a pcap header for"))?;
                    if let Some(other) = ifaces.iter().find(|i| i.linktype != first.linktype) {
                        return Err(Error::unsupported(
                            format!(
                                "writing {} ({}) and {} ({}) into one pcap file",
                                first.name,
                                first.linktype.name(),
                                other.name,
                                other.linktype.name()
                            ),
                            "a pcap file has a single link type",
                        )
                        .hint("write pcapng with --pcapng (or a .pcapng file name), or use -y LINUX_SLL"));
                    }
                    let snap = ifaces.iter().map(|i| i.snaplen).max().unwrap_or(262_144);
                    let mut w =
                        PcapWriter::new(w, first.linktype, snap, cfg.precision).map_err(werr)?;
                    if cfg.packet_buffered {
                        w.flush().map_err(werr)?;
                    }
                    out.file = Some(FileSink::Pcap(w));
                }
                FileFormat::PcapNg => {
                    let mut w = PcapNgWriter::new(w, cfg.precision).map_err(werr)?;
                    for i in ifaces {
                        w.add_interface(&NgInterface {
                            name: i.name.clone(),
                            description: i.netns.clone(),
                            linktype: i.linktype,
                            snaplen: i.snaplen,
                        })
                        .map_err(werr)?;
                    }
                    if cfg.packet_buffered {
                        w.flush().map_err(werr)?;
                    }
                    out.file = Some(FileSink::Ng(w));
                }
            }
        }
        if let Some(popts) = &cfg.print {
            let f = stdout_file().map_err(|e| Error::os("use standard output", e, None))?;
            out.text = Some(TextSink {
                printer: Printer::new(popts.clone()),
                out: BufWriter::with_capacity(64 << 10, f),
                number: cfg.number,
                count: 0,
                buf: Vec::new(),
            });
        }
        Ok(out)
    }

    /// Writes one packet. An `io::Error` of kind `BrokenPipe` means the
    /// reader went away.
    pub fn packet(&mut self, p: &OutPacket<'_>) -> io::Result<()> {
        match &mut self.file {
            Some(FileSink::Pcap(w)) => w.write(&Record {
                ts_sec: p.ts_sec,
                ts_nsec: p.ts_nsec,
                wirelen: p.wirelen,
                parts: p.parts,
                iface: p.iface,
                pkttype: p.pkttype,
            })?,
            Some(FileSink::Ng(w)) => w.write(&Record {
                ts_sec: p.ts_sec,
                ts_nsec: p.ts_nsec,
                wirelen: p.wirelen,
                parts: p.parts,
                iface: p.iface,
                pkttype: p.pkttype,
            })?,
            None => {}
        }
        if let Some(t) = &mut self.text {
            t.count += 1;
            if t.number {
                write!(t.out, "{:5}  ", t.count)?;
            }
            let data: &[u8] = if p.parts[0].is_empty() {
                p.parts[1]
            } else {
                t.buf.clear();
                t.buf.extend_from_slice(p.parts[0]);
                t.buf.extend_from_slice(p.parts[1]);
                &t.buf
            };
            let meta = Meta {
                ts_sec: p.ts_sec,
                ts_nsec: p.ts_nsec,
                wirelen: p.wirelen,
                linktype: p.linktype,
                ifname: p.ifname,
                direction: if p.ifname.is_some() {
                    p.pkttype
                        .and_then(|t| crate::decode::Direction::from_pkttype(t as u16))
                } else {
                    None
                },
            };
            t.printer.print(&mut t.out, &meta, data)?;
        }
        Ok(())
    }

    /// End of a batch: flush what `-U`/`-l` ask to be visible now.
    pub fn batch_done(&mut self) -> io::Result<()> {
        if self.packet_buffered {
            match &mut self.file {
                Some(FileSink::Pcap(w)) => w.flush()?,
                Some(FileSink::Ng(w)) => w.flush()?,
                None => {}
            }
        }
        if self.line_buffered {
            if let Some(t) = &mut self.text {
                t.out.flush()?;
            }
        }
        Ok(())
    }

    /// Flushes everything (end of capture).
    pub fn finish(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(FileSink::Pcap(w)) => w.flush()?,
            Some(FileSink::Ng(w)) => w.flush()?,
            None => {}
        }
        if let Some(t) = &mut self.text {
            t.out.flush()?;
        }
        Ok(())
    }

    /// Name of the `-w` destination for messages.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }
}

/// Describes a network namespace for pcapng's `if_description`:
/// `netns SPEC (net:[INODE])`, or `netns net:[INODE]` for the caller's own.
pub fn netns_description(spec: Option<&str>) -> String {
    let path = match spec.map(crate::netns::resolve) {
        Some(Ok(p)) => p.display().to_string(),
        _ => "/proc/self/ns/net".to_string(),
    };
    let ino = crate::netns::inode(&path)
        .map(|i| format!("net:[{i}]"))
        .unwrap_or_else(|| "net:[?]".into());
    match spec {
        Some(s) => format!("netns {s} ({ino})"),
        None => format!("netns {ino}"),
    }
}
