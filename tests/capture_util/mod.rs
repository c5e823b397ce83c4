//! Worlds for capture tests: two network namespaces joined by a veth
//! (`va` 10.77.0.1 in A, `vb` 10.77.0.2 in B), IPv6 off and static
//! neighbours so the only packets are the ones a test sends. Dropping the
//! pair deletes both namespaces, also when the test panics.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::UdpSocket;
use std::process::{Child, ChildStderr, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub fn podcap() -> &'static str {
    env!("CARGO_BIN_EXE_podcap")
}

pub fn sh(cmd: &str, args: &[&str]) -> Output {
    Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {cmd}: {e}"))
}

/// The interface index of `dev` in namespace `ns`, as `ip` prints it.
pub fn ifindex(ns: &str, dev: &str) -> String {
    let o = sh("ip", &["-n", ns, "-o", "link", "show", dev]);
    String::from_utf8_lossy(&o.stdout)
        .split(':')
        .next()
        .unwrap()
        .trim()
        .to_string()
}

/// An 802.1Q-tagged (VLAN `vid`) UDP frame 10.78.0.1:4000 ->
/// 10.78.0.2:9999 from 02:00:00:00:00:0a to 02:00:00:00:00:0b. The UDP
/// checksum is left zero (none), as the hand-made frame had it.
pub fn tagged_udp(vid: u16, payload: &[u8]) -> Vec<u8> {
    use etherparse::{IpNumber, Ipv4Header, PacketBuilder, VlanId};
    let mut ip = Ipv4Header::new(0, 64, IpNumber::UDP, [10, 78, 0, 1], [10, 78, 0, 2]).unwrap();
    ip.identification = 1;
    let mut udp = Vec::with_capacity(8 + payload.len());
    udp.extend_from_slice(&4000u16.to_be_bytes());
    udp.extend_from_slice(&9999u16.to_be_bytes());
    udp.extend_from_slice(&(8 + payload.len() as u16).to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(payload);
    let mut f = Vec::new();
    PacketBuilder::ethernet2([2, 0, 0, 0, 0, 0x0a], [2, 0, 0, 0, 0, 0x0b])
        .single_vlan(VlanId::try_new(vid).unwrap())
        .ip(etherparse::IpHeaders::Ipv4(ip, Default::default()))
        .write(&mut f, IpNumber::UDP, &udp)
        .unwrap();
    f
}

pub fn ok(cmd: &str, args: &[&str]) {
    let o = sh(cmd, args);
    assert!(
        o.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

pub struct Pair {
    pub a: String,
    pub b: String,
    pub dir: std::path::PathBuf,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    listeners: Vec<std::thread::JoinHandle<()>>,
}

/// A UDP socket that swallows datagrams, so the kernel sends no ICMP
/// port unreachable back (the tests count every packet).
fn listen(
    path: String,
    port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<()> {
    let (tx, rx) = mpsc::channel();
    let h = std::thread::spawn(move || {
        podcap::netns::enter(&path).expect("enter netns");
        let s = UdpSocket::bind(("0.0.0.0", port)).expect("bind listener");
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        tx.send(()).unwrap();
        let mut b = [0u8; 65536];
        while !stop.load(Ordering::SeqCst) {
            let _ = s.recv(&mut b);
        }
    });
    rx.recv().expect("listener started");
    h
}

impl Pair {
    pub fn new(tag: &str) -> Pair {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let id = format!("{}-{}-{}", tag, std::process::id(), n);
        let p = Pair {
            a: format!("pcA-{id}"),
            b: format!("pcB-{id}"),
            dir: std::env::temp_dir().join(format!("podcap-test-{id}")),
            stop: Default::default(),
            listeners: Vec::new(),
        };
        let _ = std::fs::create_dir_all(&p.dir);
        ok("ip", &["netns", "add", &p.a]);
        ok("ip", &["netns", "add", &p.b]);
        for ns in [&p.a, &p.b] {
            for k in ["all", "default"] {
                let _ = sh(
                    "ip",
                    &[
                        "netns",
                        "exec",
                        ns,
                        "sysctl",
                        "-qw",
                        &format!("net.ipv6.conf.{k}.disable_ipv6=1"),
                    ],
                );
            }
            ok("ip", &["-n", ns, "link", "set", "lo", "up"]);
        }
        ok(
            "ip",
            &[
                "link",
                "add",
                "va",
                "netns",
                &p.a,
                "address",
                "02:00:00:00:00:0a",
                "type",
                "veth",
                "peer",
                "vb",
                "netns",
                &p.b,
                "address",
                "02:00:00:00:00:0b",
            ],
        );
        ok(
            "ip",
            &["-n", &p.a, "addr", "add", "10.77.0.1/24", "dev", "va"],
        );
        ok(
            "ip",
            &["-n", &p.b, "addr", "add", "10.77.0.2/24", "dev", "vb"],
        );
        ok("ip", &["-n", &p.a, "link", "set", "va", "up"]);
        ok("ip", &["-n", &p.b, "link", "set", "vb", "up"]);
        ok(
            "ip",
            &[
                "-n",
                &p.a,
                "neigh",
                "replace",
                "10.77.0.2",
                "lladdr",
                "02:00:00:00:00:0b",
                "dev",
                "va",
                "nud",
                "permanent",
            ],
        );
        ok(
            "ip",
            &[
                "-n",
                &p.b,
                "neigh",
                "replace",
                "10.77.0.1",
                "lladdr",
                "02:00:00:00:00:0a",
                "dev",
                "vb",
                "nud",
                "permanent",
            ],
        );
        let mut p = p;
        let (pa, pb) = (p.netns_path(&p.a), p.netns_path(&p.b));
        p.listeners.push(listen(pb, 9999, p.stop.clone()));
        p.listeners.push(listen(pa, 9, p.stop.clone()));
        p
    }

    /// Sends `n` 802.1Q-tagged (VLAN `vid`) UDP frames 10.78.0.1 ->
    /// 10.78.0.2:9999 out of `va` with a raw packet socket. The receiving
    /// kernel strips the tag into metadata (no 8021q module needed), so a
    /// capture on `vb` sees what tcpdump calls a stripped tag.
    pub fn inject_tagged(&self, n: usize, vid: u16) {
        let path = self.netns_path(&self.a);
        std::thread::spawn(move || {
            podcap::netns::enter(&path).expect("enter netns");
            // SAFETY: test-only raw syscalls with checked results.
            unsafe {
                let fd = libc::socket(libc::AF_PACKET, libc::SOCK_RAW, 0);
                assert!(fd >= 0, "packet socket");
                let name = std::ffi::CString::new("va").unwrap();
                let idx = libc::if_nametoindex(name.as_ptr());
                assert!(idx > 0);
                for i in 0..n {
                    let mut payload = format!("podcap-{i}").into_bytes();
                    payload.resize(20, b'.');
                    let f = tagged_udp(vid, &payload);
                    let mut sll: libc::sockaddr_ll = std::mem::zeroed();
                    sll.sll_family = libc::AF_PACKET as u16;
                    sll.sll_ifindex = idx as i32;
                    sll.sll_halen = 6;
                    let r = libc::sendto(
                        fd,
                        f.as_ptr() as *const libc::c_void,
                        f.len(),
                        0,
                        &sll as *const libc::sockaddr_ll as *const libc::sockaddr,
                        std::mem::size_of::<libc::sockaddr_ll>() as u32,
                    );
                    assert_eq!(r, f.len() as isize, "sendto");
                }
                libc::close(fd);
            }
        })
        .join()
        .expect("injector thread");
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    pub fn netns_path(&self, ns: &str) -> String {
        format!("/run/netns/{ns}")
    }

    /// `ip netns exec NS prog args...`
    pub fn cmd(&self, ns: &str, prog: &str, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns, prog]).args(args);
        c
    }

    /// Sends `n` UDP datagrams from namespace `ns` to `dst`, payload
    /// "podcap-<i>" padded to `size` bytes.
    pub fn send_udp(&self, ns: &str, dst: &str, n: usize, size: usize) {
        let path = self.netns_path(ns);
        let dst = dst.to_string();
        std::thread::spawn(move || {
            podcap::netns::enter(&path).expect("enter netns");
            let s = UdpSocket::bind("0.0.0.0:0").expect("bind");
            for i in 0..n {
                let mut p = format!("podcap-{i}").into_bytes();
                p.resize(size.max(p.len()), b'.');
                // ENOBUFS under a flood is fine: the kernel dropped it
                // before any capture point.
                let _ = s.send_to(&p, &dst);
            }
        })
        .join()
        .expect("sender thread");
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for h in self.listeners.drain(..) {
            let _ = h.join();
        }
        let _ = sh("ip", &["netns", "del", &self.a]);
        let _ = sh("ip", &["netns", "del", &self.b]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A child process killed on drop.
pub struct Proc {
    pub child: Child,
    pub stderr_lines: mpsc::Receiver<String>,
    pub stderr_all: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Proc {
    /// Spawns `c` with stderr captured line by line.
    pub fn spawn(mut c: Command, stdout: Stdio) -> Proc {
        c.stdout(stdout).stderr(Stdio::piped()).stdin(Stdio::null());
        let mut child = c.spawn().expect("spawn");
        let err: ChildStderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        let all = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let all2 = all.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                all2.lock().unwrap().push_str(&format!("{line}\n"));
                let _ = tx.send(line);
            }
        });
        Proc {
            child,
            stderr_lines: rx,
            stderr_all: all,
        }
    }

    /// Waits (up to a generous limit, against hangs) for a stderr line
    /// containing `needle`.
    pub fn wait_stderr(&self, needle: &str) {
        loop {
            match self.stderr_lines.recv_timeout(Duration::from_secs(60)) {
                Ok(l) if l.contains(needle) => return,
                Ok(_) => continue,
                Err(_) => panic!(
                    "no `{needle}` on stderr; got:\n{}",
                    self.stderr_all.lock().unwrap()
                ),
            }
        }
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.child.id() as i32, sig);
        }
    }

    /// Waits for exit (killing it after a generous limit, against hangs).
    pub fn wait(&mut self) -> (i32, String) {
        for _ in 0..1200 {
            if let Some(st) = self.child.try_wait().expect("wait") {
                // Let the stderr thread finish.
                std::thread::sleep(Duration::from_millis(50));
                let err = self.stderr_all.lock().unwrap().clone();
                return (st.code().unwrap_or(-1), err);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        panic!(
            "process did not exit; stderr:\n{}",
            self.stderr_all.lock().unwrap()
        );
    }

    pub fn read_stdout_to_end(&mut self) -> Vec<u8> {
        let mut v = Vec::new();
        if let Some(mut o) = self.child.stdout.take() {
            let _ = o.read_to_end(&mut v);
        }
        v
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `tshark -r FILE -T fields -e F...`: one Vec per packet.
pub fn tshark_fields(file: &str, fields: &[&str]) -> Vec<Vec<String>> {
    let mut args = vec!["-r", file, "-T", "fields"];
    for f in fields {
        args.push("-e");
        args.push(f);
    }
    let o = sh("tshark", &args);
    assert!(
        o.status.success(),
        "tshark -r {file}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !err.contains("cut short") && !err.contains("appears to be damaged"),
        "tshark complains about {file}: {err}"
    );
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

/// The stats numbers from stderr: (captured, received, dropped).
pub fn stats(stderr: &str) -> (u64, u64, u64) {
    let find = |suffix: &str| -> u64 {
        stderr
            .lines()
            .find_map(|l| {
                let l = l.trim();
                let (n, rest) = l.split_once(' ')?;
                (rest == format!("packets {suffix}") || rest == format!("packet {suffix}"))
                    .then(|| n.parse().ok())
                    .flatten()
            })
            .unwrap_or_else(|| panic!("no `{suffix}` line in:\n{stderr}"))
    };
    (
        find("captured"),
        find("received by filter"),
        find("dropped by kernel"),
    )
}
