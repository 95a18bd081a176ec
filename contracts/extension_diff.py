"""The project's `x-` extensions compared between two versions of a contract: lifecycles (states,
transitions, terminal states, the webhooks their runs send), token lifetimes, error formats and
stored resources. Schema-level extensions (`x-accumulating`, `x-subsets`) are compared with the
schemas that carry them (`contracts.schema_diff`).

The extensions are read as the raw mappings EXTENSIONS.md describes, not through the models, so
that a half-written contract can still be compared: what is missing reads as empty.
"""

from __future__ import annotations

from typing import Any

from contracts.changes import Change, change, presence
from contracts.openapi import DEFAULT_TOKEN_LIFETIME, METHODS

__all__ = ["compare_extensions"]

_TRACE = ("x-source", "x-assumption", "description")
_ROLES = ("create", "poll", "link", "cancel")
_TERMINAL_ROLES = ("success", "failure", "cancelled")


def compare_extensions(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every difference in the extensions the mock and the suite read."""
    found = _lifecycles(_mapping(old.get("x-lifecycles")), _mapping(new.get("x-lifecycles")))
    found += _token_lifetimes(old, new)
    found += _error_formats(old, new)
    found += _resources(_mapping(_mapping(old.get("x-resources")).get("items")),
                        _mapping(_mapping(new.get("x-resources")).get("items")))
    return found


def _lifecycles(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    found = presence(before, after, lambda name, how: change(
        f"lifecycle-{how}", f"x-lifecycles.{name}", f"lifecycle {how}"))
    for name, body in before.items():
        if name in after:
            found += _lifecycle(_mapping(body), _mapping(after[name]), f"x-lifecycles.{name}")
    return found


def _lifecycle(old: dict[str, Any], new: dict[str, Any], place: str) -> list[Change]:
    found = []
    for role in _ROLES:
        if old.get(role) != new.get(role):
            found.append(change("lifecycle-operation-changed", f"{place}.{role}",
                                f"{role} {old.get(role)!r} became {new.get(role)!r}"))
    old_states, new_states = _strings(old.get("states")), _strings(new.get("states"))
    old_terminal, new_terminal = _strings(old.get("terminal")), _strings(new.get("terminal"))
    gone = [s for s in old_states if s not in new_states]
    arrived = [s for s in new_states if s not in old_states]
    renamed = _renamed_terminals(old, new, gone, arrived)
    for before, after in renamed.items():
        found.append(change("lifecycle-terminal-state-renamed", f"{place}.terminal",
                            f"terminal state {before!r} renamed to {after!r}"))
    for state in gone:
        if state in renamed:
            continue
        if state in old_terminal:
            found.append(change("lifecycle-terminal-state-removed", f"{place}.states",
                                f"terminal state {state!r} removed"))
        else:
            found.append(change("lifecycle-state-removed", f"{place}.states",
                                f"state {state!r} removed"))
    for state in arrived:
        if state not in renamed.values():
            found.append(change("lifecycle-state-added", f"{place}.states",
                                f"state {state!r} added"))
    for state in old_states:
        if state not in new_states:
            continue
        if state in old_terminal and state not in new_terminal:
            found.append(change("lifecycle-state-no-longer-terminal", f"{place}.terminal",
                                f"state {state!r} is no longer terminal"))
        elif state in new_terminal and state not in old_terminal:
            found.append(change("lifecycle-state-became-terminal", f"{place}.terminal",
                                f"state {state!r} became terminal"))
    if old.get("initial") != new.get("initial") and str(old.get("initial")) not in renamed:
        found.append(change("lifecycle-initial-state-changed", f"{place}.initial",
                            f"runs start {new.get('initial')!r}, not {old.get('initial')!r}"))
    found += _transitions(old, new, [s for s in old_states if s in new_states], place)
    found += _lifecycle_webhooks(_mapping(old.get("webhooks")), _mapping(new.get("webhooks")),
                                 f"{place}.webhooks")
    return found


def _renamed_terminals(old: dict[str, Any], new: dict[str, Any], gone: list[str],
                       arrived: list[str]) -> dict[str, str]:
    """A terminal state that vanished while a new one took its role (success, failure,
    cancelled): a rename, reported once rather than as a removal and an addition."""
    renamed: dict[str, str] = {}
    for role in _TERMINAL_ROLES:
        before, after = old.get(role), new.get(role)
        if before in gone and after in arrived and after not in renamed.values():
            renamed[str(before)] = str(after)
    return renamed


def _transitions(old: dict[str, Any], new: dict[str, Any], common: list[str],
                 place: str) -> list[Change]:
    """Moves between states both versions know (a removed state's moves go with it)."""
    found = []
    old_moves, new_moves = _mapping(old.get("transitions")), _mapping(new.get("transitions"))
    for state in common:
        before = [s for s in _strings(old_moves.get(state)) if s in common]
        after = [s for s in _strings(new_moves.get(state)) if s in common]
        for target in after:
            if target not in before:
                found.append(change("lifecycle-transition-added", f"{place}.transitions.{state}",
                                    f"{state!r} may now move to {target!r}"))
        for target in before:
            if target not in after:
                found.append(change("lifecycle-transition-removed",
                                    f"{place}.transitions.{state}",
                                    f"{state!r} may no longer move to {target!r}"))
    return found


def _lifecycle_webhooks(old: dict[str, Any], new: dict[str, Any], place: str) -> list[Change]:
    found = []
    before, after = _mapping(old.get("when")), _mapping(new.get("when"))
    for state, event in before.items():
        if after.get(state) != event:
            found.append(change("webhook-trigger-removed", f"{place}.when.{state}",
                                f"entering {state!r} no longer sends {event!r}"))
    for state, event in after.items():
        if before.get(state) != event:
            found.append(change("webhook-trigger-added", f"{place}.when.{state}",
                                f"entering {state!r} now sends {event!r}"))
    if old and new and _strip(old.get("signature")) != _strip(new.get("signature")):
        found.append(change("webhook-signature-changed", f"{place}.signature",
                            f"{_strip(old.get('signature'))} became "
                            f"{_strip(new.get('signature'))}"))
    return found


def _token_lifetimes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    found = []
    before, after = _schemes(old), _schemes(new)
    for name, scheme in before.items():
        if name not in after or scheme.get("type") != "oauth2":
            continue
        was = _seconds(scheme.get("x-token-lifetime-seconds"))
        now = _seconds(after[name].get("x-token-lifetime-seconds"))
        place = f"components.securitySchemes.{name}.x-token-lifetime-seconds"
        if now < was:
            found.append(change("token-lifetime-shortened", place,
                                f"tokens live {now:g}s, not {was:g}s"))
        elif now > was:
            found.append(change("token-lifetime-lengthened", place,
                                f"tokens live {now:g}s, not {was:g}s"))
    return found


def _error_formats(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """The contract's error format, and each operation's own where it overrides it."""
    found = _error_format(old.get("x-error-format"), new.get("x-error-format"), "x-error-format")
    old_paths, new_paths = _mapping(old.get("paths")), _mapping(new.get("paths"))
    for path, item in old_paths.items():
        for method in METHODS:
            old_op = _mapping(_mapping(item).get(method))
            new_op = _mapping(_mapping(new_paths.get(path)).get(method))
            if old_op and new_op:
                found += _error_format(old_op.get("x-error-format"),
                                       new_op.get("x-error-format"),
                                       f"paths.{path}.{method}.x-error-format")
    return found


def _error_format(old: Any, new: Any, place: str) -> list[Change]:
    before, after = _strip(old) or {}, _strip(new) or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [] if before == after else [change("error-format-changed", place,
                                                   f"{before} became {after}")]
    return [change("error-format-changed", f"{place}.{key}",
                   f"{before.get(key)!r} became {after.get(key)!r}")
            for key in sorted({*before, *after}) if before.get(key) != after.get(key)]


def _resources(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    found = presence(before, after, lambda name, how: change(
        f"resource-{how}", f"x-resources.items.{name}", f"resource {how}"))
    for name, resource in before.items():
        if name not in after:
            continue
        for role in ("create", "read", "list", "update", "delete"):
            was, now = _mapping(resource).get(role), _mapping(after[name]).get(role)
            place = f"x-resources.items.{name}.{role}"
            if was and was != now:
                found.append(change("resource-operation-removed", place,
                                    f"{role} by {was!r} removed"))
            if now and was != now:
                found.append(change("resource-operation-added", place, f"{role} by {now!r} added"))
    return found


def _schemes(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    schemes = _mapping(_mapping(document.get("components")).get("securitySchemes"))
    return {name: _mapping(scheme) for name, scheme in schemes.items()}


def _seconds(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else DEFAULT_TOKEN_LIFETIME


def _strip(value: Any) -> Any:
    """A value without its documentation keys."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in _TRACE}
    return value


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []
