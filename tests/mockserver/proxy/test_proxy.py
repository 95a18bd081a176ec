"""The validation proxy in front of the mock and of deliberately broken servers: answers relayed
unchanged, gateway errors in the vendor's format, and each broken rule blamed on the right side."""

from __future__ import annotations

import gzip
import json
import logging
import re
import threading
import time
from collections.abc import Iterator

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.test import Client, EnvironBuilder

from conformance.runner import run
from mockserver import LiveServer, Mock, MockConfig
from mockserver.engine.verdicts import judge_response
from mockserver.proxy import ProxyApp, ProxyConfig, Route
from tests.broken.accounts import accounts
from tests.broken.breakages import Breakage
from tests.broken.catalogue import CATALOGUE, edit_json
from tests.broken.serve import BASE_PATHS, options, serve_demo
from tests.helpers import AtUrl, InWsgi, futurity_chat, futurity_reads
from tests.mockserver.proxy.support import (
    FLOWFLOW_TOKEN,
    FLOWFLOW_WORKFLOW,
    FURTHER,
    PDF,
    PHINITE_KEY,
    QuietHandler,
    closed_port,
    flowflow_session,
    further_session,
    further_token,
    futurity_session,
    proxy,
)

BROKEN = {breakage.name: breakage for breakage in CATALOGUE}


@pytest.fixture
def upstream() -> Iterator[tuple[Mock, LiveServer]]:
    mock = Mock(MockConfig())
    with LiveServer(mock) as live:
        yield mock, live


def test_a_clean_session_is_relayed_unchanged_and_conforms(upstream):
    mock, live = upstream
    with proxy({"further": live.base_url("further")}) as (base, app):
        answers = further_session(base, polls=2, extra_polls=1)
        direct = requests.get(answers[-1].url.replace(base, live.url), timeout=10,
                              headers=answers[-1].request.headers)
    assert [a.status_code for a in answers] == [202, 200, 200, 200]
    assert answers[-1].content == direct.content
    assert answers[-1].headers["Content-Type"] == direct.headers["Content-Type"]
    entries = app.mock.journal()
    assert len(entries) == 5  # token, trigger, three polls
    assert {(e.verdict, e.side, e.source) for e in entries} == {("conforms", None, "proxy")}
    assert len(mock.journal()) == 6  # the upstream saw them all, and the direct poll


def test_the_proxy_answers_in_process_too(upstream):
    _, live = upstream
    app = ProxyApp(ProxyConfig(routes=[Route(contract="phinite",
                                             upstream=live.base_url("phinite"))]))
    answer = Client(app).post("/phinite/api/v1/ai/trigger/ws-1/tr-1/DEV", headers=PHINITE_KEY,
                              json={"message": "hello"})
    assert answer.status_code == 200 and answer.json["status"] == "completed"
    assert [e.verdict for e in app.mock.journal()] == ["conforms"]
    assert Client(app).get("/__mock__/journal").json[0]["source"] == "proxy"


def _futurity_proxy(live: LiveServer) -> ProxyApp:
    return ProxyApp(ProxyConfig(routes=[Route(contract="futurity",
                                              upstream=live.base_url("futurity"))]))


def test_prefix_root_and_host_reach_the_only_vendor_alike(upstream):
    mock, live = upstream
    app = _futurity_proxy(live)
    chat = futurity_chat(InWsgi(app), "root")
    answers = futurity_reads(InWsgi(app), chat)
    assert answers["prefix"] == answers["root"] == answers["host"]
    assert answers["prefix"] == futurity_reads(AtUrl(live.url), chat)["prefix"]
    assert [status for status, _ in answers["root"]] == [200, 200, 404]
    forwarded = [entry.path for entry in mock.journal()][:10]  # the creation, nine reads
    assert forwarded[0] == "/futurity/v1/chats" and forwarded.count(
        f"/futurity/v1/chats/{chat}") == 3
    assert [entry.operation for entry in app.mock.journal()] == [
        "createChat", *["getChat", "listChats", "getChat"] * 3]


def test_prefix_root_and_host_through_the_proxy_over_a_socket(upstream):
    _, live = upstream
    with proxy({"futurity": live.base_url("futurity")}) as (base, app):
        api = AtUrl(base)
        answers = futurity_reads(api, futurity_chat(api, "host"))
        docs = api.request("GET", "/futurity/v1/openapi.json")
    assert answers["prefix"] == answers["root"] == answers["host"]
    assert [status for status, _ in answers["host"]] == [200, 200, 404]
    assert docs.status == 200 and docs.json()["servers"][0]["url"] == base + "/futurity/v1"
    assert len(app.mock.journal()) == 10 and {e.verdict for e in app.mock.journal()} == {
        "conforms"}


