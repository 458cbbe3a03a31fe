"""One project: its sites on a map (clicked, drawn, or taken from a published GIS layer), progress against
milestones and indicators, its money, and the forms that keep it (programme staff and administrators)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import dash
import dash_bootstrap_components as dbc
import dash_leaflet as dl
from dash import ALL, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate
from flask_login import current_user

from dashboard.components.basemap import offline_basemap
from dashboard.components.project_parts import (
    LEVEL_LABELS,
    MARKER_LABELS,
    MILESTONE_STATUS_LABELS,
    PROJECT_STATUS_LABELS,
    book_form,
    form_data,
    graph,
    indicator_chart,
    label,
    milestone_timeline,
)
from dashboard.components.record_form import (
    feedback_id,
    feedback_outputs,
    feedback_values,
    field_id,
    form_states,
    form_values,
    problems_alert,
)
from dashboard.context import db_session, request_origin
from dashboard.i18n import _, current_locale
from dashboard.pages.projects import capacity_options, localized_title
from dashboard.security.callbacks import secured_callback
from dashboard.security.pages import page_layout
from services.access import Permission
from services.errors import HubError, NotFound
from services.formatting import day, money, number
from services.layers.map_data import map_layers
from services.projects import records, rules
from services.records import Problem, Problems, StaleEdit

VIEW = Permission.VIEW_OPERATIONS
MANAGE = Permission.MANAGE_PROJECTS
# The parts kept by one form each: the form's name, the service's part, and its rule book.
PARTS = {"milestone": records.MILESTONE, "activity": records.ACTIVITY, "result": records.RESULT,
         "actual": records.ACTUAL}
SITE_FORM = "site"
EDIT_FORM = "project-edit"


class Ids:
    ID = "prj-id"
    REFRESH = "prj-refresh"
    DATA = "prj-data"
    HEADER = "prj-header"
    MESSAGE = "prj-message"
    MAP = "prj-map"
    SITES = "prj-sites"
    PENDING = "prj-pending"
    CLICK = "prj-click"
    DRAW = "prj-draw"
    SITE_SOURCE = "prj-site-source"
    SITE_LAYER = "prj-site-layer"
    SITE_FEATURE = "prj-site-feature"
    SITE_ADD = "prj-site-add"
    SITE_LIST = "prj-site-list"
    SITE_MESSAGE = "prj-site-message"
    TIMELINE = "prj-timeline"
    MILESTONES = "prj-milestones"
    INDICATORS = "prj-indicators"
    FRAMEWORK = "prj-framework"
    ACTIVITIES = "prj-activities"
    MONEY = "prj-money"
    EDIT_SAVE = "prj-edit-save"
    CLOSE = "prj-close"
    EDIT_MESSAGE = "prj-edit-message"
    ACTUAL_RESULT = "prj-actual-result"

    @staticmethod
    def pick(form: str) -> dict[str, str]:
        """The select of a part's form: a new one, or which one to change."""
        return {"type": "prj-pick", "form": form}

    @staticmethod
    def save(form: str) -> dict[str, str]:
        return {"type": "prj-save", "form": form}

    @staticmethod
    def delete(form: str) -> dict[str, str]:
        return {"type": "prj-delete", "form": form}

    @staticmethod
    def note(form: str) -> dict[str, str]:
        return {"type": "prj-note", "form": form}

    @staticmethod
    def remove_site(site_id: int) -> dict[str, Any]:
        return {"type": "prj-site-remove", "site": site_id}


def _section(title: str, *children: Any, ident: str | None = None) -> html.Section:
    return html.Section([html.H2(title, className="h5 mt-4"), *children], id=ident or "")


# What a new part's form starts with (the "fill" callback puts the same back when "New" is chosen again).
NEW_VALUES = {"milestone": {"status": "planned"}, "result": {"level": "output", "unit": "count"}}


