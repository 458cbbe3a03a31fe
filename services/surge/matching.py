"""Matching experts to a surge request: hard rules, an explained score, and a team proposal.

One SQL statement reads the facts the rules and the score need (free for the whole period by
``services.availability``, language ranks, clearances valid for the whole period, skill levels, experience in
the mission, last deployment): every expert's own columns, and each other fact only for the experts it
concerns, as a row of arrays (``facts_statement``); numpy puts them in place and scores everyone at once.
Nothing loops over experts in Python: 10,000 experts rank in well under 100 ms on a quiet machine
(``bench/bench_matching.py`` prints the figures, by part, with the load average).
``services.surge.reference`` is the same ranking written as a plain loop; the tests hold the two equal.

Hard rules: active, free for the whole period, not proposed elsewhere, of the request's capacity (unless it
accepts either), each required skill at its minimum level, each language at its level, the clearances. A
desirable skill is only scored. When too few pass, ``Ranking.nearest_misses`` names who failed only the
request's own requirements and what each lacks.

The score is a weighted sum of components, each in [0, 1], so each candidate's rank is explained by its
components (``Candidate.contributions``) and every excluded expert by the rules that excluded them.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    Integer,
    Text,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from models import (
    Capacity,
    ClearanceType,
    Country,
    Deployment,
    Expert,
    ExpertClearance,
    ExpertLanguage,
    ExpertSkill,
    Skill,
    SurgeRequest,
    Unavailability,
    mission_host_country,
)
from models.enums import (
    LANGUAGE_LEVEL_RANK,
    DeploymentStatus,
    ExpertStatus,
    Gender,
    LanguageLevel,
    SurgeStatus,
)
from services.availability import absence_blocks, deployment_blocks
from services.errors import NotFound, ValidationError

# Clearances a deployment needs valid from the first to the last day, unless a request says otherwise.
DEFAULT_REQUIRED_CLEARANCES: tuple[str, ...] = ("MEDICAL", "SECURITY")
MAX_LEVEL = 5  # skills: 1 basic ... 5 authority in the field
MAX_RANK = max(LANGUAGE_LEVEL_RANK.values())  # languages: A1 = 1 ... native = 7
EXPERIENCE_CAP = 3  # deployments to the same mission after which experience stops adding
ROTATION_CAP_DAYS = 365  # a year or more since the last deployment earns the full rotation component
BELOW_MINIMUM_CREDIT = 0.5  # a desirable skill below its level counts half (a required one excludes)
TEAM_POOL = 200  # the team proposal considers the best this many eligible candidates
# Requests whose planned deployments are proposals, not decisions: their members are "proposed elsewhere".
OPEN_STATUSES = (SurgeStatus.RECEIVED, SurgeStatus.UNDER_REVIEW, SurgeStatus.CANDIDATES_PROPOSED)


class Rule(enum.StrEnum):
    """Hard rules, in the order they are reported (the first one an expert fails is the main reason)."""

    INACTIVE = "inactive"  # separated or on long leave
    ABSENT = "absent"  # leave, training, medical during the period
    PROPOSED_ELSEWHERE = "proposed_elsewhere"  # in another open request's proposed team, overlapping
    DEPLOYED = "deployed"  # a deployment (planned, ongoing) overlapping the period
    CAPACITY = "capacity"  # of the other capacity, unless the request accepts either
    SKILL = "skill"  # below a required skill's minimum level (desirable skills are only scored)
    LANGUAGE = "language"  # below a required language level
    CLEARANCE = "clearance"  # a required clearance missing or not valid for the whole period


# The rules a planner could relax (the request's own requirements): an expert who fails only these is a
# "near miss", listed with what they lack when too few experts pass.
REQUIREMENT_RULES = (Rule.CAPACITY, Rule.SKILL, Rule.LANGUAGE)
NEAREST_MISSES = 5

COMPONENTS = ("skills", "languages", "experience", "region", "rotation", "gender")


@dataclass(frozen=True)
class Weights:
    """How much each score component counts; shown on the page and adjustable per request (0 to 10)."""

    skills: float = 4.0
    languages: float = 1.0
    experience: float = 1.0
    region: float = 1.0
    rotation: float = 1.5
    gender: float = 1.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or not 0 <= float(value) <= 10:
                raise ValidationError(f"weight {f.name!r} must be a number from 0 to 10 (got {value!r}).")

    @classmethod
    def from_mapping(cls, values: dict[str, Any] | None) -> Weights:
        """Weights from a form or a query; unknown names are refused, missing ones keep their default."""
        values = {k: v for k, v in (values or {}).items() if v is not None}
        unknown = set(values) - set(COMPONENTS)
        if unknown:
            raise ValidationError(f"unknown weight(s) {sorted(unknown)}: use {list(COMPONENTS)}.")
        try:
            return cls(**{k: float(v) for k, v in values.items()})
        except (TypeError, ValueError) as error:
            raise ValidationError(f"weights must be numbers from 0 to 10 ({error}).") from error

    def as_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in COMPONENTS}

    def vector(self) -> np.ndarray:
        return np.array([getattr(self, name) for name in COMPONENTS], dtype=float)


@dataclass(frozen=True)
class SkillNeed:
    skill_id: int
    code: str
    name: str
    weight: float
    min_level: int
    required: bool = True  # a hard rule at min_level; False: desirable, scored only
    name_fr: str | None = None

    def label(self, locale: str = "en") -> str:
        return self.name_fr if locale == "fr" and self.name_fr else self.name


@dataclass(frozen=True)
class LanguageNeed:
    code: str
    min_level: LanguageLevel

    @property
    def min_rank(self) -> int:
        return LANGUAGE_LEVEL_RANK[self.min_level]


@dataclass(frozen=True)
class Need:
    """What a request asks for, as the matcher reads it (built from a SurgeRequest, or by hand in tests)."""

    start: date
    end: date
    mission_id: int
    skills: tuple[SkillNeed, ...] = ()
    languages: tuple[LanguageNeed, ...] = ()
    clearance_type_ids: tuple[int, ...] = ()
    balance_gender: bool = False
    experts_requested: int = 1
    request_id: int | None = None
    # The request's capacity: a hard rule unless accept_any_capacity (None: the request names none).
    capacity_id: int | None = None
    capacity_code: str | None = None
    accept_any_capacity: bool = False
    # Every capacity's (id, code): candidates and near misses name the expert's capacity.
    capacity_codes: tuple[tuple[int, str], ...] = ()
    # Genders of the team already proposed for this request (the gender component balances against it).
    team_genders: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValidationError("the period ends before it starts.")

    @property
    def capacity_rule(self) -> bool:
        return self.capacity_id is not None and not self.accept_any_capacity

    @property
    def still_wanted(self) -> int:
        """Experts still wanted: those requested less those already proposed or deployed."""
        return max(self.experts_requested - len(self.team_genders), 0)


@dataclass(frozen=True)
class Candidate:
    """One expert as the matcher sees them: rank (None when excluded), score and why."""

    expert_id: int
    gender: str
    rank: int | None
    score: float
    components: dict[str, float]  # each in [0, 1]
    contributions: dict[str, float]  # component x weight: the score is their sum
    excluded_by: tuple[Rule, ...]
    skill_levels: tuple[int, ...]  # per requested skill, 0 when the expert lacks it
    language_ranks: tuple[int, ...]  # per requested language, 0 when the expert lacks it
    missing_clearances: int
    experience: int  # past deployments to the requesting mission
    last_end: date | None
    region_match: bool
    language_zone: bool
    capacity: str | None = None  # the expert's capacity code

    @property
    def eligible(self) -> bool:
        return not self.excluded_by


@dataclass(frozen=True)
class Lack:
    """One requirement a near miss does not meet: ``kind`` capacity (have/need are codes), skill (levels 0-5)
    or language (ranks, 0 = none; ``code`` names the skill or language)."""

    kind: str
    code: str | None
    have: Any
    need: Any
    skill: SkillNeed | None = None


@dataclass(frozen=True)
class Miss:
    """An expert excluded only by the request's own requirements, and what they lack."""

    candidate: Candidate
    lacks: tuple[Lack, ...]


