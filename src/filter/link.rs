//! "The link-layer payload is protocol X" for each link type (libpcap's
//! gen_linktype and its helpers), including PPP inside PPPoE and the
//! payload of an MPLS stack.

use super::block::Expr;
use super::codegen::{ETHERMTU, Gen, OffRel, R};
use super::names::ethertype as et;
use crate::bpf::op;
use crate::linktype::LinkType;

impl Gen {
    pub(super) fn prevlinkhdr_check(&mut self) -> Option<Expr> {
        // After `geneve`, link-layer address tests first check that the
        // inner packet has a link header: its offset differs from the
        // payload's (libpcap's gen_geneve_ll_check; both are registers).
        if self.is_geneve {
            let (Some(hdr), Some(pl)) = (self.off_linkhdr.reg, self.off_linkpl.reg) else {
                return Some(self.gen_false());
            };
            let s = vec![
                self.st(op::LD | op::MEM, hdr),
                self.st(op::LDX | op::MEM, pl),
            ];
            let b = self.blk(s, op::JMP | op::JEQ | op::X, 0);
            return Some(Gen::not(b));
        }
        None
    }

    pub(super) fn ether_linktype(&mut self, ll_proto: u32) -> R<Expr> {
        match ll_proto {
            // LLCSAP_ISONS, LLCSAP_IP, LLCSAP_NETBEUI
            0xfe | 0x06 | 0xf0 => {
                let b0 = self.cmp_gt(OffRel::LinkType, 0, op::H, ETHERMTU)?;
                let b0 = Gen::not(b0);
                let b1 = self.cmp(OffRel::Llc, 0, op::H, (ll_proto << 8) | ll_proto)?;
                Ok(self.and(b0, b1))
            }
            // LLCSAP_IPX: Novell 802.3, 802.2 with SAP 0xe0, SNAP, Ethernet II.
            0xe0 => {
                let b0 = self.cmp(OffRel::LinkPl, 0, op::B, 0xe0)?;
                let b1 = self.cmp(OffRel::LinkPl, 0, op::H, 0xffff)?;
                let b1 = self.or(b0, b1);
                let b0 = self.snap(0x000000, 0x8137)?;
                let b1 = self.or(b0, b1);
                let b0 = self.cmp_gt(OffRel::LinkType, 0, op::H, ETHERMTU)?;
                let b0 = Gen::not(b0);
                let b1 = self.and(b0, b1);
                let b0 = self.cmp(OffRel::LinkType, 0, op::H, 0x8137)?;
                Ok(self.or(b0, b1))
            }
            // ETHERTYPE_ATALK, ETHERTYPE_AARP
            0x809b | 0x80f3 => {
                let b0 = self.cmp_gt(OffRel::LinkType, 0, op::H, ETHERMTU)?;
                let b0 = Gen::not(b0);
                let b1 = if ll_proto == 0x809b {
                    self.snap(0x080007, 0x809b)?
                } else {
                    self.snap(0x000000, 0x80f3)?
                };
                let b1 = self.and(b0, b1);
                let b0 = self.cmp(OffRel::LinkType, 0, op::H, ll_proto)?;
                Ok(self.or(b0, b1))
            }
            _ if ll_proto <= ETHERMTU => {
                let b0 = self.cmp_gt(OffRel::LinkType, 0, op::H, ETHERMTU)?;
                let b0 = Gen::not(b0);
                let b1 = self.cmp(OffRel::LinkType, 2, op::B, ll_proto)?;
                Ok(self.and(b0, b1))
            }
            _ => self.cmp(OffRel::LinkType, 0, op::H, ll_proto),
        }
    }

    /// libpcap's gen_snap: an 802.2 SNAP header with this OUI and type.
    pub(super) fn snap(&mut self, orgcode: u32, ptype: u32) -> R<Expr> {
        let snapblock = [
            0xaa,
            0xaa,
            0x03,
            (orgcode >> 16) as u8,
            (orgcode >> 8) as u8,
            orgcode as u8,
            (ptype >> 8) as u8,
            ptype as u8,
        ];
        self.bcmp(OffRel::LinkPl, 0, &snapblock)
    }

