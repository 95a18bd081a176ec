"""What plain schemathesis finds in the broken implementations, next to what our suite finds.

Each broken implementation in tests/broken is served on a free loopback port and checked twice:
by our conformance suite (every family, standard profile, seed 0) and by plain `schemathesis run`
(the CLI, its default checks and phases, the vendor's demo credentials as an `Authorization`
header, bounded examples). Both already report something on the conforming mock (the mock's own
bugs; for plain schemathesis also false positives), so a breakage counts as caught only by what
the conforming mock, checked the same way, does not produce: a failure code on an operation for
schemathesis, a (family, operation, rule) for our suite, whose findings on the mock's own crashes
(a `mock_error` 500) are left out as well. Prints a Markdown table.

    python scripts/schemathesis_baseline.py [--max-examples 25] [--seed 0] [--only NAME,...]
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from schemathesis.failure_codes import get_failure_class

import contracts
from conformance.runner import run
from conformance.target import TargetError

ROOT = Path(__file__).resolve().parents[1]
Failures = set[tuple[str, str]]
MOCK_CRASH = '"mock_error"'  # the body of the mock's own 500s: bugs of the mock, not breakages


def schemathesis_failures(vendor: str, root: str, max_examples: int, seed: int) -> Failures:
    """(failure code, operation) pairs plain `schemathesis run` reports."""
    from tests.broken.serve import BASE_PATHS, CREDENTIALS

    base_url = root + BASE_PATHS[vendor]
    with tempfile.TemporaryDirectory() as work:
        report = Path(work) / "report.json"
        command = [str(Path(sys.executable).with_name("schemathesis")), "run",
                   str(contracts.path(vendor)), "--url", base_url,
                   "-H", f"Authorization: Bearer {bearer(vendor, base_url, CREDENTIALS[vendor])}",
                   "--max-examples", str(max_examples), "--seed", str(seed),
                   "--report", "json", "--report-json-path", str(report)]
        subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=900)
        failures = json.loads(report.read_text())["failures"]
    return {(failure["code"], operation) for failure in failures
            for operation in failure["operations"]}


def bearer(vendor: str, base_url: str, credentials: dict[str, str]) -> str:
    """The demo token; for an OAuth2 vendor, one fetched from its token endpoint first."""
    if "token" in credentials:
        return credentials["token"]
    response = requests.post(base_url + "/api/v1/oauth2/access_token", timeout=10, json={
        "client_id": credentials["client_id"], "client_secret": credentials["client_secret"]})
    response.raise_for_status()
    return str(response.json()["access_token"])


def suite_findings(breakage: Any, vendor: str) -> set[tuple[str, str, str]]:
    """(family, operation, rule) of every finding of our suite at the standard profile, less
    the mock's own crashes."""
    from tests.broken.serve import options, serve

    with serve(breakage) as root:
        try:
            found = run(options(vendor, root, profile="standard")).findings
        except TargetError as error:  # refused before any check: exit 2
            return {("preflight", "-", str(error))}
    return {(f.check, f.operation, f.rule) for f in found
            if f.exchange is None or MOCK_CRASH not in (f.exchange.response_body or "")}


def checks_of(failures: Failures) -> str:
    names = set()
    for code, _ in failures:
        failure = get_failure_class(code)
        names.add(f"{'/'.join(failure.checks) if failure and failure.checks else 'custom'} "
                  f"({code})")
    return ", ".join(sorted(names))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="", help="Comma-separated breakage names.")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    logging.getLogger("mockserver").disabled = True  # its 500s are in the table already
    from tests.broken.catalogue import CATALOGUE
    from tests.broken.serve import BASE_PATHS, serve

    chosen = [b for b in CATALOGUE if not args.only or b.name in args.only.split(",")]
    controls: dict[str, tuple[Failures, set[tuple[str, str, str]]]] = {}
    for vendor in BASE_PATHS:
        with serve() as root:
            theirs = schemathesis_failures(vendor, root, args.max_examples, args.seed)
        controls[vendor] = (theirs, suite_findings(None, vendor))
    print("| breakage | expected family | caught by our suite | caught by plain schemathesis "
          "| schemathesis reported, beyond the conforming mock |")
    print("| --- | --- | --- | --- | --- |")
    for breakage in chosen:
        started = time.perf_counter()
        theirs, ours = controls[breakage.vendor]
        families = {f[0] for f in suite_findings(breakage, breakage.vendor) - ours}
        with serve(breakage) as root:
            new = schemathesis_failures(breakage.vendor, root, args.max_examples,
                                        args.seed) - theirs
        print(f"| {breakage.name} | {breakage.family} | {', '.join(sorted(families)) or '**no**'}"
              f" | {'yes' if new else '**no**'} | {checks_of(new) or '-'} |", flush=True)
        print(f"{breakage.name}: {time.perf_counter() - started:.0f}s", file=sys.stderr)
    print("\nOn the conforming mock itself (subtracted above):")
    for vendor, (theirs, ours) in controls.items():
        print(f"- {vendor}: plain schemathesis reports {checks_of(theirs) or 'nothing'}; "
              f"our suite {'; '.join(sorted(' / '.join(f) for f in ours)) or 'nothing'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
