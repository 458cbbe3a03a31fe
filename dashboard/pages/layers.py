"""GIS layers: upload and check a file, preview it on a map and in a table as a draft, publish, style, set who
sees it and its metadata, browse and restore versions, export. For roles with MANAGE_LAYERS.

Callbacks are thin: parse the inputs, one db_session(), one service call (services/layers.py), return.
The uploaded file travels in the callback (dcc.Upload), so no worker keeps it; the service checks its size
again on the server.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, TypedDict

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import dash_leaflet as dl
from dash import Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from dashboard.components.basemap import offline_basemap
from dashboard.context import current_principal, db_session, hub, request_origin
from dashboard.i18n import _, _l, current_locale
from dashboard.roles import role_options
from dashboard.security.callbacks import secured_callback
from dashboard.security.pages import page_layout
from models.enums import LayerStatus, Role
from services import layers as layer_service
from services.access import Permission
from services.errors import HubError, ValidationError
from services.formatting import timestamp

PERMISSION = Permission.MANAGE_LAYERS
# A layer's status as shown (its value, "draft", is an identifier).
STATUS_LABELS = {LayerStatus.DRAFT: _l("draft"), LayerStatus.PUBLISHED: _l("published"),
                 LayerStatus.ARCHIVED: _l("archived")}
# Base64 makes an upload a third larger; this keeps the request under the server's 64 MB cap.
UPLOAD_LIMIT = 40 * 1024 * 1024
PREVIEW_LIMIT = 5000
JS = "dashExtensions.hubLayers."


class Ids:
    UPLOAD = "layers-upload"
    FILE_NOTE = "layers-file-note"
    TITLE = "layers-title"
    GPKG_LAYER = "layers-gpkg-layer"
    REPAIR = "layers-repair"
    TARGET = "layers-target"
    MODE = "layers-mode"
    KEY = "layers-key"
    IMPORT = "layers-import"
    MESSAGE = "layers-message"
    REFRESH = "layers-refresh"
    SELECT = "layers-select"
    STATUS = "layers-status"
    PUBLISH = "layers-publish"
    ARCHIVE = "layers-archive"
    MAP = "layers-map"
    BASEMAP = "layers-basemap"
    PREVIEW = "layers-preview"
    GRID = "layers-grid"
    COLOR = "layers-style-color"
    FILL = "layers-style-fill"
    WEIGHT = "layers-style-weight"
    RADIUS = "layers-style-radius"
    SYMBOL = "layers-style-symbol"
    STYLE_MODE = "layers-style-mode"
    FIELD = "layers-style-field"
    LABEL = "layers-style-label"
    SAVE_STYLE = "layers-save-style"
    ROLES = "layers-roles"
    BRIEFINGS = "layers-briefings"
    SAVE_VIS = "layers-save-visibility"
    META_TITLE = "layers-meta-title"
    ABSTRACT = "layers-meta-abstract"
    SOURCE = "layers-meta-source"
    LICENCE = "layers-meta-licence"
    DATE = "layers-meta-date"
    KEYWORDS = "layers-meta-keywords"
    SAVE_META = "layers-save-meta"
    VERSIONS = "layers-versions"
    RESTORE_VERSION = "layers-restore-version"
    RESTORE = "layers-restore"
    EXPORT_FORMAT = "layers-export-format"
    EXPORT = "layers-export"
    DOWNLOAD = "layers-download"


def _field(label: str, control: Any) -> dbc.Row:
    return dbc.Row([dbc.Label(label, width=4), dbc.Col(control, width=8)], className="mb-2")


def _upload_card() -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.H2(_("Upload a layer"), className="h5"),
        dcc.Upload(id=Ids.UPLOAD, max_size=UPLOAD_LIMIT, multiple=False,
                   children=html.Div([_("Drop a file here or "), html.A(_("choose one"))]),
                   className="border border-2 rounded p-3 text-center mb-2",
                   accept=".zip,.gpkg,.geojson,.json,.kml,.csv"),
        html.Div(_("Zipped Shapefile (.shp, .shx, .dbf, .prj), GeoPackage, GeoJSON, KML, or CSV with lon/lat or "
                   "WKT columns; up to %(mb)d MB.", mb=UPLOAD_LIMIT // 2**20), className="small text-muted"),
        html.Div(id=Ids.FILE_NOTE, className="small my-2"),
        _field(_("Title"), dbc.Input(id=Ids.TITLE, maxLength=200)),
        _field(_("GeoPackage layer"), dcc.Dropdown(id=Ids.GPKG_LAYER, options=[], clearable=True)),
        _field(_("Import into"), dcc.Dropdown(id=Ids.TARGET, options=[], placeholder=_("a new draft layer"))),
        _field(_("Mode"), dbc.RadioItems(id=Ids.MODE, inline=True, value="replace", options=[
            {"label": _("Replace"), "value": "replace"}, {"label": _("Append"), "value": "append"},
            {"label": _("Upsert by key"), "value": "upsert"}])),
        _field(_("Key column"), dbc.Input(id=Ids.KEY, maxLength=120)),
        dbc.Checkbox(id=Ids.REPAIR, value=False, label=_("Repair invalid geometries (otherwise they are refused)")),
        dbc.Button(_("Check and import"), id=Ids.IMPORT, color="primary", className="mt-2"),
        html.Div(id=Ids.MESSAGE, className="mt-2"),
    ]), className="mb-3")


def _style_card() -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.H2(_("Style"), className="h6"),
        _field(_("Line colour"), dbc.Input(id=Ids.COLOR, type="color", value="#1f78b4")),
        _field(_("Fill colour"), dbc.Input(id=Ids.FILL, type="color", value="#1f78b4")),
        _field(_("Line weight"), dbc.Input(id=Ids.WEIGHT, type="number", min=0, max=20, step=0.5, value=2)),
        _field(_("Point radius"), dbc.Input(id=Ids.RADIUS, type="number", min=1, max=50, value=6)),
        _field(_("Point symbol"), dbc.Select(id=Ids.SYMBOL, value="circle", options=[
            {"label": _("Circle"), "value": "circle"}, {"label": _("Square"), "value": "square"},
            {"label": _("Triangle"), "value": "triangle"}, {"label": _("Marker"), "value": "marker"}])),
        _field(_("Colours by"), dbc.Select(id=Ids.STYLE_MODE, value="single", options=[
            {"label": _("One colour"), "value": "single"}, {"label": _("Category"), "value": "categorised"},
            {"label": _("Graduated"), "value": "graduated"}])),
        _field(_("Attribute"), dcc.Dropdown(id=Ids.FIELD, options=[])),
        _field(_("Label"), dcc.Dropdown(id=Ids.LABEL, options=[])),
        dbc.Button(_("Save style"), id=Ids.SAVE_STYLE, size="sm"),
    ]), className="mb-3")


def _access_card() -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.H2(_("Who sees it"), className="h6"),
        dbc.Checklist(id=Ids.ROLES, inline=True, value=[],
                      options=role_options([r for r in Role if r != Role.BRIEFING])),
        html.Div(_("None ticked: every role but briefing."), className="small text-muted"),
        dbc.Switch(id=Ids.BRIEFINGS, value=False, label=_("May appear in member-state briefings")),
        dbc.Button(_("Save visibility"), id=Ids.SAVE_VIS, size="sm"),
        html.Hr(),
        html.H2(_("Metadata"), className="h6"),
        _field(_("Title"), dbc.Input(id=Ids.META_TITLE, maxLength=200)),
        _field(_("Abstract"), dbc.Textarea(id=Ids.ABSTRACT)),
        _field(_("Source"), dbc.Input(id=Ids.SOURCE)),
        _field(_("Licence"), dbc.Input(id=Ids.LICENCE, maxLength=200)),
        _field(_("Date"), dbc.Input(id=Ids.DATE, type="date")),
        _field(_("Keywords"), dbc.Input(id=Ids.KEYWORDS, placeholder=_("comma-separated"))),
        dbc.Button(_("Save metadata"), id=Ids.SAVE_META, size="sm"),
    ]), className="mb-3")


@page_layout(PERMISSION)
def layout(**_kwargs: object) -> html.Div:
    settings = hub().settings
    # The operations map's base map: tiles when configured, else the offline Natural Earth countries.
    base = dl.TileLayer(url=settings.tile_url, attribution=settings.tile_attribution) if settings.tile_url else \
        offline_basemap("layers-base", id=Ids.BASEMAP)
    return html.Div([
        dcc.Store(id=Ids.REFRESH, data={"n": 0}),
        dcc.Download(id=Ids.DOWNLOAD),
        html.H1(_("GIS layers"), className="h3"),
        dbc.Row([
            dbc.Col([_upload_card()], lg=4),
            dbc.Col([
                dbc.Row([
                    dbc.Col(dcc.Dropdown(id=Ids.SELECT, options=[], placeholder=_("Choose a layer…")), md=6),
                    dbc.Col(html.Span(id=Ids.STATUS, className="badge bg-secondary fs-6"), md=2, className="pt-1"),
                    dbc.Col([dbc.Button(_("Publish"), id=Ids.PUBLISH, color="success", size="sm", className="me-2"),
                             dbc.Button(_("Archive"), id=Ids.ARCHIVE, color="secondary", size="sm")], md=4),
                ], className="mb-2 g-2"),
                # zoomSnap 0.25: fitting an extent lands closer to it than whole zoom levels allow.
                dl.Map(id=Ids.MAP, center=[10, 20], zoom=2, zoomSnap=0.25,
                       style={"height": "45vh", "background": "#b8d3ea"},
                       children=[
                    base,
                    dl.GeoJSON(id=Ids.PREVIEW, data=None, hideout={"style": {}},
                               style={"variable": JS + "style"}, pointToLayer={"variable": JS + "pointToLayer"},
                               onEachFeature={"variable": JS + "onEachFeature"}),
                ]),
                dag.AgGrid(id=Ids.GRID, rowData=[], columnDefs=[], className="ag-theme-alpine mt-2",
                           defaultColDef={"sortable": True, "filter": True, "resizable": True},
                           dashGridOptions={"suppressFieldDotNotation": True},
                           style={"height": "30vh"}),
                dbc.Row([dbc.Col(_style_card(), md=6), dbc.Col(_access_card(), md=6)], className="mt-3"),
                html.H2(_("Versions"), className="h6"),
                dag.AgGrid(id=Ids.VERSIONS, rowData=[], style={"height": "20vh"}, columnDefs=[
                    {"field": "version", "headerName": _("Version"), "width": 100},
                    {"field": "change", "headerName": _("Change"), "width": 120},
                    {"field": "by", "headerName": _("By"), "width": 150},
                    {"field": "when", "headerName": _("When"), "width": 180},
                    {"field": "feature_count", "headerName": _("Features"), "width": 110},
                    {"field": "source_filename", "headerName": _("File"), "flex": 1},
                ]),
                dbc.InputGroup([
                    dbc.Input(id=Ids.RESTORE_VERSION, type="number", min=1, placeholder=_("version")),
                    dbc.Button(_("Restore this version"), id=Ids.RESTORE, color="warning"),
                    dbc.Select(id=Ids.EXPORT_FORMAT, value="gpkg", options=[
                        {"label": "GeoPackage", "value": "gpkg"}, {"label": "GeoJSON", "value": "geojson"},
                        {"label": _("Shapefile (zip)"), "value": "shp"}, {"label": "CSV", "value": "csv"}]),
                    dbc.Button(_("Export"), id=Ids.EXPORT, color="info"),
                ], className="mt-2 mb-4", size="sm"),
            ], lg=8),
        ]),
    ])


def _alert(message: str, ok: bool) -> dbc.Alert:
    return dbc.Alert(message, color="success" if ok else "danger", className="py-2", id="layers-alert")


def _decode(contents: str) -> bytes:
    try:
        return base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (IndexError, binascii.Error):
        raise ValidationError(_("The upload could not be read; please choose the file again.")) from None


@secured_callback(
    Output(Ids.GPKG_LAYER, "options"), Output(Ids.FILE_NOTE, "children"), Output(Ids.TITLE, "value"),
    Input(Ids.UPLOAD, "contents"), State(Ids.UPLOAD, "filename"),
    roles=PERMISSION, prevent_initial_call=True,
)
def file_chosen(contents: str | None, filename: str | None) -> tuple[list[str], Any, str]:
    if not contents or not filename:
        raise PreventUpdate
    title = filename.rsplit(".", 1)[0][:200]
    try:
        names = layer_service.file_layers(_decode(contents), filename, UPLOAD_LIMIT)
    except HubError as error:
        return [], html.Span(str(error), className="text-danger"), title
    note = _("%(file)s: %(n)d layer(s).", file=filename, n=len(names))
    return names, note, title


@secured_callback(
    Output(Ids.MESSAGE, "children"), Output(Ids.REFRESH, "data", allow_duplicate=True),
    Input(Ids.IMPORT, "n_clicks"),
    State(Ids.UPLOAD, "contents"), State(Ids.UPLOAD, "filename"), State(Ids.TITLE, "value"),
    State(Ids.GPKG_LAYER, "value"), State(Ids.REPAIR, "value"), State(Ids.TARGET, "value"), State(Ids.MODE, "value"),
    State(Ids.KEY, "value"), State(Ids.REFRESH, "data"),
    roles=PERMISSION, prevent_initial_call=True,
)
def import_file(_n: int | None, contents: str | None, filename: str | None, title: str | None,
                gpkg_layer: str | None, repair: bool | None, target: str | None, mode: str | None, key: str | None,
                refresh: dict[str, Any]) -> tuple[Any, Any]:
    if not contents or not filename:
        return _alert(_("Choose a file first."), False), dash.no_update
    options = layer_service.ImportOptions(mode=(mode or "replace") if target else "create", target=target,
                                          title=title, layer_name=gpkg_layer, repair=bool(repair), key=key or None)
    try:
        with db_session() as s:
            report = layer_service.import_layer(s, current_principal(), _decode(contents), filename, options,
                                                max_bytes=UPLOAD_LIMIT, origin=request_origin())
    except HubError as error:
        return _alert(str(error), False), dash.no_update
    message = _("%(slug)s version %(version)d: %(n)d features (%(type)s, from %(crs)s)%(repaired)s. "
                "Check the preview, then publish.", slug=report.slug, version=report.version,
                n=report.feature_count, type=report.geometry_type, crs=report.source_crs,
                repaired=_(", %(n)d repaired", n=report.repaired) if report.repaired else "")
    return _alert(message, True), _bump(refresh, report.slug)


# Room around the layer's extent, in screen pixels, so features at its edges are not cut by the map's frame.
FIT_PADDING = 24


def preview_viewport(box: list[float]) -> dict[str, Any]:
    """The preview's view: the layer's extent (minx, miny, maxx, maxy), fitted with padding."""
    return {"bounds": [[box[1], box[0]], [box[3], box[2]]], "transition": "fitBounds",
            "options": {"padding": [FIT_PADDING, FIT_PADDING], "animate": False}}


def _status(value: str) -> str:
    return str(STATUS_LABELS[LayerStatus(value)])


def _bump(refresh: dict[str, Any] | None, select: str | None = None) -> dict[str, Any]:
    """The refresh signal: a counter, and the layer to show (a fresh import)."""
    return {"n": int((refresh or {}).get("n", 0)) + 1, "select": select}


@secured_callback(
    Output(Ids.SELECT, "options"), Output(Ids.TARGET, "options"), Output(Ids.SELECT, "value"),
    Input(Ids.REFRESH, "data"),
    roles=PERMISSION,
)
def list_layers(refresh: dict[str, Any] | None) -> tuple[list[dict[str, str]], list[dict[str, str]], Any]:
    with db_session() as s:
        rows = layer_service.list_layers(s, current_principal())
    options = [{"label": f"{r['title']} ({_status(r['status'])}, v{r['current_version']})", "value": r["slug"]}
               for r in rows]
    # The options and the new value in one response: a dropdown drops a value its options lack.
    select = (refresh or {}).get("select") or dash.no_update
    return options, [{"label": r["title"], "value": r["slug"]} for r in rows], select


# The style and metadata controls, by the service's names for what they hold.
STYLE_CONTROLS = {"color": Ids.COLOR, "fillColor": Ids.FILL, "weight": Ids.WEIGHT, "radius": Ids.RADIUS,
                  "symbol": Ids.SYMBOL, "mode": Ids.STYLE_MODE, "field": Ids.FIELD, "label": Ids.LABEL}
STYLE_DEFAULTS = {"symbol": "circle", "mode": "single"}
META_CONTROLS = {"title": Ids.META_TITLE, "abstract": Ids.ABSTRACT, "source": Ids.SOURCE, "licence": Ids.LICENCE,
                 "source_date": Ids.DATE, "keywords": Ids.KEYWORDS}


class LayerView(TypedDict):
    """What the page shows of the chosen layer: show_layer's outputs, by name."""

    preview: Any  # GeoJSON, at most PREVIEW_LIMIT features
    hideout: dict[str, Any]
    viewport: Any
    rows: list[dict[str, Any]]
    columns: list[dict[str, Any]]
    status: str
    versions: list[dict[str, Any]]
    field_options: list[dict[str, str]]
    label_options: list[dict[str, str]]
    style: dict[str, Any]  # by STYLE_CONTROLS
    roles: list[str]
    briefings: bool
    meta: dict[str, Any]  # by META_CONTROLS


