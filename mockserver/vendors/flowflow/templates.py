"""Jinja2 rendering of Text - Output templates, with the variables FlowFlow documents.

`{{result}}`, `{{workflow.<name>}}`, `{{workflow.run.<name>}}`, `{{node.<node_name>.<variable>}}`,
`{{node.<node_name>.run.<variable>}}` and `{{node.<node_name>.runs.<i>.<variable>}}`; a variable
that is empty or does not exist becomes the documented error text naming it as written. Templates
come from workflow definitions, so they render in Jinja2's sandbox (Jinja2 ships with Flask).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from mockserver.vendors.flowflow.catalogue import catalogue
from mockserver.vendors.flowflow.graph import Node, Workflow

__all__ = ["Missing", "Runs", "Scope", "render", "variables"]


class Scope:
    """A namespace of variables that knows its dotted path, so a missing member can be named in
    full; empty values count as missing, as the documents say."""

    __slots__ = ("_path", "_values")

    def __init__(self, path: str, values: dict[str, Any]) -> None:
        self._path = path
        self._values = {key: value for key, value in values.items()
                        if value is not None and value != ""}

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> Any:
        return self._values[name]


class Runs(list[Any]):
    """A node's runs, indexable as `runs.<i>`, with its path for the missing-variable text."""

    def __init__(self, path: str, runs: Iterable[Scope]) -> None:
        super().__init__(runs)
        self._path = path


class Missing(jinja2.Undefined):
    """Renders as FlowFlow's missing-variable text; members of a missing variable are missing
    too, so `{{node.unknown.run.result}}` names the whole variable instead of failing."""

    __slots__ = ()

    def _name(self) -> str:
        owner = getattr(self._undefined_obj, "_path", None)
        return f"{owner}.{self._undefined_name}" if owner else str(self._undefined_name)

    def __str__(self) -> str:
        return catalogue().missing_text.replace("<variable name>", self._name())

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return Missing(name=f"{self._name()}.{name}")

    def __getitem__(self, key: Any) -> Missing:  # type: ignore[override]
        return Missing(name=f"{self._name()}.{key}")


@lru_cache(maxsize=1)
def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(undefined=Missing, autoescape=False, keep_trailing_newline=True)


def render(template: str, values: dict[str, Any]) -> str:
    """Raises `jinja2.TemplateError` (or what a filter raises) when the template is broken."""
    present = {key: value for key, value in values.items() if value is not None and value != ""}
    return _environment().from_string(template).render(present)


def variables(result: Any, workflow: Workflow, run_variables: dict[str, Any],
              history: list[tuple[Node, dict[str, Any]]]) -> dict[str, Any]:
    """The template variables of a node run: `history` is the node runs before it, in order,
    each as its node and its run variables."""
    nodes = {}
    for node in reversed(workflow.nodes):  # the first node of a name wins
        name = node.variable_name
        path = f"node.{name}"
        done = [run for ran, run in history if ran.id == node.id]
        node_type = node.node_type
        nodes[name] = Scope(path, {
            "name": node.name, "description": node.description,
            "type": Scope(f"{path}.type", {"id": node_type.type_id,
                                           "display_name": node_type.name,
                                           "default_credits": node_type.credits}),
            "auto_continue": node.setting("auto_continue"),
            "display_result": node.setting("display_result"),
            "pass_input_as_result": node.setting("pass_input_as_result"),
            "run": Scope(f"{path}.run", done[0]) if done else None,
            "runs": Runs(f"{path}.runs", (Scope(f"{path}.runs.{index}", run)
                                          for index, run in enumerate(done))) if done else None,
        })
    workflow_scope = Scope("workflow", {**workflow.variables,
                                        "run": Scope("workflow.run", run_variables)})
    return {"result": result, "workflow": workflow_scope, "node": Scope("node", nodes)}
