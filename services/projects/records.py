"""Projects and their parts kept by programme staff: create, edit and close; activities, milestones, sites,
the results framework and its actual values.

Each write is checked by its rule book (every problem at once, as ``Problems``), refused when stale
(``check_version``: who changed what), audited with its before and after values, and never committed here:
the caller owns the transaction. Reading needs VIEW_OPERATIONS, writing MANAGE_PROJECTS, money VIEW_FUNDING.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import shapely
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Point, Polygon, shape
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from models import Allocation, Capacity, Country, Expenditure, Grant, Mission, Project, Site
from models.enums import MilestoneStatus, ProjectStatus, ResultLevel, SiteKind
from models.errors import Conflict, NotFound
from models.projects import Activity, Milestone, Result, ResultActual, project_mission, project_site
from services.access import Permission, Principal
from services.audit import RequestOrigin
from services.projects import rules
from services.records import N_, Problem, Problems, RuleBook, audit_change, check_version, register_messages, snapshot

register_messages({
    "actuals_not_split": N_("Values already recorded are not split by sex: give women and men for each first."),
    "has_outputs": N_("Outputs sit under this outcome: remove them first."),
})

PROJECT_FIELDS = ("code", "name", "name_fr", "description", "description_fr", "capacity", "budget", "currency",
                  "start_date", "end_date", "status", "gender_marker", "sector_code", "missions")


# --- reading -------------------------------------------------------------------------------------------------
def _project(session: Session, project_id: int, *, for_update: bool = False) -> Project:
    query = select(Project).where(Project.id == project_id)
    project = session.scalar(query.with_for_update() if for_update else query)
    if project is None:
        raise NotFound(f"No project {project_id}.")
    return project


def project_values(session: Session, project: Project) -> dict[str, Any]:
    """The project's fields as the rule book names them (capacity by code, missions by acronym)."""
    capacity = session.scalar(select(Capacity.code).where(Capacity.id == project.capacity_id))
    missions = session.scalars(select(Mission.acronym).join(project_mission, project_mission.c.mission_id == Mission.id)
                               .where(project_mission.c.project_id == project.id).order_by(Mission.acronym)).all()
    out = {name: getattr(project, name) for name in PROJECT_FIELDS if name not in ("capacity", "missions")}
    out.update(capacity=capacity, missions=list(missions))
    out["status"], out["gender_marker"] = str(project.status), str(project.gender_marker)
    return out


