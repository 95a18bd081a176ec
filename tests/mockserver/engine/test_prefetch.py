"""A poll reads its run in the request's first read: one `get_many` with the clock, fault rules
and token (one MGET on Redis), never a second read, on every store, in-process and over a
socket; writes still go through the atomic update."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import mockserver.mock
from mockserver import Mock, MockConfig
from mockserver.engine.call import Call, Prefetching
from mockserver.storage import Store, keys, open_store
from tests.helpers import EXECUTIONS, poll, token, trigger
from tests.redis_server import redis_server_fixture  # noqa: F401


class CountingStore:
    """A store that records every read of values made through it."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.reads: list[tuple[str, list[tuple[str, str]]]] = []

    def get(self, kind: str, key: str) -> Any:
        self.reads.append(("get", [(kind, key)]))
        return self.store.get(kind, key)

    def get_many(self, wanted: list[tuple[str, str]]) -> Any:
        self.reads.append(("get_many", list(wanted)))
        return self.store.get_many(wanted)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


@pytest.fixture(params=["memory", "sqlite", "redis"])
def mock(request: pytest.FixtureRequest, tmp_path: Path,
         monkeypatch: pytest.MonkeyPatch) -> Mock:
    """The conftest's `api` fixture serves this mock, whose store counts its reads."""
    where = {"memory": "memory", "sqlite": str(tmp_path / "state.sqlite3")}.get(request.param)
    if where is None:
        where = request.getfixturevalue("redis_server").unique_url()
    monkeypatch.setattr(mockserver.mock, "open_store", lambda at: CountingStore(open_store(at)))
    instance = Mock(MockConfig(contracts=["further"], store=where))
    instance.clock.freeze()
    return instance


def reads_of_one_poll(api, mock: Mock, headers: dict[str, str], execution: str
                      ) -> tuple[Any, list[tuple[str, list[tuple[str, str]]]]]:
    store = mock.store
    assert isinstance(store, CountingStore)
    store.reads.clear()
    polled = poll(api, headers, execution)
    return polled, list(store.reads)


def first_read(headers: dict[str, str], execution: str) -> list[tuple[str, str]]:
    bearer = headers["Authorization"].removeprefix("Bearer ")
    return [keys.CLOCK, keys.FAULTS, keys.STUBS, (keys.TOKENS, bearer),
            (keys.RUNS, keys.run_key("further", execution))]


def test_a_poll_reads_its_run_once_in_the_requests_one_read(api, mock):
    headers = token(api)
    execution = trigger(api, headers, prefer="polls=1").json()["workflow_execution_id"]
    assert poll(api, headers, execution).json()["status"] == "completed"
    polled, reads = reads_of_one_poll(api, mock, headers, execution)
    assert polled.status == 200 and polled.json()["status"] == "completed"
    assert reads == [("get_many", first_read(headers, execution))]


def test_a_poll_that_moves_its_run_still_counts_every_poll_once(api, mock):
    headers = token(api)
    execution = trigger(api, headers, prefer="polls=3").json()["workflow_execution_id"]
    seen = []
    for _ in range(3):
        polled, reads = reads_of_one_poll(api, mock, headers, execution)
        seen.append(polled.json()["status"])
        assert reads[0] == ("get_many", first_read(headers, execution))
        # the poll that ends the run also reads whether it owes a webhook notice, once
        extra = [read for read in reads[1:] if read[1][0][0] != keys.WEBHOOK_WATCH]
        assert extra == [] and len(reads) <= (2 if seen[-1] == "completed" else 1)
    assert seen == ["running", "running", "completed"]
    assert mock.run("further", execution).polls == 3


def test_a_poll_of_an_unknown_run_is_a_404_after_the_same_one_read(api, mock):
    headers = token(api)
    unknown = "00000000-0000-0000-0000-000000000000"
    polled, reads = reads_of_one_poll(api, mock, headers, unknown)
    assert polled.status == 404
    assert reads == [("get_many", first_read(headers, unknown))]


def test_an_unknown_path_reads_only_what_every_request_needs(api, mock):
    mock.store.reads.clear()
    missing = api.request("GET", EXECUTIONS.format(workflow="wf-1") + "/x/y/z")
    assert missing.status == 404
    assert mock.store.reads == [("get_many", [keys.CLOCK, keys.FAULTS, keys.STUBS])]


def test_every_shipped_poll_declares_its_run_even_below_a_guarded_resource():
    every = Mock(MockConfig())
    polls = {(name, operation_id): pipeline.handlers[operation_id]
             for name, pipeline in every.vendors.items()
             for operation_id, operation in pipeline.contract.operations.items()
             if any(role == "poll" for role, _ in operation.lifecycle_roles)}
    assert len(polls) == 4 and all(isinstance(handler, Prefetching)
                                   for handler in polls.values())
    futurity = polls[("futurity", "getWorkflowExecution")]
    assert isinstance(futurity, Prefetching)
    vendor = every.vendors["futurity"].vendor
    assert futurity.keys({"id": "wf", "execution_id": "e1"}, vendor) == \
        [(keys.RUNS, keys.run_key("futurity", "e1"))]


def test_a_prefetched_value_serves_one_read_then_the_store_answers():
    vendor = Mock(MockConfig(contracts=["further"])).vendors["further"].vendor
    vendor.store.put("run", "r", {"stored": True})
    call = Call(vendor, None, None, None, None, 0.0, None, "",  # type: ignore[arg-type]
                {("run", "r"): {"prefetched": True}, ("run", "absent"): None})
    assert call.read("run", "r") == {"prefetched": True}
    assert call.read("run", "r") == {"stored": True}
    assert call.read("run", "absent") is None and call.read("run", "other") is None
