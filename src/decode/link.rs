//! Link layers: Ethernet (with 802.1Q/QinQ tags), Linux cooked v1/v2,
//! raw IP; and the ethertype demultiplexer (print-ether.c, print-sll.c).

use super::bytes::{R, be16, be32, from, mac, u8_at};
use super::{Ctx, Meta, arp, dump, ip, ip6, names, w};
use crate::linktype::LinkType;
use std::collections::HashMap;

const SLL_HDR_LEN: usize = 16;
const SLL2_HDR_LEN: usize = 20;
/// Type/length values up to this are 802.3 lengths.
const MAX_ETHERNET_LENGTH_VAL: u16 = 1500;

/// Interface names by index, for SLL2 records read from a file (tcpdump
/// asks if_indextoname on the machine that prints; so do we, via sysfs).
#[derive(Debug, Clone, Default)]
pub(crate) struct IfNames {
    map: Option<HashMap<u32, String>>,
}

impl IfNames {
    fn name(&mut self, index: u32) -> &str {
        let map = self.map.get_or_insert_with(|| {
            let mut m = HashMap::new();
            if let Ok(dir) = std::fs::read_dir("/sys/class/net") {
                for e in dir.flatten() {
                    let idx = std::fs::read_to_string(e.path().join("ifindex"))
                        .ok()
                        .and_then(|s| s.trim().parse::<u32>().ok());
                    if let (Some(i), Ok(n)) = (idx, e.file_name().into_string()) {
                        m.insert(i, n);
                    }
                }
            }
            m
        });
        map.get(&index).map(String::as_str).unwrap_or("?")
    }
}

/// Prints the packet from its link header on; returns the link header
/// length (what `-x` skips), 0 if decoding stopped on truncation.
pub(crate) fn print(ctx: &mut Ctx<'_>, meta: &Meta<'_>, data: &[u8], wirelen: usize) -> R<usize> {
    match meta.linktype {
        LinkType::En10mb => {
            if_prefix(ctx, meta, None);
            ctx.proto = "ether";
            ether(ctx, data, wirelen)
        }
        LinkType::Raw => {
            if_prefix(ctx, meta, None);
            ctx.proto = "raw";
            if ctx.o.link_header {
                ctx.put("ip: ");
            }
            ip_n(ctx, data, wirelen)?;
            Ok(0)
        }
        LinkType::LinuxSll => sll(ctx, meta, data, wirelen),
        LinkType::LinuxSll2 => sll2(ctx, meta, data, wirelen),
    }
}

/// With `-i any` (or several `-i`), the interface and direction first,
/// in SLL2's `%-5s %-3s ` columns.
fn if_prefix(ctx: &mut Ctx<'_>, meta: &Meta<'_>, pkttype: Option<u16>) {
    if let Some(name) = meta.ifname {
        let dir = meta
            .direction
            .map(|d| d.as_str())
            .or_else(|| pkttype.map(pkttype_str))
            .unwrap_or("?");
        w!(ctx, "{name:<5} {dir:<3} ");
    }
}

fn pkttype_str(t: u16) -> &'static str {
    super::Direction::from_pkttype(t).map_or("?", |d| d.as_str())
}

/// Version nibble dispatch for link types without an ethertype.
pub(crate) fn ip_n(ctx: &mut Ctx<'_>, p: &[u8], length: usize) -> R {
    ctx.proto = "ipn";
    if length < 1 {
        ctx.put("truncated-ip ");
        ctx.num(length);
        return Ok(());
    }
    match u8_at(p, 0)? & 0xf0 {
        0x40 => ip::print(ctx, p, length),
        0x60 => ip6::print(ctx, p, length),
        v => {
            w!(ctx, "unknown ip {}", v >> 4);
            Ok(())
        }
    }
}

fn ether_type_print(ctx: &mut Ctx<'_>, t: u16) {
    if !ctx.o.quiet {
        w!(
            ctx,
            "ethertype {} (0x{t:04x})",
            names::ethertype(t).unwrap_or("Unknown")
        );
    } else {
        match names::ethertype(t) {
            Some(n) => ctx.put(n),
            None => w!(ctx, "Unknown Ethertype (0x{t:04x})"),
        }
    }
}

fn addresses(ctx: &mut Ctx<'_>, p: &[u8]) {
    mac(ctx.s, &p[6..12]);
    ctx.put(" > ");
    mac(ctx.s, &p[0..6]);
    ctx.put(", ");
}

fn tci(ctx: &mut Ctx<'_>, tag: u16) {
    w!(
        ctx,
        "vlan {}, p {}{}",
        tag & 0xfff,
        tag >> 13,
        if tag & 0x1000 != 0 { ", DEI" } else { "" }
    );
}

