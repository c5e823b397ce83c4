//! What each operation really needs, and the fix podcap names when it is
//! refused, for each state a process can be in: the state is built for
//! real with setpriv (uid, bounding set, no_new_privs), setcap/tar (file
//! capabilities and their loss in a copy) and unshare (user namespaces),
//! and the real binary is run in it.
//!
//! Every program is exec'd through `env` after setpriv: setpriv keeps
//! permitted capabilities across its own setuid, so the program it execs
//! directly would inherit more than a container's process has; one more
//! exec gives the state runc leaves behind. `KUBERNETES_SERVICE_HOST` is
//! set as the kubelet sets it, so podcap knows it is "in a pod" whatever
//! machine the test runs on.

mod common;
mod kit;

use common::{stderr, text};

use std::process::{Command, Output};

const PODCAP: &str = env!("CARGO_BIN_EXE_podcap");

/// containerd's default capabilities (also runc's and docker's), the
/// bounding set of an ordinary container.
const CONTAINERD: &str = "-all,+chown,+dac_override,+fowner,+fsetid,+kill,+setgid,+setuid,\
                          +setpcap,+net_bind_service,+net_raw,+sys_chroot,+mknod,+audit_write,\
                          +setfcap";

/// `setpriv SETPRIV... -- env KUBERNETES_SERVICE_HOST=10.96.0.1 PROG ARGS...`
/// (one more exec through `env`, see the module comment).
fn as_container(setpriv: &[&str], prog: &str, args: &[&str]) -> Command {
    let mut c = Command::new("setpriv");
    c.args(setpriv)
        .args(["--", "env", "KUBERNETES_SERVICE_HOST=10.96.0.1", prog])
        .args(args);
    c
}

/// Runs [`as_container`] and returns its stderr, asserting tcpdump's
/// status for a failure.
fn refused(setpriv: &[&str], prog: &str, args: &[&str]) -> String {
    let o = as_container(setpriv, prog, args).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    stderr(&o)
}

