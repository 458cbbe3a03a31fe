"""OGC API - Features (Core, GeoJSON) at /ogc: the hub's published layers and spatial tables for QGIS and GDAL.

Why not pygeoapi or tipg: both are whole servers with their own configuration, their own app (pygeoapi on
Flask/Starlette with a YAML resource list, tipg on FastAPI/asyncpg) and no notion of our users, roles,
session cookies or personal access tokens; collections here depend on who asks (a layer's visible roles,
the briefing role, drafts). Serving them behind our guard would mean a second app and a second database
layer to keep in step. The few documents Core needs are small, so this blueprint builds them from
services/layers/sources.py, whose SQL builds the GeoJSON in PostGIS, behind the same request guard as every route.
"""

from __future__ import annotations

from dashboard.ogc.routes import OGC_PREFIX, bp, init_ogc

__all__ = ["OGC_PREFIX", "bp", "init_ogc"]
