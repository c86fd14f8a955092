#!/usr/bin/env python3
"""Medians of w1_ab.sh output files: per label msgs/s (min-max), p50, p99,
client and server CPU %, ratio to NATS and to the ping-pong (medians), and
for every Ferry label after the first, "lower in k of n" rounds against the
first Ferry label (same file, same round).
Usage: w1_ab_summary.py OUT [OUT...]"""
import statistics as st
import sys
from collections import defaultdict

if len(sys.argv) < 2:
    print(__doc__, file=sys.stderr)
    sys.exit(2)
rows = defaultdict(list)  # label -> [(file, round, rate, p50, p99, ccpu, scpu)]
order = []
for path in sys.argv[1:]:
    for line in open(path):
        if line.startswith("# w1_ab ") and " order=" in line:  # the command line's order
            for label in line.split(" order=")[1].split(" reverse=")[0].split():
                if label not in order:
                    order.append(label)
        f = line.split()
        if not f or f[0].startswith("#") or len(f) < 7:
            continue
        rnd, label = f[0], f[1]
        if label not in order:
            order.append(label)
        rows[label].append((path, rnd, float(f[2]), float(f[3]), float(f[4]), float(f[5]), float(f[6])))


def med(label, i):
    return st.median(r[i] for r in rows[label])


ferry = [l for l in order if l not in ("nats", "pingpong")]
print("| label | n | msgs/s median (min-max) | p50 ms | p99 ms | client CPU % | server CPU % | / NATS | / ping-pong |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for l in order:
    rate = med(l, 2)
    lo, hi = min(r[2] for r in rows[l]), max(r[2] for r in rows[l])
    nats = "%.2f" % (rate / med("nats", 2)) if "nats" in rows and l != "nats" else ""
    pp = "%.2f" % (rate / med("pingpong", 2)) if "pingpong" in rows and l != "pingpong" else ""
    scpu = med(l, 6)
    print("| %s | %d | %.0f (%.0f-%.0f) | %.3f | %.3f | %.0f | %s | %s | %s |" % (
        l, len(rows[l]), rate, lo, hi, med(l, 3), med(l, 4), med(l, 5), "" if scpu != scpu else "%.0f" % scpu, nats, pp))
if ferry:
    base = {(r[0], r[1]): r for r in rows[ferry[0]]}
    for l in ferry[1:]:
        pairs = [(r, base[(r[0], r[1])]) for r in rows[l] if (r[0], r[1]) in base]
        lower = sum(1 for r, b in pairs if r[2] < b[2])
        ratios = " ".join("%.2f" % (r[2] / b[2]) for r, b in pairs)
        print("%s vs %s: msgs/s lower in %d of %d rounds; per-round ratio %s" % (l, ferry[0], lower, len(pairs), ratios))
