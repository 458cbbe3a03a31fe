"""Registers the API's blueprints (one module a resource)."""

from __future__ import annotations

from flask_smorest import Api

from models.settings import Settings

API_V1 = "/api/v1"


def register(api: Api, settings: Settings) -> None:
    from dashboard.api import (
        analytics_api,
        briefing_api,
        countries_api,
        deployments_api,
        experts_api,
        funding_api,
        key_figures_api,
        knowledge_api,
        me_api,
        missions_api,
        projects_api,
        quality_api,
        sites_api,
        surge_api,
    )

    api.register_blueprint(key_figures_api.blp, url_prefix=f"{API_V1}/key-figures")
    api.register_blueprint(analytics_api.blp, url_prefix=f"{API_V1}/analytics")
    api.register_blueprint(missions_api.blp, url_prefix=f"{API_V1}/missions")
    api.register_blueprint(countries_api.blp, url_prefix=f"{API_V1}/countries")
    api.register_blueprint(sites_api.blp, url_prefix=f"{API_V1}/sites")
    api.register_blueprint(experts_api.blp, url_prefix=f"{API_V1}/experts")
    api.register_blueprint(deployments_api.blp, url_prefix=f"{API_V1}/deployments")
    api.register_blueprint(surge_api.blp, url_prefix=f"{API_V1}/surge-requests")
    api.register_blueprint(projects_api.blp, url_prefix=f"{API_V1}/projects")
    api.register_blueprint(briefing_api.blp, url_prefix=f"{API_V1}/briefing")
    api.register_blueprint(quality_api.blp, url_prefix=f"{API_V1}/quality")
    api.register_blueprint(knowledge_api.blp, url_prefix=API_V1)
    api.register_blueprint(funding_api.blp, url_prefix=f"{API_V1}/funding")
    api.register_blueprint(me_api.blp, url_prefix=f"{API_V1}/me")
