"""Errors in each vendor's own format, as its contract's `x-error-format` describes it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contracts.extensions import ErrorFormat
from mockserver.engine.validation import Violation

__all__ = ["describe", "error_body"]


def error_body(error_format: ErrorFormat, status: int, message: str,
               violations: Sequence[Violation] = ()) -> Any:
    """The body a vendor sends for `status`; validation failures in FastAPI style when asked."""
    if error_format.validation.style == "fastapi" and status == error_format.validation.status:
        listed = violations or [Violation(("request",), "value_error", message)]
        return {"detail": [violation.as_pydantic() for violation in listed]}
    fixed = error_format.messages.get(str(status))
    filled = {"message": fixed or message, "code": error_format.code_for(status)}
    return _fill(error_format.body, filled)


def describe(violations: Sequence[Violation]) -> str:
    """One line naming every broken rule, for vendors whose errors carry a single message."""
    return "Invalid request: " + "; ".join(str(v) for v in violations)


def _fill(template: Any, values: dict[str, str]) -> Any:
    if isinstance(template, str):
        for key, value in values.items():
            template = template.replace("{" + key + "}", value)
        return template
    if isinstance(template, dict):
        return {key: _fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [_fill(value, values) for value in template]
    return template
