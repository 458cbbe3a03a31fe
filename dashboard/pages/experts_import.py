"""Roster import (``/experts/import``): the template, the upload, the column mapping, the preview marking each
bad cell and the all-or-nothing import (``services.experts.roster_import``), and the roster's export."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard.components.import_preview import ImportSpec, import_panel, register_import
from dashboard.i18n import _
from dashboard.security.pages import page_layout
from services.access import Permission
from services.experts import roster_import

SPEC = ImportSpec("roster", roster_import.COLUMNS, roster_import.ROW, Permission.MANAGE_PERSONNEL,
                  preview=roster_import.preview, commit=roster_import.commit, sheet_title="Roster")
register_import(SPEC)


@page_layout(Permission.MANAGE_PERSONNEL)
def layout(**_kwargs: object) -> html.Div:
    return html.Div([
        html.Div([html.H1(_("Import the roster"), className="h3 mb-0"),
                  dcc.Link(_("Back to the experts"), href="/experts", className="btn btn-outline-secondary btn-sm")],
                 className="d-flex justify-content-between align-items-center mb-2 flex-wrap gap-2"),
        html.P(_("One row per expert, found by staff number: a new staff number adds an expert, a known one "
                 "updates them. Nothing is written while any row is refused."), className="mb-1"),
        html.Ul([
            html.Li(_("Skills: code:level separated by semicolons, levels 1 to 5 (investigations:4; "
                      "data_analysis:2).")),
            html.Li(_("Languages: ISO 639 code:CEFR level (fr:C1; en:B2; levels A1 to C2 or native).")),
            html.Li(_("Clearances: code:obtained on[:valid until] (BSAFE:2024-03-01:2027-03-01); dates "
                      "YYYY-MM-DD.")),
        ], className="small"),
        html.P([_("Export the roster in the same template: "),
                html.A("XLSX", href="/experts/export.xlsx", id="roster-export-xlsx"), " · ",
                html.A("CSV", href="/experts/export.csv", id="roster-export-csv")], className="small"),
        import_panel(SPEC),
    ])


def title(**_kwargs: object) -> str:
    return _("Import the roster") + " · " + _("Standing Capacities Hub")


# An order, so this page is matched before /experts/<expert_id> (Dash tries pages in the registry's order).
dash.register_page(__name__, layout=layout, path="/experts/import", name="Roster import", title=title, order=21,
                   permission=Permission.MANAGE_PERSONNEL)