def _part_form(form: str, book: Any, extra: list[Any] | None = None, *, names: list[str] | None = None,
               options: dict[str, list[dict[str, Any]]] | None = None) -> dbc.Card:
    """A part's form: which one (new or an existing one), its fields, save and delete."""
    pick = dbc.Select(id=Ids.pick(form), value="new", options=[{"label": _("New"), "value": "new"}],
                      className="mb-2")
    return dbc.Card(dbc.CardBody([
        *(extra or []),
        pick,
        book_form(form, book, NEW_VALUES.get(form), names=names, options=options, width=4),
        html.Div(id=Ids.note(form)),
        dbc.Button(_("Save"), id=Ids.save(form), color="primary", size="sm", className="me-2"),
        dbc.Button(_("Delete"), id=Ids.delete(form), color="outline-danger", size="sm"),
    ]), className="mb-3")


def _map() -> dl.Map:
    return dl.Map([
        offline_basemap("prj-base"),
        dl.GeoJSON(id=Ids.SITES, style={"color": "#1b6e3c", "weight": 2, "fillOpacity": 0.25}),
        dl.LayerGroup(id=Ids.PENDING),
        dl.FeatureGroup(dl.EditControl(
            id=Ids.DRAW, position="topleft",
            draw={"polyline": False, "circle": False, "circlemarker": False, "marker": False, "polygon": True,
                  "rectangle": True},
            edit={"edit": False})),
        dl.ScaleControl(position="bottomleft", imperial=False),
    ], id=Ids.MAP, center=[5, 20], zoom=3, minZoom=2, maxZoom=16, worldCopyJump=True,
        style={"height": "420px", "background": "#b8d3ea"})


def _site_form(layer_options: list[dict[str, str]]) -> dbc.Card:
    sources = [{"label": _("the point clicked on the map"), "value": "click"},
               {"label": _("the shape drawn on the map"), "value": "draw"},
               {"label": _("a feature of a GIS layer"), "value": "layer"}]
    return dbc.Card(dbc.CardBody([
        html.P(_("Click the map to place a site, or draw an area with the tools at its top left."),
               className="small text-muted mb-2"),
        dbc.Row([
            dbc.Col([dbc.Label(_("Site name") + " *", className="mb-1 small fw-semibold"),
                     dbc.Input(id=field_id(SITE_FORM, "name"), type="text"),
                     html.Div(id=feedback_id(SITE_FORM, "name"), className="invalid-feedback d-block")], md=6),
            dbc.Col([dbc.Label(_("Where"), className="mb-1 small fw-semibold"),
                     dbc.RadioItems(id=Ids.SITE_SOURCE, options=sources, value="click", className="small"),
                     html.Div(id=feedback_id(SITE_FORM, "geometry"), className="invalid-feedback d-block")], md=6),
        ], className="g-2"),
        dbc.Row([
            dbc.Col(dcc.Dropdown(id=Ids.SITE_LAYER, options=layer_options, placeholder=_("GIS layer")), md=6),
            dbc.Col([dcc.Dropdown(id=Ids.SITE_FEATURE, placeholder=_("Feature")),
                     html.Div(id=feedback_id(SITE_FORM, "feature_id"), className="invalid-feedback d-block")],
                    md=6),
        ], className="g-2 mb-2"),
        html.Div(id=Ids.SITE_MESSAGE),
        dbc.Button(_("Add site"), id=Ids.SITE_ADD, color="primary", size="sm"),
    ]), className="mt-2")


