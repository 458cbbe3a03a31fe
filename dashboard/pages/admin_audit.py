"""Administration · audit log: filter by who, what, record and date, one page of events at a time from the
database; a record's history with its before and after values; the filtered events as CSV or XLSX."""

from __future__ import annotations

import json
import math
from datetime import date
from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from dashboard.context import current_principal, db_session, hub, request_origin
from dashboard.file_responses import spreadsheet
from dashboard.i18n import _, ngettext
from dashboard.pages.admin_common import ADMIN_PERMISSION, tabs, when
from dashboard.security.callbacks import secured_callback
from dashboard.security.pages import page_layout
from services import audit
from services.audit import AuditFilter, AuditRow


class Ids:
    WHO = "admin-audit-who"
    ACTION = "admin-audit-action"
    ENTITY = "admin-audit-entity"
    ENTITY_ID = "admin-audit-entity-id"
    DATES = "admin-audit-dates"
    PAGER = "admin-audit-pager"
    COUNT = "admin-audit-count"
    GRID = "admin-audit-grid"
    HISTORY = "admin-audit-history"
    CSV = "admin-audit-csv"
    XLSX = "admin-audit-xlsx"
    DOWNLOAD = "admin-audit-download"


FILTER_STATES = [State(Ids.WHO, "value"), State(Ids.ACTION, "value"), State(Ids.ENTITY, "value"),
                 State(Ids.ENTITY_ID, "value"), State(Ids.DATES, "start_date"), State(Ids.DATES, "end_date")]


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _filter(who: str | None, action: str | None, entity: str | None, entity_id: str | None,
            start: str | None, end: str | None) -> AuditFilter:
    return AuditFilter(who=(who or "")[:80] or None, action=action or None, entity=entity or None,
                       entity_id=(entity_id or "")[:60] or None, since=_day(start), until=_day(end))


def _column_defs() -> list[dict[str, object]]:
    return [
        {"field": "at", "headerName": _("When (UTC)"), "width": 175},
        {"field": "who", "headerName": _("Who"), "width": 160},
        {"field": "action", "headerName": _("Action"), "width": 190},
        {"field": "entity", "headerName": _("Record type"), "width": 140},
        {"field": "entity_id", "headerName": _("Record"), "width": 150},
        {"field": "summary", "headerName": _("Changes"), "flex": 1, "minWidth": 200, "tooltipField": "summary"},
        {"field": "from", "headerName": _("Address"), "width": 130},
    ]


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _summary(row: AuditRow) -> str:
    changed = audit.changes(row.detail)
    if changed:
        return "; ".join(f"{c.field}: {_shown(c.before)} → {_shown(c.after)}" for c in changed)
    shown = {k: v for k, v in row.detail.items() if k not in ("before", "after")}
    return json.dumps(shown, ensure_ascii=False, sort_keys=True) if shown else ""


def _record(row: AuditRow) -> dict[str, object]:
    return {"id": row.id, "at": row.at.strftime("%Y-%m-%d %H:%M:%S"), "who": row.username or "",
            "action": row.action, "entity": row.entity or "", "entity_id": row.entity_id or "",
            "summary": _summary(row), "from": row.remote_addr or ""}


@page_layout(ADMIN_PERMISSION)
def layout(**_kwargs: object) -> html.Div:
    with db_session() as s:
        actions, entities = audit.actions(s), audit.entities(s)
    return html.Div([
        html.H1(_("Administration"), className="h3"),
        tabs("/admin/audit"),
        dbc.Row([
            dbc.Col([dbc.Label(_("Who"), html_for=Ids.WHO),
                     dbc.Input(id=Ids.WHO, type="search", debounce=True, placeholder=_("Username"))], md=4, lg=2),
            dbc.Col([dbc.Label(_("Action"), html_for=Ids.ACTION),
                     dcc.Dropdown(id=Ids.ACTION, options=actions, placeholder=_("Any"))], md=4, lg=2),
            dbc.Col([dbc.Label(_("Record type"), html_for=Ids.ENTITY),
                     dcc.Dropdown(id=Ids.ENTITY, options=entities, placeholder=_("Any"))], md=4, lg=2),
            dbc.Col([dbc.Label(_("Record"), html_for=Ids.ENTITY_ID),
                     dbc.Input(id=Ids.ENTITY_ID, type="search", debounce=True, placeholder=_("Id or name"))],
                    md=4, lg=2),
            dbc.Col([dbc.Label(_("Dates"), html_for=Ids.DATES),
                     html.Div(dcc.DatePickerRange(id=Ids.DATES, display_format="YYYY-MM-DD", clearable=True,
                                                  start_date_placeholder_text=_("From"),
                                                  end_date_placeholder_text=_("To")))], md=8, lg=4),
        ], className="g-2 mb-2"),
        dbc.Row([
            dbc.Col(html.Div(id=Ids.COUNT, className="text-muted pt-2"), xs=12, md="auto"),
            dbc.Col(dbc.Pagination(id=Ids.PAGER, max_value=1, active_page=1, fully_expanded=False,
                                   first_last=True, previous_next=True, size="sm", className="mb-0"),
                    xs=12, md="auto"),
            dbc.Col([dbc.Button(_("Export CSV"), id=Ids.CSV, color="secondary", outline=True, size="sm",
                                className="me-2"),
                     dbc.Button(_("Export XLSX"), id=Ids.XLSX, color="secondary", outline=True, size="sm")],
                    xs=12, md="auto", className="ms-md-auto"),
        ], className="g-2 mb-2 align-items-center"),
        dag.AgGrid(
            id=Ids.GRID, columnDefs=_column_defs(), rowData=[],
            defaultColDef={"sortable": False, "resizable": True},
            dashGridOptions={"rowSelection": "single", "animateRows": False, "tooltipShowDelay": 300,
                             "localeText": {"noRowsToShow": _("No events match the filter.")}},
            getRowId="params.data.id", style={"height": "50vh"},
        ),
        html.Div(id=Ids.HISTORY, className="mt-3"),
        dcc.Download(id=Ids.DOWNLOAD),
    ])


