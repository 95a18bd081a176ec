"""`contracts diff`: each rule proven on a shipped contract changed one way at a time, in both
directions where the reverse is a rule of its own; the command's formats, `--fail-on`, `--base`
against a real git repository, and bad input answered as usage errors."""

from __future__ import annotations

import copy
import json
import random
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import contracts
from contracts.changes import RULES
from contracts.cli import main
from contracts.diff import diff
from contracts.diff_report import fails, render

FUR_TRIGGER = "/api/v1/workflow-builder/workflows/{workflow_id}/executions"
FUR_POLL = "/api/v1/workflow-builder/workflows/{workflow_id}/executions/{execution_id}"
PHI_TRIGGER = "/api/v1/ai/trigger/{workspace_id}/{trigger_id}/{environment}"
PHI_STATUS = "/api/v1/ai/trigger/status/{workspace_id}/{workflow_id}"
POLL_200 = f"paths.{FUR_POLL}.get.responses.200"
TRIGGER_BODY = f"paths.{FUR_TRIGGER}.post.requestBody.multipart/form-data"
LIMIT = "paths./chats.get.parameters.query.limit"

Doc = dict[str, Any]


def poll(doc: Doc) -> Doc:
    """Further's poll response schema."""
    return doc["paths"][FUR_POLL]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"]


def trigger(doc: Doc) -> Doc:
    """Further's multipart trigger body schema."""
    return doc["paths"][FUR_TRIGGER]["post"]["requestBody"]["content"]["multipart/form-data"][
        "schema"]


def param(doc: Doc, name: str) -> Doc:
    """One of Futurity's listChats query parameters."""
    return next(p for p in doc["paths"]["/chats"]["get"]["parameters"] if p["name"] == name)


def lifecycle(doc: Doc) -> Doc:
    return doc["x-lifecycles"]["execution"]


@dataclass
class Case:
    """NEW is the shipped contract (after `prepare`, if any) changed by `mutate`; the diff must
    be exactly `rule` at `place` with `says` in its message, and the diff back exactly
    `reverse` (where the way back is a rule of its own)."""

    id: str
    contract: str
    mutate: Callable[[Doc], Any]
    rule: str
    place: str
    says: str
    reverse: str | None = None
    prepare: Callable[[Doc], Any] | None = None


def _set(target: Callable[[Doc], Doc], key: str, value: Any) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        target(doc)[key] = value
    return apply


def _del(target: Callable[[Doc], Any], key: Any) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        del target(doc)[key]
    return apply


def _add_terminal(state: str) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        lifecycle(doc)["states"].append(state)
        lifecycle(doc)["terminal"].append(state)
        lifecycle(doc)["transitions"]["running"].append(state)
    return apply


def _rename_success(doc: Doc) -> None:
    body = lifecycle(doc)
    body["states"] = ["running", "succeeded", "failed"]
    body["terminal"] = ["succeeded", "failed"]
    body["success"] = "succeeded"
    body["transitions"] = {"running": ["succeeded", "failed"]}


def _no_longer_terminal(doc: Doc) -> None:
    lifecycle(doc)["terminal"].remove("failed")


def _anyof_limit(doc: Doc) -> None:
    param(doc, "limit")["schema"] = {"anyOf": [{"type": "integer"}]}


def _extra_scheme(doc: Doc) -> None:
    doc["components"]["securitySchemes"]["apiKey"] = {"type": "apiKey", "in": "header",
                                                     "name": "X-Key"}


