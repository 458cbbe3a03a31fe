"""Everything the operations map shows for one filter, in one transaction, within the principal's role."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.orm import Session

from services.access import Permission, Principal
from services.analytics import map_layers
from services.analytics.breakdown import breakdown
from services.analytics.columnar import ColumnarStore, CopyError, Reader
from services.analytics.figures import MapFigures, map_figures
from services.analytics.filters import MapFilter
from services.analytics.funding import FundingSummary, funding_summary
from services.analytics.gender import GenderSummary
from services.analytics.personnel import (
    AvailabilityPoint,
    MissionCount,
    availability_and_utilisation,
    deployed_on_day,
    points_and_utilisation,
)
from services.analytics.view_cache import ViewCache
from services.catalog import BBox

ANALYTICS_WORK_MEM = "64MB"
log = logging.getLogger(__name__)
T = TypeVar("T")


def _with_copy(columnar: ColumnarStore | None, session: Session, view: BBox | None,
               answer: Callable[[Reader | None], T]) -> T:
    """``answer`` given the copy's reader for this transaction (None: PostgreSQL answers), closed after it."""
    reader = columnar.reader(session, view) if columnar is not None else None
    try:
        return answer(reader)
    finally:
        if reader is not None:
            reader.close()


def _ask(reader: Reader | None, ask: Callable[[Reader], T]) -> T | None:
    """What ``ask`` reads of the copy; None without a copy, or when it fails: then PostgreSQL answers rather than
    the map fail, and the failure is logged."""
    if reader is None:
        return None
    try:
        return ask(reader)
    except CopyError:
        log.exception("the columnar copy failed to answer; PostgreSQL answers")
        return None


@dataclass(frozen=True)
class MapView(map_layers.Layers):
    """The layers (places, missions, areas, sites) and the charts."""

    availability: list[AvailabilityPoint]
    by_mission: list[MissionCount]
    funding: FundingSummary | None  # None: the role may not see funding
    gender: GenderSummary
    figures: MapFigures


def places_for(session: Session, principal: Principal, filt: MapFilter, view: BBox | None, zoom: int,
               columnar: ColumnarStore | None = None) -> dict[str, Any]:
    """The day's places inside the viewport: from the columnar copy when it is exactly this transaction's data,
    else from PostGIS."""
    principal.require(Permission.VIEW_OPERATIONS)
    return _with_copy(columnar, session, view, lambda reader: _places(session, principal, filt, view, zoom, reader))


def _places(session: Session, principal: Principal, filt: MapFilter, view: BBox | None, zoom: int,
            reader: Reader | None) -> dict[str, Any]:
    with_names = principal.can(Permission.VIEW_PERSON_NAMES)
    found = _ask(reader, lambda r: r.places(filt, with_names=with_names))
    if found is not None and reader is not None:
        return map_layers.placed(session, filt, found, view=view, zoom=zoom, codes=reader.codes_in_order)
    return map_layers.deployment_places(session, filt, view=view, zoom=zoom, with_names=with_names)


@dataclass(frozen=True)
class DayView:
    """What changes with the map's day alone (play, step, a click on the availability chart)."""

    places: dict[str, Any]
    missions: dict[str, Any]
    deployed_now: int


def day_view(session: Session, principal: Principal, filt: MapFilter, *, view: BBox | None, zoom: int,
             cache: ViewCache | None = None, locale: str = "en", columnar: ColumnarStore | None = None) -> DayView:
    """The day's layers and head count: the charts over the period stay as they are, so replaying a period
    reads only the deployments of each day (an index scan) instead of every deployment of the period."""
    principal.require(Permission.VIEW_OPERATIONS)

    def answer(reader: Reader | None) -> DayView:
        counted = _ask(reader, lambda r: (r.deployed_by_mission(filt), r.deployed_on_day(filt)))
        if counted is None:
            return DayView(places=_places(session, principal, filt, view, zoom, None),
                           missions=map_layers.mission_points(session, filt, locale),
                           deployed_now=deployed_on_day(session, filt))
        deployed, deployed_now = counted
        return DayView(places=_places(session, principal, filt, view, zoom, reader),
                       missions=map_layers.mission_points(session, filt, locale, deployed), deployed_now=deployed_now)

    def compute() -> DayView:
        return _with_copy(columnar, session, view, answer)

    if cache is None:
        return compute()
    return cache.get_or_compute(session, {**_key("day", principal, filt, view, zoom), "locale": locale}, compute)


