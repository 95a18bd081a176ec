"""Violations worded as pydantic words them, and errors rendered in each vendor's format."""

from __future__ import annotations

import pytest

import contracts
from mockserver.engine.contract import compile_schema
from mockserver.engine.errors import describe, error_body
from mockserver.engine.validation import Violation, schema_violations

SCHEMA = {"type": "object", "required": ["message"], "additionalProperties": False,
          "properties": {"message": {"type": "string", "minLength": 1},
                         "count": {"type": "integer", "maximum": 3},
                         "mode": {"enum": ["fast", "slow"]},
                         "tags": {"type": "array", "maxItems": 1}}}


@pytest.mark.parametrize(("value", "wording"), [
    ({}, ("body.message", "missing", "Field required")),
    ({"message": 5}, ("body.message", "string_type", "Input should be a valid string")),
    ({"message": ""}, ("body.message", "string_too_short",
                       "String should have at least 1 character")),
    ({"message": "x", "count": 4}, ("body.count", "less_than_equal",
                                    "Input should be less than or equal to 3")),
    ({"message": "x", "mode": "medium"}, ("body.mode", "enum",
                                          "Input should be 'fast' or 'slow'")),
    ({"message": "x", "tags": [1, 2]}, ("body.tags", "too_long",
                                        "List should have at most 1 item")),
    ({"message": "x", "extra": 1}, ("body.extra", "extra_forbidden",
                                    "Extra inputs are not permitted")),
])
def test_each_broken_rule_is_named_where_and_how_pydantic_would(value: object,
                                                                 wording: tuple[str, ...]) -> None:
    found = schema_violations(compile_schema(SCHEMA), value, ("body",))
    assert [(".".join(map(str, v.loc)), v.type, v.msg) for v in found] == [wording]


def test_a_large_body_gets_its_first_violation_a_small_one_every_one() -> None:
    validator = compile_schema({"type": "array", "items": {"type": "object"}})
    every = schema_violations(validator, [1, 2, 3], ("body",))
    assert [v.loc for v in every] == [("body", 0), ("body", 1), ("body", 2)]
    # two million wrong items: listing them all took minutes of one worker's time
    first = schema_violations(validator, [1] * 2_000_000, ("body",), every=False)
    assert [(v.loc, v.type) for v in first] == [(("body", 0), "dict_type")]
    assert schema_violations(validator, [{}] * 10, ("body",), every=False) == []


def test_errors_take_each_vendors_shape() -> None:
    further = contracts.extensions("further").error_format
    futurity = contracts.extensions("futurity").error_format
    phinite = contracts.extensions("phinite").error_format
    assert error_body(further, 404, "No run") == {"detail": "No run"}
    assert error_body(futurity, 404, "No chat") == {"error": {"code": "NOT_FOUND",
                                                              "message": "No chat"}}
    violation = Violation(("body", "message"), "missing", "Field required")
    rendered = error_body(phinite, phinite.validation.status, "bad", [violation])
    assert rendered == {"detail": [{"type": "missing", "loc": ["body", "message"],
                                    "msg": "Field required", "input": None}]}
    assert describe([violation]) == "Invalid request: body.message: Field required"
