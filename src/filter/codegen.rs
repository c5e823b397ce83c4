//! The code generator: one function per libpcap gencode.c routine, with
//! the same block shapes, so that our unoptimized programs are libpcap's.
//! Link-type tests live in [`link`](super::link), address and port tests in
//! [`addr`](super::addr), tunnels and stacked headers in
//! [`encap`](super::encap), arithmetic in [`arith`](super::arith).

use super::block::{Expr, Graph, Stmt};
use super::names::{ethertype as et, ipproto};
use super::qual::{Dir, Proto};
use crate::bpf::op;
use crate::linktype::LinkType;

/// A generator error: the message; the parser adds where.
pub type R<T> = std::result::Result<T, String>;

pub const JEQ: u16 = op::JMP | op::JEQ | op::K;
pub const JGT: u16 = op::JMP | op::JGT | op::K;
pub const JGE: u16 = op::JMP | op::JGE | op::K;
pub const JSET: u16 = op::JMP | op::JSET | op::K;

pub(super) const ETHERMTU: u32 = 1500;

/// What a load offset is relative to (libpcap's `enum e_offrel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)]
pub enum OffRel {
    Packet,
    /// The 802.2 LLC header: the link-layer payload, ignoring MPLS.
    Llc,
    LinkHdr,
    PrevMplsHdr,
    LinkType,
    LinkPl,
    LinkPlNoSnap,
    TranIpv4,
    TranIpv6,
}

/// An offset with a constant part and, after a tunnel header, a variable
/// part kept in a scratch register (libpcap's `bpf_abs_offset`).
#[derive(Debug, Clone, Copy, Default)]
pub struct AbsOff {
    pub constant: u32,
    pub is_variable: bool,
    pub reg: Option<u32>,
}

/// An arithmetic value: code that leaves it in scratch register `regno`,
/// plus the protocol checks under which it is meaningful.
#[derive(Debug, Clone)]
pub struct Arth {
    pub s: Vec<Stmt>,
    pub regno: u32,
    pub b: Option<Expr>,
}

pub struct Gen {
    pub g: Graph,
    pub linktype: LinkType,
    pub off_linkhdr: AbsOff,
    pub off_linktype: Option<AbsOff>,
    pub off_linkpl: AbsOff,
    pub off_nl: u32,
    pub off_nl_nosnap: u32,
    regused: [bool; 16],
    curreg: usize,
    pub label_stack_depth: u32,
    pub vlan_stack_depth: u32,
    pub is_geneve: bool,
    pub is_encap: bool,
    /// VLAN offsets are computed at run time (live capture form).
    pub is_vlan_vloffset: bool,
    /// After `pppoes`: the link layer is PPP (protocol numbers, not
    /// EtherTypes, name the payload).
    pub ppp: bool,
    pub linux_ext: bool,
    pub netmask: Option<u32>,
    /// Set when the program contains in-block jumps the optimizer must not
    /// touch (libpcap's no_optimize).
    pub no_optimize: bool,
    pub vxlan_ports: Vec<u16>,
}

impl Gen {
    pub fn new(linktype: LinkType, linux_ext: bool, netmask: Option<u32>) -> Self {
        let (off_linktype, linkpl, nosnap) = match linktype {
            LinkType::En10mb => (Some(12), 14, 3),
            LinkType::LinuxSll => (Some(14), 16, 0),
            LinkType::LinuxSll2 => (Some(0), 20, 0),
            // compile() refuses the link types podcap does not filter.
            _ => (None, 0, 0),
        };
        Gen {
            g: Graph::default(),
            linktype,
            off_linkhdr: AbsOff::default(),
            off_linktype: off_linktype.map(|c| AbsOff {
                constant: c,
                ..AbsOff::default()
            }),
            off_linkpl: AbsOff {
                constant: linkpl,
                ..AbsOff::default()
            },
            off_nl: 0,
            off_nl_nosnap: nosnap,
            regused: [false; 16],
            curreg: 0,
            label_stack_depth: 0,
            vlan_stack_depth: 0,
            is_geneve: false,
            is_encap: false,
            is_vlan_vloffset: false,
            ppp: false,
            linux_ext,
            netmask,
            no_optimize: false,
            vxlan_ports: Vec::new(),
        }
    }

