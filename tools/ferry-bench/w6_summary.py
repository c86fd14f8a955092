#!/usr/bin/env python3
"""One line for a workload-6 row run alone (w6_row.sh, w6_cpu.sh): the push
consumer's end-to-end percentiles, the producer's ack p99 and the broker's
pull counters, read from RUN_DIR/c.json, RUN_DIR/p.json (ferry-bench --json)
and RUN_DIR/status.txt (ferryctl broker status). Usage: w6_summary.py RUN_DIR.
A run whose JSON is missing prints FAILED (and exits 0: the caller goes on
with its next round)."""
import json
import sys


def summary(d):
    try:
        c = json.load(open(d + "/c.json"))
        p = json.load(open(d + "/p.json"))
    except Exception as e:  # a crashed or timed-out client leaves no JSON
        return "FAILED (%s)" % e
    st = {}
    try:
        for line in open(d + "/status.txt"):
            a = line.split()
            if len(a) == 2:
                st[a[0]] = a[1]
    except OSError:
        pass
    L = c["latency_ms"]
    return ("sent/s %.0f got %d e2e p50 %.3f p90 %.3f p99 %.3f p99.9 %.3f max %.3f | ack p99 %.3f"
            " | pulls %s found %s held %s"
            % (p["msgs_per_s"], c["ok"], L["p50"], L["p90"], L["p99"], L["p999"], L["max"],
               p["latency_ms"]["p99"], st.get("pulls"), st.get("pulls_found"), st.get("pulls_held")))


if __name__ == "__main__":
    print(summary(sys.argv[1]))
