"""Virtual time: clients written without the mock in mind (sleep imported directly or kept as a
default, deadlines on monotonic(), datetime.now(), asyncio with httpx) see runs finish with no
real waiting; a client that blocks for real is failed by the watchdog, which names the line.

"No real waiting" is shown without timing anything: each client sleeps far longer in mock time
than the watchdog allows in real time, so a real sleep would fail the test."""

from __future__ import annotations

import threading
import time
import types
from time import sleep as imported_sleep

from mockserver import Mock, MockConfig, MockHandle
from mockserver.testing.virtual_time import VirtualTimeout, real_sleep
from tests.helpers import InProcess

pytest_plugins = ("pytester",)

CLIENTS = '''
import asyncio, datetime, time
from time import monotonic, sleep

import httpx, requests

KEY = {"Authorization": "Bearer workspace_api_key"}
BASE = "https://app.phinite.ai/api/v1/ai/trigger"


def start():
    answer = requests.post(f"{BASE}/start/ws-1/tr-1/DEV", json={"message": "hi"}, headers=KEY,
                           timeout=5)
    return answer.json()["workflow_id"]


def status(workflow_id):
    return requests.get(f"{BASE}/status/ws-1/{workflow_id}", headers=KEY, timeout=5).json()


def poll_with_imported_sleep(workflow_id):
    while (body := status(workflow_id))["status"] == "running":
        sleep(60)
    return body


def poll_with_default_sleep(workflow_id, pause=time.sleep):
    while (body := status(workflow_id))["status"] == "running":
        pause(60)
    return body


def poll_until_deadline(workflow_id, timeout=900):
    deadline = monotonic() + timeout
    polls = 0
    while monotonic() < deadline:
        polls += 1
        if status(workflow_id)["status"] != "running":
            return polls
        time.sleep(30)
    raise TimeoutError(f"gave up after {polls} polls")


def wait_by_the_wall_clock(workflow_id):
    started = datetime.datetime.now()
    while status(workflow_id)["status"] == "running":
        sleep(45)
    return datetime.datetime.now() - started


def poll_with_httpx(workflow_id, pause=sleep):
    with httpx.Client(base_url=BASE, headers=KEY) as client:
        while (body := client.get(f"/status/ws-1/{workflow_id}").json())["status"] == "running":
            pause(90)
    return body


async def poll_async(workflow_id):
    async with httpx.AsyncClient(base_url=BASE, headers=KEY) as client:
        while True:
            body = (await client.get(f"/status/ws-1/{workflow_id}")).json()
            if body["status"] != "running":
                return body
            await asyncio.sleep(120)
'''

PLUGIN_TESTS = '''
import asyncio, datetime, time

import pytest

import clients

virtual = pytest.mark.vendor_mock("phinite", virtual_sleep=True, virtual_sleep_timeout=20,
                                  timing={"min_seconds": 600, "max_seconds": 600})


@virtual
def test_imported_sleep(vendor_mock):
    assert clients.poll_with_imported_sleep(clients.start())["status"] == "completed"


@virtual
def test_default_argument_sleep(vendor_mock):
    assert clients.poll_with_default_sleep(clients.start())["status"] == "completed"


@virtual
def test_monotonic_deadline(vendor_mock):
    assert clients.poll_until_deadline(clients.start()) == 21  # 600 s in steps of 30


@virtual
def test_monotonic_deadline_times_out(vendor_mock):
    vendor_mock.force_next("completed", seconds=10_000)
    with pytest.raises(TimeoutError, match="gave up after 30 polls"):
        clients.poll_until_deadline(clients.start())


@virtual
def test_datetime_now_follows(vendor_mock):
    assert clients.wait_by_the_wall_clock(clients.start()) >= datetime.timedelta(seconds=600)


@virtual
def test_sync_httpx(vendor_mock):
    assert clients.poll_with_httpx(clients.start())["status"] == "completed"


@virtual
def test_asyncio_sleep_with_async_httpx(vendor_mock):
    workflow_id = clients.start()
    assert asyncio.run(clients.poll_async(workflow_id))["status"] == "completed"


@virtual
def test_clocks_agree_with_the_mock(vendor_mock):
    before = vendor_mock.now()
    assert time.time() == before and time.monotonic() == before
    time.sleep(5)
    vendor_mock.advance(7)
    assert time.time() == vendor_mock.now() == before + 12
'''


def test_clients_run_under_the_plugin_without_real_waiting(pytester):
    pytester.makepyfile(clients=CLIENTS, test_clients=PLUGIN_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=8)


def test_the_watchdog_names_the_call_that_blocked(pytester):
    pytester.makepyfile(test_blocked="""
        import threading

        import pytest

        @pytest.mark.vendor_mock("phinite", virtual_sleep=True, virtual_sleep_timeout=0.5)
        def test_waits_for_real(vendor_mock):
            threading.Event().wait(30)  # a real wait no virtual sleep can shorten
    """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*VirtualTimeout: the test waited more than 0.5 s of real time under virtual sleep; it "
        "was blocked at *test_blocked.py:7 in test_waits_for_real: threading.Event().wait(30)*",
    ])


def test_the_watchdog_stops_a_loop_that_never_sleeps_in_another_thread():
    handle = MockHandle(Mock(MockConfig(contracts=["phinite"])))
    failures: list[BaseException] = []

    def spin() -> None:
        try:
            with handle.virtual_sleep(watchdog_seconds=0.3):
                while True:
                    time.monotonic()
        except VirtualTimeout as error:
            failures.append(error)

    worker = threading.Thread(target=spin)
    worker.start()
    worker.join(10)
    assert not worker.is_alive() and "in spin" in str(failures[0])


def test_everything_is_put_back_afterwards():
    handle = MockHandle(Mock(MockConfig(contracts=["phinite"])))

    def pause(seconds: float, wait=time.sleep) -> None:
        wait(seconds)

    def real(function) -> bool:
        return isinstance(function, types.BuiltinFunctionType)

    with handle.virtual_sleep():
        assert not real(time.sleep) and not real(imported_sleep) and not real(pause.__defaults__[0])
        before = handle.now()
        pause(3600)
        imported_sleep(60)
        assert handle.now() == before + 3660
    assert real(time.sleep) and real(imported_sleep) and pause.__defaults__ == (time.sleep,)
    assert abs(time.time() - handle.now()) > 3000  # real time again; the mock's clock stays
    real_sleep(0)


def test_requested_and_injected_latency_moves_the_clock_instead_of_waiting():
    """A 30 s delay in mock time against a 2 s watchdog: a real wait would fail the test."""
    mock = Mock(MockConfig(contracts=["phinite"], max_latency_seconds=60))
    handle = MockHandle(mock)
    handle.fault("latency", operation="startBackgroundTask", latency_ms=30_000)
    with handle.virtual_sleep(watchdog_seconds=2):
        before = handle.now()
        answer = InProcess(mock).request("POST", "/phinite/api/v1/ai/trigger/start/ws/tr/DEV",
                                         headers={"Authorization": "Bearer workspace_api_key",
                                                  "Prefer": "latency=20000"},
                                         json={"message": "hi"})
        assert answer.status == 202 and handle.now() - before >= 50
