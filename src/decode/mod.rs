//! tcpdump-style one-line packet descriptions.
