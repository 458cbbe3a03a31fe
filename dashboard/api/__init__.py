"""The JSON API under /api/v1 (flask-smorest), described by OpenAPI 3 at /api/v1/openapi.json."""

from __future__ import annotations

from typing import NoReturn

from flask import Flask, abort
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from dashboard.api.problems import problem
from models.settings import Settings
from services.errors import HubError

API_PREFIX = "/api/v1"


def _not_found(rest: str) -> NoReturn:
    abort(404)  # the HTTPException handler below answers problem+json


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
    api = Api(server)
    from dashboard.api import routes

    routes.register(api, settings)
    # Dash's pages own a catch-all "/<path:path>": without this rule an unknown API path would get the HTML
    # page with status 200. Werkzeug prefers every more specific API rule over it.
    server.add_url_rule(f"{API_PREFIX}/<path:rest>", "api_not_found", _not_found,
                        methods=["GET", "POST", "PUT", "PATCH", "DELETE"])

    @server.errorhandler(HubError)
    def _hub_error(error: HubError):  # type: ignore[no-untyped-def]
        return problem(error.status, error.title, str(error))

    @server.errorhandler(HTTPException)
    def _http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        from flask import request

        from dashboard.api.schemas import validation_detail

        if request.path.startswith(API_PREFIX):
            messages = getattr(error, "data", {}).get("messages") if hasattr(error, "data") else None
            if messages:  # webargs' field messages: name each invalid parameter in the detail too
                return problem(error.code or 500, error.name, validation_detail(messages), errors=messages)
            return problem(error.code or 500, error.name, error.description)
        return error

    return api
