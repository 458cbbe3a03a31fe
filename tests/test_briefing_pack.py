"""The briefing pack opened as a reader would: python-pptx for the deck, pypdf for the PDF; slides, figures,
language, footer — and the suppression inside it."""

from __future__ import annotations

import io
import math
import re
from itertools import pairwise

import pytest
from pptx import Presentation
from pypdf import PdfReader

from models.enums import Role
from services.access import Principal
from services.analytics.filters import MapFilter
from services.briefing.aggregates import briefing_view
from services.briefing.pack import build_pack, translator
from services.briefing.suppression import SUPPRESSED_MARK
from services.errors import ValidationError
from tests.factories import world_filter

T = 5
BRIEFER = Principal(0, "briefer", Role.BRIEFING)
FILT = MapFilter(start=world_filter().start, end=world_filter().end)


@pytest.fixture(scope="module")
def packs(engine):  # type: ignore[no-untyped-def]
    from sqlalchemy.orm import Session

    out = {}
    with Session(engine) as s:
        for lang in ("en", "fr"):
            view = briefing_view(s, BRIEFER, FILT, threshold=T, locale=lang)
            out[lang] = {fmt: build_pack(s, view, fmt, translator(lang)) for fmt in ("pptx", "pdf")}
            out[lang]["view"] = view
    return out


def _slides(data: bytes) -> list[str]:
    deck = Presentation(io.BytesIO(data))
    texts = []
    for slide in deck.slides:
        parts = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                parts += [cell.text for row in shape.table.rows for cell in row.cells]
        texts.append("\n".join(parts))
    return texts


def _pictures(data: bytes) -> int:
    deck = Presentation(io.BytesIO(data))
    return sum(1 for slide in deck.slides for shape in slide.shapes if shape.shape_type == 13)


def test_pptx_has_every_slide_with_figures_and_footer(packs) -> None:  # type: ignore[no-untyped-def]
    slides = _slides(packs["en"]["pptx"])
    titles = [t.splitlines()[0] for t in slides]
    for expected in ("Member-state briefing", "Where the capacities were deployed", "Key figures",
                     "Personnel by capacity and mission", "Gender-responsiveness", "Funding by donor and source",
                     "Surge service level", "Experts deployed by mission"):
        assert expected in titles, (expected, titles)
    assert _pictures(packs["en"]["pptx"]) == 4  # map, personnel, gender, funding
    view = packs["en"]["view"]
    assert f"{FILT.start.isoformat()} to {FILT.end.isoformat()}" in slides[0]
    assert all("data as of" in t and "For official use" in t for t in slides)
    key = slides[titles.index("Key figures")]
    assert f"{view.figures.missions_supported:,}" in key
    missions = "\n".join(t for t in slides if t.startswith("Experts deployed by mission"))
    assert view.by_mission.rows[0] in missions


def test_pack_shows_no_count_under_the_threshold(packs) -> None:  # type: ignore[no-untyped-def]
    for lang in ("en", "fr"):
        deck = Presentation(io.BytesIO(packs[lang]["pptx"]))
        for slide in deck.slides:
            for shape in slide.shapes:
                if shape.has_table:
                    for row in shape.table.rows:
                        for cell in list(row.cells)[1:]:
                            if re.fullmatch(r"\d{1,3}(,\d{3})*", cell.text):
                                assert not 0 < int(cell.text.replace(",", "")) < T, cell.text
    assert packs["en"]["view"].by_mission.hidden > 0  # the baseline has small missions: the mark is used
    assert SUPPRESSED_MARK in "\n".join(_slides(packs["en"]["pptx"]))


def test_french_pack(packs) -> None:  # type: ignore[no-untyped-def]
    slides = _slides(packs["fr"]["pptx"])
    text = "\n".join(slides)
    for expected in ("Briefing des États membres", "Chiffres clés", "Effectifs par capacité et par mission",
                     "Financement par donateur et par source", "Niveau de service des renforts", "données au"):
        assert expected in text, expected
    assert "Key figures" not in text