CASES = [
    Case("path", "further", _del(lambda d: d["paths"], FUR_POLL), "path-removed",
         f"paths.{FUR_POLL}", "path removed", "path-added"),
    Case("operation", "futurity", _del(lambda d: d["paths"]["/chats"], "post"),
         "operation-removed", "paths./chats.post", "operation removed", "operation-added"),
    Case("operation-id", "further", _set(lambda d: d["paths"][FUR_POLL]["get"], "operationId",
                                         "readExecution"),
         "operation-id-changed", f"paths.{FUR_POLL}.get", "'readExecution'",
         "operation-id-changed"),
    Case("optional-parameter", "futurity",
         lambda d: d["paths"]["/chats"]["get"]["parameters"].remove(param(d, "archived")),
         "parameter-removed", "paths./chats.get.parameters", "query parameter 'archived' removed",
         "parameter-added"),
    Case("required-parameter", "further",
         lambda d: d["paths"][FUR_POLL]["get"]["parameters"].append(
             {"name": "tenant", "in": "query", "required": True, "schema": {"type": "string"}}),
         "required-parameter-added", f"paths.{FUR_POLL}.get.parameters",
         "required query parameter 'tenant' added", "parameter-removed"),
    Case("parameter-required", "futurity", _set(lambda d: param(d, "limit"), "required", True),
         "parameter-became-required", "paths./chats.get.parameters",
         "query parameter 'limit' became required", "parameter-became-optional"),
    Case("parameter-location", "futurity", _set(lambda d: param(d, "limit"), "in", "header"),
         "parameter-location-changed", "paths./chats.get.parameters",
         "'limit' moved from query to header", "parameter-location-changed"),
    Case("parameter-type", "futurity", _set(lambda d: param(d, "limit")["schema"], "type",
                                            "string"),
         "request-type-changed", LIMIT, "type integer became string", "request-type-changed"),
    Case("parameter-type-widened", "futurity",
         _set(lambda d: param(d, "limit")["schema"], "type", ["integer", "string"]),
         "request-type-widened", LIMIT, "integer|string", "request-type-narrowed"),
    Case("parameter-enum", "phinite",
         lambda d: next(p for p in d["paths"][PHI_TRIGGER]["post"]["parameters"]
                        if p["name"] == "environment")["schema"]["enum"].append("QA"),
         "request-enum-value-added", f"paths.{PHI_TRIGGER}.post.parameters.path.environment",
         "enum value 'QA' added", "request-enum-value-removed"),
    Case("parameter-enum-restricted", "futurity",
         _set(lambda d: param(d, "limit")["schema"], "enum", [10, 20]),
         "request-enum-restricted", LIMIT, "[10, 20]", "request-enum-unrestricted"),
    Case("parameter-format", "futurity",
         _set(lambda d: param(d, "limit")["schema"], "format", "int32"),
         "request-format-added", LIMIT, "'int32' added", "request-format-removed"),
    Case("parameter-format-changed", "futurity",
         _set(lambda d: param(d, "limit")["schema"], "format", "int64"),
         "request-format-changed", LIMIT, "'int32' became 'int64'", "request-format-changed",
         prepare=_set(lambda d: param(d, "limit")["schema"], "format", "int32")),
    Case("parameter-alternative", "futurity",
         lambda d: param(d, "limit")["schema"]["anyOf"].append({"type": "string"}),
         "request-alternative-added", LIMIT, "anyOf alternative 1 added",
         "request-alternative-removed", prepare=_anyof_limit),
    Case("request-body", "futurity", _del(lambda d: d["paths"]["/chats"]["post"], "requestBody"),
         "request-body-removed", "paths./chats.post.requestBody", "request body removed",
         "required-request-body-added"),
    Case("optional-request-body", "futurity",
         _del(lambda d: d["paths"]["/chats"]["post"], "requestBody"),
         "request-body-removed", "paths./chats.post.requestBody", "request body removed",
         "request-body-added",
         prepare=_set(lambda d: d["paths"]["/chats"]["post"]["requestBody"], "required", False)),
    Case("request-body-required", "futurity",
         _set(lambda d: d["paths"]["/chats"]["post"]["requestBody"], "required", False),
         "request-body-became-optional", "paths./chats.post.requestBody",
         "no longer required", "request-body-became-required"),
    Case("request-media-type", "further",
         lambda d: d["paths"][FUR_TRIGGER]["post"]["requestBody"]["content"].update(
             {"application/json": {"schema": {"type": "object"}}}),
         "request-media-type-added", f"paths.{FUR_TRIGGER}.post.requestBody",
         "'application/json' added", "request-media-type-removed"),
    Case("request-property", "further", _del(lambda d: trigger(d)["properties"], "metadata"),
         "request-property-removed", TRIGGER_BODY, "property 'metadata' removed",
         "request-property-added"),
    Case("request-required-property", "further",
         lambda d: (trigger(d)["properties"].update({"tag": {"type": "string"}}),
                    trigger(d)["required"].append("tag")),
         "request-required-property-added", TRIGGER_BODY, "required property 'tag' added",
         "request-property-removed"),
    Case("request-property-required", "further",
         lambda d: trigger(d)["required"].append("metadata"),
         "request-property-became-required", TRIGGER_BODY,
         "property 'metadata' became required", "request-property-became-optional"),
    Case("request-type-narrowed", "further",
         _set(lambda d: trigger(d)["properties"]["metadata"], "type", "object"),
         "request-type-narrowed", f"{TRIGGER_BODY}.metadata", "object|string became object",
         "request-type-widened",
         prepare=_set(lambda d: trigger(d)["properties"]["metadata"], "type",
                      ["object", "string"])),
    Case("status", "further", _del(lambda d: d["paths"][FUR_POLL]["get"]["responses"], "429"),
         "response-status-removed", f"paths.{FUR_POLL}.get.responses", "status 429 removed",
         "response-status-added"),
    Case("success-status", "further",
         _del(lambda d: d["paths"][FUR_POLL]["get"]["responses"], "200"),
         "response-success-status-removed", f"paths.{FUR_POLL}.get.responses",
         "status 200 removed", "response-success-status-added"),
    Case("response-media-type", "further",
         lambda d: d["paths"][FUR_POLL]["get"]["responses"]["200"]["content"].update(
             {"text/plain": {"schema": {"type": "string"}}}),
         "response-media-type-added", POLL_200, "'text/plain' added",
         "response-media-type-removed"),
    Case("response-property", "further", _del(lambda d: poll(d)["properties"], "steps"),
         "response-property-removed", POLL_200, "property 'steps' removed",
         "response-property-added"),
    Case("response-required-property", "further",
         lambda d: (poll(d)["properties"].update({"trace": {"type": "string"}}),
                    poll(d)["required"].append("trace")),
         "response-required-property-added", POLL_200, "required property 'trace' added",
         "response-property-removed"),
    Case("response-property-required", "further", lambda d: poll(d)["required"].append("steps"),
         "response-property-became-required", POLL_200, "property 'steps' became required",
         "response-property-became-optional"),
    Case("response-enum", "further",
         lambda d: poll(d)["properties"]["status"]["enum"].append("queued"),
         "response-enum-value-added", f"{POLL_200}.status", "enum value 'queued' added",
         "response-enum-value-removed"),
    Case("response-enum-dropped", "further", _del(lambda d: poll(d)["properties"]["status"],
                                                  "enum"),
         "response-enum-unrestricted", f"{POLL_200}.status", "no longer limited",
         "response-enum-restricted"),
    Case("response-type-widened", "further",
         _set(lambda d: poll(d)["properties"]["steps"], "type", ["array", "null"]),
         "response-type-widened", f"{POLL_200}.steps", "array became array|null",
         "response-type-narrowed"),
    Case("response-type", "further",
         _set(lambda d: poll(d)["properties"]["workflow_id"], "type", "integer"),
         "response-type-changed", f"{POLL_200}.workflow_id", "string became integer",
         "response-type-changed"),
    Case("response-format", "further",
         _set(lambda d: poll(d)["properties"]["workflow_execution_id"], "format", "uuid"),
         "response-format-added", f"{POLL_200}.workflow_execution_id", "'uuid' added",
         "response-format-removed"),
    Case("response-format-changed", "further",
         _set(lambda d: poll(d)["properties"]["workflow_execution_id"], "format", "uri"),
         "response-format-changed", f"{POLL_200}.workflow_execution_id", "'uuid' became 'uri'",
         "response-format-changed",
         prepare=_set(lambda d: poll(d)["properties"]["workflow_execution_id"], "format",
                      "uuid")),
    Case("response-alternative", "phinite",
         lambda d: d["paths"][PHI_STATUS]["get"]["responses"]["200"]["content"][
             "application/json"]["schema"]["properties"]["response"]["anyOf"].pop(),
         "response-alternative-removed", f"paths.{PHI_STATUS}.get.responses.200.response",
         "anyOf alternative 2 removed", "response-alternative-added"),
    Case("nested-response-property", "further",
         _del(lambda d: poll(d)["properties"]["steps"]["items"]["properties"], "step_type"),
         "response-property-removed", f"{POLL_200}.steps[]", "property 'step_type' removed",
         "response-property-added"),
    Case("accumulating", "further", _del(lambda d: poll(d)["properties"]["steps"],
                                         "x-accumulating"),
         "accumulating-removed", f"{POLL_200}.steps", "x-accumulating removed",
         "accumulating-added"),
    Case("accumulating-changed", "further",
         _set(lambda d: poll(d)["properties"]["steps"], "x-accumulating", {"key": "step_name"}),
         "accumulating-changed", f"{POLL_200}.steps", "'key': 'step_name'",
         "accumulating-changed"),
    Case("subsets", "further",
         lambda d: poll(d)["properties"]["steps"]["items"]["x-subsets"].pop(),
         "subset-removed", f"{POLL_200}.steps[]", "'items': 'a'", "subset-added",
         prepare=_set(lambda d: poll(d)["properties"]["steps"]["items"], "x-subsets",
                      [{"items": "b", "of": "c"}, {"items": "a", "of": "c"}])),
    Case("security-scheme", "further", _extra_scheme, "security-scheme-added",
         "components.securitySchemes.apiKey", "security scheme added",
         "security-scheme-removed"),
    Case("security-scheme-changed", "futurity",
         _set(lambda d: d["components"]["securitySchemes"]["bearerAuth"], "scheme", "basic"),
         "security-scheme-changed", "components.securitySchemes.bearerAuth",
         "'bearer' became 'basic'", "security-scheme-changed"),
    Case("token-url", "further",
         _set(lambda d: d["components"]["securitySchemes"]["clientCredentials"]["flows"][
             "clientCredentials"], "tokenUrl", "/oauth/token"),
         "security-scheme-changed", "components.securitySchemes.clientCredentials.flows."
         "clientCredentials", "'/oauth/token'", "security-scheme-changed"),
    Case("security-requirement", "futurity",
         _set(lambda d: d["paths"]["/whoami"]["get"], "security", [{"bearerAuth": []}, {}]),
         "security-requirement-added", "paths./whoami.get.security",
         "no credentials now accepted", "security-requirement-removed"),
    Case("server", "further", lambda d: d["servers"].append({"url": "https://eu.further.ai"}),
         "server-added", "servers", "'https://eu.further.ai' added", "server-removed"),
    Case("webhook", "further", _del(lambda d: d["webhooks"], "executionFinished"),
         "webhook-removed", "webhooks.executionFinished", "webhook removed", "webhook-added"),
    Case("webhook-payload", "further",
         _del(lambda d: d["webhooks"]["executionFinished"]["post"]["requestBody"]["content"][
             "application/json"]["schema"]["properties"], "error"),
         "response-property-removed", "webhooks.executionFinished.post.requestBody",
         "property 'error' removed", "response-property-added"),
    Case("lifecycle", "phinite", _del(lambda d: d["x-lifecycles"], "task"),
         "lifecycle-removed", "x-lifecycles.task", "lifecycle removed", "lifecycle-added"),
    Case("lifecycle-state", "further",
         lambda d: (lifecycle(d)["states"].append("queued"),
                    lifecycle(d)["transitions"].update({"queued": ["running"]})),
         "lifecycle-state-added", "x-lifecycles.execution.states", "state 'queued' added",
         "lifecycle-state-removed"),
    Case("lifecycle-terminal-state", "further", _add_terminal("expired"),
         "lifecycle-state-added", "x-lifecycles.execution.states", "state 'expired' added",
         "lifecycle-terminal-state-removed"),
    Case("lifecycle-terminal-renamed", "further", _rename_success,
         "lifecycle-terminal-state-renamed", "x-lifecycles.execution.terminal",
         "'completed' renamed to 'succeeded'", "lifecycle-terminal-state-renamed"),
    Case("lifecycle-terminal", "further", _no_longer_terminal,
         "lifecycle-state-no-longer-terminal", "x-lifecycles.execution.terminal",
         "'failed' is no longer terminal", None),
    Case("lifecycle-became-terminal", "further",
         lambda d: (lifecycle(d)["terminal"].append("failed"),
                    lifecycle(d)["transitions"].pop("failed")),
         "lifecycle-state-became-terminal", "x-lifecycles.execution.terminal",
         "'failed' became terminal", "lifecycle-state-no-longer-terminal",
         prepare=lambda d: (lifecycle(d)["terminal"].remove("failed"),
                            lifecycle(d)["transitions"].update({"failed": []}))),
    Case("lifecycle-initial", "further", _set(lifecycle, "initial", "completed"),
         "lifecycle-initial-state-changed", "x-lifecycles.execution.initial",
         "runs start 'completed'", "lifecycle-initial-state-changed"),
    Case("lifecycle-transition", "further",
         lambda d: lifecycle(d)["transitions"]["running"].remove("failed"),
         "lifecycle-transition-removed", "x-lifecycles.execution.transitions.running",
         "'running' may no longer move to 'failed'", "lifecycle-transition-added"),
    Case("lifecycle-operation", "further", _set(lifecycle, "poll", "readExecution"),
         "lifecycle-operation-changed", "x-lifecycles.execution.poll",
         "'getWorkflowExecution' became 'readExecution'", "lifecycle-operation-changed"),
    Case("webhook-trigger", "further", _del(lambda d: lifecycle(d)["webhooks"]["when"],
                                            "failed"),
         "webhook-trigger-removed", "x-lifecycles.execution.webhooks.when.failed",
         "entering 'failed' no longer sends 'executionFinished'", "webhook-trigger-added"),
    Case("webhook-signature", "further",
         _set(lambda d: lifecycle(d)["webhooks"]["signature"], "header", "X-Signature"),
         "webhook-signature-changed", "x-lifecycles.execution.webhooks.signature",
         "X-Signature", "webhook-signature-changed"),
    Case("token-lifetime", "further",
         _set(lambda d: d["components"]["securitySchemes"]["clientCredentials"],
              "x-token-lifetime-seconds", 1800),
         "token-lifetime-shortened", "components.securitySchemes.clientCredentials."
         "x-token-lifetime-seconds", "tokens live 1800s, not 3600s", "token-lifetime-lengthened"),
    Case("error-format", "further", _set(lambda d: d["x-error-format"]["validation"], "status",
                                         422),
         "error-format-changed", "x-error-format.validation", "422", "error-format-changed"),
    Case("operation-error-format", "further",
         _set(lambda d: d["paths"]["/api/v1/oauth2/access_token"]["post"]["x-error-format"],
              "body", {"error": "{code}"}),
         "error-format-changed",
         "paths./api/v1/oauth2/access_token.post.x-error-format.body", "{'error': '{code}'}",
         "error-format-changed"),
    Case("resource", "futurity", _del(lambda d: d["x-resources"]["items"], "dashboard"),
         "resource-removed", "x-resources.items.dashboard", "resource removed",
         "resource-added"),
    Case("resource-operation", "futurity",
         _del(lambda d: d["x-resources"]["items"]["chat"], "delete"),
         "resource-operation-removed", "x-resources.items.chat.delete",
         "delete by 'deleteChat' removed", "resource-operation-added"),
]


