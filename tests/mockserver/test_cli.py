"""`mockserver serve` for real: gunicorn workers, SQLite persistence across a restart."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.helpers import PDF, Served


def further_token(base: str) -> dict[str, str]:
    response = requests.post(f"{base}/further/api/v1/oauth2/access_token",
                             json={"client_id": "YOUR_CLIENT_ID",
                                   "client_secret": "YOUR_CLIENT_SECRET"}, timeout=5)
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_serve_prints_where_each_vendor_is_and_its_demo_credentials(tmp_path):
    server = Served(cwd=tmp_path)
    requests.get(f"{server.base}/phinite/docs", timeout=5)
    output = server.stop()
    for line in [f"{server.base}/further", f"{server.base}/futurity/v1", f"{server.base}/phinite",
                 "client_id=YOUR_CLIENT_ID  client_secret=YOUR_CLIENT_SECRET",
                 "Authorization: Bearer workspace_api_key", f"{server.base}/__mock__/"]:
        assert line in output
    assert '"GET /phinite/docs HTTP/1.1" 200' in output
    assert (tmp_path / "mockserver-state.sqlite3").exists()


def test_executions_survive_a_restart(tmp_path):
    server = Served("further", cwd=tmp_path)
    headers = further_token(server.base)
    url = f"{server.base}/further/api/v1/workflow-builder/workflows/wf-1/executions"
    started = requests.post(url, headers={**headers, "Prefer": "polls=2"},
                            files=[("files", ("policy.pdf", PDF, "application/pdf"))], timeout=5)
    execution = started.json()["workflow_execution_id"]
    assert requests.get(f"{url}/{execution}", headers=headers, timeout=5).json()["status"] == \
        "running"
    server.stop()
    restarted = Served("further", cwd=tmp_path)
    try:
        body = requests.get(f"{url.replace(server.base, restarted.base)}/{execution}",
                            headers=headers, timeout=5).json()
        assert body["status"] == "completed" and body["steps"]
    finally:
        restarted.stop()


def test_several_workers_share_one_consistent_state(tmp_path):
    server = Served("phinite", "--workers", "2", "--polls", "40", cwd=tmp_path)
    try:
        key = {"Authorization": "Bearer workspace_api_key"}
        started = requests.post(f"{server.base}/phinite/api/v1/ai/trigger/start/ws/tr/DEV",
                                headers=key, json={"message": "hi"}, timeout=5)
        status_url = f"{server.base}/phinite/api/v1/ai/trigger/status/ws/" \
                     f"{started.json()['workflow_id']}"

        def poll(_: int) -> str:
            return requests.get(status_url, headers=key, timeout=10).json()["status"]

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(poll, range(60)))
        # Exactly 39 polls see it running: no worker lost another's count.
        assert statuses.count("running") == 39 and statuses.count("completed") == 21
        runs = requests.get(f"{server.base}/__mock__/runs", timeout=5).json()
        assert runs[0]["state"] == "completed" and runs[0]["polls"] >= 40
    finally:
        server.stop()


def test_serve_refuses_an_unknown_contract(tmp_path):
    result = subprocess.run([sys.executable, "-m", "mockserver", "serve", "nope"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "available: flowflow, further" in result.stderr


def test_config_file_sets_credentials_and_strict_ids(tmp_path):
    (tmp_path / "mock.yaml").write_text(
        "known_ids: {workspace_id: [ws-real]}\n"
        "credentials: {phinite: {keys: [my-workspace-key]}}\n", encoding="utf-8")
    server = Served("phinite", "--config", "mock.yaml", "--store", "memory", cwd=tmp_path)
    try:
        url = f"{server.base}/phinite/api/v1/ai/trigger/{{}}/tr/DEV"
        mine = {"Authorization": "Bearer my-workspace-key"}
        assert requests.post(url.format("ws-real"), headers=mine, json={"message": "hi"},
                             timeout=5).status_code == 200
        assert requests.post(url.format("ws-other"), headers=mine, json={"message": "hi"},
                             timeout=5).status_code == 404
        demo = {"Authorization": "Bearer workspace_api_key"}
        assert requests.post(url.format("ws-real"), headers=demo, json={"message": "hi"},
                             timeout=5).status_code == 401
    finally:
        output = server.stop()
    assert "Authorization: Bearer my-workspace-key" in output


def test_a_bad_config_file_is_a_usage_error(tmp_path):
    (tmp_path / "mock.yaml").write_text("timing: {polls: -3}\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "mockserver", "serve", "--config", "mock.yaml"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "polls" in result.stderr and "Traceback" not in result.stderr
