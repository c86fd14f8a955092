"""Consumers.

PushConsumer: libferry pulls (long polling) and calls a listener on its
consume threads (each call takes the GIL). The listener gets a list of
MessageView (valid only during the call) and returns SUCCESS (or None) or
RECONSUME_LATER; an orderly listener returns SUCCESS or SUSPEND. A listener
that raises, or returns anything else, is logged and answered with
RECONSUME_LATER / SUSPEND: the messages come again, none is lost.

PullConsumer: poll() on the caller's thread returns owned Messages.
"""

import ctypes

from . import _lib
from ._callbacks import guarded, log
from ._handle import Handle
from .errors import FerryError
from .message import Message, MessageView

SUCCESS = 0
RECONSUME_LATER = 1
SUSPEND = 1


def _listener_trampoline(lib, fn, where, valid, failure):
    def trampoline(_user_data, msgs_p, count):
        views = [MessageView(lib, msgs_p[i]) for i in range(count)]
        try:
            answer = guarded(where, failure, fn, views)
            if answer is None:
                return SUCCESS
            if answer not in valid:
                log.error("ferry: %s returned %r (expected one of %s); answering %s", where,
                          answer, sorted(valid), failure)
                return failure
            return int(answer)
        finally:
            for v in views:
                v._invalidate()
    return trampoline


class PushConsumer(Handle):
    """PushConsumer(listener=fn | orderly_listener=fn, subscriptions={topic: tag_expr},
    name_servers=..., group=..., message_model="clustering", ...).
    Subscriptions and the listener are set at construction; start() (or
    `with`) starts it."""

    _kind = "push_consumer"

    @staticmethod
    def _ptr_type():
        return _lib.push_consumer_p

    def __init__(self, listener=None, orderly_listener=None, subscriptions=None,
                 sql92_subscriptions=None, log=None, **keys):
        if (listener is None) == (orderly_listener is None):
            raise FerryError(1, "give exactly one of listener and orderly_listener")
        super().__init__(log=log, **keys)
        for topic, expr in (subscriptions or {}).items():
            self.subscribe(topic, expr)
        for topic, sql in (sql92_subscriptions or {}).items():
            self._lib.check(self._lib.push_consumer_subscribe_sql92, self._raw(), topic.encode(),
                            sql.encode())
        if listener is not None:
            cb = _lib.CONCURRENT_LISTENER(_listener_trampoline(
                self._lib, listener, "listener", (SUCCESS, RECONSUME_LATER), RECONSUME_LATER))
            self._listener_cb = self._keep(cb)
            self._lib.check(self._lib.push_consumer_set_listener, self._raw(), cb, None)
        else:
            cb = _lib.ORDERLY_LISTENER(_listener_trampoline(
                self._lib, orderly_listener, "orderly listener", (SUCCESS, SUSPEND), SUSPEND))
            self._listener_cb = self._keep(cb)
            self._lib.check(self._lib.push_consumer_set_orderly_listener, self._raw(), cb, None)

    def subscribe(self, topic, tag_expression="*"):
        """Before start(). "*" = all tags, "TagA || TagB"."""
        self._lib.check(self._lib.push_consumer_subscribe, self._raw(), topic.encode(),
                        tag_expression.encode())
        return self

    @property
    def queue_count(self):
        return self._lib.push_consumer_queue_count(self._raw())

    @property
    def handover_uncommitted(self):
        """Messages pulled past the committed offset on queues this consumer
        gave up (rebalance, shutdown): the bound on what another member
        re-delivers. Readable after shutdown() (not after close())."""
        return self._lib.push_consumer_handover_uncommitted(self._raw())