@pytest.mark.parametrize("over", ["in-process", "socket"])
def test_with_two_vendors_the_root_proxies_none(upstream, over):
    _, live = upstream
    with proxy({"futurity": live.base_url("futurity"),
                "phinite": live.base_url("phinite")}) as (base, app):
        api = InWsgi(app) if over == "in-process" else AtUrl(base)
        answers = futurity_reads(api, futurity_chat(api, "host"))
        elsewhere = api.request("GET", "/nowhere")
    assert answers["prefix"] == answers["host"]
    assert [status for status, _ in answers["host"]] == [200, 200, 404]
    root = answers["root"][0]
    assert root[0] == 404 and root[1]["error"] == "No vendor is proxied at /v1/chats/" + \
        answers["host"][0][1]["data"]["id"]
    assert elsewhere.status == 404 and elsewhere.json()["vendors"] == {
        "futurity": "/futurity/v1", "phinite": "/phinite"}


def test_a_gzipped_answer_is_relayed_as_sent_and_judged_decoded():
    body = json.dumps({"detail": "No such execution"}).encode()
    operation = Mock(MockConfig(contracts=["further"])).vendors["further"].contract.operations[
        "getWorkflowExecution"]
    headers = {"content-type": "application/json", "content-encoding": "gzip"}
    problems, decoded = judge_response(operation, "GET", 404, headers, gzip.compress(body))
    assert problems == [] and decoded == {"detail": "No such execution"}
    problems, _ = judge_response(operation, "HEAD", 404, headers, b"")
    assert problems == []
    problems, _ = judge_response(operation, "GET", 418, headers, gzip.compress(body))
    assert problems == ["status 418 is not declared for getWorkflowExecution"]


def test_an_unreachable_upstream_is_a_502_in_the_vendors_format():
    with proxy({"further": f"http://127.0.0.1:{closed_port()}/further"}) as (base, app):
        answer = requests.get(f"{base}{FURTHER}/workflow-builder/workflows/wf-1/executions/x",
                              headers={"Authorization": "Bearer t"}, timeout=10)
    assert answer.status_code == 502
    assert "cannot be reached" in answer.json()["detail"]  # Further's {"detail": ...}
    assert "Connection refused" in answer.json()["detail"]
    entry = app.mock.journal()[-1]
    assert entry.status == 502 and entry.fault.startswith("upstream 502")


def test_a_slow_upstream_is_a_504_in_the_vendors_format(upstream):
    _, live = upstream
    with proxy({"flowflow": live.base_url("flowflow")}, read_timeout=0.3) as (base, _):
        answer = requests.post(f"{base}/flowflow/api/v1/workflow/start/{FLOWFLOW_WORKFLOW}",
                               json={"input": "hi"}, timeout=10,
                               headers={**FLOWFLOW_TOKEN, "Prefer": "latency=1500"})
    assert answer.status_code == 504
    assert answer.json()["status"] == "ERROR" and "within 0.3s" in answer.json()["message"]


def test_a_request_that_breaks_the_contract_is_blamed_on_the_client(upstream, caplog):
    _, live = upstream
    with proxy({"further": live.base_url("further")}) as (base, app), \
            caplog.at_level(logging.INFO, "mockserver.proxy"):
        headers = further_token(base)
        no_files = requests.post(f"{base}{FURTHER}/workflow-builder/workflows/wf-1/executions",
                                 headers=headers, timeout=10)
        no_auth = requests.get(f"{base}{FURTHER}/workflow-builder/workflows/wf-1/executions/x",
                               timeout=10)
    assert no_files.status_code == 400 and no_auth.status_code == 401  # the upstream's answers
    client = [e for e in app.mock.journal() if e.verdict == "violates"]
    assert [e.side for e in client] == ["client", "client"]
    assert client[0].violations == ["body: Field required"]
    assert "Authorization" in client[1].violations[0] and not client[1].response_problems
    assert re.search(r'"POST /further/.*/executions" 400 .* VIOLATION by client: body: Field',
                     caplog.text)


def test_strict_client_refusals_never_reach_the_upstream(upstream):
    mock, live = upstream
    with proxy({"further": live.base_url("further")}, strict_client=True) as (base, app):
        headers = further_token(base)
        refused = requests.post(f"{base}{FURTHER}/workflow-builder/workflows/wf-1/executions",
                                headers=headers, data="not multipart", timeout=10)
        allowed = requests.post(f"{base}{FURTHER}/workflow-builder/workflows/wf-1/executions",
                                headers=headers, timeout=10,
                                files=[("files", ("a.pdf", PDF, "application/pdf"))])
    assert refused.status_code == 415  # as Further declares it
    assert refused.json()["detail"].startswith("Invalid request: header.content-type")
    assert allowed.status_code == 202
    assert [e.operation for e in mock.journal()] == ["createAccessToken",
                                                     "triggerWorkflowExecution"]
    assert [e.status for e in mock.journal()] == [200, 202]
    assert app.mock.journal()[1].side == "client"


