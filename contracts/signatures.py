"""Webhook signatures as the contracts declare them (`x-webhooks` signature, Stripe's scheme):
`t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.

The timestamp inside the signed text lets a receiver refuse a replayed delivery; the HMAC keyed
by the subscription's secret proves the sender knows it. The mock signs with `sign`, and the
conformance suite and the users' tests check with `signature_problem` and `verify_signature`,
so the two sides cannot drift apart.
"""

from __future__ import annotations

import hashlib
import hmac
import time

__all__ = ["sign", "signature_problem", "verify_signature"]


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """The signature header's value for `body` sent at `timestamp` (unix seconds)."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signature_problem(body: bytes | str, header: str | None, secret: str, *,
                      tolerance: float | None = None, now: float | None = None) -> str | None:
    """Why `header` does not sign `body` (the raw bytes received) with `secret`, None when it
    does; with `tolerance` (seconds), also refused when its timestamp is further than that from
    `now` (default: the real time)."""
    if not header:
        return "no signature header"
    raw = body.encode() if isinstance(body, str) else body
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    stamps = parts.get("t", [])
    if len(stamps) != 1 or not stamps[0].isdigit():
        return f"no single unix timestamp `t=` in {header!r}"
    timestamp = int(stamps[0])
    expected = sign(raw, secret, timestamp).partition(",v1=")[2]
    if not any(hmac.compare_digest(expected, given) for given in parts.get("v1", [])):
        return "no `v1=` is the HMAC-SHA256 of \"<t>.<body>\" with the subscription's secret"
    if tolerance is not None and abs((time.time() if now is None else now) - timestamp) > tolerance:
        return f"timestamp {timestamp} is more than {tolerance:g}s from the receiver's clock"
    return None


def verify_signature(body: bytes | str, header: str | None, secret: str, *,
                     tolerance: float | None = None, now: float | None = None) -> bool:
    """Whether `header` signs `body` with `secret` (and, with `tolerance`, is recent enough):
    what a receiver runs, for users to test their own verification against the mock's
    deliveries."""
    return signature_problem(body, header, secret, tolerance=tolerance, now=now) is None
