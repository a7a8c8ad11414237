#!/usr/bin/env bash
# Many connections (issue 8): one sprout server hub holds N (default
# 100,000) idle TCP connections, then all of them ping-pong at once. Server
# pinned to core 1, load generator to core 0. Needs root (or a hard fd limit
# above 2N) to raise RLIMIT_NOFILE. Replaces the "conns" section of
# BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
cargo build --release -q -p sprout-bench --bin conns
taskset -c 0 target/release/conns client "$n" "taskset -c 1" | tee /dev/stderr \
  | scripts/splice_bench.py conns "Connections: $n on one hub" "scripts/bench_conns.sh $n"
