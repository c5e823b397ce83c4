//! Prints a pcap file with podcap's decoder, as `tcpdump -r FILE` would
//! (`-nn` implied). Used to compare with tcpdump by hand and to measure
//! the text output rate (BENCHMARKS.md):
//!
//!     cargo bench --bench decode_pcap -- [-e] [-v..] [-q] [-S]
//!         [-x|-xx|-X|-XX|-A] [-t..] [--nano] [--vxlan PORT] FILE

use pcap_parser::{LegacyPcapSlice, PcapBlockOwned};
use podcap::decode::{Dump, Meta, PrintOptions, Printer, TimeFormat};
use podcap::linktype::LinkType;
use std::io::{BufWriter, Write};

fn main() {
    let mut opts = PrintOptions::default();
    let mut file = None;
    // `cargo bench` adds `--bench`.
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    while let Some(a) = args.next() {
        match a.as_str() {
            "-e" => opts.link_header = true,
            "-q" => opts.quiet = true,
            "-S" => opts.absolute_seq = true,
            "-x" => opts.dump = Dump::Hex,
            "-xx" => opts.dump = Dump::HexLink,
            "-X" => opts.dump = Dump::HexAscii,
            "-XX" => opts.dump = Dump::HexAsciiLink,
            "-A" => opts.dump = Dump::Ascii,
            "-AA" => opts.dump = Dump::AsciiLink,
            "--nano" => opts.nanos = true,
            "--vxlan" => {
                let p = args.next().and_then(|p| p.parse::<u16>().ok());
                opts.vxlan_ports.extend(p);
            }
            s if s.starts_with("-v") && s[1..].bytes().all(|b| b == b'v') => {
                opts.verbose = (s.len() - 1) as u8
            }
            s if s.starts_with("-t") && s[1..].bytes().all(|b| b == b't') => {
                opts.time = TimeFormat::from_count((s.len() - 1) as u8)
            }
            s => file = Some(s.to_string()),
        }
    }
    let Some(file) = file else {
        eprintln!("usage: decode_pcap [options] FILE");
        std::process::exit(2);
    };
    let bytes = match std::fs::read(&file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("decode_pcap: cannot read {file}: {e}");
            std::process::exit(1);
        }
    };
    // Streamed from the file's bytes, as tcpdump reads record by record.
    let slice = match LegacyPcapSlice::from_slice(&bytes) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("decode_pcap: {file} is not a pcap file: {e:?}");
            std::process::exit(1);
        }
    };
    let Some(lt) = LinkType::from_linktype(slice.header.network.0 as u32) else {
        eprintln!(
            "decode_pcap: link type {} not supported",
            slice.header.network.0
        );
        std::process::exit(1);
    };
    let nano_file = slice.header.is_nanosecond_precision();
    let mut printer = Printer::new(opts);
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    for block in slice {
        let Ok(PcapBlockOwned::Legacy(b)) = block else {
            break;
        };
        let ts_nsec = if nano_file {
            b.ts_usec
        } else {
            b.ts_usec.saturating_mul(1000)
        };
        let meta = Meta {
            ts_sec: i64::from(b.ts_sec),
            ts_nsec,
            wirelen: b.origlen,
            linktype: lt,
            ifname: None,
            direction: None,
        };
        let data = &b.data[..b.data.len().min(b.caplen as usize)];
        if printer.print(&mut out, &meta, data).is_err() {
            break;
        }
    }
    let _ = out.flush();
}
