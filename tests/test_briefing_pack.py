"""The briefing pack opened as a reader would: python-pptx for the deck, pypdf for the PDF; slides, figures,
language, footer — and the suppression inside it."""

from __future__ import annotations

import io
import re

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

T = 5
BRIEFER = Principal(0, "briefer", Role.BRIEFING)
FILT = MapFilter(start=MapFilter.default().start, end=MapFilter.default().end)


@pytest.fixture(scope="module")
def packs(engine):  # type: ignore[no-untyped-def]
    from sqlalchemy.orm import Session

    out = {}
    with Session(engine) as s:
        for lang in ("en", "fr"):
            view = briefing_view(s, BRIEFER, FILT, threshold=T, usd_rates={"USD": 1.0, "EUR": 1.08}, locale=lang)
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
        briefing_view(session, BRIEFER, FILT.with_changes(gender=(Gender.FEMALE,)), threshold=T, usd_rates={})


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
