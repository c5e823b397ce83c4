//! What tcpdump's command line sets ([`Settings`], [`Mode`]), and, in one
//! place, how it becomes the engine's configs: the capture source, the
//! output, the filter compiler.

use crate::bpf::print::Style;
use crate::capture::output::{FileFormat, OutputConfig, stdout_is_tty};
use crate::capture::{self, Direction, SourceConfig, Tuning};
use crate::decode::PrintOptions;
use crate::linktype::LinkType;
use crate::pcap::writer::Precision;

/// What the command line asks tcpdump mode to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Capture, and print or write the packets.
    Live,
    /// `-r FILE`: the packets come from a pcap or pcapng file.
    Read(String),
    /// `-d`, `-dd`, `-ddd`: print the filter program, compiled for the
    /// link type of `-r`'s file when there is one, else of the interface.
    DumpProgram { style: Style, file: Option<String> },
    /// `-D`
    ListInterfaces,
    /// `-L`
    ListLinkTypes,
    /// `-h`
    Help,
    /// `--version`
    Version,
}

/// Everything tcpdump's command line sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub mode: Mode,
    /// `-i`, in order; podcap captures on all of them. Empty: tcpdump's
    /// default interface.
    pub interfaces: Vec<String>,
    /// `--netns`: entered before anything else.
    pub netns: Option<String>,
    /// The filter words joined by spaces.
    pub filter: String,
    /// `-F`: read the filter from this file instead.
    pub filter_file: Option<String>,
    pub count: Option<u64>,
    pub snaplen: u32,
    pub promisc: bool,
    pub direction: Direction,
    /// `-B`, KiB.
    pub buffer_kib: Option<usize>,
    pub linktype: Option<LinkType>,
    pub optimize: bool,
    /// `--immediate-mode` (and `-U`).
    pub immediate: bool,
    /// `-Z`
    pub user: Option<String>,
    pub write: Option<String>,
    pub pcapng: bool,
    pub nanos: bool,
    /// `-U`
    pub packet_buffered: bool,
    /// `-l`
    pub line_buffered: bool,
    /// `-#`
    pub number: bool,
    /// `--print`: print lines also when writing with `-w`.
    pub print_too: bool,
    pub print: PrintOptions,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            mode: Mode::Live,
            interfaces: Vec::new(),
            netns: None,
            filter: String::new(),
            filter_file: None,
            count: None,
            snaplen: capture::DEFAULT_SNAPLEN,
            promisc: true,
            direction: Direction::InOut,
            buffer_kib: None,
            linktype: None,
            optimize: true,
            immediate: false,
            user: None,
            write: None,
            pcapng: false,
            nanos: false,
            packet_buffered: false,
            line_buffered: false,
            number: false,
            print_too: false,
            print: PrintOptions::default(),
        }
    }
}

/// The engine's configs, made from the settings here and nowhere else.
impl Settings {
    /// The ring size in bytes: `-B` (KiB), else `default`.
    pub fn buffer_size(&self, default: usize) -> usize {
        self.buffer_kib
            .map(|k| k.saturating_mul(1024))
            .unwrap_or(default)
    }

    /// The capture on `iface`. No namespace: `--netns` moves the whole
    /// process before any socket is opened.
    pub fn source_config(&self, iface: &str) -> SourceConfig {
        SourceConfig {
            iface: iface.to_string(),
            netns: None,
            snaplen: self.snaplen,
            filter: self.filter.clone(),
            promisc: self.promisc,
            direction: self.direction,
            buffer_size: self.buffer_size(capture::DEFAULT_BUFFER),
            immediate: self.immediate,
            linktype: self.linktype,
            optimize: self.optimize,
            vxlan_ports: self.print.vxlan_ports.clone(),
        }
    }

    /// Latency matters less than ring capacity unless -U: blocks may
    /// fill for 50 ms, where libpcap's tcpdump waits up to a second.
    pub fn tuning(&self) -> Tuning {
        Tuning {
            block_timeout_ms: (!self.immediate).then_some(50),
        }
    }

    /// How to compile the filter for `linktype`; `snaplen` is the
    /// capture's or, for `-r`, the file's, as tcpdump uses it.
    pub fn filter_options(
        &self,
        linktype: LinkType,
        live: bool,
        snaplen: u32,
    ) -> crate::filter::Options {
        crate::filter::Options {
            linktype,
            optimize: self.optimize,
            snaplen,
            netmask: None,
            linux_ext: live,
            vxlan_ports: self.print.vxlan_ports.clone(),
        }
    }

    pub fn precision(&self) -> Precision {
        if self.nanos {
            Precision::Nano
        } else {
            Precision::Micro
        }
    }

    /// `-w`'s destination and format.
    pub fn write_target(&self) -> Option<(String, FileFormat)> {
        let w = self.write.as_ref()?;
        let format = if self.pcapng || w.ends_with(".pcapng") {
            FileFormat::PcapNg
        } else {
            FileFormat::Pcap
        };
        Some((w.clone(), format))
    }

    /// How to print lines: `None` when the packets only go to `-w`.
    pub fn print_options(&self) -> Option<PrintOptions> {
        (self.write.is_none() || self.print_too).then(|| PrintOptions {
            nanos: self.nanos,
            ..self.print.clone()
        })
    }

    /// The output of a live capture. Lines go out at once on a terminal
    /// and with -U, as tcpdump's do.
    pub fn output_config(&self) -> OutputConfig {
        OutputConfig {
            write: self.write_target(),
            precision: self.precision(),
            print: self.print_options(),
            packet_buffered: self.packet_buffered,
            line_buffered: self.line_buffered || stdout_is_tty() || self.packet_buffered,
            number: self.number,
        }
    }
}
