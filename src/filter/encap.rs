//! Stacked and tunnelled headers: `vlan`, `mpls`, `geneve`, `vxlan`.
//! Each one moves the offsets that later primitives use (libpcap's
//! semantics: `vlan 10 and host X` looks for X inside the tag;
//! `vxlan and host X` looks for X in the inner frame).

use super::block::Expr;
use super::codegen::{Gen, JEQ, OffRel, R};
use super::names::{ethertype as et, ipproto};
use super::qual::Dir;
use crate::bpf::{ancillary, op};
use crate::linktype::LinkType;

const GENEVE_PORT: u32 = 6081;
const VXLAN_PORT: u32 = 4789;

impl Gen {
    fn vlan_tpid_test(&mut self) -> R<Expr> {
        let b0 = self.linktype(et::VLAN)?;
        let b1 = self.linktype(et::QINQ_8021AD)?;
        let b1 = self.or(b0, b1);
        let b2 = self.linktype(et::QINQ_9100)?;
        Ok(self.or(b1, b2))
    }

    fn vlan_vid_test(&mut self, vlan: u32) -> R<Expr> {
        if vlan > 0x0fff {
            return Err(format!("VLAN tag {vlan} greater than maximum 4095"));
        }
        self.mcmp(OffRel::LinkPl, 0, op::H, vlan, 0x0fff)
    }

    /// `vlan [id]`.
    pub fn vlan(&mut self, vlan: Option<u32>) -> R<Expr> {
        if self.label_stack_depth > 0 {
            return Err("no VLAN match after MPLS".into());
        }
        if !self.is_ether() {
            return Err(format!("'vlan' not supported on {}", self.dlt_name()));
        }
        let outer = self.vlan_stack_depth == 0 && !self.off_linkhdr.is_variable && !self.is_encap;
        let b = if self.linux_ext && outer {
            self.vlan_bpf_extensions(vlan)?
        } else {
            let b0 = self.vlan_tpid_test()?;
            let b0 = match vlan {
                Some(v) => {
                    let b1 = self.vlan_vid_test(v)?;
                    self.and(b0, b1)
                }
                None => b0,
            };
            self.off_linkpl.constant += 4;
            if let Some(t) = self.off_linktype.as_mut() {
                t.constant += 4;
            }
            b0
        };
        self.vlan_stack_depth += 1;
        Ok(b)
    }

    /// Statements adding `v` to a variable offset held in a register.
    fn vloffset_add(&mut self, pl: bool, v: u32) -> R<Vec<Stmt>> {
        let mut off = if pl {
            self.off_linkpl
        } else {
            self.off_linktype.unwrap_or_default()
        };
        off.is_variable = true;
        let reg = match off.reg {
            Some(r) => r,
            None => self.alloc_reg()?,
        };
        off.reg = Some(reg);
        if pl {
            self.off_linkpl = off;
        } else {
            self.off_linktype = Some(off);
        }
        Ok(vec![
            self.st(op::LD | op::MEM, reg),
            self.st(op::ALU | op::ADD | op::K, v),
            self.st(op::ST, reg),
        ])
    }

