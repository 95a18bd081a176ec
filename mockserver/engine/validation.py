"""Turn an HTTP request into typed inputs, and say exactly where it breaks the contract.

Violations use pydantic's error vocabulary (`dict_type`, `missing`, `json_invalid`, ...), which is
what FastAPI-style vendors return verbatim and reads well as a plain message for the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jsonschema_rs import ValidationError
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Request

from mockserver.engine.contract import MediaType, Operation
from mockserver.engine.forms import mimetype
from mockserver.engine.limits import TooDeep, parse_json
from mockserver.engine.preferences import vendor_preferences

__all__ = [
    "Inputs",
    "UnsupportedMediaType",
    "Upload",
    "Violation",
    "parse_request",
    "schema_violations",
]

_LIST_EVERY_VIOLATION_BELOW = 32 * 1024
"""Bodies up to this many bytes get every violation listed; larger ones the first."""

_TYPE_ERRORS = {
    "object": ("dict_type", "Input should be a valid dictionary"),
    "string": ("string_type", "Input should be a valid string"),
    "integer": ("int_type", "Input should be a valid integer"),
    "number": ("float_type", "Input should be a valid number"),
    "boolean": ("bool_type", "Input should be a valid boolean"),
    "array": ("list_type", "Input should be a valid list"),
    "null": ("none_required", "Input should be None"),
}


@dataclass(frozen=True)
class Violation:
    loc: tuple[str | int, ...]
    type: str
    msg: str
    input: Any = None
    ctx: dict[str, Any] | None = None

    def as_pydantic(self) -> dict[str, Any]:
        error = {"type": self.type, "loc": list(self.loc), "msg": self.msg, "input": self.input}
        if self.ctx:
            error["ctx"] = self.ctx
        return error

    def __str__(self) -> str:
        return f"{'.'.join(str(part) for part in self.loc)}: {self.msg}"


@dataclass(frozen=True)
class Upload:
    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class Inputs:
    """What a request carried, parsed by the operation's contract."""

    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    header: dict[str, str] = field(default_factory=dict)
    body: Any = None
    media_type: str | None = None
    uploads: list[Upload] = field(default_factory=list)


class UnsupportedMediaType(Exception):
    """The body's content type is not one the operation accepts."""

    def __init__(self, received: str, allowed: list[str]) -> None:
        super().__init__(f"Content-Type {received or '(none)'!r} is not supported; "
                         f"send {' or '.join(allowed)}")
        self.received = received


def schema_violations(validator: Any, instance: Any, loc: tuple[str | int, ...], *,
                      every: bool = True) -> list[Violation]:
    """The ways `instance` breaks a schema, as violations located under `loc`: every one, or
    with `every=False` only the first. Listing them all costs more than linear time in their
    number (two million wrong items: minutes), so large bodies get the first."""
    if validator.is_valid(instance):
        return []
    if not every:
        try:
            validator.validate(instance)
        except ValidationError as error:
            return [_violation(error, loc)]
    return [_violation(error, loc) for error in validator.iter_errors(instance)]


def parse_request(operation: Operation, request: Request, path_params: dict[str, str],
                  max_json_depth: int = 64) -> tuple[Inputs, list[Violation]]:
    """Parse every part of the request the contract describes; raise UnsupportedMediaType.
    JSON nested deeper than `max_json_depth` is a `json_invalid` violation."""
    inputs = Inputs()
    violations: list[Violation] = []
    for parameter in operation.parameters:
        raw = _raw_parameter(parameter.location, parameter.name, request, path_params, parameter)
        if raw is None:
            if parameter.required:
                violations.append(Violation((parameter.location, parameter.name), "missing",
                                            "Field required"))
            continue
        value, problem = _coerce(raw, parameter.schema, (parameter.location, parameter.name))
        if problem:
            violations.append(problem)
            continue
        violations += schema_violations(parameter.validator, value,
                                        (parameter.location, parameter.name))
        getattr(inputs, parameter.location if parameter.location != "cookie" else "header")[
            parameter.name] = value
    if operation.body:
        violations += _parse_body(operation, request, inputs, max_json_depth)
    return inputs, violations


