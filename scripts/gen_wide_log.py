#!/usr/bin/env python3
"""The wide log of issue 13: high cardinality for the memory goal (headless within 100 MiB).

Writes a combined log and its metadata CSV with the shape of a big estate:
  - 2,000 applications, each owning one /24 (app i: 10.<i / 256>.<i % 256>.0/24), so the
    metadata file has 2,000 rows and every caller maps to an application;
  - ~500,000 distinct callers: every line picks one of the 512,000 hosts uniformly, so 2M lines
    reach 512,000 x (1 - e^-3.9) ~ 501,000 of them;
  - 24 hours of traffic at a steady rate (288 windows of 5 minutes), 2,000,000 lines by default;
  - 1,000 paths, a few status codes (2% 5xx, 3% 404), sizes from 200 B to 50 KB.
Deterministic for a given --seed, so runs on different builds read the same bytes.

Usage: scripts/gen_wide_log.py OUT_DIR [--lines N] [--seed S]
       -> OUT_DIR/wide.log and OUT_DIR/wide-metadata.csv
Then: kinetop --headless --format combined --file OUT_DIR/wide.log --metadata OUT_DIR/wide-metadata.csv
"""
import argparse
import os
import random
import time

APPS = 2_000
HOSTS_PER_APP = 256
START = 1_484_870_400  # 2017-01-20 00:00:00 UTC
SPAN = 24 * 3600
METHODS = ["GET"] * 8 + ["POST", "PUT"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--lines", type=int, default=2_000_000)
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    rng = random.Random(args.seed)

    with open(os.path.join(args.out_dir, "wide-metadata.csv"), "w") as f:
        f.write("host,application,contact\n")
        for i in range(APPS):
            f.write(f"10.{i >> 8}.{i & 255}.0/24,app-{i:04d},team-{i % 50}@example.com\n")

    # One formatted timestamp per second of log time, not per line.
    stamps = {}
    with open(os.path.join(args.out_dir, "wide.log"), "w") as f:
        chunk = []
        for n in range(args.lines):
            t = START + n * SPAN // args.lines
            stamp = stamps.get(t)
            if stamp is None:
                stamps.clear()
                stamp = stamps[t] = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(t))
            host = rng.randrange(APPS * HOSTS_PER_APP)
            app, last = divmod(host, HOSTS_PER_APP)
            roll = rng.random()
            status = 500 if roll < 0.02 else 404 if roll < 0.05 else 304 if roll < 0.10 else 200
            path = f"/api/v1/resource/{rng.randrange(1_000)}"
            chunk.append(
                f'10.{app >> 8}.{app & 255}.{last} - - [{stamp}] "{rng.choice(METHODS)} {path} HTTP/1.1" '
                f'{status} {rng.randrange(200, 50_000)} "-" "wide-log/1.0"\n'
            )
            if len(chunk) == 20_000:
                f.write("".join(chunk))
                chunk = []
        f.write("".join(chunk))


if __name__ == "__main__":
    main()
