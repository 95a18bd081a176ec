"""A contract to compare, read from a shipped name, a path, or its version at a git ref; every
way it can fail is one `RevisionError` saying what was wrong, for a command's usage error."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from contracts.loading import load, path, resolve_refs

__all__ = ["RevisionError", "at_ref", "read"]

_GIT_TIMEOUT = 30.0
"""Seconds a `git show` may take; a local object read takes milliseconds."""


class RevisionError(ValueError):
    """A contract version that cannot be read: the name, path or ref, and why."""


def read(name: str, *, resolve: bool = True) -> dict[str, Any]:
    """The contract `name` (shipped name or path), parsed; with `resolve`, local `$ref`s
    replaced by their targets."""
    try:
        path(name)
    except LookupError as error:
        raise RevisionError(str(error).strip("'\"")) from None
    try:
        document = load(name, resolve=resolve)
    except (OSError, UnicodeDecodeError) as error:
        raise RevisionError(f"{name}: not readable: {error}") from None
    except yaml.YAMLError as error:
        raise RevisionError(f"{name}: not valid YAML: {error}") from None
    except (ValueError, KeyError, TypeError) as error:
        raise RevisionError(f"{name}: a $ref cannot be resolved: {_reason(error)}") from None
    return _checked(document, name)


def at_ref(name: str, ref: str) -> dict[str, Any]:
    """The contract `name` as it was at the git ref `ref` of the repository it lies in
    (`git show REF:contracts/NAME.yaml` for a shipped one)."""
    if not ref or ref.startswith("-"):
        raise RevisionError(f"{ref!r} is not a git ref")
    try:
        file = path(name)
    except LookupError as error:
        raise RevisionError(str(error).strip("'\"")) from None
    try:
        label = f"{ref}:{_in_repository(file)}"
        shown = subprocess.run(["git", "-C", str(file.parent), "show", f"{ref}:./{file.name}"],
                               capture_output=True, text=True, timeout=_GIT_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise RevisionError(f"git could not be run: {error}") from None
    if shown.returncode != 0:
        reason = shown.stderr.strip().splitlines()
        raise RevisionError(f"{label}: {reason[-1] if reason else 'git show failed'}")
    try:
        document = yaml.safe_load(shown.stdout)
    except yaml.YAMLError as error:
        raise RevisionError(f"{label}: not valid YAML: {error}") from None
    document = _checked(document, label)
    try:
        return resolve_refs(document)
    except (ValueError, KeyError, TypeError) as error:
        raise RevisionError(f"{label}: a $ref cannot be resolved: {_reason(error)}") from None


def _in_repository(file: Path) -> str:
    """The file's path inside its git repository, for messages; the file name outside one."""
    top = subprocess.run(["git", "-C", str(file.parent), "rev-parse", "--show-toplevel"],
                         capture_output=True, text=True, timeout=_GIT_TIMEOUT, check=False)
    if top.returncode != 0:
        return file.name
    try:
        return str(file.resolve().relative_to(Path(top.stdout.strip()).resolve()))
    except ValueError:
        return file.name


def _checked(document: Any, label: str) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise RevisionError(f"{label}: not an OpenAPI document (a mapping at the top level)")
    if not isinstance(document.get("paths", {}), dict):
        raise RevisionError(f"{label}: `paths` is not a mapping")
    return document


def _reason(error: Exception) -> str:
    """Why a `$ref` failed: a missing key names the part of the pointer not found."""
    return f"nothing at {error.args[0]!r}" if isinstance(error, KeyError) else str(error)
