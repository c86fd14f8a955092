"""Producer: sync, async, oneway, batch, ordered and selector sends.

    with ferry.Producer(name_servers="127.0.0.1:9876", group="g") as p:
        r = p.send(ferry.Message("orders", b"body"))

Sync calls raise FerryError with the final status (after retries). An
async send returns a concurrent.futures.Future and may also take a
callback(result); both are completed on the producer's callback thread. A
callback that raises is logged and goes no further.
"""

import ctypes
import itertools
from concurrent.futures import Future

from . import _lib
from ._callbacks import guarded
from ._handle import Handle
from .errors import FerryError
from .message import MessageView, message_array

# FERRY_SELECTOR_ABORT of ferry/client.h: (size_t)-1, "send nothing".
_SELECTOR_ABORT = ctypes.c_size_t(-1).value


class SendResult:
    """status (0 = FERRY_OK), ok, error (libferry's text on failure), msg_id,
    offset_msg_id, broker_name, queue_id, queue_offset, attempts."""

    __slots__ = ("status", "error", "msg_id", "offset_msg_id", "broker_name", "queue_id",
                 "queue_offset", "attempts")

    def __init__(self, raw, status=None, error=""):
        self.status = raw.status if status is None else status
        self.error = error
        self.msg_id = raw.msg_id.decode("utf-8", "replace")
        self.offset_msg_id = raw.offset_msg_id.decode("utf-8", "replace")
        self.broker_name = raw.broker_name.decode("utf-8", "replace")
        self.queue_id = raw.queue_id
        self.queue_offset = raw.queue_offset
        self.attempts = raw.attempts

    @property
    def ok(self):
        return self.status == 0

    def __repr__(self):
        if not self.ok:
            return "<SendResult %s: %s>" % (FerryError(self.status).name, self.error)
        return "<SendResult %s queue=%s/%d offset=%d>" % (self.msg_id, self.broker_name,
                                                          self.queue_id, self.queue_offset)


class Producer(Handle):
    _kind = "producer"

    @staticmethod
    def _ptr_type():
        return _lib.producer_p

    def __init__(self, log=None, **keys):
        super().__init__(log=log, **keys)
        # Async sends in flight: id -> (future, callback). One C trampoline
        # for all of them; user_data carries the id.
        self._pending = {}
        self._ids = itertools.count(1)
        self._send_cb = self._keep(_lib.SEND_CB(self._on_sent))

    def prepare(self, topics):
        """Fetches the topics' routes and opens the connections to their
        brokers before the first send (blocks, bounded by the send timeout;
        FerryError with the first failure)."""
        names = [t.encode() if isinstance(t, str) else bytes(t) for t in topics]
        arr = (ctypes.c_char_p * max(len(names), 1))(*names)
        self._lib.check(self._lib.producer_prepare, self._raw(), arr, len(names))

    def send(self, msg):
        result = _lib.SendResult.new()
        self._lib.check(self._lib.producer_send, self._raw(), msg._raw(), ctypes.byref(result))
        return SendResult(result)

    def send_async(self, msg, callback=None):
        """Returns a Future of SendResult (failures: FerryError). callback,
        if given, gets the SendResult (check .ok) on the callback thread."""
        future = Future()
        key = next(self._ids)
        self._pending[key] = (future, callback)
        try:
            self._lib.check(self._lib.producer_send_async, self._raw(), msg._raw(), self._send_cb,
                            key)
        except BaseException:
            del self._pending[key]  # the callback will never run
            raise
        return future

    def _on_sent(self, user_data, status, result_p, error):
        future, callback = self._pending.pop(user_data, (None, None))
        if future is None:
            return
        text = (error or b"").decode("utf-8", "replace")
        result = SendResult(result_p.contents, status, text) if result_p else None
        if status == 0:
            future.set_result(result)
        else:
            future.set_exception(FerryError(status, text))
        if callback is not None:
            guarded("send callback", None, callback, result)

    def send_oneway(self, msg):
        self._lib.check(self._lib.producer_send_oneway, self._raw(), msg._raw())

    def send_batch(self, messages):
        """1..max messages of one topic, stored together in one queue."""
        arr = message_array(messages)
        result = _lib.SendResult.new()
        self._lib.check(self._lib.producer_send_batch, self._raw(), arr, len(messages),
                        ctypes.byref(result))
        return SendResult(result)

    def send_ordered(self, msg, sharding_key):
        """Equal keys (bytes or str) go to the same queue, kept in order."""
        key = sharding_key.encode() if isinstance(sharding_key, str) else bytes(sharding_key)
        result = _lib.SendResult.new()
        self._lib.check(self._lib.producer_send_ordered, self._raw(), msg._raw(), key, len(key),
                        ctypes.byref(result))
        return SendResult(result)

    def send_select(self, msg, selector):
        """selector(message_view, queue_count) -> index. If it raises, the
        send is aborted (FERRY_SELECTOR_ABORT: nothing is sent) and the
        exception is re-raised here after the C call."""
        raised = []

        def trampoline(_user_data, msg_p, count):
            view = MessageView(self._lib, msg_p)
            try:
                return int(selector(view, count))
            except BaseException as e:  # noqa: B902 - nothing may unwind into C
                raised.append(e)
                return _SELECTOR_ABORT
            finally:
                view._invalidate()

        cfunc = _lib.QUEUE_SELECTOR(trampoline)  # referenced until the call returns
        result = _lib.SendResult.new()
        try:
            self._lib.check(self._lib.producer_send_select, self._raw(), msg._raw(), cfunc, None,
                            ctypes.byref(result))
        finally:
            if raised:
                raise raised[0]
        return SendResult(result)


class TransactionProducer(Handle):
    """Declared by libferry, working later: construction raises
    FerryError(FERRY_E_NOT_SUPPORTED) today."""

    _kind = "transaction_producer"

    def __init__(self, checker, log=None, **keys):
        from .config import Config
        self._lib = _lib.lib()
        self._ptr = None
        self._started = True  # nothing to start: usable once created
        self._callbacks = []

        def check(_user_data, msg_p):
            view = MessageView(self._lib, msg_p)
            try:
                return guarded("transaction check", 2, lambda: int(checker(view)))
            finally:
                view._invalidate()

        self._check_cb = self._keep(_lib.CHECK_TRANSACTION_CB(check))
        conf = Config(**keys)
        try:
            if log is not None:
                conf.set_log_callback(self._keep(_lib.LOG_CB(self._log_trampoline(log))))
            out = _lib.tx_producer_p()
            self._lib.check(self._lib.transaction_producer_new, conf._raw(), self._check_cb, None,
                            ctypes.byref(out))
            self._ptr = out
        finally:
            conf.close()

    def send(self, msg, local_transaction):
        def local(_user_data, msg_p, _arg):
            view = MessageView(self._lib, msg_p)
            try:
                return guarded("local transaction", 2, lambda: int(local_transaction(view)))
            finally:
                view._invalidate()

        cfunc = _lib.LOCAL_TRANSACTION_CB(local)
        result = _lib.SendResult.new()
        self._lib.check(self._lib.transaction_producer_send, self._raw(), msg._raw(), cfunc, None,
                        ctypes.byref(result))
        return SendResult(result)

    def shutdown(self):
        pass  # libferry has no transaction_producer_shutdown: destroy stops it

    def start(self):
        return self


COMMIT, ROLLBACK, UNKNOWN = 0, 1, 2
__all__ = ["Producer", "SendResult", "TransactionProducer", "COMMIT", "ROLLBACK", "UNKNOWN"]
