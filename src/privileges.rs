//! Why the kernel said no, and the fix that applies to this process.
//!
//! "Add NET_RAW" is the wrong advice for a non-root container that already
//! has NET_RAW in its bounding set (a non-root process starts with no
//! capabilities whatever the bounding set allows), and "CAP_SYS_ADMIN" is
//! the wrong one when it is CAP_SYS_PTRACE that opening another process's
//! `/proc/PID/ns/net` lacks. So when an operation is refused, podcap reads
//! its own state — `/proc/thread-self/status` (Uid, CapEff, CapPrm, CapBnd,
//! CapAmb, NoNewPrivs), the binary's file capabilities (the
//! `security.capability` attribute of `/proc/self/exe`), whether it runs in
//! a container, a user namespace or its own PID namespace — and [`advise`]
//! names the fix for that state. [`crate::Error::os`] calls it for every
//! EPERM/EACCES that names a capability, so call sites only say which
//! capability the operation needs.

use std::path::{Path, PathBuf};

/// Capability numbers (linux/capability.h) podcap's operations need.
pub mod cap {
    pub const SETGID: u8 = 6;
    pub const SETUID: u8 = 7;
    pub const NET_ADMIN: u8 = 12;
    pub const NET_RAW: u8 = 13;
    pub const SYS_PTRACE: u8 = 19;
    pub const SYS_ADMIN: u8 = 21;
}

/// linux/capability.h's names, by number (CAP_ prefix dropped).
const NAMES: [&str; 41] = [
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
];

/// The number of a capability given as `CAP_NET_RAW`, `NET_RAW` or
/// `cap_net_raw`.
pub fn cap_number(name: &str) -> Option<u8> {
    let up = name.to_ascii_uppercase();
    let short = up.strip_prefix("CAP_").unwrap_or(&up);
    NAMES.iter().position(|n| *n == short).map(|i| i as u8)
}

/// `NET_RAW` for 13; `CAP_42` for numbers newer than the table.
pub fn cap_name(n: u8) -> String {
    NAMES
        .get(n as usize)
        .map(|s| s.to_string())
        .unwrap_or_else(|| format!("CAP_{n}"))
}

fn has(set: u64, n: u8) -> bool {
    n < 64 && set & (1u64 << n) != 0
}

/// A binary's file capabilities (`security.capability`, struct
/// vfs_cap_data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileCaps {
    /// The attribute is absent: `setcap` was never run on this copy, or
    /// the copy dropped it.
    None,
    Set {
        permitted: u64,
        inheritable: u64,
        /// `+e`: the permitted ones are made effective at exec.
        effective: bool,
    },
    /// Could not be read (the reason); nothing is concluded from it.
    Unknown(String),
}

impl FileCaps {
    /// Parses a vfs_cap_data value: revision 1 (32-bit sets), 2 (64-bit)
    /// or 3 (64-bit plus the user namespace's root uid), little-endian.
    pub fn parse(v: &[u8]) -> FileCaps {
        let word = |i: usize| {
            v.get(i * 4..i * 4 + 4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };
        let Some(magic) = word(0) else {
            return FileCaps::Unknown(format!("{}-byte security.capability", v.len()));
        };
        let effective = magic & 1 != 0;
        let pairs = match (magic & 0xff00_0000, v.len()) {
            (0x0100_0000, 12) => 1,
            (0x0200_0000, 20) | (0x0300_0000, 24) => 2,
            _ => {
                return FileCaps::Unknown(format!(
                    "security.capability revision 0x{:08x} of {} bytes",
                    magic & 0xff00_0000,
                    v.len()
                ));
            }
        };
        let (mut permitted, mut inheritable) = (0u64, 0u64);
        for i in 0..pairs {
            let (p, h) = (word(1 + 2 * i), word(2 + 2 * i));
            permitted |= u64::from(p.unwrap_or(0)) << (32 * i);
            inheritable |= u64::from(h.unwrap_or(0)) << (32 * i);
        }
        FileCaps::Set {
            permitted,
            inheritable,
            effective,
        }
    }

    fn permits(&self, n: u8) -> bool {
        matches!(self, FileCaps::Set { permitted, .. } if has(*permitted, n))
    }
}

/// Where the process runs, as far as it can tell, and the evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub kubernetes: bool,
    /// E.g. "KUBERNETES_SERVICE_HOST is set".
    pub evidence: String,
}

