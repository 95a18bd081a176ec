"""`contracts drift`: recordings made through the real proxy in front of the mock (no drift) and
in front of a deliberately drifted mock (each drift found, counted, nothing invented); the
proposal it writes, applied, declaring the additive drift away; hand-written HAR files of any
origin; hostile inputs answered with a usage error."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from click.testing import CliRunner

import contracts
from contracts import proposal
from contracts.cli import main
from contracts.drift import judge
from contracts.lint import lint_document
from contracts.recording import MASK, masked, read
from mockserver import LiveServer, Mock, MockConfig
from tests.broken.drifted import record_drifted_flowflow
from tests.mockserver.proxy.support import (
    FUTURITY,
    FUTURITY_ME,
    PHINITE_KEY,
    flowflow_session,
    further_session,
    futurity_session,
    proxy,
)

START = "POST /api/v1/workflow/start/{workflow_id}"
PROGRESS = "GET /api/v1/workflow/progress/{workflow_run_id}"


def drift(*args: str) -> tuple[int, Any]:
    """`contracts drift ... --format json`: the exit code and the report."""
    result = CliRunner().invoke(main, ["drift", *args, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def summary(report: dict[str, Any]) -> set[tuple[str, str, str, int]]:
    return {(f["kind"], f["place"], f["value"], f["count"]) for f in report["findings"]}


# -- recorded through the proxy in front of the mock -------------------------------------------

def _runs(base: str) -> None:
    """Futurity's workflow runs and Phinite's background tasks, polled to the end, and a few
    errors (an unknown id, a wrong key)."""
    futurity = f"{base}{FUTURITY}"
    workflow = requests.post(f"{futurity}/workflows", json={"name": "W"}, headers=FUTURITY_ME,
                             timeout=10).json()["data"]["id"]
    requests.put(f"{futurity}/workflows/{workflow}", json={"status": "active"},
                 headers=FUTURITY_ME, timeout=10)
    run = requests.post(f"{futurity}/workflows/{workflow}/run", json={"inputs": {"a": 1}},
                        headers={**FUTURITY_ME, "Prefer": "polls=2"}, timeout=10)
    for _ in range(3):
        requests.get(f"{futurity}/workflows/{workflow}/executions/"
                     f"{run.json()['data']['execution_id']}", headers=FUTURITY_ME, timeout=10)
    requests.get(f"{futurity}/whoami", headers=FUTURITY_ME, timeout=10)
    requests.get(f"{futurity}/chats", headers={"Authorization": "Bearer wrong"}, timeout=10)
    phinite = f"{base}/phinite/api/v1/ai/trigger"
    requests.post(f"{phinite}/ws-1/tr-1/DEV", headers=PHINITE_KEY, json={"message": "hi"},
                  timeout=10)
    task = requests.post(f"{phinite}/start/ws-1/tr-1/DEV", json={"message": "hi"},
                         headers={**PHINITE_KEY, "Prefer": "polls=2"}, timeout=10)
    for _ in range(3):
        requests.get(f"{phinite}/status/ws-1/{task.json()['workflow_id']}", headers=PHINITE_KEY,
                     timeout=10)
    requests.get(f"{phinite}/status/ws-1/unknown", headers=PHINITE_KEY, timeout=10)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session of every vendor through one recording proxy in front of the mock."""
    directory = tmp_path_factory.mktemp("clean")
    with LiveServer(Mock(MockConfig())) as live, proxy(
            {name: live.base_url(name) for name in contracts.available()},
            record=directory) as (base, _):
        further_session(base, polls=3, extra_polls=1, metadata='{"external_id": "INV-1"}')
        flowflow_session(base, polls=2)
        futurity_session(base)
        _runs(base)
    return directory


