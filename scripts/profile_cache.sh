#!/usr/bin/env bash
# Instructions and cache misses per request of one echo server of the net
# benchmark, from callgrind's cache simulator: counts, not seconds, so they
# repeat from run to run whatever else the machine does.
#
#   scripts/profile_cache.sh [sprout|tokio] [connections]   (default: sprout 1000)
#
# (may and the mio loop are servers of the benchmark too, but not every one
# survives the 50x slowdown of valgrind with a thousand clients.)
#
# The server (`net_echo server IMPL`) runs under callgrind with this
# machine's first two data-cache levels as D1 and LL (48 KiB and 1 MiB
# here; set D1/LL to override), driven by `net_echo slices pingpong N`.
# Instrumentation is on only during a 4 s slice after a 4 s warm-up, and
# requests are the calls to recv() in that window. Prints per request:
# instructions (Ir), D1 misses and LL misses (reads + writes), then the
# functions with the most LL misses. The output file stays in
# target/callgrind.IMPL.out for callgrind_annotate.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/load_process.sh
impl=${1:-sprout}
conns=${2:-1000}
cache_size() { # index: 0 = L1d, 2 = L2 on x86-64 Linux
  local d=/sys/devices/system/cpu/cpu0/cache/index$1
  echo "$(($(sed 's/K$//' "$d/size") * 1024)),$(cat "$d/ways_of_associativity"),$(cat "$d/coherency_line_size")"
}
D1=${D1:-$(cache_size 0)}
LL=${LL:-$(cache_size 2)}
cargo build --release -q -p sprout-bench --bin net_echo
bin=target/release/net_echo
out=target/callgrind.$impl.out
port_file=$(mktemp)
trap 'rm -f "$port_file"; kill "${vg:-}" "${load_pid:-}" 2>/dev/null || true' EXIT

# (valgrind warns about the L3 it finds before it takes D1/LL from here)
taskset -c 1 valgrind -q --tool=callgrind --cache-sim=yes --D1="$D1" --LL="$LL" \
  --instr-atstart=no --callgrind-out-file="$out" "$bin" server "$impl" >"$port_file" &
vg=$!
for _ in $(seq 100); do grep -q PORT "$port_file" && break; sleep 0.2; done
port=$(awk '{print $2}' "$port_file")

load_start "$bin" "$conns" "$port" "$vg"
load_slice 4000 0
callgrind_control -i on "$vg" >/dev/null
load_slice 4000 1
callgrind_control -i off "$vg" >/dev/null
load_end
kill "$vg"
wait "$vg" 2>/dev/null || true

python3 - "$out" "$impl" "$conns" "$D1" "$LL" <<'PY'
import re, subprocess, sys
path, impl, conns, d1, ll = sys.argv[1:]
names, calls, cur_cfn = {}, 0, None
events = totals = None
for line in open(path):
    m = re.match(r"(c?fn)=\((\d+)\)(?: (.*))?", line)
    if m:
        kind, fid, name = m.groups()
        if name:
            names[fid] = name.strip()
        cur_cfn = names.get(fid) if kind == "cfn" else None
        continue
    if line.startswith("calls=") and cur_cfn in ("recv", "__libc_recv"):
        calls += int(line.split()[0].split("=")[1])
    if line.startswith("events:"):
        events = line.split()[1:]
    if line.startswith("summary:") or line.startswith("totals:"):
        totals = [int(x) for x in line.split()[1:]]
if not calls or not totals:
    sys.exit(f"no requests seen in {path}")
e = dict(zip(events, totals))
per = lambda k: e.get(k, 0) / calls
print(f"{impl}, {conns} connections, D1 {d1}, LL {ll}: {calls} requests in the window")
print(f"  per request: {per('Ir'):.0f} instructions, "
      f"D1 misses {per('D1mr') + per('D1mw'):.2f}, LL misses {per('DLmr') + per('DLmw'):.2f}")
ann = subprocess.run(["callgrind_annotate", "--sort=DLmr,DLmw", "--auto=no", path],
                     capture_output=True, text=True).stdout.splitlines()
print("  most LL misses (reads, writes per request; function):")
cell = r"(\d[\d,]*|\.)(?:\s*\(\s*[\d.]+%\))?\s+"
row = re.compile(r"^\s*" + cell * len(events) + r"(\S.*)$")
shown = 0
for l in ann:
    m = row.match(l)
    if not m or "PROGRAM TOTALS" in l or ":" not in m.group(len(events) + 1):
        continue
    vals = dict(zip(events, (0 if g == "." else int(g.replace(",", "")) for g in m.groups())))
    if vals.get("DLmr", 0) + vals.get("DLmw", 0) == 0:
        continue
    fn = m.group(len(events) + 1).split(":", 1)[1]
    print(f"    {vals.get('DLmr', 0) / calls:5.2f} {vals.get('DLmw', 0) / calls:5.2f}  {fn[:110]}")
    shown += 1
    if shown == 12:
        break
PY
