"""Knowledge search: accents and stems in English and French, ranking, extracts escaped, filters, roles, and any
query at all answering without an error."""

from __future__ import annotations

import pytest

from services.knowledge import lessons as L
from services.knowledge import recommendations as R
from services.knowledge.assessments import create_assessment
from services.knowledge.attachments import add_report, check_file
from services.knowledge.search import SearchFilter, search
from tests import knowledge_files as files
from tests.knowledge_fixtures import Knowledge, knowledge_fixture  # noqa: F401 - the fixture "knowledge"

ODD = ["", "   ", "'", '"', "\\", "a & b | !c", "x:*", "(((", ")", "or", "-", "-réforme", '"unclosed', "the",
       "\x00réforme\x00", "é" * 5000, "<script>alert(1)</script>", "'; DROP TABLE lesson; --", "%_%", "\u202e",
       "🚓 policiers", "réforme OR radios", "1=1", "::regconfig", "\t\n"]


@pytest.fixture
def corpus(session, knowledge: Knowledge):
    k = knowledge
    lesson = L.create_lesson(session, k.officer, {
        "title_en": "Security sector reform starts with vetting",
        "body_en": "Vetting police officers before training avoids wasted assessments.",
        "title_fr": "La réforme du secteur de la sécurité commence par la vérification",
        "body_fr": "Vérifier chaque policier avant la formation évite des évaluations inutiles.",
        "mission": k.mission, "tags": ["ssr"]})
    L.step(session, k.other_officer, lesson.id, "review", expected=lesson.version)
    L.step(session, k.officer, lesson.id, "publish", expected=lesson.version)
    draft = L.create_lesson(session, k.officer, {"title_en": "Draft on reform of radios",
                                                 "body_en": "Not yet reviewed."})
    visit = create_assessment(session, k.officer, {
        "kind": "mission_manager_visit", "title": "Visit of Inspector Zebulon Quartz", "start": "2025-06-01",
        "findings": "Inspector Zebulon Quartz found the assessment of the unit incomplete.", "mission": k.mission})
    rec = R.create_recommendation(session, k.officer, visit.id, {
        "text": "Complete the unit's assessment before the rotation.", "priority": "medium",
        "addressee": "hq_unit", "addressee_unit": "Police Division"})
    report = add_report(session, k.officer, k.tna.id, check_file(
        files.pdf("Rapport: les policiers manquent de radios numeriques.", "Zebulon Quartz"), "rapport.pdf"))
    return {"lesson": lesson, "draft": draft, "visit": visit, "rec": rec, "report": report}


def _found(session, principal, query: str, **filt) -> set[tuple[str, int]]:
    return {(h.kind, h.id) for h in search(session, principal, query, SearchFilter(**filt))["items"]}


def test_accents_and_stems_in_both_languages(session, knowledge: Knowledge, corpus) -> None:
    lesson = ("lesson", corpus["lesson"].id)
    assert lesson in _found(session, knowledge.officer, "reforme")  # "réforme" without its accent
    assert lesson in _found(session, knowledge.officer, "policiers")  # the plural finds "policier"
    assert lesson in _found(session, knowledge.officer, "vérifications")
    visit = ("assessment", corpus["visit"].id)
    assert visit in _found(session, knowledge.officer, "assessments")  # English plural finds "assessment"
    assert ("recommendation", corpus["rec"].id) in _found(session, knowledge.officer, "assessments")
    assert ("attachment", corpus["report"].id) in _found(session, knowledge.officer, "policier numérique")


def test_extracts_are_highlighted_and_escaped(session, knowledge: Knowledge, corpus) -> None:
    hits = search(session, knowledge.officer, "réforme", SearchFilter(kinds=("lesson",)), locale="fr")["items"]
    hit = next(h for h in hits if h.id == corpus["lesson"].id)
    assert hit.title.startswith("La réforme")
    assert "<mark>réforme</mark>" in hit.extract_html  # the text as written, accent and all
    assert hit.href == f"/lessons/{corpus['lesson'].id}"
    L.update_lesson(session, knowledge.officer, corpus["lesson"].id,
                    {"body_en": "Use <b>vetting</b> & reform <script>x</script>"}, expected=corpus["lesson"].version)
    hit = search(session, knowledge.officer, "vetting", SearchFilter(kinds=("lesson",)))["items"][0]
    assert "<script" not in hit.extract_html and "<b>" not in hit.extract_html and "&amp;" in hit.extract_html
    assert "<mark>vetting</mark>" in hit.extract_html


