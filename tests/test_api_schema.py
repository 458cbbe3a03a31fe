"""Schemathesis against the real app: every operation of /api/v1/openapi.json, positive and negative data.

The document and the behaviour must agree: no server error, every status, media type, header and body as
declared, invalid input refused with a 4xx. Bounded for CI: a few examples an operation, derandomized (a
fixed seed, no example database), so a run is the same every time and takes well under a minute and a half
on two cores. It runs as an admin (every operation open) and as the briefing role (most refused: the 401/403
answers are checked too). Writes commit (the API owns its transaction): what a run created is deleted after.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import delete, func, select

from models import (
    Allocation,
    ApiToken,
    Assessment,
    Deployment,
    Donor,
    ExchangeRate,
    Expenditure,
    Expert,
    Grant,
    Lesson,
    Mission,
    Project,
    SurgeRequest,
    User,
)
from models.db import session_scope
from services import tokens
from services.users import create_user

MAX_EXAMPLES = 6
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]
CONFIG = schemathesis.Config.from_dict({
    "seed": 20261130,
    "generation": {"deterministic": True, "max-examples": MAX_EXAMPLES, "database": "none"},
})


@pytest.fixture(scope="module")
def api_tokens(server) -> Iterator[dict[str, str]]:
    """Tokens of a new admin and a new briefing user, and the run's own surge request (own_request); what the
    run writes is deleted after."""
    factory = server.extensions["hub"].session_factory
    out: dict[str, str] = {}
    token_ids: list[int] = []
    with session_scope(factory) as s:
        last_request = s.scalar(select(func.coalesce(func.max(SurgeRequest.id), 0)))
        last_deployment = s.scalar(select(func.coalesce(func.max(Deployment.id), 0)))
        last_project = s.scalar(select(func.coalesce(func.max(Project.id), 0)))
        last_expert = s.scalar(select(func.coalesce(func.max(Expert.id), 0)))
        last_knowledge = {m: s.scalar(select(func.coalesce(func.max(m.id), 0))) for m in (Assessment, Lesson)}
        # The funding writes it makes: rows past these, and rates not there before.
        last_funding = {m: s.scalar(select(func.coalesce(func.max(m.id), 0)))
                        for m in (Expenditure, Allocation, Grant, Donor)}
        rates_before = set(s.execute(select(ExchangeRate.currency, ExchangeRate.month)).all())
    user_ids: list[int] = []
    for role in ("admin", "briefing"):
        username = f"t-schema-{role}-{secrets.token_hex(4)}"
        with session_scope(factory) as s:
            user_ids.append(create_user(s, username, role, secrets.token_urlsafe(16)).id)
            token, plain = tokens.create_token(s, username, name="schemathesis", days=1)
            token_ids.append(token.id)
        out[role] = plain
    # The run's own surge request: every write to an existing request is aimed at it, never at the baseline's.
    with session_scope(factory) as s:
        mission = s.scalar(select(Mission.acronym).where(Mission.active.is_(True)).order_by(Mission.acronym))
    created = server.test_client().post(
        "/api/v1/surge-requests", headers={"Authorization": f"Bearer {out['admin']}"},
        json={"mission": mission, "title": "schemathesis", "duration_days": 30, "clearances": [],
              "wanted_start": (date.today() + timedelta(days=30)).isoformat()})
    assert created.status_code == 201, created.get_json()
    out["own_request"] = created.get_json()["reference"]
    # and its own project: every write under /projects/{pid} goes there, never to the baseline's projects
    created = server.test_client().post(
        "/api/v1/projects", headers={"Authorization": f"Bearer {out['admin']}"},
        json={"code": f"SCHEMA-{secrets.token_hex(3)}", "name": "schemathesis", "capacity": "SPC", "budget": "1000",
              "currency": "USD", "start_date": date.today().isoformat(), "status": "active", "gender_marker": "1"})
    assert created.status_code == 201, created.get_json()
    out["own_project"] = str(created.get_json()["id"])
    # And its own expert: every write to an existing expert is aimed at it.
    made = server.test_client().post(
        "/api/v1/experts", headers={"Authorization": f"Bearer {out['admin']}"},
        json={"staff_number": f"T{secrets.token_hex(4)}", "given_name": "Schema", "family_name": "Thesis",
              "gender": "undisclosed", "capacity": "SPC", "contract_type": "consultant"})
    assert made.status_code == 201, made.get_json()
    out["own_expert"] = str(made.get_json()["id"])
    # The run's own funding records: every write to an existing one is aimed at them, never at the baseline's.
    out["funding"] = _own_funding(server.test_client(), {"Authorization": f"Bearer {out['admin']}"})
    yield out
    with session_scope(factory) as s:
        s.execute(delete(Deployment).where(Deployment.id > last_deployment))
        s.execute(delete(SurgeRequest).where(SurgeRequest.id > last_request))
        s.execute(delete(Project).where(Project.id > last_project))  # its parts and site links go with it
        s.execute(delete(Expert).where(Expert.id > last_expert))
        for model, last in last_knowledge.items():  # recommendations, gaps and attachments go with them
            s.execute(delete(model).where(model.id > last))
        for model, last in last_funding.items():
            s.execute(delete(model).where(model.id > last))
        for currency, month in set(s.execute(select(ExchangeRate.currency, ExchangeRate.month)).all()) - rates_before:
            s.execute(delete(ExchangeRate).where(ExchangeRate.currency == currency, ExchangeRate.month == month))
        s.execute(delete(ApiToken).where(ApiToken.id.in_(token_ids)))
        s.execute(delete(User).where(User.id.in_(user_ids)))


def _own_funding(client, headers: dict[str, str]) -> dict[str, object]:
    def post(path: str, body: dict[str, object]) -> dict[str, object]:
        answer = client.post(f"/api/v1/funding/{path}", json=body, headers=headers)
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()

    donor = post("donors", {"name": "Schemathesis donor", "kind": "other"})
    grant = post("grants", {"reference": "T-SCHEMA-1", "fund_id": 1, "donor_id": donor["id"], "title": "schema",
                            "amount": "1130", "currency": "USD", "start_date": "2026-01-01",
                            "end_date": "2026-12-31", "psc_rate": "0.13"})
    allocation = post("allocations", {"grant_id": grant["id"], "purpose": "schema", "amount": "100",
                                      "allocated_on": "2026-01-01"})
    spent = post("expenditures", {"document_number": "T-SCHEMA-1", "allocation_id": allocation["id"],
                                  "spent_on": "2026-02-01", "amount": "1", "currency": "USD", "category": "other"})
    post("rates", {"currency": "XSC", "month": "2026-11", "usd_per_unit": "1"})
    return {"donor_id": donor["id"], "grant_id": grant["id"], "allocation_id": allocation["id"],
            "expenditure_id": spent["id"], "currency": "XSC", "month": "2026-11"}


@pytest.fixture(scope="module")
def api_schema(server, api_tokens):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", server, config=CONFIG,
                                          headers={"Authorization": f"Bearer {api_tokens['admin']}"})


def _failures(api_schema, token: str, own: dict[str, Any]) -> list[str]:
    """Every operation, positive then negative data; the failures found, one line each.

    schemathesis' pytest loader (``from_fixture``) does not run under pytest 9, so each operation's
    strategy is driven by Hypothesis here, the way schemathesis' own runner does it.
    """
    found: list[str] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        writes = operation.method.upper() != "GET"
        fixed: dict[str, object] | None = None
        if writes and "{expert_id}" in operation.path:
            # A part's row: one the run's expert does not have (schemathesis cannot fix only some path parameters).
            fixed = {"expert_id": own["own_expert"], **({"key": "0"} if "{key}" in operation.path else {})}
        elif writes and "{key}" in operation.path:
            fixed = {"key": own["own_request"]}
        elif writes and "{pid}" in operation.path:
            fixed = {"pid": int(own["own_project"])}
        if writes and "/funding/" in operation.path:
            fixed = {k: v for k, v in own["funding"].items() if f"{{{k}}}" in operation.path} or None
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed))
            @settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            def run(case) -> None:
                # identity: the WSGI transport hands schemathesis the body as sent, and flask-compress would
                # otherwise brotli it for the Accept-Encoding the test client advertises.
                case.call_and_validate(headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"},
                                       checks=CHECKS)

            try:
                run()
            except (Exception, BaseExceptionGroup) as error:  # each failure is collected, reported below
                found.append(f"{operation.label} [{mode.value}]: {type(error).__name__}: {str(error)[:1500]}")
    return found


@pytest.mark.parametrize("role", ["admin", "briefing"])
def test_api_conforms_to_its_document(api_schema, api_tokens, role: str) -> None:
    found = _failures(api_schema, api_tokens[role], api_tokens)
    assert not found, f"{len(found)} operation(s) fail:\n" + "\n\n".join(found)
