//! tcpdump-compatible mode: tcpdump's command line, getopt-style.

use crate::{Error, Result};

/// `prog` is how we were called, for messages (`static-tcpdump`, `podcap tcpdump`).
pub fn main(_prog: &str, _args: &[String]) -> Result<i32> {
    Err(Error::unsupported("tcpdump mode", "not built yet"))
}
