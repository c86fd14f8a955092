"""Benchmark (docs/benchmarks.md, "C++ and Python SDK"): the Python
binding's send rate, beside libferry's C loop on the same broker, and what
bounds it. Not a test.

    PYTHONPATH=sdk/python FERRY_LIBRARY=build/lib/libferry.so \\
        python3 tests/sdk_python/send_bench.py --bench build/bin/ferry_sdk_cpp_send_bench

The broker is the in-process fake of ferry_sdk_cpp_send_bench --serve (or
--name-servers for a running ferryd). Rounds alternate Python sync, C sync
(the bench binary, --rounds 1, same broker) and Python async; medians.
"""

import argparse
import ctypes
import re
import statistics
import subprocess
import time

import ferry
from ferry import _lib


def py_sync(producer, msg, n):
    t0 = time.perf_counter()
    for _ in range(n):
        producer.send(msg)
    return (time.perf_counter() - t0) / n * 1e6


def py_async(producer, msg, n):
    t0 = time.perf_counter()
    futures = [producer.send_async(msg) for _ in range(n)]
    for f in futures:
        f.result(timeout=60)
    return (time.perf_counter() - t0) / n * 1e6


def c_sync(bench, name_servers, topic, n, body):
    out = subprocess.run([bench, "--name-servers", name_servers, "--topic", topic, "--sends",
                          str(n), "--rounds", "1", "--body", str(body)],
                         capture_output=True, text=True, timeout=600, check=True).stdout
    return float(re.search(r"C ([0-9.]+) us/send", out.splitlines()[-1]).group(1))


def ctypes_call_cost(msg, n=200000):
    """One trivial libferry call (an accessor) through ctypes: the floor of
    any binding call."""
    fn, raw = _lib.lib().message_queue_id, msg._raw()
    t0 = time.perf_counter()
    for _ in range(n):
        fn(raw)
    return (time.perf_counter() - t0) / n * 1e6


def binding_work_cost(n=100000):
    """The Python-side work of one sync send without the C call: error
    buffer, result struct, SendResult object (what Producer.send adds)."""
    from ferry.producer import SendResult
    t0 = time.perf_counter()
    for _ in range(n):
        ctypes.create_string_buffer(_lib.ERRBUF_SIZE)
        SendResult(_lib.SendResult.new())
    return (time.perf_counter() - t0) / n * 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True, help="path of ferry_sdk_cpp_send_bench")
    ap.add_argument("--name-servers", help="a running broker instead of the fake")
    ap.add_argument("--topic", default="B")
    ap.add_argument("--sends", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--body", type=int, default=16)
    args = ap.parse_args()

    server = None
    name_servers, topic = args.name_servers, args.topic
    if not name_servers:
        server = subprocess.Popen([args.bench, "--serve"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        line = server.stdout.readline()
        name_servers = re.search(r"name_servers=(\S+)", line).group(1)
        topic = re.search(r"topic=(\S+)", line).group(1)
    try:
        with ferry.Producer(name_servers=name_servers, group="pybench", log_level="error") as p, \
                ferry.Message(topic, b"x" * args.body) as msg:
            py_sync(p, msg, 500)  # warm: route, connection
            py_async(p, msg, 500)
            sync, c, asyn = [], [], []
            for r in range(args.rounds):
                sync.append(py_sync(p, msg, args.sends))
                c.append(c_sync(args.bench, name_servers, topic, args.sends, args.body))
                asyn.append(py_async(p, msg, args.sends))
                print("round %d: python sync %.2f us/send, C sync %.2f us/send, "
                      "python async %.2f us/send" % (r, sync[-1], c[-1], asyn[-1]))
            call = ctypes_call_cost(msg)
            work = binding_work_cost()
        ms, mc, ma = (statistics.median(v) for v in (sync, c, asyn))
        print("median of %d rounds x %d sends (%d-byte body): python sync %.2f us/send (%.0f/s), "
              "C sync %.2f us/send (%.0f/s), python/C = %.2f; python async %.2f us/send (%.0f/s); "
              "one ctypes call %.3f us; binding work per send without the call %.3f us"
              % (args.rounds, args.sends, args.body, ms, 1e6 / ms, mc, 1e6 / mc, ms / mc, ma,
                 1e6 / ma, call, work))
    finally:
        if server is not None:
            server.stdin.close()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
