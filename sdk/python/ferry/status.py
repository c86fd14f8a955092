"""Status codes of ferry/status.h. The numbers are constants here (stable
forever, only additions; tests/sdk_python checks them against the header);
names and texts come from libferry itself (ferry_client_status_name/_str),
so nothing else is mirrored."""

# The numbers of ferry/status.h.
FERRY_OK = 0
FERRY_E_INVALID_ARGUMENT = 1
FERRY_E_NOT_FOUND = 2
FERRY_E_ALREADY_EXISTS = 3
FERRY_E_NOT_SUPPORTED = 4
FERRY_E_NO_MEMORY = 5
FERRY_E_INTERNAL = 6
FERRY_E_TIMEOUT = 7
FERRY_E_BUSY = 8
FERRY_E_SHUTTING_DOWN = 9
FERRY_E_WOULD_BLOCK = 10
FERRY_E_OUT_OF_RANGE = 11
FERRY_E_TOO_LARGE = 12
FERRY_E_PERMISSION = 13
FERRY_E_STATE = 14
FERRY_E_IO = 100
FERRY_E_DISK_FULL = 101
FERRY_E_CORRUPTED = 102
FERRY_E_READ_ONLY = 103
FERRY_E_FLUSH_TIMEOUT = 104
FERRY_E_REPLICA_TIMEOUT = 105
FERRY_E_REPLICA_NOT_AVAILABLE = 106
FERRY_E_TOPIC_NOT_FOUND = 200
FERRY_E_MESSAGE_TOO_LARGE = 201
FERRY_E_INVALID_NAME = 202
FERRY_E_NO_NEW_MESSAGE = 203
FERRY_E_OFFSET_MOVED = 204
FERRY_E_OFFSET_OUT_OF_RANGE = 205
FERRY_E_BAD_SUBSCRIPTION = 206
FERRY_E_UNKNOWN_REQUEST = 207
FERRY_E_NOT_MASTER = 208
FERRY_E_NO_PERMISSION = 209
FERRY_E_GROUP_NOT_FOUND = 210
FERRY_E_LOCK_HELD = 211
FERRY_E_BAD_FRAME = 212
FERRY_E_RESERVED_NAME = 213
FERRY_E_NOT_CONNECTED = 300
FERRY_E_CONNECTION_CLOSED = 301
FERRY_E_NO_ROUTE = 302
FERRY_E_NO_NAME_SERVER = 303
FERRY_E_CLOSED = 304
FERRY_E_ABI_MISMATCH = 400
FERRY_E_CONFIG = 401
FERRY_E_PLUGIN_LOAD = 402
FERRY_E_DEPENDENCY = 403
FERRY_E_PLUGIN_INIT = 404

# Number -> symbolic name, from the constants above: names before libferry
# is loaded (e.g. the error that says it cannot be found).
NAMES = {v: k for k, v in list(globals().items()) if k.startswith("FERRY_") and isinstance(v, int)}

RETRIABLE = frozenset(
    (FERRY_E_BUSY, FERRY_E_TIMEOUT, FERRY_E_NOT_CONNECTED, FERRY_E_CONNECTION_CLOSED,
     FERRY_E_NOT_MASTER, FERRY_E_SHUTTING_DOWN, FERRY_E_REPLICA_NOT_AVAILABLE)
)


def _library():
    """The loaded libferry if it exports the status functions; never loads
    it (loading failures are themselves reported with a status)."""
    from . import _lib  # here, not at import: _lib imports this module
    lib = _lib._loaded
    if lib is None or "ferry_client_status_name" in lib.missing:
        return None
    return lib


def name(status):
    """Symbolic name, e.g. "FERRY_E_BUSY"; unknown numbers as FERRY_E_UNKNOWN(n)."""
    lib = _library()
    n = lib.client_status_name(int(status)).decode() if lib is not None else NAMES.get(status)
    return n if n and n != "FERRY_E_UNKNOWN" else "FERRY_E_UNKNOWN(%d)" % status


def text(status):
    """Human text, e.g. "system busy, try another broker" (libferry's)."""
    lib = _library()
    if lib is not None:
        return lib.client_status_str(int(status)).decode()
    return name(status)
