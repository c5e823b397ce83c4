//! Arbitrary bytes as a classic BPF program (the first `8 * n` bytes, `n`
//! from the first byte) and a packet (the rest): the interpreter, the
//! validator, the printer/parser round trip, the optimizer and the cooked
//! conversion must never panic, and optimizing a valid program must not
//! change its verdict.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podcap::bpf::interp::{Aux, run};
use podcap::bpf::print::{Style, format, parse_d, parse_ddd};
use podcap::bpf::{kernel, optimize, validate, wire};
use podcap::linktype::LinkType;

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let split = (usize::from(n) * wire::LEN).min(rest.len() / wire::LEN * wire::LEN);
    let (code, pkt) = rest.split_at(split);
    let Ok(prog) = wire::parse_program(code) else {
        return;
    };
    let aux = Aux {
        protocol: 0x0800,
        pkttype: 0,
        ifindex: 2,
        vlan_tci: pkt.first().map(|&b| u16::from(b)),
        vlan_tpid: 0x8100,
    };
    let wirelen = pkt.len() as u32;
    let verdict = run(&prog, pkt, wirelen, &aux);

    // `-d` omits fields an instruction does not use: the text round-trips.
    let d = format(&prog, Style::D);
    let back = parse_d(&d).map(|p| format(&p, Style::D));
    assert_eq!(back.as_ref().ok(), Some(&d));
    assert_eq!(parse_ddd(&format(&prog, Style::Ddd)).ok(), Some(prog.clone()));
    let _ = parse_d(&String::from_utf8_lossy(pkt));

    if validate::validate(&prog).is_ok() {
        let opt = optimize::optimize(prog.clone());
        assert!(validate::validate(&opt).is_ok(), "optimizer broke validity");
        assert_eq!(run(&opt, pkt, wirelen, &aux), verdict, "optimizer changed the verdict");
    }
    for lt in LinkType::ALL {
        let _ = kernel::cooked_to_kernel(&prog, lt);
    }
});
