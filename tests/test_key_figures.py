"""Key figures: the SQL answer equals a plain count over the rows, for today and for a capacity."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from models import Capacity, Deployment, Expert, Mission, SurgeRequest, Unavailability
from models.enums import DeploymentStatus, ExpertStatus
from services.key_figures import OPEN_SURGE_STATUSES, key_figures


def _naive(session, day: date, capacity_id: int | None):  # type: ignore[no-untyped-def]
    experts = [e for e in session.scalars(select(Expert))
               if e.status != ExpertStatus.SEPARATED and (capacity_id is None or e.capacity_id == capacity_id)]
    deployed = {d.expert_id for d in session.scalars(select(Deployment))
                if d.status != DeploymentStatus.CANCELLED and d.start_date <= day <= d.end_date}
    absent = {u.expert_id for u in session.scalars(select(Unavailability)) if u.start_date <= day <= u.end_date}
    requests = [r for r in session.scalars(select(SurgeRequest))
                if r.status in OPEN_SURGE_STATUSES and (capacity_id is None or r.capacity_id == capacity_id)]
    return {
        "experts_deployed": sum(e.id in deployed for e in experts),
        "experts_available": sum(e.id not in deployed and e.id not in absent and e.status == ExpertStatus.ACTIVE
                                 for e in experts),
        "experts_total": len(experts),
        "open_surge_requests": len(requests),
        "active_missions": sum(m.active for m in session.scalars(select(Mission))),
    }


def test_key_figures_match_a_plain_count(session) -> None:
    capacities = [None, *session.scalars(select(Capacity.id))]
    for day in (date.today(), date.today() - timedelta(days=400)):
        for capacity_id in capacities:
            figures = key_figures(session, day, capacity_id).as_dict()
            expected = _naive(session, day, capacity_id)
            assert {k: figures[k] for k in expected} == expected, (day, capacity_id)


def test_baseline_has_people_at_work_today(session) -> None:
    figures = key_figures(session)
    assert figures.experts_total > 0
    assert figures.experts_deployed > 0
    assert figures.active_missions > 10
