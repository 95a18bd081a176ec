"""Futurity: a small chat client, and the tests you would write for it with the plugin.

Every Futurity body is wrapped in `{"data": ...}` and every error in `{"error": {"code",
"message"}}`; the client unwraps both, and the tests check it against the mock's contract.
"""

from __future__ import annotations

import pytest
import requests

BASE_URL = "https://api.futurity.work/v1"


class FuturityError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code = status, code


def _data(answer: requests.Response) -> dict:
    if answer.status_code >= 400:
        error = answer.json()["error"]
        raise FuturityError(answer.status_code, error["code"], error["message"])
    return answer.json()["data"]


def start_chat(title: str, *, token: str) -> dict:
    """Create a chat and read it back with its messages."""
    headers = {"Authorization": f"Bearer {token}"}
    created = _data(requests.post(f"{BASE_URL}/chats", json={"title": title}, headers=headers,
                                  timeout=30))
    return _data(requests.get(f"{BASE_URL}/chats/{created['id']}", headers=headers, timeout=30))


# -- the tests -------------------------------------------------------------------------------

pytestmark = pytest.mark.vendor_mock("futurity")


def test_a_new_chat_can_be_read_back(vendor_mock):
    chat = start_chat("New Project Discussion", token="YOUR_TOKEN")
    assert chat["title"] == "New Project Discussion"
    assert chat["messages"] == []


def test_a_wrong_token_is_reported_with_futuritys_error_code(vendor_mock):
    with pytest.raises(FuturityError) as failure:
        start_chat("Q3", token="not-my-token")
    assert failure.value.status == 401 and failure.value.code == "UNAUTHORIZED"


def test_an_outage_is_reported_with_futuritys_error_code(vendor_mock):
    vendor_mock.fault("503", operation="getChat")
    with pytest.raises(FuturityError) as failure:
        start_chat("Q3", token="YOUR_TOKEN")
    assert failure.value.status == 503