def test_an_upload_of_tens_of_megabytes_streams_through(upstream, tmp_path):
    _, live = upstream
    upload = b"%PDF-1.4\n" + bytes(20 * 1024 * 1024)
    with proxy({"further": live.base_url("further")}, record=tmp_path) as (base, app):
        headers = further_token(base)
        answer = requests.post(f"{base}{FURTHER}/workflow-builder/workflows/wf-1/executions",
                               headers=headers, timeout=60,
                               files=[("files", ("big.pdf", upload, "application/pdf"))])
    assert answer.status_code == 202, answer.text
    assert app.mock.journal()[-1].verdict == "conforms"
    har = json.loads((tmp_path / "recording.har").read_text())
    stored = har["log"]["entries"][-1]["request"]["postData"]["_file"]
    assert (tmp_path / stored).stat().st_size > len(upload)


# -- deliberately broken upstreams: the vendor's side ------------------------------------------

STARTS = r"/api/v1/workflow/start/[^/]+"


def _progress_of_another_run(body, call):
    body["progress_api_url"] = body["progress_api_url"].rsplit("/", 1)[0] + "/not-this-run"


PROGRESS_URL_WRONG = Breakage("flowflow-progress-url-wrong", "flowflow", "links",
                              "the progress_api_url addresses another run",
                              edit_json("POST", STARTS, _progress_of_another_run))

VENDOR_CASES = [
    (BROKEN["further-completed-regresses"], "further", r"terminal state 'completed' changed"),
    (BROKEN["further-create-200"], "further", r"status 200 is not declared"),
    (BROKEN["further-wrong-secret-accepted"], "further",
     r"accepted two different secrets for client 'YOUR_CLIENT_ID'"),
    (BROKEN["further-steps-while-running"], "further", r"/steps is present while 'running'"),
    (BROKEN["further-id-changes"], "further", r"polled run .* but the body names"),
    (BROKEN["further-status-renamed"], "further", r"'in_progress' is not a declared state"),
    (BROKEN["further-external-id-not-echoed"], "further", r"/metadata/external_id is missing"),
    (BROKEN["flowflow-text-plain"], "flowflow", r"content type 'text/plain.*' is not declared"),
    (BROKEN["flowflow-results-while-pending"], "flowflow",
     r"/workflow/run/results is present while 'PENDING'"),
    (BROKEN["flowflow-finished-lowercase"], "flowflow", r"'finished' is not a declared state"),
    (PROGRESS_URL_WRONG, "flowflow", r"/progress_api_url addresses workflow_run_id='not-this"),
    (BROKEN["futurity-404-forbidden-code"], "futurity",
     r"/error/code is 'FORBIDDEN'; the error format's code for 404 is 'NOT_FOUND'"),
    (BROKEN["futurity-error-envelope"], "futurity", r"/error is missing from the error"),
    (BROKEN["futurity-delete-keeps"], "futurity", r"chat chat_\w+ was deleted, yet this read"),
    (BROKEN["futurity-reads-across-tenants"], "futurity",
     r"chat chat_\w+ belongs to another client, yet this read succeeded"),
    (BROKEN["futurity-list-leaks-tenant"], "futurity", r"the list shows chat .*another client"),
    (BROKEN["futurity-has-more-wrong"], "futurity",
     r"/pagination/hasMore is true with 1 items from offset 0 of 1"),
]


def drive(vendor: str, base: str) -> None:
    """Traffic that passes through every rule a breakage of `vendor` may break."""
    if vendor == "further":
        requests.post(f"{base}{FURTHER}/oauth2/access_token", timeout=10,
                      json={"client_id": "YOUR_CLIENT_ID", "client_secret": "not-the-secret"})
        further_session(base, polls=2, extra_polls=2, metadata=json.dumps({"external_id": "e"}))
    elif vendor == "flowflow":
        flowflow_session(base, polls=3)
    else:
        futurity_session(base)


def test_clean_traffic_of_every_kind_breaks_no_rule(upstream):
    _, live = upstream
    vendors = ("further", "flowflow", "futurity")
    with proxy({v: live.base_url(v) for v in vendors}) as (base, app):
        for vendor in vendors:
            drive(vendor, base)
    entries = app.mock.journal(limit=1000)
    assert len(entries) > 20
    assert [e for e in entries if e.verdict != "conforms"] == []


@pytest.mark.parametrize(("breakage", "vendor", "rule"), VENDOR_CASES,
                         ids=[case[0].name for case in VENDOR_CASES])
