"""FlowFlow.AI: workflow graphs of the documented node types, executed node by node.

A start runs the chosen workflow's graph (`library`, `graph`) breadth-first (`execute`): helper
nodes do their real work, AI nodes are simulated deterministically (`nodes`), Text - Output
renders Jinja2 templates (`templates`). The progress endpoint then shows the node runs appearing
as the run goes from PENDING to FINISHED (`view`).
"""

from __future__ import annotations

import random
from typing import Any

from contracts.extensions import Lifecycle
from mockserver.engine.behaviour import Behaviour
from mockserver.engine.call import ApiError, Call
from mockserver.engine.lifecycle import Run
from mockserver.vendors.flowflow.execute import Execution, execute
from mockserver.vendors.flowflow.library import Library, configure
from mockserver.vendors.flowflow.view import progress_body, started_body

__all__ = ["BEHAVIOUR"]


def start(call: Call, run: Run, rng: random.Random) -> dict[str, Any]:
    """Execute the chosen workflow's graph now; the run reveals it over time."""
    library: Library = call.vendor.settings
    workflow = library.get(call.inputs.path["workflow_id"])
    node_start_id = call.inputs.body.get("node_start_id")
    if node_start_id is not None and not workflow.has_node(node_start_id):
        raise ApiError(400, f"node_start_id {node_start_id!r} is not a node of workflow "
                            f"{workflow.id!r}")
    return execute(workflow, call.inputs.body, run.id, rng).model_dump()


def view(call: Call, lifecycle: Lifecycle, run: Run, body: Any) -> Any:
    """The start or progress body of a run, from its stored execution."""
    execution = Execution.model_validate(run.data)
    if call.operation.id == lifecycle.create:
        return started_body(call, run, execution, body)
    return progress_body(call, lifecycle, run, execution, body)


BEHAVIOUR = Behaviour(configure=configure, start=start, view=view)
