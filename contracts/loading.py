"""Finding and reading the contract files: shipped ones by name, a user's by path."""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from contracts.extensions import Extensions, Lifecycle

__all__ = ["available", "extensions", "lifecycles", "load", "path", "resolve_refs", "shipped"]

_HERE = Path(__file__).parent
"""Where the shipped contracts lie: beside this package's modules."""


def available() -> list[str]:
    """Names of the contracts that ship with this package."""
    return sorted(p.stem for p in _HERE.glob("*.yaml"))


def path(name: str) -> Path:
    """The contract's YAML file on disk; `name` may also be a path to a contract of your own."""
    candidate = _HERE / f"{name}.yaml"
    if candidate.is_file():
        return candidate
    own = Path(name)
    if own.is_file():
        return own.resolve()  # absolute: files are read once per path, wherever the cwd is
    raise LookupError(f"no contract named {name!r}; available: {', '.join(available())}")


def shipped(name: str) -> bool:
    """Whether `name` is one of the contracts that ship with this package (not a user's file)."""
    return path(name).resolve().parent == _HERE.resolve()


def load(name: str, *, resolve: bool = True) -> dict[str, Any]:
    """The contract as a dict; with `resolve`, every local `$ref` is replaced by its target."""
    document = copy.deepcopy(_read(str(path(name))))
    return resolve_refs(document) if resolve else document


def extensions(name: str) -> Extensions:
    """The contract's `x-` extensions as typed objects."""
    return Extensions.from_document(_read(str(path(name))))


def lifecycles(name: str) -> dict[str, Lifecycle]:
    """The long-running resources the contract describes, keyed by resource name."""
    return extensions(name).lifecycles



@lru_cache(maxsize=32)
def _read(file: str) -> dict[str, Any]:
    with open(file, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def resolve_refs(document: dict[str, Any]) -> dict[str, Any]:
    """Inline local `$ref`s (`#/...`); the contracts use no remote or recursive references."""

    def target(ref: str) -> Any:
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are supported, got {ref!r}")
        node: Any = document
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def walk(node: Any, trail: tuple[str, ...]) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                if ref in trail:
                    raise ValueError(f"recursive reference {ref!r}")
                siblings = {k: walk(v, trail) for k, v in node.items() if k != "$ref"}
                return {**walk(copy.deepcopy(target(ref)), (*trail, ref)), **siblings}
            return {key: walk(value, trail) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item, trail) for item in node]
        return node

    return walk(document, ())
