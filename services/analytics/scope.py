"""A MapFilter as SQL: which deployments, experts and projects are in scope.

Every chart, key figure, map layer and download builds on these, so "in scope" means one thing everywhere.
A deployment's place is its site, else its mission's HQ; its country is the site's, else the mission's
first host country. Cancelled deployments never count.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Date, Select, and_, cast, exists, func, literal, or_, select
from sqlalchemy.dialects.postgresql import DATERANGE
from sqlalchemy.orm import Session

from models import (
    Allocation,
    Capacity,
    Country,
    Deployment,
    Expert,
    ExpertSkill,
    Fund,
    Grant,
    Mission,
    Project,
    Site,
    Skill,
    mission_host_country,
    project_mission,
    project_site,
)
from models.enums import DeploymentStatus, ExpertStatus
from services.analytics.filters import MapFilter


def day_range(start: date | Any, end: date | Any) -> ColumnElement[Any]:
    """An inclusive daterange of two dates (or date expressions)."""
    return cast(func.daterange(cast(start, Date), cast(end, Date), literal("[]")), DATERANGE)


def period_of(filt: MapFilter) -> ColumnElement[Any]:
    return day_range(literal(filt.start), literal(filt.end))


def place() -> ColumnElement[Any]:
    """Where a deployment is: its site, else its mission's HQ (needs Site outer-joined and Mission joined)."""
    return func.coalesce(Site.location, Mission.hq)


# Looked up once per statement and joined, not run again for each deployment row: a correlated subquery here
# cost seconds over 100,000 deployments.
_mhc = mission_host_country.c
FIRST_HOST = (select(_mhc.mission_id.label("mission_id"), func.min(_mhc.country_iso3).label("iso3"))
              .group_by(_mhc.mission_id).subquery("first_host"))


def place_country() -> ColumnElement[Any]:
    """ISO3 of where a deployment is (needs deployment_from's joins)."""
    return func.coalesce(Site.country_iso3, FIRST_HOST.c.iso3)


def area_geometry(filt: MapFilter) -> ColumnElement[Any] | None:
    """The drawn area and the viewport, intersected, as one geometry; None when neither is set."""
    shapes: list[ColumnElement[Any]] = []
    if filt.bbox is not None:
        shapes.append(filt.bbox.envelope())
    if filt.area is not None:
        shapes.append(func.ST_SetSRID(func.ST_GeomFromGeoJSON(json.dumps(filt.area)), 4326))
    if not shapes:
        return None
    geometry = shapes[0]
    for shape in shapes[1:]:
        geometry = func.ST_Intersection(geometry, shape)
    return geometry


def capacity_codes(session: Session) -> dict[int, str]:
    """Capacity id -> code: the scans group by id and name the capacities afterwards."""
    return dict(session.execute(select(Capacity.id, Capacity.code)).all())


def capacity_ids(codes: tuple[str, ...]) -> Select[Any]:
    """Ids of the capacities with these codes, as an uncorrelated subquery: conditions on ids work whether or not
    the statement joins Capacity, and a lean statement need not join it."""
    return select(Capacity.id).where(Capacity.code.in_(codes)).correlate(None)


def expert_conditions(filt: MapFilter) -> list[ColumnElement[bool]]:
    """Who the expert is: capacity, gender, skills (any of them). Needs Expert in the FROM."""
    conditions: list[ColumnElement[bool]] = []
    if filt.capacity:
        conditions.append(Expert.capacity_id.in_(capacity_ids(filt.capacity)))
    if filt.gender:
        conditions.append(Expert.gender.in_(filt.gender))
    if filt.skill:
        conditions.append(exists().where(
            ExpertSkill.expert_id == Expert.id, ExpertSkill.skill_id == Skill.id, Skill.code.in_(filt.skill)))
    return conditions


def pool_conditions(filt: MapFilter) -> list[ColumnElement[bool]]:
    """The experts who could be deployed: not separated, and matching the expert filters."""
    return [Expert.status != ExpertStatus.SEPARATED, *expert_conditions(filt)]


