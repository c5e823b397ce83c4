//! `-x`/`-xx`/`-X`/`-XX`/`-A` dumps in tcpdump's exact layout
//! (print-ascii.c): `\n\t0x0000:  4500 0054 ...  E..T...`.

use super::Dump;
use super::put::hex2;

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

/// `0x%04x`: at least 4 digits, more past 64 KiB as printf does.
fn offset(s: &mut String, off: usize) {
    s.push_str("0x");
    let mut digits = 4;
    while digits < 16 && off >> (4 * digits) != 0 {
        digits += 1;
    }
    for i in (0..digits).rev() {
        s.push(HEX[(off >> (4 * i)) & 15] as char);
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn graph(c: u8) -> bool {
    (0x21..=0x7e).contains(&c)
}

/// `-x`: 16 bytes a line as 8 big-endian words, each line starting
/// with `ident`.
pub(crate) fn hex(s: &mut String, ident: &str, d: &[u8]) {
    for (line, chunk) in d.chunks(16).enumerate() {
        s.push_str(ident);
        offset(s, line * 16);
        s.push_str(": ");
        for w in chunk.chunks(2) {
            s.push(' ');
            for &b in w {
                hex2(s, b);
            }
        }
    }
}

/// `-X`: the hex column padded to 40 characters, two spaces, then the
/// printable characters with `.` for the rest. Also tcpdump's default
/// print of payloads it cannot decode.
pub(crate) fn hex_ascii(s: &mut String, d: &[u8]) {
    for (line, chunk) in d.chunks(16).enumerate() {
        s.push_str("\n\t");
        offset(s, line * 16);
        s.push_str(":  ");
        let mut width = 0;
        for w in chunk.chunks(2) {
            if width > 0 {
                s.push(' ');
                width += 1;
            }
            for &b in w {
                hex2(s, b);
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
        offset(&mut s, 0x1_0010);
        offset(&mut s, 0x10);
        assert_eq!(s, "0x100100x0010");
        let mut s = String::new();
        ascii(&mut s, b"GET /\r\nx\ryz\0\r\0");
        assert_eq!(s, "\nGET /\nx.yz..");
    }
}
