"""Push consumer: libferry long-polls and calls the listener on its consume
threads. --broadcasting gives every consumer of the group every message
(offsets kept locally); the default, clustering, shares the queues. Sends
--count messages first, then waits for them."""

import threading

import ferry
from _args import parse

args = parse(__doc__, broadcasting=False)
got, lock, done = [], threading.Lock(), threading.Event()


def on_messages(msgs):
    with lock:
        got.extend(m.body for m in msgs)
        if len(got) >= args.count:
            done.set()
    return ferry.SUCCESS  # or ferry.RECONSUME_LATER: delivered again later


model = "broadcasting" if args.broadcasting else "clustering"
with ferry.PushConsumer(listener=on_messages, subscriptions={args.topic: "*"},
                        name_servers=args.name_servers, group=args.group + "_push",
                        message_model=model, consume_from="first", consume_threads=2):
    with ferry.Producer(name_servers=args.name_servers, group=args.group) as producer:
        for i in range(args.count):
            with ferry.Message(args.topic, "push %d" % i) as msg:
                producer.send(msg)
    done.wait(timeout=60)
print("push (%s): %d of %d received" % (model, len(got), args.count))
raise SystemExit(0 if len(got) >= args.count else 1)
