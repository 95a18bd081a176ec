"""The contracts are valid, self-consistent, traceable to the vendors' documents, and complete."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jsonschema
import openapi_spec_validator
import pytest
import schemathesis
import yaml

import contracts
from contracts import pointers
from contracts.sources import check_quotes
from tests.helpers import TESTS

NOTES = (Path(contracts.__file__).parent / "NOTES.md").read_text(encoding="utf-8")
DOC_EXAMPLES = TESTS / "doc_examples"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
EXPECTED_SERVERS = {
    "further": "https://api.further.ai",
    "futurity": "https://api.futurity.work/v1",
    "flowflow": "https://flowflow.ai",
    "phinite": "https://app.phinite.ai",
}

ALL = pytest.mark.parametrize("name", contracts.available())


def operations(document: dict[str, Any]):
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def operation_by_id(document: dict[str, Any], operation_id: str) -> dict[str, Any]:
    for _, _, operation in operations(document):
        if operation.get("operationId") == operation_id:
            return operation
    raise AssertionError(f"no operation {operation_id!r}")


def walk(node: Any, trail: str = ""):
    """Every dict in the document, with a readable location."""
    if isinstance(node, dict):
        yield trail, node
        for key, value in node.items():
            yield from walk(value, f"{trail}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{trail}/{index}")


def success_schema(operation: dict[str, Any]) -> dict[str, Any]:
    status = next(code for code in operation["responses"] if code.startswith("2"))
    return operation["responses"][status]["content"]["application/json"]["schema"]


@ALL
def test_contract_passes_openapi_spec_validator(name):
    openapi_spec_validator.validate(contracts.load(name, resolve=False))


@ALL
def test_contract_is_openapi_31_with_vendor_servers(name):
    document = contracts.load(name)
    assert document["openapi"].startswith("3.1")
    assert document["servers"][0]["url"] == EXPECTED_SERVERS[name]
    assert document["x-vendor"]["id"] == name


@ALL
def test_every_example_validates_against_its_schema(name):
    document = contracts.load(name)
    checked = 0
    for trail, node in walk(document["paths"]):
        if "schema" in node and ("examples" in node or "example" in node):
            examples = dict(node.get("examples", {}))
            if "example" in node:
                examples["example"] = {"value": node["example"]}
            validator = jsonschema.Draft202012Validator(node["schema"])
            for example_name, example in examples.items():
                errors = [e.message for e in validator.iter_errors(example["value"])]
                assert not errors, f"{trail} example {example_name}: {errors}"
                checked += 1
    assert checked > 0


def _doc_examples() -> list[tuple[str, dict[str, Any]]]:
    cases = []
    for file in sorted(DOC_EXAMPLES.glob("*.yaml")):
        for entry in yaml.safe_load(file.read_text(encoding="utf-8")):
            cases.append((file.stem, entry))
    return cases


@pytest.mark.parametrize(
    ("name", "entry"),
    _doc_examples(),
    ids=[f"{n}-{e['operation']}-{e.get('status', 'request')}-{i}" for i, (n, e) in
         enumerate(_doc_examples())],
)
def test_doc_example_is_in_the_contract_and_valid(name, entry):
    operation = operation_by_id(contracts.load(name), entry["operation"])
    if "status" in entry:
        media = operation["responses"][str(entry["status"])]["content"]
    else:
        media = operation["requestBody"]["content"]
    content = media[entry.get("media_type", "application/json")]
    jsonschema.validate(entry["value"], content["schema"], cls=jsonschema.Draft202012Validator)
    attached = [example["value"] for example in content.get("examples", {}).values()]
    assert entry["value"] in attached, "the document's example is not attached to the contract"


def test_every_vendor_has_doc_examples():
    assert {name for name, _ in _doc_examples()} == set(contracts.available())


@ALL
def test_every_source_quote_occurs_in_its_document(name):
    cited, problems = check_quotes(contracts.load(name, resolve=False))
    assert not problems, "\n".join(map(str, problems))
    assert len(cited) >= 10


@ALL
def test_every_assumption_is_listed_in_notes(name):
    document = contracts.load(name, resolve=False)
    used = {node["x-assumption"] for _, node in walk(document) if "x-assumption" in node}
    prefix = {"further": "FUR", "futurity": "FTY", "flowflow": "FLW", "phinite": "PHI"}[name]
    listed = set(re.findall(rf"^### ({prefix}-\d+)\b", NOTES, flags=re.M))
    assert used, "a contract with no assumptions is suspicious: the documents are never complete"
    assert used <= listed, f"assumptions missing from NOTES.md: {sorted(used - listed)}"
    assert listed <= used, f"NOTES.md entries no contract uses: {sorted(listed - used)}"


@ALL
def test_every_operation_parameter_and_schema_is_traceable(name):
    document = contracts.load(name, resolve=False)

    def traced(node: dict[str, Any]) -> bool:
        return "x-source" in node or "x-assumption" in node

    untraced = [f"{method.upper()} {path}" for path, method, op in operations(document)
                if not traced(op)]
    shared = document["components"].get("parameters", {})
    untraced += [f"parameter {key}" for key, p in shared.items() if not traced(p)]
    for path, method, op in operations(document):
        untraced += [f"{method.upper()} {path} parameter {p['name']}"
                     for p in op.get("parameters", []) if "$ref" not in p and not traced(p)]
    untraced += [f"schema {key}" for key, schema in document["components"]["schemas"].items()
                 if not traced(schema)]
    assert not untraced


@ALL
def test_lifecycles_are_consistent(name):
    document = contracts.load(name)
    lifecycles = contracts.lifecycles(name)
    assert lifecycles, "every vendor has at least one long-running resource"
    for lifecycle in lifecycles.values():
        assert lifecycle.unreachable_from_terminal() == []
        create = operation_by_id(document, lifecycle.create)
        poll = operation_by_id(document, lifecycle.poll)
        for operation_id in lifecycle.synchronous:
            operation_by_id(document, operation_id)
        links = [link for response in create["responses"].values()
                 for link_name, link in response.get("links", {}).items()
                 if link_name == lifecycle.link]
        assert len(links) == 1 and links[0]["operationId"] == lifecycle.poll
        poll_path = next(path for path, _, op in operations(document) if op is poll)
        declared = [*document["paths"][poll_path].get("parameters", []),
                    *poll.get("parameters", [])]
        poll_path_parameters = {p["name"] for p in declared if p["in"] == "path"}
        assert set(contracts.link_parameters(document, lifecycle)) == poll_path_parameters
        create_schema, poll_schema = success_schema(create), success_schema(poll)
        assert pointers.subschema(create_schema, lifecycle.id.create) is not None
        assert pointers.subschema(create_schema, lifecycle.status.create) is not None
        assert pointers.subschema(poll_schema, lifecycle.id.poll) is not None
        status_schema = pointers.subschema(poll_schema, lifecycle.status.poll)
        assert status_schema is not None
        assert set(status_schema["enum"]) == set(lifecycle.states)
        for state, rule in lifecycle.fields.items():
            for pointer in rule.present + rule.absent:
                assert pointers.subschema(poll_schema, pointer) is not None, f"{state}: {pointer}"


@ALL
def test_contract_loads_in_schemathesis(name):
    schema = schemathesis.openapi.from_path(contracts.path(name), config=schemathesis.Config())
    results = list(schema.get_all_operations())
    errors = [r for r in results if not hasattr(r, "ok") or r.ok() is None]
    assert results and not errors
    assert len(results) == len(list(operations(contracts.load(name))))


def test_package_api_lists_and_loads_every_contract():
    assert contracts.available() == ["flowflow", "further", "futurity", "phinite"]
    for name in contracts.available():
        assert contracts.path(name).is_file()
        assert not [trail for trail, node in walk(contracts.load(name)) if "$ref" in node]
    with pytest.raises(LookupError):
        contracts.path("nope")


@ALL
def test_resources_name_real_operations_and_parameters(name):
    document = contracts.load(name)
    resources = contracts.extensions(name).resources
    for resource in resources.items.values():
        for operation_id in resource.operations().values():
            operation_by_id(document, operation_id)
        if resource.parent is not None:
            assert resource.parent.resource in resources.items
        if resource.list:
            listed = operation_by_id(document, resource.list)
            query = {p["name"] for p in listed.get("parameters", []) if p["in"] == "query"}
            assert set(resource.filters) <= query
