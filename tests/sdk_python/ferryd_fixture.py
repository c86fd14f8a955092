"""A real ferryd for the SDK tests: standalone-like config from
ferryd_standalone.toml, a free port, a temp data dir; always stopped and
reaped (SIGTERM, then SIGKILL). If ferryd cannot start with that config, or
does not answer the core requests yet, the caller gets unittest.SkipTest
naming what is missing — a skipped test, never a passed one."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import ferry
from native_env import native_env

HERE = os.path.dirname(os.path.abspath(__file__))


def build_dir():
    return os.environ.get("FERRY_BUILD_DIR") or os.path.join(HERE, "..", "..", "build")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Ferryd:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ferry-sdkpy-")
        self.port = free_port()
        self.address = "127.0.0.1:%d" % self.port
        self.broker_address = self.address  # standalone: one process is both
        self.log_path = os.path.join(self.dir, "ferryd.log")
        self.proc = None

    def start(self, timeout=20.0):
        external = os.environ.get("FERRY_SDK_TEST_BROKER")
        if external:  # "name_servers=ADDR broker=ADDR": a broker someone else runs
            fields = dict(f.split("=", 1) for f in external.split())
            self.address = fields["name_servers"]
            self.broker_address = fields["broker"]
            return self
        binary = os.path.join(build_dir(), "bin", "ferryd")
        if not os.path.exists(binary):
            raise unittest.SkipTest("ferryd is not built (%s missing)" % binary)
        with open(os.path.join(HERE, "ferryd_standalone.toml")) as f:
            text = f.read().replace("@PORT@", str(self.port)).replace(
                "@DATA_DIR@", os.path.join(self.dir, "data"))
        config = os.path.join(self.dir, "ferryd.toml")
        with open(config, "w") as f:
            f.write(text)
        log = open(self.log_path, "wb")
        try:
            self.proc = subprocess.Popen([binary, "--config", config], stdout=log,
                                         stderr=subprocess.STDOUT, env=native_env())
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "ferryd serving" in self.log():
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        why = self.log().strip().splitlines()[-3:]
        self.stop()
        raise unittest.SkipTest("ferryd does not start with the standalone plugins: "
                                + " | ".join(why))

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def client_keys(self, **extra):
        keys = dict(name_servers=self.address, request_timeout_ms=3000, send_timeout_ms=3000,
                    log_level="error")
        keys.update(extra)
        return keys

    def create_topic(self, topic, queues=4, timeout=10.0):
        """Creates `topic` on the broker and waits (bounded) until the name
        server routes it. SkipTest when ferryd does not serve these requests."""
        with ferry.Admin(**self.client_keys()) as admin:
            try:
                admin.create_topic(self.broker_address, topic, read_queues=queues, write_queues=queues)
            except ferry.FerryError as e:
                raise unittest.SkipTest(
                    "ferryd does not serve core requests yet (create topic: %s)" % e)
            deadline = time.monotonic() + timeout
            last = None
            while time.monotonic() < deadline:
                try:
                    route = admin.topic_route(topic)
                    if route and route.get("queues"):
                        return route
                except ferry.FerryError as e:
                    last = e
                time.sleep(0.05)
            raise unittest.SkipTest("ferryd's name server never routed a created topic: %s" % last)


class BrokerTestCase(unittest.TestCase):
    """One ferryd per test class, stopped in tearDownClass (and on any
    set-up failure)."""

    broker = None

    @classmethod
    def setUpClass(cls):
        cls.broker = Ferryd()
        cls.addClassCleanup(cls.broker.cleanup)
        cls.broker.start()

    def topic(self, queues=4):
        name = "%s_%s" % (type(self).__name__, self._testMethodName)
        self.broker.create_topic(name, queues)
        return name
