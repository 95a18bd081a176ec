"""Wall time of the project's own test suite, in one process and in worker processes, one run
after the other on the same machine.

The README's test command runs the suite with `-n auto` (pytest-xdist, one worker a core,
`--dist loadscope`); `-n 0` is the same suite in one process, the baseline. Each run is
`python -m pytest` in its own process from the repository root, exactly as CI calls it.

    python benchmarks/suite_time.py [--workers 0,auto] [PATH ...]

Target: `.ci/run`, of which this is most, under 20 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUMMARY = re.compile(r"^=*\s*(\d+ (?:passed|failed|error).*?) in [\d.]+s", re.M)
"""pytest's closing counts, with `-q` (no `=` border) or without."""


def timed_suite(workers: str, paths: list[str]) -> tuple[float, int, str]:
    """Seconds the suite takes with `-n workers`, its exit code and its closing counts."""
    started = time.perf_counter()
    finished = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               "-n", workers, *paths],
                              cwd=ROOT, capture_output=True, text=True, timeout=3600, check=False)
    elapsed = time.perf_counter() - started
    counts = SUMMARY.findall(finished.stdout)
    return elapsed, finished.returncode, counts[-1] if counts else finished.stdout[-200:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="0,auto",
                        help="Comma-separated values of pytest's -n, run in this order.")
    parser.add_argument("paths", nargs="*", help="Test paths (default: the whole suite).")
    args = parser.parse_args()
    results = []
    for workers in args.workers.split(","):
        elapsed, code, counts = timed_suite(workers, args.paths)
        results.append((workers, elapsed, code))
        print(f"-n {workers:>4}: {elapsed:7.1f} s  exit {code}  {counts}", flush=True)
    baseline = results[0][1]
    for workers, elapsed, _ in results[1:]:
        print(f"-n {workers} takes {elapsed / baseline:.0%} of -n {results[0][0]}'s wall time")
    return max(code for _, _, code in results)


if __name__ == "__main__":
    sys.exit(main())
