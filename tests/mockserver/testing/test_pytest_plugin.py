"""The pytest plugin: each fixture and control, used as a client developer's test would use them.

Tests that must show a test *failing* (a contract-breaking client, a client that ignores
`failed`) run an inner pytest session with `pytester`.
"""

from __future__ import annotations

import runpy
import socket
from urllib.parse import urlsplit

import httpx
import pytest
import requests

from tests.helpers import TESTS

pytest_plugins = ("pytester",)

FURTHER = "https://api.further.ai"
EXECUTIONS = f"{FURTHER}/api/v1/workflow-builder/workflows/wf-1/executions"
PHINITE = "https://app.phinite.ai"
KEY = {"Authorization": "Bearer workspace_api_key"}
PAYLOAD = {"message": "start the task", "user_variables": {"key1": "value1"}}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF"
EXAMPLES = TESTS / "vendor_examples"

further = pytest.mark.vendor_mock("further")
phinite = pytest.mark.vendor_mock("phinite")


def token(base: str = FURTHER) -> dict[str, str]:
    answer = requests.post(f"{base}/api/v1/oauth2/access_token", timeout=5,
                           json={"client_id": "YOUR_CLIENT_ID",
                                 "client_secret": "YOUR_CLIENT_SECRET"})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def trigger(headers: dict[str, str], base: str = FURTHER) -> str:
    started = requests.post(f"{base}/api/v1/workflow-builder/workflows/wf-1/executions",
                            headers=headers, timeout=5,
                            files=[("files", ("policy.pdf", PDF, "application/pdf"))])
    assert started.status_code == 202, started.text
    return started.json()["workflow_execution_id"]


def poll(headers: dict[str, str], execution_id: str) -> requests.Response:
    return requests.get(f"{EXECUTIONS}/{execution_id}", headers=headers, timeout=5)


@further
def test_vendor_mock_intercepts_requests_and_httpx(vendor_mock):
    headers = token()
    execution_id = trigger(headers)
    with_httpx = httpx.get(f"{EXECUTIONS}/{execution_id}", headers=headers)
    assert with_httpx.status_code == 200 and with_httpx.json()["status"] == "running"
    assert [run.id for run in vendor_mock.runs()] == [execution_id]


@further
def test_vendor_mock_refuses_hosts_it_does_not_serve(vendor_mock):
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{PHINITE}/api/v1/ai/trigger/status/ws-1/x", headers=KEY, timeout=5)


@phinite
def test_live_server_serves_the_same_mock_over_a_real_socket(vendor_mock_url,
                                                             vendor_mock_handle):
    parts = urlsplit(vendor_mock_url)
    assert parts.hostname == "127.0.0.1" and parts.path == "/phinite"
    with socket.create_connection((parts.hostname, parts.port), timeout=5):
        pass  # something really listens there
    vendor_mock_handle.force_next("failed")
    answer = requests.post(f"{vendor_mock_url}/api/v1/ai/trigger/ws-1/tr-1/DEV", json=PAYLOAD,
                           headers=KEY, timeout=5)
    assert answer.json()["status"] == "failed"
    assert [entry.operation for entry in vendor_mock_handle.journal()] == ["triggerFlow"]


@pytest.mark.vendor_mock("further", "phinite")
def test_live_server_and_interception_together(vendor_mock, vendor_mock_server):
    live = requests.post(f"{vendor_mock_server.base_url('phinite')}/api/v1/ai/trigger/start/"
                         "ws-1/tr-1/DEV", json=PAYLOAD, headers=KEY, timeout=5)
    intercepted = requests.get(f"{PHINITE}/api/v1/ai/trigger/status/ws-1/"
                               f"{live.json()['workflow_id']}", headers=KEY, timeout=5)
    assert intercepted.status_code == 200 and intercepted.json()["status"] == "running"


def test_vendor_mock_url_needs_one_vendor(pytester):
    pytester.makepyfile("""
        import pytest

        @pytest.mark.vendor_mock("further", "phinite")
        def test_ambiguous(vendor_mock_url):
            pass
    """)
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*vendor_mock_url needs the test to select one vendor*"])


