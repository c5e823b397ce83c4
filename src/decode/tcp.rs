//! TCP (print-tcp.c): flags, relative sequence numbers per connection,
//! window, options, length; DNS over TCP and HTTP first lines.

use super::ip::Net;
use super::{Ctx, R, Truncated, bgp, dns, text, w};
use crate::wire::bytes::{be16, be32, from, has, slice, u8_at};
use crate::wire::tcp as wire_tcp;
use crate::wire::tcp::flags::{ACK, CWR, ECE, FIN, PSH, RST, SYN, URG};
use crate::wire::{IpProto, checksum, ports};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// First sequence numbers seen per connection, for relative numbering
/// (tcpdump's tcp_seq_hash, keyed the same way so `-S`-less output
/// matches it packet for packet).
#[derive(Debug, Clone, Default)]
pub(crate) struct SeqTable {
    /// (IP version, source, destination, zero-padded; ports) to the
    /// (seq, ack) bases, as tcpdump's separate IPv4 and IPv6 tables.
    map: HashMap<ConnKey, (u32, u32), BuildHasherDefault<Fnv>>,
}

type ConnKey = ([u8; 33], u32);

/// FNV-1a: the table is keyed by addresses seen on the wire, and a
/// capture is not an adversary worth SipHash's cost per packet.
#[derive(Default)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// Never grow without bound on a long capture of many connections.
const MAX_CONNECTIONS: usize = 1 << 16;

fn port_pair(ctx: &mut Ctx<'_>, net: Net<'_>, sport: u16, dport: u16) {
    if net.proto() == IpProto::Tcp {
        net.src(ctx.s);
        ctx.put(".");
        ctx.num(sport);
        ctx.put(" > ");
        net.dst(ctx.s);
        ctx.put(".");
        ctx.num(dport);
        ctx.put(": ");
    } else {
        w!(ctx, "{sport} > {dport}: ");
    }
}

