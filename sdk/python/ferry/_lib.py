"""libferry through ctypes: where it is, and argtypes/restype for every
function of ferry/client.h. Nothing else in the package touches ctypes'
view of the library directly.

Handles are typed opaque pointers (a config pointer cannot be passed where a
producer is expected). Messages are read only through accessor functions;
the structs mirrored here (send result, queue ref, topic settings) start
with struct_size, so an older or newer libferry reads only what it knows.

ctypes.CDLL releases the GIL around every call, so a blocking send or poll
does not stall other Python threads, and callbacks libferry runs on its own
threads take the GIL themselves.
"""

import ctypes
import ctypes.util
import os
import threading
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char, c_char_p, c_int, c_int32, c_int64,
                    c_size_t, c_uint32, c_void_p)

from . import status as _status
from .errors import FerryError


class _Opaque(Structure):
    pass


class Config(_Opaque):
    pass


class Message(_Opaque):
    pass


class Producer(_Opaque):
    pass


class ProducerTopic(_Opaque):
    pass


class TransactionProducer(_Opaque):
    pass


class PushConsumer(_Opaque):
    pass


class PullConsumer(_Opaque):
    pass


class Admin(_Opaque):
    pass


config_p = POINTER(Config)
message_p = POINTER(Message)
producer_p = POINTER(Producer)
producer_topic_p = POINTER(ProducerTopic)
tx_producer_p = POINTER(TransactionProducer)
push_consumer_p = POINTER(PushConsumer)
pull_consumer_p = POINTER(PullConsumer)
admin_p = POINTER(Admin)
status_t = c_int  # ferry_status (a C enum)


class SendResult(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("status", status_t),
        ("msg_id", c_char * 64),
        ("offset_msg_id", c_char * 64),
        ("broker_name", c_char * 128),
        ("queue_id", c_int32),
        ("queue_offset", c_int64),
        ("attempts", c_uint32),
    ]

    @classmethod
    def new(cls):
        return cls(struct_size=ctypes.sizeof(cls))


class QueueRef(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("topic", c_char_p),
        ("broker_name", c_char_p),
        ("queue_id", c_int32),
    ]


class TopicSettings(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("name", c_char_p),
        ("read_queues", c_uint32),
        ("write_queues", c_uint32),
        ("perm", c_uint32),
        ("flags", c_uint32),
    ]


# Callback types (ferry/client.h typedefs). Every one gets user_data first.
LOG_CB = CFUNCTYPE(None, c_void_p, c_int, c_char_p)
SEND_CB = CFUNCTYPE(None, c_void_p, status_t, POINTER(SendResult), c_char_p)
QUEUE_SELECTOR = CFUNCTYPE(c_size_t, c_void_p, message_p, c_size_t)
CONCURRENT_LISTENER = CFUNCTYPE(c_int, c_void_p, POINTER(message_p), c_size_t)
ORDERLY_LISTENER = CFUNCTYPE(c_int, c_void_p, POINTER(message_p), c_size_t)
COMMIT_CB = CFUNCTYPE(None, c_void_p, status_t, c_char_p)
LOCAL_TRANSACTION_CB = CFUNCTYPE(c_int, c_void_p, message_p, c_void_p)
CHECK_TRANSACTION_CB = CFUNCTYPE(c_int, c_void_p, message_p)

_ERR = [ctypes.c_char_p, c_size_t]  # char *errbuf, size_t errlen (trailing on fallible calls)
_SIZE_P = POINTER(c_size_t)

