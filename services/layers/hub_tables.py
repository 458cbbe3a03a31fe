"""The hub's own spatial tables (missions, sites, deployments), served beside the layers as collections."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from models import Country, Deployment, Mission, Site
from services.access import Permission

# (title, description, geometry type, the permission that reads it) of each.
HUB_TABLES = {
    "missions": ("Peace operations", "UN peace operations and their headquarters (UN Peace and Security Data Hub).",
                 "Point", Permission.VIEW_AGGREGATES),
    "sites": ("Sites", "Team sites, field offices and project sites (Geo-PKO and the hub's own).", "Point",
              Permission.VIEW_AGGREGATES),
    "deployments": ("Deployments", "Deployments of the standing capacities at their site or mission headquarters, "
                    "without personal data.", "Point", Permission.VIEW_OPERATIONS),
}
# A layer may not take these names.
HUB_COLLECTIONS = tuple(HUB_TABLES)


def hub_select(cid: str) -> tuple[Select[*tuple[Any, ...]], Any, Any, Any, Any]:
    """(select of id + properties + geom, id column, geom expression, start date, end date) for a hub table."""
    stmt: Select[*tuple[Any, ...]]
    if cid == "missions":
        stmt = select(Mission.id.label("id"), Mission.acronym, Mission.name, Mission.mission_type.label("type"),
                      Mission.hq_city, Mission.start_date, Mission.end_date, Mission.active,
                      Mission.hq.label("geom")).where(Mission.hq.is_not(None))
        return stmt, Mission.id, Mission.hq, Mission.start_date, Mission.end_date
    if cid == "sites":
        stmt = (select(Site.id.label("id"), Site.name, Site.kind, Mission.acronym.label("mission"),
                       Country.code.label("country_iso3"), Site.first_year, Site.last_year,
                       Site.location.label("geom"))
                .outerjoin(Mission, Mission.id == Site.mission_id)
                .outerjoin(Country, Country.iso3 == Site.country_iso3))  # ISO 3166 out, Natural Earth's key in
        start = func.make_date(Site.first_year, 1, 1)
        end = func.make_date(Site.last_year, 12, 31)
        return stmt, Site.id, Site.location, start, end
    geom = func.coalesce(Site.location, Mission.hq)
    stmt = (select(Deployment.id.label("id"), Mission.acronym.label("mission"), Site.name.label("site"),
                   Deployment.role, Deployment.kind, Deployment.status, Deployment.start_date, Deployment.end_date,
                   geom.label("geom"))
            .join(Mission, Mission.id == Deployment.mission_id).outerjoin(Site, Site.id == Deployment.site_id)
            .where(geom.is_not(None)))
    return stmt, Deployment.id, geom, Deployment.start_date, Deployment.end_date
