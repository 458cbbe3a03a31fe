"""The operations map's cross-filter aggregates over a columnar copy of its fact tables, in DuckDB (in-process).

PostgreSQL stays the system of record and the reference: ``HUB_ANALYTICS_ENGINE=postgres`` answers everything
there, and so does every request while the copy is not exactly the data the request's transaction sees.

- **The copy**: the deployments (not cancelled: every aggregate leaves them out) with their expert's capacity,
  gender and whether separated, their role, and their place's country (the site's, else the mission's first host,
  as an integer of its letters, computed at load by PostgreSQL); the experts, their skills, labels and absences;
  the sites' and HQs' points and names (the day's places); the spending on deployments (integer cents) and the
  exchange rates. Loaded in one REPEATABLE READ transaction, with the data versions it saw. The funding's
  allocations (tens) and the projects' spending stay in PostgreSQL, which reads them in a millisecond.
- **Exact by data**: a request reads the counters of the copied tables (models.data_version) in its own
  transaction; the copy answers only when they equal the copy's. Otherwise PostgreSQL answers, and one thread
  reloads the copy in the background (never two at once). A transaction that has written sees its own rows,
  which the copy never holds: PostgreSQL answers it, and it starts no reload. A reload reads again only the tables
  whose PostgreSQL sources moved (an absence written: the absences; a deployment: the deployments and their
  spending), into new DuckDB tables; the copy it replaces keeps its own for a minute, for the requests reading it.
- **Spatial filters stay in PostGIS**: mission, country, region, drawn area and viewport resolve there to sets of
  ids (sites, missions, ISO3 codes), which the engine semi-joins as registered Arrow tables.
- **Folds in numpy**: DuckDB filters the rows and returns their positions; numpy takes their columns from arrays
  kept per copy and folds the daily head counts, distinct experts and sums (a DuckDB plan costs milliseconds a
  statement; one statement per chart would add up). The day's places are grouped in Python likewise.
- One copy per worker process, in memory, DuckDB with one thread: the README says why and what it costs.
"""

from __future__ import annotations

import functools
import logging
import tempfile
import threading
import time
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import psycopg
import pyarrow as pa
from sqlalchemy import BigInteger, Date, Engine, Float, Integer, Table, cast, func, literal, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session
from sqlalchemy.sql import visitors

from models import (
    Allocation,
    Capacity,
    Country,
    Deployment,
    Expenditure,
    Expert,
    ExpertSkill,
    Fund,
    Grant,
    Mission,
    Site,
    Skill,
    SurgeRequest,
    Unavailability,
)
from models.db import first_line, is_outage
from models.enums import DeploymentKind, DeploymentStatus, ExpertStatus, Gender, GenderMarker
from services.analytics.breakdown import Breakdown, BreakdownParts, assemble
from services.analytics.filters import MapFilter
from services.analytics.funding import Sums, restricts_deployments
from services.analytics.map_layers import COORD_DECIMALS, NAMES_PER_PLACE
from services.analytics.personnel import Daily
from services.analytics.scope import FIRST_HOST, area_geometry
from services.analytics.versions import data_versions
from services.catalog import BBox
from services.funding.rates import RateBook, load_rates
from services.surge.service_level import DEFAULT_TARGET_DAYS, ServiceLevel, days_to_deploy

log = logging.getLogger(__name__)

# The tables the copy is made of: their counters decide whether it may answer.
COPIED_TABLES = ("capacity", "deployment", "exchange_rate", "expenditure", "expert", "expert_skill", "mission",
                 "mission_host_country", "site", "surge_request", "unavailability")
EPOCH = date(1970, 1, 1)
GENDERS, MARKERS, KINDS = list(Gender), list(GenderMarker), list(DeploymentKind)
CopyError = duckdb.Error  # what a failing copy raises: its callers fall back to PostgreSQL


def _day(column: Any) -> Any:
    """A date as days since 1970-01-01 (an integer: date - date in PostgreSQL)."""
    return cast(column - literal(EPOCH, Date), Integer)


@dataclass(frozen=True)
class Copy:
    """One loaded copy: an in-memory DuckDB database, the data versions it holds, and the name of each of its
    tables in that database (a reload writes the tables whose sources changed under new names; the others are
    shared with the copy before)."""

    db: duckdb.DuckDBPyConnection
    versions: dict[str, int]
    tables: dict[str, str]  # "dep", "expert", ... -> the DuckDB table holding it for this copy
    rates: dict[tuple[str, date], Decimal]  # the exchange_rate table, read in the same snapshot
    capacities: dict[int, tuple[str, int]]  # id -> (code, target days to deploy), ordered by code as PostgreSQL does
    missions: dict[int, tuple[str, str]]  # id -> (acronym, name)
    rows: int  # deployments held
    seconds: float  # load time
    # Whether the database orders text by code point, as DuckDB does: the places' names and acronyms are then
    # in PostgreSQL's order (else the places come from PostgreSQL).
    code_point_order: bool = False

    # The lookups of the places and the arrays of the folds, read from the copy's own tables once per copy by
    # prime() in the loading thread (or taken over from the copy before, for the tables it shares).
    @functools.cached_property
    def sites(self) -> dict[int, At]:
        """Site id -> where it is."""
        return {i: At((x, y), _point(gx, gy), name) for i, name, x, y, gx, gy in self._read("site")}

    @functools.cached_property
    def hqs(self) -> dict[int, At]:
        """Mission id -> its HQ."""
        return {i: At((x, y), _point(gx, gy), f"{acronym} HQ", acronym)
                for i, acronym, x, y, gx, gy in self._read("mission_hq")}

    @functools.cached_property
    def labels(self) -> dict[int, str]:
        """Expert id -> "name (capacity, ", the start of what a place lists of them."""
        return dict(self._read("person"))

    @functools.cached_property
    def folded_columns(self) -> dict[str, np.ndarray]:
        """The deployments' columns that Reader.fold folds, as arrays in row order (a row's rowid is its index:
        the copy's tables are written once, never updated)."""
        with closing(cursor(self.db)) as cur:
            return dict(cur.execute(f"SELECT {', '.join(FOLDED_COLUMNS)} FROM {self.tables['dep']} ORDER BY rowid")
                        .fetchnumpy().items())

    @functools.cached_property
    def surge_columns(self) -> dict[str, np.ndarray]:
        """The surge requests' columns as arrays; a request with no capacity has -1 (no capacity's id), one not
        deployed NaN days."""
        with closing(cursor(self.db)) as cur:
            found = cur.execute(f"SELECT COALESCE(capacity_id, -1) AS capacity_id, mission_id, received_day, "
                                f"COALESCE(days, 'NaN'::DOUBLE) AS days FROM {self.tables['surge']}").fetchnumpy()
        return {name: np.asarray(column) for name, column in found.items()}

    def prime(self, previous: Copy | None = None) -> None:
        """Reads the lookups and arrays now (the loader's thread), not in the first request that needs them; those
        of ``previous`` whose table this copy shares are taken over (an absence written reads no deployment)."""
        for name, table in PRIMED.items():
            if previous is not None and previous.tables[table] == self.tables[table]:
                self.__dict__[name] = getattr(previous, name)  # where functools.cached_property keeps its value
            else:
                getattr(self, name)

    def _read(self, name: str) -> list[tuple[Any, ...]]:
        with closing(cursor(self.db)) as cur:
            return cur.execute(f"SELECT * FROM {self.tables[name]}").fetchall()


