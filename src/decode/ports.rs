//! Which printer a UDP or TCP payload goes to: tcpdump 4.99's port
//! chains (print-udp.c, print-tcp.c) as tables, in tcpdump's order, and
//! `-T TYPE`'s forced printers.
//!
//! Every port tcpdump decodes is in the tables, also those podcap has no
//! printer for: such an entry prints what tcpdump prints for a payload it
//! does not decode (`UDP, length N`, or nothing after TCP's header). A
//! packet between such a port and one podcap does decode (NTP from port
//! 123 to 4789, say) is then never printed as the wrong protocol.
//!
//! A new decoder is one line: replace its `undecoded` (or add an entry
//! where tcpdump's chain has it) with its printer.

use super::ip::Net;
use super::{Ctx, R, bfd, bgp, bootp, dhcp6, dns, esp, gpe, ike, ntp, syslog, text, vxlan, w};
use std::sync::OnceLock;

/// What a port printer is handed: the transport's payload.
#[derive(Clone, Copy)]
pub(crate) struct Payload<'a> {
    /// The payload as captured (may be shorter than `length`).
    pub bp: &'a [u8],
    /// The payload's length on the wire (UDP: the smaller of IP's and
    /// UDP's idea of it).
    pub length: usize,
    pub sport: u16,
    pub dport: u16,
    /// The IP header, for printers that need more than the ports (the
    /// address family, the TTL).
    pub net: Net<'a>,
    pub fragmented: bool,
    /// UDP: the length field less the header (may exceed `length`).
    pub ulen: usize,
}

pub(crate) type PrintFn = fn(&mut Ctx<'_>, &Payload<'_>) -> R;

