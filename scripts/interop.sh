#!/usr/bin/env bash
# Installs the pinned Python packages the interoperability test reads kinetop's aggregate records
# with, each another implementation of a format the records carry:
#   hdrhistogram 0.10.8 (HdrHistogram V2-deflate), datasketches 5.2.0 (Apache DataSketches HLL),
#   xxhash 4.1.0 (XXH3-64 host hashes)
# into a Python venv. Idempotent: a second run checks what is there and only fills in what is missing.
# Usage: scripts/interop.sh [install] [DIR]   (DIR default: $KINETOP_INTEROP_DIR or
# ~/.cache/kinetop-interop). Prints the venv's python on the last line of standard output.
set -euo pipefail

if [ "${1:-}" = install ]; then
    shift
fi
DIR="${1:-${KINETOP_INTEROP_DIR:-$HOME/.cache/kinetop-interop}}"
PACKAGES=(hdrhistogram==0.10.8 datasketches==5.2.0 xxhash==4.1.0)
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
PY="$DIR/venv/bin/python"

log() { printf 'interop: %s\n' "$*" >&2; }

present() {
    [ -x "$PY" ] && "$PY" - "${PACKAGES[@]}" <<'PYTHON' 2>/dev/null
import importlib.metadata as m, sys
for pin in sys.argv[1:]:
    name, version = pin.split("==")
    if m.version(name) != version:
        sys.exit(1)
PYTHON
}

if present; then
    log "${PACKAGES[*]} present"
else
    log "installing ${PACKAGES[*]} into $DIR/venv"
    python3 -m venv "$DIR/venv"
    "$DIR/venv/bin/pip" install --quiet --disable-pip-version-check "${PACKAGES[@]}"
    present || { log "the packages did not install"; exit 1; }
fi
log "ready in $DIR"
echo "$PY"
