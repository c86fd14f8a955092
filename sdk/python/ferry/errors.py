"""FerryError: a failed libferry call, raised from its status code."""

from . import status as _status


class FerryError(Exception):
    """`status` is the ferry_status number, `name` its symbol
    ("FERRY_E_CONFIG"), `message` libferry's explanation."""

    def __init__(self, status, message=""):
        self.status = int(status)
        self.name = _status.name(self.status)
        self.message = message or _status.text(self.status)
        super().__init__("%s: %s" % (self.name, self.message))

    @property
    def retriable(self):
        return self.status in _status.RETRIABLE
