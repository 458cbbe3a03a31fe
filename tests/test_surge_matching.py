"""Matching: each hard rule excludes the expert it should; the score ranks and explains; ties are
deterministic; a team proposal balances gender and complements skills; SQL and the plain loop agree."""

from __future__ import annotations

import secrets
from datetime import date

import pytest
from sqlalchemy import select, text

from models import ClearanceType, Deployment, SurgeRequest, Unavailability
from models.enums import DeploymentKind, DeploymentStatus, ExpertStatus, Gender, LanguageLevel, SurgeStatus
from services.surge.matching import (
    BELOW_MINIMUM_CREDIT,
    LanguageNeed,
    Need,
    Rule,
    SkillNeed,
    Weights,
    capacity_codes,
    facts_statement,
    fetch_facts,
    need_for_request,
    propose_team,
    rank,
)
from services.surge.reference import reference_rank
from tests.factories import END, START, capacity_id, expert, mission_id, skill

ONLY_SKILLS = Weights(skills=10, languages=0, experience=0, region=0, rotation=0, gender=0)


def _need(session, skills=(), **kw) -> Need:
    return Need(start=START, end=END, mission_id=mission_id(session), skills=tuple(skills),
                capacity_codes=capacity_codes(session), **kw)


def _deployment(session, expert_id: int, start: date, end: date, status=DeploymentStatus.PLANNED,
                request_id: int | None = None) -> None:
    session.add(Deployment(expert_id=expert_id, mission_id=mission_id(session), role="Adviser",
                           kind=DeploymentKind.SURGE, start_date=start, end_date=end, status=status,
                           surge_request_id=request_id))
    session.flush()


def test_each_hard_rule_excludes_the_expert_it_should(session) -> None:
    s = skill(session, "rules")
    medical = session.scalar(select(ClearanceType.id).where(ClearanceType.code == "MEDICAL"))
    valid = {"MEDICAL": (date(2030, 1, 1), date(2032, 1, 1))}
    ok = expert(session, skills={s.id: 4}, languages={"fr": "C1"}, clearances=valid)
    inactive = expert(session, skills={s.id: 4}, languages={"fr": "C1"}, clearances=valid,
                      status=ExpertStatus.SEPARATED)
    absent = expert(session, skills={s.id: 4}, languages={"fr": "C1"}, clearances=valid)
    session.add(Unavailability(expert_id=absent.id, kind="training", start_date=date(2031, 4, 29),
                               end_date=date(2031, 5, 3)))  # only the period's last day
    deployed = expert(session, skills={s.id: 4}, languages={"fr": "C1"}, clearances=valid)
    _deployment(session, deployed.id, date(2031, 2, 1), date(2031, 3, 1))  # touches the first day
    elsewhere = expert(session, skills={s.id: 4}, languages={"fr": "C1"}, clearances=valid)
    other = session.scalars(select(SurgeRequest).where(SurgeRequest.status == SurgeStatus.UNDER_REVIEW)).first()
    _deployment(session, elsewhere.id, date(2031, 4, 1), date(2031, 6, 1), request_id=other.id)
    language = expert(session, skills={s.id: 4}, languages={"fr": "B1"}, clearances=valid)
    clearance = expert(session, skills={s.id: 4}, languages={"fr": "C1"},
                       clearances={"MEDICAL": (date(2030, 1, 1), date(2031, 4, 1))})  # expires mid-period
    session.flush()
    need = _need(session, [SkillNeed(s.id, s.code, s.name, 1.0, 1)], languages=(LanguageNeed("fr", LanguageLevel.B2),),
                 clearance_type_ids=(medical,))

    ranking = rank(session, need, ONLY_SKILLS)
    assert ranking.explain(ok.id).eligible
    expected = {inactive.id: Rule.INACTIVE, absent.id: Rule.ABSENT, deployed.id: Rule.DEPLOYED,
                elsewhere.id: Rule.PROPOSED_ELSEWHERE, language.id: Rule.LANGUAGE, clearance.id: Rule.CLEARANCE}
    for expert_id, rule in expected.items():
        candidate = ranking.explain(expert_id)
        assert candidate.rank is None
        assert candidate.excluded_by == (rule,), (rule, candidate.excluded_by)
    assert ok.id in ranking.ranked_ids and not set(expected) & set(ranking.ranked_ids)
    # The plain loop finds the same exclusions.
    _, excluded = reference_rank(session, need, ONLY_SKILLS)
    assert {k: v for k, v in excluded.items() if k in expected} == {k: (v,) for k, v in expected.items()}
    assert ok.id not in excluded