pub(crate) fn print(
    ctx: &mut Ctx<'_>,
    bp: &[u8],
    length: usize,
    net: Net<'_>,
    fragmented: bool,
) -> R {
    ctx.proto = "tcp";
    let (Ok(sport), Ok(dport)) = (
        be16(bp, wire_tcp::field::SRC_PORT),
        be16(bp, wire_tcp::field::DST_PORT),
    ) else {
        net.src(ctx.s);
        ctx.put(" > ");
        net.dst(ctx.s);
        ctx.put(":");
        return ctx.local_trunc();
    };
    port_pair(ctx, net, sport, dport);
    let Ok(th) = wire_tcp::Packet::new_checked(bp) else {
        return ctx.local_trunc();
    };
    let hlen = th.header_len();
    if hlen < wire_tcp::HEADER_LEN {
        w!(
            ctx,
            " tcp {} [bad hdr length {hlen} - too short, < 20]",
            length as i64 - hlen as i64
        );
        return Ok(());
    }
    let mut seq = th.seq_number();
    let mut ack = th.ack_number();
    let win = th.window_len();
    let urp = th.urgent_at();
    if ctx.o.quiet {
        // tcpdump prints this unsigned subtraction as %u.
        w!(ctx, "tcp {}", (length as u32).wrapping_sub(hlen as u32));
        if hlen > length {
            w!(ctx, " [bad hdr length {hlen} - too long, > {length}]");
        }
        return Ok(());
    }
    let flags = th.flags();
    ctx.put("Flags [");
    if flags == 0 {
        ctx.put("none");
    }
    for (bit, c) in [
        (FIN, 'F'),
        (SYN, 'S'),
        (RST, 'R'),
        (PSH, 'P'),
        (ACK, '.'),
        (URG, 'U'),
        (ECE, 'E'),
        (CWR, 'W'),
    ] {
        if flags & bit != 0 {
            ctx.s.push(c);
        }
    }
    ctx.put("]");
    let (mut thseq, mut thack, mut rev) = (0u32, 0u32, false);
    if !ctx.o.absolute_seq && flags & ACK != 0 {
        let (a4, a6);
        let (src, dst): (&[u8], &[u8]) = match net {
            Net::V4(h) => {
                a4 = h.addrs();
                a4.split_at(4)
            }
            Net::V6(h) => {
                a6 = h.addrs();
                a6.split_at(16)
            }
        };
        rev = sport > dport || (sport == dport && src > dst);
        let (a, b, ports) = if rev {
            (dst, src, (u32::from(dport) << 16) | u32::from(sport))
        } else {
            (src, dst, (u32::from(sport) << 16) | u32::from(dport))
        };
        let mut key = [0u8; 33];
        key[0] = a.len() as u8;
        key[1..1 + a.len()].copy_from_slice(a);
        key[17..17 + b.len()].copy_from_slice(b);
        let table = &mut ctx.tcp.map;
        let k = (key, ports);
        let entry = match table.get(&k) {
            Some(&e) if flags & SYN == 0 => {
                if rev {
                    seq = seq.wrapping_sub(e.1);
                    ack = ack.wrapping_sub(e.0);
                } else {
                    seq = seq.wrapping_sub(e.0);
                    ack = ack.wrapping_sub(e.1);
                }
                e
            }
            _ => {
                let e = if rev {
                    (ack.wrapping_sub(1), seq)
                } else {
                    (seq, ack.wrapping_sub(1))
                };
                if table.len() >= MAX_CONNECTIONS && !table.contains_key(&k) {
                    table.clear();
                }
                table.insert(k, e);
                e
            }
        };
        thseq = entry.0;
        thack = entry.1;
    }
    if hlen > length {
        w!(ctx, " [bad hdr length {hlen} - too long, > {length}]");
        return Ok(());
    }
    if ctx.v() > 0 && !fragmented && has(bp, 0, length) {
        let sum = net.cksum(IpProto::Tcp, &bp[..length]);
        let field = th.checksum();
        w!(ctx, ", cksum 0x{field:04x}");
        if sum != 0 {
            w!(
                ctx,
                " (incorrect -> 0x{:04x})",
                checksum::should_be(field, sum)
            );
        } else {
            ctx.put(" (correct)");
        }
    }
    let length = length - hlen;
    if ctx.v() > 1 || length > 0 || flags & (SYN | FIN | RST) != 0 {
        ctx.put(", seq ");
        ctx.num(seq);
        if length > 0 {
            w!(ctx, ":{}", seq.wrapping_add(length as u32));
        }
    }
    if flags & ACK != 0 {
        ctx.put(", ack ");
        ctx.num(ack);
    }
    ctx.put(", win ");
    ctx.num(win);
    if flags & URG != 0 {
        ctx.put(", urg ");
        ctx.num(urp);
    }
    if hlen > wire_tcp::HEADER_LEN {
        ctx.put(", options [");
        let payload_complete = has(bp, hlen, length);
        let opts = th.options();
        let opts_len = hlen - wire_tcp::HEADER_LEN;
        match options(ctx, payload_complete, opts, opts_len, rev, thseq, thack) {
            Ok(true) => ctx.put("]"),
            Ok(false) => return Ok(()),
            Err(OptEnd::Trunc(sep)) => {
                ctx.trunc_mark();
                if sep {
                    ctx.put(">");
                }
                return Ok(());
            }
            Err(OptEnd::Bad(sep)) => {
                ctx.put("[bad opt]");
                if sep {
                    ctx.put("]");
                }
                return Ok(());
            }
            Err(OptEnd::Jump) => return Err(Truncated),
        }
    }
    ctx.put(", length ");
    ctx.num(length);
    if length == 0 {
        return Ok(());
    }
    if !has(bp, 0, hlen) {
        w!(
            ctx,
            " [remaining caplen({}) < header length({hlen})]",
            bp.len()
        );
        return Err(Truncated);
    }
    let payload = from(bp, hlen);
    if flags & RST != 0 && ctx.v() > 0 {
        rst_data(ctx, payload, length);
        return Ok(());
    }
    let port = |p: u16| sport == p || dport == p;
    if port(ports::SSH) {
        text::ssh(ctx, payload, length)?;
    } else if port(ports::HTTP) || port(ports::HTTP_ALT) {
        ctx.put(": ");
        text::http(ctx, payload, length)?;
    } else if port(ports::DNS) {
        dns::print(ctx, payload, length, true, false)?;
    } else if port(bgp::PORT) {
        bgp::print(ctx, payload, length)?;
    }
    Ok(())
}

