"""Real-server manners: a rate limit that asks for a wait is waited out, never reported; the
request rate and the number of requests can be capped; a request the server keeps refusing after
the waits it asked for is the server throttling, reported on its own line and judged by no check,
and `--max-throttled` (or a family stopped by it) decides whether that fails the run."""

from __future__ import annotations

import time

import pytest
import requests
from click.testing import CliRunner

from conformance import report
from conformance.cli import main
from conformance.runner import run
from conformance.transport import BACKOFF, RETRIES, Transport, parse_rate, retry_after_seconds
from tests.broken.breakages import Breakage
from tests.broken.manners import rate_limited, throttled_run
from tests.broken.serve import CREDENTIALS, options, serve


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


FURTHER_POLL = "/api/v1/workflow-builder/workflows/"


def test_a_request_throttled_for_good_is_throttling_not_a_violation():
    """One poll of a run stays 429 through every retry: no check reports it, the throttling
    is its own line, and by default the run still conforms (nothing was left unexercised)."""
    server = Breakage("throttled-run", "further", "none", "one run's polls always throttled",
                      throttled_run("further", FURTHER_POLL, RETRIES + 1))
    with serve(server) as root:
        results = run(options("further", root, profile="quick", checks=["lifecycle"]))
    with serve(server) as root:  # a fresh server: it throttles the first run it sees
        strict = run(options("further", root, profile="quick", checks=["lifecycle"],
                             max_throttled=0))
    assert not results.findings, [f.rule for f in results.findings]
    assert results.ok and results.throttled and not results.throttle_stops
    throttled = sum(results.throttled.values())
    assert results.transport.exhausted == throttled
    assert report.verdict(results) == f"CONFORMS ({throttled} requests throttled, not judged)"
    assert any(line.startswith("THROTTLED: ") for line in report.throttling(results))
    assert not strict.findings and not strict.ok and strict.too_throttled
    assert report.verdict(strict).startswith("THROTTLED: ")


def test_a_limit_that_never_lifts_stops_the_family_as_throttling():
    storm = Breakage("further-429-storm", "further", "none",
                     "after 40 requests every request is answered 429, whatever wait it asked for",
                     rate_limited("further", every=1, after=40, retry_after="0"))
    with serve(storm) as root:
        results = run(options("further", root, profile="standard", checks=["lifecycle"]))
    with serve(storm) as root:
        tolerant = run(options("further", root, profile="standard", checks=["lifecycle"],
                               max_throttled=1000))
    assert not results.findings, [f.rule for f in results.findings]
    assert "lifecycle" in results.throttle_stops and not results.ok
    assert "THROTTLED" in report.verdict(results) and "stopped lifecycle" in report.verdict(results)
    assert not tolerant.findings and "lifecycle" in tolerant.throttle_stops
    assert not tolerant.too_throttled


def test_the_cli_reports_throttling_on_its_own_line_and_max_throttled_fails_it():
    server = Breakage("throttled-run", "further", "none", "one run's polls always throttled",
                      throttled_run("further", FURTHER_POLL, RETRIES + 1))
    with serve(server) as root:
        base = ["run", "further", "--base-url", f"{root}/further", "--fast-forward",
                "--client-id", CREDENTIALS["further"]["client_id"],
                "--client-secret", CREDENTIALS["further"]["client_secret"],
                "--profile", "quick", "--checks", "lifecycle"]
        lenient = CliRunner().invoke(main, base)
    with serve(server) as root:
        base[3] = f"{root}/further"
        strict = CliRunner().invoke(main, [*base, "--max-throttled", "0"])
    assert lenient.exit_code == 0, lenient.output
    assert "THROTTLED: " in lenient.output and "VIOLATION" not in lenient.output
    assert strict.exit_code == 1 and strict.output.rstrip().splitlines()[-1].startswith(
        "THROTTLED: ")
