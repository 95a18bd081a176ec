"""What the control API's read endpoints compute from a mock: a vendor's operations and
lifecycles, runs by state, counts, and the journal filtered by vendor, operation, verdict or run.

Kept apart from the routes so the console and a script asking the same question get the same
answer, and so every name a caller gives is checked against what the mock serves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mockserver.engine.journal import JournalEntry
from mockserver.engine.names import UnknownName
from mockserver.mock import Mock
from mockserver.storage import JOURNAL_LIMIT

__all__ = [
    "JournalQuery",
    "RunQuery",
    "filter_journal",
    "lifecycles",
    "list_runs",
    "operations",
    "summary",
    "token_lifetime",
]




class JournalQuery(BaseModel):
    """The journal endpoint's filters; `run` needs `vendor` (run ids are unique per vendor). A
    misspelled filter is refused rather than ignored (which would return everything)."""

    model_config = ConfigDict(extra="forbid")

    vendor: str | None = None
    operation: str | None = None
    verdict: Literal["conforms", "violates"] | None = None
    run: str | None = None
    limit: int = Field(100, ge=1, le=JOURNAL_LIMIT)


def _vendor(mock: Mock, name: str) -> str:
    if name not in mock.vendors:
        raise UnknownName("vendor", name, sorted(mock.vendors))
    return name


def token_lifetime(mock: Mock, vendor: str) -> float | None:
    """How long a vendor's OAuth2 tokens live; None when it issues none (static keys)."""
    endpoint = mock.vendors[_vendor(mock, vendor)].contract.token_endpoint
    return endpoint.lifetime_seconds if endpoint is not None else None


def operations(mock: Mock, vendor: str) -> list[dict[str, Any]]:
    """A vendor's operations in contract order: id, method, path, summary, lifecycle roles."""
    contract = mock.vendors[_vendor(mock, vendor)].contract
    paths = contract.document.get("paths", {})
    return [{"id": op.id, "method": op.method.upper(), "path": op.path,
             "summary": paths.get(op.path, {}).get(op.method.lower(), {}).get("summary", ""),
             "roles": [role for role, _ in op.lifecycle_roles]}
            for op in contract.operations.values()]


def lifecycles(mock: Mock, vendor: str) -> dict[str, dict[str, Any]]:
    """A vendor's lifecycles: the states a run can be forced into and the outcomes a scenario
    can ask for (terminal states and the aliases `completed`/`failed`)."""
    found = mock.vendors[_vendor(mock, vendor)].contract.extensions.lifecycles
    return {resource: {"states": lc.states, "initial": lc.initial, "terminal": lc.terminal,
                       "success": lc.success, "failure": lc.failure, "create": lc.create,
                       "poll": lc.poll, "synchronous": lc.synchronous,
                       "outcomes": [*lc.terminal, "completed", "failed"]}
            for resource, lc in found.items()}


class RunQuery(BaseModel):
    """The runs endpoint's filters; `limit` keeps the newest runs. A misspelled filter is
    refused rather than ignored."""

    model_config = ConfigDict(extra="forbid")

    vendor: str | None = None
    state: str | None = None
    limit: int | None = Field(None, ge=1)


def list_runs(mock: Mock, query: RunQuery) -> list[dict[str, Any]]:
    """Every run (of a vendor, in a state), oldest first, each with its lifecycle's timeline."""
    names = [_vendor(mock, query.vendor)] if query.vendor is not None else list(mock.vendors)
    states = sorted({state for name in names for lc in
                     mock.vendors[name].contract.extensions.lifecycles.values()
                     for state in lc.states})
    if query.state is not None and query.state not in states:
        raise UnknownName("state", query.state, states)
    kept = [run for run in mock.runs(query.vendor) if query.state in (None, run.state)]
    found = []
    for run in kept[-query.limit:] if query.limit else kept:
        dumped = run.model_dump()
        initial = mock.lifecycle(run.vendor, run.resource).initial
        dumped["timeline"] = [{"state": initial, "at": run.created_at}, *dumped["history"]]
        found.append(dumped)
    return found


def summary(mock: Mock) -> dict[str, Any]:
    """Counts a dashboard shows without fetching everything: runs by vendor and state (and how
    many are live), fault rules, journal entries and the ones that broke the contract."""
    by_state: dict[str, dict[str, int]] = {name: {} for name in mock.vendors}
    live = 0
    for run in mock.runs():
        counts = by_state[run.vendor]
        counts[run.state] = counts.get(run.state, 0) + 1
        live += run.state not in mock.lifecycle(run.vendor, run.resource).terminal
    journal = mock.store.journal(JOURNAL_LIMIT)
    return {"runs": {"total": sum(sum(c.values()) for c in by_state.values()), "live": live,
                     "by_state": by_state},
            "faults": len(mock.faults.rules()),
            "journal": {"entries": len(journal),
                        "violations": sum(e.get("verdict") == "violates" for e in journal)}}


def filter_journal(mock: Mock, query: JournalQuery) -> list[JournalEntry]:
    """The newest `limit` entries that pass every filter given, oldest first."""
    if query.vendor is None and query.operation is None and query.verdict is None \
            and query.run is None:
        return mock.journal(query.limit)
    if query.run is not None and query.vendor is None:
        raise UnknownName("run without a vendor", query.run, sorted(mock.vendors))
    if query.vendor is not None:
        _vendor(mock, query.vendor)
    if query.operation is not None:
        known = sorted({op for name in ([query.vendor] if query.vendor else mock.vendors)
                        for op in mock.vendors[name].contract.operations})
        if query.operation not in known:
            raise UnknownName("operation", query.operation, known)
    belongs = _run_filter(mock, query.vendor, query.run) if query.run and query.vendor else None
    # Filtered as stored, and only the entries kept are parsed: the journal holds thousands.
    picked = [entry for entry in mock.store.journal(JOURNAL_LIMIT)
              if query.vendor in (None, entry.get("vendor"))
              and query.operation in (None, entry.get("operation"))
              and query.verdict in (None, entry.get("verdict"))
              and (belongs is None or belongs(entry))]
    return [JournalEntry.model_validate(entry) for entry in picked[-query.limit:]]


def _run_filter(mock: Mock, vendor: str, run_id: str) -> Callable[[dict[str, Any]], bool]:
    """Which stored journal entries are a run's: those that created or read it, and any other
    request whose path names it."""
    mock.run(vendor, run_id)  # an unknown run is a 404, not an empty list
    return lambda entry: entry.get("run") == run_id or run_id in entry.get("path", "")