@pytest.mark.parametrize("vendor", contracts.available())
def test_a_correct_mock_recorded_through_the_proxy_shows_no_drift(clean, vendor):
    code, report = drift(vendor, str(clean))
    assert code == 0 and report["drift"] is False and report["findings"] == []
    assert report["judged"] > 0
    assert report["judged"] + report["skipped"]["another vendor's entries"] == report["entries"]
    unreached = {(f["place"], f["value"]) for f in report["unexercised"]
                 if f["kind"] == "state never reached"}
    for name, lifecycle in contracts.lifecycles(vendor).items():  # every run was followed
        assert (f"x-lifecycles.{name}", lifecycle.success) not in unreached


def test_the_unexercised_list_is_what_the_session_never_did(clean):
    _, report = drift("flowflow", str(clean))
    seen = {(e.method, e.status) for e in read(clean) if e.vendor == "flowflow"}
    assert seen == {("POST", 202), ("GET", 200)}
    document = contracts.load("flowflow")
    never = {(f["place"], f["value"]) for f in report["unexercised"]
             if f["kind"] == "status never seen"}
    declared = {(f"{m.upper()} {p}", s) for m, p, op in contracts.operations(document)
                for s in op["responses"]}
    assert never == declared - {(START, "202"), (PROGRESS, "200")}
    reached = {e.json()["workflow"]["run"]["status"] for e in read(clean)
               if e.vendor == "flowflow"}
    unreached = {f["value"] for f in report["unexercised"] if f["kind"] == "state never reached"}
    assert unreached == set(contracts.lifecycles("flowflow")["run"].states) - reached
    assert "FAILED" in unreached and "FINISHED" not in unreached
    assert not [f for f in report["unexercised"] if f["kind"] == "operation never called"]
    assert all(f["drift"] is False and f["count"] == 0 for f in report["unexercised"])

    _, futurity = drift("futurity", str(clean))
    uncalled = {f["place"] for f in futurity["unexercised"]
                if f["kind"] == "operation never called"}
    assert "GET /vault/files" in uncalled and "POST /chats" not in uncalled
    assert "POST /workflows/{id}/run" not in uncalled
    assert "GET /chats/{id}" not in uncalled and "DELETE /chats/{id}" not in uncalled


def test_bodies_stored_by_hash_are_judged_as_well(clean, tmp_path):
    with LiveServer(Mock(MockConfig())) as live, proxy(
            {"flowflow": live.base_url("flowflow")}, record=tmp_path, record_body_limit=0
    ) as (base, _):
        flowflow_session(base, polls=2)
    har = json.loads((tmp_path / "recording.har").read_text())
    assert all("_file" in e["response"]["content"] for e in har["log"]["entries"])
    code, report = drift("flowflow", str(tmp_path))
    _, inline = drift("flowflow", str(clean))
    assert code == 0 and report["unexercised"] == inline["unexercised"]


# -- in front of a drifted server --------------------------------------------------------------

@pytest.fixture(scope="module")
def drifted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("drifted")
    assert [a.status_code for a in record_drifted_flowflow(directory)] == [202, 200, 200, 208]
    return directory


def test_each_drift_of_a_drifted_server_is_found_and_counted(drifted):
    code, report = drift("flowflow", str(drifted))
    created = read(drifted)[0].json()["workflow"]["run"]["status"]
    after = read(drifted)[2].json()["workflow"]["run"]["status"]
    assert code == 1 and report["drift"] is True
    assert summary(report) == {
        ("undeclared status", PROGRESS, "208", 1),
        ("undeclared response header", f"{START} 202", "X-Trace-Id", 1),
        ("undeclared response header", f"{PROGRESS} 200", "X-Trace-Id", 2),
        ("undeclared response header", f"{PROGRESS} 208", "X-Trace-Id", 1),
        ("undeclared response field", f"{PROGRESS} 200 response /workflow/run/cost", "number", 2),
        ("undeclared enum value", f"{PROGRESS} 200 response /workflow/run/status", "PAUSED", 1),
        ("undeclared lifecycle state", "x-lifecycles.run", "PAUSED", 1),
        ("undeclared lifecycle transition", "x-lifecycles.run", f"{created} -> PAUSED", 1),
        ("undeclared lifecycle transition", "x-lifecycles.run", f"PAUSED -> {after}", 1),
    }
    paused = next(f for f in report["findings"] if f["kind"] == "undeclared enum value")
    assert paused["example"]["entry"] == 1 and paused["example"]["status"] == 200
    assert paused["example"]["url"] == read(drifted)[1].url
    assert paused["target"] == ["components", "schemas", "RunStatus", "enum"]


