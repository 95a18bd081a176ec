"""Typed views of the contracts' `x-` extensions (see EXTENSIONS.md).

The mock server and the conformance suite read a vendor's behaviour only through these models, so a
contract whose extensions do not parse is rejected here rather than misread later.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Extension(BaseModel):
    # Traceability keys (x-source, x-assumption) may sit on any extension object.
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    x_source: Any = Field(default=None, alias="x-source")
    x_assumption: str | None = Field(default=None, alias="x-assumption")


class Vendor(_Extension):
    id: str
    name: str
    sources: list[str]


class ValidationStyle(_Extension):
    status: int = 400
    style: Literal["message", "fastapi"] = "message"


class ErrorFormat(_Extension):
    body: Any
    codes: dict[str, str] = Field(default_factory=dict)
    messages: dict[str, str] = Field(
        default_factory=dict, description="A status whose message the vendor never varies."
    )
    validation: ValidationStyle = Field(default_factory=ValidationStyle)

    def code_for(self, status: int) -> str:
        return self.codes.get(str(status), self.codes.get("default", ""))


class Pointers(_Extension):
    """Where a value sits in the create and in the poll response bodies (JSON pointers)."""

    create: str
    poll: str


class FieldRule(_Extension):
    present: list[str] = Field(default_factory=list)
    absent: list[str] = Field(default_factory=list)


class Echo(_Extension):
    request: str
    response: str


class Lifecycle(_Extension):
    """A long-running resource: how it is created, polled, and which states it may pass through."""

    resource: str = ""
    description: str = ""
    create: str
    poll: str
    link: str
    synchronous: list[str] = Field(default_factory=list)
    id: Pointers
    status: Pointers
    states: list[str]
    initial: str
    terminal: list[str]
    success: str
    failure: str
    transitions: dict[str, list[str]]
    fields: dict[str, FieldRule] = Field(default_factory=dict)
    echo: list[Echo] = Field(default_factory=list)
    max_seconds: float | None = None

    @model_validator(mode="after")
    def _states_are_declared(self) -> Lifecycle:
        declared = set(self.states)
        named = {self.initial, self.success, self.failure, *self.terminal, *self.fields}
        for source, targets in self.transitions.items():
            named.add(source)
            named.update(targets)
        unknown = named - declared
        if unknown:
            raise ValueError(f"lifecycle names undeclared states: {sorted(unknown)}")
        if self.initial in self.terminal:
            raise ValueError("the initial state cannot be terminal")
        if not {self.success, self.failure} <= set(self.terminal):
            raise ValueError("success and failure must be terminal states")
        for state in self.terminal:
            if self.transitions.get(state):
                raise ValueError(f"terminal state {state!r} has outgoing transitions")
        return self

    def successors(self, state: str) -> list[str]:
        return self.transitions.get(state, [])

    def can_move(self, before: str, after: str) -> bool:
        return before == after or after in self.successors(before)

    def unreachable_from_terminal(self) -> list[str]:
        """States from which no terminal state can be reached (should be empty)."""
        stuck = []
        for start in self.states:
            seen, frontier = {start}, [start]
            while frontier:
                for nxt in self.successors(frontier.pop()):
                    if nxt not in seen:
                        seen.add(nxt)
                        frontier.append(nxt)
            if not seen & set(self.terminal):
                stuck.append(start)
        return stuck


class Extensions(BaseModel):
    """All of one contract's extensions."""

    vendor: Vendor
    error_format: ErrorFormat
    lifecycles: dict[str, Lifecycle]

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Extensions:
        lifecycles = {
            name: Lifecycle.model_validate({**body, "resource": name})
            for name, body in document.get("x-lifecycles", {}).items()
        }
        return cls(
            vendor=Vendor.model_validate(document["x-vendor"]),
            error_format=ErrorFormat.model_validate(document["x-error-format"]),
            lifecycles=lifecycles,
        )