def _raw_parameter(location: str, name: str, request: Request, path_params: dict[str, str],
                   parameter: Any) -> Any:
    if location == "path":
        return path_params.get(name)
    if location == "query":
        if name not in request.args:
            return None
        if parameter.schema.get("type") == "array":
            return request.args.getlist(name)
        return request.args[name]
    if location == "header":
        value = request.headers.get(name)
        # The mock's own preferences ride in Prefer beside the vendor's (`wait=5`): the
        # contract judges only the vendor's part.
        return vendor_preferences(value) if name.lower() == "prefer" else value
    return request.cookies.get(name)


def _coerce(raw: Any, schema: dict[str, Any], loc: tuple[str | int, ...]
            ) -> tuple[Any, Violation | None]:
    """Strings from a URL or form, turned into the type the schema asks for."""
    kind = schema.get("type")
    if isinstance(raw, list):
        items = [_coerce(item, schema.get("items", {}), (*loc, i)) for i, item in enumerate(raw)]
        problems = [problem for _, problem in items if problem]
        return [value for value, _ in items], (problems[0] if problems else None)
    try:
        if kind == "integer":
            return int(raw), None
        if kind == "number":
            return float(raw), None
    except ValueError:
        error_type = "int_parsing" if kind == "integer" else "float_parsing"
        noun = "an integer" if kind == "integer" else "a number"
        return raw, Violation(loc, error_type,
                              f"Input should be a valid {noun}, unable to parse string as {noun}",
                              raw)
    if kind == "boolean":
        lowered = str(raw).lower()
        if lowered in ("true", "1", "yes", "on"):
            return True, None
        if lowered in ("false", "0", "no", "off"):
            return False, None
        return raw, Violation(loc, "bool_parsing",
                              "Input should be a valid boolean, unable to interpret input", raw)
    return raw, None


def _parse_body(operation: Operation, request: Request, inputs: Inputs,
                max_json_depth: int) -> list[Violation]:
    raw = request.get_data(cache=True)
    received = request.mimetype or ""
    if not raw and not request.files and not request.form:
        if operation.body_required:
            return [Violation(("body",), "missing", "Field required", None)]
        return []
    media = operation.body.get(received)
    if media is None:
        wildcard = [m for name, m in operation.body.items() if name.endswith("/*")
                    and received.startswith(name[:-1])]
        if not wildcard:
            raise UnsupportedMediaType(received, list(operation.body))
        media = wildcard[0]
    inputs.media_type = media.name
    if media.name == "application/json" or media.name.endswith("+json"):
        try:
            inputs.body = parse_json(raw, max_json_depth)
        except TooDeep as error:
            return [Violation(("body",), "json_invalid", f"JSON decode error: {error}", {},
                              {"error": str(error)})]
        except ValueError as error:  # UnicodeDecodeError included
            position = getattr(error, "pos", 0)
            reason = getattr(error, "msg", None) or str(error)
            return [Violation(("body", position), "json_invalid", "JSON decode error", {},
                              {"error": reason})]
    elif media.name in ("multipart/form-data", "application/x-www-form-urlencoded"):
        inputs.body, inputs.uploads, problems = _form_instance(media, request, max_json_depth)
        if problems:
            return problems
    else:
        inputs.body = raw
        return []
    return schema_violations(media.validator, inputs.body, ("body",),
                             every=len(raw) <= _LIST_EVERY_VIOLATION_BELOW)


