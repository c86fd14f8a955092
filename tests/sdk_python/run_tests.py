"""Runs one group of the Python SDK tests for ctest.

    python3 run_tests.py <pattern>      e.g. "test_unit_*.py"

Exit 0: every test passed. 1: a failure or an error, or no test found at
all (a misnamed file must not look green). 77 (ctest SKIP_RETURN_CODE):
every test that ran was skipped — the reasons are printed, so a skipped
group shows as skipped, not passed.
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    pattern = sys.argv[1] if len(sys.argv) > 1 else "test_*.py"
    sys.path.insert(0, HERE)
    suite = unittest.defaultTestLoader.discover(HERE, pattern=pattern, top_level_dir=HERE)
    discovered = suite.countTestCases()
    if discovered == 0:
        print("no tests matched %r in %s" % (pattern, HERE))
        return 1
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    if not result.wasSuccessful():
        return 1
    # A class skipped in setUpClass runs none of its tests; count what passed.
    skipped_tests = sum(1 for t, _ in result.skipped if isinstance(t, unittest.TestCase)
                        and t.id() != t.__class__.__name__ and hasattr(t, "_testMethodName"))
    if result.testsRun - skipped_tests == 0:
        print("all %d tests skipped:" % discovered)
        for reason in sorted({r for _, r in result.skipped}):
            print("  -", reason)
        return 77
    return 0


if __name__ == "__main__":
    sys.exit(main())
