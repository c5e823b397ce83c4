//! Well-known UDP ports of the encapsulations a node carries.

/// VXLAN's IANA port (RFC 7348), what libpcap's `vxlan` keyword matches.
pub const VXLAN: u16 = 4789;
/// The port Linux's VXLAN driver defaults to and Flannel's VXLAN backend
/// uses (tcpdump prints it as OTV).
pub const VXLAN_LINUX: u16 = 8472;
/// Geneve's IANA port (RFC 8926).
pub const GENEVE: u16 = 6081;
/// VXLAN-GPE (draft-ietf-nvo3-vxlan-gpe, IANA port 4790).
pub const VXLAN_GPE: u16 = 4790;

/// The ports `--path` treats as VXLAN without being told: the IANA port
/// and the Linux default every Flannel node uses.
pub const DEFAULT_VXLAN: &[u16] = &[VXLAN, VXLAN_LINUX];
