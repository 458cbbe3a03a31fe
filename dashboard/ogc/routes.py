"""The OGC API - Features routes: landing page, conformance, collections, items (bbox, datetime, limit,
offset, next links), one item, and vector tiles of layers. Thin: parse, one session, a service, JSON out.
Every collection is a ``FeatureSource`` (services/layers/sources.py): the routes open one, which checks
access, and ask it; they never branch on whether it is a layer or one of the hub's tables.

Login is enforced by the request guard (session or 'Authorization: Bearer <token>'); errors are
application/problem+json.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request, url_for
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from dashboard.api.input_guard import INT_MAX
from dashboard.api.problems import problem
from dashboard.context import db_session, hub, request_origin
from dashboard.i18n import _
from services import audit
from services.catalog import BBox, Paging
from services.errors import HubError, ValidationError
from services.layers.intervals import Interval
from services.layers.sources import Collection, feature_source, feature_sources

OGC_PREFIX = "/ogc"
DEFAULT_LIMIT = 100
bp = Blueprint("ogc", __name__, url_prefix=OGC_PREFIX)

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]
JSON = "application/json"
GEOJSON = "application/geo+json"


def _json(body: dict[str, Any], media: str = JSON) -> Response:
    response = jsonify(body)
    response.mimetype = media
    return response


def _link(endpoint: str, rel: str, media: str, title: str, **values: Any) -> dict[str, str]:
    return {"href": url_for(endpoint, _external=True, **values), "rel": rel, "type": media, "title": title}


@bp.route("", strict_slashes=False)
def landing() -> Response:
    return _json({
        "title": _("Standing Capacities Hub"),
        "description": _("The hub's published GIS layers and spatial tables (OGC API - Features)."),
        "links": [
            _link("ogc.landing", "self", JSON, _("This document")),
            _link("ogc.conformance", "conformance", JSON, _("Conformance classes")),
            _link("ogc.collections_", "data", JSON, _("Collections")),
        ],
    })


@bp.route("/conformance")
def conformance() -> Response:
    return _json({"conformsTo": CONFORMANCE})


def _collection_doc(coll: Collection) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": coll.id, "title": coll.title, "description": coll.description, "itemType": "feature",
        "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        "links": [
            _link("ogc.collection_", "self", JSON, coll.title, cid=coll.id),
            _link("ogc.items_", "items", GEOJSON, _("Features"), cid=coll.id),
        ],
    }
    if coll.keywords:
        doc["keywords"] = coll.keywords
    if coll.extent:
        doc["extent"] = {"spatial": {"bbox": [coll.extent],
                                     "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}}
    return doc


@bp.route("/collections")
def collections_() -> Response:
    with db_session() as s:
        found = [source.describe() for source in feature_sources(s, current_user.principal)]
    return _json({"links": [_link("ogc.collections_", "self", JSON, _("Collections"))],
                  "collections": [_collection_doc(c) for c in found]})


@bp.route("/collections/<cid>")
def collection_(cid: str) -> Response:
    with db_session() as s:
        coll = feature_source(s, current_user.principal, cid).describe()
    return _json(_collection_doc(coll))


def _int_arg(name: str, default: int, low: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(_("%(name)s must be a whole number (got %(value)s).", name=name, value=raw[:40])) \
            from None
    if value < low:
        raise ValidationError(_("%(name)s must be at least %(low)d.", name=name, low=low))
    if value > INT_MAX:  # past PostgreSQL's integer no row can be reached; refused before the query
        raise ValidationError(_("%(name)s must be at most %(high)d.", name=name, high=INT_MAX))
    return value


@bp.route("/collections/<cid>/items")
def items_(cid: str) -> Response:
    limit = min(_int_arg("limit", DEFAULT_LIMIT, 1), hub().settings.api_max_page_size)
    offset = _int_arg("offset", 0, 0)
    bbox = BBox.parse(request.args["bbox"]) if request.args.get("bbox") else None
    interval = Interval.parse(request.args["datetime"]) if request.args.get("datetime") else None
    with db_session() as s:
        result = feature_source(s, current_user.principal, cid).features(bbox, interval, Paging(limit, offset))
        if offset == 0:  # one audit line a read, not one a page
            audit.record(s, "ogc_read", principal=current_user.principal, entity="collection", entity_id=cid,
                         origin=request_origin())
    args = {k: v for k, v in request.args.items() if k not in ("offset", "limit")}
    links = [_link("ogc.items_", "self", GEOJSON, _("This page"), cid=cid, limit=limit, offset=offset, **args),
             _link("ogc.collection_", "collection", JSON, _("The collection"), cid=cid)]
    if offset + result["numberReturned"] < result["numberMatched"]:
        links.append(_link("ogc.items_", "next", GEOJSON, _("Next page"), cid=cid, limit=limit,
                           offset=offset + limit, **args))
    if offset > 0:
        links.append(_link("ogc.items_", "prev", GEOJSON, _("Previous page"), cid=cid, limit=limit,
                           offset=max(0, offset - limit), **args))
    result["links"] = links
    result["timeStamp"] = _now()
    return _json(result, GEOJSON)


@bp.route("/collections/<cid>/items/<int:fid>")
def item_(cid: str, fid: int) -> Response:
    with db_session() as s:
        feature = feature_source(s, current_user.principal, cid).feature(fid)
    feature["links"] = [_link("ogc.item_", "self", GEOJSON, _("This feature"), cid=cid, fid=fid),
                        _link("ogc.collection_", "collection", JSON, _("The collection"), cid=cid)]
    return _json(feature, GEOJSON)


@bp.route("/collections/<cid>/tiles/WebMercatorQuad/<int:z>/<int:y>/<int:x>")
def tile_(cid: str, z: int, y: int, x: int) -> Response:
    """Mapbox vector tiles of a published layer (OGC API - Tiles' path layout: zoom/row/column)."""
    with db_session() as s:
        data = feature_source(s, current_user.principal, cid).tile(z, x, y, hub().settings.tile_max_features)
    response = Response(data, mimetype="application/vnd.mapbox-vector-tile")
    response.headers["Cache-Control"] = "private, max-age=60"
    return response


@bp.route("/<path:rest>")
def not_found(rest: str) -> Response:
    return problem(404, _("Not found"), _("No such OGC API resource. Start at %(url)s.",
                                          url=url_for("ogc.landing", _external=True)))


@bp.errorhandler(HubError)
def _hub_error(error: HubError) -> Response:
    return problem(error.status, error.title, str(error))


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    return problem(error.code or 500, error.name, error.description)


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def init_ogc(server: Flask) -> None:
    server.register_blueprint(bp)
