#!/usr/bin/env bash
# Builds the Rust benchmark benches/NAME.rs with the bench profile (the
# release settings, see Cargo.toml) and prints the path of its executable,
# for the benchmark scripts that run it themselves:
#   exe=$(benches/build.sh bpf_speed [cargo options...])
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: benches/build.sh NAME [cargo options...]}
shift
exe=$(cargo bench -q --no-run --bench "$name" --message-format=json "$@" |
  sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)
[ -n "$exe" ] || { echo "benches/build.sh: no executable for $name" >&2; exit 1; }
echo "$exe"
