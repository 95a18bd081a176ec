"""Lifecycle invariants, as a hypothesis state machine over real HTTP, from `x-lifecycles`.

Runs are created with generated valid input and polled, several at once and interleaved, until
terminal. Every observation is held to the contract: the status is a declared state, every change
is an allowed transition, a terminal state never changes, the fields declared for the state are
there and the forbidden ones are not, the id and the echoed input stay those of the create call,
a list the contract says only grows (`x-accumulating`) loses and rewrites nothing from one poll to
the next, and an unknown id gets the documented error.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests
import schemathesis
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule
from schemathesis import APIOperation, Case, Response

import contracts
from conformance.checks.common import (
    body_of,
    fixed_parameters,
    judge,
    load_schema,
    operations_by_id,
    run_machine,
    send,
)
from conformance.checks.parents import parent_ids
from conformance.findings import Results
from conformance.profiles import Profile
from conformance.target import Target, json_or_none
from contracts import invariants, pointers
from contracts.body_rules import accumulation_problems
from contracts.extensions import Lifecycle

__all__ = ["Tracked", "json_copy", "run_lifecycles"]

CHECK = "lifecycle"
BACKOFF_START, BACKOFF_FACTOR, BACKOFF_CAP = 5.0, 1.5, 30.0  # the vendors' documented polling


@dataclass
class Tracked:
    """A run this machine created, and what it has seen of it."""

    id: str
    request: dict[str, Any]
    created_body: Any
    path: str
    seen: list[str] = field(default_factory=list)
    interval: float = BACKOFF_START
    finished: bool = False
    body: Any = None
    """The last body a poll answered, for the lists that only grow."""


def run_lifecycles(target: Target, results: Results, profile: Profile) -> None:
    """One state machine per `x-lifecycles` entry, on a real parent where one is needed."""
    operations = operations_by_id(load_schema(target))
    for lifecycle in target.extensions.lifecycles.values():
        target.parameters.update(parent_ids(target, operations[lifecycle.create], operations))
        machine = _machine(target, results, lifecycle, operations)
        run_machine(machine, profile.lifecycle_runs, profile.lifecycle_steps,
                    target.options.seed)


def _machine(target: Target, results: Results, lifecycle: Lifecycle,
             operations: dict[str, APIOperation]) -> type[RuleBasedStateMachine]:
    create_op = operations[lifecycle.create]
    poll_op = operations[lifecycle.poll]
    label = create_op.label
    link = contracts.link_parameters(target.document, lifecycle)
    outcomes = st.sampled_from([None, "completed", "failed"]) if target.options.fast_forward \
        else st.just(None)
    creates = create_op.as_strategy(generation_mode=schemathesis.GenerationMode.POSITIVE)
    sync_ops = [operations[op] for op in lifecycle.synchronous]
    poll_schema = target.response_schema(lifecycle.poll, 200) or {}

    class LifecycleMachine(RuleBasedStateMachine):
        """Runs created and polled in any interleaving, each observation held to the rules."""

        def __init__(self) -> None:
            super().__init__()
            self.runs: list[Tracked] = []

        @initialize(case=creates, outcome=outcomes)
        def first_run(self, case: Case, outcome: str | None) -> None:
            """Every sequence starts with a run, whichever rules it goes on to use."""
            self._create(case, outcome)

        @rule(case=creates, outcome=outcomes)
        def create(self, case: Case, outcome: str | None) -> None:
            """Another run, so that several are in flight at once."""
            self._create(case, outcome)

        def _create(self, case: Case, outcome: str | None) -> None:
            case.path_parameters = fixed_parameters(target, case.path_parameters)
            headers = dict(target.auth_headers(create_op.definition.raw))
            if outcome:
                headers["Prefer"] = f"outcome={outcome}"
            response = send(target, case, headers)
            if response is None or not judge(target, results, CHECK, case, response, headers):
                return
            if not 200 <= response.status_code < 300:
                return
            body = json_or_none(response)
            run_id = pointers.get(body, lifecycle.id.create, None)
            status = pointers.get(body, lifecycle.status.create, None)
            if not isinstance(run_id, str) or not run_id:
                results.failed(CHECK, label, "the create response carries the run's id",
                               f"no id at {lifecycle.id.create}", target.exchange(response))
                return
            if status not in lifecycle.states:
                results.failed(CHECK, label, "every status is a declared state",
                               f"created with status {status!r}; declared: {lifecycle.states}",
                               target.exchange(response))
                return
            request = {"path": dict(case.path_parameters or {}), "query": dict(case.query or {}),
                       "body": body_of(case)}
            path = _poll_path(poll_op, link, request, body)
            self.runs.append(Tracked(run_id, request, body, path, [status]))
            results.passed(CHECK, label)
            results.did(CHECK, "runs created")

        @precondition(lambda self: self.runs)
        @rule(index=st.integers(min_value=0))
        def poll(self, index: int) -> None:
            """Poll at once, as an impatient client would."""
            self._poll(self.runs[index % len(self.runs)])

        @precondition(lambda self: self.runs)
        @rule(index=st.integers(min_value=0))
        def wait_and_poll(self, index: int) -> None:
            """Poll after the documented backoff, so that runs move on."""
            run = self.runs[index % len(self.runs)]
            if run.seen[-1] not in lifecycle.terminal:
                target.wait(run.interval)
                run.interval = min(run.interval * BACKOFF_FACTOR, BACKOFF_CAP)
            self._poll(run)

        @precondition(lambda self: self.runs)
        @rule(index=st.integers(min_value=0))
        def poll_unknown(self, index: int) -> None:
            """An id never created must get the documented error."""
            run = self.runs[index % len(self.runs)]
            unknown = _poll_path(poll_op, link, run.request,
                                 _with(run.created_body, lifecycle.id.create, uuid.uuid4().hex))
            response = _authorized(target, "GET", unknown, poll_op)
            if response is None:
                return
            if 200 <= response.status_code < 300 or response.status_code >= 500:
                results.failed(CHECK, poll_op.label, "unknown ids get the documented error",
                               f"an id never created was answered {response.status_code}",
                               target.exchange(response))
                return
            case = poll_op.Case(path_parameters=_path_params(poll_op, unknown))
            judge(target, results, CHECK, case, response, {})

        @precondition(lambda self: self.runs and target.has_other_tenant())
        @rule(index=st.integers(min_value=0))
        def poll_as_another_tenant(self, index: int) -> None:
            """Another tenant must not read this run."""
            run = self.runs[index % len(self.runs)]
            headers = target.auth_headers(poll_op.definition.raw, tenant="other")
            response = target.request("GET", run.path, headers=headers)
            if 200 <= response.status_code < 300:
                results.failed(CHECK, poll_op.label, "one client never sees another's runs",
                               "another tenant's token read this run", target.exchange(response))

        @rule(data=st.data())
        def run_synchronously(self, data: st.DataObject) -> None:
            """Synchronous operations answer in a terminal state."""
            for sync_op in sync_ops:
                case = data.draw(sync_op.as_strategy(
                    generation_mode=schemathesis.GenerationMode.POSITIVE))
                case.path_parameters = fixed_parameters(target, case.path_parameters)
                headers = target.auth_headers(sync_op.definition.raw)
                response = send(target, case, headers)
                if response is None or not judge(target, results, CHECK, case, response, headers):
                    continue
                if 200 <= response.status_code < 300:
                    body = json_or_none(response)
                    status = pointers.get(body, lifecycle.status.poll, None)
                    if status not in lifecycle.terminal:
                        results.failed(CHECK, sync_op.label,
                                       "a synchronous run answers in a terminal state",
                                       f"answered {status!r}", target.exchange(response))
                        continue
                    request = {"path": dict(case.path_parameters or {}), "body": body_of(case)}
                    results.did(CHECK, "runs created")
                    results.did(CHECK, "runs finished")
                    _observe(target, results, lifecycle, sync_op.label, None, status, body,
                             request, response)

        def _poll(self, run: Tracked) -> None:
            response = _authorized(target, "GET", run.path, poll_op)
            if response is None:
                return
            case = poll_op.Case(path_parameters=_path_params(poll_op, run.path))
            if not judge(target, results, CHECK, case, response, {}):
                return
            if response.status_code != 200:
                results.failed(CHECK, poll_op.label, "a created run can be polled",
                               f"polling run {run.id} answered {response.status_code}",
                               target.exchange(response))
                return
            body = json_or_none(response)
            status = pointers.get(body, lifecycle.status.poll, None)
            if pointers.get(body, lifecycle.id.poll, None) != run.id:
                results.failed(CHECK, poll_op.label, "ids stay consistent between create and poll",
                               f"created {run.id!r}, polled "
                               f"{pointers.get(body, lifecycle.id.poll, None)!r}",
                               target.exchange(response))
            _observe(target, results, lifecycle, poll_op.label, run.seen[-1], status, body,
                     run.request, response)
            lost = accumulation_problems(poll_schema, run.body, body) if run.body else []
            if lost:
                results.failed(CHECK, poll_op.label, "a list documented to grow loses or rewrites "
                               "nothing between polls (x-accumulating)", lost[0],
                               target.exchange(response))
            run.body = body
            run.seen.append(status)
            if status in lifecycle.terminal and not run.finished:
                run.finished = True
                results.did(CHECK, "runs finished")

        def teardown(self) -> None:
            """Follow every run to its end, with the documented backoff, within the budget."""
            for run in self.runs:
                waited = 0.0
                while run.seen[-1] not in lifecycle.terminal:
                    if waited > target.options.time_budget:
                        results.failed(CHECK, poll_op.label, "every run reaches a terminal state",
                                       f"run {run.id} still {run.seen[-1]!r} after {waited:.0f}s")
                        break
                    target.wait(run.interval)
                    waited += run.interval
                    run.interval = min(run.interval * BACKOFF_FACTOR, BACKOFF_CAP)
                    before = len(run.seen)
                    self._poll(run)
                    if len(run.seen) == before:
                        break  # the poll itself failed, already reported
                else:
                    self._poll(run)  # once more: the terminal state must stay

    return LifecycleMachine


def _observe(target: Target, results: Results, lifecycle: Lifecycle, label: str,
             before: str | None, status: Any, body: Any, request: dict[str, Any],
             response: Response | requests.Response) -> None:
    """Hold one observed state of a run to the lifecycle's rules."""
    evidence = target.exchange(response)
    if status not in lifecycle.states:
        results.failed(CHECK, label, "every status is a declared state",
                       f"status {status!r}; declared: {lifecycle.states}", evidence)
        return
    if before is not None and before != status:
        if before in lifecycle.terminal:
            results.failed(CHECK, label, "terminal states never change",
                           f"{before!r} became {status!r}", evidence)
            return
        if not lifecycle.can_move(before, status):
            results.failed(CHECK, label, "every change is an allowed transition",
                           f"{before!r} -> {status!r} is not allowed; from {before!r}: "
                           f"{lifecycle.successors(before)}", evidence)
    rule = lifecycle.fields.get(status)
    for pointer in rule.present if rule else []:
        if not pointers.has(body, pointer):
            results.failed(CHECK, label, f"fields declared for {status!r} are present",
                           f"{pointer} is missing while {status!r}", evidence)
    for pointer in rule.absent if rule else []:
        if pointers.has(body, pointer):
            results.failed(CHECK, label, f"fields forbidden in {status!r} are absent",
                           f"{pointer} is present while {status!r}", evidence)
    broken = invariants.echo_problems(lifecycle, request, body)
    if broken:
        results.failed(CHECK, label, "echoed input stays consistent between create and poll",
                       broken[0], evidence)
        return
    results.passed(CHECK, label)


