//! Classic BPF interpreter throughput, the proxy for "does this release
//! profile slow the capture path down" in BENCHMARKS.md (Binary size).
//!
//!     tcpdump -ddd -y EN10MB 'tcp port 80 or udp port 53 or icmp' > /tmp/prog.ddd
//!     cargo bench --bench bpf_speed -- /tmp/prog.ddd
//!
//! Runs the program over a deterministic corpus of 4096 synthetic Ethernet
//! frames (IPv4/IPv6, TCP/UDP/ICMP, assorted ports, some VLAN-tagged) and
//! prints the median of 15 rounds in nanoseconds of this thread's CPU time
//! per packet (so a busy shared machine skews it less than wall time) and
//! how many packets the filter accepted (the same for every build, or the
//! build is wrong).

mod common;
use podcap::bpf::interp::{Aux, run};
use podcap::bpf::print::parse_ddd;

/// This thread's CPU time in nanoseconds.
fn thread_cpu_ns() -> u128 {
    common::thread_cpu().as_nanos()
}

/// xorshift32: deterministic, no dependency.
struct Rng(u32);
impl Rng {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }
}

fn frame(r: &mut Rng) -> Vec<u8> {
    let mut f = vec![0x0a, 0x58, 0x0a, 0xf4, 0, 2, 0x0a, 0x58, 0x0a, 0xf4, 0, 3];
    if r.next() % 8 == 0 {
        f.extend_from_slice(&[0x81, 0x00, 0x00, 0x64]);
    }
    let proto = [6u8, 17, 1, 6, 17, 6][(r.next() % 6) as usize];
    let ports = [80u16, 53, 443, 8472, 22, 10250];
    let (sport, dport) = (
        ports[(r.next() % 6) as usize],
        ports[(r.next() % 6) as usize],
    );
    let l4: Vec<u8> = match proto {
        6 => {
            let mut t = vec![0u8; 20];
            t[0..2].copy_from_slice(&sport.to_be_bytes());
            t[2..4].copy_from_slice(&dport.to_be_bytes());
            t[12] = 0x50;
            t[13] = 0x18;
            t
        }
        17 => {
            let mut u = vec![0u8; 8];
            u[0..2].copy_from_slice(&sport.to_be_bytes());
            u[2..4].copy_from_slice(&dport.to_be_bytes());
            u[4..6].copy_from_slice(&8u16.to_be_bytes());
            u
        }
        _ => vec![8, 0, 0, 0, 0, 1, 0, 1],
    };
    let payload = (r.next() % 64) as usize;
    if r.next() % 4 == 0 {
        f.extend_from_slice(&[0x86, 0xdd]);
        let mut h = vec![0u8; 40];
        h[0] = 0x60;
        h[4..6].copy_from_slice(&((l4.len() + payload) as u16).to_be_bytes());
        h[6] = if proto == 1 { 58 } else { proto };
        h[7] = 64;
        f.extend_from_slice(&h);
    } else {
        f.extend_from_slice(&[0x08, 0x00]);
        let mut h = vec![0u8; 20];
        h[0] = 0x45;
        h[2..4].copy_from_slice(&((20 + l4.len() + payload) as u16).to_be_bytes());
        h[8] = 64;
        h[9] = proto;
        h[12..16].copy_from_slice(&[10, 244, 0, 2]);
        h[16..20].copy_from_slice(&[10, 244, 1, (r.next() % 8) as u8]);
        f.extend_from_slice(&h);
    }
    f.extend_from_slice(&l4);
    f.resize(f.len() + payload, 0xab);
    f
}

fn main() {
    // `cargo bench` adds `--bench`.
    let Some(path) = std::env::args().skip(1).find(|a| a != "--bench") else {
        eprintln!("usage: bpf_speed PROGRAM.ddd   (from tcpdump -ddd)");
        std::process::exit(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("bpf_speed: cannot read {path}: {e}");
            std::process::exit(1);
        }
    };
    let prog = match parse_ddd(&text) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("bpf_speed: {path}: {e}");
            std::process::exit(1);
        }
    };
    let mut r = Rng(0x2545_f491);
    let corpus: Vec<Vec<u8>> = (0..4096).map(|_| frame(&mut r)).collect();
    let aux = Aux::default();
    let reps = 200;
    let mut rounds = Vec::new();
    let mut accepted = 0;
    for _ in 0..15 {
        accepted = 0;
        let t = thread_cpu_ns();
        for _ in 0..reps {
            for p in &corpus {
                if run(std::hint::black_box(&prog), p, p.len() as u32, &aux) != 0 {
                    accepted += 1;
                }
            }
        }
        rounds.push((thread_cpu_ns() - t) as f64 / (reps * corpus.len()) as f64);
    }
    rounds.sort_by(f64::total_cmp);
    println!(
        "{:.2} ns CPU/packet (median of 15 rounds of {} packets), {} instructions, {} accepted per round",
        rounds[7],
        reps * corpus.len(),
        prog.len(),
        accepted
    );
}
