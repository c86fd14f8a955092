"""Config: libferry's string key/value configuration (docs/sdk.md lists the
keys). Python keyword arguments map to keys: Config(name_servers="...",
send_timeout_ms=1000). An unknown key or bad value raises FerryError
(FERRY_E_CONFIG) naming it."""

import ctypes

from . import _lib
from ._owned import Owned
from . import status as _status
from .errors import FerryError


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Config(Owned):
    _kind = "config"

    def __init__(self, **keys):
        lib = _lib.lib()
        self._lib = lib
        self._ptr = lib.config_new()
        if not self._ptr:
            raise FerryError(_status.FERRY_E_NO_MEMORY, "ferry_config_new failed")
        for key, value in keys.items():
            self.set(key, value)

    def set(self, key, value):
        self._lib.check(self._lib.config_set, self._raw(), key.encode(), _text(value).encode())
        return self

    def get(self, key):
        size = 64
        for _ in range(2):
            out = ctypes.create_string_buffer(size)
            needed = ctypes.c_size_t(0)
            errbuf = ctypes.create_string_buffer(_lib.ERRBUF_SIZE)
            rc = self._lib.config_get(self._raw(), key.encode(), out, size, ctypes.byref(needed),
                                      errbuf, _lib.ERRBUF_SIZE)
            if rc == _status.FERRY_OK:
                return out.value.decode()
            if rc != _status.FERRY_E_TOO_LARGE or needed.value <= size:
                raise FerryError(rc, errbuf.value.decode("utf-8", "replace"))
            size = needed.value
        raise FerryError(_status.FERRY_E_INTERNAL, "config value of %s kept growing" % key)

    def set_log_callback(self, cfunc):
        """Installs a LOG_CB (the caller keeps `cfunc` referenced)."""
        self._lib.check(self._lib.config_set_log_cb, self._raw(), cfunc, None)