    pub(super) fn sll_linktype(&mut self, ll_proto: u32) -> R<Expr> {
        const P_802_2: u32 = 4;
        const P_802_3: u32 = 1;
        match ll_proto {
            0x06 | 0xfe | 0xf0 => {
                let b0 = self.cmp(OffRel::LinkType, 0, op::H, P_802_2)?;
                let b1 = self.cmp(OffRel::LinkPl, 0, op::H, (ll_proto << 8) | ll_proto)?;
                Ok(self.and(b0, b1))
            }
            0xe0 => {
                let b0 = self.cmp(OffRel::LinkPl, 0, op::B, 0xe0)?;
                let b1 = self.snap(0x000000, 0x8137)?;
                let b1 = self.or(b0, b1);
                let b0 = self.cmp(OffRel::LinkType, 0, op::H, P_802_2)?;
                let b1 = self.and(b0, b1);
                let b0 = self.cmp(OffRel::LinkType, 0, op::H, P_802_3)?;
                let b1 = self.or(b0, b1);
                let b0 = self.cmp(OffRel::LinkType, 0, op::H, 0x8137)?;
                Ok(self.or(b0, b1))
            }
            0x809b | 0x80f3 => {
                let b0 = self.cmp(OffRel::LinkType, 0, op::H, P_802_2)?;
                let b1 = if ll_proto == 0x809b {
                    self.snap(0x080007, 0x809b)?
                } else {
                    self.snap(0x000000, 0x80f3)?
                };
                let b1 = self.and(b0, b1);
                let b0 = self.cmp(OffRel::LinkType, 0, op::H, ll_proto)?;
                Ok(self.or(b0, b1))
            }
            _ if ll_proto <= ETHERMTU => {
                let b0 = self.cmp(OffRel::LinkType, 0, op::H, P_802_2)?;
                let off = self.off_linkpl.constant;
                let b1 = self.cmp(OffRel::LinkHdr, off, op::B, ll_proto)?;
                Ok(self.and(b0, b1))
            }
            _ => self.cmp(OffRel::LinkType, 0, op::H, ll_proto),
        }
    }

    pub(super) fn mpls_linktype(&mut self, ll_proto: u32) -> R<Expr> {
        let version = match ll_proto {
            et::IP => 0x40,
            et::IPV6 => 0x60,
            _ => return Err("unsupported protocol over mpls".into()),
        };
        let b0 = self.mcmp(OffRel::LinkPl, (-2i32) as u32, op::B, 0x01, 0x01)?;
        let b1 = self.mcmp(OffRel::LinkPl, 0, op::B, version, 0xf0)?;
        Ok(self.and(b0, b1))
    }

    /// libpcap's gen_linktype: "the link-layer payload is `ll_proto`".
    pub fn linktype(&mut self, ll_proto: u32) -> R<Expr> {
        if self.label_stack_depth > 0 {
            return self.mpls_linktype(ll_proto);
        }
        if self.ppp {
            let ppp = match ll_proto {
                et::IP => 0x0021,
                et::IPV6 => 0x0057,
                et::DECNET => 0x0027,
                0x809b => 0x0029,
                0xfe => 0x0023,
                0x42 => 0x0031,
                0xe0 => 0x002b,
                other => other,
            };
            return self.cmp(OffRel::LinkType, 0, op::H, ppp);
        }
        match self.linktype {
            LinkType::En10mb => {
                let b0 = if self.is_geneve {
                    None
                } else {
                    self.prevlinkhdr_check()
                };
                let b1 = self.ether_linktype(ll_proto)?;
                Ok(match b0 {
                    Some(b0) => self.and(b0, b1),
                    None => b1,
                })
            }
            LinkType::LinuxSll => self.sll_linktype(ll_proto),
            // libpcap 1.10 compares the cooked v2 protocol field with the
            // value as given, LLC SAPs included.
            LinkType::LinuxSll2 => self.cmp(OffRel::LinkType, 0, op::H, ll_proto),
            // compile() refuses the others before they get here.
            _ => match ll_proto {
                et::IP => self.mcmp(OffRel::LinkHdr, 0, op::B, 0x40, 0xf0),
                et::IPV6 => self.mcmp(OffRel::LinkHdr, 0, op::B, 0x60, 0xf0),
                _ => Ok(self.gen_false()),
            },
        }
    }
}
