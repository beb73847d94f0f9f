"""Reads kinetop aggregate records with other implementations of the formats they carry.

Usage: python aggregate_interop.py SPEC.json  (run by aggregate_interop.rs)

SPEC: {"records": [record JSON text, ...], "hosts": {application: [host, ...]}, "values": [µs, ...]}
Prints one JSON object: per record what HdrHistogram (hdrh), Apache DataSketches and xxhash make of
it, the XXH3-64 of every host, and a histogram of "values" encoded by hdrh for kinetop to decode.
"""

import base64
import json
import sys

import datasketches as ds
import xxhash
from hdrh.histogram import HdrHistogram


def as_int64(u):
    """DataSketches' update(long) takes a signed 64-bit integer: the same 8 bytes."""
    return u - (1 << 64) if u >= 1 << 63 else u


def registers(sketch):
    """The sketch's 2^14 one-byte registers (an HLL_8 image after its 40-byte header)."""
    union = ds.hll_union(14)
    union.update(sketch)
    return union.get_result(ds.tgt_hll_type.HLL_8).serialize_updatable()[40:]


def read_record(text, hosts):
    record = json.loads(text)
    out = {"application": record["application"]}
    latency = record.get("latency")
    if latency:
        h = HdrHistogram.decode(latency["hdr"])
        out["latency"] = {
            "count": h.get_total_count(),
            "p50": h.get_value_at_percentile(50),
            "p90": h.get_value_at_percentile(90),
            "p99": h.get_value_at_percentile(99),
        }
    hashes = sorted({xxhash.xxh3_64_intdigest(host.encode()) for host in hosts})
    sketch = record["hosts_sketch"]
    if "exact" in sketch:
        raw = base64.b64decode(sketch["exact"])
        listed = [int.from_bytes(raw[i : i + 8], "big") for i in range(0, len(raw), 8)]
        out["exact_hashes_match"] = listed == hashes
    else:
        theirs = ds.hll_sketch.deserialize(base64.b64decode(sketch["hll"]))
        own = ds.hll_sketch(14, ds.tgt_hll_type.HLL_8)
        for h in hashes:
            own.update(as_int64(h))
        out["hll"] = {
            "estimate": theirs.get_estimate(),
            "own_estimate": own.get_estimate(),
            "registers_match": registers(theirs) == registers(own),
        }
    return out


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    records = [read_record(text, spec["hosts"][json.loads(text)["application"]]) for text in spec["records"]]
    hashes = {h: xxhash.xxh3_64_intdigest(h.encode()) for hosts in spec["hosts"].values() for h in hosts}
    histogram = HdrHistogram(1, 3_600_000_000, 3)
    for v in spec["values"]:
        histogram.record_value(v)
    json.dump({"records": records, "hashes": hashes, "hdr": histogram.encode().decode()}, sys.stdout)


if __name__ == "__main__":
    main()
