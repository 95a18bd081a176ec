"""Every request the suite sends, with a real server's manners: paced to `--rate-limit`, counted
against `--max-requests`, and retried when the server asks for time (`429`/`503` with
`Retry-After`, or one the contract documents), so that a rate limit is waited out. A request
still refused after every retry is the server throttling, an outcome of its own: the checks do not
judge its answer (`throttled`), and `--max-throttled` decides whether it fails the run.
"""

from __future__ import annotations

import email.utils
import re
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

__all__ = ["BACKOFF", "MAX_WAIT", "RETRIES", "RequestBudgetSpent", "Tally", "Throttled",
           "Transport", "parse_rate", "retry_after_seconds"]

RETRIES = 4  # attempts after the first, per request
MAX_WAIT = 30.0  # seconds; a server asking for longer is answered, not waited for
BACKOFF = (1.0, 2.0, 4.0, 8.0)  # when a documented 429/503 says not how long
STORM = 3  # requests in a row still refused after every retry: the limit never lifts
TRANSIENT = (429, 503)

Documented = Callable[[str, str, int], bool]
"""(method, URL, status) -> whether the contract documents that answer for the operation."""


class RequestBudgetSpent(Exception):
    """`--max-requests` were sent: the run stops where it is."""


class Throttled(Exception):
    """The server keeps refusing with 429/503 after waiting as it asked: the family stops."""


@dataclass
class Tally:
    """What the transport did, for the summary."""

    sent: int = 0
    retried: int = 0
    waited: float = 0.0
    exhausted: int = 0
    """Requests still refused with 429/503 after every retry (or asked to wait too long)."""


def parse_rate(text: str) -> float:
    """Requests per second from `10/s`, `600/m` or `36000/h`."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*/\s*([smh])\s*", text)
    if not found or float(found.group(1)) <= 0:
        raise ValueError(f"--rate-limit takes N/s, N/m or N/h, got {text!r}")
    return float(found.group(1)) / {"s": 1, "m": 60, "h": 3600}[found.group(2)]


class Transport(requests.Session):
    """A `requests` session that schemathesis and the suite's own requests both go through, so
    pacing, the request budget and retries apply to every request, generated or not."""

    def __init__(self, rate: float | None = None, max_requests: int | None = None,
                 documented: Documented = lambda method, url, status: False) -> None:
        super().__init__()
        self.interval = 1.0 / rate if rate else 0.0
        self.max_requests = max_requests
        self.documented = documented
        self.tally = Tally()
        self._storm = 0
        self.stopped: Throttled | RequestBudgetSpent | None = None
        """Why the transport refuses to send more, whatever wrapped the exception it raised."""
        self._last = 0.0
        self._lock = threading.Lock()
        self._throttled: weakref.WeakSet[requests.PreparedRequest] = weakref.WeakSet()

    def throttled(self, response: Any) -> bool:
        """Whether `response` (of `requests` or schemathesis) is the answer to a request the
        server kept refusing after every retry: no check may judge it."""
        return response.request in self._throttled

    def calm(self) -> None:
        """Forget a storm: the next family may try again."""
        self._storm = 0
        if isinstance(self.stopped, Throttled):
            self.stopped = None

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Send, and while the server asks for time (within bounds), wait and send again."""
        if self._storm >= STORM:
            self.stopped = Throttled(f"{STORM} requests in a row were still refused with 429/503 "
                                     f"after {RETRIES} retries at the waits the server asked for")
            raise self.stopped
        response = self._send_once(request, **kwargs)
        for attempt in range(RETRIES + 1):
            wait = self.asked_wait(request, response, attempt)
            if wait is None:
                self._storm = 0
                return response
            if attempt == RETRIES or wait > MAX_WAIT:
                break
            response.close()
            time.sleep(wait)
            self.tally.retried += 1
            self.tally.waited += wait
            response = self._send_once(request, **kwargs)
        self.tally.exhausted += 1
        self._throttled.add(request)
        self._storm += 1
        return response

    def _send_once(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        with self._lock:
            if self.max_requests is not None and self.tally.sent >= self.max_requests:
                self.stopped = RequestBudgetSpent(f"--max-requests {self.max_requests} were sent")
                raise self.stopped
            self.tally.sent += 1
            pause = self._last + self.interval - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            self._last = time.monotonic()
        return super().send(request, **kwargs)

    def asked_wait(self, request: requests.PreparedRequest, response: requests.Response,
                    attempt: int) -> float | None:
        """Seconds the server asked to wait before a retry; None when it did not ask."""
        if response.status_code not in TRANSIENT:
            return None
        header = response.headers.get("Retry-After")
        if header is not None:
            return retry_after_seconds(header)
        if self.documented(request.method or "GET", request.url or "", response.status_code):
            return BACKOFF[min(attempt, len(BACKOFF) - 1)]
        return None


def retry_after_seconds(value: str) -> float:
    """`Retry-After` as seconds: delta-seconds or an HTTP date; garbage counts as one second."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 1.0
    return max(0.0, when.timestamp() - time.time())
