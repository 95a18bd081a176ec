"""Which documented condition an AI node's result meets, from the result alone.

Shared by the graph loader (a scripted answer must meet a real condition) and the node runner.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mockserver.vendors.flowflow.catalogue import Condition, NodeType

__all__ = ["UNKNOWN", "condition_of", "decide"]

UNKNOWN = "Unknown"
"""What an answer node says when it cannot answer."""


def condition_of(node_type: NodeType, result: Any) -> Condition:
    """The condition a scripted AI result meets; raises ValueError for an impossible result."""
    rule = _DECISIONS.get(node_type.name)
    if rule is None:
        raise ValueError(f"{node_type.name!r} nodes take no scripted answers")
    return node_type.condition(rule(result))


def decide(node_type: str, result: Any) -> str:
    """The system name of the condition `result` meets for an AI node type."""
    return _DECISIONS[node_type](result)


def _count(result: Any, none: str, one: str, several: str) -> str:
    if not isinstance(result, list):
        raise ValueError(f"the result must be a list, not {result!r}")
    return none if not result else one if len(result) == 1 else several


_DECISIONS: dict[str, Callable[[Any], str]] = {
    "AI - Answer question": lambda result: "answer_unknown"
    if str(result).strip().lower() in ("", UNKNOWN.lower()) else "answer_known",
    "AI - Assistent": lambda result: "command_completed" if result else "command_not_completed",
    "AI - Boolean": lambda result: f"boolean_{str(result).lower()}",
    "AI - Classification": lambda result: _count(result, "labeled_zero_items",
                                                 "labeled_one_item", "labeled_multiple_items"),
    "AI - Generate": lambda result: _count(result, "no_items_generated", "items_generated",
                                           "items_generated"),
    "AI - Vision": lambda result: "image_processed_ok",
}