def _pair(case: Case) -> tuple[Doc, Doc]:
    old = contracts.load(case.contract)
    if case.prepare is not None:
        case.prepare(old)
    new = copy.deepcopy(old)
    case.mutate(new)
    return old, new


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_each_rule_is_reported_once_at_its_place(case: Case) -> None:
    old, new = _pair(case)
    changes = diff(old, new)
    assert [(c.rule, c.place) for c in changes] == [(case.rule, case.place)]
    assert case.says in changes[0].message
    if case.reverse is not None:
        assert [c.rule for c in diff(new, old)] == [case.reverse]


def test_every_rule_is_proven_by_a_case() -> None:
    proven = {case.rule for case in CASES} | {case.reverse for case in CASES if case.reverse}
    assert proven == set(RULES), f"unproven: {sorted(set(RULES) - proven)}"


@pytest.mark.parametrize("name", contracts.available())
def test_an_identical_contract_has_no_changes(name: str) -> None:
    assert diff(contracts.load(name), contracts.load(name)) == []


def test_documentation_alone_is_no_change() -> None:
    old = contracts.load("further")
    new = copy.deepcopy(old)
    poll(new)["properties"]["steps"]["description"] = "Rewritten."
    poll(new)["properties"]["steps"]["x-source"] = {"doc": "x.txt", "quote": "another"}
    assert diff(old, new) == []


