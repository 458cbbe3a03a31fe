"""Cards of key figures."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from dashboard.i18n import current_locale
from services.formatting import integer


def figure_card(card_id: str, label: str, value: int | str, hint: str | None = None,
                widths: dict[str, int] | None = None, value_class: str = "display-6") -> dbc.Col:
    """A card in a grid column; ``widths`` overrides the home page's four-across (xs/sm/lg)."""
    return dbc.Col(
        dbc.Card(
            dbc.CardBody([
                html.Div(label, className="text-muted small text-uppercase"),
                # A count gets the language's digit grouping (12 345); text (a suppressed "*") stays as is.
                html.Div(integer(value, current_locale()) if isinstance(value, int) else str(value),
                         className=f"{value_class} fw-semibold", id=card_id),
                html.Div(hint, className="small text-muted") if hint else None,
            ]),
            className="h-100 shadow-sm",
        ),
        **(widths or {"xs": 12, "sm": 6, "lg": 3}), className="mb-3",
    )
