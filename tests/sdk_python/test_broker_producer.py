"""Every send mode against a real ferryd, read back with a pull consumer."""

import threading
import time
import unittest

import ferry
from ferryd_fixture import BrokerTestCase


class Producing(BrokerTestCase):
    def producer(self):
        p = ferry.Producer(**self.broker.client_keys(group="py_producer"))
        self.addCleanup(p.close)
        return p.start()

    def read_all(self, topic, expected, timeout=20.0):
        """Bodies of the first `expected` messages of `topic` (all queues)."""
        got = []
        with ferry.PullConsumer(subscriptions={topic: "*"},
                                **self.broker.client_keys(group="py_reader_" + topic,
                                                          consume_from="first")) as c:
            deadline = time.monotonic() + timeout
            while len(got) < expected and time.monotonic() < deadline:
                for m in c.poll(timeout_ms=200):
                    got.append((m.body, m.tags, m.keys, m.queue_id, m.queue_offset, m.msg_id))
                    m.close()
        return got

    def test_sync_send_is_read_back_with_its_fields(self):
        topic = self.topic()
        p = self.producer()
        with ferry.Message(topic, b"\x00sync\xff", tags="TagA", keys="k1 k2") as m:
            r = p.send(m)
            self.assertTrue(r.ok)
            self.assertEqual(r.msg_id, m.msg_id)
            self.assertTrue(r.offset_msg_id)
            self.assertGreaterEqual(r.queue_offset, 0)
        got = self.read_all(topic, 1)
        self.assertEqual(len(got), 1)
        body, tags, keys, queue, offset, msg_id = got[0]
        self.assertEqual((body, tags, keys, queue, offset, msg_id),
                         (b"\x00sync\xff", "TagA", "k1 k2", r.queue_id, r.queue_offset, r.msg_id))

    def test_prepare_then_send(self):
        topic = self.topic()
        p = self.producer()
        p.prepare([topic])
        p.prepare([])
        with self.assertRaises(ferry.FerryError):
            p.prepare([topic, topic + "_nobody_knows"])
        with ferry.Message(topic, b"prepared") as m:
            self.assertTrue(p.send(m).ok)
        self.assertEqual([g[0] for g in self.read_all(topic, 1)], [b"prepared"])

    def test_async_sends_all_complete(self):
        topic = self.topic()
        p = self.producer()
        calls = []
        done = threading.Event()

        def callback(result):
            calls.append(result.ok)
            if len(calls) == 200:
                done.set()

        futures = []
        for i in range(200):
            with ferry.Message(topic, b"async %d" % i) as m:
                futures.append(p.send_async(m, callback))
        results = [f.result(timeout=30) for f in futures]
        self.assertTrue(all(r.ok for r in results))
        self.assertTrue(done.wait(10))
        self.assertEqual(calls, [True] * 200)
        self.assertEqual(sorted(b for b, *_ in self.read_all(topic, 200)),
                         sorted(b"async %d" % i for i in range(200)))

    def test_oneway_sends_arrive(self):
        topic = self.topic()
        p = self.producer()
        for i in range(20):
            with ferry.Message(topic, b"oneway %d" % i) as m:
                p.send_oneway(m)
        self.assertEqual(len(self.read_all(topic, 20)), 20)

    def test_batch_lands_in_one_queue_in_order(self):
        topic = self.topic()
        p = self.producer()
        batch = [ferry.Message(topic, b"batch %d" % i) for i in range(10)]
        r = p.send_batch(batch)
        got = self.read_all(topic, 10)
        self.assertEqual([b for b, *_ in got], [b"batch %d" % i for i in range(10)])
        self.assertEqual({q for _, _, _, q, _, _ in got}, {r.queue_id})
        self.assertEqual([o for *_, o, _ in got], list(range(r.queue_offset, r.queue_offset + 10)))

    def test_ordered_send_keeps_a_key_on_one_queue(self):
        topic = self.topic(queues=8)
        p = self.producer()
        queues = {}
        for n in range(10):
            for key in ("alpha", "beta", "gamma"):
                with ferry.Message(topic, b"x") as m:
                    queues.setdefault(key, set()).add(p.send_ordered(m, key).queue_id)
        self.assertTrue(all(len(q) == 1 for q in queues.values()), queues)

    def test_selector_picks_the_queue(self):
        topic = self.topic(queues=4)
        p = self.producer()
        with ferry.Message(topic, b"x") as m:
            r = p.send_select(m, lambda msg, count: count - 1)
        self.assertEqual(r.queue_id, 3)

    def test_raising_selector_sends_nothing(self):
        topic = self.topic(queues=2)
        p = self.producer()

        def selector(msg, count):
            raise ValueError("no queue for this one")

        with ferry.Message(topic, b"never") as m, self.assertRaises(ValueError):
            p.send_select(m, selector)
        with ferry.Message(topic, b"after") as m:
            p.send(m)
        # Asking for two within 3 s: only the second send is there.
        self.assertEqual([g[0] for g in self.read_all(topic, 2, timeout=3.0)], [b"after"])

    def test_unknown_topic_fails_clearly(self):
        p = self.producer()
        with ferry.Message("NoSuchTopic_py", b"x") as m, self.assertRaises(ferry.FerryError) as cm:
            p.send(m)
        self.assertIn(cm.exception.name, ("FERRY_E_NO_ROUTE", "FERRY_E_TOPIC_NOT_FOUND"))


if __name__ == "__main__":
    unittest.main()
