#!/usr/bin/env bash
# Runs a command at about the speed of the slowest 2-core machine kind measured (README, "The
# slowest machine kind, emulated"): the command and everything it starts share a CPU quota of
# VIVA_SLOW_QUOTA ms per 100 ms (default 81: two busy threads get 0.405 of a core each, so a
# cold build, which keeps both cores busy, takes about 2.47 times as long as here). A single
# thread gets 0.81 of a core, so serial work is flattered. Needs root and the cgroup `cpu`
# controller (v1 under /sys/fs/cgroup/cpu, or v2's cpu.max). Run nothing else meanwhile.
#
#   bash bench/slow-machine.sh bash .ci/run
#   VIVA_SLOW_QUOTA=100 bash bench/slow-machine.sh bash .ci/serve   # the third kind, about 2x
#
# The quota is a share of the host's speed, and the host's own speed moves (the same cold run
# took 35 to 48 minutes on one machine kind). So before and after the command, unthrottled, it
# times a fixed reference compile (two rustc runs at once of one generated file, like the build's
# work): compare runs by their reference too, and scale a run's time by the reference's change
# (README, "The slowest machine kind, emulated"); and once under the quota, which is the speed
# the command gets. VIVA_SLOW_REFERENCE=0 skips them.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: bash bench/slow-machine.sh COMMAND [ARGS...]" >&2; exit 2; }
quota_ms="${VIVA_SLOW_QUOTA:-81}"
case "$quota_ms" in
  '' | *[!0-9]*) echo "VIVA_SLOW_QUOTA must be whole milliseconds per 100 ms (1-200), not '$quota_ms'" >&2; exit 2 ;;
esac
if [ "$quota_ms" -lt 1 ] || [ "$quota_ms" -gt 200 ]; then
  echo "VIVA_SLOW_QUOTA must be 1-200 ms per 100 ms, not $quota_ms" >&2
  exit 2
fi
quota_us=$((quota_ms * 1000))

# The reference compile: the same source every time (20 generic functions, each used with three
# types), compiled twice at once at opt-level 2, so both cores work as in a build. Prints seconds.
reference() {
  local dir src
  dir=$(mktemp -d); src="$dir/reference.rs"
  {
    echo 'use std::collections::HashMap;'
    for i in $(seq 0 19); do
      cat <<RS
pub fn f$i<T: Clone + std::fmt::Debug + PartialOrd>(v: &[T]) -> (Vec<T>, String) {
    let mut w: Vec<T> = v.to_vec();
    w.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let mut m: HashMap<String, usize> = HashMap::new();
    for (k, x) in w.iter().enumerate() { *m.entry(format!("{x:?}")).or_default() += k + $i; }
    (w, m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","))
}
RS
    done
    echo 'fn main() { let a: Vec<f64> = (0..10).map(f64::from).collect(); let b = vec![String::from("a")];'
    for i in $(seq 0 19); do echo "  println!(\"{}\", f$i(&a).1.len() + f$i(&b).1.len() + f$i(&[1u32, 2]).1.len());"; done
    echo '}'
  } >"$src"
  local t0 t1
  t0=$(date +%s.%N)
  rustc -C opt-level=2 -C codegen-units=1 "$src" -o "$dir/a" &
  rustc -C opt-level=2 -C codegen-units=1 "$src" -o "$dir/b" &
  wait
  t1=$(date +%s.%N)
  rm -rf "$dir"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }'
}
if [ "${VIVA_SLOW_REFERENCE:-1}" != 0 ]; then
  echo "[slow-machine] the host's reference compile, unthrottled, before: $(reference) s" >&2
fi
if [ -d /sys/fs/cgroup/cpu ] && [ -w /sys/fs/cgroup/cpu ]; then
  group=/sys/fs/cgroup/cpu/viva-slow
  mkdir -p "$group"
  echo 100000 > "$group/cpu.cfs_period_us"
  echo "$quota_us" > "$group/cpu.cfs_quota_us"
  echo $$ > "$group/tasks"
  root_tasks=/sys/fs/cgroup/cpu/tasks
elif [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw cpu /sys/fs/cgroup/cgroup.controllers; then
  group=/sys/fs/cgroup/viva-slow
  echo +cpu > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
  mkdir -p "$group"
  if [ ! -w "$group/cpu.max" ]; then
    echo "cgroup v2 here, but its cpu controller could not be enabled for $group (a process in the root group? run from a shell in a child group, or as root on the host)" >&2
    exit 1
  fi
  echo "$quota_us 100000" > "$group/cpu.max"
  echo $$ > "$group/cgroup.procs"
  root_tasks=/sys/fs/cgroup/cgroup.procs
else
  echo "no writable cgroup cpu controller here (run as root on a machine with cgroup v1's cpu or v2's cpu.max)" >&2
  exit 1
fi
if [ "${VIVA_SLOW_REFERENCE:-1}" != 0 ]; then
  echo "[slow-machine] the same compile under the quota: $(reference) s" >&2
fi
echo "[slow-machine] ${quota_ms} ms of CPU per 100 ms for: $*" >&2
start=$(date +%s)
status=0
"$@" || status=$?
echo "[slow-machine] exit $status after $(($(date +%s) - start)) s" >&2
if [ "${VIVA_SLOW_REFERENCE:-1}" != 0 ]; then
  # Out of the quota again, for the reference.
  echo $$ > "$root_tasks"
  echo "[slow-machine] the host's reference compile, unthrottled, after: $(reference) s" >&2
fi
exit "$status"
