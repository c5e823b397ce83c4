//! `podcap compile`: print a filter's BPF program as `tcpdump -d/-dd/-ddd`.

use crate::{Error, Result};

pub fn main(_args: &[String]) -> Result<i32> {
    Err(Error::unsupported("podcap compile", "not built yet"))
}
