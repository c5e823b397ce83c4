//! tcpdump-style one-line packet descriptions (tcpdump 4.99 formats).
//!
//! Each protocol has its own module that appends to a `Ctx` line. A
//! protocol that runs out of captured bytes returns [`Truncated`] (every
//! read of [`crate::wire::bytes`] does, so `?` is where tcpdump's `GET_*`
//! macros would longjmp out), and the printer ends the line with
//! tcpdump's ` [|proto]` mark, naming the innermost protocol being
//! decoded.

mod arp;
mod bfd;
mod bgp;
mod bootp;
mod cdp;
mod dhcp6;
mod dns;
mod dump;
mod esp;
mod fields;
mod filelink;
mod gpe;
mod gre;
mod icmp;
mod icmp6;
mod igmp;
mod ike;
mod ip;
mod ip6;
mod link;
mod llc;
mod lldp;
mod names;
mod ntp;
mod ports;
mod put;
mod slow;
mod stp;
mod syslog;
mod tcp;
mod text;
pub(crate) mod time;
mod tok;
mod udp;
mod vrrp;
mod vxlan;

use crate::linktype::LinkType;
use crate::wire::PacketType;
use crate::wire::bytes::slice;
use std::fmt::Write as _;
use std::io::{self, Write};

pub(crate) use crate::wire::Truncated;

/// What a protocol printer returns: `Err` when the capture ended in a
/// field it had to read.
pub(crate) type R<T = ()> = Result<T, Truncated>;

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
        match PacketType::from(u8::try_from(t).ok()?) {
            PacketType::Host => Some(Direction::In),
            PacketType::Broadcast => Some(Direction::Broadcast),
            PacketType::Multicast => Some(Direction::Multicast),
            PacketType::OtherHost => Some(Direction::OtherHost),
            PacketType::Outgoing => Some(Direction::Out),
            PacketType::Loopback | PacketType::FastRoute | PacketType::Unknown(_) => None,
        }
    }

    /// The word tcpdump prints (`In`, `B`, `M`, `P`, `Out`).
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "In",
            Direction::Broadcast => "B",
            Direction::Multicast => "M",
            Direction::OtherHost => "P",
            Direction::Out => "Out",
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

impl TimeFormat {
    /// From the number of `-t` flags on tcpdump's command line.
    pub fn from_count(n: u8) -> Self {
        match n {
            0 => TimeFormat::Default,
            1 => TimeFormat::None,
            2 => TimeFormat::Epoch,
            3 => TimeFormat::DeltaPrevious,
            4 => TimeFormat::Date,
            _ => TimeFormat::DeltaFirst,
        }
    }
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
    /// `-AA`: ASCII including the link header.
    AsciiLink,
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
    /// `-S`: absolute TCP sequence numbers.
    pub absolute_seq: bool,
    /// `-T TYPE`: every UDP/TCP payload printed as this type.
    pub packet_type: Option<ForcedType>,
}

/// A `-T` type: the printer forced on every UDP and TCP payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForcedType(u8);

/// Why a `-T` name was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForcedTypeError {
    /// tcpdump knows the type; podcap has no printer for it.
    NotDecoded,
    /// No tcpdump knows it.
    Unknown,
}

impl ForcedType {
    /// From `-T`'s argument (tcpdump's names).
    pub fn from_name(name: &str) -> Result<Self, ForcedTypeError> {
        if let Some(i) = ports::FORCED.iter().position(|f| f.name == name) {
            return Ok(ForcedType(u8::try_from(i).unwrap_or(u8::MAX)));
        }
        if ports::FORCED_UNDECODED.contains(&name) {
            Err(ForcedTypeError::NotDecoded)
        } else {
            Err(ForcedTypeError::Unknown)
        }
    }

    /// The types podcap prints, for messages and `-h`.
    pub fn names() -> impl Iterator<Item = &'static str> {
        ports::FORCED.iter().map(|f| f.name)
    }

    pub fn name(self) -> &'static str {
        self.entry().name
    }

    /// A type tcpdump 4.99 does not have (podcap's own).
    pub fn podcap_only(self) -> bool {
        self.entry().podcap_only
    }

    fn entry(self) -> &'static ports::ForcedEntry {
        // Only from_name makes one, with an index into FORCED.
        &ports::FORCED[usize::from(self.0).min(ports::FORCED.len() - 1)]
    }
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

/// Prints packets as tcpdump does; keeps the state `-ttt` and relative
/// TCP sequence numbers need.
#[derive(Debug, Clone)]
pub struct Printer {
    pub opts: PrintOptions,
    prev: Option<(i64, u32)>,
    first: Option<(i64, u32)>,
    tcp: tcp::SeqTable,
    ifnames: link::IfNames,
    ike: ike::Cookies,
    line: String,
}

