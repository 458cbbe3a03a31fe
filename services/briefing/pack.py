"""The briefing pack: a PowerPoint deck (python-pptx) and a PDF (reportlab) of one BriefingView.

Slides (and PDF pages): title with period and scope; the map; key figures; personnel by capacity and mission;
gender-responsiveness; funding by donor and source; the surge service level; a short table per mission. Every
slide has a footer with the date, the data's as-of time and a sensitivity line. Numbers come only from the
BriefingView, so they are already suppressed; a hidden number prints as the suppression mark.

Rendered on the server without internet: the map and the charts are matplotlib images (Agg backend), the map's
countries come from the database (Natural Earth boundaries). Plotly's image export would need kaleido and a
Chrome, which a server should not need for a PNG.

Language: every string comes from the shared catalogue (dashboard/translations), the one source of French.
The web caller passes flask_babel's gettext under ``force_locale``; without it (tests, scripts, no Flask app)
``translator`` reads the compiled catalogue of the locale with babel, as Flask-Babel does.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from gettext import NullTranslations
from pathlib import Path
from typing import Any

from babel.support import Translations
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Country
from services.briefing.aggregates import BriefingView
from services.briefing.suppression import SUPPRESSED_MARK, SuppressedTable, shown
from services.formatting import decimal, money, percent
from services.palette import MARKER_COLOURS, OTHER_CAPACITY, SOURCE_COLOURS, capacity_colour

Translate = Callable[..., str]
MISSION_ROWS_PER_SLIDE = 14
DPI = 150

# The shared catalogue, compiled by scripts/i18n.sh. Services never import the web layer (dashboard/), so the
# folder is named here rather than imported from dashboard.i18n.
CATALOGUE_DIR = Path(__file__).resolve().parents[2] / "dashboard" / "translations"


@functools.lru_cache(maxsize=8)
def _catalogue(locale: str, directory: str) -> NullTranslations:
    # babel's loader is the one Flask-Babel uses; a locale with no catalogue (English) gives NullTranslations.
    return Translations.load(directory, [locale], domain="messages")


def translator(locale: str, gettext: Translate | None = None, directory: Path = CATALOGUE_DIR) -> Translate:
    """A translation function for the pack, ``_(message, **values)``: the message from the catalogue, then
    ``%``-formatted with ``values``. ``gettext`` is the caller's (flask_babel's, under ``force_locale(locale)``);
    without one, the compiled catalogue of ``locale`` in ``directory`` is read directly."""
    lookup = gettext if gettext is not None else _catalogue(locale, str(directory)).gettext

    def translate(message: str, **values: Any) -> str:
        text = lookup(message)
        return text % values if values else text

    return translate


@dataclass(frozen=True)
class Images:
    map: bytes
    missions: bytes
    gender: bytes
    funding: bytes


# --- images (matplotlib, Agg) ------------------------------------------------------------------------------
def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # no display on a server
    import matplotlib.pyplot as plt

    return plt


def _png(fig: Any) -> bytes:
    plt = _pyplot()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _countries(session: Session) -> Any:
    """Country boundaries as a GeoDataFrame (WKB out of PostGIS, read by shapely)."""
    import geopandas as gpd
    import shapely

    rows = session.execute(select(Country.iso3, func.ST_AsBinary(Country.boundary))
                           .where(Country.boundary.is_not(None))).all()
    return gpd.GeoDataFrame({"iso3": [r[0] for r in rows]},
                            geometry=shapely.from_wkb([bytes(r[1]) for r in rows]), crs=4326)


def map_image(session: Session, view: BriefingView, _: Translate) -> bytes:
    """The map: countries in grey, host countries of the deployments shaded, mission HQs sized by experts."""
    plt = _pyplot()
    world = _countries(session)
    fig, ax = plt.subplots(figsize=(11, 5.6))
    world.plot(ax=ax, color="#e4e7eb", edgecolor="#ffffff", linewidth=0.4)
    hosts = world[world["iso3"].isin(view.by_country.rows)]
    if not hosts.empty:
        hosts.plot(ax=ax, color="#b9cfe8", edgecolor="#5b8cc4", linewidth=0.5)
    xs: list[float] = []
    ys: list[float] = []
    for feature in view.map.get("features", []):
        if feature["properties"]["kind"] != "mission":
            continue
        x, y = feature["geometry"]["coordinates"][:2]
        n = feature["properties"]["n"]
        xs.append(x)
        ys.append(y)
        size = 30 + 14 * (n ** 0.5) * 6 if n is not None else 25
        ax.scatter([x], [y], s=size, color="#1f5fa8" if n is not None else "#9aa5b1", alpha=0.75,
                   edgecolors="white", linewidths=0.8, zorder=3)
        ax.annotate(f"{feature['properties']['label']} {shown(n)}", (x, y), xytext=(4, 4),
                    textcoords="offset points", fontsize=6.5, color="#1b2a3a", zorder=4)
    if xs:
        pad = 12
        ax.set_xlim(max(min(xs) - pad, -180), min(max(xs) + pad, 180))
        ax.set_ylim(max(min(ys) - pad, -60), min(max(ys) + pad, 85))
    else:
        ax.set_xlim(-180, 180)
        ax.set_ylim(-60, 85)
    ax.set_axis_off()
    ax.set_title(_("Experts deployed in the period, by mission headquarters and host country"), fontsize=10)
    return _png(fig)


def _whole_numbers() -> Any:
    """A head-count axis: ticks on whole numbers only (no 2.5 experts)."""
    from matplotlib import ticker

    return ticker.MaxNLocator(integer=True)


def _empty(message: str) -> bytes:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 3))
    ax.text(0.5, 0.5, message, ha="center", va="center")
    ax.set_axis_off()
    return _png(fig)


def split_hidden(table: SuppressedTable[str, str], row: str) -> int:
    """What a row's shown total holds beyond its shown cells: the part whose split by column is hidden (0 when
    the total is hidden too). It is the total less the shown cells, which anyone can work out, so drawing it
    reveals nothing, and a mission whose split is hidden keeps a bar of its true length."""
    total = table.row_totals.get(row)
    if total is None:
        return 0
    return max(total - sum(table.cell(row, c) or 0 for c in table.columns), 0)


def missions_image(view: BriefingView, _: Translate, top: int = 15) -> bytes:
    """Experts deployed by mission, stacked by capacity; a hidden split is one hatched segment, a hidden total
    says '*'."""
    table = view.by_mission
    if not table.rows:
        return _empty(_("No deployments match the filter."))
    plt = _pyplot()
    rows = list(reversed(table.rows[:top]))
    fig, ax = plt.subplots(figsize=(9, max(2.5, 0.32 * len(rows) + 1)))
    left = [0.0] * len(rows)
    for capacity in table.columns:
        widths = [float(table.cell(r, capacity) or 0) for r in rows]
        ax.barh(rows, widths, left=left, color=capacity_colour(capacity), label=str(capacity))
        left = [a + b for a, b in zip(left, widths, strict=True)]
    hidden = [float(split_hidden(table, r)) for r in rows]
    if any(hidden):
        ax.barh(rows, hidden, left=left, color="#e4e7eb", edgecolor="#7b8794", hatch="///", linewidth=0.6,
                label=_("split suppressed"))
        left = [a + b for a, b in zip(left, hidden, strict=True)]
    for i, r in enumerate(rows):
        ax.text(left[i] + 0.3, i, shown(table.row_totals[r]), va="center", fontsize=8)
    ax.set_xlabel(_("experts deployed"))
    ax.xaxis.set_major_locator(_whole_numbers())
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def gender_image(view: BriefingView, _: Translate) -> bytes:
    plt = _pyplot()
    g = view.gender
    keys = sorted(g.by_marker)
    fig, ax = plt.subplots(figsize=(7, 3.2))
    values = [float(g.by_marker[k] or 0) for k in keys]
    bars = ax.bar([f"GM{k}" for k in keys], values, color=MARKER_COLOURS[: len(keys)])
    for bar, k in zip(bars, keys, strict=True):
        ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height(), shown(g.by_marker[k]), ha="center",
                va="bottom", fontsize=8)
    ax.set_ylabel(_("deployments"))
    ax.yaxis.set_major_locator(_whole_numbers())
    ax.set_title(_("Deployments by gender marker"), fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def money_ticks(values: list[float]) -> list[str]:
    """Axis labels in millions of USD with as many decimals as the steps need, the same for every tick:
    0.25M steps read $0.25M, $0.50M, $0.75M (one decimal gave $0.2M, $0.5M, $0.8M); whole dollars below 1M."""
    millions = [v / 1e6 for v in values]
    if max((abs(v) for v in values), default=0) < 1e5:  # a small scale reads better in dollars
        return [f"${v:,.0f}" for v in values]
    for decimals in range(0, 4):
        if all(abs(round(m, decimals) - m) < 1e-9 for m in millions):
            break
    return ["$0" if m == 0 else f"${m:,.{decimals}f}M" for m in millions]


def funding_figure(view: BriefingView, _: Translate, top: int = 12) -> Any:
    """The funding chart as a matplotlib figure (None with nothing to draw)."""
    from matplotlib import ticker

    rows = view.funding.rows[:top]
    if not rows:
        return None
    plt = _pyplot()
    rows = list(reversed(rows))
    fig, ax = plt.subplots(figsize=(9, max(2.5, 0.34 * len(rows) + 1)))
    names = [r.donor if r.donor != "Regular budget" else _("Regular budget") for r in rows]
    ys = list(range(len(rows)))
    colours = [SOURCE_COLOURS.get(str(r.source), OTHER_CAPACITY) for r in rows]
    ax.barh([y + 0.2 for y in ys], [float(r.committed_usd) for r in rows], height=0.4, color=colours, alpha=0.35,
            label=_("committed"))
    ax.barh([y - 0.2 for y in ys], [float(r.spent_usd) for r in rows], height=0.4, color=colours, label=_("spent"))
    ax.set_yticks(ys, names, fontsize=8)

    class Money(ticker.Formatter):  # matplotlib's formatters pick decimals per tick; these need one for all
        def __call__(self, x: float, pos: int | None = None) -> str:
            return money_ticks([x])[0]

        def format_ticks(self, values: Any) -> list[str]:
            return money_ticks([float(v) for v in values])

    # "Nice" steps (1, 2, 2.5, 5 × 10ⁿ), never more ticks than fit the width.
    ax.xaxis.set_major_locator(ticker.MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10], min_n_ticks=3))
    ax.xaxis.set_major_formatter(Money())
    ax.set_xlim(left=0)
    ax.set_xlabel(_("USD"))
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def funding_image(view: BriefingView, _: Translate, top: int = 12) -> bytes:
    fig = funding_figure(view, _, top)
    return _png(fig) if fig is not None else _empty(_("No funding matches the filter."))


def render_images(session: Session, view: BriefingView, _: Translate) -> Images:
    return Images(map=map_image(session, view, _), missions=missions_image(view, _), gender=gender_image(view, _),
                  funding=funding_image(view, _))


# --- text shared by both formats ----------------------------------------------------------------------------
def _percent(value: float | None, locale: str) -> str:
    return percent(value, locale) if value is not None else SUPPRESSED_MARK


def _money(value: Any, locale: str) -> str:
    return money(value, locale)


def scope_text(view: BriefingView, _: Translate) -> str:
    f = view.filter
    parts = []
    for label, values in ((_("Capacity"), f.capacity), (_("Mission"), f.mission), (_("Region"), f.region),
                          (_("Country"), f.country)):
        if values:
            parts.append(f"{label}: {', '.join(values)}")
    return "; ".join(parts) or _("all missions, regions and capacities")


def capacities_title(view: BriefingView, _: Translate) -> str:
    """The pack's subtitle: the capacity the filter keeps, or both."""
    names = {"SPC": _("Standing Police Capacity"), "JCSC": _("Justice and Corrections Standing Capacity")}
    chosen = [names[c] for c in view.filter.capacity if c in names]
    if len(chosen) == 1:
        return chosen[0]
    return _("Standing Police Capacity and Justice and Corrections Standing Capacity")


