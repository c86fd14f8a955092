"""Lifecycle shared by every client handle: new -> start -> shutdown ->
destroy, as context managers. After close() the Python object refuses every
call with FerryError(FERRY_E_CLOSED) itself: a destroyed C handle is never
passed to libferry again."""

import ctypes
import logging

from . import _lib
from ._callbacks import guarded
from ._owned import Owned
from .config import Config

_LEVELS = {0: logging.DEBUG, 1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING,
           4: logging.ERROR}


class Handle(Owned):
    _kind = "handle"  # "producer", "push_consumer", ... (C function prefix)

    def __init__(self, log=None, **keys):
        """keys: libferry configuration (name_servers="127.0.0.1:9876", ...).
        log: None (libferry's default: stderr), True (the "ferry" logger) or
        a callable(level, line)."""
        self._lib = _lib.lib()
        self._ptr = None
        self._started = False
        self._callbacks = []  # every CFUNCTYPE C may call: alive as long as the handle
        conf = Config(**keys)
        try:
            if log is not None:
                conf.set_log_callback(self._keep(_lib.LOG_CB(self._log_trampoline(log))))
            out = self._ptr_type()()
            self._lib.check(getattr(self._lib, self._kind + "_new"), conf._raw(), ctypes.byref(out))
            self._ptr = out
        finally:
            conf.close()  # libferry copied it

    def _keep(self, cfunc):
        self._callbacks.append(cfunc)
        return cfunc

    @staticmethod
    def _log_trampoline(log):
        if log is True:
            logger = logging.getLogger("ferry.lib")
            sink = lambda level, line: logger.log(_LEVELS.get(level, logging.ERROR), "%s", line)
        else:
            sink = log

        def trampoline(_user_data, level, line):
            guarded("log callback", None, sink, level, (line or b"").decode("utf-8", "replace"))
        return trampoline

    def start(self):
        self._lib.check(getattr(self._lib, self._kind + "_start"), self._raw())
        self._started = True
        return self

    def shutdown(self):
        """Graceful stop (libferry's _shutdown); idempotent."""
        if self._ptr:
            self._lib.check(getattr(self._lib, self._kind + "_shutdown"), self._ptr)

    @property
    def closed(self):
        return not self._ptr

    def __enter__(self):
        if not self._started:
            self.start()
        return self