    /// The live-capture form: the kernel has taken the outer tag out of
    /// the packet data, so test the ancillary "tag present" and "tag"
    /// fields first, and fall back to in-packet tags (libpcap's
    /// gen_vlan_bpf_extensions).
    fn vlan_bpf_extensions(&mut self, vlan: Option<u32>) -> R<Expr> {
        let s = self.st(
            op::LD | op::B | op::ABS,
            ancillary::OFF + ancillary::VLAN_TAG_PRESENT,
        );
        let b0 = self.blk(vec![s], JEQ, 1);
        let b_tpid = self.vlan_tpid_test()?;
        let b_vid = match vlan {
            Some(v) => Some(self.vlan_vid_test(v)?),
            None => None,
        };
        // Patch the TPID test: shift the variable offsets by the tag first.
        self.is_vlan_vloffset = true;
        let mut s = self.vloffset_add(true, 4)?;
        s.extend(self.vloffset_add(false, 4)?);
        self.g.prepend(&b_tpid, s);
        let mut b0 = self.or(b0, b_tpid);
        if let Some(b_vid) = b_vid {
            let head = b_vid.head;
            let old = std::mem::take(&mut self.g.blocks[head].stmts);
            let ld = self.st(
                op::LD | op::B | op::ABS,
                ancillary::OFF + ancillary::VLAN_TAG_PRESENT,
            );
            let mut jeq = self.st(JEQ, 1);
            // A byte-sized load, as libpcap 1.10 emits it; the kernel
            // returns the whole tag for any size of ancillary load.
            let tag = self.st(
                op::LD | op::B | op::ABS,
                ancillary::OFF + ancillary::VLAN_TAG,
            );
            jeq.jt = tag.id;
            jeq.jf = old.first().map(|s| s.id).unwrap_or(0);
            let ja = self.st(op::JMP | op::JA, (old.len() as u32).saturating_sub(1));
            let mut s = vec![ld, jeq, tag, ja];
            s.extend(old);
            self.g.blocks[head].stmts = s;
            b0 = self.and(b0, b_vid);
            self.no_optimize = true;
        }
        Ok(b0)
    }

    /// `mpls [label]`.
    pub fn mpls(&mut self, label: Option<u32>) -> R<Expr> {
        let b0 = if self.label_stack_depth > 0 {
            self.mcmp(OffRel::PrevMplsHdr, 2, op::B, 0, 0x01)?
        } else {
            if self.ppp {
                // PPP_MPLS_UCAST
                self.linktype(0x0281)?
            } else if self.linktype != LinkType::En10mb {
                return Err(format!("'mpls' not supported on {}", self.dlt_name()));
            } else {
                self.linktype(et::MPLS)?
            }
        };
        let b0 = match label {
            Some(l) => {
                if l > 0xfffff {
                    return Err(format!("MPLS label {l} greater than maximum 1048575"));
                }
                let b1 = self.mcmp(OffRel::LinkPl, 0, op::W, l << 12, 0xffff_f000)?;
                self.and(b0, b1)
            }
            None => b0,
        };
        self.off_nl_nosnap += 4;
        self.off_nl += 4;
        self.label_stack_depth += 1;
        Ok(b0)
    }

    /// `pppoed`: PPPoE discovery frames.
    pub fn pppoed(&mut self) -> R<Expr> {
        self.linktype(0x8863)
    }

    /// `pppoes [session]`: PPPoE session frames; later primitives look at
    /// the PPP payload (libpcap's gen_pppoes).
    pub fn pppoes(&mut self, session: Option<u32>) -> R<Expr> {
        let b0 = self.linktype(0x8864)?;
        let b0 = match session {
            Some(s) => {
                if s > 0xffff {
                    return Err(format!(
                        "PPPoE session number {s} greater than maximum 65535"
                    ));
                }
                // libpcap 1.10's form: the word holding code and session,
                // masked (so the packet must hold the length field too).
                let b1 = self.mcmp(OffRel::LinkPl, 0, op::W, s, 0xffff)?;
                self.and(b0, b1)
            }
            None => b0,
        };
        let hdr = AbsOff {
            constant: self
                .off_linkpl
                .constant
                .wrapping_add(self.off_nl)
                .wrapping_add(6),
            is_variable: self.off_linkpl.is_variable,
            reg: self.off_linkpl.reg,
        };
        self.off_linkhdr = hdr;
        self.off_linktype = Some(hdr);
        self.off_linkpl.constant = hdr.constant.wrapping_add(2);
        self.off_nl = 0;
        self.off_nl_nosnap = 0;
        self.ppp = true;
        Ok(b0)
    }

