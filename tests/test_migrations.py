"""The schema: Alembic builds it from empty and drops it whole; the database enforces the domain's rules."""

from __future__ import annotations

from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine, inspect, pool, select, text
from sqlalchemy.exc import IntegrityError

import models
from models import Capacity, Deployment, Expert, Mission, Unavailability, migrate
from models.enums import ContractType, DeploymentKind, DeploymentStatus, Gender, UnavailabilityKind


def _tables(url: str) -> set[str]:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_from_empty_and_full_downgrade(fresh_database) -> None:
    url = fresh_database("hub_migrations")
    migrate.upgrade(url)
    assert migrate.current_revision(url) == migrate.head_revision()
    assert set(models.Base.metadata.tables) <= _tables(url)
    migrate.downgrade(url, "base")
    assert migrate.current_revision(url) is None
    assert not (set(models.Base.metadata.tables) & _tables(url))
    migrate.upgrade(url)  # and up again from there
    assert set(models.Base.metadata.tables) <= _tables(url)


def test_models_and_migrations_agree(db_url: str) -> None:
    engine = create_engine(db_url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": alembic_helpers.include_object, "compare_type": False}
        )
        diff = [d for d in compare_metadata(context, models.Base.metadata)
                if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "spatial_ref_sys")]
    engine.dispose()
    assert diff == [], "models changed without a migration: run alembic revision --autogenerate"


def test_geometry_columns_are_4326_with_gist_indexes(session) -> None:
    rows = session.execute(text(
        "SELECT f_table_name, f_geometry_column, srid FROM geometry_columns WHERE f_table_schema = 'public'"
    )).all()
    assert {(r[0], r[1]) for r in rows} >= {("country", "boundary"), ("mission", "hq"), ("mission", "area"),
                                           ("site", "location"), ("layer_feature", "geom")}
    assert {r[2] for r in rows} == {4326}
    gist = session.execute(text("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexdef ILIKE "
                                "'%USING gist%'")).scalars().all()
    for column in ("boundary", "hq", "area", "location", "geom"):
        assert any(f"({column})" in d for d in gist), column


def test_money_is_numeric(session) -> None:
    types = dict(session.execute(text(
        "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
        "WHERE column_name IN ('amount', 'budget') AND table_schema = 'public'"
    )).all())
    assert types and set(types.values()) == {"numeric"}


def _refused(session, row: object, constraint: str) -> None:
    """Adds row inside a savepoint and asserts the database refuses it, naming the constraint."""
    with pytest.raises(IntegrityError, match=constraint), session.begin_nested():
        session.add(row)
        session.flush()


def _expert(session) -> Expert:
    capacity = session.scalars(select(Capacity)).first()
    expert = Expert(staff_number="T-OVERLAP", given_name="Test", family_name="Overlap", gender=Gender.FEMALE,
                    capacity_id=capacity.id, contract_type=ContractType.FIXED_TERM)
    session.add(expert)
    session.flush()
    return expert


def test_database_refuses_overlapping_deployments(session) -> None:
    expert_id = _expert(session).id
    mission_id = session.scalars(select(Mission.id)).first()

    def deployment(start: date, end: date, status: DeploymentStatus = DeploymentStatus.PLANNED) -> Deployment:
        return Deployment(expert_id=expert_id, mission_id=mission_id, role="Adviser", kind=DeploymentKind.SURGE,
                          start_date=start, end_date=end, status=status)

    session.add(deployment(date(2030, 1, 1), date(2030, 1, 31)))
    session.flush()
    # Touching end and start days overlap: ranges are inclusive.
    _refused(session, deployment(date(2030, 1, 31), date(2030, 2, 15)), "deployment_no_overlap")
    # A cancelled deployment does not block the dates.
    session.add(deployment(date(2030, 1, 10), date(2030, 1, 20), DeploymentStatus.CANCELLED))
    session.add(deployment(date(2030, 2, 1), date(2030, 2, 10)))
    session.flush()


def test_database_refuses_overlapping_absences_and_reversed_dates(session) -> None:
    expert_id = _expert(session).id
    session.add(Unavailability(expert_id=expert_id, kind=UnavailabilityKind.LEAVE,
                               start_date=date(2030, 5, 1), end_date=date(2030, 5, 10)))
    session.flush()
    _refused(session, Unavailability(expert_id=expert_id, kind=UnavailabilityKind.TRAINING,
                                     start_date=date(2030, 5, 5), end_date=date(2030, 5, 6)),
             "unavailability_no_overlap")
    _refused(session, Unavailability(expert_id=expert_id, kind=UnavailabilityKind.LEAVE,
                                     start_date=date(2030, 6, 10), end_date=date(2030, 6, 1)), "dates_ordered")


def test_audit_log_is_append_only(owner_session) -> None:
    """The trigger holds even for the owner (the app's role is refused before it, see test_app_role)."""
    from services.audit import record

    session = owner_session
    record(session, "test_event", username="tester", detail={"k": 1})
    session.flush()
    with pytest.raises(Exception, match="append-only"), session.begin_nested():
        session.execute(text("UPDATE audit_event SET action = 'changed' WHERE action = 'test_event'"))
    with pytest.raises(Exception, match="append-only"), session.begin_nested():
        session.execute(text("DELETE FROM audit_event WHERE action = 'test_event'"))
