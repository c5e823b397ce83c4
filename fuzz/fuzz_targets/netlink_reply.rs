//! Fuzzes every rtnetlink reply parser (routes, neighbours/FDB, links with
//! nested link info, addresses, errors) and the brforward record view:
//! they read what a node's kernel sends and must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = podcap::netlink::parse_any(data);
    let _ = podcap::netlink::Route::parse(data);
    let _ = podcap::netlink::Neigh::parse(data);
    let _ = podcap::netlink::Link::parse(data);
    let _ = podcap::netlink::Address::parse(data);
    let _ = podcap::locate::sysfs::parse_brforward(data);
});
