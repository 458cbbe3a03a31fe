"""The places catalogue: missions, countries and sites, read for lists, detail pages and maps.

Geometry leaves the database as GeoJSON built by PostGIS (ST_AsGeoJSON inside json_build_object /
json_agg), so a FeatureCollection is one JSON value read from one row, never rows turned into shapes
in Python. Also home of the small value types every list query shares (paging, bounding box).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    JSON,
    ColumnElement,
    Select,
    SQLColumnExpression,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from models import Country, Mission, Site, mission_host_country
from models.enums import MissionType, SiteKind
from services.errors import NotFound, ValidationError

T = TypeVar("T")

# Six decimals of a degree is about 10 cm: more only inflates the payload.
GEOJSON_DECIMALS = 6
EMPTY_JSON_ARRAY: ColumnElement[Any] = literal_column("'[]'::json")
DEFAULT_PAGE_SIZE = 100


# --- shared value types -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Paging:
    """Which slice of a list to return. The caller caps ``limit`` (settings.api_max_page_size)."""

    limit: int = DEFAULT_PAGE_SIZE
    offset: int = 0

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValidationError(f"limit must be at least 1 (got {self.limit}).")
        if self.offset < 0:
            raise ValidationError(f"offset must be 0 or more (got {self.offset}).")

    def capped(self, max_page_size: int) -> Paging:
        return Paging(min(self.limit, max_page_size), self.offset)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class BBox:
    """A longitude/latitude box in EPSG:4326, as OGC API and most web maps send it."""

    minx: float
    miny: float
    maxx: float
    maxy: float

    def __post_init__(self) -> None:
        values = (self.minx, self.miny, self.maxx, self.maxy)
        if not all(math.isfinite(v) for v in values):
            raise ValidationError("bbox values must be finite numbers.")
        if not (-180 <= self.minx <= 180 and -180 <= self.maxx <= 180):
            raise ValidationError("bbox longitudes (minx, maxx) must be between -180 and 180.")
        if not (-90 <= self.miny <= 90 and -90 <= self.maxy <= 90):
            raise ValidationError("bbox latitudes (miny, maxy) must be between -90 and 90.")
        # A box across the antimeridian (minx > maxx) is not supported: send two boxes instead.
        if self.minx >= self.maxx or self.miny >= self.maxy:
            raise ValidationError("bbox must have minx < maxx and miny < maxy.")

    @classmethod
    def parse(cls, text: str) -> BBox:
        """``"minx,miny,maxx,maxy"`` in degrees; raises ValidationError saying what is expected."""
        parts = [p.strip() for p in text.split(",")]
        if len(parts) != 4:
            raise ValidationError(
                f"bbox must be four comma-separated numbers minx,miny,maxx,maxy (got {len(parts)} values)."
            )
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            raise ValidationError("bbox must be four comma-separated numbers minx,miny,maxx,maxy, "
                                  "e.g. 20.5,-5,31,5.") from None
        return cls(*numbers)

    def envelope(self) -> ColumnElement[Any]:
        return func.ST_MakeEnvelope(self.minx, self.miny, self.maxx, self.maxy, 4326)


def geojson(geom: SQLColumnExpression[Any]) -> ColumnElement[Any]:
    """A geometry column as a JSON value (not a string), built by PostGIS."""
    return cast(func.ST_AsGeoJSON(geom, GEOJSON_DECIMALS), JSON)


def json_object(pairs: list[tuple[str, SQLColumnExpression[Any]]]) -> ColumnElement[Any]:
    args: list[Any] = []
    for key, expr in pairs:
        args.extend((literal(key), expr))
    return func.json_build_object(*args)


def feature_collection(
    session: Session, page: Any, id_col: str, geometry_col: str, property_cols: list[str],
    total: int, paging: Paging | None,
) -> dict[str, Any]:
    """Aggregates a subquery of rows (already filtered, ordered and sliced) into a FeatureCollection in SQL.

    ``page`` needs a ``_seq`` column (row_number in the wanted order) so json_agg keeps that order.
    """
    feature = json_object([
        ("type", literal("Feature")),
        ("id", page.c[id_col]),
        ("geometry", page.c[geometry_col]),
        ("properties", json_object([(name, page.c[name]) for name in property_cols])),
    ])
    features = session.scalar(
        select(func.coalesce(func.json_agg(aggregate_order_by(feature, page.c._seq)), EMPTY_JSON_ARRAY))
    )
    collection: dict[str, Any] = {"type": "FeatureCollection", "features": features or []}
    # OGC API - Features names for the counts, so QGIS and friends read them.
    collection["numberMatched"] = total
    collection["numberReturned"] = len(collection["features"])
    if paging is not None:
        collection["limit"] = paging.limit
        collection["offset"] = paging.offset
    return collection


def count_of(session: Session, stmt: Select[*tuple[Any, ...]]) -> int:
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


# --- missions -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MissionFilter:
    active: bool | None = None
    mission_type: MissionType | None = None
    q: str | None = None  # a piece of the acronym or the name, any case
    paging: Paging = field(default_factory=Paging)


def _host_countries_iso3() -> ColumnElement[Any]:
    mhc = mission_host_country.c
    return (
        select(func.coalesce(func.json_agg(aggregate_order_by(Country.code, Country.code)), EMPTY_JSON_ARRAY))
        .select_from(mission_host_country).join(Country, Country.iso3 == mhc.country_iso3)
        .where(mhc.mission_id == Mission.id)
        .scalar_subquery()
    )


def _site_count() -> ColumnElement[Any]:
    return select(func.count(Site.id)).where(Site.mission_id == Mission.id).scalar_subquery()


def _mission_columns() -> list[SQLColumnExpression[Any]]:
    return [
        Mission.acronym, Mission.name, Mission.mission_type.label("type"), Mission.lead_department,
        Mission.hq_city, Mission.start_date, Mission.end_date, Mission.active,
        _host_countries_iso3().label("host_countries"), _site_count().label("site_count"),
    ]


def list_missions(session: Session, filt: MissionFilter) -> Page[dict[str, Any]]:
    stmt = select(*_mission_columns())
    if filt.active is not None:
        stmt = stmt.where(Mission.active.is_(filt.active))
    if filt.mission_type is not None:
        stmt = stmt.where(Mission.mission_type == filt.mission_type)
    if filt.q:
        # autoescape: a user's % or _ is matched literally, not as a wildcard.
        stmt = stmt.where(Mission.acronym.icontains(filt.q, autoescape=True)
                          | Mission.name.icontains(filt.q, autoescape=True))
    total = count_of(session, stmt)
    rows = session.execute(
        stmt.order_by(Mission.acronym).limit(filt.paging.limit).offset(filt.paging.offset)
    ).mappings()
    return Page([_mission_row(r) for r in rows], total, filt.paging.limit, filt.paging.offset)


def _mission_row(row: Any) -> dict[str, Any]:
    data = dict(row)
    data["type"] = MissionType(data["type"]).value
    return data


def find_mission_id(session: Session, acronym: str) -> int:
    """The mission's id for an acronym in any case (an exact match wins); NotFound names what was asked."""
    mission_id = session.scalar(
        select(Mission.id)
        .where(func.upper(Mission.acronym) == acronym.strip().upper())
        .order_by(case((Mission.acronym == acronym, 0), else_=1))
        .limit(1)
    )
    if mission_id is None:
        raise NotFound(f"No mission with acronym {acronym!r}. GET /api/v1/missions lists them.")
    return mission_id


