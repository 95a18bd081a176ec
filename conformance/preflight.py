"""Before any check: prove that the run can exercise anything at all. Something must answer at the
base URL as the contract does, the credentials must be accepted (the token exchange of an OAuth2
scheme succeeds, and one authenticated, side-effect-free request is not refused), and with
`--fast-forward` the mock's clock must be there. Otherwise the run stops with exit 2 and says why,
instead of counting refused requests as passes."""

from __future__ import annotations

import requests
from schemathesis import APIOperation, Case, GenerationMode, Response
from schemathesis.checks import response_schema_conformance, status_code_conformance
from schemathesis.core.failures import FailureGroup

from conformance.checks.common import draw, fixed_parameters, load_schema, operations_by_id, send
from conformance.target import (
    OTHER_TOKEN_VARIABLE,
    SECRET_VARIABLE,
    TOKEN_VARIABLE,
    Target,
    TargetError,
)

__all__ = ["preflight"]

REFUSED = (401, 403)


def preflight(target: Target) -> None:
    """Raise TargetError (exit 2) unless the run's checks can reach and exercise the contract."""
    _reachable(target)
    _clock(target)
    probe = _probe(target)
    if probe is None:
        return  # no side-effect-free operation to try: the families' counts will tell
    raw = probe.definition.raw
    case = draw(probe.as_strategy(generation_mode=GenerationMode.POSITIVE), target.options.seed)
    case.path_parameters = fixed_parameters(target, case.path_parameters)
    anonymous = send(target, case, {})
    issued = False
    if target.secured(raw):
        if not target.auth_headers(raw):
            raise TargetError(f"{probe.label} needs credentials and none were given: "
                              f"{_wanted(target, raw)}")
        issued = target.token_operation() is not None
    answered = send(target, case, target.auth_headers(raw))
    # A 403 for made-up ids may be "not yours" rather than "not you": only 401 then.
    guessed = any(name not in target.options.parameters for name in case.path_parameters or {})
    refused = (401,) if guessed else REFUSED
    if answered is not None and answered.status_code in refused:
        raise TargetError(f"the server refused {_credential(target, raw)}: "
                          f"{_told(target, case, answered)}")
    answers = issued or (anonymous is not None and anonymous.status_code == 401) or (
        answered is not None and _conforms(target, case, answered))
    if not answers:
        shown = _told(target, case, answered) if answered is not None else "no answer"
        raise TargetError(f"nothing at {target.base_url} answers as the "
                          f"{target.options.contract!r} contract says: {shown}")
    if target.has_other_tenant() and target.secured(raw):
        other = send(target, case, target.auth_headers(raw, tenant="other"))
        if other is not None and other.status_code in refused:
            given = f"--other-token, ${OTHER_TOKEN_VARIABLE}" \
                if target.options.other_token is not None else \
                f"the access token issued for --other-client-id {target.options.other_client_id!r}"
            raise TargetError(f"the server refused the second tenant's credentials ({given}): "
                              f"{_told(target, case, other)}")


def _reachable(target: Target) -> None:
    try:
        target.control.get(target.base_url + "/", timeout=target.options.timeout)
    except requests.RequestException as error:
        raise TargetError(f"cannot reach {target.base_url}: {error}") from error


def _clock(target: Target) -> None:
    if not target.options.fast_forward:
        return
    try:
        target.control.get(f"{target.control_url}/clock", timeout=target.options.timeout
                           ).raise_for_status()
    except requests.RequestException as error:
        raise TargetError(f"--fast-forward needs the mock's control API at "
                          f"{target.control_url}: {error}") from error


def _probe(target: Target) -> APIOperation | None:
    """A GET the contract documents, secured if any is, with as few path parameters as can be."""
    token = target.token_operation()
    candidates = [op for op in operations_by_id(load_schema(target)).values()
                  if op.method.upper() == "GET" and (token is None or op.path != token[0])]
    candidates.sort(key=lambda op: (not target.secured(op.definition.raw),
                                    len(list(op.path_parameters)), op.path))
    return candidates[0] if candidates else None


def _conforms(target: Target, case: Case, response: Response) -> bool:
    """A success, or a documented answer whose body has the documented shape."""
    if 200 <= response.status_code < 300:
        return True
    try:
        case.validate_response(response, checks=[status_code_conformance,
                                                 response_schema_conformance],
                               transport_kwargs={"base_url": target.base_url})
    except FailureGroup:
        return False
    return True


def _wanted(target: Target, raw: dict[str, object]) -> str:
    for requirement in target.security(raw):
        for name in requirement:
            if target.schemes[name]["type"] == "oauth2":
                return (f"give --client-id and --client-secret (or CONFORMANCE_CLIENT_ID and "
                        f"{SECRET_VARIABLE})")
    return f"give --token (or {TOKEN_VARIABLE})"


def _credential(target: Target, raw: dict[str, object]) -> str:
    for requirement in target.security(raw):
        for name in requirement:
            if target.schemes[name]["type"] == "oauth2":
                return (f"the access token issued for --client-id {target.options.client_id!r}")
    return f"the token given with --token (${TOKEN_VARIABLE})"


def _told(target: Target, case: Case, response: Response) -> str:
    body = response.content[:300].decode("utf-8", errors="replace") if response.content else ""
    return f"GET {case.formatted_path} answered {response.status_code} {target.mask(body)}".strip()
