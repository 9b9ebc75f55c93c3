#!/usr/bin/env bash
# Stripe webhook handling throughput, on loopback: Viva with billing configured (a temporary
# data dir and plans file, a Stripe API base on a local port nobody listens on: the webhook
# path never calls Stripe) receives signed events from bench/webhooks.mjs:
#  1. invoice.paid, N=5000, C=16: verify, parse (async-stripe), record the event id and the
#     payment (amount, currency, invoice id) for a customer Viva does not know;
#  2. product.created (a type Viva only records), N=5000, C=16;
#  3. invoice.paid with half of the deliveries repeating an acknowledged event (DUP=0.5).
# Needs a release build (bash .ci/build, or VIVA_PROFILE=release bash .ci/serve). Appends a table to
# bench/out/webhooks.md and prints it. N and C can be set in the environment.
set -euo pipefail
source "$(dirname "$0")/../.ci/env.sh"
cd "$here"
command -v curl >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl; }
N="${N:-5000}"; C="${C:-16}"
ADDR=127.0.0.1:3913; URL="http://$ADDR/webhooks/stripe"; SECRET=whsec_viva_test
mkdir -p bench/out; out=bench/out/webhooks.md
[ -x "$VIVA_BIN" ] || { echo "no release binary at $VIVA_BIN: run bash .ci/build first" >&2; exit 1; }
if curl -s -o /dev/null "http://$ADDR/healthz"; then echo "something already listens on $ADDR" >&2; exit 1; fi

data=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$data"' EXIT
cat > "$data/plans.toml" <<'TOML'
[[plans]]
id = "pro"
name = "Pro"
price = 1200
currency = "usd"
stripe_price = "price_pro"
TOML
# A port that was free a moment ago and that nothing listens on.
api_port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')

"$VIVA_BIN" --addr "$ADDR" --data-dir "$data/viva" --log warn \
  --plans "$data/plans.toml" --stripe-secret-key sk_test_viva --stripe-webhook-secret "$SECRET" \
  --stripe-api-base "http://127.0.0.1:$api_port/" & vpid=$!
for _ in $(seq 600); do
  curl -sf -o /dev/null "http://$ADDR/healthz" && break
  kill -0 $vpid 2>/dev/null || { echo "viva exited before answering /healthz" >&2; exit 1; }
  sleep 0.05
done
curl -sf -o /dev/null "http://$ADDR/healthz" || { echo "viva did not answer /healthz within 30 s" >&2; exit 1; }

# Warm-up (not reported): connections, the database's first writes.
URL="$URL" SECRET="$SECRET" N=200 C="$C" KIND=invoice.paid RUN="warm$$" node bench/webhooks.mjs >/dev/null \
  || echo "warm-up: some deliveries failed (see above); the runs below will say" >&2

failed=0
rows=""
row() { # label, then settings for webhooks.mjs
  local label=$1 json; shift
  if ! json=$(env URL="$URL" SECRET="$SECRET" C="$C" "$@" node bench/webhooks.mjs); then failed=1; fi
  [ -n "$json" ] || json='{}'
  rows+=$(node -e '
    const r = JSON.parse(process.argv[1]), label = process.argv[2];
    const st = Object.entries(r.statuses || {}).map(([k, v]) => `${k}: ${v}`).join(", ") || "none";
    const dups = r.redeliveries ? `${r.duplicates_acknowledged} of ${r.redeliveries}` : "–";
    console.log(`| ${r.ok ? "" : "**FAILED** "}${label} | ${r.n ?? "?"} | ${r.c ?? "?"} | ${r.events_per_s ?? "?"} | ${r.p50_ms ?? "?"} | ${r.p99_ms ?? "?"} | ${st} | ${dups} |`);
  ' "$json" "$label")$'\n'
}
row "invoice.paid (payment recorded, customer unknown)" N="$N" KIND=invoice.paid
row "product.created (recorded, not handled)" N="$N" KIND=unknown
row "invoice.paid, half of the deliveries repeat an acknowledged event" N="$N" KIND=invoice.paid DUP=0.5

kill $vpid; wait $vpid 2>/dev/null || true

table=$(cat <<MD

## Stripe webhooks ($(date -u +%F), $(nproc) cores, loopback, keep-alive, viva --log warn)

| run | deliveries | concurrency | events/s | p50 ms | p99 ms | statuses | duplicates acknowledged |
|---|---|---|---|---|---|---|---|
${rows%$'\n'}
MD
)
printf '%s\n' "$table" >> "$out"
printf '%s\n' "$table"

# What the quota check costs the requests that spend (interview start, speech upload).
cargo build --release -q -p server --example quota_cost
quota=$("$CARGO_TARGET_DIR/release/examples/quota_cost")
printf '\n%s\n' "$quota" >> "$out"
printf '\n%s\n' "$quota"
exit $failed
