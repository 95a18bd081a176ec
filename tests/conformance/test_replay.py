"""`conformance replay`: a recording made through the proxy, judged offline by the same rules;
exit 0 when it conforms, 1 naming each broken rule, 2 when the recording cannot be read."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import main
from mockserver import LiveServer, Mock, MockConfig
from tests.broken.serve import BASE_PATHS, serve_demo
from tests.mockserver.proxy.support import flowflow_session, further_session, proxy
from tests.mockserver.proxy.test_proxy import VENDOR_CASES, drive


def replay(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["replay", *args])
    return result.exit_code, result.output


def test_a_clean_recording_conforms(tmp_path):
    with LiveServer(Mock(MockConfig())) as live, \
            proxy({"further": live.base_url("further"), "flowflow": live.base_url("flowflow")},
                  record=tmp_path) as (base, _):
        further_session(base, polls=2, metadata=json.dumps({"external_id": "e-1"}))
        flowflow_session(base, polls=3)
    report, junit = tmp_path / "report.md", tmp_path / "junit.xml"
    code, output = replay(str(tmp_path), "further", "--report", str(report),
                          "--junit-xml", str(junit))
    assert code == 0, output
    assert "CONFORMS" in output and "lifecycle" in output
    assert "conforms" in report.read_text() and "<testsuites" in junit.read_text()
    code, output = replay(str(tmp_path), "flowflow")
    assert code == 0 and "hypermedia" in output, output


@pytest.mark.parametrize(("breakage", "vendor", "rule"), VENDOR_CASES,
                         ids=[case[0].name for case in VENDOR_CASES])
def test_every_rule_the_proxy_caught_live_is_caught_offline(breakage, vendor, rule, tmp_path):
    with serve_demo(breakage) as root, \
            proxy({vendor: root + BASE_PATHS[vendor]}, record=tmp_path) as (base, app):
        drive(vendor, base)
    assert any(e.side == "vendor" for e in app.mock.journal())
    code, output = replay(str(tmp_path), vendor)
    assert code == 1, output
    assert re.search(rule, output), output


def test_a_client_breaking_the_contract_fails_the_replay(tmp_path):
    with LiveServer(Mock(MockConfig())) as live, \
            proxy({"phinite": live.base_url("phinite")}, record=tmp_path) as (base, _):
        import requests

        requests.post(f"{base}/phinite/api/v1/ai/trigger/ws-1/tr-1/DEV", json={"nope": 1},
                      headers={"Authorization": "Bearer workspace_api_key"}, timeout=10)
    code, output = replay(str(tmp_path), "phinite")
    assert code == 1 and "[request]" in output and "message" in output, output


@pytest.mark.parametrize("content", [None, "not json", '{"log": {}}'])
def test_an_unreadable_recording_exits_2(tmp_path: Path, content: str | None):
    if content is not None:
        (tmp_path / "recording.har").write_text(content)
    code, output = replay(str(tmp_path / ("missing" if content is None else "")), "further")
    assert code == 2 and "error:" in output


def test_an_unknown_contract_exits_2(tmp_path):
    code, output = replay(str(tmp_path), "nosuchvendor")
    assert code == 2 and "no contract named" in output


def test_another_tools_har_is_matched_by_path_and_other_traffic_left_out(tmp_path):
    with LiveServer(Mock(MockConfig())) as live, \
            proxy({"further": live.base_url("further")}, record=tmp_path) as (base, _):
        further_session(base, polls=2)
    har = json.loads((tmp_path / "recording.har").read_text())
    for entry in har["log"]["entries"]:  # as a browser would save them
        del entry["_vendor"], entry["_path"]
    har["log"]["entries"].append({**har["log"]["entries"][0], "request": {
        **har["log"]["entries"][0]["request"], "url": "https://fonts.example.com/a.css"}})
    (tmp_path / "browser.har").write_text(json.dumps(har))
    code, output = replay(str(tmp_path / "browser.har"), "further")
    assert code == 0, output
    assert "1 exchange(s) of no operation of further" in output and "lifecycle" in output
