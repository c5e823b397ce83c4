//! Primitives named by an address, number or name after their qualifiers:
//! libpcap's gen_ncode, gen_scode, gen_mcode, gen_mcode6 and gen_ecode.

use super::block::Expr;
use super::codegen::{Gen, R};
use super::names::{self, ipproto};
use super::qual::{Addr, Proto, Qual};

/// libpcap's __pcap_atoin: dotted decimal, returns (value, bits).
pub fn atoin(s: &str) -> Option<(u32, u32)> {
    let mut v: u32 = 0;
    let mut len = 0;
    for part in s.split('.') {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) || part.len() > 3 {
            return None;
        }
        let n: u32 = part.parse().ok()?;
        if n > 255 || len >= 32 {
            return None;
        }
        v = (v << 8) | n;
        len += 8;
    }
    Some((v, len))
}

/// libpcap 1.10's __pcap_atodn: DECnet `area.node` as `sscanf("%d.%d")`
/// reads it (anything after the node is ignored), the area's low 6 bits
/// and the node's low 10, unchecked.
pub fn atodn(s: &str) -> Option<u32> {
    let mut parts = s.split('.');
    let (a, n) = (parts.next()?, parts.next()?);
    // %d of a number too large for an int: strtol's saturated value,
    // truncated; only the low bits are used.
    let num = |p: &str| -> Option<u32> {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(
            p.parse::<u64>()
                .unwrap_or(i64::MAX as u64)
                .min(i64::MAX as u64) as u32,
        )
    };
    let (area, node) = (num(a)?, num(n)?);
    Some((area.wrapping_shl(10) & 0xfc00) | (node & 0x3ff))
}

fn shl(v: u32, n: u32) -> u32 {
    if n >= 32 { 0 } else { v << n }
}

fn port_proto(q: Qual, what: &str) -> R<Option<u32>> {
    match q.proto {
        Proto::Udp => Ok(Some(ipproto::UDP)),
        Proto::Tcp => Ok(Some(ipproto::TCP)),
        Proto::Sctp => Ok(Some(ipproto::SCTP)),
        Proto::Default => Ok(None),
        other => Err(format!(
            "'{}' is not a valid qualifier for '{what}'",
            other.name()
        )),
    }
}

/// A named port for `tcp port NAME`: the name's protocol must agree.
fn check_named(q: Qual, name: &str, svc: names::Service) -> R<Option<u32>> {
    let want = port_proto(q, "port")?;
    match (want, svc.proto) {
        (Some(w), Some(p)) if w != p => Err(format!(
            "port '{name}' is {}",
            if p == ipproto::TCP { "tcp" } else { "udp" }
        )),
        (Some(w), _) => Ok(Some(w)),
        (None, p) => Ok(p),
    }
}

impl Gen {
    /// A number or dotted address after qualifiers (gen_ncode). `hid` is
    /// the dotted text when the token was an address.
    pub fn ncode(&mut self, hid: Option<&str>, v: u32, q: Qual) -> R<Expr> {
        if let Some(s) = hid {
            match q.addr {
                Addr::Port | Addr::PortRange | Addr::Proto | Addr::ProtoChain => {
                    return Err(format!(
                        "'{}' qualifier applied to IPv4 address",
                        q.addr.name()
                    ));
                }
                Addr::Gateway => {
                    return Err(format!("'gateway' is not a valid qualifier for '{s}'"));
                }
                _ => {}
            }
        }
        match q.addr {
            Addr::Default | Addr::Host | Addr::Net => {
                if q.proto == Proto::Link {
                    let shown = hid.map(str::to_string).unwrap_or_else(|| v.to_string());
                    return Err(format!("illegal link-layer address '{shown}'"));
                }
                if q.proto == Proto::Decnet {
                    // As libpcap 1.10: `net` is `host` for DECnet, and a
                    // plain number is the address itself.
                    let v = match hid {
                        Some(s) => {
                            atodn(s).ok_or_else(|| format!("malformed decnet address '{s}'"))?
                        }
                        None => v,
                    };
                    return self.host(v, 0, q.proto, q.dir, false);
                }
                let (mut v, vlen) = match hid {
                    Some(s) => atoin(s).ok_or_else(|| format!("invalid IPv4 address '{s}'"))?,
                    None => (v, 32),
                };
                let mut mask = 0xffff_ffffu32;
                if hid.is_none() && q.addr == Addr::Net {
                    while v != 0 && (v & 0xff00_0000) == 0 {
                        v <<= 8;
                        mask <<= 8;
                    }
                } else {
                    v = shl(v, 32 - vlen);
                    mask = shl(mask, 32 - vlen);
                }
                self.host(v, mask, q.proto, q.dir, q.addr == Addr::Net)
            }
            Addr::Port | Addr::PortRange => {
                let proto = port_proto(q, q.addr.name())?;
                if v > 65535 {
                    return Err(format!(
                        "illegal port number {v} > 65535: out of range (ports are 0 to 65535)"
                    ));
                }
                let hi = (q.addr == Addr::PortRange).then_some(v);
                self.port(v, hi, proto, q.dir)
            }
            Addr::Gateway => Err(format!("'gateway' is not a valid qualifier for '{v}'")),
            Addr::Proto => self.proto(v, q.proto, q.dir),
            Addr::ProtoChain => self.protochain(v, q.proto, q.dir),
            Addr::Undef => Err("syntax error".into()),
        }
    }

