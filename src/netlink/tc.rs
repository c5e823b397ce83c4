//! Traffic control (`struct tcmsg` + TCA_* attributes), as `tc qdisc
//! show` and `tc filter show` read them: which interfaces have a clsact
//! (or ingress) qdisc, and the `bpf` classifiers attached to its ingress
//! and egress hooks (program id, name, tag, direct-action). eBPF CNIs
//! (Cilium, Calico's eBPF dataplane) attach their programs there, and a
//! program that redirects packets can move them past the interface a
//! capture listens on.

use super::wire::{self, Request, split_fixed};
use super::{AF_UNSPEC, Socket};
use crate::Result;

pub const RTM_NEWQDISC: u16 = 36;
pub const RTM_GETQDISC: u16 = 38;
pub const RTM_NEWTFILTER: u16 = 44;
pub const RTM_GETTFILTER: u16 = 46;

pub const TCA_KIND: u16 = 1;
pub const TCA_OPTIONS: u16 = 2;

pub const TCA_BPF_NAME: u16 = 7;
pub const TCA_BPF_FLAGS: u16 = 8;
pub const TCA_BPF_TAG: u16 = 10;
pub const TCA_BPF_ID: u16 = 11;
/// `TCA_BPF_FLAGS`: the program's return value is the action (`da`).
pub const TCA_BPF_FLAG_ACT_DIRECT: u32 = 1;

/// `TC_H_INGRESS`, also `TC_H_CLSACT`: the handle of both qdiscs.
pub const TC_H_INGRESS: u32 = 0xffff_fff1;
/// Filter parents of clsact's two hooks (`tc filter ... ingress|egress`);
/// the ingress one also names the ingress qdisc's hook.
pub const PARENT_INGRESS: u32 = 0xffff_fff2;
pub const PARENT_EGRESS: u32 = 0xffff_fff3;

/// `struct tcmsg` (20 bytes).
pub fn tcmsg(ifindex: i32, parent: u32) -> [u8; 20] {
    let mut b = [0u8; 20];
    b[0] = AF_UNSPEC;
    b[4..8].copy_from_slice(&ifindex.to_ne_bytes());
    b[12..16].copy_from_slice(&parent.to_ne_bytes());
    b
}

/// One qdisc.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Qdisc {
    pub ifindex: u32,
    pub handle: u32,
    pub parent: u32,
    /// `clsact`, `ingress`, `noqueue`, `fq_codel`, ...
    pub kind: String,
}

impl Qdisc {
    /// Parses an RTM_NEWQDISC payload.
    pub fn parse(payload: &[u8]) -> Result<Qdisc> {
        let (h, attrs) = split_fixed(payload, 20, "qdisc message (tcmsg)")?;
        let u = |at: usize| u32::from_ne_bytes([h[at], h[at + 1], h[at + 2], h[at + 3]]);
        let mut q = Qdisc {
            ifindex: u(4),
            handle: u(8),
            parent: u(12),
            kind: String::new(),
        };
        for a in attrs {
            if a.kind == TCA_KIND {
                q.kind = a.string();
            }
        }
        Ok(q)
    }

    /// Whether it carries the classifier hooks eBPF programs attach to.
    pub fn has_hooks(&self) -> bool {
        self.kind == "clsact" || self.kind == "ingress"
    }
}

/// The `bpf` classifier's options.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BpfFilter {
    /// The program id (`bpftool prog show id N`).
    pub id: Option<u32>,
    /// The name tc was given (object file and section, or `pinned` path).
    pub name: Option<String>,
    pub tag: Option<[u8; 8]>,
    /// Direct-action: the program's return value is the verdict, so it
    /// can drop or redirect by itself.
    pub direct_action: bool,
}

/// One classifier on a hook.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    pub ifindex: u32,
    pub parent: u32,
    pub handle: u32,
    pub prio: u16,
    /// Ethertype (network order in the kernel; host order here).
    pub protocol: u16,
    /// `bpf`, `u32`, `flower`, `matchall`, ...
    pub kind: String,
    pub bpf: Option<BpfFilter>,
}

