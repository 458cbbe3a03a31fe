"""Funding pages: the grants (committed, allocated, spent, available; those ending in 90 days and under-spent), a
grant's own page (figures, burn rate against time elapsed, run-out date, allocations, spending, edit forms, the
donor report), donors, rates of exchange, and the expenditure import. Finance and admin write (MANAGE_FUNDING);
every role with VIEW_FUNDING reads. The callbacks only call services/funding."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update
from flask_login import current_user
from sqlalchemy import select

from dashboard.components.import_preview import ImportSpec, import_panel, register_import
from dashboard.components.key_figures import figure_card
from dashboard.components.record_form import (
    feedback_outputs,
    feedback_values,
    field_id,
    form_field,
    form_states,
    form_values,
    problems_alert,
)
from dashboard.context import db_session, request_origin
from dashboard.i18n import GRID_LOCAL_DATE, GRID_LOCAL_MONEY, GRID_LOCAL_NUMBER, GRID_LOCAL_RATE, _, _l, current_locale
from dashboard.security.callbacks import secured_callback
from dashboard.security.pages import page_layout
from models import Capacity, Mission, Project
from models.enums import ExpenditureCategory, RecordStatus
from services.access import Permission
from services.errors import HubError
from services.formatting import day, decimal, percent
from services.funding import figures, imports, records
from services.funding.rules import DONOR_KINDS
from services.records import Problems, RuleBook
from services.records.imports import ImportRefused

GO = "funding-go"  # a Location that reloads the page after a save, so every figure is the database's again
GRID_STYLE = {"height": "420px"}


def _money(value: Decimal | None, currency: str) -> str:
    return "—" if value is None else f"{decimal(value, current_locale(), 2)} {currency}"


def _writer() -> bool:
    return bool(current_user.is_authenticated and current_user.principal.can(Permission.MANAGE_FUNDING))


# --- forms -------------------------------------------------------------------------------------------------------
def _control(form: str, book: RuleBook, name: str, value: Any, options: dict[str, list[dict[str, Any]]]) -> Any:
    f = book.fields_by_name[name]
    ident = field_id(form, name)
    shown = "" if value is None else (", ".join(d.isoformat() for d in value) if isinstance(value, list)
                                      else value.isoformat() if isinstance(value, date) else str(value))
    if name in options:
        choices = [{"label": o["label"], "value": str(o["value"])} for o in options[name]]
        return dbc.Select(id=ident, options=[{"label": "—", "value": ""}, *choices], value=shown)
    kind = type(f).__name__
    if kind == "Date":
        return dbc.Input(id=ident, type="date", value=shown)
    if kind == "Boolean":
        return dbc.Select(id=ident, options=[{"label": _("no"), "value": "no"}, {"label": _("yes"), "value": "yes"}],
                          value="yes" if value else "no")
    return dbc.Input(id=ident, type="text", value=shown)


def record_form(form: str, book: RuleBook, names: list[str], values: dict[str, Any] | None,
                options: dict[str, list[dict[str, Any]]], submit: str) -> html.Div:
    """The rule book's fields as a form, each problem under its field; two fields a row on a wide screen."""
    values = values or {}
    cols = [dbc.Col(form_field(form, book, n, _control(form, book, n, values.get(n), options)), md=6) for n in names]
    return html.Div([dbc.Row(cols), dbc.Button(submit, id=f"{form}-save", color="primary"),
                     html.Div(id=f"{form}-message", className="mt-2")])


