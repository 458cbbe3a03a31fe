"""The operations map: where the capacities are, on any day, with charts cross-filtered both ways.

Flow: the controls (and clicks on the map and the charts, through ``edit_filters``, which turns each into an event
for ``dashboard/map_filter_state.next_filter``, a pure function) hold the filter;
``apply`` turns them into a MapFilter, asks the services for everything in one session, and returns the
map layers, charts and figures in one response. The filter is mirrored into the address bar (client-side,
without reloading), and ``layout(**query)`` rebuilds the same view from a shared link.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from html import escape as escape_html
from typing import Any
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
import dash_leaflet as dl
from babel.dates import format_date
from dash import ALL, ClientsideFunction, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask_babel import get_locale

from dashboard.components import map_charts
from dashboard.components.key_figures import figure_card
from dashboard.context import current_principal, db_session, hub
from dashboard.i18n import _, _l, current_locale, ngettext
from dashboard.map_filter_state import (
    AVAILABILITY_CHART,
    MULTI_FIELDS,
    STEP_DAYS,
    ChartClick,
    ChipRemoved,
    Drawn,
    Event,
    MapClick,
    PeriodChanged,
    Reset,
    Step,
    Tick,
    clicked_value,
    from_controls,
    from_filter,
    next_filter,
    parse_period,
    to_filter,
)
from dashboard.security.callbacks import secured_callback, secured_clientside_callback
from dashboard.security.pages import page_layout
from models.enums import DeploymentKind, FundType, Gender, GenderMarker
from services import layers
from services.access import Permission
from services.analytics.filters import MapFilter
from services.analytics.options import filter_options
from services.analytics.view import MapView, day_view, map_view, places_for
from services.catalog import BBox
from services.errors import HubError, ValidationError
from services.formatting import decimal, money, percent
from services.palette import CAPACITY_COLOURS, MARKER_COLOURS, capacity_palette


class Ids:
    PERIOD = "map-period"
    AS_OF = "map-as-of"
    AS_OF_LABEL = "map-as-of-label"
    PLAY = "map-play"
    BACK = "map-step-back"
    FORWARD = "map-step-forward"
    TICK = "map-tick"
    CAPACITY = "map-capacity"
    MISSION = "map-mission"
    REGION = "map-region"
    COUNTRY = "map-country"
    SKILL = "map-skill"
    GENDER = "map-gender"
    KIND = "map-kind"
    SOURCE = "map-source"
    MARKER = "map-marker"
    TIE_VIEW = "map-tie-view"
    AREA = "map-area"
    CHIPS = "map-chips"
    RESET = "map-reset"
    ERROR = "map-error"
    MAP = "map-map"
    BASEMAP = "map-basemap"
    AREAS = "map-mission-areas"
    MISSIONS = "map-missions"
    PLACES = "map-places"
    SITES = "map-sites"
    DRAW = "map-draw"
    STATUS = "map-status"
    FIGURES = "map-figures"
    DEPLOYED_NOW = "map-kf-deployed"  # the one key figure that depends on the day alone
    PERIOD_FIGURES = "map-period-figures"
    CH_AVAILABILITY = "map-chart-availability"
    CH_MISSIONS = "map-chart-missions"
    CH_FUNDING = "map-chart-funding"
    CH_GENDER = "map-chart-gender"
    GENDER_TEXT = "map-gender-text"
    FUNDING_TEXT = "map-funding-text"
    FILTER = "map-filter"
    PATH = "map-path"
    DOWNLOADS = "map-downloads"
    FILTERS_TOGGLE = "map-filters-toggle"
    FILTERS_PANEL = "map-filters-panel"
    FILTER_COUNT = "map-filter-count"
    LEGEND = "map-legend"


CHIP = "map-chip"  # pattern-matching id type of the removable filter chips
DOWNLOAD = "map-download"  # pattern-matching id type of the charts' download links
GIS_LAYER = "map-gis-layer"  # pattern-matching id type of the GIS team's published layers
LAYER_JS = "dashExtensions.hubLayers."
# Controls whose values are lists of filter values, with the MapFilter field each fills.
MULTI_CONTROLS = {
    Ids.CAPACITY: "capacity", Ids.MISSION: "mission", Ids.REGION: "region", Ids.COUNTRY: "country",
    Ids.SKILL: "skill", Ids.GENDER: "gender", Ids.KIND: "kind", Ids.SOURCE: "source", Ids.MARKER: "marker",
}
DEFAULT_CENTER = [8, 18]
DEFAULT_ZOOM = 3
SLIDER_MARKS = 6  # at most; a phone shows every other one (assets/hub.css)
# Leaflet panes of the map, bottom to top (z-index in assets/hub.css): the operational markers sit above every
# GIS layer, so an uploaded polygon layer never hides an HQ, and mission HQs sit above the places drawn on them.
PANE_BASEMAP, PANE_AREAS, PANE_SITES, PANE_PLACES, PANE_MISSIONS = (
    "hub-basemap", "hub-areas", "hub-sites", "hub-places", "hub-missions")
GIS_PANE_CLASS = "hub-pane-gis"


def _labels() -> dict[str, Any]:
    return {
        "kind": {
            DeploymentKind.START_UP: _("Start-up"), DeploymentKind.SURGE: _("Surge"),
            DeploymentKind.TRANSITION: _("Transition"), DeploymentKind.ASSESSMENT: _("Assessment"),
            DeploymentKind.MISSION_MANAGER_VISIT: _("Mission-manager visit"), DeploymentKind.TRAINING: _("Training"),
            DeploymentKind.TECHNICAL_ASSISTANCE: _("Technical assistance"),
        },
        "gender": {Gender.FEMALE: _("Women"), Gender.MALE: _("Men"), Gender.OTHER: _("Other"),
                   Gender.UNDISCLOSED: _("Undisclosed")},
        "source": {FundType.REGULAR: _("Regular budget"), FundType.EXTRABUDGETARY: _("Extra-budgetary"),
                   FundType.PROGRAMME_SUPPORT: _("Programme support")},
        "marker": {GenderMarker.GM0: _("GM0 · no contribution"), GenderMarker.GM1: _("GM1 · limited"),
                   GenderMarker.GM2: _("GM2 · significant"), GenderMarker.GM3: _("GM3 · principal objective")},
    }


def _filter_names() -> dict[str, str]:
    return {
        "capacity": _("Capacity"), "mission": _("Mission"), "region": _("Region"), "country": _("Country"),
        "skill": _("Skill"), "gender": _("Gender"), "kind": _("Deployment kind"), "source": _("Funding"),
        "marker": _("Gender marker"), "bbox": _("Map view"), "area": _("Drawn area"),
    }


def _dropdown(control_id: str, options: list[dict[str, str]], value: list[str], placeholder: str) -> dcc.Dropdown:
    return dcc.Dropdown(id=control_id, options=options, value=value, multi=True, placeholder=placeholder,
                        className="hub-map-filter")


def slider_marks(start: date, end: date, locale: str, most: int = SLIDER_MARKS) -> dict[int, str]:
    """Marks of the as-of slider: at most ``most``, each a different text in the locale's words (Babel), at
    firsts of months ("déc. 2025"), of years past six years, or at days for a period under two months; none
    within 4% of either end, where its text would be cut by the edge."""
    days = (end - start).days
    if days <= 0:
        return {}
    margin = days * 0.04
    if days <= 62:
        step = max(1, math.ceil(days / most))
        points, pattern = [start + timedelta(days=i) for i in range(0, days + 1, step)], "d MMM"
    else:
        years = days > 366 * 6
        firsts: list[date] = []
        cursor = date(start.year, 1 if years else start.month, 1)
        while cursor <= end:
            if cursor >= start:
                firsts.append(cursor)
            year, month = divmod(cursor.month - 1 + (12 if years else 1), 12)
            cursor = date(cursor.year + year, month + 1, 1)
        inside = [d for d in firsts if margin <= (d - start).days <= days - margin]
        points = inside[::max(1, math.ceil(len(inside) / most))]
        pattern = "y" if years else "LLL y"
    return {(d - start).days: format_date(d, pattern, locale=locale) for d in points
            if margin <= (d - start).days <= days - margin}


def _controls(filt: MapFilter, opts: Any) -> html.Div:
    labels = _labels()
    state = from_filter(filt)
    chosen = {name: list(state.chosen(name)) for name in MULTI_FIELDS}
    active = len(_chips(filt, filt.bbox is not None))
    return html.Div([
        dbc.Row([
            dbc.Col([
                dbc.Label(_("Period"), html_for=Ids.PERIOD, className="small mb-0"),
                dcc.DatePickerRange(id=Ids.PERIOD, start_date=filt.start.isoformat(), end_date=filt.end.isoformat(),
                                    display_format="YYYY-MM-DD", minimum_nights=0, first_day_of_week=1,
                                    className="d-block"),
            ], md=4),
            dbc.Col([
                html.Div([
                    dbc.Label(_("As of"), className="small mb-0 me-2"),
                    html.Strong(id=Ids.AS_OF_LABEL, children=filt.day.isoformat(), className="small"),
                ]),
                dbc.InputGroup([
                    dbc.Button("◀", id=Ids.BACK, color="secondary", outline=True, size="sm",
                               title=_("One week back")),
                    dbc.Button(_("Play"), id=Ids.PLAY, color="primary", size="sm", n_clicks=0,
                               title=_("Replay the deployments week by week")),
                    dbc.Button("▶", id=Ids.FORWARD, color="secondary", outline=True, size="sm",
                               title=_("One week forward")),
                ], size="sm", className="w-auto d-inline-flex"),
                dcc.Slider(id=Ids.AS_OF, min=0, max=state.days, step=1, value=state.as_of, allow_direct_input=False,
                           marks=slider_marks(filt.start, filt.end, str(get_locale())), updatemode="mouseup",
                           className="mt-1 hub-map-slider"),
                dcc.Interval(id=Ids.TICK, interval=1500, disabled=True),
            ], md=8),
        ], className="g-2"),
        # On a phone the filters fold away behind this button (with the number of filters set), so the map is in
        # the first screen; from md up the panel is always open (assets/hub.css) and the button hidden.
        dbc.Button([_("Filters"), " ", dbc.Badge(str(active) if active else "", id=Ids.FILTER_COUNT,
                                                 color="light", text_color="dark", className="ms-1")],
                   id=Ids.FILTERS_TOGGLE, color="secondary", outline=True, size="sm", className="d-md-none mt-2",
                   n_clicks=0),
        dbc.Collapse(dbc.Row([
            dbc.Col(_dropdown(Ids.CAPACITY, [{"label": f"{c} · {n}", "value": c} for c, n in opts.capacities],
                              chosen["capacity"], _("Capacity")), md=2),
            dbc.Col(_dropdown(Ids.MISSION, [{"label": f"{a} · {n}", "value": a} for a, n in opts.missions],
                              chosen["mission"], _("Mission")), md=2),
            dbc.Col(_dropdown(Ids.REGION, [{"label": r, "value": r} for r in opts.regions],
                              chosen["region"], _("Region")), md=2),
            dbc.Col(_dropdown(Ids.COUNTRY, [{"label": n, "value": i} for i, n in opts.countries],
                              chosen["country"], _("Country")), md=2),
            dbc.Col(_dropdown(Ids.SKILL, [{"label": f"{n} ({a})", "value": c} for c, n, a in opts.skills],
                              chosen["skill"], _("Skill")), md=2),
            dbc.Col(_dropdown(Ids.GENDER, [{"label": str(v), "value": str(k)} for k, v in labels["gender"].items()],
                              chosen["gender"], _("Gender")), md=2),
            dbc.Col(_dropdown(Ids.KIND, [{"label": str(v), "value": str(k)} for k, v in labels["kind"].items()],
                              chosen["kind"], _("Deployment kind")), md=2),
            dbc.Col(_dropdown(Ids.SOURCE, [{"label": str(v), "value": str(k)} for k, v in labels["source"].items()],
                              chosen["source"], _("Funding source")), md=2),
            dbc.Col(_dropdown(Ids.MARKER, [{"label": str(v), "value": str(k)} for k, v in labels["marker"].items()],
                              chosen["marker"], _("Gender marker")), md=2),
            dbc.Col(dbc.Switch(id=Ids.TIE_VIEW, label=_("Charts follow the map view"), value=state.tied),
                    md=3, className="pt-1"),
            dbc.Col(dbc.Button(_("Reset filters"), id=Ids.RESET, color="link", size="sm"), md=2),
        ], className="g-2 mt-1"), id=Ids.FILTERS_PANEL, is_open=False, className="hub-map-filters"),
        html.Div(id=Ids.CHIPS, className="mt-2 d-flex flex-wrap gap-1", **{"aria-live": "polite"}),
        dbc.Alert(id=Ids.ERROR, color="danger", is_open=False, className="mt-2 mb-0 py-2"),
    ], className="hub-map-controls mb-2")


def _gis_overlays(layers: list[dict[str, Any]]) -> list[dl.Overlay]:
    """The published layers this role may see; their features load for the view (``gis_layer_data``)."""
    return [
        dl.Overlay(dl.GeoJSON(id={"type": GIS_LAYER, "slug": layer["slug"]}, hideout={"style": layer["style"]},
                              style={"variable": LAYER_JS + "style"},
                              pointToLayer={"variable": LAYER_JS + "pointToLayer"},
                              onEachFeature={"variable": LAYER_JS + "onEachFeature"}),
                   # Leaflet's layers control puts the name in as HTML: the title is the user's text.
                   name=escape_html(layer["title"]), checked=False)
        for layer in layers
    ]


def _pane(name: str, layer: dl.GeoJSON) -> dl.Pane:
    """The layer in its own Leaflet pane; the pane is also given to the layer, whose point functions pass it on to
    the markers they make (Leaflet gives a GeoJSON layer's pane to its shapes, not to pointToLayer's markers)."""
    layer.pane = name
    return dl.Pane(layer, name=name, className=f"hub-pane {name}")


def _in_gis_pane(overlay: dl.Overlay) -> dl.Overlay:
    """A GIS layer's overlay with its layer moved into a pane under the operational markers (see PANE_*)."""
    layer = overlay.children
    overlay.children = dl.Pane(layer, name=f"hub-gis-{layer.id['slug']}", className=f"hub-pane {GIS_PANE_CLASS}")
    return overlay


