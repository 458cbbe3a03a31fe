"""Odd input stops at the edge, once for every route, instead of reaching PostgreSQL as a 500.

- NUL: PostgreSQL's text cannot hold U+0000, so a NUL anywhere in the path, the query string, a form or a
  JSON body is refused before any view runs (API and OGC: 422 problem+json; pages: a plain 400).
- Integers: every integer the hub stores or pages by is a PostgreSQL ``integer``; a path's ``<int:...>``
  (the converter is replaced app-wide) and the API's integer fields (``DbInteger``) stop at its range, so
  ``/experts/3725100771226011332594`` is a 404 and ``offset=99999999999999999999`` a 422.
- Record keys: ``<key:...>`` takes an id or a reference in ASCII (``²`` is a digit to Python's
  ``str.isdigit`` but not to ``int`` on the database side).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from marshmallow import fields, validate
from werkzeug.routing import BaseConverter, IntegerConverter, Map, ValidationError
from werkzeug.wrappers import Response

from dashboard.api.problems import problem

INT_MAX = 2**31 - 1  # PostgreSQL's integer: the type of every id, version and count column
INT_MIN = -(2**31)
NUL = "\x00"
MACHINE_PREFIXES = ("/api/", "/ogc")
KEY_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,59}"


class DbIntConverter(IntegerConverter):
    """Werkzeug's ``int`` bounded to PostgreSQL's integer: a larger number matches no route (404)."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, INT_MAX if max is None else max, signed)


class RecordKeyConverter(BaseConverter):
    """An id (ASCII digits, within PostgreSQL's integer) or a reference such as ``SR-2026-00012``."""

    regex = KEY_PATTERN
    part_isolating = True

    def to_python(self, value: str) -> Any:
        if value.isascii() and value.isdigit():
            number = int(value)
            if number > INT_MAX:
                raise ValidationError()  # no such record can exist: no route matches, 404
            return number
        return value

    def to_url(self, value: Any) -> str:
        return str(value)


def key_param_schema(_converter: Any) -> dict[str, Any]:
    return {"type": "string", "pattern": f"^{KEY_PATTERN}$",
            "description": "An id, or a reference such as SR-2026-00012."}


class DbInteger(fields.Integer):
    """An integer parameter or body field within PostgreSQL's integer (documented as minimum/maximum)."""

    def __init__(self, **kwargs: Any) -> None:
        bounds = validate.Range(min=INT_MIN, max=INT_MAX)
        given = kwargs.pop("validate", None)
        extra = [] if given is None else list(given) if isinstance(given, list | tuple) else [given]
        super().__init__(validate=[bounds, *extra], **kwargs)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _nul_location() -> str | None:
    """Where the request carries a NUL character, if anywhere."""
    if NUL in request.path:
        return "path"
    if any(NUL in k or NUL in v for k, v in request.args.items(multi=True)):
        return "query"
    if request.mimetype == "application/x-www-form-urlencoded" and any(
            NUL in k or NUL in v for k, v in request.form.items(multi=True)):
        return "form"
    if request.is_json and request.path.startswith(MACHINE_PREFIXES) and _has_nul(request.get_json(silent=True)):
        return "json"
    return None


def refuse_nul() -> Response | None:
    location = _nul_location()
    if location is None:
        return None
    detail = f"Invalid input. The {location} contains a NUL character (U+0000), which no text may hold."
    if request.path.startswith(MACHINE_PREFIXES):
        return problem(422, "Unprocessable Entity", detail, errors=[{"field": location, "code": "nul",
                                                                "message": "NUL character (U+0000)."}])
    return Response(detail, status=400, mimetype="text/plain")


def init_input_guard(server: Flask) -> None:
    """Before any blueprint adds a rule: the converters are looked up when a rule is added."""
    server.url_map.converters["int"] = DbIntConverter
    server.url_map.converters["key"] = RecordKeyConverter
    server.before_request(refuse_nul)
