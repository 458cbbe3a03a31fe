"""The data-quality API: the scorecard for roles that see operations, failing records for those who keep the
records; the same counts as the service; unknown rules and bad queries answered as problems."""

from __future__ import annotations

from datetime import date

from services.quality import scorecard

API = "/api/v1/quality"


def test_the_scorecard_matches_the_service(logged_in, session) -> None:
    body = logged_in("viewer").get(API).get_json()
    card = scorecard.compute(session, date.today())
    assert body["overall"]["checked"] == card.overall.checked and body["overall"]["failing"] == card.overall.failing
    assert set(body["dimensions"]) == {"accurate", "complete", "consistent", "timely", "unique", "valid"}
    by_code = {r["code"]: r for r in body["rules"]}
    assert by_code["deployment_without_allocation"]["failing"] == card.rules["deployment_without_allocation"].failing
    assert sum(m["checked"] for m in body["missions"]) == sum(
        s.checked for per in card.by_mission.values() for s in per.values())


def test_failing_records_only_for_those_who_keep_them(logged_in, unfunded_deployment) -> None:
    assert logged_in("viewer").get(f"{API}/rules/deployment_without_allocation/failing").status_code == 403
    assert logged_in("briefing").get(API).status_code == 403
    client = logged_in("planner")
    rows = client.get(f"{API}/rules/deployment_without_allocation/failing?limit=5000").get_json()
    assert f"/deployments/{unfunded_deployment[1]}" in {r["link"] for r in rows}
    assert len(client.get(f"{API}/rules/deployment_without_allocation/failing?limit=1").get_json()) == 1
    missing = client.get(f"{API}/rules/no_such_rule/failing")
    assert missing.status_code == 404 and "no_such_rule" in missing.get_json()["detail"]
    bad = client.get(f"{API}/rules/deployment_without_allocation/failing?limit=0&day=yesterday")
    assert bad.status_code == 422
    assert {e["field"] for e in bad.get_json()["errors"]} == {"query.limit", "query.day"}
