//! `podcap merge` on arbitrary bytes: the input is cut into up to three
//! captures (at the offsets its first bytes give) and merged. It must
//! return an error or a merge, never panic, and what it writes must
//! always read back as a whole pcapng holding exactly the packets it
//! counted, however damaged the inputs were.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let mut inputs = Vec::new();
    let mut left = rest;
    for k in 0..(n % 3) {
        let at = (usize::from(n.rotate_left(u32::from(k) * 3)) * 7) % (left.len() + 1);
        let (a, b) = left.split_at(at);
        inputs.push(a);
        left = b;
    }
    inputs.push(left);
    if let Ok((out, sum)) = podcap::pcap::merge::merge_bytes(&inputs) {
        let back = podcap::pcap::reader::read_all(&out).expect("merge output reads back");
        assert_eq!(back.len() as u64, sum.packets);
    }
});
