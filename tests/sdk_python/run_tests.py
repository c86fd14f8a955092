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
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    if result.testsRun == 0:
        print("no tests matched %r in %s" % (pattern, HERE))
        return 1
    if not result.wasSuccessful():
        return 1
    if len(result.skipped) == result.testsRun:
        print("all %d tests skipped:" % result.testsRun)
        for reason in sorted({r for _, r in result.skipped}):
            print("  -", reason)
        return 77
    return 0


if __name__ == "__main__":
    sys.exit(main())
