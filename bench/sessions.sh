#!/usr/bin/env bash
# Many interview sessions at once on one node (server/examples/sessions_load.rs over HTTP on
# loopback; it starts its own `viva` with the embedded store): sign in, start a spoken
# interview, upload speech segments at a speaker's pace, hand in (typed: no transcriber, so
# transcription itself is not in the figures), wait for the evaluation, read the report.
#   SESSIONS  counts to run, one fresh node each (default "250 500 1000")
#   RAMP_SECS sessions start evenly over this many seconds (default 60)
#   SEGMENTS, SEGMENT_SECS  per answer (default 6 of 4 s: one every 5 s)
# Goal (issue 20): p99 < 250 ms for every call, 0 errors, 0 lost segments.
# Needs a release build (bash .ci/build). Writes bench/out/sessions.md.
set -euo pipefail
source "$(dirname "$0")/../.ci/env.sh"
cd "$here"
SESSIONS="${SESSIONS:-250 500 1000}"
[ -x "$VIVA_BIN" ] || { echo "no release binary at $VIVA_BIN: run bash .ci/build first" >&2; exit 1; }
cargo build --release -q -p server --example sessions_load
load="$CARGO_TARGET_DIR/release/examples/sessions_load"
mkdir -p bench/out; out=bench/out/sessions.md
# Each simulated person keeps a few connections open.
ulimit -n 65536 2>/dev/null || ulimit -n 8192 2>/dev/null || true
{
  echo "# Interview sessions on one node ($(date -u +%F), $(nproc) cores, ramp ${RAMP_SECS:-60} s)"
  echo
  echo "| sessions | completed | errors | lost segments | worst p99 (ms) | sign_in p99 | start p99 | segment p50 / p99 | hand_in p99 | status p99 | report page p99 | node CPU s | peak MiB |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} > "$out"
for n in $SESSIONS; do
  echo "== $n sessions" >&2
  line=$("$load" "$VIVA_BIN" "$n")
  echo "$line" >> bench/out/sessions.jsonl
  python3 - "$line" >> "$out" <<'PY'
import json, sys
j = json.loads(sys.argv[1]); c = j["calls"]
g = lambda k, f="p99_ms": f'{c[k][f]:.0f}' if k in c else "–"
print(f"| {j['sessions']} | {j['completed']} | {j['errors']} | {j['lost_segments']} | {j['worst_p99_ms']:.0f} | {g('auth/sign_in')} | {g('interview/start')} | {g('voice/segment','p50_ms')} / {g('voice/segment')} | {g('voice/hand_in')} | {g('voice/status')} | {g('page /interview/ID/report')} | {j['node_cpu_secs']} | {j['node_peak_mib']:.0f} |")
PY
  python3 -c "import json,sys; j=json.loads(sys.argv[1]); [print(f'  {k}: n {v[\"n\"]}, errors {v[\"errors\"]}, p50 {v[\"p50_ms\"]} ms, p99 {v[\"p99_ms\"]} ms, max {v[\"max_ms\"]} ms' + (f' — {v[\"first_error\"]}' if v['first_error'] else '')) for k, v in j['calls'].items()]" "$line" >&2
done
cat "$out"