def test_a_component_change_is_reported_where_each_use_is() -> None:
    raw = contracts.load("further", resolve=False)
    changed = copy.deepcopy(raw)
    del changed["components"]["schemas"]["Execution"]["properties"]["steps"]
    changes = diff(contracts.resolve_refs(raw), contracts.resolve_refs(changed))
    assert [(c.rule, c.place) for c in changes] == [
        ("response-property-removed", POLL_200),
        ("response-property-removed", "webhooks.executionFinished.post.requestBody")]


def test_the_direction_decides_who_an_enum_value_breaks() -> None:
    response = next(c for c in CASES if c.id == "response-enum")
    request = next(c for c in CASES if c.id == "parameter-enum")
    assert diff(*_pair(response))[0].kind == "breaking-client"
    assert diff(*_pair(request))[0].kind == "breaking-implementation"


def test_a_change_breaking_both_sides_fails_either_way() -> None:
    changes = diff(*_pair(next(c for c in CASES if c.id == "response-type")))
    assert changes[0].kind == "breaking-client"
    assert changes[0].breaks == ["client", "implementation"]
    assert fails(changes, "client") and fails(changes, "implementation")
    assert not fails(changes, "none")


def test_compatible_changes_fail_nothing() -> None:
    changes = diff(*_pair(next(c for c in CASES if c.id == "server")))
    assert [c.kind for c in changes] == ["compatible"]
    assert not any(fails(changes, mode) for mode in ("any", "client", "implementation"))