def test_several_recordings_add_up_and_each_example_names_its_own(clean, drifted):
    _, alone = drift("flowflow", str(drifted))
    _, both = drift("flowflow", str(clean), str(drifted))
    assert both["recordings"] == [str(clean), str(drifted)]
    assert both["entries"] == alone["entries"] + len(read(clean))
    assert summary(both) == summary(alone)
    assert {f["example"]["recording"] for f in both["findings"]} == {str(drifted)}
    unreached = {f["value"] for f in both["unexercised"] if f["kind"] == "state never reached"}
    assert "FAILED" in unreached and "RUNNING" not in unreached  # the clean run was RUNNING


def test_the_report_reads_as_text_and_markdown(drifted):
    text = CliRunner().invoke(main, ["drift", "flowflow", str(drifted)])
    assert text.exit_code == 1
    assert "DRIFT: 9 finding(s)" in text.output and "undeclared status" in text.output
    assert "UNEXERCISED (informational, not drift)" in text.output
    markdown = CliRunner().invoke(main, ["drift", "flowflow", str(drifted), "--format",
                                         "markdown"])
    assert markdown.exit_code == 1
    rows = [line for line in markdown.output.splitlines() if line.startswith("| undeclared")]
    assert len(rows) == 9 and "| undeclared enum value | `GET" in markdown.output


def test_the_proposal_declares_the_additive_drift_away(drifted, tmp_path):
    patch = tmp_path / "proposal.yaml"
    result = CliRunner().invoke(main, ["drift", "flowflow", str(drifted), "--propose",
                                       str(patch)])
    assert result.exit_code == 1
    written = yaml.safe_load(patch.read_text())
    assert written["overlay"] == "1.0.0" and written["info"]["title"]
    assert len(written["actions"]) == 9  # a status, 3 headers, a field, an enum value, a state
    # and the two transitions it was seen in
    assert all(action["x-drift"]["recording"] == str(drifted) and action["x-drift"]["seen"] >= 1
               and action["target"].startswith("$['") for action in written["actions"])
    status = written["actions"][0]
    assert status["update"]["208"]["x-drift"] == {"recording": str(drifted), "entry": 3,
                                                  "seen": 1}

    code, after = drift("flowflow", str(drifted), "--overlay", str(patch))
    assert code == 0 and after["findings"] == []
    patched = proposal.apply(contracts.load("flowflow", resolve=False), written)
    assert "PAUSED" in patched["components"]["schemas"]["RunStatus"]["enum"]
    run = patched["x-lifecycles"]["run"]
    created = read(drifted)[0].json()["workflow"]["run"]["status"]
    assert "PAUSED" in run["states"] and "PAUSED" in run["transitions"][created]
    assert run["transitions"]["PAUSED"] == [read(drifted)[2].json()["workflow"]["run"]["status"]]
    assert lint_document(patched) == []  # still a contract the tools read
    assert "&id" not in patch.read_text()  # every note written out, no YAML aliases
    assert judge(patched, {"r": read(drifted)}).findings == []