/// tcpdump's default print of bytes it cannot decode (hex and ASCII),
/// suppressed by `-q`, `-x` and `-X` as in tcpdump.
pub(crate) fn default_print(ctx: &mut Ctx<'_>, p: &[u8]) {
    use super::Dump;
    let suppressed = ctx.o.quiet
        || matches!(
            ctx.o.dump,
            Dump::Hex | Dump::HexLink | Dump::HexAscii | Dump::HexAsciiLink
        );
    if !suppressed {
        dump::hex_ascii(ctx.s, p);
    }
}

/// An Ethernet frame: `data` is what was captured, `length` its length
/// on the wire. Returns the header length (MACs, tags, type).
pub(crate) fn ether(ctx: &mut Ctx<'_>, data: &[u8], length: usize) -> R<usize> {
    ctx.proto = "ether";
    let caplen = data.len();
    if length < caplen {
        w!(ctx, "[length {length} < caplen {caplen}]");
        ctx.invalid();
        return Ok(length);
    }
    if caplen < 14 {
        ctx.trunc_mark();
        return Ok(caplen);
    }
    let orig_length = length;
    let mut length = length - 12;
    let mut caplen = caplen - 12;
    let mut off = 12;
    if ctx.o.link_header {
        addresses(ctx, data);
    }
    let mut length_type = be16(data, off)?;
    length -= 2;
    caplen -= 2;
    off += 2;
    let mut printed_length = false;
    while matches!(length_type, 0x8100 | 0x9100 | 0x9200 | 0x88a8) {
        if caplen < 4 {
            ctx.proto = "vlan";
            ctx.trunc_mark();
            return Ok(off + caplen);
        }
        if length < 4 {
            ctx.proto = "vlan";
            ctx.trunc_mark();
            return Ok(off + length);
        }
        if ctx.o.link_header {
            let tag = be16(data, off)?;
            ether_type_print(ctx, length_type);
            if !printed_length {
                ctx.put(", length ");
                ctx.num(orig_length);
                ctx.put(": ");
                printed_length = true;
            } else {
                ctx.put(", ");
            }
            tci(ctx, tag);
            ctx.put(", ");
        }
        length_type = be16(data, off + 2)?;
        off += 4;
        length -= 4;
        caplen -= 4;
    }
    let p = from(data, off);
    if length_type <= MAX_ETHERNET_LENGTH_VAL {
        // 802.3 with an LLC header: podcap does not decode LLC (STP,
        // CDP...), it names the frame and dumps it.
        let mut len = length;
        if usize::from(length_type) < length {
            len = usize::from(length_type);
        }
        let p = &p[..p.len().min(len)];
        if ctx.o.link_header {
            ctx.put("802.3");
            if !printed_length {
                ctx.put(", length ");
                ctx.num(len);
                ctx.put(": ");
            }
        } else {
            addresses(ctx, data);
            ctx.put("802.3, length ");
            ctx.num(len);
            ctx.put(": ");
        }
        ctx.put("LLC");
        default_print(ctx, p);
        // The LLC header counts as link header for `-x`, as in tcpdump:
        // 3 bytes (U format) or 4, plus 5 of SNAP.
        let llc = match (p.first(), p.get(1), p.get(2)) {
            (Some(&d), Some(&s), Some(&c)) => {
                let base = if c & 3 == 3 { 3 } else { 4 };
                if d == 0xaa && s == 0xaa && base == 3 {
                    8
                } else {
                    base
                }
            }
            _ => 0,
        };
        return Ok(off + llc.min(p.len()));
    }
    if ctx.o.link_header {
        ether_type_print(ctx, length_type);
        if !printed_length {
            ctx.put(", length ");
            ctx.num(orig_length);
            ctx.put(": ");
        } else {
            ctx.put(", ");
        }
    }
    if !ethertype_print(ctx, length_type, p, length)? {
        if !ctx.o.link_header {
            addresses(ctx, data);
            ether_type_print(ctx, length_type);
            ctx.put(", length ");
            ctx.num(orig_length);
            ctx.put(": ");
        }
        default_print(ctx, p);
    }
    Ok(off)
}

/// Decodes the payload of an ethertype; false if podcap does not know it.
pub(crate) fn ethertype_print(ctx: &mut Ctx<'_>, t: u16, p: &[u8], length: usize) -> R<bool> {
    match t {
        0x0800 => ip::print(ctx, p, length)?,
        0x86dd => ip6::print(ctx, p, length)?,
        0x0806 | 0x8035 => arp::print(ctx, p, length)?,
        _ => return Ok(false),
    }
    Ok(true)
}

fn sll_ethertype_desc(ctx: &mut Ctx<'_>, t: u16) {
    if t <= MAX_ETHERNET_LENGTH_VAL {
        match t {
            1 => ctx.put("802.3"),
            4 => ctx.put("802.2"),
            _ => w!(ctx, "ethertype Unknown (0x{t:04x})"),
        }
    } else {
        w!(
            ctx,
            "ethertype {} (0x{t:04x})",
            names::ethertype(t).unwrap_or("Unknown")
        );
    }
}

