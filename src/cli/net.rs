//! argh subcommands: `locate`, `ping`, `neigh`, `brctl`, `route`, `link`.

use crate::{Error, Result};

pub fn main(cmd: &str, _args: &[String]) -> Result<i32> {
    Err(Error::unsupported(format!("podcap {cmd}"), "not built yet"))
}