@secured_callback(
    output=dict(
        preview=Output(Ids.PREVIEW, "data"), hideout=Output(Ids.PREVIEW, "hideout"),
        viewport=Output(Ids.MAP, "viewport"), rows=Output(Ids.GRID, "rowData"),
        columns=Output(Ids.GRID, "columnDefs"), status=Output(Ids.STATUS, "children"),
        versions=Output(Ids.VERSIONS, "rowData"), field_options=Output(Ids.FIELD, "options"),
        label_options=Output(Ids.LABEL, "options"),
        style={name: Output(control, "value") for name, control in STYLE_CONTROLS.items()},
        roles=Output(Ids.ROLES, "value"), briefings=Output(Ids.BRIEFINGS, "value"),
        meta={name: Output(control, "value") for name, control in META_CONTROLS.items()},
    ),
    inputs=dict(slug=Input(Ids.SELECT, "value"), _refresh=Input(Ids.REFRESH, "data")),
    roles=PERMISSION, prevent_initial_call=True,
)
def show_layer(slug: str | None, _refresh: dict[str, Any]) -> LayerView:
    if not slug:
        raise PreventUpdate
    principal = current_principal()
    with db_session() as s:
        meta = layer_service.get_layer(s, principal, slug)
        data = layer_service.layer_geojson(s, principal, slug, limit=PREVIEW_LIMIT)
        table = layer_service.layer_attributes(s, principal, slug)
        history = layer_service.versions(s, principal, slug)
    box = meta["bbox"]
    # Grid cells render values as text (no HTML renderer), so markup in attributes is shown, never run;
    # column names from the file stay plain field names (no dot paths, no functions built from them).
    columns = [{"field": "_fid", "headerName": "id", "width": 90}] + [
        {"field": c, "headerName": c} for c in table["columns"]]
    for row in history:
        row["when"] = timestamp(row.pop("created_at"), current_locale())
    style = meta["style"]
    fields = [{"label": c, "value": c} for c in table["columns"]]
    return LayerView(
        preview=data, hideout={"style": style}, viewport=preview_viewport(box) if box else dash.no_update,
        rows=table["rows"], columns=columns, status=_status(meta["status"]), versions=history,
        field_options=fields, label_options=fields,
        style={name: style.get(name, STYLE_DEFAULTS.get(name)) for name in STYLE_CONTROLS},
        roles=meta["visible_to_roles"], briefings=meta["in_briefings"],
        meta={**{name: meta[name] for name in META_CONTROLS}, "keywords": ", ".join(meta["keywords"])},
    )


