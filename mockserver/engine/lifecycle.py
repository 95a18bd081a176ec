"""The lifecycle engine: a run moves from its contract's initial state to a terminal one.

A run's plan fixes, at creation, which terminal state it ends in and after how many seconds of
mock time or how many polls. Its state at any moment follows an allowed path from the
initial state to that outcome, so every observed change is an allowed transition, and the state
is stored on every read, so a terminal state never changes. Each change is kept in the run's
`history` with the mock time it happened at (the plan's moment for a time-driven change, the
poll's for a poll-driven one), so a timeline reads the same however often it is read.
"""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

from pydantic import BaseModel, Field

from contracts.extensions import Lifecycle
from mockserver.config import Timing
from mockserver.engine.preferences import Preferences
from mockserver.storage import keys

__all__ = [
    "Plan",
    "Run",
    "Transition",
    "advance",
    "fingerprint",
    "finish",
    "force",
    "make_plan",
    "outcome_state",
    "progress",
    "route",
    "seeded_random",
    "timeline",
]


class Plan(BaseModel):
    """How a run ends, fixed when it is created: outcome, after seconds or polls."""

    outcome: str
    seconds: float | None = None
    polls: int | None = None


class Transition(BaseModel):
    """A run entered `state` at mock time `at`."""

    state: str
    at: float


class Run(BaseModel):
    """One long-running resource, as stored."""

    vendor: str
    resource: str
    id: str
    owner: str | None
    created_at: float
    plan: Plan
    state: str
    polls: int = 0
    pinned: bool = False
    finished_at: float | None = None
    reason: str | None = None
    request: dict[str, Any] = Field(default_factory=dict)
    data: dict[str, Any] = Field(default_factory=dict)
    history: list[Transition] = Field(
        default_factory=list, description="State changes after the initial state, oldest first.")

    @property
    def started_at(self) -> float | None:
        """When the run first left its initial state: its first transition, if any."""
        return self.history[0].at if self.history else None

    @property
    def key(self) -> str:
        return keys.run_key(self.vendor, self.id)


def fingerprint(*parts: Any) -> str:
    """A stable digest of a request's content, so the same input gives the same run."""
    encoded = json.dumps(parts, sort_keys=True, default=repr).encode()
    return hashlib.sha256(encoded).hexdigest()


def seeded_random(seed: int, *parts: Any) -> random.Random:
    """A random source that depends only on the seed and the request's content."""
    return random.Random(f"{seed}:{fingerprint(*parts)}")


def outcome_state(lifecycle: Lifecycle, wanted: str | None) -> str | None:
    """Map `completed`/`failed`/`success`/`failure` or a terminal state's own name to a state."""
    if wanted is None:
        return None
    aliases = {"success": lifecycle.success, "completed": lifecycle.success,
               "failure": lifecycle.failure, "failed": lifecycle.failure}
    by_name = {state.lower(): state for state in lifecycle.terminal}
    return by_name.get(wanted.lower()) or aliases.get(wanted.lower())


def make_plan(lifecycle: Lifecycle, timing: Timing, wanted: Preferences,
              rng: random.Random) -> Plan:
    """Decide how a new run ends: from the request's preferences, else from seeded defaults."""
    fails = rng.random() < timing.failure_rate
    default_outcome = lifecycle.failure if fails else lifecycle.success
    seconds: float | None = round(rng.uniform(timing.min_seconds, timing.max_seconds), 3)
    polls = wanted.polls if wanted.polls is not None else timing.polls
    if wanted.seconds is not None:
        seconds = wanted.seconds
    elif polls is not None:
        seconds = None
    return Plan(outcome=outcome_state(lifecycle, wanted.outcome) or default_outcome,
                seconds=seconds, polls=polls)


def route(lifecycle: Lifecycle, outcome: str) -> list[str]:
    """The longest allowed path of states from the initial one to `outcome`, so that a run shows
    every intermediate state its contract declares on the way. Found once per lifecycle and
    outcome: every poll of a live run asks."""
    found = _routes.get((id(lifecycle), outcome))
    if found is not None and found[0] is lifecycle:  # the same object, not a reused id
        return found[1]
    best = _longest_route(lifecycle, outcome)
    if len(_routes) >= _ROUTES_KEPT:
        _routes.clear()
    _routes[(id(lifecycle), outcome)] = (lifecycle, best)
    return best


