//! Arbitrary bytes as one captured packet of every link type, printed
//! with every option combination the first byte selects: the printer must
//! never panic, and must always end its text with a newline.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podcap::decode::{Direction, Dump, Meta, PrintOptions, Printer, TimeFormat};
use podcap::linktype::LinkType;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, pkt)) = data.split_first() else {
        return;
    };
    let dumps = [
        Dump::None,
        Dump::Hex,
        Dump::HexLink,
        Dump::HexAscii,
        Dump::HexAsciiLink,
        Dump::Ascii,
    ];
    let opts = PrintOptions {
        link_header: sel & 1 != 0,
        verbose: (sel >> 1) & 3,
        quiet: sel & 8 != 0,
        time: TimeFormat::Epoch,
        nanos: false,
        dump: dumps[usize::from(sel >> 4) % dumps.len()],
        vxlan_ports: vec![8472],
        absolute_seq: sel & 0x80 != 0,
        packet_type: None,
    };
    for lt in LinkType::PRINTED.into_iter().chain([LinkType::Other(147)]) {
        let mut p = Printer::new(opts.clone());
        let meta = Meta {
            ts_sec: 1,
            ts_nsec: 2,
            wirelen: pkt.len() as u32 + u32::from(sel & 3),
            linktype: lt,
            ifname: if sel & 4 != 0 { Some("eth0") } else { None },
            direction: Direction::from_pkttype(u16::from(sel) % 6),
        };
        let mut out = Vec::new();
        p.print(&mut out, &meta, pkt).unwrap();
        assert_eq!(out.last(), Some(&b'\n'));
    }
});
