//! Well-known ports: the encapsulations a node carries, and the
//! applications the printer decodes by port, as tcpdump does.

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
/// The ports `--path` treats as Geneve (Cilium, OVN).
pub const DEFAULT_GENEVE: &[u16] = &[GENEVE];

/// DNS over UDP and TCP.
pub const DNS: u16 = 53;
/// Multicast DNS (RFC 6762).
pub const MDNS: u16 = 5353;
pub const SSH: u16 = 22;
pub const HTTP: u16 = 80;
/// The alternative HTTP port tcpdump also prints requests on.
pub const HTTP_ALT: u16 = 8080;
/// NTP (RFC 5905).
pub const NTP: u16 = 123;
/// BOOTP/DHCP server and client.
pub const BOOTPS: u16 = 67;
pub const BOOTPC: u16 = 68;
/// DHCPv6 server and client (RFC 8415).
pub const DHCP6_SERVER: u16 = 547;
pub const DHCP6_CLIENT: u16 = 546;
/// IKE/ISAKMP, its NAT traversal port (RFC 3948: ESP, IKE behind a zero
/// marker, keep-alives) and the two extra ports tcpdump also reads as IKE.
pub const ISAKMP: u16 = 500;
pub const ISAKMP_NATT: u16 = 4500;
pub const ISAKMP_USER1: u16 = 7500;
pub const ISAKMP_USER2: u16 = 8500;
/// syslog over UDP (RFC 3164/5426).
pub const SYSLOG: u16 = 514;
