"""Masking before anything is written, and reading recordings back."""

from __future__ import annotations

import json

import pytest

from contracts import recording
from contracts.recording import MASK, RecordingError, masked


def test_secrets_are_replaced_by_fingerprints_wherever_they_travel():
    headers = recording.mask_headers([("Authorization", "Bearer abc"), ("Cookie", "s=1"),
                                      ("X-Api-Key", "k"), ("Accept", "*/*")])
    assert headers == [{"name": "Authorization", "value": f"Bearer {masked('abc')}"},
                       {"name": "Cookie", "value": masked("s=1")},
                       {"name": "X-Api-Key", "value": masked("k")},
                       {"name": "Accept", "value": "*/*"}]
    query = recording.mask_query("token=t&page=2")
    assert query.startswith("token=%3Cmasked%3A") and query.endswith("&page=2")
    form = recording.mask_body(b"client_id=a&client_secret=s",
                               "application/x-www-form-urlencoded")
    assert b"client_id=a" in form and b"client_secret=%3Cmasked" in form
    body = json.loads(recording.mask_body(
        json.dumps({"access_token": "t", "token_type": "Bearer", "nested": [{"api_key": "k"}]})
        .encode(), "application/json"))
    assert body["token_type"] == "Bearer" and body["access_token"] == masked("t")
    assert body["nested"][0]["api_key"].startswith(MASK)
    assert masked("t") != masked("u") and masked("t") == masked("t")


def test_a_body_above_the_limit_is_stored_once_by_its_hash(tmp_path):
    first = recording.body_field(b"x" * 100, "application/pdf", tmp_path, limit=10)
    second = recording.body_field(b"x" * 100, "application/pdf", tmp_path, limit=10)
    assert first == second and first["_file"].startswith("bodies/")
    assert (tmp_path / first["_file"]).read_bytes() == b"x" * 100
    assert recording.body_field(b"\xff\x00", "image/png", tmp_path, limit=10)["encoding"] == \
        "base64"


@pytest.mark.parametrize(("content", "message"), [
    (None, "cannot read"), ("{", "is not a HAR 1.2 recording"),
    ('{"log": {"entries": [{"request": {}}]}}', "is not a HAR 1.2 recording"),
    ('{"log": {"entries": [{"request": {"method": "GET", "url": "http://x/y"}, "response": '
     '{"status": 200, "content": {"_file": "bodies/gone"}}}]}}', "stored body bodies/gone"),
])
def test_an_unreadable_recording_says_why(tmp_path, content, message):
    if content is not None:
        (tmp_path / recording.HAR_FILE).write_text(content)
    with pytest.raises(RecordingError, match=message):
        recording.read(tmp_path if content is not None else tmp_path / "missing")
