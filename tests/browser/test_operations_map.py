"""The operations map in a real browser: time controls, clicks on charts and map, shared links, role rules."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, timedelta
from itertools import pairwise
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import Capacity, Deployment, Expert, Layer, Mission, Site, User
from models.db import session_scope
from models.enums import DeploymentKind, DeploymentStatus, Role
from services import layers
from services.access import Principal
from services.analytics.filters import MapFilter
from tests.browser.actions import open_map, settle, show_overlay

pytestmark = pytest.mark.browser


def deployed_on(session: Session, day: date, mission: str | None = None, capacity: str | None = None,
                kind: str | None = None) -> int:
    """The database's own count of experts deployed on a day, written apart from the services."""
    stmt = (select(func.count(func.distinct(Deployment.expert_id)))
            .join(Mission, Mission.id == Deployment.mission_id)
            .join(Expert, Expert.id == Deployment.expert_id).join(Capacity, Capacity.id == Expert.capacity_id)
            .where(Deployment.status != DeploymentStatus.CANCELLED, Deployment.start_date <= day,
                   Deployment.end_date >= day))
    if mission:
        stmt = stmt.where(Mission.acronym == mission)
    if capacity:
        stmt = stmt.where(Capacity.code == capacity)
    if kind:
        stmt = stmt.where(Deployment.kind == kind)
    return session.scalar(stmt) or 0


def click_largest_bar(page: Page, graph_id: str, index: int | None = None) -> None:
    """Clicks the middle of a bar of a Plotly chart (the largest, or the index-th of the drawn ones)."""
    # Bars exist only in the real graph: the placeholder with the same id is swapped out once plotly.js has
    # loaded, which can come after the network is idle on a loaded machine (a scroll on it failed in CI).
    expect(page.locator(f"#{graph_id} .bars path").first).to_be_attached()
    page.locator(f"#{graph_id}").scroll_into_view_if_needed()
    boxes = page.eval_on_selector_all(
        f"#{graph_id} .bars path",
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; })")
    boxes = [b for b in boxes if b[2] > 3 and b[3] > 3]
    assert boxes, f"{graph_id} draws no bars"
    box = max(boxes, key=lambda b: b[2] * b[3]) if index is None else boxes[index]
    page.mouse.click(box[0] + box[2] / 2, box[1] + box[3] / 2)


def query_of(page: Page, having: str | None = None, lacking: str | None = None) -> dict[str, list[str]]:
    """The address bar's filter, once it has (or no longer has) a parameter: it is written client-side."""
    if having:
        page.wait_for_url(re.compile(rf"[?&]{having}="))
    if lacking:
        page.wait_for_url(lambda url: f"{lacking}=" not in url)
    return parse_qs(urlparse(page.url).query)


def test_viewer_filters_by_clicking_charts_and_steps_through_time(page: Page, login_as, session: Session) -> None:
    login_as("viewer")
    open_map(page)
    today = date.today()
    expect(page.locator("#map-kf-deployed")).to_have_text(str(deployed_on(session, today)))
    expect(page.locator("#map-status")).to_have_text(re.compile(rf"^{deployed_on(session, today)} experts? · "))
    # The map draws the base map and the layers (Leaflet paths in their panes).
    expect(page.locator(".leaflet-hub-places-pane path.leaflet-interactive").first).to_be_attached()

    # A click on the busiest mission's bar filters the map, the figures and the other charts.
    click_largest_bar(page, "map-chart-missions")
    expect(page.locator("#map-chips")).to_contain_text("Mission: ")
    settle(page)
    mission = query_of(page, having="mission")["mission"][0]
    expected = deployed_on(session, today, mission=mission)
    expect(page.locator("#map-kf-deployed")).to_have_text(str(expected))
    expect(page.locator("#map-status")).to_have_text(re.compile(rf"^{expected} experts? · "))

    # One week back: the as-of day and the count follow.
    page.click("#map-step-back")
    week_ago = today - timedelta(days=7)
    expect(page.locator("#map-as-of-label")).to_have_text(week_ago.isoformat())
    settle(page)
    expect(page.locator("#map-kf-deployed")).to_have_text(str(deployed_on(session, week_ago, mission=mission)))
    page.wait_for_url(re.compile(rf"as_of={week_ago.isoformat()}"))

    # A gender-marker bar adds its marker; a chip removes the mission again.
    click_largest_bar(page, "map-chart-gender")
    expect(page.locator("#map-chips")).to_contain_text("Gender marker")
    settle(page)
    assert "marker" in query_of(page, having="marker")
    page.locator("#map-chips button", has_text="Mission:").click()
    expect(page.locator("#map-chips")).not_to_contain_text("Mission:")
    settle(page)
    assert "mission" not in query_of(page, lacking="mission")

    page.click("#map-reset")
    expect(page.locator("#map-chips button")).to_have_count(0)
    settle(page)
    expect(page.locator("#map-kf-deployed")).to_have_text(str(deployed_on(session, today)))