def _save_callback(form: str, kind: records.Kind, *, key_store: str | None = None) -> None:
    """Create (no key) or update (the key and version in ``key_store``) the record from the form."""
    state: dict[str, Any] = {**form_states(form), "path": State("_pages_location", "pathname")}
    if key_store:
        state["key"] = State(key_store, "data")

    @secured_callback(output={**feedback_outputs(form), "message": Output(f"{form}-message", "children"),
                              "go": Output(GO, "href", allow_duplicate=True)},
                      inputs={"clicks": Input(f"{form}-save", "n_clicks")}, state=state,
                      roles=Permission.MANAGE_FUNDING, prevent_initial_call=True)
    def save(clicks: int | None, path: str, key: dict[str, Any] | None = None, **_states: Any) -> dict[str, Any]:
        if not clicks:
            raise dash.exceptions.PreventUpdate
        data = form_values(form)
        try:
            with db_session() as s:
                if key:
                    data = {**data, **key.get("fixed", {})}
                    records.update(s, current_user.principal, kind, key["id"], data, key["version"],
                                   origin=request_origin())
                else:
                    records.create(s, current_user.principal, kind, data, origin=request_origin())
        except Problems as error:
            shown, leftover = feedback_values(error.problems, form, kind.book)
            return {**shown, "go": no_update,
                    "message": problems_alert(_("Not saved:"), leftover, element_id=f"{form}-refused")}
        except HubError as error:
            return {**feedback_values([], form)[0], "go": no_update,
                    "message": dbc.Alert(str(error), color="danger", id=f"{form}-refused")}
        return {**feedback_values([], form)[0], "message": dbc.Alert(_("Saved."), color="success"), "go": path}


def _options(session: Any) -> dict[str, list[dict[str, Any]]]:
    loc = current_locale()
    fund_names = {"regular_budget": _("Regular budget"), "extrabudgetary": _("Extra-budgetary trust fund"),
                  "programme_support": _("Programme support")}
    return {
        "fund_id": [{"label": f"{f.code} · {fund_names[str(f.fund_type)]}", "value": f.id}
                    for f in records.funds(session)],
        "donor_id": [{"label": (d.name_fr if loc == "fr" and d.name_fr else d.name), "value": d.id}
                     for d in records.list_donors(session)],
        "earmark_capacity_id": [{"label": c, "value": i} for i, c in session.execute(
            select(Capacity.id, Capacity.code).order_by(Capacity.code))],
        "earmark_mission_id": [{"label": m, "value": i} for i, m in session.execute(
            select(Mission.id, Mission.acronym).where(Mission.active.is_(True)).order_by(Mission.acronym))],
        "project_id": [{"label": f"{c} · {n}"[:80], "value": i} for i, c, n in session.execute(
            select(Project.id, Project.code, Project.name).order_by(Project.code))],
        "kind": [{"label": donor_kind_label(k), "value": k} for k in DONOR_KINDS],
        "category": [{"label": category_label(c.value), "value": c.value} for c in ExpenditureCategory],
    }


def donor_kind_label(kind: str) -> str:
    labels = {"member_state": _("Member State"), "intergovernmental": _("Intergovernmental organization"),
              "foundation": _("Foundation"), "private": _("Private sector"), "other": _("Other")}
    return str(labels.get(kind, kind))


def category_label(category: str) -> str:
    labels = {"travel": _("Travel"), "staff": _("Staff"), "consultants": _("Consultants"),
              "equipment": _("Equipment"), "training": _("Training"), "contractual_services": _("Contractual services"),
              "other": _("Other")}
    return str(labels.get(category, category))


GRANT_FIELDS = ["reference", "title", "fund_id", "donor_id", "amount", "currency", "start_date", "end_date",
                "psc_rate", "earmark_capacity_id", "earmark_mission_id", "earmark_theme", "conditions",
                "reporting_dates"]
ALLOCATION_FIELDS = ["purpose", "project_id", "amount", "allocated_on", "cost_centre"]
EXPENDITURE_FIELDS = ["document_number", "spent_on", "amount", "currency", "category", "description",
                      "fund_centre", "is_reversal"]


# --- /funding: the grants ------------------------------------------------------------------------------------------
def _grant_rows(found: list[figures.GrantFigures]) -> list[dict[str, Any]]:
    return [{"id": f.id, "reference": f.reference, "link": f"[{f.reference}](/funding/grants/{f.id})",
             "title": f.title, "donor": f.donor or _("Regular budget"), "currency": f.currency,
             "committed": float(f.committed), "allocated": float(f.allocated), "spent": float(f.spent),
             "available": float(f.available), "burn": round(100 * (f.burn_rate or 0), 1),
             "elapsed": round(100 * f.time_elapsed, 1), "end": f.end_date.isoformat(),
             "status": _(str(f.status))} for f in found]


