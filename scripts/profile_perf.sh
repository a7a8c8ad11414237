#!/usr/bin/env bash
# Where one echo server of the net benchmark spends its time per request,
# kernel included, from perf's cpu-clock sampling (a timer, so it works on
# VMs without hardware counters, like the ones these benchmarks ran on).
#
#   scripts/profile_perf.sh [sprout|tokio|may|mio] [connections] [ms]
#                           (default: sprout 1000 4000)
#
# The server (`net_echo server IMPL`) runs pinned to core 1 and is driven by
# `net_echo slices pingpong N` on core 0; perf samples the server at 4 kHz (more disturbs it
# visibly on these VMs)
# during one counted slice of `ms` after a warm-up slice. Prints the
# requests, how often the load process went to sleep (each time, on
# loopback, a reply of the server had to wake it: the wake-up is the
# server's work, in `sock_def_readable`), and microseconds per request of
# the functions where the server spent the most, kernel ([k]) and user
# ([.]). The samples stay in target/perf.IMPL.data for `perf report`.
# Needs perf (Debian: `apt-get install linux-perf`).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/load_process.sh
impl=${1:-sprout}
conns=${2:-1000}
ms=${3:-4000}
command -v perf >/dev/null || { echo "needs perf (apt-get install linux-perf)" >&2; exit 1; }
cargo build --release -q -p sprout-bench --bin net_echo
bin=target/release/net_echo
data=target/perf.$impl.data
port_file=$(mktemp)
report=$(mktemp)
trap 'rm -f "$port_file" "$report"; kill "${srv:-}" "${load_pid:-}" "${rec:-}" 2>/dev/null || true' EXIT

taskset -c 1 "$bin" server "$impl" >"$port_file" &
srv=$!
for _ in $(seq 100); do grep -q PORT "$port_file" && break; sleep 0.1; done
port=$(awk '{print $2}' "$port_file")

load_start "$bin" "$conns" "$port" "$srv"
load_slice 1500 0
perf record -q -e cpu-clock -F 4000 -p "$srv" -o "$data" 2>/dev/null &
rec=$!
load_slice "$ms" 1
kill -INT "$rec"
wait "$rec" || true
load_end

perf report -i "$data" --no-children --sort sym -q -n >"$report" 2>/dev/null
python3 - "$impl" "$conns" "$load_total" "$report" <<'PY'
import sys
impl, conns, total, report = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4]
# TOTAL requests secs server_cpu_ns load_sleeps (counted window only)
requests, cpu_ns, sleeps = int(total[1]), float(total[3]), int(total[4])
rows = []
for line in open(report):
    f = line.split(None, 2)
    if len(f) == 3 and f[0].endswith("%") and f[1].isdigit():
        rows.append((int(f[1]), f[2].strip()))
samples = sum(n for n, _ in rows) or 1
# perf's window is a little longer than the counted one: spread the
# server's CPU time per request over the counted window by each
# function's share of the samples.
per_request = cpu_ns / 1000.0 / requests
us = lambda n: n / samples * per_request
print(f"{impl}, {conns} connections: {requests} requests counted, "
      f"load process slept {sleeps * 1000 / requests:.1f} times per 1,000 requests")
kernel = sum(n for n, s in rows if s.startswith("[k]"))
print(f"  server CPU µs per request: {per_request:.2f}, kernel {us(kernel):.2f}, "
      f"user {us(samples - kernel):.2f}")
print("  most time (µs per request; function):")
for n, s in rows[:20]:
    print(f"    {us(n):6.3f}  {s[:100]}")
PY
