//! Tokens of pcap-filter(7), split as libpcap's flex scanner splits them:
//! longest match wins, and on a tie keywords beat numbers beat addresses
//! beat names (so `10.1.2.3` is an address, `25-53` a name, `len-1` a name).

use super::names;
use super::qual::{Addr, Dir, Proto};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// A number (decimal, 0x hex, 0 octal) or a named constant.
    Num(u32),
    /// Dotted IPv4 (`10.1`, `10.1.2.3`) with its number of parts.
    Hid(String),
    Hid6(String),
    Eid([u8; 6]),
    Id(String),
    Proto(Proto),
    Dir(Dir),
    Addr(Addr),
    Mask,
    And,
    Or,
    Not,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Colon,
    Slash,
    Plus,
    Minus,
    Star,
    Percent,
    Amp,
    Pipe,
    Caret,
    Lsh,
    Rsh,
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
    Broadcast,
    Multicast,
    Less,
    Greater,
    Len,
    Inbound,
    Outbound,
    Ifindex,
    Vlan,
    Mpls,
    Geneve,
    Vxlan,
    Pppoed,
    Pppoes,
    Llc,
    Byte,
    /// Recognised libpcap keywords podcap does not compile (pppoes, llc, ...).
    Unsupported(&'static str),
    End,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    pub at: usize,
    pub len: usize,
}

/// A lexing error: message and byte offset.
pub type LexError = (String, usize);

fn keyword(w: &str) -> Option<Tok> {
    use Tok::*;
    Some(match w {
        "dst" => Dir(super::qual::Dir::Dst),
        "src" => Dir(super::qual::Dir::Src),
        "link" | "ether" | "ppp" | "slip" | "fddi" | "tr" | "wlan" => {
            Proto(super::qual::Proto::Link)
        }
        "arp" => Proto(super::qual::Proto::Arp),
        "rarp" => Proto(super::qual::Proto::Rarp),
        "ip" => Proto(super::qual::Proto::Ip),
        "sctp" => Proto(super::qual::Proto::Sctp),
        "tcp" => Proto(super::qual::Proto::Tcp),
        "udp" => Proto(super::qual::Proto::Udp),
        "icmp" => Proto(super::qual::Proto::Icmp),
        "igmp" => Proto(super::qual::Proto::Igmp),
        "igrp" => Proto(super::qual::Proto::Igrp),
        "pim" => Proto(super::qual::Proto::Pim),
        "vrrp" => Proto(super::qual::Proto::Vrrp),
        "carp" => Proto(super::qual::Proto::Carp),
        "radio" => Proto(super::qual::Proto::Radio),
        "ip6" => Proto(super::qual::Proto::Ip6),
        "icmp6" => Proto(super::qual::Proto::Icmp6),
        "ah" => Proto(super::qual::Proto::Ah),
        "esp" => Proto(super::qual::Proto::Esp),
        "atalk" => Proto(super::qual::Proto::Atalk),
        "aarp" => Proto(super::qual::Proto::Aarp),
        "decnet" => Proto(super::qual::Proto::Decnet),
        "lat" => Proto(super::qual::Proto::Lat),
        "sca" => Proto(super::qual::Proto::Sca),
        "moprc" => Proto(super::qual::Proto::Moprc),
        "mopdl" => Proto(super::qual::Proto::Mopdl),
        "iso" => Proto(super::qual::Proto::Iso),
        "esis" | "es-is" => Proto(super::qual::Proto::Esis),
        "isis" | "is-is" => Proto(super::qual::Proto::Isis),
        "l1" => Proto(super::qual::Proto::L1),
        "l2" => Proto(super::qual::Proto::L2),
        "iih" => Proto(super::qual::Proto::Iih),
        "lsp" => Proto(super::qual::Proto::Lsp),
        "snp" => Proto(super::qual::Proto::Snp),
        "csnp" => Proto(super::qual::Proto::Csnp),
        "psnp" => Proto(super::qual::Proto::Psnp),
        "clnp" => Proto(super::qual::Proto::Clnp),
        "stp" => Proto(super::qual::Proto::Stp),
        "ipx" => Proto(super::qual::Proto::Ipx),
        "netbeui" => Proto(super::qual::Proto::Netbeui),
        "host" => Addr(super::qual::Addr::Host),
        "net" => Addr(super::qual::Addr::Net),
        "mask" => Mask,
        "port" => Addr(super::qual::Addr::Port),
        "portrange" => Addr(super::qual::Addr::PortRange),
        "proto" => Addr(super::qual::Addr::Proto),
        "protochain" => Addr(super::qual::Addr::ProtoChain),
        "gateway" => Addr(super::qual::Addr::Gateway),
        "less" => Less,
        "greater" => Greater,
        "broadcast" => Broadcast,
        "multicast" => Multicast,
        "and" => And,
        "or" => Or,
        "not" => Not,
        "len" | "length" => Len,
        "inbound" => Inbound,
        "outbound" => Outbound,
        "ifindex" => Ifindex,
        "vlan" => Vlan,
        "mpls" => Mpls,
        "geneve" => Geneve,
        "vxlan" => Vxlan,
        "byte" => Byte,
        "pppoed" => Pppoed,
        "pppoes" => Pppoes,
        "llc" => Llc,
        "atmtype" | "vpi" | "vci" | "lane" | "oamf4" | "oamf4s" | "oamf4e" | "oam" | "metac"
        | "bcc" | "sc" | "ilmic" | "metaconnect" | "connectmsg" => Unsupported("atm"),
        "fisu" | "lssu" | "msu" | "hfisu" | "hlssu" | "hmsu" | "sio" | "opc" | "dpc" | "sls"
        | "hsio" | "hopc" | "hdpc" | "hsls" => Unsupported("ss7"),
        "on" | "ifname" | "rulenum" | "reason" | "rset" | "ruleset" | "srnr" | "subrulenum"
        | "action" => Unsupported("pflog"),
        "type" | "subtype" | "dir" | "address1" | "addr1" | "address2" | "addr2" | "address3"
        | "addr3" | "address4" | "addr4" | "ra" | "ta" => Unsupported("802.11"),
        _ => return None,
    })
}

