"""Owned: the life of a libferry object its Python wrapper frees (Config,
Message, the handles): close() is idempotent, `with` closes, and being
collected closes too (never raising from __del__)."""

from . import status as _status
from .errors import FerryError


class Owned:
    # The C function prefix ("config", "message", "producer", ...): close()
    # calls <_kind>_destroy; a closed object's error names it.
    _kind = "object"

    def close(self):
        """Frees the object (a handle shuts down first, in libferry). Idempotent."""
        if self._ptr:
            ptr, self._ptr = self._ptr, None
            getattr(self._lib, self._kind + "_destroy")(ptr)

    def _raw(self):
        if not self._ptr:
            raise FerryError(_status.FERRY_E_CLOSED, "%s was closed" % self._kind)
        return self._ptr

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