# Amounts stay numbers in the grid (they sort as such) and show the page's language's way: 1 234,56 in French.
MONEY_COLUMN = {"type": "rightAligned", "valueFormatter": GRID_LOCAL_MONEY}


def _grant_columns() -> list[dict[str, Any]]:
    money = MONEY_COLUMN
    return [
        {"field": "link", "headerName": _("Grant"), "cellRenderer": "markdown", "pinned": "left", "width": 170},
        {"field": "title", "headerName": _("Title"), "flex": 1, "minWidth": 200},
        {"field": "donor", "headerName": _("Donor"), "width": 150},
        {"field": "currency", "headerName": _("Currency"), "width": 90},
        {"field": "committed", "headerName": _("Committed"), **money},
        {"field": "allocated", "headerName": _("Allocated"), **money},
        {"field": "spent", "headerName": _("Spent"), **money},
        {"field": "available", "headerName": _("Available"), **money},
        {"field": "burn", "headerName": _("Burn rate %"), "width": 110, "type": "rightAligned",
         "valueFormatter": GRID_LOCAL_NUMBER},
        {"field": "elapsed", "headerName": _("Time elapsed %"), "width": 120, "type": "rightAligned",
         "valueFormatter": GRID_LOCAL_NUMBER},
        {"field": "end", "headerName": _("End"), "width": 120, "valueFormatter": GRID_LOCAL_DATE},
        {"field": "status", "headerName": _("Status"), "width": 100},
    ]


def _nav(active: str) -> dbc.Nav:
    links = [("/funding", _("Grants")), ("/funding/donors", _("Donors")), ("/funding/rates", _("Rates of exchange"))]
    if _writer():
        links.append(("/funding/import", _("Import spending")))
    return dbc.Nav([dbc.NavLink(label, href=href, active=href == active) for href, label in links], pills=True,
                   className="mb-3 flex-wrap")


@page_layout(Permission.VIEW_FUNDING)
def layout(**_kwargs: object) -> html.Div:
    with db_session() as s:
        found = figures.grant_figures(s, current_user.principal, locale=current_locale())
        options = _options(s) if _writer() else {}
    watch = [f for f in found if f.ends_soon and f.underspent]
    loc = current_locale()
    watch_list = html.Ul([html.Li([dcc.Link(f.reference, href=f"/funding/grants/{f.id}"), " · ", f.title, " · ",
                                   _("ends %(end)s, %(spent)s spent of %(elapsed)s of the time",
                                     end=day(f.end_date, loc), spent=percent(f.burn_rate, loc),
                                     elapsed=percent(f.time_elapsed, loc))])
                          for f in watch], className="mb-0")
    parts: list[Any] = [
        dcc.Location(id=GO, refresh=True), html.H1(_("Funding"), className="h3"), _nav("/funding"),
        dbc.Alert([html.Strong(_("Ending in the next 90 days and under-spent")), watch_list], color="warning",
                  id="funding-watch") if watch else
        dbc.Alert(_("No grant ends in the next 90 days under-spent."), color="light", id="funding-watch"),
        dag.AgGrid(id="funding-grants", columnDefs=_grant_columns(), rowData=_grant_rows(found),
                   className="ag-theme-alpine", style=GRID_STYLE, dangerously_allow_code=False,
                   defaultColDef={"resizable": True, "sortable": True, "filter": True, "width": 130}),
    ]
    if _writer():
        parts += [html.H2(_("New grant"), className="h5 mt-4"),
                  record_form("grant-new", records.GRANTS.book, GRANT_FIELDS, {"psc_rate": "0.13"}, options,
                              _("Create the grant"))]
    return html.Div(parts, className="container-fluid py-3")


_save_callback("grant-new", records.GRANTS)