def test_pdf_pages_and_language(packs) -> None:  # type: ignore[no-untyped-def]
    for lang, words in (("en", ("Member-state briefing", "Key figures", "Surge service level")),
                        ("fr", ("Briefing des États membres", "Chiffres clés", "Niveau de service"))):
        reader = PdfReader(io.BytesIO(packs[lang]["pdf"]))
        assert len(reader.pages) >= 8
        text = "\n".join(page.extract_text() for page in reader.pages)
        for word in words:
            assert word in text, (lang, word)
        images = sum(len(page.images) for page in reader.pages)
        assert images >= 4
        assert all("official" in (p.extract_text() or "").lower() or "officiel" in (p.extract_text() or "").lower()
                   for p in reader.pages)


def test_finer_filters_are_refused(session) -> None:  # type: ignore[no-untyped-def]
    from models.enums import Gender

    with pytest.raises(ValidationError):
        briefing_view(session, BRIEFER, FILT.with_changes(gender=(Gender.FEMALE,)), threshold=T)


def test_pack_download_as_briefing_user(logged_in, session) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from models import AuditEvent

    client = logged_in("briefing")
    response = client.get("/briefing/pack.pdf?lang=fr&capacity=SPC")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "Capacité: SPC" in "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    response = client.get("/briefing/pack.pptx?lang=xx")
    assert response.status_code == 400 and "lang" in response.get_data(as_text=True)
    event = session.scalars(select(AuditEvent).where(AuditEvent.entity == "briefing", AuditEvent.entity_id == "pack")
                            .order_by(AuditEvent.id.desc())).first()
    assert event.detail == {"format": "pdf", "filters": {**event.detail["filters"], "capacity": "SPC"},
                            "language": "fr"}


def test_every_picture_lies_within_its_slide(packs) -> None:  # type: ignore[no-untyped-def]
    for lang in ("en", "fr"):
        deck = Presentation(io.BytesIO(packs[lang]["pptx"]))
        pictures = [shape for slide in deck.slides for shape in slide.shapes if shape.shape_type == 13]
        assert len(pictures) == 4
        for shape in pictures:
            assert shape.left >= 0 and shape.top >= 0
            assert shape.left + shape.width <= deck.slide_width, (lang, shape.name, shape.width)
            assert shape.top + shape.height <= deck.slide_height, (lang, shape.name, shape.height)


def _tables(data: bytes) -> dict[str, list]:  # type: ignore[type-arg]
    deck = Presentation(io.BytesIO(data))
    out: dict[str, list] = {}  # type: ignore[type-arg]
    for slide in deck.slides:
        title = next(s.text_frame.text for s in slide.shapes if s.has_text_frame)
        out.setdefault(title, []).extend(s.table for s in slide.shapes if s.has_table)
    return out


def test_only_a_real_header_row_is_styled_as_one_in_the_deck(packs) -> None:  # type: ignore[no-untyped-def]
    tables = _tables(packs["en"]["pptx"])

    def styled_as_header(table, row: int) -> bool:  # type: ignore[no-untyped-def]
        cell = table.cell(row, 0)
        return bool(cell.text_frame.paragraphs[0].font.bold) or str(cell.fill.fore_color.rgb) == "0B3D75"

    key = tables["Key figures"][0]
    assert key.cell(0, 0).text == "Experts deployed in the period"
    assert not key.first_row and not styled_as_header(key, 0) and not styled_as_header(key, 1)
    summary, by_quarter = tables["Surge service level"]
    assert summary.cell(0, 0).text == "Requests received"
    assert not summary.first_row and not styled_as_header(summary, 0)
    assert by_quarter.cell(0, 0).text == "Quarter" and by_quarter.first_row and styled_as_header(by_quarter, 0)
    assert not styled_as_header(by_quarter, 1)
    missions = tables["Experts deployed by mission"][0]
    assert missions.cell(0, 0).text == "Mission" and styled_as_header(missions, 0)
    assert not styled_as_header(missions, 1)


