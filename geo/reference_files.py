"""Readers of the shipped reference files (Natural Earth, DPPADPOSS-PKO, the curated mission list, Geo-PKO).

Each reader parses and validates one file and returns plain dataclasses or DataFrames; nothing here touches
the database. Real data has quirks (decimal commas, swapped coordinates, a closed mission still flagged
active): the readers repair what they can and say so in ``repairs``; what they cannot repair raises
``ReferenceFileError`` naming the file, the row and the reason.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from models.enums import MissionType, SiteKind
from models.errors import ValidationError

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"

# Closures the source file does not know yet (its snapshot predates them or it was not updated).
KNOWN_CLOSURES: dict[str, tuple[date, str]] = {
    "MINUSMA": (date(2023, 12, 31), "closed on 31 December 2023 (Security Council resolution 2690 (2023))"),
}

# Missions Geo-PKO records that neither mission list has (UN integrated peacebuilding offices).
GEOPKO_EXTRA_MISSIONS: dict[str, tuple[str, MissionType, str, date, date]] = {
    "BINUB": ("United Nations Integrated Office in Burundi", MissionType.SPM, "DPPA",
              date(2007, 1, 1), date(2014, 12, 31)),
    "UNIOSIL": ("United Nations Integrated Office in Sierra Leone", MissionType.SPM, "DPPA",
                date(2006, 1, 1), date(2008, 9, 30)),
}

# ISO 3166 codes that Natural Earth keys differently (ADM0_A3) and that its ISO_A3 column cannot map.
ISO_TO_ADM0_EXTRA = {"XKX": "KOS", "XKO": "KOS"}
KOSOVO_ISO = "XKX"  # user-assigned in ISO 3166; the UN and the EU use it for Kosovo

# Distance within which a point counts as "on land" at 1:110m (coastal capitals fall in the sea otherwise).
_LAND_TOLERANCE_DEG = 0.3
# A swapped point must land this close (degrees) to the known place to be accepted as the repair.
_SWAP_MATCH_DEG = 2.0
# Geo-PKO variants of one location closer than this are one site that was re-geocoded.
_SAME_SITE_DEG = 0.02


class ReferenceFileError(ValidationError):
    """A reference file is malformed; the message names the file, the row and the reason."""

    def __init__(self, path: Path | str, reason: str, row: int | None = None) -> None:
        self.path = Path(path)
        self.row = row
        self.reason = reason
        where = f"{self.path.name}, row {row}" if row is not None else self.path.name
        super().__init__(f"{where}: {reason}")


# --- paths ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReferencePaths:
    countries: Path
    pko: Path
    curated: Path
    geopko: Path
    contributions: Path

    @classmethod
    def under(cls, root: Path | None = None) -> ReferencePaths:
        """The files under ``root``: the shipped layout (geo/data) or the shared one (../shared/data)."""
        root = Path(root) if root is not None else DATA_DIR
        if (root / "boundaries").is_dir():
            return cls(
                countries=root / "boundaries" / "ne_110m_admin_0_countries.shp",
                pko=root / "missions" / "DPPADPOSS-PKO_2024-02-19.csv",
                curated=root / "missions" / "current_missions_curated.csv",
                geopko=root / "deployments" / "FrontMap_v.2.3.csv",
                contributions=root / "contributions" / "corinnee_CountryByYear.csv",
            )
        return cls(
            countries=root / "naturalearth" / "ne_110m_admin_0_countries.shp",
            pko=root / "missions" / "DPPADPOSS-PKO_2024-02-19.csv",
            curated=root / "missions" / "current_missions_curated.csv",
            geopko=root / "geopko" / "FrontMap_v.2.3.csv",
            contributions=root / "contributions" / "corinnee_CountryByYear.csv",
        )


# --- records --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CountryRecord:
    iso3: str  # Natural Earth ADM0_A3
    iso_a3: str | None  # ISO 3166-1 alpha-3 (see _iso3166); None where ISO has none
    name: str
    name_fr: str | None
    region: str | None
    subregion: str | None
    continent: str | None
    geometry: MultiPolygon


@dataclass
class MissionRecord:
    acronym: str
    name: str
    mission_type: MissionType
    lead_department: str | None = None
    hq_city: str | None = None
    longitude: float | None = None
    latitude: float | None = None
    start_date: date | None = None
    end_date: date | None = None
    active: bool = False
    host_iso3: list[str] = field(default_factory=list)
    source: str = ""
    row: int | None = None


@dataclass
class MissionsRead:
    missions: list[MissionRecord]
    repairs: list[str]


@dataclass
class SitesRead:
    """Geo-PKO locations as distinct sites: one row per (mission, name) with its point and years."""

    sites: pd.DataFrame  # mission, name, location, country_name, latitude, longitude, first_year, last_year, kind
    repairs: list[str]


@dataclass
class ReferenceData:
    countries: list[CountryRecord]
    missions: list[MissionRecord]
    sites: pd.DataFrame
    repairs: list[str]
    paths: ReferencePaths


# --- helpers --------------------------------------------------------------------------------------------
def _require_columns(path: Path, columns: Iterable[str], required: Iterable[str]) -> None:
    missing = [c for c in required if c not in set(columns)]
    if missing:
        raise ReferenceFileError(path, f"missing column(s): {', '.join(missing)}")


def _read_csv(path: Path, **kwargs: object) -> pd.DataFrame:
    if not path.is_file():
        raise ReferenceFileError(path, "file not found")
    try:
        return pd.read_csv(path, keep_default_na=False, na_values=[""], encoding="utf-8", **kwargs)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise ReferenceFileError(path, f"not a readable CSV file ({exc})") from exc


def _line(index: int) -> int:
    # Row numbers are the file's line numbers: the header is line 1.
    return int(index) + 2


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


def _text(value: object) -> str | None:
    return None if _blank(value) else str(value).strip()


_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+\s*$")


def parse_coordinate(value: object, path: Path, row: int, column: str) -> tuple[float | None, bool]:
    """A coordinate as float (None when blank); the flag says a decimal comma was repaired."""
    if _blank(value):
        return None, False
    text = str(value).strip()
    comma = bool(_DECIMAL_COMMA.match(text))
    if comma:
        text = text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        raise ReferenceFileError(path, f"{column} {str(value)!r} is not a number", row) from None
    if not math.isfinite(number):
        raise ReferenceFileError(path, f"{column} {str(value)!r} is not a finite number", row)
    return number, comma


def _parse_date(value: object, path: Path, row: int, column: str) -> date | None:
    if _blank(value):
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ReferenceFileError(path, f"{column} {str(value)!r} is not a date (YYYY-MM-DD)", row) from None


def normalise_place(name: str | None) -> str:
    """Folds a place name for matching: accents off, lower case, qualifiers in brackets dropped."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.split(r"\(| and ", text, maxsplit=1)[0]
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _valid_lonlat(lon: float, lat: float) -> bool:
    return -180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0


def _to_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    # make_valid can return a collection: keep its polygonal parts.
    polygons: list[Polygon] = []
    for part in getattr(geom, "geoms", []):
        if isinstance(part, Polygon):
            polygons.append(part)
        elif isinstance(part, MultiPolygon):
            polygons.extend(part.geoms)
    return MultiPolygon(polygons)


# --- Natural Earth --------------------------------------------------------------------------------------
COUNTRY_COLUMNS = ("ADM0_A3", "ISO_A3", "NAME", "REGION_UN", "SUBREGION", "CONTINENT")


def read_countries(path: Path) -> list[CountryRecord]:
    """Natural Earth admin-0 countries keyed by ADM0_A3, geometries valid MultiPolygons in EPSG:4326."""
    path = Path(path)
    for sibling in (".shp", ".shx", ".dbf"):
        if not path.with_suffix(sibling).is_file():
            raise ReferenceFileError(path, f"the shapefile's {sibling} part is missing")
    try:
        info = pyogrio.read_info(path)
        frame: gpd.GeoDataFrame = pyogrio.read_dataframe(path)
    except Exception as exc:  # pyogrio raises several GDAL error types for a damaged file
        raise ReferenceFileError(path, f"cannot read the shapefile ({exc})") from exc
    _require_columns(path, frame.columns, COUNTRY_COLUMNS)
    if len(frame) != int(info["features"]):
        raise ReferenceFileError(path, f"read {len(frame)} features but the index declares {info['features']}")
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    has_fr = "NAME_FR" in frame.columns
    seen: set[str] = set()
    out: list[CountryRecord] = []
    for index, row in enumerate(frame.itertuples(index=False)):
        feature = index + 1
        code = _text(row.ADM0_A3)
        if not code or not re.fullmatch(r"[A-Z]{3}", code):
            raise ReferenceFileError(path, f"ADM0_A3 {row.ADM0_A3!r} is not a three-letter code", feature)
        if code in seen:
            raise ReferenceFileError(path, f"ADM0_A3 {code} appears twice", feature)
        seen.add(code)
        geom = row.geometry
        if geom is None or geom.is_empty:
            raise ReferenceFileError(path, f"{code} has no geometry (truncated or damaged .shp?)", feature)
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        multi = _to_multipolygon(geom)
        if multi.is_empty:
            raise ReferenceFileError(path, f"{code} has no polygon geometry", feature)
        out.append(CountryRecord(
            iso3=code,
            iso_a3=_iso3166(row, code),
            name=_text(row.NAME) or code,
            name_fr=_text(row.NAME_FR) if has_fr else None,
            region=_text(row.REGION_UN),
            subregion=_text(row.SUBREGION),
            continent=_text(row.CONTINENT),
            geometry=multi,
        ))
    return out


def _iso3166(row: Any, adm0: str) -> str | None:
    """A Natural Earth row's ISO 3166-1 alpha-3 code. ISO_A3 is -99 for France and Norway; ISO_A3_EH
    ("except historical") has FRA but -99 for Norway, where ADM0_A3_IS (Natural Earth's ISO-ish key) is
    its own NOR. ADM0_A3_IS is taken only when it equals ADM0_A3: for Northern Cyprus, Somaliland and Western
    Sahara it names the state ISO counts them in (CYP, SOM, MAR). Kosovo has no ISO code: XKX, as the UN and
    the EU use. Otherwise None (Northern Cyprus, Somaliland)."""
    for column in ("ISO_A3", "ISO_A3_EH"):
        value = _text(getattr(row, column, None))
        if value and re.fullmatch(r"[A-Z]{3}", value):
            return value
    if adm0 == "KOS":  # before ADM0_A3_IS, which is KOS too
        return KOSOVO_ISO
    return adm0 if _text(getattr(row, "ADM0_A3_IS", None)) == adm0 else None


def iso_aliases(countries: Iterable[CountryRecord]) -> dict[str, str]:
    """ISO 3166 alpha-3 (and ADM0_A3) -> the hub's key (ADM0_A3): SSD -> SDS, ESH -> SAH, XKX -> KOS."""
    aliases: dict[str, str] = {}
    for country in countries:
        aliases[country.iso3] = country.iso3
        if country.iso_a3:
            aliases.setdefault(country.iso_a3, country.iso3)
    for iso, adm0 in ISO_TO_ADM0_EXTRA.items():
        if adm0 in aliases:
            aliases.setdefault(iso, adm0)
    return aliases


def land_test(countries: list[CountryRecord]) -> Callable[[float, float], bool]:
    """A predicate: does (lon, lat) fall in (or within a coastal tolerance of) some country?"""
    tree = shapely.STRtree([c.geometry for c in countries])

    def on_land(lon: float, lat: float) -> bool:
        hits = tree.query(Point(lon, lat), predicate="dwithin", distance=_LAND_TOLERANCE_DEG)
        return len(hits) > 0

    return on_land


# --- DPPADPOSS-PKO --------------------------------------------------------------------------------------
PKO_COLUMNS = ("mission_acronym", "mission_name", "lead_department", "mission_isactive", "start_date",
               "end_date", "mission_location", "mission_longitude", "mission_latitude")


def _orient(lon: float, lat: float, place: str | None, places: dict[str, tuple[float, float]],
            on_land: Callable[[float, float], bool] | None) -> str | None:
    """Why (lon, lat) should be read swapped, or None when it reads right as given."""
    as_given, swapped = _valid_lonlat(lon, lat), _valid_lonlat(lat, lon)
    if not as_given:
        return "latitude out of range" if swapped else None
    if not swapped:
        return None
    known = places.get(normalise_place(place))
    if known is not None:
        d_given = math.dist((lon, lat), known)
        d_swapped = math.dist((lat, lon), known)
        if d_swapped < d_given and d_swapped <= _SWAP_MATCH_DEG:
            return f"as given it lies {d_given:.0f}° from {place!s}, swapped it lies {d_swapped:.2f}° away"
        return None
    if on_land is not None and not on_land(lon, lat) and on_land(lat, lon):
        return "as given it falls in no country, swapped it does"
    return None


def read_pko(path: Path, *, places: dict[str, tuple[float, float]] | None = None,
             countries: list[CountryRecord] | None = None, last_update: date | None = None) -> MissionsRead:
    """All peacekeeping operations from DPPADPOSS-PKO, coordinates repaired (decimal commas, swapped axes).

    ``places`` (folded place name -> (lon, lat)) comes from trusted files (the curated list, Geo-PKO) and
    decides which reading of a suspicious row is right; ``countries`` adds a land test for places no
    trusted file knows.
    """
    path = Path(path)
    frame = _read_csv(path, dtype=str)
    _require_columns(path, frame.columns, PKO_COLUMNS)
    places = places or {}
    on_land = land_test(countries) if countries else None
    repairs: list[str] = []
    missions: list[MissionRecord] = []
    commas = 0
    seen: set[str] = set()
    for index, row in frame.iterrows():
        line = _line(int(index))
        acronym = _text(row["mission_acronym"])
        name = _text(row["mission_name"])
        if not acronym or not name:
            raise ReferenceFileError(path, "mission_acronym and mission_name are required", line)
        if acronym in seen:
            raise ReferenceFileError(path, f"mission {acronym} appears twice", line)
        seen.add(acronym)
        flag = (_text(row["mission_isactive"]) or "").lower()
        if flag not in {"yes", "no"}:
            raise ReferenceFileError(path, f"mission_isactive {row['mission_isactive']!r} is not Yes or No", line)
        lon, comma_lon = parse_coordinate(row["mission_longitude"], path, line, "mission_longitude")
        lat, comma_lat = parse_coordinate(row["mission_latitude"], path, line, "mission_latitude")
        commas += comma_lon + comma_lat
        place = _text(row["mission_location"])
        if (lon is None) != (lat is None):
            raise ReferenceFileError(path, "only one of longitude and latitude is given", line)
        if lon is not None and lat is not None:
            why = _orient(lon, lat, place, places, on_land)
            if why is not None:
                repairs.append(f"DPPADPOSS-PKO row {line} {acronym}: latitude and longitude swapped ({why}); "
                               f"read as lat {lon}, lon {lat}")
                lon, lat = lat, lon
            if not _valid_lonlat(lon, lat):
                raise ReferenceFileError(path, f"coordinates lon {lon}, lat {lat} are out of range", line)
        else:
            repairs.append(f"DPPADPOSS-PKO row {line} {acronym}: no coordinates; mission kept without an HQ point")
        start = _parse_date(row["start_date"], path, line, "start_date")
        end = _parse_date(row["end_date"], path, line, "end_date")
        active = flag == "yes"
        if active and acronym in KNOWN_CLOSURES and end is None:
            end, why = KNOWN_CLOSURES[acronym]
            active = False
            repairs.append(f"DPPADPOSS-PKO row {line} {acronym}: flagged active but {why}; end date set, not active")
        elif active and end is not None and last_update is not None and end < last_update:
            active = False
            repairs.append(f"DPPADPOSS-PKO row {line} {acronym}: flagged active but ended {end}; not active")
        if start and end and end < start:
            raise ReferenceFileError(path, f"end_date {end} is before start_date {start}", line)
        missions.append(MissionRecord(
            acronym=acronym, name=name, mission_type=MissionType.PKO,
            lead_department=_text(row["lead_department"]), hq_city=place,
            longitude=lon, latitude=lat, start_date=start, end_date=end, active=active,
            source="UN Peace and Security Data Hub, DPPADPOSS-PKO (2024-02-19)", row=line,
        ))
    if commas:
        repairs.append(f"DPPADPOSS-PKO: {commas} coordinates used a decimal comma; read as decimal points")
    for message in repairs:
        log.info(message)
    return MissionsRead(missions, repairs)


# --- curated current missions ---------------------------------------------------------------------------
CURATED_COLUMNS = ("acronym", "name", "mission_type", "lead_department", "hq_city", "host_iso3", "latitude",
                   "longitude", "coord_source")
_CURATED_TYPES = {"PKO": MissionType.PKO, "SPM": MissionType.SPM}


def read_curated(path: Path) -> list[MissionRecord]:
    """Current PKOs, SPMs and the UN Global Service Centre (type PKO/SPM, anything else other_un_entity)."""
    path = Path(path)
    frame = _read_csv(path, dtype=str)
    _require_columns(path, frame.columns, CURATED_COLUMNS)
    out: list[MissionRecord] = []
    seen: set[str] = set()
    for index, row in frame.iterrows():
        line = _line(int(index))
        acronym, name, kind = _text(row["acronym"]), _text(row["name"]), _text(row["mission_type"])
        if not acronym or not name or not kind:
            raise ReferenceFileError(path, "acronym, name and mission_type are required", line)
        if acronym in seen:
            raise ReferenceFileError(path, f"mission {acronym} appears twice", line)
        seen.add(acronym)
        lat, _ = parse_coordinate(row["latitude"], path, line, "latitude")
        lon, _ = parse_coordinate(row["longitude"], path, line, "longitude")
        if lat is None or lon is None or not _valid_lonlat(lon, lat):
            raise ReferenceFileError(path, f"latitude/longitude {row['latitude']!r}, {row['longitude']!r} invalid",
                                     line)
        hosts = [h.strip().upper() for h in (_text(row["host_iso3"]) or "").split(";") if h.strip()]
        if any(not re.fullmatch(r"[A-Z]{3}", h) for h in hosts):
            raise ReferenceFileError(path, f"host_iso3 {row['host_iso3']!r} is not a three-letter code", line)
        out.append(MissionRecord(
            acronym=acronym, name=name, mission_type=_CURATED_TYPES.get(kind.upper(), MissionType.OTHER),
            lead_department=_text(row["lead_department"]), hq_city=_text(row["hq_city"]),
            longitude=lon, latitude=lat, active=True, host_iso3=hosts,
            source=f"current_missions_curated.csv ({_text(row['coord_source']) or 'hand-assembled'})", row=line,
        ))
    return out


# --- Geo-PKO --------------------------------------------------------------------------------------------
GEOPKO_COLUMNS = ("mission", "year", "country", "location", "latitude", "longitude", "hq")


def _numeric(frame: pd.DataFrame, column: str, path: Path) -> pd.Series:
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() | ~np.isfinite(values.astype(float))
    if bad.any():
        index = int(np.flatnonzero(bad.to_numpy())[0])
        raise ReferenceFileError(path, f"{column} {frame[column].iloc[index]!r} is not a number", _line(index))
    return values


def read_geopko(path: Path) -> SitesRead:
    """Geo-PKO FrontMap rows (mission x year x location) as distinct sites with their first and last year.

    A location re-geocoded by a few metres between years is one site at its latest coordinates; a name that
    really denotes two places gets a numbered suffix, so (mission, name) stays a natural key.
    """
    path = Path(path)
    frame = _read_csv(path, dtype={"mission": str, "country": str, "location": str})
    _require_columns(path, frame.columns, GEOPKO_COLUMNS)
    for column in ("mission", "location"):
        blank = frame[column].isna() | (frame[column].astype(str).str.strip() == "")
        if blank.any():
            raise ReferenceFileError(path, f"{column} is empty", _line(int(np.flatnonzero(blank.to_numpy())[0])))
    lat = _numeric(frame, "latitude", path)
    lon = _numeric(frame, "longitude", path)
    year = _numeric(frame, "year", path)
    hq = _numeric(frame, "hq", path)
    out_of_range = (lat.abs() > 90) | (lon.abs() > 180)
    if out_of_range.any():
        index = int(np.flatnonzero(out_of_range.to_numpy())[0])
        raise ReferenceFileError(path, f"coordinates lat {lat.iloc[index]}, lon {lon.iloc[index]} out of range",
                                 _line(index))
    rows = pd.DataFrame({
        "mission": frame["mission"].str.strip(), "location": frame["location"].str.strip(),
        "country_name": frame["country"].fillna("").str.strip(), "latitude": lat.astype(float).round(6),
        "longitude": lon.astype(float).round(6), "year": year.astype(int), "hq": hq.astype(int),
    })
    variants = (rows.groupby(["mission", "location", "latitude", "longitude"], sort=True)
                .agg(first_year=("year", "min"), last_year=("year", "max"), hq=("hq", "max"),
                     country_name=("country_name", "first"))
                .reset_index())
    variants["kind"] = np.where(variants["hq"] == 3, str(SiteKind.MISSION_HQ), str(SiteKind.DEPLOYMENT_LOCATION))
    variants["name"] = variants["location"]
    several = variants.duplicated(["mission", "location"], keep=False)
    repairs: list[str] = []
    records: list[dict[str, object]] = []
    # Only a few dozen names have several coordinates: the slow, careful path is for them alone.
    for (mission, location), group in variants[several].groupby(["mission", "location"], sort=True):
        group = group.sort_values(["last_year", "first_year", "latitude", "longitude"], ascending=False)
        clusters: list[list[pd.Series]] = []
        for _, variant in group.iterrows():
            for cluster in clusters:
                head = cluster[0]
                if max(abs(head.latitude - variant.latitude), abs(head.longitude - variant.longitude)) < _SAME_SITE_DEG:
                    cluster.append(variant)
                    break
            else:
                clusters.append([variant])
        if sum(len(c) for c in clusters) > len(clusters):
            repairs.append(f"Geo-PKO {mission} {location}: coordinates differing by under {_SAME_SITE_DEG}° "
                           "across years merged into one site (latest coordinates kept)")
        for number, cluster in enumerate(clusters, start=1):
            head = cluster[0]  # the latest-recorded coordinates
            records.append({
                "mission": mission, "location": location,
                "name": location if number == 1 else f"{location} ({number})",
                "country_name": head.country_name, "latitude": float(head.latitude),
                "longitude": float(head.longitude),
                "first_year": int(min(v.first_year for v in cluster)),
                "last_year": int(max(v.last_year for v in cluster)),
                "kind": str(SiteKind.MISSION_HQ if max(v.hq for v in cluster) == 3 else SiteKind.DEPLOYMENT_LOCATION),
            })
    columns = ["mission", "name", "location", "country_name", "latitude", "longitude", "first_year", "last_year",
               "kind"]
    single = variants.loc[~several, columns]
    sites = (pd.concat([single, pd.DataFrame.from_records(records, columns=columns)], ignore_index=True)
             .sort_values(["mission", "name"]).reset_index(drop=True))
    return SitesRead(sites, repairs)


def place_index(curated: list[MissionRecord], sites: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Folded place name -> (lon, lat) from trusted files; a mission HQ wins over another site of that name."""
    places: dict[str, tuple[float, float]] = {}
    ordered = sites.sort_values("kind", key=lambda k: k != str(SiteKind.MISSION_HQ))
    for row in ordered.itertuples(index=False):
        places.setdefault(normalise_place(str(row.location)), (float(row.longitude), float(row.latitude)))
    for mission in curated:
        if mission.hq_city and mission.longitude is not None and mission.latitude is not None:
            places[normalise_place(mission.hq_city)] = (mission.longitude, mission.latitude)
    return places


# --- contributions (shape of the generated experts) -----------------------------------------------------
CONTRIBUTION_COLUMNS = ("Year", "Country", "Mission", "Female", "Male")
_CONTRIBUTOR_ALIASES = {
    "bolivia (plurinational state of)": "BOL", "cote d ivoire": "CIV", "eswatini": "SWZ",
    "iran (islamic republic of)": "IRN", "north macedonia": "MKD", "viet nam": "VNM",
    "united republic of tanzania": "TZA", "republic of korea": "KOR", "russian federation": "RUS",
    "syrian arab republic": "SYR", "republic of moldova": "MDA", "democratic republic of the congo": "COD",
    "lao people s democratic republic": "LAO", "gambia (republic of the)": "GMB", "czechia": "CZE",
    "united states of america": "USA", "united kingdom of great britain and northern ireland": "GBR",
    "venezuela (bolivarian republic of)": "VEN",
}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z()]+", " ", text).strip()


def read_contributions(path: Path, countries: list[CountryRecord]) -> pd.DataFrame:
    """Uniformed personnel by contributing country summed over the years: iso3, female, male.

    Countries too small for Natural Earth 1:110m (Malta, Singapore, ...) are dropped: they cannot be a
    nationality in the hub's country table.
    """
    path = Path(path)
    frame = _read_csv(path)
    _require_columns(path, frame.columns, CONTRIBUTION_COLUMNS)
    for column in ("Female", "Male"):
        _numeric(frame, column, path)
    by_name: dict[str, str] = {}
    for country in countries:
        by_name.setdefault(_fold(country.name), country.iso3)
    by_name.update({k: v for k, v in _CONTRIBUTOR_ALIASES.items() if v in {c.iso3 for c in countries}})
    totals = frame.groupby("Country")[["Female", "Male"]].sum()
    rows = []
    for name, values in totals.iterrows():
        iso = by_name.get(_fold(str(name)))
        if iso is None:
            continue
        rows.append({"iso3": iso, "female": float(values["Female"]), "male": float(values["Male"])})
    out = pd.DataFrame(rows, columns=["iso3", "female", "male"])
    out = out.groupby("iso3", as_index=False).sum()
    return out[(out.female + out.male) > 0].sort_values("iso3").reset_index(drop=True)


# --- everything, wired ----------------------------------------------------------------------------------
def read_all(root: Path | None = None) -> ReferenceData:
    """Reads every reference file under ``root`` (default: the shipped geo/data) and merges the missions.

    Missions: DPPADPOSS-PKO for every PKO, completed by the curated list (its HQ coordinates, host
    countries and the missions DPPADPOSS-PKO does not list), plus the two offices only Geo-PKO records.
    """
    paths = ReferencePaths.under(root)
    countries = read_countries(paths.countries)
    curated = read_curated(paths.curated)
    geopko = read_geopko(paths.geopko)
    pko = read_pko(paths.pko, places=place_index(curated, geopko.sites), countries=countries)
    repairs = [*pko.repairs, *geopko.repairs]
    merged: dict[str, MissionRecord] = {m.acronym: m for m in pko.missions}
    for cur in curated:
        base = merged.get(cur.acronym)
        if base is None:
            merged[cur.acronym] = cur
            continue
        if base.longitude is None and cur.longitude is not None:
            repairs.append(f"{cur.acronym}: HQ point taken from current_missions_curated.csv ({cur.hq_city})")
        # The curated HQ comes from Geo-PKO 2024 (hq = 3), more precise than the city centroid.
        base.longitude, base.latitude = cur.longitude, cur.latitude
        base.hq_city = cur.hq_city or base.hq_city
        base.host_iso3 = cur.host_iso3
        base.source = f"{base.source}; HQ: {cur.source}"
        if not base.active and base.end_date is None:
            base.active = True
    known = set(merged)
    for acronym in sorted(set(geopko.sites["mission"]) - known):
        if acronym not in GEOPKO_EXTRA_MISSIONS:
            raise ReferenceFileError(paths.geopko, f"mission {acronym} is in no mission list")
        name, kind, dept, start, end = GEOPKO_EXTRA_MISSIONS[acronym]
        merged[acronym] = MissionRecord(acronym=acronym, name=name, mission_type=kind, lead_department=dept,
                                        start_date=start, end_date=end, active=False,
                                        source="Geo-PKO 2.3 (mission absent from DPPADPOSS-PKO)")
        repairs.append(f"{acronym}: recorded by Geo-PKO but in no mission list; added as {name}")
    return ReferenceData(countries=countries, missions=list(merged.values()), sites=geopko.sites,
                         repairs=repairs, paths=paths)
