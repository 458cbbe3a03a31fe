"""One rule book for a surge request's fields (services/surge/rules.py): the page's form, the API and the
service refuse the same bad request with the same problems (fields and codes), each named at its field, in
English and in French."""

from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from dashboard.components.surge_parts import problem_text
from models import Mission
from services.surge import requests as surge
from services.surge.rules import RULES, Problem, RequestProblems, message, validate
from tests.factories import planner

TODAY = date.today()
# The request: a start in 2020 and 0 experts (with a weight and a level out of range too).
EXPECTED = {("wanted_start", "past"), ("experts_requested", "range"), ("duration_days", "range"),
            ("skills.0.weight", "range"), ("skills.0.min_level", "range")}


@pytest.fixture
def form_page(app):
    """dashboard/pages/surge.py (Dash pages register once the app exists)."""
    from dashboard.pages import surge as page

    return page


def _acronym(session) -> str:
    return session.scalar(select(Mission.acronym).where(Mission.active.is_(True)).order_by(Mission.acronym))


def _form_values(page, acronym: str):
    return page.FormValues(mission=acronym, capacity="SPC", title="Bad dates", start="2020-03-01", duration=0,
                      experts=0, priority="high", skills=(("investigations", 11, 0, True), (None, 1, 3, True)),
                      languages=(("en", "B2"),), clearances=("MEDICAL",))


def _api_body(acronym: str) -> dict:
    return {"mission": acronym, "capacity": "SPC", "title": "Bad dates", "wanted_start": "2020-03-01",
            "duration_days": 0, "experts_requested": 0, "priority": "high",
            "skills": [{"code": "investigations", "weight": 11, "min_level": 0}],
            "languages": [{"code": "en", "min_level": "B2"}], "clearances": ["MEDICAL"]}


def test_the_same_bad_request_is_refused_identically_by_the_form_the_api_and_the_service(
        session, logged_in, app, form_page) -> None:
    acronym = _acronym(session)
    # The page's form (its callback's logic, a pure function).
    form, form_problems = form_page.check_form(_form_values(form_page, acronym), TODAY)
    assert {p.as_tuple() for p in form_problems} == EXPECTED
    # The service.
    with pytest.raises(RequestProblems) as refused:
        surge.create_request(session, planner(session), surge.RequestForm(
            mission=acronym, capacity="SPC", title="Bad dates", wanted_start=date(2020, 3, 1), duration_days=0,
            experts_requested=0, priority="high", skills=(surge.SkillWanted("investigations", 11, 0),),
            languages=(surge.LanguageWanted("en", "B2"),), clearances=("MEDICAL",)), today=TODAY)
    assert {p.as_tuple() for p in refused.value.problems} == EXPECTED
    # The API, in English then in French: problem+json with every problem at its field.
    client = logged_in("planner")
    answers = {}
    for lang in ("en", "fr"):
        client.get(f"/lang/{lang}?next=/")  # the user's chosen language, as the navbar sets it
        response = client.post("/api/v1/surge-requests", json=_api_body(acronym))
        assert response.status_code == 422 and response.mimetype == "application/problem+json"
        errors = response.get_json()["errors"]
        assert {(e["field"], e["code"]) for e in errors} == EXPECTED
        answers[lang] = {e["field"]: e["message"] for e in errors}
    assert answers["en"]["wanted_start"] == "The start cannot be in the past."
    assert answers["en"]["experts_requested"] == "At least 1 expert, at most 50."
    assert answers["fr"]["wanted_start"] == "Le début ne peut pas être dans le passé."
    assert answers["fr"]["experts_requested"] == "Au moins 1 expert, au plus 50."
    # The page shows the same messages at the fields, in either language.
    for lang in ("en", "fr"):
        with app.server.test_request_context(), force_locale(lang):
            at, elsewhere = form_page.feedback(form_problems, form)
            ids = form_page.Ids
            assert not elsewhere
            assert at[ids.START] == [answers[lang]["wanted_start"]]
            assert at[ids.EXPERTS] == [answers[lang]["experts_requested"]]
            assert at[ids.weight(0)] == [answers[lang]["skills.0.weight"]]
            assert at[ids.min_level(0)] == [answers[lang]["skills.0.min_level"]]


