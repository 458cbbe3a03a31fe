"""Vector layer files in and out: upload checks, zip safety, CRS, geometry validity, and export.

Everything a user uploads is untrusted. ``stage_upload`` checks size, that the extension matches the content,
zip archives (size, ratio, paths, the Shapefile's companion files) and KML (no DTD, entities or network
links) before GDAL opens anything; ``read_layer`` then reads with pyogrio, reprojects to EPSG:4326, and
reports invalid geometries, bad coordinates and non-UTF-8 text, each as a ValidationError whose message
names the problem. Nothing here touches the database.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import struct
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj import CRS
from pyproj.exceptions import CRSError

from models.errors import ValidationError

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
# A zip may unpack to at most this much, and no member may expand more than MAX_RATIO times (zip bombs).
MAX_UNZIPPED_BYTES = 500 * 1024 * 1024
MAX_RATIO = 200
MAX_ZIP_MEMBERS = 500
MAX_REPORTED = 10  # problems listed by row in one message

FORMATS = {".zip": "zip", ".gpkg": "gpkg", ".geojson": "geojson", ".json": "geojson", ".kml": "kml", ".csv": "csv"}
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj")
# Header bytes of each binary format ("magic numbers"): the extension must agree with them.
MAGIC = {"zip": (b"PK\x03\x04",), "gpkg": (b"SQLite format 3\x00",)}
CSV_X = ("x", "lon", "long", "lng", "longitude")
CSV_Y = ("y", "lat", "latitude")
CSV_WKT = ("wkt", "geom", "geometry", "the_geom")
EXPORT_FORMATS = {
    "gpkg": ("GPKG", ".gpkg", "application/geopackage+sqlite3"),
    "geojson": ("GeoJSON", ".geojson", "application/geo+json"),
    "shp": ("ESRI Shapefile", ".zip", "application/zip"),
    "csv": ("CSV", ".csv", "text/csv"),
}


@dataclass(frozen=True)
class StagedFile:
    """An upload checked and written to a private folder, ready for GDAL."""

    path: Path  # what GDAL opens (the .shp inside an unpacked zip)
    filename: str  # as the user named it
    fmt: str
    sha256: str
    size: int


@dataclass
class LayerRead:
    frame: gpd.GeoDataFrame  # in EPSG:4326, valid geometries only (repaired with consent)
    layer_name: str
    source_crs: str
    geometry_type: str
    repaired: int = 0
    warnings: list[str] = field(default_factory=list)
    # GDAL's own WKB of each feature while the geometries are unchanged (no reprojection, no repair): the
    # loader sends it as it is, which saves re-encoding a million vertices.
    wkb: np.ndarray | None = None


def safe_slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.strip().lower()).strip("-_")[:80]
    return slug or "layer"


# --- staging an upload ----------------------------------------------------------------------------
@contextmanager
def staged_upload(data: bytes, filename: str, max_bytes: int = MAX_UPLOAD_BYTES) -> Iterator[StagedFile]:
    """Checks the bytes of an upload and writes them to a temporary folder removed when the block ends."""
    with tempfile.TemporaryDirectory(prefix="hub-layer-") as tmp:
        yield stage_upload(data, filename, Path(tmp), max_bytes)


def stage_upload(data: bytes, filename: str, workdir: Path, max_bytes: int = MAX_UPLOAD_BYTES) -> StagedFile:
    name = PurePosixPath(filename.replace("\\", "/")).name or "upload"
    if len(data) > max_bytes:
        raise ValidationError(f"{name} is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB.")
    if not data:
        raise ValidationError(f"{name} is empty.")
    suffix = PurePosixPath(name.lower()).suffix
    fmt = FORMATS.get(suffix)
    if fmt is None:
        raise ValidationError(f"{name}: unsupported file type {suffix or '(none)'}. Upload a zipped Shapefile "
                              ".zip, a GeoPackage .gpkg, GeoJSON .geojson, KML .kml or CSV .csv.")
    _check_content_matches(data, name, fmt)
    sha = hashlib.sha256(data).hexdigest()
    if fmt == "zip":
        path = _unzip_shapefile(data, name, workdir)
        return StagedFile(path, name, "shp", sha, len(data))
    if fmt == "kml":
        _check_kml(data, name)
    if fmt in ("geojson", "csv", "kml"):
        _check_utf8(data, name)
    # A fixed name in a private folder: the user's file name never becomes a path.
    path = workdir / f"upload{'.geojson' if fmt == 'geojson' else suffix}"
    path.write_bytes(data)
    return StagedFile(path, name, fmt, sha, len(data))


def _check_content_matches(data: bytes, name: str, fmt: str) -> None:
    head = data[:64]
    for other, magics in MAGIC.items():
        if any(head.startswith(m) for m in magics) and other != fmt:
            raise ValidationError(f"{name}: the extension says {fmt.upper()} but the content is a "
                                  f"{other.upper()} file. Rename it or upload the right file.")
    if fmt in MAGIC and not any(head.startswith(m) for m in MAGIC[fmt]):
        raise ValidationError(f"{name}: the extension says {fmt.upper()} but the content is not a "
                              f"{fmt.upper()} file (it may be truncated or renamed).")
    text_head = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if fmt == "geojson" and not text_head.startswith(b"{"):
        raise ValidationError(f"{name}: the extension says GeoJSON but the content is not JSON.")
    if fmt == "kml" and not text_head.startswith(b"<"):
        raise ValidationError(f"{name}: the extension says KML but the content is not XML.")
    if fmt == "csv" and text_head[:1] in (b"{", b"<"):
        raise ValidationError(f"{name}: the extension says CSV but the content looks like JSON or XML.")


def _check_utf8(data: bytes, name: str) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValidationError(f"{name}: text is not UTF-8 (byte 0x{data[exc.start]:02x} on line {line}). "
                              "Save the file as UTF-8 and upload it again.") from None


def _check_kml(data: bytes, name: str) -> None:
    # defusedxml refuses DTDs and entities (external ones would make GDAL's parser read local files or the
    # network); network links would make GDAL fetch URLs. Both are refused before GDAL sees the file.
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise ValidationError(f"{name}: the KML declares a DTD or entities, which are refused for safety. "
                              "Export it again without them.") from None
    except SafeET.ParseError as exc:
        raise ValidationError(f"{name}: the KML is not well-formed XML ({exc}); it may be truncated.") from None
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] in ("NetworkLink", "NetworkLinkControl"):
            raise ValidationError(f"{name}: the KML contains network links, which are refused: "
                                  "upload the linked data itself.")


def _unzip_shapefile(data: bytes, name: str, workdir: Path) -> Path:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise ValidationError(f"{name}: the zip archive cannot be read; it may be truncated.") from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise ValidationError(f"{name}: the zip holds {len(members)} files; at most {MAX_ZIP_MEMBERS} are allowed.")
    total = 0
    for info in members:
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or info.filename.startswith(("/", "\\")) or ":" in path.parts[0]:
            raise ValidationError(f"{name}: the zip contains a path that leaves its folder ({info.filename!r}); "
                                  "it is refused.")
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise ValidationError(f"{name}: the zip contains a symbolic link ({info.filename!r}); it is refused.")
        total += info.file_size
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 1_000_000:
            raise ValidationError(f"{name}: {info.filename} expands {info.file_size // info.compress_size} times "
                                  "(a zip bomb?); it is refused.")
    if total > MAX_UNZIPPED_BYTES:
        raise ValidationError(f"{name}: the zip would unpack to {total / 1e6:.0f} MB; the limit is "
                              f"{MAX_UNZIPPED_BYTES / 1e6:.0f} MB.")
    shps = [m for m in members if m.filename.lower().endswith(".shp") and not m.is_dir()
            and "__macosx" not in m.filename.lower()]
    if not shps:
        raise ValidationError(f"{name}: the zip holds no .shp file.")
    if len(shps) > 1:
        raise ValidationError(f"{name}: the zip holds {len(shps)} Shapefiles; upload one layer a zip.")
    stem = shps[0].filename[:-4]
    by_name = {m.filename.lower(): m for m in members}
    missing = [ext for ext in SHAPEFILE_PARTS if (stem + ext).lower() not in by_name]
    if missing:
        raise ValidationError(f"{name}: the Shapefile {PurePosixPath(stem).name} is missing its "
                              f"{', '.join(missing)} file{'s' if len(missing) > 1 else ''}. "
                              "Zip all the parts together.")
    out = workdir / "shp"
    out.mkdir()
    written = 0
    for ext in (*SHAPEFILE_PARTS, ".cpg"):
        member = by_name.get((stem + ext).lower())
        if member is None:
            continue
        target = out / f"layer{ext}"  # fixed names: nothing from the archive becomes a path
        with archive.open(member) as src, target.open("wb") as dst:
            while chunk := src.read(1 << 20):
                written += len(chunk)
                if written > MAX_UNZIPPED_BYTES:  # sizes in the directory can lie; count what comes out
                    raise ValidationError(f"{name}: the zip unpacks to more than it declares; it is refused.")
                dst.write(chunk)
    _check_shp_length(out / "layer.shp", name)
    return out / "layer.shp"


def _check_shp_length(path: Path, name: str) -> None:
    # GDAL reads a cut .shp quietly, dropping what is missing: the header says how long the file must be.
    data = path.read_bytes()[:100]
    if len(data) < 100 or struct.unpack(">i", data[:4])[0] != 9994:
        raise ValidationError(f"{name}: the .shp file is not a Shapefile or is truncated.")
    declared = struct.unpack(">i", data[24:28])[0] * 2
    actual = path.stat().st_size
    if actual < declared:
        raise ValidationError(f"{name}: the .shp file is truncated ({actual:,} of {declared:,} bytes).")


# --- reading --------------------------------------------------------------------------------------
def list_layers(staged: StagedFile) -> list[str]:
    try:
        return [str(row[0]) for row in pyogrio.list_layers(staged.path)]
    except (DataSourceError, DataLayerError) as exc:
        raise ValidationError(f"{staged.filename}: the file cannot be read ({_gdal_message(exc)}); it may be "
                              "truncated or damaged.") from None


def read_layer(staged: StagedFile, layer: str | None = None, repair: bool = False,
               csv_crs: str = "EPSG:4326") -> LayerRead:
    """Reads one layer, in EPSG:4326, checked; raises ValidationError naming the problem."""
    names = list_layers(staged)
    if not names:
        raise ValidationError(f"{staged.filename}: the file holds no layer.")
    if layer is None:
        if len(names) > 1 and staged.fmt == "gpkg":
            raise ValidationError(f"{staged.filename} holds {len(names)} layers ({', '.join(names)}): choose one.")
        layer = names[0]
    elif layer not in names:
        raise ValidationError(f"{staged.filename} has no layer {layer!r}; it has: {', '.join(names)}.")
    frame, wkb = _read_frame(staged, layer, csv_crs)
    if len(frame) == 0:
        raise ValidationError(f"{staged.filename}: layer {layer!r} has no features.")
    source_crs = _crs_name(frame.crs, staged)
    if frame.crs is not None and not CRS.from_user_input(frame.crs).equals(CRS.from_epsg(4326), ignore_axis_order=True):
        try:
            frame, wkb = frame.to_crs(4326), None
        except (CRSError, ValueError) as exc:
            raise ValidationError(f"{staged.filename}: cannot reproject from {source_crs} to EPSG:4326 ({exc}).") \
                from None
    frame = frame.set_crs(4326, allow_override=True)
    frame = _clean_columns(frame)
    _check_geometries_present(frame, staged.filename)
    _check_coordinates(frame, staged.filename)
    frame, repaired = _check_validity(frame, staged.filename, repair)
    # Z and M are dropped by the loader (ST_Force2D): the hub's maps and exports are 2D.
    return LayerRead(frame, layer, source_crs, geometry_type_of(frame), repaired,
                     wkb=wkb if not repaired else None)


def _read_frame(staged: StagedFile, layer: str, csv_crs: str) -> tuple[gpd.GeoDataFrame, np.ndarray | None]:
    try:
        if staged.fmt == "csv":
            return _read_csv(staged, layer, csv_crs), None
        if staged.fmt == "gpkg":
            arrow = _read_arrow(staged, layer)
            if arrow is not None:
                return arrow
        # pyogrio's raw reader keeps GDAL's WKB beside the parsed shapes (read_dataframe would drop it).
        meta, _fids, wkb, fields = pyogrio.raw.read(staged.path, layer=layer)
        data = pd.DataFrame({name: values for name, values in zip(meta["fields"], fields, strict=True)})
        frame = gpd.GeoDataFrame(data, geometry=shapely.from_wkb(wkb), crs=meta["crs"])
        return frame, wkb
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{staged.filename}: attribute text is not UTF-8 ({exc.reason} at byte "
                              f"{exc.start}). Save it as UTF-8, or add a .cpg file naming its encoding.") from None
    except (DataSourceError, DataLayerError) as exc:
        raise ValidationError(f"{staged.filename}: the file cannot be read ({_gdal_message(exc)}); it may be "
                              "truncated or damaged.") from None


def _read_arrow(staged: StagedFile, layer: str) -> tuple[gpd.GeoDataFrame, np.ndarray] | None:
    """A GeoPackage layer through GDAL's Arrow stream, which reads it several times quicker than feature by
    feature (0.07 s against 0.5 s for 100,000 polygons), with GDAL's WKB as it is. None when a text column
    is not valid UTF-8: the feature reader then names the problem, as for the other formats."""
    meta, table = pyogrio.read_arrow(staged.path, layer=layer)
    geometry = meta["geometry_name"] or "wkb_geometry"
    wkb = table.column(geometry).to_numpy(zero_copy_only=False)
    attributes = table.drop_columns([geometry])
    try:
        attributes.validate(full=True)  # checks, among others, that every string is UTF-8
    except pa.ArrowInvalid:
        return None
    frame = gpd.GeoDataFrame(attributes.to_pandas(), geometry=shapely.from_wkb(wkb), crs=meta["crs"])
    return frame, wkb


def _read_csv(staged: StagedFile, layer: str, csv_crs: str) -> gpd.GeoDataFrame:
    info = pyogrio.read_info(staged.path, layer=layer)
    columns = {c.lower(): c for c in info["fields"]}
    wkt = next((columns[c] for c in CSV_WKT if c in columns), None)
    x = next((columns[c] for c in CSV_X if c in columns), None)
    y = next((columns[c] for c in CSV_Y if c in columns), None)
    if wkt:
        options = {"GEOM_POSSIBLE_NAMES": wkt, "KEEP_GEOM_COLUMNS": "NO"}
    elif x and y:
        options = {"X_POSSIBLE_NAMES": x, "Y_POSSIBLE_NAMES": y, "KEEP_GEOM_COLUMNS": "NO"}
    else:
        raise ValidationError(f"{staged.filename}: no coordinates found. Name the columns lon and lat (or x and "
                              "y, longitude and latitude), or put WKT in a column named wkt.")
    frame = pyogrio.read_dataframe(staged.path, layer=layer, **options)
    if wkt is None:
        # GDAL skips a row whose coordinates are not numbers: say so rather than lose it.
        raw = pd.read_csv(staged.path, usecols=[x, y], dtype=str, keep_default_na=False)
        bad = [i + 2 for i, (a, b) in enumerate(zip(raw[x], raw[y], strict=True)) if not (_number(a) and _number(b))]
        if bad:
            raise ValidationError(f"{staged.filename}: coordinates that are not numbers on line(s) "
                                  f"{_rows(bad)}.")
    try:
        return frame.set_crs(CRS.from_user_input(csv_crs), allow_override=True)
    except CRSError:
        raise ValidationError(f"Unknown CRS {csv_crs!r} for {staged.filename}.") from None


def _number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _crs_name(crs: Any, staged: StagedFile) -> str:
    if crs is None:
        if staged.fmt in ("geojson", "kml"):
            return "EPSG:4326"  # RFC 7946 and KML are WGS 84 by definition
        raise ValidationError(f"{staged.filename}: the file declares no coordinate reference system, or one GDAL "
                              "does not know (an unknown CRS). Add a .prj, or save it with an EPSG code.")
    parsed = CRS.from_user_input(crs)
    if parsed.is_engineering or not (parsed.is_geographic or parsed.is_projected):
        raise ValidationError(f"{staged.filename}: unknown CRS ({parsed.name}); it cannot be placed on the earth.")
    epsg = parsed.to_epsg()
    return f"EPSG:{epsg}" if epsg else parsed.name


def _clean_columns(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    # Dates and times become ISO text so that JSON, the grid and every export format agree on them.
    for column in frame.columns:
        if column == frame.geometry.name:
            continue
        series = frame[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            frame[column] = series.dt.strftime("%Y-%m-%dT%H:%M:%S").where(series.notna(), None)
        elif series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) not in ("string", "empty"):
            # (infer_dtype runs in C: a column of text, the usual case, is not walked in Python)
            frame[column] = series.map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
    return frame


def _check_geometries_present(frame: gpd.GeoDataFrame, filename: str) -> None:
    missing = np.flatnonzero(frame.geometry.isna().to_numpy() | frame.geometry.is_empty.to_numpy())
    if len(missing):
        raise ValidationError(f"{filename}: {len(missing)} feature(s) have no geometry (rows {_rows(missing + 1)}).")


def _check_coordinates(frame: gpd.GeoDataFrame, filename: str) -> None:
    coords = shapely.get_coordinates(frame.geometry.values)
    if not np.isfinite(coords).all():
        rows = [i + 1 for i, g in enumerate(frame.geometry.values)
                if not np.isfinite(shapely.get_coordinates(g)).all()]
        raise ValidationError(f"{filename}: coordinates that are not numbers (NaN or infinite) in row(s) "
                              f"{_rows(rows)}.")
    bounds = frame.geometry.bounds.to_numpy()
    eps = 1e-6  # real data (Natural Earth's Russia, say) ends a hair past 180 after rounding
    bad = np.flatnonzero((bounds[:, 0] < -180 - eps) | (bounds[:, 2] > 180 + eps)
                         | (bounds[:, 1] < -90 - eps) | (bounds[:, 3] > 90 + eps))
    if len(bad):
        raise ValidationError(f"{filename}: coordinates out of range (longitude -180..180, latitude -90..90) in "
                              f"row(s) {_rows(bad + 1)}. Is the declared CRS right?")


def _check_validity(frame: gpd.GeoDataFrame, filename: str, repair: bool) -> tuple[gpd.GeoDataFrame, int]:
    valid = shapely.is_valid(frame.geometry.values)
    invalid = np.flatnonzero(~valid)
    if not len(invalid):
        return frame, 0
    if not repair:
        reasons = [f"row {i + 1}: {shapely.is_valid_reason(frame.geometry.values[i])}" for i in invalid[:MAX_REPORTED]]
        more = f" and {len(invalid) - MAX_REPORTED} more" if len(invalid) > MAX_REPORTED else ""
        raise ValidationError(f"{filename}: {len(invalid)} invalid geometr{'y' if len(invalid) == 1 else 'ies'} "
                              f"({'; '.join(reasons)}{more}). Import again with “repair invalid geometries” to "
                              "have them repaired (ST_MakeValid rules), or fix them in your GIS.")
    geoms = frame.geometry.values.copy()
    geoms[invalid] = shapely.make_valid(geoms[invalid])
    frame = frame.copy()
    frame.geometry = geoms
    return frame, len(invalid)


def ewkb(wkb: Any, srid: int = 4326) -> list[bytes] | None:
    """GDAL's WKB of each feature as EWKB carrying ``srid``, which a binary COPY writes as it is into a
    geometry(…, srid) column (no parse, no ST_SetSRID pass); None when a geometry has Z or M, which the
    loader then drops with shapely (the hub is 2D).

    Only the 5-byte header changes (the SRID flag on the type, then the SRID), so the new header is worked
    out once per kind of header and the body is kept as it is.
    """
    heads: dict[bytes, bytes | None] = {}
    out = []
    for blob in wkb:
        head = bytes(blob[:5])
        prefix = heads.get(head, b"")
        if prefix == b"":
            order = "<" if head[0] == 1 else ">"
            kind = struct.unpack(order + "I", head[1:5])[0]
            # ISO Z/M types are 1000 and up; EWKB flags Z, M and SRID in the top three bits
            prefix = None if kind & 0xE0000000 or kind >= 1000 else (
                head[:1] + struct.pack(order + "I", kind | 0x20000000) + struct.pack(order + "I", srid))
            heads[head] = prefix
        if prefix is None:
            return None
        out.append(prefix + bytes(blob[5:]))
    return out


def geometry_type_of(frame: gpd.GeoDataFrame) -> str:
    """The layer's type: one type, or its Multi form when single and multi mix; Geometry otherwise."""
    kinds = set(frame.geometry.geom_type.dropna().unique())
    if len(kinds) == 1:
        return str(kinds.pop())
    bases = {k.removeprefix("Multi") for k in kinds}
    if len(bases) == 1:
        return "Multi" + str(bases.pop())
    return "Geometry"


