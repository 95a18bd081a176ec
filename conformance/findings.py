"""What a run found: each check's verdict per operation, and every violation with its evidence."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pydantic import BaseModel, Field


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
    check: str = Field(description="The check family that caught it, e.g. 'lifecycle'.")
    operation: str
    rule: str = Field(description="The contract rule broken, in a few words.")
    message: str
    exchange: Exchange | None = None
    seed: int


class Results:
    """Verdicts collected while checks run; a finding is kept once per (check, operation, rule)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.findings: list[Finding] = []
        self.counts: dict[tuple[str, str], dict[str, int]] = defaultdict(
            lambda: {"passed": 0, "failed": 0, "skipped": 0})
        self.notes: list[str] = []
        self._seen: set[tuple[str, str, str]] = set()

    def passed(self, check: str, operation: str) -> None:
        self.counts[(check, operation)]["passed"] += 1

    def skipped(self, check: str, operation: str, why: str) -> None:
        self.counts[(check, operation)]["skipped"] += 1
        note = f"{check} / {operation}: {why}"
        if note not in self.notes:
            self.notes.append(note)

    def failed(self, check: str, operation: str, rule: str, message: str,
               exchange: Exchange | None = None) -> None:
        self.counts[(check, operation)]["failed"] += 1
        key = (check, operation, rule)
        if key not in self._seen:
            self._seen.add(key)
            self.findings.append(Finding(check=check, operation=operation, rule=rule,
                                         message=message, exchange=exchange, seed=self.seed))

    @property
    def ok(self) -> bool:
        return not self.findings

    def failed_checks(self) -> set[str]:
        return {finding.check for finding in self.findings}

    def summary(self) -> list[dict[str, Any]]:
        return [{"check": check, "operation": operation, **counts}
                for (check, operation), counts in sorted(self.counts.items())]
