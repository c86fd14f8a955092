"""Admin: topics, routes, cluster, offsets, progress, queries. JSON answers
are parsed into Python objects."""

import ctypes
import json

from . import _lib
from ._handle import Handle
from .message import Message


class Admin(Handle):
    _kind = "admin"

    @staticmethod
    def _ptr_type():
        return _lib.admin_p

    def _json(self, fn, *args):
        out = ctypes.c_void_p()
        self._lib.check(fn, self._raw(), *args, ctypes.byref(out))
        try:
            return json.loads(ctypes.string_at(out.value).decode("utf-8")) if out.value else None
        finally:
            self._lib.string_free(out)

    @staticmethod
    def _settings(name, read_queues, write_queues, perm, flags):
        return _lib.TopicSettings(ctypes.sizeof(_lib.TopicSettings), name.encode(), read_queues,
                                  write_queues, perm, flags)

    def create_topic(self, target, name, read_queues=4, write_queues=4, perm=6, flags=0):
        """target: a broker "host:port" or a cluster name."""
        t = self._settings(name, read_queues, write_queues, perm, flags)
        self._lib.check(self._lib.admin_create_topic, self._raw(), target.encode(), ctypes.byref(t))

    def update_topic(self, target, name, read_queues=4, write_queues=4, perm=6, flags=0):
        t = self._settings(name, read_queues, write_queues, perm, flags)
        self._lib.check(self._lib.admin_update_topic, self._raw(), target.encode(), ctypes.byref(t))

    def delete_topic(self, target, name):
        self._lib.check(self._lib.admin_delete_topic, self._raw(), target.encode(), name.encode())

    def topic_list(self):
        return self._json(self._lib.admin_topic_list)

    def topic_route(self, topic):
        return self._json(self._lib.admin_topic_route, topic.encode())

    def cluster_info(self):
        return self._json(self._lib.admin_cluster_info)

    def queue_range(self, queue):
        """(min_offset, max_offset) of a consumer.Queue."""
        ref = queue._raw()
        lo, hi = ctypes.c_int64(0), ctypes.c_int64(0)
        self._lib.check(self._lib.admin_queue_range, self._raw(), ctypes.byref(ref),
                        ctypes.byref(lo), ctypes.byref(hi))
        return lo.value, hi.value

    def consumer_progress(self, group, topic=None):
        return self._json(self._lib.admin_consumer_progress, group.encode(),
                          topic.encode() if topic is not None else None)

    def query_by_offset_id(self, offset_msg_id):
        out = _lib.message_p()
        self._lib.check(self._lib.admin_query_by_offset_id, self._raw(), offset_msg_id.encode(),
                        ctypes.byref(out))
        return Message._adopt(out)

    def query_by_key(self, topic, key, max_messages=32):
        arr = (_lib.message_p * max_messages)()
        count = ctypes.c_size_t(0)
        self._lib.check(self._lib.admin_query_by_key, self._raw(), topic.encode(), key.encode(),
                        arr, max_messages, ctypes.byref(count))
        return [Message._adopt(arr[i]) for i in range(count.value)]

    def runtime_stats(self, broker_address):
        return self._json(self._lib.admin_runtime_stats, broker_address.encode())

    def dlq_list(self, group, max_messages=0):
        """The group's dead letters (ferry_admin_dlq_list's JSON as a dict);
        FerryError FERRY_E_NOT_FOUND when the group has no dead-letter topic."""
        return self._json(self._lib.admin_dlq_list, group.encode(), max_messages)

    def dlq_resend(self, group, offset_msg_id=None):
        """Re-sends one dead letter (by the offset id dlq_list shows) or, with
        None, all of them to their original topics."""
        return self._json(self._lib.admin_dlq_resend, group.encode(),
                          offset_msg_id.encode() if offset_msg_id is not None else None)
