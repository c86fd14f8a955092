"""Async send: send_async returns at once; a Future (and an optional
callback, run on the producer's callback thread) gets the result."""

import ferry
from _args import parse

args = parse(__doc__, count=100)
with ferry.Producer(name_servers=args.name_servers, group=args.group) as producer:
    futures = []
    for i in range(args.count):
        with ferry.Message(args.topic, "async %d" % i, tags="async") as msg:
            futures.append(producer.send_async(msg))  # the body is copied at once
    failed = 0
    for f in futures:
        try:
            f.result(timeout=30)
        except ferry.FerryError as e:
            failed += 1
            print("failed:", e)
print("async: %d sent, %d failed" % (args.count - failed, failed))
raise SystemExit(1 if failed else 0)
