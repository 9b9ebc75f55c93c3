#!/usr/bin/env bash
# Server rendering under load (wrk -t2 -c32 on loopback, one run each, same machine):
#   visitor pages (/, /privacy, /terms, /signin, /signup, /contact), signed-in pages (/practice,
#   /history, /dashboard, kept per person; and each rendered each time, by a query string), an
#   authenticated server function (POST /api/auth/me), and a bare
#   axum handler serving the landing page's bytes, for the ratio.
# Optional: PERF=NAME (a row's name below, e.g. PERF="/practice (signed in)"; PERF=1: the
# landing page) records a CPU profile of that run (perf from Debian) and writes its top frames
# to bench/out/pages-perf.txt.
# Needs a release build (bash .ci/build, or VIVA_PROFILE=release bash .ci/serve). Writes bench/out/pages.md.
set -euo pipefail
source "$(dirname "$0")/../.ci/env.sh"
cd "$here"
need() { command -v "$1" >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2"; }; }
need wrk wrk; need curl curl
DURATION="${BENCH_DURATION:-10s}"; CONNS="${BENCH_CONNS:-32}"
mkdir -p bench/out; out=bench/out/pages.md
[ -x "$VIVA_BIN" ] || { echo "no release binary at $VIVA_BIN: run bash .ci/build first" >&2; exit 1; }
cargo build --release -q -p server --example bare_axum
bare="$CARGO_TARGET_DIR/release/examples/bare_axum"
data=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$data"' EXIT
port=3921; base="http://127.0.0.1:$port"
"$VIVA_BIN" --addr "127.0.0.1:$port" --data-dir "$data/v" --log warn --print-mail >"$data/log" 2>&1 & vpid=$!
until curl -sf -o /dev/null "$base/readyz"; do sleep 0.05; done

# One account, signed in: sign up, the code from the printed e-mail, confirm, sign in.
source bench/account.sh
cookies=$(bench_account "$base" bench@example.org "$data/log")
[ -n "$cookies" ] || { echo "could not sign in for the signed-in pages" >&2; exit 1; }
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookies" "$base/practice")" = 200 ] || { echo "/practice did not answer 200 signed in" >&2; exit 1; }

bench_server_fn_lua "$base" "$data/me.lua"
rows=()
run() { # name, url, extra wrk args...
  local name="$1" url="$2"; shift 2
  local perfpid=""
  if { [ "${PERF:-}" = "$name" ] || { [ "${PERF:-}" = 1 ] && [ "$name" = "landing page (visitor)" ]; }; } && command -v perf >/dev/null; then
    perf record -F 499 -g -p "$vpid" -o "$data/perf.data" -- sleep 6 >/dev/null 2>&1 &
    perfpid=$!
  fi
  # One request first, timed on its own: a kept page's first render (and compression) happens
  # once per process (or per person and change), and a burst meanwhile waits for it; in wrk's
  # first second that one wait shows as a p99 of tens of milliseconds (its own statistics: a
  # client that times each request sees only the 32 that waited), not the steady rate's.
  # (A run driven by a wrk script, the server function's POST, has no page to keep: "–".)
  local warm=() args=("$@") i first="–"
  for ((i = 0; i + 1 < ${#args[@]}; i++)); do
    case "${args[i]}" in -H) warm+=(-H "${args[i + 1]}") ;; -s) warm=(none); break ;; esac
  done
  if [ "${warm[0]:-}" != none ]; then
    first=$(curl -s -o /dev/null -w '%{time_total}' "${warm[@]}" "$url" | awk '{ printf "%.1f ms", $1 * 1000 }')
  fi
  local o; o=$(wrk -t2 -c"$CONNS" -d"$DURATION" --latency "$@" "$url")
  local rps p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$o"); p99=$(awk '$1=="99%" {print $2}' <<<"$o")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$o"); non2xx=${non2xx:-0}
  echo "$name: first request $first, then $rps req/s, p99 $p99, non-2xx $non2xx" >&2
  rows+=("| $name | $first | $rps | $p99 | $non2xx |")
  if [ -n "$perfpid" ]; then
    wait "$perfpid" || true
    perf report -i "$data/perf.data" --no-children --sort symbol --stdio 2>/dev/null | grep -E '^ +[0-9.]+%' | sed -E 's/ {2,}/ /g' | cut -c1-200 | head -40 > bench/out/pages-perf.txt || true
  fi
  [ "$name" = "landing page (visitor)" ] && landing_rps=$rps
  return 0
}
run "landing page (visitor)" "$base/" -H 'Accept-Encoding: br, gzip' 
run "landing page (visitor, no compression)" "$base/"
run "/privacy (visitor)" "$base/privacy" -H 'Accept-Encoding: br, gzip'
run "/signin (visitor)" "$base/signin" -H 'Accept-Encoding: br, gzip'
run "/contact (visitor)" "$base/contact" -H 'Accept-Encoding: br, gzip'
run "/practice (signed in)" "$base/practice" -H "Cookie: $cookies" -H 'Accept-Encoding: br, gzip'
run "/history (signed in)" "$base/history" -H "Cookie: $cookies" -H 'Accept-Encoding: br, gzip'
run "/dashboard (signed in)" "$base/dashboard" -H "Cookie: $cookies" -H 'Accept-Encoding: br, gzip'
# A page with a query string is never kept: what a person's first load of a page costs.
run "/practice (signed in, rendered each time)" "$base/practice?fresh" -H "Cookie: $cookies" -H 'Accept-Encoding: br, gzip'
run "/history (signed in, rendered each time)" "$base/history?fresh" -H "Cookie: $cookies" -H 'Accept-Encoding: br, gzip'
run "/dashboard (signed in, rendered each time)" "$base/dashboard?fresh" -H "Cookie: $cookies" -H 'Accept-Encoding: br, gzip'
run "server fn me (signed in)" "$base/api/auth/me" -H "Cookie: $cookies" -s "$data/me.lua"
size=$(curl -s "$base/" | wc -c)
kill $vpid; wait $vpid 2>/dev/null || true
"$bare" 127.0.0.1:3922 "$size" & bpid=$!
until curl -sf -o /dev/null http://127.0.0.1:3922/; do sleep 0.01; done
run "bare axum handler, $size bytes" "http://127.0.0.1:3922/"
kill $bpid
bare_rps=$(printf '%s\n' "${rows[@]}" | awk -F'|' '/bare axum/ {gsub(/ /, "", $4); print $4}')
{
  echo "# Server rendering ($(date -u +%F), $(nproc) cores, wrk -t2 -c$CONNS -d$DURATION, loopback)"
  echo
  echo "| what | first request | requests/s | p99 latency | non-2xx |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Landing page / bare handler: $(awk -v a="$landing_rps" -v b="$bare_rps" 'BEGIN { printf "%.0f %%", 100 * a / b }')"
} > "$out"
cat "$out"
