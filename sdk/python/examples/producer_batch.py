"""Batch send: messages of one topic stored together, in order, in one queue."""

import ferry
from _args import parse

args = parse(__doc__)
with ferry.Producer(name_servers=args.name_servers, group=args.group) as producer:
    batch = [ferry.Message(args.topic, "batch %d" % i, tags="batch") for i in range(args.count)]
    r = producer.send_batch(batch)
    for m in batch:
        m.close()
print("batch: %d stored in %s/%d from offset %d" % (args.count, r.broker_name, r.queue_id,
                                                    r.queue_offset))
