"""Phinite: a flow's logs grow while it runs, and its final response carries `user_variables`.

Each environment (DEV, UAT, PROD) runs its own deployment of a trigger, so the same message gives
a different, environment-stamped answer in each.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from typing import Any

from contracts.extensions import Lifecycle
from mockserver.engine.behaviour import Behaviour
from mockserver.engine.call import Call
from mockserver.engine.lifecycle import Run, progress
from mockserver.engine.results import ResultSlot

__all__ = ["BEHAVIOUR", "RESULTS"]

_STEPS = [
    "Flow triggered by trigger {trigger} in {environment}",
    "Loaded user variables: {variables}",
    "Agent planning the task",
    "Agent calling tools",
    "Agent composing the response",
]


RESULTS = {
    "response": ResultSlot("getBackgroundTaskStatus", "/response",
                           "a completed flow's response: {output, user_variables}"),
    "logs": ResultSlot("getBackgroundTaskStatus", "/logs",
                       "the flow's log entries, shown a few more at each poll"),
}
"""What a test or `vendor_settings` may set flows to return: a value, or a function of the
trigger's request body returning one."""


def start(call: Call, run: Run, rng: random.Random) -> dict[str, Any]:
    """The environment and trigger a flow runs in, how long each step takes, and the test's
    own response and logs, if it set any."""
    path = call.inputs.path
    data: dict[str, Any] = {"environment": path.get("environment"),
                            "trigger": path.get("trigger_id"),
                            "step_seconds": [round(rng.uniform(0.1, 0.9), 3) for _ in _STEPS]}
    own = call.vendor.results.values() if call.vendor.results else {}
    for name, value in own.items():
        data[f"own_{name}"] = value(call.inputs.body or {}) if callable(value) else value
    return data


def view(call: Call, lifecycle: Lifecycle, run: Run, body: Any) -> Any:
    """The logs so far; the response (or error) once the flow ends."""
    if call.operation.id == lifecycle.create:
        return body
    terminal = run.state in lifecycle.terminal
    if "own_logs" in run.data:
        logs = run.data["own_logs"]
        body["logs"] = logs if terminal else logs[:max(1, int(progress(run, call.now)
                                                               * len(logs)))]
    else:
        body["logs"] = _logs(run, lifecycle, terminal, call.now)
    if run.state == lifecycle.success:
        body["response"] = run.data["own_response"] if "own_response" in run.data else {
            "output": _answer(run), "user_variables": _variables(run)}
    elif run.state == lifecycle.failure:
        body["response"] = run.reason or "Flow failed"
    else:
        body["response"] = None
    return body


def _logs(run: Run, lifecycle: Lifecycle, terminal: bool, now: float) -> list[dict[str, Any]]:
    """The generated log: one entry per step reached, then how the flow ended."""
    shown = len(_STEPS) if terminal else max(1, int(progress(run, now) * len(_STEPS)))
    if run.state == lifecycle.failure:
        shown = max(1, shown - 1)
    logs = [_log(run, index) for index in range(shown)]
    if run.state == lifecycle.success:
        logs.append(_entry(run, len(_STEPS), "INFO", "Flow completed"))
    elif run.state == lifecycle.failure:
        logs.append(_entry(run, shown, "ERROR", run.reason or "Flow failed"))
    return logs


def _variables(run: Run) -> dict[str, Any]:
    return (run.request.get("body") or {}).get("user_variables") or {}


def _answer(run: Run) -> str:
    message = (run.request.get("body") or {}).get("message", "")
    return (f"[{run.data.get('environment')}] Completed '{message}' with trigger "
            f"{run.data.get('trigger')} and {len(_variables(run))} user variable(s).")


def _log(run: Run, index: int) -> dict[str, Any]:
    text = _STEPS[index].format(trigger=run.data.get("trigger"),
                                environment=run.data.get("environment"),
                                variables=", ".join(sorted(_variables(run))) or "none")
    return _entry(run, index, "INFO", text)


def _entry(run: Run, index: int, level: str, message: str) -> dict[str, Any]:
    offset = sum(run.data.get("step_seconds", [])[:index])
    moment = datetime.fromtimestamp(run.created_at + offset, tz=timezone.utc)
    return {"timestamp": moment.isoformat().replace("+00:00", "Z"), "level": level,
            "message": message}


BEHAVIOUR = Behaviour(start=start, view=view, results=RESULTS)
