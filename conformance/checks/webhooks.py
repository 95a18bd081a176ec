"""`webhooks` (with `--webhooks`): runs that end notify, as `x-lifecycles.*.webhooks` declares.

A receiver on 127.0.0.1 is subscribed where the contract says how (each run's create request
names it where the contract declares such a `callback` field; else the mock's control API when
the vendor documents no subscription operation), runs are created and followed to their end, and
every delivery is held to its webhook's declaration: a declared event, the declared headers, a
body that matches the webhook's schema and is the run as its final poll shows it, a valid
`t=,v1=` HMAC-SHA256 signature with a fresh timestamp, a delivery id; and every run that ended
is notified.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import jsonschema
import requests
import schemathesis
from werkzeug.serving import make_server

import contracts
from conformance.checks.common import fixed_parameters, load_schema, operations_by_id, send
from conformance.findings import Results
from conformance.profiles import Profile
from conformance.target import Target, json_or_none
from contracts import pointers
from contracts.extensions import Lifecycle
from contracts.signatures import signature_problem

__all__ = ["Receiver", "run_webhooks"]

CHECK = "webhooks"
TOLERANCE_SECONDS = 300
"""How far a signature's timestamp may be from the receiver's clock (Stripe's default)."""
DELIVERY_WAIT_SECONDS = 30.0
"""How long deliveries may take to arrive once the runs ended (at most the time budget)."""


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float


class Receiver:
    """An HTTP receiver on a free port of 127.0.0.1 that records every request and answers 200."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        lock = threading.Lock()

        def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            headers = {key[5:].replace("_", "-").lower(): str(value)
                       for key, value in environ.items() if key.startswith("HTTP_")}
            with lock:
                self.received.append(Received(headers, body, time.time()))
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]

        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/webhooks"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class Run:
    id: str
    path: str
    state: str
    body: Any = None
    notified: list[Received] = field(default_factory=list)


def run_webhooks(target: Target, results: Results, profile: Profile) -> None:
    operations = operations_by_id(load_schema(target))
    for lifecycle in target.extensions.lifecycles.values():
        if lifecycle.webhooks is None:
            continue
        if lifecycle.webhooks.subscribe is not None:
            results.skipped(CHECK, lifecycle.resource, f"subscribing through the vendor's "
                            f"{lifecycle.webhooks.subscribe} is not automated yet")
            continue
        with Receiver() as receiver:
            if lifecycle.webhooks.callback is not None:
                _by_callback(target, results, lifecycle, operations, profile, receiver)
                continue
            secret = f"whsec_conformance_{secrets.token_hex(8)}"
            subscription = _subscribe(target, results, receiver.url, secret)
            if subscription is None:
                continue
            try:
                runs = _create_and_finish(target, results, lifecycle, operations,
                                          profile.lifecycle_runs)
                limit = min(DELIVERY_WAIT_SECONDS, target.options.time_budget)
                _await(receiver, runs, lifecycle, limit)
                _judge(target, results, lifecycle, runs, receiver.received, secret, limit)
            finally:
                target.control.delete(f"{target.control_url}/webhooks/subscriptions/"
                                      f"{subscription}", timeout=target.options.timeout)


def _by_callback(target: Target, results: Results, lifecycle: Lifecycle,
                 operations: dict[str, Any], profile: Profile, receiver: Receiver) -> None:
    """Where the create request names the run's webhook URL, as the vendor documents it: each
    run names the receiver, and no subscription is needed, so this works on any implementation
    given the secret its deliveries are signed with."""
    secret = _callback_secret(target, results)
    if secret is None:
        return
    runs = _create_and_finish(target, results, lifecycle, operations, profile.lifecycle_runs,
                              callback=receiver.url)
    limit = min(DELIVERY_WAIT_SECONDS, target.options.time_budget)
    _await(receiver, runs, lifecycle, limit)
    _judge(target, results, lifecycle, runs, receiver.received, secret, limit)


def _callback_secret(target: Target, results: Results) -> str | None:
    """The secret callback deliveries are signed with: `--webhook-secret`, else the mock's
    secret for the suite's tenant; None (reported) when neither is to be had."""
    if target.options.webhook_secret is not None:
        return target.options.webhook_secret.get_secret_value()
    tenant = target.options.client_id or (
        target.options.token.get_secret_value() if target.options.token else "")
    where = f"{target.control_url}/webhooks/secrets/{target.extensions.vendor.id}/{tenant}"
    try:
        answer = target.control.get(where, timeout=target.options.timeout)
        secret = answer.json().get("secret") if answer.status_code == 200 else None
    except (requests.RequestException, ValueError):
        secret = None
    if not isinstance(secret, str):
        results.skipped(CHECK, "subscribe", "the callback deliveries' signing secret is not "
                        f"known: pass --webhook-secret (no mock's control API at {where})")
        return None
    return secret


def _subscribe(target: Target, results: Results, url: str, secret: str) -> str | None:
    """Subscribe through the mock's control API; the subscription's id, or None."""
    where = f"{target.control_url}/webhooks/subscriptions"
    try:
        answer = target.control.post(where, timeout=target.options.timeout, json={
            "vendor": target.extensions.vendor.id, "url": url, "secret": secret})
    except requests.ConnectionError as error:
        answer = None
        reason = f"cannot reach {where}: {error}"
    if answer is None or answer.status_code != 201:
        reason = reason if answer is None else f"POST {where} answered {answer.status_code} " \
            f"{answer.text[:300]}"
        results.failed(CHECK, "subscribe", "a receiver can subscribe where the contract says",
                       f"the contract declares no subscription operation, so the mock's control "
                       f"API is used: {reason}")
        return None
    return str(answer.json()["id"])


def _create_and_finish(target: Target, results: Results, lifecycle: Lifecycle,
                       operations: dict[str, Any], count: int,
                       callback: str | None = None) -> list[Run]:
    """Create `count` runs (alternately succeeding and failing where the mock is told; each
    naming `callback` as its webhook URL, if given) and poll each until it ends, within the
    time budget."""
    create = operations[lifecycle.create]
    strategy = create.as_strategy(generation_mode=schemathesis.GenerationMode.POSITIVE)
    link = contracts.link_parameters(target.document, lifecycle)
    runs: list[Run] = []
    for index in range(count * 3):
        if len(runs) >= count:
            break
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            case = strategy.example()
        case.path_parameters = fixed_parameters(target, case.path_parameters)
        if callback is not None and lifecycle.webhooks is not None and \
                lifecycle.webhooks.callback is not None and isinstance(case.body, dict):
            _name_callback(case.body, lifecycle.webhooks.callback, callback)
        headers = dict(target.auth_headers(create.definition.raw))
        if target.options.fast_forward:
            outcome = lifecycle.failure if index % 2 else lifecycle.success
            headers["Prefer"] = f"outcome={outcome}"
        response = send(target, case, headers)
        if response is None or not 200 <= response.status_code < 300:
            continue
        body = json_or_none(response)
        run_id = pointers.get(body, lifecycle.id.create, None)
        if not isinstance(run_id, str):
            continue
        request = {"path": dict(case.path_parameters or {}), "query": dict(case.query or {}),
                   "body": case.body if isinstance(case.body, dict) else None}
        path = operations[lifecycle.poll].path
        for name, expression in link.items():
            value = pointers.evaluate(expression, request, body)
            path = path.replace("{" + name + "}", requests.utils.quote(str(value), safe=""))
        runs.append(Run(run_id, path, str(pointers.get(body, lifecycle.status.create, ""))))
        results.did(CHECK, "runs created")
    poll = operations[lifecycle.poll].definition.raw
    interval, waited = 1.0, 0.0
    while True:
        for run in runs:
            if run.state not in lifecycle.terminal:
                answer = target.request("GET", run.path, headers=target.auth_headers(poll))
                run.body = json_or_none(answer)
                run.state = str(pointers.get(run.body, lifecycle.status.poll, run.state))
        if all(run.state in lifecycle.terminal for run in runs) or \
                waited >= target.options.time_budget:
            break
        target.wait(interval)
        waited += interval
        interval = min(interval * 2, 30.0)
    for run in runs:
        if run.state in lifecycle.terminal:
            results.did(CHECK, "runs finished")
    return runs


def _name_callback(body: dict[str, Any], pointer: str, url: str) -> None:
    """Put the receiver's URL at `pointer`, and leave out the fields beside it that qualify it
    (`webhook_events_filter` beside `webhook`): drawn at random, they could ask for fewer
    events than the declaration promises."""
    pointers.put(body, pointer, url)
    parent, _, name = pointer.rpartition("/")
    siblings = pointers.get(body, parent, None) if parent else body
    if isinstance(siblings, dict):
        for field in [key for key in siblings if key.startswith(f"{name}_")]:
            del siblings[field]


def _await(receiver: Receiver, runs: list[Run], lifecycle: Lifecycle, limit: float) -> None:
    """Wait (real time, at most `limit` seconds) until every ended run has a delivery."""
    wanted = {run.id for run in runs if run.state in lifecycle.terminal}
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        seen = {pointers.get(json_or_text(r.body), lifecycle.id.poll, None)
                for r in receiver.received}
        if wanted <= seen:
            time.sleep(0.5)  # a moment for duplicates or stragglers to arrive too
            return
        time.sleep(0.1)


def json_or_text(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _judge(target: Target, results: Results, lifecycle: Lifecycle, runs: list[Run],
           received: list[Received], secret: str, limit: float) -> None:
    assert lifecycle.webhooks is not None
    declared = target.document.get("webhooks") or {}
    names = lifecycle.webhooks
    by_id = {run.id: run for run in runs}
    for delivery in received:
        event = delivery.headers.get(names.event_header.lower())
        label = f"webhook {event}"
        evidence = f"{names.event_header}: {event}; body {delivery.body[:300]!r}"
        post = (declared.get(event or "") or {}).get("post")
        if post is None:
            results.failed(CHECK, label, "every delivery is a declared webhook",
                           f"{names.event_header} {event!r} is not under `webhooks` "
                           f"({', '.join(declared)})")
            continue
        body = json_or_text(delivery.body)
        schema = post["requestBody"]["content"]["application/json"]["schema"]
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(body), key=str)
        if body is None or errors:
            problem = "not JSON" if body is None else errors[0].message
            results.failed(CHECK, label, "the body matches the webhook's schema",
                           f"{problem}; {evidence}")
        why = signature_problem(delivery.body, delivery.headers.get(
            names.signature.header.lower()), secret, tolerance=TOLERANCE_SECONDS,
            now=delivery.at)
        if why is not None:
            results.failed(CHECK, label, "the delivery is signed with the subscription's secret",
                           f"{why}; {names.signature.header}: "
                           f"{delivery.headers.get(names.signature.header.lower())}")
        if not delivery.headers.get(names.id_header.lower()):
            results.failed(CHECK, label, "every delivery carries its id",
                           f"no {names.id_header} header")
        for parameter in post.get("parameters", []):
            if parameter.get("in") != "header":
                continue
            value = delivery.headers.get(str(parameter["name"]).lower())
            if value is None and parameter.get("required"):
                results.failed(CHECK, label, "the webhook's declared headers are sent",
                               f"no {parameter['name']} header")
            elif value is not None and not jsonschema.Draft202012Validator(
                    parameter.get("schema", {})).is_valid(value):
                results.failed(CHECK, label, "the webhook's declared headers are sent",
                               f"{parameter['name']}: {value!r} does not match "
                               f"{parameter.get('schema')}")
        run = by_id.get(str(pointers.get(body, lifecycle.id.poll, None)))
        if run is not None:
            state = pointers.get(body, lifecycle.status.poll, None)
            if names.when.get(str(state)) != event:
                results.failed(CHECK, label, "the webhook is the one declared for the state",
                               f"run {run.id} in {state!r} sent {event!r}; declared: "
                               f"{names.when}")
            elif run.state in lifecycle.terminal and body != run.body:
                results.failed(CHECK, label, "the body is the run as its poll reads it",
                               f"run {run.id}: delivered {body!r}, polled {run.body!r}")
            run.notified.append(delivery)
        if why is None and not errors and body is not None:
            results.passed(CHECK, label)
            results.did(CHECK, "deliveries checked")
    for run in runs:
        if run.state in names.when and not run.notified:
            results.failed(CHECK, f"webhook {names.when[run.state]}",
                           "every run that ends is notified",
                           f"run {run.id} ended {run.state!r} and no "
                           f"{names.when[run.state]} arrived within "
                           f"{limit:.0f}s")
        elif run.notified:
            results.did(CHECK, "runs notified")
