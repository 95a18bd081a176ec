"""A worker remembers the poll view of an ended run (`handlers/ended.py`): what it sends again
is byte for byte what a worker that never saw the run builds later, and a run that changed,
went away or belongs to someone else is never answered from memory. In-process and over a
socket; two `Mock`s on one SQLite file stand for two workers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from mockserver import Mock, MockConfig
from mockserver.engine.lifecycle import Run
from mockserver.handlers.ended import EndedView, EndedViews
from mockserver.storage import keys
from tests.helpers import KEY, OTHER, TESTS, OverSocket, Result, poll, start, status, token
from tests.helpers import trigger as trigger_run


@pytest.fixture
def config(tmp_path: Path) -> MockConfig:
    return MockConfig(store=str(tmp_path / "state.sqlite3"))


@pytest.fixture
def worker(api, config: MockConfig):
    """Another worker on the same store, reached the same way as `api`, with nothing remembered."""
    transport = type(api)(Mock(config))
    yield transport
    if isinstance(transport, OverSocket):
        transport.close()


def ended_further(api, mock: Mock) -> Callable[[Any], Result]:
    headers = token(api)
    execution = trigger_run(api, headers, prefer="polls=1").json()["workflow_execution_id"]
    return lambda via: poll(via, token(via), execution)


def ended_phinite(api, mock: Mock) -> Callable[[Any], Result]:
    workflow_id = start(api, prefer="outcome=failed, polls=1").json()["workflow_id"]
    return lambda via: status(via, workflow_id)


FUTURITY = {"Authorization": "Bearer YOUR_TOKEN"}


def ended_futurity(api, mock: Mock) -> Callable[[Any], Result]:
    workflow = api.request("POST", "/futurity/v1/workflows", headers=FUTURITY,
                           json={"name": "W"}).json()["data"]["id"]
    run = api.request("POST", f"/futurity/v1/workflows/{workflow}/run", json={"inputs": {"a": 1}},
                      headers={**FUTURITY, "Prefer": "polls=1"}).json()["data"]["execution_id"]
    path = f"/futurity/v1/workflows/{workflow}/executions/{run}"
    return lambda via: via.request("GET", path, headers=FUTURITY)


FLOWFLOW = {"Authorization": "Bearer REPLACE_API_TOKEN"}


def ended_flowflow(api, mock: Mock) -> Callable[[Any], Result]:
    started = api.request("POST", "/flowflow/api/v1/workflow/start/"
                          "67bd80ba-d392-4291-954c-587c161fabfb", headers=FLOWFLOW,
                          json={"input": "Who is the president of the USA in 2023?"})
    path = urlsplit(started.json()["progress_api_url"]).path
    mock.clock.advance(120)
    return lambda via: via.request("GET", path, headers=FLOWFLOW)


ENDED = {"further": ended_further, "phinite": ended_phinite, "futurity": ended_futurity,
         "flowflow": ended_flowflow}
TERMINAL = {"further": "completed", "phinite": "failed", "futurity": "completed",
            "flowflow": "FINISHED"}


def state_of(body: Any) -> str:
    """The run's state, wherever the vendor's poll body puts it."""
    for found in (((body.get("workflow") or {}).get("run") or {}).get("status"),
                  (body.get("data") or {}).get("status"), body.get("status")):
        if isinstance(found, str):
            return found
    raise AssertionError(f"no state in {body}")


@pytest.mark.parametrize("vendor", sorted(ENDED))
def test_an_ended_runs_view_sent_again_is_what_a_fresh_worker_builds_later(api, mock, worker,
                                                                          vendor):
    polled = ENDED[vendor](api, mock)
    polled(api)  # the poll that ends the run
    first = polled(api)  # the first of the ended run: its view is built and remembered
    assert first.status == 200 and state_of(first.json()) == TERMINAL[vendor], first.text
    mock.clock.advance(1800)
    again = polled(api)
    remembered = mock.journal(1)[0]  # the journal still names the run a remembered view shows
    fresh = polled(worker)
    assert again.status == fresh.status == 200
    assert again.content == first.content == fresh.content
    assert remembered.status == 200 and remembered.run and remembered.run in first.text


def test_a_stored_run_changed_by_another_worker_is_built_again(api, mock):
    polled = ended_phinite(api, mock)
    for _ in range(2):  # the poll that ends the run, then one of the ended run
        assert polled(api).json()["response"] != "The model quota ran out"
    run = mock.runs("phinite")[0]

    def change(current: dict[str, Any] | None) -> dict[str, Any] | None:
        assert current is not None
        return {**current, "reason": "The model quota ran out"}

    mock.store.update(keys.RUNS, keys.run_key("phinite", run.id), change)
    assert polled(api).json()["response"] == "The model quota ran out"


def test_a_remembered_run_is_still_not_found_for_another_tenant_or_after_a_reset(api, mock):
    polled = ended_phinite(api, mock)
    assert [polled(api).status for _ in range(2)] == [200, 200]
    workflow_id = mock.runs("phinite")[0].id
    assert status(api, workflow_id, headers=OTHER).status == 404
    assert status(api, workflow_id, workspace="ws-2").status == 404
    assert status(api, workflow_id, headers=KEY).status == 200
    mock.reset()
    gone = polled(api)
    assert gone.status == 404 and workflow_id in gone.text


def test_each_base_url_gets_links_to_itself(api):
    """A contract's links back at the server (`x-lifecycle` urls) name the host each client
    reached, however many views of the run the worker remembers."""
    replicate = type(api)(Mock(MockConfig(contracts=[str(TESTS / "any_contract" /
                                                         "replicate.yaml")])))
    headers = {"Authorization": "Bearer r8_demo_token", "Prefer": "polls=1"}
    created = replicate.request("POST", "/replicate/v1/predictions", headers=headers,
                                json={"version": "5c7d5dc6dd8b", "input": {"text": "Bob"}})
    path = f"/replicate/v1/predictions/{created.json()['id']}"
    try:
        states = [replicate.request("GET", path, headers=headers).json()["status"]
                  for _ in range(3)]
        assert states[-1] == "succeeded", states
        for host in ("mock-a.internal:8443", "mock-b.internal", "mock-a.internal:8443"):
            body = replicate.request("GET", path, headers={**headers, "Host": host}).json()
            assert body["status"] == "succeeded"
            assert body["urls"]["get"] == f"http://{host}{path}"
    finally:
        if isinstance(replicate, OverSocket):
            replicate.close()


def _view(run_id: str) -> EndedView:
    run = Run.model_validate({"vendor": "v", "resource": "job", "id": run_id, "owner": "me",
                              "created_at": 0.0, "state": "done", "plan": {"outcome": "done"}})
    return EndedView({"id": run_id}, run, {"id": run_id}, b"{}")


def test_the_views_a_worker_keeps_are_bounded_and_the_oldest_goes_first():
    views = EndedViews(size=3)
    for number in range(4):
        views.keep("poll", f"run-{number}", "http://x", _view(f"run-{number}"))
    assert views.find("poll", "run-0", "http://x", {"id": "run-0"}) is None
    assert [views.find("poll", f"run-{n}", "http://x", {"id": f"run-{n}"}) is not None
            for n in (1, 2, 3)] == [True, True, True]
    assert views.find("poll", "run-3", "http://y", {"id": "run-3"}) is None
    assert views.find("poll", "run-3", "http://x", {"id": "run-3", "more": 1}) is None

