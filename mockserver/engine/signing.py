"""Webhook signatures as Stripe makes them: `t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.

The timestamp inside the signed text lets a receiver refuse a replayed delivery; the HMAC keyed
by the tenant's secret proves the sender knows it. `verify_signature` is what a receiver runs,
exported so that users can test their own verification code against the mock's deliveries.
"""

from __future__ import annotations

import hashlib
import hmac
import time

__all__ = ["sign", "tenant_secret", "verify_signature"]


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """The signature header's value for `body` sent at `timestamp` (unix seconds)."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(body: bytes | str, header: str | None, secret: str, *,
                     tolerance: float | None = None, now: float | None = None) -> bool:
    """Whether `header` signs `body` (the raw bytes received) with `secret`; with `tolerance`
    (seconds), also whether its timestamp is that close to `now` (default: the real time)."""
    if not header:
        return False
    raw = body.encode() if isinstance(body, str) else body
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    stamps = parts.get("t", [])
    if len(stamps) != 1 or not stamps[0].isdigit():
        return False
    timestamp = int(stamps[0])
    if tolerance is not None and abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(raw, secret, timestamp).partition(",v1=")[2]
    return any(hmac.compare_digest(expected, given) for given in parts.get("v1", []))


def tenant_secret(seed: int, vendor: str, tenant: str | None) -> str:
    """A tenant's default signing secret: stable for a seed, different for every tenant."""
    digest = hashlib.sha256(f"{seed}:{vendor}:{tenant or ''}".encode()).hexdigest()
    return f"whsec_{digest[:32]}"