# --- /funding/grants/<id> ---------------------------------------------------------------------------------------------
def burn_figure(f: figures.GrantFigures, months: list[tuple[date, Decimal]]) -> dict[str, Any]:
    """Spending to date (cumulative) against an even spending of the net amount over the grant's period."""
    xs, ys, total = [], [], Decimal(0)
    for m, v in months:
        total += v
        xs.append(m.isoformat())
        ys.append(float(total))
    return {"data": [
        {"type": "scatter", "mode": "lines+markers", "x": xs, "y": ys, "name": _("spent (cumulative)"),
         "line": {"color": "#20a39e"}},
        {"type": "scatter", "mode": "lines", "x": [f.start_date.isoformat(), f.end_date.isoformat()],
         "y": [0, float(f.net)], "name": _("even spending of the net amount"), "line": {"dash": "dot",
                                                                                       "color": "#888"}},
    ], "layout": {"height": 300, "margin": {"l": 60, "r": 10, "t": 30, "b": 40}, "yaxis": {"title": f.currency},
                  "legend": {"orientation": "h", "y": 1.15}, "separators": ", " if current_locale() == "fr" else ".,"}}


def _cards(f: figures.GrantFigures) -> dbc.Row:
    widths = {"xs": 6, "md": 4, "xl": 2}
    loc = current_locale()
    usd = _("no rate of exchange for %(month)s", month=f.start_date.strftime("%Y-%m")) if f.committed_usd is None \
        else _money(f.committed_usd, "USD")
    return dbc.Row([
        figure_card("grant-committed", _("Committed"), _money(f.committed, f.currency), usd, widths, "h4"),
        figure_card("grant-allocated", _("Allocated"), _money(f.allocated, f.currency),
                    _("of %(net)s net of support costs", net=_money(f.net, f.currency)), widths, "h4"),
        figure_card("grant-spent", _("Spent"), _money(f.spent, f.currency), None, widths, "h4"),
        figure_card("grant-available", _("Available"), _money(f.available, f.currency), None, widths, "h4"),
        figure_card("grant-burn", _("Burn rate"), percent(f.burn_rate, loc),
                    _("time elapsed: %(share)s", share=percent(f.time_elapsed, loc)), widths, "h4"),
        figure_card("grant-run-out", _("Runs out"), day(f.run_out, loc) if f.run_out else "—",
                    (_("after the grant ends") if f.run_out and f.run_out > f.end_date else
                     _("at the present rate")), widths, "h4"),
    ], className="g-2 mb-3")


