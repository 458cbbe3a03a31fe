"""What the operations map's downloads and analytics API hand out: chart tables and deployment rows.

One function a chart, each the same service call the page makes, flattened to rows for a spreadsheet; and
the deployments in scope as rows or as a GeoJSON FeatureCollection built by PostGIS. The role rules live
here, not in the routes: every chart needs VIEW_OPERATIONS, funding VIEW_FUNDING, and an expert's name is
selected only for VIEW_PERSON_NAMES. No row carries an identifier of a person (id, email, staff number).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import ColumnElement, Numeric, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from models import Allocation, Capacity, Country, Deployment, Donor, Expert, Fund, Grant, Mission, Site
from models.settings import EXPORT_MAX_ROWS
from services import audit
from services.access import Permission, Principal
from services.analytics.filters import MapFilter
from services.analytics.funding import funding_summary
from services.analytics.gender import gender_summary
from services.analytics.personnel import availability, by_mission
from services.analytics.scope import deployments_in_scope, place, place_country
from services.audit import RequestOrigin
from services.catalog import geojson
from services.errors import ValidationError
from services.spreadsheet_cells import spreadsheet_safe

CHARTS = ("availability", "missions", "funding", "gender")
# A download is a view's data, not a dump of the database: past this many rows, ask for a narrower filter.


def _plain(value: Any) -> Any:
    """Enums as their value, Decimals as they are (pandas and openpyxl write them as numbers)."""
    return getattr(value, "value", value)


def _require_chart(principal: Principal, chart: str) -> None:
    principal.require(Permission.VIEW_OPERATIONS)
    if chart == "funding":
        principal.require(Permission.VIEW_FUNDING)


def chart_rows(session: Session, principal: Principal, chart: str, filt: MapFilter) -> list[dict[str, Any]]:
    """The data behind one of the map's charts (``CHARTS``) for the filter, one dict a row."""
    if chart not in CHARTS:
        raise ValidationError(f"Unknown chart {chart!r}; choose one of {', '.join(CHARTS)}.")
    _require_chart(principal, chart)
    if chart == "availability":
        return [{k: _plain(v) for k, v in asdict(p).items()} for p in availability(session, filt)]
    if chart == "missions":
        return [asdict(m) for m in by_mission(session, filt)]
    if chart == "funding":
        summary = funding_summary(session, filt)
        return [{"donor": r.donor, "source": _plain(r.source), "committed_usd": r.committed_usd,
                 "spent_usd": r.spent_usd, "burn_rate": r.burn_rate} for r in summary.rows]
    g = gender_summary(session, filt)
    rows: list[dict[str, Any]] = [
        {"measure": "deployments_by_gender_marker", "key": k, "value": v} for k, v in g.by_marker.items()]
    rows += [{"measure": "deployed_experts_by_gender", "key": k, "value": v} for k, v in g.experts_by_gender.items()]
    rows += [{"measure": "women_share", "key": "", "value": g.women_share},
             {"measure": "gender_outputs_planned", "key": "", "value": g.outputs_planned},
             {"measure": "gender_outputs_delivered", "key": "", "value": g.outputs_delivered}]
    return rows


def _deployment_columns(principal: Principal) -> list[ColumnElement[Any]]:
    principal.require(Permission.VIEW_OPERATIONS)
    columns: list[ColumnElement[Any]] = [
        Mission.acronym.label("mission"),
        func.coalesce(Site.name, Mission.acronym + " HQ").label("place"),
        Site.kind.label("site_kind"),
        # ISO 3166-1 alpha-3 leaves the hub; place_country() is Natural Earth's key.
        select(Country.code).where(Country.iso3 == place_country()).scalar_subquery().label("country"),
        Capacity.code.label("capacity"),
        Deployment.role.label("role"),
        Deployment.kind.label("kind"),
        Deployment.status.label("status"),
        Deployment.start_date.label("start_date"),
        Deployment.end_date.label("end_date"),
        Deployment.gender_marker.label("gender_marker"),
        Fund.fund_type.label("funding_source"),
        Donor.name.label("donor"),  # none for the regular budget
    ]
    if principal.can(Permission.VIEW_PERSON_NAMES):
        columns.append((Expert.given_name + " " + Expert.family_name).label("expert_name"))
    return columns


def _deployments_select(principal: Principal, filt: MapFilter, *extra: ColumnElement[Any]) -> Any:
    return (
        deployments_in_scope(filt, *_deployment_columns(principal), *extra)
        .outerjoin(Allocation, Allocation.id == Deployment.allocation_id)
        .outerjoin(Grant, Grant.id == Allocation.grant_id)
        .outerjoin(Fund, Fund.id == Grant.fund_id)
        .outerjoin(Donor, Donor.id == Grant.donor_id)
    )


def _check_size(session: Session, stmt: Any, max_rows: int) -> None:
    n = session.scalar(select(func.count()).select_from(stmt.subquery()))
    if n and n > max_rows:
        raise ValidationError(f"{n:,} deployments match; a download holds at most {max_rows:,}: "
                              "choose a shorter period or fewer places.")


ORDER = (Deployment.start_date, Mission.acronym, Deployment.id)


def deployments_rows(session: Session, principal: Principal, filt: MapFilter,
                     max_rows: int = EXPORT_MAX_ROWS) -> list[dict[str, Any]]:
    """One row per deployment in scope in the period, with its place as longitude/latitude (EPSG:4326)."""
    at = place()
    stmt = _deployments_select(principal, filt, func.round(cast(func.ST_X(at), Numeric), 5).label("longitude"),
                               func.round(cast(func.ST_Y(at), Numeric), 5).label("latitude"))
    _check_size(session, stmt, max_rows)
    out = []
    for row in session.execute(stmt.order_by(*ORDER)).mappings():
        item = {k: _plain(v) for k, v in row.items()}
        item["longitude"] = float(item["longitude"]) if item["longitude"] is not None else None
        item["latitude"] = float(item["latitude"]) if item["latitude"] is not None else None
        out.append(item)
    return out


def deployments_geojson(session: Session, principal: Principal, filt: MapFilter,
                        max_rows: int = EXPORT_MAX_ROWS) -> dict[str, Any]:
    """The same rows as a GeoJSON FeatureCollection of points, built by PostGIS (json_agg)."""
    columns = _deployment_columns(principal)
    stmt = _deployments_select(principal, filt, geojson(place()).label("_geometry"),
                               func.row_number().over(order_by=ORDER).label("_seq"))
    _check_size(session, stmt, max_rows)
    rows = stmt.subquery("d")
    names = [c.name for c in columns]
    props: list[Any] = []
    for name in names:
        props += [name, rows.c[name]]
    feature = func.json_build_object("type", "Feature", "geometry", rows.c._geometry,
                                     "properties", func.json_build_object(*props))
    features = session.scalar(select(func.coalesce(func.json_agg(aggregate_order_by(feature, rows.c._seq)),
                                                   literal_column("'[]'::json"))))
    return {"type": "FeatureCollection", "features": features or []}


def record_export(session: Session, principal: Principal, what: str, fmt: str, filt: MapFilter, rows: int,
                  origin: RequestOrigin | None = None) -> None:
    """The audit event of a download: who (principal), what, which filters, which format, how many rows."""
    audit.record(session, "export", principal=principal, entity="operations_map", entity_id=what,
                 detail={"format": fmt, "filters": filt.to_query(), "rows": rows}, origin=origin)


__all__ = ["CHARTS", "chart_rows", "deployments_geojson", "deployments_rows",
           "record_export", "spreadsheet_safe"]
