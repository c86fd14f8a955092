"""Sync send: each send returns once the broker stored it (or raises)."""

import ferry
from _args import parse

args = parse(__doc__)
with ferry.Producer(name_servers=args.name_servers, group=args.group) as producer:
    for i in range(args.count):
        with ferry.Message(args.topic, "hello %d" % i, tags="sync", keys="key-%d" % i) as msg:
            r = producer.send(msg)
            print("sent %s to %s/%d at offset %d" % (r.msg_id, r.broker_name, r.queue_id,
                                                    r.queue_offset))
print("sync: %d sent" % args.count)
