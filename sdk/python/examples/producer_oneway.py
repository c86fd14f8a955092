"""Oneway send: handed to the I/O thread, no answer awaited (logs, metrics)."""

import ferry
from _args import parse

args = parse(__doc__)
with ferry.Producer(name_servers=args.name_servers, group=args.group) as producer:
    for i in range(args.count):
        with ferry.Message(args.topic, "oneway %d" % i, tags="oneway") as msg:
            producer.send_oneway(msg)
print("oneway: %d handed off" % args.count)