def legend() -> html.Div:
    """What the map's symbols and the gender markers mean (colours from the charts' own constants)."""
    def swatch(colour: str, label: str, shape: str = "circle", border: str = "#ffffff") -> html.Span:
        return html.Span([html.Span(className=f"hub-legend-swatch hub-legend-{shape}",
                                    style={"background": colour, "borderColor": border}), label],
                         className="hub-legend-item me-3")

    markers = _labels()["marker"]
    return html.Div([
        html.Div([
            html.Strong(_("Experts deployed on the day, by capacity of most of them:"), className="me-2"),
            *(swatch(colour, code) for code, colour in CAPACITY_COLOURS.items()),
            html.Span(_("(the larger the circle, the more experts)"), className="text-muted me-3"),
        ]),
        html.Div([
            swatch("#ffffff", _("Mission headquarters (click to filter)"), border="#222222"),
            swatch("#9ad1a9", _("Project site"), border="#1b6e3c"),
            swatch("rgba(91, 140, 196, 0.3)", _("Host country of a mission"), "square", "#5b8cc4"),
        ]),
        html.Div([
            html.Strong(_("Gender marker of a deployment or project:"), className="me-2"),
            *(swatch(colour, str(markers[marker]), "square", colour)
              for marker, colour in zip(GenderMarker, MARKER_COLOURS, strict=True)),
        ]),
    ], id=Ids.LEGEND, className="hub-map-legend small mt-1")


