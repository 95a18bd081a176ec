"""Stateful sequences through the contracts' OpenAPI links, with schemathesis's state machine:
the id a create returns is used by the operations its links name."""

from __future__ import annotations

from typing import Any

from conformance.checks.common import fixed_parameters, judge, load_schema, run_machine
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

    run_machine(LinkedMachine, profile.link_runs, profile.link_steps, target.options.seed)
