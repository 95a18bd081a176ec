"""Breakages of what a record keeps from one read to the next, each schema-valid read by read:
a list documented to grow that loses or rewrites an element (`x-accumulating`), a containment
between two lists that does not hold (`x-subsets`), an update whose effect on the rest of the
record is not what it sent."""

from __future__ import annotations

from typing import Any

from tests.broken.breakages import Breakage, Call, Reply, edit_json

FURTHER_POLL = r"/api/v1/workflow-builder/workflows/[^/]+/executions/[^/]+"
PHINITE_POLL = r"/api/v1/ai/trigger/status/[^/]+/[^/]+"
FLOWFLOW_POLL = r"/api/v1/workflow/progress/[^/]+"
FUTURITY_CHAT = r"/chats/([^/]+)"
FUTURITY_WORKFLOW = r"/workflows/([^/]+)"


def _polls(call: Call, run_id: str) -> int:
    """How often this run has been answered before (a second poll on is a later read)."""
    seen: dict[str, int] = call.state.setdefault("polls", {})
    seen[run_id] = seen.get(run_id, 0) + 1
    return seen[run_id] - 1


def _log_loses_its_first_entry(body: Any, call: Call) -> None:
    if _polls(call, body["workflow_id"]) and len(body["logs"]) > 1:
        body["logs"].pop(0)


def _log_rewritten(body: Any, call: Call) -> None:
    if _polls(call, body["workflow_id"]) and body["logs"] and isinstance(body["logs"][0], dict):
        body["logs"][0]["message"] = f"{body['logs'][0].get('message', '')} (retried)"


def _node_comes_and_goes(body: Any, call: Call) -> None:
    """Every other answer of a run leaves out the node the one before showed first."""
    nodes, run_id = body["workflow"].get("nodes", []), body["workflow"]["run"]["id"]
    shown: dict[str, Any] = call.state.setdefault("first", {})
    if nodes and shown.get(run_id) == nodes[0]["id"]:
        nodes.pop(0)
        shown[run_id] = None
    else:
        shown[run_id] = nodes[0]["id"] if nodes else None


def _node_run_restamped(body: Any, call: Call) -> None:
    if not _polls(call, body["workflow"]["run"]["id"]):
        return
    for node in body["workflow"].get("nodes", []):
        for node_run in node["runs"]:
            node_run["created"] = "2001-01-01T00:00:00.000Z"


def _route_not_defined(body: Any, call: Call) -> None:
    """A node run claims a route taken for a condition no relation of the node defines."""
    for node in body["workflow"].get("nodes", []):
        for node_run in node["runs"]:
            invented = {"display_name": "Answer is invented", "id": "undefined-condition",
                        "system_name": "answer_invented"}
            node_run["conditions"]["met"].append(invented)
            node_run["conditions"]["met_and_defined"].append(invented)


def _steps_rewritten(body: Any, call: Call) -> None:
    if body.get("status") == "completed" and _polls(call, body["workflow_execution_id"]):
        for step in body.get("steps", []):
            step["step_name"] = f"{step['step_name']} (again)"


def _messages_forget_the_oldest(call: Call) -> Reply:
    reply = call.forward()
    body = reply.json
    if call.matches("GET", FUTURITY_CHAT) and reply.status == 200 and isinstance(body, dict):
        messages = body["data"].get("messages", [])
        if len(messages) > 2:
            messages.pop(0)
            reply.set_json(body)
    return reply


def _update_touches_others(call: Call) -> Reply:
    """An update also changes a field it did not send, as later reads show."""
    found = call.matches("PUT", FUTURITY_WORKFLOW)
    reply = call.forward()
    updated: dict[str, list[str]] = call.state.setdefault("updated", {})
    if found and reply.status == 200 and isinstance(call.json, dict):
        updated[found.group(1)] = list(call.json)
    read = call.matches("GET", FUTURITY_WORKFLOW)
    body = reply.json
    if read and read.group(1) in updated and reply.status == 200 and isinstance(body, dict):
        record = body["data"]
        if "status" not in updated[read.group(1)]:
            record["status"] = "archived" if record.get("status") != "archived" else "draft"
        else:
            record["name"] = f"{record.get('name', '')} (renamed)"
        reply.set_json(body)
    return reply


NEW_WORKFLOW = {"status": "draft", "trigger": {"type": "manual"}, "trigger_type": "manual",
                "nodes": []}


def _update_replaces(call: Call) -> Reply:
    """An update is taken as the whole record: later reads show what it sent, and for the rest
    what a new workflow has."""
    found = call.matches("PUT", FUTURITY_WORKFLOW)
    reply = call.forward()
    updated: dict[str, list[str]] = call.state.setdefault("updated", {})
    if found and reply.status == 200 and isinstance(call.json, dict):
        updated[found.group(1)] = list(call.json)
    read = call.matches("GET", FUTURITY_WORKFLOW)
    body = reply.json
    if read and read.group(1) in updated and reply.status == 200 and isinstance(body, dict):
        sent = updated[read.group(1)]
        record = body["data"]
        if "description" not in sent:
            record.pop("description", None)
        record.update({key: value for key, value in NEW_WORKFLOW.items() if key not in sent})
        reply.set_json(body)
    return reply


RECORDS = [
    Breakage("phinite-log-shrinks", "phinite", "lifecycle",
             "from a task's second poll on, its log leaves out its first entry",
             edit_json("GET", PHINITE_POLL, _log_loses_its_first_entry)),
    Breakage("phinite-log-rewritten", "phinite", "lifecycle",
             "from a task's second poll on, the first log entry's message is rewritten",
             edit_json("GET", PHINITE_POLL, _log_rewritten)),
    Breakage("flowflow-node-comes-and-goes", "flowflow", "lifecycle",
             "every other progress answer leaves out the node shown first the time before",
             edit_json("GET", FLOWFLOW_POLL, _node_comes_and_goes)),
    Breakage("flowflow-node-run-restamped", "flowflow", "lifecycle",
             "from a run's second poll on, every node run's `created` is rewritten",
             edit_json("GET", FLOWFLOW_POLL, _node_run_restamped)),
    Breakage("flowflow-route-not-defined", "flowflow", "lifecycle",
             "`met_and_defined` names a condition that is met but that no relation defines",
             edit_json("GET", FLOWFLOW_POLL, _route_not_defined)),
    Breakage("further-steps-rewritten", "further", "lifecycle",
             "a completed execution polled again renames its steps",
             edit_json("GET", FURTHER_POLL, _steps_rewritten)),
    Breakage("futurity-messages-shrink", "futurity", "resources",
             "a chat with more than two messages is read without its oldest one",
             _messages_forget_the_oldest),
    Breakage("futurity-update-touches-others", "futurity", "resources",
             "after an update, a workflow's reads show a field it did not send changed",
             _update_touches_others),
    Breakage("futurity-update-replaces", "futurity", "resources",
             "an update is taken as the whole record: reads keep only the fields it sent",
             _update_replaces),
]
