"""The operations map's answers kept per version of the data (services.analytics.view_cache).

The hits are checked in REPEATABLE READ transactions, whose snapshot cannot move between two statements: under
READ COMMITTED a background commit (autovacuum's ANALYZE, say) could change it and make a hit a miss.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from models import Deployment
from models.enums import DeploymentStatus, Role
from services.access import Principal
from services.analytics.view import day_view, map_view
from services.analytics.view_cache import ViewCache
from services.catalog import BBox
from tests.factories import world_filter


def _principal(role: Role) -> Principal:
    return Principal(user_id=0, username=f"test-{role.value}", role=role)


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Session]:
    """A read-only request whose snapshot stays the same throughout."""
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with Session(bind=connection) as session:
            yield session
            session.rollback()


def _commit_something(engine: Engine) -> None:
    """A commit that changes no row: it moves every later snapshot, and no data version."""
    with engine.begin() as connection:
        connection.execute(text("SELECT pg_current_xact_id()"))


def _write_to_the_map(engine: Engine) -> None:
    """A write to a table the map reads (of no row: the statement's trigger bumps its version all the same)."""
    with engine.begin() as connection:
        connection.execute(text("UPDATE deployment SET role = role WHERE false"))


def test_a_view_seen_before_comes_from_the_cache_until_its_data_changes(engine: Engine) -> None:
    cache = ViewCache(8)
    viewer = _principal(Role.VIEWER)
    filt = world_filter()
    with _snapshot(engine) as s:
        first = map_view(s, viewer, filt, view=None, zoom=3, cache=cache)
        again = map_view(s, viewer, filt, view=None, zoom=3, cache=cache)
        assert (cache.misses, cache.hits) == (1, 1)
        assert again == first and again is not first  # a copy: a caller cannot change the kept answer
        # Anything the answer depends on besides the data is in the key.
        map_view(s, viewer, filt.with_changes(start=filt.start + timedelta(days=1)), view=None, zoom=3, cache=cache)
        map_view(s, viewer, filt, view=None, zoom=4, cache=cache)
        map_view(s, viewer, filt, view=None, zoom=3, cache=cache, locale="fr")
        day_view(s, viewer, filt, view=None, zoom=3, cache=cache)
        # Tied viewports the query string would round alike.
        for north in (38.0, 38.0000001):
            map_view(s, viewer, filt.with_changes(bbox=BBox(-20.0, -35.0, 55.0, north)), view=None, zoom=3, cache=cache)
        assert (cache.misses, cache.hits) == (7, 1)
    # A commit elsewhere (a login, an audit row) keeps the answer: it changed no data the map reads.
    _commit_something(engine)
    with _snapshot(engine) as s:
        assert map_view(s, viewer, filt, view=None, zoom=3, cache=cache) == first
        assert (cache.misses, cache.hits) == (7, 2)
    _write_to_the_map(engine)
    with _snapshot(engine) as s:
        assert map_view(s, viewer, filt, view=None, zoom=3, cache=cache) == first
        assert (cache.misses, cache.hits) == (8, 2)


def test_each_role_gets_its_own_answer(engine: Engine) -> None:
    cache = ViewCache(8)
    filt = world_filter()
    with _snapshot(engine) as s:
        viewer = map_view(s, _principal(Role.VIEWER), filt, view=None, zoom=3, cache=cache)
        gis = map_view(s, _principal(Role.GIS_EDITOR), filt, view=None, zoom=3, cache=cache)
    assert cache.misses == 2 and cache.hits == 0
    assert viewer.funding is not None and gis.funding is None
    assert any("names" in f["properties"] for f in viewer.places["features"])
    assert not any("names" in f["properties"] for f in gis.places["features"])


def test_a_transaction_that_has_written_is_neither_served_nor_stored(session: Session) -> None:
    """It sees its own uncommitted rows: an answer from them must reach nobody else, and a kept answer would
    not show them."""
    cache = ViewCache(8)
    viewer = _principal(Role.VIEWER)
    filt = world_filter()
    deployment = session.scalars(select(Deployment).where(
        Deployment.period.op("@>")(filt.day), Deployment.status != DeploymentStatus.CANCELLED)).first()
    assert deployment is not None, "someone is deployed today in the baseline"
    before = map_view(session, viewer, filt, view=None, zoom=3, cache=cache)
    deployment.end_date = filt.day - timedelta(days=1)
    deployment.start_date = min(deployment.start_date, deployment.end_date)
    session.flush()
    after = map_view(session, viewer, filt, view=None, zoom=3, cache=cache)
    assert after.figures.deployed_now == before.figures.deployed_now - 1
    assert cache.hits == 0


def test_a_cache_of_no_entries_is_off(engine: Engine) -> None:
    cache = ViewCache(0)
    with _snapshot(engine) as s:
        for _ in range(2):
            day_view(s, _principal(Role.VIEWER), world_filter(), view=None, zoom=3, cache=cache)
    assert (cache.misses, cache.hits) == (0, 0)
