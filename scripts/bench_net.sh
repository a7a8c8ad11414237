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
far the middle half of those paired ratios spreads. That bracket says little about how far the
ratio itself can be trusted: a process's luck lasts as long as the process, so the independent
samples are the rounds of fresh processes, and the line under each table gives sprout's ratios as
the mean over the rounds of each round's median, with its standard error. A ratio within two
standard errors of 1.00 is a tie on this machine. The server CPU per request is each server's own cost, waking its load process
included (see below); requests/s at one connection
is mostly the cost of waking sleeping threads, which this VM makes dear (see the busy-poll note in
README.md). In the churn table the load generator's core is saturated, so requests/s is its cost
per request, part of which is waking the server: sprout's hub polls for up to 20 µs before it
sleeps when its last wait was that short (`sprout::io::set_busy_poll`, `SPROUT_BUSY_POLL_US`), and
may's threads keep their core awake, which spares their clients most of those wake-ups at some
more server CPU per request. At 10,000 connections the order in which the connections were made
weighs more than the servers do: four identical sprout servers whose connections were made one
server after the other (as these tables did before 2026-12-03, sprout's first) served 1.00, 1.04,
1.06 and 1.12x in that order (`net_echo ab pingpong 10000 1000 16` with four `sprout` rows, on an
Intel Xeon of this kind of VM), and the order followed the load processes when those were started
in reverse. Connections are now made in turns, the cycles split over rounds of fresh processes
(four until 2026-12-04, sixteen since), and the slices ordered by a Williams design (the preamble
above); the same four servers then came out 1.00, 0.995, 0.98 and 0.99x. The bias had favoured every variant listed after the
default in earlier `ab` runs at 10,000 connections: with connections made in turns,
`SPROUT_BUSY_POLL_US=0` and `SPROUT_STACK_SIZE=65536` served 0.976x and 0.983x of the default there
(16 cycles), and busy polling off 1.003x at 1,000 connections (60 cycles), so the tables keep the
default 20 µs busy poll and 256 KiB stacks. At 1,000 connections the load-sleeps column tells
the ranking. On loopback, a reply that finds its load process asleep pays for waking it
(`sock_def_readable`, the scheduler's wake-up and an interrupt to the other core, which these VMs
make dear: about 30 µs of the server's CPU per wake-up on the Intel Xeon of 2026-12-03, from the
system time and sleeps of the servers in one `ab` run), so a server slightly slower than its load process lets that process run
dry and sleep more often, pays for the wake-ups, and is slower still. In `net_echo ab pingpong
1000 200 40` with the four servers (2026-12-03), the load processes slept 1.5 (mio loop), 13.1
(tokio), 19.4 (sprout) and 36.6 (may) times per 1,000 requests, in the order of their requests/s;
with the load processes polling without ever sleeping (an experiment: their poll timeout set to
zero, not kept) the mio loop led sprout by 9% instead of 15%, and tokio led it by 3%. At 10,000
connections the load processes hardly sleep, and what ranks the servers is their own work.
On that Intel Xeon, `scripts/profile_perf.sh` (perf's cpu-clock sampling, kernel included) gave
sprout 0.30 µs of user time per request at 1,000 connections against 0.17 for the mio loop, and at 10,000 0.61
against tokio's 0.64; most of it (0.37 µs at 10,000) is the hub's prefetch of the stacks of the
greenlets next in line, which waits for the page walks of stack pages the TLB no longer holds.
Every stack's page-table entries are a cache line of their own, the stacks being 260 KiB apart,
where tokio's tasks sit side by side on the heap, eight pages to a line of page table; sprout's
other user work per request, about 0.24 µs at 10,000 connections, is well below tokio's. The hub
prefetches anyway, since the greenlet's first instructions would wait for the same walks. Until
2026-12-03 it asked for all of a stack's lines at once, and the requests after the one that
started a page's walk waited for the walk too (0.60 µs per request at 10,000 connections, 0.84 of
user time in all). Now, every fourth switch, it asks for one line on each stack page of the four
greenlets behind the next one, so that their walks overlap and are done before the rest of their
lines are asked for: in paired runs at 10,000 connections (`net_echo ab pingpong 10000 1000 24`
and `32`), asking for one page line one switch ahead served 1.02x, and the batches of four 1.04x
more again (user CPU per request 0.89 -> 0.74 µs), within the runs' spread; at 1,000 connections
1.02 and 1.00x. Also prefetching a line of the stack at the wake-up, or 16 and 32 KiB
stacks, did not serve measurably more (0.99, 1.00 and 1.01x, `net_echo ab pingpong 10000 1000
16`). The kernel's work per request
differs by the mio loop's second `recv`, which ends in `EAGAIN` (sprout and tokio skip it after a
short read), and by what a larger footprint in user space evicts. The hand-written mio loop reads
every connection into one buffer and keeps a few bytes per connection; a tokio task keeps its state
and buffer in one allocation; a sprout handler touches two pages of its stack per request, the top
one (the coroutine, corosensei's link to the hub, the connection) and the one of its 4 KiB buffer
and the frames below it. `scripts/profile_cache.sh` (callgrind's cache model, blind to prefetches,
with the Intel Xeon's 48 KiB L1 and 2 MiB L2) counted, at 1,000 connections, 1,060
instructions, 15.7 L1 and 12.6 L2 misses per request for sprout against 1,258, 5.3 and 0.04 for
tokio; on the AMD EPYC below, at 100 connections, 1,017 instructions per request for sprout since
its I/O retries at once after a wait instead of asking the driver again (2026-12-04), from 1,059,
and 1,020 with the stack colors below. Sprout's hub hides most of those misses behind prefetches (README.md): before it switches to
a greenlet it asks for the next one's stack lines (its coroutine lives in the top ones), the two
lines of its entry (whose first also holds the slab's occupied tag), its socket's state (one line,
with the socket's first waiter in it) and the entry of the one after it; the loops over a poll's
events and over the greenlets they wake ask for the socket state or entry four items ahead.

On the AMD EPYC of 2026-12-04 (KVM, 512 KiB of L2 per core), `scripts/profile_pair.sh` sampled the
servers' core through one `ab` rotation, so that all of them were profiled in the same minutes.
At 1,000 connections (`scripts/profile_pair.sh pingpong 1000 200 12`) the kernel's time per
request was 6.69, 6.60 and 6.53 µs for sprout, tokio and the mio loop, the user time 0.78, 0.85
and 0.38 µs, of which 0.24 µs was sprout's prefetch waiting for page walks; at 10,000 (`10000 500
12`) the kernel's 8.64, 8.49 and 8.94 µs, the user time 0.97, 0.98 and 0.54 µs. Counted with
perf's syscall tracepoints at 10,000 connections, sprout and tokio make one `recvfrom` and one
`sendto` per request and an `epoll_wait` every 60 or so, the mio loop two `recvfrom` (the second
ends in `EAGAIN`), and the mio loop is the fastest all the same: what it saves is per-connection
memory, one buffer for all and a few bytes of state each. (perf samples the whole rotation, the
connections' set-up included, where sprout's first touches of its stacks are page faults: about
0.08 µs per request of the kernel's figure at 10,000.) In five paired runs at 10,000 connections
that day tokio served 1.01-1.02x sprout, at 1,000 0.99-1.01x. Variations of sprout's hub tried on it in paired
runs of four rounds served within those runs' spread (0.99-1.02x at 1,000 and 10,000 connections):
no stack prefetch, walks batched by 1, 8 or 16 greenlets instead of 4, the socket's registration
prefetched with the batch's pages or not at all, a poll's wake-ups sorted by greenlet, polling
only once the greenlets queued at the previous poll have run, 16 or 64 KiB stacks, and a narrower
stack prefetch, which runs of more rounds then showed to be a gain (below).

Later on 2026-12-04, on the same machine, `net_echo ab` with two identical sprout servers among
the rows showed how much luck a process has: at 10,000 connections (`NET_ECHO_ROUNDS=16 net_echo ab
pingpong 10000 1000 32`) the two served 0.94-1.05x each other from round to round (a standard
deviation of 0.027), and 1.004x over the sixteen rounds (standard error 0.007). With four rounds
a table's ratio at 10,000 connections could move by 1-2% from run to run, as in the five paired
runs above; the tables now
take sixteen rounds, and `ab` prints each row's ratio by round (`NET_ECHO_ROUNDS` sets their
number). Measured so, two changes to sprout served more. Stacks come in 32 colors: each starts 0
to 31 cache lines lower under its top, so that the lines a resume touches do not lie at the same
offsets within their pages on every stack, where a physically indexed cache can hold a
sixty-fourth of them whatever the pages' addresses (callgrind's model of the 512 KiB, 8-way L2 at
300 connections: 12.6 misses per request before, 5.0 after; `scripts/profile_cache.sh sprout
300`); alone 0.999-1.010x at 10,000 connections in three runs (standard errors 0.008-0.021). The hub's prefetch
of a parked greenlet's frames now covers 192 bytes below its park marker and 448 above (it was
256 and 768: the echo handler's buffer begins about 430 bytes above, and the lines beyond were
fetched for nothing, pushing others out of the caches): alone 1.020x at 10,000 connections
(0.011); with the colors (in an earlier form in three of the runs), in five runs of 16 to 24
rounds, 0.990-1.017x at 10,000 (the 0.990 in a run whose standard errors were 0.02, twice the
others'), 1.013x (0.007) at 1,000 and 1.003x (0.003) at 100, with 0.15 µs or so less user time
per request at 10,000. In the same runs tokio served 0.956-1.019x the sprout of before them at
10,000 connections. The kernel's delayed ACKs (`TcpExt: DelayedACKs`) came to 0.37-0.55 per request at
10,000 connections, where a request waits in the server for about as long as the delayed-ACK
timeout, for every server alike, and did not rank them.
<!-- net:end -->"""
doc = open("BENCHMARKS.md").read()
if "<!-- net:begin -->" in doc:
    doc = re.sub(r"<!-- net:begin -->.*?<!-- net:end -->", lambda _: section, doc, flags=re.S)
else:
    doc = doc.rstrip() + "\n\n" + section + "\n"
open("BENCHMARKS.md", "w").write(doc)
PY
echo "BENCHMARKS.md updated"
