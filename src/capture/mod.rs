//! AF_PACKET capture with a TPACKET_V3 memory-mapped ring.
//!
//! This is the engine behind `podcap tcpdump` and `podcap capture`; other
//! modules use it through [`Source`]:
//!
//! ```no_run
//! use podcap::capture::{Source, SourceConfig};
//! # fn main() -> podcap::Result<()> {
//! let mut src = Source::open(&SourceConfig {
//!     iface: "eth0".into(),
//!     netns: Some("/proc/1234/ns/net".into()),
//!     filter: "icmp".into(),
//!     ..SourceConfig::default()
//! })?;
//! loop {
//!     // Poll `src` (it is `AsRawFd`/`AsFd`: `session::run` polls many), or:
//!     src.wait(100)?;
//!     while let Some(mut batch) = src.next_batch() {
//!         while let Some(p) = batch.next() {
//!             println!("{} bytes on ifindex {}", p.wirelen, p.ifindex);
//!         }
//!     } // the block goes back to the kernel when `batch` is dropped
//! #   break;
//! }
//! # Ok(()) }
//! ```
//!
//! Guarantees, all relied upon by callers:
//! - no packet that the filter rejects is ever returned, including in the
//!   moment between opening the socket and attaching the filter (a
//!   reject-all program is attached before the socket is bound, then the
//!   real one);
//! - VLAN tags the kernel stripped are put back, so bytes are as on the wire;
//! - with `iface: "any"` (or a cooked `linktype`) each packet starts with a
//!   LINUX_SLL or LINUX_SLL2 header, as libpcap writes them;
//! - drops in the ring are counted by the kernel and reported by
//!   [`Source::stats`], never hidden.

mod batch;
pub mod iface;
pub mod output;
pub mod plain;
pub mod privs;
mod records;
pub mod ring;
pub mod rotate;
pub mod session;
pub mod signals;
mod source;

pub use batch::{Batch, Frame, Namer, Packet};
pub use source::{
    DEFAULT_BLOCK_TIMEOUT_MS, DEFAULT_BUFFER, DEFAULT_SNAPLEN, Direction, Health, NO_RING_ENV,
    Raised, Source, SourceConfig, Stats, Tuning, largest_frame,
};