fn is_hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

/// Length of a libpcap number token at the start of `s` ({N}).
fn num_len(s: &[u8]) -> usize {
    if s.len() > 2 && s[0] == b'0' && (s[1] == b'x' || s[1] == b'X') && is_hex(s[2]) {
        2 + s[2..].iter().take_while(|b| is_hex(**b)).count()
    } else {
        s.iter().take_while(|b| b.is_ascii_digit()).count()
    }
}

/// Length of the longest dotted-quad prefix (2 to 4 numbers).
fn hid_len(s: &[u8]) -> usize {
    let mut pos = 0;
    let mut parts = 0;
    let mut best = 0;
    loop {
        let n = num_len(&s[pos..]);
        if n == 0 {
            break;
        }
        pos += n;
        parts += 1;
        if parts >= 2 {
            best = pos;
        }
        if parts == 4 || s.get(pos) != Some(&b'.') {
            break;
        }
        pos += 1;
    }
    best
}

/// Length of the longest run of `allowed` bytes.
fn run(s: &[u8], allowed: impl Fn(u8) -> bool) -> usize {
    s.iter().take_while(|b| allowed(**b)).count()
}

/// The ID pattern: `[A-Za-z0-9]([-_.A-Za-z0-9]*[.A-Za-z0-9])?`.
fn id_len(s: &[u8]) -> usize {
    if s.is_empty() || !s[0].is_ascii_alphanumeric() {
        return 0;
    }
    let mut n = run(s, |b| {
        b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'
    });
    while n > 1 && (s[n - 1] == b'-' || s[n - 1] == b'_') {
        n -= 1;
    }
    n
}

/// Parses a MAC in any of libpcap's spellings: `a:b:c:d:e:f`, `a-b-..`,
/// `a.b.c.d.e.f`, `aabb.ccdd.eeff` (four digits each), `aabbccddeeff`.
pub fn parse_mac(w: &str) -> Option<[u8; 6]> {
    let b = w.as_bytes();
    if b.len() == 12 && b.iter().all(|c| is_hex(*c)) {
        let mut m = [0u8; 6];
        for (i, o) in m.iter_mut().enumerate() {
            *o = u8::from_str_radix(&w[2 * i..2 * i + 2], 16).ok()?;
        }
        return Some(m);
    }
    for sep in [':', '-', '.'] {
        let parts: Vec<&str> = w.split(sep).collect();
        if parts.len() == 6
            && parts
                .iter()
                .all(|p| (1..=2).contains(&p.len()) && p.bytes().all(is_hex))
        {
            let mut m = [0u8; 6];
            for (o, p) in m.iter_mut().zip(&parts) {
                *o = u8::from_str_radix(p, 16).ok()?;
            }
            return Some(m);
        }
        if sep == '.'
            && parts.len() == 3
            && parts.iter().all(|p| p.len() == 4 && p.bytes().all(is_hex))
        {
            let mut m = [0u8; 6];
            for (i, p) in parts.iter().enumerate() {
                let v = u16::from_str_radix(p, 16).ok()?;
                m[2 * i] = (v >> 8) as u8;
                m[2 * i + 1] = v as u8;
            }
            return Some(m);
        }
    }
    None
}