    /// A name after qualifiers (gen_scode).
    pub fn scode(&mut self, name: &str, q: Qual) -> R<Expr> {
        match q.addr {
            Addr::Default | Addr::Host | Addr::Net => {
                if q.proto == Proto::Link {
                    return Err(format!(
                        "unknown ether host '{name}' (podcap does not read /etc/ethers; write the MAC address)"
                    ));
                }
                if q.addr == Addr::Net {
                    return Err(format!(
                        "unknown network '{name}' (podcap does not resolve network names; write it as a.b.c.d/len)"
                    ));
                }
                let addrs = names::etc_hosts(name);
                if addrs.is_empty() {
                    return Err(format!(
                        "unknown host '{name}' (podcap looks names up in /etc/hosts only, not DNS; write the IP address)"
                    ));
                }
                // As libpcap with getaddrinfo's answers: each address, or'ed.
                let (p4, p6) = match q.proto {
                    Proto::Default if self.off_linktype.is_none() => (Proto::Ip, Proto::Ip6),
                    p => (p, p),
                };
                let mut b: Option<Expr> = None;
                for a in addrs {
                    let tmp = match a {
                        std::net::IpAddr::V4(v4) => {
                            if p4 == Proto::Ip6 {
                                continue;
                            }
                            self.host(u32::from(v4), 0xffff_ffff, p4, q.dir, false)?
                        }
                        std::net::IpAddr::V6(v6) => {
                            if p6 == Proto::Ip {
                                continue;
                            }
                            let v = u128::from(v6);
                            let w = [
                                (v >> 96) as u32,
                                (v >> 64) as u32,
                                (v >> 32) as u32,
                                v as u32,
                            ];
                            self.host6(&w, &[u32::MAX; 4], p6, q.dir, false)?
                        }
                    };
                    b = Some(match b {
                        Some(prev) => self.or(prev, tmp),
                        None => tmp,
                    });
                }
                b.ok_or_else(|| format!("unknown host '{name}' for specified address family"))
            }
            Addr::Port => {
                let svc = names::port(name).ok_or_else(|| format!("unknown port '{name}'"))?;
                let proto = check_named(q, name, svc)?;
                if svc.port > 65535 {
                    return Err(format!("illegal port number {} > 65535", svc.port));
                }
                self.port(svc.port, None, proto, q.dir)
            }
            Addr::PortRange => {
                // A range is two ports joined by '-'; libpcap refuses a
                // lone name (`portrange ssh`, `portrange 80 or ssh`).
                let Some((a, b)) = name.split_once('-') else {
                    return Err(format!("unknown port in range '{name}'"));
                };
                let pa = names::port(a).ok_or_else(|| format!("unknown port in range '{name}'"))?;
                let pb = names::port(b).ok_or_else(|| format!("unknown port in range '{name}'"))?;
                let merged = names::Service {
                    port: pa.port,
                    proto: if pa.proto == pb.proto { pa.proto } else { None },
                };
                let proto = check_named(
                    Qual {
                        addr: Addr::PortRange,
                        ..q
                    },
                    name,
                    merged,
                )?;
                for p in [pa.port, pb.port] {
                    if p > 65535 {
                        return Err(format!("illegal port number {p} > 65535"));
                    }
                }
                self.port(pa.port, Some(pb.port), proto, q.dir)
            }
            Addr::Gateway => Err("'gateway' is not supported by podcap's compiler".into()),
            Addr::Proto => {
                let v = match q.proto {
                    Proto::Default | Proto::Ip | Proto::Ip6 => names::ip_protocol(name),
                    Proto::Link => names::ether_protocol(name).or_else(|| names::llc_sap(name)),
                    Proto::Iso => match name {
                        "esis" => Some(0x82),
                        "isis" => Some(0x83),
                        "clnp" => Some(0x81),
                        _ => None,
                    },
                    _ => None,
                };
                let prefix = match q.proto {
                    Proto::Default => String::new(),
                    p => format!("{} ", p.name()),
                };
                let v = v.ok_or_else(|| format!("unknown '{prefix}proto' value '{name}'"))?;
                self.proto(v, q.proto, q.dir)
            }
            Addr::ProtoChain => {
                let v = match q.proto {
                    Proto::Default | Proto::Ip | Proto::Ip6 => names::ip_protocol(name),
                    _ => None,
                };
                let prefix = match q.proto {
                    Proto::Default => String::new(),
                    p => format!("{} ", p.name()),
                };
                let v = v.ok_or_else(|| format!("unknown '{prefix}protochain' value '{name}'"))?;
                self.protochain(v, q.proto, q.dir)
            }
            Addr::Undef => Err("syntax error".into()),
        }
    }

