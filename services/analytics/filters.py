"""The operations map's filter: one value object for the map, every chart, the downloads and the API.

It round-trips through a URL query string (``to_query`` / ``from_query``), so a view can be shared:
the page writes it into the address bar and a pasted link rebuilds the same filter.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from typing import Any

from models.enums import DeploymentKind, FundType, Gender, GenderMarker
from services.catalog import BBox
from services.errors import ValidationError

# A chart over more than this many days would need more buckets than a chart can show.
MAX_PERIOD_DAYS = 366 * 30
DEFAULT_PERIOD_MONTHS = 12  # whole months, so that the first and last bars of a monthly chart are whole too
MAX_VALUES = 50  # of one multi-valued filter: a URL is not a database dump
MAX_POLYGON_VERTICES = 2000
# Days a filter may name: from the first peacekeeping operation (1948) to a horizon no plan reaches. Past it,
# weekly and quarterly buckets would step beyond Python's year 9999 (an odd link was a server error).
FIRST_DAY, LAST_DAY = date(1948, 1, 1), date(2100, 12, 31)

# Query-string names of the tuple-valued fields, and the type each value must parse as.
_MULTI: dict[str, type] = {
    "capacity": str, "mission": str, "region": str, "country": str, "skill": str,
    "gender": Gender, "kind": DeploymentKind, "source": FundType, "marker": GenderMarker,
}


@dataclass(frozen=True)
class MapFilter:
    """What the user has chosen. Empty tuples mean "no restriction"."""

    start: date
    end: date
    # The day the map shows (who is where); None: the end of the period, or today if earlier.
    as_of: date | None = None
    capacity: tuple[str, ...] = ()  # capacity codes (SPC, JCSC)
    mission: tuple[str, ...] = ()  # mission acronyms
    region: tuple[str, ...] = ()  # Natural Earth UN regions (Africa, Asia, ...) of where the deployment is
    country: tuple[str, ...] = ()  # ISO3 of where the deployment is
    skill: tuple[str, ...] = ()  # skill codes the expert holds
    gender: tuple[Gender, ...] = ()
    kind: tuple[DeploymentKind, ...] = ()
    source: tuple[FundType, ...] = ()  # what pays the deployment: regular budget or extra-budgetary
    marker: tuple[GenderMarker, ...] = ()  # the deployment's gender marker
    bbox: BBox | None = None  # the viewport, when the user ties the charts to it
    # A drawn polygon or multipolygon, GeoJSON geometry in EPSG:4326.
    area: dict[str, Any] | None = field(default=None, hash=False, compare=True)

    def __post_init__(self) -> None:
        for name in ("start", "end", "as_of"):
            day = getattr(self, name)
            if day is not None and not FIRST_DAY <= day <= LAST_DAY:
                raise ValidationError(f"{name} must be between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()} "
                                      f"(got {day.isoformat()}).")
        if self.end < self.start:
            raise ValidationError(
                f"The period ends ({self.end.isoformat()}) before it starts ({self.start.isoformat()}): "
                "choose an end on or after the start."
            )
        if (self.end - self.start).days > MAX_PERIOD_DAYS:
            raise ValidationError("The period is longer than 30 years: choose a shorter one.")
        for name in _MULTI:
            if len(getattr(self, name)) > MAX_VALUES:
                raise ValidationError(f"Too many values for {name} (at most {MAX_VALUES}).")
        if self.area is not None:
            _check_area(self.area)

    @property
    def day(self) -> date:
        """The day the map shows."""
        return self.day_on(date.today())

    def day_on(self, today: date) -> date:
        """The day the map shows when it is ``today``: the chosen one, else today (the period's end if earlier)."""
        if self.as_of is not None:
            return self.as_of
        return min(self.end, today)

    @classmethod
    def default(cls, today: date | None = None) -> MapFilter:
        """The last twelve whole months, the current one included (1 Dec 2025 - 30 Nov 2026 in November 2026);
        the map's day is today."""
        today = today or date.today()
        start = _add_months(today.replace(day=1), 1 - DEFAULT_PERIOD_MONTHS)
        end = _add_months(today.replace(day=1), 1) - timedelta(days=1)
        return cls(start=start, end=end)

    def with_changes(self, **changes: Any) -> MapFilter:
        return replace(self, **changes)

    def is_spatial(self) -> bool:
        return bool(self.bbox or self.area or self.region or self.country)

    def to_query(self) -> dict[str, str]:
        """The filter as query-string parameters (multi-valued ones comma-separated), defaults left out."""
        query: dict[str, str] = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.as_of:
            query["as_of"] = self.as_of.isoformat()
        for name in _MULTI:
            values = getattr(self, name)
            if values:
                query[name] = ",".join(str(v) for v in values)
        if self.bbox:
            query["bbox"] = ",".join(f"{v:.5f}".rstrip("0").rstrip(".") for v in
                                     (self.bbox.minx, self.bbox.miny, self.bbox.maxx, self.bbox.maxy))
        if self.area:
            query["area"] = json.dumps(self.area, separators=(",", ":"))
        return query

    @classmethod
    def from_query(cls, query: Mapping[str, Any], today: date | None = None) -> MapFilter:
        """Parses query parameters; raises ValidationError naming the parameter and what it expects."""
        base = cls.default(today)
        if any("\x00" in str(v) for v in query.values()):  # the pages parse their URL themselves
            raise ValidationError("A filter value contains a NUL character (U+0000), which no text may hold.")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(query) - known)
        if unknown:
            raise ValidationError(f"Unknown filter parameter(s): {', '.join(unknown)}. "
                                  f"Known: {', '.join(sorted(known))}.")
        values: dict[str, Any] = {}
        start = _date(query, "start") or base.start
        end = _date(query, "end") or base.end
        values["start"], values["end"] = start, end
        values["as_of"] = _date(query, "as_of")
        for name, kind in _MULTI.items():
            values[name] = _multi(query.get(name), name, kind)
        if query.get("bbox"):
            values["bbox"] = BBox.parse(str(query["bbox"]))
        if query.get("area"):
            try:
                values["area"] = json.loads(str(query["area"]))
            except ValueError:
                raise ValidationError("area must be a GeoJSON Polygon or MultiPolygon geometry.") from None
        return cls(**values)