# name: (restype, [argtypes])
PROTOTYPES = {
    "ferry_client_version": (c_char_p, []),
    "ferry_client_status_name": (c_char_p, [status_t]),
    "ferry_client_status_str": (c_char_p, [status_t]),
    # configuration
    "ferry_config_new": (config_p, []),
    "ferry_config_dup": (config_p, [config_p]),
    "ferry_config_destroy": (None, [config_p]),
    "ferry_config_set": (status_t, [config_p, c_char_p, c_char_p] + _ERR),
    "ferry_config_get": (status_t, [config_p, c_char_p, c_char_p, c_size_t, _SIZE_P] + _ERR),
    "ferry_config_set_log_cb": (status_t, [config_p, LOG_CB, c_void_p] + _ERR),
    # messages
    "ferry_message_new": (status_t, [c_char_p, c_void_p, c_size_t, POINTER(message_p)] + _ERR),
    "ferry_message_destroy": (None, [message_p]),
    "ferry_message_reset": (status_t, [message_p, c_char_p, c_void_p, c_size_t] + _ERR),
    "ferry_message_set_tags": (status_t, [message_p, c_char_p] + _ERR),
    "ferry_message_set_keys": (status_t, [message_p, c_char_p] + _ERR),
    "ferry_message_set_property": (status_t, [message_p, c_char_p, c_char_p] + _ERR),
    "ferry_message_set_flag": (status_t, [message_p, c_int32] + _ERR),
    "ferry_message_set_delay_level": (status_t, [message_p, c_int32] + _ERR),
    "ferry_message_set_deliver_at": (status_t, [message_p, c_int64] + _ERR),
    "ferry_message_topic": (c_void_p, [message_p, _SIZE_P]),
    "ferry_message_body": (c_void_p, [message_p, _SIZE_P]),
    "ferry_message_tags": (c_void_p, [message_p, _SIZE_P]),
    "ferry_message_keys": (c_void_p, [message_p, _SIZE_P]),
    "ferry_message_property": (c_void_p, [message_p, c_char_p, _SIZE_P]),
    "ferry_message_msg_id": (c_void_p, [message_p, _SIZE_P]),
    "ferry_message_offset_msg_id": (c_void_p, [message_p, _SIZE_P]),
    "ferry_message_broker_name": (c_void_p, [message_p, _SIZE_P]),
    "ferry_message_queue_id": (c_int32, [message_p]),
    "ferry_message_queue_offset": (c_int64, [message_p]),
    "ferry_message_commit_offset": (c_int64, [message_p]),
    "ferry_message_store_timestamp": (c_int64, [message_p]),
    "ferry_message_born_timestamp": (c_int64, [message_p]),
    "ferry_message_reconsume_times": (c_int32, [message_p]),
    "ferry_message_flag": (c_int32, [message_p]),
    # producer
    "ferry_producer_new": (status_t, [config_p, POINTER(producer_p)] + _ERR),
    "ferry_producer_start": (status_t, [producer_p] + _ERR),
    "ferry_producer_shutdown": (status_t, [producer_p] + _ERR),
    "ferry_producer_destroy": (None, [producer_p]),
    "ferry_producer_send": (status_t, [producer_p, message_p, POINTER(SendResult)] + _ERR),
    "ferry_producer_send_async": (status_t, [producer_p, message_p, SEND_CB, c_void_p] + _ERR),
    "ferry_producer_send_oneway": (status_t, [producer_p, message_p] + _ERR),
    "ferry_producer_prepare": (status_t, [producer_p, POINTER(c_char_p), c_size_t] + _ERR),
    "ferry_producer_topic_open": (status_t, [producer_p, c_char_p, POINTER(producer_topic_p)] + _ERR),
    "ferry_producer_send_async_topic": (status_t, [producer_p, producer_topic_p, message_p, SEND_CB,
                                                   c_void_p] + _ERR),
    "ferry_producer_send_batch": (status_t, [producer_p, POINTER(message_p), c_size_t,
                                             POINTER(SendResult)] + _ERR),
    "ferry_producer_send_ordered": (status_t, [producer_p, message_p, c_void_p, c_size_t,
                                               POINTER(SendResult)] + _ERR),
    "ferry_producer_send_select": (status_t, [producer_p, message_p, QUEUE_SELECTOR, c_void_p,
                                              POINTER(SendResult)] + _ERR),
    # transactional producer (declared, NOT_SUPPORTED today)
    "ferry_transaction_producer_new": (status_t, [config_p, CHECK_TRANSACTION_CB, c_void_p,
                                                  POINTER(tx_producer_p)] + _ERR),
    "ferry_transaction_producer_send": (status_t, [tx_producer_p, message_p, LOCAL_TRANSACTION_CB,
                                                   c_void_p, POINTER(SendResult)] + _ERR),
    "ferry_transaction_producer_destroy": (None, [tx_producer_p]),
    # push consumer
    "ferry_push_consumer_new": (status_t, [config_p, POINTER(push_consumer_p)] + _ERR),
    "ferry_push_consumer_subscribe": (status_t, [push_consumer_p, c_char_p, c_char_p] + _ERR),
    "ferry_push_consumer_subscribe_sql92": (status_t, [push_consumer_p, c_char_p, c_char_p] + _ERR),
    "ferry_push_consumer_set_listener": (status_t, [push_consumer_p, CONCURRENT_LISTENER,
                                                    c_void_p] + _ERR),
    "ferry_push_consumer_set_orderly_listener": (status_t, [push_consumer_p, ORDERLY_LISTENER,
                                                            c_void_p] + _ERR),
    "ferry_push_consumer_start": (status_t, [push_consumer_p] + _ERR),
    "ferry_push_consumer_shutdown": (status_t, [push_consumer_p] + _ERR),
    "ferry_push_consumer_destroy": (None, [push_consumer_p]),
    "ferry_push_consumer_queue_count": (c_size_t, [push_consumer_p]),
    "ferry_push_consumer_handover_uncommitted": (ctypes.c_uint64, [push_consumer_p]),
    # pull consumer
    "ferry_pull_consumer_new": (status_t, [config_p, POINTER(pull_consumer_p)] + _ERR),
    "ferry_pull_consumer_subscribe": (status_t, [pull_consumer_p, c_char_p, c_char_p] + _ERR),
    "ferry_pull_consumer_subscribe_sql92": (status_t, [pull_consumer_p, c_char_p, c_char_p] + _ERR),
    "ferry_pull_consumer_assign": (status_t, [pull_consumer_p, POINTER(QueueRef), c_size_t] + _ERR),
    "ferry_pull_consumer_fetch_queues": (status_t, [pull_consumer_p, c_char_p,
                                                    POINTER(POINTER(QueueRef)), _SIZE_P] + _ERR),
    "ferry_queue_refs_free": (None, [POINTER(QueueRef), c_size_t]),
    "ferry_pull_consumer_start": (status_t, [pull_consumer_p] + _ERR),
    "ferry_pull_consumer_poll": (status_t, [pull_consumer_p, c_int32, POINTER(message_p), c_size_t,
                                            _SIZE_P] + _ERR),
    "ferry_pull_consumer_commit_sync": (status_t, [pull_consumer_p] + _ERR),
    "ferry_pull_consumer_commit_async": (status_t, [pull_consumer_p, COMMIT_CB, c_void_p] + _ERR),
    "ferry_pull_consumer_seek": (status_t, [pull_consumer_p, POINTER(QueueRef), c_int64] + _ERR),
    "ferry_pull_consumer_seek_timestamp": (status_t, [pull_consumer_p, POINTER(QueueRef),
                                                      c_int64] + _ERR),
    "ferry_pull_consumer_shutdown": (status_t, [pull_consumer_p] + _ERR),
    "ferry_pull_consumer_destroy": (None, [pull_consumer_p]),
    # admin (JSON answers are char* the caller frees: c_void_p keeps the pointer)
    "ferry_string_free": (None, [c_void_p]),
    "ferry_admin_new": (status_t, [config_p, POINTER(admin_p)] + _ERR),
    "ferry_admin_start": (status_t, [admin_p] + _ERR),
    "ferry_admin_shutdown": (status_t, [admin_p] + _ERR),
    "ferry_admin_destroy": (None, [admin_p]),
    "ferry_admin_create_topic": (status_t, [admin_p, c_char_p, POINTER(TopicSettings)] + _ERR),
    "ferry_admin_update_topic": (status_t, [admin_p, c_char_p, POINTER(TopicSettings)] + _ERR),
    "ferry_admin_delete_topic": (status_t, [admin_p, c_char_p, c_char_p] + _ERR),
    "ferry_admin_topic_list": (status_t, [admin_p, POINTER(c_void_p)] + _ERR),
    "ferry_admin_topic_route": (status_t, [admin_p, c_char_p, POINTER(c_void_p)] + _ERR),
    "ferry_admin_cluster_info": (status_t, [admin_p, POINTER(c_void_p)] + _ERR),
    "ferry_admin_queue_range": (status_t, [admin_p, POINTER(QueueRef), POINTER(c_int64),
                                           POINTER(c_int64)] + _ERR),
    "ferry_admin_consumer_progress": (status_t, [admin_p, c_char_p, c_char_p,
                                                 POINTER(c_void_p)] + _ERR),
    "ferry_admin_query_by_offset_id": (status_t, [admin_p, c_char_p, POINTER(message_p)] + _ERR),
    "ferry_admin_query_by_key": (status_t, [admin_p, c_char_p, c_char_p, POINTER(message_p),
                                            c_size_t, _SIZE_P] + _ERR),
    "ferry_admin_runtime_stats": (status_t, [admin_p, c_char_p, POINTER(c_void_p)] + _ERR),
    "ferry_admin_group_list": (status_t, [admin_p, c_char_p, POINTER(c_void_p)] + _ERR),
    "ferry_admin_consumer_connections": (status_t, [admin_p, c_char_p, POINTER(c_void_p)] + _ERR),
    "ferry_admin_reset_offset_by_time": (status_t, [admin_p, c_char_p, c_char_p, c_int64,
                                                    POINTER(c_void_p)] + _ERR),
    "ferry_admin_broker_config": (status_t, [admin_p, c_char_p, POINTER(c_void_p)] + _ERR),
    "ferry_admin_dlq_list": (status_t, [admin_p, c_char_p, c_size_t, POINTER(c_void_p)] + _ERR),
    "ferry_admin_dlq_resend": (status_t, [admin_p, c_char_p, c_char_p, POINTER(c_void_p)] + _ERR),
}

