"""Missions: every mission with its host countries, sites and the experts deployed there today."""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, Patch, html
from flask_babel import get_locale

from dashboard.context import db_session
from dashboard.i18n import GRID_LOCAL_DATE, _, _l, ngettext
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
        {"field": "name", "headerName": _("Name"), "flex": 2, "minWidth": 200, "tooltipField": "name"},
        {"field": "type", "headerName": _("Type"), "width": 180},
        {"field": "hq_city", "headerName": _("HQ city"), "width": 130},
        {"field": "host_countries", "headerName": _("Host countries"), "flex": 1, "minWidth": 140,
         "tooltipField": "host_countries"},
        {"field": "start", "headerName": _("Start"), "width": 125, "valueFormatter": GRID_LOCAL_DATE},
        {"field": "end", "headerName": _("End"), "width": 125, "valueFormatter": GRID_LOCAL_DATE},
        {"field": "active", "headerName": _("Active"), "width": 105},
        {"field": "sites", "headerName": _("Sites"), "type": "numericColumn", "width": 90},
        {"field": "deployed", "headerName": _("Experts deployed now"), "type": "numericColumn", "width": 130,
         "wrapHeaderText": True, "autoHeaderHeight": True},
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
                              debounce=250), md=6, lg=4),
            dbc.Col(dbc.Switch(id=Ids.ACTIVE_ONLY, label=_("Active missions only"), value=True), md=3,
                    className="pt-2"),
            dbc.Col(html.Div(id=Ids.COUNT, className="text-muted pt-2"), md=3),
        ], className="mb-3 g-2"),
        dag.AgGrid(
            id=Ids.GRID,
            columnDefs=_column_defs(),
            rowData=[],
            defaultColDef={"sortable": True, "filter": True, "resizable": True},
            dashGridOptions={"animateRows": False,
                             "localeText": {"noRowsToShow": _("No missions to show."),
                                            "noMatchingRows": _("No rows match the search.")}},
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
    return [_record(r) for r in rows], ngettext("%(num)d mission", "%(num)d missions", len(rows))


@secured_callback(
    Output(Ids.GRID, "dashGridOptions"), Input(Ids.QUICK_FILTER, "value"),
    roles=Permission.VIEW_OPERATIONS, prevent_initial_call=True,
)
def quick_filter(text: str | None) -> Patch:
    # The grid filters the rows it already holds; only the search text changes.
    options = Patch()
    options["quickFilterText"] = (text or "")[:200]
    return options


def title(**_kwargs: object) -> str:
    # A function, so the browser tab follows the language of each request.
    return _("Missions") + " · " + _("Standing Capacities Hub")


dash.register_page(__name__, layout=layout, path="/missions", name="Missions", title=title,
                   nav_label=_l("Missions"), order=10, permission=Permission.VIEW_OPERATIONS)
