"""The collections of the OGC API behind one protocol, as pygeoapi's providers and tipg's collections are:
a published layer (its current version) and each of the hub's own spatial tables answer the same questions
(features, feature, extent, tile), so the routes ask a source and never branch on its kind.

Access is checked once, when a source is opened (``feature_source``): a source in hand may be read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import Select, and_, cast, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from models import Layer, LayerFeature, LayerVersion
from models.enums import LayerStatus
from models.settings import TILE_MAX_FEATURES
from services.access import Permission, Principal
from services.catalog import GEOJSON_DECIMALS, BBox, Paging
from services.errors import Forbidden, NotFound
from services.layers.access import published_layer_for, visible_clause
from services.layers.extents import extent_of, layer_extent, version_id
from services.layers.geojson import feature_collection, props_object
from services.layers.hub_tables import HUB_TABLES, hub_select
from services.layers.intervals import Interval
from services.layers.tiles import version_tile


@dataclass(frozen=True)
class Collection:
    """What the OGC API says about a collection."""

    id: str
    title: str
    description: str
    geometry_type: str
    permission: Permission
    layer_id: int | None = None
    version: int | None = None
    extent: list[float] | None = None
    keywords: list[str] = field(default_factory=list)


@runtime_checkable
class FeatureSource(Protocol):
    """A collection of features this principal may read (access was checked when it was opened)."""

    @property
    def id(self) -> str: ...

    def describe(self) -> Collection:
        """Its title, description, keywords and extent."""
        ...

    def extent(self) -> list[float] | None:
        """[minx, miny, maxx, maxy] in degrees; None when it has no features."""
        ...

    def features(self, bbox: BBox | None = None, interval: Interval | None = None,
                 paging: Paging | None = None) -> dict[str, Any]:
        """One page of its features (by id) as a FeatureCollection; numberMatched counts them all."""
        ...

    def feature(self, fid: int) -> dict[str, Any]:
        """One feature; NotFound when it has none of that id."""
        ...

    def tile(self, z: int, x: int, y: int, max_features: int = TILE_MAX_FEATURES) -> bytes:
        """The vector tile z/x/y (MVT), at most ``max_features`` features; NotFound when the source has no tiles."""
        ...


class LayerSource:
    """A published layer's current version. Its extent is cached by the version's row id (see extents)."""

    def __init__(self, session: Session, layer: Layer, row_id: int | None = None) -> None:
        self._session = session
        self._layer = layer
        self._row_id = row_id
        self.layer_id = layer.id
        self.version = layer.current_version

    @property
    def id(self) -> str:
        return self._layer.slug

    def _version_row_id(self) -> int | None:
        if self._row_id is None:
            self._row_id = version_id(self._session, self.layer_id, self.version)
        return self._row_id

    def describe(self) -> Collection:
        layer = self._layer
        return Collection(layer.slug, layer.title, layer.abstract or "", layer.geometry_type.value,
                          Permission.VIEW_AGGREGATES, layer.id, layer.current_version, self.extent(),
                          list(layer.keywords or []))

    def extent(self) -> list[float] | None:
        return layer_extent(self._session, self.layer_id, self.version, self._version_row_id())

    def _rows(self) -> Select[Any]:
        f = LayerFeature
        return select(f.id.label("id"), f.properties.label("properties"), f.geom.label("geom")).where(
            f.layer_id == self.layer_id, f.version == self.version)

    def features(self, bbox: BBox | None = None, interval: Interval | None = None,
                 paging: Paging | None = None) -> dict[str, Any]:
        """Layers have no time: ``interval`` filters nothing here (the hub's tables have dates)."""
        base = self._rows()
        if bbox is not None:
            base = base.where(func.ST_Intersects(LayerFeature.geom, bbox.envelope()))
        return _page(self._session, base, paging)

    def feature(self, fid: int) -> dict[str, Any]:
        rows = self._rows().where(LayerFeature.id == fid).subquery()
        return _feature(self._session, rows, self.id, fid)

    def tile(self, z: int, x: int, y: int, max_features: int = TILE_MAX_FEATURES) -> bytes:
        return version_tile(self._session, self.layer_id, self.version, self._version_row_id(), z, x, y,
                            name=self.id, max_features=max_features)


class HubTableSource:
    """One of the hub's own tables (missions, sites, deployments). Its extent is computed on every call:
    these tables change with every edit, and they are small."""

    def __init__(self, session: Session, cid: str) -> None:
        self._session = session
        self._cid = cid
        self.title, self.description, self.geometry_type, self.permission = HUB_TABLES[cid]

    @property
    def id(self) -> str:
        return self._cid

    def describe(self) -> Collection:
        return Collection(self._cid, self.title, self.description, self.geometry_type, self.permission,
                          extent=self.extent())

    def extent(self) -> list[float] | None:
        return extent_of(self._session, hub_select(self._cid)[0].subquery().c.geom)

    def _rows(self, stmt: Select[Any]) -> Select[Any]:
        """(id, properties as one JSON object, geom) of a hub table's select."""
        sub = stmt.subquery()
        props = [c for c in sub.c if c.name not in ("id", "geom")]
        return select(sub.c.id, props_object(props).label("properties"), sub.c.geom)

    def features(self, bbox: BBox | None = None, interval: Interval | None = None,
                 paging: Paging | None = None) -> dict[str, Any]:
        stmt, _, geom, start, end = hub_select(self._cid)
        if bbox is not None:
            stmt = stmt.where(func.ST_Intersects(geom, bbox.envelope()))
        if interval is not None:
            if interval.end is not None:
                stmt = stmt.where(or_(start.is_(None), start <= interval.end))
            if interval.start is not None:
                stmt = stmt.where(or_(end.is_(None), end >= interval.start))
        return _page(self._session, self._rows(stmt), paging)

    def feature(self, fid: int) -> dict[str, Any]:
        stmt, id_col, _, _, _ = hub_select(self._cid)
        return _feature(self._session, self._rows(stmt.where(id_col == fid)).subquery(), self._cid, fid)

    def tile(self, z: int, x: int, y: int, max_features: int = TILE_MAX_FEATURES) -> bytes:
        raise NotFound(f"Collection {self._cid!r} has no vector tiles; read its items instead.")


def _page(session: Session, base: Select[Any], paging: Paging | None) -> dict[str, Any]:
    """One page of rows (id, properties, geom), by id, as a FeatureCollection with numberMatched."""
    paging = paging or Paging()
    counted = base.subquery()
    total = session.scalar(select(func.count()).select_from(counted)) or 0
    sliced = (select(counted.c.id, counted.c.geom, counted.c.properties).order_by(counted.c.id)
              .limit(paging.limit).offset(paging.offset).subquery())
    # Numbered within the page, so that feature_collection's "first `limit` rows" is this page.
    page = (select(sliced.c.id, cast(func.ST_AsGeoJSON(sliced.c.geom, GEOJSON_DECIMALS), JSONB).label("geometry"),
                   sliced.c.properties, func.row_number().over(order_by=sliced.c.id).label("_seq"))
            .subquery())
    result = feature_collection(session, page, paging.limit)
    result.pop("truncated")
    result["numberMatched"] = total
    return result


def _feature(session: Session, rows: Any, cid: str, fid: int) -> dict[str, Any]:
    row = session.execute(select(rows.c.id, cast(func.ST_AsGeoJSON(rows.c.geom, GEOJSON_DECIMALS), JSONB),
                                 rows.c.properties)).one_or_none()
    if row is None:
        raise NotFound(f"Collection {cid!r} has no feature {fid}.")
    return {"type": "Feature", "id": row[0], "geometry": row[1], "properties": row[2]}


# --- opening sources: where access is checked --------------------------------------------------------
def feature_source(session: Session, principal: Principal, cid: str) -> FeatureSource:
    """The collection ``cid`` for this principal: Forbidden outside its role, NotFound unless it is one of
    the hub's tables or a published layer it may see."""
    if cid in HUB_TABLES:
        if not principal.can(HUB_TABLES[cid][3]):
            raise Forbidden(f"Your role ({principal.role.value}) may not read {cid}.")
        return HubTableSource(session, cid)
    return LayerSource(session, published_layer_for(session, principal, cid))


def feature_sources(session: Session, principal: Principal) -> list[FeatureSource]:
    """Published layers this principal may see (by title), then the hub's tables its role may read."""
    rows = session.execute(
        select(Layer, LayerVersion.id)
        .outerjoin(LayerVersion, and_(LayerVersion.layer_id == Layer.id,
                                      LayerVersion.version == Layer.current_version))
        .where(Layer.status == LayerStatus.PUBLISHED, visible_clause(principal))
        .order_by(Layer.title)
    ).all()
    found: list[FeatureSource] = [LayerSource(session, layer, row_id) for layer, row_id in rows]
    found += [HubTableSource(session, cid) for cid, (_, _, _, perm) in HUB_TABLES.items() if principal.can(perm)]
    return found


# --- the same, one call each (the command line, the tests and older callers) --------------------------
def collections(session: Session, principal: Principal) -> list[Collection]:
    return [source.describe() for source in feature_sources(session, principal)]


def collection(session: Session, principal: Principal, cid: str) -> Collection:
    return feature_source(session, principal, cid).describe()


def items(session: Session, principal: Principal, cid: str, bbox: BBox | None = None,
          interval: Interval | None = None, paging: Paging | None = None) -> dict[str, Any]:
    """One page of a collection's features; numberMatched counts them all. Layers have no time, so
    ``datetime`` filters only the hub's tables (by their start and end dates)."""
    return feature_source(session, principal, cid).features(bbox, interval, paging)


def item(session: Session, principal: Principal, cid: str, fid: int) -> dict[str, Any]:
    return feature_source(session, principal, cid).feature(fid)


def tile(session: Session, principal: Principal, cid: str, z: int, x: int, y: int,
         max_features: int = TILE_MAX_FEATURES) -> bytes:
    """A published layer's vector tile (MVT) for this principal; the access rules of the other reads apply."""
    return feature_source(session, principal, cid).tile(z, x, y, max_features)
