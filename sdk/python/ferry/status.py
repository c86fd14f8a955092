"""Status codes of ferry/status.h, mirrored (the C names and texts are
static inline there, so not exported). tests/sdk_python checks this table
against the header: numbers are stable forever, only additions happen."""

# name -> (number, text)
STATUSES = {
    "FERRY_OK": (0, "ok"),
    "FERRY_E_INVALID_ARGUMENT": (1, "invalid argument"),
    "FERRY_E_NOT_FOUND": (2, "not found"),
    "FERRY_E_ALREADY_EXISTS": (3, "already exists"),
    "FERRY_E_NOT_SUPPORTED": (4, "not supported"),
    "FERRY_E_NO_MEMORY": (5, "out of memory"),
    "FERRY_E_INTERNAL": (6, "internal error"),
    "FERRY_E_TIMEOUT": (7, "timed out"),
    "FERRY_E_BUSY": (8, "system busy, try another broker"),
    "FERRY_E_SHUTTING_DOWN": (9, "shutting down"),
    "FERRY_E_WOULD_BLOCK": (10, "would block"),
    "FERRY_E_OUT_OF_RANGE": (11, "out of range"),
    "FERRY_E_TOO_LARGE": (12, "too large"),
    "FERRY_E_PERMISSION": (13, "permission denied"),
    "FERRY_E_STATE": (14, "invalid state for this call"),
    "FERRY_E_IO": (100, "I/O error"),
    "FERRY_E_DISK_FULL": (101, "disk full"),
    "FERRY_E_CORRUPTED": (102, "data corrupted"),
    "FERRY_E_READ_ONLY": (103, "broker is read-only after a fault"),
    "FERRY_E_FLUSH_TIMEOUT": (104, "stored but not flushed to disk in time"),
    "FERRY_E_REPLICA_TIMEOUT": (105, "stored but not replicated in time"),
    "FERRY_E_REPLICA_NOT_AVAILABLE": (106, "no replica available"),
    "FERRY_E_TOPIC_NOT_FOUND": (200, "topic not found"),
    "FERRY_E_MESSAGE_TOO_LARGE": (201, "message too large"),
    "FERRY_E_INVALID_NAME": (202, "invalid name"),
    "FERRY_E_NO_NEW_MESSAGE": (203, "no new message"),
    "FERRY_E_OFFSET_MOVED": (204, "offset moved"),
    "FERRY_E_OFFSET_OUT_OF_RANGE": (205, "offset out of range"),
    "FERRY_E_BAD_SUBSCRIPTION": (206, "bad subscription expression"),
    "FERRY_E_UNKNOWN_REQUEST": (207, "unknown request code"),
    "FERRY_E_NOT_MASTER": (208, "broker is not the master"),
    "FERRY_E_NO_PERMISSION": (209, "no permission on topic"),
    "FERRY_E_GROUP_NOT_FOUND": (210, "group not found"),
    "FERRY_E_LOCK_HELD": (211, "queue locked by another client"),
    "FERRY_E_BAD_FRAME": (212, "malformed frame"),
    "FERRY_E_RESERVED_NAME": (213, "reserved name"),
    "FERRY_E_NOT_CONNECTED": (300, "not connected"),
    "FERRY_E_CONNECTION_CLOSED": (301, "connection closed"),
    "FERRY_E_NO_ROUTE": (302, "no route for topic"),
    "FERRY_E_NO_NAME_SERVER": (303, "no name server reachable"),
    "FERRY_E_CLOSED": (304, "handle closed"),
    "FERRY_E_ABI_MISMATCH": (400, "ABI mismatch"),
    "FERRY_E_CONFIG": (401, "configuration error"),
    "FERRY_E_PLUGIN_LOAD": (402, "plugin could not be loaded"),
    "FERRY_E_DEPENDENCY": (403, "plugin dependency error"),
    "FERRY_E_PLUGIN_INIT": (404, "plugin initialisation failed"),
}

NAMES = {num: name for name, (num, _) in STATUSES.items()}
TEXTS = {num: text for _, (num, text) in STATUSES.items()}

# The same numbers as constants.
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

RETRIABLE = frozenset(
    STATUSES[n][0]
    for n in ("FERRY_E_BUSY", "FERRY_E_TIMEOUT", "FERRY_E_NOT_CONNECTED", "FERRY_E_CONNECTION_CLOSED",
              "FERRY_E_NOT_MASTER", "FERRY_E_SHUTTING_DOWN", "FERRY_E_REPLICA_NOT_AVAILABLE")
)


def name(status):
    """Symbolic name, e.g. "FERRY_E_BUSY"; unknown numbers as FERRY_E_UNKNOWN(n)."""
    return NAMES.get(status, "FERRY_E_UNKNOWN(%d)" % status)


def text(status):
    return TEXTS.get(status, "unknown status")
