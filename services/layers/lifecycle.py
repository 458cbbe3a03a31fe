"""A layer's life: listed, read, published or archived, its versions restored, its metadata and visibility
edited, deleted. History is never rewritten: a restore makes a new version."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, delete, literal, select, true
from sqlalchemy.orm import Session

from models import Layer, LayerFeature, LayerVersion
from models.enums import GeometryType, LayerStatus, Role
from services import audit
from services.access import Permission, Principal
from services.audit import RequestOrigin
from services.errors import Conflict, NotFound, ValidationError
from services.layers.access import layer_for, visible_clause
from services.layers.extents import layer_extent
from services.layers.partitions import attach, count_features, drop_partition, new_partition


def list_layers(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """Every layer this principal may see (managers: all, any status), newest first."""
    rows = session.execute(
        select(Layer.slug, Layer.title, Layer.status, Layer.geometry_type, Layer.current_version,
               Layer.updated_at, LayerVersion.feature_count)
        .outerjoin(LayerVersion, and_(LayerVersion.layer_id == Layer.id,
                                      LayerVersion.version == Layer.current_version))
        .where(visible_clause(principal),
               true() if principal.can(Permission.MANAGE_LAYERS) else Layer.status == LayerStatus.PUBLISHED)
        .order_by(Layer.updated_at.desc(), Layer.slug)
    ).mappings()
    return [{**r, "status": LayerStatus(r["status"]).value, "geometry_type": GeometryType(r["geometry_type"]).value}
            for r in rows]


def get_layer(session: Session, principal: Principal, slug: str) -> dict[str, Any]:
    layer = layer_for(session, principal, slug)
    return {
        "slug": layer.slug, "title": layer.title, "abstract": layer.abstract, "status": layer.status.value,
        "geometry_type": layer.geometry_type.value, "source": layer.source, "licence": layer.licence,
        "source_date": layer.source_date.isoformat() if layer.source_date else None,
        "keywords": list(layer.keywords or []), "style": dict(layer.style or {}),
        "visible_to_roles": list(layer.visible_to_roles or []), "in_briefings": layer.in_briefings,
        "current_version": layer.current_version, "bbox": layer_extent(session, layer.id, layer.current_version),
        "feature_count": count_features(session, layer.id, layer.current_version),
    }


def set_status(session: Session, principal: Principal, slug: str, status: LayerStatus,
               origin: RequestOrigin | None = None) -> None:
    layer = layer_for(session, principal, slug, manage=True)
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
    layer = layer_for(session, principal, slug, manage=True)
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
    layer = layer_for(session, principal, slug, manage=True)
    if not session.scalar(select(LayerVersion.id).where(LayerVersion.layer_id == layer.id,
                                                        LayerVersion.version == version)):
        raise NotFound(f"Layer {slug!r} has no version {version}.")
    new = layer.current_version + 1
    f = LayerFeature
    part = new_partition(session, layer.id, new)
    session.execute(part.insert().from_select(
        ["layer_id", "version", "properties", "geom"],
        select(f.layer_id, literal(new), f.properties, f.geom).where(f.layer_id == layer.id, f.version == version)
        .order_by(f.id)))
    attach(session, layer.id, new)
    count = count_features(session, layer.id, new)
    session.add(LayerVersion(layer_id=layer.id, version=new, created_by_id=principal.user_id, change="restored",
                             feature_count=count, note=f"restored version {version}"))
    layer.current_version = new
    audit.record(session, "layer_restored", principal=principal, entity="layer", entity_id=slug,
                 detail={"from_version": version, "version": new}, origin=origin)
    return new


def set_metadata(session: Session, principal: Principal, slug: str, *, title: str, abstract: str | None = None,
                 source: str | None = None, licence: str | None = None, source_date: date | str | None = None,
                 keywords: list[str] | str | None = None, origin: RequestOrigin | None = None) -> None:
    layer = layer_for(session, principal, slug, manage=True)
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
    layer = layer_for(session, principal, slug, manage=True)
    try:
        checked = sorted({Role(r).value for r in roles})
    except ValueError:
        raise ValidationError(f"Unknown role in {roles!r}; roles are {', '.join(r.value for r in Role)}.") from None
    layer.visible_to_roles, layer.in_briefings = checked, bool(in_briefings)
    audit.record(session, "layer_visibility", principal=principal, entity="layer", entity_id=slug,
                 detail={"roles": checked, "in_briefings": bool(in_briefings)}, origin=origin)


def delete_layer(session: Session, principal: Principal, slug: str, origin: RequestOrigin | None = None) -> None:
    layer = layer_for(session, principal, slug, manage=True)
    if layer.status == LayerStatus.PUBLISHED:
        raise Conflict(f"Layer {slug!r} is published: archive it before deleting it.")
    # Its features go with their partitions (dropping a table is quicker than deleting its rows).
    for number in session.scalars(select(LayerVersion.version).where(LayerVersion.layer_id == layer.id)):
        drop_partition(session, layer.id, number)
    session.execute(delete(Layer).where(Layer.id == layer.id))
    audit.record(session, "layer_deleted", principal=principal, entity="layer", entity_id=slug, origin=origin)