# --- the command ---------------------------------------------------------------------------

def _write(tmp_path: Path, name: str, document: Doc) -> str:
    file = tmp_path / name
    file.write_text(json.dumps(document), encoding="utf-8")  # JSON is YAML
    return str(file)


@pytest.fixture
def steps_removed(tmp_path: Path) -> str:
    new = contracts.load("further", resolve=False)
    del new["components"]["schemas"]["Execution"]["properties"]["steps"]
    return _write(tmp_path, "further-new.yaml", new)


@pytest.fixture
def state_added(tmp_path: Path) -> str:
    new = contracts.load("further", resolve=False)
    new["x-lifecycles"]["execution"]["states"].append("queued")
    return _write(tmp_path, "further-queued.yaml", new)


def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def test_the_command_prints_each_change_with_its_class_and_rule(steps_removed: str) -> None:
    result = invoke("diff", "further", steps_removed)
    assert result.exit_code == 1
    assert "2 change(s): 2 breaking-client" in result.output
    assert (f"breaking-client         response-property-removed  {POLL_200}: property 'steps' "
            "removed") in result.output


def test_json_output_lists_rule_class_place_and_sides(steps_removed: str) -> None:
    result = invoke("diff", "further", steps_removed, "--format", "json")
    report = json.loads(result.output)
    assert report["counts"] == {"breaking-client": 2, "breaking-implementation": 0,
                                "compatible": 0}
    assert report["changes"][0] == {"rule": "response-property-removed", "place": POLL_200,
                                    "message": "property 'steps' removed",
                                    "kind": "breaking-client", "breaks": ["client"]}


