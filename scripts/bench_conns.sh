#!/usr/bin/env bash
# Many connections (issue 8): one sprout server hub holds N idle TCP
# connections, then all of them ping-pong at once, then each pings once a
# second. Server pinned to core 1, load generator to core 0. Each process
# needs N file descriptors: the default N = 19000 fits the hard limit of
# 20000 on our machines (which lack CAP_SYS_RESOURCE to raise it); where the
# hard limit allows, run `scripts/bench_conns.sh 100000`. Replaces the
# "conns" section of BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-19000}
cargo build --release -q -p sprout-bench --bin conns
taskset -c 0 target/release/conns client "$n" "taskset -c 1" | tee /dev/stderr \
  | scripts/splice_bench.py conns "Connections: $n on one hub" "scripts/bench_conns.sh $n"
