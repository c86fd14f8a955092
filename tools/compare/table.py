#!/usr/bin/env python3
"""The table tools/compare.sh prints: one row per (workload, system) from the
raw results it collected (rows.tsv + one JSON summary per run, in
ferry-bench's --json shape), Ferry's ratio to every peer, and issue 7's
targets marked met / missed. Workload 6 ran W6_RUNS times per system: its
row is the run with the median p99, every run listed under the table. Each
row's host steal is from /proc/stat. Only arithmetic on measured figures here."""
import json
import os
import re
import sys

WORKLOADS = {
    "1": "one producer, sync sends one at a time",
    "2": "one producer, 256 in flight",
    "3": "four producers, 256 in flight each",
    "4": "durable acks, 64 in flight",
    "5": "consume a backlog",
    "6": "end-to-end latency at 50 % of Ferry's peak",
    "7": "batch send, 64 x 1 KiB a request",
}


def load(res):
    meta = {}
    for line in open(os.path.join(res, "meta.txt")):
        key, _, value = line.rstrip("\n").partition(" ")
        meta[key] = value
    hz = float(meta.get("hz", "100"))
    rows = []
    for line in open(os.path.join(res, "rows.tsv")):
        fields = line.rstrip("\n").split("\t")
        w, system, durability, client, name, cpu_wall, server_ticks = fields[:7]
        cpu_s, wall_s = (float(x) for x in cpu_wall.split())
        # The host's steal over the row: (steal, total) ticks of all CPUs.
        steal = None
        if len(fields) > 7 and len(fields[7].split()) == 2:
            st, tot = (float(x) for x in fields[7].split())
            steal = 100.0 * st / tot if tot > 0 else None
        try:
            j = json.load(open(os.path.join(res, name + ".json")))
        except (OSError, ValueError):
            j = None
        # The CPU of the brokers that idled during the row (ns), when the
        # run had them all up at once (compare.sh's interleaved order).
        idle = float(fields[8]) / 1e9 / wall_s * 100.0 if len(fields) > 8 and wall_s > 0 else None
        rows.append({
            "w": w, "system": system, "durability": durability, "client": client, "name": name, "j": j,
            "steal": steal, "idle_cpu": idle, "res": res,
            "client_cpu": 100.0 * cpu_s / wall_s if wall_s > 0 else 0.0,
            "server_cpu": (100.0 * float(server_ticks) / hz / wall_s) if wall_s > 0 and system not in (
                "loopback ping-pong", "plain write()") else None,
        })
    return meta, rows


def p99_of(r):
    return r["j"]["latency_ms"]["p99"] if r["j"] is not None else float("inf")


