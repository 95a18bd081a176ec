"""`contracts diff`'s output: text for a terminal, JSON for a program, Markdown for a CI step
summary (a table per class), and whether the changes fail the run (`--fail-on`)."""

from __future__ import annotations

import json
from typing import Literal

from contracts.changes import CLASSES, Change

__all__ = ["FAIL_ON", "FORMATS", "FailOn", "Format", "fails", "render"]

Format = Literal["text", "json", "markdown"]
FailOn = Literal["any", "client", "implementation", "none"]
FORMATS: tuple[Format, ...] = ("text", "json", "markdown")
FAIL_ON: tuple[FailOn, ...] = ("any", "client", "implementation", "none")


def fails(changes: list[Change], fail_on: FailOn) -> bool:
    """Whether the changes fail a run: `any` breaking change, one that breaks `client`s, one
    that breaks `implementation`s (a change breaking both counts for either), or `none`."""
    if fail_on == "none":
        return False
    if fail_on == "any":
        return any(c.breaks for c in changes)
    return any(fail_on in c.breaks for c in changes)


def render(changes: list[Change], output: Format, old: str, new: str) -> str:
    """The changes from `old` to `new` (labels naming the two versions) in `output`."""
    if output == "json":
        return json.dumps({"old": old, "new": new, "counts": _counts(changes),
                           "changes": [c.model_dump() for c in changes]}, indent=2)
    if output == "markdown":
        return _markdown(changes, old, new)
    return _text(changes, old, new)


def _counts(changes: list[Change]) -> dict[str, int]:
    return {kind: sum(1 for c in changes if c.kind == kind) for kind in CLASSES}


def _ordered(changes: list[Change]) -> list[Change]:
    return sorted(changes, key=lambda c: CLASSES.index(c.kind))  # stable: document order kept


def _headline(changes: list[Change], old: str, new: str) -> str:
    if not changes:
        return f"{old} -> {new}: no changes"
    counts = ", ".join(f"{n} {kind}" for kind, n in _counts(changes).items() if n)
    return f"{old} -> {new}: {len(changes)} change(s): {counts}"


def _text(changes: list[Change], old: str, new: str) -> str:
    lines = [_headline(changes, old, new)]
    width = max((len(c.rule) for c in changes), default=0)
    for c in _ordered(changes):
        both = " (also breaks implementations)" if len(c.breaks) == 2 else ""
        lines.append(f"  {c.kind:<23} {c.rule:<{width}}  {c}{both}")
    return "\n".join(lines)


def _markdown(changes: list[Change], old: str, new: str) -> str:
    lines = [f"### Contract changes: `{old}` → `{new}`", ""]
    if not changes:
        return "\n".join([*lines, "No changes."])
    for kind in CLASSES:
        listed = [c for c in changes if c.kind == kind]
        lines += [f"#### {kind} ({len(listed)})", ""]
        if not listed:
            lines += ["None.", ""]
            continue
        lines += ["| rule | place | change | breaks |", "| --- | --- | --- | --- |"]
        lines += [f"| `{c.rule}` | `{_cell(c.place)}` | {_cell(c.message)} | "
                  f"{', '.join(c.breaks) or '-'} |" for c in listed]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
