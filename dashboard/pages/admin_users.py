"""Administration · users: list, create, change role, deactivate, reactivate, reset a password (shown once)."""

from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, html
from dash.exceptions import PreventUpdate
from flask_babel import pgettext

from dashboard.context import current_principal, db_session, request_origin
from dashboard.i18n import _, _l
from dashboard.pages.admin_common import ADMIN_PERMISSION, error_message, tabs, when
from dashboard.roles import role_label, role_options
from dashboard.security.callbacks import secured_callback
from dashboard.security.pages import page_layout
from services import admin
from services.admin import FieldProblems, UserRow
from services.errors import HubError


class Ids:
    GRID = "admin-users-grid"
    USERNAME = "admin-users-username"
    NAME = "admin-users-name"
    EMAIL = "admin-users-email"
    ROLE = "admin-users-role"
    CREATE = "admin-users-create"
    USERNAME_HELP = "admin-users-username-help"
    NAME_HELP = "admin-users-name-help"
    EMAIL_HELP = "admin-users-email-help"
    ROLE_HELP = "admin-users-role-help"
    NEW_ROLE = "admin-users-new-role"
    CHANGE_ROLE = "admin-users-change-role"
    DEACTIVATE = "admin-users-deactivate"
    REACTIVATE = "admin-users-reactivate"
    RESET = "admin-users-reset"
    MESSAGE = "admin-users-message"
    SECRET = "admin-users-secret"
    EXPERT = "admin-users-expert"
    EXPERT_HELP = "admin-users-expert-help"
    EXPERT_BOX = "admin-users-expert-box"
    NEW_EXPERT = "admin-users-new-expert"
    NEW_EXPERT_BOX = "admin-users-new-expert-box"


FIELDS = {"username": (Ids.USERNAME, Ids.USERNAME_HELP), "display_name": (Ids.NAME, Ids.NAME_HELP),
          "email": (Ids.EMAIL, Ids.EMAIL_HELP), "role": (Ids.ROLE, Ids.ROLE_HELP),
          "expert": (Ids.EXPERT, Ids.EXPERT_HELP)}
PROBLEMS = {
    ("username", "required"): _l("A username is required."),
    ("username", "invalid"): _l("A username is 2 to 80 characters: lower-case letters, digits, '.', '_' or '-', "
                                "starting with a letter or digit."),
    ("username", "taken"): _l("This username is taken."),
    ("display_name", "required"): _l("A name is required."),
    ("display_name", "too_long"): _l("The name is longer than 200 characters."),
    ("email", "invalid"): _l("This is not an email address."),
    ("role", "unknown"): _l("Unknown role: choose one of the list."),
    ("expert", "expert_required"): _l("The expert role needs the expert this user is: choose one."),
    ("expert", "expert_unknown"): _l("No such expert (or their personal fields were erased)."),
    ("expert", "expert_linked"): _l("This expert is linked to another user already."),
    ("expert", "expert_not_expert_role"): _l("Only a user with the expert role is linked to an expert."),
}
EXPERT_ROLE = "expert"


def _column_defs() -> list[dict[str, object]]:
    return [
        {"field": "username", "headerName": _("Username"), "pinned": "left", "width": 185},
        {"field": "display_name", "headerName": _("Name"), "flex": 1, "minWidth": 150},
        {"field": "email", "headerName": _("Email"), "flex": 1, "minWidth": 160},
        {"field": "role", "headerName": _("Role"), "width": 200},
        {"field": "state", "headerName": _("State"), "width": 120},
        {"field": "last_login", "headerName": _("Last login (UTC)"), "width": 195},
    ]


def _record(row: UserRow) -> dict[str, object]:
    # pgettext: a user's state agrees with "utilisateur" in French, unlike a mission's "Active".
    return {"username": row.username, "display_name": row.display_name, "email": row.email or "",
            "role": role_label(row.role),
            "state": pgettext("user", "Active") if row.active else pgettext("user", "Deactivated"),
            "last_login": when(row.last_login_at)}


def _field(label: str, id_: str, help_id: str, **kwargs: Any) -> dbc.Col:
    control = dbc.Select(id=id_, **kwargs) if "options" in kwargs else dbc.Input(id=id_, **kwargs)
    return dbc.Col([dbc.Label(label, html_for=id_), control, dbc.FormFeedback(id=help_id, type="invalid")],
                   md=6, lg=3)