def median_w6(rows):
    """Workload 6's runs folded into one row per system: the run with the
    median p99 (the lower middle one for an even count; a failed run counts
    as the worst). Returns (rows with one w6 row per system, {system: runs})."""
    runs = {}
    for r in rows:
        if r["w"] == "6":
            runs.setdefault(r["system"], []).append(r)
    keep = {id(sorted(rs, key=p99_of)[(len(rs) - 1) // 2]) for rs in runs.values()}
    return [r for r in rows if r["w"] != "6" or id(r) in keep], runs


def steal_text(v):
    return "-" if v is None else f"{v:.1f} %"


def whole_run_steal(meta):
    try:
        s0, t0 = (float(x) for x in meta["steal_start"].split())
        s1, t1 = (float(x) for x in meta["steal_end"].split())
    except (KeyError, ValueError):
        return ""
    return f" Whole run: {100.0 * (s1 - s0) / (t1 - t0):.1f} %." if t1 > t0 else ""


def fmt_rate(v):
    return f"{v:,.0f}"


def ratio_text(ferry, row):
    """Ferry's figure over the peer's, on the workload's own measure."""
    if ferry is None or row["j"] is None or ferry["j"] is None or row is ferry:
        return ""
    fj, rj = ferry["j"], row["j"]
    if row["w"] == "6":
        p99f, p99r = fj["latency_ms"]["p99"], rj["latency_ms"]["p99"]
        return f"p99 {p99f / p99r:.2f}x (lower: Ferry better)" if p99r > 0 else ""
    key = "mb_per_s" if row["system"] == "plain write()" else "msgs_per_s"
    return f"{fj[key] / rj[key]:.2f}x" if rj[key] > 0 else ""


def client_batch(r):
    """A Ferry row's client-side batching as its producer applied it (ferry-bench
    --json's client_batch: the value set, else libferry's default): a short
    text for the client column, "" where no send was batched (sync sends,
    consumers, the peers) or the summary does not say (an older ferry-bench)."""
    j = r["j"]
    if r["system"] != "Ferry" or j is None or j.get("role") != "produce" and r["w"] != "6":
        return ""
    cb = j.get("client_batch")
    if r["w"] == "6":  # the row's JSON is the consumer's; the producer's is beside it
        try:
            p = json.load(open(os.path.join(r["res"], r["name"] + "-producer.json")))
        except (OSError, ValueError):
            return ""
        cb, mode = p.get("client_batch"), p.get("mode")
    else:
        mode = j.get("mode")
    if mode != "async" or not cb:
        return ""
    if cb["max_messages"] <= 1:
        return "client batching off"
    return f"client batching <= {cb['max_messages']} msgs, linger {cb['linger_ms']} ms"


def main(res):
    meta, rows = load(res)
    # One order within a workload whatever order the systems ran in (they
    # take turns); stable, so workload 6's runs stay in run order.
    rank = {"loopback ping-pong": 0, "Ferry": 1, "plain write()": 2, "NATS JetStream": 3, "Redis Streams": 4}
    rows.sort(key=lambda r: (r["w"], rank.get(r["system"], 5)))
    all_rows = rows
    rows, w6_runs = median_w6(rows)
    ferry_of = {r["w"]: r for r in rows if r["system"] == "Ferry"}
    print(f"Ferry side by side — commit {meta.get('commit')}, {meta.get('date')}, {meta.get('machine')}"
          f"{' (QUICK smoke run: figures not comparable)' if meta.get('quick') == '1' else ''}")
    print(f"1 KiB bodies; workload 5 backlog {int(meta.get('backlog', '0')):,} messages; workload 6 paced at "
          f"{int(meta.get('e2e_rate', '0')):,} msgs/s (half of Ferry's best of workloads 2 and 3). CPU = % of one "
          f"core over the run (client: the load generator process(es), server: the broker process).")
    if meta.get("producer_set"):
        print(f"Ferry workloads 1-3 ran with libferry producer settings: {meta['producer_set']} "
              f"(the client column says whether each row's async sends were batched).")
    if meta.get("consumer_set"):
        print(f"Ferry's workload 6 push consumer ran with libferry consumer settings: {meta['consumer_set']}.")
    if meta.get("busy_poll_us", "0") not in ("", "0"):
        print(f"Ferry's workload 1 ran with busy-poll {meta['busy_poll_us']} us (--busy-poll) on its own ferryd: "
              f"kernel.busy_poll_us and libferry's busy_poll_us; broker and client poll instead of sleeping for "
              f"that long after I/O, trading CPU for wake-ups (its CPU columns include it). Other rows: off.")
    print()
    head = ["W", "system", "durability", "client", "msgs/s", "MB/s", "p50 ms", "p99 ms", "client CPU", "server CPU",
            "Ferry / this", "host steal"]
    table = []
    for r in rows:
        j = r["j"]
        if j is None:
            table.append([r["w"], r["system"], r["durability"], r["client"], "FAILED", "", "", "", "", "", "",
                          steal_text(r["steal"])])
            continue
        lat = j["latency_ms"]
        cb = client_batch(r)
        table.append([
            r["w"], r["system"], r["durability"], r["client"] + (f"; {cb}" if cb else ""), fmt_rate(j["msgs_per_s"]),
            f"{j['mb_per_s']:.1f}",
            f"{lat['p50']:.3f}" if r["w"] != "5" else "-", f"{lat['p99']:.3f}" if r["w"] != "5" else "-",
            f"{r['client_cpu']:.0f} %", "-" if r["server_cpu"] is None else f"{r['server_cpu']:.0f} %",
            ratio_text(ferry_of.get(r["w"]), r), steal_text(r["steal"]),
        ])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *table)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for t in table:
        print("| " + " | ".join(str(x).ljust(w) for x, w in zip(t, widths)) + " |")
    print()
    print("Workloads: " + "; ".join(f"{k}. {v}" for k, v in WORKLOADS.items()) + ".")
    print("Client batching: Ferry rows whose client column says \"client batching <= N msgs\" sent their async "
          "sends through libferry's client-side batching (opt-in, async_batch_max_messages > 1, e.g. by "
          "--producer-set: async sends of one topic that reach the SDK's I/O thread together go as one SEND_BATCH "
          "request of up to N, each with its own ack); \"client batching off\": one request per message; Ferry's "
          "sync sends (workload 1) are never batched; the peers' "
          "rows send one message per request (NATS PublishAsync, Redis XADD, pipelined); workload 7 uses each "
          "system's explicit batch: Ferry's batch request, 64 pipelined XADDs, 64 PublishAsync then "
          "PublishAsyncComplete. Workload 5's latency is the backlog's age, not shown. "
          "Workload 4 has no NATS row: NATS 2.9 acknowledges before it fsyncs.")
    n6 = max((len(rs) for rs in w6_runs.values()), default=0)
    if n6 > 1:
        print(f"Workload 6: median p99 of {n6} runs per system (each run its own paced producer and consumer on the "
              f"same broker; for an even count the lower middle run); the row is that run, every run's p99 below.")
    for system, rs in w6_runs.items():
        if len(rs) > 1:
            print(f"workload 6 {system} runs: " + ", ".join(
                ("FAILED" if r["j"] is None else f"p99 {p99_of(r):.3f} ms at {fmt_rate(r['j']['msgs_per_s'])}/s")
                + f" (steal {steal_text(r['steal'])})" for r in rs))
    print("Host steal: the share of all CPUs' time the hypervisor took from this machine during the row "
          "(/proc/stat steal / total), so a row that ran while the host took CPU shows." +
          whole_run_steal(meta))
    if meta.get("order") == "interleaved":
        idle = sorted(r["idle_cpu"] for r in all_rows if r["idle_cpu"] is not None and r["server_cpu"] is not None)
        idle_text = (f" The brokers idling during a row used {idle[len(idle) // 2]:.1f} % of one core (median of the "
                     f"rows; max {idle[-1]:.1f} %).") if idle else ""
        print("Order: every broker of workloads 1-3 and 5-7 runs from the first row to the last, the systems take "
              "turns workload by workload (who goes first rotates), and before every row (not timed) a sync and a wait "
              "until the brokers together idle under 5 % of a core, so no row pays for another's dirty pages or "
              "leftover work." + idle_text)
    notes = []
    for r in all_rows:  # every workload-6 run, the reported one named
        j = r["j"]
        who = f"workload {r['w']} {r['system']}"
        if len(w6_runs.get(r["system"], [])) > 1 and r["w"] == "6":
            k = next(i for i, x in enumerate(w6_runs[r["system"]]) if x is r)
            who += f" run {k + 1}" + (" (reported)" if any(x is r for x in rows) else "")
        if j is None:
            notes.append(f"{who}: no result (see {r['name']}.err)")
        else:
            parts = ([f"{j['failed']:,} failed"] if j.get("failed") else []) + ([j["note"]] if j.get("note") else [])
            if parts:
                notes.append(f"{who}: " + "; ".join(parts))
    for n in notes:
        print("note: " + n)

    # Targets (issue 7), on this run's figures.
    print()
    print("Targets (issue 7):")

    def fig(w, system, key="msgs_per_s"):
        for r in rows:
            if r["w"] == w and r["system"] == system and r["j"] is not None:
                return r["j"][key]
        return None

    def target(label, num, den, need):
        if num is None or den is None or den == 0:
            print(f"  {label}: n/a (not measured in this run)")
            return
        v = num / den
        print(f"  {label}: {v:.2f} (need >= {need}) -> {'met' if v >= need else 'MISSED'}")

    target("w1 Ferry / NATS", fig("1", "Ferry"), fig("1", "NATS JetStream"), 2)
    target("w1 Ferry / loopback ping-pong", fig("1", "Ferry"), fig("1", "loopback ping-pong"), 0.6)
    for w in ("2", "3"):
        target(f"w{w} Ferry / NATS", fig(w, "Ferry"), fig(w, "NATS JetStream"), 3)
        target(f"w{w} Ferry / Redis everysec", fig(w, "Ferry"), fig(w, "Redis Streams"), 2)
    target("w4 Ferry sync / Redis always", fig("4", "Ferry"), fig("4", "Redis Streams"), 1.5)
    target("w5 Ferry / NATS pull", fig("5", "Ferry"), fig("5", "NATS JetStream"), 4)
    f6 = ferry_of.get("6")
    if f6 and f6["j"]:
        p99 = f6["j"]["latency_ms"]["p99"]
        runs = len(w6_runs.get("Ferry", []))
        of = f" (median of {runs} runs)" if runs > 1 else ""
        print(f"  w6 Ferry p99 {p99:.3f} ms{of} (need <= 1 ms) -> {'met' if p99 <= 1.0 else 'MISSED'}")
    target("w7 Ferry / plain write() (MB/s)", fig("7", "Ferry", "mb_per_s"), fig("7", "plain write()", "mb_per_s"),
           0.7)

    # fsync counts (--strace).
    for who, name in (("ferryd (sync flush)", "w4.ferry"), ("redis (appendfsync always)", "w4.redis")):
        path = os.path.join(res, name + ".strace")
        if not os.path.exists(path):
            continue
        calls = {}
        for line in open(path):
            m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$", line)
            if m and m.group(2) != "total":
                calls[m.group(2)] = int(m.group(1))
        try:
            acked = json.load(open(os.path.join(res, name + "-strace.json")))["ok"]
        except (OSError, ValueError, KeyError):
            acked = 0
        total = sum(calls.values())
        per = f", {acked / total:.1f} acked messages per call" if total else ""
        print(f"strace -c -f {who}: {calls or 'no fsync-family calls'} while {acked:,} messages were acked{per}")


if __name__ == "__main__":
    main(sys.argv[1])
