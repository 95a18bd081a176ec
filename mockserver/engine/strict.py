"""Strict mode: the mock checks each of its own responses against the contract before sending it.

A mismatch is a bug in the mock (or its vendor module), never something a client should see as
normal behaviour, so it is raised instead of sent.
"""

from __future__ import annotations

from typing import Any

from contracts import pointers
from mockserver.engine.contract import Operation, compile_schema

__all__ = ["CheckedResponses", "ContractBreach", "ResponseContractError", "response_problems",
           "value_problems"]


class ResponseContractError(AssertionError):
    """The mock was about to send a response its contract does not allow."""


class ContractBreach(ValueError):
    """A result or stub a test supplied would make the mock break the contract; refused when
    it is set, unless the test asks for a contract-breaking answer (`allow_violation=True`)."""


def response_problems(operation: Operation, status: int, content_type: str | None,
                      body: Any) -> list[str]:
    """Where a response breaks the operation's declared statuses, media types and schemas."""
    response = operation.response_for(status)
    if response is None:
        return [f"status {status} is not declared for {operation.id}"]
    if not response.media:
        return [] if body is None else [f"status {status} of {operation.id} declares no body"]
    media = response.media.get((content_type or "").split(";")[0].strip())
    if media is None:
        return [f"content type {content_type!r} is not declared for {operation.id} {status}"]
    return [f"{operation.id} {status} {'/'.join(map(str, e.instance_path)) or '(body)'}: "
            f"{e.message}" for e in media.validator.iter_errors(body)]


class CheckedResponses:
    """`response_problems` with a memory of the JSON bodies it found conforming: a poll of a
    run no one changes answers the same bytes every time, and the same bytes are the same JSON
    value, which the same schema judges alike. Bounded: forgotten all at once when full."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._passed: dict[tuple[str, int, str | None, bytes], None] = {}

    def problems(self, operation: Operation, status: int, content_type: str | None,
                 body: Any, encoded: bytes | None) -> list[str]:
        """`encoded`: the body's JSON as sent (None: not JSON-encoded from `body`, checked)."""
        if encoded is None:
            return response_problems(operation, status, content_type, body)
        key = (operation.id, status, content_type, encoded)
        if key in self._passed:
            return []
        found = response_problems(operation, status, content_type, body)
        if not found:
            if len(self._passed) >= self._size:
                self._passed.clear()
            self._passed[key] = None
        return found


def value_problems(operation: Operation, pointer: str, value: Any) -> list[str]:
    """Where `value`, put at `pointer` of the operation's success body, breaks its schema."""
    status = operation.success_status()
    response = operation.response_for(status)
    media = response.media.get("application/json") if response else None
    schema = pointers.subschema(media.schema, pointer) if media else None
    if schema is None:
        return [f"{operation.id} {status} has no {pointer} in its body"]
    return [f"{operation.id} {status} {pointer}"
            f"{'/' + '/'.join(map(str, e.instance_path)) if e.instance_path else ''}: "
            f"{e.message}" for e in compile_schema(schema).iter_errors(value)]