class Queue:
    """One message queue: (topic, broker_name, queue_id)."""

    __slots__ = ("topic", "broker_name", "queue_id")

    def __init__(self, topic, broker_name, queue_id):
        self.topic, self.broker_name, self.queue_id = topic, broker_name, int(queue_id)

    def _raw(self):
        return _lib.QueueRef(ctypes.sizeof(_lib.QueueRef), self.topic.encode(),
                             self.broker_name.encode(), self.queue_id)

    def __eq__(self, other):
        return isinstance(other, Queue) and (self.topic, self.broker_name, self.queue_id) == (
            other.topic, other.broker_name, other.queue_id)

    def __hash__(self):
        return hash((self.topic, self.broker_name, self.queue_id))

    def __repr__(self):
        return "Queue(%r, %r, %d)" % (self.topic, self.broker_name, self.queue_id)


class PullConsumer(Handle):
    """PullConsumer(subscriptions={topic: tag_expr} | assign=[Queue...],
    name_servers=..., group=..., enable_auto_commit=True, ...)."""

    _kind = "pull_consumer"

    @staticmethod
    def _ptr_type():
        return _lib.pull_consumer_p

    def __init__(self, subscriptions=None, sql92_subscriptions=None, assign=None, log=None,
                 **keys):
        super().__init__(log=log, **keys)
        self._commit_cbs = {}
        self._commit_ids = iter(range(1, 1 << 62))
        self._commit_cb = self._keep(_lib.COMMIT_CB(self._on_committed))
        for topic, expr in (subscriptions or {}).items():
            self._lib.check(self._lib.pull_consumer_subscribe, self._raw(), topic.encode(),
                            expr.encode())
        for topic, sql in (sql92_subscriptions or {}).items():
            self._lib.check(self._lib.pull_consumer_subscribe_sql92, self._raw(), topic.encode(),
                            sql.encode())
        if assign:
            self.assign(assign)

    def poll(self, timeout_ms=1000, max_messages=32):
        """Up to max_messages Messages within timeout_ms ([] when none)."""
        arr = (_lib.message_p * max_messages)()
        count = ctypes.c_size_t(0)
        self._lib.check(self._lib.pull_consumer_poll, self._raw(), int(timeout_ms), arr,
                        max_messages, ctypes.byref(count))
        return [Message._adopt(arr[i]) for i in range(count.value)]

    def commit_sync(self):
        self._lib.check(self._lib.pull_consumer_commit_sync, self._raw())

    def commit_async(self, callback=None):
        """callback(status, error_text) runs once on the callback thread."""
        key = next(self._commit_ids)
        self._commit_cbs[key] = callback
        try:
            self._lib.check(self._lib.pull_consumer_commit_async, self._raw(), self._commit_cb, key)
        except BaseException:
            del self._commit_cbs[key]
            raise

    def _on_committed(self, user_data, status, error):
        callback = self._commit_cbs.pop(user_data, None)
        if callback is not None:
            guarded("commit callback", None, callback, status,
                    (error or b"").decode("utf-8", "replace"))

    def assign(self, queues):
        refs = (_lib.QueueRef * len(queues))(*[q._raw() for q in queues])
        self._lib.check(self._lib.pull_consumer_assign, self._raw(), refs, len(queues))

    def fetch_queues(self, topic):
        out = ctypes.POINTER(_lib.QueueRef)()
        count = ctypes.c_size_t(0)
        self._lib.check(self._lib.pull_consumer_fetch_queues, self._raw(), topic.encode(),
                        ctypes.byref(out), ctypes.byref(count))
        try:
            return [Queue((out[i].topic or b"").decode(), (out[i].broker_name or b"").decode(),
                          out[i].queue_id) for i in range(count.value)]
        finally:
            self._lib.queue_refs_free(out, count.value)

    def seek(self, queue, offset):
        ref = queue._raw()
        self._lib.check(self._lib.pull_consumer_seek, self._raw(), ctypes.byref(ref), int(offset))

    def seek_timestamp(self, queue, epoch_ms):
        ref = queue._raw()
        self._lib.check(self._lib.pull_consumer_seek_timestamp, self._raw(), ctypes.byref(ref),
                        int(epoch_ms))
