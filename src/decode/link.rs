//! Link layers: Ethernet (with 802.1Q/QinQ tags), Linux cooked v1/v2,
//! raw IP; and the ethertype demultiplexer (print-ether.c, print-sll.c).

use super::put::mac;
use super::{Ctx, Meta, R, Truncated, arp, dump, filelink, ip, ip6, llc, lldp, names, slow, w};
use crate::linktype::LinkType;
use crate::wire::bytes::{from, u8_at};
use crate::wire::cooked::{self, Sll, Sll2};
use crate::wire::ethernet::{self, Frame, MAX_LENGTH, VlanTag};
use crate::wire::{EtherType, ipv4};
use std::collections::HashMap;

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
        LinkType::Raw | LinkType::Ipv4 | LinkType::Ipv6 => {
            if_prefix(ctx, meta, None);
            filelink::raw(ctx, data, wirelen)
        }
        LinkType::LinuxSll => sll(ctx, meta, data, wirelen),
        LinkType::LinuxSll2 => sll2(ctx, meta, data, wirelen),
        LinkType::Null => filelink::loopback(ctx, data, wirelen, false),
        LinkType::Loop => filelink::loopback(ctx, data, wirelen, true),
        LinkType::Nflog => filelink::nflog(ctx, data, wirelen),
        LinkType::Other(_) => filelink::unsupported(ctx, data),
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
    match u8_at(p, ipv4::field::VER_IHL)? & 0xf0 {
        0x40 => ip::print(ctx, p, length),
        0x60 => ip6::print(ctx, p, length),
        v => {
            w!(ctx, "unknown ip {}", v >> 4);
            Ok(())
        }
    }
}

fn ether_type_print(ctx: &mut Ctx<'_>, t: EtherType) {
    let v = u16::from(t);
    if !ctx.o.quiet {
        w!(
            ctx,
            "ethertype {} (0x{v:04x})",
            names::ethertype(t).unwrap_or("Unknown")
        );
    } else {
        match names::ethertype(t) {
            Some(n) => ctx.put(n),
            None => w!(ctx, "Unknown Ethertype (0x{v:04x})"),
        }
    }
}

fn addresses(ctx: &mut Ctx<'_>, f: &Frame<&[u8]>) {
    mac(ctx.s, &f.src_addr());
    ctx.put(" > ");
    mac(ctx.s, &f.dst_addr());
    ctx.put(", ");
}

fn tci(ctx: &mut Ctx<'_>, tag: &VlanTag<&[u8]>) {
    w!(
        ctx,
        "vlan {}, p {}{}",
        tag.vid(),
        tag.pcp(),
        if tag.dei() { ", DEI" } else { "" }
    );
}

