"""Single-defect negative input: each documented constraint broken alone, deterministically, so
that an implementation accepting one wrong field is caught whatever the random phase draws."""

from __future__ import annotations

import pytest
from schemathesis import GenerationMode

from conformance.checks.common import draw, load_schema, operations_by_id
from conformance.checks.defects import defects, valid_base
from conformance.options import RunOptions
from conformance.runner import run
from conformance.target import Target
from tests.broken.catalogue import CATALOGUE
from tests.broken.serve import options, serve

SINGLE_DEFECT = "a request that breaks one rule gets a documented error"


def planned(contract: str, operation_id: str) -> list[str]:
    target = Target(RunOptions(contract=contract, base_url="http://127.0.0.1:9"))
    operation = operations_by_id(load_schema(target))[operation_id]
    base = valid_base(target, operation, None,
                      draw(operation.as_strategy(generation_mode=GenerationMode.POSITIVE), 0))
    return [d.describe() for d in defects(target.operations()[operation_id][2], base)]


def test_every_kind_of_constraint_is_broken_alone():
    phinite = planned("phinite", "triggerFlow")
    assert "path environment: enum ('CONFORMANCE-NOT-IN-ENUM')" in phinite
    assert "body /message: type (12345)" in phinite
    assert "body /message: required (left out)" in phinite
    assert "path workspace_id: pattern ('conformance!defect')" in phinite
    futurity = planned("futurity", "listWorkflows")
    assert "query limit: maximum ('101')" in futurity and "query limit: type ('conformance')" \
        in futurity
    assert "query offset: minimum ('-1')" in futurity
    assert any(line.startswith("body /file: required") for line in
               planned("futurity", "uploadVaultFile"))


@pytest.mark.parametrize("breakage", [b for b in CATALOGUE if b.name in (
    "phinite-environment-not-in-enum", "flowflow-input-wrong-type")], ids=str)
def test_the_single_defect_phase_catches_what_one_wrong_value_hides(breakage):
    with serve(breakage) as root:
        results = run(options(breakage.vendor, root, profile="quick", checks=["negative"]))
    rules = [f.rule for f in results.findings]
    assert SINGLE_DEFECT in rules, rules
