"""Key figures: the SQL answer equals a plain count over the rows, for today and for a capacity."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from models import Capacity, Deployment, Expert, Mission, SurgeRequest, Unavailability
from models.enums import DeploymentKind, DeploymentStatus, ExpertStatus, Role
from services.access import Principal
from services.analytics.filters import MapFilter
from services.analytics.view import map_view
from services.briefing.aggregates import briefing_view
from services.key_figures import OPEN_SURGE_STATUSES, key_figures
from tests.factories import END, START, WORLD_TODAY, expert, mission_id


def _naive(session, day: date, capacity_id: int | None):  # type: ignore[no-untyped-def]
    experts = [e for e in session.scalars(select(Expert))
               if e.status != ExpertStatus.SEPARATED and (capacity_id is None or e.capacity_id == capacity_id)]
    deployed = {d.expert_id for d in session.scalars(select(Deployment))
                if d.status != DeploymentStatus.CANCELLED and d.start_date <= day <= d.end_date}
    absent = {u.expert_id for u in session.scalars(select(Unavailability)) if u.start_date <= day <= u.end_date}
    requests = [r for r in session.scalars(select(SurgeRequest))
                if r.status in OPEN_SURGE_STATUSES and (capacity_id is None or r.capacity_id == capacity_id)]
    # Deployed: whoever a deployment covers, separated since or not (the map's and the briefing's rule too).
    everyone = [e for e in session.scalars(select(Expert)) if capacity_id is None or e.capacity_id == capacity_id]
    return {
        "experts_deployed": sum(e.id in deployed for e in everyone),
        "experts_available": sum(e.id not in deployed and e.id not in absent and e.status == ExpertStatus.ACTIVE
                                 for e in experts),
        "experts_total": len(experts),
        "open_surge_requests": len(requests),
        "active_missions": sum(m.active for m in session.scalars(select(Mission))),
    }


def test_key_figures_match_a_plain_count(session) -> None:
    capacities = [None, *session.scalars(select(Capacity.id))]
    for day in (WORLD_TODAY, WORLD_TODAY - timedelta(days=400)):
        for capacity_id in capacities:
            figures = key_figures(session, day, capacity_id).as_dict()
            expected = _naive(session, day, capacity_id)
            assert {k: figures[k] for k in expected} == expected, (day, capacity_id)


def test_baseline_has_people_at_work_today(session) -> None:
    figures = key_figures(session, WORLD_TODAY)
    assert figures.experts_total > 0
    assert figures.experts_deployed > 0
    assert figures.active_missions > 10


def test_one_rule_for_deployed_on_a_day_on_home_map_and_briefing(session) -> None:
    """A separated expert whose deployment still covers the day counts as deployed on home, map and briefing:
    the deployment happened; the expert's status today does not undo it (it was 15 on home, 16 elsewhere)."""
    day = START  # far ahead: no generated deployment reaches it, so the hand-made ones are the whole world
    mission = mission_id(session)
    active, separated, cancelled = (expert(session), expert(session, status=ExpertStatus.SEPARATED),
                                    expert(session))
    for person, status in ((active, DeploymentStatus.PLANNED), (separated, DeploymentStatus.ONGOING),
                           (cancelled, DeploymentStatus.CANCELLED)):
        session.add(Deployment(expert_id=person.id, mission_id=mission, role="Adviser", kind=DeploymentKind.SURGE,
                               start_date=day - timedelta(days=10), end_date=END, status=status))
    session.flush()

    home = key_figures(session, day).experts_deployed
    filt = MapFilter(start=day - timedelta(days=30), end=day, as_of=day)
    viewer = Principal(0, "t-viewer", Role.VIEWER)
    on_map = map_view(session, viewer, filt, view=None, zoom=3).figures.deployed_now
    briefer = Principal(0, "t-briefing", Role.BRIEFING)
    briefing = briefing_view(session, briefer, filt, threshold=1).figures.deployed_on_day
    assert home == on_map == briefing == 2
    jcsc = session.scalar(select(Capacity.id).where(Capacity.code == "JCSC"))
    spc = session.scalar(select(Capacity.id).where(Capacity.code == "SPC"))
    assert key_figures(session, day, jcsc).experts_deployed == 2
    assert key_figures(session, day, spc).experts_deployed == 0
