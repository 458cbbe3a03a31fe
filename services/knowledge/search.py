"""Knowledge search: one query across lessons, assessments' findings, recommendations and the text of attached
reports and evidence; accent-insensitive and stemmed in English and French; ranked; with highlighted extracts;
filtered by kind, mission, capacity and year; each role finding only what it may read.

PostgreSQL does it all: each record's generated ``search_vector`` (models.knowledge, GIN-indexed) holds the text
stemmed by hub_english and by hub_french (both unaccent first); the query is websearch_to_tsquery in each of the
two configurations OR'ed (a word matches in whichever language stems it to the document's lexeme), which
accepts any text a person types (quotes, "or", "-word", punctuation) without an error. Ranked by ts_rank_cd
over a bounded set of matches per kind (see part() in search); extracts by ts_headline on the top hits only,
a short start of each text first (see _extracts), their text escaped for HTML here with only our <mark> added.
Where the time goes and what was measured: bench/bench_knowledge_search.py and the README's knowledge section.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, String, cast, extract, func, literal, literal_column, select, union_all
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.orm import Session

from models import Assessment, Attachment, Capacity, Lesson, Mission, Recommendation, RecommendationFollowUp
from models.enums import LessonStatus
from services.access import Permission, Principal

KINDS = ("lesson", "assessment", "recommendation", "attachment")
MAX_QUERY_CHARS = 500  # a longer query is cut here: nobody types more, and the parse stays cheap
PAGE = 20
CANDIDATES = 100  # matches ranked per kind at least (see part() in search)
HEADLINE_CHARS = 50_000  # ts_headline reads this much of a long report: extracts stay fast
HEADLINE_FIRST_CHARS = 2_000  # ... and first this much (see _extracts)
START, STOP = "\ue000", "\ue001"  # private-use characters mark the hits; the text's own are removed first
HEADLINE_OPTIONS = (f"StartSel={START}, StopSel={STOP}, MaxWords=35, MinWords=12, "
                    "ShortWord=2")  # one fragment (MaxFragments=0): the cheap algorithm
EN = cast(literal("hub_english"), REGCONFIG)
FR = cast(literal("hub_french"), REGCONFIG)


@dataclass(frozen=True)
class SearchFilter:
    kinds: tuple[str, ...] = ()
    mission: str | None = None
    capacity: str | None = None
    year: int | None = None
    limit: int = PAGE
    offset: int = 0


@dataclass(frozen=True)
class Hit:
    kind: str
    id: int
    title: str
    extract_html: str
    rank: float
    mission: str | None
    year: int | None
    href: str


def clean_query(text: str | None) -> str:
    """What is searched: control characters (NUL among them, which PostgreSQL refuses) out, at most 500."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in (text or "")[:MAX_QUERY_CHARS]).split())


def kinds_for(principal: Principal) -> tuple[str, ...]:
    """What a role may search: published lessons for everyone; assessments and recommendations with
    VIEW_OPERATIONS; attached reports and evidence (they may name people) with VIEW_PERSON_NAMES."""
    allowed = ["lesson"]
    if principal.can(Permission.VIEW_OPERATIONS):
        allowed += ["assessment", "recommendation"]
    if principal.can(Permission.VIEW_PERSON_NAMES):
        allowed.append("attachment")
    return tuple(allowed)


def _mark(headline: str | None) -> str:
    escaped = html.escape(headline or "", quote=True)
    return escaped.replace(START, "<mark>").replace(STOP, "</mark>")


def _unmarked(column: Any) -> Any:
    return func.replace(func.replace(column, START, ""), STOP, "")


def _where(stmt: Any, vector: Any, query: Any, mission_id: Any, capacity_id: Any, year: Any,
           filt: SearchFilter, ids: dict[str, int | None]) -> Any:
    stmt = stmt.where(vector.op("@@")(query))
    if filt.mission:
        stmt = stmt.where(mission_id == ids["mission"])
    if filt.capacity:
        stmt = stmt.where(capacity_id == ids["capacity"])
    if filt.year:
        stmt = stmt.where(year == filt.year)
    return stmt


