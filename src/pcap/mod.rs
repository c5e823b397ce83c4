//! pcap and pcapng files: writing ([`writer`]), reading ([`reader`]),
//! merging several into one by time ([`merge`]), plus the byte layouts they
//! share with the capture engine ([`wire`]).

pub mod merge;
pub mod reader;
pub mod wire;
pub mod writer;

pub use reader::Reader;
pub use writer::{NgInterface, PcapNgWriter, PcapWriter, Precision, Record};
