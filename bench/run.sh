#!/usr/bin/env bash
# Benchmarks, on loopback only:
#  1. landing page (full SSR) vs a bare axum handler serving a page of the same size: req/s, p99;
#  2. time from starting `viva` (fresh data dir) to the first 200 from /healthz;
#  3. the browser bundle: main module raw / gzip -9 / brotli, a visitor's first load, the lazy modules;
#  4. account security: argon2id and strength-check cost, guessing ceilings of the rate limits;
#  5. sign-in under load from one address (rate limited) and from many (each reaches argon2id);
#  6. voice: detector wasm size and speed (Node), segmenter accuracy, Whisper WER and speed;
#  plus the cost of evaluating one answer (server/examples/eval_cost.rs).
# Needs a release build (bash .ci/build, or VIVA_PROFILE=release bash .ci/serve). Installs wrk and brotli
# from Debian if missing. Writes bench/out/results.md.
set -euo pipefail
source "$(dirname "$0")/../.ci/env.sh"
cd "$here"
need() { command -v "$1" >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2"; }; }
need wrk wrk; need brotli brotli; need curl curl
DURATION="${BENCH_DURATION:-10s}"; CONNS="${BENCH_CONNS:-32}"; THREADS=2
mkdir -p bench/out; out=bench/out/results.md
[ -x "$VIVA_BIN" ] || { echo "no release binary at $VIVA_BIN: run bash .ci/build first" >&2; exit 1; }
cargo build --release -q -p server --example bare_axum --example auth_cost --example signin_load --example eval_cost --features calibration
bare="$CARGO_TARGET_DIR/release/examples/bare_axum"

data=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$data"' EXIT

# 2. start-up to first 200 (fresh data dir: includes creating the database and migrations).
t0=$(date +%s%N)
"$VIVA_BIN" --addr 127.0.0.1:3911 --data-dir "$data/a" --log warn & vpid=$!
until curl -sf -o /dev/null http://127.0.0.1:3911/healthz; do sleep 0.005; done
t1=$(date +%s%N); startup_ms=$(( (t1 - t0) / 1000000 ))
kill $vpid; wait $vpid 2>/dev/null || true
t0=$(date +%s%N)
"$VIVA_BIN" --addr 127.0.0.1:3911 --data-dir "$data/a" --log warn & vpid=$!
until curl -sf -o /dev/null http://127.0.0.1:3911/healthz; do sleep 0.005; done
t1=$(date +%s%N); restart_ms=$(( (t1 - t0) / 1000000 ))

# 1. load: Viva's landing page, then the bare handler with a page of the same size.
size=$(curl -s http://127.0.0.1:3911/ | wc -c)
run_wrk() { wrk -t$THREADS -c$CONNS -d"$DURATION" --latency "$1" | tee /dev/stderr; }
viva_out=$(run_wrk http://127.0.0.1:3911/)
kill $vpid; wait $vpid 2>/dev/null || true
"$bare" 127.0.0.1:3912 "$size" & bpid=$!
until curl -sf -o /dev/null http://127.0.0.1:3912/; do sleep 0.01; done
bare_out=$(run_wrk http://127.0.0.1:3912/)
kill $bpid
rps() { awk '/Requests\/sec/ {print $2}' <<<"$1"; }
p99() { awk '$1=="99%" {print $2}' <<<"$1"; }

# 3. the browser bundle: what a visitor's first page downloads (the glue, the main module and
# the lazy pages' loader), and the modules of the pages behind the sign-in.
bundle=$(ls -d target/site/pkg/*/ | head -1)
wasm="$bundle/viva.wasm"
raw=$(stat -c %s "$wasm"); gz=$(gzip -9c "$wasm" | wc -c); br=$(brotli -c -q 11 "$wasm" | wc -c)
js=$(stat -c %s "$bundle/viva.js")
first_br=$br; for f in "$bundle/viva.js" "$bundle"/__wasm_split*.js; do first_br=$((first_br + $(brotli -c -q 11 "$f" | wc -c))); done
lazy_raw=$(cat "$bundle"/split_*.wasm "$bundle"/chunk_*.wasm | wc -c)
lazy_br=0; for f in "$bundle"/split_*.wasm "$bundle"/chunk_*.wasm; do lazy_br=$((lazy_br + $(brotli -c -q 11 "$f" | wc -c))); done
lazy_n=$(ls "$bundle" | grep -c '^split_.*\.wasm$')
cat > "$out" <<MD
# Bench results ($(date -u +%F), $(nproc) cores, wrk -t$THREADS -c$CONNS -d$DURATION, loopback)

| what | requests/s | p99 latency |
|---|---|---|
| Viva landing page (SSR, $size bytes, compressed: no) | $(rps "$viva_out") | $(p99 "$viva_out") |
| bare axum handler, same size | $(rps "$bare_out") | $(p99 "$bare_out") |

| start-up to first 200 | ms |
|---|---|
| fresh data dir (creates database, runs migrations) | $startup_ms |
| existing data dir | $restart_ms |

| browser bundle | bytes |
|---|---|
| main module, raw | $raw |
| main module, gzip -9 | $gz |
| main module, brotli -q 11 | $br |
| JS glue (raw) | $js |
| a visitor's first page: glue + main module + loader, brotli | $first_br |
| the pages behind the sign-in: their $lazy_n lazy modules (members', admins') and what those share, raw / brotli | $lazy_raw / $lazy_br |
MD
echo >> "$out"
"$CARGO_TARGET_DIR/release/examples/auth_cost" >> "$out"
"$CARGO_TARGET_DIR/release/examples/eval_cost" >> "$out"

# 5. sign-in load (behind a proxy, so X-Forwarded-For names the client).
"$VIVA_BIN" --addr 127.0.0.1:3913 --data-dir "$data/b" --trusted-proxy 127.0.0.1 --log warn & spid=$!
until curl -sf -o /dev/null http://127.0.0.1:3913/readyz; do sleep 0.01; done
load="$CARGO_TARGET_DIR/release/examples/signin_load"
{
  echo
  echo "## Sign-in under load (wrong passwords for unknown addresses: same cost as real accounts)"
  echo
  echo "| run | requests/s | p50 ms | p99 ms | errors (5xx, failed) | statuses |"
  echo "|---|---|---|---|---|---|"
  "$load" http://127.0.0.1:3913 "${BENCH_SECS:-10}" 32 one-ip
  "$load" http://127.0.0.1:3913 "${BENCH_SECS:-10}" 32 many-ips
} >> "$out"
kill $spid; wait $spid 2>/dev/null || true

# 6. voice: the detector as wasm (speed in Node, size), and speech recognition on the clips.
clips="${VIVA_VOICE_CLIPS:-$here/../shared/audio/dev}"
build_voice_wasm >/dev/null 2>&1
vw="$CARGO_TARGET_DIR/wasm32-unknown-unknown/voice-wasm/voice.wasm"
{
  echo
  echo "## Voice"
  echo
  echo "Detector + segmenter wasm module: $(stat -c %s "$vw") bytes raw, $(gzip -9c "$vw" | wc -c) gzip (loaded on the interview page only)."
  echo
  echo "| clips | wasm in Node, 128-sample blocks |"
  echo "|---|---|"
  echo "| 16 kHz | $(node bench/voice_wasm.mjs "$vw" "$clips") |"
  if command -v sox >/dev/null; then
    tmp48=$(mktemp -d); for f in "$clips"/*.wav; do sox "$f" -r 48000 "$tmp48/$(basename "$f")" 2>/dev/null; done
    echo "| 48 kHz (sox) | $(node bench/voice_wasm.mjs "$vw" "$tmp48") |"
    rm -rf "$tmp48"
  fi
  echo
  cargo test --release -q -p voice --test accuracy -- --nocapture 2>/dev/null | grep ' Hz, ' | sed 's/^/    /'
  whisper="${VIVA_MODELS_DIR:-$HOME/.cache/viva/models}/whisper"
  if [ -d "$whisper" ]; then
    echo
    cargo build --release -q -p server --example stt_wer
    "$CARGO_TARGET_DIR/release/examples/stt_wer" "$whisper" "$clips" | sed -n '/| SNR | WER/,$p'
  fi
} >> "$out"
cat "$out"