@dataclass
class Ranking:
    """Every expert's facts, components and scores as arrays; Candidate objects are built only when asked."""

    need: Need
    weights: Weights
    ids: np.ndarray
    genders: np.ndarray
    facts: dict[str, np.ndarray]
    skill_levels: np.ndarray  # experts x requested skills
    language_ranks: np.ndarray  # experts x requested languages
    components: np.ndarray  # experts x COMPONENTS
    scores: np.ndarray
    failed: np.ndarray  # experts x Rule, True where the rule excludes
    order: np.ndarray  # indices of eligible experts, best first
    capacities: np.ndarray  # capacity id per expert
    _position: dict[int, int] = field(default_factory=dict)

    @property
    def eligible_count(self) -> int:
        return len(self.order)

    @property
    def ranked_ids(self) -> list[int]:
        return [int(i) for i in self.ids[self.order]]

    def candidate_at(self, index: int, rank: int | None = None) -> Candidate:
        comp = self.components[index]
        weights = self.weights.vector()
        last = self.facts["last_end"][index]
        return Candidate(
            expert_id=int(self.ids[index]), gender=str(self.genders[index]), rank=rank,
            score=float(self.scores[index]),
            components={name: round(float(comp[k]), 4) for k, name in enumerate(COMPONENTS)},
            contributions={name: round(float(comp[k] * weights[k]), 4) for k, name in enumerate(COMPONENTS)},
            excluded_by=tuple(rule for k, rule in enumerate(Rule) if self.failed[index, k]),
            skill_levels=tuple(int(x) for x in self.skill_levels[index]),
            language_ranks=tuple(int(x) for x in self.language_ranks[index]),
            missing_clearances=int(self.facts["missing_clearances"][index]),
            experience=int(self.facts["experience"][index]),
            last_end=None if last < 0 else _from_day(int(last)),
            region_match=bool(self.facts["region"][index]),
            language_zone=bool(self.facts["zone"][index]),
            capacity=dict(self.need.capacity_codes).get(int(self.capacities[index])),
        )

    def top(self, n: int | None = None, offset: int = 0) -> list[Candidate]:
        chosen = self.order[offset: None if n is None else offset + n]
        return [self.candidate_at(int(i), offset + k + 1) for k, i in enumerate(chosen)]

    def excluded(self) -> list[Candidate]:
        indices = np.nonzero(self.failed.any(axis=1))[0]
        return [self.candidate_at(int(i)) for i in indices[np.argsort(self.ids[indices], kind="stable")]]

    @property
    def too_few(self) -> bool:
        """Fewer experts pass the hard rules than the request still wants."""
        return self.eligible_count < self.need.still_wanted

    def nearest_misses(self, n: int = NEAREST_MISSES) -> list[Miss]:
        """The experts who fail only the request's requirements (capacity, skill or language levels), fewest
        unmet requirements first, then fewest levels short, then best score: who could be asked for if the
        planner relaxed a requirement, with what each lacks."""
        requirement = np.array([rule in REQUIREMENT_RULES for rule in Rule])
        near = self.failed[:, requirement].any(axis=1) & ~self.failed[:, ~requirement].any(axis=1)
        index = np.nonzero(near)[0]
        need = self.need
        wrong_capacity = (self.capacities[index] != need.capacity_id) if need.capacity_rule \
            else np.zeros(len(index), bool)
        skill_gap = np.zeros((len(index), len(need.skills)), np.int64)
        if need.skills:
            mins = np.array([s.min_level if s.required else 0 for s in need.skills])
            skill_gap = np.clip(mins[None, :] - self.skill_levels[index], 0, None)
        language_gap = np.zeros((len(index), len(need.languages)), np.int64)
        if need.languages:
            ranks = np.array([lang.min_rank for lang in need.languages])
            language_gap = np.clip(ranks[None, :] - self.language_ranks[index], 0, None)
        unmet = wrong_capacity + (skill_gap > 0).sum(axis=1) + (language_gap > 0).sum(axis=1)
        short = skill_gap.sum(axis=1) + language_gap.sum(axis=1)
        chosen = np.lexsort((self.ids[index], -self.scores[index], short, unmet))[:n]
        misses = []
        for k in chosen:
            candidate = self.candidate_at(int(index[k]))
            lacks: list[Lack] = []
            if wrong_capacity[k]:
                lacks.append(Lack("capacity", None, candidate.capacity, need.capacity_code))
            lacks += [Lack("skill", s.code, int(candidate.skill_levels[j]), s.min_level, s)
                      for j, s in enumerate(need.skills) if skill_gap[k, j] > 0]
            lacks += [Lack("language", lang.code, int(candidate.language_ranks[j]), lang.min_rank)
                      for j, lang in enumerate(need.languages) if language_gap[k, j] > 0]
            misses.append(Miss(candidate, tuple(lacks)))
        return misses

    def explain(self, expert_id: int) -> Candidate:
        """Any expert, ranked or excluded, with the reasons: the page's and the API's lookup."""
        if not self._position:
            self._position = {int(x): k for k, x in enumerate(self.ids)}
        index = self._position.get(int(expert_id))
        if index is None:
            raise NotFound(f"No expert with id {expert_id}.")
        rank = np.nonzero(self.order == index)[0]
        return self.candidate_at(index, int(rank[0]) + 1 if len(rank) else None)