def key_figures(view: BriefingView, _: Translate) -> list[tuple[str, str]]:
    fig = view.figures
    # A no-break space inside each "SPC 45%": a narrow card wraps between capacities, not inside one.
    utilisation = " · ".join(f"{c}\u00a0{_percent(s, view.locale)}" for c, s in sorted(fig.utilisation.items())) \
        or SUPPRESSED_MARK
    return [
        (_("Experts deployed in the period"), shown(fig.experts_deployed)),
        (_("Experts deployed on %(day)s", day=view.filter.day.isoformat()), shown(fig.deployed_on_day)),
        (_("Missions supported"), f"{fig.missions_supported:,}"),
        (_("Countries"), f"{fig.countries:,}"),
        (_("Open surge requests"), shown(fig.open_surge_requests)),
        (_("Women among deployed experts"), _percent(fig.women_share, view.locale)),
        (_("Utilisation (time deployed)"), utilisation),
        (_("Funding committed (USD)"), _money(view.funding.committed_usd, view.locale)),
        (_("Funding spent (USD)"), _money(view.funding.spent_usd, view.locale)),
    ]


def service_rows(view: BriefingView, _: Translate) -> tuple[list[tuple[str, str]], list[list[str]]]:
    sl = view.service_level
    days = (lambda v: decimal(v, view.locale) if v is not None else SUPPRESSED_MARK)  # noqa: E731 - a one-line formatter
    summary = [
        (_("Requests received"), shown(sl.requests)),
        (_("Requests deployed"), shown(sl.deployed)),
        (_("Median days from request to deployment"), days(sl.median_days)),
        (_("90th percentile (days)"), days(sl.p90_days)),
        (_("Deployed within the target of %(days)s days", days=sl.target_days), shown(sl.within_target)),
    ]
    table = [[_("Quarter"), _("Capacity"), _("Requests"), _("Requests deployed"), _("Median days")]]
    for p in view.service_by_period:
        quarter = f"{p.period.year} Q{(p.period.month - 1) // 3 + 1}"
        table.append([quarter, p.capacity or "", shown(p.level.requests), shown(p.level.deployed),
                      days(p.level.median_days)])
    return summary, table