def test_a_cancelled_deployment_or_the_requests_own_team_does_not_block(session) -> None:
    s = skill(session, "own")
    e = expert(session, skills={s.id: 3})
    _deployment(session, e.id, START, END, status=DeploymentStatus.CANCELLED)
    request = session.scalars(select(SurgeRequest).where(SurgeRequest.status == SurgeStatus.UNDER_REVIEW)).first()
    need = _need(session, [SkillNeed(s.id, s.code, s.name, 1.0, 1)], request_id=request.id)
    assert rank(session, need).explain(e.id).eligible
    _deployment(session, e.id, START, END, request_id=request.id)
    assert rank(session, need).explain(e.id).eligible  # proposed for this very request
    other = _need(session, [SkillNeed(s.id, s.code, s.name, 1.0, 1)])
    assert rank(session, other).explain(e.id).excluded_by == (Rule.PROPOSED_ELSEWHERE,)


def test_score_follows_skill_levels_and_is_explained(session) -> None:
    s = skill(session, "score")
    high, mid, below = (expert(session, skills={s.id: lvl}) for lvl in (5, 3, 2))
    need = _need(session, [SkillNeed(s.id, s.code, s.name, 2.0, 3, required=False)])
    ranking = rank(session, need, ONLY_SKILLS)
    ids = ranking.ranked_ids
    assert ids.index(high.id) < ids.index(mid.id) < ids.index(below.id)
    top = ranking.explain(high.id)
    assert top.rank == 1 and top.components["skills"] == 1.0 and top.contributions["skills"] == 10.0
    assert top.score == pytest.approx(sum(top.contributions.values()))
    assert ranking.explain(mid.id).components["skills"] == pytest.approx(0.6)
    # A desirable skill below its level counts half; it does not exclude.
    assert ranking.explain(below.id).components["skills"] == pytest.approx(0.4 * BELOW_MINIMUM_CREDIT)


def test_rotation_favours_the_expert_longest_home(session) -> None:
    s = skill(session, "rotation")
    recent, rested = expert(session, skills={s.id: 4}), expert(session, skills={s.id: 4})
    _deployment(session, recent.id, date(2031, 1, 1), date(2031, 2, 20), status=DeploymentStatus.COMPLETED)
    _deployment(session, rested.id, date(2030, 1, 1), date(2030, 2, 20), status=DeploymentStatus.COMPLETED)
    weights = Weights(skills=10, languages=0, experience=0, region=0, rotation=1, gender=0)
    ranking = rank(session, _need(session, [SkillNeed(s.id, s.code, s.name, 1.0, 1)]), weights)
    assert ranking.explain(rested.id).rank < ranking.explain(recent.id).rank
    assert ranking.explain(recent.id).last_end == date(2031, 2, 20)


def test_ties_are_broken_by_expert_id(session) -> None:
    s = skill(session, "tie")
    twins = [expert(session, skills={s.id: 4}) for _ in range(3)]
    need = _need(session, [SkillNeed(s.id, s.code, s.name, 1.0, 1)])
    first = rank(session, need, ONLY_SKILLS).ranked_ids[:3]
    assert first == sorted(t.id for t in twins)
    assert rank(session, need, ONLY_SKILLS).ranked_ids[:3] == first