# --- the need of a stored request ------------------------------------------------------------------------
def period_of(request: SurgeRequest) -> tuple[date, date]:
    return request.wanted_start, request.wanted_start + timedelta(days=request.duration_days - 1)


def clearance_ids(session: Session, codes: Sequence[str]) -> tuple[int, ...]:
    wanted = [c.strip().upper() for c in codes if c and c.strip()]
    if not wanted:
        return ()
    found = dict(session.execute(
        select(ClearanceType.code, ClearanceType.id).where(ClearanceType.code.in_(wanted))).all())
    unknown = sorted(set(wanted) - set(found))
    if unknown:
        raise ValidationError(f"unknown clearance type(s): {', '.join(unknown)}.")
    return tuple(sorted(found.values()))


def team_genders(session: Session, request_id: int) -> tuple[str, ...]:
    """Genders of the experts already proposed or deployed for the request (cancelled ones aside)."""
    rows = session.scalars(
        select(Expert.gender).join(Deployment, Deployment.expert_id == Expert.id)
        .where(Deployment.surge_request_id == request_id, Deployment.status != DeploymentStatus.CANCELLED)
        .order_by(Expert.id)
    )
    return tuple(str(g) for g in rows)


def need_for_request(session: Session, request: SurgeRequest, clearances: Sequence[str] | None = None) -> Need:
    """What the request needs; ``clearances`` (codes) replaces the request's own required clearances."""
    start, end = period_of(request)
    skill_rows = session.execute(
        select(Skill.id, Skill.code, Skill.name, Skill.name_fr)
        .where(Skill.id.in_([s.skill_id for s in request.skills]))
    ).all()
    names = {r.id: r for r in skill_rows}
    skills = tuple(
        SkillNeed(s.skill_id, names[s.skill_id].code, names[s.skill_id].name, float(s.weight), int(s.min_level),
                  bool(s.required), names[s.skill_id].name_fr)
        for s in sorted(request.skills, key=lambda s: (not s.required, -float(s.weight), s.skill_id))
    )
    codes = capacity_codes(session)
    languages = tuple(LanguageNeed(lang.language_code, LanguageLevel(lang.min_level))
                      for lang in sorted(request.languages, key=lambda x: x.language_code))
    return Need(start=start, end=end, mission_id=request.mission_id, skills=skills, languages=languages,
                clearance_type_ids=(tuple(sorted(c.clearance_type_id for c in request.clearances))
                                    if clearances is None else clearance_ids(session, clearances)),
                balance_gender=request.balance_gender,
                experts_requested=request.experts_requested, request_id=request.id,
                team_genders=team_genders(session, request.id), capacity_id=request.capacity_id,
                capacity_code=dict(codes).get(request.capacity_id) if request.capacity_id is not None else None,
                accept_any_capacity=bool(request.accept_any_capacity), capacity_codes=codes)


