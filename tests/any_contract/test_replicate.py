"""A fifth async-job API served from its contract alone: a contract with no vendor module gets
lifecycles that walk their declared transitions, cancel, lists with cursor paging, bodies built
from the request, its own `Prefer` header beside the mock's, and faults that stay declared."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import requests

import contracts
from mockserver import FaultRule, LiveServer, Mock, MockConfig
from tests.helpers import TESTS, InProcess, Served

REPLICATE = TESTS / "any_contract" / "replicate.yaml"
TOKEN = {"Authorization": "Bearer r8_demo_token"}
OTHER = {"Authorization": "Bearer r8_other_token"}
BODY = {"version": "5c7d5dc6dd8b", "input": {"text": "Bob"}}
PREDICTIONS = "/replicate/v1/predictions"
ID = re.compile(r"^[a-z0-9]{26}$")


@pytest.fixture
def config() -> MockConfig:
    return MockConfig(contracts=[str(REPLICATE)])


def create(api, prefer: str | None = None, headers=TOKEN, body=BODY):
    extra = {"Prefer": prefer} if prefer else {}
    return api.request("POST", PREDICTIONS, headers={**headers, **extra}, json=body)


def get(api, prediction_id: str, headers=TOKEN):
    return api.request("GET", f"{PREDICTIONS}/{prediction_id}", headers=headers)


def test_the_contract_lints_clean() -> None:
    assert contracts.lint(str(REPLICATE)) == []


def test_a_run_is_built_from_the_request_and_walks_every_declared_state(api, mock) -> None:
    created = create(api)
    assert created.status == 201, created.text
    body = created.json()
    assert ID.match(body["id"]), "ids follow the contract's pattern"
    assert body["status"] == "starting" and body["input"] == BODY["input"]
    assert body["version"] == BODY["version"]
    assert body["urls"]["get"].endswith(f"/replicate/v1/predictions/{body['id']}")
    assert body["started_at"] is None and body["completed_at"] is None
    mock.clock.advance(3600)  # far past the plan: the run still shows `processing` first
    seen = [get(api, body["id"]).json() for _ in range(3)]
    assert [s["status"] for s in seen] == ["processing", "succeeded", "succeeded"]
    assert seen[0]["started_at"] is not None and seen[1]["completed_at"] is not None


def test_a_run_forced_out_of_its_initial_state_shows_when_it_started(api, mock) -> None:
    body = create(api).json()
    forced = api.request("POST", f"/__mock__/runs/replicate/{body['id']}/state",
                         json={"state": "processing"})
    assert forced.status == 200, forced.text
    shown = get(api, body["id"]).json()
    assert shown["status"] == "processing" and shown["started_at"] is not None


def test_the_vendors_own_prefer_and_the_mocks_preferences_share_the_header(api, mock) -> None:
    created = create(api, prefer="wait=5, outcome=failed, polls=2")
    assert created.status == 201, created.text
    prediction = created.json()["id"]
    assert [get(api, prediction).json()["status"] for _ in range(2)] == ["processing", "failed"]
    refused = create(api, prefer="wait=99")
    assert refused.status == 422 and refused.json()["title"] == "Invalid input"


def test_cancel_moves_a_live_run_and_refuses_an_ended_or_unknown_one(api, mock) -> None:
    prediction = create(api).json()["id"]
    cancelled = api.request("POST", f"{PREDICTIONS}/{prediction}/cancel", headers=TOKEN)
    assert cancelled.status == 200 and cancelled.json()["status"] == "canceled"
    assert cancelled.json()["id"] == prediction
    mock.clock.advance(3600)
    assert get(api, prediction).json()["status"] == "canceled"
    again = api.request("POST", f"{PREDICTIONS}/{prediction}/cancel", headers=TOKEN)
    assert again.status == 409 and "already ended" in again.json()["detail"]
    unknown = api.request("POST", f"{PREDICTIONS}/{'a' * 26}/cancel", headers=TOKEN)
    assert unknown.status == 404
    theirs = api.request("POST", f"{PREDICTIONS}/{prediction}/cancel", headers=OTHER)
    assert theirs.status == 404


def test_lists_show_the_callers_runs_newest_first_in_cursor_pages(api, mock) -> None:
    made = [create(api).json()["id"] for _ in range(3)]
    create(api, headers=OTHER)
    page = api.request("GET", PREDICTIONS, headers=TOKEN).json()
    assert [p["id"] for p in page["results"]] == made[::-1]
    assert page["next"] is None and page["previous"] is None
    bad = api.request("GET", f"{PREDICTIONS}?cursor=%%%", headers=TOKEN)
    assert bad.status == 400


def test_cursor_pages_link_each_other_without_overlap_or_gap() -> None:
    lifecycle = contracts.extensions(str(REPLICATE)).lifecycles["prediction"]
    assert lifecycle.listing is not None and lifecycle.listing.paging is not None
    small = lifecycle.listing.paging.model_copy(update={"page_size": 2})
    listing = lifecycle.listing.model_copy(update={"paging": small})
    mock = Mock(MockConfig(contracts=[str(REPLICATE)]))
    mock.vendors["replicate"].contract.extensions.lifecycles["prediction"] = \
        lifecycle.model_copy(update={"listing": listing})
    api = InProcess(mock)
    made = [create(api).json()["id"] for _ in range(5)]
    seen, url = [], PREDICTIONS
    while url:
        page = api.request("GET", url, headers=TOKEN).json()
        seen += [p["id"] for p in page["results"]]
        url = page["next"] and page["next"].split("localhost", 1)[-1]
    assert seen == made[::-1]


def test_an_injected_status_the_operation_does_not_declare_becomes_one_it_does(api, mock) -> None:
    mock.faults.add(FaultRule(kinds=["500"], operation="getPrediction"))
    prediction = create(api).json()["id"]
    answer = get(api, prediction)
    assert answer.status == 503, "getPrediction declares 503, not 500"
    assert answer.json() == {"title": "Internal server error",
                             "detail": "Service temporarily unavailable (injected)"}


def test_a_contract_binds_no_vendor_module_by_a_matching_id(tmp_path) -> None:
    text = REPLICATE.read_text(encoding="utf-8").replace("id: replicate", "id: phinite")
    own = tmp_path / "own.yaml"
    own.write_text(text, encoding="utf-8")
    mock = Mock(MockConfig(contracts=[str(own)]))
    context = mock.vendors["phinite"].vendor
    assert context.start is None and context.view is None
    assert context.auth.credentials.keys == ["r8_demo_token", "r8_other_token"]
    with pytest.raises(ValueError, match="two contracts name the vendor 'phinite'"):
        Mock(MockConfig(contracts=["phinite", str(own)]))


AUTHOR_MISTAKES = [
    ("poll: getPrediction", "poll: getPredictio",
     "x-lifecycles.prediction.poll: no operation 'getPredictio'; did you mean 'getPrediction'?"),
    ("servers:\n  - url: https://api.replicate.com\n", "",
     "servers: missing"),
    ("x-error-format:", "x-error-formats:", "x-error-format: missing"),
    ("id: replicate", "id: re.plicate", "x-vendor.id: String should match pattern"),
    ("id: {create: /id, poll: /id}", "id: {create: /id, poll: /ident}",
     "x-lifecycles.prediction.id.poll: '/ident' is not a place the response schema declares"),
    ("prediction_id: $response.body#/id", "prediction_id: $response.body#/idd",
     "x-lifecycles.prediction.link: no link parameter is '$response.body#/id'"),
    ("cancelled: canceled", "cancelled: cancelled",
     "x-lifecycles.prediction: Value error, lifecycle names undeclared states: ['cancelled']"),
    ("      processing: [succeeded, failed, canceled]\n", "",
     "x-lifecycles.prediction.transitions: no terminal state can be reached from 'processing'"),
    ("    conflict: 409\n", "    conflict: 410\n",
     "x-lifecycles.prediction.conflict: cancelPrediction does not declare 410"),
]


@pytest.mark.parametrize(("original", "mistake", "named"), AUTHOR_MISTAKES)
def test_every_authoring_mistake_is_named_with_its_place(tmp_path, original, mistake,
                                                         named) -> None:
    text = REPLICATE.read_text(encoding="utf-8")
    assert original in text
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace(original, mistake, 1), encoding="utf-8")
    problems = [str(problem) for problem in contracts.lint(str(broken))]
    assert any(problem.startswith(named) for problem in problems), problems
    with pytest.raises(contracts.ContractError, match=re.escape(named[:40])):
        Mock(MockConfig(contracts=[str(broken)]))


def test_the_vendors_own_python_client_runs_unchanged_against_the_mock(monkeypatch) -> None:
    import replicate  # the vendor's own client, from the dev extra

    monkeypatch.setenv("REPLICATE_POLL_INTERVAL", "0.01")
    mock = Mock(MockConfig(contracts=[str(REPLICATE)],
                           timing={"min_seconds": 0.05, "max_seconds": 0.1}))
    with LiveServer(mock) as server:
        client = replicate.Client(api_token="r8_demo_token", base_url=server.base_url("replicate"))
        prediction = client.predictions.create(version="5c7d5dc6dd8b", input={"text": "Bob"})
        assert prediction.status == "starting"
        prediction.wait()
        assert prediction.status == "succeeded" and prediction.input == {"text": "Bob"}
        doomed = client.predictions.create(version="5c7d5dc6dd8b", input={"text": "Eve"})
        doomed.cancel()
        assert client.predictions.get(doomed.id).status == "canceled"
        listed = client.predictions.list()
        assert [p.id for p in listed.results] == [doomed.id, prediction.id]


def test_lint_and_serve_from_the_command_line(tmp_path) -> None:
    lint = [sys.executable, "-m", "mockserver", "lint"]
    clean = subprocess.run([*lint, str(REPLICATE)], capture_output=True, text=True, timeout=60)
    assert clean.returncode == 0 and "ok" in clean.stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text(REPLICATE.read_text(encoding="utf-8").replace(
        "poll: getPrediction", "poll: getPredictio"), encoding="utf-8")
    refused = subprocess.run([*lint, str(broken)], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    assert "did you mean 'getPrediction'?" in refused.stderr
    no_keys = tmp_path / "no-keys.yaml"
    no_keys.write_text(REPLICATE.read_text(encoding="utf-8").replace(
        "x-demo-credentials:\n  keys: [r8_demo_token, r8_other_token]\n", ""), encoding="utf-8")
    served = Served(str(REPLICATE), cwd=tmp_path)
    try:
        made = requests.post(f"{served.base}/replicate/v1/predictions", json=BODY,
                             headers=TOKEN, timeout=5)
        assert made.status_code == 201 and ID.match(made.json()["id"])
    finally:
        banner = served.stop()
    assert "Authorization: Bearer r8_demo_token" in banner
    bare = Served(str(no_keys), cwd=tmp_path)
    assert "no credentials" in bare.stop()
