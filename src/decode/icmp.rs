//! ICMP for IPv4 (print-icmp.c): echo, unreachable, redirect, time
//! exceeded, parameter problem, timestamps, router advertisement; with
//! `-v` the quoted IP header of error messages on the next line.

use super::put::ipv4_at;
use super::{Ctx, R, ip, w};
use crate::wire::bytes::{be16, be32, from, has, u8_at};
use crate::wire::ipv4::field as ip_field;
use crate::wire::{IpProto, checksum, udp};

/// Where an error message quotes the packet that caused it: after the
/// 8-byte ICMP header.
const QUOTED: usize = 8;

fn tstamp(t: u32) -> String {
    let msec = t % 1000;
    let mut sec = t / 1000;
    let mut min = sec / 60;
    sec -= min * 60;
    let hrs = min / 60;
    min -= hrs * 60;
    format!("{hrs:02}:{min:02}:{sec:02}.{msec:03}")
}

pub(crate) fn print(ctx: &mut Ctx<'_>, bp: &[u8], plen: usize, fragmented: bool) -> R {
    ctx.proto = "icmp";
    let ty = u8_at(bp, 0)?;
    let code = u8_at(bp, 1)?;
    let mut s = String::new();
    let ip_dst = |s: &mut String| ipv4_at(s, bp, QUOTED + ip_field::DST_ADDR.start);
    match ty {
        0 | 8 => {
            w!(
                Sink(&mut s),
                "echo {}, id {}, seq {}",
                if ty == 8 { "request" } else { "reply" },
                be16(bp, 4)?,
                be16(bp, 6)?
            );
        }
        3 => match code {
            0 | 1 | 6 | 7 | 9 | 10 | 11 | 12 | 13 | 14 | 15 => {
                let (pre, post) = match code {
                    0 => ("net ", " unreachable"),
                    1 => ("host ", " unreachable"),
                    6 => ("net ", " unreachable - unknown"),
                    7 => ("host ", " unreachable - unknown"),
                    9 => ("net ", " unreachable - admin prohibited"),
                    10 => ("host ", " unreachable - admin prohibited"),
                    11 => ("net ", " unreachable - tos prohibited"),
                    12 => ("host ", " unreachable - tos prohibited"),
                    13 => ("host ", " unreachable - admin prohibited filter"),
                    14 => ("host ", " unreachable - host precedence violation"),
                    _ => ("host ", " unreachable - precedence cutoff"),
                };
                s.push_str(pre);
                ip_dst(&mut s)?;
                s.push_str(post);
            }
            2 => {
                ip_dst(&mut s)?;
                let proto = u8_at(bp, QUOTED + ip_field::PROTOCOL)?;
                w!(Sink(&mut s), " protocol {proto} unreachable");
            }
            3 => {
                if !has(bp, QUOTED + ip_field::PROTOCOL, 1) {
                    return ctx.local_trunc();
                }
                let hlen = usize::from(u8_at(bp, QUOTED + ip_field::VER_IHL)? & 0x0f) * 4;
                // TCP's destination port is where UDP's is.
                let dport = be16(bp, QUOTED + hlen + udp::field::DST_PORT.start)?;
                let proto = IpProto::from(u8_at(bp, QUOTED + ip_field::PROTOCOL)?);
                ip_dst(&mut s)?;
                match proto {
                    IpProto::Tcp => w!(Sink(&mut s), " tcp port {dport} unreachable"),
                    IpProto::Udp => w!(Sink(&mut s), " udp port {dport} unreachable"),
                    p => w!(
                        Sink(&mut s),
                        " protocol {} port {dport} unreachable",
                        u8::from(p)
                    ),
                }
            }
            4 => {
                let mtu = be16(bp, 6)?;
                ip_dst(&mut s)?;
                s.push_str(" unreachable - need to frag");
                if mtu != 0 {
                    w!(Sink(&mut s), " (mtu {mtu})");
                }
            }
            5 => {
                ip_dst(&mut s)?;
                s.push_str(" unreachable - source route failed");
            }
            8 => {
                ip_dst(&mut s)?;
                s.push_str(" unreachable - source host isolated");
            }
            _ => {
                ip_dst(&mut s)?;
                w!(Sink(&mut s), " unreachable - #{code}");
            }
        },
        5 => {
            let (a, b) = match code {
                0 => ("redirect ", " to net "),
                1 => ("redirect ", " to host "),
                2 => ("redirect-tos ", " to net "),
                3 => ("redirect-tos ", " to host "),
                _ => ("", " to "),
            };
            if a.is_empty() {
                w!(Sink(&mut s), "redirect-#{code} ");
            } else {
                s.push_str(a);
            }
            ip_dst(&mut s)?;
            s.push_str(b);
            ipv4_at(&mut s, bp, 4)?;
        }
        9 => {
            s.push_str("router advertisement lifetime ");
            if !has(bp, 4, 4) {
                return ctx.local_trunc();
            }
            let lifetime = u32::from(be16(bp, 6)?);
            if lifetime < 60 {
                w!(Sink(&mut s), "{lifetime}");
            } else if lifetime < 3600 {
                w!(Sink(&mut s), "{}:{:02}", lifetime / 60, lifetime % 60);
            } else {
                w!(
                    Sink(&mut s),
                    "{}:{:02}:{:02}",
                    lifetime / 3600,
                    (lifetime % 3600) / 60,
                    lifetime % 60
                );
            }
            let num = u8_at(bp, 4)?;
            w!(Sink(&mut s), " {num}:");
            let size = u8_at(bp, 5)?;
            if size != 2 {
                w!(Sink(&mut s), " [size {size}]");
            } else {
                for i in 0..usize::from(num) {
                    let off = 8 + i * 8;
                    if !has(bp, off, 8) {
                        return ctx.local_trunc();
                    }
                    s.push_str(" {");
                    ipv4_at(&mut s, bp, off)?;
                    w!(Sink(&mut s), " {}}}", be32(bp, off + 4)?);
                }
            }
        }
        11 => {
            if !has(bp, 24, 4) {
                return ctx.local_trunc();
            }
            match code {
                0 => s.push_str("time exceeded in-transit"),
                1 => s.push_str("ip reassembly time exceeded"),
                _ => w!(Sink(&mut s), "time exceeded-#{code}"),
            }
        }
        12 => {
            if code != 0 {
                w!(Sink(&mut s), "parameter problem - code {code}");
            } else {
                w!(Sink(&mut s), "parameter problem - octet {}", u8_at(bp, 4)?);
            }
        }
        18 => w!(Sink(&mut s), "address mask is 0x{:08x}", be32(bp, 8)?),
        13 => w!(
            Sink(&mut s),
            "time stamp query id {} seq {}",
            be16(bp, 4)?,
            be16(bp, 6)?
        ),
        14 => {
            if !has(bp, 16, 4) {
                return ctx.local_trunc();
            }
            w!(
                Sink(&mut s),
                "time stamp reply id {} seq {}: org {}, recv {}, xmit {}",
                be16(bp, 4)?,
                be16(bp, 6)?,
                tstamp(be32(bp, 8)?),
                tstamp(be32(bp, 12)?),
                tstamp(be32(bp, 16)?)
            );
        }
        _ => match ty {
            4 => s.push_str("source quench"),
            10 => s.push_str("router solicitation"),
            15 => s.push_str("information request"),
            16 => s.push_str("information reply"),
            17 => s.push_str("address mask request"),
            _ => w!(Sink(&mut s), "type-#{ty}"),
        },
    }
    w!(ctx, "ICMP {s}, length {plen}");
    if ctx.v() > 0 && !fragmented && has(bp, 0, plen) {
        let sum = checksum::internet(&[&bp[..plen]]);
        if sum != 0 {
            let field = be16(bp, 2)?;
            w!(
                ctx,
                " (wrong icmp cksum {field:x} (->{:x})!)",
                checksum::should_be(field, sum)
            );
        }
    }
    if ctx.v() > 0 && matches!(ty, 3 | 4 | 5 | 11 | 12) {
        ctx.put("\n\t");
        let inner = from(bp, QUOTED);
        let ip_len = usize::from(be16(inner, ip_field::LENGTH)?);
        let inner = &inner[..inner.len().min(ip_len)];
        ip::nested(ctx, |ctx| ip::print(ctx, inner, ip_len))?;
        ctx.proto = "icmp";
    }
    Ok(())
}

/// Lets `w!` write into a plain String.
struct Sink<'a>(&'a mut String);

impl Sink<'_> {
    fn fmt(&mut self, args: std::fmt::Arguments<'_>) {
        use std::fmt::Write as _;
        let _ = self.0.write_fmt(args);
    }
}
