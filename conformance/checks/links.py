"""Stateful sequences through the contracts' OpenAPI links, with schemathesis's state machine:
the id a create returns is used by the operations its links name."""

from __future__ import annotations

from typing import Any

from schemathesis import Case, Response

from conformance.checks.common import fixed_parameters, judge, load_schema, run_machine
from conformance.findings import Results
from conformance.profiles import Profile
from conformance.target import Target

__all__ = ["run_links"]

CHECK = "links"


def run_links(target: Target, results: Results, profile: Profile) -> None:
    """Schemathesis' state machine over the links, sent and judged like every other call."""
    schema = load_schema(target)
    base = schema.as_state_machine()

    class LinkedMachine(base):  # type: ignore[misc, valid-type]
        """Real ids, the run's credentials and transport, this suite's judgement."""

        def before_call(self, case: Case) -> None:
            """Pin path parameters the run was given."""
            case.path_parameters = fixed_parameters(target, case.path_parameters)

        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            """Send through the run's transport with its credentials."""
            return {"base_url": target.base_url, "session": target.session,
                    "headers": target.auth_headers(case.operation.definition.raw),
                    "timeout": target.options.timeout}

        def validate_response(self, response: Response, case: Case,
                              additional_checks: Any = None, **kwargs: Any) -> None:
            """Judge as every family does, instead of schemathesis' defaults."""
            judge(target, results, CHECK, case, response,
                  target.auth_headers(case.operation.definition.raw))

    run_machine(LinkedMachine, profile.link_runs, profile.link_steps, target.options.seed)
