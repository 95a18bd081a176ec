"""The OAuth2 client-credentials token endpoint every such contract gets."""

from __future__ import annotations

from mockserver.engine.auth import AuthError
from mockserver.engine.call import ApiError, Call, Reply

__all__ = ["issue_token"]


def issue_token(call: Call) -> Reply:
    """Exchange the body's client credentials for a bearer token that expires on mock time."""
    body = call.inputs.body
    try:
        token, lifetime = call.vendor.auth.issue_token(body["client_id"], body["client_secret"])
    except AuthError as error:
        raise ApiError(401, str(error)) from None
    return Reply(200, {"access_token": token, "token_type": "Bearer",
                       "expires_in": int(lifetime)})
