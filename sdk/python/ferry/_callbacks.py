"""Guards for Python code libferry calls back into. ctypes would print an
exception raised in a callback and hand C a zero — which for a listener is
SUCCESS, so a failed message would count as consumed. Every trampoline
therefore catches here, logs to the "ferry" logger, and returns the
callback's failure result (RECONSUME_LATER, SUSPEND, UNKNOWN)."""

import logging

log = logging.getLogger("ferry")


def guarded(where, failure, fn, *args):
    try:
        return fn(*args)
    except BaseException:  # noqa: B902 - nothing may unwind into C
        try:
            log.exception("ferry: %s raised; answering %s", where, failure)
        except BaseException:
            pass
        return failure
