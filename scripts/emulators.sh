#!/usr/bin/env bash
# Installs the pinned local AWS emulators used by the integration tests (see ../shared/EMULATOR.md):
#   moto[server] 5.2.5 (S3) in a Python venv, kinesis-local 0.6.2 and kinesalite 3.3.3 (Kinesis) from npm.
# Idempotent: a second run checks what is there and only fills in what is missing.
# Usage: scripts/emulators.sh [install] [DIR]   (DIR default: $KINETOP_EMULATOR_DIR or
# ~/.cache/kinetop-emulators). Prints DIR on the last line of standard output.
set -euo pipefail

if [ "${1:-}" = install ]; then
    shift
fi
DIR="${1:-${KINETOP_EMULATOR_DIR:-$HOME/.cache/kinetop-emulators}}"
MOTO_VERSION=5.2.5
KINESIS_LOCAL_VERSION=0.6.2
KINESALITE_VERSION=3.3.3
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"

log() { printf 'emulators: %s\n' "$*" >&2; }

# --- moto (S3) ---------------------------------------------------------------------------------
if [ -x "$DIR/venv/bin/moto_server" ] \
    && "$DIR/venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('moto') != '$MOTO_VERSION')" 2>/dev/null; then
    log "moto $MOTO_VERSION present"
else
    log "installing moto[server]==$MOTO_VERSION into $DIR/venv"
    python3 -m venv "$DIR/venv"
    "$DIR/venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
fi

# --- kinesis-local and kinesalite (Kinesis) ----------------------------------------------------
installed_version() { # package -> version or empty
    local pj="$DIR/node_modules/$1/package.json"
    [ -f "$pj" ] && node -e "process.stdout.write(require('$pj').version)" 2>/dev/null || true
}
if [ "$(installed_version kinesis-local)" = "$KINESIS_LOCAL_VERSION" ] \
    && [ "$(installed_version kinesalite)" = "$KINESALITE_VERSION" ]; then
    log "kinesis-local $KINESIS_LOCAL_VERSION and kinesalite $KINESALITE_VERSION present"
else
    log "installing kinesis-local@$KINESIS_LOCAL_VERSION kinesalite@$KINESALITE_VERSION into $DIR"
    [ -f "$DIR/package.json" ] || printf '{ "name": "kinetop-emulators", "private": true }\n' > "$DIR/package.json"
    (cd "$DIR" && npm install --silent --no-audit --no-fund \
        "kinesis-local@$KINESIS_LOCAL_VERSION" "kinesalite@$KINESALITE_VERSION")
fi

# kinesis-local hard-codes its listen address to 0.0.0.0; tests must only listen on loopback.
MAIN_JS="$DIR/node_modules/kinesis-local/main.js"
if grep -q 'Host$().em("127.0.0.1")' "$MAIN_JS"; then
    log "kinesis-local already bound to 127.0.0.1"
elif grep -q 'Host$().em("0.0.0.0")' "$MAIN_JS"; then
    sed -i 's/Host\$()\.em("0\.0\.0\.0")/Host$().em("127.0.0.1")/' "$MAIN_JS"
    grep -q 'Host$().em("127.0.0.1")' "$MAIN_JS" || { log "patching $MAIN_JS failed"; exit 1; }
    log "patched kinesis-local to listen on 127.0.0.1"
else
    log "cannot find the listen address in $MAIN_JS (not version $KINESIS_LOCAL_VERSION?)"
    exit 1
fi
if grep -q '"0\.0\.0\.0"' "$MAIN_JS"; then
    log "warning: $MAIN_JS still mentions 0.0.0.0"
fi

# kinesalite's own CLI listens on every address: start it through this loopback-only launcher.
cat > "$DIR/kinesalite-loopback.js" <<'JS'
// Usage: node kinesalite-loopback.js PORT [STORAGE_DIR]  — kinesalite on 127.0.0.1 only.
const kinesalite = require('kinesalite');
const port = parseInt(process.argv[2], 10);
const opts = { createStreamMs: 50, deleteStreamMs: 50, updateStreamMs: 50, shardLimit: 100 };
if (process.argv[3]) opts.path = process.argv[3];
const server = kinesalite(opts);
server.listen(port, '127.0.0.1', err => {
  if (err) { console.error(err); process.exit(1); }
  console.log('kinesalite listening on 127.0.0.1:' + port);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
JS

log "ready in $DIR"
echo "$DIR"
