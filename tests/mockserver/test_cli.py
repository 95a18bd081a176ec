"""`mockserver serve` for real: gunicorn workers, SQLite persistence across a restart."""

from __future__ import annotations

import copy
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import yaml
from click.testing import CliRunner, Result

import contracts
from mockserver.cli import main
from mockserver.web.server import SERVERS
from tests.helpers import PDF, Served, further_token


def test_serve_prints_where_each_vendor_is_and_its_demo_credentials(tmp_path, wsgi_server):
    server = Served(cwd=tmp_path, server=wsgi_server)
    requests.get(f"{server.base}/phinite/docs", timeout=5)
    output = server.stop()
    for line in [f"{server.base}/further", f"{server.base}/futurity/v1", f"{server.base}/phinite",
                 "client_id=YOUR_CLIENT_ID  client_secret=YOUR_CLIENT_SECRET",
                 "Authorization: Bearer workspace_api_key", f"{server.base}/__mock__/"]:
        assert line in output
    assert '"GET /phinite/docs HTTP/1.1" 200' in output
    assert (tmp_path / "mockserver-state.sqlite3").exists()


def test_executions_survive_a_restart(tmp_path, wsgi_server):
    server = Served("further", cwd=tmp_path, server=wsgi_server)
    headers = further_token(server.base)
    url = f"{server.base}/further/api/v1/workflow-builder/workflows/wf-1/executions"
    started = requests.post(url, headers={**headers, "Prefer": "polls=2"},
                            files=[("files", ("policy.pdf", PDF, "application/pdf"))], timeout=5)
    execution = started.json()["workflow_execution_id"]
    assert requests.get(f"{url}/{execution}", headers=headers, timeout=5).json()["status"] == \
        "running"
    server.stop()
    restarted = Served("further", cwd=tmp_path, server=wsgi_server)
    try:
        body = requests.get(f"{url.replace(server.base, restarted.base)}/{execution}",
                            headers=headers, timeout=5).json()
        assert body["status"] == "completed" and body["steps"]
    finally:
        restarted.stop()


def test_several_workers_share_one_consistent_state(tmp_path, wsgi_server):
    server = Served("phinite", "--workers", "2", "--polls", "40", cwd=tmp_path,
                    server=wsgi_server)
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


# -- failing clearly, before anything is served --------------------------------------------