def get_mission(session: Session, acronym: str) -> dict[str, Any]:
    mission_id = find_mission_id(session, acronym)
    row = session.execute(
        select(
            *_mission_columns(),
            Mission.source,
            geojson(Mission.hq).label("hq"),
            # The area can be large; its extent is enough to zoom a map to it.
            geojson(func.ST_Envelope(Mission.area)).label("area_extent"),
        ).where(Mission.id == mission_id)
    ).mappings().one()
    data = _mission_row(row)
    data["host_countries"] = [
        {"iso3": iso3, "name": name}
        for iso3, name in session.execute(
            select(Country.code, Country.name)
            .join(mission_host_country, mission_host_country.c.country_iso3 == Country.iso3)
            .where(mission_host_country.c.mission_id == mission_id)
            .order_by(Country.name)
        )
    ]
    by_kind = {
        SiteKind(kind).value: n
        for kind, n in session.execute(
            select(Site.kind, func.count()).where(Site.mission_id == mission_id).group_by(Site.kind)
        )
    }
    data["sites"] = {"total": sum(by_kind.values()), "by_kind": by_kind}
    return data


# --- countries ----------------------------------------------------------------------------------------
def country_codes(session: Session) -> dict[str, str]:
    """Natural Earth's key -> the ISO 3166-1 alpha-3 code the edges give out (Country.code)."""
    return {key: code for key, code in session.execute(select(Country.iso3, Country.code))}


