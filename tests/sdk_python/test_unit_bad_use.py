"""Bad use gets a clear FerryError, never a crash; Python callbacks that
raise are caught in the trampoline, logged to the "ferry" logger and mapped
to the callback's failure result. No broker needed: async sends go to a
closed port so the real callback thread completes them with a failure."""

import ctypes
import socket
import unittest

import ferry
from ferry import _lib


def closed_port_address():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return "127.0.0.1:%d" % s.getsockname()[1]  # closed once the socket is


def unreachable_producer(**extra):
    keys = dict(name_servers=closed_port_address(), send_timeout_ms=500, request_timeout_ms=300,
                connect_timeout_ms=300, log_level="off")
    keys.update(extra)
    return ferry.Producer(**keys)


class ProducerMisuse(unittest.TestCase):
    def test_start_without_name_servers(self):
        with self.assertRaises(ferry.FerryError) as cm:
            ferry.Producer(group="g").start()
        self.assertIn("name_servers", cm.exception.message)

    def test_unknown_key_at_construction(self):
        with self.assertRaises(ferry.FerryError) as cm:
            ferry.Producer(name_servers="127.0.0.1:1", sendtimeout=5)
        self.assertEqual(cm.exception.name, "FERRY_E_CONFIG")

    def test_send_before_start(self):
        p = unreachable_producer()
        with ferry.Message("t", b"x") as m, self.assertRaises(ferry.FerryError) as cm:
            p.send(m)
        self.assertEqual(cm.exception.name, "FERRY_E_STATE")
        p.close()

    def test_send_after_shutdown_and_after_close(self):
        p = unreachable_producer().start()
        p.shutdown()
        p.shutdown()  # idempotent
        with ferry.Message("t", b"x") as m:
            with self.assertRaises(ferry.FerryError) as cm:
                p.send(m)
            self.assertEqual(cm.exception.name, "FERRY_E_CLOSED")
            p.close()
            p.close()
            for call in (p.send, p.send_oneway, p.send_async):
                with self.assertRaises(ferry.FerryError) as cm:
                    call(m)
                self.assertEqual(cm.exception.name, "FERRY_E_CLOSED")

    def test_sync_send_with_no_name_server_fails_clearly(self):
        with unreachable_producer() as p, ferry.Message("t", b"x") as m:
            with self.assertRaises(ferry.FerryError) as cm:
                p.send(m)
            self.assertIn(cm.exception.name, ("FERRY_E_NO_NAME_SERVER", "FERRY_E_TIMEOUT",
                                              "FERRY_E_NOT_CONNECTED"))

    def test_async_failure_reaches_future_and_raising_callback_is_contained(self):
        seen = []

        def callback(result):
            seen.append(result)
            raise RuntimeError("user callback bug")

        with self.assertLogs("ferry", "ERROR") as logs:
            with unreachable_producer() as p, ferry.Message("t", b"x") as m:
                future = p.send_async(m, callback)
                with self.assertRaises(ferry.FerryError) as cm:
                    future.result(timeout=10)
                self.assertNotEqual(cm.exception.status, 0)
                p.shutdown()  # waits for callbacks to have run
        self.assertEqual(len(seen), 1)
        self.assertFalse(seen[0].ok)
        self.assertEqual(seen[0].status, cm.exception.status)
        self.assertTrue(any("user callback bug" in line for line in logs.output), logs.output)

    def test_selector_exception_is_reraised(self):
        def selector(msg, count):
            raise ValueError("selector bug")

        with unreachable_producer() as p, ferry.Message("t", b"x") as m:
            try:
                p.send_select(m, selector)
            except ValueError as e:
                self.assertIn("selector bug", str(e))
            except ferry.FerryError as e:
                # No route: the selector never ran; still a clear error.
                self.assertIn(e.name, ("FERRY_E_NO_NAME_SERVER", "FERRY_E_TIMEOUT",
                                       "FERRY_E_NOT_CONNECTED"))

    def test_raising_log_callback_is_contained(self):
        def sink(level, line):
            raise RuntimeError("log sink bug")

        p = unreachable_producer(log_level="trace", log=sink)
        trampoline = p._callbacks[0]
        with self.assertLogs("ferry", "ERROR") as logs:
            trampoline(None, 3, b"a line")  # through the C thunk, as libferry calls it
        self.assertTrue(any("log sink bug" in line for line in logs.output))
        p.close()

    def test_transactions_are_declared_not_supported(self):
        with self.assertRaises(ferry.FerryError) as cm:
            ferry.TransactionProducer(lambda msg: ferry.COMMIT, name_servers="127.0.0.1:1")
        self.assertEqual(cm.exception.name, "FERRY_E_NOT_SUPPORTED")