    /// libpcap's insert_compute_vloffsets: statements for the start of the
    /// program that initialise run-time offsets (only the VLAN live form
    /// needs any for the link types podcap knows).
    pub fn compute_vloffsets(&mut self) -> R<Vec<Stmt>> {
        if !self.is_vlan_vloffset {
            return Ok(Vec::new());
        }
        let pl = match self.off_linkpl.reg {
            Some(r) => r,
            None => {
                let r = self.alloc_reg()?;
                self.off_linkpl.reg = Some(r);
                r
            }
        };
        let mut t = self.off_linktype.unwrap_or_default();
        let tr = match t.reg {
            Some(r) => r,
            None => {
                let r = self.alloc_reg()?;
                t.reg = Some(r);
                r
            }
        };
        self.off_linktype = Some(t);
        Ok(vec![
            self.st(op::LD | op::W | op::IMM, 0),
            self.st(op::ST, pl),
            self.st(op::ST, tr),
        ])
    }

    pub fn dlt_name(&self) -> String {
        if self.ppp {
            return "DLT_PPP".into();
        }
        format!("DLT_{}", self.linktype.name())
    }

    /// The current link layer is Ethernet (not RAW/cooked, not PPP inside
    /// PPPoE).
    pub fn is_ether(&self) -> bool {
        self.linktype == LinkType::En10mb && !self.ppp
    }

    // ---- registers -------------------------------------------------

    pub fn alloc_reg(&mut self) -> R<u32> {
        for _ in 0..16 {
            if self.regused[self.curreg] {
                self.curreg = (self.curreg + 1) % 16;
            } else {
                self.regused[self.curreg] = true;
                return Ok(self.curreg as u32);
            }
        }
        Err("too many registers needed to evaluate expression".into())
    }

    pub fn free_reg(&mut self, n: u32) {
        if let Some(r) = self.regused.get_mut(n as usize) {
            *r = false;
        }
    }

    // ---- statements and simple blocks ------------------------------

    pub fn st(&mut self, code: u16, k: u32) -> Stmt {
        self.g.stmt(code, k)
    }

    pub fn blk(&mut self, stmts: Vec<Stmt>, code: u16, k: u32) -> Expr {
        self.g.block(stmts, code, k)
    }

    pub fn and(&mut self, a: Expr, b: Expr) -> Expr {
        self.g.and(a, b)
    }

    pub fn or(&mut self, a: Expr, b: Expr) -> Expr {
        self.g.or(a, b)
    }

    pub fn not(e: Expr) -> Expr {
        Graph::not(e)
    }

    fn uncond(&mut self, rsense: bool) -> Expr {
        let s = self.st(op::LD | op::IMM, u32::from(!rsense));
        self.blk(vec![s], JEQ, 0)
    }

    pub fn gen_true(&mut self) -> Expr {
        self.uncond(true)
    }

    pub fn gen_false(&mut self) -> Expr {
        self.uncond(false)
    }

    // ---- loads -----------------------------------------------------

    fn abs_offset_varpart(&mut self, off: AbsOff) -> R<(Option<Stmt>, AbsOff)> {
        if !off.is_variable {
            return Ok((None, off));
        }
        let mut off = off;
        let reg = match off.reg {
            Some(r) => r,
            None => {
                let r = self.alloc_reg()?;
                off.reg = Some(r);
                r
            }
        };
        Ok((Some(self.st(op::LDX | op::MEM, reg)), off))
    }

    /// The `ldx M[reg]` for the link-layer payload's variable part, if any.
    pub fn linkpl_varpart(&mut self) -> R<Option<Stmt>> {
        let (s, off) = self.abs_offset_varpart(self.off_linkpl)?;
        self.off_linkpl = off;
        Ok(s)
    }

    pub fn linkhdr_varpart(&mut self) -> R<Option<Stmt>> {
        let (s, off) = self.abs_offset_varpart(self.off_linkhdr)?;
        self.off_linkhdr = off;
        Ok(s)
    }

    fn load_absoffsetrel(&mut self, which: Which, offset: u32, size: u16) -> R<Vec<Stmt>> {
        let off = match which {
            Which::Hdr => self.off_linkhdr,
            Which::Pl => self.off_linkpl,
            Which::Type => self
                .off_linktype
                .ok_or_else(|| "link type has no type field".to_string())?,
        };
        let (vs, off) = self.abs_offset_varpart(off)?;
        match which {
            Which::Hdr => self.off_linkhdr = off,
            Which::Pl => self.off_linkpl = off,
            Which::Type => self.off_linktype = Some(off),
        }
        let k = off.constant.wrapping_add(offset);
        Ok(match vs {
            Some(x) => {
                let l = self.st(op::LD | op::IND | size, k);
                vec![x, l]
            }
            None => vec![self.st(op::LD | op::ABS | size, k)],
        })
    }

