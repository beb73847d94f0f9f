#!/usr/bin/env bash
# Real screenshots of the real binary in a real terminal: kinetop runs on the demo in a detached
# tmux session; each screen is captured with its colours (`tmux capture-pane -e`), turned into HTML
# by Debian's `aha`, and photographed by headless Chromium.
#
#   scripts/screenshots.sh            # builds kinetop (debug), writes screenshots/*.png
#   KINETOP=target/release/kinetop scripts/screenshots.sh
#
# Needs tmux, aha, chromium and fonts-dejavu-core (installed with apt-get when missing).
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=screenshots
COLS=${COLS:-140}
ROWS=${ROWS:-40}
SOCKET=kinetop-screenshots
SESSION=shots-$$

need() { command -v "$1" >/dev/null 2>&1; }
missing=()
need tmux || missing+=(tmux)
need aha || missing+=(aha)
need chromium || missing+=(chromium)
fc-list 2>/dev/null | grep -q DejaVuSansMono || missing+=(fonts-dejavu-core)
if ((${#missing[@]})); then
    echo "installing ${missing[*]}" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq "${missing[@]}"
fi

if [ -z "${KINETOP:-}" ]; then
    cargo build --quiet --bin kinetop
    KINETOP="${CARGO_TARGET_DIR:-target}/debug/kinetop"
fi
KINETOP=$(realpath "$KINETOP")

work=$(mktemp -d)
cleanup() {
    tmux -L "$SOCKET" kill-session -t "$SESSION" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

t() { tmux -L "$SOCKET" "$@"; }

# Logs to a scratch dir; a fixed TERM with 256 colours, like most terminals today.
t new-session -d -s "$SESSION" -x "$COLS" -y "$ROWS" \
    "env TERM=xterm-256color XDG_STATE_HOME=$work XDG_CACHE_HOME=$work $KINETOP --no-bell ${KINETOP_ARGS:---window 1m}"
t set-option -t "$SESSION" window-size manual >/dev/null

wait_for() { # text, timeout seconds
    local deadline=$((SECONDS + ${2:-30}))
    until t capture-pane -p -t "$SESSION" | grep -qF -- "$1"; do
        if ((SECONDS > deadline)); then
            echo "timed out waiting for '$1'; screen:" >&2
            t capture-pane -p -t "$SESSION" >&2
            exit 1
        fi
        sleep 0.2
    done
}

shoot() { # name
    local name=$1 html="$work/$1.html"
    sleep 1.2 # let a frame or two settle (the TUI redraws at most 10 times a second)
    t capture-pane -e -p -t "$SESSION" >"$work/$name.ansi"
    {
        cat <<HTML
<!DOCTYPE html><html><head><meta charset="utf-8"><style>
html, body { margin: 0; background: #1d1f21; }
pre { margin: 0; padding: 12px 14px; color: #d8d8d8; background: #1d1f21;
      font: 15px/1.2 "DejaVu Sans Mono", monospace; }
.c { display: inline-block; width: 1ch; overflow: hidden; vertical-align: bottom; }
</style></head><body><pre>
HTML
        # Glyphs DejaVu Sans Mono lacks (Braille chart dots, ⏸ ◀ ●) come from a proportional
        # fallback font: pin each to one cell so the columns stay aligned as in a terminal.
        aha --no-header --black <"$work/$name.ansi" |
            sed 's/color:dimgray;/color:#1d1f21;/g' | # --black shows black as grey; we mean black
            perl -CSD -pe 's/([\x{2190}-\x{24FF}\x{25A0}-\x{2BFF}])/<span class="c">$1<\/span>/g' 
        echo "</pre></body></html>"
    } >"$html"
    # DejaVu Sans Mono 15px: 9.03 px per column, 18 px per row.
    local width=$((COLS * 903 / 100 + 30)) height=$((ROWS * 18 + 26))
    chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --user-data-dir="$(mktemp -d -p "$work")" \
        --hide-scrollbars --window-size="$width,$height" --screenshot="$OUT/$name.png" \
        "file://$html" >/dev/null 2>&1
    echo "$OUT/$name.png"
}

mkdir -p "$OUT"
wait_for "● LIVE" 60
wait_for "unknown" 30
# The demo back-fills its history first; give it time so charts and time travel have data.
sleep "${SETTLE:-45}"
shoot overview

t send-keys -t "$SESSION" Enter
wait_for "Top paths"
shoot app-detail

t send-keys -t "$SESSION" L
wait_for "Percentiles"
shoot latency-histogram

keys() { # one key at a time, as a person types (two Escs in one write read as one Alt-Esc)
    for k in "$@"; do
        t send-keys -t "$SESSION" "$k"
        sleep 0.3
    done
}

# Issue 14: Tab reaches the application's user agents (callers → codes → paths → agents).
keys Escape
wait_for "Top paths"
keys Tab Tab Tab
wait_for "User agents"
shoot user-agents

keys Escape Escape
wait_for "Applications"
keys Left Left Left Left Left Left
wait_for "End live"
shoot time-travel

keys End '?'
wait_for "Keys · Esc or ? closes"
shoot help

keys Escape m
wait_for "Recent samples"
shoot malformed

# Issue 14: find a caller from the overview, the requests behind a number, the alarm view.
keys Escape / 1 0 . 2 0 . Enter
wait_for "· caller 10.20."
shoot caller-search

keys Escape r
wait_for "Recent requests of"
shoot recent-requests

keys Escape a
wait_for "Alarms · every rule"
shoot alarms

t send-keys -t "$SESSION" q
