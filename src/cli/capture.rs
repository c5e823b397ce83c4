//! `podcap capture POD_IP [tcpdump options] [FILTER]`.

use crate::{Error, Result};

pub fn main(_args: &[String]) -> Result<i32> {
    Err(Error::unsupported("podcap capture", "not built yet"))
}
