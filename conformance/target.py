"""The implementation under test: how to reach it, authenticate, and wait for it.

Authentication follows the contract's security schemes: an OAuth2 client-credentials scheme is
satisfied by exchanging the given client id and secret at its token URL, an HTTP bearer scheme by
the given token. Credentials never appear in evidence: requests are recorded with them masked.
"""

from __future__ import annotations

import json
import shlex
import time
from typing import Any
from urllib.parse import urlsplit

import requests

import contracts
from conformance.findings import Exchange
from conformance.options import RunOptions

MASK = "${TOKEN}"


class TargetError(Exception):
    """The implementation cannot be reached or the run is misconfigured (exit code 2)."""


class Target:
    def __init__(self, options: RunOptions) -> None:
        self.options = options
        self.document = contracts.load(options.contract)
        self.extensions = contracts.extensions(options.contract)
        self.base_url = options.base_url.rstrip("/")
        self.session = requests.Session()
        self.schemes: dict[str, Any] = self.document.get("components", {}).get(
            "securitySchemes", {})
        self._tokens: dict[str, str] = {}
        self._operations: dict[str, tuple[str, str, dict[str, Any]]] = {}
        self.parameters: dict[str, str] = dict(options.parameters)
        """Path parameters pinned to real ids: the run's own, and parents checks created."""
        self.secrets = {s.get_secret_value() for s in (options.client_secret, options.token,
                                                       options.other_token) if s}
        parts = urlsplit(self.base_url)
        self.control_url = (options.control_url or f"{parts.scheme}://{parts.netloc}/__mock__")

    # -- operations --------------------------------------------------------------------------

    def operations(self) -> dict[str, tuple[str, str, dict[str, Any]]]:
        """operationId -> (method, path, operation with references resolved)."""
        if self._operations:
            return self._operations
        found = self._operations
        for path, item in self.document["paths"].items():
            for method in ("get", "put", "post", "patch", "delete"):
                if method in item:
                    found[item[method]["operationId"]] = (method, path, item[method])
        return found

    def security(self, operation: dict[str, Any]) -> list[dict[str, list[str]]]:
        return operation.get("security", self.document.get("security", []))

    def secured(self, operation: dict[str, Any]) -> bool:
        return any(requirement for requirement in self.security(operation))

    def token_operation(self) -> tuple[str, dict[str, Any]] | None:
        """(path, scheme) of the OAuth2 client-credentials token endpoint, if any."""
        for scheme in self.schemes.values():
            flow = scheme.get("flows", {}).get("clientCredentials")
            if scheme["type"] == "oauth2" and flow:
                return urlsplit(flow["tokenUrl"]).path, scheme
        return None

    # -- auth --------------------------------------------------------------------------------

    def auth_headers(self, operation: dict[str, Any], tenant: str = "main") -> dict[str, str]:
        if not self.secured(operation):
            return {}
        for requirement in self.security(operation):
            for name in requirement:
                token = self.token_for(self.schemes[name], tenant)
                if token:
                    return {"Authorization": f"Bearer {token}"}
        return {}

    def token_for(self, scheme: dict[str, Any], tenant: str = "main") -> str | None:
        if scheme["type"] == "oauth2":
            return self.issue_token(tenant)
        secret = self.options.token if tenant == "main" else self.options.other_token
        return secret.get_secret_value() if secret else None

    def issue_token(self, tenant: str = "main", fresh: bool = False) -> str | None:
        if tenant != "main":
            return None
        if not fresh and tenant in self._tokens:
            return self._tokens[tenant]
        token_endpoint = self.token_operation()
        if token_endpoint is None or not self.options.client_id or not self.options.client_secret:
            return None
        response = self.request("POST", token_endpoint[0], json={
            "client_id": self.options.client_id,
            "client_secret": self.options.client_secret.get_secret_value()})
        if response.status_code != 200:
            raise TargetError(f"the token endpoint refused the given client credentials "
                              f"({response.status_code})")
        token = response.json()["access_token"]
        self.secrets.add(token)
        self._tokens[tenant] = token
        return token

    def can_authenticate(self) -> bool:
        return bool(self.options.token or (self.options.client_id and self.options.client_secret))

    # -- transport ---------------------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.options.timeout)
        try:
            return self.session.request(method, self.base_url + path, **kwargs)
        except requests.ConnectionError as error:
            raise TargetError(f"cannot reach {self.base_url}: {error}") from error

    def preflight(self) -> None:
        """Fail fast (exit 2) when nothing answers at the base URL or credentials are refused."""
        try:
            self.session.get(self.base_url + "/", timeout=self.options.timeout)
        except requests.RequestException as error:
            raise TargetError(f"cannot reach {self.base_url}: {error}") from error
        if self.token_operation() and self.options.client_id:
            self.issue_token()
        if self.options.fast_forward:
            try:
                self.session.get(f"{self.control_url}/clock", timeout=self.options.timeout
                                 ).raise_for_status()
            except requests.RequestException as error:
                raise TargetError(f"--fast-forward needs the mock's control API at "
                                  f"{self.control_url}: {error}") from error

    def wait(self, seconds: float) -> None:
        """Let `seconds` pass for the implementation: on the mock, by moving its clock."""
        if self.options.fast_forward:
            self.session.post(f"{self.control_url}/clock/advance", json={"seconds": seconds},
                              timeout=self.options.timeout)
        else:
            time.sleep(seconds)

    # -- evidence ----------------------------------------------------------------------------

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, MASK)
        return text

    def exchange(self, response: Any) -> Exchange:
        """Evidence from a `requests` or a schemathesis response, credentials masked."""
        request = response.request
        body = request.body
        if isinstance(body, bytes):
            body = body[:2000].decode("utf-8", errors="replace")
        headers = {k: self.mask(str(v)) for k, v in request.headers.items()}
        content = response.content or b""
        response_headers = {k: ", ".join(v) if isinstance(v, list) else str(v)
                            for k, v in response.headers.items()}
        return Exchange(
            method=request.method or "", url=request.url or "", request_headers=headers,
            request_body=self.mask(body) if body else None, status=response.status_code,
            response_headers=response_headers,
            response_body=content[:4000].decode("utf-8", errors="replace"),
            curl=self.curl(request.method or "GET", request.url or "", headers, body),
        )

    def curl(self, method: str, url: str, headers: dict[str, str], body: str | None) -> str:
        parts = ["curl", "-X", method, shlex.quote(url)]
        for name, value in headers.items():
            if name.lower() in ("user-agent", "accept-encoding", "connection", "content-length"):
                continue
            parts += ["-H", shlex.quote(f"{name}: {value}")]
        if body:
            parts += ["--data-binary", shlex.quote(self.mask(body))]
        return " ".join(parts)


def json_or_none(response: Any) -> Any:
    """The JSON body of a `requests` or a schemathesis response, or None."""
    try:
        return json.loads(response.content or b"")
    except ValueError:
        return None