def map_view(session: Session, principal: Principal, filt: MapFilter, *, view: BBox | None, zoom: int,
             cache: ViewCache | None = None, locale: str = "en",
             columnar: ColumnarStore | None = None) -> MapView:
    """``columnar``: the charts' aggregates, the mission points' counts and the day's places from the columnar copy
    when it is exactly this transaction's data (else, and without it, from PostgreSQL); PostGIS resolves the
    spatial filters and the viewport for it, and builds the other layers."""
    principal.require(Permission.VIEW_OPERATIONS)

    def compute() -> MapView:
        return _with_copy(columnar, session, view, answer)

    def answer(reader: Reader | None) -> MapView:
        with_names = principal.can(Permission.VIEW_PERSON_NAMES)
        copied = _ask(reader, lambda r: (r.fold(filt), r.deployed_by_mission(filt),
                                         r.places(filt, with_names=with_names)))
        folded, deployed, places = copied if copied is not None else (None, None, None)
        if copied is None:
            reader = None  # PostgreSQL answers everything, the funding and the service level included
        if reader is not None and folded is not None:
            points, utilisation = points_and_utilisation(folded.daily, filt)
            parts = reader.assemble(filt, folded.breakdown)
        else:
            # The charts hash-aggregate up to every deployment; with PostgreSQL's default 4 MB those aggregates
            # spill to disk and take twice as long. For this transaction only.
            session.execute(text(f"SET LOCAL work_mem = '{ANALYTICS_WORK_MEM}'"))
            # Charts that read the same deployments share a pass over them.
            points, utilisation = availability_and_utilisation(session, filt)
            parts = breakdown(session, filt)
        funding = None
        if principal.can(Permission.VIEW_FUNDING):
            funding = (funding_summary(session, filt, locale=locale, rates=reader.rates(),
                                       deployment_spend_=reader.deployment_spend) if reader
                       else funding_summary(session, filt, locale=locale))
        shown = map_layers.layers(session, filt, view=view, zoom=zoom, locale=locale, with_names=with_names,
                                  codes=reader.codes_in_order if reader else None, deployed=deployed, places=places)
        return MapView(
            places=shown.places,
            missions=shown.missions,
            areas=shown.areas,
            sites=shown.sites,
            availability=points,
            by_mission=parts.missions,
            funding=funding,
            gender=parts.gender,
            figures=map_figures(session, filt, deployed_now=parts.deployed_on_day, utilisation_=utilisation,
                                **({"service_level_": reader.service_level} if reader else {})),
        )

    if cache is None:
        return compute()
    # The names in the answer (missions, donors) are in the request's language.
    return cache.get_or_compute(session, {**_key("map", principal, filt, view, zoom), "locale": locale},
                                compute)


def _key(kind: str, principal: Principal, filt: MapFilter, view: BBox | None, zoom: int) -> dict[str, Any]:
    """What an answer depends on besides the data: what the role may see (names, funding), the filter (with its
    day, which follows today when unset, and its tied viewport unrounded: the query string rounds it), the
    viewport and the zoom."""
    def box(b: BBox | None) -> list[float] | None:
        return None if b is None else [b.minx, b.miny, b.maxx, b.maxy]

    return {"kind": kind, "role": principal.role.value, "filter": filt.to_query(), "day": filt.day.isoformat(),
            "bbox": box(filt.bbox), "view": box(view), "zoom": zoom}
