"""The columnar copy (DuckDB) answers the operations map's aggregates exactly as PostgreSQL does, only while it holds
the data the request's transaction sees; the data versions move on writes to the map's tables and on nothing else."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, delete, event, pool, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from models import (
    Base,
    Country,
    Deployment,
    ExchangeRate,
    Expenditure,
    Expert,
    Mission,
    Site,
    Skill,
    User,
)
from models.data_version import VERSIONED_TABLES
from models.db import session_scope
from models.enums import (
    DeploymentKind,
    DeploymentStatus,
    ExpenditureCategory,
    ExpertStatus,
    FundType,
    Gender,
    GenderMarker,
    MissionType,
    Role,
    SiteKind,
)
from services import audit, tokens, users
from services.access import Principal
from services.analytics import map_layers
from services.analytics.breakdown import breakdown
from services.analytics.columnar import COPIED_TABLES, ColumnarStore, Reader
from services.analytics.figures import map_figures
from services.analytics.filters import MapFilter
from services.analytics.funding import funding_summary
from services.analytics.personnel import availability_and_utilisation, deployed_on_day, points_and_utilisation
from services.analytics.versions import data_versions
from services.analytics.view import day_view, map_view, places_for
from services.analytics.view_cache import ViewCache
from services.catalog import BBox

# Fixed, not today's: the same filters every day (the world itself follows today, so the periods reach into it).
SEED = 20261130
RATES = {"USD": 1.0, "EUR": 1.08, "CHF": 1.13, "GBP": 1.27, "NOK": 0.094, "SEK": 0.096}
DECIMAL_RATES = {k: Decimal(str(v)) for k, v in RATES.items()}
# Tables the map never reads: no counter, so that writing them keeps every kept answer and the copy.
NOT_MAP_DATA = {
    "activity", "alembic_version", "api_token", "app_user", "assessment", "audit_event", "clearance_type",
    "data_load", "data_version", "expert_clearance", "expert_language", "language", "layer", "layer_feature",
    "layer_version", "lesson", "milestone", "rate_limit_counter", "recommendation", "recommendation_follow_up",
    "result", "result_actual", "revoked_session", "surge_request_clearance", "surge_request_language",
    "surge_request_skill", "team",
    # the record branches' tables: none feeds the map's aggregates
    "assessment_gap", "assessment_expert", "assessment_deployment", "knowledge_attachment", "lesson_recommendation",
    "expert_training", "quality_snapshot", "surge_request_amendment",
}


@pytest.fixture(scope="module")
def store(engine: Engine) -> ColumnarStore:
    store = ColumnarStore(engine, min_interval=0)
    store.load_now()
    return store


@pytest.fixture(scope="module")
def world(engine: Engine) -> dict[str, list]:
    """Values the filters draw from, read from the test world."""
    with Session(engine) as s:
        return {
            "mission": list(s.scalars(select(Mission.acronym).order_by(Mission.acronym))),
            "country": list(s.scalars(select(Country.iso3).join(Site, Site.country_iso3 == Country.iso3)
                                      .distinct().order_by(Country.iso3))),
            "region": list(s.scalars(select(Country.region).where(Country.region.is_not(None)).distinct()
                                     .order_by(Country.region))),
            "skill": list(s.scalars(select(Skill.code).order_by(Skill.code))),
        }


def _combinations(world: dict[str, list], count: int) -> list[MapFilter]:
    """``count`` filters: the period and day moved, and each dimension (spatial ones included) set or not, at
    random but from a fixed seed; a few that match nothing."""
    rng = random.Random(SEED)
    today = date.today()
    areas = [BBox(-20.0, -35.0, 55.0, 38.0), BBox(24.0, -6.0, 34.0, 6.0), BBox(-110.0, -40.0, -30.0, 30.0)]
    polygon = {"type": "Polygon", "coordinates": [[[-18, 0], [45, 0], [45, 25], [-18, 25], [-18, 0]]]}
    out = [MapFilter.default(),
           MapFilter.default().with_changes(mission=("NO-SUCH",)),
           MapFilter(start=date(1990, 1, 1), end=date(1990, 12, 31)),
           MapFilter(start=today - timedelta(days=1500), end=today + timedelta(days=60),
                     as_of=today - timedelta(days=700))]
    while len(out) < count:
        start = today - timedelta(days=rng.choice([30, 90, 200, 365, 800, 2000]))
        end = start + timedelta(days=rng.choice([20, 100, 365, 700, 2400]))
        changes: dict = {"start": start, "end": end}
        if rng.random() < 0.3:
            changes["as_of"] = start + timedelta(days=rng.randrange((end - start).days + 200))
        pick = {
            "capacity": lambda: tuple(rng.sample(["SPC", "JCSC"], rng.randint(1, 2))),
            "mission": lambda: tuple(rng.sample(world["mission"], rng.randint(1, 3))),
            "country": lambda: tuple(rng.sample(world["country"], rng.randint(1, 4))),
            "region": lambda: tuple(rng.sample(world["region"], rng.randint(1, 2))),
            "skill": lambda: tuple(rng.sample(world["skill"], rng.randint(1, 3))),
            "gender": lambda: tuple(rng.sample(list(Gender), rng.randint(1, 2))),
            "kind": lambda: tuple(rng.sample(list(DeploymentKind), rng.randint(1, 3))),
            "source": lambda: (rng.choice(list(FundType)),),
            "marker": lambda: tuple(rng.sample(list(GenderMarker), rng.randint(1, 2))),
            "bbox": lambda: rng.choice(areas),
            "area": lambda: polygon,
        }
        for name in rng.sample(sorted(pick), rng.choice([1, 1, 2, 2, 3, 4])):
            changes[name] = pick[name]()
        out.append(MapFilter(**changes))
    return out


COMBINATIONS = 60


def _reader(store: ColumnarStore, session: Session) -> Reader:
    reader = store.reader(session)
    assert reader is not None, "the copy should hold this transaction's data"
    return reader


def _both_engines_agree(session: Session, reader: Reader, filt: MapFilter) -> None:
    folded = reader.fold(filt)
    assert points_and_utilisation(folded.daily, filt) == availability_and_utilisation(session, filt), filt
    assert reader.assemble(filt, folded.breakdown) \
        == breakdown(session, filt), filt
    assert reader.deployed_on_day(filt) == deployed_on_day(session, filt), filt
    assert map_figures(session, filt, service_level_=reader.service_level) == map_figures(session, filt), filt
    # Money to the cent, and the currency-months without a rate named alike.
    assert funding_summary(session, filt, rates=reader.rates(), deployment_spend_=reader.deployment_spend) \
        == funding_summary(session, filt), filt


@pytest.mark.parametrize("index", range(COMBINATIONS))
def test_the_copy_answers_as_postgresql(session: Session, store: ColumnarStore, world: dict[str, list],
                                        index: int) -> None:
    filt = _combinations(world, COMBINATIONS)[index]
    _both_engines_agree(session, _reader(store, session), filt)


def test_the_combinations_reach_answers_and_emptiness(session: Session, store: ColumnarStore,
                                                      world: dict[str, list]) -> None:
    """The combinations are not all empty (nor all everything): most find deployments, some find none."""
    reader = _reader(store, session)
    found = [sum(row[3] for row in reader.fold(f).breakdown.missions) for f in _combinations(world, COMBINATIONS)]
    assert sum(1 for n in found if n) >= COMBINATIONS // 3  # many find deployments (not all empty)
    assert 0 in found
    assert len(set(found)) > COMBINATIONS // 4  # distinct answers: the combinations are not a few repeated
    levels = [reader.service_level(session, capacity_codes=f.capacity, start=f.start, end=f.end)
              for f in _combinations(world, COMBINATIONS)]
    assert sum(1 for level in levels if level.deployed > 1) >= COMBINATIONS // 3


def test_the_whole_map_view_is_the_same_with_either_engine(session: Session, store: ColumnarStore) -> None:
    principal = Principal(user_id=1, username="t", role=Role.ADMIN)
    for filt in (MapFilter.default(), MapFilter.default().with_changes(capacity=("SPC",), region=("Africa",))):
        assert map_view(session, principal, filt, view=None, zoom=3, columnar=store) \
            == map_view(session, principal, filt, view=None, zoom=3), filt
        assert day_view(session, principal, filt, view=None, zoom=3, columnar=store) \
            == day_view(session, principal, filt, view=None, zoom=3), filt
        view = BBox(-20.0, -35.0, 55.0, 38.0)  # a map moved: the places alone
        assert places_for(session, principal, filt, view, 4, columnar=store) \
            == places_for(session, principal, filt, view, 4), filt


@pytest.mark.parametrize("index", range(0, COMBINATIONS, 6))
def test_the_layers_in_one_statement_are_the_layers_one_by_one(session: Session, store: ColumnarStore,
                                                               world: dict[str, list], index: int) -> None:
    filt = _combinations(world, COMBINATIONS)[index]
    view = BBox(-30.0, -40.0, 60.0, 40.0)
    reader = _reader(store, session)
    for names, codes, deployed in ((True, None, None),
                                   (False, reader.codes_in_order, reader.deployed_by_mission(filt))):
        assert map_layers.layers(session, filt, view=view, zoom=4, with_names=names, locale="fr", codes=codes,
                                 deployed=deployed) \
            == map_layers.Layers(map_layers.deployment_places(session, filt, view=view, zoom=4, with_names=names),
                                 map_layers.mission_points(session, filt, "fr"),
                                 map_layers.mission_areas(session, filt, "fr"), map_layers.project_sites(session, filt))
    assert _reader(store, session).codes_in_order == map_layers.capacity_codes_in_order(session)


VIEWS = (None, BBox(-30.0, -40.0, 60.0, 40.0), BBox(24.0, -6.0, 34.0, 6.0), BBox(100.0, 60.0, 120.0, 70.0))


@pytest.mark.parametrize("index", range(COMBINATIONS))
def test_the_days_places_from_the_copy_are_postgresqls(session: Session, store: ColumnarStore,
                                                       world: dict[str, list], index: int) -> None:
    """The places of the day over the copy equal PostGIS's, feature for feature and in the same order: with and
    without names, in the whole world and in viewports (one of them empty)."""
    filt = _combinations(world, COMBINATIONS)[index]
    for view in VIEWS:
        for names in (False, True):
            _places_agree(session, store, filt, view, names)


def _places_agree(session: Session, store: ColumnarStore, filt: MapFilter, view: BBox | None, names: bool
                  ) -> tuple[dict, int]:
    """The day's places in ``view`` over the copy equal PostGIS's, feature for feature and in the same order;
    returns the copy's (collection, number of places)."""
    reader = store.reader(session, view)
    assert reader is not None
    try:
        found = reader.places(filt, with_names=names)
        assert found is not None
        assert map_layers.placed(session, filt, found, view=view, zoom=4, codes=reader.codes_in_order) \
            == map_layers.deployment_places(session, filt, view=view, zoom=4, with_names=names), (filt, view)
        return found
    finally:
        reader.close()


