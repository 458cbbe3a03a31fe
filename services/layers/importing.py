"""Importing a file as a new draft layer or a new version of one (replace, append, upsert).

Features are loaded with one binary COPY into the version's own partition (EWKB + JSONB properties), never
row by row, and each import is one transaction (the caller's): a failure leaves the database as it was.
Every version keeps its own features, so an older one can be viewed or restored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import geopandas as gpd
import shapely
from sqlalchemy import func, literal, or_, select, text
from sqlalchemy.orm import Session

from geo import layer_files
from models import Layer, LayerFeature, LayerVersion
from models.enums import GeometryType, LayerStatus
from services import audit
from services.access import Permission, Principal
from services.audit import RequestOrigin
from services.errors import Conflict, ValidationError
from services.layers import partitions
from services.layers.access import layer_for
from services.layers.copy_binary import binary_copy
from services.layers.hub_tables import HUB_COLLECTIONS
from services.layers.partitions import count_features, new_partition, part, part_name, serialise_partition_ddl
from services.layers.styles import DEFAULT_STYLE

MODES = ("create", "replace", "append", "upsert")


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
    serialise_partition_ddl(session)  # before the first write: see partitions.PARTITION_DDL_LOCK
    if options.mode == "create":
        layer = _new_layer(session, options, read, filename)
        version, change = 1, "created"
    else:
        layer = layer_for(session, principal, options.target or "", manage=True)
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
    partitions.attach(session, layer.id, version)
    count = count_features(session, layer.id, version)
    session.add(LayerVersion(layer_id=layer.id, version=version, created_by_id=principal.user_id,
                             source_filename=PurePosixPath(filename).name[:250], source_sha256=sha,
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


def copy_features(session: Session, layer_id: int, version: int, frame: gpd.GeoDataFrame,
                  wkb: Any = None, *, attach: bool = True) -> None:
    """The frame's rows as the features of a new layer version: one binary COPY (EWKB + JSONB properties)
    into the version's own partition, then (``attach``) the partition attached, which builds its indexes.

    ``wkb`` (GDAL's own, when the shapes were not changed) gets its SRID in the header and is sent as it is;
    otherwise shapely encodes the shapes, dropping Z and M. pandas writes the JSON lines, vectorised. With
    ``attach=False`` the caller adds rows to ``part(layer_id, version)`` and calls ``partitions.attach`` itself.
    """
    blobs = layer_files.ewkb(wkb, 4326) if wkb is not None else None
    if blobs is None:
        geoms = shapely.set_srid(shapely.force_2d(frame.geometry.to_numpy()), 4326)
        blobs = list(shapely.to_wkb(geoms, include_srid=True))
    props = frame.drop(columns=[frame.geometry.name])
    if len(props.columns):
        lines = props.to_json(orient="records", lines=True, date_format="iso", force_ascii=False,
                              default_handler=str).split("\n")
        if lines and lines[-1] == "":  # pandas ends the last line with a newline too; JSON has no raw one
            lines.pop()
    else:
        lines = ["{}"] * len(frame)
    body = binary_copy(int(layer_id), int(version), lines, blobs)
    # The import is one transaction; not waiting for its WAL to reach the disk at commit is safe (a crash
    # loses at most that last import whole, never half of it) and saves a flush of the whole load.
    session.execute(text("SET LOCAL synchronous_commit = off"))
    new_partition(session, layer_id, version)
    raw = session.connection().connection.driver_connection
    assert raw is not None  # a live psycopg connection inside the session's transaction
    with raw.cursor() as cur, cur.copy(f"COPY {part_name(layer_id, version)} "
                                       "(layer_id, version, properties, geom) FROM STDIN (FORMAT BINARY)") as cp:
        cp.write(body)
    if attach:
        partitions.attach(session, layer_id, version)


def _carry_over(session: Session, layer_id: int, old: int, new: int, key: str | None = None) -> None:
    """Copies the old version's features into the new one's (unattached) partition (all for append; those
    whose key is not in the new file for upsert), in one INSERT … SELECT."""
    f = LayerFeature
    target = part(layer_id, new)
    stmt = select(f.layer_id, literal(new), f.properties, f.geom).where(f.layer_id == layer_id, f.version == old)
    if key is not None:
        fresh = select(target.c.properties[key].astext).where(target.c.properties[key].astext.is_not(None))
        stmt = stmt.where(or_(f.properties[key].astext.is_(None), f.properties[key].astext.not_in(fresh)))
    session.execute(target.insert().from_select(["layer_id", "version", "properties", "geom"], stmt))
