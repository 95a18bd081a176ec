"""The vocabulary of `contracts diff`: one `Change` per difference, each under a stable rule id
whose class says who it breaks.

A change *breaks clients* when a client written against the old contract fails against an
implementation of the new one; it *breaks implementations* when an implementation that honours
the old contract no longer honours the new one (a conformance run of the new contract would fail
it). Some changes break both; they are reported as `breaking-client` and also count for
`--fail-on implementation`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Literal

from pydantic import BaseModel, computed_field

__all__ = ["CLASSES", "RULES", "Change", "Class", "Rule", "Side", "change", "presence"]

Side = Literal["client", "implementation"]
Class = Literal["breaking-client", "breaking-implementation", "compatible"]
CLASSES: tuple[Class, ...] = ("breaking-client", "breaking-implementation", "compatible")


class Rule(BaseModel):
    """A kind of difference: the sides it breaks, and what it means."""

    breaks: frozenset[Side]
    summary: str

    @property
    def kind(self) -> Class:
        if "client" in self.breaks:
            return "breaking-client"
        return "breaking-implementation" if self.breaks else "compatible"


class Change(BaseModel):
    """One difference between two contracts, where it is and what changed."""

    rule: str
    place: str
    message: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def kind(self) -> Class:
        """`breaking-client`, `breaking-implementation` or `compatible`, from the rule."""
        return RULES[self.rule].kind

    @computed_field  # type: ignore[prop-decorator]
    @property
    def breaks(self) -> list[Side]:
        """Every side the change breaks (both, for some), sorted."""
        return sorted(RULES[self.rule].breaks)

    def __str__(self) -> str:
        return f"{self.place}: {self.message}"


def change(rule: str, place: str, message: str) -> Change:
    """A change under a rule the table below defines (a typo in a rule id fails at once)."""
    if rule not in RULES:
        raise KeyError(f"no rule {rule!r}")
    return Change(rule=rule, place=place, message=message)


def presence(before: Iterable[str], after: Iterable[str],
             made: Callable[[str, str], Change]) -> list[Change]:
    """A change for every key only `before` has (`made(key, "removed")`), then for every key
    only `after` has (`made(key, "added")`): the first step of comparing any named parts."""
    old, new = list(before), list(after)
    return [*(made(key, "removed") for key in old if key not in new),
            *(made(key, "added") for key in new if key not in old)]


_C: frozenset[Side] = frozenset({"client"})
_I: frozenset[Side] = frozenset({"implementation"})
_BOTH: frozenset[Side] = _C | _I
_NONE: frozenset[Side] = frozenset()


def _sided(base: str, request: frozenset[Side], response: frozenset[Side],
           summary: str) -> dict[str, Rule]:
    """A schema rule twice: what the client sends (request), what the implementation sends
    (response, and webhook payloads)."""
    return {f"request-{base}": Rule(breaks=request, summary=f"{summary} (request)"),
            f"response-{base}": Rule(breaks=response, summary=f"{summary} (response)")}


RULES: dict[str, Rule] = {
    "path-removed": Rule(breaks=_C, summary="a path and all its operations removed"),
    "path-added": Rule(breaks=_I, summary="a path added: an old implementation does not serve it"),
    "operation-removed": Rule(breaks=_C, summary="an operation removed"),
    "operation-added": Rule(breaks=_I, summary="an operation added to an existing path"),
    "operation-id-changed": Rule(breaks=_C, summary="an operation's operationId changed: "
                                 "generated clients and configurations name operations by it"),
    "parameter-removed": Rule(breaks=_C, summary="a parameter removed: what clients send "
                              "loses its effect"),
    "parameter-added": Rule(breaks=_NONE, summary="an optional parameter added"),
    "required-parameter-added": Rule(breaks=_C, summary="a required parameter added"),
    "parameter-became-required": Rule(breaks=_C, summary="an optional parameter made required"),
    "parameter-became-optional": Rule(breaks=_I, summary="a required parameter made optional: "
                                      "an old implementation refuses requests without it"),
    "parameter-location-changed": Rule(breaks=_BOTH, summary="a parameter moved (e.g. from "
                                       "query to header)"),
    "request-body-removed": Rule(breaks=_C, summary="a request body removed"),
    "request-body-added": Rule(breaks=_NONE, summary="an optional request body added"),
    "required-request-body-added": Rule(breaks=_C, summary="a required request body added"),
    "request-body-became-required": Rule(breaks=_C, summary="a request body made required"),
    "request-body-became-optional": Rule(breaks=_I, summary="a request body made optional"),
    "request-media-type-removed": Rule(breaks=_C, summary="a request media type no longer "
                                       "accepted"),
    "request-media-type-added": Rule(breaks=_I, summary="a request media type added: an old "
                                     "implementation refuses it"),
    "response-status-removed": Rule(breaks=_I, summary="an error status removed: an old "
                                    "implementation may still answer it"),
    "response-status-added": Rule(breaks=_NONE, summary="an error status added"),
    "response-success-status-removed": Rule(breaks=_BOTH, summary="a success status removed: "
                                            "clients wait for it, old implementations answer it"),
    "response-success-status-added": Rule(breaks=_C, summary="a success status added: clients "
                                          "do not expect it"),
    "response-media-type-removed": Rule(breaks=_C, summary="a response media type removed"),
    "response-media-type-added": Rule(breaks=_NONE, summary="a response media type added"),
    **_sided("property-removed", _C, _C, "a property removed"),
    **_sided("property-added", _NONE, _NONE, "an optional property added"),
    **_sided("required-property-added", _C, _I, "a required property added"),
    **_sided("property-became-required", _C, _I, "a property made required"),
    **_sided("property-became-optional", _I, _C, "a required property made optional"),
    **_sided("type-widened", _I, _C, "a schema accepts more types"),
    **_sided("type-narrowed", _C, _I, "a schema accepts fewer types"),
    **_sided("type-changed", _BOTH, _BOTH, "a schema's type changed"),
    **_sided("enum-value-added", _I, _C, "an enum value added"),
    **_sided("enum-value-removed", _C, _I, "an enum value removed"),
    **_sided("enum-restricted", _C, _I, "a schema limited to an enum"),
    **_sided("enum-unrestricted", _I, _C, "a schema's enum dropped"),
    **_sided("format-added", _C, _I, "a format added"),
    **_sided("format-removed", _I, _C, "a format removed"),
    **_sided("format-changed", _BOTH, _BOTH, "a format changed"),
    **_sided("alternative-added", _I, _C, "an anyOf/oneOf alternative added"),
    **_sided("alternative-removed", _C, _I, "an anyOf/oneOf alternative removed"),
    "security-scheme-removed": Rule(breaks=_C, summary="a security scheme removed"),
    "security-scheme-added": Rule(breaks=_NONE, summary="a security scheme added"),
    "security-scheme-changed": Rule(breaks=_BOTH, summary="a security scheme's type, location, "
                                    "name or token URL changed"),
    "security-requirement-removed": Rule(breaks=_C, summary="a way to authenticate an "
                                         "operation no longer accepted"),
    "security-requirement-added": Rule(breaks=_I, summary="a new way to authenticate an "
                                       "operation: an old implementation refuses it"),
    "server-removed": Rule(breaks=_C, summary="a server URL removed"),
    "server-added": Rule(breaks=_NONE, summary="a server URL added"),
    "lifecycle-removed": Rule(breaks=_C, summary="an x-lifecycles entry removed"),
    "lifecycle-added": Rule(breaks=_I, summary="an x-lifecycles entry added"),
    "lifecycle-state-removed": Rule(breaks=_I, summary="a non-terminal state removed: an old "
                                    "implementation may still show it"),
    "lifecycle-state-added": Rule(breaks=_C, summary="a state added: clients do not know it"),
    "lifecycle-terminal-state-removed": Rule(breaks=_BOTH, summary="a terminal state removed: "
                                             "clients stop polling at it"),
    "lifecycle-terminal-state-renamed": Rule(breaks=_BOTH, summary="a terminal state renamed "
                                             "(same role: success, failure or cancelled)"),
    "lifecycle-state-became-terminal": Rule(breaks=_BOTH, summary="a state made terminal"),
    "lifecycle-state-no-longer-terminal": Rule(breaks=_BOTH, summary="a terminal state may "
                                               "now be left: clients stop polling too soon"),
    "lifecycle-initial-state-changed": Rule(breaks=_BOTH, summary="runs start in another state"),
    "lifecycle-transition-added": Rule(breaks=_C, summary="a run may move in a way clients do "
                                       "not expect"),
    "lifecycle-transition-removed": Rule(breaks=_I, summary="a move an old implementation "
                                         "makes is no longer allowed"),
    "lifecycle-operation-changed": Rule(breaks=_BOTH, summary="a lifecycle's create, poll, "
                                        "cancel or link names another operation"),
    "token-lifetime-shortened": Rule(breaks=_C, summary="x-token-lifetime-seconds shortened: "
                                     "clients reuse tokens that have expired"),
    "token-lifetime-lengthened": Rule(breaks=_I, summary="x-token-lifetime-seconds lengthened: "
                                      "an old implementation's tokens expire too soon"),
    "error-format-changed": Rule(breaks=_BOTH, summary="x-error-format changed: errors are "
                                 "rendered and parsed differently"),
    "resource-removed": Rule(breaks=_C, summary="an x-resources resource removed"),
    "resource-added": Rule(breaks=_I, summary="an x-resources resource added"),
    "resource-operation-removed": Rule(breaks=_C, summary="a resource lost a role (create, "
                                       "read, list, update, delete)"),
    "resource-operation-added": Rule(breaks=_I, summary="a resource gained a role"),
    "webhook-removed": Rule(breaks=_C, summary="a webhook event removed"),
    "webhook-added": Rule(breaks=_I, summary="a webhook event added"),
    "webhook-trigger-removed": Rule(breaks=_C, summary="entering a state no longer sends its "
                                    "webhook"),
    "webhook-trigger-added": Rule(breaks=_I, summary="entering a state now sends a webhook"),
    "webhook-signature-changed": Rule(breaks=_BOTH, summary="webhook signature header or scheme "
                                      "changed"),
    "accumulating-added": Rule(breaks=_I, summary="x-accumulating added: a list must now only "
                               "grow"),
    "accumulating-removed": Rule(breaks=_C, summary="x-accumulating removed: clients may no "
                                 "longer rely on the list only growing"),
    "accumulating-changed": Rule(breaks=_BOTH, summary="x-accumulating's key or fixed fields "
                                 "changed"),
    "subset-added": Rule(breaks=_I, summary="an x-subsets containment added"),
    "subset-removed": Rule(breaks=_C, summary="an x-subsets containment removed"),
}
