"""Bench: importing a 100,000-feature GeoPackage (about a million vertices) against `ogr2ogr -f PostgreSQL`
loading the same file in the same run; then vector-tile latency against the bare SQL of the same tile.

    .venv/bin/python -m bench.bench_layer_import [--features 100000] [--vertices 10] [--tiles 100] [--repeat 3]

Creates a database of its own in the embedded cluster, prints seconds and ratios, then drops it. Both
imports end with a GiST index (ogr2ogr's default, built after its COPY; the hub's, built when the version's
partition is attached); tiles are timed per zoom, cold and warm, against the bare SQL of the same tile.
ogr2ogr comes from Debian's gdal-bin (scripts/install-system-deps.sh).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from sqlalchemy import create_engine, make_url, pool, select
from sqlalchemy.orm import Session

from bench.scratch_db import scratch_database
from geo import vector_tiles
from models import Layer
from models.enums import LayerStatus, Role
from services import layers
from services.access import Principal
from services.users import create_user

DB = "hub_bench_layers"


def make_gpkg(path: Path, n: int, vertices: int) -> None:
    """n small polygons (``vertices`` corners each) scattered over Africa, with a few typed attributes."""
    rng = np.random.default_rng(20261123)
    cx, cy = rng.uniform(-15, 45, n), rng.uniform(-30, 30, n)
    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    radius = rng.uniform(0.01, 0.2, (n, 1)) * rng.uniform(0.7, 1.0, (n, vertices))
    xs, ys = cx[:, None] + radius * np.cos(angles), cy[:, None] + radius * np.sin(angles)
    rings = np.stack([xs, ys], axis=-1)
    rings = np.concatenate([rings, rings[:, :1]], axis=1)
    geoms = shapely.polygons(rings)
    frame = gpd.GeoDataFrame({
        "code": [f"F{i:06d}" for i in range(n)], "category": rng.choice(["camp", "school", "clinic", "post"], n),
        "value": rng.normal(100, 30, n).round(2), "count": rng.integers(0, 1000, n),
    }, geometry=geoms, crs=4326)
    pyogrio.write_dataframe(frame, path, driver="GPKG", layer="bench")


def pg_dsn(url: str) -> str:
    u = make_url(url)
    return f"PG:dbname={u.database} user={u.username} host={u.query.get('host', 'localhost')}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--features", type=int, default=100_000)
    parser.add_argument("--vertices", type=int, default=10)
    parser.add_argument("--tiles", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3, help="imports of each kind, alternated (median shown)")
    args = parser.parse_args()
    ogr2ogr = shutil.which("ogr2ogr")
    if not ogr2ogr:
        raise SystemExit("ogr2ogr not found: run scripts/install-system-deps.sh (Debian's gdal-bin)")

    with scratch_database(DB) as url:
        engine = create_engine(url, poolclass=pool.NullPool)
        with tempfile.TemporaryDirectory() as tmp:
            gpkg = Path(tmp) / "bench.gpkg"
            try:
                make_gpkg(gpkg, args.features, args.vertices)
                size = gpkg.stat().st_size
                print(f"file: {args.features:,} polygons x {args.vertices + 1} vertices, "
                      f"{size / 1e6:.1f} MB GeoPackage")
                with Session(engine) as session, session.begin():
                    user = create_user(session, "bench-gis", Role.GIS_EDITOR, "bench-password-not-used")
                    session.flush()
                    principal = Principal(user.id, user.username, Role.GIS_EDITOR)

                # Both sides end with a GiST index on the geometry, each built the way the tool does by default:
                # ogr2ogr's PostgreSQL driver (SPATIAL_INDEX=GIST, its default) after its COPY; the hub when it
                # attaches the version's partition after its COPY. Alternated, on a machine others share.
                ogr_times, hub_times, slug = [], [], ""
                for run in range(args.repeat):
                    began = time.perf_counter()
                    subprocess.run([ogr2ogr, "-f", "PostgreSQL", pg_dsn(url), str(gpkg), "-nln", "ogr_bench",
                                    "-lco", "GEOMETRY_NAME=geom", "-overwrite", "--config", "PG_USE_COPY", "YES"],
                                   check=True, stderr=subprocess.DEVNULL)
                    ogr_times.append(time.perf_counter() - began)
                    began = time.perf_counter()
                    with Session(engine) as session, session.begin():
                        report = layers.import_path(session, principal, gpkg,
                                                    layers.ImportOptions(title=f"bench {run}"))
                    hub_times.append(time.perf_counter() - began)
                    slug = slug or report.slug
                ogr_s, hub_s = statistics.median(ogr_times), statistics.median(hub_times)
                print(f"ogr2ogr -f PostgreSQL (COPY, then its default GiST index): median {ogr_s:.2f} s "
                      f"(runs {', '.join(f'{t:.2f}' for t in ogr_times)})")
                print(f"hub import (checks, validity, COPY into the version's partition, GiST index built on attach, "
                      f"version, commit): median {hub_s:.2f} s (runs {', '.join(f'{t:.2f}' for t in hub_times)}), "
                      f"{args.features / hub_s:,.0f} features/s")
                print(f"ratio hub / ogr2ogr: {hub_s / ogr_s:.2f}x median, {min(hub_times) / min(ogr_times):.2f}x best "
                      "(target: within 1.5x)")

                # Tiles through a pooled engine, as the app serves them: a fresh connection per tile would time
                # PostGIS and PROJ loading in a new backend, not the tile (the bare SQL keeps one connection too).
                pooled = create_engine(url, pool_size=2, max_overflow=0)
                try:
                    tile_latency(pooled, principal, slug, args.tiles)
                finally:
                    pooled.dispose()
            finally:
                engine.dispose()


def tile_latency(engine, principal: Principal, slug: str, count: int) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session, session.begin():
        layers.publish(session, principal, slug)
        layer = session.scalar(select(Layer).where(Layer.slug == slug))
        assert layer is not None and layer.status == LayerStatus.PUBLISHED
        layer_id, version = layer.id, layer.current_version
    rng = random.Random(7)
    zooms = [4, 5, 6, 7, 8]
    # Tiles over the data at the zooms a map pans through (Africa is about x 0.45..0.63 of the world).
    tiles = []
    for i in range(count):
        z = zooms[i % len(zooms)]
        n = 2**z
        tiles.append((z, rng.randint(int(0.46 * n), int(0.62 * n)), rng.randint(int(0.41 * n), int(0.58 * n))))
    cache = getattr(vector_tiles, "CACHE", None)  # (absent before the tile cache, when benching older code)
    cold: dict[int, list[float]] = {z: [] for z in zooms}
    warm: dict[int, list[float]] = {z: [] for z in zooms}
    bare: dict[int, list[float]] = {z: [] for z in zooms}
    sizes: dict[int, list[int]] = {z: [] for z in zooms}
    bare_sizes: dict[int, list[int]] = {z: [] for z in zooms}
    viewer = Principal(0, "bench-viewer", Role.VIEWER)
    with Session(engine) as session:  # the pooled connection's first PostGIS and PROJ use, not timed
        layers.tile(session, viewer, slug, *tiles[0])
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for z, x, y in tiles:
            began = time.perf_counter()
            cur.execute(vector_tiles.bare_tile_sql(), {"layer": layer_id, "version": version, "z": z, "x": x, "y": y})
            bare_sizes[z].append(len(cur.fetchone()[0] or b""))
            bare[z].append(time.perf_counter() - began)
            if cache is not None:
                cache.clear()  # cold: as the first viewer of this tile
            for into in (cold, warm):
                with Session(engine) as session:
                    began = time.perf_counter()
                    data = layers.tile(session, viewer, slug, z, x, y)
                    into[z].append(time.perf_counter() - began)
            sizes[z].append(len(data))
    finally:
        raw.close()

    def p95(values: list[float]) -> float:
        return statistics.quantiles(values, n=20, method="inclusive")[-1] * 1000

    print(f"vector tiles, {count} tiles over z{zooms[0]}..{zooms[-1]}, p95 in ms; service = access checks + "
          "generalised ST_AsMVT (cold: cache emptied first; warm: the same tile again), bare = the plain SQL:")
    print(" zoom  service cold  service warm  bare SQL  cold/bare  median KB service/bare")
    for z in zooms:
        print(f"  z{z}  {p95(cold[z]):12.1f}  {p95(warm[z]):12.1f}  {p95(bare[z]):8.1f}"
              f"  {p95(cold[z]) / p95(bare[z]):8.2f}x"
              f"  {statistics.median(sizes[z]) / 1024:.0f}/{statistics.median(bare_sizes[z]) / 1024:.0f}")
    every = [t for z in zooms for t in cold[z]], [t for z in zooms for t in bare[z]]
    print(f"  all  {p95(every[0]):12.1f}  {p95([t for z in zooms for t in warm[z]]):12.1f}  {p95(every[1]):8.1f}"
          f"  {p95(every[0]) / p95(every[1]):8.2f}x")
    with Session(engine) as session:
        began = time.perf_counter()
        fc = layers.layer_geojson(session, viewer, slug, zoom=5, limit=5000)
        print(f"layer_geojson(zoom=5, limit=5000): {(time.perf_counter() - began) * 1000:.0f} ms, "
              f"{fc['numberReturned']:,} features, truncated={fc['truncated']}")


if __name__ == "__main__":
    main()
