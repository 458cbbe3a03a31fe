"""Everything the briefing role can reach — pages, callbacks, downloads, API answers — carries no person's name,
staff number, email or expert id, and no count under the suppression threshold."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from sqlalchemy import select

from dashboard.security.callbacks import CALLBACK_ROLES, CLIENTSIDE_KEYS, is_internal
from models import AuditEvent
from models.enums import Role
from tests.factories import callback_payload, person_words

T = 5
# Keys whose values count people (or requests) in the briefing's answers.
COUNT_KEYS = {"experts_deployed", "deployed_on_day", "open_surge_requests", "requests", "deployed", "within_target",
              "experts_available", "experts_total", "outputs_planned", "outputs_delivered", "n", "total", "value",
              "SPC", "JCSC", "deployments"}
PERSON_KEYS = re.compile(r"expert_id|staff|email|given_name|family_name|\bnames\b", re.I)


@pytest.fixture(scope="module")
def secrets(engine) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from sqlalchemy.orm import Session

    with Session(engine) as s:
        words, ids = person_words(s)
    return {"words": words, "ids": set(ids)}


def _no_person(text: str, secrets: dict[str, Any], where: str) -> None:
    found = [w for w in secrets["words"] if w in text]
    assert not found, f"{where} shows {found[:5]}"
    assert not PERSON_KEYS.search(text), f"{where} carries a person field"


def _counts(value: Any, key: str = "") -> list[tuple[str, Any]]:
    """(key, number) pairs under count keys, anywhere in a JSON document."""
    out: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _counts(v, str(k))
    elif isinstance(value, list):
        for v in value:
            out += _counts(v, key)
    elif isinstance(value, int) and not isinstance(value, bool) and key in COUNT_KEYS:
        out.append((key, value))
    return out


def _no_small(document: Any, where: str) -> None:
    small = [(k, v) for k, v in _counts(document) if 0 < v < T]
    assert not small, f"{where} shows counts under {T}: {small[:5]}"


def _plotly_numbers(document: Any) -> list[Any]:
    """Bar values and texts of every plotly figure in a callback answer."""
    out: list[Any] = []
    if isinstance(document, dict):
        if "data" in document and isinstance(document["data"], list) and "layout" in document:
            for trace in document["data"]:
                if trace.get("type") == "bar":
                    values = trace.get("x") if trace.get("orientation") == "h" else trace.get("y")
                    out += list(values or [])
                    out += [t for t in trace.get("text") or []]
        for v in document.values():
            out += _plotly_numbers(v)
    elif isinstance(document, list):
        for v in document:
            out += _plotly_numbers(v)
    return out


def _strings(document: Any) -> list[str]:
    if isinstance(document, str):
        return [document]
    if isinstance(document, dict):
        return [s for v in document.values() for s in _strings(v)]
    if isinstance(document, list):
        return [s for v in document for s in _strings(v)]
    return []


def test_every_callback_open_to_the_briefing_role(app, logged_in, secrets) -> None:  # type: ignore[no-untyped-def]
    client = logged_in("briefing")
    client.get("/_dash-dependencies")
    keys = [k for k in app.callback_map if k in CALLBACK_ROLES and Role.BRIEFING in CALLBACK_ROLES[k]
            and k not in CLIENTSIDE_KEYS]
    assert any("briefing-points" in k for k in keys) and any("home-figures" in k for k in keys)
    pages = [k for k in app.callback_map if is_internal(k)]
    pages_seen = 0
    checked = 0
    answered: set[str] = set()
    for start, end in (("2025-01-01", "2025-12-31"), (None, None), ("2026-01-01", "2026-01-20")):
        values = {"briefing-period.start_date": start, "briefing-period.end_date": end, "briefing-lang.value": "fr"}
        for key in keys:
            response = client.post("/_dash-update-component", json=callback_payload(app, key, values))
            assert response.status_code in (200, 204), (key, response.get_data(as_text=True)[:300])
            if response.status_code == 204:
                continue
            answered.add(key)
            body = response.get_json()
            text = json.dumps(body)
            _no_person(text, secrets, key)
            _no_small(body, key)
            numbers = [v for v in _plotly_numbers(body) if isinstance(v, int | float) and not isinstance(v, bool)]
            assert not [v for v in numbers if 0 < v < T], (key, numbers)
            # Shown counts in tables and cards: plain integers as text.
            texts = [s for s in _strings(body) if re.fullmatch(r"\d{1,3}(,\d{3})*", s)]
            assert not [s for s in texts if 0 < int(s.replace(",", "")) < T], (key, texts)
            checked += 1
    assert any("briefing-points" in k for k in answered) and any("home-figures" in k for k in answered)
    # Page layouts as the router renders them, for every page the role may open.
    for key in pages:
        for path in ("/", "/briefing", "/briefing?start=2025-01-01&end=2025-06-30&capacity=SPC"):
            path_only, _q, search = path.partition("?")
            values = {"_pages_location.pathname": path_only, "_pages_location.search": "?" + search if search else ""}
            response = client.post("/_dash-update-component", json=callback_payload(app, key, values))
            if response.status_code == 200:
                _no_person(response.get_data(as_text=True), secrets, f"page {path}")
                pages_seen += 1
    assert checked >= 6 and pages_seen >= 3


def test_downloads_open_to_the_briefing_role(logged_in, secrets, session) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    from services.briefing.aggregates import TABLES

    client = logged_in("briefing")
    for name in TABLES:
        for fmt in ("csv", "xlsx"):
            response = client.get(f"/briefing/table/{name}.{fmt}?start=2025-01-01&end=2025-12-31")
            assert response.status_code == 200, response.get_data(as_text=True)
            frame = (pd.read_csv(io.BytesIO(response.data)) if fmt == "csv"
                     else pd.read_excel(io.BytesIO(response.data)))
            _no_person(frame.to_csv(), secrets, f"{name}.{fmt}")
            for column in frame.columns:
                if column in COUNT_KEYS or column in ("requests", "deployed"):
                    numbers = pd.to_numeric(frame[column], errors="coerce").dropna()
                    assert not ((numbers > 0) & (numbers < T)).any(), (name, column)
    # The operations map's downloads stay closed to the role.
    assert client.get("/map/download/missions.csv").status_code == 403
    assert client.get("/briefing/table/missions.csv?gender=female").status_code == 400
    events = session.scalars(select(AuditEvent).where(AuditEvent.entity == "briefing")
                             .order_by(AuditEvent.id.desc()).limit(1)).all()
    assert events and events[0].detail["format"] in ("csv", "xlsx") and "filters" in events[0].detail


def test_every_api_answer_open_to_the_briefing_role(client, logged_in, secrets) -> None:  # type: ignore[no-untyped-def]
    api = logged_in("briefing")
    spec = api.get("/api/v1/openapi.json").get_json()
    checked = 0
    for path, operations in spec["paths"].items():
        if "get" not in operations or ("{" in path and "/tables/" not in path):
            continue
        concrete = path.replace("{name}", "missions")
        response = api.get(concrete)
        if response.status_code in (401, 403):
            continue
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:300])
        text = response.get_data(as_text=True)
        _no_person(text, secrets, path)
        _no_small(response.get_json(), path)
        checked += 1
    assert checked >= 5
    # The analytics API (names, un-suppressed counts) refuses the role.
    assert api.get("/api/v1/analytics/missions").status_code == 403
    bad = api.get("/api/v1/briefing?skill=X")
    assert bad.status_code in (400, 422) and bad.mimetype == "application/problem+json"


def test_briefing_map_has_only_labels_and_counts(logged_in) -> None:  # type: ignore[no-untyped-def]
    api = logged_in("briefing")
    collection = api.get("/api/v1/briefing/map?start=2025-01-01&end=2025-12-31").get_json()
    assert collection["features"]
    for feature in collection["features"]:
        assert "id" not in feature
        assert set(feature["properties"]) == {"kind", "label", "n"}
        assert feature["geometry"]["type"] == "Point"