/// The ports an entry matches, as tcpdump's tests are written.
#[derive(Clone, Copy)]
pub(crate) enum Ports {
    /// `ISPORT(p)`: source or destination.
    Either(&'static [u16]),
    /// `dport == p`.
    Dst(&'static [u16]),
    /// `sport == p`.
    Src(&'static [u16]),
    /// Source or destination in `lo..=hi`.
    Range(u16, u16),
}

/// One arm of tcpdump's `else if` chain.
pub(crate) struct Entry {
    /// tcpdump's name for the protocol (for the tests and the reader).
    #[allow(dead_code)]
    pub name: &'static str,
    pub ports: Ports,
    /// A further test on the payload; an entry whose guard says no is
    /// passed over as tcpdump's `else if` is. A guard reads bytes as
    /// tcpdump's does, so a byte it needs that was not captured ends the
    /// packet with the truncation mark.
    pub guard: Option<fn(&Payload<'_>) -> R<bool>>,
    pub print: PrintFn,
}

const fn either(name: &'static str, p: &'static [u16], print: PrintFn) -> Entry {
    Entry {
        name,
        ports: Ports::Either(p),
        guard: None,
        print,
    }
}

const fn dst(name: &'static str, p: &'static [u16], print: PrintFn) -> Entry {
    Entry {
        name,
        ports: Ports::Dst(p),
        guard: None,
        print,
    }
}

const fn src(name: &'static str, p: &'static [u16], print: PrintFn) -> Entry {
    Entry {
        name,
        ports: Ports::Src(p),
        guard: None,
        print,
    }
}

const fn range(name: &'static str, lo: u16, hi: u16, print: PrintFn) -> Entry {
    Entry {
        name,
        ports: Ports::Range(lo, hi),
        guard: None,
        print,
    }
}

/// tcpdump's generic UDP line, for a port podcap does not decode and for
/// a port no entry has.
pub(crate) fn undecoded(ctx: &mut Ctx<'_>, p: &Payload<'_>) -> R {
    if p.ulen > p.length && !p.fragmented {
        w!(ctx, "UDP, bad length {} > {}", p.ulen, p.length);
    } else {
        ctx.put("UDP, length ");
        ctx.num(p.ulen);
    }
    Ok(())
}

/// A TCP payload podcap does not decode: tcpdump's header line alone.
fn tcp_undecoded(_: &mut Ctx<'_>, _: &Payload<'_>) -> R {
    Ok(())
}

fn dns_udp(ctx: &mut Ctx<'_>, p: &Payload<'_>) -> R {
    dns::print(ctx, p.bp, p.length, false, false)
}

fn mdns(ctx: &mut Ctx<'_>, p: &Payload<'_>) -> R {
    dns::print(ctx, p.bp, p.length, false, true)
}

fn dns_tcp(ctx: &mut Ctx<'_>, p: &Payload<'_>) -> R {
    dns::print(ctx, p.bp, p.length, true, false)
}

fn vxlan(ctx: &mut Ctx<'_>, p: &Payload<'_>) -> R {
    vxlan::vxlan(ctx, p.bp, p.length)
}

fn otv(ctx: &mut Ctx<'_>, p: &Payload<'_>) -> R {
    vxlan::otv(ctx, p.bp, p.length)
}

fn geneve(ctx: &mut Ctx<'_>, p: &Payload<'_>) -> R {
    vxlan::geneve(ctx, p.bp, p.length)
}

fn bfd_udp(ctx: &mut Ctx<'_>, p: &Payload<'_>) -> R {
    bfd::print(ctx, p.bp, p.length, p.dport)
}

fn bgp_tcp(ctx: &mut Ctx<'_>, p: &Payload<'_>) -> R {
    bgp::print(ctx, p.bp, p.length)
}

fn bootp_udp(ctx: &mut Ctx<'_>, p: &Payload<'_>) -> R {
    bootp::print(ctx, p.bp, p.length)
}

fn ike_udp(ctx: &mut Ctx<'_>, p: &Payload<'_>) -> R {
    ike::print(ctx, p.bp, p.length, Some(p.net))
}

fn nat_t(ctx: &mut Ctx<'_>, p: &Payload<'_>) -> R {
    esp::udp_encap(ctx, p.bp, p.length, p.net)
}

fn ntp_udp(ctx: &mut Ctx<'_>, p: &Payload<'_>) -> R {
    ntp::print(ctx, p.bp, p.length)
}

fn dhcp6_udp(ctx: &mut Ctx<'_>, p: &Payload<'_>) -> R {
    dhcp6::print(ctx, p.bp, p.length)
}

fn syslog_udp(ctx: &mut Ctx<'_>, p: &Payload<'_>) -> R {
    syslog::print(ctx, p.bp, p.length)
}

fn gpe_udp(ctx: &mut Ctx<'_>, p: &Payload<'_>) -> R {
    gpe::print(ctx, p.bp, p.length)
}

fn ssh(ctx: &mut Ctx<'_>, p: &Payload<'_>) -> R {
    text::ssh(ctx, p.bp, p.length)
}

fn http(ctx: &mut Ctx<'_>, p: &Payload<'_>) -> R {
    ctx.put(": ");
    text::http(ctx, p.bp, p.length)
}

/// NFS over UDP, which print-udp.c tries before the checksum and its
/// port chain (a call to port 2049, a reply from it). Empty: podcap does
/// not decode Sun RPC, and such packets go on to the chain.
pub(crate) static UDP_BEFORE_CHECKSUM: &[Entry] = &[];

/// print-udp.c's chain, in its order.
pub(crate) static UDP: &[Entry] = &[
    either("domain", &[53], dns_udp),
    either("mdns", &[5353], mdns),
    either("timed", &[525], undecoded),
    either("tftp", &[69], undecoded),
    either("bootp", &[68, 67], bootp_udp),
    either("rip", &[520], undecoded),
    either("aodv", &[654], undecoded),
    either("isakmp", &[500], ike_udp),
    either("isakmp-nat-t", &[4500], nat_t),
    either("isakmp-user", &[7500, 8500], ike_udp),
    either("snmp", &[161, 162], undecoded),
    either("ntp", &[123], ntp_udp),
    either("kerberos", &[88, 750], undecoded),
    either("l2tp", &[1701], undecoded),
    dst("vat", &[3456], undecoded),
    either("zephyr", &[2103, 2104], undecoded),
    range("rx", 7000, 7009, undecoded),
    either("ripng", &[521], undecoded),
    either("dhcp6", &[547, 546], dhcp6_udp),
    either("ahcp", &[5359], undecoded),
    either("babel", &[6696, 6697], undecoded),
    either("hncp", &[8231], undecoded),
    dst("wb", &[4567], undecoded),
    either("cisco-autorp", &[496], undecoded),
    either("radius", &[1645, 1812, 1646, 1813, 1700, 3799], undecoded),
    dst("hsrp", &[1985], undecoded),
    either("lwres", &[921], undecoded),
    either("ldp", &[646], undecoded),
    either("olsr", &[698], undecoded),
    either("lsp-ping", &[3503], undecoded),
    src("bcm-li", &[49152], undecoded),
    dst("bfd", &[3784, 4784, 6784, 3785], bfd_udp),
    either("lmp", &[701], undecoded),
    either("vqp", &[1589], undecoded),
    either("sflow", &[6343], undecoded),
    dst("lwapp-control", &[12223], undecoded),
    src("lwapp-control", &[12223], undecoded),
    either("lwapp-data", &[12222], undecoded),
    either("sip", &[5060], undecoded),
    either("syslog", &[514], syslog_udp),
    either("otv", &[8472], otv),
    either("vxlan", &[4789], vxlan),
    either("geneve", &[6081], geneve),
    either("lisp", &[4342], undecoded),
    either("vxlan-gpe", &[4790], gpe_udp),
    either("zep", &[17754], undecoded),
    either("mpls", &[6635], undecoded),
    either("ptp", &[319, 320], undecoded),
    either("someip", &[30490], undecoded),
];

/// print-tcp.c's chain, in its order.
pub(crate) static TCP: &[Entry] = &[
    either("telnet", &[23], tcp_undecoded),
    either("smtp", &[25], tcp_undecoded),
    either("whois", &[43], tcp_undecoded),
    either("bgp", &[179], bgp_tcp),
    either("pptp", &[1723], tcp_undecoded),
    either("resp", &[6379], tcp_undecoded),
    either("ssh", &[22], ssh),
    either("beep", &[10288], tcp_undecoded),
    either("openflow", &[6633, 6653], tcp_undecoded),
    either("ftp", &[21], tcp_undecoded),
    either("http", &[80, 8080], http),
    either("rtsp", &[554, 8554], tcp_undecoded),
    either("domain", &[53], dns_tcp),
    either("msdp", &[639], tcp_undecoded),
    either("rpki-rtr", &[323], tcp_undecoded),
    either("ldp", &[646], tcp_undecoded),
    either("nfs", &[2049], tcp_undecoded),
];

/// For every port, the first entry of a table that port can select as a
/// source and as a destination (`u8::MAX`: none): a UDP packet is looked
/// up in two array reads instead of a walk of the chain.
struct Index {
    by_src: Box<[u8]>,
    by_dst: Box<[u8]>,
}

impl Index {
    fn build(table: &[Entry]) -> Index {
        let mut by_src = vec![u8::MAX; 1 << 16].into_boxed_slice();
        let mut by_dst = vec![u8::MAX; 1 << 16].into_boxed_slice();
        for (i, e) in table.iter().enumerate().rev() {
            let i = u8::try_from(i).unwrap_or(u8::MAX - 1);
            let set = |v: &mut [u8], p: u16| v[usize::from(p)] = i;
            match e.ports {
                Ports::Either(ps) => {
                    for &p in ps {
                        set(&mut by_src, p);
                        set(&mut by_dst, p);
                    }
                }
                Ports::Src(ps) => ps.iter().for_each(|&p| set(&mut by_src, p)),
                Ports::Dst(ps) => ps.iter().for_each(|&p| set(&mut by_dst, p)),
                Ports::Range(lo, hi) => {
                    for p in lo..=hi {
                        set(&mut by_src, p);
                        set(&mut by_dst, p);
                    }
                }
            }
        }
        Index { by_src, by_dst }
    }
}

impl Ports {
    fn matches(self, sport: u16, dport: u16) -> bool {
        match self {
            Ports::Either(ps) => ps.iter().any(|&p| p == sport || p == dport),
            Ports::Dst(ps) => ps.contains(&dport),
            Ports::Src(ps) => ps.contains(&sport),
            Ports::Range(lo, hi) => (lo..=hi).contains(&sport) || (lo..=hi).contains(&dport),
        }
    }
}

/// The first entry of `table` for the payload's ports whose guard
/// passes, as tcpdump's chain picks it.
fn lookup<'t>(table: &'t [Entry], index: &Index, p: &Payload<'_>) -> R<Option<&'t Entry>> {
    let first = index.by_src[usize::from(p.sport)].min(index.by_dst[usize::from(p.dport)]);
    if first == u8::MAX {
        return Ok(None);
    }
    for e in table.get(usize::from(first)..).unwrap_or(&[]) {
        if !e.ports.matches(p.sport, p.dport) {
            continue;
        }
        match e.guard {
            Some(g) if !g(p)? => continue,
            _ => return Ok(Some(e)),
        }
    }
    Ok(None)
}

fn udp_index() -> &'static Index {
    static I: OnceLock<Index> = OnceLock::new();
    I.get_or_init(|| Index::build(UDP))
}

fn tcp_index() -> &'static Index {
    static I: OnceLock<Index> = OnceLock::new();
    I.get_or_init(|| Index::build(TCP))
}

/// The UDP payload after the checksum: `--vxlan-port`'s ports first (the
/// user said what they carry), then tcpdump's chain.
pub(crate) fn udp(ctx: &mut Ctx<'_>, p: &Payload<'_>) -> R {
    if ctx
        .o
        .vxlan_ports
        .iter()
        .any(|&v| v == p.sport || v == p.dport)
    {
        return vxlan(ctx, p);
    }
    match lookup(UDP, udp_index(), p)? {
        Some(e) => (e.print)(ctx, p),
        None => undecoded(ctx, p),
    }
}

/// print-udp.c's test before the checksum; true if it printed the packet.
pub(crate) fn udp_before_checksum(ctx: &mut Ctx<'_>, p: &Payload<'_>) -> R<bool> {
    for e in UDP_BEFORE_CHECKSUM {
        if e.ports.matches(p.sport, p.dport) && e.guard.map_or(Ok(true), |g| g(p))? {
            (e.print)(ctx, p)?;
            return Ok(true);
        }
    }
    Ok(false)
}

/// A TCP payload (there is one: tcpdump's chain runs only then).
pub(crate) fn tcp(ctx: &mut Ctx<'_>, p: &Payload<'_>) -> R {
    match lookup(TCP, tcp_index(), p)? {
        Some(e) => (e.print)(ctx, p),
        None => Ok(()),
    }
}

/// What a `-T` type does over one transport.
#[derive(Clone, Copy)]
pub(crate) enum Forced {
    /// tcpdump has no case for it: nothing is printed after what the
    /// layers below printed (over UDP not even the addresses).
    Nothing,
    /// The addresses and ports, then the printer (UDP), or the printer
    /// after TCP's header line.
    After(PrintFn),
    /// The printer prints the addresses itself (Sun RPC over UDP).
    #[allow(dead_code)]
    Own(PrintFn),
}

/// One `-T` type.
pub(crate) struct ForcedEntry {
    pub name: &'static str,
    pub udp: Forced,
    pub tcp: Forced,
    /// Not a tcpdump 4.99 type: podcap's own (tcpdump has no -T for
    /// these overlays; 8472 and 6081 are the usual reason to force one).
    pub podcap_only: bool,
}

/// The `-T` types podcap prints.
pub(crate) static FORCED: &[ForcedEntry] = &[
    ForcedEntry {
        name: "domain",
        udp: Forced::After(dns_udp),
        tcp: Forced::After(dns_tcp),
        podcap_only: false,
    },
    ForcedEntry {
        name: "vxlan",
        udp: Forced::After(vxlan),
        tcp: Forced::Nothing,
        podcap_only: false,
    },
    ForcedEntry {
        name: "geneve",
        udp: Forced::After(geneve),
        tcp: Forced::Nothing,
        podcap_only: true,
    },
    ForcedEntry {
        name: "otv",
        udp: Forced::After(otv),
        tcp: Forced::Nothing,
        podcap_only: true,
    },
];

/// The other `-T` types tcpdump knows (4.99, and `quic` from later
/// versions), which podcap has no printer for: refused, never printed as
/// something else.
pub(crate) static FORCED_UNDECODED: &[&str] = &[
    "aodv",
    "carp",
    "cnfp",
    "lmp",
    "pgm",
    "pgm_zmtp1",
    "ptp",
    "quic",
    "radius",
    "resp",
    "rpc",
    "rtcp",
    "rtp",
    "snmp",
    "someip",
    "tftp",
    "vat",
    "wb",
    "zmtp1",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_finds_the_first_entry_in_tcpdumps_order() {
        let i = Index::build(UDP);
        let at = |name: &str| UDP.iter().position(|e| e.name == name).unwrap() as u8;
        assert_eq!(i.by_dst[53], at("domain"));
        assert_eq!(i.by_src[4789], at("vxlan"));
        // BFD is matched on the destination port only, BCM-LI on the source.
        assert_eq!(i.by_src[3784], u8::MAX);
        assert_eq!(i.by_dst[3784], at("bfd"));
        assert_eq!(i.by_dst[49152], u8::MAX);
        assert_eq!(i.by_src[49152], at("bcm-li"));
        assert_eq!(i.by_dst[7005], at("rx"));
        assert_eq!(i.by_dst[40000], u8::MAX);
        // NAT-T comes before OTV: ESP from 4500 to 8472 is not OTV.
        assert!(at("isakmp-nat-t") < at("otv"));
        assert!(UDP.len() < usize::from(u8::MAX) && TCP.len() < usize::from(u8::MAX));
    }

    #[test]
    fn forced_names_are_unique() {
        let mut names: Vec<&str> = FORCED.iter().map(|f| f.name).collect();
        names.extend(FORCED_UNDECODED);
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n);
    }
}
