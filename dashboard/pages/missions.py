"""Missions: every mission with its host countries, sites and the experts deployed there today."""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, clientside_callback, html
from flask_babel import get_locale

from dashboard.context import db_session
from dashboard.i18n import _, _l
from dashboard.security.callbacks import secured_callback
from dashboard.security.pages import page_layout
from models.enums import MissionType
from services.access import Permission
from services.mission_overview import MissionRow, mission_overview


class Ids:
    QUICK_FILTER = "missions-quick-filter"
    ACTIVE_ONLY = "missions-active-only"
    GRID = "missions-grid"
    COUNT = "missions-count"


MISSION_TYPES = {
    MissionType.PKO: _l("Peacekeeping operation"),
    MissionType.SPM: _l("Special political mission"),
    MissionType.OTHER: _l("Other UN entity"),
}


def _column_defs() -> list[dict[str, object]]:
    return [
        {"field": "acronym", "headerName": _("Acronym"), "pinned": "left", "width": 130},
        {"field": "name", "headerName": _("Name"), "flex": 2, "minWidth": 220},
        {"field": "type", "headerName": _("Type"), "minWidth": 170},
        {"field": "hq_city", "headerName": _("HQ city")},
        {"field": "host_countries", "headerName": _("Host countries"), "flex": 1, "minWidth": 160},
        {"field": "start", "headerName": _("Start"), "width": 120},
        {"field": "end", "headerName": _("End"), "width": 120},
        {"field": "active", "headerName": _("Active"), "width": 100},
        {"field": "sites", "headerName": _("Sites"), "type": "numericColumn", "width": 100},
        {"field": "deployed", "headerName": _("Experts deployed now"), "type": "numericColumn", "width": 130},
    ]


def _record(row: MissionRow) -> dict[str, object]:
    return {
        "acronym": row.acronym,
        "name": row.name,
        "type": str(MISSION_TYPES.get(row.mission_type, row.mission_type)),
        "hq_city": row.hq_city or "",
        "host_countries": row.host_countries,
        "start": row.start_date.isoformat() if row.start_date else "",
        "end": row.end_date.isoformat() if row.end_date else "",
        "active": _("Yes") if row.active else _("No"),
        "sites": row.sites,
        "deployed": row.experts_deployed,
    }


@page_layout(Permission.VIEW_OPERATIONS)
def layout(**_kwargs: object) -> html.Div:
    return html.Div([
        html.H1(_("Missions"), className="h3"),
        dbc.Row([
            dbc.Col(dbc.Input(id=Ids.QUICK_FILTER, type="search", placeholder=_("Search missions…"),
                              debounce=False), md=6, lg=4),
            dbc.Col(dbc.Switch(id=Ids.ACTIVE_ONLY, label=_("Active missions only"), value=True), md=3,
                    className="pt-2"),
            dbc.Col(html.Div(id=Ids.COUNT, className="text-muted pt-2"), md=3),
        ], className="mb-3 g-2"),
        dag.AgGrid(
            id=Ids.GRID,
            columnDefs=_column_defs(),
            rowData=[],
            defaultColDef={"sortable": True, "filter": True, "resizable": True},
            dashGridOptions={"animateRows": False, "overlayNoRowsTemplate": _("No missions to show.")},
            getRowId="params.data.acronym",
            style={"height": "70vh"},
        ),
    ])


@secured_callback(
    Output(Ids.GRID, "rowData"), Output(Ids.COUNT, "children"), Input(Ids.ACTIVE_ONLY, "value"),
    roles=Permission.VIEW_OPERATIONS,
)
def show_missions(active_only: bool | None) -> tuple[list[dict[str, object]], str]:
    with db_session() as s:
        rows = mission_overview(s, active_only=bool(active_only), locale=str(get_locale()))
    return [_record(r) for r in rows], _("%(count)d missions", count=len(rows))


# Filtering what the grid already holds needs no round trip to the server.
clientside_callback(
    """function (text) {
        return new dash_clientside.Patch().assign(["quickFilterText"], text || "").build();
    }""",
    Output(Ids.GRID, "dashGridOptions"),
    Input(Ids.QUICK_FILTER, "value"),
    prevent_initial_call=True,
)


dash.register_page(__name__, layout=layout, path="/missions", name="Missions", nav_label=_l("Missions"), order=10,
                   permission=Permission.VIEW_OPERATIONS)
