#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers that take outside bytes, on the stable toolchain:
# libFuzzer (the crates.io `libfuzzer-sys`, its C++ built with the system's g++) and rustc's
# stable flags for SanitizerCoverage. A workspace of its own in fuzz/, with its own target
# directory, so these flags never reach the main build.
#
#   bash bench/fuzz.sh                 # every target, FUZZ_SECS (60) each
#   FUZZ_SECS=600 bash bench/fuzz.sh wav resume
#   FUZZ_RUNS=10000000 bash bench/fuzz.sh tokens   # a number of executions instead of a time
#   FUZZ_FLAGS="-fork=1 -ignore_crashes=1" ...    # more libFuzzer flags (here: go on past a crash)
#
# Prints executions and executions per second of each target; exits non-zero if any target
# found a crash (the input is kept in fuzz/artifacts/<target>/). See fuzz/README.md.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here/fuzz"
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/viva/fuzz-target}"
triple="$(rustc -vV | sed -n 's/^host: //p')"
# --target keeps the flags off build scripts and proc macros (they would need libFuzzer).
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks"
jobs="${FUZZ_BUILD_JOBS:-1}"
cargo build --release --locked -j"$jobs" --target "$triple" --bins
bin="$CARGO_TARGET_DIR/$triple/release"

all=$(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v '^viva-fuzz$')
targets=("$@")
[ ${#targets[@]} -gt 0 ] || read -r -a targets <<<"$(echo $all)"
secs="${FUZZ_SECS:-60}"
status=0
printf '%-16s %14s %10s %8s %s\n' target executions exec/s crashes note
for t in "${targets[@]}"; do
  corpus="$here/fuzz/corpus/$t"
  work="${FUZZ_WORK_DIR:-$HOME/.cache/viva/fuzz-corpus}/$t"
  art="$here/fuzz/artifacts/$t"
  mkdir -p "$corpus" "$work" "$art"
  opts=(-print_final_stats=1 -artifact_prefix="$art/" -timeout=10)
  if [ -n "${FUZZ_RUNS:-}" ]; then opts+=(-runs="$FUZZ_RUNS"); else opts+=(-max_total_time="$secs"); fi
  read -r -a extra <<<"${FUZZ_FLAGS:-}"
  opts+=("${extra[@]}")
  before=$(ls "$art" | grep -c -E '^(crash|timeout|oom|leak)-' || true)
  log="$work.log"
  rc=0
  # New inputs go to the work folder (outside the clone); the seeds in fuzz/corpus are read only.
  "$bin/$t" "${opts[@]}" "$work" "$corpus" >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n "s/^stat::average_exec_per_sec: *//p" "$log" | tail -1)
  if [ -z "$runs" ]; then
    # -fork mode prints no final stats: its last "#N: cov: … time: Ts" line has the totals.
    last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1 || true)
    runs=$(sed -n 's/^#\([0-9]*\):.*/\1/p' <<<"$last")
    took=$(sed -n 's/.* time: \([0-9]*\)s.*/\1/p' <<<"$last")
    [ -n "$runs" ] && [ "${took:-0}" -gt 0 ] && rate=$((runs / took))
  fi
  crashes=$(( $(ls "$art" | grep -c -E '^(crash|timeout|oom|leak)-' || true) - before ))
  note=""
  if [ "$rc" -ne 0 ]; then status=1; note="FAILED (rc=$rc), see $log"; fi
  printf '%-16s %14s %10s %8s %s\n' "$t" "${runs:-?}" "${rate:-?}" "$crashes" "$note"
done
exit "$status"