    /// libpcap's gen_loadx_iphdrlen: X = IPv4 header length (plus the
    /// variable part of the payload offset after a tunnel).
    pub fn loadx_iphdrlen(&mut self) -> R<Vec<Stmt>> {
        let k = self.off_linkpl.constant.wrapping_add(self.off_nl);
        match self.linkpl_varpart()? {
            Some(x) => Ok(vec![
                x,
                self.st(op::LD | op::IND | op::B, k),
                self.st(op::ALU | op::AND | op::K, 0xf),
                self.st(op::ALU | op::LSH | op::K, 2),
                self.st(op::ALU | op::ADD | op::X, 0),
                self.st(op::MISC | op::TAX, 0),
            ]),
            None => Ok(vec![self.st(op::LDX | op::MSH | op::B, k)]),
        }
    }

    pub fn load_a(&mut self, rel: OffRel, offset: u32, size: u16) -> R<Vec<Stmt>> {
        match rel {
            OffRel::Packet => Ok(vec![self.st(op::LD | op::ABS | size, offset)]),
            OffRel::LinkHdr => self.load_absoffsetrel(Which::Hdr, offset, size),
            OffRel::Llc => self.load_absoffsetrel(Which::Pl, offset, size),
            OffRel::PrevMplsHdr => self.load_absoffsetrel(
                Which::Pl,
                self.off_nl.wrapping_sub(4).wrapping_add(offset),
                size,
            ),
            OffRel::LinkType => self.load_absoffsetrel(Which::Type, offset, size),
            OffRel::LinkPl => {
                self.load_absoffsetrel(Which::Pl, self.off_nl.wrapping_add(offset), size)
            }
            OffRel::LinkPlNoSnap => {
                self.load_absoffsetrel(Which::Pl, self.off_nl_nosnap.wrapping_add(offset), size)
            }
            OffRel::TranIpv4 => {
                let mut s = self.loadx_iphdrlen()?;
                let k = self
                    .off_linkpl
                    .constant
                    .wrapping_add(self.off_nl)
                    .wrapping_add(offset);
                s.push(self.st(op::LD | op::IND | size, k));
                Ok(s)
            }
            OffRel::TranIpv6 => self.load_absoffsetrel(
                Which::Pl,
                self.off_nl.wrapping_add(40).wrapping_add(offset),
                size,
            ),
        }
    }

    /// libpcap's gen_ncmp: load, optionally mask, compare with `v`.
    #[allow(clippy::too_many_arguments)]
    pub fn ncmp(
        &mut self,
        rel: OffRel,
        offset: u32,
        size: u16,
        mask: u32,
        jtype: u16,
        reverse: bool,
        v: u32,
    ) -> R<Expr> {
        let mut s = self.load_a(rel, offset, size)?;
        if mask != 0xffff_ffff {
            s.push(self.st(op::ALU | op::AND | op::K, mask));
        }
        let b = self.blk(s, jtype, v);
        Ok(if reverse && (jtype == JGT || jtype == JGE) {
            Gen::not(b)
        } else {
            b
        })
    }

    pub fn cmp(&mut self, rel: OffRel, offset: u32, size: u16, v: u32) -> R<Expr> {
        self.ncmp(rel, offset, size, 0xffff_ffff, JEQ, false, v)
    }

    pub fn cmp_gt(&mut self, rel: OffRel, offset: u32, size: u16, v: u32) -> R<Expr> {
        self.ncmp(rel, offset, size, 0xffff_ffff, JGT, false, v)
    }

    pub fn cmp_ge(&mut self, rel: OffRel, offset: u32, size: u16, v: u32) -> R<Expr> {
        self.ncmp(rel, offset, size, 0xffff_ffff, JGE, false, v)
    }

    pub fn cmp_le(&mut self, rel: OffRel, offset: u32, size: u16, v: u32) -> R<Expr> {
        self.ncmp(rel, offset, size, 0xffff_ffff, JGT, true, v)
    }

    pub fn mcmp(&mut self, rel: OffRel, offset: u32, size: u16, v: u32, mask: u32) -> R<Expr> {
        self.ncmp(rel, offset, size, mask, JEQ, false, v)
    }

