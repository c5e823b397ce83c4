//! The test kit every test binary shares (`mod kit;`): one of each job.
//!
//! - [`conformance`]: finds `../shared/conformance` (or
//!   `$PODCAP_CONFORMANCE`) and loads libpcap's suite; says so, visibly,
//!   when the data is absent.
//! - [`json`]: the one JSON reader, for that suite.
//! - [`oracle`]: Debian's tcpdump as the oracle (`-d/-dd/-ddd` on empty
//!   savefiles), pcap headers.
//! - [`libpcap`]: Debian's libpcap's `pcap_compile` in process, through a
//!   helper built at test time: thousands of expressions per second.
//! - [`exprgen`]: a seeded generator of pcap-filter expressions over
//!   libpcap's grammar.
//! - [`TempDir`]: scratch directories, removed also when a test fails.
//! - [`kernel`]: the kernel as an oracle: packet sockets with filters
//!   attached, SO_ATTACH_FILTER verdicts, private network namespaces.
//! - [`Rng`] and [`random_program`]: the one seeded generator, shared with
//!   the library's unit tests (`src/bpf/testutil.rs`, included here).
#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};

// What src/bpf/testutil.rs names through `super::`, in the library and here.
use podcap::bpf::{Insn, ancillary, code, op};

pub mod conformance;
pub mod exprgen;
pub mod json;
pub mod kernel;
pub mod libpcap;
pub mod oracle;
#[path = "../../src/bpf/testutil.rs"]
mod testutil;

#[allow(unused_imports)] // Not every test binary draws random programs.
pub use testutil::{Rng, random_program};

/// Says why a test does not run, on the real stderr: libtest captures
/// `eprintln!`, and a skipped check must be seen.
pub fn skip(why: &str) {
    let _ = writeln!(std::io::stderr(), "skipped: {why}");
}

/// A scratch directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "podcap-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        if let Err(e) = std::fs::create_dir_all(&p) {
            panic!("cannot create {}: {e}", p.display());
        }
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// This thread's CPU time: what benchmarks measure on a shared machine,
/// where wall time mostly measures the other jobs.
pub fn thread_cpu() -> std::time::Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec, which `ts` is.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}
