//! Debian's libpcap called in process: `pcap_compile` on many expressions
//! through one long-running helper, so that thousands of expressions cost
//! one process start instead of one tcpdump each.
//!
//! The helper is a few lines of C built at test time with `cc` against
//! `libpcap.so.0.8` (declarations written out, so libpcap-dev's headers are
//! not needed). It is test-only: nothing of it is linked into podcap.
//! Requests are `DLT OPTIMIZE NETMASK SNAPLEN` and the expression, NUL
//! terminated; answers the `tcpdump -ddd` text or libpcap's error message.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;

use podcap::bpf::Insn;
use podcap::bpf::print::parse_ddd;
use podcap::linktype::LinkType;

const DRIVER: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
typedef struct pcap pcap_t;
struct bpf_insn { unsigned short code; unsigned char jt, jf; unsigned int k; };
struct bpf_program { unsigned int bf_len; struct bpf_insn *bf_insns; };
extern pcap_t *pcap_open_dead(int, int);
extern void pcap_close(pcap_t *);
extern int pcap_compile(pcap_t *, struct bpf_program *, const char *, int, unsigned int);
extern void pcap_freecode(struct bpf_program *);
extern char *pcap_geterr(pcap_t *);
static char buf[1 << 24];
int main(void) {
    size_t n = 0;
    int c;
    while ((c = getchar()) != EOF) {
        if (c != 0) { if (n < sizeof buf - 1) buf[n++] = (char)c; continue; }
        buf[n] = 0; n = 0;
        int dlt, opt, snap; unsigned int mask; int used = 0;
        if (sscanf(buf, "%d %d %u %d %n", &dlt, &opt, &mask, &snap, &used) < 4) {
            printf("ERR bad request\nEND\n"); fflush(stdout); continue;
        }
        pcap_t *p = pcap_open_dead(dlt, snap);
        struct bpf_program prog;
        if (pcap_compile(p, &prog, buf + used, opt, mask) != 0) {
            char *e = pcap_geterr(p), *nl;
            while ((nl = strchr(e, '\n')) != NULL) *nl = ' ';
            printf("ERR %s\nEND\n", e);
        } else {
            printf("OK\n%u\n", prog.bf_len);
            for (unsigned i = 0; i < prog.bf_len; i++) {
                struct bpf_insn *x = &prog.bf_insns[i];
                printf("%u %u %u %u\n", x->code, x->jt, x->jf, x->k);
            }
            printf("END\n");
            pcap_freecode(&prog);
        }
        pcap_close(p);
        fflush(stdout);
    }
    return 0;
}
"#;

/// One compile request.
#[derive(Debug, Clone)]
pub struct Request {
    pub linktype: LinkType,
    pub optimize: bool,
    /// As `pcap_compile`'s netmask argument (tcpdump -r passes 0).
    pub netmask: u32,
    pub snaplen: u32,
    pub expr: String,
}

impl Request {
    pub fn new(linktype: LinkType, optimize: bool, expr: &str) -> Request {
        Request {
            linktype,
            optimize,
            netmask: 0,
            snaplen: 262_144,
            expr: expr.to_string(),
        }
    }
}

struct Io {
    _child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

/// A running helper; `compile` may be called from several threads (the
/// calls take turns).
pub struct Libpcap {
    io: Mutex<Io>,
}

fn libpcap_so() -> Option<&'static str> {
    [
        "/usr/lib/x86_64-linux-gnu/libpcap.so.0.8",
        "/usr/lib/aarch64-linux-gnu/libpcap.so.0.8",
        "/usr/lib/libpcap.so.0.8",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists())
}

/// Builds the helper into the test target's scratch directory (once per
/// content), `None` when cc or libpcap is missing.
fn build(src: &str, name: &str) -> Option<PathBuf> {
    let lib = libpcap_so()?;
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let tag = src.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let bin = dir.join(format!("{name}-{tag:016x}"));
    if bin.is_file() {
        return Some(bin);
    }
    let c = dir.join(format!("{name}-{tag:016x}-{}.c", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    std::fs::write(&c, src).ok()?;
    let tmp = dir.join(format!("{name}-{tag:016x}-{}", std::process::id()));
    let ok = Command::new("cc")
        .args(["-O2", "-o"])
        .arg(&tmp)
        .arg(&c)
        .arg(lib)
        .status()
        .ok()?
        .success();
    let _ = std::fs::remove_file(&c);
    // Renamed into place so concurrent test binaries never run a half
    // written file.
    (ok && std::fs::rename(&tmp, &bin).is_ok()).then_some(bin)
}

impl Libpcap {
    /// The helper, or `None` (said visibly) when it cannot be built.
    pub fn start() -> Option<Libpcap> {
        let Some(bin) = build(DRIVER, "pcap-compile") else {
            super::skip(
                "cannot build the pcap_compile helper (needs cc and Debian's libpcap0.8; \
                 scripts/setup installs both)",
            );
            return None;
        };
        let mut child = Command::new(&bin)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .ok()?;
        let stdin = child.stdin.take()?;
        let stdout = BufReader::new(child.stdout.take()?);
        Some(Libpcap {
            io: Mutex::new(Io {
                _child: child,
                stdin,
                stdout,
            }),
        })
    }

    /// libpcap's program, or its error message.
    pub fn compile(&self, r: &Request) -> Result<Vec<Insn>, String> {
        let mut io = match self.io.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let req = format!(
            "{} {} {} {} {}\0",
            r.linktype.dlt(),
            u8::from(r.optimize),
            r.netmask,
            r.snaplen,
            r.expr
        );
        io.stdin
            .write_all(req.as_bytes())
            .and_then(|_| io.stdin.flush())
            .map_err(|e| format!("helper: {e}"))?;
        let mut text = String::new();
        let mut first = String::new();
        loop {
            let mut line = String::new();
            match io.stdout.read_line(&mut line) {
                Ok(0) | Err(_) => return Err("helper: died".into()),
                Ok(_) => {}
            }
            if line == "END\n" {
                break;
            }
            if first.is_empty() {
                first = line;
            } else {
                text.push_str(&line);
            }
        }
        match first.strip_prefix("ERR ") {
            Some(e) => Err(e.trim_end().to_string()),
            None => parse_ddd(&text).map_err(|e| format!("helper: {e}")),
        }
    }
}