def _add_months(first: date, months: int) -> date:
    """The first of the month ``months`` after (or before) ``first``, itself a first of the month."""
    year, month = divmod(first.month - 1 + months, 12)
    return date(first.year + year, month + 1, 1)


def _date(query: Mapping[str, Any], name: str) -> date | None:
    text = query.get(name)
    if text in (None, ""):
        return None
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        raise ValidationError(f"{name} is not a date: use YYYY-MM-DD, e.g. 2026-01-31 (got {text!r}).") from None


def _multi(raw: Any, name: str, kind: type) -> tuple[Any, ...]:
    if raw in (None, ""):
        return ()
    items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
    out: list[Any] = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        if kind is str:
            out.append(text.upper() if name in ("capacity", "country") else text)
            continue
        try:
            out.append(kind(text))
        except ValueError:
            allowed = ", ".join(str(v) for v in kind)  # type: ignore[attr-defined]
            raise ValidationError(f"{name}={text!r} is not one of: {allowed}.") from None
    # Order-insensitive and without repeats, so equal filters compare and cache equal.
    return tuple(sorted(set(out), key=str))


def _check_area(area: Any) -> None:
    if not isinstance(area, dict) or area.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValidationError("area must be a GeoJSON Polygon or MultiPolygon geometry.")
    coords = area.get("coordinates")
    rings = coords if area["type"] == "Polygon" else [r for poly in (coords or []) for r in poly]
    if not isinstance(rings, list) or not rings:
        raise ValidationError("area has no coordinates.")
    count = 0
    for ring in rings:
        if not isinstance(ring, list) or len(ring) < 4:
            raise ValidationError("area: each ring needs at least four positions (closed).")
        for pos in ring:
            if (not isinstance(pos, list | tuple) or len(pos) < 2
                    or not all(isinstance(v, int | float) for v in pos[:2])
                    or not (-180 <= pos[0] <= 180 and -90 <= pos[1] <= 90)):
                raise ValidationError("area: positions must be [longitude, latitude] in degrees.")
            count += 1
    if count > MAX_POLYGON_VERTICES:
        raise ValidationError(f"area has {count} vertices; draw a simpler shape (at most {MAX_POLYGON_VERTICES}).")
