"""The vendors' own example code runs against the mock, changed only in base URL and ids.

The scripts sleep between polls as the docs show; here `time.sleep` moves the mock's clock
instead of waiting, so a 5-second poll loop finishes at once and still sees the lifecycle.
"""

from __future__ import annotations

import json
import runpy
import time
from pathlib import Path

import pytest
import requests

from tests.helpers import PDF, OverSocket

EXAMPLES = Path(__file__).parent / "vendor_examples"


@pytest.fixture
def server(mock, monkeypatch) -> OverSocket:
    live = OverSocket(mock)
    monkeypatch.setattr(time, "sleep", lambda seconds: mock.clock.advance(seconds))
    yield live
    live.close()


def run_example(name: str, replacements: dict[str, str], tmp_path: Path,
                namespace: dict | None = None) -> dict:
    code = (EXAMPLES / name).read_text(encoding="utf-8")
    for old, new in replacements.items():
        assert old in code, f"{old!r} is not in {name}"
        code = code.replace(old, new)
    script = tmp_path / name
    script.write_text(code, encoding="utf-8")
    return runpy.run_path(str(script), init_globals=namespace or {})


@pytest.mark.parametrize("outcome", ["completed", "failed"])
def test_further_end_to_end_script(server, tmp_path, monkeypatch, capsys, outcome):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policy.pdf").write_bytes(PDF)
    if outcome == "failed":
        requests.post(f"{server.base}/__mock__/scenarios", json={"outcome": "failed"}, timeout=5)
    result = run_example("further_end_to_end.py",
                         {"https://api.further.ai": f"{server.base}/further"}, tmp_path)
    printed = capsys.readouterr().out
    assert result["status"] == outcome
    if outcome == "completed":
        assert "Execution completed successfully!" in printed and "Step: " in printed
    else:
        assert "Execution failed: " in printed and "Unknown error" not in printed


@pytest.mark.parametrize("outcome", ["completed", "failed"])
def test_further_poll_execution_with_backoff(server, tmp_path, outcome):
    token = requests.post(f"{server.base}/further/api/v1/oauth2/access_token",
                          json={"client_id": "YOUR_CLIENT_ID",
                                "client_secret": "YOUR_CLIENT_SECRET"}, timeout=5)
    access_token = token.json()["access_token"]
    started = requests.post(
        f"{server.base}/further/api/v1/workflow-builder/workflows/YOUR_WORKFLOW_ID/executions",
        headers={"Authorization": f"Bearer {access_token}", "Prefer": f"outcome={outcome}"},
        files=[("files", ("policy.pdf", PDF, "application/pdf"))], timeout=5)
    execution_id = started.json()["workflow_execution_id"]
    result = run_example("further_poll_execution.py",
                         {"https://api.further.ai": f"{server.base}/further",
                          "YOUR_EXECUTION_ID": execution_id},
                         tmp_path, {"access_token": access_token})
    assert result["result"]["status"] == outcome


PHINITE_IDS = {"{workspace_id}/{trigger_id}/{environment}": "ws-1/tr-1/DEV"}


@pytest.mark.parametrize("outcome", ["completed", "failed"])
def test_phinite_single_endpoint_python(server, tmp_path, capsys, outcome):
    if outcome == "failed":
        requests.post(f"{server.base}/__mock__/scenarios", json={"outcome": "failed"}, timeout=5)
    run_example("phinite_single_endpoint.py",
                {"https://app.phinite.ai": f"{server.base}/phinite", **PHINITE_IDS}, tmp_path)
    printed = json.loads(capsys.readouterr().out)
    assert printed["status"] == outcome


@pytest.mark.parametrize("outcome", ["completed", "failed"])
def test_phinite_background_task_python(server, tmp_path, capsys, outcome):
    if outcome == "failed":
        requests.post(f"{server.base}/__mock__/scenarios", json={"outcome": "failed"}, timeout=5)
    result = run_example("phinite_background_task.py",
                         {"https://app.phinite.ai": f"{server.base}/phinite", **PHINITE_IDS,
                          "{{workspace_id}}": "ws-1"}, tmp_path)
    printed = capsys.readouterr().out
    assert result["status_data"]["status"] == outcome
    assert "Status: running, Logs: " in printed
