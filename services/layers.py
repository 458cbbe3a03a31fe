"""GIS layers: import, lifecycle, versions, styling, visibility, metadata, export, and the OGC collections.

Who sees what: a published layer is seen by the roles in ``visible_to_roles`` (empty: every role but
briefing); the briefing role sees only layers marked ``in_briefings``; roles with MANAGE_LAYERS see every
layer, drafts and archived ones included, to manage them. An unknown or unpublished layer is NotFound to
everyone else; a published one outside the role is Forbidden.

Features are loaded with one COPY into layer_feature (hex EWKB + JSON properties), never row by row, and
each import is one transaction (the caller's): a failure leaves the database as it was. Every version keeps
its own features, so an older one can be viewed or restored.
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely
from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    Text,
    and_,
    any_,
    cast,
    column,
    delete,
    func,
    literal,
    or_,
    select,
    table,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB, array
from sqlalchemy.orm import Session

from geo import layer_files
from models import Country, Deployment, Layer, LayerFeature, LayerVersion, Mission, Site
from models.enums import GeometryType, LayerStatus, Role
from services import audit
from services.access import Permission, Principal
from services.audit import RequestOrigin
from services.catalog import EMPTY_JSON_ARRAY, GEOJSON_DECIMALS, BBox, Paging, json_object
from services.errors import Conflict, Forbidden, NotFound, ValidationError
from services.spreadsheet_cells import escape_formula

# Collections of the hub's own spatial tables, beside the layers; a layer may not take these names.
HUB_COLLECTIONS = ("missions", "sites", "deployments")
MODES = ("create", "replace", "append", "upsert")
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
FIELD = re.compile(r"^[^\x00-\x1f]{1,120}$")
SYMBOLS = ("circle", "square", "triangle", "marker")
DEFAULT_STYLE: dict[str, Any] = {"color": "#1f78b4", "weight": 2, "opacity": 1.0, "fill": True,
                                 "fillColor": "#1f78b4", "fillOpacity": 0.3, "radius": 6, "symbol": "circle",
                                 "mode": "single"}


# --- access --------------------------------------------------------------------------------------
def _visible_clause(principal: Principal) -> ColumnElement[bool]:
    if principal.can(Permission.MANAGE_LAYERS):
        return true()
    if principal.role == Role.BRIEFING:
        return Layer.in_briefings.is_(True)
    return or_(func.cardinality(Layer.visible_to_roles) == 0,
               literal(principal.role.value) == any_(Layer.visible_to_roles))


def _layer_for(session: Session, principal: Principal, slug: str, *, manage: bool = False) -> Layer:
    """The layer this principal may see (or manage); NotFound or Forbidden as the rules above say."""
    if manage:
        principal.require(Permission.MANAGE_LAYERS)
    layer = session.scalar(select(Layer).where(Layer.slug == slug))
    managing = principal.can(Permission.MANAGE_LAYERS)
    if layer is None or (layer.status != LayerStatus.PUBLISHED and not managing):
        raise NotFound(f"No layer {slug!r}.")
    if not session.scalar(select(_visible_clause(principal)).select_from(Layer).where(Layer.id == layer.id)):
        raise Forbidden(f"Your role ({principal.role.value}) may not see layer {slug!r}.")
    return layer


# --- import --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportOptions:
    mode: str = "create"  # create a new layer, or replace/append/upsert into ``target``
    target: str | None = None
    title: str | None = None
    slug: str | None = None
    layer_name: str | None = None  # the layer inside a GeoPackage holding several
    key: str | None = None  # upsert: the attribute that identifies a feature
    repair: bool = False  # repair invalid geometries (the user's consent)
    note: str | None = None
    csv_crs: str = "EPSG:4326"


@dataclass(frozen=True)
class ImportReport:
    slug: str
    version: int
    change: str
    feature_count: int
    source_crs: str
    geometry_type: str
    repaired: int
    columns: list[str] = field(default_factory=list)


def file_layers(data: bytes, filename: str, max_bytes: int = layer_files.MAX_UPLOAD_BYTES) -> list[str]:
    """The layers inside an upload (a GeoPackage may hold several), after the same checks as an import."""
    with layer_files.staged_upload(data, filename, max_bytes) as staged:
        return layer_files.list_layers(staged)


def import_layer(session: Session, principal: Principal, data: bytes, filename: str, options: ImportOptions,
                 *, max_bytes: int = layer_files.MAX_UPLOAD_BYTES,
                 origin: RequestOrigin | None = None) -> ImportReport:
    """Checks, reads and loads a file as a new draft layer or a new version of an existing one."""
    principal.require(Permission.MANAGE_LAYERS)
    if options.mode not in MODES:
        raise ValidationError(f"Unknown import mode {options.mode!r}; use one of {', '.join(MODES)}.")
    with layer_files.staged_upload(data, filename, max_bytes) as staged:
        read = layer_files.read_layer(staged, options.layer_name, options.repair, options.csv_crs)
        sha = staged.sha256
    frame = read.frame
    columns = [c for c in frame.columns if c != frame.geometry.name]
    if options.mode == "create":
        layer = _new_layer(session, options, read, filename)
        version, change = 1, "created"
    else:
        layer = _layer_for(session, principal, options.target or "", manage=True)
        version, change = layer.current_version + 1, {"replace": "replaced", "append": "appended",
                                                       "upsert": "upserted"}[options.mode]
        if options.mode == "upsert" and (not options.key or options.key not in columns):
            raise ValidationError(f"Upsert needs a key column present in the file; {options.key!r} is not one of "
                                  f"{', '.join(columns)}.")
        if options.mode == "upsert":
            layer_files.check_unique_key(frame, options.key or "", filename)
        layer.geometry_type = GeometryType(_merged_type(layer.geometry_type.value, read.geometry_type)
                                           if options.mode != "replace" else read.geometry_type)
    copy_features(session, layer.id, version, frame, read.wkb, attach=False)
    if options.mode == "append":
        _carry_over(session, layer.id, layer.current_version, version)
    elif options.mode == "upsert":
        _carry_over(session, layer.id, layer.current_version, version, key=options.key)
    _attach(session, layer.id, version)
    count = _count(session, layer.id, version)
    session.add(LayerVersion(layer_id=layer.id, version=version, created_by_id=principal.user_id,
                             source_filename=layer_files.PurePosixPath(filename).name[:250], source_sha256=sha,
                             change=change, feature_count=count, note=options.note))
    layer.current_version = version
    layer.updated_at = func.now()
    session.flush()
    audit.record(session, f"layer_{change}", principal=principal, entity="layer", entity_id=layer.slug,
                 detail={"version": version, "features": count, "file": filename[:200], "sha256": sha,
                         "repaired": read.repaired, "crs": read.source_crs}, origin=origin)
    return ImportReport(layer.slug, version, change, count, read.source_crs, layer.geometry_type.value,
                        read.repaired, columns)


def import_path(session: Session, principal: Principal, path: Path, options: ImportOptions,
                max_bytes: int = 2 * 1024**3) -> ImportReport:
    """The command line's import: the same checks, with a larger size limit (the operator's own file)."""
    return import_layer(session, principal, path.read_bytes(), path.name, options, max_bytes=max_bytes)


def _new_layer(session: Session, options: ImportOptions, read: layer_files.LayerRead, filename: str) -> Layer:
    title = (options.title or read.layer_name or Path(filename).stem).strip()[:200]
    slug = layer_files.safe_slug(options.slug or title)
    if slug in HUB_COLLECTIONS:
        raise Conflict(f"The name {slug!r} is taken by the hub's own {slug} collection; choose another.")
    if session.scalar(select(Layer.id).where(Layer.slug == slug)):
        raise Conflict(f"A layer named {slug!r} exists. Choose another name, or replace/append into it.")
    layer = Layer(slug=slug, title=title, geometry_type=GeometryType(read.geometry_type), status=LayerStatus.DRAFT,
                  keywords=[], style=dict(DEFAULT_STYLE), visible_to_roles=[], in_briefings=False,
                  current_version=1, source=filename[:500])
    session.add(layer)
    session.flush()
    return layer


def _merged_type(old: str, new: str) -> str:
    if old == new:
        return old
    bases = {old.removeprefix("Multi"), new.removeprefix("Multi")}
    return "Multi" + bases.pop() if len(bases) == 1 and "Geometry" not in bases else "Geometry"


PARTS = "layer_feature_parts"  # the schema of layer_feature's partitions, one a layer version (migration 0004)


def _part(layer_id: int, version: int) -> Any:
    """The partition table of one layer version (its name is built from two integers, never from text)."""
    return table(f"l{int(layer_id)}_v{int(version)}", column("id"), column("layer_id"), column("version"),
                 column("properties", JSONB), column("geom"), schema=PARTS)


def _new_partition(session: Session, layer_id: int, version: int) -> Any:
    """A fresh, unattached table for one layer version's features: loaded without indexes, then attached
    by ``_attach``, which builds its indexes in one pass (as ogr2ogr builds its index after its COPY).

    The app's database role owns no table, so the DDL runs in the owner's functions (migration 0013)."""
    session.execute(select(func.hub_layer_part_create(int(layer_id), int(version))))
    return _part(layer_id, version)


def _attach(session: Session, layer_id: int, version: int) -> None:
    session.execute(select(func.hub_layer_part_attach(int(layer_id), int(version))))


def _drop_partition(session: Session, layer_id: int, version: int) -> None:
    session.execute(select(func.hub_layer_part_drop(int(layer_id), int(version))))


def copy_features(session: Session, layer_id: int, version: int, frame: gpd.GeoDataFrame,
                  wkb: Any = None, *, attach: bool = True) -> None:
    """The frame's rows as the features of a new layer version: one binary COPY (EWKB + JSONB properties)
    into the version's own partition, then (``attach``) the partition attached, which builds its indexes.

    ``wkb`` (GDAL's own, when the shapes were not changed) gets its SRID in the header and is sent as it is;
    otherwise shapely encodes the shapes, dropping Z and M. pandas writes the JSON lines, vectorised. With
    ``attach=False`` the caller adds rows to ``_part(layer_id, version)`` and calls ``_attach`` itself.
    """
    blobs = layer_files.ewkb(wkb, 4326) if wkb is not None else None
    if blobs is None:
        geoms = shapely.set_srid(shapely.force_2d(frame.geometry.to_numpy()), 4326)
        blobs = list(shapely.to_wkb(geoms, include_srid=True))
    props = frame.drop(columns=[frame.geometry.name])
    if len(props.columns):
        lines = props.to_json(orient="records", lines=True, date_format="iso", force_ascii=False,
                              default_handler=str).split("\n")
    else:
        lines = ["{}"] * len(frame)
    body = _binary_copy(int(layer_id), int(version), lines, blobs)
    # The import is one transaction; not waiting for its WAL to reach the disk at commit is safe (a crash
    # loses at most that last import whole, never half of it) and saves a flush of the whole load.
    session.execute(text("SET LOCAL synchronous_commit = off"))
    _new_partition(session, layer_id, version)
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cur, cur.copy(f"COPY {PARTS}.l{int(layer_id)}_v{int(version)} "
                                       "(layer_id, version, properties, geom) FROM STDIN (FORMAT BINARY)") as cp:
        cp.write(body)
    if attach:
        _attach(session, layer_id, version)


# PostgreSQL's binary COPY: a signature, flags and header-extension length, then each row's field count and
# its fields as length + bytes, then -1. Written by hand because it is this short: binary saves hex-encoding
# every geometry (and the server decoding it) and the escaping text COPY needs, a third of an import's time.
_COPY_HEAD = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
_JSONB_VERSION = b"\x01"


def _binary_copy(layer_id: int, version: int, lines: list[str], blobs: list[bytes]) -> bytes:
    fixed = struct.pack("!hiiii", 4, 4, layer_id, 4, version)
    parts = [_COPY_HEAD]
    for line, blob in zip(lines, blobs, strict=False):
        props = _JSONB_VERSION + line.encode("utf-8")
        parts += [fixed, struct.pack("!i", len(props)), props, struct.pack("!i", len(blob)), blob]
    parts.append(struct.pack("!h", -1))
    return b"".join(parts)


def _carry_over(session: Session, layer_id: int, old: int, new: int, key: str | None = None) -> None:
    """Copies the old version's features into the new one's (unattached) partition (all for append; those
    whose key is not in the new file for upsert), in one INSERT … SELECT."""
    f = LayerFeature
    part = _part(layer_id, new)
    stmt = select(f.layer_id, literal(new), f.properties, f.geom).where(f.layer_id == layer_id, f.version == old)
    if key is not None:
        fresh = select(part.c.properties[key].astext).where(part.c.properties[key].astext.is_not(None))
        stmt = stmt.where(or_(f.properties[key].astext.is_(None), f.properties[key].astext.not_in(fresh)))
    session.execute(part.insert().from_select(["layer_id", "version", "properties", "geom"], stmt))


def _count(session: Session, layer_id: int, version: int) -> int:
    return session.scalar(select(func.count()).select_from(LayerFeature)
                          .where(LayerFeature.layer_id == layer_id, LayerFeature.version == version)) or 0


# --- lifecycle, versions, metadata, style, visibility ---------------------------------------------
def list_layers(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """Every layer this principal may see (managers: all, any status), newest first."""
    rows = session.execute(
        select(Layer.slug, Layer.title, Layer.status, Layer.geometry_type, Layer.current_version,
               Layer.updated_at, LayerVersion.feature_count)
        .outerjoin(LayerVersion, and_(LayerVersion.layer_id == Layer.id,
                                      LayerVersion.version == Layer.current_version))
        .where(_visible_clause(principal),
               true() if principal.can(Permission.MANAGE_LAYERS) else Layer.status == LayerStatus.PUBLISHED)
        .order_by(Layer.updated_at.desc(), Layer.slug)
    ).mappings()
    return [{**r, "status": LayerStatus(r["status"]).value, "geometry_type": GeometryType(r["geometry_type"]).value}
            for r in rows]


def get_layer(session: Session, principal: Principal, slug: str) -> dict[str, Any]:
    layer = _layer_for(session, principal, slug)
    return {
        "slug": layer.slug, "title": layer.title, "abstract": layer.abstract, "status": layer.status.value,
        "geometry_type": layer.geometry_type.value, "source": layer.source, "licence": layer.licence,
        "source_date": layer.source_date.isoformat() if layer.source_date else None,
        "keywords": list(layer.keywords or []), "style": dict(layer.style or {}),
        "visible_to_roles": list(layer.visible_to_roles or []), "in_briefings": layer.in_briefings,
        "current_version": layer.current_version, "bbox": _extent(session, layer.id, layer.current_version),
        "feature_count": _count(session, layer.id, layer.current_version),
    }


def set_status(session: Session, principal: Principal, slug: str, status: LayerStatus,
               origin: RequestOrigin | None = None) -> None:
    layer = _layer_for(session, principal, slug, manage=True)
    allowed = {LayerStatus.DRAFT: {LayerStatus.PUBLISHED, LayerStatus.ARCHIVED},
               LayerStatus.PUBLISHED: {LayerStatus.ARCHIVED, LayerStatus.DRAFT},
               LayerStatus.ARCHIVED: {LayerStatus.PUBLISHED, LayerStatus.DRAFT}}
    if status not in allowed[layer.status]:
        raise Conflict(f"Layer {slug!r} is {layer.status.value} already.")
    before = layer.status
    layer.status = status
    audit.record(session, "layer_status", principal=principal, entity="layer", entity_id=slug,
                 detail={"from": before.value, "to": status.value}, origin=origin)


def publish(session: Session, principal: Principal, slug: str, origin: RequestOrigin | None = None) -> None:
    set_status(session, principal, slug, LayerStatus.PUBLISHED, origin)


def archive(session: Session, principal: Principal, slug: str, origin: RequestOrigin | None = None) -> None:
    set_status(session, principal, slug, LayerStatus.ARCHIVED, origin)


def versions(session: Session, principal: Principal, slug: str) -> list[dict[str, Any]]:
    layer = _layer_for(session, principal, slug, manage=True)
    from models.auth import User

    rows = session.execute(
        select(LayerVersion.version, LayerVersion.created_at, User.username.label("by"), LayerVersion.change,
               LayerVersion.feature_count, LayerVersion.source_filename, LayerVersion.note)
        .outerjoin(User, User.id == LayerVersion.created_by_id)
        .where(LayerVersion.layer_id == layer.id).order_by(LayerVersion.version.desc())
    ).mappings()
    return [{**r, "current": r["version"] == layer.current_version} for r in rows]


def restore(session: Session, principal: Principal, slug: str, version: int,
            origin: RequestOrigin | None = None) -> int:
    """Makes a copy of an older version the new current one (history is never rewritten); its number."""
    layer = _layer_for(session, principal, slug, manage=True)
    if not session.scalar(select(LayerVersion.id).where(LayerVersion.layer_id == layer.id,
                                                        LayerVersion.version == version)):
        raise NotFound(f"Layer {slug!r} has no version {version}.")
    new = layer.current_version + 1
    f = LayerFeature
    part = _new_partition(session, layer.id, new)
    session.execute(part.insert().from_select(
        ["layer_id", "version", "properties", "geom"],
        select(f.layer_id, literal(new), f.properties, f.geom).where(f.layer_id == layer.id, f.version == version)
        .order_by(f.id)))
    _attach(session, layer.id, new)
    count = _count(session, layer.id, new)
    session.add(LayerVersion(layer_id=layer.id, version=new, created_by_id=principal.user_id, change="restored",
                             feature_count=count, note=f"restored version {version}"))
    layer.current_version = new
    audit.record(session, "layer_restored", principal=principal, entity="layer", entity_id=slug,
                 detail={"from_version": version, "version": new}, origin=origin)
    return new


def set_metadata(session: Session, principal: Principal, slug: str, *, title: str, abstract: str | None = None,
                 source: str | None = None, licence: str | None = None, source_date: date | str | None = None,
                 keywords: list[str] | str | None = None, origin: RequestOrigin | None = None) -> None:
    layer = _layer_for(session, principal, slug, manage=True)
    if not title or not title.strip():
        raise ValidationError("A layer needs a title.")
    if isinstance(source_date, str):
        try:
            source_date = date.fromisoformat(source_date.strip()) if source_date.strip() else None
        except ValueError:
            raise ValidationError(f"Date {source_date!r} is not a date like 2024-05-31.") from None
    if isinstance(keywords, str):
        keywords = [k.strip() for k in keywords.split(",")]
    words = [k[:60] for k in (keywords or []) if k]
    layer.title, layer.abstract = title.strip()[:200], (abstract or "").strip() or None
    layer.source, layer.licence = (source or "").strip() or None, (licence or "").strip()[:200] or None
    layer.source_date, layer.keywords = source_date, words
    audit.record(session, "layer_metadata", principal=principal, entity="layer", entity_id=slug, origin=origin)


def set_visibility(session: Session, principal: Principal, slug: str, roles: list[str], in_briefings: bool,
                   origin: RequestOrigin | None = None) -> None:
    layer = _layer_for(session, principal, slug, manage=True)
    try:
        checked = sorted({Role(r).value for r in roles})
    except ValueError:
        raise ValidationError(f"Unknown role in {roles!r}; roles are {', '.join(r.value for r in Role)}.") from None
    layer.visible_to_roles, layer.in_briefings = checked, bool(in_briefings)
    audit.record(session, "layer_visibility", principal=principal, entity="layer", entity_id=slug,
                 detail={"roles": checked, "in_briefings": bool(in_briefings)}, origin=origin)


def validate_style(style: dict[str, Any]) -> dict[str, Any]:
    """A style the map's functions (assets/hub_layers.js) understand; a clear message for anything else."""
    out = dict(DEFAULT_STYLE)
    for key in ("color", "fillColor"):
        if key in style and style[key] is not None:
            if not COLOR.match(str(style[key])):
                raise ValidationError(f"{key} must be a colour like #1f78b4 (got {style[key]!r}).")
            out[key] = str(style[key])
    for key, low, high in (("weight", 0, 20), ("opacity", 0, 1), ("fillOpacity", 0, 1), ("radius", 1, 50)):
        if style.get(key) is not None:
            try:
                value = float(style[key])
            except (TypeError, ValueError):
                raise ValidationError(f"{key} must be a number between {low} and {high}.") from None
            if not (low <= value <= high) or not math.isfinite(value):
                raise ValidationError(f"{key} must be between {low} and {high} (got {style[key]}).")
            out[key] = value
    if "fill" in style:
        out["fill"] = bool(style["fill"])
    if style.get("symbol") is not None:
        if style["symbol"] not in SYMBOLS:
            raise ValidationError(f"symbol must be one of {', '.join(SYMBOLS)}.")
        out["symbol"] = style["symbol"]
    mode = style.get("mode") or "single"
    if mode not in ("single", "categorised", "graduated"):
        raise ValidationError("mode must be single, categorised or graduated.")
    out["mode"] = mode
    for key in ("field", "label"):
        if style.get(key):
            if not FIELD.match(str(style[key])):
                raise ValidationError(f"{key} must name an attribute.")
            out[key] = str(style[key])
    if mode != "single" and not out.get("field"):
        raise ValidationError(f"A {mode} style needs the attribute it is based on (field).")
    if mode == "categorised":
        categories = style.get("categories") or {}
        if not isinstance(categories, dict) or not all(COLOR.match(str(c)) for c in categories.values()):
            raise ValidationError("categories must map each value to a colour like #e31a1c.")
        out["categories"] = {str(k)[:200]: str(v) for k, v in list(categories.items())[:100]}
    if mode == "graduated":
        breaks, colors = style.get("breaks") or [], style.get("colors") or []
        try:
            breaks = [float(b) for b in breaks]
        except (TypeError, ValueError):
            raise ValidationError("breaks must be numbers.") from None
        if breaks != sorted(breaks) or len(colors) != len(breaks) + 1 or not all(COLOR.match(str(c)) for c in colors):
            raise ValidationError("A graduated style needs ascending breaks and one colour more than breaks.")
        out["breaks"], out["colors"] = breaks, [str(c) for c in colors]
    return out


# Colours a categorised or graduated style gets when it names only its attribute (the page's form does):
# ColorBrewer's qualitative "Paired" and sequential "YlOrRd", which read apart on the grey base map.
CATEGORY_COLOURS = ("#1f78b4", "#33a02c", "#e31a1c", "#ff7f00", "#6a3d9a", "#b15928", "#a6cee3", "#b2df8a",
                    "#fb9a99", "#fdbf6f", "#cab2d6", "#ffff99")
GRADUATED_COLOURS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
MAX_CATEGORIES = 100


def derive_classes(session: Session, layer_id: int, version: int, style: dict[str, Any]) -> dict[str, Any]:
    """The style with its classes filled in from the layer's values when it gives only ``field``: a colour a
    category (the commonest first, at most MAX_CATEGORIES), or quintile breaks of a numeric attribute.

    The map's functions colour a feature from ``categories`` or ``breaks``/``colors`` (assets/hub_layers.js);
    a style that names only the attribute would otherwise be stored as it came and drawn in one colour."""
    mode, name = style.get("mode"), style.get("field")
    if not name or not isinstance(name, str) or mode not in ("categorised", "graduated"):
        return style
    f = LayerFeature
    value = f.properties[name].astext
    where = (f.layer_id == layer_id, f.version == version, value.is_not(None))
    if mode == "categorised" and not style.get("categories"):
        values = session.scalars(select(value).where(*where).group_by(value)
                                 .order_by(func.count().desc(), value).limit(MAX_CATEGORIES)).all()
        if not values:
            raise ValidationError(f"The attribute {name!r} has no values to colour by.")
        return {**style, "categories": {v: CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)] for i, v in enumerate(values)}}
    if mode == "graduated" and not style.get("breaks"):
        number = func.jsonb_typeof(f.properties[name]) == "number"
        cuts = session.scalar(select(func.percentile_cont(array([0.2, 0.4, 0.6, 0.8])).within_group(
            cast(value, Float))).where(*where, number))
        breaks = sorted({float(c) for c in cuts or []})
        if not breaks:
            raise ValidationError(f"The attribute {name!r} has no numbers to grade by: choose Category.")
        return {**style, "breaks": breaks, "colors": list(GRADUATED_COLOURS[: len(breaks) + 1])}
    return style


