"""The lifecycle and hypermedia rules one run's observed bodies must keep, as pure functions.

The validation proxy judges live traffic with them, `conformance replay` a recording: both see
only bodies and requests after the fact, so each rule takes what was observed and returns the
rules it broke, in words (empty: kept).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

from contracts import pointers
from contracts.extensions import ErrorFormat, Lifecycle, Pagination, Resource

__all__ = [
    "echo_problems",
    "error_body_problems",
    "hypermedia_problems",
    "id_problems",
    "match_path",
    "page_problems",
    "state_problems",
    "update_problems",
]


def state_problems(lifecycle: Lifecycle, before: str | None, status: Any, body: Any
                   ) -> list[str]:
    """Declared states only, allowed transitions only, terminal states never change, and the
    fields declared present or absent for the state."""
    if status not in lifecycle.states:
        return [f"status {status!r} is not a declared state of {lifecycle.resource} "
                f"(declared: {', '.join(lifecycle.states)})"]
    problems = []
    if before is not None and before != status:
        if before in lifecycle.terminal:
            problems.append(f"terminal state {before!r} changed to {status!r}")
        elif not lifecycle.can_move(before, status):
            problems.append(f"transition {before!r} -> {status!r} is not allowed "
                            f"(from {before!r}: {', '.join(lifecycle.successors(before))})")
    rule = lifecycle.fields.get(status)
    for pointer in rule.present if rule else []:
        if not pointers.has(body, pointer):
            problems.append(f"{pointer} is missing while {status!r}")
    for pointer in rule.absent if rule else []:
        if pointers.has(body, pointer):
            problems.append(f"{pointer} is present while {status!r}")
    return problems


def id_problems(lifecycle: Lifecycle, run_id: str, body: Any) -> list[str]:
    """The polled body names the run its URL addressed."""
    named = pointers.get(body, lifecycle.id.poll, None)
    if named != run_id:
        return [f"polled run {run_id!r} but the body names {named!r} at {lifecycle.id.poll}"]
    return []


def echo_problems(lifecycle: Lifecycle, request: dict[str, Any], body: Any) -> list[str]:
    """Values of the create request that the run's bodies must repeat (`echo`)."""
    problems = []
    for echo in lifecycle.echo:
        expected = pointers.evaluate(echo.expression, request)
        if expected is pointers.MISSING:
            if not echo.has_default:
                continue
            expected = echo.default
        parent = pointers.get(body, pointers.parent(echo.response))
        if parent is not pointers.MISSING and not isinstance(parent, dict):
            continue  # e.g. a result that is null while running: nothing to repeat into
        actual = pointers.get(body, echo.response)
        if actual != expected:
            shown = "missing" if actual is pointers.MISSING else repr(actual)
            problems.append(f"{echo.response} is {shown}; the create request sent {expected!r}")
    return problems


def hypermedia_problems(poll_path: str, link: dict[str, str], request: dict[str, Any],
                        body: Any) -> list[str]:
    """Every URL in a create body that points at the poll operation (e.g. FlowFlow's
    `progress_api_url`) addresses the run the body names, as the create's OpenAPI link says.

    `poll_path` is the poll operation's path template, `link` the link's parameters (name ->
    runtime expression, see `contracts.link_parameters`)."""
    problems = []
    for where, url in _urls(body, ""):
        found = match_path(poll_path, urlsplit(url).path, anchored=False)
        if found is None:
            continue
        for name, expression in link.items():
            expected = pointers.evaluate(expression, request, body)
            if expected is pointers.MISSING or name not in found:
                continue
            if found[name] != str(expected):
                problems.append(f"{where or '(body)'} addresses {name}={found[name]!r}, "
                                f"but the body names {expected!r}")
    return problems


def error_body_problems(error_format: ErrorFormat, status: int, body: Any) -> list[str]:
    """An error body in the vendor's `x-error-format`: the template's keys, its fixed values,
    the code it documents for the status and a message it never varies. FastAPI-style
    validation errors are left to the schema, and so is a body that is not JSON (None)."""
    if status < 400 or body is None or (error_format.validation.style == "fastapi"
                        and status == error_format.validation.status):
        return []
    fixed = error_format.messages.get(str(status))
    return _template_problems(error_format.body, body, error_format.code_for(status), fixed,
                              status, "")