def _map(filt: MapFilter, gis_layers: list[dict[str, Any]]) -> dl.Map:
    settings = hub().settings
    labels = {"places": _("places"), "more": _("and more:")}
    basemap = dl.GeoJSON(id=Ids.BASEMAP, url="/map/basemap.geojson", style={"variable": "hubMap.basemapStyle"},
                         interactive=False)
    base_layers = [dl.BaseLayer(_pane(PANE_BASEMAP, basemap), name=_("Countries (offline)"),
                                checked=not settings.tile_url)]
    if settings.tile_url:
        base_layers.append(dl.BaseLayer(dl.TileLayer(url=settings.tile_url, attribution=settings.tile_attribution),
                                        name=_("Tiles"), checked=True))
    hideout = {"labels": labels, "capacityColours": capacity_palette()}
    overlays = [
        dl.Overlay(_pane(PANE_AREAS, dl.GeoJSON(id=Ids.AREAS, style={"variable": "hubMap.areaStyle"},
                                                onEachFeature={"variable": "hubMap.areaEach"})),
                   name=_("Mission host countries"), checked=True),
        *(_in_gis_pane(overlay) for overlay in _gis_overlays(gis_layers)),
        dl.Overlay(_pane(PANE_SITES, dl.GeoJSON(id=Ids.SITES, pointToLayer={"variable": "hubMap.sitePoint"},
                                                onEachFeature={"variable": "hubMap.siteEach"})),
                   name=_("Project sites"), checked=True),
        dl.Overlay(_pane(PANE_PLACES, dl.GeoJSON(id=Ids.PLACES, pointToLayer={"variable": "hubMap.placePoint"},
                                                 onEachFeature={"variable": "hubMap.placeEach"}, hideout=hideout)),
                   name=_("Deployments on the day"), checked=True),
        dl.Overlay(_pane(PANE_MISSIONS, dl.GeoJSON(id=Ids.MISSIONS, pointToLayer={"variable": "hubMap.missionPoint"},
                                                   onEachFeature={"variable": "hubMap.missionEach"},
                                                   hideout=hideout)),
                   name=_("Mission headquarters"), checked=True),
    ]
    view: dict[str, Any] = {"center": DEFAULT_CENTER, "zoom": DEFAULT_ZOOM}
    if filt.bbox:
        view = {"bounds": [[filt.bbox.miny, filt.bbox.minx], [filt.bbox.maxy, filt.bbox.maxx]]}
    return dl.Map(
        [dl.LayersControl(base_layers + overlays, position="topright"),
         dl.FeatureGroup(dl.EditControl(
             id=Ids.DRAW, position="topleft",
             draw={"polyline": False, "circle": False, "circlemarker": False, "marker": False,
                   "polygon": True, "rectangle": True},
             edit={"edit": False})),
         dl.ScaleControl(position="bottomleft", imperial=False)],
        id=Ids.MAP, trackViewport=True, worldCopyJump=True, minZoom=2, maxZoom=14,
        style={"height": "62vh", "background": "#b8d3ea"}, **view,
    )


