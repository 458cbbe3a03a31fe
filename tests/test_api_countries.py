"""Country codes at the edges are ISO 3166-1 alpha-3; Natural Earth's ADM0_A3 stays the key inside.

South Sudan is SDS to Natural Earth and SSD to everyone else: /countries/SSD answers, /countries/SDS is a
404 that names SSD, the analytics filter takes SSD, and the codes that leave the hub (lists, mission hosts,
sites, OGC, the map's downloads, the briefing tables) are ISO codes.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from geo.reference_files import DATA_DIR, read_countries
from models import Country, Site

PROBLEM = "application/problem+json"
WIDE = "start=2000-01-01&end=2026-12-31"


def test_natural_earth_quirks_become_iso_codes() -> None:
    codes = {c.iso3: c.iso_a3 for c in read_countries(DATA_DIR / "naturalearth" / "ne_110m_admin_0_countries.shp")}
    assert codes["SDS"] == "SSD" and codes["SAH"] == "ESH" and codes["PSX"] == "PSE"
    assert codes["FRA"] == "FRA" and codes["NOR"] == "NOR"  # ISO_A3 -99: from ISO_A3_EH, ADM0_A3_IS
    assert codes["KOS"] == "XKX"  # no ISO code: the UN's and EU's
    assert codes["CYN"] is None and codes["SOL"] is None  # ISO counts them in Cyprus and Somalia
    known = [c for c in codes.values() if c]
    assert len(known) == len(set(known))
    # The analytics filter also takes Natural Earth's keys (links saved before): none is another's ISO code.
    assert not {k for k, iso in codes.items() if k != iso} & set(known)


def test_countries_speak_iso(logged_in, session) -> None:
    client = logged_in("viewer")
    listed = client.get("/api/v1/countries").get_json()["items"]
    codes = {c["iso3"] for c in listed}
    assert {"SSD", "ESH", "PSE", "XKX", "FRA", "NOR"} <= codes and not {"SDS", "SAH", "PSX", "KOS"} & codes
    assert len(codes) == len(listed)
    south_sudan = client.get("/api/v1/countries/SSD")
    assert south_sudan.status_code == 200 and south_sudan.get_json()["name"] == "S. Sudan"
    assert "UNMISS" in {m["acronym"] for m in south_sudan.get_json()["missions"]}
    assert client.get("/api/v1/countries/ssd").status_code == 200
    old = client.get("/api/v1/countries/SDS")
    assert old.status_code == 404 and old.mimetype == PROBLEM and "SSD" in old.get_json()["detail"]
    features = client.get("/api/v1/countries?with_geometry=true&region=Africa").get_json()["features"]
    assert "SSD" in {f["properties"]["iso3"] for f in features}
    assert session.scalar(select(Country.iso_a3).where(Country.iso3 == "SDS")) == "SSD"  # the key is kept


def test_mission_hosts_sites_and_ogc_speak_iso(logged_in, session) -> None:
    client = logged_in("viewer")
    assert "SSD" in client.get("/api/v1/missions?q=UNMISS").get_json()["items"][0]["host_countries"]
    assert {"iso3": "SSD", "name": "S. Sudan"} in client.get("/api/v1/missions/UNMISS").get_json()["host_countries"]
    assert session.scalar(select(Site.id).where(Site.country_iso3 == "SDS").limit(1)) is not None
    sites = client.get("/api/v1/sites?mission=UNMISS&limit=1000").get_json()["features"]
    site_codes = {f["properties"]["country_iso3"] for f in sites}
    assert "SSD" in site_codes and "SDS" not in site_codes
    ogc = client.get("/ogc/collections/sites/items?limit=1000&bbox=24,3,36,13").get_json()["features"]
    assert "SSD" in {f["properties"]["country_iso3"] for f in ogc}
    assert "SDS" not in {f["properties"]["country_iso3"] for f in ogc}


def test_experts_nationality_is_iso(logged_in, session) -> None:
    from models import Expert

    expert_id = session.scalar(select(Expert.id).order_by(Expert.id).limit(1))
    saved = session.scalar(select(Expert.nationality_iso3).where(Expert.id == expert_id))
    client = logged_in("admin")
    # Committed by the app's own session: set a South Sudanese nationality for the test, then put it back.
    from models.db import session_scope

    factory = client.application.extensions["hub"].session_factory
    with session_scope(factory) as s:
        s.get(Expert, expert_id).nationality_iso3 = "SDS"
    try:
        assert client.get(f"/api/v1/experts/{expert_id}").get_json()["nationality_iso3"] == "SSD"
        page = client.get("/api/v1/experts?limit=1000").get_json()["items"]
        assert {e["nationality_iso3"] for e in page if e["id"] == expert_id} == {"SSD"}
    finally:
        with session_scope(factory) as s:
            s.get(Expert, expert_id).nationality_iso3 = saved


def test_analytics_filter_and_downloads_take_and_give_iso(logged_in) -> None:
    client = logged_in("admin")
    by_iso = client.get(f"/api/v1/analytics/missions?{WIDE}&country=SSD").get_json()
    assert by_iso["filter"]["country"] == "SSD"
    assert "UNMISS" in {m["acronym"] for m in by_iso["items"]}
    assert client.get(f"/api/v1/analytics/missions?{WIDE}&country=SDS").get_json()["items"] == by_iso["items"]
    figures = client.get(f"/api/v1/analytics/key-figures?{WIDE}&country=SSD").get_json()
    assert figures["deployed_now"] is not None
    download = client.get(f"/map/download/deployments.geojson?{WIDE}&country=SSD")
    assert download.status_code == 200
    countries = {f["properties"]["country"] for f in json.loads(download.get_data())["features"]}
    assert countries == {"SSD"}
    table = client.get(f"/api/v1/briefing/tables/countries?{WIDE}").get_json()["rows"]
    assert "SSD" in {r["iso3"] for r in table} and "SDS" not in {r["iso3"] for r in table}


def test_briefing_files_give_iso_like_the_api(logged_in) -> None:
    import csv
    import io

    client = logged_in("admin")
    api = client.get(f"/api/v1/briefing/tables/countries?{WIDE}").get_json()["rows"]
    response = client.get(f"/briefing/table/countries.csv?{WIDE}")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["iso3"] for r in rows] == [r["iso3"] for r in api]
    assert "SSD" in {r["iso3"] for r in rows} and "SDS" not in {r["iso3"] for r in rows}