    /// libpcap's gen_bcmp: compare `v` at `offset`, last word first.
    pub fn bcmp(&mut self, rel: OffRel, offset: u32, v: &[u8]) -> R<Expr> {
        let mut size = v.len();
        let mut b: Option<Expr> = None;
        let mut push = |cg: &mut Gen, tmp: Expr| match b.take() {
            Some(prev) => b = Some(cg.and(prev, tmp)),
            None => b = Some(tmp),
        };
        while size >= 4 {
            let p = &v[size - 4..size];
            let w = u32::from_be_bytes([p[0], p[1], p[2], p[3]]);
            let tmp = self.cmp(rel, offset + size as u32 - 4, op::W, w)?;
            push(self, tmp);
            size -= 4;
        }
        while size >= 2 {
            let p = &v[size - 2..size];
            let h = u32::from(u16::from_be_bytes([p[0], p[1]]));
            let tmp = self.cmp(rel, offset + size as u32 - 2, op::H, h)?;
            push(self, tmp);
            size -= 2;
        }
        if size > 0 {
            let tmp = self.cmp(rel, offset, op::B, u32::from(v[0]))?;
            push(self, tmp);
        }
        b.ok_or_else(|| "empty byte comparison".to_string())
    }

    // ---- protocols -------------------------------------------------

    /// libpcap's gen_ipfrag: not a fragment other than the first.
    pub fn ipfrag(&mut self) -> R<Expr> {
        let s = self.load_a(OffRel::LinkPl, 6, op::H)?;
        let b = self.blk(s, JSET, 0x1fff);
        Ok(Gen::not(b))
    }

    /// `proto`-less protocol keywords: `tcp`, `ip`, `arp`, ...
    pub fn proto_abbrev(&mut self, proto: Proto) -> R<Expr> {
        match proto {
            Proto::Sctp => self.proto(ipproto::SCTP, Proto::Default, Dir::Default),
            Proto::Tcp => self.proto(ipproto::TCP, Proto::Default, Dir::Default),
            Proto::Udp => self.proto(ipproto::UDP, Proto::Default, Dir::Default),
            Proto::Icmp => self.proto(ipproto::ICMP, Proto::Ip, Dir::Default),
            Proto::Igmp => self.proto(ipproto::IGMP, Proto::Ip, Dir::Default),
            Proto::Igrp => self.proto(ipproto::IGRP, Proto::Ip, Dir::Default),
            Proto::Pim => self.proto(ipproto::PIM, Proto::Default, Dir::Default),
            Proto::Vrrp | Proto::Carp => self.proto(ipproto::VRRP, Proto::Ip, Dir::Default),
            Proto::Ip => self.linktype(et::IP),
            Proto::Arp => self.linktype(et::ARP),
            Proto::Rarp => self.linktype(et::REVARP),
            Proto::Link => Err("link layer applied in wrong context".into()),
            Proto::Atalk => self.linktype(0x809b),
            Proto::Aarp => self.linktype(0x80f3),
            Proto::Decnet => self.linktype(et::DECNET),
            Proto::Lat => self.linktype(et::LAT),
            Proto::Sca => self.linktype(et::SCA),
            Proto::Moprc => self.linktype(et::MOPRC),
            Proto::Mopdl => self.linktype(et::MOPDL),
            Proto::Ip6 => self.linktype(et::IPV6),
            Proto::Icmp6 => self.proto(ipproto::ICMPV6, Proto::Ip6, Dir::Default),
            Proto::Ah => self.proto(ipproto::AH, Proto::Default, Dir::Default),
            Proto::Esp => self.proto(ipproto::ESP, Proto::Default, Dir::Default),
            Proto::Stp => self.linktype(0x42),
            Proto::Ipx => self.linktype(0xe0),
            Proto::Netbeui => self.linktype(0xf0),
            Proto::Iso => self.linktype(0xfe),
            Proto::Esis => self.proto(0x82, Proto::Iso, Dir::Default),
            Proto::Isis => self.proto(0x83, Proto::Iso, Dir::Default),
            Proto::Clnp => self.proto(0x81, Proto::Iso, Dir::Default),
            Proto::L1 => self.isis_pdus(&[15, 17, 18, 24, 26]),
            Proto::L2 => self.isis_pdus(&[16, 17, 20, 25, 27]),
            Proto::Iih => self.isis_pdus(&[15, 16, 17]),
            Proto::Lsp => self.isis_pdus(&[18, 20]),
            Proto::Snp => self.isis_pdus(&[24, 25, 26, 27]),
            Proto::Csnp => self.isis_pdus(&[24, 25]),
            Proto::Psnp => self.isis_pdus(&[26, 27]),
            Proto::Radio => Err("'radio' supported only on 802.11 radio link types".into()),
            Proto::Default | Proto::Undef => Err("syntax error in filter expression".into()),
        }
    }

