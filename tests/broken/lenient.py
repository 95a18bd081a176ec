"""Breakages that accept a request breaking exactly one documented rule, which random invalid
input rarely isolates: a path value outside its enum, a field of the wrong type."""

from __future__ import annotations

import json
import re

from tests.broken.breakages import Breakage, Call, Reply

PHINITE_RUN = r"/api/v1/ai/trigger/(start/)?([^/]+)/([^/]+)/([^/]+)"
FLOWFLOW_START = r"/api/v1/workflow/start/[^/]+"
ENVIRONMENTS = ("DEV", "UAT", "PROD")


def _any_environment(call: Call) -> Reply:
    """An unknown environment is run as PROD."""
    found = call.matches("POST", PHINITE_RUN)
    if found and found.group(4) not in ENVIRONMENTS:
        call.path = re.sub(r"/[^/]+$", "/PROD", call.path)
    return call.forward()


def _input_of_any_type(call: Call) -> Reply:
    """A non-string `input` is taken as its JSON text."""
    sent = call.json
    if call.matches("POST", FLOWFLOW_START) and isinstance(sent, dict) and "input" in sent \
            and not isinstance(sent["input"], str):
        sent["input"] = json.dumps(sent["input"])
        call.body = json.dumps(sent).encode()
    return call.forward()


LENIENT = [
    Breakage("phinite-environment-not-in-enum", "phinite", "negative",
             "a trigger for an environment outside DEV, UAT, PROD is run (as PROD), not refused",
             _any_environment),
    Breakage("flowflow-input-wrong-type", "flowflow", "negative",
             "a start request whose `input` is a number or an object is accepted",
             _input_of_any_type),
]
