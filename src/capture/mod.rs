//! AF_PACKET capture with a TPACKET_V3 ring.