def test_what_a_person_must_decide_is_not_proposed(tmp_path):
    """A terminal state that moves, an undeclared path and an error body stay findings."""
    api = "https://api.futurity.work/v1"
    run = {"execution_id": "ex_1", "workflow_id": "wf_1", "started_at": "2026-01-01T00:00:00Z",
           "inputs": {}}
    done = {"data": {**run, "status": "completed", "finished_at": "2026-01-01T00:00:01Z",
                     "outputs": {}}}
    har = _har(tmp_path,
               _entry("GET", f"{api}/workflows/wf_1/executions/ex_1", 200, done),
               _entry("GET", f"{api}/workflows/wf_1/executions/ex_1", 200,
                      {"data": {**run, "status": "running"}}),
               _entry("GET", f"{api}/nowhere", 404))
    patch = tmp_path / "p.yaml"
    result = CliRunner().invoke(main, ["drift", "futurity", str(har), "--propose", str(patch)])
    assert result.exit_code == 1 and not patch.exists()
    assert "nothing to propose" in result.stderr
    left = judge(contracts.load("futurity", resolve=False), {"r": read(har)})
    assert {(f.kind, f.value) for f in left.findings} == {
        ("undeclared lifecycle transition", "completed -> running"), ("undeclared path", "")}


def test_a_proposal_can_be_json_and_no_drift_proposes_nothing(clean, drifted, tmp_path):
    patch = tmp_path / "proposal.json"
    result = CliRunner().invoke(main, ["drift", "futurity", str(clean), "--propose",
                                       str(patch)])
    assert result.exit_code == 0 and not patch.exists()
    result = CliRunner().invoke(main, ["drift", "flowflow", str(drifted), "--propose",
                                       str(patch)])
    assert result.exit_code == 1 and len(json.loads(patch.read_text())["actions"]) == 9
    unwritable = CliRunner().invoke(main, ["drift", "flowflow", str(drifted), "--propose",
                                           str(tmp_path / "no" / "such" / "dir.yaml")])
    assert unwritable.exit_code == 2 and "cannot write" in unwritable.output


def test_apply_follows_the_overlay_specification():
    document = {"a": {"b": [1]}, "c": {"d": 1}}
    patched = proposal.apply(document, {"overlay": "1.0.0", "info": {}, "actions": [
        {"target": "$.a.b", "update": 2},
        {"target": "$['c']", "update": {"e": 2}},
        {"target": "$.c.d", "remove": True},
        {"target": "$.nowhere.at_all", "update": {"x": 1}},
    ]})
    assert patched == {"a": {"b": [1, 2]}, "c": {"e": 2}} and document["c"] == {"d": 1}
    with pytest.raises(proposal.OverlayError, match="only exact names"):
        proposal.apply(document, {"overlay": "1.0.0", "actions": [{"target": "$..b"}]})
    with pytest.raises(proposal.OverlayError, match="not an OpenAPI Overlay"):
        proposal.apply(document, {"actions": []})
    assert proposal.target(["paths", "/it's", "get"]) == "$['paths']['/it\\'s']['get']"
    assert proposal._keys(proposal.target(["paths", "/it's", "get"])) == ["paths", "/it's", "get"]


# -- HAR files of any origin -------------------------------------------------------------------

def _entry(method: str, url: str, status: int, body: Any = None, *, headers=(), request=None,
           encode: bool = False, response_headers=()) -> dict[str, Any]:
    content: dict[str, Any] = {"size": 0, "mimeType": "application/json"}
    if body is not None:
        text = json.dumps(body)
        content["text"] = base64.b64encode(text.encode()).decode() if encode else text
        if encode:
            content["encoding"] = "base64"
    item: dict[str, Any] = {
        "startedDateTime": "2026-01-01T00:00:00.000Z", "time": 1,
        "request": {"method": method, "url": url, "httpVersion": "HTTP/2", "cookies": [],
                    "headers": [{"name": n, "value": v} for n, v in headers],
                    "queryString": [], "headersSize": -1, "bodySize": 0},
        "response": {"status": status, "statusText": "", "httpVersion": "HTTP/2", "cookies": [],
                     "headers": [{"name": n, "value": v} for n, v in response_headers],
                     "content": content, "redirectURL": "", "headersSize": -1, "bodySize": -1},
        "cache": {}, "timings": {"send": 0, "wait": 1, "receive": 0},
    }
    if request is not None:
        item["request"]["postData"] = {"mimeType": "application/json",
                                       "text": json.dumps(request)}
    return item


