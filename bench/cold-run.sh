#!/usr/bin/env bash
# Runs a command cold, as a newcomer's machine would: in a fresh clone of this checkout's HEAD
# and with an empty HOME (no ~/.cache/viva: no build, no models, no npm packages), sharing only
# the Rust toolchain, Python and crates.io's download cache. The clone is made beside this one,
# so ../shared (the speech clips the tests use) is found; it is kept afterwards, with its HOME,
# for a look at what the run left (delete both when done). The README's cold figures come from
#
#   bash bench/cold-run.sh bash bench/slow-machine.sh bash .ci/run   # the slowest kind, emulated
#   bash bench/cold-run.sh bash .ci/serve                            # the first command, this machine
#
# Run nothing else meanwhile.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: bash bench/cold-run.sh COMMAND [ARGS...]" >&2; exit 2; }
here="$(cd "$(dirname "$0")/.." && pwd)"
clone="$(mktemp -d "$(dirname "$here")/viva-cold-XXXX")"
home="$(mktemp -d /tmp/viva-cold-home-XXXX)"
git clone --quiet "$here" "$clone"
echo "[cold-run] $(git -C "$clone" log --oneline -1) in $clone, HOME=$home" >&2
cd "$clone"
# Only what the machine itself provides stays on PATH (and cargo's, rustup's and pyenv's).
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
rustup_home="${RUSTUP_HOME:-$HOME/.rustup}"
pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
exec env -i \
  PATH="$cargo_home/bin:$pyenv_root/shims:$pyenv_root/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  HOME="$home" CARGO_HOME="$cargo_home" RUSTUP_HOME="$rustup_home" PYENV_ROOT="$pyenv_root" \
  TERM=dumb LANG=C.UTF-8 "$@"
