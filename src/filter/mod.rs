//! pcap-filter(7) expressions to classic BPF.
