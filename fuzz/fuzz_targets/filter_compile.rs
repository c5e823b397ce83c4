//! Parse + compile + validate on arbitrary text, for every link type, with
//! and without the optimizer: compile may refuse, but must never panic, and
//! whatever it returns must pass the kernel's rules and run in the
//! interpreter without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podcap::bpf::interp::{Aux, run};
use podcap::bpf::validate::validate;
use podcap::filter::{Options, compile};
use podcap::linktype::LinkType;

fuzz_target!(|data: &[u8]| {
    // The first byte picks options; the rest is the expression.
    let Some((&sel, text)) = data.split_first() else {
        return;
    };
    let expr = String::from_utf8_lossy(text);
    for lt in LinkType::ALL {
        let opts = Options {
            linktype: lt,
            optimize: sel & 1 == 0,
            linux_ext: sel & 2 != 0,
            netmask: (sel & 4 != 0).then_some(0xffff_ff00),
            vxlan_ports: if sel & 8 != 0 { vec![8472] } else { Vec::new() },
            snaplen: if sel & 16 != 0 { 96 } else { 262_144 },
        };
        if let Ok(prog) = compile(&expr, &opts) {
            if let Err(e) = validate(&prog) {
                panic!("{expr:?} on {}: invalid program: {e}", lt.name());
            }
            let _ = run(&prog, text, text.len() as u32, &Aux::default());
        }
    }
});