def _filters(world: dict[str, list]) -> st.SearchStrategy[MapFilter]:
    """Any filter over the test world: a period of 1 to 3,000 days within about eight years of today, a day in
    or around it, and any subset of the dimensions (spatial ones included) with any values."""
    today = date.today()

    def some(values: list) -> st.SearchStrategy[tuple]:
        return st.lists(st.sampled_from(values), min_size=1, max_size=4, unique=True).map(tuple)

    boxes = st.sampled_from([BBox(-20.0, -35.0, 55.0, 38.0), BBox(24.0, -6.0, 34.0, 6.0),
                             BBox(-110.0, -40.0, -30.0, 30.0), BBox(100.0, 60.0, 120.0, 70.0)])
    polygon = {"type": "Polygon", "coordinates": [[[-18, 0], [45, 0], [45, 25], [-18, 25], [-18, 0]]]}
    dimensions = {
        "capacity": some(["SPC", "JCSC"]), "mission": some(world["mission"]), "country": some(world["country"]),
        "region": some(world["region"]), "skill": some(world["skill"]), "gender": some(list(Gender)),
        "kind": some(list(DeploymentKind)), "source": some(list(FundType)), "marker": some(list(GenderMarker)),
        "bbox": boxes, "area": st.just(polygon),
    }

    @st.composite
    def build(draw: st.DrawFn) -> MapFilter:
        start = today + timedelta(days=draw(st.integers(-2900, 200)))
        end = start + timedelta(days=draw(st.integers(0, 3000)))
        changes: dict = {"start": start, "end": end,
                         "as_of": draw(st.none() | st.integers(-100, (end - start).days + 100).map(
                             lambda d: start + timedelta(days=d)))}
        for name in draw(st.lists(st.sampled_from(sorted(dimensions)), max_size=4, unique=True)):
            changes[name] = draw(dimensions[name])
        return MapFilter(**changes)

    return build()