def _download_href(name: str, fmt: str, query: dict[str, str]) -> str:
    return f"/map/download/{name}.{fmt}?{urlencode(query)}"


def _chart_card(title: str, graph_id: str, download: str, extra: Any = None) -> dbc.Card:
    return dbc.Card([
        dbc.CardHeader(html.Div([
            html.Span(title, className="fw-semibold"),
            html.Span([html.A(fmt.upper(), id={"type": DOWNLOAD, "chart": download, "format": fmt},
                              href=_download_href(download, fmt, {}), className="ms-2 small",
                              title=_("Download the data shown"))
                       for fmt in ("csv", "xlsx")], className="ms-auto"),
        ], className="d-flex align-items-center")),
        dbc.CardBody([extra, dcc.Graph(id=graph_id, config={"displayModeBar": False, "responsive": True})]
                     if extra is not None else
                     dcc.Graph(id=graph_id, config={"displayModeBar": False, "responsive": True}),
                     className="p-1"),
    ], className="mb-2")


KEY_FIGURE_STYLE: dict[str, Any] = {"widths": {"xs": 6}, "value_class": "fs-3"}


@page_layout(Permission.VIEW_OPERATIONS)
def layout(**query: Any) -> html.Div:
    error = None
    try:
        filt = MapFilter.from_query({k: v for k, v in query.items() if v not in (None, "")})
    except HubError as exc:
        error, filt = str(exc), MapFilter.default()
    principal = current_principal()
    with db_session() as s:
        opts = filter_options(s, str(get_locale()))
        gis_layers = layers.map_layers(s, principal) if principal else []
    # Always drawn (the callbacks need the graph); for a role without funding it says so and its download refuses.
    funding_card = _chart_card(_("Funding: committed and spent (USD)"), Ids.CH_FUNDING, "funding",
                               extra=html.Div(id=Ids.FUNDING_TEXT, className="small px-2"))
    return html.Div([
        dcc.Store(id=Ids.FILTER, data=filt.to_query()),
        dcc.Store(id=Ids.PATH, data="/map"),  # for hubUrl.write
        dcc.Store(id=Ids.AREA, data=filt.area),
        html.H1(_("Operations map"), className="h3"),
        dbc.Alert(_("The link could not be read: %(error)s The default view is shown.", error=error),
                  color="warning", id="map-link-error") if error else None,
        _controls(filt, opts),
        dbc.Row([
            dbc.Col([
                _map(filt, gis_layers),
                legend(),
                html.Div(id=Ids.STATUS, className="small text-muted mt-1", **{"aria-live": "polite"}),
                html.Div(id=Ids.DOWNLOADS, className="small mt-1"),
            ], lg=7),
            dbc.Col([
                dbc.Row([
                    figure_card(Ids.DEPLOYED_NOW, _("Experts deployed on the day"), "…", **KEY_FIGURE_STYLE),
                    # display: contents lets the cards in this Div sit in the row's grid as its own columns.
                    html.Div(id=Ids.PERIOD_FIGURES, style={"display": "contents"}),
                ], id=Ids.FIGURES, className="g-2 mb-2"),
                _chart_card(_("Experts deployed by mission (click a bar to filter)"), Ids.CH_MISSIONS, "missions"),
            ], lg=5),
        ], className="g-2"),
        dbc.Row([
            dbc.Col(_chart_card(_("Personnel availability (click a bar to show that day on the map)"),
                                Ids.CH_AVAILABILITY, "availability"), lg=5),
            dbc.Col(funding_card, lg=4),
            dbc.Col(_chart_card(_("Gender-responsiveness"), Ids.CH_GENDER, "gender",
                                extra=html.Div(id=Ids.GENDER_TEXT, className="small px-2")), lg=3),
        ], className="g-2 mt-1"),
    ], id="map-page")