# --- facts, in one statement ---------------------------------------------------------------------------
def _rank_sql(level: Any) -> Any:
    return case({lvl.value: rank for lvl, rank in LANGUAGE_LEVEL_RANK.items()}, value=level, else_=0)


def _day(value: date) -> int:
    return value.toordinal()


def _from_day(value: int) -> date:
    return date.fromordinal(value)


def mission_regions(session: Session, mission_id: int) -> list[str]:
    return sorted(r for r in session.scalars(
        select(Country.region).join(mission_host_country, mission_host_country.c.country_iso3 == Country.iso3)
        .where(mission_host_country.c.mission_id == mission_id).distinct()
    ) if r)


_NO_BYTES: ColumnElement[Any] = literal_column("''::bytea")


def _packed(column: Any) -> Any:
    """A column folded into one value: integers and booleans as the bytes of their binary form, which numpy
    reads as they are (``_array``); anything else as an array. Parsing 100,000 integers out of text arrays into
    Python ints cost a third of the ranking; ``np.frombuffer`` of the packed bytes costs nothing.

    string_agg skips NULLs, which would misalign the arrays: a NULL boolean counts as false (as None did in
    numpy), and the integer columns folded here are all NOT NULL."""
    if isinstance(column.type, Boolean):
        return func.string_agg(func.boolsend(func.coalesce(column, False)), _NO_BYTES)
    if isinstance(column.type, Integer):
        return func.string_agg(func.int4send(cast(column, Integer)), _NO_BYTES)
    return func.array_agg(column)


