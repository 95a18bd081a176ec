"""A FlowFlow workflow definition: nodes of the documented types joined by conditional relations.

Definitions are the shipped fixtures and the user's own YAML or JSON files. Everything is checked
when a definition is loaded — node types, required attributes, relation conditions, data sources,
scripted answers — so a mistake is reported at startup, naming the file, not in a run.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from mockserver.vendors.flowflow.catalogue import NodeType, catalogue
from mockserver.vendors.flowflow.decisions import condition_of

__all__ = ["DataItem", "DataSource", "Node", "Relation", "Rule", "Workflow", "load_workflow"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Rule(_Strict):
    """A scripted AI answer: used when the input contains any of `when_contains` (ignoring case;
    always, when empty). The condition follows from the result unless `condition` names one."""

    when_contains: list[str] = Field(default_factory=list)
    result: str | list[Any] | dict[str, Any]
    condition: int | str | None = None

    @field_validator("when_contains", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("result", mode="before")
    @classmethod
    def _as_printed(cls, value: Any) -> Any:
        """YAML's `true` or `42` is the text a node run prints."""
        if isinstance(value, bool):
            return str(value).lower()
        return str(value) if isinstance(value, (int, float)) else value

    def matches(self, text: str) -> bool:
        lowered = text.lower()
        return not self.when_contains or any(w.lower() in lowered for w in self.when_contains)


class Node(_Strict):
    """One node of a workflow, checked against its documented type."""

    id: str = Field(min_length=1)
    name: str = ""
    description: str = ""
    type: str | int
    start: bool = Field(False, description="A start node of the workflow.")
    config: dict[str, Any] = Field(default_factory=dict)
    mock: list[Rule] = Field(default_factory=list, description="Scripted answers (AI nodes).")
    _type: NodeType = PrivateAttr()

    @model_validator(mode="after")
    def _check(self) -> Node:
        self._type = catalogue().type(self.type)
        for attribute in catalogue().defaults(self._type):
            keys = (attribute.name, *attribute.aliases)
            if attribute.required and not any(self.config.get(key) is not None for key in keys):
                raise ValueError(f"node {self.id!r} ({self._type.name}) needs "
                                 f"config.{attribute.name}")
        if self.mock and self._type.kind != "ai":
            raise ValueError(f"node {self.id!r}: scripted answers (mock) are for AI nodes only")
        for rule in self.mock:
            if rule.condition is None:
                condition_of(self._type, rule.result)
            else:
                rule.condition = self._type.condition(rule.condition).id
        return self

    @property
    def node_type(self) -> NodeType:
        return self._type

    @property
    def variable_name(self) -> str:
        """How templates name the node: "Answer node" is `answer_node`."""
        return self.name.lower().replace(" ", "_")

    def setting(self, name: str) -> Any:
        """A configuration attribute: as configured (under its name or an alias), else its
        documented default."""
        for attribute in catalogue().defaults(self._type):
            if attribute.name == name:
                for key in (name, *attribute.aliases):
                    if key in self.config:
                        return self.config[key]
                return attribute.default
        return self.config.get(name)

    def effective_config(self) -> dict[str, Any]:
        """The configuration a node run prints: documented defaults, then the node's own."""
        configured = set(self.config)
        config = {}
        for attribute in catalogue().defaults(self._type):
            if attribute.name in ("name", "description") or attribute.default is None:
                continue
            if configured.isdisjoint((attribute.name, *attribute.aliases)):
                config[attribute.name] = attribute.default
        return {**config, **self.config}

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "type": self._type.public()}


class Relation(_Strict):
    """An edge: the target runs when the source meets the condition."""

    id: str = ""
    source: str
    target: str
    condition: int | str = Field(description="A condition id (1101) or system name of the "
                                             "source node's type.")


class DataItem(_Strict):
    """One text of a data source, which answer nodes cite."""

    id: str = Field(min_length=1)
    name: str
    text: str = Field(description="What the Answer node can answer from.")

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}


class DataSource(_Strict):
    """Texts an answer node may answer from."""

    id: str = Field(min_length=1)
    name: str
    items: list[DataItem] = Field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}


class Workflow(_Strict):
    """A workflow definition: nodes, relations, data sources."""

    id: str = Field(pattern=r"^[A-Za-z0-9._~-]{1,128}$")
    name: str
    variables: dict[str, Any] = Field(default_factory=dict,
                                      description="Workflow variables, {{workflow.<name>}}.")
    data_sources: list[DataSource] = Field(default_factory=list)
    nodes: list[Node] = Field(min_length=1)
    relations: list[Relation] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> Workflow:
        ids = [node.id for node in self.nodes]
        if len(set(ids)) != len(ids):
            raise ValueError("node ids must be unique")
        sources = {source.id for source in self.data_sources}
        for node in self.nodes:
            wanted = node.setting("data_source")
            if wanted is not None and wanted not in sources:
                raise ValueError(f"node {node.id!r}: data_source {wanted!r} is not one of the "
                                 f"workflow's data_sources")
        for relation in self.relations:
            for end in (relation.source, relation.target):
                if end not in ids:
                    raise ValueError(f"relation {relation.source} -> {relation.target}: no node "
                                     f"{end!r}")
            relation.condition = self.node(relation.source).node_type.condition(
                relation.condition).id
            relation.id = relation.id or str(uuid.uuid5(
                uuid.NAMESPACE_URL,
                f"flowflow:{self.id}:{relation.source}:{relation.target}:{relation.condition}"))
        return self

    def node(self, node_id: str) -> Node:
        return next(node for node in self.nodes if node.id == node_id)

    def has_node(self, node_id: str) -> bool:
        return any(node.id == node_id for node in self.nodes)

    def data_source(self, source_id: str) -> DataSource:
        return next(source for source in self.data_sources if source.id == source_id)

    def relations_from(self, node_id: str) -> list[Relation]:
        return [relation for relation in self.relations if relation.source == node_id]

    def start_nodes(self) -> list[Node]:
        """The nodes marked `start`; else those no relation leads to; else the first."""
        marked = [node for node in self.nodes if node.start]
        targets = {relation.target for relation in self.relations}
        return marked or [node for node in self.nodes if node.id not in targets] or \
            self.nodes[:1]


def load_workflow(path: Path) -> Workflow:
    """A definition from a `.yaml`, `.yml` or `.json` file."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return Workflow.model_validate(json.loads(text))
    if path.suffix in (".yaml", ".yml"):
        return Workflow.model_validate(yaml.safe_load(text))
    raise ValueError(f"a workflow definition is a .yaml, .yml or .json file, not {path.name!r}")