# The action buttons, each with the message it leaves when done.
ACTIONS = {"publish": Ids.PUBLISH, "archive": Ids.ARCHIVE, "save_style": Ids.SAVE_STYLE, "save_vis": Ids.SAVE_VIS,
           "save_meta": Ids.SAVE_META, "restore": Ids.RESTORE}


@secured_callback(
    output=dict(message=Output(Ids.MESSAGE, "children", allow_duplicate=True),
                refresh=Output(Ids.REFRESH, "data", allow_duplicate=True)),
    inputs=dict(_clicks={name: Input(button, "n_clicks") for name, button in ACTIONS.items()}),
    state=dict(
        slug=State(Ids.SELECT, "value"), refresh=State(Ids.REFRESH, "data"),
        style={name: State(control, "value") for name, control in STYLE_CONTROLS.items()},
        roles=State(Ids.ROLES, "value"), briefings=State(Ids.BRIEFINGS, "value"),
        meta={name: State(control, "value") for name, control in META_CONTROLS.items()},
        restore_version=State(Ids.RESTORE_VERSION, "value"),
    ),
    roles=PERMISSION, prevent_initial_call=True,
)
def act(_clicks: dict[str, int | None], slug: str | None, refresh: dict[str, Any] | None, style: dict[str, Any],
        roles: list[str] | None, briefings: bool | None, meta: dict[str, Any], restore_version: Any,
        ) -> dict[str, Any]:
    if not slug:
        return {"message": _alert(_("Choose a layer first."), False), "refresh": dash.no_update}
    principal, origin = current_principal(), request_origin()
    done = {
        Ids.PUBLISH: _("Published: the layer is on the operations map and in the OGC API."),
        Ids.ARCHIVE: _("Archived: the layer is off the map."), Ids.SAVE_STYLE: _("Style saved."),
        Ids.SAVE_VIS: _("Visibility saved."), Ids.SAVE_META: _("Metadata saved."),
        Ids.RESTORE: _("Version %(v)s restored as a new version.", v=restore_version),
    }
    trigger = ctx.triggered_id
    try:
        with db_session() as s:
            if trigger == Ids.PUBLISH:
                layer_service.set_status(s, principal, slug, LayerStatus.PUBLISHED, origin)
            elif trigger == Ids.ARCHIVE:
                layer_service.set_status(s, principal, slug, LayerStatus.ARCHIVED, origin)
            elif trigger == Ids.SAVE_STYLE:
                layer_service.set_style(s, principal, slug, style, origin)
            elif trigger == Ids.SAVE_VIS:
                layer_service.set_visibility(s, principal, slug, roles or [], bool(briefings), origin)
            elif trigger == Ids.SAVE_META:
                layer_service.set_metadata(s, principal, slug, **{**meta, "title": meta["title"] or ""},
                                           origin=origin)
            elif trigger == Ids.RESTORE:
                if not restore_version:
                    raise ValidationError(_("Type the number of the version to restore."))
                layer_service.restore(s, principal, slug, int(restore_version), origin)
            else:
                raise PreventUpdate
    except HubError as error:
        return {"message": _alert(str(error), False), "refresh": dash.no_update}
    return {"message": _alert(str(done[trigger]), True), "refresh": _bump(refresh)}


@secured_callback(
    Output(Ids.DOWNLOAD, "data"), Output(Ids.MESSAGE, "children", allow_duplicate=True),
    Input(Ids.EXPORT, "n_clicks"), State(Ids.SELECT, "value"), State(Ids.EXPORT_FORMAT, "value"),
    roles=PERMISSION, prevent_initial_call=True,
)
def export(_n: int | None, slug: str | None, fmt: str | None) -> tuple[Any, Any]:
    if not slug:
        return dash.no_update, _alert(_("Choose a layer first."), False)
    try:
        with db_session() as s:
            data, filename, _media = layer_service.export(s, current_principal(), slug, fmt or "gpkg",
                                                          origin=request_origin())
    except HubError as error:
        return dash.no_update, _alert(str(error), False)
    return dcc.send_bytes(data, filename), dash.no_update


def title(**_kwargs: object) -> str:
    return _("GIS layers") + " · " + _("Standing Capacities Hub")


dash.register_page(__name__, layout=layout, path="/layers", name="Layers", title=title,
                   nav_label=_l("Layers"), order=40, permission=PERMISSION)
