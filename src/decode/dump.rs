//! `-x`/`-xx`/`-X`/`-XX`/`-A` dumps in tcpdump's exact layout
//! (print-ascii.c): `\n\t0x0000:  4500 0054 ...  E..T...`.

use super::Dump;
use std::fmt::Write as _;

/// Appends the dump of `data` (skipping a link header of `hdr` bytes
/// unless the style includes it) to the line.
pub(crate) fn print(s: &mut String, style: Dump, data: &[u8], hdr: usize) {
    let body = data.get(hdr..).unwrap_or(&[]);
    match style {
        Dump::None => {}
        Dump::Hex => hex(s, "\n\t", body),
        Dump::HexLink => hex(s, "\n\t", data),
        Dump::HexAscii => hex_ascii(s, body),
        Dump::HexAsciiLink => hex_ascii(s, data),
        // Nothing at all when only the link header was captured.
        Dump::Ascii if !body.is_empty() => ascii(s, body),
        Dump::Ascii => {}
        Dump::AsciiLink => ascii(s, data),
    }
}

fn graph(c: u8) -> bool {
    (0x21..=0x7e).contains(&c)
}

/// `-x`: 16 bytes a line as 8 big-endian words, each line starting
/// with `ident`.
pub(crate) fn hex(s: &mut String, ident: &str, d: &[u8]) {
    for (line, chunk) in d.chunks(16).enumerate() {
        let _ = write!(s, "{ident}0x{:04x}: ", line * 16);
        for w in chunk.chunks(2) {
            match w {
                [a, b] => {
                    let _ = write!(s, " {a:02x}{b:02x}");
                }
                [a] => {
                    let _ = write!(s, " {a:02x}");
                }
                _ => {}
            }
        }
    }
}

/// `-X`: the hex column padded to 40 characters, two spaces, then the
/// printable characters with `.` for the rest. Also tcpdump's default
/// print of payloads it cannot decode.
pub(crate) fn hex_ascii(s: &mut String, d: &[u8]) {
    for (line, chunk) in d.chunks(16).enumerate() {
        let _ = write!(s, "\n\t0x{:04x}:  ", line * 16);
        let mut width = 0;
        for w in chunk.chunks(2) {
            if width > 0 {
                s.push(' ');
                width += 1;
            }
            for b in w {
                let _ = write!(s, "{b:02x}");
                width += 2;
            }
        }
        // The hex column is `%-40s` of " xxxx xxxx ..." in tcpdump; we
        // wrote it without its leading space, hence 39.
        for _ in width..39 {
            s.push(' ');
        }
        s.push_str("  ");
        for &b in chunk {
            s.push(if graph(b) { b as char } else { '.' });
        }
    }
}

/// `-A`: printable characters, tabs, spaces and newlines as they are,
/// a CR before LF dropped, anything else as `.`.
pub(crate) fn ascii(s: &mut String, d: &[u8]) {
    s.push('\n');
    for (i, &c) in d.iter().enumerate() {
        if c == b'\r' {
            // tcpdump's test: more than one byte left and no LF next.
            if d.len() - i - 1 > 1 && d[i + 1] != b'\n' {
                s.push('.');
            }
        } else if graph(c) || c == b'\t' || c == b' ' || c == b'\n' {
            s.push(c as char);
        } else {
            s.push('.');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts() {
        let d: Vec<u8> = (0x40..0x40 + 19).collect();
        let mut s = String::new();
        hex(&mut s, "\n\t", &d);
        assert_eq!(
            s,
            "\n\t0x0000:  4041 4243 4445 4647 4849 4a4b 4c4d 4e4f\n\t0x0010:  5051 52"
        );
        let mut s = String::new();
        hex_ascii(&mut s, &d);
        assert_eq!(
            s,
            "\n\t0x0000:  4041 4243 4445 4647 4849 4a4b 4c4d 4e4f  @ABCDEFGHIJKLMNO\
             \n\t0x0010:  5051 52                                  PQR"
        );
        let mut s = String::new();
        ascii(&mut s, b"GET /\r\nx\ryz\0\r\0");
        assert_eq!(s, "\nGET /\nx.yz..");
    }
}
