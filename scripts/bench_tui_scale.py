#!/usr/bin/env python3
"""Issue 9, item 12: the TUI at scale, measured side by side with headless in one run.

Builds a 1,000,000-line combined log whose callers are 100,000 distinct hosts, and a metadata
CSV mapping each host to its own application (100,000 applications). Then, on the same files:
  - kinetop --headless (JSON Lines to /dev/null): wall time and peak memory (wait4);
  - kinetop in a detached tmux session (the real TUI in a real terminal, 160x48): the time until
    the status bar says the input ENDED with every line parsed, and the process's peak memory
    (VmHWM from /proc) before it is told to quit.
Runs alternate (headless, TUI, headless, ...); prints the medians and the ratio. The targets: TUI time at most 2x headless, peak at most 400 MiB.

Usage: scripts/bench_tui_scale.py [--lines N] [--apps N] [--runs R] [--keep]
       KINETOP=/path/to/kinetop scripts/bench_tui_scale.py   # another binary, no build
Needs tmux and a release build (the script runs cargo build --release).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# KINETOP=path/to/kinetop measures that binary instead of building target/release/kinetop.
KINETOP = os.environ.get("KINETOP") or os.path.join(
    os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "kinetop"
)
SOCKET = "kinetop-scale-bench"


def host(i):
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


def build(dir, lines, apps):
    log = os.path.join(dir, "scale.log")
    meta = os.path.join(dir, "scale-metadata.csv")
    with open(meta, "w") as f:
        f.write("host,application,contact\n")
        for i in range(apps):
            f.write(f"{host(i)},app-{i:06d},team-{i % 97}@example.com\n")
    # Two hours at a steady rate, from 2017-01-20 10:00:00 UTC; every host in turn.
    start = 1_484_906_400
    span = 7_200
    with open(log, "w") as f:
        chunk = []
        for n in range(lines):
            t = start + n * span // lines
            stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(t))
            status = 500 if n % 53 == 0 else 200
            chunk.append(
                f'{host(n % apps)} - - [{stamp}] "GET /api/item/{n % 1000} HTTP/1.1" {status} {200 + n % 5000} "-" "bench"\n'
            )
            if len(chunk) == 10_000:
                f.write("".join(chunk))
                chunk = []
        f.write("".join(chunk))
    return log, meta


def headless(log, meta, env):
    cmd = [KINETOP, "--headless", "--format", "combined", "--file", log, "--metadata", meta]
    start = time.perf_counter()
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen(cmd, stdout=null, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        sys.exit(f"headless failed: {proc.stderr.read().decode()}")
    return wall, usage.ru_maxrss / 1024


def tmux(*args):
    return subprocess.run(["tmux", "-L", SOCKET, *args], capture_output=True, text=True)


def tui(log, meta, lines, env, dir):
    pid_file = os.path.join(dir, "tui.pid")
    if os.path.exists(pid_file):
        os.remove(pid_file)
    parsed = f"{lines:,} parsed"
    script = (
        f"echo $$ > {pid_file}; exec env XDG_STATE_HOME={dir} XDG_CACHE_HOME={dir} "
        f"{KINETOP} --no-bell --format combined --file {log} --metadata {meta}"
    )
    start = time.perf_counter()
    tmux("new-session", "-d", "-s", "scale", "-x", "160", "-y", "48", "sh", "-c", script)
    tmux("set-option", "-t", "scale", "window-size", "manual")
    pid = None
    wall = None
    try:
        while True:
            if pid is None and os.path.exists(pid_file):
                text = open(pid_file).read().strip()
                pid = int(text) if text else None
            screen = tmux("capture-pane", "-p", "-t", "scale").stdout
            if "ENDED" in screen and wall is None:
                # The input ended and every line went through the engine: the intake time.
                wall = time.perf_counter() - start
            if wall is not None and parsed in screen:
                # Every line counted (a notice in the status bar may hide the count a while).
                break
            if time.perf_counter() - start > 600:
                sys.exit(f"the TUI did not end within 10 minutes; screen:\n{screen}")
            time.sleep(0.05)
        peak = 0.0
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    peak = int(line.split()[1]) / 1024
        tmux("send-keys", "-t", "scale", "q")
        time.sleep(0.5)
        return wall, peak
    finally:
        tmux("kill-session", "-t", "scale")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--apps", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()
    if not shutil.which("tmux"):
        sys.exit("tmux is needed (apt-get install tmux)")
    if not os.environ.get("KINETOP"):
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "kinetop"], cwd=ROOT, check=True)
    dir = tempfile.mkdtemp(prefix="kinetop-scale-")
    env = dict(os.environ, XDG_STATE_HOME=dir, XDG_CACHE_HOME=dir)
    try:
        log, meta = build(dir, args.lines, args.apps)
        size = os.path.getsize(log) / 1e6
        load = os.getloadavg()[0]
        print(f"{args.lines:,} lines ({size:.0f} MB), {args.apps:,} applications, "
              f"median of {args.runs} alternating runs, load {load:.2f} at start")
        # Alternating, so a busy moment on the machine hits both modes alike.
        hs, ts = [], []
        for _ in range(args.runs):
            hs.append(headless(log, meta, env))
            ts.append(tui(log, meta, args.lines, env, dir))
        h = (statistics.median(r[0] for r in hs), statistics.median(r[1] for r in hs))
        t = (statistics.median(r[0] for r in ts), statistics.median(r[1] for r in ts))
        print(f"| mode | wall | peak memory |")
        print(f"| --- | --- | --- |")
        print(f"| headless | {h[0]:.2f} s | {h[1]:.0f} MiB |")
        print(f"| TUI (160x48, until ENDED) | {t[0]:.2f} s | {t[1]:.0f} MiB |")
        print(f"TUI / headless: {t[0] / h[0]:.2f}x time (target <= 2), peak {t[1]:.0f} MiB (target <= 400)")
        print(f"load {os.getloadavg()[0]:.2f} at the end")
    finally:
        if args.keep:
            print(f"files kept in {dir}")
        else:
            shutil.rmtree(dir, ignore_errors=True)


if __name__ == "__main__":
    main()
