#!/usr/bin/env bash
# Where the echo servers of the net benchmark spend their time per request,
# side by side: perf samples the server core (1) during one `net_echo ab`
# rotation, so every server is sampled in the same minutes, slice after
# slice, like the paired ratios of the tables (profile_perf.sh samples one
# server alone, whose figures move with the machine's drift).
#
#   scripts/profile_pair.sh pingpong|churn CONNS SLICE_MS CYCLES [IMPL...]
#                           (default IMPLs: sprout tokio mio)
#
# Each server runs from its own copy of net_echo (target/pair/IMPL), so
# perf tells them apart by command name. Prints the `ab` table, then per
# server the kernel and user CPU µs per request (the samples spread over
# the server's CPU time per request that `ab` measured), and the functions
# where the servers differ most. Needs perf (Debian:
# `apt-get install linux-perf`); the samples stay in target/perf.pair.data.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 4 ] || { sed -n 8,9p "$0" >&2; exit 2; }
load=$1 conns=$2 slice=$3 cycles=$4
shift 4
impls=("$@")
[ ${#impls[@]} -gt 0 ] || impls=(sprout tokio mio)
command -v perf >/dev/null || { echo "needs perf (apt-get install linux-perf)" >&2; exit 1; }
cargo build --release -q -p sprout-bench --bin net_echo
mkdir -p target/pair
specs=()
for i in "${impls[@]}"; do
  cp target/release/net_echo "target/pair/$i"
  specs+=("$i=target/pair/$i:$i")
done
data=target/perf.pair.data
table=$(mktemp)
report=$(mktemp)
trap 'rm -f "$table" "$report"; kill "${rec:-}" 2>/dev/null || true' EXIT

perf record -q -a -C 1 -F 2000 -e cpu-clock -o "$data" 2>/dev/null &
rec=$!
# The rotation's driver runs as net_echo, so that its own (few) samples on
# core 1 are not counted as a server's.
target/release/net_echo ab "$load" "$conns" "$slice" "$cycles" "${specs[@]}" | tee "$table"
kill -INT "$rec"
wait "$rec" || true
rec=

perf report -i "$data" --no-children --sort comm,sym -q -n >"$report" 2>/dev/null
python3 - "$table" "$report" "${impls[@]}" <<'PY'
import collections, sys
table, report, impls = sys.argv[1], sys.argv[2], sys.argv[3:]
# From the ab table: each server's CPU µs per request (column 3).
cpu = {}
for line in open(table):
    f = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(f) > 2 and f[0] in impls:
        cpu[f[0]] = float(f[2])
samples = collections.defaultdict(collections.Counter)
for line in open(report):
    f = line.split(None, 3)
    if len(f) == 4 and f[0].endswith("%") and f[1].isdigit() and f[2] in cpu:
        samples[f[2]][f[3].strip()] += int(f[1])
missing = [i for i in impls if not samples[i]]
if missing:
    sys.exit(f"no samples for {missing}")
# µs per request of one function: its share of the server's samples times
# the server's CPU per request.
us = {i: {s: n / sum(samples[i].values()) * cpu[i] for s, n in samples[i].items()} for i in impls}
print()
print("µs per request   " + "".join(f"{i:>10}" for i in impls))
for label, kernel in (("kernel", True), ("user", False)):
    row = [sum(v for s, v in us[i].items() if s.startswith("[k]") == kernel) for i in impls]
    print(f"{label:16} " + "".join(f"{v:10.2f}" for v in row))
print()
print("functions that differ most (µs per request):")
syms = set().union(*(us[i].keys() for i in impls))
spread = lambda s: max(us[i].get(s, 0) for i in impls) - min(us[i].get(s, 0) for i in impls)
for s in sorted(syms, key=spread, reverse=True)[:25]:
    print("".join(f"{us[i].get(s, 0):8.3f}" for i in impls) + f"  {s[:90]}")
PY