# --- the filter from the controls -------------------------------------------------------------------------
def _bbox_of(bounds: Any) -> BBox | None:
    """Leaflet's [[south, west], [north, east]] as a BBox, clamped to the world (the map can wrap)."""
    if not bounds:
        return None
    (south, west), (north, east) = bounds
    west, east = max(-180.0, float(west)), min(180.0, float(east))
    south, north = max(-90.0, float(south)), min(90.0, float(north))
    if west >= east or south >= north:
        return None
    return BBox(west, south, east, north)


def _chips(filt: MapFilter, tied: bool) -> list[Any]:
    names = _filter_names()
    labels = _labels()
    chips: list[Any] = []
    for field in MULTI_CONTROLS.values():
        for value in getattr(filt, field):
            text = labels.get(field, {}).get(value, str(value)) if field in labels else str(value)
            chips.append(dbc.Button([f"{names[field]}: {text}", html.Span(" ×", **{"aria-hidden": "true"})],
                                    id={"type": CHIP, "field": field, "value": str(value)}, size="sm",
                                    color="secondary", outline=True, className="rounded-pill py-0",
                                    title=_("Remove this filter")))
    if filt.area:
        chips.append(dbc.Button([names["area"], html.Span(" ×")], id={"type": CHIP, "field": "area", "value": ""},
                                size="sm", color="secondary", outline=True, className="rounded-pill py-0"))
    if tied:
        chips.append(dbc.Button([names["bbox"], html.Span(" ×")], id={"type": CHIP, "field": "bbox", "value": ""},
                                size="sm", color="secondary", outline=True, className="rounded-pill py-0"))
    return chips


# --- callbacks ----------------------------------------------------------------------------------------------
# What a click on each chart and map layer is, as an event of the filter state (dashboard/map_filter_state.py).
CHARTS = {Ids.CH_MISSIONS: "missions", Ids.CH_GENDER: "gender", Ids.CH_FUNDING: "funding",
          Ids.CH_AVAILABILITY: AVAILABILITY_CHART}
MAP_LAYERS = {Ids.MISSIONS: "missions", Ids.PLACES: "places", Ids.AREAS: "areas"}
CLEAR_DRAWING = {"mode": "remove", "action": "clear all", "n_clicks": 1}


