"""Layers the GIS team maintains: metadata, versions and features."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Timestamped, enum_column
from models.enums import GeometryType, LayerStatus


class Layer(Timestamped, Base):
    __tablename__ = "layer"
    __table_args__ = (CheckConstraint("slug ~ '^[a-z0-9][a-z0-9_-]*$'", name="slug_format"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    abstract: Mapped[str | None] = mapped_column(Text)
    geometry_type: Mapped[GeometryType] = mapped_column(enum_column(GeometryType, "geometry_type"), nullable=False)
    status: Mapped[LayerStatus] = mapped_column(enum_column(LayerStatus, "layer_status"), nullable=False,
                                                default=LayerStatus.DRAFT)
    source: Mapped[str | None] = mapped_column(Text)
    licence: Mapped[str | None] = mapped_column(String(200))
    source_date: Mapped[date | None] = mapped_column(Date)
    keywords: Mapped[list[str]] = mapped_column(ARRAY(String(60)), nullable=False, default=list)
    style: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    # Roles that may see the layer (empty: every logged-in role but briefing).
    visible_to_roles: Mapped[list[str]] = mapped_column(ARRAY(String(20)), nullable=False, default=list)
    in_briefings: Mapped[bool] = mapped_column(nullable=False, default=False)
    current_version: Mapped[int] = mapped_column(nullable=False, default=1)

    versions: Mapped[list[LayerVersion]] = relationship(back_populates="layer", cascade="all, delete-orphan",
                                                        order_by="LayerVersion.version")


class LayerVersion(Base):
    __tablename__ = "layer_version"
    __table_args__ = (UniqueConstraint("layer_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    layer_id: Mapped[int] = mapped_column(ForeignKey("layer.id", ondelete="CASCADE"), nullable=False)
    version: Mapped[int] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    source_filename: Mapped[str | None] = mapped_column(String(250))
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    change: Mapped[str] = mapped_column(String(40), nullable=False)  # created, replaced, appended, upserted, restored
    feature_count: Mapped[int] = mapped_column(nullable=False, default=0)
    note: Mapped[str | None] = mapped_column(Text)

    layer: Mapped[Layer] = relationship(back_populates="versions")


class LayerFeature(Base):
    """Features of every version of every layer; the map shows those of the layer's current version."""

    __tablename__ = "layer_feature"
    # One partition per layer version (migration 0004, services/layers/partitions.py makes them): every read asks for
    # one version of one layer, and an import builds its partition's indexes once instead of row by row.
    __table_args__ = ({"postgresql_partition_by": "RANGE (layer_id, version)"},)

    layer_id: Mapped[int] = mapped_column(ForeignKey("layer.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    properties: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    geom: Mapped[WKBElement] = mapped_column(Geometry("GEOMETRY", srid=4326), nullable=False)
