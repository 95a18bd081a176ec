"""The lifecycle engine's pure parts: how a run is planned and where it is at a moment."""

from __future__ import annotations

import random

import pytest

from contracts.extensions import Lifecycle
from mockserver.config import Timing
from mockserver.engine.lifecycle import (
    Plan,
    Run,
    Transition,
    advance,
    force,
    make_plan,
    outcome_state,
    route,
    timeline,
)
from mockserver.engine.preferences import Preferences

LIFECYCLE = Lifecycle.model_validate({
    "resource": "job", "create": "createJob", "poll": "getJob", "link": "GetJob",
    "id": {"create": "/id", "poll": "/id"}, "status": {"create": "/status", "poll": "/status"},
    "states": ["queued", "running", "done", "failed"], "initial": "queued",
    "terminal": ["done", "failed"], "success": "done", "failure": "failed",
    "transitions": {"queued": ["running", "failed"], "running": ["done", "failed"]},
})


def run(plan: Plan, **changes: object) -> Run:
    return Run(vendor="v", resource="job", id="r1", owner=None, created_at=1000.0, plan=plan,
               state="queued").model_copy(update=changes)


def test_aliases_and_terminal_names_map_to_states_and_typos_map_to_nothing() -> None:
    assert outcome_state(LIFECYCLE, "completed") == "done"
    assert outcome_state(LIFECYCLE, "FAILURE") == "failed"
    assert outcome_state(LIFECYCLE, "Done") == "done"
    assert outcome_state(LIFECYCLE, "don") is None


def test_a_plan_takes_the_request_over_the_defaults() -> None:
    rng = random.Random(0)
    timing = Timing(min_seconds=2, max_seconds=2, polls=None)
    assert make_plan(LIFECYCLE, timing, Preferences(), rng) == Plan(outcome="done", seconds=2.0)
    wanted = Preferences(outcome="failed", polls=3)
    assert make_plan(LIFECYCLE, timing, wanted, rng) == Plan(outcome="failed", polls=3)
    assert make_plan(LIFECYCLE, Timing(failure_rate=1.0), Preferences(), rng).outcome == "failed"


def test_the_route_is_the_longest_allowed_path_to_the_outcome() -> None:
    assert route(LIFECYCLE, "done") == ["queued", "running", "done"]
    assert route(LIFECYCLE, "failed") == ["queued", "running", "failed"]


@pytest.mark.parametrize(("elapsed", "state"), [(0, "queued"), (4.9, "queued"),
                                                (5.0, "running"), (9.9, "running")])
def test_state_at_a_moment_follows_the_route_over_the_planned_time(elapsed: float,
                                                                   state: str) -> None:
    assert advance(run(Plan(outcome="done", seconds=10)), LIFECYCLE, 1000 + elapsed).state == state


def test_a_jump_of_the_clock_never_skips_a_state_the_contract_does_not_let_it_skip() -> None:
    first = advance(run(Plan(outcome="done", seconds=10)), LIFECYCLE, 1e6)
    assert first.state == "running" and first.started_at == 1005, "when the plan got it there"
    second = advance(first, LIFECYCLE, 1e6 + 1)
    assert second.state == "done" and second.finished_at == 1e6 + 1
    direct = LIFECYCLE.model_copy(update={"transitions": {"queued": ["running", "done"],
                                                          "running": ["done", "failed"]}})
    assert advance(run(Plan(outcome="done", seconds=10)), direct, 1e6).state == "done"


def test_state_by_polls_and_a_terminal_state_never_changes() -> None:
    planned = run(Plan(outcome="failed", polls=2))
    assert advance(planned.model_copy(update={"polls": 1}), LIFECYCLE, 1000).state == "running"
    ended = advance(planned.model_copy(update={"polls": 2}), LIFECYCLE, 1000)
    assert ended.state == "failed" and ended.finished_at == 1000
    assert advance(ended, LIFECYCLE, 5000) is ended


def test_forcing_pins_a_live_state_and_refuses_to_move_a_terminal_one() -> None:
    pinned = force(run(Plan(outcome="done", seconds=1)), LIFECYCLE, "running", 1000)
    assert pinned.pinned and advance(pinned, LIFECYCLE, 9999).state == "running"
    failed = force(pinned, LIFECYCLE, "failed", 1001)
    assert failed.state == "failed" and failed.reason
    with pytest.raises(ValueError, match="terminal states never change"):
        force(failed, LIFECYCLE, "done", 1002)
    with pytest.raises(ValueError, match="not a state"):
        force(pinned, LIFECYCLE, "exploded", 1002)


def test_a_timeline_keeps_the_planned_moment_of_each_state_a_late_read_passes() -> None:
    late = advance(run(Plan(outcome="done", seconds=10)), LIFECYCLE, 1000 + 60)
    late = advance(late, LIFECYCLE, 1000 + 61)  # one declared step per look
    assert timeline(late, LIFECYCLE) == [Transition(state="queued", at=1000),
                                         Transition(state="running", at=1005),
                                         Transition(state="done", at=1010)]


def test_a_timeline_dates_poll_driven_and_forced_changes_when_they_happen() -> None:
    polled = advance(run(Plan(outcome="done", polls=2), polls=1), LIFECYCLE, 1003)
    assert polled.history == [Transition(state="running", at=1003)]
    assert advance(polled, LIFECYCLE, 1004).history == polled.history  # no change, no entry
    forced = force(polled, LIFECYCLE, "failed", 1007)
    assert [(t.state, t.at) for t in timeline(forced, LIFECYCLE)] == [
        ("queued", 1000), ("running", 1003), ("failed", 1007)]