@page_layout(VIEW)
def layout(project_id: str | None = None, **_kwargs: object) -> html.Div:
    try:
        pid = int(project_id or "")
        with db_session() as s:
            detail = records.get_project(s, current_user.principal, pid)
            layer_options = [{"label": m["title"], "value": m["slug"]} for m in map_layers(s, current_user.principal)]
    except (ValueError, NotFound):
        return html.Div([dcc.Link(_("← All projects"), href="/projects"),
                         dbc.Alert(_("No such project."), color="warning", className="mt-2", id="prj-not-found")])
    manage = current_user.can(MANAGE)
    edit: list[Any] = []
    if manage:
        values = {k: detail.get(k) for k in rules.PROJECT.names}
        edit = [_section(_("Edit the project"), dbc.Card(dbc.CardBody([
            book_form(EDIT_FORM, rules.PROJECT, values, options={"capacity": capacity_options()}, width=4),
            html.Div([dbc.Label(_("Missions"), className="mb-1 small fw-semibold"),
                      dcc.Dropdown(id=field_id(EDIT_FORM, "missions", dbc_control=False), multi=True,
                                   value=detail["missions"], options=_mission_options()),
                      html.Div(id=feedback_id(EDIT_FORM, "missions"), className="invalid-feedback d-block")],
                     className="mb-2"),
            html.Div(id=Ids.EDIT_MESSAGE),
            dbc.Button(_("Save changes"), id=Ids.EDIT_SAVE, color="primary", className="me-2"),
            dbc.Button(_("Close the project"), id=Ids.CLOSE, color="outline-danger"),
        ])), ident="prj-edit")]
    result_pick = dbc.Select(id=Ids.ACTUAL_RESULT, placeholder=_("Indicator"), className="mb-2")
    return html.Div([
        dcc.Store(id=Ids.ID, data=pid),
        dcc.Store(id=Ids.REFRESH, data=0),
        dcc.Store(id=Ids.DATA),
        dcc.Store(id=Ids.CLICK),
        dcc.Link(_("← All projects"), href="/projects"),
        html.Div(id=Ids.HEADER, className="mt-2"),
        html.Div(id=Ids.MESSAGE),
        dbc.Row([
            dbc.Col([_section(_("Sites"), _map(), html.Div(id=Ids.SITE_LIST, className="mt-2"),
                              *([_site_form(layer_options)] if manage else []))], lg=7),
            dbc.Col([_section(_("Money"), html.Div(id=Ids.MONEY)),
                     _section(_("Milestones"), html.Div(id=Ids.TIMELINE), html.Div(id=Ids.MILESTONES),
                              *([_part_form("milestone", rules.MILESTONE)] if manage else []))], lg=5),
        ]),
        _section(_("Indicators"), html.Div(id=Ids.INDICATORS),
                 *([html.H3(_("Record a value"), className="h6"),
                    _part_form("actual", rules.ACTUAL, [result_pick])] if manage else [])),
        _section(_("Results framework"), html.Div(id=Ids.FRAMEWORK),
                 *([_part_form("result", rules.RESULT, options={"parent_id": _outcomes(detail)})]
                   if manage else [])),
        _section(_("Activities"), html.Div(id=Ids.ACTIVITIES),
                 *([_part_form("activity", rules.ACTIVITY)] if manage else [])),
        *edit,
    ], className="mb-5")


def _outcomes(detail: dict[str, Any]) -> list[dict[str, str]]:
    """The outcomes an output can sit under (none for an outcome)."""
    return [{"label": "–", "value": ""}] + [{"label": r["statement"][:70], "value": str(r["id"])}
                                            for r in detail["results"] if r["level"] == "outcome"]


# Only on the page of those who keep projects: callbacks of their own, so the viewer's page misses no output.
@secured_callback(Output(field_id("result", "parent_id"), "options"), Output(Ids.ACTUAL_RESULT, "options"),
                  Input(Ids.DATA, "data"), roles=MANAGE, prevent_initial_call=True)
def result_choices(data: dict[str, Any] | None) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    results = (data or {}).get("results", [])
    return _outcomes({"results": results}), [
        {"label": f"{label(LEVEL_LABELS, r['level'])}: {r['indicator'][:70]}", "value": str(r["id"])}
        for r in results]


def _mission_options() -> list[dict[str, str]]:
    from sqlalchemy import select

    from models import Mission

    with db_session() as s:
        return [{"label": a, "value": a} for a in s.scalars(select(Mission.acronym).order_by(Mission.acronym))]


# --- showing the project -----------------------------------------------------------------------------------------
def _jsonable(detail: dict[str, Any]) -> Any:
    return json.loads(json.dumps(detail, default=str))