# The deployments' columns the charts' fold reads.
FOLDED_COLUMNS = ("capacity_id", "start_day", "end_day", "separated", "mission_id", "expert_id", "gender", "marker",
                  "planned", "delivered")


# What the copy reads, as (DuckDB table, its columns and types, the SELECT in PostgreSQL); enums arrive as text
# and are stored as their index in the enum's members (the folds count them with bincount).
_EXPERT = {"capacity_id": "INTEGER", "gender": "VARCHAR", "separated": "BOOLEAN"}


def _printed(point: Any) -> tuple[Any, Any]:
    """A point's x and y as the map's GeoJSON writes them (map_layers._geojson)."""
    coordinates = cast(func.ST_AsGeoJSON(point, COORD_DECIMALS), JSONB)["coordinates"]
    return cast(coordinates[0], Float), cast(coordinates[1], Float)


def _iso3_code(iso3: Any) -> Any:
    """An ISO3 code (three letters A-Z, the country table's check) as the integer iso3_code() makes of it: the
    copy compares integers, a third of the time of comparing strings over 100,000 rows."""
    letters = [func.ascii(func.substr(iso3, i, 1)) - 65 for i in (1, 2, 3)]
    return letters[0] * 676 + letters[1] * 26 + letters[2]


def iso3_code(iso3: str) -> int:
    a, b, c = (ord(letter) - 65 for letter in iso3)
    return a * 676 + b * 26 + c


def _sources() -> list[tuple[str, dict[str, str], Any]]:
    separated = Expert.status == ExpertStatus.SEPARATED
    # What the filter's conditions read of a deployment (Query's expert_sql and place_sql).
    scope = {"expert_id": "BIGINT", "mission_id": "INTEGER", "site_id": "BIGINT", "allocation_id": "BIGINT",
             "kind": "VARCHAR", "marker": "VARCHAR", "country": "SMALLINT", **_EXPERT}
    scope_columns = (Deployment.expert_id, Deployment.mission_id, Deployment.site_id, Deployment.allocation_id,
                     Deployment.kind, Deployment.gender_marker,
                     _iso3_code(func.coalesce(Site.country_iso3, FIRST_HOST.c.iso3)),
                     Expert.capacity_id, Expert.gender, separated)

    def with_scope(stmt: Any) -> Any:
        return (stmt.join(Expert, Expert.id == Deployment.expert_id)
                .outerjoin(Site, Site.id == Deployment.site_id)
                .outerjoin(FIRST_HOST, FIRST_HOST.c.mission_id == Deployment.mission_id))

    live = Deployment.status != DeploymentStatus.CANCELLED
    return [
        ("dep", {"id": "BIGINT", "start_day": "INTEGER", "end_day": "INTEGER", "planned": "BIGINT",
                 "delivered": "BIGINT", "role": "VARCHAR", **scope},
         with_scope(select(Deployment.id, _day(Deployment.start_date), _day(Deployment.end_date),
                           Deployment.gender_outputs_planned, Deployment.gender_outputs_delivered, Deployment.role,
                           *scope_columns))
         .where(live)),
        # The places of the day's map (map_layers.deployment_places): a deployment is at its site, else at its
        # mission's HQ. The coordinates twice: as stored, so that equal points group as PostgreSQL's do, and as
        # the layer writes them (rounded by ST_AsGeoJSON, whose rounding is its own).
        ("site", {"site_id": "BIGINT", "site_name": "VARCHAR", "sx": "DOUBLE", "sy": "DOUBLE", "sgx": "DOUBLE",
                  "sgy": "DOUBLE"},
         select(Site.id, Site.name, func.ST_X(Site.location), func.ST_Y(Site.location), *_printed(Site.location))),
        ("mission_hq", {"mission_id": "INTEGER", "acronym": "VARCHAR", "hx": "DOUBLE", "hy": "DOUBLE",
                        "hgx": "DOUBLE", "hgy": "DOUBLE"},
         select(Mission.id, Mission.acronym, func.ST_X(Mission.hq), func.ST_Y(Mission.hq), *_printed(Mission.hq))),
        # What the place's list of names writes of each expert before the deployment's role (with_names).
        ("person", {"expert_id": "BIGINT", "label": "VARCHAR"},
         select(Expert.id, Expert.given_name + " " + Expert.family_name + " (" + Capacity.code + ", ")
         .join(Capacity, Capacity.id == Expert.capacity_id)),
        ("expert", {"expert_id": "BIGINT", **_EXPERT},
         select(Expert.id, Expert.capacity_id, Expert.gender, separated)),
        ("expert_skill", {"expert_id": "BIGINT", "skill_id": "INTEGER"},
         select(ExpertSkill.expert_id, ExpertSkill.skill_id)),
        ("absence", {"expert_id": "BIGINT", "start_day": "INTEGER", "end_day": "INTEGER", **_EXPERT},
         select(Unavailability.expert_id, _day(Unavailability.start_date), _day(Unavailability.end_date),
                Expert.capacity_id, Expert.gender, separated).join(Expert, Expert.id == Unavailability.expert_id)),
        # The spending on deployments in integer cents, with its deployment's columns (the filter's conditions
        # read them without a join) and whether it is live: unrestricted, the funding counts the spending on
        # cancelled deployments too.
        ("spend", {"spend_allocation": "BIGINT", "currency": "VARCHAR", "month_day": "INTEGER",
                   "spent_day": "INTEGER", "cents": "BIGINT", "live": "BOOLEAN", **scope},
         with_scope(select(Expenditure.allocation_id, Expenditure.currency,
                           _day(cast(func.date_trunc("month", Expenditure.spent_on), Date)), _day(Expenditure.spent_on),
                           cast(Expenditure.amount * 100, BigInteger), live, *scope_columns)
                    .select_from(Expenditure).join(Deployment, Deployment.id == Expenditure.deployment_id))),
        # Days from receipt to deployment as PostgreSQL computes them (time zones right), as the double that its
        # percentile_cont reads.
        ("surge", {"capacity_id": "INTEGER", "mission_id": "INTEGER", "received_day": "INTEGER", "days": "DOUBLE"},
         select(SurgeRequest.capacity_id, SurgeRequest.mission_id, _day(SurgeRequest.received_on),
                cast(days_to_deploy(), Float))),
    ]


