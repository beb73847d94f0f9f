#!/usr/bin/env python3
"""Relays and viewers end to end, with the real binary (issue 12), side by side in one run:

1. one process over a raw log file (lines/s: what one relay reads per second);
2. the same file through a relay (`--publish file:`): lines/s with publishing, and the aggregate
   bytes per window per application;
3. a viewer (`--file aggs.jsonl`) over the records of RELAYS relay groups (the relay's records
   copied under each group): aggregate records merged per second, end to end (read, decode,
   merge, window lines out).

Usage: scripts/bench_relay.py [--lines N] [--apps A] [--relays R] [--binary target/release/kinetop]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def write_log(path, lines, apps):
    # Callers 10.A.x.y belong to application A (metadata below); 5-minute windows over 1 hour.
    statuses = [200, 200, 200, 200, 304, 404, 500]
    paths = ["/", "/api/cart", "/api/pay", "/img/logo.png", "/health", "/api/search"]
    with open(path, "w") as f:
        for i in range(lines):
            secs = i * 3600 // lines
            hh, mm, ss = 10 + secs // 3600, (secs // 60) % 60, secs % 60
            app = i % apps
            host = f"10.{app // 250}.{app % 250}.{(i * 7) % 40}"
            f.write(
                f'{host} - - [30/Nov/2026:{hh:02}:{mm:02}:{ss:02} +0000] '
                f'"GET {paths[(i * 13) % len(paths)]}?q={i % 97} HTTP/1.1" '
                f'{statuses[(i * 11) % len(statuses)]} {(i * 37) % 9000} "-" "bench/1" '
                f'{200 + (i * 7919) % 2000000}\n'
            )


def write_metadata(path, apps):
    with open(path, "w") as f:
        f.write("host,application\n")
        for app in range(apps):
            f.write(f"10.{app // 250}.{app % 250}.0/24,app-{app:05}\n")


def run(binary, args, home):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": home, "KINETOP_LOG_DIR": home}
    started = time.perf_counter()
    out = subprocess.run([binary, *args], env=env, capture_output=True, timeout=1800)
    took = time.perf_counter() - started
    if out.returncode != 0:
        sys.exit(f"kinetop {' '.join(args)} failed: {out.stderr.decode()}")
    return took, out.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=2_000_000)
    ap.add_argument("--apps", type=int, default=100)
    ap.add_argument("--relays", type=int, default=4)
    ap.add_argument("--binary", default="target/release/kinetop")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        log, meta, aggs, merged = (os.path.join(d, n) for n in ("raw.log", "meta.csv", "aggs.jsonl", "all.jsonl"))
        write_log(log, a.lines, a.apps)
        write_metadata(meta, a.apps)
        common = ["--headless", "--format", "combined_D", "--window", "5m", "--metadata", meta]
        single, _ = run(a.binary, ["--file", log, *common], d)
        relay, _ = run(a.binary, ["--file", log, *common, "--publish", f"file:{aggs}"], d)
        records = [json.loads(l) for l in open(aggs)]
        aggregates = [r for r in records if r["type"] == "aggregate"]
        sizes = [len(json.dumps(r, separators=(",", ":"))) for r in aggregates]
        # The same records under each of R relay groups, as R relays would publish them.
        with open(merged, "w") as f:
            for g in range(a.relays):
                for r in records:
                    r = dict(r, relay_group=g, relay_groups=a.relays)
                    f.write(json.dumps(r, separators=(",", ":")) + "\n")
        viewer, out = run(a.binary, ["--file", merged, "--headless", "--window", "5m"], d)
        windows = [json.loads(l) for l in out.splitlines() if b'"type":"window"' in l]
        n = len(aggregates) * a.relays
        print(f"lines: {a.lines:,}, applications: {a.apps}, windows: 12 x 5m, relays merged: {a.relays}")
        print(f"one process over the raw file:  {single:6.2f} s  {a.lines / single:12,.0f} lines/s")
        print(f"relay (--publish file:):        {relay:6.2f} s  {a.lines / relay:12,.0f} lines/s  (x{single / relay:.2f} of one process)")
        print(f"viewer over {n:,} records:       {viewer:6.2f} s  {n / viewer:12,.0f} records/s  ({len(windows)} window lines)")
        print(f"aggregate record bytes per window per application: mean {sum(sizes) / len(sizes):,.0f}, max {max(sizes):,}")


if __name__ == "__main__":
    main()