/// libpcap's stoulen: decimal, `0x` hex, leading-zero octal.
pub fn parse_num(w: &str) -> Result<u32, String> {
    let (digits, radix) = if let Some(h) = w.strip_prefix("0x").or_else(|| w.strip_prefix("0X")) {
        (h, 16)
    } else if w.len() > 1 && w.starts_with('0') {
        (&w[1..], 8)
    } else {
        (w, 10)
    };
    if radix == 8 {
        if let Some(bad) = digits.bytes().find(|b| !(b'0'..=b'7').contains(b)) {
            return Err(format!(
                "number {w} contains non-octal digit '{}'",
                bad as char
            ));
        }
    }
    u64::from_str_radix(digits, radix)
        .ok()
        .filter(|v| *v <= u64::from(u32::MAX))
        .map(|v| v as u32)
        .ok_or_else(|| format!("number {w} overflows 32 bits"))
}

pub fn lex(src: &str) -> Result<Vec<Token>, LexError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let rest = &b[i..];
        let two = if rest.len() >= 2 {
            &rest[..2]
        } else {
            &rest[..0]
        };
        let op2 = match two {
            b">=" => Some(Tok::Ge),
            b"<=" => Some(Tok::Le),
            b"!=" => Some(Tok::Ne),
            b"==" => Some(Tok::Eq),
            b"<<" => Some(Tok::Lsh),
            b">>" => Some(Tok::Rsh),
            b"&&" => Some(Tok::And),
            b"||" => Some(Tok::Or),
            _ => None,
        };
        if let Some(t) = op2 {
            out.push(Token {
                tok: t,
                at: i,
                len: 2,
            });
            i += 2;
            continue;
        }
        let op1 = match c {
            b'+' => Some(Tok::Plus),
            b'-' => Some(Tok::Minus),
            b'*' => Some(Tok::Star),
            b'/' => Some(Tok::Slash),
            b'%' => Some(Tok::Percent),
            b':' => Some(Tok::Colon),
            b'[' => Some(Tok::LBracket),
            b']' => Some(Tok::RBracket),
            b'!' => Some(Tok::Not),
            b'<' => Some(Tok::Lt),
            b'>' => Some(Tok::Gt),
            b'(' => Some(Tok::LParen),
            b')' => Some(Tok::RParen),
            b'&' => Some(Tok::Amp),
            b'|' => Some(Tok::Pipe),
            b'^' => Some(Tok::Caret),
            b'=' => Some(Tok::Eq),
            _ => None,
        };
        // A ':' or '-' can start an IPv6 address ("::1"), so try words first
        // for ':' only.
        if c == b'\\' {
            let n = run(&rest[1..], |b| {
                !matches!(b, b' ' | b'!' | b'(' | b')' | b'\n' | b'\t')
            });
            if n == 0 {
                return Err(("illegal character '\\'".into(), i));
            }
            let name = String::from_utf8_lossy(&rest[1..1 + n]).into_owned();
            out.push(Token {
                tok: Tok::Id(name),
                at: i,
                len: n + 1,
            });
            i += 1 + n;
            continue;
        }
        let (tok, n) = word(rest).map_err(|m| (m, i))?;
        if n > 0 {
            out.push(Token { tok, at: i, len: n });
            i += n;
            continue;
        }
        if let Some(t) = op1 {
            out.push(Token {
                tok: t,
                at: i,
                len: 1,
            });
            i += 1;
            continue;
        }
        let ch = src[i..].chars().next().unwrap_or('?');
        return Err((
            format!("illegal character '{}' in filter", ch.escape_default()),
            i,
        ));
    }
    out.push(Token {
        tok: Tok::End,
        at: b.len(),
        len: 0,
    });
    Ok(out)
}

/// flex's `{B}:+({B}:+)+`: two or more hex pairs each followed by colons.
fn bogus_mac_len(s: &[u8]) -> usize {
    let mut pos = 0;
    let mut groups = 0;
    loop {
        let h = run(&s[pos..], is_hex);
        if h == 0 || h > 2 {
            break;
        }
        let c = run(&s[pos + h..], |b| b == b':');
        if c == 0 {
            break;
        }
        pos += h + c;
        groups += 1;
    }
    if groups >= 2 { pos } else { 0 }
}

