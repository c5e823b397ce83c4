#!/usr/bin/env bash
# Release binary size per profile choice, and what each choice costs on the
# capture path (classic BPF interpreter throughput over a synthetic corpus,
# benches/bpf_speed.rs, and the --path correlator, benches/path_bench.rs;
# thread CPU time, so a busy machine skews them little; both built with the
# bench profile, which takes the variant's release settings).
# Numbers go to BENCHMARKS.md "Binary size". Each variant builds in its own
# target dir under target/size-*, so the first run compiles everything six
# times (about 10 minutes on 2 cores).
#   benches/size.sh            # all variants
#   benches/size.sh os-fat     # only some
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A CFG=(
  [o3-fat]="profile.release.opt-level=3"
  [o3-thin]="profile.release.opt-level=3 profile.release.lto='thin'"
  [o3-nolto]="profile.release.opt-level=3 profile.release.lto=false"
  [o2-fat]="profile.release.opt-level=2"
  [os-fat]="profile.release.opt-level='s'"
  [oz-fat]="profile.release.opt-level='z'"
)
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(o3-fat o3-thin o3-nolto o2-fat os-fat oz-fat)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tcpdump -ddd -y EN10MB 'tcp port 80 or udp port 53 or icmp' >"$tmp/p1.ddd"
tcpdump -ddd -y EN10MB 'host 10.244.1.3 and (tcp port 80 or tcp port 443) or (ip6 and udp port 53) or (vlan and tcp)' >"$tmp/p2.ddd"
declare -A BPF PATHB
for v in "${variants[@]}"; do
  [ -n "${CFG[$v]:-}" ] || { echo "unknown variant $v (${!CFG[*]})" >&2; exit 2; }
  args=(--target-dir "target/size-$v")
  read -r -a cfg <<<"${CFG[$v]}"
  for c in "${cfg[@]}"; do args+=(--config "$c"); done
  cargo build -q --release --bin podcap "${args[@]}"
  BPF[$v]=$(benches/build.sh bpf_speed "${args[@]}")
  PATHB[$v]=$(benches/build.sh path_bench "${args[@]}")
done
printf '%-9s %10s %10s %10s %12s\n' variant bytes "p1 ns/pkt" "p2 ns/pkt" "path CPU s"
for v in "${variants[@]}"; do
  d=target/size-$v/x86_64-unknown-linux-musl/release
  s1=$("${BPF[$v]}" "$tmp/p1.ddd" | awk '{print $1}')
  s2=$("${BPF[$v]}" "$tmp/p2.ddd" | awk '{print $1}')
  pb=$("${PATHB[$v]}" 300000 2>&1 | awk '/cpu time/ {print $3}')
  printf '%-9s %10s %10s %10s %12s\n' "$v" "$(stat -c %s "$d/podcap")" "$s1" "$s2" "$pb"
done