def mission_table(view: BriefingView, _: Translate) -> list[list[str]]:
    header = [_("Mission"), *[str(c) for c in view.by_mission.columns], _("Total")]
    rows = [header]
    for m in view.by_mission.rows:
        rows.append([m, *[shown(view.by_mission.cell(m, c)) for c in view.by_mission.columns],
                     shown(view.by_mission.row_totals[m])])
    if view.by_mission.rows:
        # The sum of the missions' rows: an expert in two missions counts twice, so it is not the
        # "experts deployed in the period" figure and says what it counts.
        rows.append([_("Total (expert–mission pairs)"),
                     *[shown(view.by_mission.column_totals.get(c)) for c in view.by_mission.columns],
                     shown(view.by_mission.total)])
    return rows


def mission_table_note(_: Translate) -> str:
    return _("An expert deployed to several missions counts once in each: the total counts expert–mission "
             "pairs, not experts (see “Experts deployed in the period”).")


def footer_text(view: BriefingView, _: Translate, today: date | None = None) -> tuple[str, str]:
    day = (today or date.today()).isoformat()
    as_of = view.data_as_of.strftime("%Y-%m-%d %H:%M UTC%z")
    return (_("Prepared %(day)s · data as of %(as_of)s", day=day, as_of=as_of),
            _("For official use: aggregates only, counts under %(n)d and what would reveal them are shown as "
              "%(mark)s.", n=view.threshold, mark=SUPPRESSED_MARK))


