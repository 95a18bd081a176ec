"""A `$ref` that points to nothing, or outside the contract, is a lint problem named with its
place, never a traceback: the OpenAPI validator alone stops at the first with an exception."""

from __future__ import annotations

import copy
import subprocess
import sys

import contracts
from contracts.lint import lint_document

POLL = "/api/v1/ai/trigger/status/{workspace_id}/{workflow_id}"
SCHEMA = ("paths", POLL, "get", "responses", "200", "content", "application/json", "schema")


def _with_schema_ref(ref: str) -> dict:
    document = copy.deepcopy(contracts.load("phinite", resolve=False))
    node = document
    for key in SCHEMA[:-1]:
        node = node[key]
    node["schema"] = {"$ref": ref}
    return document


def test_a_dangling_reference_is_named_where_it_is():
    problems = [str(p) for p in lint_document(_with_schema_ref("#/components/schemas/Nothing"))]
    assert problems == [f"{'.'.join(SCHEMA)}: $ref '#/components/schemas/Nothing' points to "
                        "nothing in the contract"]


def test_a_reference_outside_the_contract_is_named_where_it_is():
    problems = [str(p) for p in lint_document(_with_schema_ref("other.yaml#/Status"))]
    assert len(problems) == 1 and problems[0].startswith(".".join(SCHEMA)), problems
    assert "only references inside the contract" in problems[0]


def test_mockserver_lint_reports_it_and_exits_2(tmp_path):
    broken = tmp_path / "phinite.yaml"
    text = contracts.path("phinite").read_text(encoding="utf-8")
    broken.write_text(text.replace('"#/components/schemas/TaskStatus"',
                                   '"#/components/schemas/TaskStatusX"'), encoding="utf-8")
    assert broken.read_text(encoding="utf-8") != text
    done = subprocess.run([sys.executable, "-m", "mockserver", "lint", str(broken)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "'#/components/schemas/TaskStatusX' points to nothing" in done.stdout + done.stderr