    /// UDP destination port check for a tunnel, on IPv4 or IPv6.
    fn tunnel_ports(&mut self, ports: &[u32], v6: bool) -> R<Expr> {
        let mut acc: Option<Expr> = None;
        for &p in ports {
            let b = if v6 {
                self.port6(p, None, Some(ipproto::UDP), Dir::Dst)?
            } else {
                self.port4(p, None, Some(ipproto::UDP), Dir::Dst)?
            };
            acc = Some(match acc {
                Some(a) => self.or(a, b),
                None => b,
            });
        }
        acc.ok_or_else(|| "no tunnel port".to_string())
    }

    fn vni_check(&mut self, b0: Expr, rel: OffRel, vni: Option<u32>, what: &str) -> R<Expr> {
        match vni {
            Some(v) => {
                if v > 0xff_ffff {
                    return Err(format!("{what} VNI {v} greater than maximum 16777215"));
                }
                let b1 = self.mcmp(rel, 12, op::W, v << 8, 0xffff_ff00)?;
                Ok(self.and(b0, b1))
            }
            None => Ok(b0),
        }
    }

    /// The IPv4 half of a tunnel test: check, then leave the IP header
    /// length in A for the offset computation.
    fn tunnel4(&mut self, geneve: bool, vni: Option<u32>) -> R<Expr> {
        let ports = self.tunnel_port_list(geneve);
        let b0 = self.tunnel_ports(&ports, false)?;
        let b1 = if geneve {
            self.mcmp(OffRel::TranIpv4, 8, op::B, 0, 0xc0)?
        } else {
            self.cmp(OffRel::TranIpv4, 8, op::B, 0x08)?
        };
        let b0 = self.and(b0, b1);
        let b0 = self.vni_check(
            b0,
            OffRel::TranIpv4,
            vni,
            if geneve { "Geneve" } else { "VXLAN" },
        )?;
        let mut s = self.loadx_iphdrlen()?;
        s.push(self.st(op::MISC | op::TXA, 0));
        let b1 = self.blk(s, op::JMP | op::JEQ | op::X, 0);
        Ok(self.and(b0, b1))
    }

    fn tunnel6(&mut self, geneve: bool, vni: Option<u32>) -> R<Expr> {
        let ports = self.tunnel_port_list(geneve);
        let b0 = self.tunnel_ports(&ports, true)?;
        let b1 = if geneve {
            self.mcmp(OffRel::TranIpv6, 8, op::B, 0, 0xc0)?
        } else {
            self.cmp(OffRel::TranIpv6, 8, op::B, 0x08)?
        };
        let b0 = self.and(b0, b1);
        let b0 = self.vni_check(
            b0,
            OffRel::TranIpv6,
            vni,
            if geneve { "Geneve" } else { "VXLAN" },
        )?;
        let mut s = match self.linkpl_varpart()? {
            Some(x) => vec![
                x,
                self.st(op::LD | op::IMM, 40),
                self.st(op::ALU | op::ADD | op::X, 0),
            ],
            None => vec![self.st(op::LD | op::IMM, 40)],
        };
        s.push(self.st(op::MISC | op::TAX, 0));
        let b1 = self.blk(s, op::JMP | op::JEQ | op::X, 0);
        Ok(self.and(b0, b1))
    }

    fn tunnel_port_list(&self, geneve: bool) -> Vec<u32> {
        if geneve {
            return vec![GENEVE_PORT];
        }
        let mut v = vec![VXLAN_PORT];
        for &p in &self.vxlan_ports {
            if !v.contains(&u32::from(p)) {
                v.push(u32::from(p));
            }
        }
        v
    }

    /// After the tunnel header: the inner frame is Ethernet with variable
    /// offsets held in scratch registers.
    fn push_linkhdr_en10mb(&mut self) -> R<u32> {
        let reg = self.alloc_reg()?;
        self.linktype = LinkType::En10mb;
        self.off_linkhdr.is_variable = true;
        self.off_linkhdr.constant = 0;
        self.off_linkhdr.reg = Some(reg);
        Ok(reg)
    }