def _chunks(rows: list[list[str]], size: int) -> list[list[list[str]]]:
    header, body = rows[0], rows[1:]
    return [[header, *body[i:i + size]] for i in range(0, max(len(body), 1), size)]


# --- PowerPoint ---------------------------------------------------------------------------------------------
SLIDE_W, SLIDE_H, MARGIN = 13.333, 7.5, 0.6  # inches: a 16:9 slide


def fit_picture(png: bytes, max_w: float, max_h: float) -> tuple[float, float, float]:
    """(left offset, width, height) in inches of a PNG scaled to fit ``max_w`` × ``max_h``, centred across."""
    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(png)) as img:
        w, h = img.size
    scale = min(max_w / w, max_h / h)
    return (max_w - w * scale) / 2, w * scale, h * scale


def pptx_pack(session: Session, view: BriefingView, _: Translate, images: Images | None = None) -> bytes:
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.util import Inches, Pt

    images = images or render_images(session, view, _)
    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(SLIDE_W), Inches(SLIDE_H)
    blank = deck.slide_layouts[6]
    dated, sensitivity = footer_text(view, _)
    navy, white = RGBColor(0x0B, 0x3D, 0x75), RGBColor(0xFF, 0xFF, 0xFF)
    light, ink = RGBColor(0xEE, 0xF2, 0xF7), RGBColor(0x1B, 0x2A, 0x3A)

    def text(slide: Any, left: float, top: float, width: float, height: float, lines: list[str], size: int = 14,
             bold: bool = False, colour: Any = None) -> None:
        frame = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height)).text_frame
        frame.word_wrap = True
        for i, line in enumerate(lines):
            paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            paragraph.text = line
            paragraph.font.size = Pt(size)
            paragraph.font.bold = bold
            if colour is not None:
                paragraph.font.color.rgb = colour

    def slide(title: str) -> Any:
        s = deck.slides.add_slide(blank)
        text(s, 0.5, 0.3, 12.3, 0.8, [title], size=26, bold=True, colour=navy)
        text(s, 0.5, 6.85, 12.3, 0.5, [f"{dated} · {sensitivity}"], size=9,
             colour=RGBColor(0x55, 0x5F, 0x6B))
        return s

    def picture(s: Any, png: bytes, top: float = 1.2, height: float = 5.5) -> None:
        # Fitted into the box between the title and the footer, whichever of its width or height binds first:
        # a tall chart scaled to the height alone came out 18 in wide on a 13.3 in slide.
        left, box_w, box_h = fit_picture(png, SLIDE_W - 2 * MARGIN, height)
        s.shapes.add_picture(io.BytesIO(png), Inches(MARGIN + left), Inches(top), Inches(box_w), Inches(box_h))

    def table(s: Any, rows: list[list[str]], left: float, top: float, width: float, size: int = 11,
              header: bool = True) -> None:
        """A table; ``header``: its first row is the column titles (styled apart), else every row is data."""
        shape = s.shapes.add_table(len(rows), len(rows[0]), Inches(left), Inches(top), Inches(width),
                                   Inches(0.3 * len(rows)))
        shape.table.first_row = header  # the template's header styling, only for a real header
        for i, row in enumerate(rows):
            head = header and i == 0
            for j, value in enumerate(row):
                cell = shape.table.cell(i, j)
                cell.text = value
                cell.fill.solid()
                cell.fill.fore_color.rgb = navy if head else (light if i % 2 else white)
                font = cell.text_frame.paragraphs[0].font
                font.size, font.bold = Pt(size), head
                font.color.rgb = white if head else ink

    title = slide(_("Member-state briefing"))
    text(title, 0.5, 1.4, 12.3, 3.5, [
        capacities_title(view, _),
        _("Period: %(start)s to %(end)s", start=view.filter.start.isoformat(), end=view.filter.end.isoformat()),
        _("Scope: %(scope)s", scope=scope_text(view, _)),
    ], size=20)

    s = slide(_("Where the capacities were deployed"))
    picture(s, images.map, height=5.5)

    s = slide(_("Key figures"))
    table(s, [[label, value] for label, value in key_figures(view, _)], 0.8, 1.3, 11.5, size=16, header=False)

    s = slide(_("Personnel by capacity and mission"))
    picture(s, images.missions)

    s = slide(_("Gender-responsiveness"))
    picture(s, images.gender, height=4.2)
    g = view.gender
    text(s, 0.6, 5.6, 12, 1, [
        f"{_('Women among deployed experts')}: {_percent(g.women_share, view.locale)}",
        _("Gender-specific outputs delivered: %(done)s of %(planned)s", done=shown(g.outputs_delivered),
          planned=shown(g.outputs_planned)),
    ], size=14)

    s = slide(_("Funding by donor and source"))
    picture(s, images.funding)

    summary, by_quarter = service_rows(view, _)
    s = slide(_("Surge service level"))
    table(s, [[a, b] for a, b in summary], 0.6, 1.3, 6.0, size=13, header=False)
    table(s, by_quarter[:16], 7.0, 1.3, 5.8, size=10)

    for part in _chunks(mission_table(view, _), MISSION_ROWS_PER_SLIDE):
        s = slide(_("Experts deployed by mission"))
        table(s, part, 0.8, 1.2, 11.5, size=12)
        text(s, 0.8, 6.3, 11.5, 0.5, [mission_table_note(_)], size=11, colour=ink)

    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


