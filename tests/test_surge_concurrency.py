"""Two planners assign the same expert at the same moment: one succeeds, the other is told why.

Real concurrency: two connections, two transactions. The first proposal's insert holds the exclusion
constraint's lock; the second waits on it, and when the first commits the database refuses the second.
Committed rows are removed at the end.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import Deployment, Expert, SurgeRequest, User
from models.enums import DeploymentStatus
from services.errors import Conflict
from services.surge import requests as surge
from tests.factories import SURGE_TODAY, planner, qualified_expert, surge_form


def test_double_assignment_one_wins_the_other_is_told_why(engine) -> None:
    with Session(engine) as setup, setup.begin():
        principal = planner(setup)
        first = surge.create_request(setup, principal, surge_form(setup, title="Race A"), today=SURGE_TODAY).id
        second = surge.create_request(setup, principal, surge_form(setup, title="Race B"), today=SURGE_TODAY).id
        expert_id = qualified_expert(setup).id
    outcome: dict[str, object] = {}
    try:
        winner = Session(engine)
        surge.propose(winner, principal, first, [expert_id])  # inserted, not committed: holds the lock

        def other_planner() -> None:
            with Session(engine) as loser:
                try:
                    surge.propose(loser, principal, second, [expert_id])
                    loser.commit()
                    outcome["second"] = "proposed"
                except Conflict as error:
                    loser.rollback()
                    outcome["second"] = error

        thread = threading.Thread(target=other_planner)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive(), "the second proposal should wait for the first transaction"
        winner.commit()
        winner.close()
        thread.join(timeout=30)

        error = outcome["second"]
        assert isinstance(error, Conflict), error
        assert "just assigned by someone else" in str(error)
        assert "(request " in str(error) and "Nothing was proposed" in str(error)
        with Session(engine) as check:
            rows = check.execute(select(Deployment.surge_request_id, Deployment.status)
                                 .where(Deployment.expert_id == expert_id)).all()
            assert rows == [(first, DeploymentStatus.PLANNED)]
            # The loser's request did not move: nothing of it was kept.
            assert check.get(SurgeRequest, second).status.value == "received"
    finally:
        with Session(engine) as clean, clean.begin():
            clean.execute(delete(Deployment).where(Deployment.expert_id == expert_id))
            clean.execute(delete(SurgeRequest).where(SurgeRequest.id.in_([first, second])))
            clean.execute(delete(Expert).where(Expert.id == expert_id))
            clean.execute(delete(User).where(User.id == principal.user_id))
