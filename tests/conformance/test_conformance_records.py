"""What a record keeps from one read to the next: each new rule is proven by a broken
implementation that only it catches (its own rule, not another that happens to fire) and by the
mock passing the same family."""

from __future__ import annotations

import pytest

from conformance.runner import run
from tests.broken.records import RECORDS
from tests.broken.serve import options, serve

RULES = {
    "phinite-log-shrinks": "x-accumulating",
    "phinite-log-rewritten": "x-accumulating",
    "flowflow-node-comes-and-goes": "x-accumulating",
    "flowflow-node-run-restamped": "x-accumulating",
    "flowflow-route-not-defined": "x-subsets",
    "further-steps-rewritten": "x-accumulating",
    "futurity-messages-shrink": "x-accumulating",
    "futurity-update-touches-others": "an update reads back in full",
    "futurity-update-replaces": "an update reads back in full",
}


def test_every_record_breakage_names_the_rule_that_must_catch_it():
    assert {breakage.name for breakage in RECORDS} == set(RULES)


@pytest.mark.parametrize("breakage", RECORDS, ids=str)
def test_the_rule_catches_its_breakage(breakage):
    with serve(breakage) as root:
        results = run(options(breakage.vendor, root, checks=[breakage.family]))
    rules = [f"{finding.rule}: {finding.message}" for finding in results.findings]
    assert any(RULES[breakage.name] in rule for rule in rules), rules
    assert all(RULES[breakage.name] in rule for rule in rules), \
        f"{breakage.name} should break only its own rule: {rules}"


@pytest.mark.parametrize("vendor", ["phinite", "flowflow", "further", "futurity"])
def test_the_mock_keeps_every_record_rule(vendor):
    family = "resources" if vendor == "futurity" else "lifecycle"
    with serve() as root:
        results = run(options(vendor, root, checks=[family]))
    assert results.ok, [f"{f.rule}: {f.message}" for f in results.findings]
    if vendor == "futurity":
        assert results.exercised["resources"]["updates read back"] > 0
        assert results.exercised["resources"]["children read back"] > 0