def _arrays(stmt: Any) -> Any:
    """One row out of ``stmt``: each column folded by ``_packed`` in the same pass over the rows (so aligned)."""
    sub = stmt.subquery()
    return select(*[_packed(c).label(c.key) for c in sub.c]).subquery()


def _ordinal(day: Any) -> Any:
    """Days as proleptic ordinals (date.toordinal()): integers numpy can subtract, and cheaper to parse."""
    return day - literal(date(1, 1, 1), Date) + 1


def facts_statement(need: Need) -> tuple[Any, dict[str, Any]]:
    """The one statement ``fetch_facts`` sends, and its parameters: a single row of arrays, one group per fact.

    Experts come as dense arrays (id, gender, active, region); every other fact comes sparse, only for the
    experts it concerns (busy, absent, holding a requested skill, language or clearance, visits), so no
    query joins 10,000 experts to anything and each part reads only its own rows through an index:
    requested skills and languages by their ``skill_id`` / ``language_code`` index, the mission's
    deployments by ``mission_id``, and the deployments that block or count for rotation by the covering
    ``ix_deployment_end_date_cover`` index (an index-only scan of the end dates from a year before the
    start). numpy scatters the sparse parts onto the experts (``fetch_facts``).
    """
    statement = _facts_statement(bool(need.skills), bool(need.languages), bool(need.clearance_type_ids),
                                 need.request_id is not None)
    return statement, {
        "start": need.start, "end": need.end, "rotation_from": need.start - timedelta(days=ROTATION_CAP_DAYS),
        "mission_id": need.mission_id, "request_id": need.request_id,
        "skill_ids": [s.skill_id for s in need.skills], "language_codes": [lang.code for lang in need.languages],
        "clearance_type_ids": list(need.clearance_type_ids),
    }


@functools.lru_cache(maxsize=32)
def _facts_statement(skills: bool, languages: bool, clearances: bool, ignores_request: bool) -> Any:
    """The statement's shape, built once per shape with bound parameters (building it costs milliseconds)."""
    start, end = bindparam("start", type_=Date), bindparam("end", type_=Date)
    regions = (select(Country.region)
               .join(mission_host_country, mission_host_country.c.country_iso3 == Country.iso3)
               .where(mission_host_country.c.mission_id == bindparam("mission_id")))
    # The expert's nationality in one of the mission's regions: a hashed set of countries, no join.
    home = select(Country.iso3).where(Country.region.in_(regions))
    experts = _arrays(
        select(Expert.id.label("id"), cast(Expert.gender, Text).label("gender"),
               (Expert.status == ExpertStatus.ACTIVE).label("active"), Expert.capacity_id.label("capacity"),
               func.coalesce(Expert.nationality_iso3.in_(home), False).label("region")))
    # The deployments blocking the period, one row each (the availability rule's own condition decides
    # "busy"), and those that ended in the year before it (rotation). Both are ranges of end dates in the
    # covering index; the rows are not folded per expert here, numpy does that cheaper (``fetch_facts``).
    blocks = deployment_blocks(start, end, ignore_request_id=bindparam("request_id") if ignores_request else None)
    open_requests = select(SurgeRequest.id).where(SurgeRequest.status.in_(OPEN_STATUSES))
    # A planned deployment answering another request still open is a proposal, not a decision: "proposed elsewhere".
    proposal = ((Deployment.status == DeploymentStatus.PLANNED) & Deployment.surge_request_id.in_(open_requests))
    busy = _arrays(select(Deployment.expert_id.label("b_id"), proposal.label("b_elsewhere")).where(blocks))
    ended = _arrays(select(Deployment.expert_id.label("r_id"), _ordinal(Deployment.end_date).label("r_end"))
                    .where(Deployment.status != DeploymentStatus.CANCELLED,
                           Deployment.end_date >= bindparam("rotation_from", type_=Date), Deployment.end_date < start))
    away = select(func.array_agg(Unavailability.expert_id.distinct()).label("a_id")) \
        .where(absence_blocks(start, end)).subquery()
    # Experience: past deployments to this mission (the mission's index keeps it small), one id per visit.
    visits = _arrays(select(Deployment.expert_id.label("v_id")).where(
        Deployment.mission_id == bindparam("mission_id"),
        Deployment.status.in_([DeploymentStatus.ONGOING, DeploymentStatus.COMPLETED]),
        Deployment.start_date < start))
    parts = [experts, busy, ended, away, visits]
    if skills:
        parts.append(_arrays(select(ExpertSkill.expert_id.label("s_id"), ExpertSkill.skill_id.label("s_skill"),
                                    ExpertSkill.level.label("s_level"))
                             .where(ExpertSkill.skill_id.in_(bindparam("skill_ids", expanding=True)))))
    if languages:
        parts.append(_arrays(select(ExpertLanguage.expert_id.label("l_id"),
                                    cast(ExpertLanguage.language_code, Text).label("l_code"),
                                    _rank_sql(ExpertLanguage.level).label("l_rank"))
                             .where(ExpertLanguage.language_code.in_(bindparam("language_codes", expanding=True)))))
    if clearances:
        # Valid for the whole period: obtained by the first day, not expired before the last.
        parts.append(_arrays(select(ExpertClearance.expert_id.label("c_id"),
                                    ExpertClearance.clearance_type_id.label("c_type"))
                             .where(ExpertClearance.clearance_type_id.in_(
                                        bindparam("clearance_type_ids", expanding=True)),
                                    ExpertClearance.obtained_on <= start,
                                    or_(ExpertClearance.valid_until.is_(None),
                                        ExpertClearance.valid_until >= end))))
    stmt = select(*[c for part in parts for c in part.c]).select_from(parts[0])
    for part in parts[1:]:  # each part is one row: joined on true, the statement is one row of arrays
        stmt = stmt.join(part, true())
    return stmt


