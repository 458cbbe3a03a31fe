"""Cards of key figures."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html


def figure_card(card_id: str, label: str, value: int | str, hint: str | None = None) -> dbc.Col:
    return dbc.Col(
        dbc.Card(
            dbc.CardBody([
                html.Div(label, className="text-muted small text-uppercase"),
                html.Div(str(value), className="display-6 fw-semibold", id=card_id),
                html.Div(hint, className="small text-muted") if hint else None,
            ]),
            className="h-100 shadow-sm",
        ),
        xs=12, sm=6, lg=3, className="mb-3",
    )
