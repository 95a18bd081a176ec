"""Breakages of the transport rather than of a body: credentials the server refuses although they
are good. Also the rate limiters the suite must wait out, or report as throttling, never as a
violation of the check that was running."""

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


def throttled_run(vendor: str, poll_prefix: str, refusals: int) -> Handler:
    """The first run's second poll is answered a documented 429 asking for no wait `refusals`
    times in a row (the retries included), its other polls as usual: one request the server
    throttles for good, among answered ones."""
    def handle(call: Call) -> Reply:
        if call.method != "GET" or not call.path.startswith(poll_prefix):
            return call.forward()
        if call.state.get("first", call.path) != call.path:
            return call.forward()
        reply = call.forward()
        if reply.status != 200:
            return reply
        call.state["first"] = call.path
        count = call.state["count"] = call.state.get("count", 0) + 1
        if 1 < count <= 1 + refusals:
            reply = error_reply(vendor, 429, "Too many requests")
            reply.headers["Retry-After"] = "0"
        return reply
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
]
