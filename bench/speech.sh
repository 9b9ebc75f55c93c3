#!/usr/bin/env bash
# Spoken answers end to end (server/examples/speech_load.rs over HTTP on loopback), with the
# embedded Whisper tiny.en of `viva models fetch` on this machine's cores:
#   1. latency: one speaker, ANSWERS (default 5) answers of 60 s each at a speaker's pace;
#      stop → evaluated on the server and stop → feedback on the page (median, p90, max);
#   2. capacity: N speakers at once (SPEAKERS, default "1 2 3 4"; SPEAKERS="" for the latency
#      run alone), each answering question after question for CAPACITY_SECS (default 600) — a
#      count holds while the time from stop to feedback stays bounded (the transcription keeps
#      up with the speech).
# Needs a release build (bash .ci/build, or VIVA_PROFILE=release bash .ci/serve). Writes
# bench/out/speech.md. BIN=PATH runs another build of viva (e.g. the first command's, target/ci/viva).
set -euo pipefail
source "$(dirname "$0")/../.ci/env.sh"
VIVA_BIN="${BIN:-$VIVA_BIN}"
cd "$here"
ANSWERS="${ANSWERS:-5}"; SPEAKERS="${SPEAKERS-1 2 3 4}"; CAPACITY_SECS="${CAPACITY_SECS:-600}"
export VIVA_MODELS_DIR="${VIVA_MODELS_DIR:-$HOME/.cache/viva/models}"
[ -x "$VIVA_BIN" ] || { echo "no release binary at $VIVA_BIN: run bash .ci/build first" >&2; exit 1; }
[ -f "$VIVA_MODELS_DIR/whisper/model.safetensors" ] || "$VIVA_BIN" models fetch --models-dir "$VIVA_MODELS_DIR"
cargo build --release -q -p server --example speech_load
load="$CARGO_TARGET_DIR/release/examples/speech_load"
mkdir -p bench/out; out=bench/out/speech.md
data=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$data"' EXIT
source bench/account.sh

# A fresh server for each run, so one run's backlog never slows the next.
# The one before is stopped and waited for first: a clean stop closes the store (up to 10 s),
# and a new server started meanwhile could not bind the port while readyz still found the old.
spid=""
serve() {
  if [ -n "$spid" ]; then kill "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true; fi
  rm -rf "$data/v"
  port=3931; base="http://127.0.0.1:$port"
  "$VIVA_BIN" --addr "127.0.0.1:$port" --data-dir "$data/v" --log info --print-mail \
    --models-dir "$VIVA_MODELS_DIR" >"$data/log" 2>&1 &
  spid=$!
  until curl -sf -o /dev/null "$base/readyz"; do sleep 0.1; done
  : > "$data/cookies"
  for i in $(seq "$1"); do bench_account "$base" "speaker$i@example.org" "$data/log" >> "$data/cookies"; echo >> "$data/cookies"; done
  [ "$(grep -c . "$data/cookies")" = "$1" ] || { echo "could not sign in $1 speakers" >&2; exit 1; }
}

{
  echo "# Spoken answers ($(date -u +%F), $(nproc) cores, Whisper tiny.en embedded)"
  echo
  echo "| run | answers | errors | stop → evaluated p50 / p90 / max (ms) | stop → feedback on the page p50 / p90 / max (ms) | segments left at hand-in (max) | segment upload p50 / p99 (ms) |"
  echo "|---|---|---|---|---|---|---|"
} > "$out"
row() { # name, JSON line
  python3 - "$1" "$2" >> "$out" <<'PY'
import json, sys
n, j = sys.argv[1], json.loads(sys.argv[2])
e, p, u = j["stop_to_evaluated_ms"], j["stop_to_page_ms"], j["upload_ms"]
print(f"| {n} | {j['answers']} | {j['errors']} | {e['p50']:.0f} / {e['p90']:.0f} / {e['max']:.0f} | {p['p50']:.0f} / {p['p90']:.0f} / {p['max']:.0f} | {j['left_at_hand_in_max']} | {u['p50']:.0f} / {u['p99']:.0f} |")
PY
}

serve 1
echo "latency: $ANSWERS answers of 60 s, one speaker" >&2
j=$("$load" "$base" "$data/cookies" latency "$ANSWERS"); echo "$j" >&2
row "1 speaker, $ANSWERS answers one after another" "$j"
sed 's/\x1b\[[0-9;]*m//g' "$data/log" | { grep 'segments transcribed' || true; } | grep -oE '\bms=[0-9]+' | cut -d= -f2 | sort -n | awk '{a[NR]=$1} END {if (NR) printf "transcription passes: %d, median %d ms, max %d ms\n", NR, a[int((NR+1)/2)], a[NR]}' >&2 || true

for n in $SPEAKERS; do
  serve "$n"
  echo "capacity: $n speakers for $CAPACITY_SECS s" >&2
  j=$("$load" "$base" "$data/cookies" capacity "$CAPACITY_SECS"); echo "$j" >&2
  row "$n speakers at once, $CAPACITY_SECS s" "$j"
done
cat "$out"
