"""In-process interception: client code calling the vendors' real URLs reaches the mock, nothing
else does (unless passed through), for `requests` and `httpx` alike."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import requests
import respx
from flask import Flask, request

from mockserver import Mock, MockConfig
from mockserver.testing.intercept import intercept
from mockserver.testing.live import LiveServer

FURTHER = "https://api.further.ai"
PHINITE = "https://app.phinite.ai"
KEY = {"Authorization": "Bearer workspace_api_key"}
PAYLOAD = {"message": "résumé ✓", "user_variables": {"key1": "value1"}}
SYNC = f"{PHINITE}/api/v1/ai/trigger/ws-1/tr-1/DEV"


def further_token() -> dict[str, str]:
    answer = requests.post(f"{FURTHER}/api/v1/oauth2/access_token",
                           json={"client_id": "YOUR_CLIENT_ID",
                                 "client_secret": "YOUR_CLIENT_SECRET"}, timeout=5)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_requests_to_a_real_base_url_reach_the_mock_at_the_documented_paths():
    with intercept("further", "phinite") as mocked:
        headers = further_token()
        started = requests.post(f"{FURTHER}/api/v1/workflow-builder/workflows/wf-1/executions",
                                headers=headers, timeout=5,
                                files=[("files", ("policy.pdf", b"%PDF-1.4", "application/pdf"))])
        assert started.status_code == 202
        poll = (f"{FURTHER}/api/v1/workflow-builder/workflows/wf-1/executions/"
                f"{started.json()['workflow_execution_id']}")
        polled = requests.get(poll, headers=headers, params={"page": "2"}, timeout=5)
    assert polled.json()["status"] == "running"
    entries = mocked.handle.journal()
    assert [(e.vendor, e.operation, e.status) for e in entries] == [
        ("further", "createAccessToken", 200), ("further", "triggerWorkflowExecution", 202),
        ("further", "getWorkflowExecution", 200)]
    assert entries[-1].path.endswith("?page=2")


def echo_app() -> Flask:
    """Answers with what it received, as the WSGI app saw it."""
    app = Flask("echo")

    @app.route("/", defaults={"path": ""}, methods=["GET", "POST", "DELETE"])
    @app.route("/<path:path>", methods=["GET", "POST", "DELETE"])
    def echo(path: str) -> dict[str, object]:
        return {"url": request.url, "host": request.host, "path": request.path,
                "query": request.query_string.decode(), "body": request.get_data(as_text=True),
                "content_type": request.content_type, "token": request.headers.get("X-Token")}

    return app


@pytest.mark.parametrize("client", ["requests", "httpx"])
def test_the_app_receives_the_real_scheme_host_path_query_headers_and_body(client):
    mocked = intercept("futurity")
    mocked.app = echo_app()
    url = "https://api.futurity.work/v1/chats/a%20b?x=1&x=2"
    body = "{\"message\": \"résumé ✓\"}"
    headers = {"X-Token": "t", "Content-Type": "application/json"}
    with mocked:
        if client == "requests":
            seen = requests.post(url, headers=headers, data=body, timeout=5).json()
        else:
            seen = httpx.post(url, headers=headers, content=body.encode()).json()
    assert seen == {"url": url, "host": "api.futurity.work", "path": "/v1/chats/a b",
                    "query": "x=1&x=2", "body": body, "content_type": "application/json",
                    "token": "t"}


def test_a_base_url_with_a_path_is_served_below_it():
    with intercept("futurity") as mocked:
        answer = requests.get("https://api.futurity.work/v1/whoami",
                              headers={"Authorization": "Bearer not-a-known-token"}, timeout=5)
        with pytest.raises(requests.ConnectionError):
            requests.get("https://api.futurity.work/v2/whoami", timeout=5)
    assert answer.status_code == 401
    assert [(e.vendor, e.operation, e.path) for e in mocked.handle.journal()] == [
        ("futurity", "getWhoami", "/v1/whoami")]


def test_body_and_headers_arrive_as_sent():
    with intercept("phinite"):
        as_text = requests.post(SYNC, data=json.dumps(PAYLOAD, ensure_ascii=False),
                                headers={**KEY, "Content-Type": "application/json",
                                         "Prefer": "outcome=failed"}, timeout=5)
        as_json = requests.post(SYNC, json=PAYLOAD, headers=KEY, timeout=5)
    assert as_text.json()["status"] == "failed"
    assert as_text.headers["Preference-Applied"] == "outcome=failed"
    assert as_json.json()["response"]["user_variables"] == PAYLOAD["user_variables"]
    assert PAYLOAD["message"] in as_json.json()["response"]["output"]


def test_httpx_sync_and_async_clients_are_intercepted():
    async def call_async() -> httpx.Response:
        async with httpx.AsyncClient() as client:
            return await client.post(SYNC, json=PAYLOAD, headers=KEY)

    with intercept("phinite") as mocked:
        with httpx.Client() as client:
            synchronous = client.post(SYNC, json=PAYLOAD, headers=KEY)
        asynchronous = asyncio.run(call_async())
    assert synchronous.status_code == asynchronous.status_code == 200
    assert asynchronous.json()["response"]["user_variables"] == PAYLOAD["user_variables"]
    assert len(mocked.handle.journal(operation="triggerFlow")) == 2


@pytest.mark.parametrize("url", ["https://example.com/", "https://api.further.ai.example.com/",
                                 f"{PHINITE}/api/v1/ai/trigger/ws-1/tr-1/DEV"])
def test_hosts_not_intercepted_are_refused(url):
    with intercept("further"):
        with pytest.raises(requests.ConnectionError, match="Connection refused by Responses"):
            requests.get(url, timeout=5)
        with pytest.raises(respx.models.AllMockedAssertionError):
            httpx.get(url)


def test_passthrough_prefixes_reach_the_network():
    other = Mock(MockConfig(contracts=["phinite"]))
    with LiveServer(other) as live, intercept("further", passthrough=[live.url + "/"]):
        assert requests.get(f"{live.url}/__mock__/clock", timeout=5).status_code == 200
        assert httpx.get(f"{live.url}/__mock__/clock").status_code == 200
        with pytest.raises(requests.ConnectionError):
            requests.get("https://example.com/", timeout=5)


def test_a_decorated_function_runs_intercepted_and_keeps_the_mock_state():
    phinite = intercept("phinite")

    @phinite
    def start() -> str:
        return requests.post(f"{PHINITE}/api/v1/ai/trigger/start/ws-1/tr-1/DEV", json=PAYLOAD,
                             headers=KEY, timeout=5).json()["workflow_id"]

    first, second = start(), start()
    assert {run.id for run in phinite.handle.runs()} == {first, second}
    with pytest.raises(requests.ConnectionError):
        requests.get(PHINITE, timeout=5)  # the interception ended with the call


def test_vendors_must_be_served_by_the_mock():
    with pytest.raises(LookupError, match="nowhere"):
        intercept("nowhere", mock=Mock(MockConfig(contracts=["phinite"])))


FUTURITY = "https://api.futurity.work/v1"
FUTURITY_KEY = {"Authorization": "Bearer YOUR_TOKEN"}
REPORT = b"%PDF-1.4\n" + bytes(range(256)) * 8


def _upload_and_sign(send) -> tuple[str, str]:
    """Vault upload, then both URLs the mock hands out for it: the record's and the download's."""
    uploaded = send("POST", f"{FUTURITY}/vault/files", headers=FUTURITY_KEY,
                    files={"file": ("Q3.pdf", REPORT, "application/pdf")})
    assert uploaded.status_code == 201, uploaded.text
    file_id = uploaded.json()["data"]["id"]
    record = send("GET", f"{FUTURITY}/vault/files/{file_id}", headers=FUTURITY_KEY)
    link = send("GET", f"{FUTURITY}/vault/files/{file_id}/download", headers=FUTURITY_KEY)
    return record.json()["data"]["download_url"], link.json()["data"]["url"]


@pytest.mark.parametrize("client", ["requests", "httpx"])
def test_signed_download_urls_work_in_process(client):
    send = requests.request if client == "requests" else httpx.request
    with intercept("futurity"):
        urls = _upload_and_sign(send)
        for url in urls:
            assert url.startswith("https://api.futurity.work/__mock__/downloads/")
            fetched = send("GET", url)
            assert fetched.status_code == 200 and fetched.content == REPORT
            assert fetched.headers["Content-Type"] == "application/pdf"


def test_signed_download_urls_work_in_process_for_an_async_client():
    async def round_trip() -> list[bytes]:
        async with httpx.AsyncClient() as client:
            uploaded = await client.post(f"{FUTURITY}/vault/files", headers=FUTURITY_KEY,
                                         files={"file": ("Q3.pdf", REPORT, "application/pdf")})
            file_id = uploaded.json()["data"]["id"]
            link = await client.get(f"{FUTURITY}/vault/files/{file_id}/download",
                                    headers=FUTURITY_KEY)
            return [(await client.get(link.json()["data"]["url"])).content]

    with intercept("futurity"):
        assert asyncio.run(round_trip()) == [REPORT]


def test_signed_download_urls_work_over_a_socket():
    mock = Mock(MockConfig(contracts=["futurity"]))
    with LiveServer(mock) as server:
        base = server.base_url("futurity")

        def send(method: str, url: str, **kwargs):
            return requests.request(method, url.replace(FUTURITY, base), timeout=5, **kwargs)

        for url in _upload_and_sign(send):
            assert url.startswith(server.url + "/__mock__/downloads/")
            fetched = requests.get(url, timeout=5)
            assert fetched.status_code == 200 and fetched.content == REPORT


def test_other_paths_on_a_vendor_host_stay_refused():
    with intercept("futurity"), pytest.raises(requests.ConnectionError):
        requests.get("https://api.futurity.work/__mock__/journal", timeout=5)


def test_intercepted_urls_skip_the_environment_proxy_lookup_and_others_keep_it(monkeypatch):
    """An intercepted request never meets a proxy: `requests` is not made to look one up (the
    look-up was about 30% of an intercepted call); a passed-through request still is."""
    import requests.sessions

    looked_up: list[str] = []
    real_lookup = requests.sessions.get_environ_proxies

    def counting(url, no_proxy=None):
        looked_up.append(url)
        return real_lookup(url, no_proxy=no_proxy)

    monkeypatch.setattr(requests.sessions, "get_environ_proxies", counting)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # a proxy that answers nothing
    original = requests.Session.merge_environment_settings
    other = Mock(MockConfig(contracts=["phinite"]))
    with LiveServer(other) as live, intercept("further", passthrough=[live.url + "/"]):
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        with requests.Session() as session:
            session.proxies["http"] = "http://127.0.0.1:9"
            token = session.post(f"{FURTHER}/api/v1/oauth2/access_token", timeout=5,
                                 json={"client_id": "YOUR_CLIENT_ID",
                                       "client_secret": "YOUR_CLIENT_SECRET"})
            assert token.status_code == 200
            assert looked_up == []
            session.proxies.clear()
            assert session.get(f"{live.url}/__mock__/clock", timeout=5).status_code == 200
            assert looked_up == [f"{live.url}/__mock__/clock"]
    assert requests.Session.merge_environment_settings is original


def test_nested_interceptions_restore_the_proxy_lookup_when_the_last_one_ends():
    original = requests.Session.merge_environment_settings
    with intercept("further"):
        with intercept("phinite"):
            assert requests.Session.merge_environment_settings is not original
        assert requests.Session.merge_environment_settings is not original  # further's still on
        assert further_token()["Authorization"].startswith("Bearer ")
    assert requests.Session.merge_environment_settings is original