def _event(trigger: Any, charts: dict[str, Any], map_clicks: dict[str, Any], drawn: Any, period: tuple[date, date],
           ) -> Event | None:
    """The event behind the trigger of edit_filters; None when it changes nothing (a click beside the bars)."""
    if isinstance(trigger, dict):
        return ChipRemoved(trigger["field"], trigger["value"]) if trigger.get("type") == CHIP else None
    if trigger in CHARTS:
        value = clicked_value(charts[CHARTS[trigger]])
        return ChartClick(CHARTS[trigger], value) if value else None
    if trigger in MAP_LAYERS:
        click = map_clicks[MAP_LAYERS[trigger]]
        return MapClick(MAP_LAYERS[trigger], click.get("properties") or {}) if click else None
    return {Ids.RESET: Reset(date.today()), Ids.DRAW: Drawn(drawn), Ids.PERIOD: PeriodChanged(*period),
            Ids.BACK: Step(-STEP_DAYS), Ids.FORWARD: Step(STEP_DAYS), Ids.TICK: Tick()}.get(trigger)


@secured_callback(
    output=dict(
        controls={name: Output(control, "value") for control, name in MULTI_CONTROLS.items()},
        as_of=Output(Ids.AS_OF, "value"), days=Output(Ids.AS_OF, "max"), marks=Output(Ids.AS_OF, "marks"),
        start=Output(Ids.PERIOD, "start_date"), end=Output(Ids.PERIOD, "end_date"), area=Output(Ids.AREA, "data"),
        toolbar=Output(Ids.DRAW, "editToolbar"), tied=Output(Ids.TIE_VIEW, "value"),
    ),
    inputs=dict(
        charts={name: Input(chart, "clickData") for chart, name in CHARTS.items()},
        map_clicks={name: Input(layer, "clickData") for layer, name in MAP_LAYERS.items()},
        chip=Input({"type": CHIP, "field": ALL, "value": ALL}, "n_clicks"), reset=Input(Ids.RESET, "n_clicks"),
        drawn=Input(Ids.DRAW, "geojson"), start=Input(Ids.PERIOD, "start_date"), end=Input(Ids.PERIOD, "end_date"),
        back=Input(Ids.BACK, "n_clicks"), forward=Input(Ids.FORWARD, "n_clicks"), tick=Input(Ids.TICK, "n_intervals"),
    ),
    state=dict(
        controls={name: State(control, "value") for control, name in MULTI_CONTROLS.items()},
        as_of=State(Ids.AS_OF, "value"), area=State(Ids.AREA, "data"), tied=State(Ids.TIE_VIEW, "value"),
    ),
    roles=Permission.VIEW_OPERATIONS, prevent_initial_call=True,
)
def edit_filters(charts: dict[str, Any], map_clicks: dict[str, Any], drawn: Any, start: str | None, end: str | None,
                 controls: dict[str, list[str] | None], as_of: int | None, area: dict[str, Any] | None,
                 tied: bool | None, **_clicks: Any) -> dict[str, Any]:
    """Turns a click on a chart, the map, a chip or a time control into new control values."""
    trigger = ctx.triggered_id
    if isinstance(trigger, dict) and (not ctx.triggered or not ctx.triggered[0]["value"]):
        raise PreventUpdate  # a chip was drawn, not clicked
    try:
        period = parse_period(start, end)
    except ValidationError:
        raise PreventUpdate from None
    state = next_filter(from_controls(controls, *period, as_of, area, tied),
                        _event(trigger, charts, map_clicks, drawn, period))
    return {
        "controls": {name: list(state.chosen(name)) for name in MULTI_FIELDS},
        "as_of": state.as_of, "days": state.days, "marks": slider_marks(state.start, state.end, str(get_locale())),
        "start": state.start.isoformat(), "end": state.end.isoformat(), "area": state.area,
        "toolbar": CLEAR_DRAWING if state.clear_drawing else no_update, "tied": state.tied,
    }


@secured_callback(
    Output(Ids.FILTERS_PANEL, "is_open"), Input(Ids.FILTERS_TOGGLE, "n_clicks"), State(Ids.FILTERS_PANEL, "is_open"),
    roles=Permission.VIEW_OPERATIONS, prevent_initial_call=True,
)
def toggle_filters(_n_clicks: int | None, is_open: bool | None) -> bool:
    return not is_open


# The number of filters set, on the phone's Filters button: one per chip, counted in the browser.
secured_clientside_callback(
    "function (chips) { var n = (chips || []).length; return n ? String(n) : ''; }",
    Output(Ids.FILTER_COUNT, "children"), Input(Ids.CHIPS, "children"),
    roles=Permission.VIEW_OPERATIONS,
)


@secured_callback(
    Output(Ids.TICK, "disabled"), Output(Ids.PLAY, "children"), Input(Ids.PLAY, "n_clicks"),
    roles=Permission.VIEW_OPERATIONS, prevent_initial_call=True,
)
def play(n_clicks: int | None) -> tuple[bool, str]:
    playing = bool(n_clicks and n_clicks % 2 == 1)
    return (not playing, _("Pause") if playing else _("Play"))


