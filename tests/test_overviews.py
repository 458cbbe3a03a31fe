"""The missions and experts pages' services: counts from SQL, and field rules by role."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import Expert, Mission
from models.enums import ExpertStatus, Role
from services.access import Principal
from services.errors import Forbidden
from services.expert_overview import ExpertFilter, expert_overview
from services.key_figures import key_figures
from services.mission_overview import mission_overview


def _principal(role: Role) -> Principal:
    return Principal(user_id=0, username=f"t-{role.value}", role=role)


@pytest.mark.parametrize(
    ("role", "name", "grade"),
    [(Role.ADMIN, True, True), (Role.PLANNER, True, True), (Role.VIEWER, True, False),
     (Role.FINANCE, True, False), (Role.GIS_EDITOR, False, False)],
)
def test_expert_fields_follow_the_role(session, role: Role, name: bool, grade: bool) -> None:
    table = expert_overview(session, _principal(role))
    assert ("name" in table.columns) is name
    assert ("grade" in table.columns) is grade
    for row in table.rows:  # the rule holds in the data, not only in the column list
        assert ("name" in row) is name and ("grade" in row) is grade


def test_briefing_role_gets_no_expert_rows(session) -> None:
    with pytest.raises(Forbidden):
        expert_overview(session, _principal(Role.BRIEFING))


def test_expert_rows_agree_with_key_figures(session) -> None:
    everyone = expert_overview(session, _principal(Role.PLANNER))
    available = expert_overview(session, _principal(Role.PLANNER), ExpertFilter(available_only=True))
    figures = key_figures(session)
    not_separated = session.scalar(select(func.count()).where(Expert.status != ExpertStatus.SEPARATED))
    assert len(everyone.rows) == not_separated == figures.experts_total
    assert len(available.rows) == figures.experts_available
    # "Deployed on a day" counts every non-cancelled deployment covering it, a separated expert's too (issue 12's
    # one definition); the roster lists only experts who have not separated.
    from datetime import date

    from models import Deployment
    from models.enums import DeploymentStatus

    today = date.today()
    separated_deployed = session.scalar(
        select(func.count(func.distinct(Deployment.expert_id))).join(Expert, Expert.id == Deployment.expert_id)
        .where(Expert.status == ExpertStatus.SEPARATED, Deployment.status != DeploymentStatus.CANCELLED,
               Deployment.start_date <= today, Deployment.end_date >= today))
    assert sum(r["status"] == "deployed" for r in everyone.rows) + separated_deployed == figures.experts_deployed


def test_mission_overview_lists_every_mission(session) -> None:
    rows = mission_overview(session, active_only=False)
    assert len(rows) == session.scalar(select(func.count()).select_from(Mission))
    active = mission_overview(session, active_only=True)
    assert len(active) == key_figures(session).active_missions
