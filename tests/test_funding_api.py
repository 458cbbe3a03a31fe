"""/api/v1/funding: writes with ETag/If-Match, every problem at its field as problem+json, the database's rules
naming the grant and amounts, the donor report, and the roles (finance and admin write; the briefing role reads
nothing)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import Date, delete, func, select

from models import Allocation, Expenditure, Fund, Grant
from models.db import session_scope

API = "/api/v1/funding"


@pytest.fixture
def cleanup(server) -> Iterator[None]:
    yield
    with session_scope(server.extensions["hub"].session_factory) as s:
        ids = select(Grant.id).where(Grant.reference.like("T-API-%")).scalar_subquery()
        alloc = select(Allocation.id).where(Allocation.grant_id.in_(ids)).scalar_subquery()
        s.execute(delete(Expenditure).where(Expenditure.allocation_id.in_(alloc)))
        s.execute(delete(Allocation).where(Allocation.grant_id.in_(ids)))
        s.execute(delete(Grant).where(Grant.reference.like("T-API-%")))


def _fund(session) -> int:
    return session.scalars(select(Fund.id).where(Fund.code == "XB-POLICE")).one()


def _grant(client, session, **kw):
    body = {"reference": "T-API-1", "fund_id": _fund(session), "title": "API grant", "amount": "11300",
            "currency": "EUR", "start_date": "2026-01-01", "end_date": "2026-12-31", "psc_rate": "0.13", **kw}
    return client.post(f"{API}/grants", json=body)


def test_finance_creates_allocates_spends_and_reads_the_figures(logged_in, session, cleanup) -> None:
    client = logged_in("finance")
    created = _grant(client, session)
    assert created.status_code == 201, created.get_json()
    grant = created.get_json()
    assert created.headers["ETag"] == '"v1"' and grant["reference"] == "T-API-1" and grant["amount"] == "11300"
    alloc = client.post(f"{API}/allocations", json={"grant_id": grant["id"], "purpose": "Training",
                                                    "amount": "10000", "allocated_on": "2026-01-05"})
    assert alloc.status_code == 201 and alloc.get_json()["currency"] == "EUR"
    over = client.post(f"{API}/allocations", json={"grant_id": grant["id"], "purpose": "More", "amount": "0.01",
                                                   "allocated_on": "2026-01-05", "cost_centre": "X"})
    assert over.status_code == 422 and over.mimetype == "application/problem+json"
    error = over.get_json()["errors"][0]
    assert (error["field"], error["code"]) == ("amount", "over_allocated")
    assert "T-API-1" in error["message"] and "10000.01" in error["message"] and "10000.00" in error["message"]
    spend = client.post(f"{API}/expenditures", json={
        "document_number": "t-api-d1", "allocation_id": alloc.get_json()["id"], "spent_on": "2026-03-01",
        "amount": "2500", "currency": "EUR", "category": "training"})
    assert spend.status_code == 201, spend.get_json()
    late = client.post(f"{API}/expenditures", json={
        "document_number": "T-API-D2", "allocation_id": alloc.get_json()["id"], "spent_on": "2027-03-01",
        "amount": "1", "currency": "EUR", "category": "training"})
    assert late.get_json()["errors"][0]["code"] == "outside_grant"
    detail = client.get(f"{API}/grants/{grant['id']}").get_json()
    assert (detail["allocated"], detail["spent"], detail["available"]) == ("10000.00", "2500.00", "7500.00")
    assert [e["document_number"] for e in detail["expenditures"]] == ["T-API-D1"]
    listed = client.get(f"{API}/grants").get_json()["items"]
    assert any(g["reference"] == "T-API-1" and g["spent"] == "2500.00" for g in listed)


def test_every_problem_at_its_field_in_french(logged_in, session, cleanup) -> None:
    client = logged_in("finance")
    response = client.post(f"{API}/grants?lang=fr", json={"reference": "", "fund_id": _fund(session), "title": "x",
                                                         "amount": "abc", "currency": "EURO",
                                                         "start_date": "2026-05-01", "end_date": "2026-01-01",
                                                         "psc_rate": "0.13"}, headers={"Accept-Language": "fr"})
    assert response.status_code == 422
    fields = {e["field"]: e["code"] for e in response.get_json()["errors"]}
    assert fields == {"reference": "required", "amount": "not_a_number", "currency": "too_long",
                      "end_date": "date_order"}


def test_an_edit_needs_if_match_and_a_stale_one_is_refused(logged_in, session, cleanup) -> None:
    client = logged_in("finance")
    grant = _grant(client, session).get_json()
    url = f"{API}/grants/{grant['id']}"
    assert client.patch(url, json={"title": "No version"}).status_code == 428
    ok = client.patch(url, json={"title": "Renamed"}, headers={"If-Match": '"v1"'})
    assert ok.status_code == 200 and ok.headers["ETag"] == '"v2"' and ok.get_json()["title"] == "Renamed"
    assert client.patch(url, json={"title": "Stale"}, headers={"If-Match": '"v1"'}).status_code == 412
    stale = client.patch(url, json={"title": "Stale", "version": 1})
    assert stale.status_code == 409 and stale.get_json()["fields"] == ["title"]
    closed = client.post(f"{url}/status", json={"status": "closed", "version": 2})
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"


def test_donor_report_files(logged_in, session, cleanup) -> None:
    client = logged_in("finance")
    grant = _grant(client, session).get_json()
    xlsx = client.get(f"{API}/grants/{grant['id']}/report.xlsx?lang=fr")
    assert xlsx.status_code == 200 and "donor-report" in xlsx.headers["Content-Disposition"]
    assert load_workbook(io.BytesIO(xlsx.data)).worksheets[0]["B2"].value == "T-API-1"
    pdf = client.get(f"{API}/grants/{grant['id']}/report.pdf")
    assert pdf.mimetype == "application/pdf" and "T-API-1" in PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()


def test_roles(logged_in, session, cleanup) -> None:
    viewer = logged_in("viewer")
    assert viewer.get(f"{API}/grants").status_code == 200
    assert _grant(viewer, session).status_code == 403
    planner = logged_in("planner")
    assert planner.post(f"{API}/rates", json={"currency": "XOF", "month": "2026-11",
                                              "usd_per_unit": "1"}).status_code == 403
    briefer = logged_in("briefing")
    assert briefer.get(f"{API}/grants").status_code == 403
    assert briefer.get(f"{API}/rates").status_code == 403


def test_a_month_without_a_rate_is_named_by_the_api_and_the_chart(logged_in, server) -> None:
    """The rate of the month with most euro spending is removed (committed, then put back): the analytics API
    names the month and the amount left out, and the map's chart says so under its bars."""
    from datetime import date as date_

    from dashboard.components.map_charts import funding_figure
    from models import ExchangeRate
    from services.analytics.filters import MapFilter
    from services.analytics.funding import funding_summary

    factory = server.extensions["hub"].session_factory
    filt = MapFilter.default()
    with session_scope(factory) as s:
        first_day = func.date_trunc("month", Expenditure.spent_on).cast(Date)
        month = s.execute(
            select(first_day, func.sum(Expenditure.amount))
            .where(Expenditure.currency == "EUR", Expenditure.spent_on.between(filt.start, filt.end))
            .group_by(first_day).order_by(func.sum(Expenditure.amount).desc()).limit(1)).one()[0]
        rate = s.get(ExchangeRate, ("EUR", month))
        kept = (rate.usd_per_unit, rate.version)
        s.delete(rate)
    try:
        body = logged_in("viewer").get("/api/v1/analytics/funding").get_json()
        label = f"EUR {month:%Y-%m}"
        assert body["unconverted"] == [label]
        assert [m["currency"] + " " + m["month"] for m in body["missing_rates"]] == [label]
        assert Decimal(body["missing_rates"][0]["amount"]) > 0
        with session_scope(factory) as s, server.test_request_context("/?lang=en"):
            figure = funding_figure(funding_summary(s, filt))
        assert any(label in a["text"] and "Not in USD" in a["text"] for a in figure["layout"]["annotations"])
    finally:
        with session_scope(factory) as s:
            s.add(ExchangeRate(currency="EUR", month=date_(month.year, month.month, 1), usd_per_unit=kept[0]))
