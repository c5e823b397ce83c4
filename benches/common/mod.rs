//! What the benchmarks share. A module, not a bench target of its own
//! (cargo only takes `benches/*.rs` and `benches/*/main.rs` as targets).

use std::time::Duration;

/// CPU time of this thread: the machine may be shared, and the figure that
/// matters is how much of one core the work needs.
pub fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec, which `ts` is.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}
