"""`--record`: every exchange in one HAR 1.2 file, secrets masked, big bodies by hash; and the
mock answering a recorded session again (`serve --from-recording`), in-process and over a socket."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from conformance.cli import main as conformance
from contracts.recording import MASK, masked, read
from mockserver import LiveServer, Mock, MockConfig
from mockserver.proxy.recorder import HarWriter
from tests.broken.breakages import Breakage, Call, Reply
from tests.broken.serve import serve_demo
from tests.helpers import (
    FUTURITY_KEY,
    WAYS,
    AtUrl,
    InProcess,
    OverSocket,
    futurity_chat,
    futurity_reads,
)
from tests.mockserver.proxy.support import FURTHER, further_session, proxy


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean Further session recorded through the proxy in front of the mock."""
    directory = tmp_path_factory.mktemp("recording")
    with LiveServer(Mock(MockConfig())) as live, \
            proxy({"further": live.base_url("further")}, record=directory) as (base, _):
        further_session(base, polls=3, extra_polls=1)
    return directory


def test_the_recording_is_one_har_document_with_secrets_masked(recorded):
    har = json.loads((recorded / "recording.har").read_text())
    entries = har["log"]["entries"]
    assert har["log"]["version"] == "1.2" and len(entries) == 6  # token, trigger, four polls
    token = entries[0]
    assert json.loads(token["request"]["postData"]["text"])["client_secret"] == \
        masked("YOUR_CLIENT_SECRET")
    issued = json.loads(token["response"]["content"]["text"])["access_token"]
    assert issued.startswith(MASK + ":")
    auth = [h["value"] for h in entries[1]["request"]["headers"] if h["name"] == "Authorization"]
    assert auth == [f"Bearer {issued}"]  # the same token, told apart without being shown
    assert "YOUR_CLIENT_SECRET" not in (recorded / "recording.har").read_text()
    assert entries[1]["request"]["postData"]["mimeType"].startswith("multipart/form-data")
    assert [e["response"]["status"] for e in entries] == [200, 202, 200, 200, 200, 200]
    assert {e["_vendor"] for e in entries} == {"further"}
    assert entries[2]["_path"].startswith("/api/v1/workflow-builder/workflows/wf-1/executions/")


