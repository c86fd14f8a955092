"""The Python examples (sdk/python/examples) run against a real ferryd."""

import os
import subprocess
import sys
import unittest

from ferryd_fixture import BrokerTestCase

EXAMPLES = os.path.join(os.environ.get("FERRY_SOURCE_DIR", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")), "sdk", "python", "examples")


class Examples(BrokerTestCase):
    def run_example(self, script, *extra):
        topic = self.topic()
        proc = subprocess.run(
            [sys.executable, os.path.join(EXAMPLES, script), "--name-servers",
             self.broker.address, "--topic", topic, "--group", "ex_" + topic] + list(extra),
            capture_output=True, text=True, timeout=120,
            cwd=self.broker.dir)  # a broadcasting example keeps its offsets under ./ferry_offsets
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        return proc.stdout

    def test_producer_sync(self):
        self.assertIn("sync: 10 sent", self.run_example("producer_sync.py"))

    def test_producer_async(self):
        self.assertIn("async: 100 sent, 0 failed", self.run_example("producer_async.py"))

    def test_producer_oneway(self):
        self.assertIn("oneway: 10 handed off", self.run_example("producer_oneway.py"))

    def test_producer_batch(self):
        self.assertIn("batch: 10 stored", self.run_example("producer_batch.py"))

    def test_ordered(self):
        self.assertIn("in order: True", self.run_example("ordered.py"))

    def test_push_clustering(self):
        self.assertIn("10 of 10 received", self.run_example("push_consumer.py"))

    def test_push_broadcasting(self):
        self.assertIn("(broadcasting): 10 of 10", self.run_example("push_consumer.py",
                                                                  "--broadcasting"))

    def test_pull(self):
        self.assertIn("pull: 10 of 10 received", self.run_example("pull_consumer.py"))


if __name__ == "__main__":
    unittest.main()
