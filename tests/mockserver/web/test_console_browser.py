"""The QA console in a real browser: Chromium driven by Playwright against `mockserver serve`
(a subprocess, over a socket), while a real client (`requests`) calls the vendors.

Each test saves a screenshot of the page it drove under its tmp_path. Without Debian's Chromium
at /usr/bin/chromium the tests skip, except under CI, where they fail (`.ci/run` installs it).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.helpers import Served

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
KEY = {"Authorization": "Bearer workspace_api_key"}
START = "/phinite/api/v1/ai/trigger/start/ws-1/tr-1/DEV"
STATUS = "/phinite/api/v1/ai/trigger/status/ws-1/{}"
SYNC = "/phinite/api/v1/ai/trigger/ws-1/tr-1/DEV"


def _require_browser() -> Any:
    """Playwright's sync API, or a skip (a failure under CI) saying what is missing."""
    missing = None
    if not CHROMIUM.exists():
        missing = f"Debian's Chromium is not at {CHROMIUM} (apt-get install -y chromium)"
    try:
        from playwright import sync_api
    except ImportError:
        missing = missing or "playwright is not installed (pip install -e '.[dev]')"
    if missing and os.environ.get("CI"):
        pytest.fail(f"browser tests must run under CI: {missing}")
    if missing:
        pytest.skip(missing)
    return sync_api


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = _require_browser()
    sync_api.expect.set_options(timeout=10_000)  # the page refreshes every 2 s; CI may be slow
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = Served(cwd=tmp_path_factory.mktemp("serve"))
    yield served
    served.stop()


@pytest.fixture
def base(server: Served) -> str:
    requests.post(f"{server.base}/__mock__/reset", timeout=5).raise_for_status()
    return server.base