ERRBUF_SIZE = 512


class _Missing:
    """Stands for a function this libferry does not export (an older build):
    calling it raises a FerryError naming the function and the library."""

    def __init__(self, name, path):
        self._name, self._path = name, path

    def __call__(self, *args):
        raise FerryError(_status.FERRY_E_NOT_SUPPORTED,
                         "%s is not exported by %s (libferry older than this binding)"
                         % (self._name, self._path))


class Library:
    """One loaded libferry with every prototype set. Attributes are the C
    functions by their names without the `ferry_` prefix."""

    def __init__(self, path):
        self.path = path
        self.dll = ctypes.CDLL(path)
        self.missing = []
        for name, (restype, argtypes) in PROTOTYPES.items():
            try:
                fn = getattr(self.dll, name)
            except AttributeError:
                self.missing.append(name)
                setattr(self, name[len("ferry_"):], _Missing(name, path))
                continue
            fn.restype = restype
            fn.argtypes = argtypes
            setattr(self, name[len("ferry_"):], fn)

    def check(self, fn, *args):
        """Calls a fallible function with an error buffer appended; raises
        FerryError with libferry's text unless it returned FERRY_OK."""
        errbuf = ctypes.create_string_buffer(ERRBUF_SIZE)
        rc = fn(*args, errbuf, ERRBUF_SIZE)
        if rc != _status.FERRY_OK:
            raise FerryError(rc, errbuf.value.decode("utf-8", "replace"))