def _place_in(sites: ColumnElement[bool], unplaced_sites: ColumnElement[bool] | None,
              missions: Select[Any]) -> ColumnElement[bool]:
    """The deployment's place matches: its site matches ``sites``, or it has no site (or a site matching
    ``unplaced_sites``, which then falls back to the mission) and its mission is among ``missions``.

    Written on Deployment's own ids with uncorrelated subqueries, which PostgreSQL hashes once: no join to the
    site and mission and no geometry or lookup per deployment row (ST_Intersects on 100,000 joined rows cost
    half a second; a few thousand sites and missions cost a millisecond)."""
    no_site: ColumnElement[bool] = Deployment.site_id.is_(None)
    if unplaced_sites is not None:
        no_site = or_(no_site, Deployment.site_id.in_(select(Site.id).where(unplaced_sites).correlate(None)))
    return or_(Deployment.site_id.in_(select(Site.id).where(sites).correlate(None)),
               and_(no_site, Deployment.mission_id.in_(missions.correlate(None))))


def _place_country_in(iso3: Any) -> ColumnElement[bool]:
    """place_country() IN iso3 (a list or a select of codes), without the lookups."""
    return _place_in(Site.country_iso3.in_(iso3), Site.country_iso3.is_(None),
                     select(FIRST_HOST.c.mission_id).where(FIRST_HOST.c.iso3.in_(iso3)))


