"""Bench: the knowledge search over 100,000 documents, against a plain ILIKE '%…%' scan of the same texts.

    .venv/bin/python -m bench.bench_knowledge_search [--documents 100000] [--runs 5] [--keep]

Creates a database of its own in the embedded cluster and fills it with generated lessons (English, French or
both), assessments' findings, recommendations and attachments' extracted text (40 / 10 / 40 / 10 %), from a
vocabulary of the domain's words in both languages. Then, for a fixed set of English and French queries, times
``services.knowledge.search.search`` (ranked, with extracts; as an assessment officer, who reads every kind)
and two plain scans of the same four texts: ILIKE '%query%' stopping at the first page (LIMIT 21, what a page
shows) and counting every hit (what a ranking needs). p50 and p95 per method over every query × run; the hits
of each; and, where the server's process can be read (the embedded cluster), the search's CPU time (the server
backend's and this client's), which a machine busy with other work does not inflate as it does the wall time.
The ILIKE scans find neither "réforme" from "reforme" nor "policier" from "policiers": the counts say so.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import date, timedelta

from sqlalchemy import String, create_engine, func, insert, literal, select, text, union_all
from sqlalchemy.orm import Session

from bench.scratch_db import scratch_database
from models import Assessment, Attachment, Lesson, Recommendation
from models.enums import Role
from services.access import Principal
from services.knowledge.search import SearchFilter, search

DB = "hub_bench_knowledge"
QUERIES = ["police reform", "assessments", "radios", "training of trainers", "community policing",
           "prison overcrowding", '"case tracking"', "gender", "réforme", "reforme securite", "policiers",
           "formation des formateurs", "surpopulation carcérale", "égalité des genres", "vérification",
           "équipements radio"]
EN_TEXT = ("police reform vetting training trainers community policing prison overcrowding case tracking database "
      "radios equipment gender parity assessment assessments recommendation unit rotation mandate planning "
      "justice corrections detention crime scene procedures human rights screening patrols women officers "
      "deployment mission support logistics budget donors evaluation verification visit")
FR_TEXT = ("réforme du secteur de la sécurité vérification formation des formateurs police de proximité surpopulation "
      "carcérale suivi des dossiers base de données radios équipements égalité des genres évaluation "
      "recommandation unité rotation mandat planification justice administration pénitentiaire détention "
      "scène de crime procédures droits humains patrouilles policières femmes policiers déploiement "
      "soutien logistique budget donateurs visite")

EN, FR = EN_TEXT.split(), FR_TEXT.split()


def _sentence(rng: random.Random, words: list[str], n: int) -> str:
    return " ".join(rng.choice(words) for _ in range(n)).capitalize() + "."


def _fill(session: Session, documents: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    n_lessons, n_assess = documents * 4 // 10, documents // 10
    n_recs, n_files = documents * 4 // 10, documents - documents * 9 // 10
    day = date(2020, 1, 1)
    batch = 5000
    for start in range(0, n_assess, batch):
        session.execute(insert(Assessment), [
            {"kind": "technology_needs_assessment", "title": _sentence(rng, EN if i % 2 else FR, 6),
             "conducted_on": day + timedelta(days=i % 2000),
             "findings": " ".join(_sentence(rng, EN if i % 2 else FR, 25) for _ in range(4)), "is_generated": True}
            for i in range(start, min(n_assess, start + batch))])
    ids = list(session.scalars(select(Assessment.id)))
    for start in range(0, n_recs, batch):
        session.execute(insert(Recommendation), [
            {"assessment_id": ids[i % len(ids)], "text": _sentence(rng, EN if i % 3 else FR, 30), "priority": "high",
             "addressee": "hq_unit", "responsible_entity": "Police Division", "status": "open", "is_generated": True}
            for i in range(start, min(n_recs, start + batch))])
    for start in range(0, n_lessons, batch):
        rows = []
        for i in range(start, min(n_lessons, start + batch)):
            en = i % 3 != 0
            fr = i % 3 != 1
            rows.append({"title_en": _sentence(rng, EN, 7) if en else None,
                         "body_en": " ".join(_sentence(rng, EN, 20) for _ in range(5)) if en else None,
                         "title_fr": _sentence(rng, FR, 7) if fr else None,
                         "body_fr": " ".join(_sentence(rng, FR, 20) for _ in range(5)) if fr else None,
                         "status": "published", "tags": [], "is_generated": True})
        session.execute(insert(Lesson), rows)
    for start in range(0, n_files, 1000):
        session.execute(insert(Attachment), [
            {"assessment_id": ids[i % len(ids)], "filename": f"report-{i}.pdf", "content_type": "application/pdf",
             "size_bytes": 5, "sha256": "0" * 64, "content": b"%PDF-",
             "extracted_text": " ".join(_sentence(rng, EN if i % 2 else FR, 20) for _ in range(40))}
            for i in range(start, min(n_files, start + 1000))])
    session.commit()
    session.execute(text("ANALYZE"))
    session.commit()


def _ilike(q: str) -> object:
    pattern = f"%{q}%"
    return union_all(
        select(literal("lesson", String).label("kind"), Lesson.id).where(
            func.concat_ws(" ", Lesson.title_en, Lesson.body_en, Lesson.title_fr, Lesson.body_fr).ilike(pattern)),
        select(literal("assessment", String), Assessment.id).where(
            func.concat_ws(" ", Assessment.title, Assessment.findings).ilike(pattern)),
        select(literal("recommendation", String), Recommendation.id).where(Recommendation.text.ilike(pattern)),
        select(literal("attachment", String), Attachment.id).where(Attachment.extracted_text.ilike(pattern)),
    ).subquery()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _backend_cpu_ms(pid: int) -> float | None:
    """The server process's time on a CPU so far (Linux schedstat), or None where it cannot be read (another
    host, another user): with the client's CPU time, what a search costs whatever else the machine runs."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[0]) / 1e6
    except (OSError, ValueError, IndexError):
        return None