def check_unique_key(frame: gpd.GeoDataFrame, key: str, filename: str) -> None:
    """An upsert's file names each feature once by its key: a repeated key would add two features where the
    user meant one, so the whole file is refused, naming the values and their rows. Keys compare as the
    database compares them (as text); features without a key are new ones and may be many."""
    present = frame[key].notna().to_numpy()
    rows_of: dict[str, list[int]] = {}
    for row, (value, has) in enumerate(zip(frame[key].to_numpy(), present, strict=True), 1):
        if has:
            rows_of.setdefault(str(value), []).append(row)
    positions = {value: rows for value, rows in rows_of.items() if len(rows) > 1}
    if not positions:
        return
    listed = "; ".join(f"{value!r} in rows {_rows(rows)}" for value, rows in list(positions.items())[:MAX_REPORTED])
    more = f" and {len(positions) - MAX_REPORTED} more" if len(positions) > MAX_REPORTED else ""
    raise ValidationError(f"{filename}: the key {key!r} must name each feature once for an upsert, but "
                          f"{len(positions)} value(s) repeat: {listed}{more}. Nothing was imported.")


def _rows(rows: Any) -> str:
    rows = [int(r) for r in rows]
    text = ", ".join(str(r) for r in rows[:MAX_REPORTED])
    return text + (f" and {len(rows) - MAX_REPORTED} more" if len(rows) > MAX_REPORTED else "")


