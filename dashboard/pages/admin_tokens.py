"""Administration · personal access tokens: who holds which, when each was last used, and revoking one."""

from __future__ import annotations

from datetime import UTC, datetime

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, html
from dash.exceptions import PreventUpdate

from dashboard.context import current_principal, db_session, request_origin
from dashboard.i18n import _
from dashboard.pages.admin_common import ADMIN_PERMISSION, error_message, tabs, when
from dashboard.security.callbacks import secured_callback
from dashboard.security.pages import page_layout
from services import admin
from services.admin import TokenRow
from services.errors import HubError


class Ids:
    GRID = "admin-tokens-grid"
    REVOKE = "admin-tokens-revoke"
    MESSAGE = "admin-tokens-message"


def _column_defs() -> list[dict[str, object]]:
    return [
        {"field": "id", "headerName": _("Id"), "width": 80, "type": "numericColumn"},
        {"field": "user", "headerName": _("User"), "width": 160},
        {"field": "name", "headerName": _("Name"), "flex": 1, "minWidth": 130},
        {"field": "prefix", "headerName": _("Begins with"), "width": 185},
        {"field": "created", "headerName": _("Created (UTC)"), "width": 160},
        {"field": "expires", "headerName": _("Expires (UTC)"), "width": 160},
        {"field": "last_used", "headerName": _("Last use (UTC)"), "width": 160},
        {"field": "state", "headerName": _("State"), "width": 120},
    ]


def _state(row: TokenRow, now: datetime) -> str:
    if row.revoked_at is not None:
        return _("Revoked")
    if row.expires_at is not None and row.expires_at < now:
        return _("Expired")
    return _("Valid")


def _record(row: TokenRow, now: datetime) -> dict[str, object]:
    return {"id": row.id, "user": row.username, "name": row.name, "prefix": row.prefix + "…",
            "created": when(row.created_at), "expires": when(row.expires_at) or _("Never"),
            "last_used": when(row.last_used_at) or _("Never"), "state": _state(row, now)}


@page_layout(ADMIN_PERMISSION)
def layout(**_kwargs: object) -> html.Div:
    return html.Div([
        html.H1(_("Administration"), className="h3"),
        tabs("/admin/tokens"),
        html.P([_("Personal access tokens open the API for scripts and tools. Create one with the command"), " ",
                html.Code("hub tokens create --user NAME"), ". ",
                _("Revoke one here, and its next call is refused.")], className="text-muted"),
        html.Div(id=Ids.MESSAGE),
        dbc.Button(_("Revoke the selected token"), id=Ids.REVOKE, color="danger", outline=True, className="mb-2"),
        dag.AgGrid(
            id=Ids.GRID, columnDefs=_column_defs(), rowData=[],
            defaultColDef={"sortable": True, "filter": True, "resizable": True},
            dashGridOptions={"rowSelection": "single", "animateRows": False,
                             "localeText": {"noRowsToShow": _("No tokens to show.")}},
            getRowId="params.data.id", style={"height": "60vh"},
        ),
    ])


@secured_callback(
    Output(Ids.GRID, "rowData"), Output(Ids.MESSAGE, "children"),
    Input(Ids.REVOKE, "n_clicks"), State(Ids.GRID, "selectedRows"),
    roles=ADMIN_PERMISSION,
)
def act(clicks: int | None, selected: list[dict] | None) -> tuple:
    principal = current_principal()
    message = None
    if clicks and not selected:
        raise PreventUpdate
    with db_session() as s:
        if clicks and selected:
            try:
                with s.begin_nested():
                    token = admin.revoke_token(s, principal, int(selected[0]["id"]), origin=request_origin())
                message = dbc.Alert(_("Token %(name)s of %(user)s is revoked.", name=token.name,
                                      user=selected[0].get("user", "")), color="success", dismissable=True)
            except (HubError, ValueError, KeyError) as error:
                text = error_message(error) if isinstance(error, HubError) else _("Select a token first.")
                message = dbc.Alert(text, color="danger")
        now = datetime.now(UTC)
        rows = [_record(r, now) for r in admin.list_tokens(s, principal)]
    return rows, message


def title(**_kwargs: object) -> str:
    return _("Access tokens") + " · " + _("Administration")


dash.register_page(__name__, layout=layout, path="/admin/tokens", name="Access tokens", title=title)