def _place_conditions(filt: MapFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filt.mission:
        conditions.append(Deployment.mission_id.in_(
            select(Mission.id).where(Mission.acronym.in_(filt.mission)).correlate(None)))
    if filt.country:  # ISO 3166-1 alpha-3 at the edge, Natural Earth's key inside (Country.named_by)
        conditions.append(_place_country_in(select(Country.iso3).where(Country.named_by(filt.country))))
    if filt.region:
        conditions.append(_place_country_in(select(Country.iso3).where(Country.region.in_(filt.region))))
    geometry = area_geometry(filt)
    if geometry is not None:
        conditions.append(_place_in(func.ST_Intersects(Site.location, geometry), None,
                                    select(Mission.id).where(func.ST_Intersects(Mission.hq, geometry))))
    return conditions


def time_conditions(filt: MapFilter, when: str) -> list[ColumnElement[bool]]:
    """Not cancelled, and: "period" overlaps the period, "day" covers the map's day, "any" no time condition."""
    conditions: list[ColumnElement[bool]] = [Deployment.status != DeploymentStatus.CANCELLED]
    if when == "period":
        # The same as period && [start, end], but two date comparisons cost a third less per row than the range
        # operator, and every chart scans up to all the deployments with it.
        conditions += [Deployment.start_date <= filt.end, Deployment.end_date >= filt.start]
    elif when == "day":
        conditions.append(Deployment.period.op("@>")(literal(filt.day)))
    return conditions


def place_and_kind_conditions(filt: MapFilter) -> list[ColumnElement[bool]]:
    """What the filter says about the deployment itself (not the expert): kind, marker, funding, place."""
    conditions: list[ColumnElement[bool]] = []
    if filt.kind:
        conditions.append(Deployment.kind.in_(filt.kind))
    if filt.marker:
        conditions.append(Deployment.gender_marker.in_(filt.marker))
    if filt.source:
        conditions.append(Deployment.allocation_id.in_(
            select(Allocation.id).join(Grant, Grant.id == Allocation.grant_id).join(Fund, Fund.id == Grant.fund_id)
            .where(Fund.fund_type.in_(filt.source)).correlate(None)))
    return conditions + _place_conditions(filt)


def deployment_conditions(filt: MapFilter, *, when: str = "period") -> list[ColumnElement[bool]]:
    """Conditions on a FROM of deployment_from(): time (see time_conditions), the expert, the place and kind."""
    return time_conditions(filt, when) + expert_conditions(filt) + place_and_kind_conditions(filt)


def deployment_from(*columns: Any, lookups: bool = True, lean: bool = False) -> Select[Any]:
    """SELECT columns FROM deployment with its expert, capacity, mission and (optional) site joined; with
    ``lookups`` also the first host country of its mission, for place_country(). A statement that needs none of
    them should not pay for joining them to every deployment.

    ``lean``: only the expert is joined (and the rest when ``lookups``): each join costs some 15 ms over 100,000
    deployments, so the charts that scan them all read ids (Expert.capacity_id, Deployment.mission_id) and name
    them afterwards. The conditions of deployment_conditions() read Deployment and Expert only."""
    stmt = select(*columns).select_from(Deployment).join(Expert, Expert.id == Deployment.expert_id)
    if not lean:
        stmt = stmt.join(Capacity, Capacity.id == Expert.capacity_id)
    if not lean or lookups:
        stmt = (stmt.join(Mission, Mission.id == Deployment.mission_id)
                .outerjoin(Site, Site.id == Deployment.site_id))
    if lookups:
        stmt = stmt.outerjoin(FIRST_HOST, FIRST_HOST.c.mission_id == Deployment.mission_id)
    return stmt


def deployments_in_scope(filt: MapFilter, *columns: Any, when: str = "period", lookups: bool = True,
                         lean: bool = False) -> Select[Any]:
    """The deployments in scope. The conditions read Deployment and Expert only, so the joins are for the columns:
    ``lookups=False`` for columns that use no lookup (see deployment_from), ``lean`` for columns that read only
    Deployment and Expert."""
    return deployment_from(*columns, lookups=lookups and not lean, lean=lean).where(
        *deployment_conditions(filt, when=when))


def clipped_days(start: Any, end: Any, lo: Any, hi: Any) -> ColumnElement[Any]:
    """Days of [start, end] inside [lo, hi] (dates or date expressions), both ends included; 0 outside."""
    lo = lo if isinstance(lo, ColumnElement) else literal(lo, Date)
    hi = hi if isinstance(hi, ColumnElement) else literal(hi, Date)
    return func.greatest(func.least(end, hi) - func.greatest(start, lo) + 1, 0)


# --- projects -----------------------------------------------------------------------------------------------
def projects_apply(filt: MapFilter) -> bool:
    """Projects have no experts or deployment kind: a filter on those leaves them out."""
    return not (filt.skill or filt.gender or filt.kind)


def project_conditions(filt: MapFilter, *, running: bool = True) -> list[ColumnElement[bool]]:
    """Conditions on Project for the filter (its capacity, missions, sites and gender marker); with ``running``
    also that it runs in the period (money is dated itself: late invoices of a closed project still count)."""
    if not projects_apply(filt):
        return [literal(False)]
    conditions: list[ColumnElement[bool]] = []
    if running:
        conditions.append(
            day_range(Project.start_date, func.coalesce(Project.end_date, literal(date.max))).op("&&")(period_of(filt)))
    if filt.capacity:
        conditions.append(Project.capacity_id.in_(select(Capacity.id).where(Capacity.code.in_(filt.capacity))))
    if filt.marker:
        conditions.append(Project.gender_marker.in_(filt.marker))
    if filt.mission:
        conditions.append(exists().where(
            project_mission.c.project_id == Project.id, project_mission.c.mission_id == Mission.id,
            Mission.acronym.in_(filt.mission)))
    site_conditions: list[ColumnElement[bool]] = []
    if filt.country:
        site_conditions.append(Site.country_iso3.in_(filt.country))
    if filt.region:
        site_conditions.append(select(Country.region).where(Country.iso3 == Site.country_iso3)
                               .scalar_subquery().in_(filt.region))
    geometry = area_geometry(filt)
    if geometry is not None:
        site_conditions.append(func.ST_Intersects(Site.location, geometry))
    if site_conditions:
        conditions.append(exists().where(project_site.c.project_id == Project.id, project_site.c.site_id == Site.id,
                                         and_(*site_conditions)))
    return conditions