def _authorized(target: Target, method: str, path: str, operation: APIOperation
                ) -> requests.Response | None:
    """A request with fresh credentials if a token expired while the run went on."""
    response = target.request(method, path, headers=target.auth_headers(operation.definition.raw))
    if response.status_code == 401 and target.token_operation() is not None:
        target.issue_token(fresh=True)
        response = target.request(method, path,
                                  headers=target.auth_headers(operation.definition.raw))
    return response


def _poll_path(poll_op: APIOperation, link: dict[str, str], request: dict[str, Any],
               body: Any) -> str:
    path = poll_op.path
    for name, expression in link.items():
        value = pointers.evaluate(expression, request, body)
        path = path.replace("{" + name + "}", requests.utils.quote(str(value), safe=""))
    return path


def _path_params(poll_op: APIOperation, path: str) -> dict[str, str]:
    template = poll_op.path.strip("/").split("/")
    actual = path.strip("/").split("/")
    return {part[1:-1]: requests.utils.unquote(value) for part, value in zip(template, actual,
                                                                             strict=False)
            if part.startswith("{")}


def _with(body: Any, pointer: str, value: Any) -> Any:
    copied = json_copy(body)
    pointers.put(copied, pointer, value)
    return copied


def json_copy(value: Any) -> Any:
    """A deep copy through JSON: what a body can hold, nothing else."""
    return json.loads(json.dumps(value))


