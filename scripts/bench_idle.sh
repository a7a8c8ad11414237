#!/usr/bin/env bash
# Idle green threads (issue 8): RSS and spawn time per blocked task at 10k,
# 100k and 1M, for sprout, may (1 worker), tokio (current-thread) and gevent;
# each case in its own process pinned to one core. Writes docs/idle.svg and
# the "idle" section of BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import gevent' 2>/dev/null || pip install -q gevent
mkdir -p docs
cargo build --release -q -p sprout-bench --bin idle
taskset -c 1 target/release/idle docs/idle.svg | tee /dev/stderr \
  | scripts/splice_bench.py idle "Idle greenlets: memory and spawn time per blocked task" "scripts/bench_idle.sh"