def _header(d: dict[str, Any], locale: str) -> html.Div:
    return html.Div([
        html.H1([d["code"], " · ", localized_title(d, locale)], className="h4", id="prj-title"),
        html.Div([dbc.Badge(label(PROJECT_STATUS_LABELS, d["status"]), color="info", className="me-2",
                            id="prj-status"),
                  dbc.Badge(d["capacity"], color="secondary", className="me-2"),
                  html.Span(_("Gender marker %(marker)s", marker=label(MARKER_LABELS, d["gender_marker"])),
                            className="small me-2")]),
        html.P([f"{day(d['start_date'], locale)} – {day(d['end_date'], locale)} · ",
                _("Budget %(amount)s", amount=money(d["budget"], locale, d["currency"])), " · ",
                _("Missions: %(missions)s", missions=", ".join(d["missions"]) or "–")], className="small mb-1"),
        html.P(d.get("description_fr") if locale == "fr" and d.get("description_fr") else d.get("description"),
               className="small text-muted"),
    ])


def _money(d: dict[str, Any], locale: str) -> Any:
    if "money" not in d:
        return html.P(_("Your role does not see funding."), className="small text-muted")
    rows = [html.Tr([html.Td(m["currency"]), html.Td(money(m["allocated"], locale, m["currency"])),
                     html.Td(money(m["spent"], locale, m["currency"])),
                     html.Td(money(m["allocated"] - m["spent"], locale, m["currency"]))]) for m in d["money"]]
    table = dbc.Table([html.Thead(html.Tr([html.Th(_("Currency")), html.Th(_("Allocated")), html.Th(_("Spent")),
                                           html.Th(_("Available"))])), html.Tbody(rows)], size="sm",
                      id="prj-money-table") if rows else html.P(_("No allocation to this project yet."),
                                                                 className="small text-muted")
    grants = html.Ul([html.Li(f"{a['grant']} · {a['purpose']} · {money(a['amount'], locale, a['currency'])} · "
                              f"{day(a['allocated_on'], locale)}") for a in d["allocations"]], className="small")
    return html.Div([table, grants])


def _milestones(d: dict[str, Any], locale: str) -> Any:
    return html.Ul([html.Li(f"{m['title']} · {label(MILESTONE_STATUS_LABELS, m['status'])} · "
                            f"{_('planned')} {day(m['due_on'], locale)}"
                            + (f" · {_('achieved')} {day(m['achieved_on'], locale)}" if m["achieved_on"] else ""))
                    for m in d["milestones"]] or [html.Li(_("No milestone yet."))], className="small",
                   id="prj-milestone-list")


def _framework(d: dict[str, Any], locale: str) -> Any:
    rows = []
    for r in d["results"]:
        latest = r["actuals"][-1]["value"] if r["actuals"] else None
        indent = {"paddingLeft": "1.5rem"} if r["level"] == "output" else {}
        rows.append(html.Tr([
            html.Td(label(LEVEL_LABELS, r["level"])), html.Td(r["statement"], style=indent), html.Td(r["indicator"]),
            html.Td(number(r["baseline"], locale)), html.Td(number(r["target"], locale)),
            html.Td(number(latest, locale)),
            html.Td(", ".join(t for t, on in ((_("gender-specific"), r["gender_specific"]),
                                              (_("by sex"), r["about_people"])) if on))]))
    head = [_("Level"), _("Result"), _("Indicator"), _("Baseline"), _("Target"), _("Latest"), ""]
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(rows)], size="sm",
                     responsive=True, id="prj-framework-table") if rows else html.P(_("No result yet."),
                                                                                     className="small text-muted")


def _activities(d: dict[str, Any], locale: str) -> Any:
    return html.Ul([html.Li(f"{a['title']} · {day(a['start_date'], locale)} – {day(a['end_date'], locale)}")
                    for a in d["activities"]] or [html.Li(_("No activity yet."))], className="small")


def _site_list(d: dict[str, Any], manage: bool) -> Any:
    items = []
    for f in d["sites"]["features"]:
        p = f["properties"]
        remove = [dbc.Button("×", id=Ids.remove_site(p["id"]), size="sm", color="link", className="p-0 ms-2",
                             title=_("Remove this site"))] if manage else []
        items.append(html.Li([f"{p['name']} ({p['lat']:.4f}, {p['lon']:.4f})", *remove]))
    return html.Ul(items or [html.Li(_("No site yet."))], className="small", id="prj-site-items")


