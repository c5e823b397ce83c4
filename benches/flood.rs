//! UDP flood for benches/capture.sh: `cargo bench --bench flood -- NETNS
//! DST:PORT COUNT SIZE` sends COUNT datagrams of SIZE bytes from inside
//! NETNS as fast as one core can, then prints `sent N in S s (P pps)`.
//! Not a timing test: the capture figures come from the capture tools'
//! own counters.

use std::net::UdpSocket;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.len() < 4 {
        eprintln!("usage: flood NETNS DST:PORT COUNT SIZE");
        std::process::exit(2);
    }
    if let Err(e) = podcap::netns::enter(&args[0]) {
        eprintln!("flood: {e}");
        std::process::exit(1);
    }
    let count: u64 = args[2].parse().unwrap_or(100_000);
    let size: usize = args[3].parse().unwrap_or(64);
    let sock = match UdpSocket::bind("0.0.0.0:0") {
        Ok(s) => s,
        Err(e) => {
            eprintln!("flood: bind: {e}");
            std::process::exit(1);
        }
    };
    let payload = vec![0x5a; size];
    let start = Instant::now();
    let mut sent = 0u64;
    for _ in 0..count {
        if sock.send_to(&payload, &args[1]).is_ok() {
            sent += 1;
        }
    }
    let s = start.elapsed().as_secs_f64();
    println!("sent {sent} in {s:.3} s ({:.0} pps)", sent as f64 / s);
}
