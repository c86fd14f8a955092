"""Messages, read through libferry's accessor functions (no mirrored struct).

Message owns a libferry message (one to send, or one poll / a query
returned). MessageView borrows a listener's message: it is valid only while
the listener runs and raises FerryError(FERRY_E_STATE) afterwards, instead
of reading freed memory.
"""

import ctypes

from . import _lib
from ._owned import Owned
from . import status as _status
from .errors import FerryError


def _bytes(value):
    if value is None:
        return b""
    if isinstance(value, str):
        return value.encode("utf-8")
    return bytes(value)


class _Reader:
    """Accessors shared by Message and MessageView (over self._raw())."""

    def _str(self, fn, *args):
        n = ctypes.c_size_t(0)
        ptr = fn(self._raw(), *args, ctypes.byref(n))
        data = _lib.view(ptr, n.value)
        return None if data is None else data.decode("utf-8", "replace")

    @property
    def topic(self):
        return self._str(self._lib.message_topic)

    @property
    def body(self):
        n = ctypes.c_size_t(0)
        data = _lib.view(self._lib.message_body(self._raw(), ctypes.byref(n)), n.value)
        return b"" if data is None else data

    @property
    def tags(self):
        return self._str(self._lib.message_tags)

    @property
    def keys(self):
        return self._str(self._lib.message_keys)

    def get_property(self, name):
        """A property by name (reserved ones included); None when absent."""
        return self._str(self._lib.message_property, name.encode())

    @property
    def msg_id(self):
        return self._str(self._lib.message_msg_id)

    @property
    def offset_msg_id(self):
        return self._str(self._lib.message_offset_msg_id)

    @property
    def broker_name(self):
        return self._str(self._lib.message_broker_name)

    @property
    def queue_id(self):
        return self._lib.message_queue_id(self._raw())

    @property
    def queue_offset(self):
        return self._lib.message_queue_offset(self._raw())

    @property
    def commit_offset(self):
        return self._lib.message_commit_offset(self._raw())

    @property
    def store_timestamp(self):
        return self._lib.message_store_timestamp(self._raw())

    @property
    def born_timestamp(self):
        return self._lib.message_born_timestamp(self._raw())

    @property
    def reconsume_times(self):
        return self._lib.message_reconsume_times(self._raw())

    @property
    def flag(self):
        return self._lib.message_flag(self._raw())

    def __repr__(self):
        try:
            return "<%s topic=%r queue=%s offset=%s %d bytes>" % (
                type(self).__name__, self.topic, self.queue_id, self.queue_offset, len(self.body))
        except FerryError as e:
            return "<%s %s>" % (type(self).__name__, e.name)


class Message(_Reader, Owned):
    """Message(topic, body, tags=None, keys=None, properties=None, flag=None).
    body: bytes or str (UTF-8). keys: a string ("k1 k2") or a list."""

    _kind = "message"

    def __init__(self, topic, body=b"", tags=None, keys=None, properties=None, flag=None):
        self._lib = _lib.lib()
        self._ptr = None
        data = _bytes(body)
        out = _lib.message_p()
        self._lib.check(self._lib.message_new, topic.encode(), data, len(data), ctypes.byref(out))
        self._ptr = out
        if tags is not None:
            self.set_tags(tags)
        if keys is not None:
            self.set_keys(keys)
        for name, value in (properties or {}).items():
            self.set_property(name, value)
        if flag is not None:
            self.set_flag(flag)

    @classmethod
    def _adopt(cls, ptr):
        """Takes ownership of a message libferry handed out."""
        m = cls.__new__(cls)
        m._lib = _lib.lib()
        m._ptr = ptr
        return m

    def set_tags(self, tags):
        self._lib.check(self._lib.message_set_tags, self._raw(), tags.encode())
        return self

    def set_keys(self, keys):
        if not isinstance(keys, str):
            keys = " ".join(keys)
        self._lib.check(self._lib.message_set_keys, self._raw(), keys.encode())
        return self

    def set_property(self, name, value):
        self._lib.check(self._lib.message_set_property, self._raw(), name.encode(),
                        str(value).encode())
        return self

    def set_flag(self, flag):
        self._lib.check(self._lib.message_set_flag, self._raw(), int(flag))
        return self

    def reset(self, topic, body=b""):
        """Makes this message what Message(topic, body) would make (no tags,
        keys or properties, flag 0, a fresh msg id at its next send) in the
        same libferry memory (ferry_message_reset). A send copies the message
        before it returns, so reset may follow any send at once."""
        data = _bytes(body)
        self._lib.check(self._lib.message_reset, self._raw(), topic.encode(), data, len(data))
        return self

    def set_delay_level(self, level):
        """Declared, working later: FERRY_E_NOT_SUPPORTED today."""
        self._lib.check(self._lib.message_set_delay_level, self._raw(), int(level))
        return self

    def set_deliver_at(self, epoch_ms):
        """Declared, working later: FERRY_E_NOT_SUPPORTED today."""
        self._lib.check(self._lib.message_set_deliver_at, self._raw(), int(epoch_ms))
        return self


class MessageView(_Reader):
    """A listener's borrowed message; dead once the listener returned."""

    __slots__ = ("_lib", "_ptr")

    def __init__(self, lib, ptr):
        self._lib = lib
        self._ptr = ptr

    def _invalidate(self):
        self._ptr = None

    def _raw(self):
        if not self._ptr:
            raise FerryError(_status.FERRY_E_STATE,
                             "a listener's message is valid only while the listener runs")
        return self._ptr


def message_array(messages):
    """A C array of message pointers (ferry_client_message *const *)."""
    arr = (_lib.message_p * len(messages))()
    for i, m in enumerate(messages):
        arr[i] = m._raw()
    return arr
