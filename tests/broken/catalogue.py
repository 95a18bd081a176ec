"""The catalogue of broken implementations: each is the mock with exactly one violation of its
contract, of a kind real implementations get wrong, and names the check family that must catch
it."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.datastructures import Headers

import contracts
from contracts.extensions import DemoCredentials
from tests.broken.accounts import CREDENTIALS
from tests.broken.breakages import Breakage, Call, Reply, edit_json
from tests.broken.hypermedia import HYPERMEDIA
from tests.broken.lenient import LENIENT
from tests.broken.listings import LISTINGS
from tests.broken.manners import MANNERS
from tests.broken.records import RECORDS


def _demo(vendor: str) -> DemoCredentials:
    return contracts.extensions(vendor).demo_credentials or DemoCredentials()


FURTHER_TOKEN = "/api/v1/oauth2/access_token"
FURTHER_CREATE = r"/api/v1/workflow-builder/workflows/[^/]+/executions"
FURTHER_POLL = r"/api/v1/workflow-builder/workflows/([^/]+)/executions/([^/]+)"
# A breakage knows both this session's accounts and the docs' placeholders (the proxy's sessions
# are written with the latter), and in each the first tenant's then the second's.
FURTHER_CLIENTS = {CREDENTIALS["further"]["client_id"]: CREDENTIALS["further"]["client_secret"],
                   CREDENTIALS["further"]["other_client_id"]:
                   CREDENTIALS["further"]["other_client_secret"],
                   **_demo("further").clients}
PHINITE_RUN = r"/api/v1/ai/trigger/(start/)?[^/]+/[^/]+/[^/]+"
PHINITE_POLL = r"/api/v1/ai/trigger/status/[^/]+/[^/]+"
PHINITE_KEYS = (CREDENTIALS["phinite"]["token"], CREDENTIALS["phinite"]["other_token"],
                *_demo("phinite").keys)
FLOWFLOW_POLL = r"/api/v1/workflow/progress/[^/]+"
FUTURITY_LIST = r"/(chats|vault/files|workflows|dashboards)"
FUTURITY_ITEM = r"/(chats|vault/files|workflows|dashboards)/[^/]+"
FUTURITY_DELETABLE = r"/(chats|vault/files|workflows)/[^/]+"
FUTURITY_POLL = r"/workflows/[^/]+/executions/[^/]+"
FUTURITY_TENANTS = {CREDENTIALS["futurity"]["token"]: CREDENTIALS["futurity"]["other_token"],
                    CREDENTIALS["futurity"]["other_token"]: CREDENTIALS["futurity"]["token"],
                    _demo("futurity").keys[0]: _demo("futurity").keys[1],
                    _demo("futurity").keys[1]: _demo("futurity").keys[0]}


def run_of(body: Any) -> dict[str, Any]:
    return body["workflow"]["run"]


# -- Further AI --------------------------------------------------------------------------------

def _rename_running(body: Any, call: Call) -> None:
    if body.get("status") == "running":
        body["status"] = "in_progress"


def _confidence_as_percent(body: Any, call: Call) -> None:
    for step in body.get("steps", []):
        for row in step["data"]["data"]:
            for cell in row.values():
                cell["confidence_score"] = round(cell["confidence_score"] * 100, 1)


def _steps_while_running(body: Any, call: Call) -> None:
    if body["status"] == "running":
        body["steps"] = []


def _regress_completed(body: Any, call: Call) -> None:
    """Once, on the poll after the first `completed`: a replica that has not caught up."""
    polls: dict[str, int] = call.state.setdefault("completed", {})
    if body["status"] != "completed":
        return
    execution = body["workflow_execution_id"]
    polls[execution] = polls.get(execution, 0) + 1
    if polls[execution] == 2:
        body["status"] = "running"
        body.pop("steps", None)


def _unknown_execution_found(call: Call) -> Reply:
    reply = call.forward()
    found = call.matches("GET", FURTHER_POLL)
    if found and reply.status == 404:
        workflow_id, execution_id = found.groups()
        reply.set_json({"workflow_id": workflow_id, "workflow_execution_id": execution_id,
                        "status": "running", "metadata": {}}, status=200)
    return reply


def _poll_with_new_id(body: Any, call: Call) -> None:
    body["workflow_execution_id"] = "exec-" + body["workflow_execution_id"]


def _forget_external_id(body: Any, call: Call) -> None:
    body.get("metadata", {}).pop("external_id", None)


def _drop_metadata(body: Any, call: Call) -> None:
    body.pop("metadata", None)


def _any_secret_accepted(call: Call) -> Reply:
    sent = call.json
    if call.matches("POST", FURTHER_TOKEN) and isinstance(sent, dict) \
            and isinstance(sent.get("client_secret"), str) and sent["client_secret"] \
            and isinstance(sent.get("client_id"), str) and sent["client_id"] in FURTHER_CLIENTS:
        sent["client_secret"] = FURTHER_CLIENTS[sent["client_id"]]
        call.body = json.dumps(sent).encode()
    return call.forward()


def _tokens_never_expire(call: Call) -> Reply:
    issued: dict[str, str] = call.state.setdefault("issued", {})
    client = issued.get(call.bearer)
    if client is not None:
        fresh = call.inner("POST", FURTHER_TOKEN, {}, {
            "client_id": client, "client_secret": FURTHER_CLIENTS[client]})
        call.headers["Authorization"] = f"Bearer {fresh.json['access_token']}"
    reply = call.forward()
    sent = call.json
    if call.matches("POST", FURTHER_TOKEN) and reply.status == 200 and isinstance(sent, dict):
        issued[reply.json["access_token"]] = sent["client_id"]
    return reply


def _created_with_200(call: Call) -> Reply:
    reply = call.forward()
    if call.matches("POST", FURTHER_CREATE) and reply.status == 202:
        reply.status = 200
    return reply


# -- Phinite -----------------------------------------------------------------------------------

def _crash_on_non_object(call: Call) -> Reply:
    if call.matches("POST", PHINITE_RUN) and not isinstance(call.json, dict):
        return Reply(500, Headers(), b"").set_json(
            {"detail": "Process query failed: Internal server error"})
    return call.forward()


def _drop_user_variables(body: Any, call: Call) -> None:
    if body["status"] == "completed" and isinstance(body.get("response"), dict):
        body["response"].pop("user_variables", None)


def _detail_as_text(body: Any, call: Call) -> Any:
    return {"detail": "; ".join(item.get("msg", "") for item in body.get("detail", []))}


def _auth_ignored(call: Call) -> Reply:
    if call.bearer in PHINITE_KEYS:
        return call.forward()
    for key in PHINITE_KEYS:  # the first the server knows
        call.headers["Authorization"] = f"Bearer {key}"
        reply = call.forward()
        if reply.status != 401:
            break
    return reply


def _never_finishes(body: Any, call: Call) -> None:
    if body["status"] in ("completed", "failed"):
        body["status"], body["response"] = "running", None


# -- FlowFlow.AI -------------------------------------------------------------------------------

def _lowercase_finished(body: Any, call: Call) -> None:
    if run_of(body)["status"] == "FINISHED":
        run_of(body)["status"] = "finished"


def _results_while_pending(body: Any, call: Call) -> None:
    if run_of(body)["status"] == "PENDING":
        run_of(body)["results"] = []


def _run_id_is_workflow_id(body: Any, call: Call) -> None:
    run_of(body)["id"] = body["workflow"]["id"]


def _drop_updated(body: Any, call: Call) -> None:
    run_of(body).pop("updated", None)


def _text_plain(call: Call) -> Reply:
    reply = call.forward()
    if reply.json is not None:
        reply.headers["Content-Type"] = "text/plain; charset=utf-8"
    return reply


# -- Futurity ----------------------------------------------------------------------------------

def _bare_message(body: Any, call: Call) -> Any:
    error = body.get("error")
    return {"message": error["message"]} if isinstance(error, dict) else body


def _delete_keeps(call: Call) -> Reply:
    if not call.matches("DELETE", FUTURITY_DELETABLE):
        return call.forward()
    found = call.inner("GET", call.path, {"Authorization": call.headers.get("Authorization", "")})
    return Reply(204, Headers(), b"") if found.status == 200 else found


def _not_found_as_forbidden(body: Any, call: Call) -> None:
    if isinstance(body.get("error"), dict):
        body["error"]["code"] = "FORBIDDEN"


def _has_more_when_not_empty(body: Any, call: Call) -> None:
    if "pagination" in body:
        body["pagination"]["hasMore"] = bool(body["data"])


def _list_leaks(call: Call) -> Reply:
    reply = call.forward()
    other = FUTURITY_TENANTS.get(call.bearer)
    if not call.matches("GET", FUTURITY_LIST) or reply.status != 200 or other is None:
        return reply
    body = reply.json
    page = body.get("pagination", {"hasMore": False, "limit": None, "total": 0})
    if page["hasMore"]:
        return reply
    foreign = call.inner("GET", call.path, {"Authorization": f"Bearer {other}"}).json["data"]
    room = len(foreign) if page["limit"] is None else page["limit"] - len(body["data"])
    leaked = foreign[:max(0, room)]
    body["data"] += leaked
    page["total"] += len(leaked)
    return reply.set_json(body)


def _reads_across_tenants(call: Call) -> Reply:
    reply = call.forward()
    other = FUTURITY_TENANTS.get(call.bearer)
    if call.matches("GET", FUTURITY_ITEM) and reply.status in (403, 404) and other:
        foreign = call.inner("GET", call.path, {"Authorization": f"Bearer {other}"})
        if foreign.status == 200:
            return foreign
    return reply


def _failed_becomes_completed(body: Any, call: Call) -> None:
    data = body["data"]
    seen = call.state.setdefault("failed", set())
    if data["status"] != "failed":
        return
    if data["execution_id"] in seen:
        data["status"], data["outputs"] = "completed", {}
        data.pop("error", None)
    seen.add(data["execution_id"])


ERRORS = range(400, 600)

CATALOGUE = [
    Breakage("further-status-renamed", "further", "lifecycle",
             "a running execution says `in_progress`, a state the contract does not declare",
             edit_json("*", r"/.*", _rename_running)),
    Breakage("further-confidence-out-of-range", "further", "lifecycle",
             "completed results give confidence_score as a percentage (97.0), not 0.0-1.0",
             edit_json("GET", FURTHER_POLL, _confidence_as_percent)),
    Breakage("further-steps-while-running", "further", "lifecycle",
             "a running execution already carries `steps: []`",
             edit_json("GET", FURTHER_POLL, _steps_while_running)),
    Breakage("further-completed-regresses", "further", "lifecycle",
             "an execution seen `completed` answers `running` on the next poll",
             edit_json("GET", FURTHER_POLL, _regress_completed)),
    Breakage("further-unknown-id-200", "further", "lifecycle",
             "polling an execution id that was never created answers 200 `running`",
             _unknown_execution_found),
    Breakage("further-id-changes", "further", "lifecycle",
             "the poll reports `exec-<id>` for the execution created as `<id>`",
             edit_json("GET", FURTHER_POLL, _poll_with_new_id)),
    Breakage("further-external-id-not-echoed", "further", "lifecycle",
             "the poll's metadata no longer repeats the `external_id` sent with the trigger",
             edit_json("GET", FURTHER_POLL, _forget_external_id)),
    Breakage("further-metadata-dropped", "further", "lifecycle",
             "the poll leaves out `metadata` altogether, and with it the `external_id` sent",
             edit_json("GET", FURTHER_POLL, _drop_metadata)),
    Breakage("further-wrong-secret-accepted", "further", "auth",
             "the token endpoint issues a token for a known client id with any secret",
             _any_secret_accepted),
    Breakage("further-tokens-never-expire", "further", "auth",
             "an issued token keeps working after its documented 60 minutes",
             _tokens_never_expire),
    Breakage("further-create-200", "further", "positive",
             "the trigger answers 200 where the contract documents 202 (and no 200)",
             _created_with_200),
    Breakage("phinite-500-on-malformed-body", "phinite", "negative",
             "a body that is not a JSON object crashes the server (500) instead of a 422",
             _crash_on_non_object),
    Breakage("phinite-user-variables-missing", "phinite", "lifecycle",
             "the completed task's `response` does not repeat the request's `user_variables`",
             edit_json("GET", PHINITE_POLL, _drop_user_variables)),
    Breakage("phinite-422-detail-string", "phinite", "negative",
             "validation errors are `{\"detail\": \"...\"}`, not FastAPI's list of errors",
             edit_json("POST", PHINITE_RUN, _detail_as_text, statuses=range(422, 423))),
    Breakage("phinite-auth-ignored", "phinite", "auth",
             "secured operations answer without credentials or with a bad token",
             _auth_ignored),
    Breakage("phinite-never-terminal", "phinite", "lifecycle",
             "a background task stays `running` forever",
             edit_json("GET", PHINITE_POLL, _never_finishes)),
    Breakage("flowflow-finished-lowercase", "flowflow", "lifecycle",
             "a finished run says `finished` instead of `FINISHED`",
             edit_json("GET", FLOWFLOW_POLL, _lowercase_finished)),
    Breakage("flowflow-results-while-pending", "flowflow", "lifecycle",
             "a PENDING run already carries `results: []`",
             edit_json("GET", FLOWFLOW_POLL, _results_while_pending)),
    Breakage("flowflow-progress-id-mismatch", "flowflow", "lifecycle",
             "the run polled at its progress URL reports the workflow's id as the run's id",
             edit_json("GET", FLOWFLOW_POLL, _run_id_is_workflow_id)),
    Breakage("flowflow-updated-dropped", "flowflow", "lifecycle",
             "the progress response drops the required `workflow.run.updated`",
             edit_json("GET", FLOWFLOW_POLL, _drop_updated)),
    Breakage("flowflow-text-plain", "flowflow", "positive",
             "JSON bodies are served as `text/plain`",
             _text_plain),
    Breakage("futurity-error-envelope", "futurity", "auth",
             "errors are `{\"message\": ...}` instead of `{\"error\": {\"code\", \"message\"}}`",
             edit_json("*", r"/.*", _bare_message, statuses=ERRORS)),
    Breakage("futurity-delete-keeps", "futurity", "resources",
             "DELETE answers 204 but the resource can still be read",
             _delete_keeps),
    Breakage("futurity-404-forbidden-code", "futurity", "resources",
             "404 errors carry the code `FORBIDDEN` instead of `NOT_FOUND`",
             edit_json("*", r"/.*", _not_found_as_forbidden, statuses=range(404, 405))),
    Breakage("futurity-has-more-wrong", "futurity", "resources",
             "`pagination.hasMore` is true whenever the page has items, even the last page",
             edit_json("GET", FUTURITY_LIST, _has_more_when_not_empty)),
    Breakage("futurity-list-leaks-tenant", "futurity", "resources",
             "a list's last page also shows another tenant's items",
             _list_leaks),
    Breakage("futurity-reads-across-tenants", "futurity", "resources",
             "reading another tenant's resource by id answers 200",
             _reads_across_tenants),
    Breakage("futurity-failed-becomes-completed", "futurity", "lifecycle",
             "an execution seen `failed` answers `completed` on the next poll",
             edit_json("GET", FUTURITY_POLL, _failed_becomes_completed)),
    *MANNERS,
    *LISTINGS,
    *LENIENT,
    *HYPERMEDIA,
    *RECORDS,
]
