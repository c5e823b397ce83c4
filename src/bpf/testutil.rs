#![allow(unsafe_code)] // TODO(issue 8): test helpers move to tests/ (test kit)
//! Helpers shared by the bpf tests.

use std::path::PathBuf;

/// libpcap's test suite as JSON (`shared/conformance/` beside the
/// repository or beside one of its parents, so that worktrees find it
/// too), or `None` with a message when it is absent.
pub fn conformance_json() -> Option<String> {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let found = here.ancestors().find_map(|dir| {
        let p = dir.join("shared/conformance/libpcap-testrun.json");
        std::fs::read_to_string(p).ok()
    });
    if found.is_none() {
        eprintln!("skipping: shared/conformance/libpcap-testrun.json not found");
    }
    found
}

/// Just enough JSON for the conformance file (objects, arrays, strings,
/// numbers, literals); no dependency for a test-only reader.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    pub fn parse(text: &str) -> Option<Json> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
        };
        let v = p.value()?;
        p.ws();
        (p.i == p.s.len()).then_some(v)
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(kv) => kv.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn num(&self) -> Option<f64> {
        match self {
            Json::Num(n) => Some(*n),
            _ => None,
        }
    }

    pub fn arr(&self) -> &[Json] {
        match self {
            Json::Arr(a) => a,
            _ => &[],
        }
    }

    /// A JSON field that is true-ish: non-empty string, non-zero number.
    pub fn truthy(&self) -> bool {
        match self {
            Json::Null => false,
            Json::Bool(b) => *b,
            Json::Num(n) => *n != 0.0,
            Json::Str(s) => !s.is_empty(),
            Json::Arr(a) => !a.is_empty(),
            Json::Obj(o) => !o.is_empty(),
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Option<Json> {
        self.ws();
        match *self.s.get(self.i)? {
            b'{' => {
                self.i += 1;
                let mut kv = Vec::new();
                if self.eat(b'}') {
                    return Some(Json::Obj(kv));
                }
                loop {
                    self.ws();
                    let k = self.string()?;
                    if !self.eat(b':') {
                        return None;
                    }
                    kv.push((k, self.value()?));
                    if self.eat(b'}') {
                        return Some(Json::Obj(kv));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'[' => {
                self.i += 1;
                let mut a = Vec::new();
                if self.eat(b']') {
                    return Some(Json::Arr(a));
                }
                loop {
                    a.push(self.value()?);
                    if self.eat(b']') {
                        return Some(Json::Arr(a));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'"' => self.string().map(Json::Str),
            b't' => self.lit("true", Json::Bool(true)),
            b'f' => self.lit("false", Json::Bool(false)),
            b'n' => self.lit("null", Json::Null),
            _ => {
                let start = self.i;
                while self
                    .s
                    .get(self.i)
                    .is_some_and(|c| b"+-0123456789.eE".contains(c))
                {
                    self.i += 1;
                }
                std::str::from_utf8(&self.s[start..self.i])
                    .ok()?
                    .parse()
                    .ok()
                    .map(Json::Num)
            }
        }
    }

    fn lit(&mut self, word: &str, v: Json) -> Option<Json> {
        if self.s.get(self.i..self.i + word.len())? == word.as_bytes() {
            self.i += word.len();
            Some(v)
        } else {
            None
        }
    }

    fn string(&mut self) -> Option<String> {
        if self.s.get(self.i) != Some(&b'"') {
            return None;
        }
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let c = *self.s.get(self.i)?;
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let e = *self.s.get(self.i)?;
                    self.i += 1;
                    let ch = match e {
                        b'n' => '\n',
                        b't' => '\t',
                        b'r' => '\r',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'u' => {
                            let hex = std::str::from_utf8(self.s.get(self.i..self.i + 4)?).ok()?;
                            self.i += 4;
                            char::from_u32(u32::from_str_radix(hex, 16).ok()?).unwrap_or('\u{fffd}')
                        }
                        other => other as char,
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                c => out.push(c),
            }
        }
    }
}

/// One `accept` case of the conformance suite.
#[allow(dead_code)]
#[derive(Debug, Clone)]
pub struct Accept {
    pub dlt: String,
    pub expr: String,
    pub expected: String,
    pub optimize: bool,
    pub linuxext: bool,
    pub snaplen: Option<u32>,
    pub label: String,
}

/// The accept cases, or `None` (with a message) without the suite.
pub fn accept_cases() -> Option<Vec<Accept>> {
    let json = Json::parse(&conformance_json()?)?;
    let s = |c: &Json, k: &str| c.get(k).and_then(Json::str).unwrap_or("").to_string();
    Some(
        json.get("accept")?
            .arr()
            .iter()
            .map(|c| Accept {
                dlt: s(c, "DLT"),
                expr: s(c, "expr"),
                expected: s(c, "expected"),
                optimize: c.get("optimize").is_some_and(Json::truthy),
                linuxext: c.get("linuxext").is_some_and(Json::truthy),
                snaplen: c.get("snaplen").and_then(Json::num).map(|n| n as u32),
                label: s(c, "label"),
            })
            .collect(),
    )
}

/// Debian's tcpdump as the oracle: `tcpdump -d -r EMPTY.pcap EXPR` for
/// each link type, with empty savefiles in a private temporary directory.
pub struct Tcpdump {
    dir: PathBuf,
}

impl Tcpdump {
    /// `None` (with a message) when tcpdump is not installed.
    pub fn new() -> Option<Tcpdump> {
        let ok = std::process::Command::new("tcpdump")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            eprintln!("skipping: tcpdump (the test oracle) is not installed");
            return None;
        }
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("podcap-bpf-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        for lt in [1u32, 101, 113, 276] {
            let mut h = Vec::new();
            h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
            h.extend_from_slice(&2u16.to_le_bytes());
            h.extend_from_slice(&4u16.to_le_bytes());
            h.extend_from_slice(&[0; 8]);
            h.extend_from_slice(&262_144u32.to_le_bytes());
            h.extend_from_slice(&lt.to_le_bytes());
            std::fs::write(dir.join(format!("{lt}.pcap")), h).ok()?;
        }
        Some(Tcpdump { dir })
    }

    /// tcpdump's program text for `expr` on link type `dlt` (a DLT name),
    /// or `None` if that libpcap refuses the expression.
    pub fn run(&self, dlt: &str, expr: &str, optimize: bool, style: &str) -> Option<String> {
        let lt = match dlt {
            "EN10MB" => 1,
            "RAW" => 101,
            "LINUX_SLL" => 113,
            "LINUX_SLL2" => 276,
            _ => return None,
        };
        let mut cmd = std::process::Command::new("tcpdump");
        cmd.arg(style);
        if !optimize {
            cmd.arg("-O");
        }
        cmd.arg("-r")
            .arg(self.dir.join(format!("{lt}.pcap")))
            .arg(expr);
        let out = cmd.output().ok()?;
        if !out.status.success() {
            return None;
        }
        String::from_utf8(out.stdout).ok()
    }
}

impl Drop for Tcpdump {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A small deterministic PRNG (xorshift64*), so property tests replay.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    pub fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent as usize
    }
}

/// Attaches `prog` to a fresh UDP socket with SO_ATTACH_FILTER: the
/// kernel's own verdict on the program (`Err(errno)` when refused). No
/// traffic is involved, so no namespace is needed.
pub fn kernel_accepts(prog: &[crate::bpf::Insn]) -> std::result::Result<(), i32> {
    use crate::bpf::wire::SockFprog;
    let fprog = SockFprog::new(prog).map_err(|_| libc::EINVAL)?;
    // SAFETY: plain socket(2); the descriptor is closed below.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(-1));
    }
    // SAFETY: `fprog` points at `prog`, alive for the call; optlen is the
    // size of the struct passed.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ATTACH_FILTER,
            fprog.as_raw() as *const libc::sock_fprog as *const libc::c_void,
            SockFprog::optlen(),
        )
    };
    let err = std::io::Error::last_os_error().raw_os_error().unwrap_or(-1);
    // SAFETY: `fd` is ours and closed once.
    unsafe { libc::close(fd) };
    if rc == 0 { Ok(()) } else { Err(err) }
}

/// A random program, mostly near-valid (so that both the kernel's and our
/// checks get exercised past the first rule).
pub fn random_program(rng: &mut Rng, max_len: usize) -> Vec<crate::bpf::Insn> {
    use crate::bpf::code::*;
    use crate::bpf::{Insn, ancillary, op};
    let len = 1 + rng.below(max_len);
    let alu_ops = [
        op::ADD,
        op::SUB,
        op::MUL,
        op::DIV,
        op::MOD,
        op::AND,
        op::OR,
        op::XOR,
        op::LSH,
        op::RSH,
    ];
    let fixed = [
        LD_W_ABS, LD_H_ABS, LD_B_ABS, LD_W_IND, LD_H_IND, LD_B_IND, LD_W_LEN, LDX_W_LEN, LD_IMM,
        LDX_IMM, LD_MEM, LDX_MEM, LDX_MSH, ST, STX, TAX, TXA, RET_K, RET_A, JA, JEQ_K, JEQ_X,
        JGT_K, JGT_X, JGE_K, JGE_X, JSET_K, JSET_X, NEG,
    ];
    let mut prog = Vec::with_capacity(len);
    for pc in 0..len {
        let code = if rng.chance(3) {
            rng.u32() as u16
        } else if rng.chance(30) {
            op::ALU | rng.pick(&alu_ops) | if rng.chance(50) { op::X } else { op::K }
        } else {
            rng.pick(&fixed)
        };
        let remaining = len - pc - 1;
        let k = match rng.below(10) {
            0 => rng.u32(),
            1 => ancillary::OFF + 4 * rng.below(17) as u32,
            2 => rng.below(34) as u32,
            3 if code == JA => rng.below(remaining + 2) as u32,
            _ => rng.below(if code & 0xe0 == op::MEM { 17 } else { 64 }) as u32,
        };
        let mut target = || {
            if rng.chance(5) {
                rng.u32() as u8
            } else {
                rng.below(remaining.min(255) + 1) as u8
            }
        };
        let jt = target();
        let jf = target();
        prog.push(Insn::new(code, jt, jf, k));
    }
    if rng.chance(90) {
        if let Some(last) = prog.last_mut() {
            *last = Insn::stmt(if rng.chance(50) { RET_K } else { RET_A }, last.k);
        }
    }
    prog
}

/// A private network namespace on the calling thread, with `lo` up, for
/// tests that need the kernel to see packets. `Err` explains a skip.
/// Call it on a dedicated thread: the namespace is the thread's.
pub fn private_netns() -> std::result::Result<(), String> {
    // SAFETY: unshare(2) on the calling (test-only) thread.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        return Err(format!(
            "unshare(CLONE_NEWNET): {}",
            std::io::Error::last_os_error()
        ));
    }
    let up = std::process::Command::new("ip")
        .args(["link", "set", "lo", "up"])
        .status()
        .map_err(|e| format!("ip: {e}"))?;
    if !up.success() {
        return Err("ip link set lo up failed".into());
    }
    Ok(())
}