@pytest.fixture
def page(browser: Any, base: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"the console's JavaScript failed: {errors}"


def expect(locator: Any) -> Any:
    return _require_browser().expect(locator)


def start_run(base: str, prefer: str | None = None) -> str:
    headers = {**KEY, **({"Prefer": prefer} if prefer else {})}
    response = requests.post(base + START, headers=headers, timeout=5,
                             json={"message": "go", "user_variables": {"k": "v"}})
    assert response.status_code == 202, response.text
    return response.json()["workflow_id"]


def test_overview_lists_the_vendors_and_drives_the_clock(page, base, tmp_path):
    page.goto(f"{base}/__mock__/ui")
    expect(page.locator("#vendors-table tbody tr")).to_have_count(4)
    expect(page.locator("#vendors-table")).to_contain_text(f"{base}/phinite")
    expect(page.locator("#vendors-table")).to_contain_text("workspace_api_key")
    page.click("#freeze")
    expect(page.locator("#clock-state")).to_have_text("frozen")
    before = requests.get(f"{base}/__mock__/clock", timeout=5).json()["now"]
    page.click("text=+1 h")
    expect(page.locator("#clock-offset")).to_contain_text("ahead of real time")
    after = requests.get(f"{base}/__mock__/clock", timeout=5).json()["now"]
    assert after == pytest.approx(before + 3600)
    token = requests.post(f"{base}/further/api/v1/oauth2/access_token", timeout=5, json={
        "client_id": "YOUR_CLIENT_ID", "client_secret": "YOUR_CLIENT_SECRET"}).json()
    further = {"Authorization": f"Bearer {token['access_token']}"}
    execution = f"{base}/further/api/v1/workflow-builder/workflows/wf-1/executions/nope"
    assert requests.get(execution, headers=further, timeout=5).status_code == 404
    page.click("text=Expire tokens (+1 h)")
    # frozen: the lead over real time shrinks as real time passes
    expect(page.locator("#clock-offset")).to_contain_text(re.compile(r"^(2 h|1 h 59 min) ahead"))
    assert requests.get(execution, headers=further, timeout=5).status_code == 401
    page.fill("#advance-form input[name=seconds]", "-5")
    page.click("#advance-form button[type=submit]")
    expect(page.locator("#advance-form")).to_contain_text("greater than or equal to 0")
    page.screenshot(path=tmp_path / "overview.png", full_page=True)
    page.click("#reset")
    page.click("#reset-yes")
    expect(page.locator("#clock-state")).to_have_text("running")


def test_a_run_appears_finishes_on_a_clock_jump_and_another_is_forced_to_fail(page, base,
                                                                             tmp_path):
    page.goto(f"{base}/__mock__/ui#runs")
    expect(page.locator("#runs-empty")).to_contain_text(  # how to start one
        f"POST {base}/phinite/api/v1/ai/trigger/start/{{workspace_id}}/{{trigger_id}}/")
    finishing = start_run(base, prefer="seconds=30")
    row = page.locator(f'#runs-table tr[data-run="{finishing}"]')
    expect(row.locator("td").nth(1)).to_contain_text("running")
    expect(row).to_contain_text("completed after 30 s")
    page.goto(f"{base}/__mock__/ui#overview")
    page.click("text=+1 min")
    page.goto(f"{base}/__mock__/ui#runs")
    expect(row.locator("td").nth(1)).to_contain_text("completed")
    expect(row.locator(".timeline .badge")).to_have_text(["running", "completed"])

    forced = start_run(base, prefer="polls=10")
    other = page.locator(f'#runs-table tr[data-run="{forced}"]')
    other.locator("select[name=state]").select_option("failed")
    other.locator("button", has_text="Force").click()
    expect(other.locator("td").nth(1)).to_contain_text("failed")
    polled = requests.get(base + STATUS.format(forced), headers=KEY, timeout=5)
    assert polled.json()["status"] == "failed"

    form = page.locator("#scenario-form")
    form.locator("select[name=vendor]").select_option("phinite")
    form.locator("select[name=outcome]").select_option("failed")
    form.locator("input[name=count]").fill("0")
    form.locator("button[type=submit]").click()
    expect(form.locator('[data-error-for="count"]')).to_contain_text("greater than or equal to 1")
    form.locator("input[name=count]").fill("1")
    form.locator("button[type=submit]").click()
    expect(page.locator("#scenarios-table tbody tr")).to_have_count(1)
    synchronous = requests.post(base + SYNC, headers=KEY, json={"message": "go"}, timeout=5)
    assert synchronous.json()["status"] == "failed"
    page.screenshot(path=tmp_path / "runs.png", full_page=True)

    other.locator("a", has_text="requests").click()
    expect(page.locator("#journal-run")).to_contain_text(forced[:8])
    expect(page.locator("#journal-table tbody tr")).to_have_count(2)  # its start and its poll


def test_a_429_fault_on_the_third_poll_hits_it_and_is_removed(page, base, tmp_path):
    page.goto(f"{base}/__mock__/ui#faults")
    form = page.locator("#fault-form")
    form.locator("select[name=vendor]").select_option("phinite")
    form.locator("select[name=operation]").select_option("getBackgroundTaskStatus")
    form.locator("input[name=rate]").fill("2")
    form.locator("button[type=submit]").click()
    expect(form.locator('[data-error-for="rate"]')).to_contain_text("less than or equal to 1")
    form.locator("input[name=rate]").fill("1")
    form.locator("input[name=after]").fill("2")
    form.locator("input[name=times]").fill("1")
    form.locator("input[name=retry_after]").fill("7")
    form.locator("button[type=submit]").click()
    rule = page.locator("#faults-table tbody tr")
    expect(rule).to_have_count(1)
    expect(rule).to_contain_text("getBackgroundTaskStatus")

    run_id = start_run(base, prefer="polls=5")
    polls = [requests.get(base + STATUS.format(run_id), headers=KEY, timeout=5)
             for _ in range(4)]
    assert [poll.status_code for poll in polls] == [200, 200, 429, 200]
    assert polls[2].headers["Retry-After"] == "7"
    expect(rule.locator("[data-fired]")).to_contain_text("1 / 4")  # hit once, seen 4 times
    expect(rule.locator("[data-fired]")).to_contain_text("spent")
    page.screenshot(path=tmp_path / "faults.png", full_page=True)

    page.goto(f"{base}/__mock__/ui#journal?vendor=phinite&operation=getBackgroundTaskStatus")
    hit = page.locator("#journal-table tbody tr", has_text="429")
    expect(hit).to_have_count(1)
    expect(hit.locator(".badge.warn")).to_have_text("429")

    page.goto(f"{base}/__mock__/ui#faults")
    rule.locator("button", has_text="Remove").click()
    expect(page.locator("#faults-empty")).to_be_visible()
    assert requests.get(f"{base}/__mock__/faults", timeout=5).json() == []


def test_a_contract_breaking_request_is_highlighted_with_the_rule_it_broke(page, base,
                                                                           tmp_path):
    requests.post(base + SYNC, headers=KEY, json={"message": "fine"}, timeout=5)
    refused = requests.post(base + SYNC, headers=KEY, json={"message": 42}, timeout=5)
    assert refused.status_code == 422
    page.goto(f"{base}/__mock__/ui#journal")
    expect(page.locator("#count-violations")).to_have_text("1")
    rows = page.locator("#journal-table tbody tr")
    expect(rows).to_have_count(2)
    broken = page.locator("#journal-table tbody tr.violation")
    expect(broken).to_have_count(1)
    expect(broken.locator(".rule")).to_have_text("body.message: Input should be a valid string")
    page.select_option("#journal-verdict", "violates")
    expect(rows).to_have_count(1)
    broken.click()
    drawer = page.locator("#drawer")
    expect(drawer).to_be_visible()
    expect(drawer.locator(".problems")).to_contain_text("body.message")
    expect(drawer.locator(".tree").first).to_contain_text('operation: "triggerFlow"')
    page.screenshot(path=tmp_path / "journal.png", full_page=True)
    page.keyboard.press("Escape")
    expect(drawer).to_be_hidden()


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception),
                                             (None, pytest.skip.Exception)])
def test_without_chromium_the_browser_tests_skip_except_under_ci(monkeypatch, ci, outcome):
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", Path("/nonexistent/chromium"))
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="/nonexistent/chromium"):
        _require_browser()
