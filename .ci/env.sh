# Shared by .ci/run and .ci/serve: where builds go and which tools are on PATH.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Outside the clone, so a fresh clone (CI) builds incrementally on top of earlier runs.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/viva/target}"
# cargo-leptos passes this to the server build; set it for plain cargo runs too, so neither
# invalidates the other's build of the server (its build script embeds the site from here).
export LEPTOS_SITE_ROOT="target/site"
export PATH="$here/.ci/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# The browser bundle builds in a directory of its own: cargo locks a build directory for a whole
# build, and .ci/build compiles the server's side of the app while the browser's builds.
export VIVA_WASM_TARGET_DIR="${VIVA_WASM_TARGET_DIR:-$CARGO_TARGET_DIR-wasm}"
# The cargo command of the builds (the browser bundle's and the server's). In .ci/run
# (VIVA_TEST_BUILD=1) the workspace's own crates are compiled by clippy's driver, as
# `cargo clippy -- -D warnings` would (the same two variables): each is linted as it compiles,
# every warning an error, on both sides (hydrate for wasm32, ssr with every target). So the
# test build is also the lint, and the dependencies are compiled once instead of being checked
# a second time by `cargo clippy` (6 of a cold run's minutes on the server's side; on the
# browser's, 2 min 24 s at the slowest machine kind's speed). The dependencies go through plain
# rustc; the workspace's crates built this way are kept apart (cargo hashes the wrapper into
# their names; the driver asks cargo to rebuild them when CLIPPY_ARGS changes). The driver turns
# MIR optimisations off in the crates it compiles; LLVM's still run, and the bundle came out
# the same size within 0.2 % (2026-12-06: main module 140,053 B brotli through the driver,
# 140,303 B through rustc; every module 556,312 vs 555,903 B). bench/ measures the release
# build's, which never goes through the driver. Both builds of the browser's crates share one
# directory (so the first command and then .ci/run compile its dependencies once): going from one
# to the other compiles the app and the frontend again (about a minute on 2 cores; the split
# bundles of both are kept, .ci/build).
# The tests' build also has a profile of its own, `ci` (Cargo.toml: the same code, compiled for
# less time). The first command (.ci/serve) builds that profile too, without the tests' clock
# and lint, so that it and .ci/run compile the dependencies once between them. `release` is
# for a site others use and for bench/: the default here, and what a caller's VIVA_PROFILE
# names otherwise.
build_cargo=(cargo)
export VIVA_PROFILE="${VIVA_PROFILE:-release}"
if [ -n "${VIVA_TEST_BUILD:-}" ]; then
  VIVA_PROFILE=ci
  build_cargo=(env RUSTC_WORKSPACE_WRAPPER=clippy-driver
    CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__" cargo)
fi
export VIVA_BIN="$CARGO_TARGET_DIR/$VIVA_PROFILE/viva"
# The two `cargo test` commands of .ci/run, which .ci/build compiles ahead (with --no-run) so
# that the run compiles nothing: the app's and the voice crate's unit tests (their [lib] says
# test = false, so only these name them), then every other test target. One profile (`ci`), so
# the app is compiled once for the binary and once with its unit tests, and nothing else twice.
unit_tests=(test --profile ci --lib -p app -p server -p voice)
other_tests=(test --profile ci -p app -p server -p voice)
step() { printf '\n\033[1m==> %s\033[0m  (%s)\n' "$*" "$(date +%T)" >&2; }
# The browser bundle's build tool (.ci/bundle: the split at the lazy routes and wasm-bindgen):
# built once, in its own target directory (it is not in the workspace).
bundle_tool="$HOME/.cache/viva/bundle-tool-target/release/viva-bundle"
build_bundle_tool() {
  cargo build --release --locked --quiet --manifest-path "$here/.ci/bundle/Cargo.toml" \
    --target-dir "$HOME/.cache/viva/bundle-tool-target"
}

# The browser's voice detector: the `voice` crate as a plain wasm module (no JS glue), served
# at /voice/vad.wasm and loaded by the recorder's AudioWorklet on the interview page only.
# Copied only when it changed, so the site (and the server that embeds it) is not rebuilt for nothing.
build_voice_wasm() {
  cargo rustc --profile voice-wasm --target wasm32-unknown-unknown -p voice --lib --features ffi --crate-type cdylib
  local built="$CARGO_TARGET_DIR/wasm32-unknown-unknown/voice-wasm/voice.wasm"
  cmp -s "$built" "$here/public/voice/vad.wasm" || cp "$built" "$here/public/voice/vad.wasm"
}