@secured_callback(
    Output(Ids.GRID, "rowData"), Output(Ids.COUNT, "children"), Output(Ids.PAGER, "max_value"),
    Output(Ids.PAGER, "active_page"),
    Input(Ids.WHO, "value"), Input(Ids.ACTION, "value"), Input(Ids.ENTITY, "value"), Input(Ids.ENTITY_ID, "value"),
    Input(Ids.DATES, "start_date"), Input(Ids.DATES, "end_date"), Input(Ids.PAGER, "active_page"),
    roles=ADMIN_PERMISSION,
)
def search(who: str | None, action: str | None, entity: str | None, entity_id: str | None, start: str | None,
           end: str | None, page: int | None) -> tuple:
    # A new filter starts at its first page; only the pager's own clicks move through pages.
    page = (page or 1) if ctx.triggered_id == Ids.PAGER else 1
    with db_session() as s:
        rows, total = audit.events_page(s, _filter(who, action, entity, entity_id, start, end), page)
    count = ngettext("%(num)d event", "%(num)d events", total)
    return [_record(r) for r in rows], count, max(1, math.ceil(total / audit.PAGE_SIZE)), page


def _change_table(row: AuditRow) -> Any:
    changed = audit.changes(row.detail)
    if not changed:
        summary = _summary(row)
        return html.P(summary, className="small text-muted mb-0") if summary else None
    return dbc.Table([
        html.Thead(html.Tr([html.Th(_("Field")), html.Th(_("Before")), html.Th(_("After"))])),
        html.Tbody([html.Tr([html.Td(c.field), html.Td(html.Del(_shown(c.before)), className="text-danger"),
                             html.Td(html.Ins(_shown(c.after)), className="text-success")]) for c in changed]),
    ], size="sm", bordered=True, className="mb-0")


@secured_callback(
    Output(Ids.HISTORY, "children"), Input(Ids.GRID, "selectedRows"),
    roles=ADMIN_PERMISSION, prevent_initial_call=True,
)
def history(selected: list[dict] | None) -> Any:
    if not selected or not selected[0].get("entity") or not selected[0].get("entity_id"):
        return None
    entity, entity_id = str(selected[0]["entity"]), str(selected[0]["entity_id"])
    with db_session() as s:
        events = audit.record_history(s, entity, entity_id)
    items = [dbc.ListGroupItem([
        html.Div([html.Strong(row.action), f" · {when(row.at)} · {row.username or '—'}"], className="mb-1"),
        _change_table(row),
    ]) for row in events]
    return dbc.Card([
        dbc.CardHeader(_("History of %(type)s %(id)s", type=entity, id=entity_id)),
        dbc.ListGroup(items, flush=True, id="admin-audit-history-list"),
    ])


@secured_callback(
    Output(Ids.DOWNLOAD, "data"), Input(Ids.CSV, "n_clicks"), Input(Ids.XLSX, "n_clicks"), *FILTER_STATES,
    roles=ADMIN_PERMISSION, prevent_initial_call=True,
)
def export(_csv: int | None, _xlsx: int | None, who: str | None, action: str | None, entity: str | None,
           entity_id: str | None, start: str | None, end: str | None) -> dict:
    fmt = {Ids.CSV: "csv", Ids.XLSX: "xlsx"}.get(str(ctx.triggered_id))
    if fmt is None:
        raise PreventUpdate
    with db_session() as s:
        rows = audit.export_rows(s, _filter(who, action, entity, entity_id, start, end), current_principal(),
                                 origin=request_origin(), fmt=fmt, limit=hub().settings.audit_export_limit)
    return dcc.send_bytes(spreadsheet(rows, fmt, "audit"), f"hub-audit-{date.today().isoformat()}.{fmt}")


def title(**_kwargs: object) -> str:
    return _("Audit log") + " · " + _("Administration")


dash.register_page(__name__, layout=layout, path="/admin/audit", name="Audit log", title=title)
