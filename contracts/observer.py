"""The vendor's rules that span exchanges, for whoever watches traffic after the fact.

What one exchange cannot show, several can: a run's states over its polls, the client that made
a run or a record reading it back while another may not, a deleted record staying gone, a list
page agreeing with itself. The validation proxy watches live traffic with an `Observer` over its
store (so its workers share one history), `conformance replay` watches a recording over a dict:
the same rules either way. Tokens are kept only as hashes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Protocol

from contracts import invariants, pointers
from contracts.extensions import Extensions, Lifecycle, Pagination, Resource
from contracts.openapi import link_parameters, operations, token_endpoint

__all__ = ["MemoryState", "Observer", "Seen", "State"]

RUN, RECORD, TOKEN = "run", "record", "token"


class State(Protocol):
    """Where an observer keeps what it saw: `kind` is one of "run", "record", "token"."""

    def get(self, kind: str, key: str) -> dict[str, Any] | None: ...

    def put(self, kind: str, key: str, value: dict[str, Any]) -> None: ...


class MemoryState:
    """State in a dict, for one process judging a recording."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, str], dict[str, Any]] = {}

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        return self._values.get((kind, key))

    def put(self, kind: str, key: str, value: dict[str, Any]) -> None:
        self._values[(kind, key)] = value


@dataclass
class Seen:
    """One answered exchange as the observer needs it."""

    operation: str
    status: int
    path_params: dict[str, str]
    request: dict[str, Any]
    """`path`, `query`, `header` and `body` as runtime expressions read them."""
    body: Any
    authorization: str | None = None


