"""The recommendations tracker: overdue, due within 30 days, by owner and status; the implementation rate by
mission, contributing country, kind or year as a chart; the report as XLSX or PDF in the page's language."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, dcc, html
from flask_login import current_user

from dashboard.components.knowledge_parts import (
    KIND_LABELS,
    STATUS_LABELS,
    label,
    options,
    rec_list,
)
from dashboard.context import db_session
from dashboard.i18n import _, _l, current_locale, ngettext
from dashboard.security.callbacks import secured_callback
from dashboard.security.pages import page_layout
from services.access import Permission
from services.formatting import percent
from services.knowledge import recommendations as R

SCROLL = {"maxHeight": "360px", "overflowY": "auto"}  # long lists scroll inside their card


class Ids:
    OWNER = "recs-owner"
    STATUS = "recs-status"
    OVERDUE = "recs-overdue"
    DUE_SOON = "recs-due-soon"
    ALL = "recs-all"
    COUNT = "recs-count"
    BY = "recs-by"
    CHART = "recs-chart"


@page_layout(Permission.VIEW_OPERATIONS)
def layout(**_kwargs: object) -> html.Div:
    with db_session() as s:
        owners = R.owner_options(s, current_user.principal) if current_user.can(Permission.MANAGE_ASSESSMENTS) \
            else []
    lang = current_locale()
    downloads = html.Div([
        html.Span(_("Report:") + " ", className="small text-muted"),
        html.A("XLSX", href=f"/files/recommendations/implementation-rate.xlsx?lang={lang}", id="rate-xlsx",
               className="btn btn-outline-secondary btn-sm me-1"),
        html.A("PDF", href=f"/files/recommendations/implementation-rate.pdf?lang={lang}", id="rate-pdf",
               className="btn btn-outline-secondary btn-sm")])
    return html.Div([
        html.H1(_("Recommendations"), className="h3"),
        dbc.Row([
            dbc.Col(dbc.Card(dbc.CardBody([html.H2(_("Overdue"), className="h5 text-danger"),
                                           html.Div(id=Ids.OVERDUE, style=SCROLL)])), lg=6, className="mb-3"),
            dbc.Col(dbc.Card(dbc.CardBody([html.H2(_("Due within 30 days"), className="h5"),
                                           html.Div(id=Ids.DUE_SOON, style=SCROLL)])), lg=6, className="mb-3"),
        ]),
        dbc.Card(dbc.CardBody([
            dbc.Row([dbc.Col(html.H2(_("Implementation rate"), className="h5"), md=5),
                     dbc.Col(dbc.RadioItems(id=Ids.BY, inline=True, value="mission", options=[
                         {"label": _("by mission"), "value": "mission"},
                         {"label": _("by contributing country"), "value": "country"},
                         {"label": _("by kind"), "value": "kind"}, {"label": _("by year"), "value": "year"}]),
                         md=7)]),
            dcc.Graph(id=Ids.CHART, config={"displayModeBar": False}, style={"height": "320px"}),
            downloads]), className="mb-3"),
        dbc.Card(dbc.CardBody([
            html.H2(_("All recommendations"), className="h5"),
            dbc.Row([
                dbc.Col(dbc.Select(id=Ids.OWNER, value="", options=[{"label": _("All owners"), "value": ""}] + [
                    {"label": n, "value": u} for u, n in owners]), md=4),
                dbc.Col(dbc.Select(id=Ids.STATUS, value="", options=[{"label": _("Any status"), "value": ""},
                                                                     *options(STATUS_LABELS)]), md=4),
                dbc.Col(html.Div(id=Ids.COUNT, className="text-muted pt-2"), md=4)], className="g-2 mb-2"),
            html.Div(id=Ids.ALL, style={**SCROLL, "maxHeight": "640px"})])),
    ])


@secured_callback(
    Output(Ids.OVERDUE, "children"), Output(Ids.DUE_SOON, "children"), Output(Ids.ALL, "children"),
    Output(Ids.COUNT, "children"), Input(Ids.OWNER, "value"), Input(Ids.STATUS, "value"),
    roles=Permission.VIEW_OPERATIONS,
)
def show(owner: str | None, status: str | None) -> tuple[Any, Any, Any, str]:
    principal = current_user.principal
    with db_session() as s:
        overdue = R.list_recommendations(s, principal, R.RecommendationFilter(overdue=True, limit=50))
        soon = R.list_recommendations(s, principal, R.RecommendationFilter(due_soon=True, limit=50))
        every = R.list_recommendations(s, principal, R.RecommendationFilter(
            owner=(owner or None), status=(status if status in {x.value for x in STATUS_LABELS} else None),
            limit=100))
    return (rec_list(overdue["items"], "overdue-list", _("Nothing overdue.")),
            rec_list(soon["items"], "due-soon-list", _("Nothing due within 30 days.")),
            rec_list(every["items"], "all-list", _("No recommendation matches.")),
            ngettext("%(num)d recommendation", "%(num)d recommendations", every["total"]))


@secured_callback(Output(Ids.CHART, "figure"), Input(Ids.BY, "value"), roles=Permission.VIEW_OPERATIONS)
def chart(by: str | None) -> go.Figure:
    by = by if by in R.RATE_DIMENSIONS else "mission"
    with db_session() as s:
        rows = R.implementation_rate(s, current_user.principal, by)
    locale = current_locale()
    names = [label(KIND_LABELS, r["key"]) if by == "kind" else str(r["key"] if r["key"] is not None else "—")
             for r in rows]
    figure = go.Figure(go.Bar(
        x=names, y=[r["rate"] or 0 for r in rows], marker_color="#1f6fb2",
        text=[percent(r["rate"], locale) if r["rate"] is not None else "—" for r in rows], textposition="outside",
        customdata=[[r["implemented"], r["counted"]] for r in rows],
        hovertemplate="%{x}: %{text} (%{customdata[0]} / %{customdata[1]})<extra></extra>"))
    figure.update_layout(margin={"l": 40, "r": 10, "t": 10, "b": 80}, yaxis={"tickformat": ".0%", "range": [0, 1.1]},
                         plot_bgcolor="white", separators=", " if locale == "fr" else ".,")
    return figure


def title(**_kwargs: object) -> str:
    return _("Recommendations") + " · " + _("Standing Capacities Hub")


dash.register_page(__name__, layout=layout, path="/recommendations", name="Recommendations", title=title,
                   nav_label=_l("Recommendations"), order=41, permission=Permission.VIEW_OPERATIONS)