def _expert_options() -> list[dict[str, str]]:
    with db_session() as s:
        choices = admin.expert_choices(s, current_principal())
    return [{"label": "—", "value": ""}] + [{"label": label, "value": str(i)} for i, label in choices]


@page_layout(ADMIN_PERMISSION)
def layout(**_kwargs: object) -> html.Div:
    roles = role_options()
    experts = _expert_options()
    hidden = {"display": "none"}
    return html.Div([
        html.H1(_("Administration"), className="h3"),
        tabs("/admin/users"),
        dbc.Card(dbc.CardBody([
            html.H2(_("New user"), className="h5"),
            dbc.Row([
                _field(_("Username"), Ids.USERNAME, Ids.USERNAME_HELP, type="text", maxLength=80),
                _field(_("Display name"), Ids.NAME, Ids.NAME_HELP, type="text", maxLength=200),
                _field(_("Email"), Ids.EMAIL, Ids.EMAIL_HELP, type="email", maxLength=200),
                _field(_("Role"), Ids.ROLE, Ids.ROLE_HELP, options=roles, value="viewer"),
                # Only for the expert role: the expert whose own record the user keeps.
                html.Div(_field(_("Expert (their own record)"), Ids.EXPERT, Ids.EXPERT_HELP, options=experts,
                                value=""), id=Ids.EXPERT_BOX, style=hidden, className="col-12"),
            ], className="g-2 mb-2"),
            dbc.Button(_("Create user"), id=Ids.CREATE, color="primary"),
        ]), className="mb-3"),
        html.Div(id=Ids.SECRET),
        html.Div(id=Ids.MESSAGE),
        dbc.Row([
            dbc.Col(html.P(_("Select a user in the table, then:"), className="mb-0 pt-2"), xs=12, lg="auto"),
            dbc.Col(dbc.InputGroup([
                dbc.Select(id=Ids.NEW_ROLE, options=roles, value="viewer"),
                # The placeholder names what to pick: an input group has no room for a label.
                html.Div(dbc.Select(id=Ids.NEW_EXPERT, options=experts[1:],
                                    placeholder=_("Expert (their own record)")),
                         id=Ids.NEW_EXPERT_BOX, style=hidden),
                dbc.Button(_("Change role"), id=Ids.CHANGE_ROLE, color="secondary"),
            ]), xs=12, md=6, lg=5),
            dbc.Col([
                dbc.Button(_("Deactivate"), id=Ids.DEACTIVATE, color="danger", outline=True, className="me-2"),
                dbc.Button(_("Reactivate"), id=Ids.REACTIVATE, color="success", outline=True, className="me-2"),
                dbc.Button(_("Reset password"), id=Ids.RESET, color="warning", outline=True),
            ], xs=12, lg="auto"),
        ], className="g-2 mb-2 align-items-center"),
        dag.AgGrid(
            id=Ids.GRID, columnDefs=_column_defs(), rowData=[],
            defaultColDef={"sortable": True, "filter": True, "resizable": True},
            dashGridOptions={"rowSelection": "single", "animateRows": False,
                             "localeText": {"noRowsToShow": _("No users to show.")}},
            getRowId="params.data.username", style={"height": "55vh"},
        ),
    ])


def _secret_alert(username: str, password: str) -> dbc.Alert:
    # Only in this answer: the page never fetches it again, and the log never holds it.
    return dbc.Alert([
        html.Strong(_("Password of %(user)s, shown once:", user=username)), " ",
        html.Code(password, id="admin-users-password", className="fs-5"),
        html.Div(_("Give it to the user now; it cannot be shown again. They can log in with it at once."),
                 className="small"),
    ], color="info", dismissable=True)


