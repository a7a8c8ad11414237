#!/usr/bin/env bash
# Core runtime benchmark (issue 2): switch cost and spawn+join of sprout vs
# raw corosensei, may (1 worker) and tokio (current-thread), pinned to one
# core; replaces the "core" section of BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p sprout-bench --bin core
taskset -c 1 target/release/core | tee /dev/stderr \
  | scripts/splice_bench.py core "Core runtime: switches and spawn" "scripts/bench_core.sh"
