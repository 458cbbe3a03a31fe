"""The briefing view's people counts come from one set of rows and are suppressed together: the counts equal the
analytics services' own SQL aggregates, and every edge (page, API, files, pack) shows the same suppressed view."""

from __future__ import annotations

from sqlalchemy import func, select

from models.enums import Role
from services.access import Principal
from services.analytics.filters import MapFilter
from services.analytics.gender import gender_summary
from services.analytics.personnel import deployed_on_day
from services.analytics.scope import deployments_in_scope, place_country
from services.briefing.aggregates import briefing_view, protect_view
from tests.factories import world_filter

T = 5
BRIEFER = Principal(0, "briefer", Role.BRIEFING)


def test_counts_equal_the_sql_aggregates(session) -> None:  # type: ignore[no-untyped-def]
    from models import Capacity, Country, Deployment, Mission

    for filt in (world_filter(), MapFilter.from_query({"start": "2025-01-01", "end": "2025-12-31"}),
                 MapFilter.from_query({"start": "2025-10-01", "end": "2025-12-31", "capacity": "SPC"})):
        joint = protect_view(session, filt, ["JCSC", "SPC"], T, False)
        people = joint["protection"].values
        base = deployments_in_scope(filt, Mission.acronym.label("m"), place_country().label("k"),
                                    Capacity.code.label("c"), Deployment.expert_id.label("e")).subquery()
        for key, table in ((base.c.m, "missions"), (base.c.k, "countries")):
            sql = {(k, c): n for k, c, n in session.execute(
                select(key, base.c.c, func.count(func.distinct(base.c.e))).group_by(key, base.c.c))}
            assert {k: v for k, v in people.items() if k[0] == table and v and "TOTAL" not in repr(k)} == {
                (table, *k): v for k, v in sql.items()}
        g = gender_summary(session, filt)
        assert {k[1]: v for k, v in people.items() if k[0] == "gender"} == g.experts_by_gender
        assert {k[1]: v for k, v in people.items() if k[0] == "marker" and isinstance(k[1], str)} == g.by_marker
        assert people[("figures", "deployed_on_day")] == deployed_on_day(session, filt)
        distinct = session.scalar(select(func.count(func.distinct(base.c.e))))
        assert people[("figures", "experts_deployed")] == distinct
        regions = {(r if r is not None else "—", c): n for r, c, n in session.execute(
            select(Country.region, base.c.c, func.count(func.distinct(base.c.e)))
            .outerjoin(Country, Country.iso3 == base.c.k).group_by(Country.region, base.c.c))}
        assert {(k[1], k[2]): v for k, v in people.items() if k[0] == "regions" and v and "TOTAL" not in repr(k)} \
            == regions
        periods = {(b, c): n for b, c, n in session.execute(personnel_by_period(filt))}
        assert {(k[1], k[2]): v for k, v in people.items() if k[0] == "periods" and v and "TOTAL" not in repr(k)} \
            == periods


def personnel_by_period(filt: MapFilter):  # type: ignore[no-untyped-def]
    """Distinct experts by period bucket and capacity, as the briefing counted them before (one SQL query)."""
    from sqlalchemy import Date, column, values

    from models import Capacity, Deployment
    from services.analytics.personnel import buckets
    from services.analytics.scope import day_range

    b = values(column("b0", Date), column("b1", Date), name="b").data(buckets(filt.start, filt.end))
    return (deployments_in_scope(filt, b.c.b0, Capacity.code, func.count(func.distinct(Deployment.expert_id)),
                                 when="any")
            .join(b, Deployment.period.op("&&")(day_range(b.c.b0, b.c.b1))).group_by(b.c.b0, Capacity.code))


def test_every_edge_and_language_shows_the_same_numbers(logged_in, session) -> None:  # type: ignore[no-untyped-def]
    """One protection for the view: the API in English and French, the CSV files and the view the pack is built
    from hide the same numbers (two answers that hid different ones would together show more than either)."""
    import csv
    import io

    client = logged_in("briefing")
    query = {"start": "2025-01-01", "end": "2025-12-31"}
    en = client.get("/api/v1/briefing", query_string=query).get_json()["tables"]
    fr = client.get("/api/v1/briefing", query_string={**query, "lang": "fr"}).get_json()["tables"]
    view = briefing_view(session, BRIEFER, MapFilter.from_query(query), threshold=T, locale="fr")
    for name, key in (("missions", "mission"), ("countries", "iso3"), ("regions", "region")):
        def numbers(rows):  # type: ignore[no-untyped-def]
            return {(str(r[key]), c): r[c] for r in rows for c in ("SPC", "JCSC", "total")}

        assert numbers(en[name]) == numbers(fr[name])
        text = client.get(f"/briefing/table/{name}.csv", query_string=query).get_data(as_text=True)
        rows = [{k: (int(v) if v not in ("", None) else None) if k in ("SPC", "JCSC", "total") else v
                 for k, v in r.items()} for r in csv.DictReader(io.StringIO(text))]
        assert numbers(rows) == numbers(en[name])
    assert {(r["mission"], c): r[c] for r in en["missions"] for c in ("SPC", "JCSC")} == {
        (m, c): view.by_mission.cells[(m, c)] for m in view.by_mission.rows for c in ("SPC", "JCSC")}
    assert view.audit is not None and view.audit.primary > 0 and view.audit.hidden >= view.audit.primary
