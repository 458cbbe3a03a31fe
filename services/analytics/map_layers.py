"""The operations map's layers as GeoJSON built by PostGIS (json_build_object / json_agg), one row each.

Deployments are aggregated to their places (a site, else the mission's HQ): the map shows how many experts
are where, not one marker a person. Past a feature cap the places are aggregated again on a grid sized to
the zoom, so the payload stays small whatever the data. Names reach the map only for roles that may see
them (``with_names``); the caller decides with the role table.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ARRAY,
    JSON,
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    SQLColumnExpression,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from models import Capacity, Country, Deployment, Expert, Mission, Project, Site, mission_host_country, project_site
from services.analytics.filters import MapFilter
from services.analytics.scope import day_range, deployments_in_scope, period_of, place, project_conditions
from services.catalog import BBox
from services.reference_data import localized_column

# Above this many places in view, places merge into grid cells.
PLACE_CAP = 1500
NAMES_PER_PLACE = 12
COORD_DECIMALS = 5  # about a metre: plenty for a point on a web map
BASEMAP_DECIMALS = 3  # Natural Earth 1:110m has no detail finer than this


def _geojson(geom: SQLColumnExpression[Any], decimals: int = COORD_DECIMALS) -> ColumnElement[Any]:
    return cast(func.ST_AsGeoJSON(geom, decimals), JSON)


def _collection(features: ColumnElement[Any],
                order: SQLColumnExpression[Any] | tuple[SQLColumnExpression[Any], ...] | None = None
                ) -> ColumnElement[Any]:
    orders = order if isinstance(order, tuple) else (order,)
    agg = func.json_agg(aggregate_order_by(features, *orders)) if order is not None else func.json_agg(features)
    return func.json_build_object(
        "type", "FeatureCollection", "features", func.coalesce(agg, literal_column("'[]'::json")))


def _as_collection(value: Any) -> dict[str, Any]:
    """The FeatureCollection a query read. json_build_object is untyped in SQLAlchemy, so this narrows it; an
    aggregate without GROUP BY always yields one row, so anything but a dict is a bug worth failing on."""
    if not isinstance(value, dict):
        raise TypeError(f"expected a GeoJSON FeatureCollection, got {type(value).__name__}")
    return value


def grid_cell_degrees(zoom: int) -> float:
    """A grid cell of about 40 screen pixels at this zoom (256-pixel tiles)."""
    return 360.0 / (2.0 ** max(0, min(zoom, 20))) / 256 * 40


def deployment_places(session: Session, filt: MapFilter, *, view: BBox | None = None, zoom: int = 3,
                      with_names: bool = False, cap: int = PLACE_CAP) -> dict[str, Any]:
    """Experts in scope deployed on the map's day, by place, as a FeatureCollection of points.

    Each feature: n (experts), by_capacity, missions, place (site name or "HQ"), hq (the mission's acronym when
    every deployment there is at that one mission's HQ: a click on it filters by the mission), and names when
    allowed.
    ``clustered`` is true on the collection when places were merged into grid cells.
    """
    rows = _places_rows(filt, view)
    codes = capacity_codes_in_order(session)
    # One statement in the usual case: the places with their count; only past the cap a second one on the grid.
    collection, places = session.execute(_places_select(rows, codes, with_names)).one()
    return placed(session, filt, (collection, places), view=view, zoom=zoom, codes=codes, cap=cap)


def capacity_codes_in_order(session: Session) -> list[str]:
    """Every capacity's code, as the places' by_capacity lists them."""
    return list(session.scalars(select(Capacity.code).order_by(Capacity.code)))


def _places_rows(filt: MapFilter, view: BBox | None) -> Any:
    """The deployments in scope on the map's day, with their place, inside the viewport."""
    at = place().label("geom")
    base = deployments_in_scope(
        filt, at, Capacity.code.label("capacity"), Mission.acronym.label("mission"),
        func.coalesce(Site.name, Mission.acronym + " HQ").label("place_name"),
        Deployment.expert_id, Deployment.site_id, (Expert.given_name + " " + Expert.family_name).label("name"),
        Deployment.role,
        when="day", lookups=False,
    )
    if view is not None:
        base = base.where(func.ST_Intersects(place(), view.envelope()))
    return base.subquery("d")


def placed(session: Session, filt: MapFilter, found: tuple[Any, int | None], *, view: BBox | None, zoom: int,
           codes: list[str], cap: int = PLACE_CAP) -> dict[str, Any]:
    """The places' collection from ``found`` (the collection and the number of places, from PostgreSQL or the
    columnar copy), merged on a grid by PostGIS (a second statement) when there are more than ``cap``."""
    collection, places = found
    clustered = bool(places and places > cap)
    if clustered:
        rows = _places_rows(filt, view)
        collection, _ = session.execute(_places_select(rows, codes, False, grid_cell_degrees(zoom))).one()
    shown = _as_collection(collection)
    shown["clustered"] = clustered
    shown["day"] = filt.day.isoformat()
    return shown


def _places_select(rows: Any, codes: list[str], with_names: bool, cell: float | None = None,
                   ) -> Select[*tuple[Any, ...]]:
    """SELECT (FeatureCollection, number of features) of the rows grouped by place, or by grid cell of ``cell``
    degrees (at the centroid of the cell's places)."""
    by_capacity: list[Any] = []
    for code in codes:
        by_capacity += [code, func.count(func.distinct(rows.c.expert_id)).filter(rows.c.capacity == code)]
    key = rows.c.geom if cell is None else func.ST_SnapToGrid(rows.c.geom, cell)
    grouped = select(
        key.label("k"),
        # A place's point is the key itself: the centroid of n equal points can be an ulp off, which moves the
        # coordinate's last printed digit now and then.
        (key if cell is None else func.ST_Centroid(func.ST_Collect(rows.c.geom))).label("geom"),
        func.count(func.distinct(rows.c.expert_id)).label("n"),
        func.json_build_object(*by_capacity).label("by_capacity"),
        func.array_agg(aggregate_order_by(func.distinct(rows.c.mission), rows.c.mission)).label("missions"),
        func.min(rows.c.place_name).label("place_name"),
        func.count(func.distinct(rows.c.place_name)).label("places"),
        case((and_(func.count(rows.c.site_id) == 0, func.count(func.distinct(rows.c.mission)) == 1),
              func.min(rows.c.mission)), else_=None).label("hq"),
    ).group_by(key)
    if with_names:
        person = rows.c.name + " (" + rows.c.capacity + ", " + rows.c.role + ")"
        grouped = grouped.add_columns(
            func.array_agg(aggregate_order_by(func.distinct(person), person)).label("names"))
    g = grouped.subquery("g")
    properties: list[Any] = [
        "n", g.c.n, "by_capacity", g.c.by_capacity, "missions", g.c.missions,
        "place", case((g.c.places > 1, None), else_=g.c.place_name), "places", g.c.places, "hq", g.c.hq,
    ]
    if with_names:
        properties += ["names", func.array_to_json(g.c.names[1:NAMES_PER_PLACE]),
                       "more_names", func.greatest(func.cardinality(g.c.names) - NAMES_PER_PLACE, 0)]
    feature = func.json_build_object(
        "type", "Feature", "geometry", _geojson(g.c.geom),
        "properties", func.json_build_object(*properties),
    )
    # The ties in a stable order (west to east, south to north): the columnar copy writes the same.
    return select(_collection(feature, (g.c.n.desc(), func.ST_X(g.c.geom), func.ST_Y(g.c.geom))), func.count())


def _running(start: SQLColumnExpression[Any], end: SQLColumnExpression[Any], filt: MapFilter) -> ColumnElement[bool]:
    return day_range(func.coalesce(start, literal(date.min)), func.coalesce(end, literal(date.max))).op("&&")(
        period_of(filt))


def mission_points(session: Session, filt: MapFilter, locale: str = "en",
                   deployed: Mapping[int, int] | None = None) -> dict[str, Any]:
    """HQs of the missions running in the period, with the experts in scope deployed there on the day
    (``deployed``: those counts by mission id, if known)."""
    return _as_collection(session.scalar(_mission_points(filt, locale, deployed)))


def _mission_points(filt: MapFilter, locale: str, deployed: Mapping[int, int] | None = None) -> Select[Any]:
    """``deployed``: the counts by mission if known (the columnar copy's), else counted here."""
    if deployed is not None:
        counts = select(func.unnest(literal(list(deployed), ARRAY(Integer))).label("mission_id"),
                        func.unnest(literal(list(deployed.values()), ARRAY(BigInteger))).label("n")
                        ).subquery("deployed")
    else:
        # One grouped pass over the day's deployments, joined to the missions (not a subquery per mission).
        counts = (
            deployments_in_scope(filt.with_changes(mission=()), Deployment.mission_id.label("mission_id"),
                                 func.count(func.distinct(Deployment.expert_id)).label("n"), when="day",
                                 lean=True)
            .group_by(Deployment.mission_id)
            .subquery("deployed")
        )
    how_many = func.coalesce(counts.c.n, 0)
    selected = Mission.acronym.in_(filt.mission) if filt.mission else literal(False)
    feature = func.json_build_object(
        "type", "Feature", "id", Mission.acronym,
        "geometry", _geojson(Mission.hq),
        "properties", func.json_build_object(
            "acronym", Mission.acronym, "name", localized_column(Mission, locale), "type", Mission.mission_type,
            "hq_city", Mission.hq_city, "active", Mission.active, "deployed", how_many, "selected", selected),
    )
    return select(_collection(feature, Mission.acronym)).outerjoin(counts, counts.c.mission_id == Mission.id).where(
        Mission.hq.is_not(None), or_(_running(Mission.start_date, Mission.end_date, filt), selected))


def mission_areas(session: Session, filt: MapFilter, locale: str = "en") -> dict[str, Any]:
    """Host countries of the missions running in the period, each with its missions' acronyms.

    Missions carry no drawn area of operations yet; their host countries stand in for it.
    """
    return _as_collection(session.scalar(_mission_areas(filt, locale)))


def _mission_areas(filt: MapFilter, locale: str) -> Select[Any]:
    mhc = mission_host_country.c
    hosts = (
        select(mhc.country_iso3.label("iso3"),
               func.array_agg(aggregate_order_by(Mission.acronym, Mission.acronym)).label("missions"))
        .join(Mission, Mission.id == mhc.mission_id)
        .where(_running(Mission.start_date, Mission.end_date, filt), Mission.mission_type.is_not(None))
        .group_by(mhc.country_iso3)
        .subquery("h")
    )
    selected = (hosts.c.missions.op("&&")(cast(list(filt.mission), hosts.c.missions.type))
                if filt.mission else literal(False))
    feature = func.json_build_object(
        "type", "Feature", "id", Country.iso3,
        "geometry", _geojson(Country.boundary, BASEMAP_DECIMALS),
        "properties", func.json_build_object("iso3", Country.iso3, "name", localized_column(Country, locale),
                                             "missions", hosts.c.missions, "selected", selected),
    )
    return (select(_collection(feature, Country.iso3)).join(hosts, hosts.c.iso3 == Country.iso3)
            .where(Country.boundary.is_not(None)))


def project_sites(session: Session, filt: MapFilter) -> dict[str, Any]:
    """Sites of the projects in scope, each with its projects."""
    return _as_collection(session.scalar(_project_sites(filt)))


def _project_sites(filt: MapFilter) -> Select[Any]:
    psc = project_site.c
    projects = (
        select(psc.site_id.label("site_id"),
               func.json_agg(aggregate_order_by(
                   func.json_build_object("code", Project.code, "name", Project.name,
                                          "gender_marker", Project.gender_marker, "status", Project.status),
                   Project.code)).label("projects"))
        .join(Project, Project.id == psc.project_id)
        .where(*project_conditions(filt))
        .group_by(psc.site_id)
        .subquery("p")
    )
    feature = func.json_build_object(
        "type", "Feature", "id", Site.id,
        "geometry", _geojson(Site.location),
        "properties", func.json_build_object("name", Site.name, "kind", Site.kind, "country", Site.country_iso3,
                                             "projects", projects.c.projects),
    )
    return select(_collection(feature, Site.id)).join(projects, projects.c.site_id == Site.id)


@dataclass(frozen=True)
class Layers:
    places: dict[str, Any]
    missions: dict[str, Any]
    areas: dict[str, Any]
    sites: dict[str, Any]


def layers(session: Session, filt: MapFilter, *, view: BBox | None, zoom: int, with_names: bool, locale: str,
           codes: list[str] | None = None, deployed: Mapping[int, int] | None = None,
           places: tuple[dict[str, Any], int] | None = None) -> Layers:
    """deployment_places, mission_points, mission_areas and project_sites in one statement (a second one only past
    the places' cap): each is a round trip of its own otherwise. ``codes``: capacity_codes_in_order() if known;
    ``deployed``: the mission points' counts if known (the columnar copy's: a second scan of the day's deployments
    less in PostgreSQL); ``places``: the day's places and their number if known (the columnar copy's)."""
    codes = capacity_codes_in_order(session) if codes is None else codes
    others = (_mission_points(filt, locale, deployed).scalar_subquery(),
              cast(_mission_areas(filt, locale).scalar_subquery(), Text), _project_sites(filt).scalar_subquery())
    if places is None:
        rows = _places_rows(filt, view)
        grouped = _places_select(rows, codes, with_names).subquery("places")
        found = session.execute(select(grouped.c[0], grouped.c[1], *others)).one()
        places, (points, areas, sites) = (found[0], found[1]), found[2:]
    else:
        points, areas, sites = session.execute(select(*others)).one()
    return Layers(placed(session, filt, places, view=view, zoom=zoom, codes=codes), _as_collection(points),
                  _as_collection(_areas_from_text(areas)), _as_collection(sites))


# The host countries' boundaries change with the period's missions and the mission filter only, so most filter
# changes read the same text; parsing its thousands of coordinates cost about 6 ms a request (bench_map_columnar's
# slowest combinations), more than PostgreSQL took to build it. The parsed collections are shared between requests:
# nothing mutates a layer once built (Dash and the answer cache only serialize it).
_areas_from_text = functools.lru_cache(maxsize=16)(json.loads)


def basemap(session: Session) -> dict[str, Any]:
    """Every country's boundary (Natural Earth 1:110m): the offline base map."""
    feature = func.json_build_object(
        "type", "Feature", "id", Country.iso3,
        "geometry", _geojson(Country.boundary, BASEMAP_DECIMALS),
        "properties", func.json_build_object("iso3", Country.iso3, "name", Country.name, "region", Country.region),
    )
    return _as_collection(session.scalar(
        select(_collection(feature, Country.iso3)).where(Country.boundary.is_not(None))))


__all__ = ["Layers", "basemap", "capacity_codes_in_order", "deployment_places", "layers", "mission_areas",
           "mission_points", "placed", "project_sites"]
