"""What every check family shares: the schemathesis view of the contract, sending a case with the
run's credentials and fixed ids, and judging one response against the contract."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import hypothesis
import jsonschema_rs
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, get_state_machine_test
from schemathesis import APIOperation, BaseSchema, Case, CheckFunction, Response
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core import NotSet
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.transport.serialization import Binary

import contracts
from conformance.findings import Results
from conformance.target import Target, TargetError, json_or_none
from contracts.body_rules import subset_problems

__all__ = ["HTTP_LAYER_REFUSALS", "REFUSED", "REJECTION_STATUSES", "RESPONSE_CHECKS", "SUCCESSES",
           "body_of", "breaks_contract", "draw", "fixed_parameters", "judge", "load_schema",
           "operations_by_id", "run_machine", "send"]

RESPONSE_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
                   response_headers_conformance, response_schema_conformance]
HTTP_LAYER_REFUSALS = (414, 431)  # URI Too Long, Request Header Fields Too Large
REFUSED = "answers 401/403"
SUCCESSES = "documented successes"
REJECTION_STATUSES = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422"]


def load_schema(target: Target) -> BaseSchema:
    """The contract as schemathesis sees it, its rejection checks set to this suite's rules."""
    config = schemathesis.Config.from_dict({"checks": {
        "negative_data_rejection": {"expected-statuses": REJECTION_STATUSES},
        "positive_data_acceptance": {"expected-statuses": ["2XX"]},
    }})
    schema = schemathesis.openapi.from_path(contracts.path(target.options.contract), config=config)
    schema.config.update(base_url=target.base_url)
    return schema


def run_machine(machine: type[RuleBasedStateMachine], runs: int, steps: int, seed: int) -> None:
    """Run a state machine with the run's seed, so that a finding can be replayed exactly."""
    test = get_state_machine_test(machine, settings=settings(
        max_examples=runs, stateful_step_count=steps, deadline=None, database=None,
        phases=[Phase.generate], suppress_health_check=list(HealthCheck)))
    hypothesis.seed(seed)(test)()


def operations_by_id(schema: BaseSchema) -> dict[str, APIOperation]:
    """operationId -> schemathesis operation."""
    found = {}
    for result in schema.get_all_operations():
        if isinstance(result, Ok):
            operation = result.ok()
            found[operation.definition.raw["operationId"]] = operation
    return found


def fixed_parameters(target: Target, path_parameters: dict[str, Any] | None) -> dict[str, Any]:
    """Path parameters with the ids the run was given put in place of generated ones."""
    values = dict(path_parameters or {})
    for name, value in target.parameters.items():
        if name in values:
            values[name] = value
    return values


def send(target: Target, case: Case, headers: dict[str, str]) -> Response | None:
    """Send a case; None when the generated input is something HTTP cannot carry."""
    try:
        response = case.call(base_url=target.base_url, session=target.session, headers=headers,
                             timeout=target.options.timeout)
    except requests.ConnectionError as error:
        raise TargetError(f"cannot reach {target.base_url}: {error}") from error
    except (requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL, ValueError):
        return None
    if response.status_code in HTTP_LAYER_REFUSALS:
        return None  # the HTTP server refused a URL or headers too large to carry
    return response


def judge(target: Target, results: Results, check: str, case: Case,
          response: Response | requests.Response, headers: dict[str, str],
          checks: list[CheckFunction] | None = None) -> bool:
    """Record whether one response keeps the contract; False if it broke it, or if it is the
    server throttling (429/503 after every retry), which no check judges."""
    if target.session.throttled(response):
        results.throttle(check, case.operation.label)
        return False
    if response.status_code in (401, 403) and headers:
        results.did(check, REFUSED)
    try:
        case.validate_response(response, checks=checks or RESPONSE_CHECKS, headers=headers,
                               transport_kwargs={"base_url": target.base_url})
    except FailureGroup as group:
        for failure in group.exceptions:
            names = getattr(failure, "checks", ()) or ("custom",)
            results.failed(check, case.operation.label, f"{names[0]}: {failure.title}",
                           target.mask(failure.message or failure.title),
                           target.exchange(response))
        return False
    schema = target.response_schema(case.operation.definition.raw["operationId"],
                                    response.status_code)
    contained = subset_problems(schema, json_or_none(response)) if schema else []
    if contained:
        results.failed(check, case.operation.label, "documented containment between fields "
                       "holds (x-subsets)", contained[0], target.exchange(response))
        return False
    results.passed(check, case.operation.label)
    if 200 <= response.status_code < 300:
        results.did(check, SUCCESSES)
    return True