def test_clicking_a_mission_on_the_map_filters_the_charts(page: Page, login_as, session: Session) -> None:
    login_as("viewer")
    open_map(page)
    # Mission HQ markers (their own pane, over the places); click one that is in view and not covered by another HQ.
    markers = ".leaflet-hub-missions-pane path.leaflet-interactive"
    index = page.evaluate("""(selector) => {
        const map = document.getElementById('map-map').getBoundingClientRect();
        const all = [...document.querySelectorAll(selector)];
        for (const [i, el] of all.entries()) {
            const r = el.getBoundingClientRect();
            const x = r.x + r.width / 2, y = r.y + r.height / 2;
            if (x > map.left + 60 && x < map.right - 60 && y > map.top + 60 && y < map.bottom - 20
                && document.elementFromPoint(x, y) === el) { return i; }
        }
        return null;
    }""", markers)
    assert index is not None, "a mission HQ marker is in view"
    # A locator click waits until the marker is stable and is the one hit at the click point: a late answer can
    # redraw the layers, and a click at coordinates computed before that could land on nothing (seen in CI once).
    page.locator(markers).nth(index).click()
    # Two round trips (the click's filter edit, then the charts); generous on a loaded machine.
    expect(page.locator("#map-chips")).to_contain_text("Mission: ", timeout=30_000)
    settle(page)
    mission = query_of(page, having="mission")["mission"][0]
    expect(page.locator("#map-kf-deployed")).to_have_text(str(deployed_on(session, date.today(), mission=mission)))


def test_a_shared_link_opens_the_same_view(page: Page, login_as, session: Session) -> None:
    login_as("viewer")
    counts = Counter(a for (a,) in session.execute(
        select(Mission.acronym).join(Deployment, Deployment.mission_id == Mission.id)))
    mission = counts.most_common(1)[0][0]
    day = date.today() - timedelta(days=30)
    start, end = date.today() - timedelta(days=200), date.today()
    link = (f"/map?start={start.isoformat()}&end={end.isoformat()}&as_of={day.isoformat()}"
            f"&capacity=SPC&mission={mission}&kind={DeploymentKind.SURGE},{DeploymentKind.ASSESSMENT}")
    open_map(page, link)
    chips = page.locator("#map-chips")
    expect(chips).to_contain_text("Capacity: SPC")
    expect(chips).to_contain_text(f"Mission: {mission}")
    expect(chips).to_contain_text("Deployment kind: Surge")
    expect(chips).to_contain_text("Deployment kind: Assessment")
    expect(page.locator("#map-as-of-label")).to_have_text(day.isoformat())
    expected = sum(deployed_on(session, day, mission=mission, capacity="SPC", kind=k)
                   for k in (DeploymentKind.SURGE, DeploymentKind.ASSESSMENT))
    expect(page.locator("#map-kf-deployed")).to_have_text(str(expected))
    # The address bar keeps the same filter.
    query = query_of(page, having="mission")
    assert query["mission"] == [mission] and query["capacity"] == ["SPC"] and query["as_of"] == [day.isoformat()]


def test_a_broken_link_says_what_is_wrong_and_shows_the_default(page: Page, login_as) -> None:
    login_as("viewer")
    open_map(page, "/map?start=2025-02-30")
    expect(page.locator("#map-link-error")).to_contain_text("start is not a date")
    expect(page.locator("#map-kf-deployed")).to_be_visible()


def _apply_response(page: Page) -> dict[str, Any]:
    """The data the server sent for the map's places (what reaches the browser, not what is drawn)."""
    with page.expect_response(
        lambda r: "/_dash-update-component" in r.url and "map-places.data" in (r.request.post_data or "")
        and "map-chart-availability.figure" in (r.request.post_data or "")
    ) as response:
        page.goto("/map")
    assert response.value.ok, response.value.text()
    return response.value.json()["response"]


