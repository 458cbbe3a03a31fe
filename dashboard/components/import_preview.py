"""The one spreadsheet-import panel every record uses: the template, the upload, the column mapping, a preview
that marks each bad cell with its reason, and an import that writes all rows or none.

A record declares an ``ImportSpec`` (its template columns, rule book, the permission that may import, and two
service functions: ``preview`` checks the file against the rule book and the database, ``commit`` writes it
in the request's one transaction) and calls ``register_import(spec)`` at import time; the page places
``import_panel(spec)``. The template is served at ``/imports/<name>/template.<xlsx|csv>`` (``init_import_routes``).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, dcc, html, no_update
from flask import Flask, abort
from flask_login import current_user
from sqlalchemy.orm import Session

from dashboard.context import db_session, request_origin
from dashboard.file_responses import attachment
from dashboard.i18n import _, current_locale
from dashboard.security.callbacks import secured_callback
from services.access import Permission, Principal
from services.audit import RequestOrigin
from services.records import Problem, RuleBook
from services.records.imports import (
    Column,
    ImportRefused,
    ImportResult,
    Preview,
    Table,
    read_table,
    template_csv,
    template_xlsx,
)

PREVIEW_ROWS = 2000  # the grid shows the bad rows first, then good ones, up to this many (the check is on all)


@dataclass(frozen=True)
class ImportSpec:
    name: str  # "roster": ids, the template's file name and URL
    columns: Sequence[Column]
    book: RuleBook
    permission: Permission
    # (session, principal, table, mapping) → the preview with every problem, the database's included
    preview: Callable[[Session, Principal, Table, Mapping[str, str]], Preview]
    # (session, principal, table, mapping, origin) → what was written; raises ImportRefused and writes nothing
    commit: Callable[[Session, Principal, Table, Mapping[str, str], RequestOrigin], ImportResult]
    sheet_title: str = "Data"


SPECS: dict[str, ImportSpec] = {}


def ids(name: str) -> dict[str, str]:
    return {k: f"import-{name}-{k}" for k in ("upload", "mapping", "grid", "summary", "commit", "result")}


def _decode(contents: str | None) -> bytes | None:
    if not contents or "," not in contents:
        return None
    return base64.b64decode(contents.split(",", 1)[1])


def problem_words(problem: Problem) -> str:
    from dashboard.components.record_form import problem_text

    return problem_text(problem)


def preview_grid_data(preview: Preview, columns: Sequence[Column], locale: str) -> tuple[list[dict], list[dict]]:
    """The grid's columns (the template's, in the page's language) and rows: bad rows first, each bad cell
    red with its reason as tooltip (``_bad_<field>``), a first column with the row's number in the file."""
    bad: dict[int, dict[str, list[str]]] = {}
    for p in preview.problems:
        bad.setdefault(p.row, {}).setdefault(p.field.split(".")[0], []).append(problem_words(p))
    defs: list[dict[str, Any]] = [{"field": "_row", "headerName": _("Row"), "width": 80, "pinned": "left"}]
    for c in columns:
        # cellDataType False: AG Grid would infer "date" from good ISO dates and draw a bad one ("31/12/2020")
        # as an empty cell, hiding the very value the user must correct.
        defs.append({"field": c.field, "headerName": c.header(locale), "minWidth": 120, "flex": 1,
                     "cellDataType": False,
                     "tooltipField": f"_bad_{c.field}",
                     "cellClassRules": {"hub-cell-bad": f"params.data && params.data._bad_{c.field}"}})
    rows = []
    for raw in sorted(preview.raw, key=lambda r: (r["_row"] not in bad, r["_row"]))[:PREVIEW_ROWS]:
        marks = {f"_bad_{field}": " ".join(msgs) for field, msgs in bad.get(raw["_row"], {}).items()}
        rows.append({**{k: (None if v is None else str(v)) for k, v in raw.items() if k != "_row"},
                     "_row": raw["_row"], **marks})
    return defs, rows


def refused_summary(problems: Sequence[Problem], limit: int = 20) -> Any:
    """What is wrong, as a list the user can work through (the first ``limit``; the grid marks them all)."""
    items = [html.Li(problem_words(p)) for p in problems[:limit]]
    more = len(problems) - limit
    if more > 0:
        items.append(html.Li(_("… and %(n)d more (marked in the preview).", n=more)))
    return dbc.Alert([html.Div(_("Nothing was imported: %(n)d problem(s). Correct them in the file and upload "
                                 "it again, or map the columns below.", n=len(problems))),
                      html.Ul(items, className="mb-0")], color="danger")


def import_panel(spec: ImportSpec) -> Any:
    i = ids(spec.name)
    base = f"/imports/{spec.name}/template"
    return html.Div([
        html.P([_("Download the template: "), html.A("XLSX", href=f"{base}.xlsx"), " · ",
                html.A("CSV", href=f"{base}.csv"), ". ",
                _("Headers in English or French are both read; formula cells are kept as text.")],
               className="small"),
        dcc.Upload(id=i["upload"], children=html.Div([_("Drop an .xlsx or .csv file here, or "),
                                                       html.A(_("choose one"))]),
                   className="hub-upload", multiple=False),
        html.Div(id=i["mapping"], className="mt-2"),
        html.Div(id=i["summary"], className="mt-2"),
        dag.AgGrid(id=i["grid"], columnDefs=[], rowData=[], className="ag-theme-alpine mt-2",
                   style={"height": "360px"}, dashGridOptions={"tooltipShowDelay": 200, "enableBrowserTooltips": True},
                   defaultColDef={"resizable": True, "sortable": True}),
        dbc.Button(_("Import"), id=i["commit"], color="primary", className="mt-2", disabled=True),
        html.Div(id=i["result"], className="mt-2"),
    ])