/// What the kernel checks when it decides whether this thread may do
/// something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessState {
    pub uid: u32,
    pub euid: u32,
    pub effective: u64,
    pub permitted: u64,
    pub inheritable: u64,
    pub bounding: u64,
    pub ambient: u64,
    pub no_new_privs: bool,
    /// The running binary, as /proc/self/exe names it.
    pub exe: Option<PathBuf>,
    pub file_caps: FileCaps,
    pub container: Option<Container>,
    /// In a user namespace other than the initial one: how uid 0 maps
    /// (e.g. "uid 0 here is uid 100000 outside").
    pub user_ns: Option<String>,
    /// In the initial PID namespace (sees every process on the machine:
    /// a pod with hostPID, or no container). `None` when unreadable.
    pub host_pid: Option<bool>,
}

/// The initial namespaces' inode numbers (include/linux/proc_ns.h).
const PROC_USER_INIT_INO: u64 = 0xEFFF_FFFD;
const PROC_PID_INIT_INO: u64 = 0xEFFF_FFFC;

impl Default for ProcessState {
    fn default() -> Self {
        ProcessState {
            uid: 0,
            euid: 0,
            effective: 0,
            permitted: 0,
            inheritable: 0,
            bounding: 0,
            ambient: 0,
            no_new_privs: false,
            exe: None,
            file_caps: FileCaps::Unknown("not read".into()),
            container: None,
            user_ns: None,
            host_pid: None,
        }
    }
}

impl ProcessState {
    /// The calling thread's state, read now. Anything unreadable is left
    /// at a value that makes [`advise`] say less, never something wrong.
    pub fn read() -> ProcessState {
        let status = std::fs::read_to_string("/proc/thread-self/status")
            .or_else(|_| std::fs::read_to_string("/proc/self/status"))
            .unwrap_or_default();
        let mut st = ProcessState::from_status(&status);
        st.exe = std::fs::read_link("/proc/self/exe").ok();
        st.file_caps =
            match crate::sys::xattr::get(Path::new("/proc/self/exe"), "security.capability") {
                Ok(Some(v)) => FileCaps::parse(&v),
                Ok(None) => FileCaps::None,
                Err(e) => FileCaps::Unknown(e.to_string()),
            };
        st.container = detect_container();
        let ns_ino = |kind: &str| {
            let l = std::fs::read_link(format!("/proc/self/ns/{kind}")).ok()?;
            ns_inode(&l.to_string_lossy())
        };
        st.user_ns = match ns_ino("user") {
            Some(PROC_USER_INIT_INO) | None => None,
            Some(_) => Some(
                std::fs::read_to_string("/proc/self/uid_map")
                    .ok()
                    .and_then(|m| describe_uid_map(&m))
                    .unwrap_or_else(|| "uids are mapped".into()),
            ),
        };
        st.host_pid = ns_ino("pid").map(|i| i == PROC_PID_INIT_INO);
        st
    }

    /// The fields of a `/proc/PID/status` text; the rest stays default.
    pub fn from_status(text: &str) -> ProcessState {
        let mut st = ProcessState::default();
        for line in text.lines() {
            let Some((key, val)) = line.split_once(':') else {
                continue;
            };
            let val = val.trim();
            let hex = || u64::from_str_radix(val, 16).unwrap_or(0);
            match key {
                "Uid" => {
                    let mut ids = val.split_whitespace().map(|w| w.parse().unwrap_or(0));
                    st.uid = ids.next().unwrap_or(0);
                    st.euid = ids.next().unwrap_or(st.uid);
                }
                "CapInh" => st.inheritable = hex(),
                "CapPrm" => st.permitted = hex(),
                "CapEff" => st.effective = hex(),
                "CapBnd" => st.bounding = hex(),
                "CapAmb" => st.ambient = hex(),
                "NoNewPrivs" => st.no_new_privs = val == "1",
                _ => {}
            }
        }
        st
    }