def _timed(fn) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t0) * 1000, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database (and reuse a kept one)")
    args = parser.parse_args()
    officer = Principal(0, "bench", Role.ASSESSMENT_OFFICER)
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with scratch_database(DB, keep=args.keep) as url:
        engine = create_engine(url)
        try:
            with Session(engine) as s:
                if not s.scalar(select(func.count()).select_from(Lesson)):
                    t0 = time.perf_counter()
                    _fill(s, args.documents)
                    print(f"generated {args.documents} documents in {time.perf_counter() - t0:.1f} s")
            times: dict[str, list[float]] = {"search": [], "ilike page": [], "ilike all": []}
            hits: dict[str, tuple[int, int]] = {}
            cpu: list[float] = []
            for run in range(args.runs + 1):  # the first run warms the caches and is not counted
                for q in QUERIES:
                    with Session(engine) as s:
                        pid = int(s.scalar(text("SELECT pg_backend_pid()")))
                        cpu0, client0 = _backend_cpu_ms(pid), time.process_time()
                        ms, answer = _timed(lambda q=q, s=s: search(s, officer, q, SearchFilter(limit=20)))
                        cpu1 = _backend_cpu_ms(pid)
                        cpu_ms = None if cpu0 is None or cpu1 is None else \
                            cpu1 - cpu0 + (time.process_time() - client0) * 1000
                        page_ms, _page = _timed(lambda q=q, s=s: s.execute(select(_ilike(q)).limit(21)).all())
                        all_ms, count = _timed(lambda q=q, s=s: s.scalar(
                            select(func.count()).select_from(_ilike(q))))
                        fts_total = s.scalar(text(
                            "SELECT (SELECT count(*) FROM lesson WHERE search_vector @@ q) + "
                            "(SELECT count(*) FROM assessment WHERE search_vector @@ q) + "
                            "(SELECT count(*) FROM recommendation WHERE search_vector @@ q) + "
                            "(SELECT count(*) FROM knowledge_attachment WHERE search_vector @@ q) FROM "
                            "(SELECT websearch_to_tsquery('hub_english', :q) || "
                            "websearch_to_tsquery('hub_french', :q) AS q) x"), {"q": q}) if run == 0 else None
                    if run == 0:
                        hits[q] = (int(fts_total or 0), int(count or 0))
                        assert answer["items"] or not fts_total, q
                        continue
                    if cpu_ms is not None:
                        cpu.append(cpu_ms)
                    times["search"].append(ms)
                    times["ilike page"].append(page_ms)
                    times["ilike all"].append(all_ms)
            print(f"\n{args.documents} documents, {len(QUERIES)} queries x {args.runs} runs")
            print(f"{'query':28} {'full-text hits':>15} {'ILIKE hits':>11}")
            for q, (fts, ilike) in hits.items():
                print(f"{q:28} {fts:>15} {ilike:>11}")
            print(f"\n{'method':34} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
            for name, label in (("search", "search (ranked, 20 + extracts)"), ("ilike page", "ILIKE, first 21"),
                                ("ilike all", "ILIKE, every hit (count)")):
                v = times[name]
                print(f"{label:34} {statistics.median(v):>8.1f} {_percentile(v, 0.95):>8.1f} {max(v):>8.1f}")
            if cpu:  # what the search costs on a quiet machine: its wall time above waits for the CPU when busy
                print(f"{'search, CPU time (server + client)':34} {statistics.median(cpu):>8.1f} "
                      f"{_percentile(cpu, 0.95):>8.1f} {max(cpu):>8.1f}")
            print(f"\np95 ratio ILIKE every hit / search: "
                  f"{_percentile(times['ilike all'], 0.95) / _percentile(times['search'], 0.95):.1f}x")
        finally:
            engine.dispose()
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
