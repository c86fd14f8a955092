"""The environment for a sanitized native program a test starts (ferryd, the
fake broker): without the sanitizer runtime CMake preloads into python3
(FERRY_SANITIZER_PRELOAD, the asan preset). Those programs link their
own static runtime, and two runtimes in one process refuse to start."""

import os


def native_env():
    env = dict(os.environ)
    preload = env.get("FERRY_SANITIZER_PRELOAD")
    if preload:
        rest = [p for p in env.get("LD_PRELOAD", "").split(":") if p and p != preload]
        if rest:
            env["LD_PRELOAD"] = ":".join(rest)
        else:
            env.pop("LD_PRELOAD", None)
    return env
