//! Where captured packets go: a pcap or pcapng file (or stdout, or a
//! rotation of files), tcpdump text lines, or both (`-w` with `--print`).
//! Files are written in whole records ([`super::records`]); text goes
//! through a writer that a stop signal can interrupt, so a stalled reader
//! never holds the capture up for more than a second.

use super::batch::Frame;
use super::records::{Layout, RecordFile};
use super::rotate::Rotation;
use crate::decode::{Meta, PrintOptions, Printer};
use crate::linktype::LinkType;
use crate::pcap::writer::{NgInterface, Precision};
use crate::{Error, Result};
use std::fs::File;
use std::io::{self, BufWriter, IoSlice, Write};
use std::os::fd::AsFd;

pub use super::records::{Halt, halt};

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

/// A file descriptor whose writes a stop signal can end: EINTR is
/// retried until the stop's grace period is over, then the write fails
/// with [`Halt::Stopped`] (which `BufWriter` does not retry, as it does
/// `Interrupted`).
pub struct StopAware(pub File);

impl Write for StopAware {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let (n, err) = super::records::write_all_or_halt(&self.0, &mut [IoSlice::new(buf)], 1);
        match (n, err) {
            (0, Some(e)) => Err(e),
            (n, _) => Ok(n as usize),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

struct TextSink {
    printer: Printer,
    out: BufWriter<StopAware>,
    number: bool,
    count: u64,
    buf: Vec<u8>,
}

/// Text and/or file output.
pub struct Output {
    file: Option<RecordFile>,
    file_name: String,
    text: Option<TextSink>,
    /// `-l`, or text on a terminal: flush text after every batch.
    line_buffered: bool,
    /// Packets printed as text.
    printed: u64,
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
        Output::build(cfg, file, ifaces, None)
    }

    /// [`Output::new`] for `-C`/`-G` rotation: opens the first file of
    /// the rotation of `-w`'s name itself (call this after dropping
    /// privileges: every later file is created with the same rights, as
    /// tcpdump does).
    pub fn rotating(
        cfg: &OutputConfig,
        rotation: &Rotation,
        ifaces: &[OutIface],
    ) -> Result<Output> {
        let Some((base, _)) = &cfg.write else {
            return Output::build(cfg, None, ifaces, None);
        };
        let first = RecordFile::first_name(rotation, base);
        let f = File::create(&first).map_err(|e| {
            Error::os(format!("create {first}"), e, None).hint(
                "rotated files are created after privileges are dropped (as tcpdump does): \
                 write into a directory this user can write to",
            )
        })?;
        Output::build(
            cfg,
            Some(f),
            ifaces,
            Some((rotation.clone(), base.clone(), first)),
        )
    }

    fn build(
        cfg: &OutputConfig,
        file: Option<File>,
        ifaces: &[OutIface],
        rotation: Option<(Rotation, String, String)>,
    ) -> Result<Output> {
        let mut out = Output {
            file: None,
            file_name: String::new(),
            text: None,
            line_buffered: cfg.line_buffered,
            printed: 0,
        };
        if let (Some((name, fmt)), Some(f)) = (&cfg.write, file) {
            out.file_name = match &rotation {
                Some((_, _, first)) => first.clone(),
                None if name == "-" => "standard output".into(),
                None => name.clone(),
            };
            let layout = match fmt {
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
                    let snaplen = ifaces.iter().map(|i| i.snaplen).max().unwrap_or(262_144);
                    Layout::Pcap {
                        linktype: first.linktype,
                        snaplen,
                    }
                }
                FileFormat::PcapNg => Layout::PcapNg {
                    interfaces: ifaces
                        .iter()
                        .map(|i| NgInterface {
                            name: i.name.clone(),
                            description: i.netns.clone(),
                            linktype: i.linktype,
                            snaplen: i.snaplen,
                        })
                        .collect(),
                },
            };
            let rot = rotation
                .as_ref()
                .map(|(r, base, _)| (r.clone(), base.as_str()));
            let w = RecordFile::new(f, &out.file_name, layout, cfg.precision, rot)
                .map_err(|e| Error::os(format!("write {}", out.file_name), e, None))?;
            out.file = Some(w);
        }
        if let Some(popts) = &cfg.print {
            let f = stdout_file().map_err(|e| Error::os("use standard output", e, None))?;
            out.text = Some(TextSink {
                printer: Printer::new(popts.clone()),
                out: BufWriter::with_capacity(64 << 10, StopAware(f)),
                number: cfg.number,
                count: 0,
                buf: Vec::new(),
            });
        }
        Ok(out)
    }

    /// Writes one packet. An `io::Error` of kind `BrokenPipe` means the
    /// reader went away; [`halt`] tells a stop or the `-W` limit.
    pub fn packet(&mut self, p: &OutPacket<'_>) -> io::Result<()> {
        if let Some(w) = &mut self.file {
            w.push(p.ts_sec, p.ts_nsec, p.wirelen, p.parts, p.iface, p.pkttype)?;
        }
        self.print(p)
    }

    /// Writes a batch's frames (bodies in `data`) as seen on interface
    /// `iface` (an index into the interfaces given to [`Output::new`]):
    /// into the file in one vectored write, no packet bytes copied, and
    /// as text lines.
    pub fn frames(
        &mut self,
        frames: &[Frame],
        data: &[u8],
        iface: u32,
        linktype: LinkType,
        ifname: &mut dyn FnMut(u32) -> Option<std::sync::Arc<str>>,
    ) -> io::Result<()> {
        if let Some(w) = &mut self.file {
            w.write_frames(frames, data, iface)?;
        }
        if self.text.is_some() {
            for f in frames {
                let name = ifname(f.ifindex);
                self.print(&OutPacket {
                    ts_sec: f.ts_sec,
                    ts_nsec: f.ts_nsec,
                    wirelen: f.wirelen,
                    parts: f.parts(data),
                    linktype,
                    iface,
                    ifname: name.as_deref(),
                    pkttype: Some(f.pkttype),
                })?;
            }
        }
        Ok(())
    }

    fn print(&mut self, p: &OutPacket<'_>) -> io::Result<()> {
        let Some(t) = &mut self.text else {
            return Ok(());
        };
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
        self.printed += 1;
        Ok(())
    }

    /// Packets delivered whole: the file's records when writing one, else
    /// the lines printed.
    pub fn delivered(&self) -> u64 {
        match &self.file {
            Some(f) => f.records(),
            None => self.printed,
        }
    }

    /// End of a batch: write what was queued, flush lines that `-l` (or a
    /// terminal) wants visible now.
    pub fn batch_done(&mut self) -> io::Result<()> {
        if let Some(w) = &mut self.file {
            w.flush()?;
            w.reap();
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
        let r = match &mut self.file {
            Some(w) => w.flush(),
            None => Ok(()),
        };
        if let Some(t) = &mut self.text {
            t.out.flush()?;
        }
        r
    }

    /// Name of the `-w` destination (the current file when rotating) for
    /// messages.
    pub fn file_name(&self) -> &str {
        match &self.file {
            Some(f) if !f.name().is_empty() => f.name(),
            _ => &self.file_name,
        }
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
