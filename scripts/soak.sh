#!/usr/bin/env bash
# Soak test (issue 6): runs the echo-server soak for the given number of
# seconds (default 600), then the fuzz targets for a bounded time each, and
# writes the report to RELIABILITY.md. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
fuzz_secs=${FUZZ_SECONDS:-60}
ulimit -n 20000 || true
cargo build --release -q -p sprout-bench --bin soak
report=$(target/release/soak "$secs" 64)
echo "$report"
fuzz=""
if command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked -q; then
  for t in timer_queue wait_list; do
    line=$(cargo fuzz run "$t" --sanitizer none -- -max_total_time="$fuzz_secs" 2>&1 | grep -E '^Done [0-9]+ runs' || true)
    fuzz+="| $t | ${line:-FAILED} |"$'\n'
  done
fi
{
  echo "# Reliability"
  echo
  echo "Figures from \`scripts/soak.sh $secs\` on $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -sr)."
  echo
  echo "$report"
  echo
  echo "## Fuzzing (cargo fuzz, model-based, ${fuzz_secs} s each)"
  echo
  echo "| target | result |"
  echo "|---|---|"
  printf '%s' "$fuzz"
} > RELIABILITY.md
echo "RELIABILITY.md written"
