//! eBPF datapaths that move a pod's packets past its host-side interface.
//!
//! Cilium's BPF host routing and Calico's eBPF dataplane redirect packets
//! with `bpf_redirect_peer` (from tc ingress of the NIC, a tunnel or
//! another pod's veth straight into the pod's namespace: the host veth
//! never sees them) and `bpf_redirect_neigh`; XDP programs redirect frames
//! before any packet socket sees them; a tc egress program on the host
//! veth runs before the capture tap. A capture on `lxc*`/`cali*` then
//! misses packets while looking complete.
//!
//! Asked of the kernel, never guessed from names: the clsact/ingress
//! hooks' `bpf` classifiers (RTM_GETTFILTER), tcx and netkit hooks
//! (BPF_PROG_QUERY), XDP (IFLA_XDP); each program by id
//! (BPF_OBJ_GET_INFO_BY_FD): name, type, tag, and the helpers its
//! translated instructions call. Helper calls are named by comparing
//! their targets with those of probe programs podcap loads (and never
//! attaches) that call each redirect helper once, so the answer holds
//! whatever the kernel build.

use super::{Capture, Ctx, Location, Method, Place};
use crate::netlink::tc::{PARENT_EGRESS, PARENT_INGRESS};
use crate::netlink::{Link, LinkKind, Socket};
use crate::sys::bpf::{self as sb, Insn};
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

/// Where a program is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    TcIngress,
    TcEgress,
    TcxIngress,
    TcxEgress,
    NetkitPrimary,
    NetkitPeer,
    /// `xdpdrv`, `xdpgeneric`, `xdpoffload`.
    Xdp(&'static str),
}

impl Hook {
    pub fn name(self) -> &'static str {
        match self {
            Hook::TcIngress => "tc ingress",
            Hook::TcEgress => "tc egress",
            Hook::TcxIngress => "tcx ingress",
            Hook::TcxEgress => "tcx egress",
            Hook::NetkitPrimary => "netkit primary",
            Hook::NetkitPeer => "netkit peer",
            Hook::Xdp(m) => m,
        }
    }

    fn ingress(self) -> bool {
        matches!(self, Hook::TcIngress | Hook::TcxIngress)
    }

    fn egress(self) -> bool {
        matches!(self, Hook::TcEgress | Hook::TcxEgress)
    }
}

/// What a program's instructions can do with a packet's way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Moves {
    /// It calls these redirect helpers (`bpf_redirect_peer`, ...), or
    /// tail-calls other programs (`bpf_tail_call`), which may.
    Calls(Vec<&'static str>),
    /// It calls none: it can pass or drop packets, not move them.
    Nothing,
    /// Cannot tell, and why.
    Unknown(String),
}

/// One program on one hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    pub ifname: String,
    pub ifindex: u32,
    pub hook: Hook,
    pub id: u32,
    pub name: String,
    /// `sched_cls`, `xdp`, ...
    pub kind: &'static str,
    pub tag: String,
    /// tc's direct-action flag (the program's verdict is the action).
    pub direct_action: bool,
    pub moves: Moves,
}

impl Attached {
    /// `tc ingress on eth0: bpf direct-action prog 42 cil_from_netdev
    /// (sched_cls, tag 0123456789abcdef)`.
    pub fn describe(&self) -> String {
        format!(
            "{} on {}: {}prog {} {}({}{})",
            self.hook.name(),
            self.ifname,
            if self.direct_action {
                "bpf direct-action "
            } else {
                ""
            },
            self.id,
            if self.name.is_empty() {
                String::new()
            } else {
                format!("{} ", self.name)
            },
            self.kind,
            if self.tag.is_empty() {
                String::new()
            } else {
                format!(", tag {}", self.tag)
            }
        )
    }

    fn moves_words(&self) -> String {
        match &self.moves {
            Moves::Calls(h) => format!("calls {}", h.join(", ")),
            Moves::Nothing => "calls no redirect helper".into(),
            Moves::Unknown(why) => format!("may redirect ({why})"),
        }
    }

    fn can_move(&self) -> bool {
        !matches!(self.moves, Moves::Nothing)
    }

    fn peer_redirect(&self) -> bool {
        match &self.moves {
            Moves::Calls(h) => h
                .iter()
                .any(|h| *h == "bpf_redirect_peer" || *h == "bpf_tail_call"),
            Moves::Nothing => false,
            Moves::Unknown(_) => true,
        }
    }
}

/// A program that can make a capture on the host interface miss packets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bypass {
    pub prog: Attached,
    /// Packets toward the pod (else: from the pod).
    pub toward_pod: bool,
    /// The sentence the evidence and `capture` print.
    pub why: String,
}