def test_every_test_gets_a_fresh_mock(pytester):
    pytester.makepyfile("""
        import pytest, requests

        KEY = {"Authorization": "Bearer workspace_api_key"}
        URL = "https://app.phinite.ai/api/v1/ai/trigger/start/ws-1/tr-1/DEV"

        @pytest.mark.parametrize("attempt", [1, 2])
        @pytest.mark.vendor_mock("phinite")
        def test_starts_from_nothing(vendor_mock, attempt):
            assert vendor_mock.runs() == [] and vendor_mock.journal() == []
            vendor_mock.advance(60)
            vendor_mock.force_next("failed")
            vendor_mock.fault("503", operation="getBackgroundTaskStatus")
            requests.post(URL, json={"message": "hi"}, headers=KEY, timeout=5)
            assert len(vendor_mock.runs()) == 1
    """)
    pytester.runpytest().assert_outcomes(passed=2)


@pytest.mark.vendor_mock("further", passthrough=["http://127.0.0.1:9/"])
def test_the_marker_lets_listed_prefixes_reach_the_network(vendor_mock):
    with pytest.raises(requests.ConnectionError) as refused:
        requests.get("http://127.0.0.1:9/", timeout=5)  # the discard port: nothing listens
    assert "by Responses" not in str(refused.value)  # refused by the OS, not the interception
    with pytest.raises(requests.ConnectionError, match="by Responses"):
        requests.get("http://127.0.0.1:10/", timeout=5)


def test_ini_options_and_markers_configure_the_mock(pytester):
    pytester.makeini("""
        [pytest]
        vendor_mock_vendors = phinite
        vendor_mock_seed = 7
        vendor_mock_virtual_sleep = true
    """)
    pytester.makepyfile(test_options="""
        import time
        import pytest
        from mockserver import MockConfig

        def test_from_the_ini(vendor_mock):
            assert list(vendor_mock.mock.vendors) == ["phinite"]
            assert vendor_mock.mock.config.seed == 7
            before = vendor_mock.now()
            time.sleep(30)
            assert vendor_mock.now() == before + 30

        @pytest.mark.vendor_mock("further", seed=3, virtual_sleep=False, timing={"polls": 2})
        def test_the_marker_wins(vendor_mock):
            assert list(vendor_mock.mock.vendors) == ["further"]
            assert vendor_mock.mock.config.seed == 3
            assert vendor_mock.mock.config.timing.polls == 2
            assert time.sleep.__module__ == "time"  # the real one
    """)
    pytester.makepyfile(test_override="""
        import pytest
        from mockserver import MockConfig

        @pytest.fixture
        def vendor_mock_config():
            return MockConfig(contracts=["further"], seed=11)

        def test_an_overridden_config(vendor_mock):
            assert list(vendor_mock.mock.vendors) == ["further"]
            assert vendor_mock.mock.config.seed == 11
    """)
    pytester.runpytest().assert_outcomes(passed=3)


@further
def test_frozen_clock_holds_a_run_and_advancing_it_finishes_the_run(vendor_mock):
    vendor_mock.freeze()
    headers = token()
    execution_id = trigger(headers)
    assert [poll(headers, execution_id).json()["status"] for _ in range(3)] == ["running"] * 3
    vendor_mock.advance(60)
    assert poll(headers, execution_id).json()["status"] == "completed"


@further
def test_forcing_the_next_outcome(vendor_mock):
    vendor_mock.freeze()
    vendor_mock.force_next("failed", polls=2)
    headers = token()
    forced, normal = trigger(headers), trigger(headers)
    assert [poll(headers, forced).json()["status"] for _ in range(2)] == ["running", "failed"]
    assert poll(headers, forced).json()["error"]
    assert poll(headers, normal).json()["status"] == "running"


@further
def test_forcing_one_execution_leaves_the_others_alone(vendor_mock):
    vendor_mock.freeze()
    headers = token()
    first, second = trigger(headers), trigger(headers)
    vendor_mock.force(second, "failed")
    vendor_mock.advance(60)
    assert poll(headers, first).json()["status"] == "completed"
    assert poll(headers, second).json()["status"] == "failed"
    with pytest.raises(ValueError, match="terminal"):
        vendor_mock.force(second, "completed")