def test_a_broken_vendor_is_blamed_for_the_rule_it_broke(breakage, vendor, rule):
    with serve_demo(breakage) as root, \
            proxy({vendor: root + BASE_PATHS[vendor]}) as (base, app):
        drive(vendor, base)
    broken = [e for e in app.mock.journal() if e.verdict == "violates"]
    assert broken, "no exchange was judged to break the contract"
    assert {e.side for e in broken} == {"vendor"}
    problems = [p for e in broken for p in e.response_problems]
    assert any(re.search(rule, p) for p in problems), problems


@pytest.mark.parametrize(("breakage", "rule"), [
    ("phinite-auth-ignored", r"accepted \(200\) a request that breaks the contract"),
    ("phinite-500-on-malformed-body", r"answered 500 to a request that breaks the contract"),
])
def test_a_vendor_that_accepts_or_crashes_on_a_bad_request_shares_the_blame(breakage, rule):
    with serve_demo(BROKEN[breakage]) as root, \
            proxy({"phinite": root + BASE_PATHS["phinite"]}) as (base, app):
        url = f"{base}/phinite/api/v1/ai/trigger/ws-1/tr-1/DEV"
        requests.post(url, json={"message": "hi"}, timeout=10)  # no credentials
        requests.post(url, json=["not an object"], headers=PHINITE_KEY, timeout=10)
    both = [e for e in app.mock.journal() if e.side == "both"]
    assert both and all(e.violations for e in both)
    assert any(re.search(rule, p) for e in both for p in e.response_problems)


def test_a_broken_error_body_for_a_broken_request_is_blamed_on_both():
    with serve_demo(BROKEN["phinite-422-detail-string"]) as root, \
            proxy({"phinite": root + BASE_PATHS["phinite"]}) as (base, app):
        requests.post(f"{base}/phinite/api/v1/ai/trigger/ws-1/tr-1/DEV", headers=PHINITE_KEY,
                      json=["not", "an", "object"], timeout=10)
    entry = app.mock.journal()[-1]
    assert entry.side == "both" and entry.status == 422
    assert entry.violations and any("detail" in p for p in entry.response_problems)


def test_a_fault_in_judging_never_breaks_the_traffic(upstream, monkeypatch):
    _, live = upstream

    def broken_judge(*args, **kwargs):
        raise RuntimeError("judge bug")

    monkeypatch.setattr("mockserver.proxy.app.watch_exchange", broken_judge)
    with proxy({"phinite": live.base_url("phinite")}) as (base, app):
        answer = requests.post(f"{base}/phinite/api/v1/ai/trigger/ws-1/tr-1/DEV",
                               headers=PHINITE_KEY, json={"message": "hi"}, timeout=10)
    assert answer.status_code == 200 and answer.json()["status"] == "completed"
    assert app.mock.journal()[-1].fault == "not judged: RuntimeError: judge bug"


def _stalls(environ, start_response):
    """An upstream that sends its headers and the start of a body, then stops."""
    start_response("200 OK", [("Content-Type", "application/json")])
    yield b'{"status": '
    time.sleep(1.5)
    yield b'"completed"}'


def test_a_body_that_stalls_before_any_byte_is_relayed_is_a_504():
    server = make_server("127.0.0.1", 0, _stalls, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        with proxy({"phinite": f"http://127.0.0.1:{server.server_port}"},
                   read_timeout=0.5) as (base, app):
            answer = requests.get(f"{base}/phinite/api/v1/ai/trigger/status/ws-1/run-1",
                                  headers=PHINITE_KEY, timeout=10)
    finally:
        server.shutdown()
        server.server_close()
    assert answer.status_code == 504 and "stopped sending" in answer.json()["detail"]
    assert app.mock.journal()[-1].fault.startswith("upstream 504")


def test_a_client_that_leaves_mid_answer_is_journaled(upstream):
    _, live = upstream
    app = ProxyApp(ProxyConfig(routes=[Route(contract="phinite",
                                             upstream=live.base_url("phinite"))]))
    environ = EnvironBuilder("/phinite/api/v1/ai/trigger/ws-1/tr-1/DEV", method="POST",
                             headers=PHINITE_KEY, json={"message": "hi"}).get_environ()
    answer = app(environ, lambda status, headers, exc_info=None: None)
    answer.close()  # as a server does when the client hangs up before reading the body
    entry = app.mock.journal()[-1]
    assert entry.status == 200 and entry.fault == "the client left after 0 bytes of the body"


def test_a_conformance_run_through_the_proxy_finds_no_fault_of_the_mocks():
    with LiveServer(Mock(MockConfig(credentials=accounts()))) as live, \
            proxy({"further": live.base_url("further")}) as (base, app):
        results = run(options("further", base, profile="quick",
                              control_url=f"{live.url}/__mock__"))
    entries = app.mock.journal(limit=5000)
    assert results.ok, [finding.rule for finding in results.findings]
    assert len(entries) > 50 and any(e.side == "client" for e in entries)  # its negative cases
    assert [e for e in entries if e.side in ("vendor", "both")] == []
