"""What an open QA console costs the mock: the control API reads of one refresh (every 2 s) of
each page, with a given number of runs and journal entries, on the SQLite store `serve` uses.

    python benchmarks/console_refresh.py [--runs 2500] [--rounds 15]

Prints, per page, the median and worst time of one refresh's reads (in-process, no socket) and
the bytes they return.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from werkzeug.test import Client

from mockserver import Mock, MockConfig, create_app

KEY = {"Authorization": "Bearer workspace_api_key"}
START = "/phinite/api/v1/ai/trigger/start/ws-1/tr-1/DEV"
SYNC = "/phinite/api/v1/ai/trigger/ws-1/tr-1/DEV"
COMMON = ["/__mock__/", "/__mock__/summary"]
PAGES = {
    "overview": COMMON,
    "runs": [*COMMON, "/__mock__/scenarios", "/__mock__/runs?limit=200"],
    "faults": [*COMMON, "/__mock__/faults"],
    "journal": [*COMMON, "/__mock__/journal?limit=200"],
}


def fill(client: Client, runs: int) -> None:
    """`runs` runs, and a contract-breaking request for each: twice as many journal entries."""
    for _ in range(runs):
        client.post(START, headers=KEY, json={"message": "go", "user_variables": {"k": "v"}})
        client.post(SYNC, headers=KEY, json={"message": 42})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2500)
    parser.add_argument("--rounds", type=int, default=15)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        mock = Mock(MockConfig(store=str(Path(folder) / "state.sqlite3")))
        client = Client(create_app(mock=mock))
        fill(client, options.runs)
        time.sleep(0.5)  # the journal is written by a background thread
        print(f"{options.runs} runs, {len(mock.store.journal(100_000))} journal entries")
        for page, paths in PAGES.items():
            times, size = [], 0
            for _ in range(options.rounds):
                started = time.perf_counter()
                size = sum(len(client.get(path).get_data()) for path in paths)
                times.append(time.perf_counter() - started)
            print(f"  {page:<9} median {statistics.median(times) * 1000:6.1f} ms   "
                  f"worst {max(times) * 1000:6.1f} ms   {size / 1024:7.1f} KB")


if __name__ == "__main__":
    main()