/// The line being built and what the protocol printers share.
pub(crate) struct Ctx<'p> {
    pub o: &'p PrintOptions,
    pub s: &'p mut String,
    /// Innermost protocol being decoded, named in ` [|proto]`.
    pub proto: &'static str,
    pub tcp: &'p mut tcp::SeqTable,
    pub ifnames: &'p mut link::IfNames,
    pub ike: &'p mut ike::Cookies,
    /// Depth of encapsulation (VXLAN, IP-in-IP); bounds recursion.
    pub depth: u8,
}

impl Ctx<'_> {
    pub fn put(&mut self, s: &str) {
        self.s.push_str(s);
    }

    pub fn fmt(&mut self, args: std::fmt::Arguments<'_>) {
        let _ = self.s.write_fmt(args);
    }

    /// Appends a number in decimal (faster than `w!` on hot paths).
    pub fn num(&mut self, v: impl Num) {
        put::dec(self.s, v.to_u64());
    }

    pub fn v(&self) -> u8 {
        self.o.verbose
    }

    /// Prints ` [|proto]`, tcpdump's mark for bytes that were not captured.
    pub fn trunc_mark(&mut self) {
        let p = self.proto;
        self.fmt(format_args!(" [|{p}]"));
    }

    /// A truncation a printer handles itself (tcpdump's `goto trunc`):
    /// the mark, and decoding of this packet continues in the callers,
    /// unlike [`Truncated`] which abandons it as tcpdump's longjmp does.
    pub fn local_trunc(&mut self) -> R {
        self.trunc_mark();
        Ok(())
    }

    /// `prefix` then the IPv6 address at `off`, read first: tcpdump's
    /// `ND_PRINT(" x %s", GET_IP6ADDR_STRING(p))` prints nothing when the
    /// address was not captured.
    pub fn ip6_after(&mut self, prefix: &str, b: &[u8], off: usize) -> R {
        let a = slice(b, off, 16)?;
        self.put(prefix);
        put::ipv6(self.s, a);
        Ok(())
    }

    /// Like [`Ctx::ip6_after`] for an IPv4 address.
    pub fn ip4_after(&mut self, prefix: &str, b: &[u8], off: usize) -> R {
        let a = slice(b, off, 4)?;
        self.put(prefix);
        put::ipv4(self.s, a);
        Ok(())
    }

    /// tcpdump's ` (invalid)`.
    pub fn invalid(&mut self) {
        self.put(" (invalid)");
    }
}

/// Unsigned integers [`Ctx::num`] prints.
pub(crate) trait Num {
    fn to_u64(self) -> u64;
}

macro_rules! num_impl {
    ($($t:ty),*) => {
        $(impl Num for $t {
            fn to_u64(self) -> u64 {
                self as u64
            }
        })*
    };
}
num_impl!(u8, u16, u32, u64, usize);

/// `w!(ctx, "fmt", args..)` appends formatted text to the line.
macro_rules! w {
    ($ctx:expr, $($arg:tt)*) => {
        $ctx.fmt(format_args!($($arg)*))
    };
}
pub(crate) use w;

impl Printer {
    pub fn new(opts: PrintOptions) -> Self {
        Printer {
            opts,
            prev: None,
            first: None,
            tcp: tcp::SeqTable::default(),
            ifnames: link::IfNames::default(),
            ike: ike::Cookies::default(),
            line: String::with_capacity(256),
        }
    }

    /// Writes one packet's line(s), newline included. Never panics on
    /// malformed bytes: what cannot be decoded is printed as tcpdump does
    /// (`[|tcp]` truncation marks, raw lengths).
    pub fn print(&mut self, out: &mut dyn Write, meta: &Meta<'_>, data: &[u8]) -> io::Result<()> {
        self.format(meta, data);
        out.write_all(self.line.as_bytes())
    }

    /// Like [`Printer::print`], but returns the text (newline included).
    pub fn format(&mut self, meta: &Meta<'_>, data: &[u8]) -> &str {
        self.line.clear();
        let ts = (meta.ts_sec, meta.ts_nsec);
        time::print(
            &mut self.line,
            &self.opts,
            ts,
            &mut self.prev,
            &mut self.first,
        );
        // The wire length can never be less than what was captured; a
        // malformed record that claims so is clamped as libpcap does.
        let wirelen = (meta.wirelen as usize).max(data.len());
        let mut ctx = Ctx {
            o: &self.opts,
            s: &mut self.line,
            proto: "",
            tcp: &mut self.tcp,
            ifnames: &mut self.ifnames,
            ike: &mut self.ike,
            depth: 0,
        };
        // On truncation tcpdump dumps the whole packet (header length 0).
        let hdr = match link::print(&mut ctx, meta, data, wirelen) {
            Ok(h) => h.min(data.len()),
            Err(Truncated) => {
                ctx.trunc_mark();
                0
            }
        };
        dump::print(&mut self.line, self.opts.dump, data, hdr);
        self.line.push('\n');
        &self.line
    }
}

#[cfg(test)]
mod tests;
