"""The binding itself: library found, every prototype bound, the status
numbers equal to ferry/status.h and their names/texts from libferry, errors
carrying status and name."""

import os
import re
import unittest

import ferry
from ferry import _lib
from ferry import status


class Bindings(unittest.TestCase):
    def test_every_client_h_function_is_bound_and_exported(self):
        header = os.path.join(os.environ["FERRY_SOURCE_DIR"], "sdk", "c", "include", "ferry",
                              "client.h")
        with open(header) as f:
            declared = set(re.findall(r"FERRY_EXPORT[^;(]*?\b(ferry_\w+)\s*\(", f.read()))
        self.assertTrue(declared)
        self.assertEqual(declared - set(_lib.PROTOTYPES), set(),
                         "declared in client.h, no ctypes prototype")
        self.assertEqual(set(_lib.PROTOTYPES) - declared, set(), "prototype for no declaration")
        if _lib.lib().missing:  # libferry is written alongside: say what it lacks
            self.skipTest("libferry (%s) does not export yet: %s"
                          % (_lib.lib().path, ", ".join(_lib.lib().missing)))

    def test_status_table_matches_header(self):
        header = os.path.join(os.environ["FERRY_SOURCE_DIR"], "abi", "include", "ferry",
                              "status.h")
        with open(header) as f:
            text = f.read()
        enum = text[text.index("typedef enum ferry_status {"):text.index("} ferry_status;")]
        numbers = {n: int(v) for n, v in re.findall(r"(FERRY_\w+)\s*=\s*(\d+)", enum)}
        texts = dict(re.findall(r'X\((FERRY_\w+), "([^"]*)"\)', text))
        constants = {n: v for n, v in vars(status).items() if n.startswith("FERRY_") and isinstance(v, int)}
        self.assertEqual(constants, numbers)
        _lib.lib()  # names and texts come from libferry once it is loaded
        self.assertNotIn("ferry_client_status_name", _lib.lib().missing)
        for n, t in texts.items():
            self.assertEqual(status.name(numbers[n]), n)
            self.assertEqual(status.text(numbers[n]), t)
        self.assertEqual(status.name(999), "FERRY_E_UNKNOWN(999)")
        self.assertEqual(status.text(999), "unknown status")

    def test_version(self):
        self.assertRegex(ferry.client_version(), r"^\d+\.\d+\.\d+")

    def test_error_carries_status_and_name(self):
        e = ferry.FerryError(status.FERRY_E_BUSY, "queue full")
        self.assertEqual(e.status, 8)
        self.assertEqual(e.name, "FERRY_E_BUSY")
        self.assertTrue(e.retriable)
        self.assertIn("queue full", str(e))
        self.assertFalse(ferry.FerryError(status.FERRY_E_CONFIG).retriable)

    def test_a_missing_function_raises_naming_it(self):
        missing = _lib._Missing("ferry_future_call", "/x/libferry.so")
        with self.assertRaises(ferry.FerryError) as cm:
            missing(1, 2)
        self.assertEqual(cm.exception.name, "FERRY_E_NOT_SUPPORTED")
        self.assertIn("ferry_future_call", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
