"""ferry — the Ferry client for Python, over libferry's C ABI with ctypes
(pure Python, no compiled extension). docs/sdk.md ("Python") is the guide.

libferry is found through FERRY_LIBRARY, else $FERRY_BUILD_DIR/lib, the
repository's build/lib, or the system library path (see ferry.load_library).
"""

from . import status
from ._lib import load as load_library
from .admin import Admin
from .config import Config
from .consumer import RECONSUME_LATER, SUCCESS, SUSPEND, PullConsumer, PushConsumer, Queue
from .errors import FerryError
from .message import Message, MessageView
from .producer import COMMIT, ROLLBACK, UNKNOWN, Producer, SendResult, TransactionProducer


def client_version():
    """libferry's version string, as loaded."""
    from ._lib import lib
    return lib().client_version().decode()


__all__ = [
    "Admin", "COMMIT", "Config", "FerryError", "Message", "MessageView", "Producer",
    "PullConsumer", "PushConsumer", "Queue", "RECONSUME_LATER", "ROLLBACK", "SUCCESS", "SUSPEND",
    "SendResult", "TransactionProducer", "UNKNOWN", "client_version", "load_library", "status",
]