    /// IS-IS PDU types or'ed as libpcap chains them (the last one first).
    fn isis_pdus(&mut self, types: &[u32]) -> R<Expr> {
        let mut acc: Option<Expr> = None;
        for &t in types {
            let b = self.proto(t, Proto::Isis, Dir::Default)?;
            acc = Some(match acc {
                None => b,
                Some(prev) if types.len() > 1 && t == types[1] => self.or(prev, b),
                Some(prev) => self.or(b, prev),
            });
        }
        acc.ok_or_else(|| "no IS-IS PDU types".to_string())
    }

    /// libpcap's gen_proto: `ip proto v`, `ip6 proto v`, `ether proto v`.
    pub fn proto(&mut self, v: u32, proto: Proto, dir: Dir) -> R<Expr> {
        if dir != Dir::Default {
            return Err("direction applied to 'proto'".into());
        }
        match proto {
            Proto::Default => {
                let b0 = self.proto(v, Proto::Ip, dir)?;
                let b1 = self.proto(v, Proto::Ip6, dir)?;
                Ok(self.or(b0, b1))
            }
            // libpcap 1.10 takes every number as it is (`ether proto
            // 70000`, `ip proto 256`): the test then matches nothing.
            Proto::Link => self.linktype(v),
            Proto::Ip => {
                let b0 = self.linktype(et::IP)?;
                let b1 = self.cmp(OffRel::LinkPl, 9, op::B, v)?;
                Ok(self.and(b0, b1))
            }
            Proto::Ip6 => {
                let b0 = self.linktype(et::IPV6)?;
                let b2 = self.cmp(OffRel::LinkPl, 6, op::B, ipproto::FRAGMENT)?;
                let b1 = self.cmp(OffRel::LinkPl, 40, op::B, v)?;
                let b1 = self.and(b2, b1);
                let b2 = self.cmp(OffRel::LinkPl, 6, op::B, v)?;
                let b1 = self.or(b2, b1);
                Ok(self.and(b0, b1))
            }
            Proto::Iso => {
                let b0 = self.linktype(0xfe)?;
                let b1 = self.cmp(OffRel::LinkPlNoSnap, 0, op::B, v)?;
                Ok(self.and(b0, b1))
            }
            Proto::Isis => {
                let b0 = self.proto(0x83, Proto::Iso, Dir::Default)?;
                let b1 = self.cmp(OffRel::LinkPlNoSnap, 4, op::B, v)?;
                Ok(self.and(b0, b1))
            }
            other => Err(format!(
                "'{}' is not a valid qualifier for 'proto'",
                other.name()
            )),
        }
    }

    /// `llc`: an 802.3 frame with an 802.2 header, not Novell raw 802.3.
    fn llc_internal(&mut self) -> R<Expr> {
        if !self.is_ether() {
            return Err(format!("'llc' not supported on {}", self.dlt_name()));
        }
        let b0 = self.cmp_gt(OffRel::LinkType, 0, op::H, ETHERMTU)?;
        let b0 = Gen::not(b0);
        let b1 = self.cmp(OffRel::Llc, 0, op::H, 0xffff)?;
        let b1 = Gen::not(b1);
        Ok(self.and(b0, b1))
    }

