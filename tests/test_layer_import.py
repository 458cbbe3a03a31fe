"""Layer import and export: round trips of each format from the real Natural Earth shapefile, and the lifecycle."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from sqlalchemy import func, select

from models import AuditEvent, Layer, LayerFeature
from models.enums import Role
from services import layers
from services.access import Principal
from services.errors import Conflict, Forbidden, NotFound, ValidationError
from services.users import create_user
from tests.factories import NE, shapefile_zip


@pytest.fixture
def editor(session) -> Principal:
    user = create_user(session, "t-gis-layers", Role.GIS_EDITOR, "a-long-enough-password")
    session.flush()
    return Principal(user.id, user.username, Role.GIS_EDITOR)


def as_role(role: Role) -> Principal:
    return Principal(0, f"someone-{role.value}", role)


@pytest.fixture(scope="module")
def countries(natural_earth: Path) -> gpd.GeoDataFrame:
    return pyogrio.read_dataframe(natural_earth / f"{NE}.shp")


def _written(frame: gpd.GeoDataFrame, tmp_path: Path, fmt: str) -> bytes:
    driver = {"gpkg": "GPKG", "geojson": "GeoJSON", "kml": "KML", "csv": "CSV"}[fmt]
    out = tmp_path / f"countries.{fmt}"
    options = {"layer_options": {"GEOMETRY": "AS_WKT"}} if fmt == "csv" else {}
    pyogrio.write_dataframe(frame, out, driver=driver, **options)
    return out.read_bytes()


def test_shapefile_zip_imports_as_a_draft_with_every_feature(session, editor, natural_earth, countries) -> None:
    report = layers.import_layer(session, editor, shapefile_zip(natural_earth), "countries.zip",
                                 layers.ImportOptions(title="Countries (Natural Earth)"))
    assert report.feature_count == len(countries) == 177
    assert report.slug == "countries-natural-earth" and report.change == "created"
    assert report.geometry_type == "MultiPolygon" and report.source_crs == "EPSG:4326"
    layer = session.scalar(select(Layer).where(Layer.slug == report.slug))
    assert layer.status.value == "draft"
    fra = session.scalar(select(LayerFeature.properties).where(LayerFeature.layer_id == layer.id,
                                                               LayerFeature.properties["ADM0_A3"].astext == "FRA"))
    assert fra["NAME"] == "France"
    # Drafts are for the GIS team: nobody else sees them on the map or finds them.
    assert layers.map_layers(session, as_role(Role.VIEWER)) == [] or report.slug not in {
        m["slug"] for m in layers.map_layers(session, as_role(Role.VIEWER))}
    with pytest.raises(NotFound):
        layers.layer_geojson(session, as_role(Role.VIEWER), report.slug)
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "layer_created"))


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "kml", "csv"])
def test_each_format_round_trips(session, editor, countries, tmp_path, fmt) -> None:
    data = _written(countries[["ADM0_A3", "NAME", "POP_EST", "geometry"]], tmp_path, fmt)
    report = layers.import_layer(session, editor, data, f"countries.{fmt}",
                                 layers.ImportOptions(title=f"rt {fmt}", repair=True))
    assert report.feature_count == 177
    layers.publish(session, editor, report.slug)
    for out_fmt in ("gpkg", "geojson", "shp", "csv"):
        blob, name, _media = layers.export(session, editor, report.slug, out_fmt)
        path = tmp_path / f"out-{fmt}-{name}"
        path.write_bytes(blob)
        back = pyogrio.read_dataframe(f"/vsizip/{path}" if out_fmt == "shp" else path)
        assert len(back) == 177, (fmt, out_fmt)
        # KML keeps the name in its own <name> element, which GDAL reads back as "Name".
        column = "NAME" if "NAME" in back.columns else "Name"
        names = {str(v) for v in back[column]}
        assert "France" in names, (fmt, out_fmt, list(back.columns)[:6])


def test_reimport_of_an_export_gives_the_same_features(session, editor, natural_earth, tmp_path) -> None:
    first = layers.import_layer(session, editor, shapefile_zip(natural_earth), "countries.zip",
                                layers.ImportOptions(title="first"))
    blob, name, _ = layers.export(session, editor, first.slug, "gpkg")
    second = layers.import_layer(session, editor, blob, name, layers.ImportOptions(title="second"))
    area = [session.scalar(select(func.sum(func.ST_Area(LayerFeature.geom))).join(Layer)
                           .where(Layer.slug == slug)) for slug in (first.slug, second.slug)]
    assert second.feature_count == 177 and area[0] == pytest.approx(area[1], rel=1e-9)


def test_projected_input_is_reprojected_to_4326(session, editor, countries, tmp_path) -> None:
    europe = countries[countries["CONTINENT"] == "Europe"][["NAME", "geometry"]].to_crs(3035)
    out = tmp_path / "europe.gpkg"
    pyogrio.write_dataframe(europe, out, driver="GPKG")
    report = layers.import_layer(session, editor, out.read_bytes(), "europe.gpkg",
                                 layers.ImportOptions(title="europe", repair=True))
    assert report.source_crs == "EPSG:3035"
    bbox = layers.get_layer(session, editor, report.slug)["bbox"]
    assert -180 <= bbox[0] < bbox[2] <= 180 + 1e-6 and 30 < bbox[3] <= 90


def test_geopackage_with_several_layers_asks_which(session, editor, countries, tmp_path) -> None:
    out = tmp_path / "two.gpkg"
    pyogrio.write_dataframe(countries[["NAME", "geometry"]], out, layer="countries", driver="GPKG")
    pyogrio.write_dataframe(countries[["NAME", "geometry"]].assign(geometry=countries.centroid), out,
                            layer="centroids", driver="GPKG", append=False)
    data = out.read_bytes()
    assert set(layers.file_layers(data, "two.gpkg")) == {"countries", "centroids"}
    with pytest.raises(ValidationError, match="holds 2 layers"):
        layers.import_layer(session, editor, data, "two.gpkg", layers.ImportOptions(title="two"))
    report = layers.import_layer(session, editor, data, "two.gpkg",
                                 layers.ImportOptions(title="centroids", layer_name="centroids"))
    assert report.geometry_type == "Point" and report.feature_count == 177


def test_csv_with_coordinate_columns(session, editor) -> None:
    data = b"name,lon,lat\nBrindisi,17.94,40.63\nEntebbe,32.44,0.05\n"
    report = layers.import_layer(session, editor, data, "places.csv", layers.ImportOptions(title="places"))
    assert report.feature_count == 2 and report.geometry_type == "Point"


def test_replace_append_upsert_and_restore(session, editor, countries, tmp_path) -> None:
    def gpkg(frame: gpd.GeoDataFrame, name: str) -> bytes:
        out = tmp_path / name
        pyogrio.write_dataframe(frame, out, driver="GPKG")
        return out.read_bytes()

    points = countries[["ADM0_A3", "NAME", "geometry"]].assign(geometry=countries.representative_point())
    first = layers.import_layer(session, editor, gpkg(points.iloc[:10], "a.gpkg"), "a.gpkg",
                                layers.ImportOptions(title="pts"))
    appended = layers.import_layer(session, editor, gpkg(points.iloc[10:15], "b.gpkg"), "b.gpkg",
                                   layers.ImportOptions(mode="append", target=first.slug))
    assert (appended.version, appended.feature_count) == (2, 15)
    renamed = points.iloc[[0, 1, 20]].assign(NAME=["one", "two", "new"])
    upserted = layers.import_layer(session, editor, gpkg(renamed, "c.gpkg"), "c.gpkg",
                                   layers.ImportOptions(mode="upsert", target=first.slug, key="ADM0_A3"))
    assert (upserted.version, upserted.feature_count) == (3, 16)
    names = {f["properties"]["NAME"] for f in layers.layer_geojson(session, editor, first.slug)["features"]}
    assert {"one", "two", "new"} <= names and points.iloc[0]["NAME"] not in names
    replaced = layers.import_layer(session, editor, gpkg(points.iloc[:3], "d.gpkg"), "d.gpkg",
                                   layers.ImportOptions(mode="replace", target=first.slug))
    assert (replaced.version, replaced.feature_count) == (4, 3)
    old = layers.layer_geojson(session, editor, first.slug, version=2)
    assert len(old["features"]) == 15
    restored = layers.restore(session, editor, first.slug, 2)
    history = layers.versions(session, editor, first.slug)
    assert restored == 5 and [v["change"] for v in history] == ["restored", "replaced", "upserted", "appended",
                                                                "created"]
    assert history[0]["current"] and history[0]["feature_count"] == 15 and history[0]["by"] == editor.username


def test_visibility_styling_and_map_layers(session, editor, natural_earth) -> None:
    report = layers.import_layer(session, editor, shapefile_zip(natural_earth), "c.zip",
                                 layers.ImportOptions(title="vis"))
    layers.publish(session, editor, report.slug)
    style = layers.set_style(session, editor, report.slug, {"color": "#e31a1c", "mode": "categorised",
                                                            "field": "CONTINENT",
                                                            "categories": {"Africa": "#33a02c"}, "label": "NAME"})
    assert style["categories"] == {"Africa": "#33a02c"}
    with pytest.raises(ValidationError, match="colour"):
        layers.set_style(session, editor, report.slug, {"color": "red;background:url(x)"})
    viewer, planner, briefing = as_role(Role.VIEWER), as_role(Role.PLANNER), as_role(Role.BRIEFING)
    seen = {m["slug"]: m for m in layers.map_layers(session, viewer)}
    assert seen[report.slug]["feature_count"] == 177 and seen[report.slug]["style"]["color"] == "#e31a1c"
    assert len(seen[report.slug]["bbox"]) == 4
    assert report.slug not in {m["slug"] for m in layers.map_layers(session, briefing)}
    layers.set_visibility(session, editor, report.slug, ["planner"], in_briefings=True)
    assert report.slug not in {m["slug"] for m in layers.map_layers(session, viewer)}
    with pytest.raises(Forbidden):
        layers.layer_geojson(session, viewer, report.slug)
    assert report.slug in {m["slug"] for m in layers.map_layers(session, planner)}
    assert report.slug in {m["slug"] for m in layers.map_layers(session, briefing)}
    with pytest.raises(Forbidden):
        layers.set_style(session, planner, report.slug, {})
    layers.set_metadata(session, editor, report.slug, title="Countries", abstract="NE 1:110m",
                        licence="Public domain", source_date="2024-01-01", keywords="boundaries, countries")
    meta = layers.get_layer(session, editor, report.slug)
    assert meta["keywords"] == ["boundaries", "countries"] and meta["source_date"] == "2024-01-01"
    layers.archive(session, editor, report.slug)
    assert report.slug not in {m["slug"] for m in layers.map_layers(session, planner)}


def test_layer_geojson_clips_to_bbox_and_simplifies_per_zoom(session, editor, natural_earth) -> None:
    from services.catalog import BBox

    report = layers.import_layer(session, editor, shapefile_zip(natural_earth), "c.zip",
                                 layers.ImportOptions(title="zoom"))
    layers.publish(session, editor, report.slug)
    africa = layers.layer_geojson(session, as_role(Role.VIEWER), report.slug, bbox=BBox(10, -5, 30, 10))
    names = {f["properties"]["NAME"] for f in africa["features"]}
    assert "Cameroon" in names and "France" not in names
    full = layers.layer_geojson(session, editor, report.slug)
    coarse = layers.layer_geojson(session, editor, report.slug, zoom=1)
    vertices = [sum(len(str(f["geometry"]["coordinates"])) for f in fc["features"]) for fc in (full, coarse)]
    assert vertices[1] < vertices[0] / 2
    assert layers.layer_geojson(session, editor, report.slug, limit=5)["truncated"] is True


def test_names_are_unique_and_hub_names_reserved(session, editor, natural_earth) -> None:
    data = shapefile_zip(natural_earth)
    layers.import_layer(session, editor, data, "c.zip", layers.ImportOptions(title="dup"))
    with pytest.raises(Conflict, match="exists"):
        layers.import_layer(session, editor, data, "c.zip", layers.ImportOptions(title="dup"))
    with pytest.raises(Conflict, match="taken"):
        layers.import_layer(session, editor, data, "c.zip", layers.ImportOptions(title="Sites"))


def test_only_layer_managers_import(session, natural_earth) -> None:
    with pytest.raises(Forbidden):
        layers.import_layer(session, as_role(Role.PLANNER), shapefile_zip(natural_earth), "c.zip",
                            layers.ImportOptions(title="nope"))


def test_hub_tables_export_within_the_role(session, tmp_path) -> None:
    blob, name, _ = layers.export(session, as_role(Role.VIEWER), "sites", "geojson")
    (tmp_path / name).write_bytes(blob)
    assert len(pyogrio.read_dataframe(tmp_path / name)) > 10
    with pytest.raises(Forbidden):
        layers.export(session, as_role(Role.BRIEFING), "deployments", "csv")
    blob, name, _ = layers.export(session, as_role(Role.VIEWER), "deployments", "csv")
    assert b"WKT" in blob.splitlines()[0] and b"expert" not in blob.splitlines()[0].lower()


def test_a_style_naming_only_its_attribute_gets_its_classes(session, editor, natural_earth, countries) -> None:
    """The page's form sends the attribute only: the stored style must carry what the map colours by."""
    report = layers.import_layer(session, editor, shapefile_zip(natural_earth), "c.zip",
                                 layers.ImportOptions(title="classes"))
    style = layers.set_style(session, editor, report.slug, {"mode": "categorised", "field": "CONTINENT",
                                                            "label": "NAME"})
    continents = set(countries["CONTINENT"])
    assert set(style["categories"]) == continents and style["label"] == "NAME"
    assert len(set(style["categories"].values())) == len(continents)  # 8 continents, 12 colours: all apart
    # The commonest value first (Africa: 51 countries), so a long list keeps its biggest classes.
    assert next(iter(style["categories"])) == countries["CONTINENT"].value_counts().index[0]
    graded = layers.set_style(session, editor, report.slug, {"mode": "graduated", "field": "POP_EST"})
    expected = countries["POP_EST"].quantile([0.2, 0.4, 0.6, 0.8]).tolist()
    assert graded["breaks"] == pytest.approx(expected) and len(graded["colors"]) == 5
    with pytest.raises(ValidationError, match="no numbers"):
        layers.set_style(session, editor, report.slug, {"mode": "graduated", "field": "NAME"})
    with pytest.raises(ValidationError, match="no values"):
        layers.set_style(session, editor, report.slug, {"mode": "categorised", "field": "NOT_THERE"})
