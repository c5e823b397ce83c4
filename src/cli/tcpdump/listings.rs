//! `-D` and `-L`: what tcpdump lists instead of capturing.

use crate::Result;
use crate::capture::iface;
use crate::linktype::LinkType;

/// `-D`: the interfaces as tcpdump numbers them, with what podcap knows
/// besides (kind, bridge master, veth peer).
pub fn interfaces() -> Result<i32> {
    print!("{}", iface::format_list(&iface::list()?));
    Ok(0)
}

/// `-L`: each interface's own link type, then the cooked ones, which any
/// interface can give.
pub fn linktypes(interfaces: &[String]) -> Result<i32> {
    for i in interfaces {
        println!("Data link types for {i} (use option -y to set):");
        let native = native_linktype(i)?;
        let mut kinds = vec![native];
        for l in [LinkType::LinuxSll, LinkType::LinuxSll2] {
            if !kinds.contains(&l) {
                kinds.push(l);
            }
        }
        for l in kinds {
            println!("  {} ({})", l.name(), l.description());
        }
    }
    Ok(0)
}

/// The link type a capture on `iface` gets without `-y`.
pub(super) fn native_linktype(iface: &str) -> Result<LinkType> {
    if iface == "any" {
        return Ok(LinkType::LinuxSll);
    }
    let ctl = crate::sys::socket::ioctl_socket()?;
    crate::sys::socket::if_index(&ctl, iface)?;
    let hatype = crate::sys::socket::if_hatype(&ctl, iface)?;
    Ok(LinkType::from_arphrd(hatype).unwrap_or(LinkType::LinuxSll))
}