def body_of(case: Case) -> Any:
    """The request body as runtime expressions see it (multipart: the non-file fields)."""
    body = case.body
    if isinstance(body, NotSet):
        return None
    if isinstance(body, dict) and case.media_type == "multipart/form-data":
        return {key: value for key, value in body.items()
                if not isinstance(value, bytes | list)}
    return body


def breaks_contract(target: Target, case: Case, response: Response | None = None) -> bool:
    """Whether the request a case sent is really invalid, judged from the wire when the
    response is given (its query string as sent).

    A negative case can be invalid only in ways that do not reach the wire as such: a removed
    security header that the run's credentials put back, an unknown extra query parameter (which
    APIs ignore), a value whose URL form is valid ("true" for a boolean), or a nested object that
    flattens into valid query text. Judging those as invalid would report conforming servers.
    """
    raw = target.operations()[case.operation.definition.raw["operationId"]][2]
    declared = {(p["in"], p["name"]): p for p in raw.get("parameters", [])}
    query: dict[str, Any] = dict(case.query or {})
    if response is not None and response.request.url:
        sent_query = parse_qs(urlsplit(response.request.url).query, keep_blank_values=True)
        query = {name: values[0] if len(values) == 1 else values
                 for name, values in sent_query.items()}
    sent = {"path": case.path_parameters or {}, "query": query,
            "header": {k.lower(): v for k, v in (case.headers or {}).items()}}
    for (location, name), parameter in declared.items():
        values = sent.get(location)
        if values is None:
            continue
        key = name.lower() if location == "header" else name
        if key not in values:
            if parameter.get("required"):
                return True
            continue
        schema = parameter.get("schema", {})
        value = values[key]
        if isinstance(value, list | tuple) and schema.get("type") != "array":
            # A scalar sent several times: servers read the first or the last; valid if any is.
            if not any(_valid(schema, _as_sent(item, schema)) for item in value):
                return True
        elif not _valid(schema, _as_sent(value, schema)):
            return True
    content = raw.get("requestBody", {}).get("content", {})
    body = case.body
    if isinstance(body, NotSet):
        return bool(raw.get("requestBody", {}).get("required"))
    media = content.get(case.media_type or "application/json")
    if media is None:
        return True
    if case.media_type == "multipart/form-data":
        body = _as_text_form(body)
    return not _valid(media.get("schema", {}), body)


def _as_text_form(value: Any) -> Any:
    """A multipart body as its schema sees it: uploaded bytes count as the (binary) string."""
    if isinstance(value, bytes | Binary):
        return ""
    if isinstance(value, dict):
        return {key: _as_text_form(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_as_text_form(item) for item in value]
    return value


def _valid(schema: dict[str, Any], value: Any) -> bool:
    try:
        return bool(jsonschema_rs.validator_for(schema).is_valid(value))
    except (TypeError, ValueError):  # bytes or other values JSON cannot hold
        return False


def _as_sent(value: Any, schema: dict[str, Any]) -> Any:
    """A parameter value as the server reads it from its URL or header text."""
    kind = schema.get("type")
    if isinstance(value, list):
        return [_as_sent(item, schema.get("items", {})) for item in value] \
            if kind == "array" else value
    text = value if isinstance(value, str) else json.dumps(value)
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
        if kind == "boolean" and text in ("true", "false"):
            return text == "true"
    except ValueError:
        return value
    return text if kind == "string" else value


def draw(strategy: st.SearchStrategy[Case], seed: int) -> Case:
    """One case from a strategy, the same for the same seed (a finding must replay)."""
    drawn: list[Case] = []

    @hypothesis.seed(seed)
    @settings(max_examples=1, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def pick(data: st.DataObject) -> None:
        """Draw once, inside hypothesis, so that its seed applies."""
        drawn.append(data.draw(strategy))

    pick()
    return drawn[0]