/// Linux cooked v1 (`-i any` in libpcap before 1.10, and podcap's default
/// for `-i any` since older Wireshark cannot read v2).
fn sll(ctx: &mut Ctx<'_>, meta: &Meta<'_>, data: &[u8], length: usize) -> R<usize> {
    ctx.proto = "sll";
    if data.len() < SLL_HDR_LEN {
        if_prefix(ctx, meta, None);
        return Err(super::Trunc);
    }
    let pkttype = be16(data, 0)?;
    if_prefix(ctx, meta, Some(pkttype));
    let halen = be16(data, 4)?;
    let proto = be16(data, 14)?;
    let sll_print = |ctx: &mut Ctx<'_>, length: usize| {
        // The direction column is already there when podcap knows the
        // interface; tcpdump's own v1 layout otherwise.
        if meta.ifname.is_none() {
            w!(ctx, "{:>3} ", pkttype_str(pkttype));
        }
        if halen == 6 {
            mac(ctx.s, &data[6..12]);
            ctx.put(" ");
        }
        if !ctx.o.quiet {
            sll_ethertype_desc(ctx, proto);
            ctx.put(", length ");
            ctx.num(length);
            ctx.put(": ");
        }
    };
    if ctx.o.link_header {
        sll_print(ctx, length);
    }
    let r = cooked_payload(ctx, data, SLL_HDR_LEN, proto, length - SLL_HDR_LEN)?;
    if r.unknown && !ctx.o.link_header {
        sll_print(ctx, length);
    }
    if r.unknown {
        default_print(ctx, from(data, r.hdrlen));
    }
    Ok(r.hdrlen)
}

/// Linux cooked v2: interface index and direction first, always.
fn sll2(ctx: &mut Ctx<'_>, meta: &Meta<'_>, data: &[u8], length: usize) -> R<usize> {
    ctx.proto = "sll2";
    if data.len() < SLL2_HDR_LEN {
        return Err(super::Trunc);
    }
    let proto = be16(data, 0)?;
    let ifindex = be32(data, 4)?;
    let pkttype = u8_at(data, 10)?;
    let halen = u8_at(data, 11)?;
    let name = match meta.ifname {
        Some(n) => n.to_string(),
        None => ctx.ifnames.name(ifindex).to_string(),
    };
    w!(ctx, "{name:<5} {:<3} ", pkttype_str(u16::from(pkttype)));
    let sll2_print = |ctx: &mut Ctx<'_>, length: usize| {
        ctx.put("ifindex ");
        ctx.num(ifindex);
        ctx.put(" ");
        if halen == 6 {
            mac(ctx.s, &data[12..18]);
            ctx.put(" ");
        }
        if !ctx.o.quiet {
            sll_ethertype_desc(ctx, proto);
            ctx.put(", length ");
            ctx.num(length);
            ctx.put(": ");
        }
    };
    if ctx.o.link_header {
        sll2_print(ctx, length);
    }
    let r = cooked_payload(ctx, data, SLL2_HDR_LEN, proto, length - SLL2_HDR_LEN)?;
    if r.unknown && !ctx.o.link_header {
        sll2_print(ctx, length);
    }
    if r.unknown {
        default_print(ctx, from(data, r.hdrlen));
    }
    Ok(r.hdrlen)
}

struct Cooked {
    hdrlen: usize,
    /// The ethertype was not decoded; the caller prints the header and
    /// dumps the rest.
    unknown: bool,
}

/// What follows a cooked header: VLAN tags the kernel put back, then
/// the ethertype's payload.
fn cooked_payload(
    ctx: &mut Ctx<'_>,
    data: &[u8],
    mut hdrlen: usize,
    mut t: u16,
    mut length: usize,
) -> R<Cooked> {
    loop {
        let p = from(data, hdrlen);
        if t <= MAX_ETHERNET_LENGTH_VAL {
            // 802.2 LLC / 802.3 IPX: not decoded; tcpdump dumps the bytes
            // without repeating the header.
            default_print(ctx, p);
            return Ok(Cooked {
                hdrlen,
                unknown: false,
            });
        }
        if t == 0x8100 {
            if p.len() < 4 {
                ctx.proto = "vlan";
                ctx.trunc_mark();
                return Ok(Cooked {
                    hdrlen: hdrlen + p.len(),
                    unknown: false,
                });
            }
            if ctx.o.link_header {
                tci(ctx, be16(p, 0)?);
                ctx.put(", ");
            }
            t = be16(p, 2)?;
            if t <= MAX_ETHERNET_LENGTH_VAL {
                t = 4;
            }
            if !ctx.o.quiet {
                w!(
                    ctx,
                    "ethertype {}, ",
                    names::ethertype(t).unwrap_or("Unknown")
                );
            }
            hdrlen += 4;
            length = length.saturating_sub(4);
            continue;
        }
        let known = ethertype_print(ctx, t, p, length)?;
        return Ok(Cooked {
            hdrlen,
            unknown: !known,
        });
    }
}
