"""Phinite: a flow's logs grow while it runs, and its final response carries `user_variables`.

Each environment (DEV, UAT, PROD) runs its own deployment of a trigger, so the same message gives
a different, environment-stamped answer in each.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from typing import Any

from contracts.extensions import Lifecycle
from mockserver.config import Credentials
from mockserver.engine.behaviour import Behaviour
from mockserver.engine.call import Call
from mockserver.engine.lifecycle import Run, progress

__all__ = ["BEHAVIOUR", "DEMO"]

DEMO = Credentials(keys=["workspace_api_key", "other_workspace_api_key"])

_STEPS = [
    "Flow triggered by trigger {trigger} in {environment}",
    "Loaded user variables: {variables}",
    "Agent planning the task",
    "Agent calling tools",
    "Agent composing the response",
]


def start(call: Call, run: Run, rng: random.Random) -> dict[str, Any]:
    """The environment and trigger a flow runs in, and how long each step takes."""
    path = call.inputs.path
    return {"environment": path.get("environment"), "trigger": path.get("trigger_id"),
            "step_seconds": [round(rng.uniform(0.1, 0.9), 3) for _ in _STEPS]}


def view(call: Call, lifecycle: Lifecycle, run: Run, body: Any) -> Any:
    """The logs so far; the response (or error) once the flow ends."""
    if call.operation.id == lifecycle.create:
        return body
    terminal = run.state in lifecycle.terminal
    shown = len(_STEPS) if terminal else max(1, int(progress(run, call.now) * len(_STEPS)))
    if run.state == lifecycle.failure:
        shown = max(1, shown - 1)
    body["logs"] = [_log(run, index) for index in range(shown)]
    if run.state == lifecycle.success:
        body["logs"].append(_entry(run, len(_STEPS), "INFO", "Flow completed"))
        body["response"] = {"output": _answer(run), "user_variables": _variables(run)}
    elif run.state == lifecycle.failure:
        reason = run.reason or "Flow failed"
        body["logs"].append(_entry(run, shown, "ERROR", reason))
        body["response"] = reason
    else:
        body["response"] = None
    return body


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


BEHAVIOUR = Behaviour(demo=DEMO, start=start, view=view)