/// How option parsing stopped early.
enum OptEnd {
    /// `LENCHECK` failed on capture: ` [|tcp]`, then `>` if an option
    /// separator was printed.
    Trunc(bool),
    /// Malformed option: `[bad opt]`, then `]` likewise.
    Bad(bool),
    /// A plain read ran off the capture: the packet-level mark.
    Jump,
}

impl From<Truncated> for OptEnd {
    fn from(_: Truncated) -> Self {
        OptEnd::Jump
    }
}

fn options(
    ctx: &mut Ctx<'_>,
    payload_complete: bool,
    cp: &[u8],
    mut hlen: usize,
    rev: bool,
    thseq: u32,
    thack: u32,
) -> Result<bool, OptEnd> {
    let mut sep = false;
    let mut pos = 0usize;
    while hlen > 0 {
        if sep {
            ctx.put(",");
        }
        let opt = u8_at(cp, pos)?;
        pos += 1;
        let len;
        if opt == 0 || opt == 1 {
            len = 1;
        } else {
            len = usize::from(u8_at(cp, pos)?);
            pos += 1;
            if len < 2 || len > hlen {
                return Err(OptEnd::Bad(sep));
            }
            hlen -= 1;
        }
        hlen -= 1;
        let lencheck = |l: usize, hlen: usize| -> Result<(), OptEnd> {
            if l > hlen {
                return Err(OptEnd::Bad(sep));
            }
            if !has(cp, pos, l) {
                return Err(OptEnd::Trunc(sep));
            }
            Ok(())
        };
        let name = match opt {
            0 => "eol",
            1 => "nop",
            2 => "mss",
            3 => "wscale",
            4 => "sackOK",
            5 => "sack",
            6 => "echo",
            7 => "echoreply",
            8 => "TS",
            11 => "cc",
            12 => "ccnew",
            13 => "",
            19 => "md5",
            20 => "scps",
            28 => "uto",
            29 => "tcp-ao",
            30 => "mptcp",
            34 => "tfo",
            254 => "exp",
            _ => "",
        };
        if name.is_empty() && opt != 13 {
            ctx.put("unknown-");
            ctx.num(opt);
        } else {
            ctx.put(name);
        }
        let mut datalen = 0usize;
        match opt {
            2 => {
                datalen = 2;
                lencheck(datalen, hlen)?;
                w!(ctx, " {}", be16(cp, pos)?);
            }
            3 => {
                datalen = 1;
                lencheck(datalen, hlen)?;
                w!(ctx, " {}", u8_at(cp, pos)?);
            }
            5 => {
                datalen = len - 2;
                if datalen % 8 != 0 {
                    ctx.put(" invalid sack");
                } else {
                    w!(ctx, " {} ", datalen / 8);
                    let mut i = 0;
                    while i < datalen {
                        lencheck(i + 4, hlen)?;
                        let mut s = be32(cp, pos + i)?;
                        lencheck(i + 8, hlen)?;
                        let mut e = be32(cp, pos + i + 4)?;
                        let base = if rev { thseq } else { thack };
                        s = s.wrapping_sub(base);
                        e = e.wrapping_sub(base);
                        w!(ctx, "{{{s}:{e}}}");
                        i += 8;
                    }
                }
            }
            6 | 7 | 11 | 12 | 13 => {
                datalen = 4;
                lencheck(datalen, hlen)?;
                w!(ctx, " {}", be32(cp, pos)?);
            }
            8 => {
                datalen = 8;
                lencheck(datalen, hlen)?;
                let (val, ecr) = (be32(cp, pos)?, be32(cp, pos + 4)?);
                ctx.put(" val ");
                ctx.num(val);
                ctx.put(" ecr ");
                ctx.num(ecr);
            }
            19 => {
                datalen = 16;
                lencheck(datalen, hlen)?;
                ctx.put(" ");
                // Debian's tcpdump is built with libcrypto; without -M it
                // says why it cannot check the signature.
                ctx.put(if payload_complete {
                    "shared secret not supplied with -M, "
                } else {
                    "snaplen too short, "
                });
                ctx.put("can't check - ");
                for i in 0..16 {
                    w!(ctx, "{:02x}", u8_at(cp, pos + i)?);
                }
            }
            20 => {
                datalen = 2;
                lencheck(datalen, hlen)?;
                w!(
                    ctx,
                    " cap {:02x} id {}",
                    u8_at(cp, pos)?,
                    u8_at(cp, pos + 1)?
                );
            }
            29 => {
                datalen = len - 2;
                if datalen < 2 {
                    ctx.invalid();
                } else {
                    lencheck(1, hlen)?;
                    w!(ctx, " keyid {}", u8_at(cp, pos)?);
                    lencheck(2, hlen)?;
                    w!(ctx, " rnextkeyid {}", u8_at(cp, pos + 1)?);
                    if datalen > 2 {
                        ctx.put(" mac 0x");
                        for i in 2..datalen {
                            lencheck(i + 1, hlen)?;
                            w!(ctx, "{:02x}", u8_at(cp, pos + i)?);
                        }
                    }
                }
            }
            0 | 1 | 4 => {}
            28 => {
                datalen = 2;
                lencheck(datalen, hlen)?;
                let mut v = u32::from(be16(cp, pos)?);
                w!(ctx, " 0x{v:x}");
                if v & 1 != 0 {
                    v = (v >> 1) * 60;
                } else {
                    v >>= 1;
                }
                ctx.put(" ");
                ctx.num(v);
            }
            34 => {
                datalen = len - 2;
                lencheck(datalen, hlen)?;
                ctx.put(" ");
                fastopen(ctx, slice(cp, pos, datalen)?, false);
            }
            254 => {
                datalen = len - 2;
                lencheck(datalen, hlen)?;
                if datalen < 2 {
                    return Err(OptEnd::Bad(sep));
                }
                let magic = be16(cp, pos)?;
                ctx.put("-");
                if magic == 0xf989 {
                    fastopen(ctx, slice(cp, pos + 2, datalen - 2)?, true);
                } else {
                    w!(ctx, "{magic:04x}");
                }
            }
            _ => {
                // MPTCP (30) included: its sub-options are not decoded,
                // the bytes are shown as for an unknown option.
                datalen = len - 2;
                if datalen > 0 {
                    ctx.put(" 0x");
                }
                for i in 0..datalen {
                    lencheck(i + 1, hlen)?;
                    w!(ctx, "{:02x}", u8_at(cp, pos + i)?);
                }
            }
        }
        pos += datalen;
        hlen = hlen.saturating_sub(datalen);
        let mut seen = datalen + 1;
        if opt != 0 && opt != 1 {
            seen += 1;
        }
        if seen != len {
            ctx.put("[len ");
            ctx.num(len);
            ctx.put("]");
        }
        sep = true;
        if opt == 0 {
            break;
        }
    }
    Ok(true)
}

fn fastopen(ctx: &mut Ctx<'_>, cookie: &[u8], exp: bool) {
    if exp {
        ctx.put("tfo");
    }
    if cookie.is_empty() {
        ctx.put(" cookiereq");
    } else if cookie.len() % 2 != 0 || cookie.len() < 4 || cookie.len() > 16 {
        ctx.invalid();
    } else {
        ctx.put(" cookie ");
        for b in cookie {
            w!(ctx, "{b:02x}");
        }
    }
}

fn rst_data(ctx: &mut Ctx<'_>, sp: &[u8], length: usize) {
    ctx.put(if has(sp, 0, length) {
        " [RST"
    } else {
        " [!RST"
    });
    let mut n = length;
    if n > 30 {
        n = 30;
        ctx.put("+");
    }
    ctx.put(" ");
    for &c in sp.iter().take(n) {
        text::print_char(ctx.s, c);
    }
    ctx.put("]");
}