def set_style(session: Session, principal: Principal, slug: str, style: dict[str, Any],
              origin: RequestOrigin | None = None) -> dict[str, Any]:
    layer = _layer_for(session, principal, slug, manage=True)
    layer.style = validate_style(derive_classes(session, layer.id, layer.current_version, style))
    audit.record(session, "layer_style", principal=principal, entity="layer", entity_id=slug, origin=origin)
    return layer.style


def delete_layer(session: Session, principal: Principal, slug: str, origin: RequestOrigin | None = None) -> None:
    layer = _layer_for(session, principal, slug, manage=True)
    if layer.status == LayerStatus.PUBLISHED:
        raise Conflict(f"Layer {slug!r} is published: archive it before deleting it.")
    # Its features go with their partitions (dropping a table is quicker than deleting its rows).
    for number in session.scalars(select(LayerVersion.version).where(LayerVersion.layer_id == layer.id)):
        _drop_partition(session, layer.id, number)
    session.execute(delete(Layer).where(Layer.id == layer.id))
    audit.record(session, "layer_deleted", principal=principal, entity="layer", entity_id=slug, origin=origin)


# --- for the operations map -----------------------------------------------------------------------
def _extent(session: Session, layer_id: int, version: int) -> list[float] | None:
    box = session.execute(
        select(func.ST_XMin(func.ST_Extent(LayerFeature.geom)), func.ST_YMin(func.ST_Extent(LayerFeature.geom)),
               func.ST_XMax(func.ST_Extent(LayerFeature.geom)), func.ST_YMax(func.ST_Extent(LayerFeature.geom)))
        .where(LayerFeature.layer_id == layer_id, LayerFeature.version == version)
    ).one()
    return None if box[0] is None else [float(v) for v in box]