def test_the_recorded_poll_sequence_is_answered_again_in_order(recorded, tmp_path):
    exchanges = read(recorded)
    created = exchanges[1].json()
    polled = [exchange.json()["status"] for exchange in exchanges[2:]]
    mock = Mock(MockConfig(recording=recorded))
    for api in (InProcess(mock), OverSocket(mock)):
        mock.reset()
        token = api.request("POST", f"{FURTHER}/oauth2/access_token",
                            json={"client_id": "YOUR_CLIENT_ID",
                                  "client_secret": "YOUR_CLIENT_SECRET"}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        trigger = api.request("POST", f"{FURTHER}/workflow-builder/workflows/wf-1/executions",
                              headers=headers,
                              files=[("files", ("policy.pdf", b"%PDF-1.4", "application/pdf"))])
        assert trigger.json() == created
        url = f"{FURTHER}/workflow-builder/workflows/wf-1/executions/" \
              f"{created['workflow_execution_id']}"
        seen = [api.request("GET", url, headers=headers).json()["status"]
                for _ in range(len(polled) + 1)]
        assert seen == [*polled, polled[-1]]  # and a read keeps its last recorded answer
        sources = [e.source for e in mock.journal()]
        assert sources == ["mock"] + ["recording"] * (len(polled) + 2)
        if isinstance(api, OverSocket):
            api.close()


@pytest.fixture(scope="module")
def recorded_at_root(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, list]:
    """A Futurity session recorded through the proxy, every request sent at the root: the
    recording, the chat, and the answers (status, body) of its reads."""
    directory = tmp_path_factory.mktemp("at-root")
    with LiveServer(Mock(MockConfig(contracts=["futurity"]))) as live, \
            proxy({"futurity": live.base_url("futurity")}, record=directory) as (base, _):
        chat = futurity_chat(AtUrl(base), "root")
        base_path, _ = WAYS["root"]
        reads = [requests.get(f"{base}{base_path}{path}", headers=FUTURITY_KEY, timeout=10)
                 for path in (f"/chats/{chat}", "/chats", "/chats/chat_unknown")]
    return directory, chat, [(answer.status_code, answer.json()) for answer in reads]


def test_a_recording_made_at_the_root_is_recorded_as_by_prefix(recorded_at_root):
    directory, chat, _ = recorded_at_root
    exchanges = read(directory)
    assert [e.path for e in exchanges] == ["/chats", f"/chats/{chat}", "/chats",
                                           "/chats/chat_unknown"]
    assert {e.vendor for e in exchanges} == {"futurity"}
    assert all(e.url.split("/futurity/v1/")[1].startswith("chats") for e in exchanges)


@pytest.mark.parametrize("contracts", [["futurity"], ["futurity", "phinite"]],
                         ids=["one vendor", "two vendors"])
def test_a_recording_made_at_the_root_replays_by_prefix_root_and_host(recorded_at_root,
                                                                       contracts):
    directory, chat, reads = recorded_at_root
    mock = Mock(MockConfig(contracts=contracts, recording=directory))
    for api in (InProcess(mock), OverSocket(mock)):
        mock.reset()
        answers = futurity_reads(api, chat)
        assert answers["prefix"] == answers["host"] == reads
        if len(contracts) == 1:
            assert answers["root"] == reads
            assert [e.source for e in mock.journal()] == ["recording"] * 9
        else:
            assert answers["root"][0][0] == 404 and "No vendor" in answers["root"][0][1]["error"]
            assert [e.source for e in mock.journal()] == ["recording"] * 6
        if isinstance(api, OverSocket):
            api.close()


def test_requests_the_recording_does_not_hold_fall_back_to_the_mock(recorded):
    api = InProcess(Mock(MockConfig(recording=recorded)))
    answer = api.request("POST", "/phinite/api/v1/ai/trigger/ws-1/tr-1/DEV",
                         headers={"Authorization": "Bearer workspace_api_key"},
                         json={"message": "hi"})
    assert answer.status == 200 and answer.json()["status"] == "completed"


def _gzipped(call: Call) -> Reply:
    reply = call.forward()
    reply.body = gzip.compress(reply.body)
    reply.headers["Content-Encoding"] = "gzip"
    return reply


def test_a_compressed_answer_is_relayed_as_sent_and_recorded_decoded_and_masked(tmp_path):
    compressing = Breakage("gzip", "further", "-", "answers gzip-compressed", _gzipped)
    with serve_demo(compressing) as root, \
            proxy({"further": root + "/further"}, record=tmp_path) as (base, app):
        token = requests.post(f"{base}{FURTHER}/oauth2/access_token", timeout=10, json={
            "client_id": "YOUR_CLIENT_ID", "client_secret": "YOUR_CLIENT_SECRET"})
    assert token.headers["Content-Encoding"] == "gzip" and token.json()["access_token"]
    assert app.mock.journal()[-1].verdict == "conforms"
    content = json.loads((tmp_path / "recording.har").read_text())["log"]["entries"][0][
        "response"]["content"]
    assert json.loads(content["text"])["access_token"].startswith(MASK)
    assert content["compression"] > 0 and token.json()["access_token"] not in content["text"]
    assert CliRunner().invoke(conformance, ["replay", str(tmp_path), "further"]).exit_code == 0


def test_a_recording_stays_one_valid_document_across_sessions(tmp_path):
    HarWriter(tmp_path).append({"n": 1})
    assert json.loads((tmp_path / "recording.har").read_text())["log"]["entries"] == [{"n": 1}]
    HarWriter(tmp_path).append({"n": 2})  # a later session goes on with the same file
    har = json.loads((tmp_path / "recording.har").read_text())
    assert har["log"]["version"] == "1.2" and har["log"]["entries"] == [{"n": 1}, {"n": 2}]
