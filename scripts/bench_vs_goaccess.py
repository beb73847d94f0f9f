#!/usr/bin/env python3
"""End-to-end speed of kinetop's headless mode against GoAccess, lnav and a mawk one-liner,
measured side by side in one run on the same file (issue 13).

Builds a 1,000,000-line combined log from ../shared/data/apache_logs (real lines repeated, their
timestamps rewritten to increase steadily at --rate lines/s), then runs, round-robin (tool after
tool, --runs rounds, so a busy moment on the machine hits every tool alike):
  - kinetop --headless --format combined (JSON Lines to /dev/null), with and without --metadata;
  - mawk '{c[$9]++} END {...}': counts one field (the status) and nothing else, the one-liner
    yardstick;
  - goaccess --log-format=COMBINED (JSON report to a file);
  - lnav -n (headless), one SQL query counting requests by status over the parsed file;
and prints a table of the median wall time, CPU time (user + system), lines/s and peak memory
(max RSS, measured by GNU time /usr/bin/time; `nan` without it) of each, with each tool's wall time over kinetop's
(with --metadata). Missing tools are installed from the distribution when running as root
(apt-get install goaccess lnav mawk), else skipped with a note.

Usage: scripts/bench_vs_goaccess.py [--lines N] [--runs R] [--keep] [--log FILE]
       KINETOP=/path/to/kinetop scripts/bench_vs_goaccess.py   # that binary, no build
       KINETOP_BASELINE=/path/to/older/kinetop …                # also that build, one more row
Without KINETOP it runs cargo build --release first.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data", "apache_logs")
TS = re.compile(rb"\[(\d\d/\w\w\w/\d{4}:\d\d:\d\d:\d\d) ([+-]\d{4})\]")
MAWK_PROGRAM = "{c[$9]++} END {for (k in c) print k, c[k]}"
LNAV_QUERY = ";SELECT sc_status, count(*) FROM access_log GROUP BY sc_status"


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


# Peak memory is read by GNU time (`%M`), which forks the tool from its own small process: a
# child's ru_maxrss from wait4 here would never be below this Python process's own peak (Linux
# keeps the high-water mark across exec), which hid every tool's real figure under ~26 MiB.
GNU_TIME = "/usr/bin/time"


def timed(cmd, stdout, env=None):
    """Wall time and CPU time (user + system, from wait4) and peak RSS (MiB, from GNU time) of one
    run of cmd."""
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as peak:
        wrapped = [GNU_TIME, "-f", "%M", "-o", peak.name, *cmd] if os.path.exists(GNU_TIME) else cmd
        start = time.perf_counter()
        proc = subprocess.Popen(wrapped, stdout=stdout, stderr=err, stdin=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            sys.exit(f"{cmd[0]} failed ({proc.returncode}): {err.read().decode(errors='replace')[-500:]}")
        kib = peak.read().strip().splitlines()
        rss = int(kib[-1]) / 1024.0 if kib and kib[-1].isdigit() else float("nan")
    return wall, usage.ru_utime + usage.ru_stime, rss


def ensure_tools():
    """goaccess, lnav, mawk and GNU time from the distribution when missing (as root), else they
    are skipped (without GNU time, peak memory is not measured)."""
    missing = [t for t in ("goaccess", "lnav", "mawk") if not shutil.which(t)]
    if not os.path.exists(GNU_TIME):
        missing.append("time")
    if missing and os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"installing {' '.join(missing)} (apt-get)")
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=False, capture_output=True)
    for t in ("goaccess", "lnav", "mawk"):
        if not shutil.which(t):
            print(f"{t} is not installed (apt-get install {t}): left out of the table")


def version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    lines = (out.stdout or out.stderr).strip().splitlines()
    return lines[0].strip() if lines else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5, help="rounds; medians are quoted (default 5)")
    ap.add_argument("--rate", type=int, default=200, help="lines per second of log time (default 200)")
    ap.add_argument("--log", help="an existing combined log to use instead of building one")
    ap.add_argument("--keep", action="store_true", help="keep the generated log")
    args = ap.parse_args()

    kinetop = os.environ.get("KINETOP")
    if not kinetop:
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "kinetop"], cwd=ROOT, check=True)
        target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
        kinetop = os.path.join(target, "release", "kinetop")
    ensure_tools()
    work = tempfile.mkdtemp(prefix="kinetop-bench-")
    env = dict(os.environ, XDG_STATE_HOME=work, XDG_CACHE_HOME=work, HOME=work)
    if args.log:
        log = args.log
        with open(log, "rb") as f:
            n = sum(1 for _ in f)
    else:
        log = os.path.join(work, "access.log")
        n = build_log(log, args.lines, args.rate)
    size = os.path.getsize(log)
    meta = os.path.join(work, "metadata.csv")
    with open(meta, "w") as f:
        f.write("host,application,contact\n")
        for i, block in enumerate(["66.249.0.0/16", "83.149.9.0/24", "24.236.0.0/16", "50.16.0.0/14",
                                   "2001:db8::/32", "208.115.111.0/24", "46.105.0.0/16", "10.0.0.0/8"]):
            f.write(f"{block},app-{i},team-{i}@example.com\n")
    load = os.getloadavg()
    print(f"input: {n:,} lines, {size / 1e6:.1f} MB, {os.cpu_count()} cores, load {load[0]:.2f} at start, "
          f"median of {args.runs} rounds")

    tools = [
        ("kinetop --headless", [kinetop, "--file", log, "--format", "combined", "--headless"]),
        ("kinetop --headless --metadata",
         [kinetop, "--file", log, "--format", "combined", "--headless", "--metadata", meta]),
    ]
    baseline = os.environ.get("KINETOP_BASELINE")
    if baseline:
        # Another build (e.g. main's) side by side with this one: a before/after in one run.
        tools.append(("kinetop (baseline) --headless --metadata",
                      [baseline, "--file", log, "--format", "combined", "--headless", "--metadata", meta]))
    if shutil.which("mawk"):
        tools.append(("mawk '{c[$9]++}' (one field)", ["mawk", MAWK_PROGRAM, log]))
    if shutil.which("goaccess"):
        report = os.path.join(work, "report.json")
        name = f"goaccess {version(['goaccess', '--version']).replace('GoAccess - ', '')}".strip()
        tools.append((name, ["goaccess", log, "--log-format=COMBINED", "--no-global-config", "-o", report]))
    if shutil.which("lnav"):
        name = version(["lnav", "-V"]) or "lnav"
        tools.append((f"{name} -n (SQL by status)", ["lnav", "-n", "-c", LNAV_QUERY, log]))

    runs = {name: [] for name, _ in tools}
    for _ in range(args.runs):
        for name, cmd in tools:
            with open(os.devnull, "wb") as out:
                runs[name].append(timed(cmd, out, env))

    def median(name, i):
        return statistics.median(r[i] for r in runs[name])

    reference = median("kinetop --headless --metadata", 0)
    print()
    print("| tool | wall (median) | CPU | lines/s | peak memory | wall / kinetop --metadata |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, _ in tools:
        wall, cpu, rss = median(name, 0), median(name, 1), median(name, 2)
        print(f"| {name} | {wall:.3f} s | {cpu:.2f} s | {n / wall:,.0f} | {rss:,.0f} MiB | {wall / reference:.2f}x |")
    print(f"\nload {os.getloadavg()[0]:.2f} at the end")
    if args.keep:
        print(f"kept {work}")
    else:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
