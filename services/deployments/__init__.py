"""Deployment queries for lists and maps, with the same field rules as the experts.

A deployment's place is its site, or the mission's HQ when it has no site. The expert appears as
``expert_id`` and ``expert_name`` only for principals with VIEW_PERSON_NAMES; for others the columns
are not even selected. The briefing role is refused (a deployment is a person's whereabouts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, cast, func, literal, select
from sqlalchemy.dialects.postgresql import DATERANGE
from sqlalchemy.orm import Session

from models import Capacity, Deployment, Expert, Mission, Site, SurgeRequest
from models.enums import DeploymentKind, DeploymentStatus
from services.access import Permission, Principal
from services.catalog import BBox, Page, Paging, count_of, feature_collection, find_mission_id, geojson
from services.errors import NotFound, ValidationError


@dataclass(frozen=True)
class DeploymentFilter:
    mission: str | None = None  # acronym
    start: date | None = None  # with end: deployments overlapping [start, end], both days included
    end: date | None = None
    bbox: BBox | None = None
    status: DeploymentStatus | None = None
    kind: DeploymentKind | None = None
    capacity: str | None = None  # the expert's capacity code
    paging: Paging = field(default_factory=Paging)

    def __post_init__(self) -> None:
        if self.start and self.end and self.end < self.start:
            raise ValidationError(
                f"end ({self.end.isoformat()}) is before start ({self.start.isoformat()}): "
                "give an end on or after the start."
            )


def location() -> ColumnElement[Any]:
    return func.coalesce(Site.location, Mission.hq)


def _columns(principal: Principal) -> list[Any]:  # columns and ORM attributes, as select() takes them
    principal.require(Permission.VIEW_OPERATIONS)
    columns: list[Any] = [
        Deployment.id, Mission.acronym.label("mission"), Mission.name.label("mission_name"),
        Deployment.site_id, Site.name.label("site_name"), Site.kind.label("site_kind"),
        Deployment.role, Deployment.kind, Deployment.status, Deployment.start_date, Deployment.end_date,
        Capacity.code.label("capacity"), Deployment.gender_marker,
        SurgeRequest.reference.label("surge_request"),
    ]
    if principal.can(Permission.VIEW_PERSON_NAMES):
        columns += [Expert.id.label("expert_id"),
                    (Expert.given_name + " " + Expert.family_name).label("expert_name")]
    return columns


def _select(session: Session, principal: Principal, filt: DeploymentFilter, *extra: ColumnElement[Any]) -> Select[Any]:
    stmt = (
        select(*_columns(principal), *extra)
        .select_from(Deployment)
        .join(Mission, Mission.id == Deployment.mission_id)
        .join(Expert, Expert.id == Deployment.expert_id)
        .join(Capacity, Capacity.id == Expert.capacity_id)
        .outerjoin(Site, Site.id == Deployment.site_id)
        .outerjoin(SurgeRequest, SurgeRequest.id == Deployment.surge_request_id)
    )
    if filt.mission:
        stmt = stmt.where(Deployment.mission_id == find_mission_id(session, filt.mission))
    if filt.start or filt.end:
        # A NULL bound is an open end: daterange(start, NULL) reaches into the future.
        wanted = cast(func.daterange(literal(filt.start), literal(filt.end), literal("[]")), DATERANGE)
        stmt = stmt.where(Deployment.period.op("&&")(wanted))
    if filt.bbox is not None:
        stmt = stmt.where(func.ST_Intersects(location(), filt.bbox.envelope()))
    if filt.status is not None:
        stmt = stmt.where(Deployment.status == filt.status)
    if filt.kind is not None:
        stmt = stmt.where(Deployment.kind == filt.kind)
    if filt.capacity:
        code = filt.capacity.strip().upper()
        if session.scalar(select(Capacity.id).where(Capacity.code == code)) is None:
            raise NotFound(f"No capacity with code {filt.capacity!r}.")
        stmt = stmt.where(Capacity.code == code)
    return stmt


ORDER = (Deployment.start_date.desc(), Deployment.id.desc())


def list_deployments(session: Session, principal: Principal, filt: DeploymentFilter) -> Page[dict[str, Any]]:
    stmt = _select(session, principal, filt)
    total = count_of(session, stmt)
    rows = session.execute(stmt.order_by(*ORDER).limit(filt.paging.limit).offset(filt.paging.offset)).mappings()
    items = [{key: getattr(value, "value", value) for key, value in row.items()} for row in rows]
    return Page(items, total, filt.paging.limit, filt.paging.offset)


def deployments_feature_collection(session: Session, principal: Principal, filt: DeploymentFilter) -> dict[str, Any]:
    """One page of deployments as GeoJSON points (site, else mission HQ), built in SQL."""
    stmt = _select(session, principal, filt)
    total = count_of(session, stmt)
    names = [str(c.key) for c in stmt.selected_columns]
    page = (
        stmt.add_columns(
            geojson(location()).label("geometry"),
            func.row_number().over(order_by=ORDER).label("_seq"),
        )
        .order_by(*ORDER).limit(filt.paging.limit).offset(filt.paging.offset)
        .subquery()
    )
    return feature_collection(session, page, "id", "geometry", names, total, filt.paging)
