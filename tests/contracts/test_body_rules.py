"""`x-accumulating` and `x-subsets`: what each rule lets a later body do and what it names when a
body breaks it; lint's answer to a keyword put in the wrong place; an update read back in full."""

from __future__ import annotations

import copy

import pytest

import contracts
from contracts import invariants
from contracts.body_rules import accumulation_problems, subset_problems
from contracts.extensions import Resource
from contracts.lint import lint_document

LOGS = {"type": "object", "properties": {
    "logs": {"type": "array", "items": {"type": "string"}, "x-accumulating": True}}}

NODES = {"type": "object", "properties": {"nodes": {
    "type": "array", "x-accumulating": {"key": "id", "fixed": ["created"]},
    "items": {"type": "object", "properties": {"id": {"type": "string"},
                                               "created": {"type": "string"},
                                               "status": {"type": "string"}}}}}}

CONDITIONS = {"type": "object", "x-subsets": [{"items": "chosen", "of": "offered", "by": "id"}],
              "properties": {
                  "chosen": {"type": "array", "items": {"type": "object"}},
                  "offered": {"type": "array", "items": {"type": "object"}}}}


def test_a_plain_list_may_only_gain_elements_at_its_end():
    assert accumulation_problems(LOGS, {"logs": ["a"]}, {"logs": ["a", "b"]}) == []
    assert accumulation_problems(LOGS, {"logs": ["a", "b"]}, {"logs": ["a"]}) == [
        "/logs lost elements: 2 before, 1 now"]
    assert accumulation_problems(LOGS, {"logs": ["a", "b"]}, {"logs": ["a", "c", "b"]}) == [
        '/logs/1 was rewritten: "b" became "c"']
    assert accumulation_problems(LOGS, {"logs": ["a"]}, {}) == ['/logs is gone (it held ["a"])']
    assert accumulation_problems(LOGS, {"logs": ["a"]}, {"logs": None}) == [
        "/logs was a list of 1 and is now null"]


def test_a_keyed_list_keeps_every_element_in_order_and_its_fixed_fields():
    before = {"nodes": [{"id": "n1", "created": "t1", "status": "running"}]}
    grown = {"nodes": [{"id": "n1", "created": "t1", "status": "done"}, {"id": "n2"}]}
    assert accumulation_problems(NODES, before, grown) == []  # status is not fixed
    assert accumulation_problems(NODES, grown, {"nodes": [{"id": "n2"}]}) == [
        "/nodes lost the element with id='n1' (1 of 2 lost)"]
    assert accumulation_problems(NODES, grown, {"nodes": [{"id": "n2"}, {"id": "n1"}]}) == [
        "/nodes reordered its elements: ids ['n1', 'n2'] now come as ['n2', 'n1']"]
    rewritten = {"nodes": [{"id": "n1", "created": "t9"}]}
    assert accumulation_problems(NODES, before, rewritten) == [
        "/nodes: the element with id='n1' had created=\"t1\", now \"t9\""]


def test_the_rule_applies_inside_allof_branches_and_nested_items():
    wrapped = {"type": "object", "properties": {"runs": {
        "type": "array", "items": {"allOf": [LOGS]}}}}
    before = {"runs": [{"logs": ["a", "b"]}]}
    assert accumulation_problems(wrapped, before, {"runs": [{"logs": ["a"]}]}) == [
        "/runs/0/logs lost elements: 2 before, 1 now"]


def test_a_contained_list_holds_nothing_its_container_lacks():
    assert subset_problems(CONDITIONS, {"chosen": [{"id": 1}], "offered": [{"id": 1}]}) == []
    assert subset_problems(CONDITIONS, {"chosen": [{"id": 1}, {"id": 2}],
                                        "offered": [{"id": 1}]}) == [
        "/chosen holds id=2, which /offered does not (1 of 2 outside it)"]
    whole = {**CONDITIONS, "x-subsets": [{"items": "chosen", "of": "offered"}]}
    assert subset_problems(whole, {"chosen": ["x"], "offered": ["y"]}) == [
        '/chosen holds "x", which /offered does not (1 of 1 outside it)']


def _documented_bodies(vendor: str) -> list[tuple[dict[str, object], object]]:
    """(schema, example) of every documented response example of the contract."""
    found = []
    for item in contracts.load(vendor)["paths"].values():
        for operation in item.values():
            for response in (operation.get("responses") or {}).values() \
                    if isinstance(operation, dict) else []:
                for media in (response.get("content") or {}).values():
                    examples = [e.get("value") for e in (media.get("examples") or {}).values()]
                    examples += [media["example"]] if "example" in media else []
                    found += [(media.get("schema", {}), e) for e in examples if e is not None]
    return found


@pytest.mark.parametrize("vendor", contracts.available())
def test_every_shipped_rule_is_kept_by_the_documented_examples(vendor):
    """The docs' own response bodies keep the containments the contract declares, and a body
    read twice unchanged breaks no accumulation rule."""
    bodies = _documented_bodies(vendor)
    assert bodies
    for schema, example in bodies:
        assert subset_problems(schema, example) == []
        assert accumulation_problems(schema, example, copy.deepcopy(example)) == []


def _with(vendor: str, pointer: list[str], marker: dict[str, object]) -> list[str]:
    document = copy.deepcopy(contracts.load(vendor, resolve=False))
    node = document
    for part in pointer:
        node = node[part]
    node.update(marker)
    return [f"{p.place}: {p.message}" for p in lint_document(document)]


def test_lint_names_a_keyword_in_the_wrong_place_or_a_property_that_is_not_there():
    assert any("x-accumulating belongs on an array schema" in p for p in _with(
        "phinite", ["components", "schemas", "Error"], {"x-accumulating": True}))
    assert any("declare no property 'idd'" in p and "did you mean 'id'?" in p for p in _with(
        "flowflow", ["components", "schemas", "ProgressWorkflow", "properties", "nodes"],
        {"x-accumulating": {"key": "idd"}}))
    assert any("x-subsets" in p and "declares no property 'nope'" in p for p in _with(
        "flowflow", ["components", "schemas", "NodeRunConditions"],
        {"x-subsets": [{"items": "nope", "of": "met"}]}))


RESOURCE = Resource.model_validate({"timestamps": {"updated": "updated_at"},
                                    "derived": {"title": "/name"}})


def test_an_update_reads_back_sent_fields_and_keeps_the_others():
    before = {"id": "a", "name": "old", "title": "old", "tags": ["x"], "updated_at": "1"}
    after = {**before, "name": "new", "title": "new", "updated_at": "2"}
    assert invariants.update_problems(RESOURCE, before, {"name": "new"}, after) == []
    assert invariants.update_problems(RESOURCE, before, {"name": "new"},
                                      {**after, "name": "old", "title": "old"}) == [
        "name was sent as 'new' but reads 'old'"]
    dropped = {key: value for key, value in after.items() if key != "tags"}
    assert invariants.update_problems(RESOURCE, before, {"name": "new"}, dropped) == [
        "tags was ['x'] before the update, which did not send it, and is gone"]
    assert invariants.update_problems(RESOURCE, before, {"name": "new"},
                                      {**after, "tags": []}) == [
        "tags was not sent but changed from ['x'] to []"]
    assert invariants.update_problems(RESOURCE, before, {"name": "new"},
                                      {**after, "title": "stale"}) == [
        "title reads 'stale', but it copies /name, which reads 'new'"]