@page_layout(Permission.VIEW_FUNDING)
def grant_layout(grant_id: str | None = None, **_kwargs: object) -> html.Div:
    if not str(grant_id or "").isdigit() or int(str(grant_id)) > 2**31 - 1:
        return html.Div(dbc.Alert(_("No such grant."), color="warning"), className="container py-3")
    gid = int(str(grant_id))
    principal = current_user.principal
    try:
        with db_session() as s:
            f = figures.one_grant(s, principal, gid, locale=current_locale())
            grant = records.get_record(s, records.GRANTS, gid)
            values = {n: getattr(grant, n) for n in GRANT_FIELDS}
            allocations = figures.allocations_of(s, principal, gid)
            spending = figures.expenditures_of(s, principal, gid, limit=1000)
            months = figures.monthly_spending(s, principal, gid)
            options = _options(s) if _writer() else {}
    except HubError:
        return html.Div(dbc.Alert(_("No such grant."), color="warning"), className="container py-3")
    lang = current_locale()
    report = [html.A(_("Donor report (XLSX)"), href=f"/api/v1/funding/grants/{gid}/report.xlsx?lang={lang}",
                     id="grant-report-xlsx", className="me-3"),
              html.A(_("Donor report (PDF)"), href=f"/api/v1/funding/grants/{gid}/report.pdf?lang={lang}",
                     id="grant-report-pdf")]
    alloc_rows = [{**a, "amount": float(a["amount"]), "spent": float(a["spent"]), "status": _(a["status"]),
                   "allocated_on": a["allocated_on"].isoformat(), "project": a["project"] or ""} for a in allocations]
    spend_rows = [{**e, "amount": float(e["amount"]), "spent_on": e["spent_on"].isoformat(),
                   "is_reversal": _("yes") if e["is_reversal"] else ""} for e in spending]
    money = MONEY_COLUMN
    parts: list[Any] = [
        dcc.Location(id=GO, refresh=True),
        dcc.Store(id="grant-key", data={"id": gid, "version": grant.version}),
        html.H1([f.reference, html.Small(" · " + f.title, className="text-muted")], className="h3"),
        _nav(""),
        html.Div([html.Span(f.donor or _("Regular budget")), " · ",
                  html.Span(_("%(start)s to %(end)s", start=day(f.start_date, lang), end=day(f.end_date, lang)),
                            id="grant-period"), " · ",
                  html.Span(_(str(f.status)), id="grant-status"), " · ", *report], className="mb-2"),
        _cards(f),
        dcc.Graph(id="grant-burn-chart", figure=burn_figure(f, months), config={"displayModeBar": False}),
        html.H2(_("Allocations"), className="h5 mt-3"),
        dag.AgGrid(id="grant-allocations", rowData=alloc_rows, className="ag-theme-alpine",
                   style={"height": "220px"}, defaultColDef={"resizable": True, "sortable": True},
                   columnDefs=[{"field": "purpose", "headerName": _("Purpose"), "flex": 1, "minWidth": 180},
                               {"field": "project", "headerName": _("Project"), "width": 130},
                               {"field": "cost_centre", "headerName": _("Fund/cost centre"), "width": 140},
                               {"field": "allocated_on", "headerName": _("Allocated on"), "width": 130,
                                "valueFormatter": GRID_LOCAL_DATE},
                               {"field": "amount", "headerName": _("Amount"), **money},
                               {"field": "spent", "headerName": _("Spent"), **money},
                               {"field": "status", "headerName": _("Status"), "width": 100}]),
        html.H2(_("Expenditures"), className="h5 mt-3"),
        html.P(_("None recorded."), className="text-muted") if not spend_rows else None,
        dag.AgGrid(id="grant-expenditures", rowData=spend_rows, className="ag-theme-alpine",
                   style={"height": "300px"}, defaultColDef={"resizable": True, "sortable": True, "filter": True},
                   columnDefs=[{"field": "document_number", "headerName": _("Document number"), "width": 150},
                               {"field": "spent_on", "headerName": _("Date"), "width": 120,
                                "valueFormatter": GRID_LOCAL_DATE},
                               {"field": "allocation", "headerName": _("Allocation"), "flex": 1, "minWidth": 160},
                               {"field": "description", "headerName": _("Description"), "flex": 1,
                                "minWidth": 160},
                               {"field": "amount", "headerName": _("Amount"), **money},
                               {"field": "is_reversal", "headerName": _("Reversal"), "width": 100}]),
    ]
    if _writer():
        open_allocs = [{"label": f"{a['purpose']} ({a['cost_centre'] or '—'})", "value": a["id"]}
                       for a in allocations if a["status"] == RecordStatus.OPEN.value]
        parts += [
            html.H2(_("Allocate"), className="h5 mt-4"),
            dcc.Store(id="allocation-key", data={"fixed": {"grant_id": gid}}),
            record_form("allocation-new", records.ALLOCATIONS.book, ALLOCATION_FIELDS,
                        {"allocated_on": date.today()}, options, _("Allocate")),
            html.H2(_("Record an expenditure"), className="h5 mt-4"),
            record_form("expenditure-new", records.EXPENDITURES.book, ["allocation_id", *EXPENDITURE_FIELDS],
                        {"currency": f.currency, "spent_on": date.today(), "category": "other"},
                        {**options, "allocation_id": open_allocs}, _("Record the expenditure")),
            html.H2(_("Edit the grant"), className="h5 mt-4"),
            record_form("grant-edit", records.GRANTS.book, GRANT_FIELDS, values, options, _("Save the grant")),
            dbc.Button(_("Reopen the grant") if f.status == RecordStatus.CLOSED else _("Close the grant"),
                       id="grant-close", color="secondary", outline=True, className="mt-2"),
            html.Div(id="grant-close-message", className="mt-2"),
        ]
    return html.Div(parts, className="container-fluid py-3")


_save_callback("grant-edit", records.GRANTS, key_store="grant-key")
_save_callback("expenditure-new", records.EXPENDITURES)


