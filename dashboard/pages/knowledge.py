"""Knowledge search: one box across lessons, assessments, recommendations and attached reports; filters by kind,
mission, capacity and year; the best hits first with their extract, the words found highlighted. Each role
finds only what it may read (services.knowledge.search)."""

from __future__ import annotations

import html as html_text
import re
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html
from flask_login import current_user

from dashboard.components.knowledge_parts import SEARCH_KIND_LABELS, label
from dashboard.context import db_session
from dashboard.i18n import _, _l, current_locale
from dashboard.security.callbacks import secured_callback
from dashboard.security.pages import page_layout
from services.access import Permission
from services.knowledge.search import MAX_QUERY_CHARS, SearchFilter, kinds_for, search

MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


class Ids:
    QUERY = "knowledge-q"
    GO = "knowledge-go"
    KINDS = "knowledge-kinds"
    MISSION = "knowledge-mission"
    CAPACITY = "knowledge-capacity"
    YEAR = "knowledge-year"
    RESULTS = "knowledge-results"


def extract(marked: str) -> list[Any]:
    """The service's escaped extract as components: text, and <mark> only where it put one (nothing else is
    ever read as HTML)."""
    parts: list[Any] = []
    last = 0
    for m in MARK.finditer(marked):
        parts.append(html_text.unescape(marked[last:m.start()]))
        parts.append(html.Mark(html_text.unescape(m.group(1))))
        last = m.end()
    parts.append(html_text.unescape(marked[last:]))
    return [p for p in parts if p != ""]


@page_layout(Permission.VIEW_AGGREGATES)
def layout(q: str = "", **_kwargs: object) -> html.Div:
    allowed = kinds_for(current_user.principal)
    return html.Div([
        html.H1(_("Search the knowledge"), className="h3"),
        html.P([_("Lessons, assessments, recommendations and attached reports, in English and French."), " ",
                html.A(_("All lessons"), href="/lessons")], className="small text-muted"),
        dbc.InputGroup([dbc.Input(id=Ids.QUERY, type="search", value=q[:MAX_QUERY_CHARS], maxLength=MAX_QUERY_CHARS,
                                  placeholder=_("e.g. réforme, policiers, assessment"), debounce=True, autoFocus=True),
                        dbc.Button(_("Search"), id=Ids.GO, color="primary")], className="mb-2"),
        dbc.Row([
            dbc.Col(dbc.Checklist(id=Ids.KINDS, inline=True, value=[],
                                  options=[{"label": label(SEARCH_KIND_LABELS, k), "value": k} for k in allowed]),
                    lg=6, className="pt-1"),
            dbc.Col(dbc.Input(id=Ids.MISSION, placeholder=_("Mission acronym"), debounce=True, maxLength=40), lg=2),
            dbc.Col(dbc.Select(id=Ids.CAPACITY, value="", placeholder=_("Both capacities"),
                               options=[{"label": _("Both capacities"), "value": ""},
                                                                  {"label": "SPC", "value": "SPC"},
                                                                  {"label": "JCSC", "value": "JCSC"}]), lg=2),
            dbc.Col(dbc.Input(id=Ids.YEAR, type="number", placeholder=_("Year"), min=1990, max=2100, debounce=True),
                    lg=2),
        ], className="g-2 mb-3"),
        dcc.Loading(html.Div(id=Ids.RESULTS), type="dot"),
    ])


@secured_callback(
    Output(Ids.RESULTS, "children"),
    Input(Ids.QUERY, "value"), Input(Ids.GO, "n_clicks"), Input(Ids.KINDS, "value"), Input(Ids.MISSION, "value"),
    Input(Ids.CAPACITY, "value"), Input(Ids.YEAR, "value"),
    roles=Permission.VIEW_AGGREGATES,
)
def results(q: str | None, _clicks: Any, kinds: list[str] | None, mission: str | None, capacity: str | None,
            year: Any) -> Any:
    if not (q or "").strip():
        return html.P(_("Type a few words: accents and word endings do not matter."), className="text-muted")
    try:
        year_n = int(year) if year not in (None, "") else None
    except (TypeError, ValueError):
        year_n = None
    locale = current_locale()
    with db_session() as s:
        answer = search(s, current_user.principal, q, SearchFilter(
            kinds=tuple(k for k in (kinds or []) if k in SEARCH_KIND_LABELS), mission=(mission or "").strip() or None,
            capacity=capacity or None, year=year_n if year_n and 1900 <= year_n <= 2200 else None, limit=30),
            locale)
    if not answer["items"]:
        return html.P(_("Nothing found. Try other words, or fewer filters."), className="text-muted",
                      id="knowledge-nothing")
    return dbc.ListGroup([dbc.ListGroupItem([
        html.Div([dbc.Badge(label(SEARCH_KIND_LABELS, h.kind), color="secondary", className="me-2"),
                  html.A(h.title, href=h.href, className="fw-semibold"),
                  html.Small(" · ".join(str(x) for x in (h.mission, h.year) if x), className="text-muted ms-2")]),
        html.Div(extract(h.extract_html), className="small mt-1 knowledge-extract")],
        className="knowledge-hit") for h in answer["items"]], id="knowledge-hits")


def title(**_kwargs: object) -> str:
    return _("Knowledge") + " · " + _("Standing Capacities Hub")


dash.register_page(__name__, layout=layout, path="/knowledge", name="Knowledge", title=title,
                   nav_label=_l("Knowledge"), order=42, permission=Permission.VIEW_AGGREGATES)
