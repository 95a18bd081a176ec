"""Breakages of what a record keeps from one read to the next, each schema-valid read by read:
a list documented to grow that loses or rewrites an element (`x-accumulating`), a containment
between two lists that does not hold (`x-subsets`), an update whose effect on the rest of the
record is not what it sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.broken.breakages import Breakage, Call, Handler, Reply, edit_json

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
    """Every other answer leaves the first entry out, so of any two polls that show a longer log
    the later one lost or regained it, however late in the run the log appears."""
    if _polls(call, body["workflow_id"]) % 2 and len(body["logs"]) > 1:
        body["logs"].pop(0)


def _log_rewritten(body: Any, call: Call) -> None:
    """Each answer names its own retry, so any two polls that show a log disagree on its first
    entry, however late in the run the log appears."""
    retry = _polls(call, body["workflow_id"])
    if retry and body["logs"] and isinstance(body["logs"][0], dict):
        body["logs"][0]["message"] = f"{body['logs'][0].get('message', '')} (retry {retry})"


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
    """Each answer stamps its node runs anew, so any two polls that show one disagree."""
    retry = _polls(call, body["workflow"]["run"]["id"])
    if not retry:
        return
    for node in body["workflow"].get("nodes", []):
        for node_run in node["runs"]:
            node_run["created"] = f"2001-01-01T00:00:{retry % 60:02d}.000Z"


def _route_not_defined(body: Any, call: Call) -> None:
    """A node run claims a route taken for a condition no relation of the node defines."""
    for node in body["workflow"].get("nodes", []):
        for node_run in node["runs"]:
            invented = {"display_name": "Answer is invented", "id": "undefined-condition",
                        "system_name": "answer_invented"}
            node_run["conditions"]["met"].append(invented)
            node_run["conditions"]["met_and_defined"].append(invented)


def _steps_rewritten(body: Any, call: Call) -> None:
    """Each answer of a completed execution names its steps anew (the poll's count), so the
    terminal state's repeated read shows the rename whenever the execution completed."""
    retry = _polls(call, body["workflow_execution_id"])
    if body.get("status") == "completed" and retry:
        for step in body.get("steps", []):
            step["step_name"] = f"{step['step_name']} (again, {retry})"


def _messages_forget_the_oldest(call: Call) -> Reply:
    reply = call.forward()
    body = reply.json
    if call.matches("GET", FUTURITY_CHAT) and reply.status == 200 and isinstance(body, dict):
        messages = body["data"].get("messages", [])
        if len(messages) > 2:
            messages.pop(0)
            reply.set_json(body)
    return reply


def _reads_after_update(edit: Callable[[dict[str, Any], list[str]], None]) -> Handler:
    """A handler that remembers the fields each workflow update sent, and lets `edit` change
    every later read of that workflow (the record, those fields' names)."""
    def handle(call: Call) -> Reply:
        found = call.matches("PUT", FUTURITY_WORKFLOW)
        reply = call.forward()
        updated: dict[str, list[str]] = call.state.setdefault("updated", {})
        if found and reply.status == 200 and isinstance(call.json, dict):
            updated[found.group(1)] = list(call.json)
        read = call.matches("GET", FUTURITY_WORKFLOW)
        body = reply.json
        if read and read.group(1) in updated and reply.status == 200 and isinstance(body, dict):
            edit(body["data"], updated[read.group(1)])
            reply.set_json(body)
        return reply
    return handle


def _touch_another_field(record: dict[str, Any], sent: list[str]) -> None:
    """An update also changes a field it did not send."""
    if "status" not in sent:
        record["status"] = "archived" if record.get("status") != "archived" else "draft"
    else:
        record["name"] = f"{record.get('name', '')} (renamed)"


NEW_WORKFLOW = {"status": "draft", "trigger": {"type": "manual"}, "trigger_type": "manual",
                "nodes": []}


def _replace_the_rest(record: dict[str, Any], sent: list[str]) -> None:
    """An update is taken as the whole record: what it did not send reads as a new workflow's."""
    if "description" not in sent:
        record.pop("description", None)
    record.update({key: value for key, value in NEW_WORKFLOW.items() if key not in sent})


RECORDS = [
    Breakage("phinite-log-shrinks", "phinite", "lifecycle",
             "every other poll of a task, its log leaves out its first entry",
             edit_json("GET", PHINITE_POLL, _log_loses_its_first_entry)),
    Breakage("phinite-log-rewritten", "phinite", "lifecycle",
             "from a task's second poll on, each poll rewrites the first log entry's message",
             edit_json("GET", PHINITE_POLL, _log_rewritten)),
    Breakage("flowflow-node-comes-and-goes", "flowflow", "lifecycle",
             "every other progress answer leaves out the node shown first the time before",
             edit_json("GET", FLOWFLOW_POLL, _node_comes_and_goes)),
    Breakage("flowflow-node-run-restamped", "flowflow", "lifecycle",
             "from a run's second poll on, each poll rewrites every node run's `created`",
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
             _reads_after_update(_touch_another_field)),
    Breakage("futurity-update-replaces", "futurity", "resources",
             "an update is taken as the whole record: reads keep only the fields it sent",
             _reads_after_update(_replace_the_rest)),
]
