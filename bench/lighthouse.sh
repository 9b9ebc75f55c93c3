#!/usr/bin/env bash
# Lighthouse (npm lighthouse in Debian's Chromium, mobile profile): performance, accessibility,
# best practices and SEO of the public pages, and of /practice and a report signed in.
# Needs a release build (bash .ci/build) and the end2end npm packages (bash .ci/tools.sh --browser).
# Writes bench/out/lighthouse.md (each page's median of LH_RUNS audits, default 5). VIVA_ARGS: more arguments for the server (for an A/B of two
# bundles: --site-root DIR serves a site built elsewhere in place of the embedded one).
set -euo pipefail
source "$(dirname "$0")/../.ci/env.sh"
cd "$here"
mkdir -p bench/out; out=bench/out/lighthouse.md
data=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$data"' EXIT
port=3931; base="http://127.0.0.1:$port"
"$VIVA_BIN" --addr "127.0.0.1:$port" --data-dir "$data/v" --log warn --print-mail ${VIVA_ARGS:-} >"$data/log" 2>&1 &
until curl -sf -o /dev/null "$base/readyz"; do sleep 0.05; done
cats=performance,accessibility,best-practices,seo
# Five audits of each page, the median reported (LH_RUNS=1 for a quick look).
export LH_RUNS=${LH_RUNS:-5}
(cd end2end && LH_CATEGORIES=$cats LH_JSON="$data/public.json" node lighthouse.mjs "$base" / /privacy /terms /signin /signup /contact) || true

# Signed in: an account with a finished written interview (its report).
source bench/account.sh
cookies=$(bench_account "$base" lh@example.org "$data/log")
report=$(node bench/written_interview.mjs "$base" "$cookies" 2>"$data/interview.err" || true)
paths=(/practice); [ -n "$report" ] && paths+=("$report")
(cd end2end && LH_CATEGORIES=$cats LH_COOKIE="$cookies" LH_JSON="$data/member.json" node lighthouse.mjs "$base" "${paths[@]}") || true

node -e '
const fs = require("fs");
const all = Object.assign({}, ...process.argv.slice(1).filter(f => fs.existsSync(f)).map(f => JSON.parse(fs.readFileSync(f))));
const rows = Object.entries(all).map(([p, s]) => `| ${p.replace(/\/interview\/[^/]+/, "/interview/…")} | ${s.performance} | ${s.accessibility} | ${s["best-practices"]} | ${s.seo} | ${Math.round(s.metrics.fcp_ms)} | ${Math.round(s.metrics.lcp_ms)} | ${Math.round(s.metrics.tbt_ms)} | ${Math.round(s.metrics.transfer_bytes / 1024)} | ${Math.round(s.benchmark_index ?? 0)} |`);
console.log(`# Lighthouse (${new Date().toISOString().slice(0, 10)}, mobile profile, Debian Chromium, loopback)\n\n| page | performance | accessibility | best practices | SEO | FCP ms | LCP ms | TBT ms | transferred KiB | benchmark index |\n|---|---|---|---|---|---|---|---|---|---|\n${rows.join("\n")}`);
' "$data/public.json" "$data/member.json" > "$out"
cat "$out"