    /// `net a.b.c.d/len` and `net a.b.c.d mask m.m.m.m` (gen_mcode).
    pub fn mcode(&mut self, s1: &str, s2: Option<&str>, masklen: u32, q: Qual) -> R<Expr> {
        let form = if s2.is_some() {
            "netmask"
        } else {
            "prefix length"
        };
        let shown = match s2 {
            Some(m) => format!("{s1} mask {m}"),
            None => format!("{s1}/{masklen}"),
        };
        match q.addr {
            Addr::Net => {}
            Addr::Port | Addr::PortRange | Addr::Proto | Addr::ProtoChain => {
                return Err(format!(
                    "'{}' qualifier applied to IPv4 address and {form}",
                    q.addr.name()
                ));
            }
            Addr::Default | Addr::Host | Addr::Gateway | Addr::Undef => {
                let a = if q.addr == Addr::Gateway {
                    "gateway"
                } else {
                    "host"
                };
                return Err(format!("'{a}' is not a valid qualifier for '{shown}'"));
            }
        }
        let (n, nlen) = atoin(s1).ok_or_else(|| format!("invalid IPv4 address '{s1}'"))?;
        let n = shl(n, 32 - nlen);
        let m = match s2 {
            Some(s2) => {
                let (m, mlen) = atoin(s2).ok_or_else(|| format!("invalid IPv4 address '{s2}'"))?;
                shl(m, 32 - mlen)
            }
            None => {
                if masklen > 32 {
                    return Err(format!("mask length must be <= 32 (got {masklen})"));
                }
                if masklen == 0 {
                    0
                } else {
                    0xffff_ffff << (32 - masklen)
                }
            }
        };
        if n & !m != 0 {
            return Err(format!("non-network bits set in \"{shown}\""));
        }
        self.host(n, m, q.proto, q.dir, true)
            .map_err(|e| e.replace("net <IPv4 address>", "net <IPv4 prefix>"))
    }

    /// IPv6 address or prefix (gen_mcode6).
    pub fn mcode6(&mut self, s: &str, masklen: Option<u32>, q: Qual) -> R<Expr> {
        let shown = match masklen {
            Some(l) => format!("{s}/{l}"),
            None => s.to_string(),
        };
        match q.addr {
            Addr::Port | Addr::PortRange | Addr::Proto | Addr::ProtoChain => {
                return Err(format!(
                    "'{}' qualifier applied to IPv6 address{}",
                    q.addr.name(),
                    if masklen.is_some() {
                        " and prefix length"
                    } else {
                        ""
                    }
                ));
            }
            Addr::Gateway => {
                return Err(format!("'gateway' is not a valid qualifier for '{shown}'"));
            }
            _ => {}
        }
        let addr: std::net::Ipv6Addr = s
            .parse()
            .map_err(|_| format!("invalid IPv6 address '{s}'"))?;
        let len = masklen.unwrap_or(128);
        if len > 128 {
            return Err(format!("mask length must be <= 128 (got {len})"));
        }
        let mask_bits: u128 = if len == 0 {
            0
        } else {
            u128::MAX << (128 - len)
        };
        let a = u128::from(addr);
        if a & !mask_bits != 0 {
            return Err(format!("non-network bits set in \"{shown}\""));
        }
        if matches!(q.addr, Addr::Default | Addr::Host) && len != 128 {
            return Err(format!("'host' is not a valid qualifier for '{shown}'"));
        }
        let words = |v: u128| -> [u32; 4] {
            [
                (v >> 96) as u32,
                (v >> 64) as u32,
                (v >> 32) as u32,
                v as u32,
            ]
        };
        let net = q.addr == Addr::Net;
        self.host6(&words(a), &words(mask_bits), q.proto, q.dir, net)
    }
}
