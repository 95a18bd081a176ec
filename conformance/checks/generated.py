"""Per-operation checks with schemathesis: generated valid and invalid input, each response
judged against the contract.

The check sets are curated so that a conforming implementation produces no failure; the classes
of false positive this avoids are listed in docs/false-positives.md.
"""

from __future__ import annotations

from collections.abc import Callable

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, CheckFunction, Response
from schemathesis.checks import negative_data_rejection

from conformance.checks.common import (
    RESPONSE_CHECKS,
    breaks_contract,
    draw,
    fixed_parameters,
    judge,
    load_schema,
    operations_by_id,
    send,
)
from conformance.checks.defects import run_defects, valid_base
from conformance.checks.examples import request_examples
from conformance.findings import Results
from conformance.profiles import Profile
from conformance.target import Target

__all__ = ["REJECTED", "run_generated"]

REJECTED = "invalid requests rejected"


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
