"""Run the check families against one implementation and collect what they find."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

from conformance.checks.auth import run_auth
from conformance.checks.generated import run_examples, run_generated
from conformance.checks.lifecycle import run_lifecycles
from conformance.checks.links import run_links
from conformance.checks.resources import run_resources
from conformance.findings import Results
from conformance.options import RunOptions
from conformance.preflight import preflight
from conformance.profiles import PROFILES, Profile
from conformance.target import Target, TargetError
from conformance.transport import RequestBudgetSpent, Throttled

Family = Callable[[Target, Results, Profile], None]

# Generated input first, while the implementation is fresh: empty lists get checked too.
FAMILIES: dict[str, tuple[Family, str]] = {
    "positive": (partial(run_generated, mode="positive"),
                 "generated valid input: status, content type, headers, body schema, no 5xx"),
    "negative": (partial(run_generated, mode="negative"),
                 "generated invalid input is rejected with a documented error"),
    "examples": (run_examples, "the contract's own request examples are answered as documented"),
    "auth": (run_auth, "credentials are enforced on every secured operation; tokens expire"),
    "lifecycle": (run_lifecycles, "runs follow x-lifecycles from creation to a final state"),
    "resources": (run_resources, "created resources can be read, listed, updated and deleted"),
    "links": (run_links, "stateful sequences through the contract's OpenAPI links"),
}


def run(options: RunOptions, progress: Callable[[str], None] = lambda line: None) -> Results:
    """Check the implementation at `options.base_url`; raises TargetError if it is unreachable."""
    unknown = set(options.checks) - set(FAMILIES)
    if unknown:
        raise ValueError(f"unknown checks {sorted(unknown)}; choose from {sorted(FAMILIES)}")
    target = Target(options)
    try:
        preflight(target)
    except (Throttled, RequestBudgetSpent) as error:
        raise TargetError(f"before any check: {error}") from error
    results = Results(options.seed)
    profile = PROFILES[options.profile]
    for name in options.checks or list(FAMILIES):
        started, before = time.perf_counter(), len(results.findings)
        FAMILIES[name][0](target, results, profile)
        found = len(results.findings) - before
        verdict = "ok" if not found else f"{found} violation{'s' if found != 1 else ''}"
        progress(f"{name:<10} {verdict:<16} {time.perf_counter() - started:6.1f}s")
    return results