def test_team_balances_gender_when_asked(session) -> None:
    s = skill(session, "gender")
    m1 = expert(session, gender=Gender.MALE, skills={s.id: 5})
    m2 = expert(session, gender=Gender.MALE, skills={s.id: 5})
    f = expert(session, gender=Gender.FEMALE, skills={s.id: 4})
    skills = [SkillNeed(s.id, s.code, s.name, 1.0, 1)]
    weights = Weights(skills=4, languages=0, experience=0, region=0, rotation=0, gender=1)
    plain = propose_team(rank(session, _need(session, skills, experts_requested=2), weights))
    assert [m.candidate.expert_id for m in plain] == [m1.id, m2.id]
    balanced = propose_team(rank(session, _need(session, skills, experts_requested=2, balance_gender=True), weights))
    assert {m.candidate.expert_id for m in balanced} == {m1.id, f.id}
    assert balanced[1].balances_gender


def test_team_prefers_complementary_skills(session) -> None:
    a, b = skill(session, "a"), skill(session, "b")
    e1 = expert(session, skills={a.id: 5})
    expert(session, skills={a.id: 5})
    e3 = expert(session, skills={b.id: 5})
    # Both desirable: a team's skills complement each other only where no single skill is a hard rule.
    need = _need(session, [SkillNeed(a.id, a.code, a.name, 2.0, 1, required=False),
                           SkillNeed(b.id, b.code, b.name, 1.5, 1, required=False)], experts_requested=2)
    ranking = rank(session, need, ONLY_SKILLS)
    assert ranking.ranked_ids[2] == e3.id  # third on individual score...
    team = propose_team(ranking)
    assert [m.candidate.expert_id for m in team] == [e1.id, e3.id]  # ...but completes the team
    assert team[1].adds_skills == (b.code,)


def test_weights_are_validated() -> None:
    assert Weights.from_mapping({"skills": "2"}).skills == 2.0
    with pytest.raises(Exception, match="from 0 to 10"):
        Weights.from_mapping({"skills": 11})
    with pytest.raises(Exception, match="unknown weight"):
        Weights.from_mapping({"luck": 1})


def test_sql_ranking_equals_the_plain_loop_on_demo_requests(session) -> None:
    requests = session.scalars(select(SurgeRequest).where(SurgeRequest.status.in_(
        [SurgeStatus.RECEIVED, SurgeStatus.UNDER_REVIEW, SurgeStatus.APPROVED])).order_by(SurgeRequest.id).limit(4))
    for request in requests:
        for balance in (False, True):
            need = need_for_request(session, request)
            need = Need(**{**need.__dict__, "balance_gender": balance})
            fast = rank(session, need)
            slow, excluded = reference_rank(session, need)
            assert [(int(fast.ids[i]), float(fast.scores[i])) for i in fast.order] == slow, request.reference
            assert {c.expert_id: c.excluded_by for c in fast.excluded()} == excluded


def test_sparse_facts_land_on_their_own_experts(session) -> None:
    """fetch_facts reads skills, languages, clearances, visits and deployments only for the experts that have
    them and scatters them onto every expert by id: each fact on its expert, defaults everywhere else."""
    wanted, other = skill(session, "sparse"), skill(session, "unasked")
    bare = expert(session, skills={}, languages={"ar": "B2"}, clearances={})
    rich = expert(session, skills={wanted.id: 3, other.id: 5}, languages={"fr": "native", "en": "B1"})
    _deployment(session, rich.id, date(2030, 6, 1), date(2030, 9, 30), status=DeploymentStatus.COMPLETED)
    _deployment(session, rich.id, date(2029, 1, 1), date(2029, 2, 1), status=DeploymentStatus.COMPLETED)
    _deployment(session, rich.id, date(2031, 4, 20), date(2031, 5, 20), status=DeploymentStatus.CANCELLED)
    need = _need(session, [SkillNeed(wanted.id, wanted.code, wanted.name, 1.0, 1)],
                 languages=(LanguageNeed("fr", LanguageLevel.B1),),
                 clearance_type_ids=tuple(session.scalars(select(ClearanceType.id).where(
                     ClearanceType.code.in_(["MEDICAL", "SECURITY"])).order_by(ClearanceType.id))))
    facts = fetch_facts(session, need)
    assert list(facts["id"]) == sorted(facts["id"])
    at = {int(x): k for k, x in enumerate(facts["id"])}
    b, r = at[bare.id], at[rich.id]
    assert (facts["s0"][b], facts["l0"][b], facts["missing"][b], facts["experience"][b]) == (0, 0, 2, 0)
    assert not facts["deployed"][b] and facts["last_end"][b] == -1
    assert (facts["s0"][r], facts["l0"][r], facts["missing"][r]) == (3, 7, 0)  # native = 7; other skill unread
    assert facts["experience"][r] == 2 and not facts["deployed"][r]  # the cancelled one blocks nothing
    assert facts["last_end"][r] == date(2030, 9, 30).toordinal()  # the 2029 one is beyond the rotation year
    assert rank(session, need).explain(rich.id).eligible