@pytest.mark.parametrize(("role", "names", "funding"), [("viewer", True, True), ("gis_editor", False, False)])
def test_popups_and_funding_follow_the_role(page: Page, login_as, role: str, names: bool, funding: bool) -> None:
    login_as(role)
    response = _apply_response(page)
    features = response["map-places"]["data"]["features"]
    assert features
    assert all(("names" in f["properties"]) == names for f in features)
    text = json.dumps(response)
    assert "staff_number" not in text and "email" not in text and not re.search(r'"expert_id"', text)
    funding_figure = json.dumps(response["map-chart-funding"]["figure"])
    assert ("not available to your role" in funding_figure) != funding


def test_briefing_role_cannot_open_the_map(page: Page, login_as) -> None:
    login_as("briefing")
    page.goto("/map")
    expect(page.locator("#page-forbidden")).to_be_visible()
    expect(page.locator("#map-map")).to_have_count(0)


def test_a_drawn_rectangle_filters_the_charts(page: Page, login_as, session: Session) -> None:
    login_as("viewer")
    open_map(page)
    box = page.locator("#map-map").bounding_box()
    assert box
    page.click(".leaflet-draw-draw-rectangle")
    # From the Sahara to the Congo basin, at the default view.
    x0, y0 = box["x"] + box["width"] * 0.35, box["y"] + box["height"] * 0.35
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + box["width"] * 0.3, y0 + box["height"] * 0.35, steps=8)
    page.mouse.up()
    expect(page.locator("#map-chips")).to_contain_text("Drawn area")
    area = json.loads(query_of(page, having="area")["area"][0])
    settle(page)
    # The database's own answer for that shape: experts deployed today at a site (else the HQ) inside it.
    shape = func.ST_SetSRID(func.ST_GeomFromGeoJSON(json.dumps(area)), 4326)
    today = date.today()
    expected = session.scalar(
        select(func.count(func.distinct(Deployment.expert_id)))
        .join(Mission, Mission.id == Deployment.mission_id)
        .outerjoin(Site, Site.id == Deployment.site_id)
        .where(Deployment.status != DeploymentStatus.CANCELLED, Deployment.start_date <= today,
               Deployment.end_date >= today,
               func.ST_Intersects(func.coalesce(Site.location, Mission.hq), shape)))
    assert 0 < expected < deployed_on(session, today), "the rectangle holds some of today's deployments, not all"
    expect(page.locator("#map-kf-deployed")).to_have_text(str(expected))
    # Removing the chip clears the drawing and the filter.
    page.locator("#map-chips button", has_text="Drawn area").click()
    expect(page.locator("#map-chips")).not_to_contain_text("Drawn area")
    query_of(page, lacking="area")
    settle(page)
    expect(page.locator("#map-kf-deployed")).to_have_text(str(deployed_on(session, today)))


# --- what each user saw (issue 12) --------------------------------------------------------------------------
def bar_widths(page: Page, graph_id: str) -> list[float]:
    expect(page.locator(f"#{graph_id} .bars path").first).to_be_attached()
    return page.eval_on_selector_all(f"#{graph_id} .bars path", "els => els.map(e => e.getBoundingClientRect().width)")


def test_availability_bars_are_readable_at_any_period(page: Page, login_as) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    login_as("viewer")
    open_map(page)
    # The default period is the last twelve whole months.
    today = date.today()
    first = MapFilter.default().start  # 335 days back from the 1st missed by a month on 1 December
    expect(page.locator("#map-period")).to_have_value(first.isoformat())
    widths = bar_widths(page, "map-chart-availability")
    assert len(widths) >= 12 * 4 and min(widths) >= 20, widths  # 13 monthly bars of 4 statuses; they were 2 px
    # Thirty years: yearly bars, still several pixels wide.
    open_map(page, f"/map?start={today.year - 29}-01-01&end={today.isoformat()}")
    widths = bar_widths(page, "map-chart-availability")
    assert min(widths) >= 6, widths


