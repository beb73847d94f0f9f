#!/usr/bin/env bash
# Kinesis load benchmark: N log lines on a 4-shard stream in kinesalite (the fastest local
# emulator), read to the tip twice in one run:
#   1. a bare-SDK GetRecords drain of every shard (examples/kinesis_load.rs: no decoding, no parsing);
#   2. kinetop --headless --until-caught-up (decode, parse, enrich, window, summary).
# Prints both times and the ratio kinetop / bare drain.
#
# Usage: benches/kinesis_load.sh [LINES] [LINES_PER_RECORD]    (defaults 200000 and 1)
# Needs node, python3 and npm access once (scripts/emulators.sh installs the emulators).
set -euo pipefail
cd "$(dirname "$0")/.."

LINES="${1:-200000}"
PER_RECORD="${2:-1}"
SHARDS=4
DATA="${KINETOP_BENCH_DATA:-../shared/data/apache_logs}"
EMULATORS="$(scripts/emulators.sh 2>/dev/null | tail -n1)"

cargo build --release --quiet --bin kinetop --example kinesis_load
TARGET="${CARGO_TARGET_DIR:-target}/release"

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
node "$EMULATORS/kinesalite-loopback.js" "$PORT" >/dev/null 2>&1 &
EMULATOR_PID=$!
trap 'kill "$EMULATOR_PID" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.1
done

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_EC2_METADATA_DISABLED=true AWS_REGION=us-east-1
ENDPOINT="http://127.0.0.1:$PORT"
STREAM="bench-$$"
"$TARGET/examples/kinesis_load" create "$ENDPOINT" "$STREAM" "$SHARDS"
"$TARGET/examples/kinesis_load" put "$ENDPOINT" "$STREAM" "$LINES" "$DATA" "$PER_RECORD"

now() { python3 -c 'import time; print(time.monotonic())'; }

read -r DRAIN_RECORDS DRAIN_LINES DRAIN_SECS < <("$TARGET/examples/kinesis_load" drain "$ENDPOINT" "$STREAM")

START="$(now)"
SUMMARY="$(timeout 600 "$TARGET/kinetop" --kinesis "$STREAM" --endpoint-url "$ENDPOINT" --region us-east-1 \
    --from trim-horizon --headless --until-caught-up --format combined | tail -n1)"
END="$(now)"

python3 - "$LINES" "$DRAIN_RECORDS" "$DRAIN_LINES" "$DRAIN_SECS" "$START" "$END" "$SUMMARY" <<'PY'
import json, sys
lines, drain_records, drain_lines = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
drain_secs, start, end = float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
summary = json.loads(sys.argv[7])
kinetop_secs = end - start
print(f"lines put:          {lines}")
print(f"bare GetRecords:    {drain_records} records, {drain_lines} lines in {drain_secs:.2f}s "
      f"({drain_lines / drain_secs:,.0f} lines/s)")
print(f"kinetop headless:   {summary.get('lines')} lines ({summary.get('parsed')} parsed) in {kinetop_secs:.2f}s "
      f"({summary.get('lines', 0) / kinetop_secs:,.0f} lines/s)")
print(f"ratio kinetop/bare: {kinetop_secs / drain_secs:.2f}")
ok = drain_lines == lines and summary.get("lines") == lines
if not ok:
    print("MISMATCH: not every line was read", file=sys.stderr)
sys.exit(0 if ok else 1)
PY