/// Single-quoted for sh.
fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn shell_line(c: &Command) -> String {
    std::iter::once(c.get_program())
        .chain(c.get_args())
        .map(|a| q(&a.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `cmd` in a network namespace of its own (unshare -n, as root)
/// whose `lo` carries pings for as long as it runs; the pinger is stopped
/// when `cmd` ends. `cmd` captures with `-c`, so it ends at the first ping.
fn with_pings_on_lo(cmd: &Command) -> Output {
    let script = format!(
        "ip link set lo up; ping -q -i 0.2 127.0.0.1 >/dev/null 2>&1 & p=$!; {}; rc=$?; \
         kill $p; exit $rc",
        shell_line(cmd)
    );
    Command::new("unshare")
        .args(["-n", "sh", "-c", &script])
        .output()
        .expect("run unshare")
}

/// A process holding a network namespace of its own whose `lo` carries
/// pings, like a pod's process seen from the node: root with every
/// capability, so that opening its /proc/PID/ns/net from a process with
/// fewer is the ptrace access check. Its process group is killed on drop.
struct PingingNetns(std::process::Child);

impl PingingNetns {
    fn start() -> PingingNetns {
        use std::os::unix::process::CommandExt;
        let c = Command::new("unshare")
            .args([
                "-n",
                "sh",
                "-c",
                "ip link set lo up && { ping -q -i 0.2 127.0.0.1 >/dev/null 2>&1 & exec sleep 100000; }",
            ])
            .process_group(0)
            .spawn()
            .expect("start a pinging namespace");
        let p = PingingNetns(c);
        // Wait until the exec happened: the namespace differs from ours
        // and the holder is sleep (a wait, never a timed assertion).
        let me = std::fs::read_link("/proc/self/ns/net").ok();
        for _ in 0..1000 {
            let ns = std::fs::read_link(format!("/proc/{}/ns/net", p.pid())).ok();
            let comm =
                std::fs::read_to_string(format!("/proc/{}/comm", p.pid())).unwrap_or_default();
            if ns.is_some() && ns != me && comm.trim() == "sleep" {
                return p;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("the pinging namespace did not start");
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for PingingNetns {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.pid())])
            .status();
        let _ = self.0.wait();
    }
}

/// The issue's case: a pod with `runAsUser: 1000` keeps NET_RAW in its
/// bounding set; "add NET_RAW" cannot help, running as root (or ambient
/// capabilities) would.
#[test]
fn non_root_with_net_raw_only_in_its_bounding_set() {
    let e = refused(
        &[
            "--reuid=1000",
            "--regid=1000",
            "--clear-groups",
            "--inh-caps=-all",
            &format!("--bounding-set={CONTAINERD}"),
        ],
        PODCAP,
        &["tcpdump", "-i", "lo", "-c", "1"],
    );
    assert!(e.contains("CAP_NET_RAW is needed"), "{e}");
    assert!(e.contains("runs as uid 1000"), "{e}");
    assert!(e.contains("cannot help"), "{e}");
    assert!(e.contains("runAsUser: 0"), "{e}");
    assert!(e.contains("--ambient-caps=+net_raw"), "{e}");
    assert!(!e.contains("add: [\"NET_RAW\"]"), "{e}");
    assert!(e.contains("bounding yes"), "{e}");
}

/// What the hint for the case above says works, works: NET_RAW as an
/// ambient capability of the uid-1000 process.
#[test]
fn ambient_net_raw_lets_a_non_root_process_capture() {
    let o = with_pings_on_lo(&as_container(
        &[
            "--reuid=1000",
            "--regid=1000",
            "--clear-groups",
            "--inh-caps=+net_raw",
            "--ambient-caps=+net_raw",
            &format!("--bounding-set={CONTAINERD}"),
        ],
        PODCAP,
        &["tcpdump", "-i", "lo", "-c", "1", "-nn"],
    ));
    assert!(o.status.success(), "{}", text(&o));
    assert!(stderr(&o).contains("1 packet captured"), "{}", text(&o));
}

/// Root without NET_RAW in the bounding set (CRI-O's defaults, or
/// `drop: [NET_RAW]`): only the pod spec can give it back.
#[test]
fn net_raw_absent_from_the_bounding_set() {
    let without = CONTAINERD.replace(",+net_raw", "");
    let e = refused(
        &["--inh-caps=-all", &format!("--bounding-set={without}")],
        PODCAP,
        &["tcpdump", "-i", "lo", "-c", "1"],
    );
    assert!(e.contains("not in this process's bounding set"), "{e}");
    assert!(e.contains("capabilities: {add: [\"NET_RAW\"]}"), "{e}");
    assert!(e.contains("Pod Security"), "{e}");
    assert!(!e.contains("runAsUser"), "{e}");
}

/// `--netns PID` of a process with more privileges: opening
/// /proc/PID/ns/net is the ptrace access check (CAP_SYS_PTRACE), setns is
/// CAP_SYS_ADMIN; the message names the one that failed, the other when it
/// is missing too, and hostPID.
#[test]
fn entering_another_process_namespace_names_ptrace_then_admin() {
    let pod = PingingNetns::start();
    let ns = format!("/proc/{}/ns/net", pod.pid());
    let args = ["tcpdump", "--netns", &ns, "-i", "lo", "-c", "1"];
    let e = refused(
        &["--inh-caps=-all", &format!("--bounding-set={CONTAINERD}")],
        PODCAP,
        &args,
    );
    assert!(e.contains("Permission denied"), "{e}");
    assert!(e.contains("CAP_SYS_PTRACE is needed"), "{e}");
    assert!(e.contains("CAP_SYS_ADMIN is missing too"), "{e}");
    assert!(e.contains("hostPID: true"), "{e}");
    assert!(e.contains("--profile=sysadmin"), "{e}");

    let e = refused(
        &[
            "--inh-caps=-all",
            &format!("--bounding-set={CONTAINERD},+sys_ptrace"),
        ],
        PODCAP,
        &args,
    );
    assert!(e.contains("Operation not permitted"), "{e}");
    assert!(e.contains("CAP_SYS_ADMIN is needed"), "{e}");
    assert!(!e.contains("missing too"), "{e}");
}

/// What entering a pod's namespace from the node really needs: NET_RAW
/// to capture, SYS_ADMIN and SYS_PTRACE to enter by PID; promiscuous mode
/// (podcap's default) needs nothing more, NET_ADMIN not at all.
#[test]
fn capture_in_another_namespace_needs_no_net_admin() {
    let pod = PingingNetns::start();
    let ns = format!("/proc/{}/ns/net", pod.pid());
    let o = as_container(
        &[
            "--inh-caps=-all",
            "--bounding-set=-all,+net_raw,+sys_admin,+sys_ptrace",
        ],
        PODCAP,
        &["tcpdump", "--netns", &ns, "-i", "lo", "-c", "1", "-nn"],
    )
    .output()
    .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(stderr(&o).contains("1 packet captured"), "{}", text(&o));
}

/// Promiscuous mode is a packet-socket membership: CAP_NET_RAW alone
/// sets it (the interface's promiscuity counter rises while podcap runs).
#[test]
fn promiscuous_capture_needs_only_net_raw() {
    let dir = kit::TempDir::new("promisc");
    let log = dir.path().join("stderr");
    let cap = as_container(
        &["--inh-caps=-all", "--bounding-set=-all,+net_raw"],
        PODCAP,
        &["tcpdump", "-i", "lo", "-c", "1", "-nn", "-w", "/dev/null"],
    );
    // Capture in the background; once it listens, read lo's promiscuity,
    // then ping so that -c 1 ends it.
    let script = format!(
        "ip link set lo up; {} 2>{log} & c=$!; \
         n=0; until grep -q 'listening on' {log}; do n=$((n+1)); [ $n -gt 3000 ] && break; sleep 0.01; done; \
         ip -d link show lo | grep -o 'promiscuity [0-9]*'; \
         ping -q -i 0.2 127.0.0.1 >/dev/null 2>&1 & p=$!; wait $c; rc=$?; kill $p; \
         cat {log} >&2; exit $rc",
        shell_line(&cap),
        log = q(&log.to_string_lossy()),
    );
    let o = Command::new("unshare")
        .args(["-n", "sh", "-c", &script])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "promiscuity 1",
        "{}",
        text(&o)
    );
}

/// A `setcap` mark does not survive a tar copy (what kubectl cp does):
/// the copy fails with a message that says so, the original works as
/// uid 1000, and no_new_privs (allowPrivilegeEscalation: false) makes
/// exec ignore it, which the message says too.
#[test]
fn file_capabilities_lost_in_a_copy_and_ignored_under_no_new_privs() {
    let dir = kit::TempDir::new("filecaps");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let marked = a.join("podcap");
    std::fs::copy(PODCAP, &marked).unwrap();
    let st = Command::new("setcap")
        .args(["cap_net_raw+ep", &marked.to_string_lossy()])
        .status()
        .unwrap();
    assert!(st.success(), "setcap");
    let tar = format!(
        "tar -C {} -cf - podcap | tar -C {} -xf -",
        q(&a.to_string_lossy()),
        q(&b.to_string_lossy())
    );
    assert!(
        Command::new("sh")
            .args(["-c", &tar])
            .status()
            .unwrap()
            .success()
    );
    let copy = b.join("podcap");
    let uid1000 = [
        "--reuid=1000",
        "--regid=1000",
        "--clear-groups",
        "--inh-caps=-all",
        &format!("--bounding-set={CONTAINERD}"),
    ];
    let args = ["tcpdump", "-i", "lo", "-c", "1", "-nn"];

    let o = with_pings_on_lo(&as_container(&uid1000, &copy.to_string_lossy(), &args));
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(e.contains("has no file capabilities now"), "{e}");
    assert!(e.contains("kubectl cp"), "{e}");
    assert!(
        e.contains(&format!("setcap cap_net_raw+ep {}", copy.display())),
        "{e}"
    );

    let o = with_pings_on_lo(&as_container(&uid1000, &marked.to_string_lossy(), &args));
    assert!(o.status.success(), "{}", text(&o));

    let mut nnp = uid1000.to_vec();
    nnp.push("--no-new-privs");
    let o = with_pings_on_lo(&as_container(&nnp, &marked.to_string_lossy(), &args));
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(e.contains("no_new_privs is set"), "{e}");
    assert!(e.contains("allowPrivilegeEscalation: true"), "{e}");
}

/// Root in a user namespace has every capability there, none over the
/// node's namespaces: the message says that instead of "add SYS_ADMIN".
#[test]
fn user_namespace_capabilities_do_not_reach_the_node() {
    let pod = PingingNetns::start();
    let ns = format!("/proc/{}/ns/net", pod.pid());
    let o = Command::new("unshare")
        .args([
            "-U", "-r", PODCAP, "tcpdump", "--netns", &ns, "-i", "lo", "-c", "1",
        ])
        .output()
        .unwrap();
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(e.contains("in a user namespace"), "{e}");
    assert!(!e.contains("add: [\""), "{e}");
}
