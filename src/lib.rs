//! podcap: find the interface that carries a Kubernetes pod's packets and
//! capture there, with its own tcpdump-filter-to-classic-BPF compiler.
//!
//! The binary (`src/main.rs`) is a thin shell over [`cli::run`]; every
//! module here has one job:
//!
//! - [`filter`]: pcap-filter(7) text to classic BPF (parser, code generator).
//! - [`bpf`]: classic BPF instructions, interpreter, validator, optimizer,
//!   `tcpdump -d/-dd/-ddd` printing.
//! - [`netlink`]: rtnetlink queries (routes, neighbours, links, bridge FDB).
//! - [`netns`]: finding and entering network namespaces.
//! - [`ping`]: ICMP echo with the binary's own socket.
//! - [`pods`]: the pods of this node, from the kubelet's, the runtime's
//!   and CNI's files (no runtime socket).
//! - [`privileges`]: why the kernel refused, and the fix for this process's state.
//! - [`locate`]: "which interface carries this pod's packets?".
//! - [`capture`]: AF_PACKET TPACKET_V3 ring capture.
//! - [`pcap`]: pcap/pcapng writing and reading.
//! - [`decode`]: tcpdump-style text lines for packets.
//! - [`trace`]: one packet followed across every hop of a pod's path.
//! - [`wire`]: EtherTypes, IP protocols, packet types and ports, named once.
//! - [`cli`]: command lines (argh subcommands, tcpdump-compatible mode).
//! - [`sys`]: the system calls, wrapped once; the only module allowed
//!   `unsafe` (denied everywhere else by the attribute below).

#![deny(unsafe_code)]

pub mod bpf;
pub mod capture;
pub mod cli;
pub mod decode;
pub mod error;
pub mod filter;
pub mod linktype;
pub mod locate;
pub mod netlink;
pub mod netns;
pub mod pcap;
pub mod ping;
pub mod pods;
pub mod privileges;
#[allow(unsafe_code)]
pub mod sys;
pub mod trace;
pub mod wire;

pub use error::{Error, Result};