def c_messages(*bodies):
    msgs = [ferry.Message("t", b) for b in bodies]
    arr = (_lib.message_p * len(msgs))(*[m._raw() for m in msgs])
    return msgs, arr


def require(*functions):
    """Skips when this libferry does not export `functions` yet (it is being
    written alongside the binding); the reason names them."""
    missing = [f for f in functions if f in _lib.lib().missing]
    if missing:
        raise unittest.SkipTest("libferry does not export %s yet" % ", ".join(missing))


class ListenerTrampolines(unittest.TestCase):
    """The listener thunks libferry calls, invoked through ctypes exactly as
    a consume thread would call them."""

    def setUp(self):
        require("ferry_push_consumer_new", "ferry_pull_consumer_new")

    def consumer(self, **kw):
        c = ferry.PushConsumer(name_servers="127.0.0.1:1", subscriptions={"t": "*"}, **kw)
        self.addCleanup(c.close)
        return c

    def test_raising_listener_means_reconsume_later(self):
        c = self.consumer(listener=lambda msgs: 1 / 0)
        msgs, arr = c_messages(b"a", b"b")
        with self.assertLogs("ferry", "ERROR") as logs:
            answer = c._listener_cb(None, arr, len(msgs))
        self.assertEqual(answer, ferry.RECONSUME_LATER)
        self.assertTrue(any("ZeroDivisionError" in line for line in logs.output))

    def test_raising_orderly_listener_means_suspend(self):
        c = self.consumer(orderly_listener=lambda msgs: [][1])
        msgs, arr = c_messages(b"a")
        with self.assertLogs("ferry", "ERROR"):
            self.assertEqual(c._listener_cb(None, arr, 1), ferry.SUSPEND)

    def test_listener_sees_bodies_and_answers(self):
        got = []

        def listener(msgs):
            got.extend(m.body for m in msgs)
            return ferry.SUCCESS if len(got) < 3 else ferry.RECONSUME_LATER

        c = self.consumer(listener=listener)
        msgs, arr = c_messages(b"a", b"b")
        self.assertEqual(c._listener_cb(None, arr, 2), ferry.SUCCESS)
        self.assertEqual(c._listener_cb(None, arr, 2), ferry.RECONSUME_LATER)
        self.assertEqual(got, [b"a", b"b", b"a", b"b"])

    def test_none_means_success_and_bad_answer_means_reconsume(self):
        answers = iter([None, "yes"])
        c = self.consumer(listener=lambda msgs: next(answers))
        msgs, arr = c_messages(b"a")
        self.assertEqual(c._listener_cb(None, arr, 1), ferry.SUCCESS)
        with self.assertLogs("ferry", "ERROR"):
            self.assertEqual(c._listener_cb(None, arr, 1), ferry.RECONSUME_LATER)

    def test_kept_view_dies_with_the_call(self):
        kept = []
        c = self.consumer(listener=lambda msgs: kept.extend(msgs))
        msgs, arr = c_messages(b"a")
        c._listener_cb(None, arr, 1)
        with self.assertRaises(ferry.FerryError) as cm:
            _ = kept[0].body
        self.assertEqual(cm.exception.name, "FERRY_E_STATE")

    def test_exactly_one_listener(self):
        with self.assertRaises(ferry.FerryError):
            ferry.PushConsumer(name_servers="127.0.0.1:1")
        with self.assertRaises(ferry.FerryError):
            ferry.PushConsumer(listener=print, orderly_listener=print, name_servers="127.0.0.1:1")

    def test_sql92_is_declared_not_supported(self):
        for make in (lambda: ferry.PushConsumer(listener=print, name_servers="127.0.0.1:1",
                                                sql92_subscriptions={"t": "a > 1"}),
                     lambda: ferry.PullConsumer(name_servers="127.0.0.1:1",
                                                sql92_subscriptions={"t": "a > 1"})):
            with self.assertRaises(ferry.FerryError) as cm:
                make()
            self.assertEqual(cm.exception.name, "FERRY_E_NOT_SUPPORTED")

    def test_commit_callback_raising_is_contained(self):
        c = ferry.PullConsumer(name_servers="127.0.0.1:1", subscriptions={"t": "*"})
        self.addCleanup(c.close)

        def done(status, error):
            raise RuntimeError("commit callback bug")

        c._commit_cbs[7] = done
        with self.assertLogs("ferry", "ERROR") as logs:
            c._commit_cb(7, 0, b"")
        self.assertTrue(any("commit callback bug" in line for line in logs.output))
        c._commit_cb(8, 0, b"")  # unknown id: ignored


if __name__ == "__main__":
    unittest.main()