_CODES: dict[str, Sequence[Enum]] = {"gender": GENDERS, "kind": KINDS, "marker": MARKERS}


def read_tables(stmt: Any) -> set[str]:
    """The PostgreSQL tables a statement reads (its subqueries' included): what a DuckDB table depends on."""
    return {element.name for element in visitors.iterate(stmt) if isinstance(element, Table)}


def load_copy(engine: Engine, previous: Copy | None = None, generation: int = 0) -> Copy:
    """Reads the copied columns from PostgreSQL in one snapshot and builds the DuckDB tables.

    With ``previous``, only the tables whose PostgreSQL sources moved since it are read again (into tables named
    for ``generation``, in the same DuckDB database); the others are ``previous``'s, which the counters, read in
    this snapshot, show to be this snapshot's data too. An absence written reloads the absences alone.

    Through COPY ... TO STDOUT in CSV and DuckDB's CSV reader: no Python object per row (a fifth of the CPU of
    fetching rows through the driver)."""
    began = time.perf_counter()
    # One thread: the workers share the machine's cores.
    db = previous.db if previous is not None else duckdb.connect(":memory:", config={"threads": 1})
    loader = cursor(db)
    created: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="hub-columnar-") as folder, \
                engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            snapshot = Session(bind=conn)
            versions, _ = data_versions(snapshot, COPIED_TABLES)
            moved = ({t for t in COPIED_TABLES if versions.get(t) != previous.versions.get(t)}
                     if previous is not None else set(COPIED_TABLES))
            rates = load_rates(snapshot).rates if previous is None or "exchange_rate" in moved else previous.rates
            # The lookups every request names its answer with: tens of rows, read once per data version.
            capacities = ({i: (code, days) for i, code, days in snapshot.execute(  # in the database's order of codes
                select(Capacity.id, Capacity.code, Capacity.target_days_to_deploy).order_by(Capacity.code))}
                if previous is None or "capacity" in moved else previous.capacities)
            missions = ({i: (acronym, name) for i, acronym, name in snapshot.execute(
                select(Mission.id, Mission.acronym, Mission.name))}
                if previous is None or "mission" in moved else previous.missions)
            code_point_order = (_orders_by_code_point(snapshot) if previous is None
                                else previous.code_point_order)
            raw = conn.connection.driver_connection  # the same transaction, so the same snapshot as the versions
            if not isinstance(raw, psycopg.Connection):  # the hub's URL is postgresql+psycopg: COPY needs psycopg's
                raise RuntimeError(f"the columnar copy needs a psycopg connection, not {type(raw).__name__}")
            tables: dict[str, str] = {}
            for name, columns, stmt in _sources():
                if previous is not None and not read_tables(stmt) & moved:
                    tables[name] = previous.tables[name]
                    continue
                tables[name] = table = f"{name}_{generation}"
                path = Path(folder) / f"{name}.csv"
                sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
                with raw.cursor() as cur, path.open("wb") as out, \
                        cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
                    for chunk in copy:
                        out.write(chunk)
                spec = "{" + ", ".join(f"'{c}': '{t}'" for c, t in columns.items()) + "}"
                picked = ", ".join(
                    f"(list_position({[str(m) for m in _CODES[c]]}, {c}) - 1)::TINYINT AS {c}" if c in _CODES else c
                    for c in columns)
                created.append(table)
                loader.execute(f"CREATE TABLE {table} AS SELECT {picked} FROM read_csv('{path}', header = false, "
                               f"columns = {spec}, auto_detect = false)")
            conn.rollback()
        rows = loader.execute(f"SELECT count(*) FROM {tables['dep']}").fetchone()
    except BaseException:
        for table in created:  # a failed reload leaves the previous copy as it was
            loader.execute(f"DROP TABLE IF EXISTS {table}")
        raise
    finally:
        loader.close()
    return Copy(db, versions, tables, rates, capacities, missions, int(rows[0]) if rows else 0,
                time.perf_counter() - began, code_point_order)