APPLY_OUTPUTS = dict(
    places=Output(Ids.PLACES, "data"), missions=Output(Ids.MISSIONS, "data"), areas=Output(Ids.AREAS, "data"),
    sites=Output(Ids.SITES, "data"), availability_chart=Output(Ids.CH_AVAILABILITY, "figure"),
    missions_chart=Output(Ids.CH_MISSIONS, "figure"), funding_chart=Output(Ids.CH_FUNDING, "figure"),
    gender_chart=Output(Ids.CH_GENDER, "figure"), gender_text=Output(Ids.GENDER_TEXT, "children"),
    funding_text=Output(Ids.FUNDING_TEXT, "children"), deployed_now=Output(Ids.DEPLOYED_NOW, "children"),
    period_figures=Output(Ids.PERIOD_FIGURES, "children"), chips=Output(Ids.CHIPS, "children"),
    filter=Output(Ids.FILTER, "data"), status=Output(Ids.STATUS, "children"),
    as_of_label=Output(Ids.AS_OF_LABEL, "children"), downloads=Output(Ids.DOWNLOADS, "children"),
    download_hrefs=Output({"type": DOWNLOAD, "chart": ALL, "format": ALL}, "href"),
    error=Output(Ids.ERROR, "children"), error_open=Output(Ids.ERROR, "is_open"),
)


def _unchanged(**changes: Any) -> dict[str, Any]:
    """apply's answer that leaves every output but ``changes`` as it is (each download link too)."""
    hrefs = [no_update] * len(ctx.outputs_grouping["download_hrefs"])
    return {**{name: no_update for name in APPLY_OUTPUTS}, "download_hrefs": hrefs, **changes}


def _period_figures(view: MapView) -> list[Any]:
    """The key figures of the period (the day's head count is updated on its own, see apply)."""
    fig = view.figures
    sl = fig.service_level
    loc = current_locale()
    median = _("%(days)s days", days=decimal(sl.median_days, loc)) if sl.median_days is not None else "–"
    utilisation = " · ".join(f"{u.capacity} {percent(u.share, loc)}" for u in fig.utilisation
                             if u.share is not None) or "–"
    return [
        figure_card("map-kf-surge", _("Open surge requests"), fig.open_surge_requests, **KEY_FIGURE_STYLE),
        figure_card("map-kf-median", _("Median days from request to deployment"), median,
                    _("target %(days)d days · %(n)d of %(total)d deployed requests within it",
                      days=sl.target_days, n=sl.within_target, total=sl.deployed), **KEY_FIGURE_STYLE),
        figure_card("map-kf-utilisation", _("Utilisation (time deployed)"), utilisation, **KEY_FIGURE_STYLE),
    ]


def _gender_text(view: MapView) -> Any:
    g = view.gender
    share = percent(g.women_share, current_locale())
    return html.Div([
        html.Div([_("Women among deployed experts: "), html.Strong(share, id="map-women-share")]),
        html.Div([_("Gender-specific outputs delivered: "),
                  html.Strong(f"{g.outputs_delivered} / {g.outputs_planned}", id="map-gender-outputs")]),
    ])


def _funding_text(view: MapView) -> Any:
    f = view.funding
    if f is None:
        return None
    loc = current_locale()
    parts = [html.Div([_("Committed %(committed)s · spent %(spent)s", committed=money(f.committed_usd, loc),
                         spent=money(f.spent_usd, loc)), " · ", _("burn rate "),
                       html.Strong(percent(f.burn_rate, loc), id="map-burn-rate")])]
    names = _labels()["source"]
    for source, totals in f.by_source().items():
        rate = totals["spent_usd"] / totals["committed_usd"] if totals["committed_usd"] else None
        parts.append(html.Div(f"{names[FundType(source)]}: {money(totals['spent_usd'], loc)} / "
                              f"{money(totals['committed_usd'], loc)}"
                              + (f" ({percent(rate, loc)})" if rate is not None else "")))
    if f.missing:
        parts.append(html.Div(map_charts.missing_rates_text(f), id="map-missing-rates", className="text-warning"))
    return parts


def _counted(collection: dict[str, Any], key: str, text: Any) -> dict[str, Any]:
    """The collection with each feature's count worded in the user's language, plural forms included ("1 expert",
    "2 experts"); copies, so that a kept answer (view_cache) is never changed in place."""
    features = [{**f, "properties": {**f["properties"], "label": text(int(f["properties"].get(key) or 0))}}
                for f in collection.get("features", [])]
    return {**collection, "features": features}


def _counted_places(places: dict[str, Any]) -> dict[str, Any]:
    return _counted(places, "n", lambda n: ngettext("%(num)d expert", "%(num)d experts", n))


def _downloads(query: dict[str, str]) -> list[Any]:
    links = [(_("Deployments (GeoJSON)"), _download_href("deployments", "geojson", query), "geojson"),
             (_("Deployments (GeoPackage)"), _download_href("deployments", "gpkg", query), "gpkg")]
    return [_("Download the deployments shown: ")] + [
        html.A(label, href=href, className="me-3", id=f"map-download-deployments-{fmt}") for label, href, fmt in links
    ]


