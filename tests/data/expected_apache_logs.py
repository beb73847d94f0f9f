#!/usr/bin/env python3
"""Independent reference for tests/integration/headless_apache_logs.rs: computes, with Python's own regex,
datetime and ipaddress modules (no kinetop code), the per-(5-minute window, application) counts of
../shared/data/apache_logs under apache_logs_metadata.csv, and writes apache_logs.expected.jsonl.
Run it again if the data or the metadata changes."""
import csv
import ipaddress
import json
import os
import re
from collections import defaultdict
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "shared", "data", "apache_logs")
LINE = re.compile(r'^(\S+) (\S+) (\S+) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+|-) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"$')
WIDTH = 300

nets = []
for row in csv.DictReader(l for l in open(os.path.join(HERE, "apache_logs_metadata.csv")) if not l.startswith("#")):
    nets.append((ipaddress.ip_network(row["host"].strip(), strict=False), row["application"]))


def app_of(host):
    ip = ipaddress.ip_address(host)
    best = None
    for net, app in nets:
        if ip.version == net.version and ip in net and (best is None or net.prefixlen > best[0].prefixlen):
            best = (net, app)
    return best[1] if best else "unknown"


stats = defaultdict(lambda: {"requests": 0, "bytes": 0, "status": defaultdict(int), "hosts": set()})
lines = parsed = 0
for raw in open(DATA, "rb").read().split(b"\n"):
    if not raw:
        continue
    lines += 1
    m = LINE.match(raw.decode())
    if not m:
        continue
    parsed += 1
    host, t, status, size = m.group(1), m.group(4), int(m.group(6)), m.group(7)
    epoch = int(datetime.strptime(t, "%d/%b/%Y:%H:%M:%S %z").astimezone(timezone.utc).timestamp())
    start = epoch // WIDTH * WIDTH
    s = stats[(start, app_of(host))]
    s["requests"] += 1
    s["bytes"] += 0 if size == "-" else int(size)
    s["status"][f"{status // 100}xx"] += 1
    s["hosts"].add(host)


def rfc3339(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


with open(os.path.join(HERE, "apache_logs.expected.jsonl"), "w") as out:
    for (start, app) in sorted(stats):
        s = stats[(start, app)]
        out.write(json.dumps({
            "start": rfc3339(start), "end": rfc3339(start + WIDTH), "application": app,
            "requests": s["requests"], "bytes": s["bytes"],
            "status": {k: s["status"].get(k, 0) for k in ("1xx", "2xx", "3xx", "4xx", "5xx")},
            "hosts": len(s["hosts"]),
        }) + "\n")
    out.write(json.dumps({"type": "summary", "lines": lines, "parsed": parsed, "malformed": lines - parsed}) + "\n")
print(f"{len(stats)} window rows, {lines} lines, {parsed} parsed")