    fn exe_text(&self) -> String {
        self.exe
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "podcap".into())
    }

    /// One line of evidence for the hint: who the process is and what it
    /// holds.
    fn summary(&self, n: u8) -> String {
        let name = cap_name(n);
        let yes = |b: bool| if b { "yes" } else { "no" };
        let mut s = format!(
            "(this process: uid {}, {name} effective {}, permitted {}, bounding {}, ambient {}; NoNewPrivs {}",
            self.euid,
            yes(has(self.effective, n)),
            yes(has(self.permitted, n)),
            yes(has(self.bounding, n)),
            yes(has(self.ambient, n)),
            u8::from(self.no_new_privs),
        );
        match &self.file_caps {
            FileCaps::None => s += &format!("; {} has no file capabilities", self.exe_text()),
            FileCaps::Set { .. } => s += &format!("; {} has file capabilities", self.exe_text()),
            FileCaps::Unknown(_) => {}
        }
        if let Some(c) = &self.container {
            s += &format!("; in a container: {}", c.evidence);
        }
        if let Some(u) = &self.user_ns {
            s += &format!("; in a user namespace: {u}");
        }
        s += ")";
        s
    }
}

/// `pid:[4026531836]` → 4026531836.
fn ns_inode(link: &str) -> Option<u64> {
    let inner = link.split_once('[')?.1.strip_suffix(']')?;
    inner.parse().ok()
}

/// The first line of a uid_map, in words; `None` for the identity map of
/// the initial namespace.
fn describe_uid_map(map: &str) -> Option<String> {
    let mut w = map.lines().next()?.split_whitespace();
    let (inside, outside, count): (u64, u64, u64) = (
        w.next()?.parse().ok()?,
        w.next()?.parse().ok()?,
        w.next()?.parse().ok()?,
    );
    if inside == 0 && outside == 0 && count == 4_294_967_295 {
        return None;
    }
    let ids = if count == 1 {
        "1 id".to_string()
    } else {
        format!("{count} ids")
    };
    Some(format!(
        "uid {inside} here is uid {outside} outside, {ids} mapped"
    ))
}

/// Evidence that the process runs in a container, strongest first.
fn detect_container() -> Option<Container> {
    let k8s = |evidence: &str| {
        Some(Container {
            kubernetes: true,
            evidence: evidence.into(),
        })
    };
    let other = |evidence: String| {
        Some(Container {
            kubernetes: false,
            evidence,
        })
    };
    if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
        return k8s("a Kubernetes pod (KUBERNETES_SERVICE_HOST is set)");
    }
    if Path::new("/var/run/secrets/kubernetes.io/serviceaccount").exists() {
        return k8s("a Kubernetes pod (a service account token is mounted)");
    }
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    if cgroup.contains("kubepods") {
        return k8s("a Kubernetes pod (its cgroup is under kubepods)");
    }
    if Path::new("/run/.containerenv").exists() {
        return other("a podman container (/run/.containerenv)".into());
    }
    if Path::new("/.dockerenv").exists() {
        return other("a Docker container (/.dockerenv)".into());
    }
    for (word, runtime) in [
        ("docker", "Docker"),
        ("containerd", "containerd"),
        ("crio", "CRI-O"),
        ("libpod", "podman"),
    ] {
        if cgroup.contains(word) {
            return other(format!("a {runtime} container (its cgroup names {word})"));
        }
    }
    None
}

/// Continuation lines of a hint line up under its first word
/// (`  hint: ` in [`crate::Error`]'s display).
const NEXT_LINE: &str = "\n        ";

