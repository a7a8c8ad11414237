#!/usr/bin/env bash
# Net benchmark (issue 3): the echo server of sprout, tokio (current-thread),
# may (one worker) and a hand-written mio loop, each pinned to core 1, under
# a load generator pinned to core 0. Replaces the "Net" section of
# BENCHMARKS.md with the result (appends it the first time).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p sprout-bench --bin net_echo
out=$(target/release/net_echo run "$@")
printf '%s\n' "$out"
load=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$out" "$load" <<'PY'
import re, sys, datetime, platform
out, load = sys.argv[1], sys.argv[2]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown cpu")
section = f"""<!-- net:begin -->
## Net

Command: `scripts/bench_net.sh` (runs `target/release/net_echo run`, built from
`bench/src/bin/net_echo/`). Machine: {cpu}, {platform.system()} {platform.release()};
{datetime.date.today().isoformat()}; load average at the end: {load}. The machine has two
cores shared with other work, so figures move by tens of percent between runs: compare
rows of one table, not tables of different days.

{out}
Reading the tables: the machine's speed drifts by 2-3x over seconds (a shared, nested-virtualised
VM), so figures of different runs, and requests/s of servers measured one after the other, say
little. The ratio columns are the figures to read: each compares two servers slice by slice in
the same cycle of the rotation (at 10,000 connections the slices last a second), and the bracket shows how
far the middle half of those paired ratios spreads. A ratio whose bracket holds 1.00 is a tie on
this machine. The server CPU per request is each server's own cost; requests/s at one connection
is mostly the cost of waking sleeping threads, which this VM makes dear (see the busy-poll note in
README.md). In the churn table the load generator's core is saturated, so requests/s is its cost
per request, part of which is waking the server: sprout's hub polls for up to 20 µs before it
sleeps when its last wait was that short (`sprout::io::set_busy_poll`, `SPROUT_BUSY_POLL_US`), and
may's threads keep their core awake, which spares their clients most of those wake-ups at some
more server CPU per request. At 1,000 and 10,000 connections the stackful servers pay for their
stacks in cache misses: `scripts/profile_cache.sh` (callgrind's cache model with this machine's
L1 and 1 MiB L2, blind to prefetches) counts, at 1,000 connections, 1,034 instructions and 11.7
L2 misses per request for sprout against 1,257 and 0.05 for tokio, whose per-connection state fits
in L2 where a thousand greenlet stacks do not (at 10,000 connections 1,034 and 15.5 against 1,257
and 5.4). Sprout's hub hides most of those misses behind prefetches (README.md): before it switches
to a greenlet it asks for the next one's stack lines (its coroutine lives in the top ones), the
two lines of its entry, its socket's state (one line, with the socket's first waiter in it) and
the entry of the one after it; the loops over a poll's events and over the greenlets they wake ask
for the socket state or entry four items ahead. In CPU time: in `net_echo ab pingpong 10000 1000
40`, sprout's user time per request came out at 1.14 µs against 1.15 for tokio, and 1.42 for the
build before the look-ahead prefetches (1.28 before the socket state and the entries were packed
into whole lines); the kernel's socket work, some 90% of every server's CPU time here, dominates
either way. Each handler still touches two pages of its stack per request: the top one (the
coroutine and its link to the hub, the connection) and the one of its 4 KiB buffer and the frames
below it. Smaller stacks spread less over the address space: in paired runs of `net_echo ab
pingpong 10000 1000 40-60` with `SPROUT_STACK_SIZE=16384` or `32768` (or
`StreamServer::set_stack_size`), sprout's server CPU per request came out 0-4% below that with the
default 256 KiB, varying from run to run by as much, so the tables keep the default. Busy polling
is a trade-off at 10,000 connections: in three paired runs of `net_echo ab pingpong 10000 1000
40-60`, `SPROUT_BUSY_POLL_US=0` served 0.9-2.5% more requests/s than the default, where at 1,000
and 3,000 connections (`ab pingpong N 200-500 50-100`) the default served 3% and 1.6% more, and
13% more in churn; the tables keep the default.
<!-- net:end -->"""
doc = open("BENCHMARKS.md").read()
if "<!-- net:begin -->" in doc:
    doc = re.sub(r"<!-- net:begin -->.*?<!-- net:end -->", lambda _: section, doc, flags=re.S)
else:
    doc = doc.rstrip() + "\n\n" + section + "\n"
open("BENCHMARKS.md", "w").write(doc)
PY
echo "BENCHMARKS.md updated"