def _fonts(page) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    """Each text run of a PDF page with the fonts it is drawn in."""
    out: dict[str, set[str]] = {}

    def visit(text, _cm, _tm, font, _size) -> None:  # type: ignore[no-untyped-def]
        if text.strip() and font:
            out.setdefault(text.strip(), set()).add(str(font.get("/BaseFont")))

    page.extract_text(visitor_text=visit)
    return out


def test_only_a_real_header_row_is_bold_in_the_pdf(packs) -> None:  # type: ignore[no-untyped-def]
    from services.briefing.pack import grid_style

    assert not [c for c in grid_style(False) if c[1][1] == 0 and c[2][1] == 0]  # no command for row 0 alone
    assert ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9) in grid_style(True)
    reader = PdfReader(io.BytesIO(packs["en"]["pdf"]))
    fonts: dict[str, set[str]] = {}
    for page in reader.pages:
        for text, used in _fonts(page).items():
            fonts.setdefault(text, set()).update(used)
    assert fonts["Experts deployed in the period"] == {"/Helvetica"}  # the key figures' first row: data
    assert fonts["Requests received"] == {"/Helvetica"}  # the service level's first row: data
    assert fonts["Quarter"] == {"/Helvetica-Bold"} and fonts["Median days"] == {"/Helvetica-Bold"}


def test_funding_ticks_are_distinct_and_even(packs) -> None:  # type: ignore[no-untyped-def]
    from services.briefing.pack import funding_figure, money_ticks

    assert money_ticks([0, 250_000, 500_000, 750_000, 1_000_000]) == ["$0", "$0.25M", "$0.50M", "$0.75M",
                                                                     "$1.00M"]
    assert money_ticks([0, 2_000_000, 4_000_000]) == ["$0", "$2M", "$4M"]
    assert money_ticks([0, 20_000, 40_000]) == ["$0", "$20,000", "$40,000"]
    view = packs["en"]["view"]
    fig = funding_figure(view, translator("en"))
    fig.canvas.draw()
    ax = fig.axes[0]
    low, high = ax.get_xlim()
    ticks = [t for t in ax.get_xticks() if low <= t <= high]
    labels = [label.get_text() for label in ax.get_xticklabels() if low <= label.get_position()[0] <= high]
    assert len(ticks) >= 3 and len(set(labels)) == len(labels) == len(ticks), labels
    steps = {round(b - a, 6) for a, b in pairwise(ticks)}
    assert len(steps) == 1, ticks
    step = steps.pop() / 1e6
    assert step * 10 ** -math.floor(math.log10(step)) in (1, 2, 2.5, 5)  # a "nice" step
    values = [float(label.strip("$M").replace(",", "")) * (1e6 if label.endswith("M") else 1) for label in labels]
    assert values[0] == 0 and labels[0] == "$0"
    assert values == pytest.approx(ticks)  # each label says its tick's value


def test_title_names_the_filtered_capacity_and_file_names_differ_by_language(logged_in) -> None:  # type: ignore[no-untyped-def]
    client = logged_in("briefing")
    names = {}
    for lang in ("en", "fr"):
        response = client.get(f"/briefing/pack.pptx?lang={lang}&capacity=JCSC")
        assert response.status_code == 200
        names[lang] = response.headers["Content-Disposition"]
        first = _slides(response.data)[0]
        assert ("Justice and Corrections Standing Capacity" if lang == "en"
                else "Capacité permanente de justice et d’administration pénitentiaire") in first
        assert "Standing Police Capacity" not in first and "Capacité de police permanente" not in first
    assert re.fullmatch(r'attachment; filename="hub-briefing-pack-\d{4}-\d\d-\d\d-en\.pptx"', names["en"])
    assert re.fullmatch(r'attachment; filename="hub-dossier-information-\d{4}-\d\d-\d\d-fr\.pptx"', names["fr"])
