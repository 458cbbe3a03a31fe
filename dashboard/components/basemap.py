"""The offline base map (the shipped Natural Earth countries, /map/basemap.geojson) for the hub's small maps."""

from __future__ import annotations

from typing import Any

import dash_leaflet as dl

# Leaflet's overlay pane is at z-index 400, its tile pane at 200: the base map sits between them.
BASE_PANE_Z = 250


def offline_basemap(pane: str, **geojson: Any) -> dl.Pane:
    """The countries in a pane of their own, under every overlay. In the overlay pane they were drawn after
    the map's own features whenever the file arrived last, and covered them (circles showed as half-discs
    where they sit on land)."""
    return dl.Pane(dl.GeoJSON(url="/map/basemap.geojson", style={"variable": "hubMap.basemapStyle"},
                              interactive=False, **geojson),
                   name=pane, style={"zIndex": BASE_PANE_Z})