def search(session: Session, principal: Principal, text: str | None, filt: SearchFilter = SearchFilter(),
           locale: str = "en") -> dict[str, Any]:
    """The best hits first ({items, more}); an empty or all-stop-word query finds nothing, never an error."""
    principal.require(Permission.VIEW_AGGREGATES)
    q = clean_query(text)
    allowed = kinds_for(principal)
    kinds = [k for k in (filt.kinds or KINDS) if k in allowed]
    if not q or not kinds:
        return {"items": [], "more": False, "query": q}
    ids: dict[str, int | None] = {
        "mission": session.scalar(select(Mission.id).where(func.upper(Mission.acronym) == (filt.mission or "")
                                                            .strip().upper()).limit(1)) if filt.mission else None,
        "capacity": session.scalar(select(Capacity.id).where(Capacity.code == (filt.capacity or "").strip().upper()))
        if filt.capacity else None,
    }
    if (filt.mission and ids["mission"] is None) or (filt.capacity and ids["capacity"] is None):
        return {"items": [], "more": False, "query": q}
    query = func.websearch_to_tsquery(EN, q).op("||")(func.websearch_to_tsquery(FR, q))
    qc = select(query.label("q")).cte("q")
    tsq = qc.c.q
    parts = []

    def part(kind: str, id_col: Any, vector: Any, mission_id: Any, capacity_id: Any, year: Any, joins: Any) -> None:
        # Ranking reads each matching record's whole vector: a word in every other record would rank them all.
        # At most CANDIDATES matches of a kind are ranked (those the index gives first: the bitmap's order, the
        # table's), or as many as the page asked for reaches, so a query costs the same on 10,000 records or
        # 10 million; a query that broad says "more", and a second word narrows it. The query stays a CTE the
        # planner cannot see into: it always takes the index (a phrase's words, each common, would otherwise
        # look common together and send it scanning the table).
        found = joins(select(literal(kind, String).label("kind"), id_col.label("id"), vector.label("v"))
                      .select_from(qc))
        found = _where(found, vector, tsq, mission_id, capacity_id, year, filt, ids) \
            .limit(max(CANDIDATES, filt.offset + filt.limit + 1)).subquery()
        parts.append(select(found.c.kind, found.c.id, func.ts_rank_cd(found.c.v, qc.c.q, 32).label("rank"))
                     .select_from(found).join(qc, literal_column("true")))

    lesson_year = extract("year", func.coalesce(Lesson.published_at, Lesson.created_at))
    assessment_year = extract("year", Assessment.conducted_on)
    if "lesson" in kinds:
        def lesson_joins(s: Any) -> Any:
            s = s.join(Lesson, literal_column("true"))
            if not principal.can(Permission.MANAGE_ASSESSMENTS):
                s = s.where(Lesson.status == LessonStatus.PUBLISHED)
            return s
        part("lesson", Lesson.id, Lesson.search_vector, Lesson.mission_id, Lesson.capacity_id, lesson_year,
             lesson_joins)
    if "assessment" in kinds:
        part("assessment", Assessment.id, Assessment.search_vector, Assessment.mission_id, Assessment.capacity_id,
             assessment_year, lambda s: s.join(Assessment, literal_column("true")))
    if "recommendation" in kinds:
        part("recommendation", Recommendation.id, Recommendation.search_vector, Assessment.mission_id,
             Assessment.capacity_id, assessment_year,
             lambda s: s.join(Recommendation, literal_column("true"))
             .join(Assessment, Assessment.id == Recommendation.assessment_id))
    if "attachment" in kinds:
        owner = func.coalesce(Attachment.assessment_id, Recommendation.assessment_id)
        part("attachment", Attachment.id, Attachment.search_vector, Assessment.mission_id, Assessment.capacity_id,
             assessment_year,
             lambda s: s.join(Attachment, literal_column("true"))
             .outerjoin(RecommendationFollowUp, RecommendationFollowUp.id == Attachment.follow_up_id)
             .outerjoin(Recommendation, Recommendation.id == RecommendationFollowUp.recommendation_id)
             .join(Assessment, Assessment.id == owner))
    ranked = union_all(*parts).subquery("hits")
    top = session.execute(select(ranked.c.kind, ranked.c.id, ranked.c.rank)
                          .order_by(ranked.c.rank.desc(), ranked.c.kind, ranked.c.id)
                          .limit(filt.limit + 1).offset(filt.offset)).all()
    more = len(top) > filt.limit
    top = top[: filt.limit]
    details = _details(session, query, {(k, i) for k, i, _r in top}, locale)
    items = []
    for kind, record_id, rank in top:
        d = details.get((kind, record_id))
        if d is None:
            continue
        items.append(Hit(kind=kind, id=record_id, title=d["title"], extract_html=d["extract"], rank=float(rank),
                         mission=d["mission"], year=d["year"], href=d["href"]))
    return {"items": items, "more": more, "query": q}


def _headline(text_col: Any, query: Any, config: Any, chars: int) -> Any:
    return func.ts_headline(config, _unmarked(func.left(text_col, chars)), query, HEADLINE_OPTIONS)


def _first_extract(text_col: Any, query: Any, locale: str) -> Any:
    """The first try at an extract (see _extracts): the text's start, in the reader's language's configuration."""
    return _headline(text_col, query, FR if locale == "fr" else EN, HEADLINE_FIRST_CHARS)