def _template_problems(template: Any, value: Any, code: str, fixed: str | None, status: int,
                       where: str) -> list[str]:
    if isinstance(template, dict):
        if not isinstance(value, dict):
            return [f"{where or '(body)'} is {_kind(value)}, the error format has an object"]
        return [problem for key, inner in template.items()
                for problem in (_template_problems(inner, value[key], code, fixed, status,
                                                   f"{where}/{key}") if key in value
                                else [f"{where}/{key} is missing from the error"])]
    if not isinstance(template, str):
        return [] if template == value else [f"{where} is {value!r}, not {template!r}"]
    if template == "{code}" and code:
        return [] if value == code else [
            f"{where} is {value!r}; the error format's code for {status} is {code!r}"]
    if template == "{message}" and fixed:
        return [] if value == fixed else [
            f"{where} is {value!r}; the vendor's message for {status} is {fixed!r}"]
    if "{" in template:
        return [] if isinstance(value, str) else [f"{where} is {_kind(value)}, not a string"]
    return [] if value == template else [f"{where} is {value!r}, not {template!r}"]


def _kind(value: Any) -> str:
    names: dict[type, str] = {dict: "an object", list: "a list", str: "a string"}
    return names.get(type(value), repr(value))


def page_problems(pagination: Pagination, envelope: str, body: Any) -> list[str]:
    """A list page's block agrees with itself: no more items than the limit, and `has_more`
    exactly when items lie beyond this page."""
    block = pointers.get(body, pagination.block, None)
    items = pointers.get(body, envelope or "", None)
    if not isinstance(block, dict) or not isinstance(items, list):
        return []
    names = pagination.fields
    total, limit = block.get(names.get("total", "")), block.get(names.get("limit", ""))
    offset, more = block.get(names.get("offset", ""), 0), block.get(names.get("has_more", ""))
    problems = []
    if isinstance(limit, int) and len(items) > limit:
        problems.append(f"the page holds {len(items)} items, above its limit {limit}")
    if isinstance(total, int) and isinstance(offset, int) and isinstance(more, bool):
        beyond = offset + len(items) < total
        if more != beyond:
            problems.append(f"{pagination.block}/{names['has_more']} is {str(more).lower()} "
                            f"with {len(items)} items from offset {offset} of {total}")
    return problems


def match_path(template: str, path: str, *, anchored: bool = True) -> dict[str, str] | None:
    """The path parameters if `path` is an instance of the OpenAPI path `template` (or, not
    anchored, ends with one: a URL below some base path); None if it is not."""
    pattern = re.sub(r"\\{([^}]+)\\}", lambda m: f"(?P<{_group(m.group(1))}>[^/]+)",
                     re.escape(template.rstrip("/")))
    found = re.fullmatch(("" if anchored else "(?:/.*)?") + pattern + "/?", path)
    if found is None:
        return None
    names = re.findall(r"{([^}]+)}", template)
    return {name: unquote(found.group(_group(name))) for name in names}


def _group(name: str) -> str:
    return "p_" + re.sub(r"\W", "_", name)


def _urls(node: Any, where: str) -> list[tuple[str, str]]:
    if isinstance(node, str):
        return [(where, node)] if node.startswith(("http://", "https://")) else []
    if isinstance(node, dict):
        return [found for key, value in node.items()
                for found in _urls(value, f"{where}/{key}")]
    if isinstance(node, list):
        return [found for i, value in enumerate(node) for found in _urls(value, f"{where}/{i}")]
    return []


def update_problems(resource: Resource, before: dict[str, Any], sent: dict[str, Any],
                    after: dict[str, Any]) -> list[str]:
    """A record read back in full after an update (`x-resources` updates merge): every field
    sent reads as sent, every field not sent reads as before, and none that was there is gone.
    The update's timestamp and the fields derived from others are left to move."""
    problems = [f"{name} was sent as {value!r} but reads "
                f"{after[name]!r}" if name in after else f"{name} was sent as {value!r} but is gone"
                for name, value in sent.items()
                if name not in after or not _holds(after[name], value)]
    moving = {resource.timestamps.updated, *resource.derived}
    for name, old in before.items():
        if name in sent or name in moving:
            continue
        if name not in after:
            problems.append(f"{name} was {old!r} before the update, which did not send it, and "
                            "is gone")
        elif after[name] != old:
            problems.append(f"{name} was not sent but changed from {old!r} to {after[name]!r}")
    for name, pointer in resource.derived.items():
        source = pointers.get(after, pointer, None)
        if name in after and source is not None and after[name] != source:
            problems.append(f"{name} reads {after[name]!r}, but it copies {pointer}, which reads "
                            f"{source!r}")
    return problems


def _holds(actual: Any, sent: Any) -> bool:
    """What was sent is what is read; an object may have gained fields the server adds."""
    if isinstance(sent, dict):
        return isinstance(actual, dict) and all(
            key in actual and _holds(actual[key], value) for key, value in sent.items())
    return bool(actual == sent)