def test_the_limits_are_the_rule_books() -> None:
    good = {"mission": "X", "title": "t" * RULES.title_max, "wanted_start": TODAY, "priority": "high",
            "duration_days": RULES.duration.high, "experts_requested": RULES.experts.high,
            "skills": [{"code": "a", "weight": RULES.weight.high, "min_level": RULES.level.high}]}
    assert validate(good, TODAY) == []
    bad = {**good, "title": "t" * (RULES.title_max + 1), "duration_days": RULES.duration.high + 1,
           "experts_requested": "two", "skills": [{"code": "a", "weight": 0, "min_level": 2.5},
                                                  {"code": "a", "weight": 1, "min_level": 1}]}
    assert {p.as_tuple() for p in validate(bad, TODAY)} == {
        ("title", "too_long"), ("duration_days", "range"), ("experts_requested", "not_a_number"),
        ("skills.0.weight", "range"), ("skills.0.min_level", "not_a_number"), ("skills.1", "duplicate")}
    received = validate({**good, "received_on": date(2020, 1, 1), "wanted_start": date(2019, 12, 1)}, TODAY)
    assert received == [Problem("wanted_start", "before_received", {"received": "2020-01-01"})]
    assert message(Problem("duration_days", "range", {"min": 1, "max": 730})) == "At least 1 day, at most 730."


def test_a_problem_with_no_field_on_the_form_is_still_shown(app, form_page) -> None:
    # Skills chosen in rows 0 and 2: the second skill's problem is shown at row 2.
    form, _problems = form_page.check_form(form_page.FormValues(
        mission="X", skills=(("a", 1, 3, True), (None, 1, 3, True), ("b", 1, 3, True))), TODAY)
    with app.server.test_request_context(), force_locale("en"):
        at, elsewhere = form_page.feedback([Problem("site_id", "not_of_mission"),
                                            Problem("mission", "unknown", {"value": "NOPE"}),
                                            Problem("skills.1.code", "unknown", {"value": "b"})], form)
        unknown = problem_text(Problem("mission", "unknown", {"value": "NOPE"}))
    ids = form_page.Ids
    assert at == {ids.MISSION: [unknown], ids.skill(2): ["Unknown: b."]}
    assert elsewhere == ["site_id: This place is not a site of the requesting mission."]


def test_the_ranking_text_is_french_with_plural_forms(session, app) -> None:
    """Issue 12: skill names in the ranking's reasons were English in the French interface, and counts said
    "1 experts"."""
    from dashboard.components.surge_parts import lack_text, miss_text, too_few_text, why
    from services.surge.matching import Need, SkillNeed, capacity_codes, rank
    from tests.factories import END, START, capacity_id, expert, mission_id, skill

    s = skill(session, "french", name_fr="Compétence d’essai")
    e = expert(session, skills={s.id: 2}, capacity="SPC", languages={"fr": "native"})
    need = Need(start=START, end=END, mission_id=mission_id(session), skills=(
        SkillNeed(s.id, s.code, s.name, 1.0, 3, required=True, name_fr=s.name_fr),),
        capacity_id=capacity_id(session, "SPC"), capacity_code="SPC", experts_requested=2,
        capacity_codes=capacity_codes(session))
    ranking = rank(session, need)
    miss = next(m for m in ranking.nearest_misses(1000) if m.candidate.expert_id == e.id)
    with app.server.test_request_context():
        with force_locale("fr"):
            assert "Compétence d’essai 2/5" in why(ranking.explain(e.id), need)
            assert miss_text(miss) == "Compétence d’essai 2/5, niveau 3 requis"
            assert too_few_text(1, 2) == ("Seul 1 expert satisfait aux règles impératives (2 souhaités).")
            assert too_few_text(0, 1) == "Aucun expert ne satisfait aux règles impératives (1 souhaité)."
        with force_locale("en"):
            assert lack_text(miss.lacks[0]) == "Test french 2/5, needs 3"
            assert too_few_text(1, 2) == "Only 1 expert meets the hard rules (2 wanted)."
            assert too_few_text(3, 5) == "Only 3 experts meet the hard rules (5 wanted)."


def test_the_timeline_and_figures_speak_french(app) -> None:
    """Issue 12: "(ongoing)", "(planned)" and absence kinds were English in the French interface."""
    from dashboard.components.surge_parts import bar_label

    with app.server.test_request_context(), force_locale("fr"):
        assert bar_label({"mission": "MINUSCA", "status": "ongoing", "label": "MINUSCA (ongoing)"}) == \
            "MINUSCA (en cours)"
        assert bar_label({"mission": "UNMISS", "status": "planned"}) == "UNMISS (prévu)"
        assert bar_label({"absence": "leave", "label": "leave"}) == "Congé"
