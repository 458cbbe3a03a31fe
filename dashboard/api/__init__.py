"""The JSON API under /api/v1 (flask-smorest), described by OpenAPI 3 at /api/v1/openapi.json."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from dashboard.api.problems import problem
from models.settings import Settings
from services.errors import HubError

API_PREFIX = "/api/v1"


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

    @server.errorhandler(HubError)
    def _hub_error(error: HubError):  # type: ignore[no-untyped-def]
        return problem(error.status, error.title, str(error))

    @server.errorhandler(HTTPException)
    def _http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        from flask import request

        if request.path.startswith(API_PREFIX):
            messages = getattr(error, "data", {}).get("messages") if hasattr(error, "data") else None
            return problem(error.code or 500, error.name, error.description, errors=messages) if messages else \
                problem(error.code or 500, error.name, error.description)
        return error

    return api
