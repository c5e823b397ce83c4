#!/usr/bin/env bash
# Soak (not a test): podcap capturing a steady flow for a long time into a
# ring of rotated files (-C/-W), its resident set sampled every minute.
#   benches/soak.sh [MINUTES] [PPS]       (root; prints one line per sample)
# The flow is ICMP echo of 1200 bytes at PPS packets per second between two
# namespaces; podcap rotates 1 MB files in a ring of 5 on tmpfs.
# PODCAP=/path/to/podcap uses a binary built before instead of building.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-60}
PPS=${2:-500}
if [ -z "${PODCAP:-}" ]; then
  cargo build --release -q
  PODCAP=$PWD/target/x86_64-unknown-linux-musl/release/podcap
fi
A=pcsoakA-$$ B=pcsoakB-$$ D=$(mktemp -d /dev/shm/podcap-soak.XXXX)
PC=
# Every step may fail (podcap already gone): none may stop the rest under -e.
cleanup() {
  if [ -n "$PC" ]; then kill -INT "$PC" 2>/dev/null || true; wait "$PC" 2>/dev/null || true; fi
  if [ -n "${PING:-}" ]; then kill "$PING" 2>/dev/null || true; fi
  ip netns del "$A" 2>/dev/null || true; ip netns del "$B" 2>/dev/null || true; rm -rf "$D"
}
trap cleanup EXIT
ip netns add "$A"; ip netns add "$B"
ip link add va netns "$A" type veth peer vb netns "$B"
ip -n "$A" addr add 10.97.0.1/24 dev va; ip -n "$B" addr add 10.97.0.2/24 dev vb
ip -n "$A" link set va up; ip -n "$B" link set vb up
ip netns exec "$A" "$PODCAP" tcpdump -i va -C 1 -W 5 -w "$D/soak.pcap" 2>"$D/err" &
PC=$!
until grep -q "listening on" "$D/err"; do sleep 0.2; done
INTERVAL=$(awk -v p="$PPS" 'BEGIN { printf "%.4f", 1 / p }')
ip netns exec "$A" ping -q -s 1200 -i "$INTERVAL" -w $((MINUTES * 60 + 30)) 10.97.0.2 >/dev/null &
PING=$!
for m in $(seq 0 "$MINUTES"); do
  rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$PC/status")
  hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$PC/status")
  printf 'minute %3d  RSS %6s KiB  peak %6s KiB  files %s\n' "$m" "$rss" "$hwm" "$(find "$D" -name 'soak.pcap*' | wc -l)"
  [ "$m" -lt "$MINUTES" ] && sleep 60
done
kill -INT "$PC"; wait "$PC" || true; PC=
cat "$D/err"
for f in "$D"/soak.pcap*; do
  printf '%s: %s\n' "$(basename "$f")" "$(tshark -r "$f" 2>&1 >/dev/null | grep -v '^Running as' || echo clean)"
done