def _array(values: Sequence[Any] | bytes | None, dtype: Any = np.int64) -> np.ndarray:
    """A fact as a numpy array, from an array or from ``_packed`` bytes (big-endian int4, or one byte a bool)."""
    if isinstance(values, bytes | memoryview):
        if dtype is bool:
            return np.frombuffer(values, dtype=np.uint8).astype(bool)
        return np.frombuffer(values, dtype=">i4").astype(dtype)
    return np.array(values or [], dtype=dtype)


def fetch_facts(session: Session, need: Need) -> dict[str, np.ndarray]:
    """Per expert, the rules' flags and the score's raw facts: one array per fact, experts ordered by id.

    One round trip for the facts (``facts_statement``): 10,000 experts cross into Python as a few dozen
    arrays, not 10,000 row objects, and numpy puts the sparse facts in place by binary search on the ids.
    """
    # JIT compiling a plan like this costs more (80-300 ms) than running it: off for this transaction's
    # statement, read and set in one round trip (select-list items are evaluated left to right).
    previous, _ = session.execute(select(func.current_setting("jit"), func.set_config("jit", "off", True))).one()
    try:
        statement, parameters = facts_statement(need)
        row = session.execute(statement, parameters).one()._mapping
    finally:
        session.execute(select(func.set_config("jit", previous, True)))

    ids = _array(row["id"])
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    n = len(ids)

    def at(key: str) -> np.ndarray:
        """Positions of a sparse part's expert ids among ``ids`` (every one is there: foreign keys)."""
        return np.searchsorted(ids, _array(row[key]))

    facts: dict[str, np.ndarray] = {
        "id": ids,
        "gender": _array(row["gender"], str)[order],
        "active": _array(row["active"], bool)[order],
        "region": _array(row["region"], bool)[order],
        "capacity": _array(row["capacity"])[order],
    }
    where = at("b_id")
    facts["deployed"] = np.zeros(n, bool)
    facts["deployed"][where] = True
    facts["elsewhere"] = np.zeros(n, bool)
    facts["elsewhere"][where[_array(row["b_elsewhere"], bool)]] = True
    facts["last_end"] = np.full(n, -1, np.int64)
    np.maximum.at(facts["last_end"], at("r_id"), _array(row["r_end"]))
    facts["absent"] = np.zeros(n, bool)
    facts["absent"][at("a_id")] = True
    facts["experience"] = np.bincount(at("v_id"), minlength=n).astype(np.int64)
    if need.skills:
        where, skill, level = at("s_id"), _array(row["s_skill"]), _array(row["s_level"])
        for k, s in enumerate(need.skills):
            dense = np.zeros(n, np.int64)
            mine = skill == s.skill_id
            np.maximum.at(dense, where[mine], level[mine])
            facts[f"s{k}"] = dense
    if need.languages:
        where, code, rank_ = at("l_id"), _array(row["l_code"], str), _array(row["l_rank"])
        for k, lang in enumerate(need.languages):
            dense = np.zeros(n, np.int64)
            mine = code == lang.code
            np.maximum.at(dense, where[mine], rank_[mine])
            facts[f"l{k}"] = dense
    missing = np.zeros(n, np.int64)
    if need.clearance_type_ids:
        where, kind = at("c_id"), _array(row["c_type"])
        for type_id in need.clearance_type_ids:
            held = np.zeros(n, bool)
            held[where[kind == type_id]] = True
            missing += ~held
    facts["missing"] = missing
    return facts


