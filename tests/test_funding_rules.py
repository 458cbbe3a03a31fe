"""The funding rules the database keeps, whoever writes: allocations within a grant's net amount, spending inside
the grant's period and on open allocations, negative amounts only as reversals."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Allocation, Expenditure, Fund, Grant
from models.enums import ExpenditureCategory, RecordStatus


def _immediately(session: Session) -> None:
    """The rules are deferred to the commit (the tests' transaction is rolled back, never committed): check now."""
    session.flush()
    session.execute(text("SET CONSTRAINTS allocation_within_grant, expenditure_within_grant IMMEDIATE"))


def _refused(session: Session, rule: str) -> dict:
    with pytest.raises(IntegrityError) as caught, session.begin_nested():
        _immediately(session)
    diag = caught.value.orig.diag  # type: ignore[union-attr]
    assert diag.constraint_name in ("allocation_within_grant", "expenditure_within_grant")
    detail = json.loads(diag.message_detail)
    assert detail["rule"] == rule
    return detail


@pytest.fixture
def grant(session: Session) -> Grant:
    fund = session.scalars(select(Fund)).first()
    g = Grant(reference="TEST-RULES-1", fund_id=fund.id, title="Rules", amount=Decimal("113000.00"), currency="EUR",
              start_date=date(2026, 1, 1), end_date=date(2026, 12, 31), psc_rate=Decimal("0.13"))
    session.add(g)
    session.flush()
    return g


def _allocation(session: Session, grant: Grant, amount: str, **kw) -> Allocation:
    a = Allocation(grant_id=grant.id, purpose="Work", amount=Decimal(amount), currency=grant.currency,
                   allocated_on=grant.start_date, **kw)
    session.add(a)
    return a


def _expenditure(session: Session, allocation: Allocation, on: date, amount: str = "100.00", number: str = "D-1",
                 **kw) -> Expenditure:
    e = Expenditure(document_number=number, allocation_id=allocation.id, spent_on=on, amount=Decimal(amount),
                    currency=allocation.currency, category=ExpenditureCategory.OTHER, **kw)
    session.add(e)
    return e


def test_allocations_up_to_the_net_amount_pass(session: Session, grant: Grant) -> None:
    _allocation(session, grant, "60000.00")
    _allocation(session, grant, "40000.00")  # 100,000 = 113,000 / 1.13 exactly
    _immediately(session)


def test_over_allocation_is_refused_naming_the_grant_and_amounts(session: Session, grant: Grant) -> None:
    _allocation(session, grant, "60000.00")
    _allocation(session, grant, "40000.01")
    detail = _refused(session, "over_allocated")
    assert detail["grant"] == "TEST-RULES-1"
    assert Decimal(detail["allocated"]) == Decimal("100000.01")
    assert Decimal(detail["net"]) == Decimal("100000.00")
    assert detail["currency"] == "EUR"


def test_lowering_the_grant_below_its_allocations_is_refused(session: Session, grant: Grant) -> None:
    _allocation(session, grant, "90000.00")
    _immediately(session)
    grant.amount = Decimal("100000.00")  # net 88,495.58
    detail = _refused(session, "over_allocated")
    assert Decimal(detail["net"]) == Decimal("88495.58")


def test_a_rise_and_its_allocation_in_either_order_pass_at_commit(session: Session, grant: Grant) -> None:
    """Deferred: the allocation first, then the grant's rise, in one transaction."""
    _allocation(session, grant, "150000.00")
    session.flush()
    grant.amount = Decimal("169500.00")
    _immediately(session)


def test_an_allocation_in_another_currency_is_refused(session: Session, grant: Grant) -> None:
    a = _allocation(session, grant, "10.00")
    a.currency = "USD"
    assert _refused(session, "allocation_currency")["currency"] == "EUR"


def test_spending_outside_the_grant_period_is_refused(session: Session, grant: Grant) -> None:
    a = _allocation(session, grant, "1000.00")
    session.flush()
    _expenditure(session, a, date(2026, 12, 31))
    _immediately(session)
    _expenditure(session, a, date(2027, 1, 1), number="D-2")
    detail = _refused(session, "outside_period")
    assert detail["grant"] == "TEST-RULES-1" and detail["document_number"] == "D-2"
    assert detail["end"] == "2026-12-31" and detail["spent_on"] == "2027-01-01"


def test_shortening_a_grant_past_its_spending_is_refused(session: Session, grant: Grant) -> None:
    a = _allocation(session, grant, "1000.00")
    session.flush()
    _expenditure(session, a, date(2026, 11, 15))
    _immediately(session)
    grant.end_date = date(2026, 10, 31)
    assert _refused(session, "outside_period")["document_number"] == "D-1"


def test_spending_on_a_closed_allocation_is_refused(session: Session, grant: Grant) -> None:
    a = _allocation(session, grant, "1000.00", status=RecordStatus.CLOSED)
    session.flush()
    _expenditure(session, a, date(2026, 3, 1))
    detail = _refused(session, "closed_allocation")
    assert detail["grant"] == "TEST-RULES-1" and Decimal(detail["amount"]) == Decimal("100.00")


def test_a_negative_amount_only_as_a_reversal(session: Session, grant: Grant) -> None:
    a = _allocation(session, grant, "1000.00")
    session.flush()
    _expenditure(session, a, date(2026, 3, 1), amount="-50.00", number="R-1", is_reversal=True)
    session.flush()
    with pytest.raises(IntegrityError, match="negative_only_reversal"), session.begin_nested():
        _expenditure(session, a, date(2026, 3, 1), amount="-50.00", number="R-2")
        session.flush()


def test_document_numbers_are_unique(session: Session, grant: Grant) -> None:
    a = _allocation(session, grant, "1000.00")
    session.flush()
    _expenditure(session, a, date(2026, 3, 1), number="SAME")
    session.flush()
    with pytest.raises(IntegrityError, match="uq_expenditure_document_number"), session.begin_nested():
        _expenditure(session, a, date(2026, 3, 2), number="SAME")
        session.flush()


def test_money_columns_are_numeric(session: Session) -> None:
    types = dict(session.execute(text(
        "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns WHERE table_schema = "
        "'public' AND (column_name IN ('amount', 'usd_per_unit'))")).all())
    assert types["exchange_rate.usd_per_unit"] == "numeric"
    assert {types["allocation.amount"], types["expenditure.amount"], types["grant_agreement.amount"]} == {"numeric"}