/// An AF_PACKET socket (closed on drop).
pub struct PacketSocket(pub i32);

impl PacketSocket {
    pub fn new(kind: i32) -> PacketSocket {
        let proto = (libc::ETH_P_ALL as u16).to_be();
        // SAFETY: plain socket(2); the descriptor is owned by the result.
        let fd =
            unsafe { libc::socket(libc::AF_PACKET, kind | libc::SOCK_CLOEXEC, i32::from(proto)) };
        assert!(
            fd >= 0,
            "AF_PACKET socket: {}",
            std::io::Error::last_os_error()
        );
        // A guard against hanging forever; nothing asserts on time.
        let tv = libc::timeval {
            tv_sec: 10,
            tv_usec: 0,
        };
        // SAFETY: setsockopt with a timeval of the right size.
        unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                &tv as *const libc::timeval as *const libc::c_void,
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            )
        };
        PacketSocket(fd)
    }

    pub fn attach(&self, prog: &[crate::bpf::Insn]) -> std::result::Result<(), i32> {
        let fprog = crate::bpf::wire::SockFprog::new(prog).map_err(|_| libc::EINVAL)?;
        // SAFETY: fprog borrows `prog` for the call; optlen is its size.
        let rc = unsafe {
            libc::setsockopt(
                self.0,
                libc::SOL_SOCKET,
                libc::SO_ATTACH_FILTER,
                fprog.as_raw() as *const libc::sock_fprog as *const libc::c_void,
                crate::bpf::wire::SockFprog::optlen(),
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(-1))
        }
    }

    /// One packet: (sll_pkttype, bytes), `None` on timeout.
    pub fn recv(&self) -> Option<(u8, Vec<u8>)> {
        self.recv_ll().map(|(sll, p)| (sll.sll_pkttype, p))
    }

    /// One packet with its whole `sockaddr_ll`.
    pub fn recv_ll(&self) -> Option<(libc::sockaddr_ll, Vec<u8>)> {
        let mut buf = vec![0u8; 65536];
        // SAFETY: a zeroed sockaddr_ll is a valid value to be filled in.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        // SAFETY: buf and sll are valid for the sizes passed.
        let n = unsafe {
            libc::recvfrom(
                self.0,
                buf.as_mut_ptr() as *mut libc::c_void,
                buf.len(),
                0,
                &mut sll as *mut libc::sockaddr_ll as *mut libc::sockaddr,
                &mut len,
            )
        };
        if n < 0 {
            return None;
        }
        buf.truncate(n as usize);
        Some((sll, buf))
    }
}

impl Drop for PacketSocket {
    fn drop(&mut self) {
        // SAFETY: the descriptor is ours and closed once.
        unsafe { libc::close(self.0) };
    }
}
