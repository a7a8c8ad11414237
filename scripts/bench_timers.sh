#!/usr/bin/env bash
# Timer queue cost with 0 and 1M pending timers (issue 8); replaces the
# "timers" section of BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p sprout-bench --bin timers
taskset -c 1 target/release/timers | tee /dev/stderr \
  | scripts/splice_bench.py timers "Timers: the queue with a million pending timers" "scripts/bench_timers.sh"
