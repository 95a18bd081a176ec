"""The conformance suite's power: the mock, our reference implementation, conforms; and every
deliberately broken implementation in `tests/broken` is caught by the check family it names.

Each broken implementation runs only its expected family, at the CI profile (`standard`) and
seed 0, over a real socket, so a failure here means that family has lost the power to see it.
"""

from __future__ import annotations

from collections import Counter

import pytest

from conformance.findings import Finding
from conformance.runner import FAMILIES, run
from tests.broken.breakages import Breakage, Call, Reply
from tests.broken.catalogue import CATALOGUE
from tests.broken.serve import BASE_PATHS, options, serve

MOCK_CRASH = '"mock_error"'  # the body of the mock's own 500s: a bug of the mock, not a breakage


def described(findings: list[Finding], not_exercised: dict[str, str] | None = None) -> str:
    shown = [f"[{f.check}] {f.operation}: {f.rule}" for f in findings]
    shown += [f"[{name}] not exercised: {why}" for name, why in (not_exercised or {}).items()]
    return "; ".join(shown) or "none"


def not_the_mocks_crash(finding: Finding) -> bool:
    return finding.exchange is None or MOCK_CRASH not in (finding.exchange.response_body or "")


def untouched(call: Call) -> Reply:
    return call.forward()


@pytest.mark.parametrize("vendor", list(BASE_PATHS))
def test_the_mock_conforms_to_the_standard_profile(vendor: str) -> None:
    with serve() as root:
        results = run(options(vendor, root, profile="standard"))
    assert results.ok, f"the reference implementation broke {vendor}'s contract: " \
                       f"{described(results.findings, results.not_exercised)}"


def test_the_futurity_lifecycle_runs_on_a_workflow_it_creates() -> None:
    """A run needs a workflow that exists: the suite creates one from `x-resources`."""
    with serve() as root:
        results = run(options("futurity", root, profile="standard", checks=["lifecycle"]))
    assert results.ok, described(results.findings, results.not_exercised)
    assert results.exercised["lifecycle"]["runs finished"] > 0, results.exercised["lifecycle"]


@pytest.mark.parametrize("vendor", list(BASE_PATHS))
def test_the_wrapper_alone_breaks_nothing(vendor: str) -> None:
    """A breakage's middleware with nothing broken conforms, so a catch is the breakage's."""
    passthrough = Breakage("passthrough", vendor, "none", "nothing broken", untouched)
    with serve(passthrough) as root:
        results = run(options(vendor, root, profile="quick"))
    assert results.ok, described(results.findings, results.not_exercised)


def test_the_catalogue_covers_every_contract() -> None:
    per_vendor = Counter(breakage.vendor for breakage in CATALOGUE)
    assert len(CATALOGUE) >= 24
    assert all(per_vendor[vendor] >= 4 for vendor in BASE_PATHS), per_vendor
    assert len({breakage.name for breakage in CATALOGUE}) == len(CATALOGUE)
    assert {breakage.family for breakage in CATALOGUE} <= {*FAMILIES, "preflight"}


@pytest.mark.parametrize("breakage", [b for b in CATALOGUE if b.family != "preflight"], ids=str)
def test_the_suite_catches(breakage: Breakage) -> None:
    with serve(breakage) as root:
        results = run(options(breakage.vendor, root, profile="standard",
                              checks=[breakage.family]))
    caught = [f for f in results.findings if f.check == breakage.family and not_the_mocks_crash(f)]
    if breakage.family in results.not_exercised:
        caught.append(Finding(check=breakage.family, operation="-", rule="not exercised",
                              message=results.not_exercised[breakage.family], seed=0))
    assert results.ok is False, f"{breakage.name} ({breakage.description}) went unnoticed"
    assert breakage.family in results.failed_checks() and caught, \
        f"the {breakage.family!r} check should catch {breakage.name}, beyond any crash of the " \
        f"mock itself; found: {described(results.findings)}"
