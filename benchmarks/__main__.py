"""`python -m benchmarks` (or `make bench`): the whole harness; see `benchmarks.harness`
(`--jobs tight`: the tight counties of `benchmarks.bench_tight`, run only when asked)."""

from __future__ import annotations

import sys

from benchmarks.harness import main

if __name__ == "__main__":
    sys.exit(main())
