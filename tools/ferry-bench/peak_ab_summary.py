#!/usr/bin/env python3
"""Pairs of peak_ab.sh rows (same output file, same round): medians of A and
B, the paired B/A ratio's median and in how many pairs B was better.
Usage: peak_ab_summary.py A_LABEL B_LABEL FILE...   (ratios are B / A)"""
import re
import statistics as st
import sys

a_lab, b_lab = sys.argv[1], sys.argv[2]
rows = {}  # (file, round) -> label -> {w: {field: value}}
for f in sys.argv[3:]:
    for line in open(f):
        m = re.match(r"(\S+) round (\d+) (\S+): (.*)", line)
        if not m:
            continue
        d = {}
        for part in m.group(4).split(" | "):
            t = part.split()
            if t and t[0] == "w6" and "FAIL" not in part:
                d["w6"] = {"rate": float(t[1]), "p50": float(t[4]), "p99": float(t[6]), "pf_pct": float(t[10])}
                continue
            if not t or t[0] not in ("w2", "w3", "w5") or "FAIL" in part:
                continue
            v = {"rate": float(t[1])}
            for i in range(2, len(t) - 1, 2):
                v[t[i]] = float(t[i + 1])
            d[t[0]] = v
        rows.setdefault((f, m.group(2)), {})[m.group(3)] = d

fields = [("rate", "msgs/s", "higher"), ("srv_us", "ferryd µs/msg", "lower"),
          ("pf_us", "ferry-prefault µs/msg", "lower"), ("pf_pct", "ferry-prefault % of a core", "lower"),
          ("loop_us", "loop (ferryd thread) µs/msg", "lower"), ("disp_us", "ferry-dispatch µs/msg", "lower"),
          ("cli_us", "client µs/msg", "lower")]
fields6 = [("p99", "w6 e2e p99 ms", "lower"), ("p50", "w6 e2e p50 ms", "lower"),
           ("pf_pct", "ferry-prefault % of a core over the w6 row", "lower")]
for w in ("w2", "w3", "w5", "w6"):
    pairs = [(r[a_lab][w], r[b_lab][w]) for r in rows.values()
             if a_lab in r and b_lab in r and w in r[a_lab] and w in r[b_lab]]
    if not pairs:
        continue
    print(f"{w}: {len(pairs)} pairs")
    for k, name, better in (fields6 if w == "w6" else fields):
        av = [p[0][k] for p in pairs]
        bv = [p[1][k] for p in pairs]
        rat = [b / a for a, b in zip(av, bv) if a]
        if better == "higher":
            k_b = sum(b > a for a, b in zip(av, bv))
        else:
            k_b = sum(b < a for a, b in zip(av, bv))
        print(f"  {name:30s} {a_lab} median {st.median(av):10.3f}  {b_lab} median {st.median(bv):10.3f}"
              f"  paired {b_lab}/{a_lab} median {st.median(rat):.3f}  {b_lab} {better} in {k_b}/{len(pairs)}")
