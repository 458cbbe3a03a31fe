"""Projects: every project with its progress and money; a new project (programme staff); the IATI file."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from flask_login import current_user

from dashboard.components.project_parts import PROJECT_STATUS_LABELS, book_form, form_data, label
from dashboard.components.record_form import (
    feedback_outputs,
    feedback_values,
    form_states,
    form_values,
    problems_alert,
)
from dashboard.context import db_session, request_origin
from dashboard.i18n import _, _l, current_locale
from dashboard.security.callbacks import secured_callback
from dashboard.security.pages import page_layout
from services.access import Permission
from services.errors import HubError
from services.formatting import day, money
from services.projects import records, rules
from services.records import Problems

FORM = "project-new"


class Ids:
    TABLE = "projects-table"
    NEW = "projects-new"
    NEW_PANEL = "projects-new-panel"
    SAVE = "projects-new-save"
    MESSAGE = "projects-new-message"
    GO = "projects-go"
    IATI = "projects-iati"


def capacity_options() -> list[dict[str, str]]:
    return [{"label": code, "value": code} for code in ("SPC", "JCSC")]


def localized_title(row: dict[str, Any], locale: str) -> str:
    return (row.get("name_fr") if locale == "fr" else None) or row["name"]


def _money_text(row: dict[str, Any], locale: str) -> Any:
    if "money" not in row:
        return None
    parts = [f"{money(m['allocated'], locale, m['currency'])} / {money(m['spent'], locale, m['currency'])}"
             for m in row["money"]]
    return html.Span("; ".join(parts) or "–", className="text-nowrap")


def _table(rows: list[dict[str, Any]], locale: str, with_money: bool) -> dbc.Table:
    wide = "d-none d-md-table-cell"  # on a phone: code, title and status only
    head = [(_("Code"), ""), (_("Title"), ""), (_("Capacity"), wide), (_("Status"), ""), (_("Period"), wide),
            (_("Milestones achieved"), wide)]
    if with_money:
        head.append((_("Allocated / spent"), wide))
    body = []
    for r in rows:
        cells = [html.Td(dcc.Link(r["code"], href=f"/projects/{r['id']}"), className="text-nowrap"),
                 html.Td(localized_title(r, locale)), html.Td(r["capacity"], className=wide),
                 html.Td(label(PROJECT_STATUS_LABELS, r["status"])),
                 html.Td(f"{day(r['start_date'], locale)} – {day(r['end_date'], locale)}",
                         className=f"text-nowrap {wide}"),
                 html.Td(f"{r['milestones_achieved']} / {r['milestones']}", className=wide)]
        if with_money:
            cells.append(html.Td(_money_text(r, locale), className=wide))
        body.append(html.Tr(cells))
    return dbc.Table([html.Thead(html.Tr([html.Th(h, className=c) for h, c in head])), html.Tbody(body)],
                     striped=True, hover=True, size="sm", responsive=True, id=Ids.TABLE)


@page_layout(Permission.VIEW_OPERATIONS)
def layout(**_kwargs: object) -> html.Div:
    locale = current_locale()
    with db_session() as s:
        rows = records.list_projects(s, current_user.principal)
    manage = current_user.can(Permission.MANAGE_PROJECTS)
    new_form = []
    if manage:
        new_form = [
            dbc.Button(_("New project"), id=Ids.NEW, color="primary", className="me-2 mb-2"),
            dbc.Collapse(dbc.Card(dbc.CardBody([
                book_form(FORM, rules.PROJECT, {"currency": "USD", "status": "pipeline", "gender_marker": "1"},
                          options={"capacity": capacity_options()}, width=4),
                html.Div(id=Ids.MESSAGE),
                dbc.Button(_("Create project"), id=Ids.SAVE, color="primary"),
            ]), className="mb-3"), id=Ids.NEW_PANEL, is_open=False),
        ]
    return html.Div([
        dcc.Location(id=Ids.GO, refresh=True),
        html.H1(_("Projects"), className="h4"),
        html.Div([
            *new_form[:1],
            *([html.A(_("Download the IATI file (XML)"), href="/api/v1/projects/iati.xml", id=Ids.IATI,
                      className="btn btn-outline-secondary mb-2", download="projects-iati.xml")]
              if current_user.can(Permission.VIEW_FUNDING) else []),
        ]),
        *new_form[1:],
        _table(rows, locale, current_user.can(Permission.VIEW_FUNDING)),
    ])


@secured_callback(Output(Ids.NEW_PANEL, "is_open"), Input(Ids.NEW, "n_clicks"), State(Ids.NEW_PANEL, "is_open"),
                  roles=Permission.MANAGE_PROJECTS, prevent_initial_call=True)
def toggle_new(_clicks: int | None, is_open: bool | None) -> bool:
    return not is_open


@secured_callback(
    output={**feedback_outputs(FORM), "message": Output(Ids.MESSAGE, "children"), "go": Output(Ids.GO, "href")},
    inputs={"clicks": Input(Ids.SAVE, "n_clicks")}, state=form_states(FORM),
    roles=Permission.MANAGE_PROJECTS, prevent_initial_call=True,
)
def create(clicks: int | None, inputs: Any, controls: Any) -> dict[str, Any]:
    data = form_data(form_values(FORM), rules.PROJECT)
    data["missions"] = []
    try:
        with db_session() as s:
            project = records.create_project(s, current_user.principal, data, origin=request_origin())
            new_id = project.id
    except Problems as error:
        shown, leftover = feedback_values(error.problems, FORM, rules.PROJECT)
        return {**shown, "message": problems_alert(_("The project was not created:"), leftover,
                                                   element_id="projects-new-error"), "go": dash.no_update}
    except HubError as error:
        return {**feedback_values([], FORM)[0], "message": dbc.Alert(str(error), color="danger"),
                "go": dash.no_update}
    return {**feedback_values([], FORM)[0], "message": None, "go": f"/projects/{new_id}"}


def title(**_kwargs: object) -> str:
    return _("Projects")


dash.register_page(__name__, layout=layout, path="/projects", name="Projects", title=title,
                   nav_label=_l("Projects"), order=35, permission=Permission.VIEW_OPERATIONS)
