#!/usr/bin/env bash
# HTTP benchmark (issue 7): wrk against examples/http_hello.rs (sprout) and
# bench/src/bin/http_tokio.rs (the same server on tokio current-thread).
# Each server is pinned to core 0, wrk to core 1. Replaces the "HTTP"
# section of BENCHMARKS.md (between its markers) with the results.
#
# The machine is shared, so each measurement is repeated in 3 rounds that
# alternate the servers, and the medians are reported.
#
# Usage: scripts/bench_http.sh [DURATION_SECONDS (default 5)]
# Needs: wrk (apt-get install wrk), taskset, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
rounds=3
command -v wrk >/dev/null || { echo "bench_http.sh needs wrk: apt-get install wrk" >&2; exit 1; }
cargo build --release -q --example http_hello
cargo build --release -q -p sprout-bench --bin http_tokio

tmp=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# start_server NAME BINARY: runs it on core 0 on a free port; sets $url.
start_server() {
    taskset -c 0 "$2" 127.0.0.1:0 --max-seconds 600 >"$tmp/$1.out" &
    server_pid=$!
    for _ in $(seq 100); do
        url=$(grep -o 'http://[0-9.:]*/' "$tmp/$1.out" || true)
        [ -n "$url" ] && return 0
        sleep 0.1
    done
    echo "$1 did not start" >&2
    exit 1
}

stop_server() {
    kill "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    server_pid=
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq "$rounds"); do
    for name in sprout tokio; do
        case $name in
            sprout) bin=target/release/examples/http_hello ;;
            tokio) bin=target/release/http_tokio ;;
        esac
        start_server "$name" "$bin"
        # Warm up, then measure with 100 and 1000 keep-alive connections.
        taskset -c 1 wrk -t1 -c100 -d1s "$url" >/dev/null
        for conns in 100 1000; do
            taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" --latency "$url" >"$tmp/$name.$conns.$round.wrk"
        done
        stop_server
    done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$tmp" "$secs" "$rounds" "$load_before" "$load_after" <<'PY'
import re, statistics, sys, datetime, platform
tmp, secs, rounds, load_before, load_after = sys.argv[1:6]
rounds = int(rounds)
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown cpu")

def seconds(v):
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", v)
    return float(m.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0}[m.group(2)]

def show(s):
    return f"{s * 1e6:.0f} us" if s < 1e-3 else f"{s * 1e3:.2f} ms"

def parse(path):
    text = open(path).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", text, re.M))
    errors = re.search(r"Socket errors:.*|Non-2xx.*", text)
    return rps, seconds(lat["50"]), seconds(lat["99"]), errors.group(0) if errors else ""

rows = []
for conns in ("100", "1000"):
    base = None
    for name in ("sprout", "tokio"):
        runs = [parse(f"{tmp}/{name}.{conns}.{r}.wrk") for r in range(1, rounds + 1)]
        rps = statistics.median(r[0] for r in runs)
        p50 = statistics.median(r[1] for r in runs)
        p99 = statistics.median(r[2] for r in runs)
        each = " / ".join(f"{r[0]:,.0f}" for r in runs)
        errors = "; ".join(sorted({r[3] for r in runs if r[3]}))
        base = base or rps
        rows.append(f"| {name} | {conns} | {rps:,.0f} | {each} | {rps / base:.2f} | {show(p50)} | {show(p99)} | {errors} |")
table = "\n".join(rows)
section = f"""<!-- http:begin -->
## HTTP

"Hello, World!" over HTTP/1.1 keep-alive: `examples/http_hello.rs` (sprout,
one greenlet per connection) against `bench/src/bin/http_tokio.rs` (the same
httparse loop, limits and response on a tokio current-thread runtime, one
task per connection). Each server runs pinned to core 0, wrk to core 1.

Command: `scripts/bench_http.sh {secs}`, which runs, for each server and for
100 and 1000 connections,
`taskset -c 1 wrk -t1 -c<conns> -d{secs}s --latency http://127.0.0.1:<port>/`
after a 1 s warm-up, in {rounds} rounds alternating the servers; the table
gives the medians (and each round's requests/s). Machine: {cpu},
{platform.system()} {platform.release()}, 2 cores shared with other jobs (load
average {load_before} before, {load_after} after); {datetime.date.today().isoformat()}.
Compare the ratios, not the absolute numbers.

| server | connections | requests/s (median) | each round | vs sprout | latency p50 | latency p99 | errors |
| --- | --- | --- | --- | --- | --- | --- | --- |
{table}
<!-- http:end -->"""
doc = open("BENCHMARKS.md").read()
if "<!-- http:begin -->" in doc:
    doc = re.sub(r"<!-- http:begin -->.*?<!-- http:end -->", lambda _: section, doc, flags=re.S)
else:
    doc = doc.rstrip() + "\n\n" + section + "\n"
open("BENCHMARKS.md", "w").write(doc)
print(section)
PY