@secured_callback(output={**feedback_outputs("allocation-new"), "message": Output("allocation-new-message", "children"),
                          "go": Output(GO, "href", allow_duplicate=True)},
                  inputs={"clicks": Input("allocation-new-save", "n_clicks")},
                  state={**form_states("allocation-new"), "path": State("_pages_location", "pathname"),
                         "key": State("allocation-key", "data")},
                  roles=Permission.MANAGE_FUNDING, prevent_initial_call=True)
def save_allocation(clicks: int | None, path: str, key: dict[str, Any], **_states: Any) -> dict[str, Any]:
    """An allocation of this grant: the grant is the page's, not a field of the form."""
    if not clicks:
        raise dash.exceptions.PreventUpdate
    try:
        with db_session() as s:
            records.create(s, current_user.principal, records.ALLOCATIONS,
                           {**form_values("allocation-new"), **key["fixed"]}, origin=request_origin())
    except Problems as error:
        shown, leftover = feedback_values(error.problems, "allocation-new", records.ALLOCATIONS.book)
        return {**shown, "go": no_update,
                "message": problems_alert(_("Not saved:"), leftover, element_id="allocation-new-refused")}
    return {**feedback_values([], "allocation-new")[0], "message": dbc.Alert(_("Saved."), color="success"),
            "go": path}


@secured_callback(Output("grant-close-message", "children"), Output(GO, "href", allow_duplicate=True),
                  Input("grant-close", "n_clicks"), State("grant-key", "data"), State("_pages_location", "pathname"),
                  roles=Permission.MANAGE_FUNDING, prevent_initial_call=True)
def close_grant(clicks: int | None, key: dict[str, Any], path: str) -> tuple[Any, Any]:
    if not clicks:
        raise dash.exceptions.PreventUpdate
    try:
        with db_session() as s:
            grant = records.get_record(s, records.GRANTS, key["id"])
            status = RecordStatus.OPEN if grant.status == RecordStatus.CLOSED else RecordStatus.CLOSED
            records.set_status(s, current_user.principal, records.GRANTS, key["id"], status, key["version"],
                               origin=request_origin())
    except HubError as error:
        return dbc.Alert(str(error), color="danger"), no_update
    return None, path


# --- donors and rates ---------------------------------------------------------------------------------------
@page_layout(Permission.VIEW_FUNDING)
def donors_layout(**_kwargs: object) -> html.Div:
    with db_session() as s:
        rows = [{"name": d.name, "name_fr": d.name_fr or "", "country": d.country_iso3 or "",
                 "kind": donor_kind_label(d.kind)} for d in records.list_donors(s)]
        options = _options(s) if _writer() else {}
    parts: list[Any] = [
        dcc.Location(id=GO, refresh=True), html.H1(_("Donors"), className="h3"), _nav("/funding/donors"),
        dag.AgGrid(id="funding-donors", rowData=rows, className="ag-theme-alpine", style={"height": "360px"},
                   defaultColDef={"resizable": True, "sortable": True, "filter": True, "flex": 1},
                   columnDefs=[{"field": "name", "headerName": _("Name")},
                               {"field": "name_fr", "headerName": _("Name in French")},
                               {"field": "country", "headerName": _("Country")},
                               {"field": "kind", "headerName": _("Kind of donor")}])]
    if _writer():
        parts += [html.H2(_("New donor"), className="h5 mt-4"),
                  record_form("donor-new", records.DONORS.book, ["name", "name_fr", "country_iso3", "kind"],
                              {"kind": "member_state"}, options, _("Add the donor"))]
    return html.Div(parts, className="container-fluid py-3")


_save_callback("donor-new", records.DONORS)


def _rates_import() -> ImportSpec:
    def preview(s: Any, principal: Any, table: Any, mapping: Any) -> Any:
        return imports.preview_rates(s, principal, table, mapping=mapping, locale=current_locale()).preview

    def commit(s: Any, principal: Any, table: Any, mapping: Any, origin: Any) -> Any:
        return imports.import_rates(s, principal, table, mapping=mapping, locale=current_locale(), origin=origin)

    return ImportSpec("rates", imports.RATE_COLUMNS, records.RATES.book, Permission.MANAGE_FUNDING, preview, commit,
                      sheet_title="Rates")


