"""Bench: importing a 100,000-feature GeoPackage (about a million vertices) against `ogr2ogr -f PostgreSQL`
loading the same file in the same run; then vector-tile latency against the bare SQL of the same tile.

    .venv/bin/python -m bench.bench_layer_import [--features 100000] [--vertices 10] [--tiles 60]

Creates a database of its own in the embedded cluster, prints seconds and ratios, then drops it.
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

from geo import vector_tiles
from models import Layer, migrate
from models.embedded_pg import EmbeddedPostgres
from models.enums import LayerStatus, Role
from models.settings import Settings
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
    parser.add_argument("--tiles", type=int, default=60)
    args = parser.parse_args()
    ogr2ogr = shutil.which("ogr2ogr")
    if not ogr2ogr:
        raise SystemExit("ogr2ogr not found: run scripts/install-system-deps.sh (Debian's gdal-bin)")

    cluster = EmbeddedPostgres(Settings().data_dir)
    cluster.start()
    cluster.drop_database(DB)
    cluster.ensure_database(DB)
    url = cluster.url(DB)
    engine = create_engine(url, poolclass=pool.NullPool)
    with tempfile.TemporaryDirectory() as tmp:
        gpkg = Path(tmp) / "bench.gpkg"
        try:
            migrate.upgrade(url)
            make_gpkg(gpkg, args.features, args.vertices)
            size = gpkg.stat().st_size
            print(f"file: {args.features:,} polygons x {args.vertices + 1} vertices, {size / 1e6:.1f} MB GeoPackage")

            began = time.perf_counter()
            subprocess.run([ogr2ogr, "-f", "PostgreSQL", pg_dsn(url), str(gpkg), "-nln", "ogr_bench",
                            "-lco", "GEOMETRY_NAME=geom", "-lco", "SPATIAL_INDEX=NONE", "-overwrite",
                            "--config", "PG_USE_COPY", "YES"], check=True)
            ogr_seconds = time.perf_counter() - began
            print(f"ogr2ogr -f PostgreSQL (COPY, no index): {ogr_seconds:.2f} s")

            with Session(engine) as session, session.begin():
                user = create_user(session, "bench-gis", Role.GIS_EDITOR, "bench-password-not-used")
                session.flush()
                principal = Principal(user.id, user.username, Role.GIS_EDITOR)
            began = time.perf_counter()
            with Session(engine) as session, session.begin():
                report = layers.import_path(session, principal, gpkg, layers.ImportOptions(title="bench"))
            hub_seconds = time.perf_counter() - began
            print(f"hub import (checks, validity, COPY, version, commit): {hub_seconds:.2f} s, "
                  f"{report.feature_count / hub_seconds:,.0f} features/s")
            print(f"ratio hub / ogr2ogr: {hub_seconds / ogr_seconds:.2f}x (target: within 1.5x)")

            tile_latency(engine, principal, report.slug, args.tiles)
        finally:
            engine.dispose()
            cluster.drop_database(DB)


def tile_latency(engine, principal: Principal, slug: str, count: int) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session, session.begin():
        layers.publish(session, principal, slug)
        layer = session.scalar(select(Layer).where(Layer.slug == slug))
        assert layer is not None and layer.status == LayerStatus.PUBLISHED
        layer_id, version = layer.id, layer.current_version
    rng = random.Random(7)
    # Tiles over the data at the zooms a map pans through (Africa is about x 0.45..0.63 of the world).
    tiles = []
    for _ in range(count):
        z = rng.choice([4, 5, 6, 7, 8])
        n = 2**z
        tiles.append((z, rng.randint(int(0.46 * n), int(0.62 * n)), rng.randint(int(0.41 * n), int(0.58 * n))))
    service, bare, sizes = [], [], []
    viewer = Principal(0, "bench-viewer", Role.VIEWER)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for z, x, y in tiles:
            began = time.perf_counter()
            cur.execute(vector_tiles.bare_tile_sql(), {"layer": layer_id, "version": version, "z": z, "x": x, "y": y})
            cur.fetchone()
            bare.append(time.perf_counter() - began)
            with Session(engine) as session:
                began = time.perf_counter()
                data = layers.tile(session, viewer, slug, z, x, y)
                service.append(time.perf_counter() - began)
                sizes.append(len(data))
    finally:
        raw.close()

    def p95(values: list[float]) -> float:
        return statistics.quantiles(values, n=20)[-1] * 1000

    print(f"vector tiles (z4..8, {count} tiles, median {statistics.median(sizes) / 1024:.0f} KB): "
          f"service p95 {p95(service):.1f} ms (access checks + ST_AsMVT), bare SQL p95 {p95(bare):.1f} ms; "
          f"ratio {p95(service) / p95(bare):.2f}x")
    with Session(engine) as session:
        began = time.perf_counter()
        fc = layers.layer_geojson(session, viewer, slug, zoom=5, limit=5000)
        print(f"layer_geojson(zoom=5, limit=5000): {(time.perf_counter() - began) * 1000:.0f} ms, "
              f"{fc['numberReturned']:,} features, truncated={fc['truncated']}")


if __name__ == "__main__":
    main()
