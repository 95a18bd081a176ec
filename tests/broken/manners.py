"""Breakages of the transport rather than of a body: credentials the server refuses although they
are good, and a rate limit that never lifts. Also the conforming rate limiter that the suite must
wait out without a finding."""

from __future__ import annotations

import json

from werkzeug.datastructures import Headers

import contracts
from tests.broken.breakages import Breakage, Call, Handler, Reply

FURTHER_TOKEN = "/api/v1/oauth2/access_token"


def error_reply(vendor: str, status: int, message: str) -> Reply:
    """An error in the vendor's documented format."""
    form = contracts.extensions(vendor).error_format
    text = json.dumps(form.body).replace("{message}", message).replace(
        "{code}", form.code_for(status))
    return Reply(status, Headers({"Content-Type": "application/json"}), text.encode())


def _refuse_every_token(call: Call) -> Reply:
    if call.headers.get("Authorization"):
        return error_reply("phinite", 401, "Invalid authentication credentials")
    return call.forward()


def _refuse_issued_tokens(call: Call) -> Reply:
    if call.path != FURTHER_TOKEN and call.headers.get("Authorization"):
        return error_reply("further", 401, "Token is invalid")
    return call.forward()


def _refuse_runs(call: Call) -> Reply:
    if call.method == "POST":
        return error_reply("phinite", 401, "Invalid authentication credentials")
    return call.forward()


def rate_limited(vendor: str, every: int, after: int = 0, retry_after: str = "1") -> Handler:
    """Answer every `every`-th request after the first `after` with a documented 429."""
    def handle(call: Call) -> Reply:
        count = call.state["count"] = call.state.get("count", 0) + 1
        if count > after and (count - after) % every == 0:
            reply = error_reply(vendor, 429, "Too many requests")
            reply.headers["Retry-After"] = retry_after
            return reply
        return call.forward()
    return handle


MANNERS = [
    Breakage("phinite-good-token-refused", "phinite", "preflight",
             "every request with the workspace's valid API key is answered 401",
             _refuse_every_token),
    Breakage("further-issued-tokens-refused", "further", "preflight",
             "the token endpoint issues tokens that no secured operation accepts",
             _refuse_issued_tokens),
    Breakage("phinite-runs-refused", "phinite", "lifecycle",
             "the valid key may read task status but every trigger is answered 401: no run is "
             "ever created, so the lifecycle must not count as passed",
             _refuse_runs),
    Breakage("further-429-storm", "further", "lifecycle",
             "after 40 requests every request is answered 429, whatever wait it asked for",
             rate_limited("further", every=1, after=40, retry_after="0")),
]
