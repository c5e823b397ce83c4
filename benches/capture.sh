#!/usr/bin/env bash
# Capture benchmarks for BENCHMARKS.md, podcap against tcpdump in one run:
#  1. the same UDP flood over a veth captured by both at once (-w to tmpfs):
#     packets captured / dropped by kernel as each reports them, with
#     default rings, equal 2 MiB rings, small 256 KiB rings, and with -U;
#  2. writing to disk: a flood of SIZE_DISK-byte datagrams (default 1400)
#     captured by both at once into files on a real disk (DISK, default
#     /var/tmp), then to /dev/null: drops and CPU (user + system, GNU
#     time) of each;
#  3. text output rate: `-r` on the same file with -nn, -nn -v, -nn -e -X,
#     to /dev/null;
#  4. peak RSS of each (GNU time's "Maximum resident set size").
# Run as root on an idle machine (scripts/setup --bench installs GNU time):
#   benches/capture.sh [COUNT] [SIZE]          (ONLY=disk runs part 2 only)
# PODCAP=/path/to/podcap and FLOOD=/path/to/flood use binaries built
# before (so the tree may change while it runs) instead of building them.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-1000000}
SIZE=${2:-64}
if [ -z "${PODCAP:-}" ]; then
  cargo build --release -q
  PODCAP=target/x86_64-unknown-linux-musl/release/podcap
fi
FLOOD=${FLOOD:-$(benches/build.sh flood)}
A=pcbenchA-$$ B=pcbenchB-$$ D=$(mktemp -d /dev/shm/podcap-bench.XXXX)
cleanup() { ip netns del "$A" 2>/dev/null || true; ip netns del "$B" 2>/dev/null || true; rm -rf "$D"; }
trap cleanup EXIT
ip netns add "$A"; ip netns add "$B"
ip link add va netns "$A" type veth peer vb netns "$B"
ip -n "$A" addr add 10.99.0.1/24 dev va; ip -n "$B" addr add 10.99.0.2/24 dev vb
ip -n "$A" link set va up; ip -n "$B" link set vb up
ip -n "$A" neigh replace 10.99.0.2 lladdr "$(ip -n "$B" -br link show vb | awk '{print $3}')" dev va nud permanent
# Nothing listens in B: drop the datagrams before they cost ICMP replies.
if ip netns exec "$B" nft add table inet bench 2>/dev/null; then
  ip netns exec "$B" nft add chain inet bench in '{ type filter hook input priority 0; policy drop; }' 2>/dev/null || true
fi

run_pair() { # label extra-args...
  local label=$1; shift
  local out=${OUT:-$D}
  rm -f "$D"/*.pcap
  local po=$out/podcap.pcap to=$out/tcpdump.pcap
  if [ "$out" = /dev/null ]; then po=/dev/null; to=/dev/null; fi
  /usr/bin/time -v -o "$D/podcap.time" ip netns exec "$A" "$PODCAP" tcpdump -i va "$@" -w "$po" 2>"$D/podcap.err" &
  local pp=$!
  /usr/bin/time -v -o "$D/tcpdump.time" ip netns exec "$A" tcpdump -Z root -i va "$@" -w "$to" 2>"$D/tcpdump.err" &
  local tp=$!
  until grep -q "listening on" "$D/podcap.err" 2>/dev/null && grep -q "listening on" "$D/tcpdump.err" 2>/dev/null; do sleep 0.2; done
  local sent; sent=$("$FLOOD" "/run/netns/$A" 10.99.0.2:9 "$COUNT" "$SIZE" "${THREADS:-2}")
  sleep 1
  kill -INT $(pgrep -P "$pp") $(pgrep -P "$tp") 2>/dev/null || true
  wait "$pp" || true; wait "$tp" || true
  echo "== $label: flood $sent"
  for t in podcap tcpdump; do
    local cap drop rss cpu
    cap=$(grep -E 'packets? captured' "$D/$t.err" | awk '{print $1}')
    drop=$(grep -E 'dropped by kernel' "$D/$t.err" | awk '{print $1}')
    rss=$(grep 'Maximum resident' "$D/$t.time" | awk '{print $6}')
    cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$D/$t.time")
    printf '%-8s captured %9s  dropped %9s  CPU %6s s  peak RSS %6s KiB\n' "$t" "$cap" "$drop" "$cpu" "$rss"
  done
  rm -f "$out"/podcap.pcap "$out"/tcpdump.pcap 2>/dev/null || true
}

if [ "${ONLY:-}" = disk ] || [ -z "${ONLY:-}" ]; then
  DISKDIR=$(mktemp -d "${DISK:-/var/tmp}/podcap-bench.XXXX")
  SIZE_SAVED=$SIZE; SIZE=${SIZE_DISK:-1400}
  OUT=$DISKDIR run_pair "${SIZE}-byte flood to a file on disk ($DISKDIR)"
  OUT=/dev/null run_pair "${SIZE}-byte flood to /dev/null"
  SIZE=128
  OUT=/dev/null run_pair "128-byte flood to /dev/null"
  SIZE=$SIZE_SAVED
  rm -rf "$DISKDIR"
  [ "${ONLY:-}" = disk ] && exit 0
fi

run_pair "default buffers (podcap 4 MiB, tcpdump 2 MiB)"
run_pair "equal buffers -B 2048" -B 2048
run_pair "small rings -B 256" -B 256
run_pair "small rings -B 256, packet-buffered (-U)" -B 256 -U

echo "== text output: -nn -r on the same $(tshark -r "$D/tcpdump.pcap" 2>/dev/null | wc -l)-packet file, to /dev/null"
for opts in "-nn" "-nn -v" "-nn -e -X"; do
  for t in podcap tcpdump; do
    if [ $t = podcap ]; then cmd=("$PODCAP" tcpdump); else cmd=(tcpdump); fi
    # shellcheck disable=SC2086
    /usr/bin/time -f "%e s, peak RSS %M KiB" -o "$D/$t.rt" "${cmd[@]}" $opts -r "$D/tcpdump.pcap" >/dev/null 2>&1
    printf '%-8s %-10s %s\n' "$t" "$opts" "$(cat "$D/$t.rt")"
  done
done
