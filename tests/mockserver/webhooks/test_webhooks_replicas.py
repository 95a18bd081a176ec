"""Several mocks on one store (SQLite file, Redis) sweeping and sending at the same time queue
each run's notice once and send each delivery once: both are claimed through `Store.update`."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from mockserver import Mock, MockConfig
from tests.helpers import InProcess, token, trigger
from tests.redis_server import redis_server_fixture, redis_url_fixture  # noqa: F401


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "shared.sqlite3")
    return request.getfixturevalue("redis_url")


def test_replicas_racing_send_each_delivery_once(store: str) -> None:
    replicas = [Mock(MockConfig(contracts=["further"], store=store)) for _ in range(3)]
    received: Counter[str] = Counter()
    lock = threading.Lock()

    def receiver(request) -> int:
        with lock:
            received[request.json()["workflow_execution_id"]] += 1
        return 200

    for replica in replicas:
        replica.dispatcher.receivers["https://hooks.test"] = receiver
    replicas[0].clock.freeze()
    api = InProcess(replicas[1])
    api.request("POST", "/__mock__/webhooks/subscriptions",
                json={"vendor": "further", "url": "https://hooks.test/a"})
    headers = token(api)
    ids = [trigger(api, headers, prefer="seconds=5").json()["workflow_execution_id"]
           for _ in range(8)]
    replicas[2].clock.advance(10)  # every run has ended; nobody has looked yet
    start = threading.Barrier(len(replicas) * 2)

    def race(replica: Mock) -> None:
        start.wait()
        for _ in range(3):
            replica.deliver_due()

    threads = [threading.Thread(target=race, args=(replica,))
               for replica in replicas for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert received == Counter(dict.fromkeys(ids, 1))
    deliveries = replicas[0].webhooks.deliveries()
    assert len(deliveries) == len(ids)
    assert all(d.state == "delivered" and len(d.attempts) == 1 for d in deliveries)
