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
bin=$(benches/build.sh decode_pcap)
python3 - "$work/big.pcap" "$bin" "$n" "${opts[@]}" <<'PY'
import os, resource, subprocess, sys, time
pcap, binary, n, opts = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
env = dict(os.environ, TZ="UTC")
cmds = {
    "tcpdump -nn -r": ["tcpdump", "-nn", "-r", pcap] + opts,
    "podcap printer": [binary] + opts + [pcap],
}
def lines(cmd):
    out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    return out.count(b"\n")
def timed(cmd):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    t1 = time.monotonic()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return t1 - t0, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
print(f"packets {n}, options [{' '.join(opts)}], output to /dev/null, best of 3 runs (CPU time)")
best = {}
for name, cmd in cmds.items():
    nl = lines(cmd)
    runs = [timed(cmd) for _ in range(3)]
    wall, cpu = min(runs, key=lambda r: r[1])
    best[name] = (nl, wall, cpu)
    print(f"{name}: {nl} lines, {cpu:.2f} s CPU ({wall:.2f} s wall) = {nl / cpu:,.0f} lines/s")
t, p = best["tcpdump -nn -r"], best["podcap printer"]
print(f"ratio podcap/tcpdump (lines per CPU second): {(p[0] / p[2]) / (t[0] / t[2]):.2f}x")
PY
