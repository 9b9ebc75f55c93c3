#!/usr/bin/env bash
# The size and time of a data export: an account with 15 interviews and 105 kept recordings,
# built by the export job, stored in pieces and read back (the export test, which prints it).
set -euo pipefail
source "$(dirname "$0")/../.ci/env.sh"
cd "$here"
mkdir -p bench/out
cargo test --release -p app -p server -p voice --features server/test-clock --lib \
  -- privacy::export::tests::an_export_holds_every_interview_answer_and_recording --nocapture 2>&1 \
  | grep '^export of' | tee bench/out/export.txt