/// The tags tcpdump's Ethernet printer walks: 802.1Q, QinQ and both
/// pre-standard QinQ types.
fn is_tag(t: EtherType) -> bool {
    matches!(
        t,
        EtherType::Vlan | EtherType::Vlan9100 | EtherType::Vlan9200 | EtherType::QinQ
    )
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
    let Ok(frame) = Frame::new_checked(data) else {
        ctx.trunc_mark();
        return Ok(caplen);
    };
    let orig_length = length;
    let mut length = length - ethernet::HEADER_LEN;
    let mut caplen = caplen - ethernet::HEADER_LEN;
    let mut off = ethernet::HEADER_LEN;
    if ctx.o.link_header {
        addresses(ctx, &frame);
    }
    // The number as read: converted where it is matched, the conversion
    // folds into the match (see ethertype_print).
    let mut length_type = u16::from(frame.ethertype());
    let mut printed_length = false;
    while is_tag(EtherType::from(length_type)) {
        let tag = match VlanTag::new_checked(from(data, off)) {
            Ok(tag) if length >= ethernet::VLAN_TAG_LEN => tag,
            _ => {
                ctx.proto = "vlan";
                ctx.trunc_mark();
                return Ok(off + caplen.min(length));
            }
        };
        if ctx.o.link_header {
            ether_type_print(ctx, EtherType::from(length_type));
            if !printed_length {
                ctx.put(", length ");
                ctx.num(orig_length);
                ctx.put(": ");
                printed_length = true;
            } else {
                ctx.put(", ");
            }
            tci(ctx, &tag);
            ctx.put(", ");
        }
        length_type = u16::from(tag.ethertype());
        off += ethernet::VLAN_TAG_LEN;
        length -= ethernet::VLAN_TAG_LEN;
        caplen -= ethernet::VLAN_TAG_LEN;
    }
    let p = from(data, off);
    let raw_type = length_type;
    if raw_type <= MAX_LENGTH {
        // 802.3: the field is the payload's length, and an LLC header
        // follows; what was captured ends there too.
        let len = length.min(usize::from(raw_type));
        let p = &p[..p.len().min(len)];
        if ctx.o.link_header {
            ctx.put("802.3");
            if !printed_length {
                ctx.put(", length ");
                ctx.num(len);
                ctx.put(": ");
            }
        }
        let (src, dst) = (frame.src_addr(), frame.dst_addr());
        let r = llc::print(ctx, p, len, Some((&src[..], &dst[..])))?;
        if r.unknown {
            default_print(ctx, p);
        }
        return Ok(off + r.hdrlen);
    }
    if ctx.o.link_header {
        ether_type_print(ctx, EtherType::from(length_type));
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
            addresses(ctx, &frame);
            ether_type_print(ctx, EtherType::from(length_type));
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
    match EtherType::from(t) {
        EtherType::Ipv4 => ip::print(ctx, p, length)?,
        EtherType::Ipv6 => ip6::print(ctx, p, length)?,
        EtherType::Arp | EtherType::Rarp => arp::print(ctx, p, length)?,
        EtherType::Slow => slow::print(ctx, p, length)?,
        EtherType::Lldp => lldp::print(ctx, p, length)?,
        _ => return Ok(false),
    }
    Ok(true)
}

fn sll_ethertype_desc(ctx: &mut Ctx<'_>, t: u16) {
    if t <= MAX_LENGTH {
        match t {
            cooked::P_802_3 => ctx.put("802.3"),
            cooked::P_802_2 => ctx.put("802.2"),
            _ => w!(ctx, "ethertype Unknown (0x{t:04x})"),
        }
    } else {
        w!(
            ctx,
            "ethertype {} (0x{t:04x})",
            names::ethertype(EtherType::from(t)).unwrap_or("Unknown")
        );
    }
}

/// Linux cooked v1 (`-i any` in libpcap before 1.10, and podcap's default
/// for `-i any` since older Wireshark cannot read v2).
fn sll(ctx: &mut Ctx<'_>, meta: &Meta<'_>, data: &[u8], length: usize) -> R<usize> {
    ctx.proto = "sll";
    let Ok(h) = Sll::new_checked(data) else {
        if_prefix(ctx, meta, None);
        return Err(Truncated);
    };
    let pkttype = h.pkttype();
    if_prefix(ctx, meta, Some(pkttype));
    let (halen, addr, proto) = (h.halen(), h.addr(), h.protocol());
    let sll_print = |ctx: &mut Ctx<'_>, length: usize| {
        // The direction column is already there when podcap knows the
        // interface; tcpdump's own v1 layout otherwise.
        if meta.ifname.is_none() {
            w!(ctx, "{:>3} ", pkttype_str(pkttype));
        }
        if halen == 6 {
            mac(ctx.s, &addr[..6]);
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
    let hdrlen = Sll::<&[u8]>::LEN;
    let r = cooked_payload(ctx, data, hdrlen, proto, length - hdrlen)?;
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
    let h = Sll2::new_checked(data)?;
    let (proto, ifindex, pkttype) = (h.protocol(), h.ifindex(), h.pkttype());
    let (halen, addr) = (h.halen(), h.addr());
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
            mac(ctx.s, &addr[..6]);
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
    let hdrlen = Sll2::<&[u8]>::LEN;
    let r = cooked_payload(ctx, data, hdrlen, proto, length - hdrlen)?;
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
        if t == cooked::P_802_2 {
            let r = llc::print(ctx, p, length, None)?;
            if r.unknown {
                default_print(ctx, p);
            }
            return Ok(Cooked {
                hdrlen: hdrlen + if r.unknown { 0 } else { r.hdrlen },
                unknown: false,
            });
        }
        if t <= MAX_LENGTH {
            // 802.3 IPX: not decoded; tcpdump dumps the bytes without
            // repeating the header.
            default_print(ctx, p);
            return Ok(Cooked {
                hdrlen,
                unknown: false,
            });
        }
        let et = EtherType::from(t);
        if et == EtherType::Vlan {
            let Ok(tag) = VlanTag::new_checked(p) else {
                ctx.proto = "vlan";
                ctx.trunc_mark();
                return Ok(Cooked {
                    hdrlen: hdrlen + p.len(),
                    unknown: false,
                });
            };
            if ctx.o.link_header {
                tci(ctx, &tag);
                ctx.put(", ");
            }
            // A length after the tag: the kernel's 802.2 pseudo-protocol.
            t = u16::from(tag.ethertype());
            if t <= MAX_LENGTH {
                t = cooked::P_802_2;
            }
            if !ctx.o.quiet {
                w!(
                    ctx,
                    "ethertype {}, ",
                    names::ethertype(EtherType::from(t)).unwrap_or("Unknown")
                );
            }
            hdrlen += ethernet::VLAN_TAG_LEN;
            length = length.saturating_sub(ethernet::VLAN_TAG_LEN);
            continue;
        }
        let known = ethertype_print(ctx, t, p, length)?;
        return Ok(Cooked {
            hdrlen,
            unknown: !known,
        });
    }
}
