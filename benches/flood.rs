//! UDP flood for benches/capture.sh: `cargo bench --bench flood -- NETNS
//! DST:PORT COUNT SIZE [THREADS]` sends COUNT datagrams of SIZE bytes from
//! inside NETNS, split over THREADS senders, as fast as they can, then
//! prints `sent N in S s (P pps)`. Not a timing test: the capture figures
//! come from the capture tools' own counters.

use std::net::UdpSocket;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.len() < 4 {
        eprintln!("usage: flood NETNS DST:PORT COUNT SIZE [THREADS]");
        std::process::exit(2);
    }
    let count: u64 = args[2].parse().unwrap_or(100_000);
    let size: usize = args[3].parse().unwrap_or(64);
    let threads: u64 = args.get(4).and_then(|t| t.parse().ok()).unwrap_or(1).max(1);
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (ns, dst) = (args[0].clone(), args[1].clone());
            std::thread::spawn(move || -> u64 {
                if let Err(e) = podcap::netns::enter(&ns) {
                    eprintln!("flood: {e}");
                    return 0;
                }
                let Ok(sock) = UdpSocket::bind("0.0.0.0:0") else {
                    eprintln!("flood: cannot bind a UDP socket");
                    return 0;
                };
                let payload = vec![0x5a; size];
                let mut sent = 0;
                for _ in 0..count / threads {
                    if sock.send_to(&payload, &dst).is_ok() {
                        sent += 1;
                    }
                }
                sent
            })
        })
        .collect();
    let sent: u64 = handles.into_iter().map(|h| h.join().unwrap_or(0)).sum();
    let s = start.elapsed().as_secs_f64();
    println!("sent {sent} in {s:.3} s ({:.0} pps)", sent as f64 / s);
}