def _form_instance(media: MediaType, request: Request, max_json_depth: int
                   ) -> tuple[dict[str, Any], list[Upload], list[Violation]]:
    """A multipart or urlencoded body as the object its schema describes.

    Parts the schema calls binary stand for files and become their filename; parts declared
    as objects or arrays of non-binary items (or with a JSON content type) are parsed as JSON.
    """
    properties = media.schema.get("properties", {})
    instance: dict[str, Any] = {}
    uploads: list[Upload] = []
    problems: list[Violation] = []
    for name in {*request.form.keys(), *request.files.keys()} - {None, ""}:
        schema = properties.get(name, {})
        is_list = schema.get("type") == "array"
        item_schema = schema.get("items", {}) if is_list else schema
        values: list[Any] = []
        for storage in request.files.getlist(name):
            uploads.append(_upload(name, storage))
            values.append(storage.filename or name)
        for text in request.form.getlist(name):
            wants_json = item_schema.get("type") in ("object", "array") or "json" in \
                media.encoding.get(name, {}).get("contentType", "")
            if wants_json:
                try:
                    values.append(parse_json(text, max_json_depth))
                except ValueError as error:
                    problems.append(Violation(("body", name), "json_invalid",
                                              "JSON decode error", text, {"error": str(error)}))
            else:
                value, problem = _coerce(text, item_schema, ("body", name))
                values.append(value)
                if problem:
                    problems.append(problem)
        if values:
            instance[name] = values if is_list else values[0]
    return instance, uploads, problems


def _upload(name: str, storage: FileStorage) -> Upload:
    return Upload(name, storage.filename or "",
                  mimetype(storage.content_type) or "application/octet-stream", storage.read())


def _violation(error: Any, loc: tuple[str | int, ...]) -> Violation:
    kind = error.kind
    name = type(kind).__name__
    where = (*loc, *error.instance_path)
    instance = error.instance
    if name == "Type":
        expected = [str(t) for t in kind.types if t != "null"] or ["null"]
        error_type, msg = _TYPE_ERRORS.get(expected[0], ("type_error", error.message))
        return Violation(where, error_type, msg, instance)
    if name == "Required":
        return Violation((*where, kind.property), "missing", "Field required", instance)
    if name == "Enum":
        alternatives = _alternatives(kind.options)
        return Violation(where, "enum", f"Input should be {alternatives}", instance,
                         {"expected": alternatives})
    if name == "Constant":
        return Violation(where, "literal_error", f"Input should be {kind.expected_value!r}",
                         instance)
    if name == "Pattern":
        return Violation(where, "string_pattern_mismatch",
                         f"String should match pattern '{kind.pattern}'", instance,
                         {"pattern": kind.pattern})
    if name in ("MinLength", "MaxLength"):
        short = name == "MinLength"
        limit = kind.limit
        plural = "" if limit == 1 else "s"
        return Violation(where, "string_too_short" if short else "string_too_long",
                         f"String should have {'at least' if short else 'at most'} {limit} "
                         f"character{plural}", instance,
                         {"min_length" if short else "max_length": limit})
    if name in ("Minimum", "Maximum", "ExclusiveMinimum", "ExclusiveMaximum"):
        words = {"Minimum": ("greater_than_equal", "greater than or equal to", "ge"),
                 "Maximum": ("less_than_equal", "less than or equal to", "le"),
                 "ExclusiveMinimum": ("greater_than", "greater than", "gt"),
                 "ExclusiveMaximum": ("less_than", "less than", "lt")}[name]
        return Violation(where, words[0], f"Input should be {words[1]} {kind.limit}", instance,
                         {words[2]: kind.limit})
    if name in ("MinItems", "MaxItems"):
        short = name == "MinItems"
        return Violation(where, "too_short" if short else "too_long",
                         f"List should have {'at least' if short else 'at most'} {kind.limit} "
                         f"item{'' if kind.limit == 1 else 's'}", instance)
    if name == "AdditionalProperties":
        return Violation((*where, *kind.unexpected[:1]), "extra_forbidden",
                         "Extra inputs are not permitted", instance)
    return Violation(where, "value_error", f"Value error, {error.message}", instance)


def _alternatives(options: Any) -> str:
    quoted = [repr(option) for option in options]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