def test_any_filter_is_answered_alike_by_both_engines(session: Session, store: ColumnarStore,
                                                      world: dict[str, list]) -> None:
    """Hypothesis draws filters beyond the fixed combinations: every chart's aggregate, the funding to the cent,
    the service level, the mission points' counts and the day's places (with names, in a viewport or not) are
    PostgreSQL's."""

    answered: list[int] = []  # the places found by each example: the draws are not all empty

    @settings(max_examples=60, deadline=None, derandomize=True, database=None)
    @given(filt=_filters(world), view=st.sampled_from(VIEWS))
    def agree(filt: MapFilter, view: BBox | None) -> None:
        reader = store.reader(session, view)
        assert reader is not None
        try:
            _both_engines_agree(session, reader, filt)
            assert map_layers.mission_points(session, filt, "en", reader.deployed_by_mission(filt)) \
                == map_layers.mission_points(session, filt, "en"), filt
        finally:
            reader.close()
        answered.append(_places_agree(session, store, filt, view, True)[1])

    agree()
    assert len(answered) >= 60 and sum(1 for n in answered if n) >= 10 and 0 in answered


def test_the_days_places_reach_every_kind_of_place(session: Session, store: ColumnarStore,
                                                   world: dict[str, list]) -> None:
    """The combinations above meet sites and HQs, places shared by several missions and empty answers: the
    equality is not tested on trivial places only (the test below writes the rarer places)."""
    seen: dict[str, int] = {"site": 0, "hq": 0, "missions": 0, "empty": 0}
    for filt in _combinations(world, COMBINATIONS):
        reader = store.reader(session, None)
        assert reader is not None
        found = reader.places(filt, with_names=True)
        assert found is not None
        features = found[0]["features"]
        seen["empty"] += not features
        for feature in features:
            props = feature["properties"]
            seen["hq"] += props["hq"] is not None
            seen["site"] += props["place"] is not None and not props["place"].endswith(" HQ")
            seen["missions"] += len(props["missions"]) > 1
        reader.close()
    assert all(seen.values()), seen


