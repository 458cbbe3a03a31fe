"""Briefing mode: the operations map as the briefing role sees it — aggregates only, small counts suppressed —
with one-click briefing packs (PPTX, PDF) in English or French.

Flow: the controls hold the briefing filter (period, capacity, mission, region); ``apply`` parses it, asks
services/briefing for the suppressed view in one session, and returns the map points, charts, figures, tables
and download links. The filter is mirrored into the address bar, and ``layout(**query)`` rebuilds the view.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
import dash_leaflet as dl
from dash import ClientsideFunction, Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask_babel import get_locale

from dashboard.components import briefing_charts, map_charts
from dashboard.components.basemap import offline_basemap
from dashboard.components.key_figures import figure_card
from dashboard.context import current_principal, db_session, hub
from dashboard.i18n import _, _l, current_locale
from dashboard.security.callbacks import secured_callback, secured_clientside_callback
from dashboard.security.pages import page_layout
from services.access import Permission
from services.analytics.options import filter_options
from services.briefing import pack
from services.briefing.aggregates import BriefingView, briefing_filter, briefing_view
from services.briefing.suppression import SUPPRESSED_MARK
from services.errors import HubError
from services.formatting import percent


class Ids:
    PERIOD = "briefing-period"
    CAPACITY = "briefing-capacity"
    MISSION = "briefing-mission"
    REGION = "briefing-region"
    LANG = "briefing-lang"
    ERROR = "briefing-error"
    MAP = "briefing-map"
    POINTS = "briefing-points"
    FIGURES = "briefing-figures"
    CH_MISSIONS = "briefing-chart-missions"
    CH_GENDER = "briefing-chart-gender"
    CH_FUNDING = "briefing-chart-funding"
    GENDER_TEXT = "briefing-gender-text"
    SERVICE = "briefing-service"
    MISSION_TABLE = "briefing-mission-table"
    PACK_PPTX = "briefing-pack-pptx"
    PACK_PDF = "briefing-pack-pdf"
    TABLE_LINKS = "briefing-table-links"
    FILTER = "briefing-filter"
    PATH = "briefing-path"
    NOTE = "briefing-note"
    FOOTNOTE = "briefing-suppression-footnote"
    MISSION_NOTE = "briefing-mission-note"


CONTROLS = {Ids.CAPACITY: "capacity", Ids.MISSION: "mission", Ids.REGION: "region"}
GRAPH = {"displayModeBar": False, "responsive": True}


def _dropdown(control_id: str, options: list[dict[str, str]], value: list[str], placeholder: str) -> dcc.Dropdown:
    return dcc.Dropdown(id=control_id, options=options, value=value, multi=True, placeholder=placeholder)


def _card(title: str, body: Any) -> dbc.Card:
    return dbc.Card([dbc.CardHeader(title, className="fw-semibold"), dbc.CardBody(body, className="p-2")],
                    className="mb-2")


@page_layout(Permission.VIEW_AGGREGATES)
def layout(**query: Any) -> html.Div:
    error = None
    try:
        filt = briefing_filter({k: v for k, v in query.items() if v not in (None, "")})
    except HubError as exc:
        error, filt = str(exc), briefing_filter({})
    with db_session() as s:
        opts = filter_options(s, str(get_locale()))
    lang = str(get_locale()) if str(get_locale()) in ("en", "fr") else "en"
    return html.Div([
        dcc.Store(id=Ids.FILTER, data=filt.to_query()),
        dcc.Store(id=Ids.PATH, data="/briefing"),  # for hubUrl.write
        html.H1(_("Briefing"), className="h3"),
        html.P(_("Aggregates only: counts under %(n)d, and counts that would reveal them, are shown as %(mark)s.",
                 n=hub().settings.suppression_threshold, mark=SUPPRESSED_MARK),
               className="text-muted small", id=Ids.NOTE),
        dbc.Alert(_("The link could not be read: %(error)s The default view is shown.", error=error),
                  color="warning", id="briefing-link-error") if error else None,
        dbc.Row([
            dbc.Col([dbc.Label(_("Period"), html_for=Ids.PERIOD, className="small mb-0"),
                     dcc.DatePickerRange(id=Ids.PERIOD, start_date=filt.start.isoformat(),
                                         end_date=filt.end.isoformat(), display_format="YYYY-MM-DD",
                                         minimum_nights=0, first_day_of_week=1, className="d-block")], md=4),
            dbc.Col(_dropdown(Ids.CAPACITY, [{"label": f"{c} · {n}", "value": c} for c, n in opts.capacities],
                              list(filt.capacity), _("Capacity")), md=2, className="pt-3"),
            dbc.Col(_dropdown(Ids.MISSION, [{"label": f"{a} · {n}", "value": a} for a, n in opts.missions],
                              list(filt.mission), _("Mission")), md=3, className="pt-3"),
            dbc.Col(_dropdown(Ids.REGION, [{"label": r, "value": r} for r in opts.regions],
                              list(filt.region), _("Region")), md=3, className="pt-3"),
        ], className="g-2 mb-2"),
        dbc.Alert(id=Ids.ERROR, color="danger", is_open=False, className="py-2"),
        dbc.Row([
            dbc.Col([dbc.Label(_("Pack language"), html_for=Ids.LANG, className="small me-2"),
                     dbc.RadioItems(id=Ids.LANG, options=[{"label": "English", "value": "en"},
                                                         {"label": "Français", "value": "fr"}],
                                    value=lang, inline=True, className="d-inline-block")], md="auto"),
            dbc.Col([
                html.A(_("Download briefing pack (PPTX)"), id=Ids.PACK_PPTX, href="/briefing/pack.pptx",
                       className="btn btn-primary btn-sm me-2"),
                html.A(_("Download briefing pack (PDF)"), id=Ids.PACK_PDF, href="/briefing/pack.pdf",
                       className="btn btn-outline-primary btn-sm"),
            ], md="auto"),
        ], className="g-2 mb-2 align-items-center"),
        dbc.Row([
            dbc.Col([
                dl.Map([
                    offline_basemap("briefing-base"),
                    dl.GeoJSON(id=Ids.POINTS, pointToLayer={"variable": "hubBriefing.point"},
                               onEachFeature={"variable": "hubBriefing.each"}),
                    dl.ScaleControl(position="bottomleft", imperial=False),
                ], id=Ids.MAP, center=[8, 18], zoom=3, minZoom=2, maxZoom=8, worldCopyJump=True,
                    style={"height": "55vh", "background": "#b8d3ea"}),
                _card(_("Experts deployed by mission"), [
                    html.Div(id=Ids.MISSION_TABLE),
                    html.P(pack.mission_table_note(_), id=Ids.MISSION_NOTE, className="small text-muted mb-0 mt-1"),
                ]),
            ], lg=7),
            dbc.Col([
                dbc.Row(id=Ids.FIGURES, className="g-2 mb-0"),
                html.P(suppression_footnote(), id=Ids.FOOTNOTE, className="small text-muted mb-2"),
                _card(_("Personnel by capacity and mission"), dcc.Graph(id=Ids.CH_MISSIONS, config=GRAPH)),
                _card(_("Gender-responsiveness"), [html.Div(id=Ids.GENDER_TEXT, className="small"),
                                                  dcc.Graph(id=Ids.CH_GENDER, config=GRAPH)]),
                _card(_("Funding by donor and source"), dcc.Graph(id=Ids.CH_FUNDING, config=GRAPH)),
                _card(_("Surge service level"), html.Div(id=Ids.SERVICE)),
                html.Div(id=Ids.TABLE_LINKS, className="small"),
            ], lg=5),
        ]),
    ])


def _table(rows: list[list[str]]) -> html.Div:
    # In a scrolling frame: a wide table scrolls inside its card instead of widening the page on a phone.
    return html.Div(dbc.Table([html.Thead(html.Tr([html.Th(c) for c in rows[0]])),
                               html.Tbody([html.Tr([html.Td(c) for c in row]) for row in rows[1:]])],
                              size="sm", striped=True, className="mb-0 small"), className="table-responsive")


# Figures never break inside a number ("$1,234,567", hub.css .hub-figure-value), and the cards are wide enough
# for them at each width (two across on a phone and in the side column of a laptop, three on a wide screen).
FIGURE_WIDTHS = {"xs": 6, "md": 4, "lg": 6, "xxl": 4}


def _figures(view: BriefingView) -> list[Any]:
    return [figure_card(f"briefing-kf-{i}", label, value, widths=FIGURE_WIDTHS,
                        value_class="fs-4 hub-figure-value")
            for i, (label, value) in enumerate(pack.key_figures(view, _))]


def suppression_footnote() -> str:
    return _("%(mark)s hidden to protect individuals: a count under %(n)d, or one that would let a hidden count "
             "be worked out from a total. A share (women among deployed experts) is shown only when both of its "
             "counts are.", mark=SUPPRESSED_MARK, n=hub().settings.suppression_threshold)


def _service(view: BriefingView) -> Any:
    summary, by_quarter = pack.service_rows(view, _)
    return [_table([[_("Surge service level"), ""], *[[a, b] for a, b in summary]]), html.Hr(className="my-1"),
            _table(by_quarter)]


def _gender_text(view: BriefingView) -> Any:
    g = view.gender
    share = percent(g.women_share, current_locale()) if g.women_share is not None else SUPPRESSED_MARK
    return [html.Div([_("Women among deployed experts: "), html.Strong(share, id="briefing-women-share")])]


def _links(query: dict[str, str], lang: str) -> tuple[str, str, list[Any]]:
    with_lang = urlencode({**query, "lang": lang})
    plain = urlencode(query)
    names = {"missions": _("Missions"), "countries": _("Countries"), "regions": _("Regions"),
             "periods": _("Periods"), "gender": _("Gender"), "funding": _("Funding"),
             "service_level": _("Service level")}
    links: list[Any] = [_("Tables: ")]
    for name, label in names.items():
        links += [label, " (", html.A("CSV", href=f"/briefing/table/{name}.csv?{plain}"), " · ",
                  html.A("XLSX", href=f"/briefing/table/{name}.xlsx?{plain}"), ") "]
    return f"/briefing/pack.pptx?{with_lang}", f"/briefing/pack.pdf?{with_lang}", links


OUTPUTS = dict(
    points=Output(Ids.POINTS, "data"), figures=Output(Ids.FIGURES, "children"),
    missions_chart=Output(Ids.CH_MISSIONS, "figure"), gender_chart=Output(Ids.CH_GENDER, "figure"),
    gender_text=Output(Ids.GENDER_TEXT, "children"), funding_chart=Output(Ids.CH_FUNDING, "figure"),
    service=Output(Ids.SERVICE, "children"), mission_table=Output(Ids.MISSION_TABLE, "children"),
    pptx=Output(Ids.PACK_PPTX, "href"), pdf=Output(Ids.PACK_PDF, "href"), links=Output(Ids.TABLE_LINKS, "children"),
    filter=Output(Ids.FILTER, "data"), error=Output(Ids.ERROR, "children"), error_open=Output(Ids.ERROR, "is_open"),
)


@secured_callback(
    output=OUTPUTS,
    inputs=dict(start=Input(Ids.PERIOD, "start_date"), end=Input(Ids.PERIOD, "end_date"),
                controls={name: Input(control, "value") for control, name in CONTROLS.items()},
                lang=Input(Ids.LANG, "value")),
    roles=Permission.VIEW_AGGREGATES,
)
def apply(start: str | None, end: str | None, controls: dict[str, list[str] | None],
          lang: str | None) -> dict[str, Any]:
    """The briefing filter → the suppressed view → map, figures, charts, tables and download links."""
    principal = current_principal()
    if principal is None:
        raise PreventUpdate
    query = {"start": start or "", "end": end or "",
             **{name: ",".join(values or []) for name, values in controls.items()}}
    settings = hub().settings
    try:
        filt = briefing_filter({k: v for k, v in query.items() if v})
        with db_session() as s:
            view = briefing_view(s, principal, filt, threshold=settings.suppression_threshold,
                                 usd_rates=settings.usd_rates, locale=str(get_locale()))
    except HubError as exc:
        return {**dict.fromkeys(OUTPUTS, no_update), "error": str(exc), "error_open": True}
    q = filt.to_query()
    pptx, pdf, links = _links(q, lang if lang in ("en", "fr") else "en")
    return {
        "points": view.map, "figures": _figures(view),
        "missions_chart": briefing_charts.missions_figure(view.by_mission),
        "gender_chart": briefing_charts.gender_figure(view.gender.by_marker), "gender_text": _gender_text(view),
        "funding_chart": map_charts.funding_figure(view.funding), "service": _service(view),
        "mission_table": _table(pack.mission_table(view, _)), "pptx": pptx, "pdf": pdf, "links": links,
        "filter": q, "error": None, "error_open": False,
    }


secured_clientside_callback(
    ClientsideFunction(namespace="hubUrl", function_name="write"), Input(Ids.FILTER, "data"),
    State(Ids.PATH, "data"),
    roles=Permission.VIEW_AGGREGATES,
)


def title(**_kwargs: object) -> str:
    return _("Briefing") + " · " + _("Standing Capacities Hub")


dash.register_page(__name__, layout=layout, path="/briefing", name="Briefing", title=title,
                   nav_label=_l("Briefing"), order=6, permission=Permission.VIEW_AGGREGATES)