    /// `llc [i|s|u|rr|rnr|rej|ui|ua|disc|dm|sabme|test|xid|frmr]`.
    pub fn llc(&mut self, kind: Option<&str>) -> R<Expr> {
        let b0 = self.llc_internal()?;
        let Some(kind) = kind else { return Ok(b0) };
        let b1 = match kind {
            "i" => {
                let s = self.load_a(OffRel::Llc, 2, op::B)?;
                let b = self.blk(s, JSET, 0x01);
                Gen::not(b)
            }
            "s" => self.mcmp(OffRel::Llc, 2, op::B, 0x01, 0x03)?,
            "u" => self.mcmp(OffRel::Llc, 2, op::B, 0x03, 0x03)?,
            "rr" => self.mcmp(OffRel::Llc, 2, op::B, 0x01, 0x0f)?,
            "rnr" => self.mcmp(OffRel::Llc, 2, op::B, 0x05, 0x0f)?,
            "rej" => self.mcmp(OffRel::Llc, 2, op::B, 0x09, 0x0f)?,
            other => {
                let v = match other {
                    "ui" => 0x03,
                    "ua" => 0x63,
                    "disc" => 0x43,
                    "dm" => 0x0f,
                    "sabme" => 0x6f,
                    "test" => 0xe3,
                    "xid" => 0xaf,
                    "frmr" => 0x87,
                    _ => return Err(format!("unknown LLC type name '{other}'")),
                };
                self.mcmp(OffRel::Llc, 2, op::B, v, 0xef)?
            }
        };
        Ok(self.and(b0, b1))
    }

    /// `less N` (`jgt` negated) and `greater N` (`jge`).
    pub fn len(&mut self, jmp: u16, n: u32) -> Expr {
        let s = self.st(op::LD | op::W | op::LEN, 0);
        self.blk(vec![s], jmp, n)
    }

    /// `byte N op V` (libpcap's gen_byteop): the byte at N of the link
    /// header compared with V. As libpcap 1.10 builds them, `&` and `|`
    /// never load the byte: they test `A & V` / `A | V` on whatever A holds
    /// (0 at the start of the program).
    pub fn byteop(&mut self, opc: char, idx: u32, v: u32) -> R<Expr> {
        match opc {
            '=' => self.cmp(OffRel::LinkHdr, idx, op::B, v),
            '<' => self.ncmp(OffRel::LinkHdr, idx, op::B, 0xffff_ffff, JGE, true, v),
            '>' => self.cmp_gt(OffRel::LinkHdr, idx, op::B, v),
            _ => {
                let alu = if opc == '|' { op::OR } else { op::AND };
                let s = self.st(op::ALU | alu | op::K, v);
                let b = self.blk(vec![s], JEQ, 0);
                Ok(Gen::not(b))
            }
        }
    }

    /// `inbound` / `outbound`.
    pub fn inbound(&mut self, outbound: bool) -> R<Expr> {
        const OUTGOING: u32 = 4;
        let word = if outbound { "outbound" } else { "inbound" };
        // After `pppoes` the link layer is PPP, which has no direction
        // field: libpcap's default case.
        let b0 = match self.linktype {
            LinkType::LinuxSll if !self.ppp => self.cmp(OffRel::LinkHdr, 0, op::H, OUTGOING)?,
            LinkType::LinuxSll2 if !self.ppp => self.cmp(OffRel::LinkHdr, 10, op::B, OUTGOING)?,
            // libpcap loads the packet type as a halfword, relative to the
            // link header (so `[x + k]` after a tunnel, as libpcap does).
            _ if self.linux_ext => self.cmp(
                OffRel::LinkHdr,
                crate::bpf::ancillary::OFF + crate::bpf::ancillary::PKTTYPE,
                op::H,
                OUTGOING,
            )?,
            _ => return Err(self.not_live(word)),
        };
        Ok(if outbound { b0 } else { Gen::not(b0) })
    }

    pub fn ifindex(&mut self, ifindex: u32) -> R<Expr> {
        match self.linktype {
            LinkType::LinuxSll2 if !self.ppp => self.cmp(OffRel::LinkHdr, 4, op::W, ifindex),
            _ if self.linux_ext => self.cmp(
                OffRel::LinkHdr,
                crate::bpf::ancillary::OFF + crate::bpf::ancillary::IFINDEX,
                op::W,
                ifindex,
            ),
            _ => Err(self.not_live("ifindex")),
        }
    }

    /// `inbound`, `outbound` and `ifindex` on a link type whose header
    /// does not carry them: only the kernel knows, on a live capture.
    fn not_live(&self, word: &str) -> String {
        format!(
            "'{word}' is not supported on {} when reading savefiles (the kernel \
             tells a live capture: `podcap tcpdump -i IFACE`, or `podcap compile \
             --linux-ext` for the program a live capture uses)",
            self.dlt_name()
        )
    }
}

#[derive(Clone, Copy)]
enum Which {
    Hdr,
    Pl,
    Type,
}
