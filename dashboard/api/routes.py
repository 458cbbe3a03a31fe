"""Registers the API's blueprints (one module a resource)."""

from __future__ import annotations

from flask_smorest import Api

from models.settings import Settings


def register(api: Api, settings: Settings) -> None:
    from dashboard.api import key_figures_api

    api.register_blueprint(key_figures_api.blp, url_prefix="/api/v1/key-figures")
