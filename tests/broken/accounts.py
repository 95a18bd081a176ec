"""The vendors' accounts for one test session, drawn at random as a real server's are: credentials
nobody on the project chose, never the docs' placeholders, with a second tenant for every vendor.
The mock is configured with them (`MockConfig.credentials`, or `mockserver serve --client/--key`)
and the conformance suite authenticates with them."""

from __future__ import annotations

import secrets

from mockserver.config import Credentials


def _secret() -> str:
    return secrets.token_urlsafe(18)


CREDENTIALS: dict[str, dict[str, str]] = {
    "further": {"client_id": f"acct-{secrets.token_hex(6)}", "client_secret": _secret(),
                "other_client_id": f"acct-{secrets.token_hex(6)}",
                "other_client_secret": _secret()},
    **{vendor: {"token": _secret(), "other_token": _secret()}
       for vendor in ("phinite", "flowflow", "futurity")},
}
"""How the suite authenticates as the two tenants of each vendor: this session's accounts."""


def accounts() -> dict[str, Credentials]:
    """`MockConfig.credentials` that make `CREDENTIALS` the vendors' only accounts."""
    found = {}
    for vendor, given in CREDENTIALS.items():
        if "client_id" in given:
            found[vendor] = Credentials(clients={
                given["client_id"]: given["client_secret"],
                given["other_client_id"]: given["other_client_secret"]})
        else:
            found[vendor] = Credentials(keys=[given["token"], given["other_token"]])
    return found


def account_flags() -> list[str]:
    """The same accounts as `mockserver serve` options (`--client`, `--key`)."""
    flags = []
    for vendor, credentials in accounts().items():
        flags += [arg for client, secret in credentials.clients.items()
                  for arg in ("--client", f"{vendor}={client}:{secret}")]
        flags += [arg for key in credentials.keys for arg in ("--key", f"{vendor}={key}")]
    return flags
