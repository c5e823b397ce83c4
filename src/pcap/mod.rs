//! pcap and pcapng files: writing and reading.