    fn geneve_offsets(&mut self) -> R<Vec<Stmt>> {
        let k = self
            .off_linkpl
            .constant
            .wrapping_add(self.off_nl)
            .wrapping_add(8);
        let mut s = vec![
            self.st(op::ALU | op::ADD | op::K, k),
            self.st(op::MISC | op::TAX, 0),
            self.st(op::ALU | op::ADD | op::K, 2),
        ];
        let treg = self.alloc_reg()?;
        self.off_linktype = Some(AbsOffReg::var(treg));
        s.push(self.st(op::ST, treg));
        s.push(self.st(op::LD | op::IND | op::B, 0));
        s.push(self.st(op::ALU | op::AND | op::K, 0x3f));
        s.push(self.st(op::ALU | op::MUL | op::K, 4));
        s.push(self.st(op::ALU | op::ADD | op::K, 8));
        s.push(self.st(op::ALU | op::ADD | op::X, 0));
        let hreg = self.push_linkhdr_en10mb()?;
        s.push(self.st(op::ST, hreg));
        self.no_optimize = true;
        s.push(self.st(op::LD | op::IND | op::H, 2));
        s.push(self.st(op::LDX | op::MEM, hreg));
        let mut jeq = self.st(JEQ, et::TEB);
        let txa = self.st(op::MISC | op::TXA, 0);
        jeq.jt = txa.id;
        let add12 = self.st(op::ALU | op::ADD | op::K, 12);
        let st_t = self.st(op::ST, treg);
        let add2 = self.st(op::ALU | op::ADD | op::K, 2);
        let tax = self.st(op::MISC | op::TAX, 0);
        let preg = self.alloc_reg()?;
        self.off_linkpl = AbsOffReg::var(preg);
        let stx = self.st(op::STX, preg);
        jeq.jf = stx.id;
        s.extend([jeq, txa, add12, st_t, add2, tax, stx]);
        self.off_nl = 0;
        Ok(s)
    }

    fn vxlan_offsets(&mut self) -> R<Vec<Stmt>> {
        let k = self
            .off_linkpl
            .constant
            .wrapping_add(self.off_nl)
            .wrapping_add(8);
        let mut s = vec![
            self.st(op::ALU | op::ADD | op::K, k),
            self.st(op::ALU | op::ADD | op::K, 8),
        ];
        let hreg = self.push_linkhdr_en10mb()?;
        s.push(self.st(op::ST, hreg));
        s.push(self.st(op::ALU | op::ADD | op::K, 12));
        let treg = self.alloc_reg()?;
        self.off_linktype = Some(AbsOffReg::var(treg));
        s.push(self.st(op::ST, treg));
        s.push(self.st(op::ALU | op::ADD | op::K, 2));
        s.push(self.st(op::MISC | op::TAX, 0));
        let preg = self.alloc_reg()?;
        self.off_linkpl = AbsOffReg::var(preg);
        s.push(self.st(op::STX, preg));
        self.off_nl = 0;
        Ok(s)
    }

    /// `geneve [vni]` (libpcap 1.10) and `vxlan [vni]` (libpcap master,
    /// plus the extra ports of [`Options::vxlan_ports`](super::Options)).
    pub fn tunnel(&mut self, geneve: bool, vni: Option<u32>) -> R<Expr> {
        let b0 = self.tunnel4(geneve, vni)?;
        let b1 = self.tunnel6(geneve, vni)?;
        let b0 = self.or(b0, b1);
        let mut s = if geneve {
            self.geneve_offsets()?
        } else {
            self.vxlan_offsets()?
        };
        let b1 = self.gen_true();
        let old = std::mem::take(&mut self.g.blocks[b1.head].stmts);
        s.extend(old);
        self.g.blocks[b1.head].stmts = s;
        let b = self.and(b0, b1);
        if geneve {
            self.is_geneve = true;
        }
        self.is_encap = true;
        Ok(b)
    }
}

use super::block::Stmt;
use super::codegen::AbsOff;

/// Shorthand for a variable offset held in a register.
struct AbsOffReg;

impl AbsOffReg {
    fn var(reg: u32) -> AbsOff {
        AbsOff {
            constant: 0,
            is_variable: true,
            reg: Some(reg),
        }
    }
}
