"""Projects kept by programme staff: rule books, services, audit, stale edits and the database's own checks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from models import Mission, Project
from models.auth import AuditEvent
from models.enums import Role
from models.projects import Result, ResultActual
from services.access import Permission as P
from services.access import Principal, roles_with
from services.errors import Forbidden
from services.projects import records, rules
from services.records import Problems, StaleEdit, VersionRequired

PROGRAMME = Principal(user_id=None, username="prog-test", role=Role.PROGRAMME)  # type: ignore[arg-type]
OTHER = Principal(user_id=None, username="other-prog", role=Role.PROGRAMME)  # type: ignore[arg-type]


def _data(**over: object) -> dict[str, object]:
    return {"code": "T-PRJ-1", "name": "Test project", "name_fr": "Projet d'essai", "capacity": "SPC",
            "budget": "125000.50", "currency": "eur", "start_date": "2030-01-01", "end_date": "2031-12-31",
            "status": "active", "gender_marker": "2", "missions": [], **over}


def _codes(error: Problems) -> set[tuple[str, str]]:
    return {(p.field, p.code) for p in error.problems}


def test_only_programme_and_admin_manage_projects() -> None:
    assert roles_with(P.MANAGE_PROJECTS) == {Role.PROGRAMME, Role.ADMIN}


def test_rule_book_reports_every_problem() -> None:
    _values, problems = rules.PROJECT.validate(_data(code="", currency="EURO", start_date="2031-01-01",
                                                     end_date="2030-01-01", budget="-1", sector_code="1521"))
    assert {(p.field, p.code) for p in problems} == {
        ("code", "required"), ("currency", "too_long"), ("end_date", "date_order"), ("budget", "at_least"),
        ("sector_code", "not_sector")}


def test_create_edit_close_with_audit(session) -> None:
    mission = session.scalars(select(Mission.acronym).order_by(Mission.id)).first()
    project = records.create_project(session, PROGRAMME, _data(missions=[mission]))
    assert project.currency == "EUR" and project.budget == Decimal("125000.50") and project.version == 1
    assert records.project_values(session, project)["missions"] == [mission]
    records.update_project(session, PROGRAMME, project.id, {"name": "Renamed"}, version=1)
    assert project.name == "Renamed" and project.version == 2
    event = session.scalars(select(AuditEvent).where(AuditEvent.entity == "project",
                                                     AuditEvent.entity_id == str(project.id))
                            .order_by(AuditEvent.id.desc())).first()
    assert event.action == "project.update"
    assert event.detail["changes"] == {"name": {"before": "Test project", "after": "Renamed"}}
    records.close_project(session, PROGRAMME, project.id, version=2)
    assert project.status.value == "closed"
    with pytest.raises(Problems) as refused:
        records.add_part(session, PROGRAMME, records.MILESTONE, project.id,
                         {"title": "Late", "due_on": "2030-06-01", "status": "planned"})
    assert _codes(refused.value) == {("project", "project_closed")}


def test_duplicate_code_and_unknown_lookups(session) -> None:
    records.create_project(session, PROGRAMME, _data())
    with pytest.raises(Problems) as refused:
        records.create_project(session, PROGRAMME, _data(capacity="XYZ", missions=["NOPE"]))
    assert _codes(refused.value) == {("code", "duplicate"), ("capacity", "unknown"), ("missions.0", "unknown")}


def test_stale_edit_says_who_changed_what(session) -> None:
    project = records.create_project(session, PROGRAMME, _data())
    records.update_project(session, OTHER, project.id, {"end_date": "2032-01-31"}, version=1)
    with pytest.raises(StaleEdit) as stale:
        records.update_project(session, PROGRAMME, project.id, {"name": "Mine"}, version=1)
    assert stale.value.by == "other-prog" and stale.value.fields == ["end_date"]
    with pytest.raises(VersionRequired):
        records.update_project(session, PROGRAMME, project.id, {"name": "Mine"}, version=None)
    assert project.name == "Test project"


def test_roles_without_the_permission_are_refused(session) -> None:
    for role in (Role.FINANCE, Role.VIEWER, Role.PLANNER):
        with pytest.raises(Forbidden):
            records.create_project(session, Principal(None, "x", role), _data())  # type: ignore[arg-type]
    with pytest.raises(Forbidden):
        records.list_projects(session, Principal(None, "b", Role.BRIEFING))  # type: ignore[arg-type]


def test_milestone_dates_follow_its_status(session) -> None:
    project = records.create_project(session, PROGRAMME, _data())
    with pytest.raises(Problems) as refused:
        records.add_part(session, PROGRAMME, records.MILESTONE, project.id,
                         {"title": "Reached", "due_on": "2030-03-01", "status": "achieved"})
    assert _codes(refused.value) == {("achieved_on", "required")}
    milestone = records.add_part(session, PROGRAMME, records.MILESTONE, project.id,
                                 {"title": "Plan", "due_on": "2030-03-01", "status": "planned"})
    records.update_part(session, PROGRAMME, records.MILESTONE, milestone.id,
                        {"status": "achieved", "achieved_on": "2030-03-04"}, version=1)
    assert milestone.achieved_on == date(2030, 3, 4) and milestone.version == 2


def test_results_framework_and_actuals_split_by_sex(session) -> None:
    project = records.create_project(session, PROGRAMME, _data())
    with pytest.raises(Problems) as refused:
        records.add_part(session, PROGRAMME, records.RESULT, project.id,
                         {"level": "output", "statement": "Orphan", "indicator": "n", "unit": "count",
                          "target": "10"})
    assert _codes(refused.value) == {("parent_id", "needs_outcome")}
    outcome = records.add_part(session, PROGRAMME, records.RESULT, project.id,
                               {"level": "outcome", "statement": "Better policing", "indicator": "Share",
                                "unit": "percent", "baseline": "10", "target": "75"})
    output = records.add_part(session, PROGRAMME, records.RESULT, project.id,
                              {"level": "output", "parent_id": outcome.id, "statement": "Officers trained",
                               "indicator": "Officers trained", "unit": "count", "target": "120",
                               "about_people": True, "gender_specific": False})
    with pytest.raises(Problems) as refused:
        records.add_part(session, PROGRAMME, records.ACTUAL, output.id,
                         {"period_start": "2030-01-01", "period_end": "2030-03-31", "value": "40"})
    assert _codes(refused.value) == {("women", "split_by_sex"), ("men", "split_by_sex")}
    with pytest.raises(Problems) as refused:
        records.add_part(session, PROGRAMME, records.ACTUAL, output.id,
                         {"period_start": "2030-01-01", "period_end": "2030-03-31", "value": "40", "women": "30",
                          "men": "20"})
    assert _codes(refused.value) == {("women", "split_exceeds_value")}
    actual = records.add_part(session, PROGRAMME, records.ACTUAL, output.id,
                              {"period_start": "2030-01-01", "period_end": "2030-03-31", "value": "40",
                               "women": "15", "men": "25"})
    assert actual.about_people and actual.women == Decimal("15")
    detail = records.get_project(session, PROGRAMME, project.id)
    assert [r["id"] for r in detail["results"]] == [outcome.id, output.id]
    assert detail["results"][1]["actuals"][0]["men"] == Decimal("25")
    with pytest.raises(Problems) as refused:
        records.delete_part(session, PROGRAMME, records.RESULT, outcome.id, version=1)
    assert _codes(refused.value) == {("level", "has_outputs")}


def test_database_refuses_people_counts_without_sex(session) -> None:
    """The check the services pre-empt holds in the database itself (the flag comes with the foreign key)."""
    result = session.scalars(select(Result).where(Result.about_people)).first()
    assert result is not None
    with pytest.raises(IntegrityError, match="people_split_by_sex"), session.begin_nested():
        session.add(ResultActual(result_id=result.id, about_people=True, period_start=date(2040, 1, 1),
                                 period_end=date(2040, 3, 31), value=Decimal(5)))
        session.flush()
    # a row claiming the result is not about people does not match the result's key
    with pytest.raises(IntegrityError, match="fk_result_actual_result_about_people"), session.begin_nested():
        session.add(ResultActual(result_id=result.id, about_people=False, period_start=date(2040, 1, 1),
                                 period_end=date(2040, 3, 31), value=Decimal(5)))
        session.flush()
    with pytest.raises(IntegrityError, match="sex_split_within_value"), session.begin_nested():
        session.add(ResultActual(result_id=result.id, about_people=True, period_start=date(2040, 1, 1),
                                 period_end=date(2040, 3, 31), value=Decimal(5), women=Decimal(4),
                                 men=Decimal(4)))
        session.flush()


def test_sites_clicked_drawn_and_from_a_layer(session) -> None:
    project = records.create_project(session, PROGRAMME, _data())
    point = records.add_site(session, PROGRAMME, project.id,
                             {"name": "Academy", "geometry": {"type": "Point", "coordinates": [15.28, -4.32]}})
    assert point.area is None and point.country_iso3 == "COD"
    square = {"type": "Polygon", "coordinates": [[[15, -4], [15.1, -4], [15.1, -4.1], [15, -4.1], [15, -4]]]}
    area = records.add_site(session, PROGRAMME, project.id, {"name": "Compound", "geometry": square})
    assert area.area is not None
    with pytest.raises(Problems) as refused:
        records.add_site(session, PROGRAMME, project.id,
                         {"name": "", "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}})
    assert _codes(refused.value) == {("name", "required"), ("geometry", "not_site_geometry")}
    bow_tie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    with pytest.raises(Problems) as refused:
        records.add_site(session, PROGRAMME, project.id, {"name": "Bad", "geometry": bow_tie})
    assert _codes(refused.value) == {("geometry", "invalid_geometry")}
    with pytest.raises(Problems) as refused:
        records.add_site(session, PROGRAMME, project.id, {"name": "Ghost", "layer": "no-such", "feature_id": 1})
    assert _codes(refused.value) == {("feature_id", "unknown")}
    features = records.get_project(session, PROGRAMME, project.id)["sites"]["features"]
    assert [f["geometry"]["type"] for f in features] == ["Point", "MultiPolygon"]
    records.remove_site(session, PROGRAMME, project.id, point.id)
    assert session.get(type(point), point.id) is None


def test_site_from_a_published_layer_feature(session) -> None:
    from services.layers import importing
    from services.layers.lifecycle import publish

    admin = Principal(user_id=None, username="gis", role=Role.ADMIN)  # type: ignore[arg-type]
    geojson = (b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Camp"},'
               b'"geometry":{"type":"Polygon","coordinates":[[[20,5],[20.2,5],[20.2,5.2],[20,5.2],[20,5]]]}}]}')
    report = importing.import_layer(session, admin, geojson, "camps.geojson", importing.ImportOptions(title="Camps"))
    publish(session, admin, report.slug)
    from models.gis import Layer, LayerFeature

    layer_id = session.scalar(select(Layer.id).where(Layer.slug == report.slug))
    fid = session.scalar(select(func.min(LayerFeature.id)).where(LayerFeature.layer_id == layer_id))
    project = records.create_project(session, PROGRAMME, _data())
    site = records.add_site(session, PROGRAMME, project.id, {"name": "Camp", "layer": report.slug,
                                                             "feature_id": fid})
    assert site.area is not None and report.slug in site.source


def test_money_reads_the_funding_tables(session) -> None:
    from models import Allocation, Expenditure

    pid = session.scalar(select(Allocation.project_id).where(Allocation.project_id.is_not(None)))
    allocated = session.scalar(select(func.sum(Allocation.amount)).where(Allocation.project_id == pid))
    spent = session.scalar(select(func.coalesce(func.sum(Expenditure.amount), 0)).join(Allocation)
                           .where(Allocation.project_id == pid))
    money = records.money_by_project(session, [pid])[pid]
    assert sum(m["allocated"] for m in money) == allocated and sum(m["spent"] for m in money) == spent
    assert "money" not in records.list_projects(session, Principal(None, "g", Role.GIS_EDITOR))[0]  # type: ignore[arg-type]
    assert session.scalar(select(func.count()).select_from(Project)) == len(records.list_projects(session, PROGRAMME))
