"""What a caller may ask of the mock per request, with a `Prefer` header in Prism's style.

    Prefer: outcome=failed, polls=3
    Prefer: seconds=30
    Prefer: latency=250, code=503

`outcome` (completed/failed, success/failure, or a terminal state's name), `polls` and `seconds`
shape a run the request creates; `callback=<http(s) URL>` also sends the webhooks that run
triggers there (`Prefer: callback=http://127.0.0.1:9000/hooks`); `latency` (milliseconds) delays
the answer; `code` forces a status the operation declares. Unknown preferences are ignored, as
RFC 7240 asks.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, ValidationError

from mockserver.engine.limits import MAX_RUN_SECONDS

__all__ = [
    "NO_PREFERENCES",
    "PreferenceError",
    "Preferences",
    "parse_prefer",
    "vendor_preferences",
]


class PreferenceError(ValueError):
    """A known preference with a value that makes no sense."""


class Preferences(BaseModel):
    """What one request asks of the mock through its `Prefer` header."""

    model_config = ConfigDict(frozen=True)

    outcome: str | None = None
    polls: int | None = None
    seconds: float | None = None
    latency: int | None = None
    code: int | None = None
    callback: str | None = None

    def applied(self) -> str:
        if not self.model_fields_set:
            return ""
        return ", ".join(f"{key}={value}" for key, value in self.model_dump().items()
                         if value is not None)


NO_PREFERENCES = Preferences()


def vendor_preferences(header: str | None) -> str | None:
    """What is left of a `Prefer` header without the mock's own preferences (None if nothing),
    so that a contract declaring `Prefer` itself never sees them."""
    if not header:
        return header
    kept = [item.strip() for item in header.replace(";", ",").split(",")
            if item.strip() and item.strip().partition("=")[0].strip().lower()
            not in Preferences.model_fields]
    return ", ".join(kept) or None


def parse_prefer(header: str | None) -> Preferences:
    """The known preferences of a `Prefer` header; unknown ones are ignored (RFC 7240)."""
    if not header:
        return NO_PREFERENCES
    values: dict[str, str] = {}
    for item in header.replace(";", ",").split(","):
        key, _, value = item.strip().partition("=")
        if key.strip().lower() in Preferences.model_fields:
            values[key.strip().lower()] = value.strip().strip('"')
    try:
        preferences = Preferences.model_validate(values)
    except ValidationError as error:
        problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in error.errors())
        raise PreferenceError(f"Invalid Prefer header: {problems}") from None
    if preferences.callback is not None and \
            not preferences.callback.lower().startswith(("http://", "https://")):
        raise PreferenceError("Invalid Prefer header: callback must be an http(s) URL")
    for name in ("polls", "seconds", "latency"):
        if (getattr(preferences, name) or 0) < 0:
            raise PreferenceError(f"Invalid Prefer header: {name} must not be negative")
    seconds = preferences.seconds
    if seconds is not None and not (math.isfinite(seconds) and seconds <= MAX_RUN_SECONDS):
        raise PreferenceError("Invalid Prefer header: seconds must be a finite number of at most "
                              f"{MAX_RUN_SECONDS:.0f}")
    return preferences