# --- scoring ---------------------------------------------------------------------------------------------
def gender_component(gender: str, team: Sequence[str], balance: bool) -> float:
    """1 minus the share of the expert's gender in the team so far (0.5 for an empty team); 0 if not asked."""
    if not balance:
        return 0.0
    if not team:
        return 0.5
    return 1.0 - sum(1 for g in team if g == gender) / len(team)


def rank(session: Session, need: Need, weights: Weights | None = None) -> Ranking:
    """Every expert against the need: eligible ones ordered best first (score, then id: deterministic)."""
    return rank_facts(need, weights or Weights(), fetch_facts(session, need))


def capacity_codes(session: Session) -> tuple[tuple[int, str], ...]:
    """Every capacity's (id, code), two rows."""
    return tuple((int(i), str(c)) for i, c in session.execute(select(Capacity.id, Capacity.code).order_by(Capacity.id)))


def rank_facts(need: Need, weights: Weights, facts: dict[str, np.ndarray]) -> Ranking:
    """The numpy half of ``rank``: rules and scores from ``fetch_facts``'s arrays (timed apart by the bench)."""
    n, n_s, n_l = len(facts["id"]), len(need.skills), len(need.languages)
    ids, genders = facts["id"], facts["gender"]
    active, absent, elsewhere, deployed = (facts[k] for k in ("active", "absent", "elsewhere", "deployed"))
    skill_levels = np.column_stack([facts[f"s{k}"] for k in range(n_s)]) if n_s else np.zeros((n, 0), np.int64)
    language_ranks = np.column_stack([facts[f"l{k}"] for k in range(n_l)]) if n_l else np.zeros((n, 0), np.int64)
    missing, experience, last_end, region = (facts[k] for k in ("missing", "experience", "last_end", "region"))
    return score_arrays(need, weights, ids=ids, genders=genders, active=active, absent=absent,
                        elsewhere=elsewhere, deployed=deployed, skill_levels=skill_levels,
                        language_ranks=language_ranks, missing=missing, experience=experience,
                        last_end=last_end, region=region, capacity=facts["capacity"])


def score_arrays(need: Need, weights: Weights, *, ids: np.ndarray, genders: np.ndarray, active: np.ndarray,
                 absent: np.ndarray, elsewhere: np.ndarray, deployed: np.ndarray, skill_levels: np.ndarray,
                 language_ranks: np.ndarray, missing: np.ndarray, experience: np.ndarray, last_end: np.ndarray,
                 region: np.ndarray, capacity: np.ndarray) -> Ranking:
    n = len(ids)
    min_ranks = np.array([lang.min_rank for lang in need.languages], dtype=np.int64)
    language_short = (language_ranks < min_ranks[None, :]).any(axis=1) if len(min_ranks) else np.zeros(n, bool)
    wrong_capacity = capacity != need.capacity_id if need.capacity_rule else np.zeros(n, bool)
    required = np.array([s.min_level if s.required else 0 for s in need.skills], dtype=np.int64)
    skill_short = (skill_levels < required[None, :]).any(axis=1) if len(required) else np.zeros(n, bool)
    # Columns in Rule's order.
    failed = np.column_stack([~active, absent, elsewhere, deployed & ~elsewhere, wrong_capacity, skill_short,
                              language_short, missing > 0]) if n else np.zeros((0, len(Rule)), bool)

    comp = np.zeros((n, len(COMPONENTS)))
    if need.skills:
        w = np.array([s.weight for s in need.skills])
        mins = np.array([s.min_level for s in need.skills])
        fit = np.minimum(skill_levels, MAX_LEVEL) / MAX_LEVEL
        fit = np.where(skill_levels >= mins[None, :], fit, fit * BELOW_MINIMUM_CREDIT)
        comp[:, 0] = fit @ w / w.sum()
    if need.languages:
        comp[:, 1] = (language_ranks / MAX_RANK).mean(axis=1)
    comp[:, 2] = np.minimum(experience, EXPERIENCE_CAP) / EXPERIENCE_CAP
    zone = (language_ranks >= MAX_RANK).any(axis=1) if need.languages else np.zeros(n, bool)
    comp[:, 3] = np.where(region, 1.0, np.where(zone, 0.5, 0.0))
    gap = np.clip(_day(need.start) - last_end, 0, ROTATION_CAP_DAYS)
    comp[:, 4] = np.where(last_end < 0, 1.0, gap / ROTATION_CAP_DAYS)
    if need.balance_gender:
        team = list(need.team_genders)
        for g in np.unique(genders):
            comp[genders == g, 5] = gender_component(str(g), team, True)
    # Rounded, so the order does not hang on the last bits of a float (and the reference loop agrees).
    scores = np.round(comp @ weights.vector(), 6)
    eligible = np.nonzero(~failed.any(axis=1))[0]
    # lexsort: last key first; best score first, then the smaller id.
    order = eligible[np.lexsort((ids[eligible], -scores[eligible]))]
    return Ranking(need=need, weights=weights, ids=ids, genders=genders,
                   facts={"missing_clearances": missing, "experience": experience, "last_end": last_end,
                          "region": region, "zone": np.asarray(zone)},
                   skill_levels=skill_levels, language_ranks=language_ranks, components=comp, scores=scores,
                   failed=failed, order=order, capacities=capacity)


