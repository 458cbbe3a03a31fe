"""Briefing packs rendered in a child process: another process, niced; errors come back as the request would
have raised them (a HubError, an outage as psycopg's error, so 503); a child that dies is replaced."""

from __future__ import annotations

import io
import os
import signal

import psycopg
import pytest
from pptx import Presentation

from models.db import is_outage
from models.enums import Role
from services.access import Principal
from services.briefing.renderer import PACK_NICE, PackRenderer, renderer_for
from services.errors import ValidationError
from tests.factories import world_filter

BRIEFER = Principal(0, "briefer", Role.BRIEFING)
QUERY = {"start": world_filter().start.isoformat(), "end": world_filter().end.isoformat()}


@pytest.fixture(scope="module")
def renderer(engine):  # type: ignore[no-untyped-def]
    return renderer_for(engine)


def test_the_pack_is_rendered_by_a_niced_child(renderer: PackRenderer) -> None:
    deck = Presentation(io.BytesIO(renderer.render(BRIEFER, QUERY, "fr", "pptx", 5)))
    assert len(deck.slides) > 3
    pool = renderer._executor()
    assert pool.submit(os.getpid).result() != os.getpid()
    assert pool.submit(os.nice, 0).result() == min(19, os.nice(0) + PACK_NICE)


def test_a_bad_filter_comes_back_as_the_services_error(renderer: PackRenderer) -> None:
    with pytest.raises(ValidationError, match="start"):
        renderer.render(BRIEFER, {**QUERY, "start": "yesterday"}, "en", "pptx", 5)


def test_a_child_that_dies_is_replaced(renderer: PackRenderer) -> None:
    child = renderer._executor().submit(os.getpid).result()
    os.kill(child, signal.SIGKILL)
    data = renderer.render(BRIEFER, QUERY, "en", "pdf", 5)
    assert data.startswith(b"%PDF")
    assert renderer._executor().submit(os.getpid).result() != child


def test_an_unreachable_database_is_an_outage() -> None:
    unreachable = PackRenderer("postgresql+psycopg://hub@127.0.0.1:9/hub")  # port 9 (discard): refused
    try:
        with pytest.raises(psycopg.OperationalError) as raised:
            unreachable.render(BRIEFER, QUERY, "en", "pptx", 5)
        assert is_outage(raised.value)
    finally:
        unreachable.close()