def test_markdown_output_has_a_table_per_class(steps_removed: str) -> None:
    result = invoke("diff", "further", steps_removed, "--format", "markdown")
    assert "#### breaking-client (2)" in result.output
    assert "#### breaking-implementation (0)" in result.output
    assert "#### compatible (0)" in result.output
    assert (f"| `response-property-removed` | `{POLL_200}` | property 'steps' removed | "
            "client |") in result.output


@pytest.mark.parametrize(("fail_on", "code"), [("any", 1), ("client", 1),
                                              ("implementation", 0), ("none", 0)])
def test_fail_on_chooses_which_breaks_fail(steps_removed: str, fail_on: str, code: int) -> None:
    assert invoke("diff", "further", steps_removed, "--fail-on", fail_on).exit_code == code


@pytest.mark.parametrize(("fail_on", "code"), [("client", 1), ("implementation", 0)])
def test_a_state_added_breaks_clients_only(state_added: str, fail_on: str, code: int) -> None:
    result = invoke("diff", "further", state_added, "--fail-on", fail_on)
    assert result.exit_code == code
    assert "lifecycle-state-added" in result.output


def test_no_changes_exit_zero() -> None:
    result = invoke("diff", "further", str(contracts.path("further")))
    assert result.exit_code == 0
    assert "no changes" in result.output