@secured_callback(
    output=dict(
        rows=Output(Ids.GRID, "rowData"), message=Output(Ids.MESSAGE, "children"),
        secret=Output(Ids.SECRET, "children"),
        invalid={field: Output(id_, "invalid") for field, (id_, _help) in FIELDS.items()},
        helps={field: Output(help_id, "children") for field, (_id, help_id) in FIELDS.items()},
    ),
    inputs=dict(_clicks=[Input(button, "n_clicks")
                         for button in (Ids.CREATE, Ids.CHANGE_ROLE, Ids.DEACTIVATE, Ids.REACTIVATE, Ids.RESET)]),
    state=dict(username=State(Ids.USERNAME, "value"), name=State(Ids.NAME, "value"), email=State(Ids.EMAIL, "value"),
               role=State(Ids.ROLE, "value"), selected=State(Ids.GRID, "selectedRows"),
               new_role=State(Ids.NEW_ROLE, "value"), expert=State(Ids.EXPERT, "value"),
               new_expert=State(Ids.NEW_EXPERT, "value")),
    roles=ADMIN_PERMISSION,
)
def act(_clicks: list[int | None], username: str | None, name: str | None, email: str | None, role: str | None,
        selected: list[dict] | None, new_role: str | None, expert: str | None,
        new_expert: str | None) -> dict[str, Any]:
    action = ctx.triggered_id
    principal = current_principal()
    target = (selected or [{}])[0].get("username")
    if action not in (None, Ids.CREATE) and not target:
        raise PreventUpdate
    message: Any = None
    secret: Any = None
    problems: dict[str, str] = {}
    with db_session() as s:
        try:
            with s.begin_nested():  # a refused action writes nothing; the list is still read below
                if action == Ids.CREATE:
                    user, password = admin.create_user(s, principal, username or "", name or "", email, role or "",
                                                       origin=request_origin(), expert=_expert_id(role, expert))
                    secret = _secret_alert(user.username, password)
                elif action == Ids.CHANGE_ROLE:
                    admin.change_role(s, principal, target, new_role or "", origin=request_origin(),
                                      expert=_expert_id(new_role, new_expert))
                    message = _("%(user)s is now %(role)s.", user=target, role=role_label(new_role or ""))
                elif action == Ids.DEACTIVATE:
                    admin.deactivate_user(s, principal, target, origin=request_origin())
                    message = _("%(user)s is deactivated; their open sessions have ended.", user=target)
                elif action == Ids.REACTIVATE:
                    admin.reactivate_user(s, principal, target, origin=request_origin())
                    message = _("%(user)s can log in again.", user=target)
                elif action == Ids.RESET:
                    user, password = admin.reset_password(s, principal, target, origin=request_origin())
                    secret = _secret_alert(user.username, password)
                    message = _("The password of %(user)s is reset; their open sessions have ended.", user=target)
        except FieldProblems as error:
            problems = error.problems
            if action == Ids.CHANGE_ROLE and "expert" in problems:  # the change-role bar has no field messages
                message = dbc.Alert(str(PROBLEMS[("expert", problems.pop("expert"))]), color="danger",
                                    id="admin-users-error")
        except HubError as error:
            message = dbc.Alert(error_message(error), color="danger", id="admin-users-error")
        rows = [_record(r) for r in admin.list_users(s, principal)]
    if isinstance(message, str):
        message = dbc.Alert(message, color="success", dismissable=True)
    return {"rows": rows, "message": message, "secret": secret,
            "invalid": {field: field in problems for field in FIELDS},
            "helps": {field: str(PROBLEMS.get((field, problems[field]), "")) if field in problems else ""
                      for field in FIELDS}}


def _expert_id(role: str | None, value: str | None) -> int | None:
    """The picked expert's id; only the expert role sends one (a hidden picker's leftover value is not sent)."""
    return int(value) if role == EXPERT_ROLE and value and value.isdigit() else None


@secured_callback(
    Output(Ids.EXPERT_BOX, "style"), Output(Ids.NEW_EXPERT_BOX, "style"),
    Input(Ids.ROLE, "value"), Input(Ids.NEW_ROLE, "value"),
    roles=ADMIN_PERMISSION,
)
def show_expert_pickers(role: str | None, new_role: str | None) -> tuple[dict[str, str], dict[str, str]]:
    return tuple({} if r == EXPERT_ROLE else {"display": "none"} for r in (role, new_role))  # type: ignore[return-value]


def title(**_kwargs: object) -> str:
    return _("Users") + " · " + _("Administration")


dash.register_page(__name__, layout=layout, path="/admin/users", name="Users", title=title,
                   nav_label=_l("Administration"), order=90, permission=ADMIN_PERMISSION)