@dataclass
class Observer:
    """One vendor's cross-exchange rules; `observe` returns (family, problem) pairs, the family
    one of `lifecycle`, `hypermedia`, `tenants`, `resources`, `auth`."""

    document: dict[str, Any]
    extensions: Extensions
    state: State
    _roles: dict[str, list[tuple[str, Lifecycle]]] = field(init=False, default_factory=dict)
    _paths: dict[str, str] = field(init=False, default_factory=dict)
    _token_operation: str | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        endpoint = token_endpoint(self.document)
        for method, path, raw in operations(self.document):
            self._paths[raw["operationId"]] = path
            if endpoint is not None and method == "post" and path == endpoint.path:
                self._token_operation = raw["operationId"]
        for lifecycle in self.extensions.lifecycles.values():
            roles = [("create", lifecycle.create), ("poll", lifecycle.poll)] + \
                [("synchronous", op) for op in lifecycle.synchronous]
            for role, operation_id in roles:
                self._roles.setdefault(operation_id, []).append((role, lifecycle))
        self._oauth = endpoint is not None

    @property
    def vendor(self) -> str:
        return self.extensions.vendor.id

    def observe(self, seen: Seen) -> list[tuple[str, str]]:
        if not 200 <= seen.status < 300:
            return []
        identity = self._identity(seen.authorization)
        found: list[tuple[str, str]] = []
        for resource in self.extensions.resources.items.values():
            found += self._records(resource, seen, identity)
        if not isinstance(seen.body, dict):
            return found
        if seen.operation == self._token_operation:
            found += [("auth", problem) for problem in self._learn_token(seen)]
        for role, lifecycle in self._roles.get(seen.operation, []):
            if role == "create":
                found += self._created(lifecycle, seen, identity)
            elif role == "poll":
                found += [("lifecycle", p) for p in self._polled(lifecycle, seen, identity)]
            else:
                state = pointers.get(seen.body, lifecycle.status.poll, None)
                found += [("lifecycle", p) for p in
                          invariants.state_problems(lifecycle, None, state, seen.body)]
                if state in lifecycle.states and state not in lifecycle.terminal:
                    found.append(("lifecycle", f"a synchronous run answered {state!r}, not a "
                                               "terminal state"))
        return found

    # -- who is calling --------------------------------------------------------------------------

    def _identity(self, authorization: str | None) -> str | None:
        """The OAuth2 client a token was issued to (if the exchange was seen), or the static
        key itself; None when it cannot be told."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        digest = _digest(token.strip())
        if not self._oauth:
            return f"key:{digest}"
        issued = self.state.get(TOKEN, self._key(digest))
        return f"client:{issued['client']}" if issued else None

    def _learn_token(self, seen: Seen) -> list[str]:
        """Which client a new token is for; and a client id has one secret: a token endpoint
        that accepts two different ones for it accepts any (secrets are kept as hashes)."""
        sent = seen.request.get("body")
        token = seen.body.get("access_token")
        if not isinstance(sent, dict) or not isinstance(sent.get("client_id"), str):
            return []
        client = sent["client_id"]
        if isinstance(token, str):
            self.state.put(TOKEN, self._key(_digest(token)), {"client": client})
        secret = sent.get("client_secret")
        if not isinstance(secret, str):
            return []
        key = self._key(f"secret:{client}")
        known = self.state.get(TOKEN, key)
        if known is None:
            self.state.put(TOKEN, key, {"secret": _digest(secret)})
        elif known["secret"] != _digest(secret):
            return [f"the token endpoint accepted two different secrets for client {client!r}"]
        return []

    def _key(self, key: str) -> str:
        return f"{self.vendor}:{key}"

    # -- runs ------------------------------------------------------------------------------------

    def _created(self, lifecycle: Lifecycle, seen: Seen, identity: str | None
                 ) -> list[tuple[str, str]]:
        run_id = pointers.get(seen.body, lifecycle.id.create, None)
        state = pointers.get(seen.body, lifecycle.status.create, None)
        if not isinstance(run_id, str) or not run_id:
            return [("lifecycle", f"the create body carries no run id at {lifecycle.id.create}")]
        found = []
        if state not in lifecycle.states:
            found.append(("lifecycle", f"status {state!r} is not a declared state of "
                                       f"{lifecycle.resource} (declared: "
                                       f"{', '.join(lifecycle.states)})"))
        link = link_parameters(self.document, lifecycle)
        found += [("hypermedia", p) for p in invariants.hypermedia_problems(
            self._paths[lifecycle.poll], link, seen.request, seen.body)]
        self.state.put(RUN, self._key(run_id),
                       {"status": state, "request": seen.request, "owner": identity})
        return found

    def _polled(self, lifecycle: Lifecycle, seen: Seen, identity: str | None) -> list[str]:
        link = link_parameters(self.document, lifecycle)
        id_parameter = next((name for name, expression in link.items()
                             if expression == f"$response.body#{lifecycle.id.create}"), None)
        run_id = seen.path_params.get(id_parameter or "") or \
            pointers.get(seen.body, lifecycle.id.poll, None)
        if not isinstance(run_id, str):
            return [f"the poll body carries no run id at {lifecycle.id.poll}"]
        state = pointers.get(seen.body, lifecycle.status.poll, None)
        problems = invariants.id_problems(lifecycle, run_id, seen.body) if id_parameter else []
        known = self.state.get(RUN, self._key(run_id))
        before = known["status"] if known else None
        problems += invariants.state_problems(lifecycle, before, state, seen.body)
        if known is not None:
            problems += invariants.echo_problems(lifecycle, known["request"], seen.body)
            if _foreign(known.get("owner"), identity):
                problems.append(f"run {run_id} was created by another client, yet this one "
                                "may read it")
        moved = state != before and before not in lifecycle.terminal
        if state in lifecycle.states and (known is None or moved):  # an unchanged poll
            self.state.put(RUN, self._key(run_id), {  # writes nothing
                "status": state, "request": known["request"] if known else {},
                "owner": known.get("owner") if known else identity})
        return problems

    # -- stored records --------------------------------------------------------------------------

    def _records(self, resource: Resource, seen: Seen, identity: str | None
                 ) -> list[tuple[str, str]]:
        role = next((role for role, operation_id in resource.operations().items()
                     if operation_id == seen.operation), None)
        if role == "create":
            record_id = pointers.get(seen.body, f"{resource.envelope}/{resource.id.field}", None)
            if isinstance(record_id, str):
                self.state.put(RECORD, self._record(resource, record_id),
                               {"owner": identity, "deleted": False})
            return []
        if role == "list":
            return self._listed(resource, seen, identity)
        record_id = seen.path_params.get(resource.id.parameter or "")
        if role is None or record_id is None:
            return []
        key = self._record(resource, record_id)
        known = self.state.get(RECORD, key)
        found = []
        if known and known["deleted"]:
            found.append(("resources", f"{resource.name} {record_id} was deleted, yet this "
                                       f"{role} succeeded"))
        elif known and _foreign(known["owner"], identity):
            found.append(("tenants", f"{resource.name} {record_id} belongs to another client, "
                                     f"yet this {role} succeeded"))
        if role == "delete":
            self.state.put(RECORD, key, {**(known or {"owner": identity}), "deleted": True})
        return found

    def _listed(self, resource: Resource, seen: Seen, identity: str | None
                ) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        pagination = self.extensions.resources.pagination
        if isinstance(pagination, Pagination):  # a cursor page has no block to agree with
            found += [("resources", p) for p in
                      invariants.page_problems(pagination, resource.envelope, seen.body)]
        items = pointers.get(seen.body, resource.envelope or "", None)
        for item in items if isinstance(items, list) else []:
            record_id = item.get(resource.id.field) if isinstance(item, dict) else None
            known = self.state.get(RECORD, self._record(resource, str(record_id)))
            if known and _foreign(known["owner"], identity):
                found.append(("tenants", f"the list shows {resource.name} {record_id}, another "
                                         "client's"))
            elif known and known["deleted"]:
                found.append(("resources", f"the list shows {resource.name} {record_id}, "
                                           "deleted"))
        return found

    def _record(self, resource: Resource, record_id: str) -> str:
        return self._key(f"{resource.name}:{record_id}")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def _foreign(owner: str | None, identity: str | None) -> bool:
    return owner is not None and identity is not None and owner != identity
