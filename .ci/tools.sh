#!/usr/bin/env bash
# Installs the build and test tools Viva needs, skipping whatever is already there.
# The one place where tool versions are pinned; `.ci/run`, `.ci/serve` and the README use it.
# Everything comes from the package registries (crates.io, npm, Debian): nothing else is downloaded.
set -euo pipefail

MOTO_VERSION=5.2.5            # the tests' S3 server (PyPI moto, only its S3 parts, and Flask)
FLASK_VERSION=3.1.3
FLASK_CORS_VERSION=6.0.5

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
log() { printf '\033[1m[tools]\033[0m %s\n' "$*" >&2; }

need_browser="${1:-}"   # pass "--browser" to also install Chromium and the Playwright deps

for c in clippy rustfmt; do
  if ! rustup component list --installed | grep -q "^$c"; then
    rustup component add "$c"
  fi
done
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# wasm-opt (npm binaryen) and Lightning CSS (npm lightningcss-cli) for .ci/build.
if [ ! -x "$here/.ci/node_modules/.bin/wasm-opt" ] || [ ! -x "$here/.ci/node_modules/.bin/lightningcss" ]; then
  log "installing wasm-opt and Lightning CSS (npm binaryen, lightningcss-cli)"
  (cd "$here/.ci" && npm ci --no-audit --no-fund --silent)
fi

# brotli for the site's precompressed copies (.ci/build).
if ! command -v brotli >/dev/null; then
  log "installing Debian brotli"
  SUDO=""; [ "$(id -u)" != 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq brotli
fi

if [ "$need_browser" = "--browser" ]; then
  # Chromium for the browser tests; Firefox ESR and WebKitGTK (driven by WebKitWebDriver in
  # a virtual display) for the voice recorder's cross-browser test.
  missing=""
  [ -x /usr/bin/chromium ] || missing="$missing chromium"
  [ -x /usr/bin/firefox-esr ] || missing="$missing firefox-esr"
  [ -x /usr/bin/WebKitWebDriver ] || missing="$missing webkit2gtk-driver"
  [ -x /usr/bin/xvfb-run ] || missing="$missing xvfb"
  # The data-export test checks data.json against docs/export-schema.json with it.
  python3 -c 'import jsonschema' 2>/dev/null || missing="$missing python3-jsonschema"
  # The fake camera's files for Chromium (end2end/fixtures/make-camera.sh): a test pattern
  # video and a spoken sentence.
  [ -x /usr/bin/ffmpeg ] || missing="$missing ffmpeg"
  [ -x /usr/bin/espeak-ng ] || missing="$missing espeak-ng"
  # The S3 server's venv below.
  python3 -c 'import ensurepip' 2>/dev/null || missing="$missing python3-venv"
  if [ -n "$missing" ]; then
    log "installing Debian$missing"
    SUDO=""; [ "$(id -u)" != 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
  fi
  if [ ! -d "$here/end2end/node_modules/playwright-core" ] || [ ! -d "$here/end2end/node_modules/lighthouse" ]; then
    log "installing Playwright (playwright-core, no browser download)"
    (cd "$here/end2end" && npm ci --no-audit --no-fund --silent)
  fi
  # An S3-compatible server for the video store's tests (end2end/servers/s3-server.sh): moto's
  # server mode, in a venv of its own.
  s3_venv="$HOME/.cache/viva/s3-venv"
  if [ "$("$s3_venv/bin/python" -c 'import moto, flask_cors; print(moto.__version__)' 2>/dev/null)" != "$MOTO_VERSION" ]; then
    log "installing moto $MOTO_VERSION (the tests' S3 server) into $s3_venv"
    rm -rf "$s3_venv"
    python3 -m venv "$s3_venv"
    "$s3_venv/bin/pip" install --quiet --disable-pip-version-check \
      "moto[s3]==$MOTO_VERSION" "flask==$FLASK_VERSION" "flask-cors==$FLASK_CORS_VERSION"
  fi
fi
log "tools ready"