def _har(tmp_path: Path, *entries: dict[str, Any]) -> Path:
    file = tmp_path / "export.har"
    file.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "Browser",
                                                                      "version": "1"},
                                        "entries": list(entries)}}))
    return file


def _chat() -> dict[str, Any]:
    """A chat as the mock answers it, so that the hand-written bodies are valid ones."""
    with LiveServer(Mock(MockConfig())) as live:
        answer = requests.post(f"{live.base_url('futurity')}/chats", json={"title": "t"},
                               headers={"Authorization": "Bearer YOUR_TOKEN"}, timeout=10)
    return answer.json()


def test_a_browser_export_is_judged_below_its_base_url_with_secrets_masked(tmp_path):
    chat = _chat()
    api = "https://api.futurity.work/v1"
    har = _har(
        tmp_path,
        _entry("GET", "https://cdn.example.com/app.js", 200),  # another host
        _entry("OPTIONS", f"{api}/chats", 204),  # a CORS preflight
        _entry("POST", f"{api}/chats?api_key=sk-live-123", 201, chat, encode=True,
               headers=[("Authorization", "Bearer sk-live-456")], request={"title": "t",
                                                                           "colour": "red"},
               response_headers=[("Date", "x"), ("Access-Control-Allow-Origin", "*")]),
        _entry("GET", f"{api}/chats/{chat['data']['id']}", 200),  # no body recorded
        _entry("PATCH", f"{api}/chats/{chat['data']['id']}", 200),
        _entry("GET", f"{api}/nowhere", 404),
        _entry("GET", f"{api}/chats/chat_x", 404, {"error": {"code": "MISSING",
                                                            "message": "No such chat"}}),
    )
    code, report = drift("futurity", str(har), "--base-url", api)
    assert code == 1
    assert report["skipped"] == {"entries not below --base-url": 1, "OPTIONS requests": 1}
    assert summary(report) == {
        ("undeclared request field", "POST /chats request /colour", "string", 1),
        ("undeclared operation", f"PATCH /chats/{chat['data']['id']}", "", 1),
        ("undeclared path", "GET /nowhere", "", 1),
        ("undeclared enum value", "GET /chats/{id} 404 response /error/code", "MISSING", 1),
        ("error format", "GET /chats/{id} 404",
         "/error/code is 'MISSING'; the error format's code for 404 is 'NOT_FOUND'", 1),
    }
    output = json.dumps(report)
    assert "sk-live-123" not in output and "sk-live-456" not in output
    example = next(f for f in report["findings"] if f["kind"] == "undeclared request field")
    assert example["example"]["url"] == f"{api}/chats?api_key={masked('sk-live-123')}"
    assert example["example"]["entry"] == 2

    without = drift("futurity", str(har))[1]  # no base URL: the server's /v1 is stripped
    assert ("undeclared path", "GET /app.js", "", 1) in summary(without)


def test_a_recording_of_our_proxy_keeps_its_masking(tmp_path):
    fingerprint = masked("secret")
    har = _har(tmp_path, _entry("GET", f"http://127.0.0.1:1/futurity/v1/nowhere?token="
                                       f"{fingerprint}", 404))
    _, report = drift("futurity", str(har))
    assert report["findings"][0]["example"]["url"].endswith(f"?token={fingerprint}")
    assert report["findings"][0]["example"]["url"].count(MASK) == 1


# -- hostile inputs ------------------------------------------------------------------------------