def test_the_places_come_from_postgresql_where_the_database_orders_text_otherwise(
        session: Session, store: ColumnarStore) -> None:
    """A database whose collation is not code-point order (en_US, ICU) sorts names and acronyms otherwise than
    DuckDB: the copy then leaves the places to PostgreSQL."""
    copy = store.copy
    assert copy is not None and copy.code_point_order  # the tests' cluster is initialised with C.UTF-8
    reader = Reader(replace(copy, code_point_order=False), session)
    assert reader.places(MapFilter.default(), with_names=True) is None
    reader.close()


def test_the_mission_points_counted_by_the_copy_are_postgresqls(session: Session, store: ColumnarStore,
                                                                world: dict[str, list]) -> None:
    counted = 0
    for filt in _combinations(world, COMBINATIONS):
        reader = _reader(store, session)
        deployed = reader.deployed_by_mission(filt)
        counted += sum(deployed.values())
        assert map_layers.mission_points(session, filt, "en", deployed) \
            == map_layers.mission_points(session, filt, "en"), filt
        reader.close()
    assert counted > 0  # the combinations reach deployed experts


def test_a_request_resolves_and_registers_a_filter_once(session: Session, store: ColumnarStore,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The charts, the day and the funding of one filter share one cursor with the filter's sets registered once
    (each registration costs about a millisecond, each lookup a round trip)."""
    from services.analytics import columnar

    opened: list[object] = []
    real_cursor = columnar.cursor
    monkeypatch.setattr(columnar, "cursor", lambda db: opened.append(db) or real_cursor(db))
    statements: list[str] = []

    def seen(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(session.get_bind(), "before_cursor_execute", seen)
    try:
        filt = MapFilter.default().with_changes(capacity=("SPC",), region=("Africa",),
                                                as_of=MapFilter.default().start - timedelta(days=30))
        reader = _reader(store, session)
        statements.clear()
        reader.fold(filt)
        reader.deployed_on_day(filt)  # the day lies before the period: a count of its own
        reader.deployment_spend(session, filt)
        assert len(opened) == 1
        assert len(statements) == 1 and "array_agg" in statements[0]  # the sets, in one statement
        reader.close()
        reader.fold(filt)
        assert len(opened) == 2  # closed: the next question opens a cursor again
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", seen)


def test_threads_share_one_copy(engine: Engine, store: ColumnarStore, world: dict[str, list]) -> None:
    """gunicorn's threads fold on one copy at once, each with its own cursor, and get each filter's answer."""
    from concurrent.futures import ThreadPoolExecutor

    filters = _combinations(world, 12)

    def fold(filt: MapFilter) -> object:
        with Session(engine) as s:
            return _reader(store, s).fold(filt).breakdown

    alone = [fold(f) for f in filters]
    with ThreadPoolExecutor(4) as pool_:
        assert list(pool_.map(fold, filters * 2)) == alone * 2


# --- writes: stale copy, PostgreSQL answers, then the reloaded copy --------------------------------------------
@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@pytest.fixture
def written(factory: sessionmaker[Session]) -> Iterator[dict[str, int]]:
    """A committed deployment of the first expert free over a far-future month, with spending on it; removed
    after the test."""
    start = date.today() + timedelta(days=4000)
    with session_scope(factory) as s:
        expert = s.scalars(select(Expert).order_by(Expert.id)).first()
        mission = s.scalars(select(Mission).order_by(Mission.id)).first()
        assert expert is not None and mission is not None
        dep = Deployment(expert_id=expert.id, mission_id=mission.id, role="Test adviser", kind=DeploymentKind.SURGE,
                         start_date=start, end_date=start + timedelta(days=29), status=DeploymentStatus.PLANNED,
                         gender_marker=GenderMarker.GM3)
        s.add(dep)
        s.flush()
        ids = {"deployment": dep.id, "expert": expert.id}
    yield ids
    with session_scope(factory) as s:
        s.execute(delete(Expenditure).where(Expenditure.deployment_id == ids["deployment"]))
        s.execute(delete(Deployment).where(Deployment.id == ids["deployment"]))


def test_a_write_makes_the_copy_stale_until_it_reloads(factory: sessionmaker[Session], engine: Engine,
                                                       written: dict[str, int]) -> None:
    store = ColumnarStore(engine, min_interval=0)
    store.load_now()
    start = date.today() + timedelta(days=4000)
    filt = MapFilter(start=start, end=start + timedelta(days=60))
    principal = Principal(user_id=1, username="t", role=Role.ADMIN)
    with session_scope(factory) as s:
        assert _reader(store, s).fold(filt).breakdown.markers["3"] >= 1
    # Another write, committed: the copy is older than the data.
    with session_scope(factory) as s:
        s.execute(update(Deployment).where(Deployment.id == written["deployment"])
                  .values(gender_marker=GenderMarker.GM0))
    before = store.loads
    with session_scope(factory) as s:
        assert store.reader(s) is None  # PostgreSQL answers, and a reload has started
        view = map_view(s, principal, filt, view=None, zoom=3, columnar=store)
        assert view.gender.by_marker["0"] == breakdown(s, filt).gender.by_marker["0"] >= 1
        assert view.gender.by_marker["3"] == breakdown(s, filt).gender.by_marker["3"]
    store.wait()
    assert store.loads == before + 1
    with session_scope(factory) as s:
        reader = _reader(store, s)
        assert reader.fold(filt).breakdown.markers == breakdown(s, filt).gender.by_marker
        _both_engines_agree(s, reader, filt)


def test_the_rarer_places_from_the_copy_are_postgresqls(factory: sessionmaker[Session], engine: Engine) -> None:
    """Fourteen experts at one site (more names than a place lists), a second site at the same point under another
    name (one place of two names), and a deployment with neither site nor HQ (a feature without geometry, as
    PostGIS writes it): the copy's places are PostgreSQL's, with names and without, in a viewport and not. The
    point's coordinate ends in a 5 at the sixth decimal, which ST_AsGeoJSON rounds its own way."""
    day = date.today() + timedelta(days=4200)
    with session_scope(factory) as s:
        experts = s.scalars(select(Expert).order_by(Expert.id).limit(15)).all()
        mission = s.scalars(select(Mission).where(Mission.hq.is_not(None)).order_by(Mission.id)).first()
        assert len(experts) == 15 and mission is not None
        point = "SRID=4326;POINT(29.004775 -2.740425)"
        sites = [Site(name=name, kind=SiteKind.TEAM_SITE, mission_id=mission.id, location=point)
                 for name in ("Test twin A", "Test twin B")]
        nowhere = Mission(acronym="TEST-NOWHERE", name="Test mission without HQ", mission_type=MissionType.SPM)
        s.add_all([*sites, nowhere])
        s.flush()
        deployments = [Deployment(expert_id=e.id, mission_id=mission.id, site_id=sites[i % 7 == 6].id,
                                  role=f"Test role {i % 3}", kind=DeploymentKind.SURGE, start_date=day,
                                  end_date=day, status=DeploymentStatus.PLANNED, gender_marker=GenderMarker.GM1)
                       for i, e in enumerate(experts[:14])]
        deployments.append(Deployment(expert_id=experts[14].id, mission_id=nowhere.id, role="Test role",
                                      kind=DeploymentKind.SURGE, start_date=day, end_date=day,
                                      status=DeploymentStatus.PLANNED, gender_marker=GenderMarker.GM0))
        s.add_all(deployments)
        s.flush()
        ids = {"deployment": [d.id for d in deployments], "site": [x.id for x in sites], "mission": [nowhere.id]}
    try:
        store = ColumnarStore(engine, min_interval=0)
        store.load_now()
        filt = MapFilter(start=day - timedelta(days=10), end=day + timedelta(days=10), as_of=day)
        with session_scope(factory) as s:
            for view in (None, BBox(28.0, -3.0, 30.0, -2.0)):
                for names in (False, True):
                    _places_agree(s, store, filt, view, names)
            features = map_layers.deployment_places(s, filt, view=None, zoom=4, with_names=True)["features"]
            twins = next(f for f in features if f["properties"]["n"] == 14)
            # As PostGIS rounds, which is not Python's round() (29.00477).
            assert twins["geometry"]["coordinates"][0] == 29.00478 != round(29.004775, 5)
            assert twins["properties"]["places"] == 2 and twins["properties"]["place"] is None
            assert len(twins["properties"]["names"]) == 12 and twins["properties"]["more_names"] == 2
            assert any(f["geometry"] is None for f in features)
        # A site renamed and an expert renamed reload those tables alone; the places follow.
        with session_scope(factory) as s:
            s.execute(update(Site).where(Site.id == ids["site"][0]).values(name="Test twin renamed"))
            s.execute(update(Expert).where(Expert.id == experts[0].id).values(given_name="AAA Renamed"))
        try:
            before = store.copy
            store.refresh()
            store.wait()
            assert store.copy is not before
            with session_scope(factory) as s:
                found = _places_agree(s, store, filt, None, True)
                assert store.copy.sites[ids["site"][0]].name == "Test twin renamed"
                assert any(name.startswith("AAA Renamed ") for f in found[0]["features"]
                           for name in f["properties"]["names"])
        finally:
            with session_scope(factory) as s:
                s.execute(update(Expert).where(Expert.id == experts[0].id).values(given_name=experts[0].given_name))
    finally:
        with session_scope(factory) as s:
            s.execute(delete(Deployment).where(Deployment.id.in_(ids["deployment"])))
            s.execute(delete(Site).where(Site.id.in_(ids["site"])))
            s.execute(delete(Mission).where(Mission.id.in_(ids["mission"])))


def test_an_absence_reloads_the_absences_alone_and_the_answers_follow(factory: sessionmaker[Session],
                                                                      engine: Engine) -> None:
    """An absence added through the expert's record (which also writes the expert's row, for its version) moves
    the absences' counter only: the reload reads the absences again and shares every other table; the answers
    are PostgreSQL's. The tables replaced stay while the copy they belonged to may still be read."""
    from services.experts.records import add_part, remove_part

    store = ColumnarStore(engine, min_interval=0)
    first = store.load_now()
    start = date.today() + timedelta(days=4100)
    filt = MapFilter(start=start - timedelta(days=10), end=start + timedelta(days=30))
    admin = Principal(user_id=1, username="t", role=Role.ADMIN)
    with session_scope(factory) as s:
        expert = s.scalars(select(Expert).where(Expert.status != ExpertStatus.SEPARATED).order_by(Expert.id)).first()
        assert expert is not None
        before = data_versions(s)[0]
        added = add_part(s, admin, expert.id, "absences", {"kind": "leave", "start_date": start,
                                                            "end_date": start + timedelta(days=4)},
                         version=expert.version)
    try:
        with session_scope(factory) as s:
            after = data_versions(s)[0]
            assert {k for k in after if after[k] != before[k]} == {"unavailability"}
            assert store.reader(s) is None  # stale: PostgreSQL answers
        store.wait()
        second = store.copy
        assert second is not None and second is not first
        assert {k for k in second.tables if second.tables[k] != first.tables[k]} == {"absence"}
        # Nor are the arrays and lookups read again: the shared tables' are taken over as they are.
        assert second.folded_columns is first.folded_columns and second.labels is first.labels
        with session_scope(factory) as s:
            reader = _reader(store, s)
            _both_engines_agree(s, reader, filt)
            # The first copy's absences are still there for a request that holds it.
            kept = second.db.execute(f"SELECT count(*) FROM {first.tables['absence']}").fetchone()
            assert kept is not None and kept[0] >= 1
    finally:
        with session_scope(factory) as s:
            current = s.get(Expert, expert.id)
            assert current is not None
            remove_part(s, admin, expert.id, "absences", added["id"], version=current.version)


def test_a_copy_replaced_long_ago_gives_its_tables_back(factory: sessionmaker[Session], engine: Engine,
                                                        written: dict[str, int],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from services.analytics import columnar

    monkeypatch.setattr(columnar, "RETIRED_COPY_SECONDS", 0.0)
    store = ColumnarStore(engine, min_interval=0)
    first = store.load_now()
    with session_scope(factory) as s:
        s.execute(update(Deployment).where(Deployment.id == written["deployment"])
                  .values(gender_marker=GenderMarker.GM1))
    second = store.load_now()
    assert {k for k in second.tables if second.tables[k] != first.tables[k]} == {"dep", "spend"}
    names = {row[0] for row in second.db.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert names == set(second.tables.values())  # the first's own tables are gone
    assert store.load_now(full=True).db is not second.db  # a full load starts a database of its own


def test_after_a_failed_reload_the_next_starts_a_new_database(engine: Engine) -> None:
    store = ColumnarStore(engine, min_interval=0)
    store.load_now().db.close()  # a broken DuckDB database: an incremental reload cannot use it
    store.refresh()
    store.wait()
    assert store.failures == 1
    store.refresh()
    store.wait()
    copy = store.copy
    assert store.failures == 1 and copy is not None
    assert copy.db.execute(f"SELECT count(*) FROM {copy.tables['dep']}").fetchone() == (copy.rows,)


def test_each_copied_table_depends_on_counted_tables_only() -> None:
    """What a DuckDB table is read from is found in its statement: every source must have a counter the copy
    checks, or a change to it would never reach the copy."""
    from services.analytics.columnar import _sources, read_tables

    for name, _columns, stmt in _sources():
        assert read_tables(stmt) <= set(COPIED_TABLES), name
    assert read_tables(_sources()[0][2]) >= {"deployment", "expert", "site", "mission_host_country"}


def test_an_experts_counter_moves_with_the_columns_the_map_reads(session: Session) -> None:
    """Writing the expert's row for its version (a part changed) moves nothing; its capacity, gender, status or
    name do. And the map's code reads no other column of the expert than the counted ones."""
    import re
    from pathlib import Path

    from models.data_version import COUNTED_COLUMNS

    expert = session.scalars(select(Expert).order_by(Expert.id)).first()
    assert expert is not None
    before = data_versions(session)[0]["expert"]
    session.execute(update(Expert).where(Expert.id == expert.id).values(version=Expert.version + 1,
                                                                         email=Expert.email))
    assert data_versions(session)[0]["expert"] == before
    session.execute(update(Expert).where(Expert.id == expert.id).values(family_name=Expert.family_name))
    assert data_versions(session)[0]["expert"] == before + 1
    root = Path(__file__).resolve().parents[1] / "services"
    read = {name for folder in ("analytics", "briefing") for path in (root / folder).glob("*.py")
            for name in re.findall(r"\bExpert\.([a-z_]+)", path.read_text())}
    assert read <= set(COUNTED_COLUMNS["expert"]), "count the column in migration and COUNTED_COLUMNS"


def test_spending_and_rates_written_reach_the_copys_funding_after_its_reload(
        factory: sessionmaker[Session], engine: Engine) -> None:
    """The funding from the copy: a new spending on a deployment, then its month's rate, each make the copy stale
    (PostgreSQL answers) and are in its answer, to the cent, once it has reloaded."""
    store = ColumnarStore(engine, min_interval=0)
    store.load_now()
    with session_scope(factory) as s:
        # Beside a spending already booked on a deployment (so within its grant's period), one in a currency
        # without rates.
        spending = s.scalars(select(Expenditure).where(Expenditure.deployment_id.is_not(None))
                             .order_by(Expenditure.id)).first()
        assert spending is not None
        acronym = s.scalar(select(Mission.acronym).join(Deployment, Deployment.mission_id == Mission.id)
                           .where(Deployment.id == spending.deployment_id))
        allocation, deployment, day = spending.allocation_id, spending.deployment_id, spending.spent_on
        assert not s.scalars(select(ExchangeRate).where(ExchangeRate.currency == "XTS")).first()
    month = day.replace(day=1)
    # Restricted to the deployment's mission: the copy's spending in scope, not all of it.
    filt = MapFilter(start=month, end=month + timedelta(days=60), mission=(acronym,))
    document = f"T-COLUMNAR-{deployment}"

    def both(s: Session) -> tuple[object, object]:
        reader = _reader(store, s)
        return (funding_summary(s, filt, rates=reader.rates(), deployment_spend_=reader.deployment_spend),
                funding_summary(s, filt))

    def after_reload(write: object) -> tuple[object, object]:
        with session_scope(factory) as s:
            s.add(write)
        with session_scope(factory) as s:
            assert store.reader(s) is None  # stale: PostgreSQL answers until the reload
        store.wait()
        with session_scope(factory) as s:
            return both(s)

    with session_scope(factory) as s:
        before, _ = both(s)
    try:
        by_copy, by_postgres = after_reload(Expenditure(
            document_number=document, allocation_id=allocation, deployment_id=deployment, spent_on=day,
            amount=Decimal("1234.50"), currency="XTS", category=ExpenditureCategory.TRAVEL))
        assert by_copy == by_postgres
        assert f"XTS {month:%Y-%m}" in by_copy.unconverted  # type: ignore[attr-defined]
        assert by_copy.spent_usd == before.spent_usd  # type: ignore[attr-defined]
        by_copy, by_postgres = after_reload(ExchangeRate(currency="XTS", month=month, usd_per_unit=Decimal("0.1")))
        assert by_copy == by_postgres
        assert by_copy.spent_usd - before.spent_usd == Decimal("123.45")  # type: ignore[attr-defined]
        assert not by_copy.unconverted  # type: ignore[attr-defined]
    finally:
        with session_scope(factory) as s:
            s.execute(delete(Expenditure).where(Expenditure.document_number == document))
            s.execute(delete(ExchangeRate).where(ExchangeRate.currency == "XTS"))


def test_a_transaction_that_has_written_is_answered_by_postgresql(session: Session, engine: Engine) -> None:
    store = ColumnarStore(engine, min_interval=0)
    store.load_now()
    _reader(store, session)
    session.execute(update(Expert).where(Expert.id == select(Expert.id).order_by(Expert.id).limit(1)
                                         .scalar_subquery()).values(gender=Gender.UNDISCLOSED))
    loads = store.loads
    assert store.reader(session) is None
    assert store.loads == loads and store.copy is not None  # no reload for this transaction's own rows


def test_one_reload_at_a_time(engine: Engine) -> None:
    store = ColumnarStore(engine, min_interval=0)
    first = store.refresh()
    assert first is not None
    assert store.refresh() is None  # the first one still runs
    store.wait()
    assert store.loads == 1


def test_reloads_are_spaced(engine: Engine) -> None:
    """Two stale requests within the interval: one reload, started when the interval since the last has passed."""
    store = ColumnarStore(engine, min_interval=1.5)
    began = time.monotonic()  # the interval runs from the start of the last load, not its end
    store.load_now()
    thread = store.refresh()
    assert thread is not None and store.refresh() is None
    store.wait()
    assert store.loads == 2 and time.monotonic() - began >= 1.4


def test_a_copy_that_fails_to_load_leaves_postgresql_answering(session: Session, caplog: pytest.LogCaptureFixture
                                                               ) -> None:
    broken = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", poolclass=pool.NullPool)
    store = ColumnarStore(broken, min_interval=0)
    principal = Principal(user_id=1, username="t", role=Role.VIEWER)
    with caplog.at_level(logging.ERROR, logger="services.analytics.columnar"):
        view = map_view(session, principal, MapFilter.default(), view=None, zoom=3, columnar=store)
        store.wait()
    assert view == map_view(session, principal, MapFilter.default(), view=None, zoom=3)
    assert store.failures == 1 and store.copy is None
    assert "the columnar copy failed to load, the database is unreachable" in caplog.text
    assert "Traceback" not in caplog.text  # an outage is one line, not a traceback per worker


def test_a_copy_that_fails_to_answer_leaves_postgresql_answering(session: Session, engine: Engine,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    store = ColumnarStore(engine, min_interval=0)
    store.load_now().db.close()  # its cursors now fail
    principal = Principal(user_id=1, username="t", role=Role.VIEWER)
    with caplog.at_level(logging.ERROR, logger="services.analytics.view"):
        view = map_view(session, principal, MapFilter.default(), view=None, zoom=3, columnar=store)
    assert view == map_view(session, principal, MapFilter.default(), view=None, zoom=3)
    assert "the columnar copy failed to answer" in caplog.text


# --- the data versions ----------------------------------------------------------------------------------------
def test_every_table_has_a_counter_or_is_not_read_by_the_map(session: Session) -> None:
    tables = set(Base.metadata.tables) | {"alembic_version"}
    assert set(VERSIONED_TABLES) | NOT_MAP_DATA >= tables, "a new table: give it a counter or say why not"
    assert set(COPIED_TABLES) <= set(VERSIONED_TABLES)
    triggered = set(session.scalars(text(
        "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE t.tgname = c.relname || '_data_version'")))
    assert triggered == set(VERSIONED_TABLES)
    assert set(data_versions(session)[0]) == set(VERSIONED_TABLES)


def test_writes_move_counters_and_logins_tokens_audit_do_not(session: Session) -> None:
    user = users.create_user(session, "t-versions", Role.VIEWER, "a long password 1")
    _, plain = tokens.create_token(session, user.username)
    before, clean = data_versions(session)
    assert not clean  # it has written (the user)
    assert users.authenticate(session, "t-versions", "a long password 1") is not None
    assert tokens.user_for_token(session, plain) is not None
    audit.record(session, "login", username="t-versions")
    session.flush()
    assert data_versions(session)[0] == before
    session.execute(update(Deployment).where(Deployment.id == select(Deployment.id).limit(1).scalar_subquery())
                    .values(role="Adviser (moved)"))
    after = data_versions(session)[0]
    assert after["deployment"] == before["deployment"] + 1
    assert {k: v for k, v in after.items() if k != "deployment"} == \
        {k: v for k, v in before.items() if k != "deployment"}


def test_the_app_role_reads_the_counters_but_cannot_set_them(session: Session) -> None:
    from sqlalchemy.exc import ProgrammingError
    with pytest.raises(ProgrammingError, match="permission denied"), session.begin_nested():
        session.execute(text("UPDATE data_version SET version = 0"))


def test_the_cache_key_follows_writes_not_logins(factory: sessionmaker[Session], written: dict[str, int]) -> None:
    key = {"kind": "map", "filter": MapFilter.default().to_query()}

    def digest() -> str | None:
        with session_scope(factory) as s:
            return ViewCache.digest(s, key)

    with session_scope(factory) as s:
        user = users.create_user(s, "t-cache-key", Role.VIEWER, "a long password 2")
        _, plain = tokens.create_token(s, user.username)
    try:
        first = digest()
        assert first is not None
        with session_scope(factory) as s:
            assert users.authenticate(s, "t-cache-key", "a long password 2") is not None
            assert tokens.user_for_token(s, plain) is not None
            audit.record(s, "login", username="t-cache-key")
        assert digest() == first
        with session_scope(factory) as s:
            s.execute(update(Deployment).where(Deployment.id == written["deployment"]).values(role="Moved"))
        assert digest() not in (None, first)
    finally:
        with session_scope(factory) as s:
            s.execute(delete(User).where(User.username == "t-cache-key"))

