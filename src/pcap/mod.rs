//! pcap and pcapng files: writing ([`writer`]) and reading ([`reader`]),
//! plus the byte layouts they share with the capture engine ([`wire`]).

pub mod reader;
pub mod wire;
pub mod writer;

pub use reader::Reader;
pub use writer::{NgInterface, PcapNgWriter, PcapWriter, Precision, Record};
