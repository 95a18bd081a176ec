"""Bounds on what one request can make the mock do, so that no input can crash or stall it.

JSON is parsed with a nesting bound: the standard parser recurses once per level (10,000 levels
are a `RecursionError`), and the store's own codec refuses values nested ~200 deep, so a body
deeper than that would be accepted once and then poison every later read of its record. Waits
a request asks for (`Prefer: latency`, injected latency) are capped and cut short by a shutdown.
Moments are kept within what a timestamp can show.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

__all__ = [
    "LATEST_TIME",
    "MAX_RUN_SECONDS",
    "NotJSON",
    "OutOfRange",
    "Pauses",
    "TooDeep",
    "check_moment",
    "parse_json",
]

LATEST_TIME = datetime(9000, 1, 1, tzinfo=timezone.utc).timestamp()
"""The latest moment the clock may show: every later timestamp (a run's end, a token's expiry) can
still be written as a date, which stops at the year 9999."""

MAX_RUN_SECONDS = 100 * 365 * 86400.0
"""The longest a run can be asked to take: its end, from a clock at `LATEST_TIME`, is still a
date."""


class TooDeep(ValueError):
    """JSON that nests deeper than the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"JSON nested deeper than {limit} levels")
        self.limit = limit


class NotJSON(ValueError):
    """Text the standard parser takes but JSON (RFC 8259) does not, or the store could not keep:
    NaN and Infinity, numbers too large for a float, unpaired UTF-16 surrogates."""

    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self.msg = msg
        self.pos = 0


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


class OutOfRange(ValueError):
    """A moment (or amount of time) the mock cannot show."""


def parse_json(raw: str | bytes, max_depth: int) -> Any:
    """Strict JSON, nested at most `max_depth` deep: raises `TooDeep`, `NotJSON`, or the
    `ValueError` (`json.JSONDecodeError`, `UnicodeDecodeError`) `json.loads` raises."""
    text = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    opened = text.count(b"[") + text.count(b"{")
    try:
        value = json.loads(raw, parse_float=_finite, parse_constant=_not_json)
    except RecursionError:
        raise TooDeep(max_depth) from None
    if opened > max_depth and _depth_exceeds(value, max_depth):  # fewer brackets: cannot be
        raise TooDeep(max_depth)
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        raise NotJSON("a string holds an unpaired UTF-16 surrogate (\\ud800-\\udfff)")
    return value


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NotJSON(f"the number {text[:24]} is too large")
    return value


def _not_json(name: str) -> Any:
    raise NotJSON(f"{name} is not a JSON value")


def _has_lone_surrogate(value: Any) -> bool:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether containers nest deeper than `limit`, walked without recursion."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else \
            item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children
                       if isinstance(child, (dict, list)))
    return False


def check_moment(moment: float, what: str) -> float:
    """`moment` if it is a finite time no later than `LATEST_TIME`; `OutOfRange` otherwise."""
    if not math.isfinite(moment) or moment > LATEST_TIME:
        raise OutOfRange(f"{what} would be {moment:g}, past the latest time the mock can show "
                         f"({LATEST_TIME:.0f}, the year 9000)")
    return moment


class Pauses:
    """Waits a request asked for, capped, and all cut short at once when the server stops (so a
    long delay never holds up a shutdown). Under virtual time a wait moves the mock's clock
    instead (`waiting_with`)."""

    def __init__(self, cap_seconds: float) -> None:
        self.cap_seconds = cap_seconds
        self._stopping = threading.Event()
        self._wait: Callable[[float], object] = self._stopping.wait

    def capped(self, seconds: float) -> float:
        return min(max(seconds, 0.0), self.cap_seconds)

    def pause(self, seconds: float) -> None:
        """Wait up to `seconds` (at most the cap); return early if the server stops."""
        self._wait(self.capped(seconds))

    @contextmanager
    def waiting_with(self, wait: Callable[[float], object]) -> Iterator[None]:
        """Hand every wait to `wait` meanwhile (virtual time: advance the mock's clock)."""
        previous, self._wait = self._wait, wait
        try:
            yield
        finally:
            self._wait = previous

    def stop(self) -> None:
        """End every wait in progress and every later one at once."""
        self._stopping.set()
