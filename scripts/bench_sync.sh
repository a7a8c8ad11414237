#!/usr/bin/env bash
# Sync and queue benchmark (issue 4): builds the bench binary, runs it pinned
# to one core, and replaces the "Sync and queues" section of BENCHMARKS.md
# with its output.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p sprout-bench --bin sync_queue
out=$(taskset -c 1 target/release/sync_queue)
python3 - "$out" <<'PY'
import re, sys, datetime, platform
out = sys.argv[1]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown cpu")
section = f"""<!-- sync:begin -->
## Sync and queues

Command: `scripts/bench_sync.sh` (runs `taskset -c 1 target/release/sync_queue`, built from
`bench/src/bin/sync_queue.rs`). Machine: {cpu}, {platform.system()} {platform.release()};
{datetime.date.today().isoformat()}. Absolute times vary between machines; compare the ratios.

{out}
<!-- sync:end -->"""
doc = open("BENCHMARKS.md").read()
if "<!-- sync:begin -->" in doc:
    doc = re.sub(r"<!-- sync:begin -->.*?<!-- sync:end -->", lambda _: section, doc, flags=re.S)
else:
    doc = doc.rstrip() + "\n\n" + section + "\n"
open("BENCHMARKS.md", "w").write(doc)
PY
echo "BENCHMARKS.md updated"
