"""Runs a command against the C SDK tests' in-process fake broker (served by
`ferry_sdk_cpp_send_bench --serve`), with FERRY_SDK_TEST_BROKER set so the
SDK broker tests use it instead of starting ferryd. The fake is always
stopped (stdin closed, then killed) and reaped.

    python3 with_fake_broker.py <ferry_sdk_cpp_send_bench> -- <command...>

Exit: the command's; 77 (ctest's skip code) when a GoogleTest command
passed but skipped tests; 1 when the fake broker died while the command ran
(said so, with the signal: a dead fake otherwise shows only as clients
failing to connect).
"""

import os
import re
import signal
import subprocess
import sys

from native_env import native_env


def died(server):
    """Why the fake exited before it was told to, or None while it runs."""
    rc = server.poll()
    if rc is None:
        return None
    if rc < 0:
        try:
            return "killed by %s" % signal.Signals(-rc).name
        except ValueError:
            return "killed by signal %d" % -rc
    return "exited with status %d" % rc


def main():
    bench, sep, command = sys.argv[1], sys.argv[2], sys.argv[3:]
    if sep != "--" or not command:
        print(__doc__)
        return 2
    server = subprocess.Popen([bench, "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, env=native_env())
    try:
        line = server.stdout.readline()
        fields = dict(re.findall(r"(\w+)=(\S+)", line))
        if "name_servers" not in fields or "broker" not in fields:
            print("fake broker did not start: %r" % line)
            return 1
        env = dict(os.environ, FERRY_SDK_TEST_BROKER="name_servers=%s broker=%s" % (
            fields["name_servers"], fields["broker"]))
        proc = subprocess.run(command, env=env, timeout=600, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        sys.stdout.write(proc.stdout)
        why = died(server)
        if why:
            print("fake broker died while the tests ran: %s" % why)
            sys.stdout.flush()
            return 1
        if proc.returncode == 0 and "[  SKIPPED ]" in proc.stdout:
            return 77  # a GoogleTest binary that skipped: not a pass
        return proc.returncode
    finally:
        server.stdin.close()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
