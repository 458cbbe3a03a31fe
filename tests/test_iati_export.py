"""The IATI 2.03 export: the demo projects and an edge project, validated against the official schema."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from lxml import etree
from sqlalchemy import select

from models import Capacity, Project
from models.enums import GenderMarker, ProjectStatus
from models.projects import ResultActual
from services.projects import iati
from tests.factories import DATA_DIR

IATI_SCHEMA_DIR = DATA_DIR / "iati-2.03"  # the official schema, shipped in geo/data

ORG = iati.ReportingOrg(ref="XI-IATI-TEST", name_en="Department of Peace Operations",
                        name_fr="Département des opérations de paix")


@pytest.fixture(scope="module")
def iati_schema() -> etree.XMLSchema:
    return iati.schema(IATI_SCHEMA_DIR)


def _parse(blob: bytes, iati_schema: etree.XMLSchema) -> etree._Element:
    doc = etree.fromstring(blob)
    assert iati_schema.validate(doc), iati_schema.error_log
    return doc


def test_demo_projects_are_valid_iati(session, iati_schema) -> None:
    projects = session.scalars(select(Project).order_by(Project.code)).all()
    assert projects
    doc = _parse(iati.activities_xml(session, ORG), iati_schema)
    assert doc.get("version") == "2.03"
    activities = doc.findall("iati-activity")
    assert [a.findtext("iati-identifier") for a in activities] == [f"XI-IATI-TEST-{p.code}" for p in projects]
    first, project = activities[0], projects[0]
    assert first.findtext("title/narrative") == project.name
    assert first.find("title/narrative[@{http://www.w3.org/XML/1998/namespace}lang='fr']").text == project.name_fr
    # every site with its coordinates, lat first
    positions = [p.text for p in doc.iter("pos")]
    assert positions and all(len(p.split()) == 2 for p in positions)
    # the results framework with actuals split by sex where the indicator counts people
    people = session.scalars(select(ResultActual).where(ResultActual.about_people)).first()
    assert people is not None
    assert doc.xpath("//actual/dimension[@name='sex' and @value='female']")


def test_money_of_a_project_becomes_transactions(session, iati_schema) -> None:
    from models import Allocation, Expenditure

    allocation = session.scalars(select(Allocation).where(Allocation.project_id.is_not(None))).first()
    assert allocation is not None
    doc = _parse(iati.activities_xml(session, ORG, project_ids=[allocation.project_id]), iati_schema)
    commitments = doc.xpath("//transaction[transaction-type/@code='11']/value/text()")
    expected = session.scalars(select(Allocation.amount).where(Allocation.project_id == allocation.project_id))
    assert sorted(Decimal(v) for v in commitments) == sorted(expected)
    spent = session.scalars(select(Expenditure.amount).join(Allocation)
                            .where(Allocation.project_id == allocation.project_id)).all()
    assert len(doc.xpath("//transaction[transaction-type/@code='4']")) == len(spent)


def test_project_without_sites_results_money_or_end_is_valid(session, iati_schema) -> None:
    capacity = session.scalars(select(Capacity)).first()
    project = Project(code="EDGE-IATI", name="Bare project", capacity_id=capacity.id, budget=Decimal("0"),
                      currency="EUR", start_date=date(2031, 1, 1), status=ProjectStatus.PIPELINE,
                      gender_marker=GenderMarker.GM0)
    session.add(project)
    session.flush()
    session.refresh(project)
    doc = _parse(iati.activities_xml(session, ORG, project_ids=[project.id]), iati_schema)
    (activity,) = doc.findall("iati-activity")
    assert activity.get("default-currency") == "EUR"
    assert activity.find("activity-status").get("code") == "1"
    assert activity.find("location") is None and activity.find("result") is None
    assert activity.find("description/narrative").text == "Bare project"


def test_a_broken_file_is_refused_by_the_schema(session, iati_schema) -> None:
    """The check can fail: an activity without its identifier is not IATI."""
    doc = etree.fromstring(iati.activities_xml(session, ORG))
    first = doc.find("iati-activity")
    first.remove(first.find("iati-identifier"))
    assert not iati_schema.validate(doc)


def test_alpha2() -> None:
    assert iati.alpha2("SSD") == "SS" and iati.alpha2("XKX") == "XK" and iati.alpha2(None) is None


def test_hub_projects_iati_writes_a_valid_file(db_url, tmp_path, iati_schema) -> None:
    from click.testing import CliRunner

    from cli.main import cli

    target = tmp_path / "projects.xml"
    result = CliRunner().invoke(cli, ["projects", "iati", str(target), "--schema", str(IATI_SCHEMA_DIR)],
                                env={"HUB_DATABASE_URL": db_url}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    doc = etree.parse(str(target))
    assert iati_schema.validate(doc), iati_schema.error_log
    assert f"{len(doc.findall('iati-activity'))} activities" in result.output