/// Classifies the word at the start of `s` (returns length 0 if none).
fn word(s: &[u8]) -> Result<(Tok, usize), String> {
    let idl = id_len(s);
    let nl = num_len(s);
    let hl = hid_len(s);
    // IPv6: the longest run of hex digits, ':' and '.', if it has a ':'
    // and parses.
    // (Bounded: no address is longer, and it keeps lexing linear.)
    let v6run = run(s, |b| is_hex(b) || b == b':' || b == b'.').min(46);
    let mut v6l = 0;
    if s[..v6run].contains(&b':') {
        // Also allow a trailing "%" scope? libpcap does not; keep strict.
        let mut l = v6run;
        while l > 0 {
            let w = std::str::from_utf8(&s[..l]).unwrap_or("");
            if w.contains(':') && w.parse::<std::net::Ipv6Addr>().is_ok() {
                v6l = l;
                break;
            }
            l -= 1;
        }
    }
    let macrun = run(s, |b| is_hex(b) || b == b':' || b == b'.' || b == b'-').min(17);
    let mut macl = 0;
    {
        let mut l = macrun;
        while l >= 12 - 1 {
            if let Ok(w) = std::str::from_utf8(&s[..l]) {
                if parse_mac(w).is_some() {
                    macl = l;
                    break;
                }
            }
            l -= 1;
        }
    }
    let best = idl.max(nl).max(hl).max(v6l).max(macl);
    if best == 0 {
        // Colon-led IPv6 such as "::1" is caught by v6l above; anything
        // else is punctuation.
        return Ok((Tok::End, 0));
    }
    let text = std::str::from_utf8(&s[..best]).unwrap_or("");
    if idl == best {
        if let Some(k) = keyword(text) {
            return Ok((k, best));
        }
    }
    // flex lists the MAC rule before numbers and dotted addresses, so it
    // wins their ties: `3333.0000.0001` and `123456789012` are MACs.
    if macl == best {
        if let Some(m) = parse_mac(text) {
            return Ok((Tok::Eid(m), best));
        }
    }
    if nl == best {
        return Ok((Tok::Num(parse_num(text)?), best));
    }
    if hl == best {
        return Ok((Tok::Hid(text.to_string()), best));
    }
    if v6l == best {
        return Ok((Tok::Hid6(text.to_string()), best));
    }
    // Something made of hex and colons that is neither IPv6 nor a MAC.
    if bogus_mac_len(s) > idl {
        let w = String::from_utf8_lossy(&s[..macrun]);
        return Err(format!(
            "invalid Ethernet address '{w}' (or bogus IPv6 address)"
        ));
    }
    if let Some(v) = names::constant(text) {
        return Ok((Tok::Num(v), best));
    }
    Ok((Tok::Id(text.to_string()), best))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn words_split_like_flex() {
        assert_eq!(
            toks("host 10.1.2.3"),
            vec![Tok::Addr(Addr::Host), Tok::Hid("10.1.2.3".into()), Tok::End]
        );
        assert_eq!(toks("25-53"), vec![Tok::Id("25-53".into()), Tok::End]);
        assert_eq!(toks("0x1f"), vec![Tok::Num(31), Tok::End]);
        assert_eq!(toks("017"), vec![Tok::Num(15), Tok::End]);
        assert_eq!(toks("tcp-syn"), vec![Tok::Num(2), Tok::End]);
        assert_eq!(toks("\\tcp"), vec![Tok::Id("tcp".into()), Tok::End]);
        assert_eq!(toks("::1"), vec![Tok::Hid6("::1".into()), Tok::End]);
        assert_eq!(
            toks("fe80::1/64"),
            vec![
                Tok::Hid6("fe80::1".into()),
                Tok::Slash,
                Tok::Num(64),
                Tok::End
            ]
        );
        assert_eq!(
            toks("1:2:3:4:5:6"),
            vec![Tok::Eid([1, 2, 3, 4, 5, 6]), Tok::End]
        );
        assert_eq!(
            toks("abcd.ef00.0003"),
            vec![Tok::Eid([0xab, 0xcd, 0xef, 0, 0, 3]), Tok::End]
        );
        assert_eq!(
            toks("3333.0000.0001"),
            vec![Tok::Eid([0x33, 0x33, 0, 0, 0, 1]), Tok::End]
        );
        assert_eq!(
            toks("123456789012"),
            vec![Tok::Eid([0x12, 0x34, 0x56, 0x78, 0x90, 0x12]), Tok::End]
        );
        assert_eq!(toks("ab.cd.ef"), vec![Tok::Id("ab.cd.ef".into()), Tok::End]);
        assert_eq!(
            toks("ip[2:2]!=0"),
            vec![
                Tok::Proto(Proto::Ip),
                Tok::LBracket,
                Tok::Num(2),
                Tok::Colon,
                Tok::Num(2),
                Tok::RBracket,
                Tok::Ne,
                Tok::Num(0),
                Tok::End
            ]
        );
        assert!(lex("ether ab:cd:ef:0g:00:00").is_err());
        assert!(lex("08").is_err());
    }
}
