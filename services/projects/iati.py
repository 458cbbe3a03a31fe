"""The hub's projects as an IATI 2.03 activity file (one ``iati-activities`` document), built with lxml.

Every element follows the order of the official schema (``../shared/data/iati-2.03/iati-activities-schema.xsd``),
which the tests validate the file against. Codes are those of the IATI code lists: ActivityStatus, ActivityDateType,
OrganisationRole, TransactionType, ResultType, IndicatorMeasure, PolicyMarker (gender equality).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pycountry
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models import Allocation, Capacity, Donor, Expenditure, Grant, Project, Site
from models.enums import GenderMarker, ProjectStatus, ResultLevel
from models.geography import mission_host_country
from models.projects import Result, ResultActual

IATI_VERSION = "2.03"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

ACTIVITY_STATUS = {ProjectStatus.PIPELINE: "1", ProjectStatus.ACTIVE: "2", ProjectStatus.CLOSED: "4",
                   ProjectStatus.SUSPENDED: "6"}
# The UN gender marker (0 none ... 3 principal) read as the OECD gender policy marker's significance (0, 1, 2).
GENDER_SIGNIFICANCE = {GenderMarker.GM0: "0", GenderMarker.GM1: "0", GenderMarker.GM2: "1", GenderMarker.GM3: "2"}
# DAC 5 purpose codes when a project names none: police work is security system management and reform,
# justice and corrections legal and judicial development.
DEFAULT_SECTORS = {"SPC": "15210", "JCSC": "15130"}
FALLBACK_SECTOR = "15220"  # civilian peace-building, conflict prevention and resolution
# ISO 3166 alpha-2 codes the ISO list lacks but IATI's Country code list has.
EXTRA_ALPHA2 = {"XKX": "XK"}
EPSG_4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"


@dataclass(frozen=True)
class ReportingOrg:
    """Who publishes: the identifier registered with IATI, its organisation type (40: multilateral), names."""

    ref: str
    name_en: str
    name_fr: str
    type: str = "40"


def alpha2(iso3: str | None) -> str | None:
    """ISO 3166-1 alpha-2 for an alpha-3 code (IATI's recipient-country), None when there is none."""
    if not iso3:
        return None
    if iso3 in EXTRA_ALPHA2:
        return EXTRA_ALPHA2[iso3]
    country = pycountry.countries.get(alpha_3=iso3)
    return country.alpha_2 if country else None


def iati_identifier(org: ReportingOrg, project: Project) -> str:
    return f"{org.ref}-{project.code}"


def _sub(parent: etree._Element, tag: str, attrs: dict[str, str] | None = None, text: str | None = None
         ) -> etree._Element:
    element = etree.SubElement(parent, tag, {k: v for k, v in (attrs or {}).items() if v is not None})
    if text is not None:
        element.text = text
    return element


def _narratives(parent: etree._Element, en: str | None, fr: str | None = None) -> None:
    """English as the activity's default language, French marked with xml:lang."""
    _sub(parent, "narrative", text=en or fr or "")
    if fr and en:
        _sub(parent, "narrative", {XML_LANG: "fr"}, fr)


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _iso(day: date) -> str:
    return day.isoformat()


@dataclass
class _Money:
    allocations: list[tuple[Allocation, str | None, str | None]]  # allocation, donor name, donor French name
    expenditures: list[Expenditure]


def _money_by_project(session: Session, project_ids: Sequence[int]) -> dict[int, _Money]:
    out: dict[int, _Money] = defaultdict(lambda: _Money([], []))
    rows = session.execute(
        select(Allocation, Donor.name, Donor.name_fr)
        .join(Grant, Grant.id == Allocation.grant_id).outerjoin(Donor, Donor.id == Grant.donor_id)
        .where(Allocation.project_id.in_(project_ids)).order_by(Allocation.allocated_on, Allocation.id)
    ).all()
    by_allocation: dict[int, int] = {}
    for allocation, donor, donor_fr in rows:
        out[allocation.project_id].allocations.append((allocation, donor, donor_fr))  # type: ignore[index]
        by_allocation[allocation.id] = allocation.project_id  # type: ignore[assignment]
    if by_allocation:
        for spent in session.scalars(select(Expenditure).where(Expenditure.allocation_id.in_(by_allocation))
                                     .order_by(Expenditure.spent_on, Expenditure.id)):
            out[by_allocation[spent.allocation_id]].expenditures.append(spent)
    return out


def _countries_by_project(session: Session, project_ids: Sequence[int]) -> dict[int, list[str]]:
    from models.projects import project_mission

    rows = session.execute(
        select(project_mission.c.project_id, mission_host_country.c.country_iso3)
        .join(mission_host_country, mission_host_country.c.mission_id == project_mission.c.mission_id)
        .where(project_mission.c.project_id.in_(project_ids))
        .distinct().order_by(project_mission.c.project_id, mission_host_country.c.country_iso3)
    ).all()
    out: dict[int, list[str]] = defaultdict(list)
    for project_id, iso3 in rows:
        code = alpha2(iso3)
        if code and code not in out[project_id]:
            out[project_id].append(code)
    return out


def _site_points(session: Session, project_ids: Sequence[int]) -> dict[int, list[tuple[Site, float, float, bool]]]:
    from models.projects import project_site

    rows = session.execute(
        select(project_site.c.project_id, Site, func.ST_Y(Site.location), func.ST_X(Site.location),
               Site.area.is_not(None))
        .join(Site, Site.id == project_site.c.site_id)
        .where(project_site.c.project_id.in_(project_ids)).order_by(project_site.c.project_id, Site.id)
    ).all()
    out: dict[int, list[tuple[Site, float, float, bool]]] = defaultdict(list)
    for project_id, site, lat, lon, is_area in rows:
        out[project_id].append((site, float(lat), float(lon), bool(is_area)))
    return out


def _percentages(n: int) -> list[str]:
    """n shares summing to exactly 100 (IATI asks recipient countries' percentages to add up)."""
    base, rest = divmod(100, n)
    return [str(base + (1 if i < rest else 0)) for i in range(n)]


def _activity(root: etree._Element, org: ReportingOrg, project: Project, capacity: Capacity, money: _Money,
              countries: list[str], sites: list[tuple[Site, float, float, bool]], today: date) -> None:
    identifier = iati_identifier(org, project)
    activity = _sub(root, "iati-activity", {
        "last-updated-datetime": project.updated_at.astimezone(UTC).replace(microsecond=0).isoformat(),
        XML_LANG: "en", "default-currency": project.currency, "hierarchy": "1"})
    _sub(activity, "iati-identifier", text=identifier)
    _narratives(_sub(activity, "reporting-org", {"ref": org.ref, "type": org.type}), org.name_en, org.name_fr)
    _narratives(_sub(activity, "title"), project.name, project.name_fr)
    _narratives(_sub(activity, "description", {"type": "1"}), project.description or project.name,
                project.description_fr or project.name_fr)

    _narratives(_sub(activity, "participating-org", {"role": "2", "ref": org.ref, "type": org.type}),
                org.name_en, org.name_fr)
    _narratives(_sub(activity, "participating-org", {"role": "4", "type": org.type}), capacity.name,
                capacity.name_fr)
    donors = {(name, name_fr) for _a, name, name_fr in money.allocations if name}
    for name, name_fr in sorted(donors):
        _narratives(_sub(activity, "participating-org", {"role": "1", "type": "10"}), name, name_fr)

    _sub(activity, "activity-status", {"code": ACTIVITY_STATUS[project.status]})
    _sub(activity, "activity-date", {"type": "1", "iso-date": _iso(project.start_date)})
    if project.status != ProjectStatus.PIPELINE and project.start_date <= today:
        _sub(activity, "activity-date", {"type": "2", "iso-date": _iso(project.start_date)})
    if project.end_date:
        _sub(activity, "activity-date", {"type": "3", "iso-date": _iso(project.end_date)})
        if project.status == ProjectStatus.CLOSED:
            _sub(activity, "activity-date", {"type": "4", "iso-date": _iso(project.end_date)})

    for code, share in zip(countries, _percentages(len(countries)) if countries else [], strict=True):
        _sub(activity, "recipient-country", {"code": code, "percentage": share})
    for site, lat, lon, is_area in sites:
        location = _sub(activity, "location", {"ref": f"{identifier}-SITE-{site.id}"})
        _narratives(_sub(location, "name"), site.name)
        point = _sub(location, "point", {"srsName": EPSG_4326})
        _sub(point, "pos", text=f"{lat:.6f} {lon:.6f}")
        # 1 exact, 2 approximate: an area is given by a point inside it.
        _sub(location, "exactness", {"code": "2" if is_area else "1"})
        _sub(location, "location-class", {"code": "2" if is_area else "3"})  # populated place / structure
    sector = project.sector_code or DEFAULT_SECTORS.get(capacity.code, FALLBACK_SECTOR)
    _sub(activity, "sector", {"vocabulary": "1", "code": sector, "percentage": "100"})
    _sub(activity, "policy-marker", {"vocabulary": "1", "code": "1",
                                     "significance": GENDER_SIGNIFICANCE[project.gender_marker]})

    budget_end = project.end_date or project.start_date
    budget = _sub(activity, "budget", {"type": "1", "status": "2"})
    _sub(budget, "period-start", {"iso-date": _iso(project.start_date)})
    _sub(budget, "period-end", {"iso-date": _iso(budget_end)})
    _sub(budget, "value", {"currency": project.currency, "value-date": _iso(project.start_date)},
         _money(project.budget))

    for allocation, donor, donor_fr in money.allocations:
        transaction = _sub(activity, "transaction", {"ref": f"{identifier}-ALLOC-{allocation.id}"})
        _sub(transaction, "transaction-type", {"code": "11"})  # incoming commitment
        _sub(transaction, "transaction-date", {"iso-date": _iso(allocation.allocated_on)})
        _sub(transaction, "value", {"currency": allocation.currency, "value-date": _iso(allocation.allocated_on)},
             _money(allocation.amount))
        _narratives(_sub(transaction, "description"), allocation.purpose)
        if donor:
            _narratives(_sub(transaction, "provider-org", {"type": "10"}), donor, donor_fr)
    for spent in money.expenditures:
        transaction = _sub(activity, "transaction", {"ref": f"{identifier}-EXP-{spent.id}"})
        _sub(transaction, "transaction-type", {"code": "4"})  # expenditure
        _sub(transaction, "transaction-date", {"iso-date": _iso(spent.spent_on)})
        _sub(transaction, "value", {"currency": spent.currency, "value-date": _iso(spent.spent_on)},
             _money(spent.amount))
        _narratives(_sub(transaction, "description"), spent.description or str(spent.category))

    for result in sorted(project.results, key=lambda r: (r.parent_id or r.id, r.parent_id is not None, r.id)):
        _result(activity, project, result)


def _result(activity: etree._Element, project: Project, result: Result) -> None:
    element = _sub(activity, "result", {"type": "2" if result.level == ResultLevel.OUTCOME else "1",
                                        "aggregation-status": "false"})
    _narratives(_sub(element, "title"), result.statement)
    indicator = _sub(element, "indicator", {"measure": "2" if result.unit == "percent" else "1",
                                            "ascending": "true"})
    _narratives(_sub(indicator, "title"), result.indicator)
    _sub(indicator, "baseline", {"year": str(project.start_date.year), "iso-date": _iso(project.start_date),
                                 "value": _money(result.baseline)})
    # A project's own span stands in for a period when no actual is recorded yet (then there is no actual).
    periods: list[tuple[date, date, ResultActual | None]] = [
        (a.period_start, a.period_end, a) for a in result.actuals]
    if not periods and project.end_date:
        periods = [(project.start_date, project.end_date, None)]
    for start, end, actual in periods:
        period = _sub(indicator, "period")
        _sub(period, "period-start", {"iso-date": _iso(start)})
        _sub(period, "period-end", {"iso-date": _iso(end)})
        _sub(period, "target", {"value": _money(result.target)})
        if actual is None:
            continue
        _sub(period, "actual", {"value": _money(actual.value)})
        if actual.women is not None and actual.men is not None:
            for sex, value in (("female", actual.women), ("male", actual.men)):
                split = _sub(period, "actual", {"value": _money(value)})
                _sub(split, "dimension", {"name": "sex", "value": sex})


def activities_xml(session: Session, org: ReportingOrg, *, project_ids: Iterable[int] | None = None,
                   now: datetime | None = None) -> bytes:
    """Every project (or those of ``project_ids``) as one IATI 2.03 ``iati-activities`` document, UTF-8."""
    now = now or datetime.now(UTC)
    query = (select(Project, Capacity).join(Capacity, Capacity.id == Project.capacity_id)
             .options(selectinload(Project.results).selectinload(Result.actuals)).order_by(Project.code))
    if project_ids is not None:
        query = query.where(Project.id.in_(list(project_ids)))
    rows = session.execute(query).all()
    ids = [project.id for project, _c in rows]
    money = _money_by_project(session, ids)
    countries = _countries_by_project(session, ids)
    sites = _site_points(session, ids)
    root = etree.Element("iati-activities", {
        "version": IATI_VERSION, "generated-datetime": now.astimezone(UTC).replace(microsecond=0).isoformat()})
    for project, capacity in rows:
        _activity(root, org, project, capacity, money[project.id], countries.get(project.id, []),
                  sites.get(project.id, []), now.date())
    # lxml ships no type information (tostring() is Any to mypy); with an encoding it returns bytes.
    document: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return document


def schema(directory: Path) -> etree.XMLSchema:
    """The official IATI 2.03 activity schema in ``directory`` (it imports iati-common.xsd and xml.xsd there)."""
    return etree.XMLSchema(etree.parse(str(directory / "iati-activities-schema.xsd")))


__all__ = ["IATI_VERSION", "ReportingOrg", "activities_xml", "alpha2", "iati_identifier", "schema"]