@further
def test_fault_on_exactly_the_third_poll(vendor_mock):
    headers = token()
    execution_id = trigger(headers)
    vendor_mock.fault("429", operation="getWorkflowExecution", nth=3, retry_after=5)
    answers = [poll(headers, execution_id) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 429, 200]
    assert answers[2].headers["Retry-After"] == "5"
    assert [entry.fault for entry in vendor_mock.journal(operation="getWorkflowExecution")] == [
        None, None, "429", None]


@further
def test_expired_tokens_get_401_and_a_new_token_works(vendor_mock):
    headers = token()
    execution_id = trigger(headers)
    assert vendor_mock.expire_tokens() == 3600
    expired = poll(headers, execution_id)
    assert expired.status_code == 401 and "expired" in expired.text
    assert poll(token(), execution_id).json()["status"] == "completed"
    # a well-formed but expired token keeps the contract: the test is not failed for it
    assert [entry.verdict for entry in vendor_mock.journal()] == ["conforms"] * 5


@phinite
def test_journal_records_each_request_with_its_verdict(vendor_mock):
    url = f"{PHINITE}/api/v1/ai/trigger/ws-1/tr-1/DEV"
    requests.post(url, json=PAYLOAD, headers=KEY, timeout=5)
    with vendor_mock.expect_violations("body.message") as caught:
        requests.post(url, json={"message": 42}, headers=KEY, timeout=5)
    entries = vendor_mock.journal()
    assert [(e.method, e.operation, e.status, e.verdict) for e in entries] == [
        ("POST", "triggerFlow", 200, "conforms"), ("POST", "triggerFlow", 422, "violates")]
    assert entries[1].violations == ["body.message: Input should be a valid string"]
    assert caught == entries[1:] and vendor_mock.violations() == []