def _gdal_message(exc: Exception) -> str:
    # GDAL's messages name our temporary folder; the user knows the file by its own name.
    folder = re.escape(tempfile.gettempdir()) + r"/hub-layer-[^\s:'\"]*"
    return re.sub(folder, "the file", str(exc)).strip()[:300]


# --- writing --------------------------------------------------------------------------------------
def write_export(frame: gpd.GeoDataFrame, fmt: str, name: str) -> tuple[bytes, str, str]:
    """A layer as file bytes in one of EXPORT_FORMATS: (bytes, file name, media type)."""
    if fmt not in EXPORT_FORMATS:
        raise ValidationError(f"Unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}.")
    driver, suffix, media = EXPORT_FORMATS[fmt]
    name = safe_slug(name)
    with tempfile.TemporaryDirectory(prefix="hub-export-") as tmp:
        out = Path(tmp) / f"{name}{'.shp' if fmt == 'shp' else suffix}"
        options: dict[str, Any] = {}
        if fmt == "csv":
            options["layer_options"] = {"GEOMETRY": "AS_WKT"}
        if fmt == "shp":
            options["encoding"] = "UTF-8"  # writes a .cpg so readers decode the text right
        pyogrio.write_dataframe(frame, out, driver=driver, layer=name, **options)
        if fmt != "shp":
            return out.read_bytes(), out.name, media
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for part in sorted(Path(tmp).iterdir()):
                archive.write(part, part.name)
        return buffer.getvalue(), f"{name}.zip", media
