"""Real-server manners: a rate limit that asks for a wait is waited out, never reported; the
request rate and the number of requests can be capped; a server that keeps refusing after the
waits it asked for stops the family with a finding instead of hanging or passing."""

from __future__ import annotations

import time

import pytest
import requests
from click.testing import CliRunner

from conformance.cli import main
from conformance.runner import run
from conformance.transport import BACKOFF, Transport, parse_rate, retry_after_seconds
from tests.broken.breakages import Breakage
from tests.broken.manners import rate_limited
from tests.broken.serve import options, serve


@pytest.mark.parametrize(("vendor", "retry_after", "checks"), [
    ("further", "1", ["lifecycle"]), ("phinite", "0", [])])
def test_the_lifecycle_survives_a_429_on_every_fifth_request(vendor, retry_after, checks):
    """Further documents its 429; Phinite does not, but a 429 with Retry-After is still a wait
    the server asked for (and there every family runs behind the limiter)."""
    limiter = Breakage("every-fifth-429", vendor, "none", "a documented rate limit",
                       rate_limited(vendor, every=5, retry_after=retry_after))
    with serve(limiter) as root:
        results = run(options(vendor, root, profile="quick", checks=checks))
    assert results.ok, [f.rule for f in results.findings] + list(results.not_exercised.values())
    assert results.transport.retried >= 5, results.transport
    assert results.exercised["lifecycle"]["runs finished"] > 0


def test_rate_limit_paces_every_request():
    with serve() as root:
        started = time.monotonic()
        results = run(options("phinite", root, profile="quick", checks=["auth"],
                              rate_limit=parse_rate("40/s")))
        elapsed = time.monotonic() - started
    assert results.ok
    assert results.transport.sent >= 10
    assert elapsed >= (results.transport.sent - 1) / 40, (results.transport.sent, elapsed)


def test_max_requests_bounds_the_run_and_what_it_could_not_reach_is_not_exercised():
    with serve() as root:
        results = run(options("phinite", root, profile="quick", max_requests=25,
                              checks=["auth", "lifecycle", "links"]))
    assert results.transport.sent <= 25
    assert "links" in results.not_exercised and "max-requests" in results.not_exercised["links"]
    assert not results.ok


@pytest.mark.parametrize(("text", "per_second"), [("10/s", 10), ("600/m", 10), ("3600/h", 1)])
def test_rates_are_read_per_second_minute_or_hour(text, per_second):
    assert parse_rate(text) == per_second


@pytest.mark.parametrize("text", ["10", "0/s", "ten/s", "5/d"])
def test_a_bad_rate_is_a_usage_error(text):
    result = CliRunner().invoke(main, ["run", "phinite", "--base-url", "http://127.0.0.1:9",
                                       "--token", "x", "--rate-limit", text])
    assert result.exit_code == 2 and "--rate-limit" in result.output


@pytest.mark.parametrize(("header", "seconds"), [("3", 3.0), ("garbage", 1.0),
                                                 ("Thu, 01 Jan 1970 00:00:00 GMT", 0.0)])
def test_retry_after_is_seconds_or_a_date(header, seconds):
    assert retry_after_seconds(header) == seconds


def answer(status: int, retry_after: str | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    if retry_after is not None:
        response.headers["Retry-After"] = retry_after
    return response


@pytest.mark.parametrize(("status", "retry_after", "documented", "wait"), [
    (429, "2", False, 2.0),       # asked: wait as asked, documented or not
    (503, None, True, BACKOFF[0]),  # documented, no Retry-After: back off
    (503, None, False, None),     # neither asked nor documented: an answer to judge
    (500, "1", True, None),       # not a transient status
])
def test_only_a_wait_the_server_asks_for_or_documents_is_retried(status, retry_after,
                                                                 documented, wait):
    transport = Transport(documented=lambda method, url, code: documented)
    request = requests.Request("GET", "http://127.0.0.1:9/x").prepare()
    assert transport.asked_wait(request, answer(status, retry_after), 0) == wait
