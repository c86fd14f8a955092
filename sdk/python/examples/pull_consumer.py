"""Pull (lite) consumer: poll() on this thread, explicit commit. Sends
--count messages first, then polls until it has them all."""

import time

import ferry
from _args import parse

args = parse(__doc__)
with ferry.Producer(name_servers=args.name_servers, group=args.group) as producer:
    for i in range(args.count):
        with ferry.Message(args.topic, "pull %d" % i) as msg:
            producer.send(msg)

received = 0
deadline = time.monotonic() + 60
with ferry.PullConsumer(subscriptions={args.topic: "*"}, name_servers=args.name_servers,
                        group=args.group + "_pull", consume_from="first",
                        enable_auto_commit=False) as consumer:
    while received < args.count and time.monotonic() < deadline:
        for msg in consumer.poll(timeout_ms=500):
            received += 1
            msg.close()
        consumer.commit_sync()
print("pull: %d of %d received" % (received, args.count))
raise SystemExit(0 if received >= args.count else 1)