HOSTILE = {
    "missing": None,
    "not-json.har": b"\x89PNG\r\n\x1a\n\x00garbage",
    "list.har": b"[]",
    "no-entries.har": b'{"log": {"version": "1.2"}}',
    "entry-not-object.har": b'{"log": {"entries": [42]}}',
    "no-url.har": b'{"log": {"entries": [{"request": {"method": "GET"}, "response": '
                  b'{"status": 200}}]}}',
    "status-text.har": b'{"log": {"entries": [{"request": {"method": "GET", "url": "/x"}, '
                       b'"response": {"status": "ok"}}]}}',
    "headers.har": b'{"log": {"entries": [{"request": {"method": "GET", "url": "/x", '
                   b'"headers": {"a": 1}}, "response": {"status": 200}}]}}',
    "bad-base64.har": b'{"log": {"entries": [{"request": {"method": "GET", "url": "/x"}, '
                      b'"response": {"status": 200, "content": {"text": "abc", '
                      b'"encoding": "base64"}}}]}}',
    "deep.har": b"[" * 100000,
    "escape.har": b'{"log": {"entries": [{"request": {"method": "GET", "url": "/x"}, '
                  b'"response": {"status": 200, "content": {"_file": "bodies/../../secret"}}}]}}',
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_recording_is_a_usage_error(tmp_path, name):
    file = tmp_path / name
    if HOSTILE[name] is not None:
        file.write_bytes(HOSTILE[name])
    result = CliRunner().invoke(main, ["drift", "futurity", str(file)])
    assert result.exit_code == 2, result.output
    assert "RECORDING" in result.output and name in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_deeply_nested_body_is_not_json_to_judge(tmp_path):
    item = _entry("GET", "https://api.futurity.work/v1/whoami", 200)
    item["response"]["content"]["text"] = "[" * 100000
    code, report = drift("futurity", str(_har(tmp_path, item)))
    assert code == 0 and report["judged"] == 1


def test_usage_errors_name_what_is_wrong(tmp_path, clean):
    runner = CliRunner()
    unknown = runner.invoke(main, ["drift", "nosuch", str(clean)])
    assert unknown.exit_code == 2 and "no contract named 'nosuch'" in unknown.output
    empty = runner.invoke(main, ["drift", "futurity", str(tmp_path)])
    assert empty.exit_code == 2 and "without recording.har" in empty.output
    assert runner.invoke(main, ["drift", "futurity"]).exit_code == 2
    base = runner.invoke(main, ["drift", "futurity", str(clean), "--base-url", "ftp://x"])
    assert base.exit_code == 2 and "--base-url" in base.output
    (tmp_path / "o.yaml").write_text("overlay: 1.0.0\nactions: [{target: '$..x'}]\n")
    overlay = runner.invoke(main, ["drift", "futurity", str(clean), "--overlay",
                                   str(tmp_path / "o.yaml")])
    assert overlay.exit_code == 2 and "only exact names" in overlay.output
    (tmp_path / "c.yaml").write_text("just: text\n")
    contract = runner.invoke(main, ["drift", str(tmp_path / "c.yaml"), str(clean)])
    assert contract.exit_code == 2 and "not an OpenAPI document" in contract.output


def test_the_installed_command_exits_2_without_a_traceback(tmp_path):
    file = tmp_path / "x.har"
    file.write_text("{")
    command = Path(sys.executable).parent / "contracts"
    done = subprocess.run([str(command), "drift", "futurity", str(file)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "is not JSON" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_fixed_path_wins_over_a_template_and_a_mount_prefix_is_stripped(tmp_path):
    document = {"openapi": "3.1.0", "info": {"title": "T", "version": "1"},
                "x-vendor": {"id": "t", "name": "T"},
                "x-error-format": {"body": {"message": "{message}"}},
                "paths": {"/a/{x}": {"get": {"operationId": "one",
                                             "responses": {"200": {"description": "x"}}}},
                          "/a/fixed": {"get": {"operationId": "two",
                                               "responses": {"204": {"description": "x"}}}}}}
    har = _har(tmp_path, _entry("GET", "http://h/mounted/a/fixed", 204),
               _entry("GET", "http://h/a/other", 200))
    report = judge(document, {"r": read(har)})
    assert report.findings == [] and report.judged == 2
    assert {f.kind for f in report.unexercised} == set()


@pytest.mark.parametrize("name", contracts.available())
def test_no_shipped_contract_carries_an_unreviewed_drift_note(name):
    assert "x-drift" not in contracts.path(name).read_text(encoding="utf-8")
