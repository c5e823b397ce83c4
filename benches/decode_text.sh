#!/usr/bin/env bash
# Text output rate: podcap's printer vs `tcpdump -nn -r` on the same large
# pcap, in one run. The pcap is the Kubernetes-shaped traffic of
# tests/decode/traffic.sh (ARP, ICMP/ICMPv6, ND, TCP, UDP, DNS, HTTP,
# VXLAN 4789/8472, VLAN, Geneve...) repeated to N packets (default 1M).
# Usage: benches/decode_text.sh [N] [tcpdump options...]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
shift || true
opts=("$@")
work=$(mktemp -d /tmp/podcap-bench-decode.XXXXXX)
trap 'rm -rf "$work"' EXIT
bash tests/decode/traffic.sh "$work" "b$$" >/dev/null
python3 - "$work/eth.pcap" "$work/big.pcap" "$n" <<'PY'
import struct, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
d = open(src, "rb").read()
hdr, recs, off = d[:24], [], 24
while off + 16 <= len(d):
    ts, us, cap, orig = struct.unpack("<IIII", d[off:off + 16])
    recs.append((cap, orig, d[off + 16:off + 16 + cap]))
    off += 16 + cap
with open(dst, "wb") as f:
    f.write(hdr)
    t = 1_700_000_000 * 1_000_000
    for i in range(n):
        cap, orig, data = recs[i % len(recs)]
        t += 37
        f.write(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, cap, orig) + data)
PY
cargo build --release --example decode_pcap >/dev/null 2>&1
bin=target/x86_64-unknown-linux-musl/release/examples/decode_pcap
lines() { wc -l | tr -d ' '; }
t0=$(date +%s.%N)
tl=$(TZ=UTC tcpdump -nn -r "$work/big.pcap" "${opts[@]}" 2>/dev/null | lines)
t1=$(date +%s.%N)
pl=$("$bin" "${opts[@]}" "$work/big.pcap" | lines)
t2=$(date +%s.%N)
python3 - "$n" "$tl" "$pl" "$t0" "$t1" "$t2" "${opts[*]:-}" <<'PY'
import sys
n, tl, pl = map(int, sys.argv[1:4])
t0, t1, t2 = map(float, sys.argv[4:7])
td, pd = t1 - t0, t2 - t1
print(f"packets {n}, options [{sys.argv[7]}]")
print(f"tcpdump -nn -r: {tl} lines in {td:.2f} s = {tl / td:,.0f} lines/s")
print(f"podcap printer: {pl} lines in {pd:.2f} s = {pl / pd:,.0f} lines/s")
print(f"ratio podcap/tcpdump: {td / pd:.2f}x")
PY