def test_period_calendar_opens_over_the_map_controls(page: Page, login_as) -> None:
    login_as("viewer")
    open_map(page)
    page.click("#map-period")
    calendar = page.locator(".dash-datepicker-content")
    expect(calendar).to_be_visible()
    cal = calendar.bounding_box()
    assert cal
    hits = page.evaluate("""() => {
        const cal = document.querySelector('.dash-datepicker-content');
        const controls = [...document.querySelectorAll('#map-map .leaflet-control-zoom a, #map-map .leaflet-draw a')];
        const out = [];
        for (const el of controls) {
            const r = el.getBoundingClientRect(), c = cal.getBoundingClientRect();
            const x = r.x + r.width / 2, y = r.y + r.height / 2;
            if (x > c.left && x < c.right && y > c.top && y < c.bottom) {
                out.push(cal.contains(document.elementFromPoint(x, y)));
            }
        }
        return out;
    }""")
    assert hits, "the calendar overlaps some of the map's buttons at this size"
    assert all(hits), "a map button is drawn over the calendar"


def test_map_panes_keep_gis_layers_under_the_operational_markers(page: Page, login_as, server, make_user) -> None:
    slug = "browser-cover-all"
    username, _password = make_user("gis_editor")
    cover = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "everything"},
             "geometry": {"type": "Polygon", "coordinates": [[[-170, -60], [170, -60], [170, 75], [-170, 75],
                                                              [-170, -60]]]}}]}
    factory = server.extensions["hub"].session_factory
    with session_scope(factory) as s:
        editor = Principal(s.scalar(select(User.id).where(User.username == username)), username, Role.GIS_EDITOR)
        report = layers.import_layer(s, editor, json.dumps(cover).encode(), "cover.geojson",
                                     layers.ImportOptions(title="Cover all", slug=slug))
        layers.publish(s, editor, report.slug)
    try:
        login_as("viewer")
        open_map(page)
        show_overlay(page, "Cover all")
        gis = page.locator(".hub-pane-gis path.leaflet-interactive")
        expect(gis.first).to_be_attached()
        z = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('#map-map .leaflet-pane')]
            .map(p => [p.className, Number(getComputedStyle(p).zIndex)]))""")
        z_of = {name: next(v for k, v in z.items() if name in k.split()) for name in
                ("hub-basemap", "hub-areas", "hub-pane-gis", "hub-sites", "hub-places", "hub-missions")}
        assert (z_of["hub-basemap"] < z_of["hub-areas"] < z_of["hub-pane-gis"] < z_of["hub-sites"]
                < z_of["hub-places"] < z_of["hub-missions"]), z_of
        # Every HQ in view is still the element under the pointer at its centre (or another HQ beside it), polygon
        # or not: the polygon covered 29 of 30.
        page.mouse.move(5, 5)  # the layers control folds away
        covered = page.evaluate("""() => {
            const map = document.getElementById('map-map').getBoundingClientRect();
            let shown = 0, hidden = 0;
            for (const el of document.querySelectorAll('.leaflet-hub-missions-pane path.leaflet-interactive')) {
                const r = el.getBoundingClientRect(), x = r.x + r.width / 2, y = r.y + r.height / 2;
                if (x < map.left + 60 || x > map.right - 60 || y < map.top + 130 || y > map.bottom - 30) continue;
                const hit = document.elementFromPoint(x, y);
                if (hit === el) shown++;
                else if (!hit.closest('.leaflet-hub-missions-pane')) hidden++;  // not just another HQ beside it
            }
            return [shown, hidden];
        }""")
        assert covered[0] > 5 and covered[1] == 0, covered
    finally:
        with session_scope(factory) as s:
            s.execute(delete(Layer).where(Layer.slug == slug))


def test_clicking_experts_at_an_hq_filters_by_its_mission(page: Page, login_as, session: Session) -> None:
    login_as("viewer")
    response = _apply_response(page)
    expect(page.locator("#map-kf-deployed")).to_be_visible()
    features = response["map-places"]["data"]["features"]
    # Counts are worded with plural forms: "1 expert", "2 experts".
    assert all(f["properties"]["label"] == (f"{f['properties']['n']} expert" + ("s" if f["properties"]["n"] != 1
                                                                                 else "")) for f in features)
    assert any(f["properties"]["hq"] for f in features), "some experts are at a mission's HQ today"
    open_map(page)
    # The HQ markers are drawn over the places; hide them to click the experts' circle itself.
    place = page.evaluate("""() => {
        const map = document.getElementById('map-map').getBoundingClientRect();
        const hqs = [...document.querySelectorAll('.leaflet-hub-missions-pane path.leaflet-interactive')]
            .map(e => e.getBoundingClientRect()).map(r => [r.x + r.width / 2, r.y + r.height / 2]);
        const places = [...document.querySelectorAll('.leaflet-hub-places-pane path.leaflet-interactive')];
        for (const [i, el] of places.entries()) {
            const r = el.getBoundingClientRect(), x = r.x + r.width / 2, y = r.y + r.height / 2;
            if (x < map.left + 60 || x > map.right - 60 || y < map.top + 130 || y > map.bottom - 30) continue;
            if (hqs.some(([hx, hy]) => Math.abs(hx - x) < 1.5 && Math.abs(hy - y) < 1.5)) return i;
        }
        return null;
    }""")
    assert place is not None, "a place at a mission's HQ is in view"
    page.locator(".leaflet-control-layers").hover()
    page.get_by_label("Mission headquarters").uncheck()
    page.mouse.move(5, 5)
    expect(page.locator(".leaflet-hub-missions-pane path.leaflet-interactive")).to_have_count(0)
    page.locator(".leaflet-hub-places-pane path.leaflet-interactive").nth(place).click()
    expect(page.locator("#map-chips")).to_contain_text("Mission: ", timeout=30_000)
    settle(page)
    mission = query_of(page, having="mission")["mission"][0]
    expect(page.locator("#map-kf-deployed")).to_have_text(str(deployed_on(session, date.today(), mission=mission)))


def test_legend_explains_the_colours_and_gender_markers(page: Page, login_as) -> None:
    login_as("viewer")
    open_map(page)
    legend = page.locator("#map-legend")
    expect(legend).to_be_visible()
    for text in ("SPC", "JCSC", "Mission headquarters", "Project site", "GM0", "GM1", "GM2", "GM3",
                 "principal objective"):
        expect(legend).to_contain_text(text)
    # The legend's capacity colours are the markers' colours.
    swatches = page.eval_on_selector_all("#map-legend .hub-legend-circle",
                                         "els => els.map(e => getComputedStyle(e).backgroundColor)")
    fills = set(page.eval_on_selector_all(".leaflet-hub-places-pane path.leaflet-interactive",
                                          "els => els.map(e => e.getAttribute('fill'))"))
    assert fills and {_hex(c) for c in swatches} >= fills, (swatches, fills)


def _hex(rgb: str) -> str:
    r, g, b = (int(v) for v in re.findall(r"\d+", rgb)[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_phone_sees_the_map_in_the_first_screen_with_readable_slider_marks(page: Page, login_as, lang: str) -> None:
    login_as("viewer")  # on a desktop: login_as waits for the user's name, which a phone folds into the menu
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/lang/{lang}?next=/map")
    open_map(page, "/map?capacity=SPC&kind=surge")
    # Nothing of the map's page reaches past the screen's edge (Leaflet's own panes are clipped by the map). The
    # charts first draw at a default width and then fit their card: wait for the page to settle at the width.
    page.wait_for_function("""() => [...document.querySelectorAll('#map-page *')]
        .filter(e => !e.closest('.leaflet-container') && !e.closest('svg'))
        .every(e => e.getBoundingClientRect().right <= 390)""")
    page.wait_for_function("() => document.documentElement.scrollWidth <= 390")  # the navbar folds, in French too
    assert page.locator("#map-map").bounding_box()["y"] < 844  # type: ignore[index]
    # The filters are folded behind a button that counts them; it opens them.
    expect(page.locator("#map-filter-count")).to_have_text("2")
    expect(page.locator("#map-capacity")).to_be_hidden()
    page.click("#map-filters-toggle")
    expect(page.locator("#map-capacity")).to_be_visible()
    # Slider marks: each a different text, in the page's language, none overlapping another.
    marks = page.eval_on_selector_all("#map-as-of .dash-slider-mark", """els => els.map(e => {
        const r = e.getBoundingClientRect(); return [e.textContent, r.left, r.right, r.width]; })""")
    texts = [m[0] for m in marks]
    assert len(texts) >= 3 and len(set(texts)) == len(texts), texts
    shown = sorted((m for m in marks if m[3] > 0), key=lambda m: m[1])
    assert len(shown) >= 2 and all(a[2] <= b[1] for a, b in pairwise(shown)), shown
    assert all(m[1] >= 0 and m[2] <= 390 for m in shown), shown
    french = {"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}
    assert all((t.split()[0] in french) == (lang == "fr") for t in texts), texts