def _candidates():
    env = os.environ.get("FERRY_LIBRARY")
    if env:
        yield env
        return  # an explicit choice is never second-guessed
    build = os.environ.get("FERRY_BUILD_DIR")
    if build:
        yield os.path.join(build, "lib", "libferry.so")
    here = os.path.dirname(os.path.abspath(__file__))  # <repo>/sdk/python/ferry
    yield os.path.normpath(os.path.join(here, "..", "..", "..", "build", "lib", "libferry.so"))
    found = ctypes.util.find_library("ferry")
    if found:
        yield found


_lock = threading.Lock()
_loaded = None


def load(path=None):
    """The process's libferry (loaded once). `path` or FERRY_LIBRARY choose
    it; otherwise $FERRY_BUILD_DIR/lib, the repository's build/lib, then the
    system's libferry."""
    global _loaded
    with _lock:
        if _loaded is not None:
            if path and os.path.realpath(path) != os.path.realpath(_loaded.path):
                raise FerryError(_status.FERRY_E_STATE,
                                 "libferry already loaded from %s" % _loaded.path)
            return _loaded
        tried = []
        for candidate in ([path] if path else _candidates()):
            if os.path.sep in candidate and not os.path.exists(candidate):
                tried.append(candidate + " (missing)")
                continue
            try:
                _loaded = Library(candidate)
                return _loaded
            except OSError as e:
                tried.append("%s (%s)" % (candidate, e))
        raise FerryError(_status.FERRY_E_NOT_FOUND,
                         "libferry not found; set FERRY_LIBRARY. Tried: " + "; ".join(tried))


def lib():
    return _loaded if _loaded is not None else load()


def view(ptr, length):
    """bytes of a (pointer, length) pair an accessor returned; None for NULL."""
    if not ptr:
        return None
    return ctypes.string_at(ptr, length)