GIT = shutil.which("git")


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A git repository holding a contract at two commits: `HEAD~1` with `steps`, the work
    tree without."""
    assert GIT is not None, "git is needed for --base"
    root = tmp_path / "repo"
    (root / "contracts").mkdir(parents=True)
    file = root / "contracts" / "further.yaml"
    shutil.copy(contracts.path("further"), file)

    def git(*args: str) -> None:
        subprocess.run([GIT, "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t",
                        *args], check=True, capture_output=True, timeout=30)

    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "first")
    changed = contracts.load("further", resolve=False)
    del changed["components"]["schemas"]["Execution"]["properties"]["steps"]
    file.write_text(json.dumps(changed), encoding="utf-8")
    git("commit", "-qam", "second")
    return root


def test_base_compares_with_the_version_at_a_git_ref(repository: Path) -> None:
    file = str(repository / "contracts" / "further.yaml")
    result = invoke("diff", file, "--base", "HEAD~1")
    assert result.exit_code == 1, result.output
    assert "HEAD~1 -> " in result.output.replace(f"{file}@", "")
    assert f"{POLL_200}: property 'steps' removed" in result.output
    assert invoke("diff", file, "--base", "HEAD").exit_code == 0


@pytest.mark.parametrize(("args", "says"), [
    (["diff", "nosuch", "further"], "no contract named 'nosuch'"),
    (["diff", "further", "/nonexistent/contract.yaml"], "no contract named"),
    (["diff", "further"], "give OLD and NEW, or one contract and --base REF"),
    (["diff", "further", "futurity", "--base", "HEAD"], "give OLD and NEW"),
    (["diff", "further", "futurity", "--format", "html"], "'html' is not one of"),
    (["diff", "further", "futurity", "--fail-on", "all"], "'all' is not one of"),
])
def test_bad_arguments_are_usage_errors(args: list[str], says: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert says in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(("text", "says"), [
    ("paths: [unclosed", "not valid YAML"),
    ("- a list\n- not a mapping\n", "not an OpenAPI document"),
    ("paths: {}\ncomponents: {schemas: {A: {$ref: '#/components/schemas/B'}}}\n",
     "a $ref cannot be resolved"),
])
def test_a_malformed_file_is_a_usage_error(tmp_path: Path, text: str, says: str) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text(text, encoding="utf-8")
    result = invoke("diff", "further", str(file))
    assert result.exit_code == 2
    assert says in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("ref", "says"), [("no-such-ref", "no-such-ref:contracts/further.yaml"),
                                           ("--output=x", "is not a git ref")])
def test_an_unknown_ref_is_a_usage_error(repository: Path, ref: str, says: str) -> None:
    result = invoke("diff", str(repository / "contracts" / "further.yaml"), f"--base={ref}")
    assert result.exit_code == 2
    assert says in result.output
    assert "Traceback" not in result.output


def test_a_file_unknown_at_the_ref_is_a_usage_error(repository: Path) -> None:
    extra = repository / "contracts" / "new.yaml"
    shutil.copy(contracts.path("phinite"), extra)
    result = invoke("diff", str(extra), "--base", "HEAD")
    assert result.exit_code == 2
    assert "HEAD:contracts/new.yaml" in result.output


def test_a_file_outside_a_repository_is_a_usage_error(tmp_path: Path) -> None:
    file = tmp_path / "further.yaml"
    shutil.copy(contracts.path("further"), file)
    result = invoke("diff", str(file), "--base", "HEAD")
    assert result.exit_code == 2
    assert "HEAD:further.yaml" in result.output


def test_the_docs_table_lists_every_rule_with_its_class() -> None:
    page = (Path(__file__).parents[2] / "docs" / "when-the-vendor-changes.md").read_text(
        encoding="utf-8")
    rows = {}
    for line in page.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`") and cells[1] in (
                "breaking-client", "breaking-implementation", "compatible"):
            rows[cells[0].strip("`")] = cells[1]
    assert rows == {rule: entry.kind for rule, entry in RULES.items()}


def _places(node: Any, found: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    children = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, list) else []
    for key, value in children:
        found.append((node, key))
        _places(value, found)
    return found


@pytest.mark.parametrize("seed", range(4))
def test_a_contract_damaged_anywhere_is_compared_without_crashing(seed: int) -> None:
    """Half-written contracts are compared too: a value of the wrong kind anywhere reads as
    empty, never as an exception."""
    chance = random.Random(seed)
    junk: list[Any] = [None, 1, 2.5, True, "x", [], {}, [1, "a"], [{"a": 1}], {"a": [1]}]
    shipped = [contracts.load(name) for name in contracts.available()]
    for _ in range(80):
        damaged = copy.deepcopy(chance.choice(shipped))
        for _ in range(3):
            parent, key = chance.choice(_places(damaged, []))
            parent[key] = copy.deepcopy(chance.choice(junk))
        other = chance.choice(shipped)
        for old, new in ((other, damaged), (damaged, other)):
            for output in ("text", "json", "markdown"):
                assert isinstance(render(diff(old, new), output, "old", "new"), str)
