"""Request verification in the spirit of WireMock's `verify`: did the client send this, this
many times? A failure shows the requests received that came closest, and where they differ.

Matching is partial: a body or query given as a dict matches when every key given matches,
recursively; a list matches element by element; a callable is a predicate on the value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from mockserver.engine.journal import JournalEntry

__all__ = ["UNSET", "RequestPattern", "VerificationError", "differences", "matches"]

UNSET: Any = object()
"""A body not given: any body matches (None would mean \"no body\")."""


class VerificationError(AssertionError):
    """The client did not send what the test expected."""


def differences(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Where `actual` departs from the partial `expected` (empty: it matches)."""
    if callable(expected):
        return [] if expected(actual) else [f"{where or 'value'}: {actual!r} fails the check"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where or 'value'}: expected an object, got {actual!r}"]
        found: list[str] = []
        for key, wanted in expected.items():
            value = actual.get(key, UNSET)
            place = f"{where}.{key}" if where else str(key)
            if value is UNSET:
                found.append(f"{place}: missing")
            else:
                found += differences(wanted, value, place)
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where or 'value'}: expected {expected!r}, got {actual!r}"]
        return [problem for index, (wanted, value) in enumerate(zip(expected, actual, strict=True))
                for problem in differences(wanted, value, f"{where}[{index}]")]
    if expected != actual:
        return [f"{where or 'value'}: expected {expected!r}, got {actual!r}"]
    return []


def matches(expected: Any, actual: Any) -> bool:
    return not differences(expected, actual)


class RequestPattern:
    """Which requests count: vendor, operation, method, path, and partial body/query/headers."""

    def __init__(self, *, vendor: str | None = None, operation: str | None = None,
                 method: str | None = None, path: str | None = None,
                 body: Any = UNSET, query: dict[str, Any] | None = None,
                 headers: dict[str, Any] | None = None,
                 where: Callable[[JournalEntry], bool] | None = None) -> None:
        self.vendor, self.operation, self.method, self.path = vendor, operation, method, path
        self.body, self.query, self.headers, self.where = body, query, headers, where

    def problems(self, entry: JournalEntry) -> list[str]:
        """Why this entry is not a match (empty: it is)."""
        found: list[str] = []
        for name in ("vendor", "operation", "method", "path"):
            wanted = getattr(self, name)
            value = getattr(entry, name)
            if name == "path" and wanted is not None:
                value = value.split("?", 1)[0]
            if wanted is not None and (value.upper() != wanted.upper() if name == "method"
                                       else value != wanted):
                found.append(f"{name}: expected {wanted!r}, got {value!r}")
        if self.body is not UNSET:
            found += differences(self.body, entry.body, "body")
        if self.query is not None:
            found += differences(self.query, entry.query, "query")
        if self.headers is not None:
            lowered = {key.lower(): value for key, value in entry.headers.items()}
            found += differences({key.lower(): value for key, value in self.headers.items()},
                                 lowered, "headers")
        if self.where is not None and not self.where(entry):
            found.append("where: the check returned false")
        return found

    def describe(self) -> str:
        given = {name: getattr(self, name) for name in
                 ("vendor", "operation", "method", "path", "query", "headers")
                 if getattr(self, name) is not None}
        if self.body is not UNSET:
            given["body"] = self.body
        return ", ".join(f"{name}={value!r}" for name, value in given.items()) or "any request"

    def verify(self, entries: Sequence[JournalEntry], count: int | None,
               at_least: int | None) -> list[JournalEntry]:
        """The matching entries; `VerificationError` unless there are `count` of them (or
        `at_least` that many; by default at least one)."""
        matched = [entry for entry in entries if not self.problems(entry)]
        if count is not None:
            ok, wanted = len(matched) == count, f"exactly {count}"
        else:
            minimum = 1 if at_least is None else at_least
            ok, wanted = len(matched) >= minimum, f"at least {minimum}"
        if not ok:
            raise VerificationError(self._failure(entries, matched, wanted))
        return matched

    def _failure(self, entries: Sequence[JournalEntry], matched: list[JournalEntry],
                 wanted: str) -> str:
        lines = [f"expected {wanted} request(s) matching {self.describe()}; "
                 f"{len(matched)} matched of {len(entries)} received"]
        if matched:
            lines += ["matched:"] + [f"  {entry.describe()}" for entry in matched[:5]]
            return "\n".join(lines)
        closest = sorted(entries, key=lambda entry: len(self.problems(entry)))[:3]
        if closest:
            lines.append("closest requests received:")
        for entry in closest:
            lines.append(f"  {entry.describe()}")
            lines += [f"    {problem}" for problem in self.problems(entry)]
        return "\n".join(lines)
