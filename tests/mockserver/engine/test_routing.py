"""Routing by the contract's own paths: the operation, its path parameters, and clear refusals."""

from __future__ import annotations

import pytest

from mockserver import Mock, MockConfig
from mockserver.engine.call import ApiError


@pytest.fixture(scope="module")
def further() -> Mock:
    return Mock(MockConfig(contracts=["further"]))


def test_a_documented_path_routes_to_its_operation_with_its_parameters(further: Mock) -> None:
    pipeline = further.vendors["further"]
    path = "/api/v1/workflow-builder/workflows/wf-1/executions/ex-9"
    operation, params = pipeline.route("GET", path)
    assert operation.id == "getWorkflowExecution"
    assert params == {"workflow_id": "wf-1", "execution_id": "ex-9"}
    again, cached = pipeline.route("GET", path)
    assert again is operation and cached == params and cached is not params


def test_an_unknown_path_is_404_and_a_wrong_method_is_405_naming_the_allowed(further: Mock) -> None:
    pipeline = further.vendors["further"]
    with pytest.raises(ApiError) as missing:
        pipeline.route("GET", "/api/v1/nowhere")
    assert missing.value.status == 404 and "/api/v1/nowhere" in missing.value.message
    with pytest.raises(ApiError) as wrong:
        pipeline.route("DELETE", "/api/v1/workflow-builder/workflows/wf-1/executions")
    assert wrong.value.status == 405 and wrong.value.headers["Allow"] == "POST"


def test_the_token_endpoint_is_found_from_the_security_scheme(further: Mock) -> None:
    contract = further.vendors["further"].contract
    token = contract.token_operation()
    assert token is not None and token.path == "/api/v1/oauth2/access_token"
    assert contract.token_endpoint is not None
    assert contract.token_endpoint.lifetime_seconds == 3600
