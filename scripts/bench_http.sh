#!/usr/bin/env bash
# HTTP benchmark (issue 7): wrk against examples/http_hello.rs (sprout) and
# bench/src/bin/http_tokio.rs (the same server on tokio current-thread).
# Each server is pinned to core 0, wrk to core 1. Replaces the "HTTP"
# section of BENCHMARKS.md (between its markers) with the results.
#
# Usage: scripts/bench_http.sh [DURATION_SECONDS (default 10)]
# Needs: wrk (apt-get install wrk), taskset, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
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

for name in sprout tokio; do
    case $name in
        sprout) bin=target/release/examples/http_hello ;;
        tokio) bin=target/release/http_tokio ;;
    esac
    start_server "$name" "$bin"
    # Warm up, then measure with 100 and 1000 keep-alive connections.
    taskset -c 1 wrk -t1 -c100 -d2s "$url" >/dev/null
    for conns in 100 1000; do
        taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" --latency "$url" >"$tmp/$name.$conns.wrk"
    done
    stop_server
done

python3 - "$tmp" "$secs" <<'PY'
import re, sys, datetime, platform
tmp, secs = sys.argv[1], sys.argv[2]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown cpu")

def parse(path):
    text = open(path).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", text, re.M))
    errors = re.search(r"Socket errors:.*|Non-2xx.*", text)
    return rps, lat.get("50", "?"), lat.get("99", "?"), errors.group(0) if errors else ""

rows = []
for conns in ("100", "1000"):
    base = None
    for name in ("sprout", "tokio"):
        rps, p50, p99, err = parse(f"{tmp}/{name}.{conns}.wrk")
        base = base or rps
        rows.append(f"| {name} | {conns} | {rps:,.0f} | {rps / base:.2f} | {p50} | {p99} | {err} |")
table = "\n".join(rows)
section = f"""<!-- http:begin -->
## HTTP

"Hello, World!" over HTTP/1.1 keep-alive: `examples/http_hello.rs` (sprout,
one greenlet per connection) against `bench/src/bin/http_tokio.rs` (the same
httparse loop, limits and response on a tokio current-thread runtime, one
task per connection). Each server runs pinned to core 0, wrk to core 1.

Command: `scripts/bench_http.sh {secs}`, which runs for each server and for
100 and 1000 connections
`taskset -c 1 wrk -t1 -c<conns> -d{secs}s --latency http://127.0.0.1:<port>/`
after a 2 s warm-up. Machine: {cpu}, {platform.system()} {platform.release()},
shared with other jobs; {datetime.date.today().isoformat()}. Compare the
ratios, not the absolute numbers.

| server | connections | requests/s | vs sprout | latency p50 | latency p99 | errors |
| --- | --- | --- | --- | --- | --- | --- |
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