/// The fix for an operation refused with EPERM/EACCES that needs
/// capability `n`, for the process in state `st`: what it lacks, why, and
/// what to change, one sentence a line, ending with the evidence it was
/// decided from.
pub fn advise(n: u8, st: &ProcessState) -> String {
    let name = format!("CAP_{}", cap_name(n));
    let short = cap_name(n);
    let low = name.to_ascii_lowercase();
    let exe = st.exe_text();
    let entering = n == cap::SYS_ADMIN || n == cap::SYS_PTRACE;
    let mut out = vec![format!("{name} is needed.")];
    if entering {
        out.push(
            "Entering another process's network namespace needs CAP_SYS_PTRACE (to open \
             /proc/PID/ns/net of a process with other credentials: the ptrace access check) \
             and CAP_SYS_ADMIN (for setns), and from a pod hostPID: true to see the node's \
             processes; `kubectl debug node/NODE --profile=sysadmin` has all three."
                .into(),
        );
        let other = if n == cap::SYS_ADMIN {
            cap::SYS_PTRACE
        } else {
            cap::SYS_ADMIN
        };
        if !has(st.effective, other) {
            out.push(format!("CAP_{} is missing too.", cap_name(other)));
        }
        if st.host_pid == Some(false) {
            out.push(
                "This process is in a PID namespace of its own, so it sees only its \
                 container's processes: run it with hostPID: true, or on the node."
                    .into(),
            );
        }
    }
    if has(st.effective, n) {
        if let Some(map) = &st.user_ns {
            out.push(format!(
                "podcap has {name}, but in a user namespace ({map}), and capabilities there \
                 do not reach namespaces owned by the node: run it in the node's user \
                 namespace (a pod without hostUsers: false; not rootless podman or docker)."
            ));
        } else if n == cap::SYS_PTRACE {
            out.push(
                "podcap has CAP_SYS_PTRACE, so a security module refused: AppArmor or SELinux \
                 forbids reading other processes (the default AppArmor profiles of docker and \
                 containerd do); in a pod, `securityContext: {appArmorProfile: {type: \
                 Unconfined}}`, or a privileged debug pod."
                    .into(),
            );
        } else {
            out.push(format!(
                "podcap has {name} in effect, so the kernel refused for another reason: a \
                 seccomp filter or a security module (AppArmor, SELinux); in a pod, \
                 `securityContext: {{seccompProfile: {{type: Unconfined}}}}`, or a privileged \
                 debug pod (`kubectl debug node/NODE --profile=sysadmin`)."
            ));
        }
    } else if !has(st.bounding, n) {
        if st.container.is_some() {
            out.push(format!(
                "It is not in this process's bounding set, so nothing started in this \
                 container can gain it, not as root and not with setcap: add it to the \
                 container, `securityContext: {{capabilities: {{add: [\"{short}\"]}}}}` \
                 (docker and podman: --cap-add={short})."
            ));
            if n == cap::NET_RAW {
                out.push(
                    "Pod Security \"baseline\" and \"restricted\" refuse adding NET_RAW, and \
                     CRI-O leaves it out by default (containerd grants it): where that is so, \
                     capture from the node instead (`kubectl podcap POD`, node mode)."
                        .into(),
                );
            }
        } else {
            out.push(
                "It is not in this process's bounding set, so nothing it starts can gain it, \
                 not as root and not with setcap: whatever started podcap dropped it (capsh \
                 --drop, setpriv --bounding-set, systemd's CapabilityBoundingSet=); start podcap \
                 from a shell that still has it."
                    .into(),
            );
        }
    } else if st.euid != 0 {
        if st.file_caps.permits(n) {
            out.push(if st.no_new_privs {
                format!(
                    "{exe} has file capabilities with {short}, but no_new_privs is set, which \
                     makes exec ignore them (a pod's `allowPrivilegeEscalation: false`, \
                     systemd's NoNewPrivileges=): set allowPrivilegeEscalation: true, or run as \
                     root (`securityContext: {{runAsUser: 0}}`)."
                )
            } else if matches!(
                st.file_caps,
                FileCaps::Set {
                    effective: false,
                    ..
                }
            ) {
                format!(
                    "{exe} has {low} as a file capability without the effective flag: set it \
                     with `setcap {low}+ep {exe}`."
                )
            } else {
                format!(
                    "{exe} has file capabilities with {short}, but exec did not apply them: the \
                     file system holding it is mounted nosuid; copy it to one that is not, or \
                     run as root."
                )
            });
        } else {
            out.push(format!(
                "podcap runs as uid {} and {short} is in its bounding set{}, but a process that \
                 is not root starts with no capabilities at all, so adding {short} again \
                 cannot help.",
                st.euid,
                if st.container.is_some() {
                    " (the container allows it)"
                } else {
                    ""
                },
            ));
            out.push(format!(
                "Run it as root (`securityContext: {{runAsUser: 0}}`, with runAsNonRoot unset), \
                 or start it with {short} as an ambient capability (`setpriv \
                 --inh-caps=+{l} --ambient-caps=+{l}`, `capsh --addamb={low}`; a pod spec has \
                 no field for ambient capabilities), or give the binary the file capability as \
                 root: `setcap {low}+ep {exe}`.",
                l = short.to_ascii_lowercase(),
            ));
            if st.file_caps == FileCaps::None {
                out.push(format!(
                    "{exe} has no file capabilities now: they live in an extended attribute \
                     that kubectl cp, tar without --xattrs, scp and `cat >` do not copy, so a \
                     `setcap` made before the copy is lost."
                ));
            }
            if st.no_new_privs {
                out.push(
                    "no_new_privs is set (allowPrivilegeEscalation: false), which makes exec \
                     ignore file capabilities: set allowPrivilegeEscalation: true as well."
                        .into(),
                );
            }
        }
    } else {
        out.push(format!(
            "podcap runs as root but {name} is not in effect although the bounding set allows \
             it: whatever started podcap cleared it (setpriv --inh-caps, capsh --caps, \
             SECBIT_NOROOT); start it as plain root."
        ));
    }
    if n == cap::NET_RAW && st.container.is_none() {
        out.push(
            "Or run podcap where it has the capability and enter the pod's namespace with \
             --netns."
                .into(),
        );
    }
    out.push(st.summary(n));
    out.join(NEXT_LINE)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// containerd's default capabilities, as `/proc/self/status` shows
    /// them in a container (CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID
    /// SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD
    /// AUDIT_WRITE SETFCAP).
    const CONTAINERD: u64 = 0x0000_0000_a804_25fb;

    fn status(uid: u32, eff: u64, bnd: u64, nnp: bool) -> ProcessState {
        let text = format!(
            "Name:\tpodcap\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\nCapInh:\t0000000000000000\n\
             CapPrm:\t{eff:016x}\nCapEff:\t{eff:016x}\nCapBnd:\t{bnd:016x}\n\
             CapAmb:\t0000000000000000\nNoNewPrivs:\t{}\n",
            u8::from(nnp)
        );
        let mut st = ProcessState::from_status(&text);
        st.exe = Some("/tmp/podcap".into());
        st.file_caps = FileCaps::None;
        st.container = Some(Container {
            kubernetes: true,
            evidence: "a Kubernetes pod (KUBERNETES_SERVICE_HOST is set)".into(),
        });
        st
    }

    #[test]
    fn status_fields() {
        let st = status(1000, 0, CONTAINERD, true);
        assert_eq!((st.uid, st.euid), (1000, 1000));
        assert_eq!(st.bounding, CONTAINERD);
        assert!(has(st.bounding, cap::NET_RAW));
        assert!(!has(st.bounding, cap::NET_ADMIN));
        assert!(st.no_new_privs);
        assert_eq!(cap_number("CAP_NET_RAW"), Some(13));
        assert_eq!(cap_number("sys_ptrace"), Some(19));
        assert_eq!(cap_name(21), "SYS_ADMIN");
        assert_eq!(cap_name(60), "CAP_60");
    }

    /// The case: runAsUser 1000 with NET_RAW in the bounding set.
    /// Adding NET_RAW cannot help; runAsUser 0 or ambient capabilities do.
    #[test]
    fn non_root_with_capability_only_in_bounding_set() {
        let h = advise(cap::NET_RAW, &status(1000, 0, CONTAINERD, false));
        assert!(h.contains("runAsUser: 0"), "{h}");
        assert!(h.contains("cannot help"), "{h}");
        assert!(h.contains("ambient"), "{h}");
        assert!(!h.contains("add: [\"NET_RAW\"]"), "{h}");
        assert!(h.contains("kubectl cp"), "{h}");
    }

    #[test]
    fn capability_absent_from_bounding_set() {
        let h = advise(cap::NET_RAW, &status(0, 0, CONTAINERD & !(1 << 13), false));
        assert!(h.contains("capabilities: {add: [\"NET_RAW\"]}"), "{h}");
        assert!(h.contains("not in this process's bounding set"), "{h}");
        assert!(h.contains("Pod Security"), "{h}");
        assert!(!h.contains("runAsUser"), "{h}");
        let mut host = status(0, 0, 0, false);
        host.container = None;
        let h = advise(cap::NET_RAW, &host);
        assert!(h.contains("setpriv --bounding-set"), "{h}");
    }

    #[test]
    fn entering_a_namespace_names_ptrace_admin_and_host_pid() {
        let mut st = status(0, CONTAINERD, CONTAINERD, false);
        st.host_pid = Some(false);
        let h = advise(cap::SYS_PTRACE, &st);
        assert!(h.contains("CAP_SYS_PTRACE is needed"), "{h}");
        assert!(h.contains("CAP_SYS_ADMIN is missing too"), "{h}");
        assert!(h.contains("hostPID: true"), "{h}");
        assert!(h.contains("PID namespace of its own"), "{h}");
        assert!(h.contains("add: [\"SYS_PTRACE\"]"), "{h}");
        let all = status(0, 0x1ff_ffff_ffff, 0x1ff_ffff_ffff, false);
        let h = advise(cap::SYS_PTRACE, &all);
        assert!(h.contains("security module"), "{h}");
        assert!(!h.contains("missing too"), "{h}");
    }

    #[test]
    fn file_capabilities_lost_ignored_or_without_effective_flag() {
        let mut st = status(1000, 0, CONTAINERD, false);
        let h = advise(cap::NET_RAW, &st);
        assert!(h.contains("has no file capabilities now"), "{h}");
        st.file_caps = FileCaps::Set {
            permitted: 1 << 13,
            inheritable: 0,
            effective: true,
        };
        st.no_new_privs = true;
        let h = advise(cap::NET_RAW, &st);
        assert!(h.contains("no_new_privs is set"), "{h}");
        assert!(h.contains("allowPrivilegeEscalation: true"), "{h}");
        st.no_new_privs = false;
        assert!(advise(cap::NET_RAW, &st).contains("nosuid"));
        st.file_caps = FileCaps::Set {
            permitted: 1 << 13,
            inheritable: 0,
            effective: false,
        };
        assert!(advise(cap::NET_RAW, &st).contains("cap_net_raw+ep"));
    }

    #[test]
    fn user_namespace_and_seccomp() {
        let mut st = status(0, 0x1ff_ffff_ffff, 0x1ff_ffff_ffff, false);
        st.user_ns = Some("uid 0 here is uid 100000 outside".into());
        let h = advise(cap::SYS_ADMIN, &st);
        assert!(h.contains("user namespace"), "{h}");
        st.user_ns = None;
        assert!(advise(cap::NET_RAW, &st).contains("seccomp"));
    }

    #[test]
    fn vfs_cap_data_revisions() {
        // setcap cap_net_raw+ep: revision 2, effective flag, NET_RAW.
        let v2 = [
            0x01, 0, 0, 0x02, 0x00, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        assert_eq!(
            FileCaps::parse(&v2),
            FileCaps::Set {
                permitted: 1 << 13,
                inheritable: 0,
                effective: true
            }
        );
        let mut v3 = v2.to_vec();
        v3[3] = 0x03;
        v3[12] = 0x01; // bit 32 of permitted: CAP_MAC_OVERRIDE
        v3.extend_from_slice(&1000u32.to_le_bytes());
        assert!(FileCaps::parse(&v3).permits(32));
        let v1 = [0, 0, 0, 0x01, 0x00, 0x20, 0, 0, 0, 0, 0, 0];
        assert!(matches!(
            FileCaps::parse(&v1),
            FileCaps::Set {
                effective: false,
                ..
            }
        ));
        for bad in [&[][..], &[1, 2, 3], &v2[..19], &[0, 0, 0, 9, 0, 0, 0, 0]] {
            assert!(
                matches!(FileCaps::parse(bad), FileCaps::Unknown(_)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn namespace_inodes_and_uid_maps() {
        assert_eq!(ns_inode("pid:[4026531836]"), Some(PROC_PID_INIT_INO));
        assert_eq!(ns_inode("pid:4026531836"), None);
        assert_eq!(describe_uid_map("         0          0 4294967295\n"), None);
        assert_eq!(
            describe_uid_map("0 100000 65536\n").as_deref(),
            Some("uid 0 here is uid 100000 outside, 65536 ids mapped")
        );
    }

    /// The real process: whatever it is, reading it does not fail and the
    /// advice names the capability.
    #[test]
    fn reads_own_state() {
        let st = ProcessState::read();
        assert!(st.exe.is_some());
        assert!(advise(cap::NET_RAW, &st).starts_with("CAP_NET_RAW is needed"));
    }
}