def test_facts_statement_is_built_once_per_shape_and_jit_is_restored(session) -> None:
    s = skill(session, "shape")
    one = _need(session, [SkillNeed(s.id, s.code, s.name, 1.0, 1)])
    two = _need(session, [SkillNeed(s.id, s.code, s.name, 2.0, 3)], request_id=None)
    assert facts_statement(one)[0] is facts_statement(two)[0]
    assert facts_statement(one)[0] is not facts_statement(_need(session))[0]
    before = session.scalar(text("SELECT current_setting('jit')"))
    fetch_facts(session, one)
    assert session.scalar(text("SELECT current_setting('jit')")) == before


def test_the_covering_end_date_index_exists(session) -> None:
    definition = session.scalar(text(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_deployment_end_date_cover'"))
    assert definition and "(end_date) INCLUDE (expert_id, start_date, status, surge_request_id)" in definition


def test_absences_and_clearances_have_covering_indexes(session) -> None:
    definitions = dict(session.execute(text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN "
        "('ix_unavailability_end_date_cover', 'ix_expert_clearance_type_cover')")).all())
    assert "(end_date) INCLUDE (start_date, expert_id)" in definitions["ix_unavailability_end_date_cover"]
    assert ("(clearance_type_id, obtained_on) INCLUDE (valid_until, expert_id)"
            in definitions["ix_expert_clearance_type_cover"])


# --- the request's capacity and required skills are hard rules (issue 12) -----------------------------------
def _world_clearance(session) -> tuple[int, dict]:
    """A clearance only this test's experts hold: every generated expert fails it (a rule a planner cannot
    relax), so the ranking and the near misses are this small world's alone."""
    code = f"T{secrets.token_hex(4).upper()}"
    row = ClearanceType(code=code, name="Test clearance")
    session.add(row)
    session.flush()
    return row.id, {code: (date(2030, 1, 1), None)}


def test_the_request_capacity_is_a_hard_rule_unless_either_is_accepted(session) -> None:
    s = skill(session, "capacity")
    clearance, held = _world_clearance(session)
    spc = expert(session, skills={s.id: 3}, capacity="SPC", clearances=held)
    jcsc = expert(session, skills={s.id: 5}, capacity="JCSC", clearances=held)  # better, other capacity
    skills = [SkillNeed(s.id, s.code, s.name, 1.0, 1)]
    need = _need(session, skills, clearance_type_ids=(clearance,), capacity_id=capacity_id(session, "SPC"),
                 capacity_code="SPC")
    ranking = rank(session, need, ONLY_SKILLS)
    assert ranking.ranked_ids == [spc.id]
    assert ranking.explain(jcsc.id).excluded_by == (Rule.CAPACITY,)
    assert ranking.explain(spc.id).capacity == "SPC"
    _, excluded = reference_rank(session, need, ONLY_SKILLS)
    assert excluded[jcsc.id] == (Rule.CAPACITY,) and spc.id not in excluded
    either = Need(**{**need.__dict__, "accept_any_capacity": True})
    assert rank(session, either, ONLY_SKILLS).ranked_ids == [jcsc.id, spc.id]
    assert jcsc.id not in reference_rank(session, either, ONLY_SKILLS)[1]


def test_a_required_skill_below_its_minimum_level_excludes(session) -> None:
    s = skill(session, "required")
    clearance, held = _world_clearance(session)
    at_min, above = expert(session, skills={s.id: 3}, clearances=held), expert(session, skills={s.id: 5},
                                                                                clearances=held)
    below, without = expert(session, skills={s.id: 2}, clearances=held), expert(session, skills={}, clearances=held)
    need = _need(session, [SkillNeed(s.id, s.code, s.name, 1.0, 3)], clearance_type_ids=(clearance,))
    ranking = rank(session, need, ONLY_SKILLS)
    assert ranking.ranked_ids == [above.id, at_min.id]
    assert ranking.explain(below.id).excluded_by == ranking.explain(without.id).excluded_by == (Rule.SKILL,)
    slow, excluded = reference_rank(session, need, ONLY_SKILLS)
    assert [e for e, _score in slow] == [above.id, at_min.id]
    assert excluded[below.id] == excluded[without.id] == (Rule.SKILL,)


def test_a_desirable_skill_is_scored_but_not_required(session) -> None:
    core, extra = skill(session, "core"), skill(session, "nice")
    clearance, held = _world_clearance(session)
    plain = expert(session, skills={core.id: 4}, clearances=held)
    rounded = expert(session, skills={core.id: 4, extra.id: 4}, clearances=held)
    need = _need(session, [SkillNeed(core.id, core.code, core.name, 2.0, 3),
                           SkillNeed(extra.id, extra.code, extra.name, 1.0, 3, required=False)],
                 clearance_type_ids=(clearance,))
    ranking = rank(session, need, ONLY_SKILLS)
    assert ranking.ranked_ids == [rounded.id, plain.id]  # both eligible: the desirable skill only adds
    assert ranking.explain(rounded.id).score > ranking.explain(plain.id).score
    assert [e for e, _score in reference_rank(session, need, ONLY_SKILLS)[0]] == [rounded.id, plain.id]


def test_police_request_ranks_only_police_experts_with_the_skills_and_names_the_near_misses(session) -> None:
    """Issue 12: an SPC request for community policing >= 3 and criminal investigations >= 3 ranked justice
    experts at 0/5 on both, the top one on rotation and region alone; the suggested team had none of the skills."""
    policing, investigations = skill(session, "policing"), skill(session, "investigations")
    clearance, held = _world_clearance(session)
    qualified = expert(session, capacity="SPC", skills={policing.id: 3, investigations.id: 4}, clearances=held)
    # Justice experts with no skill, long home and from the region: they led the ranking before.
    home = session.scalar(text("SELECT c.iso3 FROM country c JOIN mission_host_country h ON h.country_iso3 = c.iso3 "
                               "WHERE h.mission_id = :m LIMIT 1"), {"m": mission_id(session)})
    justice = [expert(session, capacity="JCSC", nationality=home, clearances=held) for _ in range(3)]
    almost = expert(session, capacity="SPC", skills={policing.id: 1, investigations.id: 3}, clearances=held)
    busy = expert(session, capacity="SPC", skills={policing.id: 1}, clearances=held)
    _deployment(session, busy.id, START, END)
    need = _need(session, [SkillNeed(policing.id, policing.code, policing.name, 2.0, 3),
                           SkillNeed(investigations.id, investigations.code, investigations.name, 2.0, 3)],
                 clearance_type_ids=(clearance,), capacity_id=capacity_id(session, "SPC"), capacity_code="SPC",
                 experts_requested=3)
    ranking = rank(session, need)
    assert ranking.ranked_ids == [qualified.id]
    team = propose_team(ranking)
    assert [m.candidate.expert_id for m in team] == [qualified.id]  # only eligible experts, even if too few
    assert ranking.too_few
    misses = ranking.nearest_misses()
    # The SPC expert one requirement short comes first; the justice experts lack three; the busy one is no miss.
    assert [m.candidate.expert_id for m in misses] == [almost.id, *sorted(e.id for e in justice)]
    lacks = misses[0].lacks
    assert [(lack.kind, lack.code, lack.have, lack.need) for lack in lacks] == [("skill", policing.code, 1, 3)]
    assert [(lack.kind, lack.have, lack.need) for lack in misses[1].lacks] == [
        ("capacity", "JCSC", "SPC"), ("skill", 0, 3), ("skill", 0, 3)]
    assert busy.id not in {m.candidate.expert_id for m in misses}