def _mapping(values: Sequence[Any], idents: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    return {str(ident["header"]): ("" if v is None else str(v)) for v, ident in zip(values, idents, strict=True)}


def register_import(spec: ImportSpec) -> None:
    """The panel's callbacks for this record (every one under the spec's permission)."""
    SPECS[spec.name] = spec
    i = ids(spec.name)
    map_type = f"import-{spec.name}-map"

    @secured_callback(Output(i["mapping"], "children"), Input(i["upload"], "contents"),
                      State(i["upload"], "filename"), roles=spec.permission, prevent_initial_call=True)
    def show_mapping(contents: str | None, filename: str | None) -> Any:
        data = _decode(contents)
        if data is None:
            return None
        try:
            table = read_table(data, filename or "")
        except ImportRefused:
            return None  # the preview says why
        from services.records.imports import fold

        known = {fold(n): c.field for c in spec.columns for n in (c.field, c.en, c.fr, *c.aliases)}
        locale = current_locale()
        options = [{"label": _("(ignore this column)"), "value": ""}] + [
            {"label": c.header(locale), "value": c.field} for c in spec.columns]
        rows = [dbc.Row([dbc.Col(html.Code(h), md=4),
                         dbc.Col(dcc.Dropdown(id={"type": map_type, "header": h}, options=options,
                                              value=known.get(fold(h), ""), clearable=False), md=6)],
                        className="mb-1 align-items-center")
                for h in table.headers if str(h).strip()]
        return html.Details([html.Summary(_("Columns of the file and what they give")), *rows],
                            open=any(fold(h) not in known for h in table.headers if str(h).strip()))

    @secured_callback(
        output={"defs": Output(i["grid"], "columnDefs"), "rows": Output(i["grid"], "rowData"),
                "summary": Output(i["summary"], "children"), "disabled": Output(i["commit"], "disabled")},
        inputs={"contents": Input(i["upload"], "contents"),
                "mapped": Input({"type": map_type, "header": ALL}, "value")},
        state={"filename": State(i["upload"], "filename"), "idents": State({"type": map_type, "header": ALL}, "id")},
        roles=spec.permission, prevent_initial_call=True)
    def show_preview(contents: str | None, mapped: list[Any], filename: str | None,
                     idents: list[dict[str, Any]]) -> dict[str, Any]:
        data = _decode(contents)
        if data is None:
            return {"defs": no_update, "rows": no_update, "summary": None, "disabled": True}
        try:
            table = read_table(data, filename or "")
            with db_session() as s:
                preview = spec.preview(s, current_user.principal, table, _mapping(mapped, idents))
        except ImportRefused as error:
            return {"defs": [], "rows": [], "summary": refused_summary(error.problems), "disabled": True}
        defs, rows = preview_grid_data(preview, spec.columns, current_locale())
        if preview.problems:
            summary = refused_summary(preview.problems)
        else:
            summary = dbc.Alert(_("%(n)d rows, no problem found: press Import to write them.", n=len(preview.rows)),
                                color="success")
        return {"defs": defs, "rows": rows, "summary": summary, "disabled": bool(preview.problems)}

    @secured_callback(
        output={"result": Output(i["result"], "children"), "disabled": Output(i["commit"], "disabled",
                                                                               allow_duplicate=True)},
        inputs={"clicks": Input(i["commit"], "n_clicks")},
        state={"contents": State(i["upload"], "contents"), "filename": State(i["upload"], "filename"),
               "mapped": State({"type": map_type, "header": ALL}, "value"),
               "idents": State({"type": map_type, "header": ALL}, "id")},
        roles=spec.permission, prevent_initial_call=True)
    def commit(clicks: int | None, contents: str | None, filename: str | None, mapped: list[Any],
               idents: list[dict[str, Any]]) -> dict[str, Any]:
        data = _decode(contents)
        if not clicks or data is None:
            return {"result": no_update, "disabled": no_update}
        try:
            table = read_table(data, filename or "")
            with db_session() as s:
                result = spec.commit(s, current_user.principal, table, _mapping(mapped, idents), request_origin())
        except ImportRefused as error:
            return {"result": refused_summary(error.problems), "disabled": True}
        return {"result": dbc.Alert(_("Imported: %(created)d new, %(updated)d updated, %(unchanged)d unchanged.",
                                      created=result.created, updated=result.updated, unchanged=result.unchanged),
                                    color="success", id=f"import-{spec.name}-done"),
                "disabled": True}


def init_import_routes(server: Flask) -> None:
    """``/imports/<name>/template.<fmt>``: the template of a registered import, headers in the page's
    language, for users whose role may import it (the request guard has checked the login)."""

    def template(name: str, fmt: str) -> Any:
        spec = SPECS.get(name)
        if spec is None or fmt not in ("xlsx", "csv"):
            abort(404)
        if not current_user.is_authenticated or not current_user.principal.can(spec.permission):
            abort(403)
        locale = current_locale()
        body = template_xlsx(spec.columns, locale, sheet_title=spec.sheet_title) if fmt == "xlsx" \
            else template_csv(spec.columns, locale)
        return attachment(body, f"{name}-template", fmt, locale)

    server.add_url_rule("/imports/<name>/template.<fmt>", "import_template", template)


__all__ = ["SPECS", "ImportSpec", "import_panel", "init_import_routes", "preview_grid_data", "refused_summary",
           "register_import"]
