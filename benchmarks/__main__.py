"""`python -m benchmarks` (or `make bench`): the whole harness; see `benchmarks.harness`."""

from __future__ import annotations

import sys

from benchmarks.harness import main

if __name__ == "__main__":
    sys.exit(main())