def serve_fails(tmp_path, *args: str) -> Result:
    """`serve` refusing to start, in-process: it fails before anything is served."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        return CliRunner().invoke(main, ["serve", "--store", "memory", *args])


def test_a_port_in_use_is_one_line_and_exit_2_before_the_banner(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = serve_fails(tmp_path, "--port", str(taken.getsockname()[1]))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("Error: cannot listen on 127.0.0.1:")
    assert "Address already in use" in result.stderr and len(result.stderr.splitlines()) == 1


def test_a_port_a_served_mock_holds_is_refused_to_a_second_one(tmp_path, wsgi_server):
    """granian's workers share their port (SO_REUSEPORT): a second mock must still be
    refused it, not join it."""
    with Served("--store", "memory", cwd=tmp_path, server=wsgi_server) as first:
        for second in SERVERS:
            result = serve_fails(tmp_path, "--port", str(first.port), "--server", second)
            assert result.exit_code == 2 and "Address already in use" in result.stderr
        assert requests.get(f"{first.base}/__mock__/health", timeout=5).status_code == 200


@pytest.mark.parametrize(("option", "value"), [("--port", "99999"), ("--port", "-1"),
                                               ("--workers", "0"), ("--threads", "0"),
                                               ("--server", "uwsgi")])
def test_an_invalid_port_or_worker_count_is_a_usage_error(tmp_path, option, value):
    result = serve_fails(tmp_path, option, value)
    assert result.exit_code == 2 and result.stdout == "" and "Traceback" not in result.stderr
    assert f"Invalid value for '{option}'" in result.stderr


CONTRACT = yaml.safe_load(contracts.path("phinite").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("change", "says"), [
    (lambda d: d.pop("x-vendor"), "x-vendor: missing, e.g. `x-vendor: {id: example, "
     "name: Example API}`"),
    (lambda d: d["x-lifecycles"]["task"].pop("poll"), "x-lifecycles.task.poll: Field required"),
    (lambda d: d["x-error-format"].pop("body"), "x-error-format.body: Field required"),
    (lambda d: d.pop("servers"), "servers: missing: the mock serves the vendor at its first "
     "server URL"),
    (lambda d: d["x-lifecycles"]["task"].update(poll="getBackgroundTaskStatu"),
     "x-lifecycles.task.poll: no operation 'getBackgroundTaskStatu'; did you mean "
     "'getBackgroundTaskStatus'?"),
], ids=["no x-vendor", "a lifecycle without poll", "an error format without body", "no servers",
        "a lifecycle naming no operation"])
def test_an_invalid_contract_names_what_is_missing_and_its_shape(tmp_path, change, says):
    document = copy.deepcopy(CONTRACT)
    change(document)
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    result = serve_fails(tmp_path, "mine.yaml")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("Error: contract mine.yaml: ") and says in result.stderr
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("text", ["a: [\n", "just words\n"], ids=["not YAML", "not a mapping"])
def test_an_unreadable_contract_is_one_line(tmp_path, text):
    (tmp_path / "mine.yaml").write_text(text, encoding="utf-8")
    result = serve_fails(tmp_path, "mine.yaml")
    assert result.exit_code == 2 and result.stderr.startswith("Error: contract mine.yaml: ")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize(("args", "says"), [
    (["--client", "further=no-secret"], "expected VENDOR=ID:SECRET"),
    (["--client", "phinite=id:secret"], "phinite does not take OAuth2 clients; use --key"),
    (["--key", "nobody=k"], "no vendor 'nobody' is served"),
])
def test_bad_credentials_options_are_one_line(tmp_path, args, says):
    result = serve_fails(tmp_path, *args)
    assert result.exit_code == 2 and says in result.stderr
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize(("settings", "says"), [
    ("credentials: [1, 2]\n", "credentials: Input should be a valid dictionary"),
    ("credentials: {further: 5}\n", "credentials.further: Input should be a valid dictionary"),
    ("contracts: further\n", "contracts: Input should be a valid list"),
])
def test_a_malformed_config_beside_credentials_options_is_one_line(tmp_path, settings, says):
    (tmp_path / "mock.yaml").write_text(settings, encoding="utf-8")
    result = serve_fails(tmp_path, "--config", "mock.yaml", "--key", "phinite=abc")
    assert result.exit_code == 2 and says in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_version():
    result = subprocess.run([sys.executable, "-m", "mockserver", "--version"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and result.stdout.startswith("mockserver, version ")


def test_port_0_prints_the_port_bound_and_credentials_come_from_options_and_env(tmp_path,
                                                                                wsgi_server):
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "serve", "further", "phinite", "--port", "0",
         "--store", "memory", "--client", "further=my-id:my-secret", "--server", wsgi_server],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "MOCKSERVER_KEYS": "phinite=env-key"})
    try:
        printed = []
        for line in process.stdout:
            printed.append(line)
            if "Control API" in line:
                break
        banner = next(line for line in printed if line.startswith("Mock server on"))
        port = int(banner.split("http://127.0.0.1:", 1)[1].split()[0])
        assert port != 0
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/__mock__/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        token = requests.post(f"{base}/further/api/v1/oauth2/access_token", timeout=5,
                              json={"client_id": "my-id", "client_secret": "my-secret"})
        assert token.status_code == 200
        demo = requests.post(f"{base}/further/api/v1/oauth2/access_token", timeout=5,
                             json={"client_id": "YOUR_CLIENT_ID",
                                   "client_secret": "YOUR_CLIENT_SECRET"})
        assert demo.status_code == 401
        url = f"{base}/phinite/api/v1/ai/trigger/ws/tr/DEV"
        assert requests.post(url, headers={"Authorization": "Bearer env-key"},
                             json={"message": "hi"}, timeout=5).status_code == 200
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert "      client_id=my-id  client_secret=my-secret\n" in printed
    assert "      Authorization: Bearer env-key\n" in printed


def test_one_vendor_is_also_served_at_the_root(tmp_path):
    server = Served("phinite", "--store", "memory", cwd=tmp_path)
    try:
        answer = requests.post(f"{server.base}/api/v1/ai/trigger/ws/tr/DEV", timeout=5,
                               headers={"Authorization": "Bearer workspace_api_key"},
                               json={"message": "hi"})
        assert answer.status_code == 200 and answer.json()["status"] == "completed"
        assert requests.get(f"{server.base}/__mock__/health", timeout=5).json()["status"] == "ok"
    finally:
        output = server.stop()
    assert f"{server.base}   (the only vendor: its documented paths also work" in output