fn type_name(t: u32) -> &'static str {
    match t {
        sb::BPF_PROG_TYPE_SCHED_CLS => "sched_cls",
        sb::BPF_PROG_TYPE_SCHED_ACT => "sched_act",
        sb::BPF_PROG_TYPE_XDP => "xdp",
        _ => "other",
    }
}

const FUNC_TAIL_CALL: i32 = 12;
const OP_CALL: u8 = 0x85;

/// Helper call targets of this kernel, learned from probe programs.
struct Probes {
    /// (call imm, helper name), for sched_cls and for XDP programs.
    tc: Vec<(i32, &'static str)>,
    xdp: Vec<(i32, &'static str)>,
    why_not: Option<String>,
}

fn probe_one(prog_type: u32, setup: &[Insn], func: i32) -> Result<i32, String> {
    let mut insns = setup.to_vec();
    insns.push(Insn::new(OP_CALL, 0, 0, 0, func));
    insns.push(Insn::new(0x95, 0, 0, 0, 0));
    let fd =
        sb::prog_load(prog_type, &insns, "GPL", "podcap_probe").map_err(|(e, _)| e.to_string())?;
    let info = sb::prog_info(&fd, true).map_err(|e| e.to_string())?;
    let x = info.xlated.ok_or("its instructions cannot be read")?;
    x.iter()
        .find(|i| i.code == OP_CALL && i.src == 0)
        .map(|i| i.imm)
        .ok_or_else(|| "the probe has no call".to_string())
}

fn probes() -> &'static Probes {
    static P: OnceLock<Probes> = OnceLock::new();
    P.get_or_init(|| {
        let mov = |r: u8| Insn::new(0xb7, r, 0, 0, 0);
        let tc: [(&[Insn], i32, &'static str); 4] = [
            (&[mov(1), mov(2)], 23, "bpf_redirect"),
            (&[mov(1), mov(2)], 155, "bpf_redirect_peer"),
            (&[mov(1), mov(2), mov(3), mov(4)], 152, "bpf_redirect_neigh"),
            // r1 stays the context, as the helper wants it.
            (&[mov(2), mov(3)], 13, "bpf_clone_redirect"),
        ];
        let mut p = Probes {
            tc: Vec::new(),
            xdp: Vec::new(),
            why_not: None,
        };
        for (setup, f, name) in tc {
            match probe_one(sb::BPF_PROG_TYPE_SCHED_CLS, setup, f) {
                Ok(imm) => p.tc.push((imm, name)),
                Err(e) => p.why_not = Some(format!("probing {name}: {e}")),
            }
        }
        match probe_one(sb::BPF_PROG_TYPE_XDP, &[mov(1), mov(2)], 23) {
            Ok(imm) => p.xdp.push((imm, "bpf_redirect")),
            Err(e) => {
                p.why_not = p
                    .why_not
                    .take()
                    .or(Some(format!("probing XDP's bpf_redirect: {e}")))
            }
        }
        // A kernel that hides helper addresses from this process
        // (kernel.kptr_restrict) zeroes them all: nothing can be named.
        if p.tc.iter().any(|(imm, _)| *imm == 0) {
            p.tc.clear();
            p.xdp.clear();
            p.why_not = Some("the kernel hides helper addresses (kernel.kptr_restrict)".into());
        }
        p
    })
}

/// What the translated instructions `x` of a program of type `t` call.
fn classify(t: u32, x: &[Insn]) -> Moves {
    let p = probes();
    let table = if t == sb::BPF_PROG_TYPE_XDP {
        &p.xdp
    } else {
        &p.tc
    };
    let mut calls = Vec::new();
    let mut unnamed = false;
    for i in x.iter().filter(|i| i.code == OP_CALL && i.src == 0) {
        if i.imm == FUNC_TAIL_CALL {
            calls.push("bpf_tail_call");
        } else if let Some((_, n)) = table.iter().find(|(imm, _)| *imm == i.imm) {
            calls.push(*n);
        } else {
            unnamed = true;
        }
    }
    calls.sort_unstable();
    calls.dedup();
    if !calls.is_empty() {
        return Moves::Calls(calls);
    }
    if t == sb::BPF_PROG_TYPE_XDP && unnamed {
        // bpf_redirect_map becomes a call into the map's own code, which
        // no probe without a map names.
        return Moves::Unknown(
            "an XDP program's map redirects cannot be told from its other calls".into(),
        );
    }
    if table.is_empty() && unnamed {
        return Moves::Unknown(
            p.why_not
                .clone()
                .unwrap_or_else(|| "its helper calls cannot be named here".into()),
        );
    }
    Moves::Nothing
}

/// A program id on a hook, looked at.
fn look(link: &Link, hook: Hook, id: u32, direct_action: bool) -> Attached {
    let mut a = Attached {
        ifname: link.name.clone(),
        ifindex: link.ifindex,
        hook,
        id,
        name: String::new(),
        kind: "?",
        tag: String::new(),
        direct_action,
        moves: Moves::Unknown(String::new()),
    };
    match sb::prog_fd_by_id(id).and_then(|fd| sb::prog_info(&fd, true)) {
        Ok(info) => {
            a.name = info.name;
            a.kind = type_name(info.prog_type);
            a.tag = info.tag.iter().map(|b| format!("{b:02x}")).collect();
            a.moves = match &info.xlated {
                Some(x) => classify(info.prog_type, x),
                None => Moves::Unknown(
                    "its instructions cannot be read without CAP_SYS_ADMIN or CAP_BPF".into(),
                ),
            };
        }
        Err(e) => {
            a.moves = Moves::Unknown(format!(
                "BPF_PROG_GET_FD_BY_ID: {e}; CAP_SYS_ADMIN (or CAP_BPF) is needed"
            ));
        }
    }
    a
}

/// Every eBPF program on the interfaces of `nl`'s namespace (tc and tcx
/// hooks, netkit, XDP), and the reasons podcap could not see some.
pub fn programs(nl: &mut Socket) -> (Vec<Attached>, Vec<String>) {
    let mut out = Vec::new();
    let mut blind = Vec::new();
    let links = match nl.links() {
        Ok(l) => l,
        Err(e) => return (out, vec![format!("link dump: {}", e.why)]),
    };
    let by_idx: HashMap<u32, &Link> = links.iter().map(|l| (l.ifindex, l)).collect();
    match nl.qdiscs() {
        Ok(q) => {
            let mut hooked: BTreeMap<u32, bool> = BTreeMap::new();
            for q in q.iter().filter(|q| q.has_hooks()) {
                *hooked.entry(q.ifindex).or_default() |= q.kind == "clsact";
            }
            for (idx, clsact) in hooked {
                let Some(l) = by_idx.get(&idx) else { continue };
                let parents: &[(u32, Hook)] = if clsact {
                    &[
                        (PARENT_INGRESS, Hook::TcIngress),
                        (PARENT_EGRESS, Hook::TcEgress),
                    ]
                } else {
                    &[(PARENT_INGRESS, Hook::TcIngress)]
                };
                for (parent, hook) in parents {
                    match nl.filters(idx, *parent) {
                        Ok(fs) => {
                            for f in fs {
                                if let Some(b) = f.bpf {
                                    match b.id {
                                        Some(id) => out.push(look(l, *hook, id, b.direct_action)),
                                        None => blind.push(format!(
                                            "a bpf classifier on {} {} has no program id",
                                            l.name,
                                            hook.name()
                                        )),
                                    }
                                }
                            }
                        }
                        Err(e) => blind.push(format!(
                            "tc filter show dev {} {}: {}",
                            l.name,
                            hook.name(),
                            e.why
                        )),
                    }
                }
            }
        }
        Err(e) => blind.push(format!("tc qdisc show: {}", e.why)),
    }
    let mut tcx_err = None;
    for l in &links {
        let mut hooks = vec![
            (sb::BPF_TCX_INGRESS, Hook::TcxIngress),
            (sb::BPF_TCX_EGRESS, Hook::TcxEgress),
        ];
        if l.kind == LinkKind::Netkit {
            hooks.push((sb::BPF_NETKIT_PRIMARY, Hook::NetkitPrimary));
            hooks.push((sb::BPF_NETKIT_PEER, Hook::NetkitPeer));
        }
        for (at, hook) in hooks {
            match sb::prog_query(l.ifindex, at) {
                Ok(ids) => {
                    for id in ids {
                        out.push(look(l, hook, id, true));
                    }
                }
                // No tcx before 6.6, nothing attached here, or the link
                // went away: nothing to see.
                Err(e)
                    if matches!(
                        e.raw_os_error(),
                        Some(libc::EINVAL) | Some(libc::ENOENT) | Some(libc::ENODEV)
                    ) => {}
                Err(e) => tcx_err = Some(format!("BPF_PROG_QUERY (tcx): {e}")),
            }
        }
        for x in &l.xdp {
            out.push(look(l, Hook::Xdp(x.mode), x.id, true));
        }
    }
    blind.extend(tcx_err);
    (out, blind)
}

/// The pinned objects under `/sys/fs/bpf/tc/globals` (where Cilium and
/// iproute2 pin what tc programs share): how many, and a few names.
fn pinned() -> Option<String> {
    let dir = std::path::Path::new("/sys/fs/bpf/tc/globals");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if names.is_empty() {
        return None;
    }
    names.sort();
    let n = names.len();
    names.truncate(4);
    Some(format!(
        "bpffs {}: {n} pinned objects ({}{})",
        dir.display(),
        names.join(", "),
        if n > 4 { ", ..." } else { "" }
    ))
}

/// Finds what can hide the pod's packets from `loc.ifname`, records it as
/// evidence and decides where `capture` captures.
pub(super) fn assess(cx: &mut Ctx<'_>, loc: &mut Location) {
    if loc.remote.is_some()
        || !matches!(
            loc.method,
            Method::Bridge | Method::Routed | Method::PodNetns
        )
    {
        return;
    }
    let (progs, blind) = programs(&mut cx.nl);
    let host = loc.ifindex;
    let hostname = loc.ifname.clone();
    let mut bypass = Vec::new();
    let mut seen_only = Vec::new();
    for p in &progs {
        let toward = if p.ifindex == host {
            match p.hook {
                Hook::NetkitPrimary | Hook::NetkitPeer => Some(false),
                Hook::Xdp(_) => Some(false),
                h if h.egress() && p.can_move() => Some(true),
                _ => None,
            }
        } else {
            match p.hook {
                h if h.ingress() && p.peer_redirect() => Some(true),
                Hook::Xdp(_) if p.can_move() => Some(true),
                _ => None,
            }
        };
        match toward {
            Some(t) => {
                let why = match (t, p.hook) {
                    (true, Hook::Xdp(_)) => format!(
                        "frames it redirects never reach a packet socket, on {} or on {hostname}",
                        p.ifname
                    ),
                    (true, h) if h.egress() => format!(
                        "it runs before the capture tap on {hostname}: packets it redirects toward the pod are not seen there"
                    ),
                    (true, _) => format!(
                        "packets for the pod can enter its namespace without crossing {hostname}"
                    ),
                    (false, Hook::Xdp(_)) => format!(
                        "frames the pod sends can be redirected before a packet socket on {hostname} sees them"
                    ),
                    (false, _) => format!(
                        "it runs in the pod's transmit path: packets it redirects never appear on {hostname}"
                    ),
                };
                bypass.push(Bypass {
                    prog: p.clone(),
                    toward_pod: t,
                    why: format!("eBPF: {}, {}: {why}", p.describe(), p.moves_words()),
                });
            }
            None => seen_only.push(p),
        }
    }
    if let Some(pin) = pinned() {
        cx.step(format!("eBPF: {pin}"));
    }
    for b in &bypass {
        cx.step(b.why.clone());
    }
    for p in seen_only
        .iter()
        .filter(|p| p.ifindex == host && p.hook.ingress() && p.can_move())
    {
        cx.step(format!(
            "eBPF: {}, {}: the pod's outgoing packets are seen on {hostname} before it runs, \
             but may skip the node's later hops",
            p.describe(),
            p.moves_words()
        ));
    }
    if bypass.is_empty() {
        let others = seen_only.len();
        match (progs.is_empty(), blind.is_empty()) {
            (true, true) => cx.step(format!(
                "eBPF: no tc, tcx or XDP program on this node's interfaces: {hostname} sees all of the pod's packets"
            )),
            (false, true) => cx.step(format!(
                "eBPF: {others} program{} attached, none can move the pod's packets past {hostname}",
                if others == 1 { "" } else { "s" }
            )),
            (_, false) => cx.step(format!(
                "eBPF: cannot tell whether programs move the pod's packets past {hostname} ({}); \
                 on an eBPF CNI (Cilium, Calico eBPF) capture with --inside",
                blind.join("; ")
            )),
        }
        return;
    }
    let first = bypass[0].why.clone();
    loc.bypass = bypass;
    match &loc.pod {
        Some(p) => {
            loc.capture = Capture {
                place: Place::Inside,
                why: Some(format!(
                    "capturing inside the pod ({} in {}): {}",
                    p.ifname,
                    p.netns.display(),
                    first.trim_start_matches("eBPF: ")
                )),
            };
        }
        None => {
            loc.capture.why = Some(format!(
                "WARNING: {first}; the pod's namespace was not found, so podcap captures on {hostname} anyway"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_names_tail_calls_without_probes() {
        let x = [
            Insn::new(OP_CALL, 0, 0, 0, FUNC_TAIL_CALL),
            Insn::new(0x95, 0, 0, 0, 0),
        ];
        assert_eq!(
            classify(sb::BPF_PROG_TYPE_SCHED_CLS, &x),
            Moves::Calls(vec!["bpf_tail_call"])
        );
        let none = [Insn::new(0xb7, 0, 0, 0, 0), Insn::new(0x95, 0, 0, 0, 0)];
        assert_eq!(classify(sb::BPF_PROG_TYPE_SCHED_CLS, &none), Moves::Nothing);
    }

    #[test]
    fn hooks_read_as_tc_prints_them() {
        assert_eq!(Hook::TcIngress.name(), "tc ingress");
        assert_eq!(Hook::Xdp("xdpgeneric").name(), "xdpgeneric");
        assert!(Hook::TcxIngress.ingress() && !Hook::TcxIngress.egress());
    }
}
