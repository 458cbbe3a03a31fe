"""Funding records through their services: rule books, the database's rules as problems naming the grant and
the amounts, stale versions refused with who changed what, audited before/after values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AuditEvent, Fund
from models.enums import RecordStatus, Role
from services.access import Principal
from services.errors import Forbidden
from services.funding import records
from services.funding.records import ALLOCATIONS, EXPENDITURES, GRANTS, RATES
from services.records import Problems, StaleEdit, VersionRequired

FINANCE = Principal(0, "t-finance", Role.FINANCE)


def _grant(session: Session, **kw) -> object:
    fund = session.scalars(select(Fund).where(Fund.code == "XB-ROL")).one()
    data = {"reference": "t-grant-1", "fund_id": fund.id, "title": "Test grant", "amount": "113000",
            "currency": "eur", "start_date": "2026-01-01", "end_date": "2026-12-31", "psc_rate": "0.13",
            "reporting_dates": "2026-06-30, 2026-12-31", **kw}
    return records.create(session, FINANCE, GRANTS, data)


def _problems(error: pytest.ExceptionInfo[Problems]) -> dict[str, tuple[str, dict]]:
    return {p.field: (p.code, dict(p.params)) for p in error.value.problems}


def test_a_grant_is_created_cleaned_and_audited(session: Session) -> None:
    grant = _grant(session)
    assert (grant.reference, grant.currency, grant.amount) == ("T-GRANT-1", "EUR", Decimal("113000"))
    assert grant.reporting_dates == [date(2026, 6, 30), date(2026, 12, 31)] and grant.status == RecordStatus.OPEN
    event = session.scalars(select(AuditEvent).where(AuditEvent.entity == "grant",
                                                     AuditEvent.entity_id == str(grant.id))).one()
    assert event.action == "grant.create" and event.detail["created"]["amount"] == "113000"


def test_every_problem_of_a_grant_at_its_field(session: Session) -> None:
    with pytest.raises(Problems) as caught:
        records.create(session, FINANCE, GRANTS, {"reference": "", "fund_id": 1, "title": "x", "amount": "-5",
                                                  "currency": "E1R", "start_date": "2026-05-01",
                                                  "end_date": "2026-04-01", "psc_rate": "0.13",
                                                  "earmark_theme": "Police", "earmark_capacity_id": 1})
    found = _problems(caught)
    assert found["reference"][0] == "required" and found["amount"][0] == "range"
    assert found["currency"][0] == "not_currency" and found["end_date"][0] == "date_order"
    assert found["earmark_theme"][0] == "one_earmark"


def test_an_unknown_fund_or_donor_is_named(session: Session) -> None:
    with pytest.raises(Problems) as caught:
        _grant(session, donor_id=999999)
    assert _problems(caught)["donor_id"] == ("unknown", {"value": 999999})


def test_a_reference_taken_is_refused_at_its_field(session: Session) -> None:
    _grant(session)
    with pytest.raises(Problems) as caught:
        _grant(session)
    assert _problems(caught)["reference"][0] == "already_used"


def test_over_allocation_is_a_problem_naming_the_grant_and_amounts(session: Session) -> None:
    grant = _grant(session)
    base = {"grant_id": grant.id, "purpose": "Training", "allocated_on": "2026-01-15"}
    first = records.create(session, FINANCE, ALLOCATIONS, {**base, "amount": "60000"})
    assert first.currency == "EUR"  # the grant's
    with pytest.raises(Problems) as caught:
        records.create(session, FINANCE, ALLOCATIONS, {**base, "amount": "40000.01", "cost_centre": "CC2"})
    code, params = _problems(caught)["amount"]
    assert code == "over_allocated"
    assert params == {"grant": "T-GRANT-1", "allocated": "100000.01", "net": "100000.00", "currency": "EUR"}
    assert "T-GRANT-1" in str(caught.value) and "100000.00" in str(caught.value)
    # The refused write is undone; the session goes on.
    records.create(session, FINANCE, ALLOCATIONS, {**base, "amount": "40000", "cost_centre": "CC2"})


def test_spending_outside_the_period_or_on_a_closed_allocation(session: Session) -> None:
    grant = _grant(session)
    allocation = records.create(session, FINANCE, ALLOCATIONS, {"grant_id": grant.id, "purpose": "Work",
                                                                "amount": "1000", "allocated_on": "2026-01-15"})
    line = {"allocation_id": allocation.id, "amount": "10", "currency": "EUR", "category": "travel"}
    with pytest.raises(Problems) as caught:
        records.create(session, FINANCE, EXPENDITURES, {**line, "document_number": "D1", "spent_on": "2027-01-02"})
    assert _problems(caught)["spent_on"] == ("outside_grant", {
        "grant": "T-GRANT-1", "start": "2026-01-01", "end": "2026-12-31", "spent_on": "2027-01-02",
        "document_number": "D1"})
    with pytest.raises(Problems) as caught:
        records.create(session, FINANCE, EXPENDITURES, {**line, "document_number": "D1", "spent_on": "2026-03-02",
                                                        "currency": "USD"})
    assert _problems(caught)["currency"] == ("currency_mismatch", {"currency": "EUR"})
    records.create(session, FINANCE, EXPENDITURES, {**line, "document_number": "D1", "spent_on": "2026-03-02"})
    records.set_status(session, FINANCE, ALLOCATIONS, allocation.id, RecordStatus.CLOSED, allocation.version)
    with pytest.raises(Problems) as caught:
        records.create(session, FINANCE, EXPENDITURES, {**line, "document_number": "D2", "spent_on": "2026-03-03"})
    assert _problems(caught)["allocation_id"][0] == "closed_allocation"
    with pytest.raises(Problems) as caught:
        records.update(session, FINANCE, GRANTS, grant.id, {"end_date": "2026-02-28"}, grant.version)
    assert _problems(caught)["end_date"][0] == "spending_outside"


def test_a_negative_amount_only_as_a_reversal(session: Session) -> None:
    grant = _grant(session)
    allocation = records.create(session, FINANCE, ALLOCATIONS, {"grant_id": grant.id, "purpose": "Work",
                                                                "amount": "1000", "allocated_on": "2026-01-15"})
    line = {"allocation_id": allocation.id, "amount": "-10", "currency": "EUR", "category": "travel",
            "spent_on": "2026-03-02", "document_number": "R1"}
    with pytest.raises(Problems) as caught:
        records.create(session, FINANCE, EXPENDITURES, line)
    assert _problems(caught)["amount"][0] == "negative_not_reversal"
    assert records.create(session, FINANCE, EXPENDITURES, {**line, "is_reversal": "yes"}).is_reversal


def test_an_edit_needs_the_version_read_and_a_stale_one_says_who_changed_what(session: Session) -> None:
    grant = _grant(session)
    read = grant.version
    with pytest.raises(VersionRequired):
        records.update(session, FINANCE, GRANTS, grant.id, {"title": "New"}, None)
    other = Principal(0, "amina", Role.FINANCE)
    records.update(session, other, GRANTS, grant.id, {"title": "Changed by Amina"}, read)
    with pytest.raises(StaleEdit) as caught:
        records.update(session, FINANCE, GRANTS, grant.id, {"amount": "120000"}, read)
    assert caught.value.by == "amina" and caught.value.fields == ["title"]
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "grant.update",
                                                     AuditEvent.entity_id == str(grant.id))).one()
    assert event.detail["changes"] == {"title": {"before": "Test grant", "after": "Changed by Amina"}}


def test_a_closed_grant_is_not_edited_until_reopened(session: Session) -> None:
    grant = _grant(session)
    records.set_status(session, FINANCE, GRANTS, grant.id, RecordStatus.CLOSED, grant.version)
    with pytest.raises(Problems) as caught:
        records.update(session, FINANCE, GRANTS, grant.id, {"title": "x"}, grant.version)
    assert _problems(caught)["status"][0] == "closed_record"
    records.set_status(session, FINANCE, GRANTS, grant.id, RecordStatus.OPEN, grant.version)
    assert records.update(session, FINANCE, GRANTS, grant.id, {"title": "x"}, grant.version).title == "x"


def test_rates_are_kept_per_month(session: Session) -> None:
    rate = records.create(session, FINANCE, RATES, {"currency": "xof", "month": "2026-11",
                                                    "usd_per_unit": "0.00165"})
    assert (rate.currency, rate.month, rate.usd_per_unit) == ("XOF", date(2026, 11, 1), Decimal("0.00165"))
    with pytest.raises(Problems) as caught:
        records.create(session, FINANCE, RATES, {"currency": "XOF", "month": "2026-11-15", "usd_per_unit": "1"})
    assert _problems(caught)["month"][0] == "already_used"
    key = records.rate_key("XOF", "2026-11")
    records.update(session, FINANCE, RATES, key, {"usd_per_unit": "0.0017"}, rate.version)
    records.delete(session, FINANCE, RATES, key, rate.version)


def test_only_finance_and_admin_write(session: Session) -> None:
    for role in (Role.VIEWER, Role.PLANNER, Role.BRIEFING):
        with pytest.raises(Forbidden):
            records.create(session, Principal(0, "t", role), RATES, {"currency": "XOF", "month": "2026-11",
                                                                    "usd_per_unit": "1"})
