"""Ordered messages: send_ordered puts equal sharding keys in one queue; an
orderly push consumer (queue locked at the broker) reads each queue in
order. Checks that every key's messages arrive in send order."""

import threading

import ferry
from _args import parse

args = parse(__doc__, count=50, keys=5)
keys = int(args.keys)
seen, lock, done = {}, threading.Lock(), threading.Event()


def on_messages(msgs):
    with lock:
        for m in msgs:
            key, n = m.body.decode().split(":")
            seen.setdefault(key, []).append(int(n))
        if sum(len(v) for v in seen.values()) >= keys * args.count:
            done.set()
    return ferry.SUCCESS


with ferry.PushConsumer(orderly_listener=on_messages, subscriptions={args.topic: "*"},
                        name_servers=args.name_servers, group=args.group + "_orderly",
                        consume_from="first"):
    with ferry.Producer(name_servers=args.name_servers, group=args.group) as producer:
        for n in range(args.count):
            for k in range(keys):
                with ferry.Message(args.topic, "k%d:%d" % (k, n)) as msg:
                    producer.send_ordered(msg, "k%d" % k)
    done.wait(timeout=60)
in_order = all(v == sorted(v) for v in seen.values())
total = sum(len(v) for v in seen.values())
print("ordered: %d keys, %d received, in order: %s" % (len(seen), total, in_order))
raise SystemExit(0 if in_order and total >= keys * args.count else 1)