def _pick_forms() -> list[str]:
    """The forms whose "which one" select is on the page, in the order of the callback's outputs."""
    for group in ctx.outputs_list:
        if isinstance(group, list) and group and group[0]["id"].get("type") == "prj-pick":
            return [item["id"]["form"] for item in group]
    return []


def _options(rows: list[dict[str, Any]], text: Any) -> list[dict[str, Any]]:
    return [{"label": _("New"), "value": "new"}] + [{"label": text(r), "value": str(r["id"])} for r in rows]


@secured_callback(
    output={"data": Output(Ids.DATA, "data"), "header": Output(Ids.HEADER, "children"),
            "sites": Output(Ids.SITES, "data"), "site_list": Output(Ids.SITE_LIST, "children"),
            "money": Output(Ids.MONEY, "children"), "timeline": Output(Ids.TIMELINE, "children"),
            "milestones": Output(Ids.MILESTONES, "children"), "indicators": Output(Ids.INDICATORS, "children"),
            "framework": Output(Ids.FRAMEWORK, "children"), "activities": Output(Ids.ACTIVITIES, "children"),
            "picks": Output(Ids.pick(ALL), "options"), "view": Output(Ids.MAP, "viewport")},
    inputs={"pid": Input(Ids.ID, "data"), "refresh": Input(Ids.REFRESH, "data")},
    roles=VIEW,
)
def show(pid: int, refresh: int) -> dict[str, Any]:
    locale = current_locale()
    with db_session() as s:
        d = records.get_project(s, current_user.principal, pid)
    manage = current_user.can(MANAGE)
    indicators = dbc.Row([dbc.Col(graph(indicator_chart(r)), md=6) for r in d["results"]]) if d["results"] else \
        html.P(_("No indicator yet."), className="small text-muted")
    picks = {"milestone": _options(d["milestones"], lambda r: r["title"]),
             "activity": _options(d["activities"], lambda r: r["title"]),
             "result": _options(d["results"], lambda r: r["statement"][:60]),
             "actual": [{"label": _("New"), "value": "new"}]}
    forms = _pick_forms() if manage else []
    features = d["sites"]["features"]
    view = dash.no_update
    if features and not refresh:
        lons = [f["properties"]["lon"] for f in features]
        lats = [f["properties"]["lat"] for f in features]
        view = {"bounds": [[min(lats) - 0.2, min(lons) - 0.2], [max(lats) + 0.2, max(lons) + 0.2]],
                "transition": "fitBounds", "options": {"animate": False}}
    return {"data": _jsonable(d), "header": _header(d, locale), "sites": d["sites"],
            "site_list": _site_list(d, manage), "money": _money(d, locale),
            "timeline": graph(milestone_timeline(d["milestones"], date.today())) if d["milestones"] else None,
            "milestones": _milestones(d, locale), "indicators": indicators, "framework": _framework(d, locale),
            "activities": _activities(d, locale), "picks": [picks[f] for f in forms], "view": view}


# --- the parts' forms: pick one to change, save, delete ------------------------------------------------------------
def _rows_of(data: dict[str, Any], form: str, result_id: str | None) -> list[dict[str, Any]]:
    if form == "actual":
        result = next((r for r in data.get("results", []) if str(r["id"]) == str(result_id)), None)
        return result["actuals"] if result else []
    return data.get({"milestone": "milestones", "activity": "activities", "result": "results"}[form], [])


@secured_callback(
    Output(Ids.pick("actual"), "options", allow_duplicate=True),
    Input(Ids.ACTUAL_RESULT, "value"), State(Ids.DATA, "data"),
    roles=MANAGE, prevent_initial_call=True,
)
def actual_choices(result_id: str | None, data: dict[str, Any] | None) -> list[dict[str, Any]]:
    rows = _rows_of(data or {}, "actual", result_id)
    return [{"label": _("New"), "value": "new"}] + [
        {"label": f"{r['period_start']} – {r['period_end']}: {r['value']}", "value": str(r["id"])} for r in rows]


