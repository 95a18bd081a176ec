"""Futurity: a small chat client, and the tests you would write for it with the plugin.

Every Futurity body is wrapped in `{"data": ...}` and every error in `{"error": {"code",
"message"}}`; the client unwraps both, and the tests check it against the mock's contract. The
Vault's signed download URLs work in-process like the API itself.
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


def ask(chat_id: str, question: str, *, token: str) -> str:
    """Post a message and return the assistant's reply."""
    headers = {"Authorization": f"Bearer {token}"}
    _data(requests.post(f"{BASE_URL}/chats/{chat_id}/messages", json={"content": question},
                        headers=headers, timeout=30))
    chat = _data(requests.get(f"{BASE_URL}/chats/{chat_id}", headers=headers, timeout=30))
    return chat["messages"][-1]["content"]


def store_and_fetch(name: str, content: bytes, *, token: str) -> bytes:
    """Upload a file to the Vault, then download it through its signed URL."""
    headers = {"Authorization": f"Bearer {token}"}
    uploaded = _data(requests.post(f"{BASE_URL}/vault/files", headers=headers, timeout=30,
                                   files={"file": (name, content, "application/pdf")}))
    link = _data(requests.get(f"{BASE_URL}/vault/files/{uploaded['id']}/download",
                              headers=headers, timeout=30))
    return requests.get(link["url"], timeout=30).content  # a signed URL: no token


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


def test_the_assistants_own_reply(vendor_mock):
    vendor_mock.results("futurity", assistant_reply=lambda question: f"You asked: {question}")
    chat = start_chat("Q3", token="YOUR_TOKEN")
    assert ask(chat["id"], "revenue?", token="YOUR_TOKEN") == "You asked: revenue?"
    vendor_mock.verify("createChatMessage", count=1, body={"content": "revenue?"})


def test_a_vault_file_comes_back_byte_for_byte(vendor_mock):
    report = b"%PDF-1.4\n" + bytes(range(256))
    assert store_and_fetch("Q3.pdf", report, token="YOUR_TOKEN") == report
    [upload] = vendor_mock.requests(operation="uploadVaultFile")[0].parts
    assert upload.filename == "Q3.pdf" and upload.size == len(report)