def _country_where(stmt: Select[*tuple[Any, ...]], region: str | None) -> Select[*tuple[Any, ...]]:
    if region:
        stmt = stmt.where(func.lower(Country.region) == region.strip().lower())
    return stmt


def list_countries(session: Session, region: str | None = None) -> list[dict[str, Any]]:
    # "iso3" at the edge is ISO 3166-1 alpha-3 (Country.code); Natural Earth's key stays inside.
    stmt = _country_where(select(Country.code.label("iso3"), Country.name, Country.name_fr, Country.region), region)
    return [dict(r) for r in session.execute(stmt.order_by(Country.name)).mappings()]


def countries_feature_collection(session: Session, region: str | None = None) -> dict[str, Any]:
    base = _country_where(
        select(
            Country.code.label("iso3"), Country.name, Country.name_fr, Country.region, Country.subregion,
            Country.continent, geojson(Country.boundary).label("geometry"),
            func.row_number().over(order_by=Country.name).label("_seq"),
        ),
        region,
    )
    page = base.subquery()
    total = count_of(session, base)
    return feature_collection(
        session, page, "iso3", "geometry", ["iso3", "name", "name_fr", "region", "subregion", "continent"],
        total, None,
    )


def get_country(session: Session, iso3: str, with_geometry: bool = False) -> dict[str, Any]:
    """By ISO 3166-1 alpha-3 (SSD). Natural Earth's own key (SDS) is a 404 that names the ISO code."""
    code = iso3.strip().upper()
    columns: list[SQLColumnExpression[Any]] = [
        Country.code.label("iso3"), Country.iso3.label("key"), Country.name, Country.name_fr, Country.region,
        Country.subregion, Country.continent,
        geojson(func.ST_Envelope(Country.boundary)).label("extent"),
    ]
    if with_geometry:
        columns.append(geojson(Country.boundary).label("geometry"))
    row = session.execute(select(*columns).where(Country.code == code)).mappings().one_or_none()
    if row is None:
        iso = session.scalar(select(Country.iso_a3).where(Country.iso3 == code, Country.iso_a3.is_not(None)))
        hint = f" {code} is Natural Earth's code; the ISO 3166-1 alpha-3 code is {iso}." if iso else ""
        raise NotFound(f"No country with ISO3 code {iso3!r}.{hint} GET /api/v1/countries lists them.")
    data = dict(row)
    key = data.pop("key")
    data["missions"] = [
        {"acronym": acronym, "name": name, "active": active}
        for acronym, name, active in session.execute(
            select(Mission.acronym, Mission.name, Mission.active)
            .join(mission_host_country, mission_host_country.c.mission_id == Mission.id)
            .where(mission_host_country.c.country_iso3 == key)
            .order_by(Mission.active.desc(), Mission.acronym)
        )
    ]
    return data


# --- sites --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SiteFilter:
    mission: str | None = None  # acronym
    kind: SiteKind | None = None
    bbox: BBox | None = None
    paging: Paging = field(default_factory=lambda: Paging(limit=500))


SITE_PROPERTIES = ["id", "name", "kind", "mission", "country_iso3", "first_year", "last_year", "source"]


def sites_feature_collection(session: Session, filt: SiteFilter) -> dict[str, Any]:
    """One page of sites as a FeatureCollection; numberMatched says how many match in all."""
    stmt = select(
        Site.id, Site.name, Site.kind, Mission.acronym.label("mission"), Country.code.label("country_iso3"),
        Site.first_year, Site.last_year, Site.source,
        geojson(Site.location).label("geometry"),
    ).outerjoin(Mission, Site.mission_id == Mission.id).outerjoin(Country, Country.iso3 == Site.country_iso3)
    if filt.mission:
        stmt = stmt.where(Site.mission_id == find_mission_id(session, filt.mission))
    if filt.kind is not None:
        stmt = stmt.where(Site.kind == filt.kind)
    if filt.bbox is not None:
        stmt = stmt.where(func.ST_Intersects(Site.location, filt.bbox.envelope()))
    total = count_of(session, stmt)
    page = (
        stmt.add_columns(func.row_number().over(order_by=Site.id).label("_seq"))
        .order_by(Site.id).limit(filt.paging.limit).offset(filt.paging.offset)
        .subquery()
    )
    return feature_collection(session, page, "id", "geometry", SITE_PROPERTIES, total, filt.paging)
