"""The map's callback answer is encoded by the C JSON encoder, without plotly's Python cleaning pass over it (which
walked every coordinate of its GeoJSON: 4-12 ms a request, 36 ms under load)."""

from __future__ import annotations

import json
from typing import Any

import plotly.io._json as plotly_json
import pytest
from dash import html
from dash._utils import to_json

from bench.bench_map import apply_callback, payload


def _no_cleaning(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("plotly's cleaning pass walked the answer")


def test_the_map_answer_is_encoded_without_the_cleaning_pass(logged_in,  # type: ignore[no-untyped-def]
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    client = logged_in("viewer")
    dep = apply_callback(client)  # as the browser posts it, with one download link per chart and format
    downloads = [{"chart": c, "format": f, "type": "map-download"} for c in ("missions", "funding") for f in ("csv",)]
    monkeypatch.setattr(plotly_json, "clean_to_json_compatible", _no_cleaning)
    response = client.post("/_dash-update-component", json=payload(dep, {}, downloads, "map-mission.value"))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    answer = response.get_json()["response"]
    assert answer["map-places"]["data"]["type"] == "FeatureCollection"
    assert answer["map-chart-gender"]["figure"]["data"]
    assert answer["map-chips"]["children"] is not None


def test_components_and_plain_data_encode_as_dash_reads_them(app) -> None:  # type: ignore[no-untyped-def]
    """Components as their type, namespace and props (what Dash's renderer reads), data as it is."""
    answer = {"multi": True, "response": {
        "a": {"children": [html.Span("Côte d'Ivoire </script>", id="x"), "2 experts"]},
        "b": {"data": {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [12.5, -4.25]}, "properties": {"n": 2}}]}},
    }}
    encoded = to_json(answer)
    assert "</script>" not in encoded  # escaped for a page that inlines it
    assert json.loads(encoded)["response"]["b"] == answer["response"]["b"]
    span = json.loads(encoded)["response"]["a"]["children"][0]
    assert span == {"type": "Span", "namespace": "dash_html_components",
                    "props": {"children": "Côte d'Ivoire </script>", "id": "x"}}
