#!/usr/bin/env bash
# Runs a command and says how long it took and how many CPU-seconds the whole machine was busy
# meanwhile (/proc/stat: user, nice, system, irq and softirq time of every core), so work that
# starts servers and browsers is counted too. Run nothing else meanwhile.
#
#   VIVA_TEST_BUILD=1 bash -c 'source .ci/env.sh; bash bench/cpu-time.sh "${build_cargo[@]}" \
#     "${other_tests[@]}" --features server/test-clock --test integration'
set -uo pipefail
[ $# -gt 0 ] || { echo "usage: bash bench/cpu-time.sh COMMAND [ARGS...]" >&2; exit 2; }
busy() { awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
hz=$(getconf CLK_TCK)
b0=$(busy); t0=$(date +%s.%N)
"$@"; status=$?
b1=$(busy); t1=$(date +%s.%N)
awk -v t0="$t0" -v t1="$t1" -v c="$((b1 - b0))" -v hz="$hz" \
  'BEGIN { w = t1 - t0; s = c / hz; printf "[cpu-time] wall %.0f s, busy %.0f CPU-s, %.2f cores on average\n", w, s, s / w }' >&2
exit "$status"
