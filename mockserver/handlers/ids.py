"""Fresh run ids of the form a contract declares.

An id drawn from the schema's `pattern` must still be one a client can put in a URL path: `.`
and `..` match a pattern such as `^[A-Za-z0-9._~-]+$`, but HTTP libraries remove such a segment
(RFC 3986, section 5.2.4), so the poll of that run would never reach it.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

import rstr

from mockserver.engine.contract import compile_schema

__all__ = ["IdMaker"]

_DOT_SEGMENTS = frozenset({".", ".."})
_DRAWS = 1000
"""Draws before a schema is called unsatisfiable: a pattern with a usable id gives one at once."""


class IdMaker:
    """Makes ids that match the id's schema: drawn from its `pattern`, else UUIDs.

    Built when the contract is loaded, so a schema no usable id fits is refused then, naming
    the schema, rather than on a client's request.
    """

    def __init__(self, schema: dict[str, Any] | None, place: str = "the run id") -> None:
        schema = schema or {}
        self._place = place
        self._pattern: str | None = schema.get("pattern")
        self._validator = compile_schema(schema)
        self._schema = schema
        self()

    def __call__(self) -> str:
        if self._pattern is None:
            return str(uuid.uuid4())
        draw = rstr.Rstr(random.Random(uuid.uuid4().int))
        for _ in range(_DRAWS):
            candidate = str(draw.xeger(self._pattern))
            if candidate not in _DOT_SEGMENTS and self._validator.is_valid(candidate):
                return candidate
        raise ValueError(f"{self._place}: no id usable in a URL path fits its schema "
                         f"{self._schema}")
