"""What a run found: each check's verdict per operation, and every violation with its evidence."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from pydantic import BaseModel, Field

from conformance.transport import Tally

__all__ = ["Exchange", "Finding", "Results"]


class Exchange(BaseModel):
    """One request and its response, as evidence."""

    method: str
    url: str
    request_headers: dict[str, str] = Field(default_factory=dict)
    request_body: str | None = None
    status: int | None = None
    response_headers: dict[str, str] = Field(default_factory=dict)
    response_body: str | None = None
    curl: str = ""
    setup: str = Field("", description="A command to run before `curl` (a fresh access token).")


class Finding(BaseModel):
    """One broken rule, on one operation, with the first request that showed it."""

    check: str = Field(description="The check family that caught it, e.g. 'lifecycle'.")
    operation: str
    rule: str = Field(description="The contract rule broken, in a few words.")
    message: str
    exchange: Exchange | None = None
    seed: int
    count: int = Field(1, description="How often the same rule broke on the same operation.")


class Results:
    """Verdicts collected while checks run; a finding is kept once per (check, operation, rule)."""

    def __init__(self, seed: int, max_throttled: int | None = None) -> None:
        self.seed = seed
        self.max_throttled = max_throttled
        """Throttled requests a run may have and still conform; None: any number, unless the
        throttling stopped a family before it finished."""
        self.findings: list[Finding] = []
        self.counts: dict[tuple[str, str], dict[str, int]] = defaultdict(
            lambda: {"passed": 0, "failed": 0, "skipped": 0})
        self.notes: list[str] = []
        self.exercised: dict[str, Counter[str]] = defaultdict(Counter)
        """family -> what it really did: runs created, successes, rejections..."""
        self.not_exercised: dict[str, str] = {}
        """family -> why it could not do what it exists for; such a run does not conform."""
        self.not_applicable: dict[str, str] = {}
        """family -> why nothing it would check applies to this server (not a failure)."""
        self.throttled: Counter[tuple[str, str]] = Counter()
        """(family, operation) -> requests the server still refused with 429/503 after every
        retry at the waits it asked for: not judged, and no violation of the family's rules."""
        self.throttle_stops: dict[str, str] = {}
        """family -> why it stopped early: the server throttled several requests in a row."""
        self._seen: dict[tuple[str, str, str], Finding] = {}
        self.transport = Tally()
        """What the transport did: requests sent, retried, seconds waited."""

    def passed(self, check: str, operation: str) -> None:
        """One response that kept every rule checked."""
        self.counts[(check, operation)]["passed"] += 1

    def skipped(self, check: str, operation: str, why: str) -> None:
        """Something not checked, and why: the report lists it, so nothing is silently left."""
        self.counts[(check, operation)]["skipped"] += 1
        note = f"{check} / {operation}: {why}"
        if note not in self.notes:
            self.notes.append(note)

    def failed(self, check: str, operation: str, rule: str, message: str,
               exchange: Exchange | None = None) -> None:
        """A broken rule; the same rule on the same operation is folded into one finding."""
        self.counts[(check, operation)]["failed"] += 1
        key = (check, operation, rule)
        if key in self._seen:
            self._seen[key].count += 1
            return
        finding = Finding(check=check, operation=operation, rule=rule, message=message,
                          exchange=exchange, seed=self.seed)
        self._seen[key] = finding
        self.findings.append(finding)

    def did(self, check: str, what: str, count: int = 1) -> None:
        """Count something the family really exercised (e.g. "runs created")."""
        self.exercised[check][what] += count

    def unexercised(self, check: str, reason: str) -> None:
        """The family was selected but could not do what it exists for."""
        self.not_exercised[check] = reason

    def inapplicable(self, check: str, reason: str) -> None:
        """Nothing the family would check applies to this server: said, not failed."""
        self.not_applicable[check] = reason

    def throttle(self, check: str, operation: str) -> None:
        """A request the server kept refusing with 429/503 after every retry."""
        self.throttled[(check, operation)] += 1
        self.counts[(check, operation)]["skipped"] += 1

    @property
    def too_throttled(self) -> bool:
        """More requests stayed throttled than `--max-throttled` allows; without it, the
        throttling stopped a family before it finished."""
        if self.max_throttled is None:
            return bool(self.throttle_stops)
        return sum(self.throttled.values()) > self.max_throttled

    @property
    def ok(self) -> bool:
        """Conforms: nothing broken, every selected family exercised, and no more requests
        throttled than allowed."""
        return not self.findings and not self.not_exercised and not self.too_throttled

    def failed_checks(self) -> set[str]:
        """The families with a finding or that were not exercised."""
        return {finding.check for finding in self.findings} | set(self.not_exercised)

    def summary(self) -> list[dict[str, Any]]:
        """One row per (family, operation) with its passed, failed and skipped counts."""
        return [{"check": check, "operation": operation, **counts}
                for (check, operation), counts in sorted(self.counts.items())]
