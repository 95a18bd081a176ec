"""Issued tokens: a remembered validation never outlives a change to the stored record."""

from __future__ import annotations

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from mockserver import Mock, MockConfig
from mockserver.engine.auth import AuthError
from mockserver.storage import keys


def test_a_changed_token_record_is_validated_again():
    mock = Mock(MockConfig(contracts=["further"]))
    pipeline = mock.vendors["further"]
    auth, store = pipeline.vendor.auth, pipeline.vendor.store
    operation = pipeline.contract.operations["getWorkflowExecution"]
    token, _ = auth.issue_token("YOUR_CLIENT_ID", "YOUR_CLIENT_SECRET")
    request = Request(EnvironBuilder(headers={"Authorization": f"Bearer {token}"}).get_environ())
    now = mock.clock.now()
    record = store.get(keys.TOKENS, token)
    assert auth.identify(operation, request, now) == "client:YOUR_CLIENT_ID"
    assert auth.identify(operation, request, now) == "client:YOUR_CLIENT_ID"  # remembered
    store.put(keys.TOKENS, token, {**record, "identity": "client:other"})
    assert auth.identify(operation, request, now) == "client:other"
    store.put(keys.TOKENS, token, {**record, "expires_at": now - 1})
    with pytest.raises(AuthError, match="expired"):
        auth.identify(operation, request, now)
    store.put(keys.TOKENS, token, {**record, "expires_at": "never"})
    with pytest.raises(ValueError):  # a record that no longer validates is not served from memory
        auth.identify(operation, request, now)