def _expenditure_import() -> ImportSpec:
    def preview(s: Any, principal: Any, table: Any, mapping: Any) -> Any:
        return imports.preview_expenditures(s, principal, table, mapping=mapping, locale=current_locale()).preview

    def commit(s: Any, principal: Any, table: Any, mapping: Any, origin: Any) -> Any:
        return imports.import_expenditures(s, principal, table, mapping=mapping, locale=current_locale(),
                                           origin=origin)

    return ImportSpec("expenditures", imports.EXPENDITURE_COLUMNS, records.EXPENDITURES.book,
                      Permission.MANAGE_FUNDING, preview, commit, sheet_title="Expenditures")


RATES_IMPORT = _rates_import()
EXPENDITURES_IMPORT = _expenditure_import()
register_import(RATES_IMPORT)
register_import(EXPENDITURES_IMPORT)


@page_layout(Permission.VIEW_FUNDING)
def rates_layout(**_kwargs: object) -> html.Div:
    with db_session() as s:
        rows = [{"currency": r.currency, "month": r.month.strftime("%Y-%m"), "usd": float(r.usd_per_unit)}
                for r in records.list_rates(s)]
    parts: list[Any] = [
        dcc.Location(id=GO, refresh=True), html.H1(_("Rates of exchange"), className="h3"), _nav("/funding/rates"),
        html.P(_("UN operational rates of exchange: USD for one unit of each currency, per month. Every USD figure "
                 "uses the rate of its month; a month without a rate is named, never converted at another."),
               className="text-muted"),
        dag.AgGrid(id="funding-rates", rowData=rows, className="ag-theme-alpine", style={"height": "360px"},
                   defaultColDef={"resizable": True, "sortable": True, "filter": True, "flex": 1},
                   columnDefs=[{"field": "currency", "headerName": _("Currency")},
                               {"field": "month", "headerName": _("Month")},
                               {"field": "usd", "headerName": _("USD per unit"), "type": "rightAligned",
                                "valueFormatter": GRID_LOCAL_RATE}])]
    if _writer():
        parts += [html.H2(_("New rate"), className="h5 mt-4"),
                  record_form("rate-new", records.RATES.book, ["currency", "month", "usd_per_unit"], None, {},
                              _("Add the rate")),
                  html.H2(_("Import rates (CSV or XLSX)"), className="h5 mt-4"), import_panel(RATES_IMPORT)]
    return html.Div(parts, className="container-fluid py-3")


_save_callback("rate-new", records.RATES)


@page_layout(Permission.MANAGE_FUNDING)
def import_layout(**_kwargs: object) -> html.Div:
    return html.Div([
        html.H1(_("Import spending from the ERP"), className="h3"), _nav("/funding/import"),
        html.P(_("The ERP's extract: document number, date, grant reference, fund/cost centre, amount, currency, "
                 "description, and “yes” under Reversal for a reversal. The whole file or nothing is imported; a "
                 "second import of the same file changes nothing."), className="text-muted"),
        import_panel(EXPENDITURES_IMPORT)], className="container-fluid py-3")


def _title(name: str) -> Any:
    def title(**_kwargs: object) -> str:
        return _(name) + " · " + _("Standing Capacities Hub")
    return title


dash.register_page(__name__, layout=layout, path="/funding", name="Funding", title=_title("Funding"),
                   nav_label=_l("Funding"), order=40, permission=Permission.VIEW_FUNDING)
dash.register_page(f"{__name__}.grant", layout=grant_layout, path_template="/funding/grants/<grant_id>",
                   name="Grant", title=_title("Grant"))
dash.register_page(f"{__name__}.donors", layout=donors_layout, path="/funding/donors", name="Donors",
                   title=_title("Donors"))
dash.register_page(f"{__name__}.rates", layout=rates_layout, path="/funding/rates", name="Rates",
                   title=_title("Rates of exchange"))
dash.register_page(f"{__name__}.import", layout=import_layout, path="/funding/import", name="Import spending",
                   title=_title("Import spending from the ERP"))

__all__ = ["ImportRefused", "burn_figure", "record_form"]