# --- the team ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TeamMember:
    candidate: Candidate
    pick: int  # 1 = first chosen
    gain: float  # what adding this expert added to the team's value
    adds_skills: tuple[str, ...]  # requested skills this expert raised the team's best level in
    balances_gender: bool


def _balance(genders: Sequence[str]) -> float:
    women = sum(1 for g in genders if g == Gender.FEMALE)
    men = sum(1 for g in genders if g == Gender.MALE)
    if not genders:
        return 0.0
    return 1.0 - abs(women - men) / len(genders)


def propose_team(ranking: Ranking, size: int | None = None) -> list[TeamMember]:
    """Greedy team building: each pick maximises the team's value, not only the individual score.

    Team value = sum of members' scores without the gender component + skill weight x how well the team's
    best member covers each requested skill (complementary skills) + when the request asks for it,
    2 x gender weight x balance (1 - |women - men| / size). Ties go to the better-ranked expert.
    """
    need, weights = ranking.need, ranking.weights
    size = size or need.experts_requested
    pool = [int(i) for i in ranking.order[:TEAM_POOL]]
    if not pool:
        return []
    skill_w = np.array([s.weight for s in need.skills]) if need.skills else np.zeros(0)
    fit = np.zeros((len(pool), len(need.skills)))
    if need.skills:
        mins = np.array([s.min_level for s in need.skills])
        levels = ranking.skill_levels[pool]
        fit = np.minimum(levels, MAX_LEVEL) / MAX_LEVEL
        fit = np.where(levels >= mins[None, :], fit, fit * BELOW_MINIMUM_CREDIT)
    base = ranking.scores[pool] - ranking.components[pool, 5] * weights.gender
    team: list[int] = []
    genders = list(need.team_genders)
    best = np.zeros(len(need.skills))
    members: list[TeamMember] = []
    for pick in range(1, min(size, len(pool)) + 1):
        cover_now = float(best @ skill_w / skill_w.sum()) if need.skills else 0.0
        best_gain, best_k, best_cover = -np.inf, -1, best
        for k in range(len(pool)):
            if k in team:
                continue
            new_best = np.maximum(best, fit[k]) if need.skills else best
            cover = float(new_best @ skill_w / skill_w.sum()) if need.skills else 0.0
            gain = base[k] + weights.skills * (cover - cover_now)
            if need.balance_gender:
                gain += 2 * weights.gender * (_balance([*genders, ranking.genders[pool[k]]]) - _balance(genders))
            if gain > best_gain + 1e-9:  # strictly better: ties keep the better-ranked (earlier) expert
                best_gain, best_k, best_cover = gain, k, new_best
        added = tuple(s.code for j, s in enumerate(need.skills) if best_cover[j] > best[j] and pick > 1)
        gender = str(ranking.genders[pool[best_k]])
        balances = need.balance_gender and _balance([*genders, gender]) > _balance(genders)
        team.append(best_k)
        genders.append(gender)
        best = best_cover
        members.append(TeamMember(candidate=ranking.candidate_at(pool[best_k], best_k + 1), pick=pick,
                                  gain=round(float(best_gain), 4), adds_skills=added, balances_gender=balances))
    return members


__all__ = [
    "COMPONENTS", "DEFAULT_REQUIRED_CLEARANCES", "Candidate", "Lack", "LanguageNeed", "Miss", "Need", "Ranking", "Rule",
    "SkillNeed", "TeamMember", "Weights", "facts_statement", "fetch_facts", "need_for_request", "propose_team", "rank",
    "rank_facts",
]
