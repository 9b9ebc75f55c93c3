#!/usr/bin/env python3
"""Reads a `cargo build --timings` report (target/cargo-timings/cargo-timing-*.html) and prints
where a build's time went: the sum of every unit's compile time against the wall time, how many
units compiled at once in each 5-minute window (2.00 on 2 cores: throughput-bound, less work is
less time; near 1: a chain of dependencies sets the time), the longest units, grouped (with the
front end's share: type checking and the rest up to the metadata, before LLVM's code generation),
and the chain of units that ended last: for each, when the unit before it let it start and when
it did start (a wait there is a unit waiting for a free core).

    python3 bench/timings.py target/cargo-timings/cargo-timing.html
"""
import collections
import json
import re
import sys


def grab(html, name):
    m = re.search(r"const %s = (\[.*?\]);\n" % name, html, re.S)
    if not m:
        sys.exit(f"no {name} in this file: is it cargo's timing report?")
    return json.loads(m.group(1))


def main(path):
    html = open(path, encoding="utf-8").read()
    units = grab(html, "UNIT_DATA")
    conc = grab(html, "CONCURRENCY_DATA")
    wall = max(u["start"] + u["duration"] for u in units)
    work = sum(u["duration"] for u in units)
    print(f"{len(units)} units, {work:.0f} s of compiling in {wall:.0f} s ({work / wall:.2f} at once on average)")
    print("units compiling at once, by 5-minute window:")
    for lo in range(0, int(wall) + 1, 300):
        busy = 0.0
        for a, b in zip(conc, conc[1:]):
            s, e = max(a["t"], lo), min(b["t"], lo + 300)
            if e > s:
                busy += a["active"] * (e - s)
        span = min(300, wall - lo)
        if span > 0:
            print(f"  {lo // 60:3d}-{lo // 60 + 5:3d} min: {busy / span:.2f}")
    groups = collections.Counter()
    for u in units:
        n = u["name"]
        key = next((p + "*" for p in ("surrealdb", "candle", "async-stripe") if n.startswith(p)), n)
        groups[key] += u["duration"]
    print("compile time by crate (families together):")
    for k, v in groups.most_common(15):
        print(f"  {k:28s} {v:6.0f} s")
    print("longest units (start, seconds, of which the front end):")
    for u in sorted(units, key=lambda u: -u["duration"])[:20]:
        fe = front_end(u)
        fe = f"{fe:6.0f}" if fe is not None else "      "
        print(f"  {u['name']:28s} {u['target'].strip():20s} {u['start']:7.0f} {u['duration']:6.0f} {fe}")
    chain(units)


def front_end(u):
    """Seconds until the unit's metadata was written (dependents may start), if cargo said."""
    for name, span in u.get("sections") or []:
        if name == "frontend":
            return span["end"] - span["start"]
    return None


def chain(units):
    """The units that ended last, walked back through whichever unit unblocked each one."""
    by_i = {u["i"]: u for u in units}
    unblocker = {}  # unit -> (the unit that let it start, when): the later of its two kinds

    def unblocks(j, i, at):
        if j not in unblocker or at > unblocker[j][1]:
            unblocker[j] = (i, at)

    for u in units:
        for j in u.get("unblocked_units") or []:
            unblocks(j, u["i"], u["start"] + u["duration"])
        fe = front_end(u)
        for j in u.get("unblocked_rmeta_units") or []:
            unblocks(j, u["i"], u["start"] + (fe if fe is not None else u["duration"]))
    path = []  # (unit, when its last dependency let it start), from the last unit back
    u = max(units, key=lambda u: u["start"] + u["duration"])
    while u is not None:
        before, at = unblocker.get(u["i"], (None, None))
        path.append((u, at))
        u = by_i.get(before)
    path.reverse()
    waited = sum(u["start"] - at for u, at in path if at is not None)
    print(f"the chain that ended last ({len(path)} units; {waited:.0f} s of it waiting for a free core):")
    print("  unit                         target               unblocked  start  seconds")
    for u, at in path:
        at = f"{at:9.0f}" if at is not None else "         "
        print(f"  {u['name']:28s} {u['target'].strip():20s} {at} {u['start']:6.0f} {u['duration']:7.0f}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