# --- PDF ----------------------------------------------------------------------------------------------------
def grid_style(header: bool) -> list[tuple[Any, ...]]:
    """reportlab TableStyle commands of a pack table: bold on a tinted ground for the header row only when
    the table has one (a key-figure table's first row is data, not titles)."""
    from reportlab.lib import colors

    first = 1 if header else 0
    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), "Helvetica", 9),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#c8ced6")),
        ("ALIGN", (1, first), (-1, -1), "RIGHT"),
    ]
    if header:
        commands += [("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
                     ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6"))]
    return commands


def pdf_pack(session: Session, view: BriefingView, _: Translate, images: Images | None = None) -> bytes:
    from xml.sax.saxutils import escape  # reportlab's Paragraph reads markup: text from the database is escaped

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Image, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    images = images or render_images(session, view, _)
    styles = getSampleStyleSheet()
    dated, sensitivity = footer_text(view, _)
    buffer = io.BytesIO()
    page_w, page_h = landscape(A4)
    doc = SimpleDocTemplate(buffer, pagesize=(page_w, page_h), leftMargin=1.5 * cm, rightMargin=1.5 * cm,
                            topMargin=1.2 * cm, bottomMargin=1.6 * cm, title=_("Member-state briefing"),
                            author="Standing Capacities Hub")
    width = page_w - 3 * cm

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.HexColor("#555f6b"))
        canvas.drawString(1.5 * cm, 0.9 * cm, dated)
        canvas.drawString(1.5 * cm, 0.55 * cm, sensitivity)
        canvas.drawRightString(page_w - 1.5 * cm, 0.9 * cm, _("page %(n)d", n=document.page))
        canvas.restoreState()

    def heading(title: str) -> Paragraph:
        return Paragraph(escape(title), styles["Heading1"])

    def image(png: bytes, max_h: float = 14 * cm) -> Image:
        from reportlab.lib.utils import ImageReader

        w, h = ImageReader(io.BytesIO(png)).getSize()
        scale = min(width / w, max_h / h)
        return Image(io.BytesIO(png), width=w * scale, height=h * scale)

    def grid(rows: list[list[str]], widths: list[float] | None = None, header: bool = True) -> Table:
        t = Table([[escape(c) for c in row] for row in rows], colWidths=widths, repeatRows=1 if header else 0,
                  hAlign="LEFT")
        t.setStyle(TableStyle(grid_style(header)))
        return t

    story: list[Any] = [
        Spacer(1, 3 * cm), Paragraph(escape(_("Member-state briefing")), styles["Title"]),
        Paragraph(escape(capacities_title(view, _)), styles["Heading2"]),
        Paragraph(escape(_("Period: %(start)s to %(end)s", start=view.filter.start.isoformat(),
                           end=view.filter.end.isoformat())), styles["Normal"]),
        Paragraph(escape(_("Scope: %(scope)s", scope=scope_text(view, _))), styles["Normal"]), PageBreak(),
        heading(_("Where the capacities were deployed")), image(images.map), PageBreak(),
        heading(_("Key figures")),
        grid([[a, b] for a, b in key_figures(view, _)], [12 * cm, 8 * cm], header=False), PageBreak(),
        heading(_("Personnel by capacity and mission")), image(images.missions), PageBreak(),
        heading(_("Gender-responsiveness")), image(images.gender, 10 * cm),
        Paragraph(escape(f"{_('Women among deployed experts')}: {_percent(view.gender.women_share, view.locale)}"),
                  styles["Normal"]),
        Paragraph(escape(_("Gender-specific outputs delivered: %(done)s of %(planned)s",
                           done=shown(view.gender.outputs_delivered), planned=shown(view.gender.outputs_planned))),
                  styles["Normal"]), PageBreak(),
        heading(_("Funding by donor and source")), image(images.funding), PageBreak(),
    ]
    summary, by_quarter = service_rows(view, _)
    story += [heading(_("Surge service level")), grid([[a, b] for a, b in summary], [12 * cm, 4 * cm], header=False),
              Spacer(1, 0.5 * cm), grid(by_quarter), PageBreak(),
              heading(_("Experts deployed by mission")), grid(mission_table(view, _)), Spacer(1, 0.3 * cm),
              Paragraph(escape(mission_table_note(_)), styles["Normal"])]
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def build_pack(session: Session, view: BriefingView, fmt: str, _: Translate) -> bytes:
    """The pack in ``fmt`` ("pptx" or "pdf")."""
    if fmt == "pptx":
        return pptx_pack(session, view, _)
    if fmt == "pdf":
        return pdf_pack(session, view, _)
    raise ValueError(f"unknown pack format {fmt!r}")


__all__ = ["CATALOGUE_DIR", "Images", "build_pack", "pdf_pack", "pptx_pack", "render_images", "translator"]
