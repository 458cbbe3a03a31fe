"""The 404 page, in the hub's shell."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard.i18n import _


def layout(**_kwargs: object) -> dbc.Alert:
    return dbc.Alert([html.H4(_("Page not found"), className="alert-heading"),
                      html.A(_("Back to the home page"), href="/")], color="secondary", id="page-not-found")


dash.register_page(__name__, layout=layout, path="/404", name="Not found")
