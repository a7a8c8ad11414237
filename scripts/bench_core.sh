#!/usr/bin/env bash
# Core runtime benchmark (issue 2): builds the bench binary, runs it pinned
# to one core, and replaces the "Core runtime" section of BENCHMARKS.md
# with its output.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p sprout-bench --bin core
out=$(taskset -c 1 target/release/core)
python3 - "$out" <<'PY'
import re, sys, datetime, platform, subprocess
out = sys.argv[1]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown cpu")
section = f"""<!-- core:begin -->
## Core runtime: switches and spawn

Command: `scripts/bench_core.sh` (runs `taskset -c 1 target/release/core`, built from
`bench/src/bin/core.rs`). Machine: {cpu}, {platform.system()} {platform.release()};
{datetime.date.today().isoformat()}. Absolute times vary between machines; compare the ratios.

{out}
<!-- core:end -->"""
try:
    doc = open("BENCHMARKS.md").read()
except FileNotFoundError:
    doc = "# Benchmarks\n\nEvery figure here comes from a command in this repository; each section names it.\n"
if "<!-- core:begin -->" in doc:
    doc = re.sub(r"<!-- core:begin -->.*?<!-- core:end -->", lambda _: section, doc, flags=re.S)
else:
    doc = doc.rstrip() + "\n\n" + section + "\n"
open("BENCHMARKS.md", "w").write(doc)
PY
echo "BENCHMARKS.md updated"