def _fill_callback(form: str) -> None:
    @secured_callback(
        Output(field_id(form, ALL), "value", allow_duplicate=True),
        Input(Ids.pick(form), "value"), State(Ids.DATA, "data"), State(Ids.ACTUAL_RESULT, "value"),
        roles=MANAGE, prevent_initial_call=True,
    )
    def fill(row_id: str | None, data: dict[str, Any] | None, result_id: str | None) -> list[Any]:
        """The chosen part's values into the form (empty for a new one), in the order of the form's fields."""
        row = next((r for r in _rows_of(data or {}, form, result_id) if str(r["id"]) == row_id), None)
        row = row if row is not None else NEW_VALUES.get(form, {})
        names = [item["id"]["field"] for item in ctx.outputs_list]
        out = []
        for name in names:
            value = row.get(name)
            if name in ("gender_specific", "about_people"):
                value = "true" if value else "false"
            elif name == "parent_id" and value is not None:
                value = str(value)
            out.append(value)
        return out

    fill.__qualname__ = f"fill_{form}"


def _save_callback(form: str) -> None:
    part = PARTS[form]

    @secured_callback(
        output={**feedback_outputs(form), "note": Output(Ids.note(form), "children"),
                "refresh": Output(Ids.REFRESH, "data", allow_duplicate=True),
                "pick": Output(Ids.pick(form), "value", allow_duplicate=True)},
        inputs={"save": Input(Ids.save(form), "n_clicks"), "delete": Input(Ids.delete(form), "n_clicks")},
        state={**form_states(form), "pid": State(Ids.ID, "data"), "row_id": State(Ids.pick(form), "value"),
               "data": State(Ids.DATA, "data"), "result_id": State(Ids.ACTUAL_RESULT, "value"),
               "refresh": State(Ids.REFRESH, "data")},
        roles=MANAGE, prevent_initial_call=True,
    )
    def save(save: int | None, delete: int | None, inputs: Any, controls: Any, pid: int, row_id: str | None,
             data: dict[str, Any] | None, result_id: str | None, refresh: int | None) -> dict[str, Any]:
        values = form_data(form_values(form), part.book)
        row = next((r for r in _rows_of(data or {}, form, result_id) if str(r["id"]) == row_id), None)
        deleting = ctx.triggered_id == Ids.delete(form)
        try:
            with db_session() as s:
                principal, origin = current_user.principal, request_origin()
                if deleting and row is not None:
                    records.delete_part(s, principal, part, row["id"], version=row["version"], origin=origin)
                elif deleting:
                    raise PreventUpdateError
                elif row is not None:
                    records.update_part(s, principal, part, row["id"], values, version=row["version"],
                                        origin=origin)
                else:
                    if form == "actual" and not result_id:
                        raise Problems([Problem("result", "required")])
                    parent = int(result_id) if form == "actual" else pid  # type: ignore[arg-type]
                    records.add_part(s, principal, part, parent, values, origin=origin)
        except PreventUpdateError:
            raise PreventUpdate from None
        except Problems as error:
            shown, leftover = feedback_values(error.problems, form, part.book)
            return {**shown, "note": problems_alert(_("Not saved:"), leftover, element_id=f"prj-{form}-error"),
                    "refresh": dash.no_update, "pick": dash.no_update}
        except StaleEdit as error:
            return {**feedback_values([], form)[0], "refresh": (refresh or 0) + 1, "pick": dash.no_update,
                    "note": dbc.Alert(_("Someone else (%(by)s) changed this since you opened it (%(fields)s): it is "
                                        "reloaded; make your change again.", by=error.by or "?",
                                        fields=", ".join(error.fields) or "?"), color="warning")}
        except HubError as error:
            return {**feedback_values([], form)[0], "note": dbc.Alert(str(error), color="danger"),
                    "refresh": dash.no_update, "pick": dash.no_update}
        done = _("Deleted.") if deleting else _("Saved.")
        return {**feedback_values([], form)[0], "note": dbc.Alert(done, color="success", id=f"prj-{form}-done",
                                                                  duration=4000),
                "refresh": (refresh or 0) + 1, "pick": "new"}

    save.__qualname__ = f"save_{form}"


class PreventUpdateError(Exception):
    """Delete pressed with nothing chosen: nothing to do."""


for _form in PARTS:
    _fill_callback(_form)
    _save_callback(_form)