@secured_callback(
    output=APPLY_OUTPUTS,
    inputs=dict(
        controls={name: Input(control, "value") for control, name in MULTI_CONTROLS.items()},
        start=Input(Ids.PERIOD, "start_date"), end=Input(Ids.PERIOD, "end_date"), as_of=Input(Ids.AS_OF, "value"),
        area=Input(Ids.AREA, "data"), tied=Input(Ids.TIE_VIEW, "value"), bounds=Input(Ids.MAP, "bounds"),
        zoom=Input(Ids.MAP, "zoom"),
    ),
    roles=Permission.VIEW_OPERATIONS,
)
def apply(controls: dict[str, list[str] | None], start: str | None, end: str | None, as_of: int | None,
          area: dict[str, Any] | None, tied: bool | None, bounds: Any, zoom: int | None) -> dict[str, Any]:
    """The filter → the map's layers, the charts and the key figures, in one session."""
    view_box = _bbox_of(bounds)
    zoom = int(zoom if zoom is not None else DEFAULT_ZOOM)
    principal = current_principal()
    if principal is None:
        raise PreventUpdate
    triggers = set(ctx.triggered_prop_ids.values())
    only_moved = triggers == {Ids.MAP} and not tied
    # Play, a step or a click on the availability chart changes the day alone: the charts over the period stay.
    only_day = triggers == {Ids.AS_OF}
    try:
        state = from_controls(controls, *parse_period(start, end), as_of, area, tied)
        filt = to_filter(state, view_box if tied else None)
        with db_session() as s:
            if only_moved:
                return _unchanged(places=_counted_places(places_for(s, principal, filt, view_box, zoom,
                                                                    columnar=hub().columnar)))
            if only_day:
                day = day_view(s, principal, filt, view=view_box, zoom=zoom, cache=hub().view_cache,
                               locale=current_locale(), columnar=hub().columnar)
                places, missions, deployed_now = day.places, day.missions, day.deployed_now
            else:
                view = map_view(s, principal, filt, view=view_box, zoom=zoom,
                                cache=hub().view_cache, locale=current_locale(), columnar=hub().columnar)
                places, missions, deployed_now = view.places, view.missions, view.figures.deployed_now
    except HubError as exc:
        return _unchanged(error=str(exc), error_open=True)
    places = _counted_places(places)
    missions = _counted(missions, "deployed", lambda n: ngettext("%(num)d expert deployed on the day",
                                                                 "%(num)d experts deployed on the day", n))
    query = filt.to_query()
    n_places = len(places["features"])
    experts = sum(f["properties"]["n"] for f in places["features"])
    status = (ngettext("%(num)d expert", "%(num)d experts", experts) + " · "
              + ngettext("%(num)d place", "%(num)d places", n_places) + " · " + filt.day.isoformat())
    if places.get("clustered"):
        status += " · " + _("places merged on a grid at this zoom; zoom in for detail")
    out = _unchanged(
        places=places, missions=missions, deployed_now=str(deployed_now), chips=_chips(filt, bool(tied)),
        filter=query, status=status, as_of_label=filt.day.isoformat(), downloads=_downloads(query),
        download_hrefs=[_download_href(o["id"]["chart"], o["id"]["format"], query)
                        for o in ctx.outputs_grouping["download_hrefs"]],
        error=None, error_open=False,
    )
    if only_day:  # the period's layers, charts, texts and key figures stay
        return out
    funding = (map_charts.funding_figure(view.funding) if view.funding is not None
               else map_charts.empty_figure(_("Funding is not available to your role.")))
    return {**out, "areas": view.areas, "sites": view.sites,
            "availability_chart": map_charts.availability_figure(view.availability),
            "missions_chart": map_charts.missions_figure(view.by_mission, filt.mission),
            "funding_chart": funding, "gender_chart": map_charts.gender_figure(view.gender,
                                                                               [str(m) for m in filt.marker]),
            "gender_text": _gender_text(view), "funding_text": _funding_text(view),
            "period_figures": _period_figures(view)}


@secured_callback(
    Output({"type": GIS_LAYER, "slug": ALL}, "data"),
    Input(Ids.MAP, "bounds"), Input(Ids.MAP, "zoom"), State({"type": GIS_LAYER, "slug": ALL}, "id"),
    roles=Permission.VIEW_OPERATIONS,
)
def gis_layer_data(bounds: Any, zoom: int | None, ids: list[dict[str, str]]) -> list[Any]:
    """Each published layer's features in view, simplified for the zoom (the service re-checks visibility)."""
    principal = current_principal()
    if principal is None or not ids:
        raise PreventUpdate
    view = _bbox_of(bounds)
    out: list[Any] = []
    with db_session() as s:
        for layer_id in ids:
            try:
                out.append(layers.layer_geojson(s, principal, layer_id["slug"], bbox=view,
                                                zoom=int(zoom if zoom is not None else DEFAULT_ZOOM)))
            except HubError:
                out.append(None)  # archived or hidden since the page was drawn: draw nothing
    return out


# The filter goes into the address bar without a reload (history.replaceState), so the link can be shared.
secured_clientside_callback(
    ClientsideFunction(namespace="hubUrl", function_name="write"), Input(Ids.FILTER, "data"),
    State(Ids.PATH, "data"),
    roles=Permission.VIEW_OPERATIONS,
)


def title(**_kwargs: object) -> str:
    return _("Operations map") + " · " + _("Standing Capacities Hub")


dash.register_page(__name__, layout=layout, path="/map", name="Operations map", title=title,
                   nav_label=_l("Map"), order=5, permission=Permission.VIEW_OPERATIONS)
