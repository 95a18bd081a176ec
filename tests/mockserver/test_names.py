"""Every misspelt name is refused where it enters, with the valid names and a did-you-mean:
handle methods and config raise, the control API and `Prefer` answer 400."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mockserver import Mock, MockConfig, MockHandle
from mockserver.engine.names import UnknownName
from tests.helpers import KEY, start, sync, token, trigger

pytest_plugins = ("pytester",)


@pytest.fixture
def handle(mock: Mock) -> MockHandle:
    return MockHandle(mock)


@pytest.mark.parametrize(("call", "suggestion"), [
    (lambda h: h.force_next("complted"), "completed"),
    (lambda h: h.force_next("failed", vendor="furhter"), "further"),
    (lambda h: h.force_next("failed", vendor="further", resource="executoin"), "execution"),
    (lambda h: h.fault("latncy"), "latency"),
    (lambda h: h.fault("500", operation="getBackgroundTaskStatu"), "getBackgroundTaskStatus"),
    (lambda h: h.fault("500", vendor="further", operation="getWorkflowExecutoin"),
     "getWorkflowExecution"),
    (lambda h: h.journal(operation="getWorkflowExecutoin"), "getWorkflowExecution"),
    (lambda h: h.journal(vendor="phinte"), "phinite"),
    (lambda h: h.runs("flowflw"), "flowflow"),
])
def test_handle_refuses_a_misspelt_name(handle, call, suggestion):
    with pytest.raises(UnknownName, match=f"did you mean '{suggestion}'") as caught:
        call(handle)
    assert suggestion in caught.value.valid


def test_an_operation_of_another_vendor_is_refused(handle):
    with pytest.raises(UnknownName, match=r"of further .*valid: createAccessToken"):
        handle.fault("500", vendor="further", operation="getBackgroundTaskStatus")


def test_an_outcome_with_no_close_name_lists_the_valid_ones(handle):
    with pytest.raises(UnknownName, match=r"valid: .*completed.*failed") as caught:
        handle.force_next("done")
    assert {"completed", "failed", "success", "failure", "FINISHED"} <= set(caught.value.valid)


def test_a_terminal_state_and_the_aliases_are_accepted(handle):
    for outcome in ("completed", "failure", "FINISHED", "finished"):
        handle.force_next(outcome)
    handle.force_next("FAILED", vendor="flowflow")


def test_forcing_a_run_into_a_misspelt_state_is_refused(api, handle):
    workflow_id = start(api).json()["workflow_id"]
    with pytest.raises(UnknownName, match="did you mean 'failed'"):
        handle.force(workflow_id, "faild")


def test_config_refuses_a_misspelt_fault_kind():
    with pytest.raises(ValidationError, match="did you mean 'latency'"):
        MockConfig.model_validate({"faults": {"kinds": ["latncy"]}})


@pytest.mark.parametrize(("config", "suggestion"), [
    ({"vendor_settings": {"flowflw": {}}}, "flowflow"),
    ({"vendor_settings": {"flowflow": {"workflow": []}}}, "workflows"),
    ({"vendor_settings": {"futurity": {"download_ttl": 5}}}, "download_ttl_seconds"),
    ({"credentials": {"furthr": {"keys": ["k"]}}}, "further"),
    ({"mounts": {"phinit": "/p"}}, "phinite"),
    ({"contracts": ["futurty"]}, "futurity"),
])
def test_config_refuses_a_misspelt_name(config, suggestion):
    with pytest.raises(UnknownName, match=f"did you mean '{suggestion}'"):
        Mock(MockConfig.model_validate(config))


@pytest.mark.parametrize(("path", "body", "query"), [
    ("/__mock__/scenarios", {"outcome": "done"}, ""),
    ("/__mock__/scenarios", {"vendor": "furhter", "outcome": "failed"}, ""),
    ("/__mock__/faults", {"kinds": ["50O"]}, ""),
    ("/__mock__/faults", {"kinds": ["500"], "operation": "getBackgroundTaskStatu"}, ""),
    ("/__mock__/journal", None, "?operation=nope"),
    ("/__mock__/runs", None, "?vendor=phinte"),
])
def test_control_api_answers_400_with_the_valid_names(api, path, body, query):
    method = "POST" if body is not None else "GET"
    answer = api.request(method, path + query, json=body)
    assert answer.status == 400, answer.text
    assert answer.json()["valid"] and "unknown" in answer.json()["error"]


def test_control_api_suggests_the_closest_name(api):
    answer = api.request("POST", "/__mock__/faults",
                         json={"kinds": ["500"], "operation": "getBackgroundTaskStatu"})
    assert answer.json()["did_you_mean"] == "getBackgroundTaskStatus"


def test_prefer_outcome_typo_is_the_vendors_validation_error(api):
    refused = sync(api, prefer="outcome=exploded")
    assert refused.status == 422, refused.text
    assert "exploded" in refused.text and "completed" in refused.text
    further = trigger(api, token(api), prefer="outcome=complted")
    assert further.status == 400 and "did you mean 'completed'" in further.text
    assert sync(api, prefer="outcome=failure").json()["status"] == "failed"


def test_prefer_outcome_on_an_operation_that_starts_no_run_is_checked_too(api):
    answer = api.request("GET", "/phinite/api/v1/ai/trigger/status/ws-1/nope",
                         headers={**KEY, "Prefer": "outcome=exploded"})
    assert answer.status == 422 and "exploded" in answer.text


def test_intercept_refuses_a_misspelt_vendor():
    from mockserver.testing.intercept import intercept
    with pytest.raises(UnknownName, match="did you mean 'phinite'"):
        intercept("phinte", mock=Mock(MockConfig(contracts=["phinite"])))


def test_prefer_code_not_declared_lists_the_declared_ones(api):
    refused = sync(api, prefer="code=418")
    assert refused.status == 422 and "valid: 200" in refused.text


def test_the_plugin_marker_refuses_a_misspelt_option(pytester):
    pytester.makepyfile("""
        import pytest

        @pytest.mark.vendor_mock("phinite", virtual_slep=True)
        def test_typo(vendor_mock):
            pass
    """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*unknown vendor_mock option 'virtual_slep'*did you mean "
                                 "'virtual_sleep'*"])


def test_the_plugin_marker_refuses_options_it_would_not_honour(pytester):
    """Vendors are the marker's arguments: `contracts=` would be replaced by them in silence."""
    pytester.makepyfile("""
        import pytest

        @pytest.mark.vendor_mock("phinite", contracts=["further"])
        def test_contracts(vendor_mock):
            pass
    """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*unknown vendor_mock option 'contracts'*"])
