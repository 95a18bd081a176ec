"""The implementation under test: how to reach it, authenticate, and wait for it.

Authentication follows the contract's security schemes: an OAuth2 client-credentials scheme is
satisfied by exchanging the given client id and secret at its token URL, an HTTP bearer scheme by
the given token. Credentials never appear in evidence: requests are recorded with them masked.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any
from urllib.parse import urlsplit

import requests
from schemathesis import Response

import contracts
from conformance.findings import Exchange
from conformance.options import RunOptions
from conformance.transport import Transport

__all__ = ["ACCESS_TOKEN_VARIABLE", "OTHER_SECRET_VARIABLE", "OTHER_TOKEN_VARIABLE",
           "SECRET_VARIABLE", "TOKEN_VARIABLE", "Target", "TargetError", "json_or_none",
           "shell_quote"]

# The environment variable each credential travels in when a finding's cURL is pasted.
TOKEN_VARIABLE = "CONFORMANCE_TOKEN"
OTHER_TOKEN_VARIABLE = "CONFORMANCE_OTHER_TOKEN"
SECRET_VARIABLE = "CONFORMANCE_CLIENT_SECRET"
OTHER_SECRET_VARIABLE = "CONFORMANCE_OTHER_CLIENT_SECRET"
ACCESS_TOKEN_VARIABLE = "CONFORMANCE_ACCESS_TOKEN"


class TargetError(Exception):
    """The implementation cannot be reached or the run is misconfigured (exit code 2)."""


class Target:
    """The implementation under test as every check family sees it: its contract, its transport
    (paced, bounded, retrying) and its credentials, which evidence never shows."""

    def __init__(self, options: RunOptions) -> None:
        self.options = options
        contracts.check(options.contract)  # a ContractError names each authoring mistake
        self.document = contracts.load(options.contract)
        self.extensions = contracts.extensions(options.contract)
        self.base_url = options.base_url.rstrip("/")
        self.session = Transport(options.rate_limit, options.max_requests, self.documents)
        self.control = Transport()  # the mock's clock: not the implementation's traffic
        self.schemes: dict[str, Any] = self.document.get("components", {}).get(
            "securitySchemes", {})
        self._tokens: dict[str, str] = {}
        self._operations: dict[str, tuple[str, str, dict[str, Any]]] = {}
        self.parameters: dict[str, str] = dict(options.parameters)
        """Path parameters pinned to real ids: the run's own, and parents checks created."""
        self.secrets: dict[str, str] = {}
        """secret -> the environment variable a pasted cURL takes it from."""
        for secret, variable in ((options.token, TOKEN_VARIABLE),
                                 (options.other_token, OTHER_TOKEN_VARIABLE),
                                 (options.client_secret, SECRET_VARIABLE),
                                 (options.other_client_secret, OTHER_SECRET_VARIABLE)):
            if secret is not None and secret.get_secret_value():
                self.secrets[secret.get_secret_value()] = variable
        self._templates: list[tuple[str, re.Pattern[str], dict[str, Any]]] = []
        parts = urlsplit(self.base_url)
        self.control_url = (options.control_url or f"{parts.scheme}://{parts.netloc}/__mock__")

    # -- operations --------------------------------------------------------------------------

    def operations(self) -> dict[str, tuple[str, str, dict[str, Any]]]:
        """operationId -> (method, path, operation with references resolved)."""
        if self._operations:
            return self._operations
        for method, path, operation in contracts.operations(self.document):
            self._operations[operation["operationId"]] = (method, path, operation)
        return self._operations

    def operation_at(self, method: str, url: str) -> dict[str, Any] | None:
        """The contract's operation a request to `url` addresses, if any."""
        if not self._templates:
            for verb, path, operation in self.operations().values():
                pattern = re.escape(path)
                pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
                self._templates.append((verb.upper(), re.compile(pattern), operation))
            self._templates.sort(key=lambda entry: entry[1].pattern.count("[^/]+"))
        path = urlsplit(url).path
        prefix = urlsplit(self.base_url).path
        if not path.startswith(prefix):
            return None
        path = path[len(prefix):]
        return next((operation for verb, pattern, operation in self._templates
                     if verb == method.upper() and pattern.fullmatch(path)), None)

    def response_schema(self, operation_id: str, status: int) -> dict[str, Any] | None:
        """The JSON schema the contract documents for an operation's answer with `status`."""
        responses = self.operations()[operation_id][2].get("responses", {})
        spec = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or \
            responses.get("default") or {}
        content = spec.get("content", {})
        media: dict[str, Any] = content.get("application/json") or next(
            (value for name, value in content.items() if name.endswith("json")), {})
        schema = media.get("schema")
        return schema if isinstance(schema, dict) else None

    def documents(self, method: str, url: str, status: int) -> bool:
        """Whether the contract documents `status` for the operation at `url`."""
        operation = self.operation_at(method, url)
        return operation is not None and str(status) in operation.get("responses", {})

    def security(self, operation: dict[str, Any]) -> list[dict[str, list[str]]]:
        """The operation's security requirements (its own, or the document's)."""
        return operation.get("security", self.document.get("security", []))

    def secured(self, operation: dict[str, Any]) -> bool:
        """Whether the operation needs credentials."""
        return any(requirement for requirement in self.security(operation))

    def token_operation(self) -> tuple[str, dict[str, Any]] | None:
        """(path, scheme) of the OAuth2 client-credentials token endpoint, if any."""
        endpoint = contracts.token_endpoint(self.document)
        return (endpoint.path, self.schemes[endpoint.scheme]) if endpoint else None

    # -- auth --------------------------------------------------------------------------------

    def auth_headers(self, operation: dict[str, Any], tenant: str = "main") -> dict[str, str]:
        """The headers that authenticate `tenant` ("main" or "other") for the operation."""
        if not self.secured(operation):
            return {}
        for requirement in self.security(operation):
            for name in requirement:
                token = self.token_for(self.schemes[name], tenant)
                if token:
                    return {"Authorization": f"Bearer {token}"}
        return {}

    def token_for(self, scheme: dict[str, Any], tenant: str = "main") -> str | None:
        """The bearer credential for a scheme: an issued token (OAuth2) or the one given."""
        secret = self.options.token if tenant == "main" else self.options.other_token
        if scheme["type"] == "oauth2":  # a token issued for the client given, else the one given
            return self.issue_token(tenant) or (secret.get_secret_value() if secret else None)
        return secret.get_secret_value() if secret else None

    def client(self, tenant: str = "main") -> tuple[str, str] | None:
        """The OAuth2 client (id, secret) the run was given for `tenant`, if any."""
        options = self.options
        client_id, secret = (options.client_id, options.client_secret) if tenant == "main" \
            else (options.other_client_id, options.other_client_secret)
        if not client_id or secret is None or not secret.get_secret_value():
            return None
        return client_id, secret.get_secret_value()

    def issue_token(self, tenant: str = "main", fresh: bool = False) -> str | None:
        """A token from the OAuth2 token endpoint, cached until `fresh` asks for a new one."""
        if not fresh and tenant in self._tokens:
            return self._tokens[tenant]
        token_endpoint, client = self.token_operation(), self.client(tenant)
        if token_endpoint is None or client is None:
            return None
        response = self.request("POST", token_endpoint[0], json={
            "client_id": client[0], "client_secret": client[1]})
        token = json_or_none(response)
        token = token.get("access_token") if isinstance(token, dict) else None
        if response.status_code != 200 or not isinstance(token, str) or not token:
            flags = "--client-id {!r}, --client-secret/${}" if tenant == "main" else \
                "--other-client-id {!r}, --other-client-secret/${}"
            variable = SECRET_VARIABLE if tenant == "main" else OTHER_SECRET_VARIABLE
            raise TargetError(
                f"the token endpoint refused the given client credentials "
                f"({flags.format(client[0], variable)}): POST {token_endpoint[0]} answered "
                f"{response.status_code} {self.mask(response.text[:300])}")
        self.secrets[token] = ACCESS_TOKEN_VARIABLE if tenant == "main" else \
            f"{ACCESS_TOKEN_VARIABLE}_OTHER"
        self._tokens[tenant] = token
        return token

    def can_authenticate(self) -> bool:
        """Whether the run was given any credentials."""
        return bool(self.options.token or self.client())

    def has_other_tenant(self) -> bool:
        """Whether the run was given a second tenant's credentials, to check isolation."""
        return self.options.other_token is not None or self.client("other") is not None

    # -- transport ---------------------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A request below the base URL, through the run's transport."""
        kwargs.setdefault("timeout", self.options.timeout)
        try:
            return self.session.request(method, self.base_url + path, **kwargs)
        except requests.ConnectionError as error:
            raise TargetError(f"cannot reach {self.base_url}: {error}") from error

    def wait(self, seconds: float) -> None:
        """Let `seconds` pass for the implementation: on the mock, by moving its clock."""
        if self.options.fast_forward:
            moved = self.control.post(f"{self.control_url}/clock/advance",
                                      json={"seconds": seconds}, timeout=self.options.timeout)
            if not moved.ok:
                raise TargetError(f"--fast-forward: the mock's clock at {self.control_url} "
                                  f"answered {moved.status_code}")
        else:
            time.sleep(seconds)

    # -- evidence ----------------------------------------------------------------------------

    def mask(self, text: str) -> str:
        """`text` with every credential replaced by `${VARIABLE}`, the variable it comes from."""
        for secret, variable in self.secrets.items():
            text = text.replace(secret, "${" + variable + "}")
        return text

    def exchange(self, response: Response | requests.Response) -> Exchange:
        """Evidence from a `requests` or a schemathesis response, credentials masked."""
        request = response.request
        sent = request.body
        body = sent[:2000].decode("utf-8", errors="replace") if isinstance(sent, bytes) else \
            sent if isinstance(sent, str) else None
        headers = {k: str(v) for k, v in request.headers.items()}
        content = response.content or b""
        response_headers = {k: ", ".join(v) if isinstance(v, list) else str(v)
                            for k, v in response.headers.items()}
        curl = self.curl(request.method or "GET", request.url or "", headers, body)
        return Exchange(
            method=request.method or "", url=request.url or "",
            request_headers={k: self.mask(v) for k, v in headers.items()},
            request_body=self.mask(body) if body else None, status=response.status_code,
            response_headers=response_headers,
            response_body=self.mask(content[:4000].decode("utf-8", errors="replace")),
            curl=curl, setup=self.token_setup() if ACCESS_TOKEN_VARIABLE in curl else "",
        )

    def curl(self, method: str, url: str, headers: dict[str, str], body: str | None) -> str:
        """A cURL command that replays the request as printed, credentials read from the
        environment variables it names."""
        parts = ["curl", "-X", method, self.quote(url)]
        for name, value in headers.items():
            if name.lower() in ("user-agent", "accept-encoding", "connection", "content-length"):
                continue
            parts += ["-H", self.quote(f"{name}: {value}")]
        if body:
            parts += ["--data-binary", self.quote(body)]
        return " ".join(parts)

    def quote(self, text: str) -> str:
        """`text` in double quotes for a POSIX shell, each credential as `${VARIABLE}`."""
        quoted = shell_quote(text)
        for secret, variable in self.secrets.items():
            quoted = quoted.replace(shell_quote(secret)[1:-1], "${" + variable + "}")
        return quoted

    def token_setup(self) -> str:
        """The command that puts a fresh OAuth2 access token in its environment variable."""
        endpoint = self.token_operation()
        if endpoint is None:
            return ""
        placeholder = "conformance-client-secret"
        body = json.dumps({"client_id": self.options.client_id, "client_secret": placeholder})
        body = shell_quote(body).replace(placeholder, "${" + SECRET_VARIABLE + "}")
        return (f"export {ACCESS_TOKEN_VARIABLE}=\"$(curl -s -X POST "
                f"{shell_quote(self.base_url + endpoint[0])} "
                f"-H \"Content-Type: application/json\" --data-binary {body} | python3 -c "
                f"\"import json,sys; print(json.load(sys.stdin)['access_token'])\")\"")


def shell_quote(text: str) -> str:
    """`text` as one double-quoted shell word."""
    return '"' + re.sub(r'([\\"$`])', r"\\\1", text) + '"'


def json_or_none(response: Response | requests.Response) -> Any:
    """The JSON body of a `requests` or a schemathesis response, or None."""
    try:
        return json.loads(response.content or b"")
    except ValueError:
        return None
