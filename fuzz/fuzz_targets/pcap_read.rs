//! The `-r` reader on arbitrary bytes: pcap or pcapng, any damage. It must
//! return packets or a Format error, never panic, never allocate without
//! bound.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(pkts) = podcap::pcap::reader::read_all(data) {
        for p in pkts {
            assert!(p.data.len() as u32 <= podcap::pcap::reader::MAX_RECORD);
            assert!(p.ts_nsec < 1_000_000_000);
        }
    }
});
