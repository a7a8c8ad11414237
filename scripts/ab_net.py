#!/usr/bin/env python3
"""Paired A/B rotation of echo servers: builds or settings side by side.

    scripts/ab_net.py CONNS SLICE_MS CYCLES NAME=BINARY:IMPL[:VAR=VALUE,...] ...

Each NAME is one server process, `BINARY server IMPL` (BINARY is a
`net_echo` build, IMPL one of sprout, tokio, may, mio) run pinned to core 1
with the environment variables given, and driven by its own load process
(`BINARY slices pingpong CONNS ...`) pinned to core 0. As in
`net_echo run`, the servers take turns in slices of SLICE_MS, one slice each
per cycle in an order rotated every cycle, after one uncounted cycle.

Prints per server: requests/s, server CPU per request over the counted time
(schedstat), user and system CPU per request over whole slices (from
/proc/PID/stat, in clock ticks), and the median and middle half of the
per-cycle ratios of its requests/s to the first server's.

Example, the build of the last commit against the working tree:

    cargo build --release -p sprout-bench --bin net_echo
    cp target/release/net_echo /tmp/net_echo.new
    git stash && cargo build --release -p sprout-bench --bin net_echo && git stash pop
    scripts/ab_net.py 1000 200 60 old=target/release/net_echo:sprout \\
        new=/tmp/net_echo.new:sprout tokio=/tmp/net_echo.new:tokio
"""
import glob
import os
import statistics
import subprocess
import sys

TICK = os.sysconf("SC_CLK_TCK")


def parse(spec):
    name, rest = spec.split("=", 1)
    parts = rest.split(":")
    if len(parts) < 2:
        sys.exit(f"bad server {spec!r}: want NAME=BINARY:IMPL[:VAR=VALUE,...]")
    env = dict(os.environ)
    if len(parts) > 2 and parts[2]:
        for kv in parts[2].split(","):
            k, v = kv.split("=", 1)
            env[k] = v
    return name, parts[0], parts[1], env


def user_sys_ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    conns, slice_ms, cycles = (int(a) for a in sys.argv[1:4])
    specs = [parse(a) for a in sys.argv[4:]]
    servers, loads = [], []
    try:
        for _name, binary, impl, env in specs:
            s = subprocess.Popen(["taskset", "-c", "1", binary, "server", impl],
                                 stdout=subprocess.PIPE, text=True, env=env)
            servers.append(s)
            port = int(s.stdout.readline().split()[1])
            load = subprocess.Popen(
                ["taskset", "-c", "0", binary, "slices", "pingpong", str(conns),
                 f"127.0.0.1:{port}", str(s.pid)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            loads.append(load)
            if load.stdout.readline().strip() != "READY":
                sys.exit(f"load process for {impl} did not start")
        ticks = [[0, 0] for _ in specs]
        for cycle in range(cycles + 1):
            for j in range(len(specs)):
                i = (cycle + j) % len(specs)
                u0, s0 = user_sys_ticks(servers[i].pid)
                loads[i].stdin.write(f"SLICE {slice_ms} {1 if cycle else 0}\n")
                loads[i].stdin.flush()
                while loads[i].stdout.readline().strip() != "DONE":
                    pass
                if cycle:
                    u1, s1 = user_sys_ticks(servers[i].pid)
                    ticks[i][0] += u1 - u0
                    ticks[i][1] += s1 - s0
        totals, rates = [], []
        for load in loads:
            load.stdin.write("END\n")
            load.stdin.flush()
            out = load.stdout.read().splitlines()
            # TOTAL requests seconds p50 p99 server_cpu_ns
            t = next(l for l in out if l.startswith("TOTAL")).split()
            totals.append((float(t[1]), float(t[2]), float(t[5])))
            rates.append([float(x) for x in
                          next(l for l in out if l.startswith("RATES")).split()[1:]])
    finally:
        for p in servers + loads:
            p.kill()
    first = specs[0][0]
    for i, (name, *_rest) in enumerate(specs):
        requests, secs, cpu_ns = totals[i]
        ratios = sorted(a / b for a, b in zip(rates[i], rates[0]) if b > 0)
        quart = lambda f: ratios[min(len(ratios) - 1, int(f * len(ratios)))]
        per_tick = 1e6 / TICK / requests  # us of CPU per request per tick
        print(f"{name:12} {requests / secs:9.0f} req/s  server CPU {cpu_ns / requests / 1000:6.2f} "
              f"us/request (user {ticks[i][0] * per_tick:5.2f}, system {ticks[i][1] * per_tick:5.2f})  "
              f"vs {first}: {statistics.median(ratios):.3f} ({quart(0.25):.3f}-{quart(0.75):.3f})")


if __name__ == "__main__":
    main()
