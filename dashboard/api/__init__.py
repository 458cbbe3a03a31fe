"""The JSON API under /api/v1 (flask-smorest), described by OpenAPI 3 at /api/v1/openapi.json."""

from __future__ import annotations

import http
from typing import Any, NoReturn

from flask import Flask, abort, current_app, request
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from dashboard.api.input_guard import RecordKeyConverter, init_input_guard, key_param_schema
from dashboard.api.problems import problem
from dashboard.api.schemas import PROBLEM_DESCRIPTIONS, PROBLEM_MEDIA_TYPE, Money, ProblemSchema
from models.settings import Settings
from services.errors import HubError
from services.records import Problems, StaleEdit, VersionRequired

API_PREFIX = "/api/v1"


def _not_found(rest: str) -> NoReturn:
    """404, or 405 with ``Allow`` when the path is an operation's and only the method is wrong (this rule
    takes every method, so werkzeug would otherwise prefer it to a 405). Problem+json, from the handler below."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed: set[str] = set()
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        try:
            rule, _args = adapter.match(request.path, method=method, return_rule=True)
        except HTTPException:
            continue
        if rule.endpoint != "api_not_found":
            allowed |= rule.methods or set()
    if allowed:
        raise MethodNotAllowed(valid_methods=sorted(allowed))
    abort(404)


class HubApi(Api):  # type: ignore[misc]
    """flask-smorest's Api whose error answers are documented as what they are: problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:  # flask-smorest's own, with the problem media type
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Any other error, as problem details.", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_MEDIA_TYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


# Answers any operation can give, whatever it declares itself: no login (401), a role that may not (403),
# a parameter or body refused (422, a NUL character included).
COMMON_PROBLEMS = (401, 403, 422)


def _declare_common_problems(api: Api) -> None:
    for item in api.spec._paths.values():  # apispec keeps no public view of the paths once added
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            for code in COMMON_PROBLEMS:
                responses.setdefault(str(code), {
                    "description": PROBLEM_DESCRIPTIONS[code],
                    "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}})


def init_api(server: Flask, settings: Settings) -> Api:
    server.config.update(
        API_TITLE="Standing Capacities Hub API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer",
                                   "description": "A personal access token: `hub tokens create --user NAME`."},
                    "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "hub_session"},
                }
            },
            "security": [{"bearerAuth": []}, {"cookieAuth": []}],
        },
    )
    init_input_guard(server)
    api = HubApi(server)
    api.register_converter(RecordKeyConverter, key_param_schema)
    api.register_field(Money, "string", "decimal")
    from dashboard.api import routes

    routes.register(api, settings)
    _declare_common_problems(api)
    # Dash's pages own a catch-all "/<path:path>": without this rule an unknown API path would get the HTML
    # page with status 200. Werkzeug prefers every more specific API rule over it.
    server.add_url_rule(f"{API_PREFIX}/<path:rest>", "api_not_found", _not_found,
                        methods=["GET", "POST", "PUT", "PATCH", "DELETE"])

    @server.errorhandler(HubError)
    def _hub_error(error: HubError):  # type: ignore[no-untyped-def]
        from dashboard.api import records

        # A record's problems, a stale edit and a missing version have their own bodies (dashboard/api/records.py);
        # on a page these never reach here (the callbacks catch them).
        if isinstance(error, StaleEdit):
            return records.stale_response(error)
        if isinstance(error, VersionRequired):
            return records.version_required_response(error)
        if isinstance(error, Problems):
            return records.problems_response(error)
        return problem(error.status, error.title, str(error))

    @server.errorhandler(HTTPException)
    def _http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        from dashboard.api.schemas import validation_detail

        # OGC too: a path no rule takes (an id past the database's integer) never reaches the OGC blueprint.
        if request.path.startswith((API_PREFIX, "/ogc")):
            messages = getattr(error, "data", {}).get("messages") if hasattr(error, "data") else None
            if messages:  # webargs' field messages: name each invalid parameter in the detail too
                from dashboard.api.records import flatten_messages

                return problem(error.code or 500, error.name, validation_detail(messages),
                               errors=flatten_messages(messages))
            answer = problem(error.code or 500, error.name, error.description)
            for name, value in error.get_headers():  # 405's Allow, 401's WWW-Authenticate
                if name.lower() != "content-type":
                    answer.headers[name] = value
            return answer
        return error

    return api
