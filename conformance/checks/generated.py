"""Per-operation checks with schemathesis: the documented examples, then generated valid and
invalid input, each response judged against the contract.

The check sets are curated so that a conforming implementation produces no failure; the classes
of false positive this avoids are listed in docs/false-positives.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, CheckFunction, Response
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from conformance.checks.common import (
    RESPONSE_CHECKS,
    breaks_contract,
    fixed_parameters,
    judge,
    load_schema,
    operations_by_id,
    send,
)
from conformance.checks.defects import run_defects, valid_base
from conformance.findings import Results
from conformance.profiles import Profile
from conformance.target import Target

__all__ = ["REJECTED", "draw", "request_examples", "run_examples", "run_generated"]

REJECTED = "invalid requests rejected"


def run_examples(target: Target, results: Results, profile: Profile) -> None:
    """Every documented request example is sent; one the server knows all ids for must succeed."""
    schema = load_schema(target)
    for operation in operations_by_id(schema).values():
        examples = request_examples(target, operation)
        if not examples:
            results.skipped("examples", operation.label, "the contract has no request example")
            continue
        checks = list(RESPONSE_CHECKS)
        if _all_ids_known(target, operation):
            checks.append(positive_data_acceptance)
        for media_type, value in examples:
            positive = operation.as_strategy(generation_mode=schemathesis.GenerationMode.POSITIVE)
            base = draw(positive, target.options.seed)
            case = operation.Case(path_parameters=fixed_parameters(target, base.path_parameters),
                                  query=base.query, body=value, media_type=media_type)
            response = _call_and_judge(target, results, "examples", operation, case, checks)
            if response is not None and response.status_code not in (401, 403, 429, 503):
                results.did("examples", "examples answered")


def request_examples(target: Target, operation: APIOperation) -> list[tuple[str, Any]]:
    """(media type, value) of every request body example, wherever the contract puts it: the
    media type's `example` or `examples`, or the body schema's `example` or `examples`, with
    every `$ref` on the way resolved."""
    raw = target.operations()[operation.definition.raw["operationId"]][2]
    found: list[tuple[str, Any]] = []
    for media, spec in raw.get("requestBody", {}).get("content", {}).items():
        values = [example["value"] for example in spec.get("examples", {}).values()
                  if isinstance(example, dict) and "value" in example]
        schema = spec.get("schema", {})
        values += [spec["example"]] if "example" in spec else []
        values += [schema["example"]] if "example" in schema else []
        values += list(schema.get("examples", []))
        found += [(media, value) for value in values]
    return found


def run_generated(target: Target, results: Results, profile: Profile, mode: str) -> None:
    """Generated valid (`positive`) or invalid (`negative`) input for every operation."""
    schema = load_schema(target)
    negative = mode == "negative"
    generation = schemathesis.GenerationMode.NEGATIVE if negative else \
        schemathesis.GenerationMode.POSITIVE
    checks = [*RESPONSE_CHECKS, negative_data_rejection] if negative else list(RESPONSE_CHECKS)
    count = profile.negative_per_operation if negative else profile.examples_per_operation
    for operation in operations_by_id(schema).values():
        raw = operation.definition.raw
        if negative:
            examples = request_examples(target, operation)
            positive = schemathesis.GenerationMode.POSITIVE
            drawn = draw(operation.as_strategy(generation_mode=positive), target.options.seed)
            run_defects(target, results, mode, operation,
                        valid_base(target, operation, examples[0] if examples else None, drawn))
        if negative and "multipart/form-data" in raw.get("requestBody", {}).get("content", {}):
            results.skipped(mode, operation.label, "multipart bodies: an invalid array of files is "
                            "sent byte-identical to a valid one (false positive)")
            continue
        strategy = operation.as_strategy(generation_mode=generation)
        explore = _explorer(target, results, mode, operation, strategy, checks, count, negative)
        try:
            explore()
        except (hypothesis.errors.Unsatisfiable, hypothesis.errors.FailedHealthCheck) as error:
            results.skipped(mode, operation.label, f"no input could be generated: {error}")


def _explorer(target: Target, results: Results, mode: str, operation: APIOperation,
              strategy: st.SearchStrategy[Case], checks: list[CheckFunction], count: int,
              negative: bool) -> Callable[[], None]:
    @hypothesis.seed(target.options.seed)
    @settings(max_examples=count, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def explore(case: Case) -> None:
        """One generated case, judged by what it really sends."""
        if not negative:
            case.path_parameters = fixed_parameters(target, case.path_parameters)
            _call_and_judge(target, results, mode, operation, case, checks)
            return
        headers = target.auth_headers(operation.definition.raw)
        response = send(target, case, headers)
        if response is None:
            results.skipped(mode, operation.label, "generated input that HTTP cannot carry")
        elif breaks_contract(target, case, response):
            judge(target, results, mode, case, response, headers, checks)
            if 400 <= response.status_code < 500:
                results.did(mode, REJECTED)
        else:
            judge(target, results, mode, case, response, headers, RESPONSE_CHECKS)

    return explore


def _call_and_judge(target: Target, results: Results, check: str, operation: APIOperation,
                    case: Case, checks: list[CheckFunction]) -> Response | None:
    headers = target.auth_headers(operation.definition.raw)
    response = send(target, case, headers)
    if response is None:
        results.skipped(check, operation.label, "generated input that HTTP cannot carry")
        return None
    judge(target, results, check, case, response, headers, checks)
    return response


def _all_ids_known(target: Target, operation: APIOperation) -> bool:
    return all(p.name in target.parameters for p in operation.path_parameters)


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
