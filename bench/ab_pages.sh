#!/usr/bin/env bash
# One round of the signed-in rows of bench/pages.sh on BIN, printed as "LABEL practice history
# dashboard practice?fresh history?fresh dashboard?fresh me" (req/s; ?fresh: rendered each
# time, never kept). For an A/B on a noisy machine: run two binaries in turn, several rounds.
# usage: bash bench/ab_pages.sh BIN LABEL
set -euo pipefail
source "$(dirname "$0")/../.ci/env.sh"
cd "$here"
bin="$1"; label="$2"
data=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$data"' EXIT
port=3933; base="http://127.0.0.1:$port"
"$bin" --addr "127.0.0.1:$port" --data-dir "$data/v" --log warn --print-mail >"$data/log" 2>&1 & vpid=$!
until curl -sf -o /dev/null "$base/readyz"; do sleep 0.05; done
source bench/account.sh
cookies=$(bench_account "$base" bench@example.org "$data/log")
[ -n "$cookies" ] || { echo "could not sign in with $bin" >&2; exit 1; }
bench_server_fn_lua "$base" "$data/me.lua"
line="$label"
for p in /practice /history /dashboard '/practice?fresh' '/history?fresh' '/dashboard?fresh'; do
  line="$line $(wrk -t2 -c32 -d6s "$base$p" -H "Cookie: $cookies" -H 'Accept-Encoding: br, gzip' | awk '/Requests\/sec/ {print $2}')"
done
line="$line $(wrk -t2 -c32 -d6s "$base/api/auth/me" -H "Cookie: $cookies" -s "$data/me.lua" | awk '/Requests\/sec/ {print $2}')"
echo "$line"
