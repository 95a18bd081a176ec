"""The conformance CLI and pytest entry: exit codes, reports, masked credentials."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import pytest

from mockserver import Mock, MockConfig
from tests.helpers import OverSocket

pytest_plugins = ("pytester",)


@pytest.fixture
def served() -> OverSocket:
    server = OverSocket(Mock(MockConfig(store="memory")))
    yield server
    server.close()


def conformance(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "conformance", *args], capture_output=True,
                          text=True, timeout=300)


def test_a_conforming_mock_exits_0_with_reports(served, tmp_path):
    junit, markdown = tmp_path / "junit.xml", tmp_path / "summary.md"
    result = conformance("run", "phinite", "--base-url", f"{served.base}/phinite",
                         "--token", "workspace_api_key", "--profile", "quick", "--fast-forward",
                         "--junit-xml", str(junit), "--report", str(markdown))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "CONFORMS" in result.stdout and "lifecycle" in result.stdout
    assert "runs created" in result.stdout and "runs finished" in result.stdout
    assert "workspace_api_key" not in result.stdout + junit.read_text() + markdown.read_text()
    suites = ElementTree.parse(junit).getroot()
    assert {s.get("name") for s in suites} >= {"lifecycle", "auth", "positive", "negative"}
    assert all(s.get("failures") == "0" for s in suites)
    assert markdown.read_text().startswith("## Conformance: `phinite`")
    again = conformance("run", "phinite", "--base-url", f"{served.base}/phinite",
                        "--token", "workspace_api_key", "--profile", "quick", "--fast-forward",
                        "--checks", "auth", "--report", str(markdown))
    assert again.returncode == 0, again.stdout + again.stderr
    assert markdown.read_text().count("## Conformance: `phinite`") == 2, "--report appends"


def test_violations_exit_1_with_evidence_and_masked_credentials(served, tmp_path):
    junit = tmp_path / "junit.xml"
    result = conformance("run", "phinite", "--base-url", f"{served.base}/phinite",
                         "--token", "workspace_api_key", "--checks", "auth", "--profile", "quick",
                         "--param", "workspace_id=ws-1", "--junit-xml", str(junit))
    assert result.returncode == 0, result.stdout
    served.session.post(f"{served.base}/__mock__/faults",
                        json={"kinds": ["500"], "operation": "getBackgroundTaskStatus"})
    broken = conformance("run", "phinite", "--base-url", f"{served.base}/phinite",
                         "--token", "workspace_api_key", "--checks", "positive", "--profile",
                         "quick", "--junit-xml", str(junit))
    assert broken.returncode == 1
    assert "not_a_server_error" in broken.stdout and "reproduce: curl" in broken.stdout
    assert '"Authorization: Bearer ${CONFORMANCE_TOKEN}"' in broken.stdout
    assert "workspace_api_key" not in broken.stdout
    assert "rerun with --seed 0" in broken.stdout
    failures = ElementTree.parse(junit).getroot().iter("failure")
    assert any("not_a_server_error" in (f.get("message") or "") for f in failures)


@pytest.mark.parametrize("args", [
    ["run", "nope", "--base-url", "http://127.0.0.1:9"],
    ["run", "phinite", "--base-url", "http://127.0.0.1:9", "--token", "x"],
    ["run", "phinite", "--base-url", "http://127.0.0.1:9", "--checks", "bogus"],
    ["run", "phinite", "--base-url", "http://127.0.0.1:9", "--param", "novalue"],
])
def test_usage_and_connection_problems_exit_2(args):
    result = conformance(*args)
    assert result.returncode == 2 and "error:" in result.stderr


def test_refused_client_credentials_exit_2(served):
    result = conformance("run", "further", "--base-url", f"{served.base}/further",
                         "--client-id", "YOUR_CLIENT_ID", "--client-secret", "wrong")
    assert result.returncode == 2 and "refused the given client credentials" in result.stderr


def test_pytest_entry_passes_on_the_mock_and_fails_on_a_fault(pytester):
    pytester.makepyfile("""
        import pytest
        from conformance.testing import conformance_test

        test_conforms = conformance_test(
            "phinite", base_url_fixture="vendor_mock_url", token="workspace_api_key",
            profile="quick", fast_forward=True, checks=["lifecycle", "auth"])

        @pytest.fixture
        def broken_url(vendor_mock_url, vendor_mock):
            vendor_mock.fault("500", operation="getBackgroundTaskStatus")
            return vendor_mock_url

        test_broken = conformance_test(
            "phinite", base_url_fixture="broken_url", token="workspace_api_key",
            profile="quick", fast_forward=True, checks=["lifecycle"])
    """)
    pytester.makeini("[pytest]\nvendor_mock_vendors = phinite\n")
    outcome = pytester.runpytest("-p", "no:cacheprovider")
    outcome.assert_outcomes(passed=2, failed=1)
    outcome.stdout.fnmatch_lines(["*test_broken*lifecycle*", "*not_a_server_error*"])


def test_conformance_lists_its_checks():
    result = conformance("checks")
    assert result.returncode == 0
    assert [line.split()[0] for line in result.stdout.splitlines()] == [
        "positive", "negative", "examples", "auth", "lifecycle", "hypermedia", "resources",
        "runs", "links", "webhooks"]