def test_ranking_puts_the_title_first(session, knowledge: Knowledge, corpus) -> None:
    hits = search(session, knowledge.officer, "Zebulon Quartz")["items"]
    assert hits[0].kind == "assessment" and hits[0].id == corpus["visit"].id
    assert [h.rank for h in hits] == sorted((h.rank for h in hits), reverse=True)


def test_filters(session, knowledge: Knowledge, corpus) -> None:
    assert _found(session, knowledge.officer, "assessment", kinds=("recommendation",)) == {
        ("recommendation", corpus["rec"].id)}
    assert ("assessment", corpus["visit"].id) in _found(session, knowledge.officer, "Zebulon", year=2025)
    assert ("assessment", corpus["visit"].id) not in _found(session, knowledge.officer, "Zebulon", year=2024)
    visit = ("assessment", corpus["visit"].id)
    assert visit in _found(session, knowledge.officer, "Zebulon", mission=knowledge.mission)
    assert _found(session, knowledge.officer, "Zebulon", mission="NO-SUCH") == set()
    assert ("attachment", corpus["report"].id) in _found(session, knowledge.officer, "radios", capacity="SPC")
    assert ("attachment", corpus["report"].id) not in _found(session, knowledge.officer, "radios", capacity="JCSC")


def test_each_role_finds_only_what_it_may_read(session, knowledge: Knowledge, corpus) -> None:
    # A name that appears in an assessment's findings and an attached report: personal, not for briefing.
    assert _found(session, knowledge.briefing, "Zebulon") == set()
    assert {k for k, _ in _found(session, knowledge.viewer, "Zebulon")} == {"assessment", "attachment"}
    # Drafts are the officers' alone.
    draft = ("lesson", corpus["draft"].id)
    assert draft in _found(session, knowledge.officer, "radios")
    assert draft not in _found(session, knowledge.viewer, "radios")
    assert draft not in _found(session, knowledge.briefing, "radios")
    # The published lesson is everyone's.
    assert ("lesson", corpus["lesson"].id) in _found(session, knowledge.briefing, "reforme")


def test_any_query_answers(session, knowledge: Knowledge, corpus) -> None:
    for query in ODD:
        with session.begin_nested():  # an error would abort the transaction: each query on its own
            answer = search(session, knowledge.officer, query)
        assert isinstance(answer["items"], list), query
        assert len(answer["query"]) <= 500
    assert ("lesson", corpus["lesson"].id) in {(h.kind, h.id) for h in search(
        session, knowledge.officer, "\x00réforme\x00")["items"]}
    assert search(session, knowledge.officer, "-réforme")["items"] != []  # websearch's NOT: others answer


def test_pages_reach_past_the_ranked_candidates(session, knowledge: Knowledge, monkeypatch) -> None:
    """Each kind ranks at least CANDIDATES matches, and as many as the page asked for reaches: paging one by one
    through five matches finds all five, never an empty page before the end."""
    from services.knowledge import search as S

    monkeypatch.setattr(S, "CANDIDATES", 2)
    made = {L.create_lesson(session, knowledge.officer, {"title_en": f"Quixotic lesson {n}",
                                                         "body_en": "Quixotic paging test."}).id for n in range(5)}
    seen = []
    for offset in range(5):
        answer = search(session, knowledge.officer, "quixotic", SearchFilter(kinds=("lesson",), limit=1,
                                                                             offset=offset))
        seen += [h.id for h in answer["items"]]
        assert answer["more"] == (offset < 4)
    assert set(seen) == made and len(seen) == 5


def test_an_extract_marks_a_hit_far_into_a_long_text(session, knowledge: Knowledge) -> None:
    """The first try reads the text's start only; a hit further in is found by the longer read, in either
    language's configuration."""
    from services.knowledge.search import HEADLINE_FIRST_CHARS

    filler = "Routine logistics paragraph without the word. " * (HEADLINE_FIRST_CHARS // 40)
    lesson = L.create_lesson(session, knowledge.officer, {"title_en": "A long lesson",
                                                          "body_en": filler + "Then the zanzibarite finding."})
    for locale in ("en", "fr"):
        hit = next(h for h in search(session, knowledge.officer, "zanzibarite", SearchFilter(kinds=("lesson",)),
                                     locale=locale)["items"] if h.id == lesson.id)
        assert "<mark>zanzibarite</mark>" in hit.extract_html, locale
    short = search(session, knowledge.officer, "routine", SearchFilter(kinds=("lesson",)))["items"]
    assert any("<mark>Routine</mark>" in h.extract_html for h in short if h.id == lesson.id)
