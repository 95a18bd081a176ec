"""FlowFlow's node types and template rules, read from the contract's vendor extensions.

Names, type ids, condition ids and system names live once, in `x-node-types` and
`x-template-variables` of `contracts/flowflow.yaml`; the mock reads them here instead of
repeating them in code.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel, Field

import contracts

__all__ = ["Attribute", "Catalogue", "Condition", "NodeType", "catalogue"]


class Condition(BaseModel):
    """A documented condition a node's result can meet."""

    id: int
    display_name: str
    system_name: str

    def public(self) -> dict[str, Any]:
        return {"display_name": self.display_name, "id": self.id, "system_name": self.system_name}


class Attribute(BaseModel):
    """A documented node setting, its aliases and default."""

    name: str
    type: str | list[str]
    required: bool = False
    default: Any = None
    aliases: list[str] = Field(default_factory=list)

    @property
    def has_default(self) -> bool:
        """Whether the documents state a default (`default: null` is one; no key is none)."""
        return "default" in self.model_fields_set


class NodeType(BaseModel):
    """A documented node type: its kind, settings and conditions."""

    name: str
    aliases: list[str] = Field(default_factory=list)
    kind: str
    type_id: int
    credits: int
    attributes: list[Attribute] = Field(default_factory=list)
    conditions: list[Condition]

    def condition(self, key: int | str) -> Condition:
        """A condition of this type by its documented id (1101) or system name (boolean_true)."""
        for condition in self.conditions:
            if key in (condition.id, condition.system_name, str(condition.id)):
                return condition
        known = ", ".join(f"{c.id} {c.system_name}" for c in self.conditions)
        raise ValueError(f"{self.name!r} has no condition {key!r}; its conditions: {known}")

    def public(self, *, id_as_string: bool = False) -> dict[str, Any]:
        """The type as a progress body prints it: the id is a string inside `node_targets`."""
        return {"display_name": self.name,
                "id": str(self.type_id) if id_as_string else self.type_id}


class Catalogue(BaseModel):
    """The node types the contract's `x-node-types` documents."""

    attributes: list[Attribute]
    types: list[NodeType]
    missing_text: str

    def type(self, name: str | int) -> NodeType:
        """A node type by display name, alias or type id."""
        for node_type in self.types:
            if name in (node_type.name, node_type.type_id, *node_type.aliases):
                return node_type
        known = ", ".join(t.name for t in self.types)
        raise ValueError(f"unknown node type {name!r}; the documented types: {known}")

    def defaults(self, node_type: NodeType) -> list[Attribute]:
        """A type's attributes: the general ones, overridden by the type's own."""
        own = {attribute.name: attribute for attribute in node_type.attributes}
        general = [own.pop(a.name, a) for a in self.attributes]
        return [*general, *own.values()]


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    document = contracts.load("flowflow", resolve=False)
    node_types = document["x-node-types"]
    return Catalogue(attributes=node_types["attributes"], types=node_types["types"],
                     missing_text=document["x-template-variables"]["missing"]["text"])
