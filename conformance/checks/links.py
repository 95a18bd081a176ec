"""Stateful sequences through the contracts' OpenAPI links, with schemathesis's state machine:
the id a create returns is used by the operations its links name."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from conformance.checks.common import fixed_parameters, judge, load_schema
from conformance.findings import Results
from conformance.profiles import Profile
from conformance.target import Target

CHECK = "links"


def run_links(target: Target, results: Results, profile: Profile) -> None:
    schema = load_schema(target)
    base = schema.as_state_machine()

    class LinkedMachine(base):  # type: ignore[misc, valid-type]
        def before_call(self, case: Any) -> None:
            case.path_parameters = fixed_parameters(target, case.path_parameters)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": target.base_url, "session": target.session,
                    "headers": target.auth_headers(case.operation.definition.raw),
                    "timeout": target.options.timeout}

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None,
                              **kwargs: Any) -> None:
            judge(target, results, CHECK, case, response,
                  target.auth_headers(case.operation.definition.raw))

    run_state_machine_as_test(LinkedMachine, settings=settings(
        max_examples=profile.link_runs, stateful_step_count=profile.link_steps, deadline=None,
        database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck)))