# --- the project's own form --------------------------------------------------------------------------------------
@secured_callback(
    output={**feedback_outputs(EDIT_FORM), "message": Output(Ids.EDIT_MESSAGE, "children"),
            "refresh": Output(Ids.REFRESH, "data", allow_duplicate=True)},
    inputs={"save": Input(Ids.EDIT_SAVE, "n_clicks"), "close": Input(Ids.CLOSE, "n_clicks")},
    state={**form_states(EDIT_FORM), "pid": State(Ids.ID, "data"), "data": State(Ids.DATA, "data"),
           "refresh": State(Ids.REFRESH, "data")},
    roles=MANAGE, prevent_initial_call=True,
)
def save_project(save: int | None, close: int | None, inputs: Any, controls: Any, pid: int,
                 data: dict[str, Any] | None, refresh: int | None) -> dict[str, Any]:
    version = (data or {}).get("version")
    try:
        with db_session() as s:
            if ctx.triggered_id == Ids.CLOSE:
                records.close_project(s, current_user.principal, pid, version=version, origin=request_origin())
            else:
                values = form_data(form_values(EDIT_FORM), rules.PROJECT)
                values["missions"] = values.get("missions") or []
                records.update_project(s, current_user.principal, pid, values, version=version,
                                       origin=request_origin())
    except Problems as error:
        shown, leftover = feedback_values(error.problems, EDIT_FORM, rules.PROJECT,
                                          aliases={p.field: "missions" for p in error.problems
                                                   if p.field.startswith("missions.")})
        return {**shown, "message": problems_alert(_("Not saved:"), leftover, element_id="prj-edit-error"),
                "refresh": dash.no_update}
    except StaleEdit as error:
        return {**feedback_values([], EDIT_FORM)[0], "refresh": (refresh or 0) + 1,
                "message": dbc.Alert(_("Someone else (%(by)s) changed this project since you opened it "
                                       "(%(fields)s): reload the page and make your change again.",
                                       by=error.by or "?", fields=", ".join(error.fields) or "?"),
                                     color="warning", id="prj-edit-stale")}
    except HubError as error:
        return {**feedback_values([], EDIT_FORM)[0], "message": dbc.Alert(str(error), color="danger"),
                "refresh": dash.no_update}
    return {**feedback_values([], EDIT_FORM)[0], "refresh": (refresh or 0) + 1,
            "message": dbc.Alert(_("Saved."), color="success", id="prj-edit-done", duration=4000)}


# --- sites: a click, a drawing or a layer's feature ---------------------------------------------------------------
@secured_callback(
    Output(Ids.CLICK, "data"), Output(Ids.PENDING, "children"), Output(Ids.SITE_SOURCE, "value"),
    Input(Ids.MAP, "clickData"), Input(Ids.DRAW, "geojson"),
    roles=MANAGE, prevent_initial_call=True,
)
def pending(click: dict[str, Any] | None, drawn: dict[str, Any] | None) -> tuple[Any, Any, str]:
    """The point clicked shows as a marker until it is saved; drawing a shape chooses it as the site's place."""
    if ctx.triggered_id == Ids.DRAW:
        if not (drawn or {}).get("features"):
            raise PreventUpdate  # the tool starts empty, and a deletion leaves nothing to place
        return dash.no_update, dash.no_update, "draw"
    latlng = (click or {}).get("latlng")
    if not latlng:
        raise PreventUpdate
    point = {"lat": round(float(latlng["lat"]), 6), "lng": round(float(latlng["lng"]), 6)}
    return point, [dl.CircleMarker(center=[point["lat"], point["lng"]], radius=8, color="#c0392b",
                                   id="prj-pending-marker")], "click"


@secured_callback(
    Output(Ids.SITE_FEATURE, "options"), Input(Ids.SITE_LAYER, "value"),
    roles=MANAGE, prevent_initial_call=True,
)
def layer_features(slug: str | None) -> list[dict[str, Any]]:
    """The layer's features by a name from their attributes (the first text attribute), at most 500."""
    if not slug:
        return []
    from services.layers.map_data import layer_attributes

    try:
        with db_session() as s:
            rows = layer_attributes(s, current_user.principal, slug, limit=500)
    except HubError:
        return []
    return [{"label": _feature_label(r), "value": r["_fid"]} for r in rows["rows"]]


