"""`mockserver proxy` and `mockserver serve --from-recording` as real processes, and the vendors'
own example clients running unchanged through the proxy."""

from __future__ import annotations

import os
import runpy
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from mockserver import LiveServer, Mock, MockConfig
from mockserver.cli import main
from tests.helpers import PDF, TESTS, AtUrl, Served, futurity_chat, futurity_reads
from tests.mockserver.proxy.support import FURTHER, closed_port, further_session, proxy


class Started:
    """A `mockserver` command in a subprocess, once it answers on its port."""

    def __init__(self, *args: str, cwd: Path) -> None:
        self.port = closed_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mockserver", *args, "--port", str(self.port)],
            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.base}/__mock__/journal", timeout=1)
                return
            except requests.ConnectionError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        raise RuntimeError(f"did not start: {self.stop()}")

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        output, _ = self.process.communicate(timeout=30)
        return output


def test_proxy_record_and_serve_from_recording_as_processes(tmp_path):
    upstream = Started("serve", "further", "--store", "memory", "--polls", "2", cwd=tmp_path)
    try:
        proxied = Started("proxy", "further", "--upstream", f"{upstream.base}/further",
                          "--store", "memory", "--record", "rec", cwd=tmp_path)
        try:
            answers = further_session(proxied.base, polls=2, extra_polls=0)
            bad = requests.post(f"{proxied.base}{FURTHER}/workflow-builder/workflows/wf-1/"
                                "executions", headers={"Authorization": "Bearer x"}, timeout=10)
            journal = requests.get(f"{proxied.base}/__mock__/journal", timeout=5).json()
        finally:
            printed = proxied.stop()
    finally:
        upstream.stop()
    assert [a.status_code for a in answers] == [202, 200, 200] and bad.status_code == 401
    assert [e["side"] for e in journal] == [None, None, None, None, "client"]
    assert f"{proxied.base}/further  ->  {upstream.base}/further" in printed
    assert '401 ' in printed and "VIOLATION by client: body: Field required" in printed
    assert printed.count(" conforms") == 4
    replayed = Started("serve", "further", "--store", "memory", "--from-recording", "rec",
                       cwd=tmp_path)
    try:
        url = answers[1].url.replace(answers[1].url.split("/further")[0], replayed.base)
        seen = [requests.get(url, timeout=5).json() for _ in range(2)]
    finally:
        replayed.stop()
    assert seen == [answers[1].json(), answers[2].json()]


def test_serve_proxy_and_replay_reach_a_vendor_by_prefix_root_and_host_alike(tmp_path):
    with Served("futurity", "--store", "memory", cwd=tmp_path) as upstream:
        chat = futurity_chat(AtUrl(upstream.base), "root")
        served = futurity_reads(AtUrl(upstream.base), chat)
        proxied = Started("proxy", "futurity", "--upstream", f"{upstream.base}/futurity/v1",
                          "--store", "memory", "--record", "rec", cwd=tmp_path)
        try:
            through = futurity_reads(AtUrl(proxied.base), chat)
        finally:
            printed = proxied.stop()
    assert served["prefix"] == served["root"] == served["host"]
    assert through == served
    assert f"{proxied.base}/v1   (the only vendor" in printed
    with Served("futurity", "--store", "memory", "--from-recording", "rec",
                cwd=tmp_path) as replayed:
        again = futurity_reads(AtUrl(replayed.base), chat)
        sources = {e["source"] for e in requests.get(f"{replayed.base}/__mock__/journal",
                                                     timeout=5).json()}
    assert again == served and sources == {"recording"}


def test_usage_errors_name_what_is_wrong(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(main, ["proxy", "further"])
    assert missing.exit_code == 2 and "--upstream" in missing.output
    uneven = runner.invoke(main, ["proxy", "further", "phinite", "--upstream", "http://a"])
    assert uneven.exit_code == 2 and "one --upstream per CONTRACT" in uneven.output
    not_http = runner.invoke(main, ["proxy", "further", "--upstream", "ftp://a"])
    assert not_http.exit_code == 2 and "http(s) URL" in not_http.output
    unknown = runner.invoke(main, ["proxy", "nosuch", "--upstream", "http://a"])
    assert unknown.exit_code == 2 and "no contract named" in unknown.output
    (tmp_path / "recording.har").write_text('{"log": {"entries": []}}')
    foreign = runner.invoke(main, ["proxy", "further", "--upstream", "http://a", "--record",
                                   str(tmp_path)])
    assert foreign.exit_code == 2 and "not a recording the proxy wrote" in foreign.output
    unreadable = runner.invoke(main, ["serve", "--from-recording", str(tmp_path / "none")])
    assert unreadable.exit_code == 2 and "cannot read" in unreadable.output


PHINITE_IDS = {"{workspace_id}/{trigger_id}/{environment}": "ws-1/tr-1/DEV"}
EXAMPLES = [("further_end_to_end.py", "further", {"https://api.further.ai": "{base}/further"}),
            ("phinite_single_endpoint.py", "phinite",
             {"https://app.phinite.ai": "{base}/phinite", **PHINITE_IDS}),
            ("phinite_background_task.py", "phinite",
             {"https://app.phinite.ai": "{base}/phinite", **PHINITE_IDS,
              "{{workspace_id}}": "ws-1"})]


@pytest.mark.parametrize("outcome", ["completed", "failed"])
@pytest.mark.parametrize(("script", "vendor", "replacements"), EXAMPLES,
                         ids=[example[0] for example in EXAMPLES])
def test_the_vendors_example_clients_run_unchanged_through_the_proxy(
        script, vendor, replacements, outcome, tmp_path, monkeypatch, capsys):
    mock = Mock(MockConfig(timing={"polls": 2}))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    (tmp_path / "policy.pdf").write_bytes(PDF)
    code = (TESTS / "vendor_examples" / script).read_text(encoding="utf-8")
    with LiveServer(mock) as live, proxy({vendor: live.base_url(vendor)}) as (base, app):
        if outcome == "failed":
            requests.post(f"{live.url}/__mock__/scenarios", json={"outcome": "failed"},
                          timeout=5)
        for old, new in replacements.items():
            assert old in code
            code = code.replace(old, new.format(base=base))
        (tmp_path / script).write_text(code)
        runpy.run_path(str(tmp_path / script))
    assert outcome in capsys.readouterr().out
    entries = app.mock.journal()
    assert entries and {(e.verdict, e.source) for e in entries} == {("conforms", "proxy")}
    assert len(mock.journal()) == len(entries)  # each went through to the mock
