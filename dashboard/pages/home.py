"""Home: live key figures from the database, with a capacity filter."""

from __future__ import annotations

from datetime import date
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html
from flask_login import current_user
from sqlalchemy import select

from dashboard.components.key_figures import figure_card
from dashboard.components.knowledge_parts import rec_list
from dashboard.context import db_session, hub
from dashboard.i18n import _, _l, current_locale
from dashboard.security.callbacks import secured_callback
from dashboard.security.pages import page_layout
from models import Capacity
from services.access import Permission
from services.briefing.aggregates import suppress_key_figures
from services.briefing.suppression import SUPPRESSED_MARK
from services.formatting import day
from services.key_figures import key_figures
from services.knowledge.recommendations import RecommendationFilter, list_recommendations
from services.reference_data import localized_column


class Ids:
    CAPACITY = "home-capacity"
    FIGURES = "home-figures"
    AS_OF = "home-as-of"
    MINE = "home-my-recommendations"


@page_layout(Permission.VIEW_AGGREGATES)
def layout(**_kwargs: object) -> html.Div:
    with db_session() as s:
        capacities = s.execute(select(Capacity.id, Capacity.code, localized_column(Capacity, current_locale()))
                               .order_by(Capacity.code)).all()
    options = [{"label": _("Both capacities"), "value": 0}] + [
        {"label": f"{code} · {name}", "value": cid} for cid, code, name in capacities
    ]
    return html.Div([
        html.H1(_("Today at a glance"), className="h3"),
        dbc.Row([
            dbc.Col(dcc.Dropdown(id=Ids.CAPACITY, options=options, value=0, clearable=False), md=6, lg=4),
            dbc.Col(html.Div(id=Ids.AS_OF, className="text-muted pt-2"), md=6),
        ], className="mb-3"),
        dbc.Row(id=Ids.FIGURES),
        html.Div(id=Ids.MINE, className="mt-3"),
    ])


@secured_callback(
    Output(Ids.FIGURES, "children"), Output(Ids.AS_OF, "children"), Input(Ids.CAPACITY, "value"),
    roles=Permission.VIEW_AGGREGATES,
)
def show_figures(capacity_id: int | None) -> tuple[list, str]:
    with db_session() as s:
        figures = key_figures(s, date.today(), capacity_id or None)
    if not current_user.can(Permission.VIEW_OPERATIONS):  # aggregates only: small counts suppressed
        figures = suppress_key_figures(figures, hub().settings.suppression_threshold)
    mark = (lambda v: SUPPRESSED_MARK if v is None else v)  # noqa: E731 - a suppressed count shows the mark
    cards = [
        figure_card("kf-deployed", _("Experts deployed today"), mark(figures.experts_deployed)),
        figure_card("kf-available", _("Experts available now"), mark(figures.experts_available),
                    _("of %(total)d experts", total=figures.experts_total) if figures.experts_total is not None
                    else None),
        figure_card("kf-open-surge", _("Open surge requests"), mark(figures.open_surge_requests)),
        figure_card("kf-missions", _("Active missions"), figures.active_missions),
    ]
    return cards, _("As of %(day)s", day=day(figures.as_of, current_locale(), "long"))


@secured_callback(Output(Ids.MINE, "children"), Input(Ids.CAPACITY, "id"), roles=Permission.VIEW_AGGREGATES)
def my_recommendations(_id: str) -> Any:
    """The recommendations the user owns, soonest due first (overdue ones marked): whatever their role."""
    principal = current_user.principal
    with db_session() as s:
        mine = list_recommendations(s, principal, RecommendationFilter(owner_id=principal.user_id, limit=20))
    open_ones = [r for r in mine["items"] if r["status"] in ("open", "in_progress")]
    if not open_ones:
        return None
    return dbc.Card(dbc.CardBody([html.H2(_("My recommendations to follow up"), className="h5"),
                                  rec_list(open_ones, "my-recommendations", "")]))


dash.register_page(__name__, layout=layout, path="/", name="Home", nav_label=_l("Home"), order=0,
                   permission=Permission.VIEW_AGGREGATES)