def _extracts(session: Session, query: Any, id_col: Any, text_col: Any, first_try: dict[int, str], locale: str
              ) -> dict[int, str]:
    """Each record's extract, marked where it hits, on the text as written (``text_col``: of ``id_col``'s table).
    ts_headline parses all the text it is given, so the first try (``first_try``, from _first_extract) read a
    short start, where a common word hits; only records not marked there are read again, longer, then in the
    other configuration. A record marked nowhere shows its start, as ts_headline gives it."""
    first, second = (FR, EN) if locale == "fr" else (EN, FR)
    out = {i: h or "" for i, h in first_try.items()}
    for config in (first, second):
        todo = [i for i, h in out.items() if START not in h]
        if not todo:
            break
        stmt = select(id_col, _headline(text_col, query, config, HEADLINE_CHARS)).where(id_col.in_(todo))
        if config is first:  # the first try read all of a short text already
            stmt = stmt.where(func.length(text_col) > HEADLINE_FIRST_CHARS)
        for record_id, headline in session.execute(stmt):
            if START in (headline or ""):
                out[record_id] = headline
    return out


def _details(session: Session, query: Any, wanted: set[tuple[str, int]], locale: str) -> dict[tuple[str, int], Any]:
    out: dict[tuple[str, int], Any] = {}
    r: Any  # a row of each kind's own shape
    by_kind: dict[str, list[int]] = {}
    for kind, record_id in wanted:
        by_kind.setdefault(kind, []).append(record_id)
    year_a = cast(extract("year", Assessment.conducted_on), Integer)
    if ids := sorted(by_kind.get("lesson", [])):
        first, second = (Lesson.title_fr, Lesson.title_en) if locale == "fr" else (Lesson.title_en, Lesson.title_fr)
        texts = (Lesson.title_fr, Lesson.body_fr, Lesson.title_en, Lesson.body_en) if locale == "fr" else \
            (Lesson.title_en, Lesson.body_en, Lesson.title_fr, Lesson.body_fr)
        body = func.concat_ws(" \n ", *texts)  # the reader's language first: its extract comes from there
        rows = session.execute(select(Lesson.id, func.coalesce(first, second), Mission.acronym,
                                      cast(extract("year", func.coalesce(Lesson.published_at, Lesson.created_at)),
                                           Integer), _first_extract(body, query, locale))
                               .outerjoin(Mission, Mission.id == Lesson.mission_id).where(Lesson.id.in_(ids))).all()
        extracts = _extracts(session, query, Lesson.id, body, {r[0]: r[-1] for r in rows}, locale)
        for r in rows:
            out[("lesson", r[0])] = {"title": r[1], "extract": _mark(extracts[r[0]]), "mission": r[2],
                                     "year": r[3], "href": f"/lessons/{r[0]}"}
    if ids := sorted(by_kind.get("assessment", [])):
        text = func.concat_ws(" \n ", Assessment.title, Assessment.findings)
        rows = session.execute(select(Assessment.id, Assessment.title, Mission.acronym, year_a,
                                      _first_extract(text, query, locale))
                               .outerjoin(Mission, Mission.id == Assessment.mission_id)
                               .where(Assessment.id.in_(ids))).all()
        extracts = _extracts(session, query, Assessment.id, text, {r[0]: r[-1] for r in rows}, locale)
        for r in rows:
            out[("assessment", r[0])] = {"title": r[1], "extract": _mark(extracts[r[0]]), "mission": r[2],
                                         "year": r[3], "href": f"/assessments/{r[0]}"}
    if ids := sorted(by_kind.get("recommendation", [])):
        rows = session.execute(select(Recommendation.id, func.left(Recommendation.text, 120), Mission.acronym,
                                      year_a, _first_extract(Recommendation.text, query, locale))
                               .join(Assessment, Assessment.id == Recommendation.assessment_id)
                               .outerjoin(Mission, Mission.id == Assessment.mission_id)
                               .where(Recommendation.id.in_(ids))).all()
        extracts = _extracts(session, query, Recommendation.id, Recommendation.text, {r[0]: r[-1] for r in rows},
                             locale)
        for r in rows:
            out[("recommendation", r[0])] = {"title": r[1], "extract": _mark(extracts[r[0]]), "mission": r[2],
                                             "year": r[3], "href": f"/recommendations/{r[0]}"}
    if ids := sorted(by_kind.get("attachment", [])):
        owner = func.coalesce(Attachment.assessment_id, Recommendation.assessment_id)
        rows = session.execute(select(Attachment.id, Attachment.filename, Mission.acronym, year_a,
                                      Attachment.assessment_id, Recommendation.id,
                                      _first_extract(Attachment.extracted_text, query, locale))
                               .outerjoin(RecommendationFollowUp, RecommendationFollowUp.id == Attachment.follow_up_id)
                               .outerjoin(Recommendation, Recommendation.id == RecommendationFollowUp.recommendation_id)
                               .join(Assessment, Assessment.id == owner)
                               .outerjoin(Mission, Mission.id == Assessment.mission_id)
                               .where(Attachment.id.in_(ids))).all()
        extracts = _extracts(session, query, Attachment.id, Attachment.extracted_text, {r[0]: r[-1] for r in rows},
                             locale)
        for r in rows:
            href = f"/assessments/{r[4]}" if r[4] else f"/recommendations/{r[5]}"
            out[("attachment", r[0])] = {"title": r[1], "extract": _mark(extracts[r[0]]), "mission": r[2],
                                         "year": r[3], "href": href}
    return out
