//! Arbitrary bytes as a captured frame of each link type: packet identity
//! extraction (through VXLAN, Geneve, IP-in-IP, IPv6 extension headers)
//! must never panic, and must give the same key twice. The first byte
//! picks a payload hash length, so short and long hashes are both tried.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podcap::linktype::LinkType;
use podcap::trace::{IdentityConfig, identify};

fuzz_target!(|data: &[u8]| {
    let Some((&n, frame)) = data.split_first() else {
        return;
    };
    let cfg = IdentityConfig {
        payload_bytes: usize::from(n),
        ..IdentityConfig::default()
    };
    for lt in LinkType::ALL {
        let a = identify(frame, lt, &cfg);
        let b = identify(frame, lt, &cfg);
        assert_eq!(a, b);
    }
});
