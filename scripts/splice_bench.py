#!/usr/bin/env python3
"""Replaces (or appends) one section of BENCHMARKS.md with stdin.

usage: <benchmark output> | scripts/splice_bench.py KEY "Title" "command"

The section is delimited by <!-- KEY:begin --> / <!-- KEY:end --> markers and
records the command that produced it, the machine and the date.
"""
import datetime
import platform
import re
import sys

key, title, command = sys.argv[1:4]
body = sys.stdin.read().rstrip()
cpu = next(
    (l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
    "unknown cpu",
)
section = f"""<!-- {key}:begin -->
## {title}

Command: `{command}`. Machine: {cpu}, {platform.system()} {platform.release()};
{datetime.date.today().isoformat()}. Absolute figures vary between machines; compare the ratios.

{body}
<!-- {key}:end -->"""
try:
    doc = open("BENCHMARKS.md").read()
except FileNotFoundError:
    doc = "# Benchmarks\n\nEvery figure here comes from a command in this repository; each section names it.\n"
pattern = re.compile(rf"<!-- {re.escape(key)}:begin -->.*?<!-- {re.escape(key)}:end -->", re.S)
if pattern.search(doc):
    doc = pattern.sub(lambda _: section, doc)
else:
    doc = doc.rstrip() + "\n\n" + section + "\n"
open("BENCHMARKS.md", "w").write(doc)
