#!/usr/bin/env python3
"""End-to-end speed of kinetop's headless mode against GoAccess, measured side by side in one run.

Builds a 1,000,000-line combined log from ../shared/data/apache_logs (real lines repeated, their
timestamps rewritten to increase steadily at --rate lines/s), then times, on the same file:
  - goaccess --log-format=COMBINED (JSON report to a file), when goaccess is installed;
  - kinetop --headless --format combined (JSON Lines to /dev/null), with and without --metadata;
and prints wall time, lines/s, CPU time and peak memory (max RSS) of each, and the ratios.

Usage: scripts/bench_vs_goaccess.py [--lines N] [--runs R] [--keep]
Needs a release build: cargo build --release (the script runs it).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data", "apache_logs")
TS = re.compile(rb"\[(\d\d/\w\w\w/\d{4}:\d\d:\d\d:\d\d) ([+-]\d{4})\]")


def build_log(path, lines, rate):
    """Writes `lines` real lines, repeating the sample as needed, with their timestamps rewritten
    to increase steadily at `rate` lines per second (the sample's own times are artificial: every
    hour squeezed into one minute, see its README). Everything else in each line is kept."""
    with open(DATA, "rb") as f:
        base = [l for l in f.read().split(b"\n") if l]
    start = datetime(2015, 5, 17, 10, 5, 0)
    written = 0
    with open(path, "wb") as out:
        chunk = []
        while written < lines:
            line = base[written % len(base)]
            m = TS.search(line)
            if m:
                stamp = (start + timedelta(seconds=written // rate)).strftime("%d/%b/%Y:%H:%M:%S").encode()
                line = line[: m.start(1)] + stamp + line[m.end(1):]
            chunk.append(line)
            written += 1
            if len(chunk) == 10_000:
                out.write(b"\n".join(chunk) + b"\n")
                chunk = []
        if chunk:
            out.write(b"\n".join(chunk) + b"\n")
    return written


def timed(cmd, stdout):
    """Wall time, CPU time and peak RSS (MB) of one run of cmd, from wait4 on that very child."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=stdout, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            sys.exit(f"{cmd[0]} failed ({proc.returncode}): {err.read().decode(errors='replace')[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0


def best_of(runs, cmd, stdout_path):
    best = None
    for _ in range(runs):
        with open(stdout_path, "wb") as out:
            r = timed(cmd, out)
        if best is None or r[0] < best[0]:
            best = r
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rate", type=int, default=200, help="lines per second of log time (default 200)")
    ap.add_argument("--keep", action="store_true", help="keep the generated log")
    args = ap.parse_args()

    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    kinetop = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "kinetop")
    work = tempfile.mkdtemp(prefix="kinetop-bench-")
    log = os.path.join(work, "access.log")
    n = build_log(log, args.lines, args.rate)
    size = os.path.getsize(log)
    meta = os.path.join(work, "metadata.csv")
    with open(meta, "w") as f:
        f.write("host,application,contact\n")
        for i, block in enumerate(["66.249.0.0/16", "83.149.9.0/24", "24.236.0.0/16", "50.16.0.0/14",
                                   "2001:db8::/32", "208.115.111.0/24", "46.105.0.0/16", "10.0.0.0/8"]):
            f.write(f"{block},app-{i},team-{i}@example.com\n")
    env_cores = os.cpu_count()
    print(f"input: {n:,} lines, {size / 1e6:.1f} MB, {env_cores} cores")

    results = []
    results.append(("kinetop --headless", best_of(args.runs, [kinetop, "--file", log, "--format", "combined", "--headless"], os.devnull)))
    results.append(("kinetop --headless --metadata", best_of(args.runs, [kinetop, "--file", log, "--format", "combined", "--headless", "--metadata", meta], os.devnull)))
    goaccess = shutil.which("goaccess")
    if goaccess:
        version = subprocess.run([goaccess, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
        report = os.path.join(work, "report.json")
        results.append((f"goaccess ({version.strip()})", best_of(args.runs, [goaccess, log, "--log-format=COMBINED", "--no-global-config", "-o", report], os.devnull)))
    else:
        print("goaccess is not installed (apt-get install goaccess): no comparison")

    print(f"{'tool':<44} {'wall s':>8} {'lines/s':>12} {'cpu s':>7} {'peak MB':>8}")
    for name, (wall, cpu, rss) in results:
        print(f"{name:<44} {wall:>8.3f} {n / wall:>12,.0f} {cpu:>7.2f} {rss:>8.1f}")
    if goaccess:
        g = results[-1][1][0]
        for name, (wall, _, _) in results[:-1]:
            print(f"speed-up of {name} over goaccess: {g / wall:.1f}x")
    if not args.keep:
        shutil.rmtree(work)
    else:
        print(f"kept {work}")


if __name__ == "__main__":
    main()