_ROUTES_KEPT = 256
_routes: dict[tuple[int, str], tuple[Lifecycle, list[str]]] = {}


def _longest_route(lifecycle: Lifecycle, outcome: str) -> list[str]:
    best: list[str] = []

    def explore(path: list[str]) -> None:
        nonlocal best
        if path[-1] == outcome:
            best = path if len(path) > len(best) else best
            return
        for nxt in lifecycle.successors(path[-1]):
            if nxt not in path:
                explore([*path, nxt])

    explore([lifecycle.initial])
    if not best:
        raise ValueError(f"{outcome!r} cannot be reached from {lifecycle.initial!r}")
    return best


def progress(run: Run, now: float) -> float:
    """How far along its plan a run is, from 0 to 1: the further of time and polls."""
    done = 0.0
    if run.plan.seconds is not None:
        done = 1.0 if run.plan.seconds <= 0 else (now - run.created_at) / run.plan.seconds
    if run.plan.polls is not None:
        by_polls = 1.0 if run.plan.polls <= 0 else run.polls / run.plan.polls
        done = max(done, by_polls)
    return min(max(done, 0.0), 1.0)


def advance(run: Run, lifecycle: Lifecycle, now: float) -> Run:
    """The run as it is at `now`; never leaves a terminal state, never skips a transition."""
    if run.state in lifecycle.terminal or run.pinned:
        return run
    limit = lifecycle.max_seconds
    if limit is not None and now - run.created_at >= limit:
        return finish(run, lifecycle.failure, now,
                      f"The run exceeded the maximum of {limit:g} seconds",
                      at=min(now, run.created_at + limit))
    path = route(lifecycle, run.plan.outcome)
    done = progress(run, now)
    last = len(path) - 1
    index = last if done >= 1.0 else min(int(done * last), last - 1)
    start = path.index(run.state) if run.state in path else -1
    if index <= start:
        return run
    if start >= 0 and not lifecycle.can_move(run.state, path[index]):
        # Time jumped past states the contract does not let the run skip: one step per look.
        index = start + 1
    passed = [Transition(state=path[i], at=_moment(run, i / last, now))
              for i in range(start + 1, min(index, last - 1) + 1)]
    moved = run.model_copy(update={"state": path[min(index, last - 1)],
                                   "history": [*run.history, *passed]})
    if index == last:
        return finish(moved, run.plan.outcome, now, None, at=_moment(run, 1.0, now))
    return moved


def _moment(run: Run, fraction: float, now: float) -> float:
    """When a run reached `fraction` of its plan: by its seconds if they got it there first, else
    now (a poll, or a read, moved it)."""
    if run.plan.seconds is None:
        return now
    return min(now, run.created_at + run.plan.seconds * fraction)


def finish(run: Run, state: str, now: float, reason: str | None, *,
           at: float | None = None) -> Run:
    """The run in a terminal state from now on; `at`: when it got there, if before now."""
    change = Transition(state=state, at=now if at is None else at)
    return run.model_copy(update={"state": state, "finished_at": now, "reason": reason,
                                  "history": [*run.history, change]})


def force(run: Run, lifecycle: Lifecycle, state: str, now: float) -> Run:
    """Put a run in `state` and keep it there; a terminal run cannot be moved."""
    if state not in lifecycle.states:
        raise ValueError(f"{state!r} is not a state of {lifecycle.resource}: {lifecycle.states}")
    if run.state in lifecycle.terminal and state != run.state:
        raise ValueError(f"run {run.id} is already {run.state!r}; terminal states never change")
    if state in lifecycle.terminal:
        reason = "Forced to fail by the mock's control API" if state != lifecycle.success else None
        return finish(run, state, now, reason)
    return run.model_copy(update={"state": state, "pinned": True,
                                  "history": [*run.history, Transition(state=state, at=now)]})


def timeline(run: Run, lifecycle: Lifecycle) -> list[Transition]:
    """Every state the run has been in, with when it entered it, from its creation on."""
    return [Transition(state=lifecycle.initial, at=run.created_at), *run.history]