# The copy's lookups and arrays (Copy's cached properties) and the DuckDB table each is read from.
PRIMED = {"sites": "site", "hqs": "mission_hq", "labels": "person", "folded_columns": "dep", "surge_columns": "surge"}


# Collations that order text by code point (byte order in UTF-8), as DuckDB and Python do.
CODE_POINT_COLLATIONS = {"C", "POSIX", "C.UTF-8", "C.utf8"}


def _orders_by_code_point(session: Session) -> bool:
    """Whether the database's default collation is one of CODE_POINT_COLLATIONS (libc's, or PostgreSQL 17's
    builtin provider; ICU's never are). to_jsonb: datlocprovider exists from PostgreSQL 15 on."""
    collate, provider = session.execute(text(
        "SELECT d.datcollate, to_jsonb(d) ->> 'datlocprovider' FROM pg_database d "
        "WHERE d.datname = current_database()")).one()
    return provider in (None, "c", "b") and collate in CODE_POINT_COLLATIONS


def _point(x: float | None, y: float | None) -> dict[str, Any] | None:
    """A GeoJSON point of coordinates already rounded (None for no place: PostGIS's NULL)."""
    if x is None or y is None:
        return None
    return {"type": "Point", "coordinates": [x, y]}


def drop_unused(db: duckdb.DuckDBPyConnection, kept: Sequence[Copy]) -> list[str]:
    """Drops the DuckDB tables no kept copy names (those replaced by reloads); returns their names."""
    named = {table for copy in kept for table in copy.tables.values()}
    with closing(cursor(db)) as cur:
        found = [row[0] for row in cur.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        unused = [table for table in found if table not in named]
        for table in unused:
            cur.execute(f"DROP TABLE {table}")
    return unused


_CURSORS = threading.Lock()


def cursor(db: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A connection of its own to the copy for this request's thread (a DuckDB connection is not thread-safe;
    its cursors are made one at a time, as gunicorn's threads may ask at once)."""
    with _CURSORS:
        return db.cursor()


@dataclass(frozen=True)
class Sets:
    """What the filter names, resolved in PostgreSQL (and PostGIS) to ids; None: no restriction."""

    capacity: list[int] | None = None
    skill: list[int] | None = None
    mission: list[int] | None = None
    country: list[str] | None = None  # ISO3 of the places the filter's countries name
    region: list[str] | None = None  # ISO3 of the countries of the filter's regions
    area_sites: list[int] | None = None  # sites inside the drawn area and viewport
    area_missions: list[int] | None = None  # missions whose HQ lies inside them
    allocation: list[int] | None = None  # allocations of the filter's funding sources
    view_sites: list[int] | None = None  # sites inside the map's viewport (its places)
    view_missions: list[int] | None = None  # missions whose HQ lies inside it


def resolve(session: Session, filt: MapFilter, view: BBox | None = None) -> Sets:
    """Tiny lookups, each on a reference table (or the sites' and missions' points for an area or the viewport),
    in one statement: each one alone is a round trip that costs more than its work."""
    geometry = area_geometry(filt)
    asks: dict[str, Any] = {}
    if view is not None:
        asks["view_sites"] = select(func.array_agg(Site.id)).where(func.ST_Intersects(Site.location,
                                                                                      view.envelope()))
        asks["view_missions"] = select(func.array_agg(Mission.id)).where(func.ST_Intersects(Mission.hq,
                                                                                           view.envelope()))
    if filt.capacity:
        asks["capacity"] = select(func.array_agg(Capacity.id)).where(Capacity.code.in_(filt.capacity))
    if filt.skill:
        asks["skill"] = select(func.array_agg(Skill.id)).where(Skill.code.in_(filt.skill))
    if filt.mission:
        asks["mission"] = select(func.array_agg(Mission.id)).where(Mission.acronym.in_(filt.mission))
    if filt.country:
        asks["country"] = select(func.array_agg(Country.iso3)).where(Country.named_by(filt.country))
    if filt.region:
        asks["region"] = select(func.array_agg(Country.iso3)).where(Country.region.in_(filt.region))
    if geometry is not None:
        asks["area_sites"] = select(func.array_agg(Site.id)).where(func.ST_Intersects(Site.location, geometry))
        asks["area_missions"] = select(func.array_agg(Mission.id)).where(func.ST_Intersects(Mission.hq, geometry))
    if filt.source:
        asks["allocation"] = (select(func.array_agg(Allocation.id)).join(Grant, Grant.id == Allocation.grant_id)
                              .join(Fund, Fund.id == Grant.fund_id).where(Fund.fund_type.in_(filt.source)))
    if not asks:
        return Sets()
    found = session.execute(select(*[ask.scalar_subquery() for ask in asks.values()])).one()
    # array_agg of no rows is NULL: nothing matches.
    return Sets(**{name: list(values or []) for name, values in zip(asks, found, strict=True)})


class Query:
    """One request's statements on a cursor of the copy, with the filter's sets registered as Arrow tables."""

    def __init__(self, copy: Copy, filt: MapFilter, sets: Sets) -> None:
        self.cur = cursor(copy.db)
        self.t = copy.tables
        self.filt = filt
        self.sets = sets
        self._count = 0
        self.expert_sql = self._expert_conditions(sets)
        # The place's conditions but the mission's (the mission points count each mission's own experts).
        self.unmissioned_sql = self._place_conditions(sets)
        self.place_sql = self.unmissioned_sql + (
            [self._in("mission_id", sets.mission, pa.int32())] if sets.mission is not None else [])
        self._view_sql: list[str] | None = None

    def close(self) -> None:
        self.cur.close()

    def _in(self, column: str, values: Sequence[Any], kind: pa.DataType) -> str:
        """``column IN (the values)``: a few integers as constants (a constant list costs DuckDB a fraction of a
        semi-join, and integers carry nothing but digits into the SQL), else a semi-join on a registered table,
        so that no text reaches the SQL."""
        if pa.types.is_integer(kind) and 0 < len(values) <= SMALL_SET:
            return f"{column} IN ({', '.join(str(int(v)) for v in values)})"
        self._count += 1
        name = f"f{self._count}"
        self.cur.register(name, pa.table({"v": pa.array(list(values), type=kind)}))
        return f"{column} IN (SELECT v FROM {name})"

    def _expert_conditions(self, sets: Sets) -> list[str]:
        f, out = self.filt, []
        if sets.capacity is not None:
            out.append(self._in("capacity_id", sets.capacity, pa.int32()))
        if f.gender:
            out.append(self._in("gender", [GENDERS.index(g) for g in f.gender], pa.int8()))
        if sets.skill is not None:
            out.append(f"expert_id IN (SELECT expert_id FROM {self.t['expert_skill']} WHERE "
                       f"{self._in('skill_id', sets.skill, pa.int32())})")
        return out

    def view_sql(self) -> list[str]:
        """The deployment's place (its site, else its mission's HQ) lies inside the viewport."""
        sets = self.sets
        if sets.view_sites is None or sets.view_missions is None:
            return []
        if self._view_sql is None:
            self._view_sql = [f"({self._in('site_id', sets.view_sites, pa.int64())} OR (site_id IS NULL AND "
                              f"{self._in('mission_id', sets.view_missions, pa.int32())}))"]
        return self._view_sql

    def _place_conditions(self, sets: Sets) -> list[str]:
        """What the filter says of the deployment and its place, but its missions (see __init__)."""
        f, out = self.filt, []
        if f.kind:
            out.append(self._in("kind", [KINDS.index(k) for k in f.kind], pa.int8()))
        if f.marker:
            out.append(self._in("marker", [MARKERS.index(m) for m in f.marker], pa.int8()))
        if sets.allocation is not None:
            out.append(self._in("allocation_id", sets.allocation, pa.int64()))
        if sets.country is not None:
            out.append(self._in("country", [iso3_code(c) for c in sets.country], pa.int16()))
        if sets.region is not None:
            out.append(self._in("country", [iso3_code(c) for c in sets.region], pa.int16()))
        if sets.area_sites is not None and sets.area_missions is not None:
            out.append(f"({self._in('site_id', sets.area_sites, pa.int64())} OR (site_id IS NULL AND "
                       f"{self._in('mission_id', sets.area_missions, pa.int32())}))")
        return out

    def numpy(self, sql: str, *params: Any) -> dict[str, np.ndarray]:
        """The statement's columns as numpy arrays (masked where a column has NULLs)."""
        return dict(self.cur.execute(sql, list(params)).fetchnumpy().items())


# Up to this many integers, a condition names its values (Query._in).
SMALL_SET = 32


def _where(*groups: Sequence[str]) -> str:
    parts = [c for group in groups for c in group]
    return " AND ".join(parts) if parts else "TRUE"


def _days(d: date) -> int:
    return (d - EPOCH).days


def _daily_counts(key: np.ndarray, start: np.ndarray, end: np.ndarray, keys: int, fs: int, fe: int
                  ) -> np.ndarray:
    """Head count on each day of [fs, fe] per key (0..keys-1): +1 on each clipped start, -1 the day after each
    clipped end, a cumulative sum along the days; the same integers as personnel._daily_counts."""
    length = fe - fs + 1
    lo = np.maximum(start, fs) - fs
    hi = np.minimum(end, fe) + 1 - fs
    width = length + 1
    deltas = (np.bincount(key * width + lo, minlength=keys * width)
              - np.bincount(key * width + hi, minlength=keys * width)).reshape(keys, width)
    return np.cumsum(deltas, axis=1)[:, :length]


def _distinct(values: np.ndarray) -> int:
    return len(np.unique(values))


@dataclass(frozen=True)
class At:
    """Where a deployment is (a site, or its mission's HQ): the point as stored (the places group by it), as the
    layer writes it, the place's name, and the mission's acronym."""

    key: tuple[float | None, float | None]
    geometry: dict[str, Any] | None
    name: str
    acronym: str = ""  # an HQ's mission


@dataclass
class _Place:
    """The day's rows at one place, gathered (Reader.places)."""

    geometry: dict[str, Any] | None
    experts: dict[int, int] = field(default_factory=dict)  # expert id -> capacity id
    missions: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)  # the place's names (two sites may share a point)
    people: set[str] = field(default_factory=set)  # "name (capacity, role)"
    sited: bool = False  # some deployment there is at a site (else all at the mission's HQ)


@dataclass(frozen=True)
class Folded:
    """The map's aggregates from one pass of the copy."""

    daily: Daily
    breakdown: BreakdownParts


class Reader:
    """The copy, valid for this request's transaction, and the session its id sets are resolved in."""

    def __init__(self, copy: Copy, session: Session, view: BBox | None = None) -> None:
        self.copy = copy
        self.session = session
        self.view = view  # the map's viewport: its places are those inside it
        self._queries: dict[str, Query] = {}

    def _query(self, filt: MapFilter, sets: Sets | None = None) -> Query:
        # Resolved and registered once per filter and request: the charts, the day and the funding ask with the
        # same filter (each registration of a set costs about a millisecond). ``sets``: already resolved.
        key = repr(filt)
        if key not in self._queries:
            self._queries[key] = Query(self.copy, filt,
                                       sets if sets is not None else resolve(self.session, filt, self.view))
        return self._queries[key]

    def places(self, filt: MapFilter, *, with_names: bool) -> tuple[dict[str, Any], int] | None:
        """map_layers' places of the day inside the viewport (its _places_select, ungridded) over the copy: the
        FeatureCollection and the number of places; None where the copy cannot order the names and acronyms as
        PostgreSQL does (a database collation other than code-point order)."""
        if not self.copy.code_point_order:
            return None
        q = self._query(filt)
        t = q.t
        # DuckDB filters the day's rows; Python places and groups them (a few thousand) with the copy's lookups:
        # the grouped statement, with its distinct aggregates, cost DuckDB 10-15 ms, its join to the places and
        # names 8 ms, mostly in making Python objects of the joined rows.
        rows = q.cur.execute(
            f"SELECT site_id, mission_id, expert_id, capacity_id{', role' if with_names else ''} FROM {t['dep']} "
            f"WHERE start_day <= ? AND end_day >= ? AND {_where(q.expert_sql, q.place_sql, q.view_sql())}",
            [_days(filt.day)] * 2).fetchall()
        site_at, hq_at, labels = self.copy.sites, self.copy.hqs, self.copy.labels if with_names else {}
        gathered: dict[tuple[float | None, float | None], _Place] = {}
        for site_id, mission_id, expert_id, capacity_id, *role in rows:
            hq = hq_at[mission_id]
            at = site_at[site_id] if site_id is not None else hq
            place = gathered.get(at.key)
            if place is None:
                place = gathered[at.key] = _Place(at.geometry)
            place.experts[expert_id] = capacity_id
            place.missions.add(hq.acronym)
            place.names.add(at.name)
            place.sited = place.sited or site_id is not None
            if role:
                place.people.add(f"{labels[expert_id]}{role[0]})")
        codes = self.code_of
        features: list[dict[str, Any]] = []
        # As PostgreSQL orders them: most experts first, then west to east and south to north (no place last).
        for _key, place in sorted(gathered.items(), key=lambda item: (
                -len(item[1].experts), item[0][0] is None, item[0][0] or 0.0, item[0][1] is None, item[0][1] or 0.0)):
            by_capacity = dict.fromkeys(codes.values(), 0)
            for capacity_id in place.experts.values():
                by_capacity[codes[capacity_id]] += 1
            missions = sorted(place.missions)
            properties: dict[str, Any] = {
                "n": len(place.experts), "by_capacity": by_capacity, "missions": missions,
                "place": min(place.names) if len(place.names) == 1 else None, "places": len(place.names),
                "hq": missions[0] if not place.sited and len(missions) == 1 else None}
            if with_names:
                people = sorted(place.people)
                properties |= {"names": people[:NAMES_PER_PLACE],
                               "more_names": max(len(people) - NAMES_PER_PLACE, 0)}
            features.append({"type": "Feature", "geometry": place.geometry, "properties": properties})
        return {"type": "FeatureCollection", "features": features}, len(features)

    def close(self) -> None:
        """Closes this request's cursors on the copy (garbage collection would, later)."""
        for query in self._queries.values():
            query.close()
        self._queries.clear()

    def fold(self, filt: MapFilter) -> Folded:
        """The daily counts (availability, utilisation) and the breakdown (missions, gender, the day's head
        count) from one scan of the deployments of the period, as personnel.daily() and breakdown() define them."""
        q = self._query(filt)
        fs, fe, day = _days(filt.start), _days(filt.end), _days(filt.day)
        place = _where(q.place_sql)
        pool = q.numpy(f"SELECT capacity_id, count(*)::BIGINT AS n FROM {q.t['expert']} WHERE NOT separated AND "
                       f"{_where(q.expert_sql)} GROUP BY capacity_id")
        # DuckDB picks the rows (their positions) and numpy takes their columns from the copy's arrays: a third
        # of the time of DuckDB making arrays of ten columns for each request.
        picked = q.numpy(f"SELECT rowid AS at, COALESCE(({place}), FALSE) AS scoped FROM {q.t['dep']} WHERE "
                         f"start_day <= ? AND end_day >= ? AND {_where(q.expert_sql)}", fe, fs)
        rows = {name: column[picked["at"]] for name, column in self.copy.folded_columns.items()}
        rows["scoped"] = picked["scoped"]
        absent = q.numpy(f"SELECT capacity_id, start_day, end_day FROM {q.t['absence']} WHERE start_day <= ? AND "
                         f"end_day >= ? AND NOT separated AND {_where(q.expert_sql)}", fe, fs)
        return Folded(self._daily(filt, pool, rows, absent, fs, fe), self._breakdown(filt, rows, fs, fe, day))

    @property
    def code_of(self) -> dict[int, str]:
        return {i: code for i, (code, _days) in self.copy.capacities.items()}

    @property
    def codes_in_order(self) -> list[str]:
        """map_layers.capacity_codes_in_order() from the copy."""
        return [code for code, _days in self.copy.capacities.values()]

    def assemble(self, filt: MapFilter, parts: BreakdownParts) -> Breakdown:
        """breakdown.assemble with the copy's names of missions and capacities (no statement in PostgreSQL)."""
        return assemble(self.session, filt, parts, deployed_on_day_=lambda: self.deployed_on_day(filt),
                        code_of=self.code_of, mission_names=self.copy.missions)

    def _daily(self, filt: MapFilter, pool: dict[str, np.ndarray], rows: dict[str, np.ndarray],
               absent: dict[str, np.ndarray], fs: int, fe: int) -> Daily:
        code_of = self.code_of
        pool_of = {int(c): int(n) for c, n in zip(pool["capacity_id"], pool["n"], strict=True)}
        ids = sorted(pool_of, key=lambda i: code_of[i])
        deployed: dict[tuple[str, int], np.ndarray] = {}
        absences: dict[tuple[str, int], np.ndarray] = {}
        if ids:
            slot = np.full(max(max(ids), int(rows["capacity_id"].max(initial=0)),
                               int(absent["capacity_id"].max(initial=0))) + 1, -1, dtype=np.int64)
            slot[ids] = np.arange(len(ids))
            # Only the pool's capacities are counted, as in PostgreSQL's path.
            kind = rows["scoped"].astype(np.int64) + 2 * (~rows["separated"]).astype(np.int64)
            at = slot[rows["capacity_id"]]
            keep = at >= 0
            counts = _daily_counts(at[keep] * 4 + kind[keep], rows["start_day"][keep], rows["end_day"][keep],
                                   len(ids) * 4, fs, fe)
            a_at = slot[absent["capacity_id"]]
            a_keep = a_at >= 0
            away = _daily_counts(a_at[a_keep], absent["start_day"][a_keep], absent["end_day"][a_keep], len(ids),
                                 fs, fe)
            for i, cap in enumerate(ids):
                for k in range(4):
                    deployed[(code_of[cap], k)] = counts[i * 4 + k]
                absences[(code_of[cap], 0)] = away[i]
        return Daily(pool={code_of[i]: n for i, n in pool_of.items()}, deployed=deployed, absent=absences)

    @staticmethod
    def _breakdown(filt: MapFilter, rows: dict[str, np.ndarray], fs: int, fe: int, day: int) -> BreakdownParts:
        scoped = rows["scoped"].astype(bool)
        mission, capacity, expert = rows["mission_id"][scoped], rows["capacity_id"][scoped], rows["expert_id"][scoped]
        start, end = rows["start_day"][scoped], rows["end_day"][scoped]
        gender, marker = rows["gender"][scoped], rows["marker"][scoped]
        days = np.maximum(np.minimum(end, fe) - np.maximum(start, fs) + 1, 0).astype(np.int64)
        missions: list[tuple[int, int, int, int, int]] = []
        if len(mission):
            # One integer per (mission, capacity) and per (group, expert): np.unique over rows (axis=0) sorts
            # structured views, several times slower.
            width = int(capacity.max()) + 1
            groups, group_of = np.unique(mission.astype(np.int64) * width + capacity, return_inverse=True)
            n = np.bincount(group_of, minlength=len(groups))
            x = np.bincount(group_of, weights=days, minlength=len(groups)).astype(np.int64)
            pairs = np.unique(group_of.astype(np.int64) * (int(expert.max()) + 1) + expert)
            e = np.bincount(pairs // (int(expert.max()) + 1), minlength=len(groups))
            missions = [(int(g // width), int(g % width), int(e[i]), int(n[i]), int(x[i]))
                        for i, g in enumerate(groups)]
        on_day = (start <= day) & (end >= day)
        return BreakdownParts(
            missions=missions,
            markers={m.value: int(np.count_nonzero(marker == i)) for i, m in enumerate(MARKERS)},
            genders={g.value: _distinct(expert[gender == i]) for i, g in enumerate(GENDERS)},
            planned=int(rows["planned"][scoped].sum()), delivered=int(rows["delivered"][scoped].sum()),
            day_count=_distinct(expert[on_day]),
        )

    def deployed_on_day(self, filt: MapFilter) -> int:
        q = self._query(filt)
        day = _days(filt.day)
        found = q.numpy(f"SELECT count(DISTINCT expert_id)::BIGINT AS n FROM {q.t['dep']} WHERE start_day <= ? AND "
                        f"end_day >= ? AND {_where(q.expert_sql, q.place_sql)}", day, day)
        return int(found["n"][0])

    def deployed_by_mission(self, filt: MapFilter) -> dict[int, int]:
        """The mission points' counts (map_layers._mission_points) over the copy: the experts in scope deployed on
        the map's day, by mission, the filter's own missions left out of the scope (each point counts its own)."""
        q = self._query(filt)
        day = _days(filt.day)
        picked = q.numpy(f"SELECT rowid AS at FROM {q.t['dep']} WHERE start_day <= ? AND end_day >= ? AND "
                         f"{_where(q.expert_sql, q.unmissioned_sql)}", day, day)["at"]
        columns = self.copy.folded_columns
        mission, expert = columns["mission_id"][picked].astype(np.int64), columns["expert_id"][picked]
        width = int(expert.max(initial=0)) + 1
        missions, counts = np.unique(np.unique(mission * width + expert) // width, return_counts=True)
        return {int(m): int(n) for m, n in zip(missions, counts, strict=True)}

    def rates(self) -> RateBook:
        """The copy's exchange rates (a book of this request's own: it records the missing ones)."""
        return RateBook(dict(self.copy.rates))

    def deployment_spend(self, session: Session, filt: MapFilter) -> tuple[Sums, Sums]:
        """funding.deployment_spend over the copy, in one statement: the spending of the period on deployments by
        allocation, currency and month, on those in scope and on all."""
        q = self._query(filt)
        scoped = restricts_deployments(filt) or bool(filt.source)
        mine = (f"sum(cents) FILTER (WHERE live AND {_where(q.expert_sql, q.place_sql)})" if scoped
                else "sum(cents)")
        found = q.cur.execute(
            f"SELECT spend_allocation, currency, month_day, sum(cents)::BIGINT, ({mine})::BIGINT FROM {q.t['spend']} "
            f"WHERE spent_day BETWEEN ? AND ? GROUP BY ALL", [_days(filt.start), _days(filt.end)]).fetchall()

        def money(cents: int) -> Decimal:
            return Decimal(cents).scaleb(-2)  # numeric(16, 2), as PostgreSQL's sum gives it

        months: dict[int, date] = {}
        every: Sums = {}
        in_scope: Sums = {}
        for allocation, currency, month, all_cents, my_cents in found:
            key = (allocation, currency, months.setdefault(month, EPOCH + timedelta(days=month)))
            every[key] = money(all_cents)
            if my_cents is not None:  # no deployment in scope: no entry, as PostgreSQL's grouped join has none
                in_scope[key] = money(my_cents)
        return in_scope, (every if restricts_deployments(filt) else {})

    def service_level(self, session: Session, *, capacity_codes: Sequence[str] = (),
                      mission_ids: Sequence[int] = (), start: date | None = None,
                      end: date | None = None) -> ServiceLevel:
        """services.surge.service_level.service_level over the copy's requests (and its capacities' targets)."""
        codes = [c.strip().upper() for c in capacity_codes if c and c.strip()]
        targets = [days for code, days in self.copy.capacities.values() if not codes or code in codes]
        target = min(targets) if targets else DEFAULT_TARGET_DAYS  # as target_days(): the smallest in scope
        # Masks over the copy's arrays of requests (hundreds): a DuckDB statement costs more than all of them.
        surge = self.copy.surge_columns
        keep = np.ones(len(surge["days"]), dtype=bool)
        if codes:
            keep &= np.isin(surge["capacity_id"],
                            [i for i, (code, _days) in self.copy.capacities.items() if code in codes])
        if mission_ids:
            keep &= np.isin(surge["mission_id"], [int(m) for m in mission_ids])
        if start is not None:
            keep &= surge["received_day"] >= _days(start)
        if end is not None:
            keep &= surge["received_day"] <= _days(end)
        days = surge["days"][keep]
        done = np.sort(days[~np.isnan(days)])
        return ServiceLevel(
            requests=int(np.count_nonzero(keep)), deployed=len(done),
            median_days=round(_percentile_cont(done, 0.5), 2) if len(done) else None,
            p90_days=round(_percentile_cont(done, 0.9), 2) if len(done) else None,
            within_target=int(np.count_nonzero(done <= target)), target_days=target)


# A worker reloads at most once in this many seconds (or four loads' time, if longer): under a stream of writes
# the copy costs a bounded share of a core, and PostgreSQL answers meanwhile. A reload reads only the tables whose
# sources moved (an absence: the absences alone, milliseconds), so the floor can be short.
MIN_RELOAD_INTERVAL = 1.0
# A copy replaced by a reload keeps its own tables this long, for the requests still reading it.
RETIRED_COPY_SECONDS = 60.0


def _percentile_cont(ordered: np.ndarray, q: float) -> float:
    """PostgreSQL's percentile_cont over sorted values, with its arithmetic (first + (second - first) * frac)."""
    position = q * (len(ordered) - 1)
    lower = int(np.floor(position))
    first = float(ordered[lower])
    if lower + 1 >= len(ordered) or position == lower:
        return first
    return first + (float(ordered[lower + 1]) - first) * (position - lower)


class ColumnarStore:
    """This worker's copy: answers while exact, reloads in the background when the data has moved on."""

    def __init__(self, engine: Engine, min_interval: float = MIN_RELOAD_INTERVAL) -> None:
        self._engine = engine
        self._copy: Copy | None = None
        self._lock = threading.Lock()
        self._loading: threading.Thread | None = None
        self._min_interval = min_interval
        self._last_start = -float("inf")
        self._generation = 0
        self._retired: list[tuple[float, Copy]] = []  # (when replaced, copy): their tables outlive them a while
        self._full_next = False  # after a failed load: the next starts a new database rather than trust the old
        self.loads = 0
        self.failures = 0

    @property
    def copy(self) -> Copy | None:
        return self._copy

    def reader(self, session: Session, view: BBox | None = None) -> Reader | None:
        """The copy when it holds exactly what this transaction sees; else None (PostgreSQL answers), and a
        reload starts unless one is running or this transaction has written. ``view``: the map's viewport."""
        copy = self._copy
        versions, clean = data_versions(session, COPIED_TABLES)
        if copy is not None and clean and copy.versions == versions:
            return Reader(copy, session, view)
        if clean:
            self.refresh()
        return None

    def refresh(self) -> threading.Thread | None:
        """Starts a reload in a background thread unless one is running or waiting; returns the thread (None:
        one runs). The thread waits first if the last load started less than the interval ago."""
        with self._lock:
            if self._loading is not None and self._loading.is_alive():
                return None
            thread = threading.Thread(target=self._reload, name="columnar-copy-load", daemon=True)
            self._loading = thread
        thread.start()
        return thread

    def wait(self, timeout: float = 120) -> None:
        """Waits for a running reload (tests, the bench)."""
        thread = self._loading
        if thread is not None:
            thread.join(timeout)

    def load_now(self, *, full: bool = False) -> Copy:
        """Loads the copy: the tables whose sources moved since the last load, or all of them (``full``, or the
        first time: a new DuckDB database)."""
        self._last_start = time.monotonic()
        previous = None if full or self._full_next else self._copy
        self._generation += 1
        try:
            copy = load_copy(self._engine, previous, self._generation)
            copy.prime(previous)
        except BaseException:
            self._full_next = True
            raise
        self._copy = copy
        self._full_next = False
        self.loads += 1
        if previous is not None:
            now = time.monotonic()
            self._retired = [(at, old) for at, old in [*self._retired, (now, previous)]
                             if now - at < RETIRED_COPY_SECONDS]
            drop_unused(copy.db, [copy, *(old for _, old in self._retired)])
        return copy

    def _reload(self) -> None:
        last = self._copy.seconds if self._copy is not None else 0.0
        delay = self._last_start + max(self._min_interval, 4 * last) - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        try:
            copy = self.load_now()
            log.info("columnar copy loaded: %d deployments in %.2f s", copy.rows, copy.seconds)
        except Exception as error:  # the map answers from PostgreSQL meanwhile: a log line, not an error to the user
            self.failures += 1
            if is_outage(error):  # the outage is logged by every request it fails: one line here, no traceback
                log.error("the columnar copy failed to load, the database is unreachable; the map answers from "
                          "PostgreSQL once it is back: %s", first_line(error))
            else:
                log.exception("the columnar copy failed to load; the map answers from PostgreSQL")
