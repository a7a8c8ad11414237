#!/usr/bin/env bash
# The crawler example as a real process against `python3 -m http.server`:
# a generated site of 1 + 10 + 100 pages must be crawled whole, with no
# errors. Run by CI; needs python3.
set -euo pipefail
cd "$(dirname "$0")/../.."

command -v python3 >/dev/null || { echo "crawler_example.sh needs python3" >&2; exit 1; }
cargo build -q --example crawler
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')

site=$(mktemp -d)
log=$(mktemp)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$site" "$log"
}
trap cleanup EXIT

# index.html -> d0..d9/index.html -> d*/p0..p9.html (each leaf links home).
{
    echo "<html><body>"
    for d in $(seq 0 9); do echo "<a href=\"d$d/index.html\">d$d</a>"; done
    echo "</body></html>"
} >"$site/index.html"
for d in $(seq 0 9); do
    mkdir "$site/d$d"
    {
        echo "<html><body><a href=\"../index.html\">up</a>"
        for p in $(seq 0 9); do echo "<a href=\"p$p.html\">p$p</a>"; done
        echo "</body></html>"
    } >"$site/d$d/index.html"
    for p in $(seq 0 9); do
        echo "<html><body><a href=\"/\">home</a> <a href=\"index.html#x\">up</a></body></html>" >"$site/d$d/p$p.html"
    done
done

# Port 0: the kernel picks a free port; http.server prints it.
python3 -u -m http.server --bind 127.0.0.1 --directory "$site" 0 >"$log" 2>/dev/null &
server_pid=$!
port=
for _ in $(seq 100); do
    port=$(grep -o 'port [0-9]*' "$log" | grep -o '[0-9]*' || true)
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "python3 -m http.server did not start" >&2; exit 1; }

out=$(timeout 60 "$target_dir/debug/examples/crawler" "http://127.0.0.1:$port/" --concurrency 10 --depth 5 --timeout 10)
echo "$out"
# "/" and "/index.html" are two URLs for the same file: 112 fetches.
echo "$out" | grep -q '^112 pages, [0-9]* bytes, 0 errors' || {
    echo "crawler_example.sh: expected 112 pages and 0 errors" >&2
    exit 1
}
echo "crawler example OK"