def _feature_label(row: dict[str, Any]) -> str:
    for key in ("name", "NAME", "nom", "title"):
        if row.get(key):
            return f"{row[key]} (#{row['_fid']})"
    text = next((str(v) for k, v in row.items() if k != "_fid" and isinstance(v, str) and v), "")
    return f"{text} (#{row['_fid']})" if text else f"#{row['_fid']}"


@secured_callback(
    output={**feedback_outputs(SITE_FORM), "message": Output(Ids.SITE_MESSAGE, "children"),
            "refresh": Output(Ids.REFRESH, "data", allow_duplicate=True),
            "pending": Output(Ids.PENDING, "children", allow_duplicate=True)},
    inputs={"add": Input(Ids.SITE_ADD, "n_clicks")},
    state={**form_states(SITE_FORM), "pid": State(Ids.ID, "data"), "source": State(Ids.SITE_SOURCE, "value"),
           "click": State(Ids.CLICK, "data"), "drawn": State(Ids.DRAW, "geojson"),
           "layer": State(Ids.SITE_LAYER, "value"), "feature": State(Ids.SITE_FEATURE, "value"),
           "refresh": State(Ids.REFRESH, "data")},
    roles=MANAGE, prevent_initial_call=True,
)
def add_site(add: int | None, inputs: Any, controls: Any, pid: int, source: str, click: dict[str, Any] | None,
             drawn: dict[str, Any] | None, layer: str | None, feature: Any, refresh: int | None) -> dict[str, Any]:
    data: dict[str, Any] = {"name": form_values(SITE_FORM).get("name")}
    if source == "click" and click:
        data["geometry"] = {"type": "Point", "coordinates": [click["lng"], click["lat"]]}
    elif source == "draw":
        shapes = [f["geometry"] for f in (drawn or {}).get("features", []) if f.get("geometry")]
        data["geometry"] = shapes[-1] if shapes else None
    elif source == "layer":
        data.update(layer=layer, feature_id=feature)
        if not layer:
            data["geometry"] = None
    try:
        with db_session() as s:
            records.add_site(s, current_user.principal, pid, data, origin=request_origin())
    except Problems as error:
        shown, leftover = feedback_values(error.problems, SITE_FORM)
        return {**shown, "message": problems_alert(_("The site was not added:"), leftover) if leftover else None,
                "refresh": dash.no_update, "pending": dash.no_update}
    except HubError as error:
        return {**feedback_values([], SITE_FORM)[0], "message": dbc.Alert(str(error), color="danger"),
                "refresh": dash.no_update, "pending": dash.no_update}
    return {**feedback_values([], SITE_FORM)[0], "refresh": (refresh or 0) + 1, "pending": [],
            "message": dbc.Alert(_("Site added."), color="success", id="prj-site-done", duration=4000)}


@secured_callback(
    Output(Ids.REFRESH, "data", allow_duplicate=True), Output(Ids.SITE_MESSAGE, "children", allow_duplicate=True),
    Input(Ids.remove_site(ALL), "n_clicks"), State(Ids.ID, "data"), State(Ids.REFRESH, "data"),
    roles=MANAGE, prevent_initial_call=True,
)
def remove_site(clicks: list[int | None], pid: int, refresh: int | None) -> tuple[Any, Any]:
    if not any(clicks) or not isinstance(ctx.triggered_id, dict):
        raise PreventUpdate
    try:
        with db_session() as s:
            records.remove_site(s, current_user.principal, pid, int(ctx.triggered_id["site"]),
                                origin=request_origin())
    except HubError as error:
        return dash.no_update, dbc.Alert(str(error), color="danger")
    return (refresh or 0) + 1, None


def title(project_id: str | None = None, **_kwargs: object) -> str:
    return _("Project") + (f" {project_id}" if project_id else "")


dash.register_page(__name__, layout=layout, path_template="/projects/<project_id>", name="Project", title=title,
                   permission=VIEW)