impl Filter {
    /// Parses an RTM_NEWTFILTER payload.
    pub fn parse(payload: &[u8]) -> Result<Filter> {
        let (h, attrs) = split_fixed(payload, 20, "filter message (tcmsg)")?;
        let u = |at: usize| u32::from_ne_bytes([h[at], h[at + 1], h[at + 2], h[at + 3]]);
        let info = u(16);
        let mut f = Filter {
            ifindex: u(4),
            handle: u(8),
            parent: u(12),
            prio: (info >> 16) as u16,
            protocol: u16::from_be(info as u16),
            kind: String::new(),
            bpf: None,
        };
        let mut options = None;
        for a in attrs {
            match a.kind {
                TCA_KIND => f.kind = a.string(),
                TCA_OPTIONS => options = Some(a),
                _ => {}
            }
        }
        if let (Some(o), "bpf") = (options, f.kind.as_str()) {
            let mut b = BpfFilter::default();
            for a in o.nested() {
                match a.kind {
                    TCA_BPF_ID => b.id = a.u32(),
                    TCA_BPF_NAME => b.name = Some(a.string()),
                    TCA_BPF_TAG => b.tag = a.value.get(..8).and_then(|t| t.try_into().ok()),
                    TCA_BPF_FLAGS => {
                        b.direct_action = a.u32().unwrap_or(0) & TCA_BPF_FLAG_ACT_DIRECT != 0
                    }
                    _ => {}
                }
            }
            f.bpf = Some(b);
        }
        Ok(f)
    }

    /// `ingress` or `egress` for clsact's hooks, else the parent handle as
    /// tc prints it.
    pub fn hook_name(&self) -> String {
        match self.parent {
            PARENT_INGRESS | 0xffff_0000 => "ingress".into(),
            PARENT_EGRESS => "egress".into(),
            p => format!("{:x}:{:x}", p >> 16, p & 0xffff),
        }
    }
}

impl Socket {
    /// Every qdisc of every interface (`tc qdisc show`), one dump.
    pub fn qdiscs(&mut self) -> Result<Vec<Qdisc>> {
        let req = Request::new(RTM_GETQDISC, wire::NLM_F_DUMP, &tcmsg(0, 0));
        self.dump("qdisc dump", req, RTM_NEWQDISC, Qdisc::parse)
    }

    /// The classifiers on `ifindex`'s hook `parent` ([`PARENT_INGRESS`],
    /// [`PARENT_EGRESS`]), as `tc filter show dev DEV ingress` lists
    /// them. An interface without that hook answers EINVAL: no filters.
    pub fn filters(&mut self, ifindex: u32, parent: u32) -> Result<Vec<Filter>> {
        let idx = i32::try_from(ifindex).unwrap_or(i32::MAX);
        let req = Request::new(RTM_GETTFILTER, wire::NLM_F_DUMP, &tcmsg(idx, parent));
        match self.dump("filter dump", req, RTM_NEWTFILTER, Filter::parse) {
            Ok(mut v) => {
                // A chain's head comes as a message without a kind.
                v.retain(|f| !f.kind.is_empty() && f.ifindex == ifindex);
                Ok(v)
            }
            Err(e) if matches!(e.errno, Some(libc::EINVAL) | Some(libc::ENOENT)) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::link::tests::attr;

    #[test]
    fn parses_a_direct_action_bpf_filter() {
        let mut b = tcmsg(7, PARENT_INGRESS).to_vec();
        // prio 1, protocol all (0x0003 in network order)
        b[16..20].copy_from_slice(&((1u32 << 16) | u32::from(0x0003u16.to_be())).to_ne_bytes());
        b[8..12].copy_from_slice(&1u32.to_ne_bytes());
        b.extend(attr(TCA_KIND, b"bpf\0"));
        let mut o = attr(TCA_BPF_ID, &42u32.to_ne_bytes());
        o.extend(attr(TCA_BPF_NAME, b"cil_from_netdev\0"));
        o.extend(attr(TCA_BPF_FLAGS, &1u32.to_ne_bytes()));
        o.extend(attr(TCA_BPF_TAG, &[1, 2, 3, 4, 5, 6, 7, 8]));
        b.extend(attr(TCA_OPTIONS | 0x8000, &o));
        let f = Filter::parse(&b).unwrap();
        assert_eq!(f.ifindex, 7);
        assert_eq!(f.prio, 1);
        assert_eq!(f.protocol, 3);
        assert_eq!(f.hook_name(), "ingress");
        let bpf = f.bpf.unwrap();
        assert_eq!(bpf.id, Some(42));
        assert_eq!(bpf.name.as_deref(), Some("cil_from_netdev"));
        assert!(bpf.direct_action);
        assert_eq!(bpf.tag, Some([1, 2, 3, 4, 5, 6, 7, 8]));
    }

    #[test]
    fn parses_qdiscs_and_refuses_short_ones() {
        let mut b = tcmsg(3, TC_H_INGRESS).to_vec();
        b[8..12].copy_from_slice(&0xffff_0000u32.to_ne_bytes());
        b.extend(attr(TCA_KIND, b"clsact\0"));
        let q = Qdisc::parse(&b).unwrap();
        assert_eq!((q.ifindex, q.kind.as_str()), (3, "clsact"));
        assert!(q.has_hooks());
        assert!(Qdisc::parse(&b[..10]).is_err());
        assert!(Filter::parse(&b[..19]).is_err());
    }
}