def map_layers(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """Published layers this principal may see, with what the map needs to draw and zoom to them."""
    f = LayerFeature
    stats = (select(f.layer_id, func.count().label("n"), func.ST_Extent(f.geom).label("ext"))
             .join(Layer, and_(Layer.id == f.layer_id, Layer.current_version == f.version))
             .where(Layer.status == LayerStatus.PUBLISHED).group_by(f.layer_id).subquery())
    rows = session.execute(
        select(Layer.slug, Layer.title, Layer.geometry_type, Layer.style, stats.c.n,
               func.ST_XMin(stats.c.ext), func.ST_YMin(stats.c.ext), func.ST_XMax(stats.c.ext),
               func.ST_YMax(stats.c.ext))
        .outerjoin(stats, stats.c.layer_id == Layer.id)
        .where(Layer.status == LayerStatus.PUBLISHED, _visible_clause(principal))
        .order_by(Layer.title)
    ).all()
    return [{"slug": r[0], "title": r[1], "geometry_type": GeometryType(r[2]).value,
             "style": {**DEFAULT_STYLE, **(r[3] or {})}, "feature_count": r[4] or 0,
             "bbox": None if r[5] is None else [float(r[5]), float(r[6]), float(r[7]), float(r[8])]}
            for r in rows]


def zoom_tolerance(zoom: int | None) -> float:
    """Half a screen pixel in degrees at this web-map zoom: detail finer than that is never seen."""
    if zoom is None:
        return 0.0
    zoom = max(0, min(int(zoom), 24))
    return 360.0 / (256 * 2**zoom) / 2


def _decimals(zoom: int | None) -> int:
    if zoom is None:
        return GEOJSON_DECIMALS
    return max(1, min(GEOJSON_DECIMALS, math.ceil(math.log10(256 * 2 ** max(0, min(zoom, 24)) / 360)) + 1))


def layer_geojson(session: Session, principal: Principal, slug: str, bbox: BBox | None = None,
                  zoom: int | None = None, limit: int = 5000, version: int | None = None) -> dict[str, Any]:
    """The current (or, for managers, another) version's features inside bbox, simplified for the zoom,
    as one FeatureCollection built by PostGIS. ``truncated`` says when the limit cut it."""
    layer = _layer_for(session, principal, slug, manage=version is not None)
    f = LayerFeature
    geom: ColumnElement[Any] = f.geom
    tolerance = zoom_tolerance(zoom)
    if tolerance:
        geom = func.ST_SimplifyPreserveTopology(f.geom, tolerance)
    where = [f.layer_id == layer.id, f.version == (version or layer.current_version)]
    if bbox is not None:
        where.append(f.geom.op("&&")(bbox.envelope()))
    limit = max(1, min(int(limit), 100_000))
    page = (select(f.id, cast(func.ST_AsGeoJSON(geom, _decimals(zoom)), JSONB).label("geometry"),
                   f.properties, func.row_number().over(order_by=f.id).label("_seq"))
            .where(*where).order_by(f.id).limit(limit + 1).subquery())
    return _collection(session, page, limit)


def _collection(session: Session, page: Any, limit: int) -> dict[str, Any]:
    feature = json_object([("type", literal("Feature")), ("id", page.c.id), ("geometry", page.c.geometry),
                           ("properties", page.c.properties)])
    from sqlalchemy.dialects.postgresql import aggregate_order_by

    features = session.scalar(
        select(func.coalesce(func.json_agg(aggregate_order_by(feature, page.c._seq)), EMPTY_JSON_ARRAY))
        .where(page.c._seq <= limit)
    ) or []
    more = session.scalar(select(func.count()).where(page.c._seq > limit)) or 0
    return {"type": "FeatureCollection", "features": features, "numberReturned": len(features),
            "truncated": bool(more)}


def layer_attributes(session: Session, principal: Principal, slug: str, limit: int = 1000,
                     version: int | None = None) -> dict[str, Any]:
    """Rows for the attribute table: the feature id and its properties (text stays text)."""
    layer = _layer_for(session, principal, slug, manage=version is not None)
    f = LayerFeature
    rows = session.execute(select(f.id, f.properties)
                           .where(f.layer_id == layer.id, f.version == (version or layer.current_version))
                           .order_by(f.id).limit(limit)).all()
    columns: list[str] = []
    for _, props in rows:
        for key in props:
            if key not in columns:
                columns.append(key)
    return {"columns": columns, "rows": [{"_fid": fid, **props} for fid, props in rows]}


# --- the hub's own spatial tables, as collections ----------------------------------------------------
@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    description: str
    geometry_type: str
    permission: Permission
    layer_id: int | None = None
    version: int | None = None
    extent: list[float] | None = None
    keywords: list[str] = field(default_factory=list)


HUB_TABLES = {
    "missions": ("Peace operations", "UN peace operations and their headquarters (UN Peace and Security Data Hub).",
                 "Point", Permission.VIEW_AGGREGATES),
    "sites": ("Sites", "Team sites, field offices and project sites (Geo-PKO and the hub's own).", "Point",
              Permission.VIEW_AGGREGATES),
    "deployments": ("Deployments", "Deployments of the standing capacities at their site or mission headquarters, "
                    "without personal data.", "Point", Permission.VIEW_OPERATIONS),
}


def _hub_select(cid: str) -> tuple[Select[Any], Any, Any, Any, Any]:
    """(select of id + properties + geom, id column, geom expression, start date, end date) for a hub table."""
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


def collections(session: Session, principal: Principal) -> list[Collection]:
    """Published layers this principal may see, then the hub's tables its role may read."""
    found = [Collection(r["slug"], r["title"], "", r["geometry_type"], Permission.VIEW_AGGREGATES,
                        extent=r["bbox"]) for r in map_layers(session, principal)]
    found += [Collection(cid, title, desc, gtype, perm) for cid, (title, desc, gtype, perm) in HUB_TABLES.items()
              if principal.can(perm)]
    return found


def collection(session: Session, principal: Principal, cid: str) -> Collection:
    if cid in HUB_TABLES:
        title, desc, gtype, perm = HUB_TABLES[cid]
        if not principal.can(perm):
            raise Forbidden(f"Your role ({principal.role.value}) may not read {cid}.")
        stmt = _hub_select(cid)[0]
        sub = stmt.subquery()
        box = session.execute(select(func.ST_XMin(func.ST_Extent(sub.c.geom)), func.ST_YMin(func.ST_Extent(sub.c.geom)),
                                     func.ST_XMax(func.ST_Extent(sub.c.geom)),
                                     func.ST_YMax(func.ST_Extent(sub.c.geom)))).one()
        return Collection(cid, title, desc, gtype, perm, extent=None if box[0] is None else list(map(float, box)))
    layer = _layer_for(session, principal, cid)
    if layer.status != LayerStatus.PUBLISHED:
        raise NotFound(f"No published layer {cid!r}.")
    return Collection(layer.slug, layer.title, layer.abstract or "", layer.geometry_type.value,
                      Permission.VIEW_AGGREGATES, layer.id, layer.current_version,
                      _extent(session, layer.id, layer.current_version), list(layer.keywords or []))


@dataclass(frozen=True)
class Interval:
    """An OGC ``datetime``: an instant, or start/end with '..' for an open end."""

    start: date | None
    end: date | None

    @classmethod
    def parse(cls, text: str) -> Interval:
        def one(part: str) -> date | None:
            part = part.strip()
            if part in ("", ".."):
                return None
            try:
                return datetime.fromisoformat(part.replace("Z", "+00:00")).date()
            except ValueError:
                raise ValidationError(f"datetime {text!r} is not RFC 3339: use 2024-01-31, 2024-01-31T00:00:00Z, "
                                      "or an interval such as 2024-01-01/2024-12-31 or 2024-01-01/..") from None

        if "/" in text:
            a, b = text.split("/", 1)
            start, end = one(a), one(b)
            if start and end and start > end:
                raise ValidationError("datetime interval ends before it starts.")
            return cls(start, end)
        moment = one(text)
        if moment is None:
            raise ValidationError("datetime needs a date or an interval.")
        return cls(moment, moment)


def items(session: Session, principal: Principal, cid: str, bbox: BBox | None = None,
          interval: Interval | None = None, paging: Paging | None = None) -> dict[str, Any]:
    """One page of a collection's features; numberMatched counts them all. Layers have no time, so
    ``datetime`` filters only the hub's tables (by their start and end dates)."""
    paging = paging or Paging()
    coll = collection(session, principal, cid)
    if coll.layer_id is not None:
        f = LayerFeature
        base = select(f.id.label("id"), f.properties.label("properties"), f.geom.label("geom")).where(
            f.layer_id == coll.layer_id, f.version == coll.version)
        geom_col: Any = f.geom
        order: Any = f.id
        if bbox is not None:
            base = base.where(func.ST_Intersects(geom_col, bbox.envelope()))
    else:
        stmt, order, geom_col, start, end = _hub_select(cid)
        if bbox is not None:
            stmt = stmt.where(func.ST_Intersects(geom_col, bbox.envelope()))
        if interval is not None:
            if interval.end is not None:
                stmt = stmt.where(or_(start.is_(None), start <= interval.end))
            if interval.start is not None:
                stmt = stmt.where(or_(end.is_(None), end >= interval.start))
        sub = stmt.subquery()
        props = [c for c in sub.c if c.name not in ("id", "geom")]
        base = select(sub.c.id, _props_object(props)
                      .label("properties"), sub.c.geom)
        order = sub.c.id
    counted = base.subquery()
    total = session.scalar(select(func.count()).select_from(counted)) or 0
    sliced = (select(counted.c.id, counted.c.geom, counted.c.properties).order_by(counted.c.id)
              .limit(paging.limit).offset(paging.offset).subquery())
    # Numbered within the page, so that _collection's "first `limit` rows" is this page.
    page = (select(sliced.c.id, cast(func.ST_AsGeoJSON(sliced.c.geom, GEOJSON_DECIMALS), JSONB).label("geometry"),
                   sliced.c.properties, func.row_number().over(order_by=sliced.c.id).label("_seq"))
            .subquery())
    del order
    result = _collection(session, page, paging.limit)
    result.pop("truncated")
    result["numberMatched"] = total
    return result


def item(session: Session, principal: Principal, cid: str, fid: int) -> dict[str, Any]:
    coll = collection(session, principal, cid)
    if coll.layer_id is not None:
        f = LayerFeature
        row = session.execute(select(f.id, cast(func.ST_AsGeoJSON(f.geom, GEOJSON_DECIMALS), JSONB), f.properties)
                              .where(f.layer_id == coll.layer_id, f.version == coll.version, f.id == fid)).one_or_none()
    else:
        stmt, id_col, _, _, _ = _hub_select(cid)
        sub = stmt.where(id_col == fid).subquery()
        props = [c for c in sub.c if c.name not in ("id", "geom")]
        row = session.execute(select(sub.c.id, cast(func.ST_AsGeoJSON(sub.c.geom, GEOJSON_DECIMALS), JSONB),
                                     _props_object(props)
                                     )).one_or_none()
    if row is None:
        raise NotFound(f"Collection {cid!r} has no feature {fid}.")
    return {"type": "Feature", "id": row[0], "geometry": row[1], "properties": row[2]}


def _props_object(columns: list[Any]) -> ColumnElement[Any]:
    """jsonb_build_object('name', value, ...) of these columns; the keys are bound text parameters."""
    return func.jsonb_build_object(*[part for c in columns for part in (cast(literal(c.name), Text), c)])


# --- export --------------------------------------------------------------------------------------
def export(session: Session, principal: Principal, cid: str, fmt: str, version: int | None = None,
           origin: RequestOrigin | None = None) -> tuple[bytes, str, str]:
    """A layer (any version, for managers) or a hub table as a file: (bytes, file name, media type)."""
    if fmt not in layer_files.EXPORT_FORMATS:
        raise ValidationError(f"Unknown export format {fmt!r}; choose one of {', '.join(layer_files.EXPORT_FORMATS)}.")
    if cid in HUB_TABLES:
        collection(session, principal, cid)
        stmt = _hub_select(cid)[0]
    else:
        layer = _layer_for(session, principal, cid, manage=version is not None)
        f = LayerFeature
        stmt = select(f.id.label("fid"), f.properties.label("_props"), f.geom.label("geom")).where(
            f.layer_id == layer.id, f.version == (version or layer.current_version)).order_by(f.id)
    frame = gpd.read_postgis(stmt, session.connection(), geom_col="geom", crs=4326)
    if "_props" in frame.columns:
        import pandas as pd

        props = pd.json_normalize(list(frame["_props"]), max_level=0)
        props.index = frame.index
        frame = gpd.GeoDataFrame(pd.concat([frame[["fid"]], props, frame[["geom"]]], axis=1),
                                 geometry="geom", crs=4326)
    for name in frame.columns:  # enums and the like become their text
        if frame[name].dtype == object and name != "geom":
            frame[name] = frame[name].map(lambda v: v.value if hasattr(v, "value") else v)
    if frame.empty:
        raise ValidationError(f"{cid} has no features to export.")
    if fmt == "csv":  # GDAL writes text as it is: escape what a spreadsheet would run, as every other export does
        frame = _spreadsheet_safe_frame(frame)
    result = layer_files.write_export(frame, fmt, cid)
    audit.record(session, "export", principal=principal, entity="layer" if cid not in HUB_TABLES else cid,
                 entity_id=cid, detail={"format": fmt, "features": len(frame), "version": version}, origin=origin)
    return result


def _spreadsheet_safe_frame(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Text cells and column names escaped with the hub's one formula escape (the geometry is left alone)."""
    frame = frame.copy()
    for name in frame.columns:
        if name != frame.geometry.name and frame[name].dtype == object:
            frame[name] = frame[name].map(escape_formula)
    return frame.rename(columns={c: escape_formula(c) for c in frame.columns if c != frame.geometry.name})


__all__ = [
    "HUB_COLLECTIONS", "Collection", "ImportOptions", "ImportReport", "Interval", "archive", "collection",
    "collections", "copy_features", "export", "file_layers", "get_layer", "import_layer", "import_path", "item",
    "items", "layer_attributes", "layer_geojson", "list_layers", "map_layers", "publish", "restore", "set_metadata",
    "set_status", "set_style", "set_visibility", "validate_style", "versions",
]


def tile(session: Session, principal: Principal, cid: str, z: int, x: int, y: int) -> bytes:
    """A published layer's vector tile (MVT) for this principal; the access rules of the other reads apply."""
    from geo import vector_tiles

    if cid in HUB_TABLES:
        collection(session, principal, cid)  # Forbidden outside the role, as for its items
        raise NotFound(f"Collection {cid!r} has no vector tiles; read its items instead.")
    # The same rules as collection(), without its extent: an ST_Extent over the whole layer on every tile
    # cost more than the tile itself at high zoom.
    layer = _layer_for(session, principal, cid)
    if layer.status != LayerStatus.PUBLISHED:
        raise NotFound(f"No published layer {cid!r}.")
    vector_tiles.check_tile(z, x, y)
    # Cached by the version's row id (see vector_tiles.TileCache), after the access checks above.
    version_id = session.scalar(select(LayerVersion.id).where(LayerVersion.layer_id == layer.id,
                                                              LayerVersion.version == layer.current_version))
    key = (version_id, z, x, y, cid)
    data = vector_tiles.CACHE.get(key) if version_id is not None else None
    if data is None:
        data = vector_tiles.layer_tile(session, layer.id, layer.current_version, z, x, y, name=cid)
        if version_id is not None:
            vector_tiles.CACHE.put(key, data)
    return data