def list_projects(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """Every project with its progress (milestones achieved of those due) and, for roles that see money, its
    allocated and spent amounts per currency."""
    principal.require(Permission.VIEW_OPERATIONS)
    ms = (select(Milestone.project_id, func.count().label("total"),
                 func.count().filter(Milestone.status == MilestoneStatus.ACHIEVED).label("achieved"))
          .group_by(Milestone.project_id).subquery())
    rows = session.execute(
        select(Project.id, Project.code, Project.name, Project.name_fr, Capacity.code, Project.status,
               Project.gender_marker, Project.start_date, Project.end_date, Project.budget, Project.currency,
               func.coalesce(ms.c.total, 0), func.coalesce(ms.c.achieved, 0), Project.version)
        .join(Capacity, Capacity.id == Project.capacity_id).outerjoin(ms, ms.c.project_id == Project.id)
        .order_by(Project.code)
    ).all()
    money = money_by_project(session, [r[0] for r in rows]) if principal.can(Permission.VIEW_FUNDING) else {}
    return [{"id": r[0], "code": r[1], "name": r[2], "name_fr": r[3], "capacity": r[4], "status": str(r[5]),
             "gender_marker": str(r[6]), "start_date": r[7], "end_date": r[8], "budget": r[9], "currency": r[10],
             "milestones": r[11], "milestones_achieved": r[12], "version": r[13],
             **({"money": money.get(r[0], [])} if principal.can(Permission.VIEW_FUNDING) else {})}
            for r in rows]


def money_by_project(session: Session, project_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Allocated and spent per project and currency, as the funding tables hold them (exact decimals)."""
    allocated = session.execute(
        select(Allocation.project_id, Allocation.currency, func.sum(Allocation.amount))
        .where(Allocation.project_id.in_(project_ids)).group_by(Allocation.project_id, Allocation.currency)
    ).all()
    spent = session.execute(
        select(Allocation.project_id, Expenditure.currency, func.sum(Expenditure.amount))
        .join(Allocation, Allocation.id == Expenditure.allocation_id)
        .where(Allocation.project_id.in_(project_ids)).group_by(Allocation.project_id, Expenditure.currency)
    ).all()
    table: dict[int, dict[str, dict[str, Decimal]]] = {}
    for pid, currency, amount in allocated:
        if pid is None:  # an allocation to no project; the in_() above never matches one
            continue
        table.setdefault(pid, {}).setdefault(currency, {"allocated": Decimal(0), "spent": Decimal(0)})
        table[pid][currency]["allocated"] = amount
    for pid, currency, amount in spent:
        if pid is None:  # as above
            continue
        table.setdefault(pid, {}).setdefault(currency, {"allocated": Decimal(0), "spent": Decimal(0)})
        table[pid][currency]["spent"] = amount
    return {pid: [{"currency": c, **v} for c, v in sorted(by.items())] for pid, by in table.items()}


def _site_features(session: Session, project_id: int) -> dict[str, Any]:
    rows = session.execute(
        select(Site.id, Site.name, Site.source, func.ST_AsGeoJSON(func.coalesce(Site.area, Site.location), 6),
               func.ST_X(Site.location), func.ST_Y(Site.location))
        .join(project_site, project_site.c.site_id == Site.id)
        .where(project_site.c.project_id == project_id).order_by(Site.id)
    ).all()
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": r[0], "geometry": json.loads(r[3]),
         "properties": {"id": r[0], "name": r[1], "source": r[2], "lon": r[4], "lat": r[5]}} for r in rows]}


def get_project(session: Session, principal: Principal, project_id: int) -> dict[str, Any]:
    """One project with its parts, its sites as GeoJSON and (for roles that see money) its allocations."""
    principal.require(Permission.VIEW_OPERATIONS)
    project = session.scalar(
        select(Project).where(Project.id == project_id)
        .options(selectinload(Project.activities), selectinload(Project.milestones),
                 selectinload(Project.results).selectinload(Result.actuals)))
    if project is None:
        raise NotFound(f"No project {project_id}.")
    out = {"id": project.id, "version": project.version, **project_values(session, project),
           "activities": [{"id": a.id, "title": a.title, "start_date": a.start_date, "end_date": a.end_date,
                           "version": a.version} for a in sorted(project.activities, key=_by_start)],
           "milestones": [{"id": m.id, "title": m.title, "due_on": m.due_on, "achieved_on": m.achieved_on,
                           "status": str(m.status), "version": m.version}
                          for m in sorted(project.milestones, key=lambda m: (m.due_on, m.id))],
           "results": [_result_dict(r) for r in _framework_order(project.results)],
           "sites": _site_features(session, project.id)}
    if principal.can(Permission.VIEW_FUNDING):
        out["money"] = money_by_project(session, [project.id]).get(project.id, [])
        out["allocations"] = [
            {"id": a.id, "grant": ref, "purpose": a.purpose, "amount": a.amount, "currency": a.currency,
             "allocated_on": a.allocated_on}
            for a, ref in session.execute(select(Allocation, Grant.reference).join(Grant)
                                          .where(Allocation.project_id == project.id)
                                          .order_by(Allocation.allocated_on, Allocation.id))]
    return out


def _by_start(activity: Activity) -> tuple[date, int]:
    return activity.start_date or date.max, activity.id


def _framework_order(results: list[Result]) -> list[Result]:
    """Outcomes, each followed by its outputs."""
    outcomes = sorted((r for r in results if r.parent_id is None), key=lambda r: r.id)
    out: list[Result] = []
    for outcome in outcomes:
        out.append(outcome)
        out += sorted((r for r in results if r.parent_id == outcome.id), key=lambda r: r.id)
    return out


def _result_dict(result: Result) -> dict[str, Any]:
    return {"id": result.id, "level": str(result.level), "parent_id": result.parent_id,
            "statement": result.statement, "indicator": result.indicator, "unit": result.unit,
            "baseline": result.baseline, "target": result.target, "gender_specific": result.gender_specific,
            "about_people": result.about_people, "version": result.version,
            "actuals": [{"id": a.id, "period_start": a.period_start, "period_end": a.period_end, "value": a.value,
                         "women": a.women, "men": a.men, "note": a.note, "version": a.version}
                        for a in result.actuals]}


# --- the project -----------------------------------------------------------------------------------------------
def _lookups(session: Session, values: dict[str, Any], data: Mapping[str, Any]) -> list[Problem]:
    """Capacity code → id, missions' acronyms → ids (into ``values``), each unknown one a problem."""
    problems: list[Problem] = []
    if values.get("capacity") is not None:
        capacity_id = session.scalar(select(Capacity.id).where(Capacity.code == values["capacity"]))
        if capacity_id is None:
            problems.append(Problem("capacity", "unknown", {"value": values["capacity"]}))
        values["capacity_id"] = capacity_id
    if "missions" in data:
        raw = data.get("missions") or []
        acronyms = [str(m).strip() for m in (raw if isinstance(raw, list | tuple) else [raw]) if str(m).strip()]
        found = dict(session.execute(select(Mission.acronym, Mission.id).where(Mission.acronym.in_(acronyms))).all())
        for i, acronym in enumerate(acronyms):
            if acronym not in found:
                problems.append(Problem(f"missions.{i}", "unknown", {"value": acronym}))
        values["missions"] = [found[a] for a in dict.fromkeys(acronyms) if a in found]
    return problems


def _set_missions(session: Session, project_id: int, mission_ids: list[int]) -> None:
    session.execute(delete(project_mission).where(project_mission.c.project_id == project_id))
    if mission_ids:
        session.execute(insert(project_mission), [{"project_id": project_id, "mission_id": m} for m in mission_ids])


def _apply_project(project: Project, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name in ("capacity", "missions", "capacity_id"):
            continue
        setattr(project, name, value)
    if values.get("capacity_id") is not None:
        project.capacity_id = values["capacity_id"]


def create_project(session: Session, principal: Principal, data: Mapping[str, Any], *,
                   origin: RequestOrigin | None = None) -> Project:
    principal.require(Permission.MANAGE_PROJECTS)
    values, problems = rules.PROJECT.validate(data)
    problems += _lookups(session, values, data)
    if values.get("code") and session.scalar(select(Project.id).where(Project.code == values["code"])):
        problems.append(Problem("code", "duplicate"))
    if problems:
        raise Problems(problems)
    project = Project()
    _apply_project(project, values)
    session.add(project)
    session.flush()
    _set_missions(session, project.id, values.get("missions", []))
    audit_change(session, principal, "project.create", entity="project", entity_id=project.id, before=None,
                 after=snapshot({**values, "missions": data.get("missions") or []}, PROJECT_FIELDS), origin=origin)
    return project


def update_project(session: Session, principal: Principal, project_id: int, data: Mapping[str, Any], *,
                   version: int | None, origin: RequestOrigin | None = None, action: str = "project.update"
                   ) -> Project:
    """Changes the fields present in ``data`` (a PATCH); ``version`` is the one the change was made against."""
    principal.require(Permission.MANAGE_PROJECTS)
    project = _project(session, project_id, for_update=True)
    check_version(session, entity="project", entity_id=project.id, current=project.version, expected=version)
    before = snapshot(project_values(session, project), PROJECT_FIELDS)
    merged = {**before, **data}  # cross-field checks (start before end) see the whole record
    values, problems = rules.PROJECT.validate(merged)
    problems += _lookups(session, values, data)
    values = {k: v for k, v in values.items() if k in data or k == "capacity_id"}
    if "code" in data and values.get("code") and session.scalar(
            select(Project.id).where(Project.code == values["code"], Project.id != project.id)):
        problems.append(Problem("code", "duplicate"))
    if problems:
        raise Problems(problems)
    _apply_project(project, values)
    if "missions" in data:
        _set_missions(session, project.id, values["missions"])
        project.updated_at = func.now()  # the missions changed: a new version of the project
    _flush(session, "project")
    session.refresh(project)
    audit_change(session, principal, action, entity="project", entity_id=project.id, before=before,
                 after=snapshot(project_values(session, project), PROJECT_FIELDS), origin=origin)
    return project


def close_project(session: Session, principal: Principal, project_id: int, *, version: int | None,
                  today: date | None = None, origin: RequestOrigin | None = None) -> Project:
    """Closes a project: status closed, ending today unless it ended already."""
    project = _project(session, project_id)
    if project.status == ProjectStatus.CLOSED:
        raise Problems([Problem("status", "already_closed")])
    change: dict[str, Any] = {"status": ProjectStatus.CLOSED.value}
    if project.end_date is None:
        change["end_date"] = max(today or date.today(), project.start_date)
    return update_project(session, principal, project_id, change, version=version, origin=origin,
                          action="project.close")


def _flush(session: Session, entity: str) -> None:
    try:
        session.flush()
    except StaleDataError as error:  # a concurrent write between the version check and this flush
        raise Conflict(f"This {entity} was changed by someone else at the same moment: reload it and try again."
                       ) from error


# --- the parts: one shape for activities, milestones, results and actual values --------------------------------
@dataclass(frozen=True)
class Part:
    entity: str
    model: type[Any]
    book: RuleBook

    @property
    def names(self) -> list[str]:
        return self.book.names


ACTIVITY = Part("activity", Activity, rules.ACTIVITY)
MILESTONE = Part("milestone", Milestone, rules.MILESTONE)
RESULT = Part("result", Result, rules.RESULT)
ACTUAL = Part("result_actual", ResultActual, rules.ACTUAL)


def _open_project(session: Session, project_id: int) -> Project:
    project = _project(session, project_id)
    if project.status == ProjectStatus.CLOSED:
        raise Problems([Problem("project", "project_closed")])
    return project


def _result_checks(session: Session, project_id: int, values: dict[str, Any], row: Result | None
                   ) -> list[Problem]:
    problems: list[Problem] = []
    level, parent_id = values.get("level"), values.get("parent_id")
    if level == ResultLevel.OUTCOME.value and parent_id is not None:
        problems.append(Problem("parent_id", "outcome_has_no_parent"))
    if level == ResultLevel.OUTPUT.value:
        parent = session.scalar(select(Result).where(Result.id == parent_id)) if parent_id else None
        if parent is None or parent.project_id != project_id or parent.level != ResultLevel.OUTCOME:
            problems.append(Problem("parent_id", "needs_outcome"))
    if row is not None and level == ResultLevel.OUTPUT.value and row.level == ResultLevel.OUTCOME and \
            session.scalar(select(func.count()).where(Result.parent_id == row.id)):
        problems.append(Problem("level", "has_outputs"))
    if row is not None and values.get("about_people") and not row.about_people and session.scalar(
            select(func.count()).where(ResultActual.result_id == row.id, ResultActual.women.is_(None))):
        problems.append(Problem("about_people", "actuals_not_split"))
    return problems


def _actual_checks(result: Result, values: dict[str, Any]) -> list[Problem]:
    if result.about_people and values.get("women") is None and values.get("men") is None:
        return [Problem("women", "split_by_sex"), Problem("men", "split_by_sex")]
    return []


def _defaults(part: Part, values: dict[str, Any]) -> dict[str, Any]:
    if part is RESULT:
        values["baseline"] = values.get("baseline") or Decimal(0)
        values["gender_specific"] = bool(values.get("gender_specific"))
        values["about_people"] = bool(values.get("about_people"))
        if values.get("level") == ResultLevel.OUTCOME.value:
            values["parent_id"] = None
    return values


def _owner(session: Session, part: Part, row: Any) -> int:
    """The project a part belongs to (an actual value's through its result)."""
    if part is ACTUAL:
        # scalars().one(): the result exists (a foreign key), so its project is never missing.
        return session.scalars(select(Result.project_id).where(Result.id == row.result_id)).one()
    project_id: int = row.project_id
    return project_id


def add_part(session: Session, principal: Principal, part: Part, parent_id: int, data: Mapping[str, Any], *,
             origin: RequestOrigin | None = None) -> Any:
    """A new activity, milestone or result of project ``parent_id``, or a new actual value of result
    ``parent_id``."""
    principal.require(Permission.MANAGE_PROJECTS)
    values, problems = part.book.validate(data)
    values = _defaults(part, values)
    if part is ACTUAL:
        result = session.scalar(select(Result).where(Result.id == parent_id))
        if result is None:
            raise NotFound(f"No result {parent_id}.")
        _open_project(session, result.project_id)
        problems += _actual_checks(result, values)
        if values.get("period_end") and session.scalar(select(ResultActual.id).where(
                ResultActual.result_id == result.id, ResultActual.period_end == values["period_end"])):
            problems.append(Problem("period_end", "duplicate"))
        link = {"result_id": result.id, "about_people": result.about_people}
        project_id = result.project_id
    else:
        _open_project(session, parent_id)
        if part is RESULT:
            problems += _result_checks(session, parent_id, values, None)
        link, project_id = {"project_id": parent_id}, parent_id
    if problems:
        raise Problems(problems)
    row = part.model(**values, **link)
    session.add(row)
    session.flush()
    session.refresh(row)  # the values as the database keeps them (numeric(14, 2): 5 is 5.00)
    audit_change(session, principal, f"project.{part.entity}.create", entity=part.entity, entity_id=row.id,
                 before=None, after=snapshot(values, part.names), origin=origin, extra={"project_id": project_id})
    return row


def _row(session: Session, part: Part, row_id: int) -> Any:
    row = session.scalar(select(part.model).where(part.model.id == row_id).with_for_update())
    if row is None:
        raise NotFound(f"No {part.entity} {row_id}.")
    return row


def update_part(session: Session, principal: Principal, part: Part, row_id: int, data: Mapping[str, Any], *,
                version: int | None, origin: RequestOrigin | None = None) -> Any:
    principal.require(Permission.MANAGE_PROJECTS)
    row = _row(session, part, row_id)
    project_id = _owner(session, part, row)
    check_version(session, entity=part.entity, entity_id=row.id, current=row.version, expected=version)
    _open_project(session, project_id)
    before = snapshot(row, part.names)
    values, problems = part.book.validate({**before, **data})
    values = _defaults(part, values)
    if part is RESULT:
        problems += _result_checks(session, project_id, values, row)
    if part is ACTUAL:
        problems += _actual_checks(row.result, values)
        if values.get("period_end") and session.scalar(select(ResultActual.id).where(
                ResultActual.result_id == row.result_id, ResultActual.period_end == values["period_end"],
                ResultActual.id != row.id)):
            problems.append(Problem("period_end", "duplicate"))
    if problems:
        raise Problems(problems)
    for name, value in values.items():
        setattr(row, name, value)
    _flush(session, part.entity)
    session.refresh(row)
    audit_change(session, principal, f"project.{part.entity}.update", entity=part.entity, entity_id=row.id,
                 before=before, after=snapshot(row, part.names), origin=origin, extra={"project_id": project_id})
    return row


def delete_part(session: Session, principal: Principal, part: Part, row_id: int, *, version: int | None,
                origin: RequestOrigin | None = None) -> None:
    principal.require(Permission.MANAGE_PROJECTS)
    row = _row(session, part, row_id)
    project_id = _owner(session, part, row)
    check_version(session, entity=part.entity, entity_id=row.id, current=row.version, expected=version)
    _open_project(session, project_id)
    if part is RESULT and session.scalar(select(func.count()).where(Result.parent_id == row.id)):
        raise Problems([Problem("level", "has_outputs")])
    before = snapshot(row, part.names)
    session.delete(row)
    _flush(session, part.entity)
    audit_change(session, principal, f"project.{part.entity}.delete", entity=part.entity, entity_id=row_id,
                 before=before, after=None, origin=origin, extra={"project_id": project_id})


# --- sites ---------------------------------------------------------------------------------------------------
def site_shape(geometry: Any) -> tuple[Point, MultiPolygon | None] | list[Problem]:
    """A site's point and area from GeoJSON: a point, or a polygon (its point is one inside it)."""
    if not geometry:
        return [Problem("geometry", "no_geometry")]
    try:
        geom = shape(geometry)
    except (AttributeError, KeyError, TypeError, ValueError, shapely.errors.GEOSException):
        return [Problem("geometry", "invalid_geometry")]
    if geom.is_empty or not geom.is_valid:
        return [Problem("geometry", "invalid_geometry")]
    minx, miny, maxx, maxy = geom.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        return [Problem("geometry", "invalid_geometry")]
    if isinstance(geom, Point):
        return geom, None
    if isinstance(geom, Polygon):
        geom = MultiPolygon([geom])
    if isinstance(geom, MultiPolygon):
        return geom.representative_point(), geom
    return [Problem("geometry", "not_site_geometry")]


def add_site(session: Session, principal: Principal, project_id: int, data: Mapping[str, Any], *,
             origin: RequestOrigin | None = None) -> Site:
    """A site of the project: ``geometry`` (GeoJSON: clicked or drawn), or ``layer`` + ``feature_id`` (a feature
    of a published GIS layer this principal may see)."""
    principal.require(Permission.MANAGE_PROJECTS)
    project = _open_project(session, project_id)
    values, problems = rules.SITE.validate(data)
    geometry, source = data.get("geometry"), "drawn in the hub"
    if data.get("layer"):
        from services.layers.access import published_layer_for
        from services.layers.sources import LayerSource

        try:
            feature_id = int(data.get("feature_id"))  # type: ignore[arg-type]
            feature = LayerSource(session, published_layer_for(session, principal, str(data["layer"]))
                                  ).feature(feature_id)
        except (TypeError, ValueError, NotFound):
            problems.append(Problem("feature_id", "unknown", {"value": data.get("feature_id")}))
            feature = None
        if feature is not None:
            geometry, source = feature["geometry"], f"layer {data['layer']}, feature {feature_id}"
    shaped = site_shape(geometry)
    if isinstance(shaped, list):
        # A layer feature that was not found reports that, not the missing geometry it implies.
        problems += [] if data.get("layer") and problems else shaped
        raise Problems(problems)
    if problems:
        raise Problems(problems)
    point, area = shaped
    country = session.scalar(select(Country.iso3).where(
        func.ST_Intersects(Country.boundary, func.ST_GeomFromText(point.wkt, 4326))).limit(1))
    mission_id = session.scalar(select(project_mission.c.mission_id)
                                .where(project_mission.c.project_id == project.id).limit(1))
    site = Site(name=values["name"], kind=SiteKind.PROJECT_SITE, mission_id=mission_id, country_iso3=country,
                location=from_shape(point, srid=4326), area=None if area is None else from_shape(area, srid=4326),
                source=source)
    session.add(site)
    session.flush()
    session.execute(insert(project_site).values(project_id=project.id, site_id=site.id))
    audit_change(session, principal, "project.site.create", entity="site", entity_id=site.id, before=None,
                 after={"name": site.name, "source": source, "point": point.wkt,
                        "area": None if area is None else area.wkt}, origin=origin,
                 extra={"project_id": project.id})
    return site


def remove_site(session: Session, principal: Principal, project_id: int, site_id: int, *,
                origin: RequestOrigin | None = None) -> None:
    """Takes a site off the project; a project site no other project uses is deleted with it."""
    principal.require(Permission.MANAGE_PROJECTS)
    _open_project(session, project_id)
    removed = session.execute(delete(project_site).where(project_site.c.project_id == project_id,
                                                         project_site.c.site_id == site_id))
    if not removed.rowcount:  # type: ignore[attr-defined]
        raise NotFound(f"Project {project_id} has no site {site_id}.")
    site = session.get(Site, site_id)
    name = site.name if site else None
    if site is not None and site.kind == SiteKind.PROJECT_SITE and not session.scalar(
            select(func.count()).select_from(project_site).where(project_site.c.site_id == site_id)):
        session.delete(site)
    session.flush()
    audit_change(session, principal, "project.site.delete", entity="site", entity_id=site_id,
                 before={"name": name}, after=None, origin=origin, extra={"project_id": project_id})


__all__ = ["ACTIVITY", "ACTUAL", "MILESTONE", "RESULT", "Part", "add_part", "add_site", "close_project",
           "create_project", "delete_part", "get_project", "list_projects", "money_by_project", "remove_site",
           "site_shape", "update_part", "update_project"]