@pytest.mark.vendor_mock("further", virtual_sleep=True)
def test_the_further_docs_script_runs_unchanged_without_waiting(vendor_mock, tmp_path,
                                                                 monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policy.pdf").write_bytes(PDF)
    start = vendor_mock.now()
    result = runpy.run_path(str(EXAMPLES / "further_end_to_end.py"))
    assert result["status"] == "completed"
    assert "Execution completed successfully!" in capsys.readouterr().out
    polls = len(vendor_mock.journal(operation="getWorkflowExecution"))
    assert polls > 1
    # the clock is frozen, so only the script's 5-second sleeps moved it
    assert vendor_mock.now() - start == 5 * (polls - 1) == result["elapsed"]


CONTRACT_BREAKERS = """
    import pytest, requests

    TOKEN = "https://api.further.ai/api/v1/oauth2/access_token"
    TRIGGER = "https://app.phinite.ai/api/v1/ai/trigger/ws-1/tr-1/DEV"
    pytestmark = pytest.mark.vendor_mock("further", "phinite")

    def test_wrong_content_type(vendor_mock):
        requests.post(TOKEN, data={"client_id": "YOUR_CLIENT_ID",
                                   "client_secret": "YOUR_CLIENT_SECRET"}, timeout=5)

    def test_missing_field(vendor_mock):
        requests.post(TOKEN, json={"client_id": "YOUR_CLIENT_ID"}, timeout=5)

    def test_bad_auth_header(vendor_mock):
        requests.post(TRIGGER, json={"message": "hi"},
                      headers={"Authorization": "workspace_api_key"}, timeout=5)

    def test_missing_auth_header(vendor_mock):
        requests.post(TRIGGER, json={"message": "hi"}, timeout=5)
"""


def test_requests_that_break_the_contract_fail_the_test_naming_the_rule(pytester):
    pytester.makepyfile(CONTRACT_BREAKERS)
    result = pytester.runpytest()
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines_random([
        "*POST /api/v1/oauth2/access_token (further createAccessToken) -> 4*",
        "*broke header.content-type: Content-Type 'application/x-www-form-urlencoded' is not "
        "supported; send application/json",
        "*broke body.client_secret: Field required",
        "*POST /api/v1/ai/trigger/ws-1/tr-1/DEV (phinite triggerFlow) -> 401",
        "*broke header.Authorization: Malformed Authorization header: expected 'Bearer <token>'",
        "*broke header.Authorization: Missing credentials: send 'Authorization: Bearer <token>'",
    ])


def test_the_marker_lets_a_test_send_requests_that_break_the_contract(pytester):
    marked = "pytestmark = [pytest.mark.vendor_mock('further', 'phinite'), " \
             "pytest.mark.mock_allows_violations]"
    pytester.makepyfile(CONTRACT_BREAKERS.replace(
        'pytestmark = pytest.mark.vendor_mock("further", "phinite")', marked))
    pytester.runpytest().assert_outcomes(passed=4)


def test_expect_violations_allows_them_in_a_block_and_insists_on_one(pytester):
    pytester.makepyfile("""
        import pytest, requests

        TOKEN = "https://api.further.ai/api/v1/oauth2/access_token"
        pytestmark = pytest.mark.vendor_mock("further")

        def test_expected_in_a_block(vendor_mock):
            with vendor_mock.expect_violations("client_secret") as caught:
                requests.post(TOKEN, json={"client_id": "YOUR_CLIENT_ID"}, timeout=5)
            assert caught[0].operation == "createAccessToken"
            assert vendor_mock.violations() == []

        def test_only_inside_the_block(vendor_mock):
            with vendor_mock.expect_violations():
                requests.post(TOKEN, json={"client_id": "YOUR_CLIENT_ID"}, timeout=5)
            requests.post(TOKEN, json={"client_secret": "YOUR_CLIENT_SECRET"}, timeout=5)

        def test_expected_but_never_sent(vendor_mock):
            with vendor_mock.expect_violations():
                requests.post(TOKEN, json={"client_id": "YOUR_CLIENT_ID",
                                           "client_secret": "YOUR_CLIENT_SECRET"}, timeout=5)

        def test_another_rule_broken(vendor_mock):
            with vendor_mock.expect_violations("client_secret"):
                requests.post(TOKEN, json={"client_secret": "YOUR_CLIENT_SECRET"}, timeout=5)
    """)
    result = pytester.runpytest("-ra")
    result.assert_outcomes(passed=1, failed=3)
    result.stdout.fnmatch_lines([
        "*_ test_only_inside_the_block _*",
        "1 request(s) broke the vendor's contract:",
        "  POST /api/v1/oauth2/access_token (further createAccessToken) -> 400",
        "    broke body.client_id: Field required",
    ])
    assert "client_secret: Field required" not in result.stdout.str()  # it was expected
    result.stdout.fnmatch_lines_random([
        "*ContractViolation: expected a request, none was sent",
        "*ContractViolation: expected a request breaking a rule matching 'client_secret', "
        "none was sent; broken rules seen: ?'body.client_id: Field required'?",
    ])


NAIVE_CLIENT = """
    import time
    import pytest, requests

    BASE = "https://api.further.ai"


    class ExtractionFailed(Exception):
        pass


    def extract(path: str, careful: bool) -> list:
        token = requests.post(f"{BASE}/api/v1/oauth2/access_token", timeout=5,
                              json={"client_id": "YOUR_CLIENT_ID",
                                    "client_secret": "YOUR_CLIENT_SECRET"}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        executions = f"{BASE}/api/v1/workflow-builder/workflows/wf-1/executions"
        with open(path, "rb") as document:
            started = requests.post(executions, headers=headers, timeout=5,
                                    files=[("files", ("doc.pdf", document, "application/pdf"))])
        status_url = f"{executions}/{started.json()['workflow_execution_id']}"
        while True:
            result = requests.get(status_url, headers=headers, timeout=5).json()
            if result["status"] != "running":
                break
            time.sleep(5)
        if careful and result["status"] == "failed":
            raise ExtractionFailed(result["error"])
        return result["steps"][0]["data"]["data"]  # the naive client assumes success


    @pytest.mark.parametrize("careful", [False, True])
    @pytest.mark.vendor_mock("further", virtual_sleep=True)
    def test_a_failed_extraction_is_reported(vendor_mock, tmp_path, careful):
        (tmp_path / "doc.pdf").write_bytes(b"%PDF-1.4")
        vendor_mock.force_next("failed")
        with pytest.raises(ExtractionFailed, match="failed"):
            extract(str(tmp_path / "doc.pdf"), careful)
"""


def test_forcing_failure_catches_a_client_that_assumes_success(pytester):
    pytester.makepyfile(NAIVE_CLIENT)
    result = pytester.runpytest("-ra")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["E       KeyError: 'steps'",
                                 "FAILED *test_a_failed_extraction_is_reported?False?*"])
